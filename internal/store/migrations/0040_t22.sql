-- One tariff table (issue 22 part 5, issue 21 part 5): the paid-use
-- tariffs of partner cities' officials (partner_tariffs) and of visitors
-- (paid_use_tariffs) become rates of kind 'paid_use' beside the internal
-- tariff and the market reference prices (rates, savings.PriceUse prices
-- every use from it); partners no longer choose a tariff. Types map to
-- the rates' (by seats: sedan ≤5, business_van 6–9, minibus 10–19,
-- coach ≥20); the old tables had no dates, so the moved rows hold from
-- 2000-01-01, open-ended.

-- The partners' tariff: the one most partners used (else the first), per type.
INSERT INTO rates (kind, vehicle_type, day_fen, half_day_fen, km_fen, valid_from, valid_to, note, updated_at)
SELECT 'paid_use',
       CASE r.vehicle_type WHEN 'mpv' THEN 'business_van' WHEN 'bus' THEN 'coach' ELSE r.vehicle_type END,
       r.day_fen, r.half_day_fen, r.km_fen, '2000-01-01', NULL, '由异地用车收费标准「' || t.name || '」迁移', t.updated_at
FROM partner_tariff_rates r JOIN partner_tariffs t ON t.id = r.tariff_id
WHERE r.vehicle_type IN ('sedan', 'mpv', 'minibus', 'bus')
  AND t.id = COALESCE((SELECT p.tariff_id FROM partners p WHERE p.tariff_id IS NOT NULL GROUP BY p.tariff_id ORDER BY COUNT(*) DESC, p.tariff_id LIMIT 1),
                      (SELECT MIN(id) FROM partner_tariffs));

-- The visitors' tariff, for the types the partners' had no price for (its
-- 'bus', 10 seats and more, priced both minibus and coach).
INSERT INTO rates (kind, vehicle_type, day_fen, half_day_fen, km_fen, valid_from, valid_to, note, updated_at)
SELECT 'paid_use', m.vehicle_type, u.day_fen, u.half_day_fen, u.km_fen, '2000-01-01', NULL, '由来访人员有偿使用收费标准迁移', CURRENT_TIMESTAMP
FROM paid_use_tariffs u
JOIN (SELECT 'sedan' AS old_type, 'sedan' AS vehicle_type
      UNION ALL SELECT 'mpv', 'business_van'
      UNION ALL SELECT 'bus', 'minibus'
      UNION ALL SELECT 'bus', 'coach') m ON m.old_type = u.vehicle_type
WHERE NOT EXISTS (SELECT 1 FROM rates x WHERE x.kind = 'paid_use' AND x.vehicle_type = m.vehicle_type);

-- The partners' market day prices, for the types without a market reference
-- price at all (the half day in the tariff's proportion).
INSERT INTO rates (kind, vehicle_type, day_fen, half_day_fen, km_fen, valid_from, valid_to, note, updated_at)
SELECT 'market', x.vehicle_type, r.market_day_fen, (r.market_day_fen * r.half_day_fen + r.day_fen / 2) / r.day_fen, 0, '2000-01-01', NULL,
       '由异地用车收费标准的市场日租价迁移', CURRENT_TIMESTAMP
FROM rates x
JOIN partner_tariff_rates r ON r.vehicle_type = CASE x.vehicle_type WHEN 'business_van' THEN 'mpv' WHEN 'coach' THEN 'bus' ELSE x.vehicle_type END
WHERE x.kind = 'paid_use' AND x.note LIKE '由异地用车收费标准「%' AND r.market_day_fen > 0 AND r.day_fen > 0
  AND r.tariff_id = COALESCE((SELECT p.tariff_id FROM partners p WHERE p.tariff_id IS NOT NULL GROUP BY p.tariff_id ORDER BY COUNT(*) DESC, p.tariff_id LIMIT 1),
                             (SELECT MIN(id) FROM partner_tariffs))
  AND NOT EXISTS (SELECT 1 FROM rates y WHERE y.kind = 'market' AND y.vehicle_type = x.vehicle_type);

ALTER TABLE partners DROP COLUMN tariff_id;
DROP TABLE partner_tariff_rates;
DROP TABLE partner_tariffs;
DROP TABLE paid_use_tariffs;

-- The market price a paid use replaced and its saving (savings.PriceUse),
-- on the booking and summed on the partner's statement.
ALTER TABLE partner_bookings ADD COLUMN saving_fen BIGINT;
UPDATE partner_bookings SET saving_fen = market_fen - fee_fen WHERE market_fen IS NOT NULL AND fee_fen IS NOT NULL;
ALTER TABLE partner_settlements ADD COLUMN saving_fen BIGINT NOT NULL DEFAULT 0;
UPDATE partner_settlements SET saving_fen = market_fen - in_fen WHERE market_fen > 0;
ALTER TABLE visitor_bookings ADD COLUMN market_fen BIGINT;
ALTER TABLE visitor_bookings ADD COLUMN saving_fen BIGINT;
