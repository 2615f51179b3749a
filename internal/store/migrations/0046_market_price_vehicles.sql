-- The savings rate's market basis compares the market price of the trips served with the ledger costs of
-- the vehicles that served them (docs/savings-rate.md): each kept price names its vehicle.
ALTER TABLE market_prices ADD COLUMN vehicle_id BIGINT;
UPDATE market_prices SET vehicle_id = (SELECT o.vehicle_id FROM orders AS o WHERE o.id = market_prices.order_id);
