-- The dispatch suggestions rank vehicles by their orders this month: a
-- covering index answers that count without reading the orders table
-- (1,000,000 orders: the month's 30,000 index entries only).
CREATE INDEX ix_orders_pickup_vehicle_state ON orders(pickup_at, vehicle_id, state);

-- The suggestions read five columns of every vehicle in the dispatcher's
-- scope; this index holds them all, so SQLite need not visit the wide rows.
CREATE INDEX ix_vehicles_dispatch ON vehicles(unit_id, status, exempt, seats, category);
