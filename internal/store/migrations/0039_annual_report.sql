-- The annual report (R-11, issue 23 part 3): a report per node (unit, district, city) and year,
-- its workflow (unit → district → city), deadlines per year, and the registry columns the vehicle
-- list of the report needs that the registry did not have.

-- 注册登记日期 and 使用性质 of a vehicle (the other columns of the list were there).
ALTER TABLE vehicles ADD COLUMN registered_on TEXT NOT NULL DEFAULT '';
ALTER TABLE vehicles ADD COLUMN use_nature TEXT NOT NULL DEFAULT '';

-- A year opened by the city, with its deadline (Beijing date, default 1 March of the next year).
CREATE TABLE annual_years (
    year        INTEGER PRIMARY KEY,
    deadline    TEXT NOT NULL,
    set_by_name TEXT NOT NULL DEFAULT '',
    created_at  {{ts}} NOT NULL,
    updated_at  {{ts}} NOT NULL
);

-- One report per node and year. state: draft (待填报) | submitted (已上报) | returned (已退回) |
-- accepted (已接收); the city's own report ends submitted (已定稿). snapshot: the figures as
-- signed (JSON), kept from submission so that later registry changes do not alter what was sent.
CREATE TABLE annual_reports (
    id            {{pk}},
    year          INTEGER NOT NULL REFERENCES annual_years(year),
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    unit_path     TEXT NOT NULL,
    state         TEXT NOT NULL DEFAULT 'draft',
    return_reason TEXT NOT NULL DEFAULT '',
    signed_by     TEXT NOT NULL DEFAULT '',
    signed_at     {{ts}},
    submitted_at  {{ts}},
    reviewed_by   TEXT NOT NULL DEFAULT '',
    reviewed_at   {{ts}},
    work_report   TEXT NOT NULL DEFAULT '',
    snapshot      TEXT NOT NULL DEFAULT '',
    created_at    {{ts}} NOT NULL,
    updated_at    {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_annual_reports_year_unit ON annual_reports(year, unit_id);
CREATE INDEX ix_annual_reports_path ON annual_reports(year, unit_path);

-- The report's timeline: generated, corrected (with the registry change), signed and submitted,
-- returned with the reason, accepted, reminded.
CREATE TABLE annual_report_events (
    id         {{pk}},
    report_id  BIGINT NOT NULL REFERENCES annual_reports(id),
    at         {{ts}} NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_annual_report_events ON annual_report_events(report_id, id);
