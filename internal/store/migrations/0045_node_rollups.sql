-- Statistics at the level the dashboards read (issue 23 performance: the city dashboard at
-- 20,000 vehicles). rollup_nodes and rollup_node_costs sum the unit months (rollup_months) and
-- the cost roll-ups (rollup_costs) of a month for every node above or at a unit: one row per
-- node path that prefixes a unit's path (/1/, /1/3/, /1/3/105/). A dashboard looks up the 13
-- months of its node and the month of its children by key instead of scanning every unit's
-- rows with unit_path LIKE; the rows are exactly those sums. internal/stats keeps them in the
-- same transactions as the rows they sum (sumNodes).
CREATE TABLE rollup_nodes (
    month          TEXT NOT NULL,   -- YYYY-MM, Beijing
    node_path      TEXT NOT NULL,
    distance_m     BIGINT NOT NULL,
    driving_s      BIGINT NOT NULL,
    trips          BIGINT NOT NULL,
    orders         BIGINT NOT NULL,
    vehicle_days   BIGINT NOT NULL,
    available_days BIGINT NOT NULL, -- the sum of vehicles × days of the unit months
    PRIMARY KEY (month, node_path)
);

CREATE TABLE rollup_node_costs (
    month      TEXT NOT NULL,
    node_path  TEXT NOT NULL,
    kind       TEXT NOT NULL,
    amount_fen BIGINT NOT NULL,
    PRIMARY KEY (month, node_path, kind)
);

-- The roll-ups already kept, summed for every node of the tree.
INSERT INTO rollup_nodes (month, node_path, distance_m, driving_s, trips, orders, vehicle_days, available_days)
SELECT m.month, n.path, SUM(m.distance_m), SUM(m.driving_s), SUM(m.trips), SUM(m.orders), SUM(m.vehicle_days), SUM(m.vehicles * m.days)
FROM units AS n JOIN rollup_months AS m ON m.unit_path LIKE n.path || '%'
GROUP BY m.month, n.path;

INSERT INTO rollup_node_costs (month, node_path, kind, amount_fen)
SELECT c.month, n.path, c.kind, SUM(c.amount_fen)
FROM units AS n JOIN rollup_costs AS c ON c.unit_path LIKE n.path || '%'
GROUP BY c.month, n.path, c.kind;

-- A month's findings and cases of a node (the dashboard's 监督发现数, 案件数): a range of days,
-- not every row of the table.
CREATE INDEX ix_findings_day_path ON findings(day, unit_path);
CREATE INDEX ix_cases_day_path ON cases(day, unit_path, state);

-- A unit's vehicles' costs of a month (a unit's dashboard): the kept totals of the unit, not
-- those of every unit of the month.
CREATE INDEX ix_cost_totals_unit ON cost_totals(unit_id, period);
