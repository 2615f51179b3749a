-- A re-import of a month keeps the batch it replaces (issue 24 item 6):
-- its records stay, marked with the time they were replaced, so their
-- flags keep their evidence and the batch can be restored. Current records
-- have replaced_at NULL (as their import has).
ALTER TABLE fuel_records ADD COLUMN replaced_at {{ts}};
CREATE INDEX ix_fuel_records_import ON fuel_records(import_id);
