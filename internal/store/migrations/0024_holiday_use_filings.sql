-- Holiday use filed with the authority (R-15): a sealed vehicle dispatched
-- on a statutory holiday is filed with the administration of the unit's
-- level above (its district, else the city), which approves or returns it.
CREATE TABLE holiday_filings (
    id               {{pk}},
    order_id         BIGINT NOT NULL UNIQUE REFERENCES orders(id),
    unit_id          BIGINT NOT NULL REFERENCES units(id),
    authority_id     BIGINT NOT NULL REFERENCES units(id),
    vehicle_id       BIGINT NOT NULL REFERENCES vehicles(id),
    holiday          TEXT NOT NULL,              -- e.g. 2026-10-02 国庆节
    reason           TEXT NOT NULL,
    state            TEXT NOT NULL,              -- pending | approved | returned
    filed_by         BIGINT REFERENCES users(id),
    filed_by_name    TEXT NOT NULL,
    filed_at         {{ts}} NOT NULL,
    reviewed_by      BIGINT REFERENCES users(id),
    reviewed_by_name TEXT NOT NULL DEFAULT '',
    reviewed_at      {{ts}},
    review_note      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX holiday_filings_authority ON holiday_filings (authority_id, state, filed_at);
CREATE INDEX holiday_filings_unit ON holiday_filings (unit_id, filed_at);
