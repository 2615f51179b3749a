-- Cross-level loans (借调, R-17) and their costs and savings (issue 21
-- parts 4 and 5).
--
-- A loan: a borrowing level (the city or a district) asks a lending level
-- for vehicles — named ones, or a type and a count — for a period; the
-- lending level (or the city, above two districts) approves and picks the
-- vehicles, or refuses; the borrower dispatches them on its own orders
-- within the period and returns them (early return ends the period).
CREATE TABLE loans (
    id             {{pk}},
    no             TEXT NOT NULL UNIQUE,            -- JD20260312001
    borrower_id    BIGINT NOT NULL REFERENCES units(id),
    lender_id      BIGINT NOT NULL REFERENCES units(id),
    vehicle_type   TEXT NOT NULL DEFAULT '',        -- by type: sedan | business_van | minibus | coach ('' named vehicles)
    count          INTEGER NOT NULL,
    with_driver    BOOLEAN NOT NULL,
    from_at        {{ts}} NOT NULL,
    to_at          {{ts}} NOT NULL,
    reason         TEXT NOT NULL,
    state          TEXT NOT NULL,                   -- requested | approved | refused | returned | cancelled
    requested_by   BIGINT NOT NULL REFERENCES users(id),
    requested_name TEXT NOT NULL,
    requested_at   {{ts}} NOT NULL,
    decided_by     BIGINT REFERENCES users(id),
    decided_name   TEXT NOT NULL DEFAULT '',
    decided_at     {{ts}},
    decision_note  TEXT NOT NULL DEFAULT '',
    returned_at    {{ts}},                          -- set on return: the loan's window ends here
    returned_name  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX loans_borrower ON loans (borrower_id, state, from_at);
CREATE INDEX loans_lender ON loans (lender_id, state, from_at);

-- The vehicles of a loan: asked for by name, or picked at approval.
CREATE TABLE loan_vehicles (
    loan_id    BIGINT NOT NULL REFERENCES loans(id),
    vehicle_id BIGINT NOT NULL REFERENCES vehicles(id),
    PRIMARY KEY (loan_id, vehicle_id)
);
CREATE INDEX loan_vehicles_vehicle ON loan_vehicles (vehicle_id);

-- Rates per vehicle type, dated: the internal tariff (kind 'tariff': per
-- day, half day and km) and the rental market's reference price (kind
-- 'market': per day and half day). Per kind and type the periods follow
-- each other without gap or overlap (savings.SaveRate); valid_to NULL: open.
CREATE TABLE rates (
    id           {{pk}},
    kind         TEXT NOT NULL,
    vehicle_type TEXT NOT NULL,
    day_fen      BIGINT NOT NULL,
    half_day_fen BIGINT NOT NULL,
    km_fen       BIGINT NOT NULL DEFAULT 0,
    valid_from   TEXT NOT NULL,                     -- Beijing date YYYY-MM-DD
    valid_to     TEXT,
    note         TEXT NOT NULL DEFAULT '',
    updated_at   {{ts}} NOT NULL
);
CREATE INDEX rates_kind_type ON rates (kind, vehicle_type, valid_from);

-- Monthly settlement statements between a lending and a borrowing party
-- (the two levels of a loan; the owning and the ordering unit of another
-- cross-unit use), confirmed by both sides.
CREATE TABLE settlements (
    id                   {{pk}},
    month                TEXT NOT NULL,             -- YYYY-MM (Beijing)
    lender_id            BIGINT NOT NULL REFERENCES units(id),
    borrower_id          BIGINT NOT NULL REFERENCES units(id),
    uses                 INTEGER NOT NULL,
    km_m                 BIGINT NOT NULL,
    internal_fen         BIGINT NOT NULL,
    market_fen           BIGINT NOT NULL,
    saving_fen           BIGINT NOT NULL,
    state                TEXT NOT NULL,             -- pending | confirmed | disputed
    generated_at         {{ts}} NOT NULL,
    lender_confirmed_by  TEXT NOT NULL DEFAULT '',
    lender_confirmed_at  {{ts}},
    borrower_confirmed_by TEXT NOT NULL DEFAULT '',
    borrower_confirmed_at {{ts}},
    dispute_side         TEXT NOT NULL DEFAULT '',
    dispute_reason       TEXT NOT NULL DEFAULT '',
    dispute_by           TEXT NOT NULL DEFAULT '',
    UNIQUE (month, lender_id, borrower_id)
);

-- The cost of each cross-unit use (an order whose vehicle's unit is not
-- the ordering unit), computed when its statement is generated or on demand.
CREATE TABLE use_costs (
    order_id      BIGINT PRIMARY KEY REFERENCES orders(id),
    settlement_id BIGINT REFERENCES settlements(id),
    loan_id       BIGINT REFERENCES loans(id),
    month         TEXT NOT NULL,
    lender_id     BIGINT NOT NULL REFERENCES units(id),
    borrower_id   BIGINT NOT NULL REFERENCES units(id),
    lender_path   TEXT NOT NULL,
    borrower_path TEXT NOT NULL,
    vehicle_id    BIGINT NOT NULL REFERENCES vehicles(id),
    vehicle_type  TEXT NOT NULL,
    days          INTEGER NOT NULL,
    half_days     INTEGER NOT NULL,
    km_m          BIGINT NOT NULL,
    km_source     TEXT NOT NULL,                    -- gps | odometer | none
    internal_fen  BIGINT NOT NULL,
    market_fen    BIGINT NOT NULL,
    saving_fen    BIGINT NOT NULL,
    computed_at   {{ts}} NOT NULL
);
CREATE INDEX use_costs_month ON use_costs (month, lender_id, borrower_id);
