-- Impossible positions never reach the map (issue 20 item 2). Every report
-- is stored; invalid is 0 for a valid fix, else the reason it is not one
-- (telematics.Invalid*: unlocated, out of range, outside China, time ahead of
-- the server, before installation, no time, impossible jump). Live position,
-- track lines, mileage, trips and supervision read only invalid = 0.
ALTER TABLE positions ADD COLUMN invalid INTEGER NOT NULL DEFAULT 0;
