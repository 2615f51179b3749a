package httpapi_test

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/partner"
)

func init() {
	// Partner cities are the city's agreements: nothing of them is a node of
	// the hierarchy, and only the city's platform administrator writes them.
	for _, k := range []string{"GET /api/partners", "GET /api/partners/{id}/outbox", "GET /api/partner-log", "GET /api/partner-options",
		"GET /api/partner-bookings",
		"GET /api/partner/v1/ping", "POST /api/partner/v1/messages", "POST /api/partner/v1/visitors/verify"} {
		untargeted[k] = true
	}
	// The statements are between the city and a partner city: only the
	// city's level (its administrators, its supervisors) reads them.
	for _, k := range []string{"GET /api/partner-settlements", "GET /api/partner-settlements/export", "GET /api/partner-settlements/{id}",
		"GET /api/partner-settlements/{id}/xlsx", "GET /api/partner-settlements/{id}/statement.pdf", "GET /api/partner-settlements/{id}/lines"} {
		untargeted[k] = true
		cityOnly[k] = true
	}
	for _, k := range []string{"POST /api/partners", "PATCH /api/partners/{id}", "POST /api/partners/{id}/check", "POST /api/partners/{id}/retry",
		"POST /api/partner-settlements", "POST /api/partner-settlements/{id}/confirm"} {
		untargeted[k] = true
		cityOnly[k] = true
	}
}

// testPartner registers a partner city (once per env) pointing at this
// test server and returns it.
func (e *env) testPartner() *partner.Partner {
	e.t.Helper()
	ctx := context.Background()
	ps, err := e.w.Partner.List(ctx, e.city())
	if err != nil {
		e.t.Fatal(err)
	}
	for _, p := range ps {
		if p.Code == "fixture" {
			return p
		}
	}
	c, err := e.w.Partner.Create(ctx, e.city(), partner.Input{Name: "测试合作城市", Code: "fixture", SelfCode: "fixture", BaseURL: e.srv.URL})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.Partner
}

func (e *env) partnerFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	last := beijing.Month(beijing.MonthStart(time.Now()).AddDate(0, -1, 0))
	settlement := func() int64 {
		st, err := e.w.Partner.Generate(context.Background(), e.city(), e.testPartner().ID, last)
		if err != nil {
			e.t.Fatal(err)
		}
		return st.ID
	}
	unsigned := func(method, path string, body any) func(c caller, in bool) call {
		return func(c caller, in bool) call { return call{method, path, body} }
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/partners": unsigned("GET", "/api/partners", nil),
		"POST /api/partners": func(c caller, in bool) call {
			n := e.next()
			return call{"POST", "/api/partners", map[string]any{"name": fmt.Sprintf("城市%d", n), "code": fmt.Sprintf("c%d", n), "self_code": "changzhou", "base_url": "https://gwyc.example"}}
		},
		"PATCH /api/partners/{id}": func(c caller, in bool) call {
			p := e.testPartner()
			return call{"PATCH", fmt.Sprintf("/api/partners/%d", p.ID), map[string]any{"name": p.Name, "code": p.Code, "self_code": p.SelfCode, "base_url": p.BaseURL}}
		},
		"POST /api/partners/{id}/check": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/partners/%d/check", e.testPartner().ID), nil}
		},
		"POST /api/partners/{id}/retry": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/partners/%d/retry", e.testPartner().ID), nil}
		},
		"GET /api/partners/{id}/outbox": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/partners/%d/outbox", e.testPartner().ID), nil}
		},
		"GET /api/partner-log":      unsigned("GET", "/api/partner-log", nil),
		"GET /api/partner-options":  unsigned("GET", "/api/partner-options", nil),
		"GET /api/partner-bookings": unsigned("GET", "/api/partner-bookings", nil),
		"GET /api/orders/{id}/partner": func(c caller, in bool) call {
			p := e.testPartner()
			applicant := c.user.ID
			if !in {
				applicant = e.newUser(place(false), "applicant").ID
			}
			o := e.order(place(in), booking.AtPartner, applicant, 0, 0)
			if _, err := e.w.DB.W.ExecContext(context.Background(), "INSERT INTO partner_bookings (partner_id, direction, ref, order_id, status, created_at, updated_at) VALUES (?, 'out', ?, ?, 'requested', ?, ?)",
				p.ID, fmt.Sprintf("fixture-%d", o), o, time.Now().UTC(), time.Now().UTC()); err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", fmt.Sprintf("/api/orders/%d/partner", o), nil}
		},
		"GET /api/partner-settlements": unsigned("GET", "/api/partner-settlements", nil),
		"POST /api/partner-settlements": func(c caller, in bool) call {
			return call{"POST", "/api/partner-settlements", map[string]any{"partner_id": e.testPartner().ID, "month": last}}
		},
		"GET /api/partner-settlements/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/partner-settlements/%d", settlement()), nil}
		},
		"POST /api/partner-settlements/{id}/confirm": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/partner-settlements/%d/confirm", settlement()), nil}
		},
		"GET /api/partner-settlements/{id}/statement.pdf": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/partner-settlements/%d/statement.pdf", settlement()), nil}
		},
		"GET /api/partner-settlements/{id}/xlsx": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/partner-settlements/%d/xlsx", settlement()), nil}
		},
		"GET /api/partner-settlements/{id}/lines": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/partner-settlements/%d/lines?direction=in", settlement()), nil}
		},
		"GET /api/partner/v1/ping":             unsigned("GET", "/api/partner/v1/ping", nil),
		"POST /api/partner/v1/messages":        unsigned("POST", "/api/partner/v1/messages", map[string]any{"key": "k", "kind": "booking.status"}),
		"POST /api/partner/v1/visitors/verify": unsigned("POST", "/api/partner/v1/visitors/verify", map[string]any{"name": "张三", "mobile": "13900000000", "unit": "市政府"}),
	}
}
