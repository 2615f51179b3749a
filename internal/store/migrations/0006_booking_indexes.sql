-- The dispatch suggestions rank vehicles by their orders this month: a
-- covering index answers that count without reading the orders table
-- (1,000,000 orders: the month's 30,000 index entries only).
CREATE INDEX ix_orders_pickup_vehicle_state ON orders(pickup_at, vehicle_id, state);
