package httpapi_test

import (
	"context"
	"fmt"
	"time"
)

func init() {
	for _, k := range []string{"GET /api/loans", "GET /api/loans/options", "GET /api/loans/offer", "POST /api/loans", "GET /api/rates", "POST /api/rates", "PUT /api/rates/{id}",
		"GET /api/settlements", "POST /api/settlements/generate"} {
		untargeted[k] = true
	}
	// The tariff and the market prices are kept by the city.
	cityOnly["POST /api/rates"] = true
	cityOnly["PUT /api/rates/{id}"] = true
}

// nodeOf returns the id of the node named name.
func (e *env) nodeOf(name string) int64 { return e.w.UnitID(e.t, name) }

// loan inserts a loan of vehicle (0: by type) from lender to borrower in
// state, with a period of its own far ahead.
func (e *env) loan(lender, borrower, vehicle int64, state string) int64 {
	e.t.Helper()
	n := e.next()
	from := time.Now().UTC().Add(2000*time.Hour + time.Duration(n)*50*time.Hour).Truncate(time.Minute)
	typ, count := "", 1
	if vehicle == 0 {
		typ = "coach"
	}
	var id int64
	err := e.w.DB.W.NewRaw(`INSERT INTO loans (no, borrower_id, lender_id, vehicle_type, count, with_driver, from_at, to_at, reason, state, requested_by, requested_name, requested_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, '测试借调', ?, ?, '测试', ?) RETURNING id`,
		fmt.Sprintf("JDT%08d", n), borrower, lender, typ, count, true, from, from.Add(10*time.Hour), state, e.city().UserID, time.Now().UTC()).Scan(context.Background(), &id)
	if err != nil {
		e.t.Fatal(err)
	}
	if vehicle != 0 {
		if _, err := e.w.DB.W.ExecContext(context.Background(), "INSERT INTO loan_vehicles (loan_id, vehicle_id) VALUES (?, ?)", id, vehicle); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

// settlement inserts a pending statement of a month of its own.
func (e *env) settlement(lender, borrower int64) int64 {
	e.t.Helper()
	n := e.next()
	var id int64
	err := e.w.DB.W.NewRaw(`INSERT INTO settlements (month, lender_id, borrower_id, uses, km_m, internal_fen, market_fen, saving_fen, state, generated_at)
		VALUES (?, ?, ?, 1, 1000, 100, 200, 100, 'pending', ?) RETURNING id`, fmt.Sprintf("%d-%02d", 1900+n/12, n%12+1), lender, borrower, time.Now().UTC()).Scan(context.Background(), &id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func (e *env) loansFixtures(place func(bool) int64) map[string]func(c caller, in bool) call {
	wj, zl, jgj := e.nodeOf("武进区"), e.nodeOf("钟楼区"), e.nodeOf("市机关事务管理局")
	// A loan the caller's level (天宁区) lends, or one between two others.
	lent := func(in bool, state string) int64 {
		if in {
			return e.loan(e.tn, wj, e.newVehicle(e.inUnit), state)
		}
		return e.loan(zl, wj, e.newVehicle(e.outUnit), state)
	}
	reason := map[string]string{"reason": "测试原因"}
	return map[string]func(c caller, in bool) call{
		"GET /api/loans":         func(c caller, in bool) call { return call{"GET", "/api/loans?side=borrow", nil} },
		"GET /api/loans/options": func(c caller, in bool) call { return call{"GET", "/api/loans/options", nil} },
		"POST /api/loans": func(c caller, in bool) call {
			from := time.Now().UTC().Add(3000*time.Hour + time.Duration(e.next())*50*time.Hour)
			return call{"POST", "/api/loans", map[string]any{"lender_id": wj, "vehicle_type": "coach", "count": 1, "with_driver": true,
				"from": from, "to": from.Add(8 * time.Hour), "reason": "测试借调"}}
		},
		"GET /api/loans/offer": func(c caller, in bool) call {
			from := time.Now().UTC().Add(3000*time.Hour + time.Duration(e.next())*50*time.Hour)
			return call{"GET", fmt.Sprintf("/api/loans/offer?lender_id=%d&vehicle_type=coach&from=%s&to=%s", wj, from.Format(time.RFC3339), from.Add(8*time.Hour).Format(time.RFC3339)), nil}
		},
		"GET /api/loans/{id}/lendable": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/loans/%d/lendable", lent(in, "requested")), nil}
		},
		"POST /api/loans/{id}/approve": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/loans/%d/approve", lent(in, "requested")), map[string]any{}}
		},
		"POST /api/loans/{id}/refuse": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/loans/%d/refuse", lent(in, "requested")), reason}
		},
		"POST /api/loans/{id}/return": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/loans/%d/return", lent(in, "approved")), nil}
		},
		"GET /api/rates": func(c caller, in bool) call { return call{"GET", "/api/rates?kind=market", nil} },
		"POST /api/rates": func(c caller, in bool) call {
			return call{"POST", "/api/rates", map[string]any{"kind": "market", "vehicle_type": "coach", "day_fen": 100, "half_day_fen": 50, "valid_from": "2099-01-01"}}
		},
		"PUT /api/rates/{id}": func(c caller, in bool) call {
			var id int64
			if err := e.w.DB.R.NewSelect().Table("rates").Column("id").Where("kind = 'market' AND vehicle_type = 'coach'").OrderExpr("valid_from DESC").Limit(1).Scan(context.Background(), &id); err != nil {
				e.t.Fatal(err)
			}
			return call{"PUT", fmt.Sprintf("/api/rates/%d", id), map[string]any{"kind": "market", "vehicle_type": "coach", "day_fen": 100, "half_day_fen": 50, "valid_from": "2020-01-01"}}
		},
		"POST /api/orders/{id}/cost": func(c caller, in bool) call {
			p := e.pair(jgj)
			return call{"POST", fmt.Sprintf("/api/orders/%d/cost", e.order(place(in), "closed", c.user.ID, p.vehicle, p.driver)), nil}
		},
		"GET /api/settlements": func(c caller, in bool) call { return call{"GET", "/api/settlements?state=pending", nil} },
		"POST /api/settlements/generate": func(c caller, in bool) call {
			return call{"POST", "/api/settlements/generate", map[string]string{"month": "2019-01"}}
		},
		"GET /api/settlements/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/settlements/%d", e.settlement(place(in), jgj)), nil}
		},
		"GET /api/settlements/{id}/statement.pdf": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/settlements/%d/statement.pdf", e.settlement(place(in), jgj)), nil}
		},
		"GET /api/settlements/{id}/lines": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/settlements/%d/lines", e.settlement(place(in), jgj)), nil}
		},
		// Each side confirms for its own node: the caller's.
		"POST /api/settlements/{id}/confirm": func(c caller, in bool) call {
			lender := e.outUnit
			if in {
				lender = c.user.ScopeID
			}
			return call{"POST", fmt.Sprintf("/api/settlements/%d/confirm", e.settlement(lender, jgj)), nil}
		},
		"POST /api/settlements/{id}/dispute": func(c caller, in bool) call {
			lender := e.outUnit
			if in {
				lender = c.user.ScopeID
			}
			return call{"POST", fmt.Sprintf("/api/settlements/%d/dispute", e.settlement(lender, jgj)), reason}
		},
	}
}
