-- Positions reported by the BeiDou terminals over JT/T 808 (R-2 real-time
-- monitoring, R-12, R-26). This is the big table: a city writes ~50 M rows a
-- day at one report per 10 s. Rows are written in batches by
-- internal/telematics.Writer and never scanned for dashboards.
--
-- Portable SQL on purpose. PostgreSQL monthly partitioning (PARTITION BY
-- RANGE (at), retention by dropping partitions) comes in a later migration;
-- until then internal/telematics.Prune deletes in bounded batches.
--
-- vehicle_id has no foreign key: the terminal's binding is resolved at
-- authentication time, rows from unbound terminals are kept (NULL) for R-26
-- investigations, and a foreign key on this table would cost every insert.
CREATE TABLE positions (
    vehicle_id      BIGINT,                -- NULL when the terminal is bound to no vehicle
    terminal_phone  TEXT NOT NULL,         -- 终端手机号, leading zeros removed
    at              {{ts}} NOT NULL,       -- GNSS time, UTC
    received_at     {{ts}} NOT NULL,       -- when the gateway received the report, UTC
    lat             BIGINT NOT NULL,       -- micro-degrees, WGS-84, negative south
    lng             BIGINT NOT NULL,       -- micro-degrees, WGS-84, negative west
    speed           INTEGER NOT NULL,      -- 0.1 km/h
    heading         INTEGER NOT NULL,      -- degrees from north, 0-359
    altitude        INTEGER NOT NULL,      -- metres
    alarm           BIGINT NOT NULL,       -- JT/T 808 alarm word
    status          BIGINT NOT NULL,       -- JT/T 808 status word
    mileage         BIGINT,                -- metres (additional item 0x01 x 100)
    fuel            INTEGER,               -- 0.1 L (additional item 0x02)
    extras          TEXT NOT NULL DEFAULT '' -- other additional items, hex of id,len,data
);
-- De-duplicates re-sent and blind-area reports: inserts use
-- ON CONFLICT DO NOTHING.
CREATE UNIQUE INDEX ux_positions_terminal_phone_at ON positions(terminal_phone, at);
CREATE INDEX ix_positions_vehicle_at ON positions(vehicle_id, at);
