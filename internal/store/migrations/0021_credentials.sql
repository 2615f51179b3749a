-- Credentials die with their owner's control (issue 19 item 5). A personal
-- API token expires: expires_at is set when it is created (the security
-- policy's token_days at most, internal/auth/credentials.go); tokens made
-- before this migration have none and expire token_days after created_at.
-- A revocation records why (by its owner, an administrator, or with the
-- owner's password change or reset, lock or deactivation).
ALTER TABLE api_tokens ADD COLUMN expires_at {{ts}};
ALTER TABLE api_tokens ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE company_api_keys ADD COLUMN revoked_reason TEXT NOT NULL DEFAULT '';

-- Every credential of an account is revoked at once.
CREATE INDEX ix_api_tokens_user ON api_tokens(user_id);
CREATE INDEX ix_company_api_keys_user ON company_api_keys(user_id);
