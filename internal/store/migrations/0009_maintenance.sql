-- Maintenance (R-22) and rental (R-21, R-29(2)).

-- Repair approval thresholds per node of the hierarchy (city, district or
-- unit); a node without a row uses its nearest ancestor's, the root the
-- built-in defaults. A level may only tighten what the level above set.
CREATE TABLE repair_thresholds (
    unit_id    BIGINT PRIMARY KEY REFERENCES units(id),
    tier1_fen  BIGINT NOT NULL, -- up to this: the unit's vehicle manager approves
    tier2_fen  BIGINT NOT NULL, -- up to this: the unit administrator or an approver
    updated_by BIGINT REFERENCES users(id),
    updated_at {{ts}} NOT NULL
);

-- A repair or maintenance job: requested by a driver, estimated, approved
-- by the approver its budget needs, assigned to a designated shop, quoted
-- item by item by the shop, reviewed and closed (cost to the ledger).
CREATE TABLE repair_jobs (
    id              {{pk}},
    no              TEXT NOT NULL,
    vehicle_id      BIGINT NOT NULL REFERENCES vehicles(id),
    unit_id         BIGINT NOT NULL REFERENCES units(id),
    kind            TEXT NOT NULL,             -- repair | maintenance
    problem         TEXT NOT NULL,
    state           TEXT NOT NULL,             -- requested | estimated | approved | rejected | assigned | quoted | reviewed | closed
    requested_by    BIGINT NOT NULL REFERENCES users(id),
    requested_name  TEXT NOT NULL,
    requested_at    {{ts}} NOT NULL,
    budget_fen      BIGINT NOT NULL DEFAULT 0,
    estimate_note   TEXT NOT NULL DEFAULT '',
    approval_tier   INTEGER NOT NULL DEFAULT 0, -- 1 vehicle manager, 2 unit, 3 platform
    approved_by     BIGINT REFERENCES users(id),
    approved_at     {{ts}},
    shop_company_id BIGINT REFERENCES companies(id),
    quoted_fen      BIGINT NOT NULL DEFAULT 0,  -- sum of the shop's items
    final_fen       BIGINT,                     -- confirmed amount, at close
    prev_status     TEXT NOT NULL DEFAULT '',   -- the vehicle's status before the job took it
    note            TEXT NOT NULL DEFAULT '',   -- last rejection reason
    closed_at       {{ts}},
    created_at      {{ts}} NOT NULL,
    updated_at      {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_repair_jobs_no ON repair_jobs(no);
CREATE INDEX ix_repair_jobs_vehicle ON repair_jobs(vehicle_id, requested_at);
CREATE INDEX ix_repair_jobs_unit_state ON repair_jobs(unit_id, state);
CREATE INDEX ix_repair_jobs_shop ON repair_jobs(shop_company_id, state);

-- The shop's work items; line amount = quantity × unit price.
CREATE TABLE repair_items (
    id             {{pk}},
    job_id         BIGINT NOT NULL REFERENCES repair_jobs(id),
    kind           TEXT NOT NULL,               -- part | labour
    name           TEXT NOT NULL,
    quantity       INTEGER NOT NULL,
    unit_price_fen BIGINT NOT NULL,
    amount_fen     BIGINT NOT NULL,
    review         TEXT NOT NULL DEFAULT 'pending', -- pending | confirmed | disputed
    dispute_reason TEXT NOT NULL DEFAULT '',
    reviewed_by    BIGINT REFERENCES users(id),
    reviewed_at    {{ts}},
    created_at     {{ts}} NOT NULL,
    updated_at     {{ts}} NOT NULL
);
CREATE INDEX ix_repair_items_job ON repair_items(job_id, id);

-- Photos of the problem (driver) and of the invoices (shop).
CREATE TABLE repair_photos (
    id           {{pk}},
    job_id       BIGINT NOT NULL REFERENCES repair_jobs(id),
    kind         TEXT NOT NULL,                 -- problem | invoice
    blob_key     TEXT NOT NULL,
    thumb_key    TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT REFERENCES users(id),
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_repair_photos_job ON repair_photos(job_id);

-- The job's timeline.
CREATE TABLE repair_events (
    id         {{pk}},
    job_id     BIGINT NOT NULL REFERENCES repair_jobs(id),
    at         {{ts}} NOT NULL,
    actor_id   BIGINT,
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,
    from_state TEXT NOT NULL DEFAULT '',
    to_state   TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_repair_events_job ON repair_events(job_id, id);

-- Rental companies' own registry of vehicles and drivers (R-21).
CREATE TABLE rental_vehicles (
    id         {{pk}},
    company_id BIGINT NOT NULL REFERENCES companies(id),
    plate      TEXT NOT NULL,
    model      TEXT NOT NULL,
    seats      INTEGER NOT NULL,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    created_at {{ts}} NOT NULL,
    updated_at {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_rental_vehicles_plate ON rental_vehicles(plate);
CREATE INDEX ix_rental_vehicles_company ON rental_vehicles(company_id);

CREATE TABLE rental_drivers (
    id            {{pk}},
    company_id    BIGINT NOT NULL REFERENCES companies(id),
    name          TEXT NOT NULL,
    phone         TEXT NOT NULL,
    licence_class TEXT NOT NULL,
    active        BOOLEAN NOT NULL DEFAULT TRUE,
    created_at    {{ts}} NOT NULL,
    updated_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_rental_drivers_company_id ON rental_drivers(company_id, phone);

-- An order handed to a rental company and what the company did with it.
CREATE TABLE rental_orders (
    id             {{pk}},
    order_id       BIGINT NOT NULL REFERENCES orders(id),
    company_id     BIGINT NOT NULL REFERENCES companies(id),
    unit_id        BIGINT NOT NULL REFERENCES units(id),
    state          TEXT NOT NULL,               -- handed | assigned | completed
    vehicle_id     BIGINT REFERENCES rental_vehicles(id),
    driver_id      BIGINT REFERENCES rental_drivers(id),
    start_mileage  INTEGER,                     -- km
    end_mileage    INTEGER,
    started_at     {{ts}},
    ended_at       {{ts}},
    fee_fen        BIGINT,
    on_time        BOOLEAN,                     -- started no later than the pickup time plus grace
    month          TEXT NOT NULL,               -- YYYY-MM of the pickup (Beijing), for the assessment
    handed_by      BIGINT REFERENCES users(id),
    created_at     {{ts}} NOT NULL,
    updated_at     {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_rental_orders_order ON rental_orders(order_id);
CREATE INDEX ix_rental_orders_company ON rental_orders(company_id, month);

-- The authority's monthly sign-off of a rental company's performance
-- (R-29(2)): the numbers as they were when signed, and the comment.
CREATE TABLE rental_assessments (
    id             {{pk}},
    company_id     BIGINT NOT NULL REFERENCES companies(id),
    month          TEXT NOT NULL,
    orders         INTEGER NOT NULL,
    completed      INTEGER NOT NULL,
    on_time        INTEGER NOT NULL,
    rated          INTEGER NOT NULL,
    rating_sum     INTEGER NOT NULL,
    complaints     INTEGER NOT NULL,
    fee_fen        BIGINT NOT NULL,
    grade          TEXT NOT NULL,               -- excellent | good | pass | fail
    comment        TEXT NOT NULL,
    signed_by      BIGINT NOT NULL REFERENCES users(id),
    signed_by_name TEXT NOT NULL,
    signed_at      {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_rental_assessments_company_id ON rental_assessments(company_id, month);
