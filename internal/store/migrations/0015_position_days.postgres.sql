-- Which terminals reported for which vehicle on which day (UTC), kept by a
-- statement trigger (issue 5, Performance). Reads by vehicle go through it
-- to the de-duplication index on (terminal_phone, at), which now carries the
-- columns track playback reads: a vehicle-day is an index-only range scan
-- instead of one heap page per position (the rows of all vehicles lie
-- interleaved in arrival order in the heap). The index on (vehicle_id, at)
-- is dropped (a random page per insert); the index on at serves the time
-- windows of supervision and retention and grows at its end.
CREATE TABLE position_days (
    vehicle_id      BIGINT NOT NULL,
    day             DATE NOT NULL,          -- UTC date of at
    terminal_phone  TEXT NOT NULL,
    PRIMARY KEY (vehicle_id, day, terminal_phone)
);
INSERT INTO position_days SELECT DISTINCT vehicle_id, (at AT TIME ZONE 'UTC')::date, terminal_phone FROM positions WHERE vehicle_id IS NOT NULL;
CREATE FUNCTION positions_days() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO position_days SELECT DISTINCT vehicle_id, (at AT TIME ZONE 'UTC')::date, terminal_phone FROM new_positions WHERE vehicle_id IS NOT NULL ON CONFLICT DO NOTHING; RETURN NULL; END $$;
CREATE TRIGGER tr_positions_days AFTER INSERT ON positions REFERENCING NEW TABLE AS new_positions FOR EACH STATEMENT EXECUTE FUNCTION positions_days();
DROP INDEX ix_positions_vehicle_at;
CREATE INDEX ix_positions_at ON positions(at);
DROP INDEX ux_positions_terminal_phone_at;
CREATE UNIQUE INDEX ux_positions_terminal_phone_at ON positions(terminal_phone, at) INCLUDE (vehicle_id, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel);
-- Index-only scans need the visibility map: vacuum after 2 % new rows, not 20 %.
ALTER TABLE positions SET (autovacuum_vacuum_insert_scale_factor = 0.02);
