-- Fuel (R-24) and the 私车公养 signals the supervision rules read (R-30):
-- the fuel company's monthly imports and their records, each record with
-- the flags computed when it was imported. fuel_records' columns are a
-- contract with the supervision rules (contracts.md): add, do not rename.

-- The tank capacity of a vehicle, litres; 0 = not recorded (the fuel
-- package then uses a default by energy type and vehicle class).
ALTER TABLE vehicles ADD COLUMN tank_litres INTEGER NOT NULL DEFAULT 0;

-- One accepted import of a company's month. A re-import of the month with
-- different content replaces the previous one (its row is kept, replaced_at
-- set); the identical file is not written again.
CREATE TABLE fuel_imports (
    id               {{pk}},
    company_id       BIGINT NOT NULL REFERENCES companies(id),
    month            TEXT NOT NULL,             -- YYYY-MM (Beijing)
    file_name        TEXT NOT NULL,
    sha256           TEXT NOT NULL,             -- of the uploaded bytes
    row_count        INTEGER NOT NULL,
    litres_ml        BIGINT NOT NULL,
    amount_fen       BIGINT NOT NULL,
    flagged          INTEGER NOT NULL,          -- records with any flag
    imported_by      BIGINT NOT NULL REFERENCES users(id),
    imported_by_name TEXT NOT NULL,
    via              TEXT NOT NULL,             -- console | api
    created_at       {{ts}} NOT NULL,
    replaced_at      {{ts}}                     -- when a later import of the month replaced it
);
CREATE INDEX ix_fuel_imports_company_month ON fuel_imports(company_id, month);
-- One current import per company and month: two concurrent imports of the
-- same month cannot both become current.
CREATE UNIQUE INDEX ux_fuel_imports_company_id ON fuel_imports(company_id, month) WHERE replaced_at IS NULL;

CREATE TABLE fuel_records (
    id             {{pk}},
    import_id      BIGINT NOT NULL REFERENCES fuel_imports(id),
    company_id     BIGINT NOT NULL REFERENCES companies(id),
    vehicle_id     BIGINT REFERENCES vehicles(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id),   -- the vehicle's unit at import
    unit_path      TEXT NOT NULL,
    month          TEXT NOT NULL,              -- YYYY-MM (Beijing)
    at             {{ts}} NOT NULL,            -- UTC
    card_no        TEXT NOT NULL,
    plate          TEXT NOT NULL,
    station        TEXT NOT NULL,
    fuel_type      TEXT NOT NULL,
    litres_ml      BIGINT NOT NULL,            -- millilitres
    unit_price_fen BIGINT NOT NULL,            -- per litre
    amount_fen     BIGINT NOT NULL,
    flags          TEXT NOT NULL DEFAULT '',   -- comma-separated: over_tank, sealed, holiday, above_baseline
    row_no         INTEGER NOT NULL,           -- the row of the imported file
    created_at     {{ts}} NOT NULL
);
CREATE INDEX ix_fuel_records_company_month ON fuel_records(company_id, month);
CREATE INDEX ix_fuel_records_vehicle_at ON fuel_records(vehicle_id, at);
CREATE INDEX ix_fuel_records_unit_month ON fuel_records(unit_path, month);
CREATE INDEX ix_fuel_records_month_flags ON fuel_records(month, flags);
