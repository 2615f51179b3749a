-- Issue 20: what terminals send over JT/T 808 besides positions — their
-- attributes (0x0107, the latest answer per terminal), the pictures they
-- upload (0x0801; the JPEG and its thumbnail live in the content-addressed
-- blob store under the data dir) and data pass-through (0x0900, raw bytes,
-- at most 4 KiB kept per message).

CREATE TABLE terminal_attributes (
    terminal_id   BIGINT PRIMARY KEY REFERENCES terminals(id),
    terminal_type INTEGER NOT NULL,          -- JT/T 808 terminal type bits
    maker         TEXT NOT NULL,
    model         TEXT NOT NULL,
    device_id     TEXT NOT NULL,             -- terminal ID as the device reports it
    iccid         TEXT NOT NULL,
    hardware      TEXT NOT NULL,
    firmware      TEXT NOT NULL,
    gnss          INTEGER NOT NULL,          -- GNSS module bits
    comm          INTEGER NOT NULL,          -- communication module bits
    received_at   {{ts}} NOT NULL
);

CREATE TABLE terminal_photos (
    id          {{pk}},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    vehicle_id  BIGINT REFERENCES vehicles(id), -- the vehicle the terminal was bound to
    media_id    BIGINT NOT NULL,                -- the terminal's multimedia ID
    event       INTEGER NOT NULL,               -- JT/T 808 event code: 0 platform command, 1 timed, 2 robbery, 3 collision, 4/5 door…
    channel     INTEGER NOT NULL,
    blob_key    TEXT NOT NULL,
    thumb_key   TEXT NOT NULL,
    size        INTEGER NOT NULL,
    width       INTEGER NOT NULL,
    height      INTEGER NOT NULL,
    lat         DOUBLE PRECISION,               -- WGS-84, where the picture was taken (null: not located)
    lng         DOUBLE PRECISION,
    alarm       BIGINT NOT NULL,                -- alarm bits of the location carried with it
    taken_at    {{ts}} NOT NULL,                -- terminal time of that location, else when received
    received_at {{ts}} NOT NULL
);
CREATE INDEX terminal_photos_vehicle ON terminal_photos (vehicle_id, taken_at);
CREATE INDEX terminal_photos_terminal ON terminal_photos (terminal_id, id);

CREATE TABLE terminal_pass_through (
    id          {{pk}},
    terminal_id BIGINT NOT NULL REFERENCES terminals(id),
    kind        INTEGER NOT NULL,               -- pass-through type byte
    data        {{blob}} NOT NULL,              -- the first 4 KiB
    size        INTEGER NOT NULL,               -- bytes the terminal sent
    received_at {{ts}} NOT NULL
);
CREATE INDEX terminal_pass_through_terminal ON terminal_pass_through (terminal_id, id);
