-- Whole life cycle, part two (issue 6 parts 4 and 5): the companies' API
-- keys with request signing (R-23), insurance policies and claims (R-23),
-- annual inspections (R-25) and the reminders sent for them.

-- A company's API key. The secret is never stored: it is
-- HMAC-SHA256(server master key, key_id || salt), recomputed to verify a
-- signature (see internal/auth/apikeys.go). A key acts as the company
-- account that created it.
CREATE TABLE company_api_keys (
    id           {{pk}},
    company_id   BIGINT NOT NULL REFERENCES companies(id),
    user_id      BIGINT NOT NULL REFERENCES users(id),
    key_id       TEXT NOT NULL,               -- public, sent as X-Key-Id
    salt         TEXT NOT NULL,
    name         TEXT NOT NULL,
    created_at   {{ts}} NOT NULL,
    last_used_at {{ts}},
    revoked_at   {{ts}}
);
CREATE UNIQUE INDEX ux_company_api_keys_key_id ON company_api_keys(key_id);
CREATE INDEX ix_company_api_keys_company ON company_api_keys(company_id);

-- Signatures seen inside the replay window: the same signature twice is a
-- replayed request.
CREATE TABLE api_signatures (
    key_id    BIGINT NOT NULL REFERENCES company_api_keys(id),
    signature TEXT NOT NULL,
    seen_at   {{ts}} NOT NULL,
    PRIMARY KEY (key_id, signature)
);
CREATE INDEX ix_api_signatures_seen ON api_signatures(seen_at);

-- Idempotency keys of signed writes: the first response is kept and
-- returned to a retry with the same body; another body is a conflict.
CREATE TABLE api_idempotency (
    key_id     BIGINT NOT NULL REFERENCES company_api_keys(id),
    idem_key   TEXT NOT NULL,
    request    TEXT NOT NULL,                 -- SHA-256 of method, path and body
    status     INTEGER NOT NULL,              -- 0 while in progress
    response   TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);

-- Insurance policies pushed by the insurer (R-23): compulsory (交强险) or
-- commercial (商业险); coverage is a JSON array of {name, amount_fen}.
CREATE TABLE insurance_policies (
    id          {{pk}},
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    vehicle_id  BIGINT NOT NULL REFERENCES vehicles(id),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    policy_no   TEXT NOT NULL,
    kind        TEXT NOT NULL,                -- compulsory | commercial
    starts_on   TEXT NOT NULL,                -- YYYY-MM-DD
    ends_on     TEXT NOT NULL,                -- YYYY-MM-DD, last day covered
    premium_fen BIGINT NOT NULL,
    coverage    TEXT NOT NULL DEFAULT '[]',
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_insurance_policies_policy_no ON insurance_policies(company_id, policy_no);
CREATE INDEX ix_insurance_policies_vehicle ON insurance_policies(vehicle_id, ends_on);
CREATE INDEX ix_insurance_policies_ends ON insurance_policies(ends_on);

-- Accident claims (R-23) and their status as the insurer reports it.
CREATE TABLE insurance_claims (
    id          {{pk}},
    company_id  BIGINT NOT NULL REFERENCES companies(id),
    policy_id   BIGINT NOT NULL REFERENCES insurance_policies(id),
    vehicle_id  BIGINT NOT NULL REFERENCES vehicles(id),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    claim_no    TEXT NOT NULL,
    occurred_at {{ts}} NOT NULL,
    place       TEXT NOT NULL,
    damage      TEXT NOT NULL,
    amount_fen  BIGINT NOT NULL,              -- loss assessed / claimed
    paid_fen    BIGINT NOT NULL DEFAULT 0,    -- paid out by the insurer
    paid_at     {{ts}},                       -- when a payout was first reported
    status      TEXT NOT NULL,                -- reported | assessing | approved | paid | rejected | closed
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_insurance_claims_claim_no ON insurance_claims(company_id, claim_no);
CREATE INDEX ix_insurance_claims_vehicle ON insurance_claims(vehicle_id, occurred_at);

-- A vehicle's next annual inspection due date (R-25) when set by hand or by
-- a result; without a row the rule's date from the purchase date applies.
CREATE TABLE inspection_due (
    vehicle_id BIGINT PRIMARY KEY REFERENCES vehicles(id),
    due_on     TEXT NOT NULL,                 -- YYYY-MM-DD
    source     TEXT NOT NULL,                 -- rule | manual | result
    updated_at {{ts}} NOT NULL
);
CREATE INDEX ix_inspection_due_due ON inspection_due(due_on);

-- Inspection results recorded by the inspection company (R-25).
CREATE TABLE inspections (
    id           {{pk}},
    vehicle_id   BIGINT NOT NULL REFERENCES vehicles(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    company_id   BIGINT NOT NULL REFERENCES companies(id),
    inspected_on TEXT NOT NULL,               -- YYYY-MM-DD
    passed       BOOLEAN NOT NULL,
    next_due_on  TEXT NOT NULL,               -- YYYY-MM-DD
    fee_fen      BIGINT NOT NULL DEFAULT 0,
    note         TEXT NOT NULL DEFAULT '',
    created_by   BIGINT NOT NULL REFERENCES users(id),
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_inspections_vehicle ON inspections(vehicle_id, inspected_on);

-- Reminders sent, once per object and due date (R-23 policy expiry, R-25
-- inspection due).
CREATE TABLE lifecycle_reminders (
    kind      TEXT NOT NULL,                  -- inspection | policy
    object_id BIGINT NOT NULL,                -- vehicle (inspection) or policy
    due_on    TEXT NOT NULL,
    sent_at   {{ts}} NOT NULL,
    PRIMARY KEY (kind, object_id, due_on)
);
