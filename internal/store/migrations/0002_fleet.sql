-- The vehicle and driver registry (R-4, R-6, R-7, R-8, R-11, R-12, R-26):
-- vehicles and their dated changes, BeiDou terminals and their binding
-- history, drivers and the vehicles they are matched to, and photos (the
-- image bytes live in the content-addressed blob store under the data dir).
-- Calendar dates (purchase, change, install, licence expiry) are TEXT
-- 'YYYY-MM-DD' so that both databases compare them the same way.

CREATE TABLE vehicles (
    id                {{pk}},
    unit_id           BIGINT NOT NULL REFERENCES units(id),
    plate             TEXT NOT NULL,
    category          TEXT NOT NULL,              -- R-4: confidential | emergency | law_enforcement | special | retiree | other
    brand             TEXT NOT NULL,
    model             TEXT NOT NULL,
    vin               TEXT NOT NULL,
    engine_no         TEXT NOT NULL DEFAULT '',
    colour            TEXT NOT NULL DEFAULT '',
    seats             INTEGER NOT NULL,
    energy_type       TEXT NOT NULL,
    displacement      INTEGER NOT NULL DEFAULT 0, -- millilitres
    purchase_date     TEXT NOT NULL DEFAULT '',
    purchase_price    BIGINT NOT NULL DEFAULT 0,  -- fen
    funding_source    TEXT NOT NULL DEFAULT '',
    vehicle_class     TEXT NOT NULL,              -- check.LicenceAllows vehicle class
    parking_name      TEXT NOT NULL DEFAULT '',
    parking_lat       DOUBLE PRECISION,           -- WGS-84
    parking_lng       DOUBLE PRECISION,
    parking_radius    INTEGER NOT NULL DEFAULT 0, -- metres
    marking           TEXT NOT NULL DEFAULT 'unmarked',
    exempt            BOOLEAN NOT NULL DEFAULT FALSE, -- R-12
    exempt_reason     TEXT NOT NULL DEFAULT '',
    status            TEXT NOT NULL DEFAULT 'available',
    incomplete        BOOLEAN NOT NULL DEFAULT TRUE,
    missing           TEXT NOT NULL DEFAULT '',   -- what is missing, "、"-separated
    confirmed_at      {{ts}},                     -- R-8
    confirmed_by      BIGINT,
    confirmed_by_name TEXT NOT NULL DEFAULT '',
    created_at        {{ts}} NOT NULL,
    updated_at        {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_vehicles_plate ON vehicles(plate);
CREATE UNIQUE INDEX ux_vehicles_vin ON vehicles(vin);
CREATE INDEX ix_vehicles_unit ON vehicles(unit_id, plate);
CREATE INDEX ix_vehicles_category ON vehicles(category);
CREATE INDEX ix_vehicles_confirmed ON vehicles(confirmed_at);

-- Dated changes (R-11): acquire, transfer, category, dispose. The holding
-- changes (acquire, transfer, dispose) answer "what did unit X hold on D".
CREATE TABLE vehicle_changes (
    id            {{pk}},
    vehicle_id    BIGINT NOT NULL REFERENCES vehicles(id),
    kind          TEXT NOT NULL,
    change_date   TEXT NOT NULL,
    doc_no        TEXT NOT NULL DEFAULT '',
    from_unit_id  BIGINT REFERENCES units(id),
    to_unit_id    BIGINT REFERENCES units(id),
    from_category TEXT NOT NULL DEFAULT '',
    to_category   TEXT NOT NULL DEFAULT '',
    note          TEXT NOT NULL DEFAULT '',
    created_by    BIGINT,
    created_at    {{ts}} NOT NULL
);
CREATE INDEX ix_vehicle_changes_vehicle ON vehicle_changes(vehicle_id, change_date);
CREATE INDEX ix_vehicle_changes_to_unit ON vehicle_changes(to_unit_id, change_date);

CREATE TABLE drivers (
    id                {{pk}},
    unit_id           BIGINT NOT NULL REFERENCES units(id),
    name              TEXT NOT NULL,
    id_card           TEXT NOT NULL,
    phone             TEXT NOT NULL DEFAULT '',
    licence_no        TEXT NOT NULL DEFAULT '',
    licence_class     TEXT NOT NULL,
    licence_expiry    TEXT NOT NULL,
    user_id           BIGINT REFERENCES users(id),
    active            BOOLEAN NOT NULL DEFAULT TRUE,
    incomplete        BOOLEAN NOT NULL DEFAULT TRUE,
    missing           TEXT NOT NULL DEFAULT '',
    confirmed_at      {{ts}},
    confirmed_by      BIGINT,
    confirmed_by_name TEXT NOT NULL DEFAULT '',
    created_at        {{ts}} NOT NULL,
    updated_at        {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_drivers_id_card ON drivers(id_card);
CREATE UNIQUE INDEX ux_drivers_user_id ON drivers(user_id);
CREATE INDEX ix_drivers_unit ON drivers(unit_id, name);
CREATE INDEX ix_drivers_confirmed ON drivers(confirmed_at);

CREATE TABLE driver_vehicles (
    driver_id  BIGINT NOT NULL REFERENCES drivers(id),
    vehicle_id BIGINT NOT NULL REFERENCES vehicles(id),
    created_at {{ts}} NOT NULL,
    PRIMARY KEY (driver_id, vehicle_id)
);
CREATE INDEX ix_driver_vehicles_vehicle ON driver_vehicles(vehicle_id);

-- BeiDou terminals (R-12, R-26). vehicle_id is the current binding; the
-- unique index keeps one terminal per vehicle (and the column one vehicle
-- per terminal); terminal_bindings keeps the history.
CREATE TABLE terminals (
    id           {{pk}},
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    terminal_no  TEXT NOT NULL,                 -- JT/T 808 terminal ID, up to 30 characters
    sim          TEXT NOT NULL,                 -- JT/T 808 terminal phone number, up to 20 digits
    model        TEXT NOT NULL DEFAULT '',
    maker        TEXT NOT NULL DEFAULT '',
    install_date TEXT NOT NULL DEFAULT '',
    vehicle_id   BIGINT REFERENCES vehicles(id),
    created_at   {{ts}} NOT NULL,
    updated_at   {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_terminals_terminal_no ON terminals(terminal_no);
CREATE UNIQUE INDEX ux_terminals_sim ON terminals(sim);
CREATE UNIQUE INDEX ux_terminals_vehicle_id ON terminals(vehicle_id);
CREATE INDEX ix_terminals_unit ON terminals(unit_id);

CREATE TABLE terminal_bindings (
    id          {{pk}},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    vehicle_id  BIGINT NOT NULL REFERENCES vehicles(id),
    bound_at    {{ts}} NOT NULL,
    bound_by    BIGINT,
    unbound_at  {{ts}},
    unbound_by  BIGINT
);
CREATE INDEX ix_terminal_bindings_terminal ON terminal_bindings(terminal_id);
CREATE INDEX ix_terminal_bindings_vehicle ON terminal_bindings(vehicle_id);

-- Photos of vehicles (front, side, rear, other) and drivers (driver,
-- licence). blob_key and thumb_key are SHA-256 keys of the blob store.
CREATE TABLE photos (
    id           {{pk}},
    owner_type   TEXT NOT NULL,                 -- vehicle | driver
    owner_id     BIGINT NOT NULL,
    kind         TEXT NOT NULL,
    blob_key     TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    width        INTEGER NOT NULL,
    height       INTEGER NOT NULL,
    created_by   BIGINT,
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_photos_owner ON photos(owner_type, owner_id);
