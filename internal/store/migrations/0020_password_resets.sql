-- Password resets by one-time code (issue 19): an administrator's reset
-- never shows a password. With an SMS sender and a phone on the account the
-- code goes to the owner at once; otherwise (and for the city's three
-- administrators, who reset one another only two together) the request
-- waits for a second administrator's approval, which issues the code.
-- code_hash is empty while the request waits; the code is argon2id-hashed.
CREATE TABLE password_resets (
    id           {{pk}},
    user_id      BIGINT NOT NULL REFERENCES users(id),
    requested_by BIGINT NOT NULL REFERENCES users(id),
    approved_by  BIGINT REFERENCES users(id),
    code_hash    TEXT NOT NULL DEFAULT '',
    delivery     TEXT NOT NULL DEFAULT '',   -- sms | link; '' while waiting
    attempts     INTEGER NOT NULL DEFAULT 0, -- wrong codes entered
    created_at   {{ts}} NOT NULL,
    expires_at   {{ts}} NOT NULL,            -- of the request, then of the code
    used_at      {{ts}}
);
CREATE INDEX ix_password_resets_user ON password_resets(user_id);
