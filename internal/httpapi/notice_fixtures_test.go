package httpapi_test

import (
	"context"
	"fmt"

	"govfleet/internal/notices"
)

func init() {
	// The caller's own inbox, unread count and managed list target no node.
	for _, k := range []string{"GET /api/notices", "GET /api/notices/unread", "GET /api/notices/managed"} {
		untargeted[k] = true
	}
}

// noticeFixtures adds the notices' and the savings rate's routes (issue 23
// parts 4 and 5). Read routes: "in" is a notice the city published to 天宁区
// (every caller of the matrix works there), "out" one to 钟楼区. Manage
// routes: "in" is 天宁区's own notice, "out" 钟楼区's.
func (e *env) noticeFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	ctx := context.Background()
	zl := e.w.UnitID(e.t, "钟楼区")
	district := func(in bool) int64 {
		if in {
			return e.tn
		}
		return zl
	}
	publisher := func(in bool) string {
		if in {
			return "tn_admin"
		}
		return "zl_admin"
	}
	str := func(s string) *string { return &s }
	// draft makes a notice of the district's administrator; published: also publishes it.
	draft := func(in, published bool) int64 {
		a := e.w.Actor(e.t, publisher(in))
		n, err := e.w.Notices.Create(ctx, a, notices.Input{Title: str(fmt.Sprintf("测试通知%d", e.next())), Body: str("正文")})
		if err == nil && published {
			_, err = e.w.Notices.Publish(ctx, a, n.ID)
		}
		if err != nil {
			e.t.Fatal(err)
		}
		return n.ID
	}
	// toward is a notice of the city to the district (cached: reading changes nothing others see).
	type att struct{ id, att int64 }
	cache := map[string]att{}
	toward := func(in bool, kind string) att {
		key := fmt.Sprint(in, kind)
		if x, ok := cache[key]; ok {
			return x
		}
		city := e.city()
		var n *notices.Notice
		var err error
		if kind == notices.KindReport {
			n, err = e.w.Notices.CreateReport(ctx, city, notices.ReportInput{Period: "2025-11", Targets: []int64{district(in)}})
		} else {
			n, err = e.w.Notices.Create(ctx, city, notices.Input{Title: str("发给区的通知"), Body: str("正文"), Targets: []int64{district(in)}})
		}
		if err != nil {
			e.t.Fatal(err)
		}
		a, err := e.w.Notices.Attach(ctx, city, n.ID, "通知.pdf", []byte("%PDF-1.4\n"))
		if err != nil {
			e.t.Fatal(err)
		}
		if _, err := e.w.Notices.Publish(ctx, city, n.ID); err != nil {
			e.t.Fatal(err)
		}
		cache[key] = att{n.ID, a.ID}
		return cache[key]
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/notices":         func(c caller, in bool) call { return call{"GET", "/api/notices?q=通知", nil} },
		"GET /api/notices/unread":  func(c caller, in bool) call { return call{"GET", "/api/notices/unread", nil} },
		"GET /api/notices/managed": func(c caller, in bool) call { return call{"GET", "/api/notices/managed?state=published", nil} },
		"POST /api/notices": func(c caller, in bool) call {
			return call{"POST", "/api/notices", map[string]any{"title": "新通知", "body": "正文", "targets": []int64{place(in)}}}
		},
		"POST /api/notices/reports": func(c caller, in bool) call {
			return call{"POST", "/api/notices/reports", map[string]any{"period": "2025-10", "targets": []int64{place(in)}}}
		},
		"GET /api/notices/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/notices/%d", toward(in, notices.KindNotice).id), nil}
		},
		"PATCH /api/notices/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/notices/%d", draft(in, false)), map[string]any{"pinned": true}}
		},
		"DELETE /api/notices/{id}": func(c caller, in bool) call {
			return call{"DELETE", fmt.Sprintf("/api/notices/%d", draft(in, false)), nil}
		},
		"POST /api/notices/{id}/publish": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/notices/%d/publish", draft(in, false)), nil}
		},
		"POST /api/notices/{id}/read": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/notices/%d/read", toward(in, notices.KindNotice).id), nil}
		},
		"POST /api/notices/{id}/remind": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/notices/%d/remind", draft(in, true)), nil}
		},
		"GET /api/notices/{id}/receipts": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/notices/%d/receipts?read=unread", draft(in, true)), nil}
		},
		"POST /api/notices/{id}/attachments": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/notices/%d/attachments", draft(in, false)), map[string]any{"file": []byte("%PDF-1.4\n")}}
		},
		"GET /api/notices/{id}/attachments/{att_id}": func(c caller, in bool) call {
			x := toward(in, notices.KindNotice)
			return call{"GET", fmt.Sprintf("/api/notices/%d/attachments/%d", x.id, x.att), nil}
		},
		"GET /api/notices/{id}/report.pdf": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/notices/%d/report.pdf", toward(in, notices.KindReport).id), nil}
		},
		"GET /api/notices/{id}/report/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/notices/%d/report/export", toward(in, notices.KindReport).id), nil}
		},
		"GET /api/savings": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/savings?unit_id=%d&year=2025", place(in)), nil}
		},
		"GET /api/savings/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/savings/export?unit_id=%d&year=2025", place(in)), nil}
		},
		"PUT /api/savings/basis": func(c caller, in bool) call {
			return call{"PUT", "/api/savings/basis", map[string]any{"unit_id": district(in), "year": 2025, "basis": "budget"}}
		},
		"PUT /api/savings/budgets": func(c caller, in bool) call {
			return call{"PUT", "/api/savings/budgets", map[string]any{"unit_id": place(in), "year": 2025, "amount": "1000.00"}}
		},
	}
}
