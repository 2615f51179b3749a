-- The audit log is append-only (R-27): the database refuses to change or
-- delete its rows. Tampering by someone who drops the triggers is still
-- caught by the hash chain (audit.Verify).
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
