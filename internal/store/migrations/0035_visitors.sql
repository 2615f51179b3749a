-- Visiting officials on the phone (R-19, issue 22 part 6). A visitor's
-- account is a users row holding the one role `visitor`, scoped to the host
-- unit; this table holds what the registration says and its verification.
CREATE TABLE visitors (
    id           {{pk}},
    user_id      BIGINT NOT NULL UNIQUE REFERENCES users(id),
    name         TEXT NOT NULL,
    mobile       TEXT NOT NULL UNIQUE,
    home_city    TEXT NOT NULL,
    home_unit    TEXT NOT NULL,
    host_unit_id BIGINT NOT NULL REFERENCES units(id),
    purpose      TEXT NOT NULL DEFAULT '',
    state        TEXT NOT NULL,             -- pending | verified | refused
    verified_by  TEXT NOT NULL DEFAULT '',  -- partner | approver
    decided_by   BIGINT REFERENCES users(id),
    decided_name TEXT NOT NULL DEFAULT '',
    reason       TEXT NOT NULL DEFAULT '',  -- why refused (or the home platform's answer)
    decided_at   {{ts}},
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_visitors_host ON visitors(host_unit_id, state);

-- SMS verification codes: only a salted SHA-256 of the code is kept; a code
-- expires, is used once and burns after five wrong tries. Sending is
-- limited per mobile and per address by counting these rows.
CREATE TABLE sms_codes (
    id         {{pk}},
    mobile     TEXT NOT NULL,
    purpose    TEXT NOT NULL,
    salt       TEXT NOT NULL,
    code_hash  TEXT NOT NULL,
    ip         TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 0,
    expires_at {{ts}} NOT NULL,
    used_at    {{ts}},
    created_at {{ts}} NOT NULL
);
CREATE INDEX ix_sms_codes_mobile ON sms_codes(mobile, created_at);
CREATE INDEX ix_sms_codes_ip ON sms_codes(ip, created_at);

-- A visitor's booking: a Changzhou platform vehicle (paid use) or a rental
-- vehicle, both an order of the city (order_id), or a ride-hailing car of a
-- provider (the ride_* columns).
CREATE TABLE visitor_bookings (
    id                {{pk}},
    no                TEXT NOT NULL UNIQUE,
    visitor_id        BIGINT NOT NULL REFERENCES visitors(id),
    kind              TEXT NOT NULL,            -- platform | rental | ridehail
    order_id          BIGINT REFERENCES orders(id),
    vehicle_type      TEXT NOT NULL DEFAULT '', -- the paid-use tariff applied
    fee_fen           BIGINT,
    fee_note          TEXT NOT NULL DEFAULT '',
    provider          TEXT NOT NULL DEFAULT '',
    ride_state        TEXT NOT NULL DEFAULT '',
    pickup_place      TEXT NOT NULL DEFAULT '',
    destination       TEXT NOT NULL DEFAULT '',
    cities            TEXT NOT NULL DEFAULT '',
    window_start      {{ts}},
    window_end        {{ts}},
    cap_fen           BIGINT,
    provider_app_id   TEXT NOT NULL DEFAULT '',
    provider_order_id TEXT NOT NULL DEFAULT '',
    driver_name       TEXT NOT NULL DEFAULT '',
    driver_phone      TEXT NOT NULL DEFAULT '',
    car_plate         TEXT NOT NULL DEFAULT '',
    car_desc          TEXT NOT NULL DEFAULT '',
    finished_at       {{ts}},
    rating            INTEGER,
    rating_comment    TEXT NOT NULL DEFAULT '',
    rated_at          {{ts}},
    created_at        {{ts}} NOT NULL,
    updated_at        {{ts}} NOT NULL
);
CREATE INDEX ix_visitor_bookings_visitor ON visitor_bookings(visitor_id, created_at);
CREATE INDEX ix_visitor_bookings_order ON visitor_bookings(order_id);
CREATE INDEX ix_visitor_bookings_app ON visitor_bookings(provider_app_id);

-- Every callback of a ride-hailing provider, applied or refused (unsigned,
-- replayed, going backwards, above the cap), with the reason.
CREATE TABLE ride_callbacks (
    id          {{pk}},
    booking_id  BIGINT REFERENCES visitor_bookings(id),
    event_id    TEXT NOT NULL DEFAULT '',
    nonce       TEXT NOT NULL DEFAULT '',
    status      TEXT NOT NULL DEFAULT '',
    fee_fen     BIGINT,
    verdict     TEXT NOT NULL,              -- applied | duplicate | refused
    message     TEXT NOT NULL DEFAULT '',
    body        TEXT NOT NULL,
    ip          TEXT NOT NULL DEFAULT '',
    received_at {{ts}} NOT NULL
);
CREATE INDEX ix_ride_callbacks_booking ON ride_callbacks(booking_id, id);
CREATE INDEX ix_ride_callbacks_event ON ride_callbacks(event_id);
CREATE TABLE ride_nonces (
    nonce   TEXT PRIMARY KEY,
    seen_at {{ts}} NOT NULL
);

-- The paid-use tariff of platform vehicles lent to visitors (有偿使用), by
-- vehicle type (seats); a small table of its own until the partner
-- platforms' tariffs are unified.
CREATE TABLE paid_use_tariffs (
    vehicle_type TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    max_seats    INTEGER NOT NULL,
    day_fen      BIGINT NOT NULL,
    half_day_fen BIGINT NOT NULL,
    km_fen       BIGINT NOT NULL
);
INSERT INTO paid_use_tariffs (vehicle_type, name, max_seats, day_fen, half_day_fen, km_fen) VALUES
    ('sedan', '轿车', 5, 18000, 10000, 120),
    ('mpv', '商务车', 9, 26000, 15000, 180),
    ('bus', '中型客车', 99, 52000, 30000, 300);
