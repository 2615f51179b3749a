package httpapi_test

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/dispatch"
)

func init() {
	// The lists of tasks, assignments and teams cover the caller's scope
	// and the levels above that hold its vehicles: no target node.
	for _, k := range []string{"GET /api/support-tasks", "GET /api/task-assignments", "GET /api/support-teams", "GET /api/driver/support-tasks"} {
		untargeted[k] = true
	}
}

// level is the district of the in/out places (天宁区, 钟楼区): the
// authority of the fixtures' pools, tasks and teams.
func (e *env) level(in bool) int64 {
	if in {
		return e.tn
	}
	return e.w.UnitID(e.t, "钟楼区")
}

// taskPair is a new vehicle and matched driver of unit that may run on
// holidays (an emergency vehicle), so that any day suits a fixture's task.
func (e *env) taskPair(unit int64) (int64, int64) {
	e.t.Helper()
	v, d := e.newVehicle(unit), e.newDriver(unit)
	e.match(d, v)
	if _, err := e.w.DB.W.ExecContext(context.Background(), "UPDATE vehicles SET category = 'emergency' WHERE id = ?", v); err != nil {
		e.t.Fatal(err)
	}
	return v, d
}

// taskIn is a task of level with one shift of its own, days ahead.
func (e *env) taskIn(level int64) dispatch.TaskInput {
	start := time.Now().UTC().Add(time.Duration(240+e.next()*3) * time.Hour).Truncate(time.Hour)
	return dispatch.TaskInput{LevelID: level, Name: fmt.Sprintf("测试保障任务%d", e.next()), Kind: "event", ObjectionDeadline: start.Add(-24 * time.Hour),
		Shifts: []dispatch.ShiftInput{{Name: "早班", StartAt: start, EndAt: start.Add(2 * time.Hour), Place: "常州奥体中心", Route: "奥体中心—市民广场"}},
		Needs:  []dispatch.NeedInput{{VehicleType: "sedan", Count: 2}}}
}

func (e *env) newTask(level int64) int64 {
	e.t.Helper()
	t, err := e.w.Dispatch.CreateTask(context.Background(), e.city(), e.taskIn(level))
	if err != nil {
		e.t.Fatal(err)
	}
	return t.ID
}

// shiftOf is the first shift of a new task of level (of two shifts when two).
func (e *env) shiftOf(level int64, two bool) int64 {
	e.t.Helper()
	in := e.taskIn(level)
	if two {
		sh := in.Shifts[0]
		sh.Name, sh.StartAt, sh.EndAt = "晚班", sh.StartAt.Add(5*time.Hour), sh.EndAt.Add(5*time.Hour)
		in.Shifts = append(in.Shifts, sh)
	}
	t, err := e.w.Dispatch.CreateTask(context.Background(), e.city(), in)
	if err != nil {
		e.t.Fatal(err)
	}
	return t.Shifts[0].ID
}

// heldTask is a new task of level holding a new vehicle of unit: read by
// the level and by the owning unit.
func (e *env) heldTask(level, unit int64) int64 {
	e.t.Helper()
	var id int64
	if err := e.w.DB.R.NewSelect().Table("task_assignments").Column("task_id").Where("id = ?", e.assignment(level, unit, false)).Scan(context.Background(), &id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// assignment assigns a new vehicle of unit to a new task of level; objected
// has its owner object.
func (e *env) assignment(level, unit int64, objected bool) int64 {
	e.t.Helper()
	ctx := context.Background()
	v, d := e.taskPair(unit)
	x, err := e.w.Dispatch.Assign(ctx, e.city(), e.newTask(level), dispatch.AssignInput{VehicleID: v, DriverID: d})
	if err != nil {
		e.t.Fatal(err)
	}
	if objected {
		if _, err := e.w.Dispatch.Object(ctx, e.city(), x.ID, "该车已安排接待任务"); err != nil {
			e.t.Fatal(err)
		}
	}
	return x.ID
}

func (e *env) teamIn(level, unit int64) dispatch.TeamInput {
	v, d := e.taskPair(unit)
	in := dispatch.TeamInput{LevelID: level, Name: fmt.Sprintf("测试班组%d", e.next()), LeaderID: d}
	in.Members = append(in.Members, struct {
		DriverID  int64 `json:"driver_id"`
		VehicleID int64 `json:"vehicle_id"`
	}{d, v})
	return in
}

func (e *env) dispatchFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	ctx := context.Background()
	return map[string]func(c caller, in bool) call{
		"GET /api/pool-vehicles": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/pool-vehicles?level_id=%d", e.level(in)), nil}
		},
		"POST /api/pool-vehicles": func(c caller, in bool) call {
			return call{"POST", "/api/pool-vehicles", dispatch.PoolInput{LevelID: e.level(in), VehicleID: e.newVehicle(place(in))}}
		},
		"DELETE /api/pool-vehicles/{id}": func(c caller, in bool) call {
			p, err := e.w.Dispatch.AddToPool(ctx, e.city(), dispatch.PoolInput{LevelID: e.level(in), VehicleID: e.newVehicle(place(in))})
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"DELETE", fmt.Sprintf("/api/pool-vehicles/%d", p.ID), nil}
		},
		"GET /api/pool-board": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/pool-board?level_id=%d&days=3", e.level(in)), nil}
		},
		"GET /api/support-tasks":  func(c caller, in bool) call { return call{"GET", "/api/support-tasks", nil} },
		"POST /api/support-tasks": func(c caller, in bool) call { return call{"POST", "/api/support-tasks", e.taskIn(e.level(in))} },
		"GET /api/support-tasks/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/support-tasks/%d", e.heldTask(e.level(in), place(in))), nil}
		},
		"GET /api/support-tasks/{id}/board": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/support-tasks/%d/board", e.heldTask(e.level(in), place(in))), nil}
		},
		"GET /api/support-tasks/{id}/convoy": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/support-tasks/%d/convoy", e.heldTask(e.level(in), place(in))), nil}
		},
		"GET /api/support-tasks/{id}/candidates": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/support-tasks/%d/candidates?page_size=5", e.newTask(e.level(in))), nil}
		},
		"POST /api/support-tasks/{id}/assignments": func(c caller, in bool) call {
			v, d := e.taskPair(place(in))
			return call{"POST", fmt.Sprintf("/api/support-tasks/%d/assignments", e.newTask(e.level(in))), dispatch.AssignInput{VehicleID: v, DriverID: d}}
		},
		"POST /api/support-tasks/{id}/team": func(c caller, in bool) call {
			t, err := e.w.Dispatch.CreateTeam(ctx, e.city(), e.teamIn(e.level(in), place(in)))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", fmt.Sprintf("/api/support-tasks/%d/team", e.newTask(e.level(in))), map[string]int64{"team_id": t.ID}}
		},
		"POST /api/support-tasks/{id}/cancel": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/support-tasks/%d/cancel", e.newTask(e.level(in))), map[string]string{"reason": "活动延期"}}
		},
		"POST /api/support-tasks/{id}/shifts": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/support-tasks/%d/shifts", e.newTask(e.level(in))), e.taskIn(e.level(in)).Shifts[0]}
		},
		"PUT /api/task-shifts/{id}": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/task-shifts/%d", e.shiftOf(e.level(in), false)), e.taskIn(e.level(in)).Shifts[0]}
		},
		"DELETE /api/task-shifts/{id}": func(c caller, in bool) call {
			return call{"DELETE", fmt.Sprintf("/api/task-shifts/%d", e.shiftOf(e.level(in), true)), nil}
		},
		"GET /api/task-assignments": func(c caller, in bool) call { return call{"GET", "/api/task-assignments", nil} },
		"POST /api/task-assignments/{id}/object": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/task-assignments/%d/object", e.assignment(e.w.UnitID(e.t, "常州市"), place(in), false)), map[string]string{"reason": "该车已安排接待任务"}}
		},
		"POST /api/task-assignments/{id}/uphold": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/task-assignments/%d/uphold", e.assignment(e.level(in), place(in), true)), map[string]string{"reason": "保障任务优先"}}
		},
		"POST /api/task-assignments/{id}/withdraw": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/task-assignments/%d/withdraw", e.assignment(e.level(in), place(in), true)), map[string]string{"reason": "另行安排"}}
		},
		"GET /api/support-teams": func(c caller, in bool) call { return call{"GET", "/api/support-teams", nil} },
		"POST /api/support-teams": func(c caller, in bool) call {
			return call{"POST", "/api/support-teams", e.teamIn(e.level(in), place(in))}
		},
		"PUT /api/support-teams/{id}": func(c caller, in bool) call {
			t, err := e.w.Dispatch.CreateTeam(ctx, e.city(), e.teamIn(e.level(in), place(in)))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"PUT", fmt.Sprintf("/api/support-teams/%d", t.ID), e.teamIn(e.level(in), place(in))}
		},
		"GET /api/driver/support-tasks": func(c caller, in bool) call { return call{"GET", "/api/driver/support-tasks", nil} },
	}
}
