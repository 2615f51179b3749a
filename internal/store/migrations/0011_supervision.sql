-- Supervision (issue 7): rule parameters per level, findings with their
-- evidence, and the cases that follow them (R-14, R-15, R-26, R-28, R-29(5), R-30).

-- Parameters of a rule at a level node (the city sets defaults and bounds,
-- a district may tighten within them). values is a JSON object of numbers;
-- polygon (area rule, city only) a JSON array of [lat, lng].
CREATE TABLE supervision_params (
    rule       TEXT NOT NULL,
    unit_id    BIGINT NOT NULL REFERENCES units(id),
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    params     TEXT NOT NULL DEFAULT '{}',
    updated_by BIGINT REFERENCES users(id),
    updated_at {{ts}} NOT NULL,
    PRIMARY KEY (rule, unit_id)
);

-- A rule's finding. (rule, evidence_key) is unique: the same evidence never
-- raises a second finding, however often the rules run.
CREATE TABLE findings (
    id           {{pk}},
    rule         TEXT NOT NULL,
    evidence_key TEXT NOT NULL,              -- e.g. no_order:trip:123
    vehicle_id   BIGINT REFERENCES vehicles(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    unit_path    TEXT NOT NULL,
    at           {{ts}} NOT NULL,            -- when the violation happened (UTC)
    day          TEXT NOT NULL,              -- Beijing date of at
    summary      TEXT NOT NULL,
    evidence     TEXT NOT NULL DEFAULT '{}', -- JSON: trip, positions summary, order, record
    trip_id      BIGINT,
    case_id      BIGINT,
    created_at   {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_findings_rule_evidence ON findings(rule, evidence_key);
CREATE INDEX ix_findings_path_at ON findings(unit_path, at);
CREATE INDEX ix_findings_case ON findings(case_id);

-- A case (R-28, R-29(5)): one vehicle (or unit), one rule, one Beijing day.
CREATE TABLE cases (
    id            {{pk}},
    rule          TEXT NOT NULL,
    vehicle_id    BIGINT REFERENCES vehicles(id),
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    unit_path     TEXT NOT NULL,
    day           TEXT NOT NULL,
    title         TEXT NOT NULL,
    serious       BOOLEAN NOT NULL DEFAULT FALSE,
    state         TEXT NOT NULL,             -- open | explained | verified | dismissed
    authority_id  BIGINT NOT NULL REFERENCES units(id), -- level node that decides
    authority_path TEXT NOT NULL,
    discipline    BOOLEAN NOT NULL DEFAULT FALSE, -- referred to discipline inspection
    explanation   TEXT NOT NULL DEFAULT '',
    decision      TEXT NOT NULL DEFAULT '',  -- reason of the verification or dismissal
    findings      INTEGER NOT NULL DEFAULT 0,
    opened_at     {{ts}} NOT NULL,
    updated_at    {{ts}} NOT NULL,
    closed_at     {{ts}}
);
CREATE INDEX ix_cases_path_state ON cases(unit_path, state);
CREATE INDEX ix_cases_group ON cases(vehicle_id, rule, day);
CREATE INDEX ix_cases_authority ON cases(authority_path, state);

-- The case's timeline: every step with time and actor.
CREATE TABLE case_events (
    id         {{pk}},
    case_id    BIGINT NOT NULL REFERENCES cases(id),
    at         {{ts}} NOT NULL,
    actor_id   BIGINT,
    actor_name TEXT NOT NULL DEFAULT '',
    action     TEXT NOT NULL,   -- opened | finding | explained | attached | verified | dismissed | escalated | referred
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_case_events_case ON case_events(case_id, id);

CREATE TABLE case_attachments (
    id           {{pk}},
    case_id      BIGINT NOT NULL REFERENCES cases(id),
    blob_key     TEXT NOT NULL,
    filename     TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    created_by   BIGINT,
    created_at   {{ts}} NOT NULL
);
CREATE INDEX ix_case_attachments_case ON case_attachments(case_id);
