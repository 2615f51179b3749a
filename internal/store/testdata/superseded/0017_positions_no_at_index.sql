-- No index on positions(at) (issue 5, Performance). Its only reader was
-- retention, which now walks the primary key (terminal_phone, at) terminal
-- by terminal (internal/telematics/prune.go). On SQLite the index cost ~40 %
-- of the merge of the positions inbox: every merged row went into it at a
-- random place among the last seconds' entries (writer benchmark, 2,048
-- terminals: 62,000 → 104,000 positions/s stored). It also took ~40 bytes a
-- position on disk on both databases.
DROP INDEX ix_positions_at;
