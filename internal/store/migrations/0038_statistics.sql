-- Statistics (issue 23 parts 1, 2 and 7, R-10).
--
-- Roll-ups: the dashboards never scan positions, trips or orders when a page
-- opens. rollup_days holds one row per vehicle and Beijing day on which it
-- was used: kilometres and driving time from vehicle_daily_mileage, trips,
-- and the orders that ran (出车订单: departed, finished, back or closed, on
-- the Beijing day of their pick-up time). rollup_months sums them per unit
-- (orders: per ordering unit, from rollup_unit_orders)
-- and month, with the unit's vehicles (available vehicle-days = vehicles ×
-- days) and, in rollup_costs, the cost ledger's kept totals per unit, month
-- and kind. internal/stats keeps them: the minute job refreshes the
-- vehicle-days whose trips or orders changed since its cursor
-- (rollup_cursor), `govfleet rollup-rebuild --from --to` recomputes a range.
CREATE TABLE rollup_days (
    vehicle_id BIGINT NOT NULL,
    day        TEXT NOT NULL,   -- YYYY-MM-DD, Beijing
    unit_id    BIGINT NOT NULL,
    unit_path  TEXT NOT NULL,
    distance_m BIGINT NOT NULL,
    driving_s  BIGINT NOT NULL,
    trips      INTEGER NOT NULL,
    orders     INTEGER NOT NULL,
    PRIMARY KEY (vehicle_id, day)
);
CREATE INDEX ix_rollup_days_unit_day ON rollup_days(unit_id, day);
CREATE INDEX ix_rollup_days_day ON rollup_days(day);

-- The orders that ran per ordering unit and day: a unit's 出车订单数 counts
-- the orders it placed, as 用车订单查询 filtered by the unit lists them
-- (rollup_days.orders counts them at the vehicle that served them).
CREATE TABLE rollup_unit_orders (
    unit_id   BIGINT NOT NULL,
    day       TEXT NOT NULL,
    unit_path TEXT NOT NULL,
    orders    INTEGER NOT NULL,
    PRIMARY KEY (unit_id, day)
);
CREATE INDEX ix_rollup_unit_orders_day ON rollup_unit_orders(day);

CREATE TABLE rollup_months (
    month        TEXT NOT NULL,   -- YYYY-MM, Beijing
    unit_id      BIGINT NOT NULL,
    unit_path    TEXT NOT NULL,
    distance_m   BIGINT NOT NULL,
    driving_s    BIGINT NOT NULL,
    trips        BIGINT NOT NULL,
    orders       BIGINT NOT NULL,
    vehicle_days BIGINT NOT NULL, -- vehicle-days used: rollup_days rows
    vehicles     BIGINT NOT NULL, -- the unit's vehicles when rolled up
    days         INTEGER NOT NULL, -- days of the month counted (to today for the current month)
    PRIMARY KEY (month, unit_id)
);
CREATE INDEX ix_rollup_months_path ON rollup_months(month, unit_path);

CREATE TABLE rollup_costs (
    month      TEXT NOT NULL,
    unit_id    BIGINT NOT NULL,
    unit_path  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (month, unit_id, kind)
);

CREATE TABLE rollup_cursor (
    name TEXT PRIMARY KEY,
    at   {{ts}} NOT NULL
);

-- Data extraction (R-10): saved queries, shared inside the owner's scope node.
CREATE TABLE extract_queries (
    id         {{pk}},
    name       TEXT NOT NULL,
    dataset    TEXT NOT NULL,
    spec       TEXT NOT NULL,  -- JSON: filters and columns
    unit_id    BIGINT NOT NULL REFERENCES units(id), -- shared with the accounts of this node and below
    unit_path  TEXT NOT NULL,
    owner_id   BIGINT NOT NULL REFERENCES users(id),
    owner_name TEXT NOT NULL,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE INDEX ix_extract_queries_path ON extract_queries(unit_path);

-- The minute job finds the vehicle-days to roll up again by the time their
-- trips and orders changed.
CREATE INDEX ix_trips_updated ON trips(updated_at);
CREATE INDEX ix_orders_updated ON orders(updated_at);
