-- Kept totals of the cost ledger (issue 24 item 11): the sum and count of
-- cost_entries per period — each Beijing month (YYYY-MM) and each year
-- (YYYY) — unit (with the path the entries carry), vehicle (0: costs of the
-- unit without a vehicle) and kind, maintained in the transaction of every
-- ledger write (ledger.Post, ledger.Withdraw), so the 费用台账 summary of a
-- month or a year reads a few hundred rows instead of summing every entry.
-- ledger.Rebuild recomputes them from cost_entries.
CREATE TABLE cost_totals (
    period     TEXT NOT NULL,
    unit_path  TEXT NOT NULL,
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    vehicle_id BIGINT NOT NULL,
    kind       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    entries    BIGINT NOT NULL,
    PRIMARY KEY (period, unit_path, unit_id, vehicle_id, kind)
);
INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries)
SELECT month, unit_path, unit_id, COALESCE(vehicle_id, 0), kind, SUM(amount_fen), COUNT(*)
FROM cost_entries GROUP BY month, unit_path, unit_id, COALESCE(vehicle_id, 0), kind
UNION ALL
SELECT SUBSTR(month, 1, 4), unit_path, unit_id, COALESCE(vehicle_id, 0), kind, SUM(amount_fen), COUNT(*)
FROM cost_entries GROUP BY SUBSTR(month, 1, 4), unit_path, unit_id, COALESCE(vehicle_id, 0), kind;
