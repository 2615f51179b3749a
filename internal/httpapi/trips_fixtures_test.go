package httpapi_test

import (
	"context"
	"fmt"
	"time"
)

// terminalEvent inserts an open terminal event of unit.
func (e *env) terminalEvent(unit int64) int64 {
	e.t.Helper()
	var id int64
	at := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(e.next()) * time.Minute)
	if err := e.w.DB.W.QueryRowContext(context.Background(), `INSERT INTO terminal_events (unit_id, terminal_phone, kind, opened_at, last_seen_at, evidence, state, created_at)
		VALUES (?, '13900000000', 'power_cut', ?, ?, '{}', 'open', ?) RETURNING id`, unit, at, at, at).Scan(&id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// tripsFixtures adds the trips' and terminal health's routes.
func (e *env) tripsFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	vehicles := map[bool]int64{}
	vehicle := func(in bool) int64 {
		if vehicles[in] == 0 {
			vehicles[in] = e.trackedVehicle(place(in))
		}
		return vehicles[in]
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/vehicles/{id}/trips": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles/%d/trips?from=2030-01-01&to=2030-01-07", vehicle(in)), nil}
		},
		"GET /api/terminal-events": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/terminal-events?unit_id=%d&state=pending", place(in)), nil}
		},
		"GET /api/terminal-events/counts": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/terminal-events/counts?unit_id=%d", place(in)), nil}
		},
		"POST /api/terminal-events/{id}/repair": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/terminal-events/%d/repair", e.terminalEvent(place(in))), map[string]string{"note": "请维修厂检查"}}
		},
		"POST /api/terminal-events/{id}/fix": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/terminal-events/%d/fix", e.terminalEvent(place(in))), map[string]string{"note": "已重新接电"}}
		},
	}
}
