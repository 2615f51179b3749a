-- Foundation: the hierarchy (R-2, R-3, R-5, R-6), accounts and roles (R-5, R-9),
-- sessions, API tokens, security policy and the hash-chained audit log (R-27, R-28).

-- Every node of the hierarchy: the city, its districts / county-level cities,
-- and the units under them. path is the materialised path "/1/3/17/" used
-- for scope checks (a user sees path LIKE scope_path || '%').
CREATE TABLE units (
    id              {{pk}},
    parent_id       BIGINT REFERENCES units(id),
    kind            TEXT NOT NULL,            -- city | district | unit
    name            TEXT NOT NULL,
    credit_code     TEXT,                     -- 统一社会信用代码; NULL for none
    unit_type       TEXT NOT NULL DEFAULT '', -- R-3 type, units only
    level           TEXT NOT NULL,            -- city | district (R-3)
    district_id     BIGINT REFERENCES units(id),
    path            TEXT NOT NULL,
    depth           INTEGER NOT NULL,
    staffing_count  INTEGER NOT NULL DEFAULT 0, -- 人员编制数 (R-6)
    vehicle_quota   INTEGER NOT NULL DEFAULT 0, -- 车辆编制数 (R-6)
    vehicle_count   INTEGER NOT NULL DEFAULT 0, -- 车辆实有数, kept by the vehicle registry
    marking_status  TEXT NOT NULL DEFAULT 'none',
    contact_name    TEXT NOT NULL DEFAULT '',
    contact_phone   TEXT NOT NULL DEFAULT '',
    address         TEXT NOT NULL DEFAULT '',
    sort            INTEGER NOT NULL DEFAULT 0,
    active          BOOLEAN NOT NULL DEFAULT TRUE,
    created_at      {{ts}} NOT NULL,
    updated_at      {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_units_name ON units(name);
CREATE UNIQUE INDEX ux_units_credit_code ON units(credit_code);
CREATE INDEX ix_units_parent ON units(parent_id);
CREATE INDEX ix_units_path ON units(path);

CREATE TABLE users (
    id                   {{pk}},
    username             TEXT NOT NULL,
    real_name            TEXT NOT NULL,
    phone                TEXT NOT NULL DEFAULT '',
    scope_id             BIGINT NOT NULL REFERENCES units(id),
    password_hash        TEXT NOT NULL,
    must_change_password BOOLEAN NOT NULL DEFAULT TRUE,
    failed_logins        INTEGER NOT NULL DEFAULT 0,
    locked_until         {{ts}},
    admin_locked         BOOLEAN NOT NULL DEFAULT FALSE,
    active               BOOLEAN NOT NULL DEFAULT TRUE,
    last_login_at        {{ts}},
    previous_login_at    {{ts}},                -- shown as 上次登录
    password_changed_at  {{ts}},
    created_at           {{ts}} NOT NULL,
    updated_at           {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_users_username ON users(username);
CREATE INDEX ix_users_scope ON users(scope_id);

CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users(id),
    role    TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);
CREATE INDEX ix_user_roles_role ON user_roles(role);

-- Sessions are looked up by the SHA-256 of the cookie value.
CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id),
    csrf_token   TEXT NOT NULL,
    ip           TEXT NOT NULL DEFAULT '',
    user_agent   TEXT NOT NULL DEFAULT '',
    created_at   {{ts}} NOT NULL,
    last_seen_at {{ts}} NOT NULL
);
CREATE INDEX ix_sessions_user ON sessions(user_id);

-- API tokens for machine clients; only the SHA-256 of the token is kept.
CREATE TABLE api_tokens (
    id           {{pk}},
    user_id      BIGINT NOT NULL REFERENCES users(id),
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    created_at   {{ts}} NOT NULL,
    last_used_at {{ts}},
    revoked_at   {{ts}}
);
CREATE UNIQUE INDEX ux_api_tokens_token_hash ON api_tokens(token_hash);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- Append-only audit log. hash = SHA-256(prev_hash || canonical row); the
-- single audit_head row serialises appends (its UPDATE takes the row lock in
-- PostgreSQL; SQLite writers are serialised anyway).
CREATE TABLE audit_log (
    id          {{pk}},
    at          {{ts}} NOT NULL,
    actor_id    BIGINT,
    actor_name  TEXT NOT NULL DEFAULT '',
    ip          TEXT NOT NULL DEFAULT '',
    action      TEXT NOT NULL,
    object_type TEXT NOT NULL DEFAULT '',
    object_id   TEXT NOT NULL DEFAULT '',
    scope_path  TEXT NOT NULL DEFAULT '',
    summary     TEXT NOT NULL DEFAULT '',
    before_json TEXT NOT NULL DEFAULT '',
    after_json  TEXT NOT NULL DEFAULT '',
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL
);
CREATE INDEX ix_audit_log_at ON audit_log(at);
CREATE INDEX ix_audit_log_actor ON audit_log(actor_id);
CREATE INDEX ix_audit_log_scope ON audit_log(scope_path);

CREATE TABLE audit_head (
    id    INTEGER PRIMARY KEY,
    seq   BIGINT NOT NULL,
    hash  TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '');
