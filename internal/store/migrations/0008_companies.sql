-- Outside organisations (issue 6 part 1) and the cost ledger (part 7).
-- Designated repair shops, the fuel company, the insurer, the inspection
-- company and rental companies are contracted by a city or district node
-- (owner_unit_id); their contracts say which nodes (and subtrees) they
-- serve. Their accounts are users with company_id set; such an account's
-- scope node is the owner unit, and what it sees is what its contracts
-- active today cover.
CREATE TABLE companies (
    id            {{pk}},
    name          TEXT NOT NULL,
    kind          TEXT NOT NULL,              -- repair | fuel | insurer | inspection | rental
    credit_code   TEXT NOT NULL,              -- 统一社会信用代码
    contact       TEXT NOT NULL DEFAULT '',
    phone         TEXT NOT NULL DEFAULT '',
    owner_unit_id BIGINT NOT NULL REFERENCES units(id), -- the city or district that contracts it
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_companies_name ON companies(name);
CREATE UNIQUE INDEX ux_companies_credit_code ON companies(credit_code);
CREATE INDEX ix_companies_owner ON companies(owner_unit_id);

-- A contract covers a node and its whole subtree from starts_on to ends_on
-- (inclusive, Beijing dates; ends_on NULL: open-ended).
CREATE TABLE company_contracts (
    id         {{pk}},
    company_id BIGINT NOT NULL REFERENCES companies(id),
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    starts_on  TEXT NOT NULL,                -- YYYY-MM-DD
    ends_on    TEXT,                         -- YYYY-MM-DD, NULL: open-ended
    note       TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL
);
CREATE INDEX ix_company_contracts_company ON company_contracts(company_id);
CREATE INDEX ix_company_contracts_unit ON company_contracts(unit_id);

ALTER TABLE users ADD COLUMN company_id BIGINT REFERENCES companies(id);
CREATE INDEX ix_users_company ON users(company_id);

-- The cost ledger: every cost of a vehicle (or of a unit without one), in
-- integer fen, per unit and Beijing month. Each source row posts once per
-- kind; posting again replaces the amount.
CREATE TABLE cost_entries (
    id          {{pk}},
    vehicle_id  BIGINT REFERENCES vehicles(id),
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    unit_path   TEXT NOT NULL,
    month       TEXT NOT NULL,               -- YYYY-MM, Beijing
    kind        TEXT NOT NULL,               -- fuel | maintenance | insurance | inspection | rental | other
    amount_fen  BIGINT NOT NULL,
    source      TEXT NOT NULL,               -- e.g. repair_job, insurance_policy
    source_id   BIGINT NOT NULL,
    occurred_at {{ts}} NOT NULL,
    note        TEXT NOT NULL DEFAULT '',
    created_at  {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_cost_entries_source ON cost_entries(source, source_id, kind);
CREATE INDEX ix_cost_entries_path_month ON cost_entries(unit_path, month);
CREATE INDEX ix_cost_entries_vehicle ON cost_entries(vehicle_id, month);
