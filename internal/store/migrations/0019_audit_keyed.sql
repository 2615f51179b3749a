-- Issue 19: the audit chain is keyed. alg says how a row's hash was made:
-- '' for the rows written before (SHA-256 of the row, no key; they stay
-- verifiable), 'hmac-sha256:<key id>' for the MAC under a key kept outside
-- the database; an unkeyed row after a keyed one fails verification.
-- audit_head.mac authenticates the head (seq and hash), so that a cut tail
-- with the head set back is detected. Adding columns fires no trigger.
ALTER TABLE audit_log ADD COLUMN alg TEXT NOT NULL DEFAULT '';
ALTER TABLE audit_head ADD COLUMN mac TEXT NOT NULL DEFAULT '';
