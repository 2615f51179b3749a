package httpapi_test

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/booking"
)

func init() {
	for _, k := range []string{"POST /api/orders", "GET /api/my/orders", "GET /api/approvals", "GET /api/driver/tasks",
		"GET /api/booking/counts", "GET /api/booking/gaps", "GET /api/holiday-filings", "GET /api/dispatch/delegations", "GET /api/emergency-filings", "GET /api/calendar",
		"PUT /api/calendar/{day}", "GET /api/notifications", "POST /api/notifications/read", "GET /api/notifications/stream"} {
		untargeted[k] = true
	}
	// The calendar is kept for the whole city by the city's administrator.
	cityOnly["PUT /api/calendar/{day}"] = true
}

// fleetPair is a vehicle with a matched driver (no account) in a unit.
type fleetPair struct{ vehicle, driver int64 }

// pair returns the unit's booking vehicle and driver, made once.
func (e *env) pair(unit int64) fleetPair {
	e.t.Helper()
	if e.pairs == nil {
		e.pairs = map[int64]fleetPair{}
	}
	if p, ok := e.pairs[unit]; ok {
		return p
	}
	p := fleetPair{vehicle: e.newVehicle(unit), driver: e.newDriver(unit)}
	e.match(p.driver, p.vehicle)
	e.pairs[unit] = p
	return p
}

func (e *env) match(driver, vehicle int64) {
	e.t.Helper()
	if _, err := e.w.DB.W.ExecContext(context.Background(), "INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", driver, vehicle, time.Now().UTC()); err != nil {
		e.t.Fatal(err)
	}
}

// driverOf returns a driver record bound to the caller's account, matched
// to the unit's booking vehicle.
func (e *env) driverOf(c caller, unit int64) int64 {
	e.t.Helper()
	if e.drivers == nil {
		e.drivers = map[int64]int64{}
	}
	if id, ok := e.drivers[c.user.ID]; ok {
		return id
	}
	id := e.newDriver(unit)
	if _, err := e.w.DB.W.ExecContext(context.Background(), "UPDATE drivers SET user_id = ? WHERE id = ?", c.user.ID, id); err != nil {
		e.t.Fatal(err)
	}
	e.match(id, e.pair(unit).vehicle)
	e.drivers[c.user.ID] = id
	return id
}

// order inserts an order of unit in state, with its own time window so
// that fixtures never compete for the vehicle.
func (e *env) order(unit int64, state string, applicant int64, vehicle, driver int64) int64 {
	e.t.Helper()
	n := e.next()
	pickup := time.Now().UTC().Add(240*time.Hour + time.Duration(n)*3*time.Hour)
	var v, d any
	if vehicle != 0 {
		v, d = vehicle, driver
	}
	var id int64
	err := e.w.DB.W.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
		pickup_at, return_at, state, approvals_needed, vehicle_id, driver_id, start_odometer, created_at, updated_at)
		VALUES (?, ?, ?, '测试', '开会', 1, '市政府', '["武进"]', ?, ?, ?, 1, ?, ?, 100, ?, ?) RETURNING id`,
		fmt.Sprintf("T%08d", n), unit, applicant, pickup, pickup.Add(2*time.Hour), state, v, d, time.Now().UTC(), time.Now().UTC()).Scan(context.Background(), &id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// holidayFiling files the use of the unit's booking vehicle on a holiday
// with the unit's district, pending its review.
func (e *env) holidayFiling(unit int64) int64 {
	e.t.Helper()
	p := e.pair(unit)
	o := e.order(unit, booking.Dispatched, e.newUser(unit, "applicant").ID, p.vehicle, p.driver)
	var id int64
	err := e.w.DB.W.NewRaw(`INSERT INTO holiday_filings (order_id, unit_id, authority_id, vehicle_id, holiday, reason, state, filed_by_name, filed_at)
		SELECT ?, id, district_id, ?, '国庆节 法定节假日封存', '值班保障', 'pending', '调度员', ? FROM units WHERE id = ? RETURNING id`,
		o, p.vehicle, time.Now().UTC(), unit).Scan(context.Background(), &id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

// bookingFixtures adds the booking routes to the permission matrix.
func (e *env) bookingFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	other := func(in bool) int64 { return e.newUser(place(in), "applicant").ID }
	// own is an order of the caller inside, of someone else outside.
	own := func(c caller, in bool, state string) int64 {
		if in {
			return e.order(place(in), state, c.user.ID, 0, 0)
		}
		return e.order(place(in), state, other(in), 0, 0)
	}
	held := func(in bool, state string) int64 {
		p := e.pair(place(in))
		return e.order(place(in), state, other(in), p.vehicle, p.driver)
	}
	driving := func(c caller, in bool, state string) int64 {
		if in {
			return e.order(place(in), state, other(in), e.pair(place(in)).vehicle, e.driverOf(c, place(in)))
		}
		return held(in, state)
	}
	path := func(id int64, rest string) string { return fmt.Sprintf("/api/orders/%d%s", id, rest) }
	input := booking.Input{Reason: "开会", PassengerCount: 1, PickupPlace: "市政府", Destinations: []string{"武进"},
		PickupAt: time.Now().Add(48 * time.Hour), ReturnAt: time.Now().Add(50 * time.Hour)}
	reason := map[string]string{"reason": "测试原因"}
	return map[string]func(c caller, in bool) call{
		"GET /api/orders": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/orders?unit_id=%d", place(in)), nil}
		},
		"GET /api/holiday-filings": func(c caller, in bool) call { return call{"GET", "/api/holiday-filings", nil} },
		"POST /api/holiday-filings/{id}/approve": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/holiday-filings/%d/approve", e.holidayFiling(place(in))), map[string]string{}}
		},
		"POST /api/holiday-filings/{id}/return": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/holiday-filings/%d/return", e.holidayFiling(place(in))), reason}
		},
		"GET /api/orders/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/orders/export?unit_id=%d", place(in)), nil}
		},
		"POST /api/orders":        func(c caller, in bool) call { return call{"POST", "/api/orders", input} },
		"GET /api/my/orders":      func(c caller, in bool) call { return call{"GET", "/api/my/orders", nil} },
		"GET /api/approvals":      func(c caller, in bool) call { return call{"GET", "/api/approvals", nil} },
		"GET /api/driver/tasks":   func(c caller, in bool) call { return call{"GET", "/api/driver/tasks", nil} },
		"GET /api/booking/counts": func(c caller, in bool) call { return call{"GET", "/api/booking/counts", nil} },
		"GET /api/booking/gaps":   func(c caller, in bool) call { return call{"GET", "/api/booking/gaps", nil} },
		"GET /api/orders/{id}":    func(c caller, in bool) call { return call{"GET", path(own(c, in, booking.Submitted), ""), nil} },
		"GET /api/orders/{id}/dispatch-sheet.pdf": func(c caller, in bool) call {
			return call{"GET", path(own(c, in, booking.Dispatched), "/dispatch-sheet.pdf"), nil}
		},
		"PUT /api/orders/{id}": func(c caller, in bool) call { return call{"PUT", path(own(c, in, booking.Returned), ""), input} },
		"POST /api/orders/{id}/approve": func(c caller, in bool) call {
			return call{"POST", path(e.order(place(in), booking.Submitted, other(in), 0, 0), "/approve"), map[string]string{}}
		},
		"POST /api/orders/{id}/return": func(c caller, in bool) call {
			return call{"POST", path(e.order(place(in), booking.Submitted, other(in), 0, 0), "/return"), reason}
		},
		"POST /api/orders/{id}/cancel": func(c caller, in bool) call {
			return call{"POST", path(own(c, in, booking.Submitted), "/cancel"), reason}
		},
		"GET /api/orders/{id}/suggestions": func(c caller, in bool) call {
			return call{"GET", path(e.order(place(in), booking.Approved, other(in), 0, 0), "/suggestions"), nil}
		},
		"POST /api/orders/{id}/dispatch": func(c caller, in bool) call {
			p := e.pair(place(in))
			return call{"POST", path(e.order(place(in), booking.Approved, other(in), 0, 0), "/dispatch"),
				booking.DispatchInput{VehicleID: p.vehicle, DriverID: p.driver, SealedFiling: "节假日值守备案"}}
		},
		"POST /api/orders/{id}/consent": func(c caller, in bool) call {
			return call{"POST", path(held(in, booking.PendingConsent), "/consent"), nil}
		},
		"POST /api/orders/{id}/refuse": func(c caller, in bool) call {
			return call{"POST", path(held(in, booking.PendingConsent), "/refuse"), reason}
		},
		"POST /api/orders/{id}/rental": func(c caller, in bool) call {
			return call{"POST", path(e.order(place(in), booking.Approved, other(in), 0, 0), "/rental"), map[string]any{"reason": "车辆不足", "company_id": e.life().rent}}
		},
		"POST /api/orders/{id}/depart": func(c caller, in bool) call {
			// A car of its own, picked up within the departure window (R-13(4)).
			id := held(in, booking.Dispatched)
			if in {
				v := e.newVehicle(place(in))
				d := e.driverOf(c, place(in))
				e.match(d, v)
				id = e.order(place(in), booking.Dispatched, other(in), v, d)
			}
			if _, err := e.w.DB.W.ExecContext(context.Background(), "UPDATE orders SET pickup_at = ?, return_at = ? WHERE id = ?",
				time.Now().UTC().Add(30*time.Minute), time.Now().UTC().Add(2*time.Hour), id); err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", path(id, "/depart"), map[string]int{"odometer": 100}}
		},
		"POST /api/orders/{id}/change": func(c caller, in bool) call {
			return call{"POST", path(driving(c, in, booking.Departed), "/change"), map[string]string{"destination": "金坛"}}
		},
		"POST /api/orders/{id}/finish": func(c caller, in bool) call {
			return call{"POST", path(driving(c, in, booking.Departed), "/finish"), map[string]int{"odometer": 150}}
		},
		"POST /api/orders/{id}/changes/{change_id}/ack": func(c caller, in bool) call {
			id := held(in, booking.Departed)
			var cid int64
			if err := e.w.DB.W.NewRaw("INSERT INTO order_changes (order_id, reported_at, reported_by, destination) VALUES (?, ?, 0, '金坛') RETURNING id",
				id, time.Now().UTC()).Scan(context.Background(), &cid); err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", path(id, fmt.Sprintf("/changes/%d/ack", cid)), nil}
		},
		"POST /api/orders/{id}/back": func(c caller, in bool) call {
			return call{"POST", path(held(in, booking.Finished), "/back"), map[string]string{"parking_place": "地下车库"}}
		},
		"POST /api/orders/{id}/rate": func(c caller, in bool) call {
			return call{"POST", path(own(c, in, booking.Back), "/rate"), map[string]any{"rating": 5, "comment": "好"}}
		},
		"POST /api/orders/{id}/attachments": func(c caller, in bool) call {
			return call{"POST", path(own(c, in, booking.Submitted), "/attachments"), map[string]any{"file": []byte("%PDF-1.4\n%测试会议通知\n")}}
		},
		"GET /api/orders/{id}/attachments/{att_id}": func(c caller, in bool) call {
			applicant := c
			if !in {
				applicant = e.caller(place(in), access.Applicant)
			}
			id := e.order(place(in), booking.Submitted, applicant.user.ID, 0, 0)
			att, err := e.w.Booking.Attach(context.Background(), applicant.actor, e.w.Fleet.Blobs, id, "通知.pdf", []byte("%PDF-1.4\n"))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", path(id, fmt.Sprintf("/attachments/%d", att.ID)), nil}
		},
		"GET /api/dispatch/board": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/dispatch/board?unit_id=%d", place(in)), nil}
		},
		"GET /api/dispatch/delegations": func(c caller, in bool) call { return call{"GET", "/api/dispatch/delegations", nil} },
		"PUT /api/dispatch/delegations/{id}": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/dispatch/delegations/%d", place(in)), map[string]any{"on": true}}
		},
		"GET /api/drivers/{id}/ratings": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/drivers/%d/ratings", e.pair(place(in)).driver), nil}
		},
		"GET /api/emergency-filings": func(c caller, in bool) call { return call{"GET", "/api/emergency-filings", nil} },
		"POST /api/emergency-filings": func(c caller, in bool) call {
			return call{"POST", "/api/emergency-filings", booking.FilingInput{VehicleID: e.pair(place(in)).vehicle, Leader: "王局长", Reason: "防汛", StartedAt: time.Now().Add(-time.Hour)}}
		},
		"POST /api/emergency-filings/{id}/complete": func(c caller, in bool) call {
			f, err := e.w.Booking.OpenForTrip(context.Background(), e.pair(place(in)).vehicle, time.Now().Add(-time.Hour), nil, fmt.Sprintf("trip:%d", e.next()))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", fmt.Sprintf("/api/emergency-filings/%d/complete", f.ID), booking.FilingInput{Leader: "王局长", Reason: "应急"}}
		},
		"POST /api/emergency-filings/{id}/attachments": func(c caller, in bool) call {
			f, err := e.w.Booking.OpenForTrip(context.Background(), e.pair(place(in)).vehicle, time.Now().Add(-time.Hour), nil, fmt.Sprintf("trip:%d", e.next()))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", fmt.Sprintf("/api/emergency-filings/%d/attachments", f.ID), map[string]any{"file": []byte("%PDF-1.4\n%领导同意\n")}}
		},
		"GET /api/emergency-filings/{id}/attachments/{att_id}": func(c caller, in bool) call {
			ctx := context.Background()
			f, err := e.w.Booking.OpenForTrip(ctx, e.pair(place(in)).vehicle, time.Now().Add(-time.Hour), nil, fmt.Sprintf("trip:%d", e.next()))
			if err != nil {
				e.t.Fatal(err)
			}
			att, err := e.w.Booking.AttachFiling(ctx, e.caller(place(in), access.VehicleManager).actor, e.w.Fleet.Blobs, f.ID, "领导同意.pdf", []byte("%PDF-1.4\n"))
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", fmt.Sprintf("/api/emergency-filings/%d/attachments/%d", f.ID, att.ID), nil}
		},
		"GET /api/calendar": func(c caller, in bool) call { return call{"GET", "/api/calendar?year=2026", nil} },
		"PUT /api/calendar/{day}": func(c caller, in bool) call {
			return call{"PUT", "/api/calendar/2026-12-31", map[string]string{"kind": "holiday", "name": "测试"}}
		},
		"GET /api/notifications":        func(c caller, in bool) call { return call{"GET", "/api/notifications", nil} },
		"POST /api/notifications/read":  func(c caller, in bool) call { return call{"POST", "/api/notifications/read", map[string]int{}} },
		"GET /api/notifications/stream": func(c caller, in bool) call { return call{"GET", "/api/notifications/stream", nil} },
	}
}
