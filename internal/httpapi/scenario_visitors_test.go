package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/httpapi"
	"govfleet/internal/ridehail"
	"govfleet/internal/visitors"
)

// visitorLogin logs a visitor in through POST /api/visitor/login and
// returns its session.
func (e *env) visitorLogin(mobile, password string) (session, int) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"mobile": mobile, "password": password})
	resp, err := http.Post(e.srv.URL+"/api/visitor/login", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		CSRF string `json:"csrf_token"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	for _, c := range resp.Cookies() {
		if c.Name == httpapi.SessionCookie {
			return session{c.Value, out.CSRF}, resp.StatusCode
		}
	}
	return session{}, resp.StatusCode
}

// TestVisitorScenario: a visiting official registers over the API with an
// SMS code, logs in with the mobile, is refused a booking while pending,
// is verified by the host unit's approver, books a platform vehicle and a
// ride-hailing car (the provider simulator on a free port calls back), and
// the city's administrator reconciles the month.
func TestVisitorScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		box := e.visitorEnv()
		m := e.mobile()
		if st, body := e.do(nil, "POST", "/api/visitor/code", map[string]string{"mobile": m}); st != http.StatusNoContent {
			t.Fatalf("code: %d %s", st, body)
		}
		reg := visitors.RegisterInput{Name: "韩梅", Mobile: m, Code: "99999x", HomeCity: "滁州", HomeUnit: "滁州市机关事务管理局", HostUnitID: e.inUnit, Password: testPassword}
		if st, body := e.do(nil, "POST", "/api/visitor/register", reg); st != http.StatusBadRequest || !strings.Contains(string(body), "验证码错误") {
			t.Fatalf("wrong code: %d %s", st, body)
		}
		reg.Code = box.code(m)
		st, body := e.do(nil, "POST", "/api/visitor/register", reg)
		if st != http.StatusCreated || !strings.Contains(string(body), "待核验") {
			t.Fatalf("register: %d %s", st, body)
		}
		if _, st := e.visitorLogin(m, "Wrong#2026pw"); st != http.StatusUnauthorized {
			t.Fatalf("wrong password: %d", st)
		}
		vs, st := e.visitorLogin(m, testPassword)
		if st != http.StatusOK || vs.token == "" {
			t.Fatalf("visitor login: %d", st)
		}
		var me visitors.Visitor
		st, body = e.do(&vs, "GET", "/api/visitor/me", nil)
		if json.Unmarshal(body, &me); st != http.StatusOK || me.State != visitors.Pending {
			t.Fatalf("me: %d %s", st, body)
		}
		start := time.Now().Add(30 * time.Hour).UTC()
		book := visitors.BookInput{Kind: visitors.KindPlatform, Reason: "考察", PassengerCount: 2, PickupPlace: "常州北站", Destination: "天宁区城市管理局", StartAt: start, EndAt: start.Add(4 * time.Hour)}
		if st, body := e.do(&vs, "POST", "/api/visitor/bookings", book); st != http.StatusForbidden || !strings.Contains(string(body), "等待") {
			t.Fatalf("pending books: %d %s", st, body)
		}
		// The visitor reaches nothing of the staff's.
		for _, p := range []string{"/api/orders", "/api/vehicles", "/api/units/tree", "/api/visitors"} {
			if st, _ := e.do(&vs, "GET", p, nil); st != http.StatusForbidden {
				t.Errorf("visitor GET %s: %d, want 403", p, st)
			}
		}
		appr := e.caller(e.inUnit, access.Approver)
		if st, body := e.do(&appr.sess, "POST", fmt.Sprintf("/api/visitors/%d/decide", me.ID), visitors.DecideInput{Approve: true}); st != http.StatusOK {
			t.Fatalf("verify: %d %s", st, body)
		}
		var b visitors.Booking
		st, body = e.do(&vs, "POST", "/api/visitor/bookings", book)
		if json.Unmarshal(body, &b); st != http.StatusCreated || b.OrderNo == "" {
			t.Fatalf("platform booking: %d %s", st, body)
		}

		// Ride-hailing against the simulator.
		// The visitors service and the provider share one fixed instant, the
		// month reconciled below: a month's last Beijing midnight during the
		// test cannot put the ride and the reconciliation in different months.
		now := time.Now()
		w.Visitors.Now = func() time.Time { return now }
		sim := &ridehail.Simulator{ClientID: "scn", ClientSecret: "scn-secret", Secret: []byte("scn-callback"), Now: w.Visitors.Now}
		ss := httptest.NewServer(sim)
		defer ss.Close()
		w.Visitors.Ride = &ridehail.HTTP{Label: "T3出行（模拟）", BaseURL: ss.URL, ClientID: "scn", ClientSecret: "scn-secret", Secret: []byte("scn-callback")}
		w.Visitors.CallbackURL = e.srv.URL + "/api/ridehail/callback"
		ride := visitors.BookInput{Kind: visitors.KindRide, PickupPlace: "常州北站", Destination: "市行政中心", StartAt: time.Now().Add(time.Hour), EndAt: time.Now().Add(3 * time.Hour), CapFen: 60000}
		if st, body := e.do(&vs, "POST", "/api/visitor/bookings", ride); st != http.StatusBadRequest || !strings.Contains(string(body), "费用上限不能超过") {
			t.Fatalf("cap above the limit: %d %s", st, body)
		}
		ride.CapFen = 9000
		st, body = e.do(&vs, "POST", "/api/visitor/bookings", ride)
		if json.Unmarshal(body, &b); st != http.StatusCreated {
			t.Fatalf("ride: %d %s", st, body)
		}
		var app string
		w.DB.R.NewSelect().Table("visitor_bookings").Column("provider_app_id").Where("id = ?", b.ID).Scan(context.Background(), &app)
		for i := 0; i < 5; i++ {
			if _, err := sim.Advance(context.Background(), app, 2600); err != nil {
				t.Fatal(err)
			}
		}
		var d visitors.Detail
		st, body = e.do(&vs, "GET", fmt.Sprintf("/api/visitor/bookings/%d", b.ID), nil)
		if json.Unmarshal(body, &d); st != http.StatusOK || d.State != ridehail.Paid || d.CarPlate == "" || d.FeeFen == nil || *d.FeeFen != 2600 || len(d.Events) != 6 {
			t.Fatalf("ride paid: %d %s", st, body)
		}
		if st, body := e.do(&vs, "POST", fmt.Sprintf("/api/visitor/bookings/%d/rate", b.ID), visitors.RateInput{Rating: 5}); st != http.StatusOK {
			t.Fatalf("rate: %d %s", st, body)
		}
		city := e.caller(w.UnitID(t, "常州市"), access.PlatformAdmin)
		var rep visitors.Report
		st, body = e.do(&city.sess, "GET", "/api/ridehail/reconciliation?month="+beijing.Month(now), nil)
		if json.Unmarshal(body, &rep); st != http.StatusOK || !rep.Reachable || rep.Theirs != 1 {
			t.Fatalf("reconciliation: %d %s", st, body)
		}
		for _, r := range rep.Rows {
			if r.No == b.No && r.Difference != "" {
				t.Fatalf("the paid ride differs: %+v", r)
			}
		}
		if st, _ := e.do(&appr.sess, "GET", "/api/visitor-bookings/export?q=韩梅", nil); st != http.StatusOK {
			t.Fatalf("export: %d", st)
		}
	})
}
