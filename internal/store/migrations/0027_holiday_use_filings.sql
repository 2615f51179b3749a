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

-- Holiday use recorded before as a note on the order becomes a filing
-- waiting for the authority's review.
INSERT INTO holiday_filings (order_id, unit_id, authority_id, vehicle_id, holiday, reason, state, filed_by, filed_by_name, filed_at)
SELECT o.id, o.unit_id,
       COALESCE(CASE WHEN u.district_id <> u.id THEN u.district_id END, (SELECT MIN(c.id) FROM units AS c WHERE c.kind = 'city')),
       o.vehicle_id, '法定节假日封存', o.sealed_filing, 'pending', o.dispatcher_id, COALESCE(d.real_name, ''), o.updated_at
FROM orders AS o
JOIN units AS u ON u.id = o.unit_id
LEFT JOIN users AS d ON d.id = o.dispatcher_id
WHERE o.sealed_filing <> '' AND o.vehicle_id IS NOT NULL;
