-- Issue 23 part 4: the market-price equivalent of every trip served (the savings rate's market basis,
-- docs/savings-rate.md). One row per order that ran with a vehicle, priced by the ten-minute job at the
-- market reference price in force on its pick-up day; counted at the unit of the vehicle that served it.
CREATE TABLE market_prices (
    order_id     BIGINT PRIMARY KEY REFERENCES orders(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    unit_path    TEXT NOT NULL,
    pickup_at    {{ts}} NOT NULL,
    vehicle_type TEXT NOT NULL,
    days         INTEGER NOT NULL,
    half_days    INTEGER NOT NULL,
    market_fen   BIGINT,                          -- NULL: no market price for the type on the day yet
    computed_at  {{ts}} NOT NULL
);
CREATE INDEX market_prices_pickup ON market_prices (pickup_at, unit_path);
