-- A SIM number is not an identity (issue 20 item 1; R-26).
--
-- auth_hash: SHA-256 (hex) of the authentication code the last accepted
-- registration (0x0100) issued: random per registration, so re-registering
-- issues a new code and the old one stops working. Empty: not registered
-- since this migration — the terminal registers again, which it does by
-- protocol when authentication fails.
-- refused_*: the last registration the registry refused (terminal ID, maker
-- or plate not those registered), for the terminal's page.
ALTER TABLE terminals ADD COLUMN auth_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE terminals ADD COLUMN registered_at {{ts}};
ALTER TABLE terminals ADD COLUMN refused_at {{ts}};
ALTER TABLE terminals ADD COLUMN refused_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE terminals ADD COLUMN refused_from TEXT NOT NULL DEFAULT '';
