-- The registry's version for integrated dispatch (issue 21, performance):
-- availability keeps every dispatchable vehicle's registry facts (unit,
-- plate, model, type, status, pool) in memory with the version it read them
-- at, and reads them again only when the version has moved. Triggers move
-- it on every change of those facts, whoever writes them (fleet, repairs,
-- sealing, disposal, transfers, pools, units renamed or moved); the orders,
-- holidays and shifts of a window are read each time. A writer holds the
-- version's row until it commits: registry writes are few.
CREATE TABLE dispatch_registry_version (version BIGINT NOT NULL);
INSERT INTO dispatch_registry_version (version) VALUES (1);
CREATE FUNCTION dispatch_registry_changed() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE dispatch_registry_version SET version = version + 1; RETURN NULL; END $$;
CREATE TRIGGER tr_dispatch_vehicles_insert_delete AFTER INSERT OR DELETE ON vehicles FOR EACH STATEMENT EXECUTE FUNCTION dispatch_registry_changed();
CREATE TRIGGER tr_dispatch_vehicles_update AFTER UPDATE ON vehicles FOR EACH ROW
WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id OR OLD.plate IS DISTINCT FROM NEW.plate OR OLD.brand IS DISTINCT FROM NEW.brand
    OR OLD.model IS DISTINCT FROM NEW.model OR OLD.seats IS DISTINCT FROM NEW.seats OR OLD.vehicle_class IS DISTINCT FROM NEW.vehicle_class
    OR OLD.category IS DISTINCT FROM NEW.category OR OLD.status IS DISTINCT FROM NEW.status OR OLD.exempt IS DISTINCT FROM NEW.exempt)
EXECUTE FUNCTION dispatch_registry_changed();
CREATE TRIGGER tr_dispatch_units_update AFTER UPDATE ON units FOR EACH ROW
WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.path IS DISTINCT FROM NEW.path)
EXECUTE FUNCTION dispatch_registry_changed();
CREATE TRIGGER tr_dispatch_pool AFTER INSERT OR DELETE OR UPDATE ON pool_vehicles FOR EACH STATEMENT EXECUTE FUNCTION dispatch_registry_changed();
-- The orders holding vehicles over a window (booking.Holdings: availability,
-- the boards) are read from this index: only the holding states are in it,
-- never the million closed orders, and it carries every column read.
DROP INDEX ix_orders_holding;
CREATE INDEX ix_orders_holding ON orders(pickup_at, return_at, vehicle_id, driver_id) INCLUDE (id, no, task_id)
    WHERE state IN ('pending_consent', 'dispatched', 'departed', 'finished');
-- Availability no longer reads the vehicles by type and status each time
-- (0037's covering index served that read only).
DROP INDEX ix_vehicles_availability;
