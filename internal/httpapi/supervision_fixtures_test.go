package httpapi_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// newCase opens a case of the unit directly in the database, decided by
// the level above the unit (as the engine would).
func (e *env) newCase(unit int64) int64 {
	e.t.Helper()
	ctx := context.Background()
	var path string
	if err := e.w.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", unit).Scan(ctx, &path); err != nil {
		e.t.Fatal(err)
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	auth := "/" + strings.Join(parts[:len(parts)-1], "/") + "/"
	authID, _ := strconv.ParseInt(parts[len(parts)-2], 10, 64)
	now := time.Now().UTC()
	var id int64
	if err := e.w.DB.W.NewRaw(`INSERT INTO cases (rule, unit_id, unit_path, day, title, state, authority_id, authority_path, findings, opened_at, updated_at)
		VALUES ('no_order', ?, ?, ?, '无单出车：测试', 'open', ?, ?, 1, ?, ?) RETURNING id`, unit, path, now.Format(time.DateOnly), authID, auth, now, now).Scan(ctx, &id); err != nil {
		e.t.Fatal(err)
	}
	return id
}

// supervisionFixtures adds the supervision routes.
func (e *env) supervisionFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	level := func(in bool) int64 {
		if in {
			return e.tn
		}
		return e.w.UnitID(e.t, "钟楼区")
	}
	cs := func(in bool, tail string) string {
		return fmt.Sprintf("/api/supervision/cases/%d%s", e.newCase(place(in)), tail)
	}
	now := time.Now().UTC()
	replay := map[string]any{"from": now.AddDate(0, 0, -30), "to": now, "values": map[string]float64{"tolerance_min": 20}}
	return map[string]func(c caller, in bool) call{
		"GET /api/supervision/dashboard": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/supervision/dashboard?unit_id=%d", place(in)), nil}
		},
		"GET /api/supervision/cases": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/supervision/cases?unit_id=%d&state=active", place(in)), nil}
		},
		"GET /api/supervision/cases/{id}":            func(c caller, in bool) call { return call{"GET", cs(in, ""), nil} },
		"GET /api/supervision/cases/{id}/report.pdf": func(c caller, in bool) call { return call{"GET", cs(in, "/report.pdf"), nil} },
		"POST /api/supervision/cases/{id}/explain": func(c caller, in bool) call {
			return call{"POST", cs(in, "/explain"), map[string]string{"text": "经核实为临时公务，已补办手续"}}
		},
		"POST /api/supervision/cases/{id}/attachments": func(c caller, in bool) call {
			return call{"POST", cs(in, "/attachments"), map[string]any{"file": []byte("%PDF-1.4\n%情况说明\n")}}
		},
		"GET /api/supervision/cases/{id}/attachments/{att_id}": func(c caller, in bool) call {
			id := e.newCase(place(in))
			att, err := e.api.Supervision.Attach(context.Background(), e.city(), id, "说明.pdf", []byte("%PDF-1.4\n%说明\n"))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", fmt.Sprintf("/api/supervision/cases/%d/attachments/%d", id, att.ID), nil}
		},
		"POST /api/supervision/cases/{id}/decide": func(c caller, in bool) call {
			return call{"POST", cs(in, "/decide"), map[string]string{"verdict": "dismissed", "reason": "说明属实"}}
		},
		"POST /api/supervision/cases/{id}/escalate": func(c caller, in bool) call {
			return call{"POST", cs(in, "/escalate"), map[string]string{"to": "discipline", "reason": "疑似公车私用"}}
		},
		"GET /api/supervision/rules": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/supervision/rules?unit_id=%d", place(in)), nil}
		},
		"PUT /api/supervision/rules/{code}": func(c caller, in bool) call {
			return call{"PUT", "/api/supervision/rules/order_window", map[string]any{"unit_id": level(in), "enabled": true, "values": map[string]float64{"tolerance_min": 20}}}
		},
		"POST /api/supervision/rules/{code}/replay": func(c caller, in bool) call {
			r := map[string]any{"unit_id": level(in)}
			for k, v := range replay {
				r[k] = v
			}
			return call{"POST", "/api/supervision/rules/order_window/replay", r}
		},
	}
}
