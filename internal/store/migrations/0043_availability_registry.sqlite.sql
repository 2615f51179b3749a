-- The registry's version for integrated dispatch (issue 21, performance):
-- availability keeps every dispatchable vehicle's registry facts (unit,
-- plate, model, type, status, pool) in memory with the version it read them
-- at, and reads them again only when the version has moved. Triggers move
-- it on every change of those facts, whoever writes them (fleet, repairs,
-- sealing, disposal, transfers, pools, units renamed or moved); the orders,
-- holidays and shifts of a window are read each time.
CREATE TABLE dispatch_registry_version (version BIGINT NOT NULL);
INSERT INTO dispatch_registry_version (version) VALUES (1);
CREATE TRIGGER tr_dispatch_vehicles_insert AFTER INSERT ON vehicles
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_vehicles_delete AFTER DELETE ON vehicles
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_vehicles_update AFTER UPDATE OF unit_id, plate, brand, model, seats, vehicle_class, category, status, exempt ON vehicles
WHEN OLD.unit_id IS NOT NEW.unit_id OR OLD.plate IS NOT NEW.plate OR OLD.brand IS NOT NEW.brand OR OLD.model IS NOT NEW.model
    OR OLD.seats IS NOT NEW.seats OR OLD.vehicle_class IS NOT NEW.vehicle_class OR OLD.category IS NOT NEW.category
    OR OLD.status IS NOT NEW.status OR OLD.exempt IS NOT NEW.exempt
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_units_update AFTER UPDATE OF name, path ON units
WHEN OLD.name IS NOT NEW.name OR OLD.path IS NOT NEW.path
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_pool_insert AFTER INSERT ON pool_vehicles
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_pool_delete AFTER DELETE ON pool_vehicles
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
CREATE TRIGGER tr_dispatch_pool_update AFTER UPDATE OF level_id, vehicle_id ON pool_vehicles
BEGIN UPDATE dispatch_registry_version SET version = version + 1; END;
-- The orders holding vehicles over a window (booking.Holdings: availability,
-- the boards) are read from this index alone: only the holding states are in
-- it, never the million closed orders, and it carries every column read (the
-- id is the rowid), so no order row is visited. The state leads, as in
-- ix_orders_state_pickup, which SQLite would otherwise prefer.
DROP INDEX ix_orders_holding;
CREATE INDEX ix_orders_holding ON orders(state, pickup_at, return_at, vehicle_id, driver_id, task_id, no)
    WHERE state IN ('pending_consent', 'dispatched', 'departed', 'finished');
-- Availability no longer reads the vehicles by type and status each time
-- (0037's covering index served that read only).
DROP INDEX ix_vehicles_availability;
