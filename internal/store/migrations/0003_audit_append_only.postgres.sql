-- The audit log is append-only (R-27): the database refuses to change or
-- delete its rows. Tampering by someone who drops the triggers is still
-- caught by the hash chain (audit.Verify).
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
