package httpapi_test

import (
	"context"
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/stats"
)

// savedQuery saves an extraction as c (in: at c's own node) or, outside,
// as a platform administrator of another district.
func (e *env) savedQuery(c caller, in bool, place func(in bool) int64) int64 {
	e.t.Helper()
	who := c.actor
	if !in {
		who = e.caller(place(false), access.UnitAdmin).actor
	}
	q, err := e.w.Stats.SaveQuery(context.Background(), who, stats.QueryInput{Name: fmt.Sprintf("查询%d", e.next()), Spec: stats.Spec{Dataset: "vehicles"}})
	if err != nil {
		e.t.Fatal(err)
	}
	return q.ID
}

// statsFixtures adds 统计分析's and data extraction's routes (issue 23).
func (e *env) statsFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	return map[string]func(c caller, in bool) call{
		"GET /api/stats/dashboard": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/stats/dashboard?unit_id=%d", place(in)), nil}
		},
		"GET /api/stats/dashboard/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/stats/dashboard/export?unit_id=%d&chart=months", place(in)), nil}
		},
		"GET /api/stats/definitions": func(c caller, in bool) call { return call{"GET", "/api/stats/definitions", nil} },
		"GET /api/extract/datasets":  func(c caller, in bool) call { return call{"GET", "/api/extract/datasets", nil} },
		"POST /api/extract/preview": func(c caller, in bool) call {
			return call{"POST", "/api/extract/preview", map[string]any{"dataset": "vehicles", "unit_id": place(in)}}
		},
		"POST /api/extract/export": func(c caller, in bool) call {
			return call{"POST", "/api/extract/export", map[string]any{"dataset": "orders", "unit_id": place(in), "filters": map[string]string{"state": "closed"}}}
		},
		"GET /api/extract/queries": func(c caller, in bool) call { return call{"GET", "/api/extract/queries", nil} },
		"POST /api/extract/queries": func(c caller, in bool) call {
			return call{"POST", "/api/extract/queries", map[string]any{"name": fmt.Sprintf("查询%d", e.next()), "spec": map[string]any{"dataset": "drivers"}}}
		},
		"DELETE /api/extract/queries/{id}": func(c caller, in bool) call {
			return call{"DELETE", fmt.Sprintf("/api/extract/queries/%d", e.savedQuery(c, in, place)), nil}
		},
	}
}
