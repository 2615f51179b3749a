-- A version per period of the cost ledger's kept totals (issue 24 item 11):
-- every ledger write (ledger.keep, inside the writer's transaction) adds one
-- to the version of the month and the year it changes, and ledger.Rebuild to
-- every period. The 费用台账 summary of a node and period is kept in memory
-- with the version it was computed at and served again while that version
-- stands, so several people reading a city's month cost one query, not one each.
CREATE TABLE cost_versions (
    period  TEXT PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO cost_versions (period, version) SELECT DISTINCT period, 1 FROM cost_totals;
