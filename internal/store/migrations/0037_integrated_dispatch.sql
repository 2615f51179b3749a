-- City-wide integrated dispatch (R-16, issue 21 parts 1–3): the pools of
-- the city and of each district, support tasks for major events, their
-- assignments (with the owning unit's objection), and support teams.

-- 统筹调度车辆池: a vehicle designated by a level (the city or a district
-- node) for integrated dispatch, with or without its driver. It stays
-- owned by its unit; the level dispatches it. One pool per level, a
-- vehicle in at most one pool.
CREATE TABLE pool_vehicles (
    id         {{pk}},
    level_id   BIGINT NOT NULL REFERENCES units(id),
    vehicle_id BIGINT NOT NULL UNIQUE REFERENCES vehicles(id),
    driver_id  BIGINT REFERENCES drivers(id),     -- NULL: the vehicle without a driver
    note       TEXT NOT NULL DEFAULT '',
    added_by   BIGINT NOT NULL REFERENCES users(id),
    added_at   {{ts}} NOT NULL
);
CREATE INDEX ix_pool_vehicles_level ON pool_vehicles(level_id);

-- 保障任务: created by the authority of a level (the city or a district).
CREATE TABLE support_tasks (
    id                 {{pk}},
    level_id           BIGINT NOT NULL REFERENCES units(id),
    name               TEXT NOT NULL,
    kind               TEXT NOT NULL,              -- event | emergency | sessions | other
    description        TEXT NOT NULL DEFAULT '',
    objection_deadline {{ts}} NOT NULL,            -- owners may object until then
    state              TEXT NOT NULL,              -- active | cancelled
    created_by         BIGINT NOT NULL REFERENCES users(id),
    created_by_name    TEXT NOT NULL,
    created_at         {{ts}} NOT NULL
);
CREATE INDEX ix_support_tasks_level ON support_tasks(level_id, created_at);

-- A shift of a task's schedule: a day, its times, where and which route.
CREATE TABLE task_shifts (
    id       {{pk}},
    task_id  BIGINT NOT NULL REFERENCES support_tasks(id),
    name     TEXT NOT NULL,
    start_at {{ts}} NOT NULL,
    end_at   {{ts}} NOT NULL,
    place    TEXT NOT NULL,
    route    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX ix_task_shifts_task ON task_shifts(task_id, start_at);

-- What the task needs: a count of vehicles of a type (大客车, 中巴, 商务车, 轿车).
CREATE TABLE task_needs (
    id           {{pk}},
    task_id      BIGINT NOT NULL REFERENCES support_tasks(id),
    vehicle_type TEXT NOT NULL,
    count        INTEGER NOT NULL
);
CREATE INDEX ix_task_needs_task ON task_needs(task_id);

-- 保障班组: named drivers (with their vehicles) of a level, a leader, a rota.
CREATE TABLE support_teams (
    id          {{pk}},
    level_id    BIGINT NOT NULL REFERENCES units(id),
    name        TEXT NOT NULL,
    leader_id   BIGINT REFERENCES drivers(id),
    note        TEXT NOT NULL DEFAULT '',
    created_at  {{ts}} NOT NULL
);
CREATE UNIQUE INDEX ux_support_teams_name ON support_teams(level_id, name);

CREATE TABLE support_team_members (
    team_id    BIGINT NOT NULL REFERENCES support_teams(id),
    driver_id  BIGINT NOT NULL REFERENCES drivers(id),
    vehicle_id BIGINT REFERENCES vehicles(id),
    PRIMARY KEY (team_id, driver_id)
);

-- The on-duty rota: which member is on duty on which Beijing day.
CREATE TABLE support_team_duty (
    team_id   BIGINT NOT NULL REFERENCES support_teams(id),
    day       TEXT NOT NULL,          -- YYYY-MM-DD (Beijing)
    driver_id BIGINT NOT NULL REFERENCES drivers(id),
    PRIMARY KEY (team_id, day, driver_id)
);

-- A vehicle (with its driver) assigned to a task. From the pool it is
-- confirmed at once; from a unit the owner is told and may object until
-- the task's deadline, and the authority upholds or withdraws it. The
-- assignment holds the vehicle from the start: its orders (one per shift)
-- are written with it and cancelled when it is withdrawn.
CREATE TABLE task_assignments (
    id             {{pk}},
    task_id        BIGINT NOT NULL REFERENCES support_tasks(id),
    vehicle_id     BIGINT NOT NULL REFERENCES vehicles(id),
    driver_id      BIGINT NOT NULL REFERENCES drivers(id),
    owner_unit_id  BIGINT NOT NULL REFERENCES units(id),
    source         TEXT NOT NULL,              -- pool | unit | team
    team_id        BIGINT REFERENCES support_teams(id),
    state          TEXT NOT NULL,              -- confirmed | notified | objected | upheld | withdrawn
    objection      TEXT NOT NULL DEFAULT '',
    objected_by    TEXT NOT NULL DEFAULT '',
    objected_at    {{ts}},
    decision       TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     {{ts}},
    created_by     BIGINT NOT NULL REFERENCES users(id),
    created_at     {{ts}} NOT NULL
);
CREATE INDEX ix_task_assignments_task ON task_assignments(task_id, state);
CREATE INDEX ix_task_assignments_owner ON task_assignments(owner_unit_id, state);

-- Orders a task's assignment became: one per vehicle per shift.
ALTER TABLE orders ADD COLUMN task_id BIGINT REFERENCES support_tasks(id);
CREATE INDEX ix_orders_task ON orders(task_id);
CREATE TABLE task_orders (
    assignment_id BIGINT NOT NULL REFERENCES task_assignments(id),
    shift_id      BIGINT NOT NULL REFERENCES task_shifts(id),
    order_id      BIGINT NOT NULL UNIQUE REFERENCES orders(id),
    PRIMARY KEY (assignment_id, shift_id)
);

-- Availability reads the few vehicles under repair or sealed among a
-- city's 20,000 by status.
CREATE INDEX ix_vehicles_status ON vehicles(status);
-- A support task's candidates read, of every vehicle of the level, its
-- type (class and seats), whether it is dispatched at all, and its unit:
-- this index holds them all, so SQLite need not visit the wide rows.
CREATE INDEX ix_vehicles_availability ON vehicles(exempt, status, vehicle_class, seats, unit_id);
-- The orders holding a vehicle or a driver now (pending consent, dispatched,
-- departed, finished) are few among a city's million: availability over a
-- window reads them from this partial index instead of every order of the
-- window's fortnight. The condition is spelt as booking.Holdings sends it.
CREATE INDEX ix_orders_holding ON orders(pickup_at, return_at, vehicle_id, driver_id)
    WHERE state IN ('pending_consent', 'dispatched', 'departed', 'finished');
