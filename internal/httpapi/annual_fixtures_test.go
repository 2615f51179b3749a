package httpapi_test

import (
	"context"
	"fmt"
	"time"
)

func init() {
	untargeted["GET /api/annual-reports/years"] = true
	// A year is opened, and its deadline set, by the city alone.
	cityOnly["POST /api/annual-reports/years"] = true
}

// annualReport inserts a report of the node in state for a year of its own (so that every call
// of the matrix has a fresh one), with a work report ready.
func (e *env) annualReport(unit int64, state string) int64 {
	e.t.Helper()
	ctx := context.Background()
	year := 3000 + e.next()
	now := time.Now().UTC()
	if _, err := e.w.DB.W.ExecContext(ctx, "INSERT INTO annual_years (year, deadline, created_at, updated_at) VALUES (?, ?, ?, ?)", year, fmt.Sprintf("%d-03-01", year+1), now, now); err != nil {
		e.t.Fatal(err)
	}
	var id int64
	if err := e.w.DB.W.NewRaw(`INSERT INTO annual_reports (year, unit_id, unit_path, state, work_report, created_at, updated_at)
		SELECT ?, id, path, ?, '工作报告', ?, ? FROM units WHERE id = ? RETURNING id`, year, state, now, now, unit).Scan(ctx, &id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// annualFixtures adds the annual report's routes: a reader reads the report of a unit; the unit
// administrator corrects and submits its own unit's, the platform administrator submits its own
// level's and reviews the units below it.
func (e *env) annualFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	own := func(c caller, in bool) int64 {
		if in {
			return c.user.ScopeID
		}
		return e.outUnit
	}
	level := func(in bool) int64 {
		if in {
			return e.tn
		}
		return e.w.UnitID(e.t, "钟楼区")
	}
	r := func(unit int64, state, tail string) string {
		return fmt.Sprintf("/api/annual-reports/%d%s", e.annualReport(unit, state), tail)
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/annual-reports/years": func(c caller, in bool) call { return call{"GET", "/api/annual-reports/years", nil} },
		"POST /api/annual-reports/years": func(c caller, in bool) call {
			return call{"POST", "/api/annual-reports/years", map[string]any{"year": 2020}}
		},
		"GET /api/annual-reports": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/annual-reports?unit_id=%d", place(in)), nil}
		},
		"GET /api/annual-reports/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/annual-reports/export?unit_id=%d", place(in)), nil}
		},
		"GET /api/annual-reports/{id}": func(c caller, in bool) call { return call{"GET", r(place(in), "draft", ""), nil} },
		"POST /api/annual-reports/{id}/corrections": func(c caller, in bool) call {
			u := own(c, in)
			if u == e.tn { // a level's roles do not correct; their request is refused before the body matters
				u = e.inUnit
			}
			return call{"POST", r(u, "draft", "/corrections"), map[string]any{"vehicle_id": e.newVehicle(u), "field": "engine_no", "value": "L4B12345", "reason": "与行驶证核对"}}
		},
		"POST /api/annual-reports/{id}/submit": func(c caller, in bool) call {
			return call{"POST", r(own(c, in), "draft", "/submit"), map[string]any{"signature": c.user.RealName}}
		},
		"POST /api/annual-reports/{id}/return": func(c caller, in bool) call {
			return call{"POST", r(place(in), "submitted", "/return"), map[string]any{"reason": "请核对"}}
		},
		"POST /api/annual-reports/{id}/accept": func(c caller, in bool) call {
			return call{"POST", r(place(in), "submitted", "/accept"), nil}
		},
		"PUT /api/annual-reports/{id}/work-report": func(c caller, in bool) call {
			return call{"PUT", r(level(in), "draft", "/work-report"), map[string]any{"text": "一、总体规模"}}
		},
		"GET /api/annual-reports/{id}/report.xlsx": func(c caller, in bool) call { return call{"GET", r(place(in), "draft", "/report.xlsx"), nil} },
		"GET /api/annual-reports/{id}/report.pdf":  func(c caller, in bool) call { return call{"GET", r(place(in), "draft", "/report.pdf"), nil} },
	}
}
