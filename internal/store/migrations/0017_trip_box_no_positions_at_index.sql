-- Positions are read by terminal only (issue 5, Performance; R-13, R-15).
--
-- Each trip keeps the box of its positions (min/max latitude and longitude,
-- micro-degrees; the trips builder's Draft.Box). Supervision's area rule
-- reads the positions of the trips whose box leaves the allowed area's,
-- each through position_days and the (terminal_phone, at) key, instead of
-- scanning every position of a day and more by time. NULL for the trips
-- built before: the rule reads their positions.
ALTER TABLE trips ADD COLUMN min_lat BIGINT;
ALTER TABLE trips ADD COLUMN max_lat BIGINT;
ALTER TABLE trips ADD COLUMN min_lng BIGINT;
ALTER TABLE trips ADD COLUMN max_lng BIGINT;

-- With that, and the overnight rule seeking each vehicle's last position
-- before its check time, nothing reads positions by time across terminals
-- any more, so the index on at goes. On SQLite it cost ~40 % of the merge
-- of the positions inbox: every merged row went into it at a random place
-- among the last seconds' entries (writer benchmark, 2,048 terminals:
-- 62,000 → 104,000 positions/s stored). It also took ~40 bytes a position
-- on disk on both databases. Retention walks the primary key terminal by
-- terminal (internal/telematics/prune.go). A binary from before this
-- migration needs the index back (CREATE INDEX ix_positions_at ON
-- positions(at); CONCURRENTLY on PostgreSQL) or its rules scan the table.
-- IF EXISTS: a database that applied the superseded 0017
-- (0017_positions_no_at_index.sql, which only dropped the index) gets this
-- one applied on top of it (store.superseded).
DROP INDEX IF EXISTS ix_positions_at;
