-- Trips, daily mileage and terminal-health events derived from positions
-- (R-2, R-26, issue 5 parts 6 and 7). Written by internal/trips and
-- internal/health; read by the monitor pages and the supervision rules.
-- Columns listed here are a contract with the supervision rules: add
-- columns, do not rename or drop them.

-- A trip: positions of one vehicle grouped by ignition (ACC bit) and motion.
CREATE TABLE trips (
    id             {{pk}},
    vehicle_id     BIGINT NOT NULL REFERENCES vehicles(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id), -- the vehicle's unit when the trip started
    terminal_phone TEXT NOT NULL,
    started_at     {{ts}} NOT NULL,          -- UTC
    ended_at       {{ts}} NOT NULL,          -- UTC; last position so far while open
    start_lat      BIGINT NOT NULL,          -- micro-degrees, WGS-84
    start_lng      BIGINT NOT NULL,
    end_lat        BIGINT NOT NULL,
    end_lng        BIGINT NOT NULL,
    distance_m     BIGINT NOT NULL,          -- metres driven
    max_speed      INTEGER NOT NULL,         -- 0.1 km/h
    points         INTEGER NOT NULL,         -- positions in the trip
    state          TEXT NOT NULL,            -- open | closed
    order_id       BIGINT REFERENCES orders(id),             -- the order it served, if any
    filing_id      BIGINT REFERENCES emergency_filings(id),  -- the filing opened when it had no order
    created_at     {{ts}} NOT NULL,
    updated_at     {{ts}} NOT NULL,
    driving_s      BIGINT NOT NULL DEFAULT 0, -- seconds with ignition on or moving
    linked_at      {{ts}}                    -- when the closed trip was matched to its order or filing (R-14)
);
CREATE UNIQUE INDEX ux_trips_vehicle_started ON trips(vehicle_id, started_at);
CREATE INDEX ix_trips_unit_started ON trips(unit_id, started_at);
CREATE INDEX ix_trips_order ON trips(order_id);

-- Mileage per vehicle per Beijing calendar day, from the trips.
CREATE TABLE vehicle_daily_mileage (
    vehicle_id  BIGINT NOT NULL REFERENCES vehicles(id),
    day         TEXT NOT NULL,               -- YYYY-MM-DD, Beijing date
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    distance_m  BIGINT NOT NULL,
    trips       INTEGER NOT NULL,
    driving_s   BIGINT NOT NULL,
    PRIMARY KEY (vehicle_id, day)
);
CREATE INDEX ix_vehicle_daily_mileage_unit_day ON vehicle_daily_mileage(unit_id, day);

-- Terminal-health events (R-26): offline, main power cut, GNSS antenna
-- fault, power cut followed by silence, impossible jumps.
CREATE TABLE terminal_events (
    id                  {{pk}},
    vehicle_id          BIGINT REFERENCES vehicles(id),
    unit_id             BIGINT NOT NULL REFERENCES units(id),
    terminal_phone      TEXT NOT NULL,
    kind                TEXT NOT NULL,       -- offline | power_cut | antenna_fault | silent_after_power_cut | jump
    opened_at           {{ts}} NOT NULL,     -- when the condition began (UTC)
    last_seen_at        {{ts}} NOT NULL,     -- last evidence of the condition
    evidence            TEXT NOT NULL DEFAULT '{}', -- JSON: positions, durations, distances
    state               TEXT NOT NULL,       -- open | repair_requested | fixed
    repair_requested_at {{ts}},
    repair_requested_by BIGINT REFERENCES users(id),
    fixed_at            {{ts}},
    fixed_by            BIGINT REFERENCES users(id),
    note                TEXT NOT NULL DEFAULT '',
    created_at          {{ts}} NOT NULL,
    cleared_at          {{ts}}               -- when the condition stopped (the event stays open until marked fixed)
);
CREATE UNIQUE INDEX ux_terminal_events_key ON terminal_events(terminal_phone, kind, opened_at);
CREATE INDEX ix_terminal_events_unit_state ON terminal_events(unit_id, state);

-- Where internal/trips has read each vehicle's positions up to, with the
-- builder's state (the trip in progress, not yet stored while it is below
-- the minimum distance and duration) as JSON.
CREATE TABLE trip_cursors (
    vehicle_id BIGINT PRIMARY KEY REFERENCES vehicles(id),
    until      {{ts}} NOT NULL,             -- positions with at <= until are consumed
    state      TEXT NOT NULL DEFAULT '{}',
    updated_at {{ts}} NOT NULL
);
CREATE INDEX ix_trips_unlinked ON trips(state, linked_at);

-- Where internal/health has read each terminal's positions up to, with
-- the detectors' state (previous position, open episodes) as JSON.
CREATE TABLE health_cursors (
    terminal_phone TEXT PRIMARY KEY,
    until          {{ts}} NOT NULL,
    state          TEXT NOT NULL DEFAULT '{}',
    updated_at     {{ts}} NOT NULL
);
CREATE INDEX ix_terminal_events_phone_kind ON terminal_events(terminal_phone, kind, cleared_at);
