-- Login throttling (issue 19, item 4; internal/auth/throttle.go).
--
-- Failures are counted per user name (existing or not, so an unknown name
-- is answered exactly like a known one) and source address; the row with
-- source '' counts the failures from every source the account has never
-- logged in from. An attempt is counted before its password is hashed, in
-- one UPDATE, so parallel attempts can never evaluate more than the limit.
CREATE TABLE login_attempts (
    username       TEXT NOT NULL,
    source         TEXT NOT NULL,
    failures       INTEGER NOT NULL DEFAULT 0,
    last_failed_at {{ts}},
    wait_until     {{ts}},
    succeeded_at   {{ts}},
    PRIMARY KEY (username, source)
);

-- users.failed_logins is replaced by the rows above; users.locked_until now
-- shows the account-wide lock to administrators.
ALTER TABLE users DROP COLUMN failed_logins;
