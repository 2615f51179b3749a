-- Booking and dispatch (R-13), emergency use with after-filing (R-14),
-- holidays and sealing (R-15), and in-app notifications.

-- The working calendar: statutory holidays and make-up working days,
-- seeded from a maintained library and editable by the administrator.
CREATE TABLE calendar_days (
    day        TEXT PRIMARY KEY,         -- YYYY-MM-DD (Beijing date)
    kind       TEXT NOT NULL,            -- holiday | workday
    name       TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL DEFAULT 'seed', -- seed | admin
    updated_at {{ts}} NOT NULL
);

-- Per-unit booking rules: a second approval level for out-of-city trips.
CREATE TABLE booking_rules (
    unit_id                     BIGINT PRIMARY KEY REFERENCES units(id),
    second_approval_out_of_city BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at                  {{ts}} NOT NULL
);

-- A vehicle manager's standing consent to dispatch the unit's vehicles
-- (R-13(3)); without one, each dispatch waits for the manager's consent.
CREATE TABLE dispatch_delegations (
    id              {{pk}},
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    granted_by      BIGINT NOT NULL REFERENCES users(id),
    granted_by_name TEXT NOT NULL,
    note            TEXT NOT NULL DEFAULT '',
    created_at      {{ts}} NOT NULL,
    revoked_at      {{ts}}
);
CREATE INDEX ix_dispatch_delegations_unit ON dispatch_delegations(unit_id);

CREATE TABLE orders (
    id              {{pk}},
    no              TEXT NOT NULL,
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    applicant_id    BIGINT NOT NULL REFERENCES users(id),
    applicant_name  TEXT NOT NULL,
    reason          TEXT NOT NULL,
    passengers      TEXT NOT NULL DEFAULT '',
    passenger_count INTEGER NOT NULL,
    contact_phone   TEXT NOT NULL DEFAULT '',
    pickup_place    TEXT NOT NULL,
    destinations    TEXT NOT NULL,           -- JSON array of places
    pickup_at       {{ts}} NOT NULL,
    return_at       {{ts}} NOT NULL,
    out_of_city     BOOLEAN NOT NULL DEFAULT FALSE,
    category        TEXT NOT NULL DEFAULT '', -- needed R-4 category; '' any
    approvals_needed INTEGER NOT NULL DEFAULT 1,
    approvals_done  INTEGER NOT NULL DEFAULT 0,
    state           TEXT NOT NULL,
    vehicle_id      BIGINT REFERENCES vehicles(id),
    driver_id       BIGINT REFERENCES drivers(id),
    dispatcher_id   BIGINT REFERENCES users(id),
    consent         TEXT NOT NULL DEFAULT '',  -- delegation | manager
    sealed_filing   TEXT NOT NULL DEFAULT '',  -- R-15: reason filed to use a sealed vehicle
    start_odometer  INTEGER,
    end_odometer    INTEGER,
    departed_at     {{ts}},
    finished_at     {{ts}},
    returned_at     {{ts}},
    parking_place   TEXT NOT NULL DEFAULT '',
    rating          INTEGER,
    rating_comment  TEXT NOT NULL DEFAULT '',
    rated_at        {{ts}},
    note            TEXT NOT NULL DEFAULT '',  -- last return / cancel reason
    created_at      {{ts}} NOT NULL,
    updated_at      {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_orders_no ON orders(no);
CREATE INDEX ix_orders_vehicle ON orders(vehicle_id, pickup_at);
CREATE INDEX ix_orders_driver ON orders(driver_id, pickup_at);
CREATE INDEX ix_orders_unit_state ON orders(unit_id, state);
CREATE INDEX ix_orders_state_pickup ON orders(state, pickup_at);
CREATE INDEX ix_orders_applicant ON orders(applicant_id, created_at);
CREATE INDEX ix_orders_pickup ON orders(pickup_at);

-- The order's timeline: every transition with time and actor.
CREATE TABLE order_events (
    id         {{pk}},
    order_id   BIGINT NOT NULL REFERENCES orders(id),
    at         {{ts}} NOT NULL,
    actor_id   BIGINT,
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_order_events_order ON order_events(order_id, id);

CREATE TABLE order_attachments (
    id           {{pk}},
    order_id     BIGINT NOT NULL REFERENCES orders(id),
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_order_attachments_order ON order_attachments(order_id);

-- Changes on the way reported by the driver (R-13(4)).
CREATE TABLE order_changes (
    id               {{pk}},
    order_id         BIGINT NOT NULL REFERENCES orders(id),
    reported_at      {{ts}} NOT NULL,
    reported_by      BIGINT NOT NULL,
    destination      TEXT NOT NULL DEFAULT '',
    return_at        {{ts}},
    note             TEXT NOT NULL DEFAULT '',
    acknowledged_by  BIGINT,
    acknowledged_at  {{ts}}
);
CREATE INDEX ix_order_changes_order ON order_changes(order_id);

-- Emergency use (R-14): used offline first, filed within 48 hours. Opened
-- by the unit itself or, later, by telematics for a trip without an order.
CREATE TABLE emergency_filings (
    id           {{pk}},
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    vehicle_id   BIGINT NOT NULL REFERENCES vehicles(id),
    driver_id    BIGINT REFERENCES drivers(id),
    leader       TEXT NOT NULL DEFAULT '',   -- the consenting leader
    reason       TEXT NOT NULL DEFAULT '',
    started_at   {{ts}} NOT NULL,
    ended_at     {{ts}},
    deadline_at  {{ts}} NOT NULL,
    source       TEXT NOT NULL,              -- unit | trip
    source_ref   TEXT,                       -- trip reference when opened by telematics
    state        TEXT NOT NULL,              -- open | filed
    filed_at     {{ts}},
    filed_by     BIGINT,
    filed_late   BOOLEAN NOT NULL DEFAULT FALSE,
    escalated_at {{ts}},
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_emergency_filings_unit ON emergency_filings(unit_id, state);
CREATE INDEX ix_emergency_filings_deadline ON emergency_filings(state, deadline_at);
CREATE UNIQUE INDEX ux_emergency_filings_source_ref ON emergency_filings(source_ref);

CREATE TABLE notifications (
    id         {{pk}},
    user_id    BIGINT NOT NULL REFERENCES users(id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL DEFAULT '',
    link       TEXT NOT NULL DEFAULT '',
    created_at {{ts}} NOT NULL,
    read_at    {{ts}}
);
CREATE INDEX ix_notifications_user ON notifications(user_id, id);
