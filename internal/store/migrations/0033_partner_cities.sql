-- Cross-region bookings between partner cities' platforms (R-18, issue 22).

-- Paid-use tariffs for partners' officials using this city's vehicles: a
-- named set of prices per vehicle type (by seats: sedan ≤5, mpv 6–9,
-- minibus 10–19, bus ≥20), in fen. Kept apart from any market-price table.
CREATE TABLE partner_tariffs (
    id         {{pk}},
    name       TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partner_tariffs_name ON partner_tariffs(name);

CREATE TABLE partner_tariff_rates (
    id           {{pk}},
    tariff_id    BIGINT NOT NULL REFERENCES partner_tariffs(id),
    vehicle_type TEXT NOT NULL,            -- sedan | mpv | minibus | bus
    day_fen      BIGINT NOT NULL,
    half_day_fen BIGINT NOT NULL,
    km_fen       BIGINT NOT NULL,
    market_day_fen BIGINT NOT NULL DEFAULT 0 -- the local rental market's day price, for the saving shown
);
CREATE UNIQUE INDEX ux_partner_tariff_rates ON partner_tariff_rates(tariff_id, vehicle_type);

-- A partner city's platform. code is the id the partner sends (X-Partner-Id),
-- self_code the id this platform sends to it. The secrets are sealed with
-- the data directory's master key (AES-GCM): a copy of the database alone
-- can neither sign nor verify.
CREATE TABLE partners (
    id               {{pk}},
    code             TEXT NOT NULL,
    name             TEXT NOT NULL,
    base_url         TEXT NOT NULL,
    self_code        TEXT NOT NULL,
    inbound_secret   TEXT NOT NULL,   -- sealed: the key the partner signs with
    outbound_secret  TEXT NOT NULL,   -- sealed: the key this platform signs with
    tariff_id        BIGINT REFERENCES partner_tariffs(id),
    active           BOOLEAN NOT NULL DEFAULT TRUE,
    created_by       BIGINT NOT NULL REFERENCES users(id),
    checked_at       {{ts}},
    reachable        BOOLEAN NOT NULL DEFAULT FALSE,
    check_error      TEXT NOT NULL DEFAULT '',
    last_in_at       {{ts}},
    last_out_at      {{ts}},
    created_at       {{ts}} NOT NULL,
    updated_at       {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partners_code ON partners(code);
CREATE UNIQUE INDEX ux_partners_name ON partners(name);

-- A booking shared with a partner: out (our official, their vehicle) or in
-- (their official, our vehicle). ref names it on both platforms.
CREATE TABLE partner_bookings (
    id            {{pk}},
    partner_id    BIGINT NOT NULL REFERENCES partners(id),
    direction     TEXT NOT NULL,            -- out | in
    ref           TEXT NOT NULL,
    order_id      BIGINT NOT NULL REFERENCES orders(id),
    status        TEXT NOT NULL,            -- requested accepted assigned started finished fee | refused cancelled
    plate         TEXT NOT NULL DEFAULT '',
    vehicle_type  TEXT NOT NULL DEFAULT '',
    driver_name   TEXT NOT NULL DEFAULT '',
    driver_phone  TEXT NOT NULL DEFAULT '',
    distance_m    BIGINT NOT NULL DEFAULT 0,
    fee_fen       BIGINT,
    market_fen    BIGINT,
    fee_note      TEXT NOT NULL DEFAULT '',
    fee_at        {{ts}},
    seq           INTEGER NOT NULL DEFAULT 0, -- last message number sent for it
    created_at    {{ts}} NOT NULL,
    updated_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partner_bookings_ref ON partner_bookings(partner_id, direction, ref);
CREATE UNIQUE INDEX ux_partner_bookings_order ON partner_bookings(order_id);

-- Every message to a partner, written in the transaction of the change it
-- reports and delivered by the job: retries with back-off, in seq order per
-- booking (ref), each under its idempotency key.
CREATE TABLE partner_outbox (
    id          {{pk}},
    partner_id  BIGINT NOT NULL REFERENCES partners(id),
    msg_key     TEXT NOT NULL,
    ref         TEXT NOT NULL DEFAULT '',
    seq         INTEGER NOT NULL DEFAULT 0,
    kind        TEXT NOT NULL,
    body        TEXT NOT NULL,
    state       TEXT NOT NULL,            -- pending | sent | rejected
    attempts    INTEGER NOT NULL DEFAULT 0,
    next_at     {{ts}} NOT NULL,
    last_error  TEXT NOT NULL DEFAULT '',
    created_at  {{ts}} NOT NULL,
    sent_at     {{ts}}
);
CREATE UNIQUE INDEX ux_partner_outbox_key ON partner_outbox(msg_key);
CREATE INDEX ix_partner_outbox_pending ON partner_outbox(state, next_at);
CREATE INDEX ix_partner_outbox_ref ON partner_outbox(partner_id, ref, seq);

-- Messages received and applied: a repeat of a key is answered, not applied.
CREATE TABLE partner_inbox (
    id          {{pk}},
    partner_id  BIGINT NOT NULL REFERENCES partners(id),
    msg_key     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    ref         TEXT NOT NULL DEFAULT '',
    received_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partner_inbox_key ON partner_inbox(partner_id, msg_key);

-- Nonces of signed partner requests (replays are refused).
CREATE TABLE partner_nonces (
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    nonce      TEXT NOT NULL,
    seen_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partner_nonces ON partner_nonces(partner_id, nonce);

-- What was refused or failed between the platforms, in words.
CREATE TABLE partner_log (
    id          {{pk}},
    partner_id  BIGINT REFERENCES partners(id),
    at          {{ts}} NOT NULL,
    direction   TEXT NOT NULL,            -- in | out | local
    kind        TEXT NOT NULL DEFAULT '',
    msg_key     TEXT NOT NULL DEFAULT '',
    message     TEXT NOT NULL
);
CREATE INDEX ix_partner_log_partner ON partner_log(partner_id, id);

-- Monthly settlement per partner: what it owes (their officials in our
-- vehicles) and what we owe (ours in theirs), confirmed by both sides.
CREATE TABLE partner_settlements (
    id                   {{pk}},
    partner_id           BIGINT NOT NULL REFERENCES partners(id),
    month                TEXT NOT NULL,   -- YYYY-MM (Beijing)
    in_count             INTEGER NOT NULL,
    in_fen               BIGINT NOT NULL,
    out_count            INTEGER NOT NULL,
    out_fen              BIGINT NOT NULL,
    market_fen           BIGINT NOT NULL DEFAULT 0,
    confirmed_at         {{ts}},
    confirmed_by_name    TEXT NOT NULL DEFAULT '',
    partner_confirmed_at {{ts}},
    partner_in_fen       BIGINT,          -- the partner's figures as it confirmed them (its out = our in)
    partner_out_fen      BIGINT,
    created_at           {{ts}} NOT NULL,
    updated_at           {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_partner_settlements ON partner_settlements(partner_id, month);
