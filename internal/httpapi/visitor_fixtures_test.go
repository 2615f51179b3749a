package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sync"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/ridehail"
	"govfleet/internal/visitors"
)

// smsBox keeps the texts sent, in place of an SMS gateway.
type smsBox struct {
	mu   sync.Mutex
	last map[string]string
}

func (b *smsBox) Send(_ context.Context, phone, text string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.last == nil {
		b.last = map[string]string{}
	}
	b.last[phone] = text
	return nil
}

var smsCodeRe = regexp.MustCompile(`验证码：(\d{6})`)

func (b *smsBox) code(phone string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if m := smsCodeRe.FindStringSubmatch(b.last[phone]); m != nil {
		return m[1]
	}
	return ""
}

// fixtureSecret signs the fixtures' ride-hailing callbacks.
var fixtureSecret = []byte("fixture-callback-secret")

// visitorEnv makes the world's visitors' service testable: SMS codes
// captured, the address limit out of the way (the matrix sends every
// request from 127.0.0.1), a ride-hailing provider that signs with
// fixtureSecret, cancels whatever it is asked to and is unreachable for
// anything else.
func (e *env) visitorEnv() *smsBox {
	box := &smsBox{}
	vs := e.w.Visitors
	vs.SMS = box
	lim := visitors.DefaultLimits
	lim.AddressPerHour = 100000
	vs.Limits = lim
	vs.Ride = cancellingRide{&ridehail.HTTP{Label: "T3出行（模拟）", BaseURL: "http://127.0.0.1:1", Secret: fixtureSecret}}
	return box
}

// cancellingRide is the fixtures' provider: it cancels any application at
// no fee.
type cancellingRide struct{ *ridehail.HTTP }

func (cancellingRide) Cancel(_ context.Context, id, _ string) (ridehail.Cancellation, error) {
	return ridehail.Cancellation{ApplicationID: id, Status: ridehail.Cancelled}, nil
}

func (e *env) mobile() string {
	return fmt.Sprintf("138%08d", (time.Now().UnixNano()/1000+e.next())%100000000)
}

// registered registers a visitor hosted by unit (pending) and returns its
// id and mobile.
func (e *env) registered(box *smsBox, unit int64) (int64, string) {
	e.t.Helper()
	ctx := context.Background()
	m := e.mobile()
	if err := e.w.Visitors.SendCode(ctx, m, "10.9.9.9"); err != nil {
		e.t.Fatal(err)
	}
	v, err := e.w.Visitors.Register(ctx, "10.9.9.9", visitors.RegisterInput{Name: "来访测试", Mobile: m, Code: box.code(m), HomeCity: "徐州",
		HomeUnit: "徐州市财政局", HostUnitID: unit, Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID, m
}

// asVisitor gives a matrix caller holding the visitor role a verified
// registration (once).
func (e *env) asVisitor(c caller) {
	e.t.Helper()
	if !c.actor.HasRole(access.Visitor) {
		return
	}
	ctx := context.Background()
	n, err := e.w.DB.R.NewSelect().Table("visitors").Where("user_id = ?", c.user.ID).Count(ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	if n == 0 {
		_, err := e.w.DB.W.NewRaw(`INSERT INTO visitors (user_id, name, mobile, home_city, home_unit, host_unit_id, state, verified_by, created_at)
			VALUES (?, '矩阵来访', ?, '南京', '南京市财政局', ?, 'verified', 'approver', ?)`, c.user.ID, e.mobile(), c.user.ScopeID, time.Now().UTC()).Exec(ctx)
		if err != nil {
			e.t.Fatal(err)
		}
	}
}

// rideBooking writes a ride of the visitor of user (a fresh fixture
// visitor hosted by the matrix's unit when user is 0) in state.
func (e *env) rideBooking(userID int64, state string) (int64, string) {
	e.t.Helper()
	return e.rideBookingAt(e.inUnit, userID, state)
}

// rideBookingAt is rideBooking with a fresh visitor hosted by unit.
func (e *env) rideBookingAt(unit, userID int64, state string) (int64, string) {
	e.t.Helper()
	ctx := context.Background()
	var vid int64
	if userID != 0 {
		if err := e.w.DB.R.NewSelect().Table("visitors").Column("id").Where("user_id = ?", userID).Scan(ctx, &vid); err != nil {
			e.t.Fatal(err)
		}
	} else {
		u := e.newUser(e.inUnit, access.Applicant)
		if err := e.w.DB.W.NewRaw(`INSERT INTO visitors (user_id, name, mobile, home_city, home_unit, host_unit_id, state, created_at)
			VALUES (?, '回调来访', ?, '南京', '南京市财政局', ?, 'verified', ?) RETURNING id`, u.ID, e.mobile(), unit, time.Now().UTC()).Scan(ctx, &vid); err != nil {
			e.t.Fatal(err)
		}
	}
	n := e.next()
	no, app := fmt.Sprintf("FKFIX%06d", n), fmt.Sprintf("APP-FIX%06d", n)
	now := time.Now().UTC()
	var id int64
	err := e.w.DB.W.NewRaw(`INSERT INTO visitor_bookings (no, visitor_id, kind, provider, ride_state, window_start, window_end, cap_fen, provider_app_id, created_at, updated_at)
		VALUES (?, ?, 'ridehail', 'T3出行（模拟）', ?, ?, ?, 10000, ?, ?, ?) RETURNING id`, no, vid, state, now, now.Add(time.Hour), app, now, now).Scan(ctx, &id)
	if err != nil {
		e.t.Fatal(err)
	}
	return id, app
}

// visitorFixtures adds the visitors' and ride-hailing routes.
func (e *env) visitorFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	box := e.visitorEnv()
	for _, k := range []string{"GET /api/visitor/host-units", "POST /api/visitor/code", "POST /api/visitor/register", "POST /api/visitor/login",
		"GET /api/visitor/me", "GET /api/visitor/tariffs", "GET /api/visitor/bookings", "POST /api/visitor/bookings", "GET /api/visitor/bookings/{id}",
		"POST /api/visitor/bookings/{id}/rate", "POST /api/visitor/bookings/{id}/cancel", "POST /api/ridehail/callback", "GET /api/ridehail/reconciliation"} {
		untargeted[k] = true
	}
	ownBooking := func(c caller, state string) int64 {
		if c.actor.HasRole(access.Visitor) {
			e.asVisitor(c)
			id, _ := e.rideBooking(c.user.ID, state)
			return id
		}
		id, _ := e.rideBooking(0, state)
		return id
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/visitor/host-units": func(c caller, in bool) call { return call{"GET", "/api/visitor/host-units", nil} },
		"POST /api/visitor/code": func(c caller, in bool) call {
			return call{"POST", "/api/visitor/code", map[string]string{"mobile": e.mobile()}}
		},
		"POST /api/visitor/register": func(c caller, in bool) call {
			m := e.mobile()
			if err := e.w.Visitors.SendCode(context.Background(), m, "10.9.9.8"); err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", "/api/visitor/register", visitors.RegisterInput{Name: "来访注册", Mobile: m, Code: box.code(m), HomeCity: "徐州",
				HomeUnit: "徐州市财政局", HostUnitID: e.inUnit, Password: testPassword}}
		},
		"POST /api/visitor/login": func(c caller, in bool) call {
			_, m := e.registered(box, e.inUnit)
			return call{"POST", "/api/visitor/login", map[string]string{"mobile": m, "password": testPassword}}
		},
		"GET /api/visitor/me": func(c caller, in bool) call {
			e.asVisitor(c)
			return call{"GET", "/api/visitor/me", nil}
		},
		"GET /api/visitor/tariffs": func(c caller, in bool) call { return call{"GET", "/api/visitor/tariffs", nil} },
		"GET /api/visitor/bookings": func(c caller, in bool) call {
			e.asVisitor(c)
			return call{"GET", "/api/visitor/bookings", nil}
		},
		"POST /api/visitor/bookings": func(c caller, in bool) call {
			e.asVisitor(c)
			start := time.Now().Add(24*time.Hour + time.Duration(e.next())*time.Minute)
			return call{"POST", "/api/visitor/bookings", visitors.BookInput{Kind: visitors.KindPlatform, Reason: "矩阵", PassengerCount: 1,
				PickupPlace: "常州北站", Destination: "市行政中心", StartAt: start, EndAt: start.Add(2 * time.Hour)}}
		},
		"GET /api/visitor/bookings/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/visitor/bookings/%d", ownBooking(c, ridehail.Accepted)), nil}
		},
		"POST /api/visitor/bookings/{id}/rate": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/visitor/bookings/%d/rate", ownBooking(c, ridehail.Paid)), visitors.RateInput{Rating: 5}}
		},
		"POST /api/visitor/bookings/{id}/cancel": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/visitor/bookings/%d/cancel", ownBooking(c, ridehail.Created)), visitors.CancelInput{Reason: "行程取消"}}
		},
		"POST /api/visitor-bookings/{id}/cancel": func(c caller, in bool) call {
			id, _ := e.rideBookingAt(place(in), 0, ridehail.Accepted)
			return call{"POST", fmt.Sprintf("/api/visitor-bookings/%d/cancel", id), visitors.CancelInput{Reason: "接待安排调整"}}
		},
		"GET /api/visitors": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/visitors?unit_id=%d", place(in)), nil}
		},
		"POST /api/visitors/{id}/decide": func(c caller, in bool) call {
			id, _ := e.registered(box, place(in))
			return call{"POST", fmt.Sprintf("/api/visitors/%d/decide", id), visitors.DecideInput{Approve: true}}
		},
		"GET /api/visitor-bookings": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/visitor-bookings?unit_id=%d", place(in)), nil}
		},
		"GET /api/visitor-bookings/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/visitor-bookings/export?unit_id=%d", place(in)), nil}
		},
		"POST /api/ridehail/callback": func(c caller, in bool) call {
			_, app := e.rideBooking(0, ridehail.Created)
			cb := ridehail.Callback{EventID: fmt.Sprintf("ev%d", e.next()), ApplicationID: app, Status: ridehail.Accepted, DriverName: "周师傅", CarPlate: "苏D·T3A01", At: time.Now()}
			body, _ := json.Marshal(cb)
			return call{"POST", "/api/ridehail/callback", signedBody{body: body}}
		},
		"GET /api/ridehail/reconciliation": func(c caller, in bool) call {
			return call{"GET", "/api/ridehail/reconciliation?month=" + time.Now().Format("2006-01"), nil}
		},
	}
}

// signedBody is a callback body the matrix's request signs with
// fixtureSecret (env.do sends it as is, with the headers).
type signedBody struct{ body []byte }

func (s signedBody) headers() http.Header {
	h := http.Header{}
	ridehail.SignHeaders(h, fixtureSecret, fmt.Sprintf("nonce-%d", time.Now().UnixNano()), s.body, time.Now())
	return h
}
