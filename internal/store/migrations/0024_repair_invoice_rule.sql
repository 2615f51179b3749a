-- Issue 24 item 10: a repair job closes only with the shop's invoice photo,
-- unless a level waives it. Required by default; a level may waive it only
-- where the level above does not require it (like the budget thresholds, a
-- level only tightens what the level above allows).
ALTER TABLE repair_thresholds ADD COLUMN invoice_required BOOLEAN NOT NULL DEFAULT TRUE;
