-- Two-factor authentication (issue 19 item 7; 等保 level 3).
--
-- An account's TOTP authenticator (RFC 6238). The secret is sealed with
-- AES-256-GCM under a key derived from a file in the data directory
-- (totp-master.key), never stored in clear. enrolled_at is NULL while the
-- enrolment awaits its first code. last_step is the time step of the last
-- code accepted: a code of that step or an earlier one is refused (replay).
CREATE TABLE user_totp (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id),
    secret_enc  TEXT NOT NULL,
    enrolled_at {{ts}},
    last_step   BIGINT NOT NULL DEFAULT 0,
    created_at  {{ts}} NOT NULL
);

-- Ten single-use recovery codes per enrolment, kept as HMAC-SHA256 under
-- the same key (a copy of the database alone cannot test guesses).
CREATE TABLE user_recovery_codes (
    user_id   BIGINT NOT NULL REFERENCES users(id),
    code_hash TEXT NOT NULL,
    used_at   {{ts}},
    PRIMARY KEY (user_id, code_hash)
);

-- The pending second step of a login: the password was right, the code is
-- awaited. Keyed by the SHA-256 of the ticket; not a session.
CREATE TABLE login_tickets (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id),
    expires_at {{ts}} NOT NULL
);
CREATE INDEX ix_login_tickets_user ON login_tickets(user_id);
