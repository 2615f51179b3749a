-- Impossible positions never reach the map (issue 20 item 2). Every report
-- is stored; invalid is 0 for a valid fix, else the reason it is not one
-- (telematics.Invalid*: unlocated, out of range, outside China, time ahead of
-- the server, before installation, no time, impossible jump). Live position,
-- track lines, mileage, trips and supervision read only invalid = 0.
-- The key index carries the columns track playback and trips read (0015):
-- it carries invalid too, so that a vehicle-day stays an index-only scan.
ALTER TABLE positions ADD COLUMN invalid SMALLINT NOT NULL DEFAULT 0;
DROP INDEX ux_positions_terminal_phone_at;
CREATE UNIQUE INDEX ux_positions_terminal_phone_at ON positions(terminal_phone, at) INCLUDE (vehicle_id, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, invalid);
