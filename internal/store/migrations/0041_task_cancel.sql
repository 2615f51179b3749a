-- A support task cancelled by its authority (R-16, issue 21): who, when
-- and why. Its orders not yet departed are cancelled with it.
ALTER TABLE support_tasks ADD COLUMN cancel_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE support_tasks ADD COLUMN cancelled_by_name TEXT NOT NULL DEFAULT '';
ALTER TABLE support_tasks ADD COLUMN cancelled_at {{ts}};
