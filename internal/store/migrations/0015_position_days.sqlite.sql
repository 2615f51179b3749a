-- Which terminals reported for which vehicle on which day (UTC), kept by a
-- trigger (issue 5, Performance). Reads by vehicle go through it to the
-- positions clustered by terminal and time (0014), so positions no longer
-- needs the index on (vehicle_id, at): that index put every inserted row on
-- its own page, a second random page write per report besides the table's.
-- The index on at serves the time windows of supervision and retention and
-- grows at its end, as reports arrive in time order.
CREATE TABLE position_days (
    vehicle_id      BIGINT NOT NULL,
    day             TEXT NOT NULL,          -- UTC date of at, YYYY-MM-DD
    terminal_phone  TEXT NOT NULL,
    PRIMARY KEY (vehicle_id, day, terminal_phone)
) WITHOUT ROWID;
INSERT OR IGNORE INTO position_days SELECT DISTINCT vehicle_id, date(at), terminal_phone FROM positions WHERE vehicle_id IS NOT NULL;
CREATE TRIGGER tr_positions_day AFTER INSERT ON positions WHEN NEW.vehicle_id IS NOT NULL BEGIN INSERT OR IGNORE INTO position_days (vehicle_id, day, terminal_phone) VALUES (NEW.vehicle_id, date(NEW.at), NEW.terminal_phone); END;
DROP INDEX ix_positions_vehicle_at;
CREATE INDEX ix_positions_at ON positions(at);
