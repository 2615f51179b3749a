package visitors_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/rental"
	"govfleet/internal/ridehail"
	"govfleet/internal/savings"
	"govfleet/internal/storetest"
	"govfleet/internal/visitors"
)

// TestMain removes the demo databases seeded for the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }

// smsBox keeps the texts sent, in place of an SMS gateway.
type smsBox struct {
	mu    sync.Mutex
	texts map[string][]string
}

func (b *smsBox) Send(_ context.Context, phone, text string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.texts == nil {
		b.texts = map[string][]string{}
	}
	b.texts[phone] = append(b.texts[phone], text)
	return nil
}

var codeRe = regexp.MustCompile(`验证码：(\d{6})`)

func (b *smsBox) code(t *testing.T, phone string) string {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	ts := b.texts[phone]
	if len(ts) == 0 {
		t.Fatalf("no SMS to %s", phone)
	}
	m := codeRe.FindStringSubmatch(ts[len(ts)-1])
	if m == nil {
		t.Fatalf("no code in %q", ts[len(ts)-1])
	}
	return m[1]
}

func field(err error, name string) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Fields[name]
	}
	return ""
}

// mobileSeq numbers the test mobiles (eight digits after 139).
var mobileSeq = storetest.Counter(9e7)

func newMobile() string {
	return fmt.Sprintf("139%08d", mobileSeq.Add(1))
}

// partner confirms the visitors of 无锡.
type partner struct{}

func (partner) VerifyVisitor(_ context.Context, city, name, mobile, unit string) (visitors.Verdict, error) {
	if city != "无锡" {
		return visitors.NotPartner, nil
	}
	if strings.Contains(name, "冒名") {
		return visitors.Denied, nil
	}
	return visitors.Confirmed, nil
}

const pw = "Visit#2026pw"

// register sends a code and registers a visitor of home city hosted by
// host, returning it and its actor.
func register(t *testing.T, w *apptest.World, box *smsBox, name, city string, host int64) (*visitors.Visitor, *access.Actor) {
	t.Helper()
	ctx := context.Background()
	m := newMobile()
	if err := w.Visitors.SendCode(ctx, m, "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	v, err := w.Visitors.Register(ctx, "10.0.0.1", visitors.RegisterInput{Name: name, Mobile: m, Code: box.code(t, m), HomeCity: city,
		HomeUnit: city + "市机关事务管理局", HostUnitID: host, Purpose: "考察交流", Password: pw})
	if err != nil {
		t.Fatal(err)
	}
	name2, err := w.Visitors.UsernameOf(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.Auth.Login(ctx, name2, pw, "10.0.0.1", "test")
	if err != nil {
		t.Fatalf("visitor login: %v", err)
	}
	p, err := w.Auth.Authenticate(ctx, l.Token, "10.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return v, p.Actor
}

// TestRegistrationAndVerification: the SMS code (wrong, reused, expired,
// rate-limited), the registration, verification by the host unit's
// approver or by the partner platform, refusal with a reason; an
// unverified visitor cannot book.
func TestRegistrationAndVerification(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		box := &smsBox{}
		vs := w.Visitors
		vs.SMS = box
		host := w.UnitID(t, "市机关事务管理局")
		appr, otherAppr := w.Actor(t, "jgj_approver"), w.Actor(t, "tn_admin")

		if err := vs.SendCode(ctx, "1234", "10.0.0.1"); field(err, "mobile") == "" {
			t.Fatalf("bad mobile: %v", err)
		}
		m := newMobile()
		if err := vs.SendCode(ctx, m, "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
		if err := vs.SendCode(ctx, m, "10.0.0.2"); !errs.Is(err, errs.TooManyRequests) {
			t.Fatalf("second code within a minute: %v", err)
		}
		code := box.code(t, m)
		in := visitors.RegisterInput{Name: "钱文博", Mobile: m, Code: "000000", HomeCity: "徐州", HomeUnit: "徐州市发展和改革委员会", HostUnitID: host, Password: pw}
		if code == "000000" {
			in.Code = "111111"
		}
		users := w.Count(t, "users")
		_, err := vs.Register(ctx, "10.0.0.2", in)
		if msg := field(err, "code"); !strings.Contains(msg, "验证码错误，还可尝试4次") {
			t.Fatalf("wrong code: %v", err)
		}
		if w.Count(t, "users") != users || w.Count(t, "visitors") != 0 && false {
			t.Fatal("a refused registration wrote an account")
		}
		var tries int
		if err := w.DB.R.NewSelect().Table("sms_codes").Column("tries").Where("mobile = ?", m).Scan(ctx, &tries); err != nil || tries != 1 {
			t.Fatalf("the wrong try is counted: %d %v", tries, err)
		}
		in.Code = code
		in.Password = "short"
		if _, err := vs.Register(ctx, "10.0.0.2", in); field(err, "password") == "" {
			t.Fatalf("weak password: %v", err)
		}
		in.Password = pw
		v, err := vs.Register(ctx, "10.0.0.2", in)
		if err != nil || v.State != visitors.Pending || v.HostUnitName != "市机关事务管理局" {
			t.Fatalf("register: %+v %v", v, err)
		}
		if _, err := vs.Register(ctx, "10.0.0.2", in); field(err, "code") != "验证码已使用，请重新获取" && field(err, "mobile") == "" {
			t.Fatalf("the code used twice: %v", err)
		}
		// Expired.
		m2 := newMobile()
		if err := vs.SendCode(ctx, m2, "10.0.0.2"); err != nil {
			t.Fatal(err)
		}
		vs.Now = func() time.Time { return time.Now().Add(11 * time.Minute) }
		_, err = vs.Register(ctx, "10.0.0.2", visitors.RegisterInput{Name: "孙立", Mobile: m2, Code: box.code(t, m2), HomeCity: "徐州", HomeUnit: "徐州市财政局", HostUnitID: host, Password: pw})
		vs.Now = nil
		if field(err, "code") != "验证码已过期，请重新获取" {
			t.Fatalf("expired code: %v", err)
		}

		// Pending: no booking.
		_, visitor := register(t, w, box, "周海", "徐州", host)
		start := time.Now().Add(48 * time.Hour)
		book := visitors.BookInput{Kind: visitors.KindPlatform, Reason: "考察交流", PassengerCount: 2, PickupPlace: "常州北站", Destination: "市行政中心", StartAt: start, EndAt: start.Add(6 * time.Hour)}
		if _, err := vs.Book(ctx, visitor, book); !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "等待") {
			t.Fatalf("pending visitor books: %v", err)
		}
		me, err := vs.Me(ctx, visitor)
		if err != nil {
			t.Fatal(err)
		}
		// Outside the approver's scope; refusal needs a reason.
		if _, err := vs.Decide(ctx, otherAppr, me.ID, visitors.DecideInput{Approve: true}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another district decides: %v", err)
		}
		if _, err := vs.Decide(ctx, appr, me.ID, visitors.DecideInput{Approve: false}); field(err, "reason") == "" {
			t.Fatalf("refusal without reason: %v", err)
		}
		got, err := vs.Decide(ctx, appr, me.ID, visitors.DecideInput{Approve: false, Reason: "无公函"})
		if err != nil || got.State != visitors.Refused {
			t.Fatalf("refuse: %+v %v", got, err)
		}
		if _, err := vs.Decide(ctx, appr, me.ID, visitors.DecideInput{Approve: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("decided twice: %v", err)
		}
		if _, err := vs.Book(ctx, visitor, book); !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "无公函") {
			t.Fatalf("refused visitor books: %v", err)
		}
		// The approver verifies another.
		v2, visitor2 := register(t, w, box, "吴敏", "福州", host)
		if got, err := vs.Decide(ctx, appr, v2.ID, visitors.DecideInput{Approve: true}); err != nil || got.State != visitors.Verified || got.VerifiedBy != "approver" {
			t.Fatalf("verify: %+v %v", got, err)
		}
		if _, err := vs.Book(ctx, visitor2, book); err != nil {
			t.Fatalf("verified visitor books: %v", err)
		}
		// The partner platform verifies its own; an unknown name waits.
		vs.Home = partner{}
		defer func() { vs.Home = nil }()
		v3, _ := register(t, w, box, "郑凯", "无锡", host)
		if v3.State != visitors.Verified || v3.VerifiedBy != "partner" {
			t.Fatalf("partner-verified: %+v", v3)
		}
		v4, _ := register(t, w, box, "冒名者", "无锡", host)
		if v4.State != visitors.Pending || v4.Reason == "" {
			t.Fatalf("partner denies: %+v", v4)
		}
		list, n, err := vs.List(ctx, appr, visitors.Filter{State: visitors.Pending}, 1, 50)
		if err != nil || n < 1 || !containsVisitor(list, v4.ID) {
			t.Fatalf("the approver's pending list: %d %v", n, err)
		}
		if _, _, err := vs.List(ctx, otherAppr, visitors.Filter{UnitID: host}, 1, 10); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another district lists the unit: %v", err)
		}
	})
}

func containsVisitor(list []*visitors.Visitor, id int64) bool {
	for _, v := range list {
		if v.ID == id {
			return true
		}
	}
	return false
}

// verified registers a visitor verified by the approver.
func verified(t *testing.T, w *apptest.World, box *smsBox, name string) *access.Actor {
	t.Helper()
	host := w.UnitID(t, "市机关事务管理局")
	v, a := register(t, w, box, name, "南京", host)
	if _, err := w.Visitors.Decide(context.Background(), w.Actor(t, "jgj_approver"), v.ID, visitors.DecideInput{Approve: true}); err != nil {
		t.Fatal(err)
	}
	return a
}

// TestPlatformAndRentalBookings: a platform vehicle's booking is an
// order of the city waiting for its dispatcher, its fee computed from the
// paid-use tariff when it comes back; a rental booking goes through the
// rental company's hand-over; the visitor sees car and driver and rates.
func TestPlatformAndRentalBookings(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		box := &smsBox{}
		vs := w.Visitors
		vs.SMS = box
		a := verified(t, w, box, "林涛")
		start := time.Now().Add(72 * time.Hour).Truncate(time.Minute)
		b, err := vs.Book(ctx, a, visitors.BookInput{Kind: visitors.KindPlatform, Reason: "调研", PassengerCount: 3, PickupPlace: "常州北站", Destination: "武进区政府", StartAt: start, EndAt: start.Add(6 * time.Hour)})
		if err != nil || b.OrderNo == "" || b.State != booking.Approved {
			t.Fatalf("platform booking: %+v %v", b, err)
		}
		var unitKind string
		if err := w.DB.R.NewSelect().TableExpr("orders AS o").ColumnExpr("u.kind").Join("JOIN units AS u ON u.id = o.unit_id").Where("o.no = ?", b.OrderNo).Scan(ctx, &unitKind); err != nil || unitKind != "city" {
			t.Fatalf("the order is the city's: %q %v", unitKind, err)
		}
		c, err := w.Booking.Counts(ctx, w.Actor(t, "city_dispatcher"))
		if err != nil || c.ToDispatch < 1 {
			t.Fatalf("the city dispatcher's count: %+v %v", c, err)
		}
		// The trip ran (dispatch is booking's, tested there): a 7-seat car,
		// 6 h out, 120 km on the odometer.
		var veh int64
		if err := w.DB.R.NewSelect().Table("vehicles").Column("id").Where("seats = 7 AND status <> 'disposed'").Limit(1).Scan(ctx, &veh); err != nil {
			t.Fatal(err)
		}
		// The city's paid-use tariff for business vans: 720 a day, 420 a
		// half day, 1.80 a km; the market's 1,150 and 700 (the test's own).
		if _, err := w.DB.W.ExecContext(ctx, "DELETE FROM rates WHERE kind IN ('paid_use', 'market') AND vehicle_type = 'business_van'"); err != nil {
			t.Fatal(err)
		}
		for _, r := range []savings.RateInput{
			{Kind: savings.PaidUse, VehicleType: "business_van", DayFen: 72000, HalfDayFen: 42000, KmFen: 180, ValidFrom: "2020-01-01"},
			{Kind: savings.Market, VehicleType: "business_van", DayFen: 115000, HalfDayFen: 70000, ValidFrom: "2020-01-01"},
		} {
			if _, err := w.Savings.SaveRate(ctx, w.Actor(t, "city_admin"), 0, r); err != nil {
				t.Fatal(err)
			}
		}
		if ts, err := vs.Tariffs(ctx); err != nil || !slices.ContainsFunc(ts, func(x visitors.Tariff) bool { return x.Name == "商务车" && x.DayFen == 72000 }) {
			t.Fatalf("the tariffs the visitor sees: %+v %v", ts, err)
		}
		dep := start
		ret := start.Add(6 * time.Hour)
		if _, err := w.DB.W.NewRaw("UPDATE orders SET state = ?, vehicle_id = ?, departed_at = ?, finished_at = ?, returned_at = ?, start_odometer = 1000, end_odometer = 1120 WHERE no = ?",
			booking.Back, veh, dep, ret, ret, b.OrderNo).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		d, err := vs.MyBooking(ctx, a, b.ID)
		if err != nil || d.FeeFen == nil || !d.CanRate || d.CarPlate == "" {
			t.Fatalf("back: %+v %v", d.Booking, err)
		}
		// 商务车, 6 h (more than 4): a day, 720 + 120 km × 1.80 = 936.00;
		// the market's day 1,150.00; saving 214.00.
		if *d.FeeFen != 93600 || d.VehicleType != "business_van" || d.MarketFen == nil || *d.MarketFen != 115000 || d.SavingFen == nil || *d.SavingFen != 21400 {
			t.Fatalf("fee %d (%s) %v %v %s", *d.FeeFen, d.VehicleType, d.MarketFen, d.SavingFen, d.FeeNote)
		}
		if n, err := vs.SettleFees(ctx, 0); err != nil || n != 0 {
			t.Fatalf("settled twice: %d %v", n, err)
		}
		if _, err := vs.Rate(ctx, a, b.ID, visitors.RateInput{Rating: 5, Comment: "准时"}); err != nil {
			t.Fatal(err)
		}
		other := verified(t, w, box, "陶冶")
		if _, err := vs.MyBooking(ctx, other, b.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another visitor opens it: %v", err)
		}

		// Rental: handed over to the city's contracted company.
		r, err := vs.Book(ctx, a, visitors.BookInput{Kind: visitors.KindRental, Reason: "赴溧阳调研", PassengerCount: 2, PickupPlace: "常州北站", Destination: "溧阳市政府", StartAt: start.Add(24 * time.Hour), EndAt: start.Add(32 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		var orderID int64
		if err := w.DB.R.NewSelect().Table("orders").Column("id").Where("no = ?", r.OrderNo).Scan(ctx, &orderID); err != nil {
			t.Fatal(err)
		}
		disp, co := w.Actor(t, "city_dispatcher"), w.Actor(t, "co_rental")
		if _, err := w.Rental.HandOver(ctx, disp, orderID, rental.HandOverInput{CompanyID: co.CompanyID, Reason: "来访人员租赁用车"}); err != nil {
			t.Fatal(err)
		}
		list, _, err := w.Rental.List(ctx, co, rental.Filter{}, 1, 100)
		if err != nil {
			t.Fatal(err)
		}
		var ro *rental.Order
		for _, x := range list {
			if x.OrderID == orderID {
				ro = x
			}
		}
		rvs, err := w.Rental.Vehicles(ctx, co)
		if err != nil || ro == nil || len(rvs) == 0 {
			t.Fatalf("rental order %v, vehicles %d %v", ro, len(rvs), err)
		}
		rds, err := w.Rental.Drivers(ctx, co)
		if err != nil || len(rds) == 0 {
			t.Fatal(err)
		}
		if _, err := w.Rental.Assign(ctx, co, ro.ID, rental.AssignInput{VehicleID: rvs[0].ID, DriverID: rds[0].ID}); err != nil {
			t.Fatal(err)
		}
		d, err = vs.MyBooking(ctx, a, r.ID)
		if err != nil || d.CarPlate != rvs[0].Plate || d.DriverName != rds[0].Name || d.Company == "" {
			t.Fatalf("rental assigned: %+v %v", d.Booking, err)
		}
		st := time.Now().Add(-8 * time.Hour)
		if _, err := w.Rental.RecordUsage(ctx, co, ro.ID, rental.UsageInput{StartMileage: 100, EndMileage: 260, StartedAt: st, EndedAt: st.Add(7 * time.Hour), FeeFen: 52000}); err != nil {
			t.Fatal(err)
		}
		d, err = vs.Rate(ctx, a, r.ID, visitors.RateInput{Rating: 4})
		if err != nil || d.FeeFen == nil || *d.FeeFen != 52000 || d.Rating == nil || *d.Rating != 4 {
			t.Fatalf("rental rated: %+v %v", d.Booking, err)
		}
		all, n, err := vs.Bookings(ctx, w.Actor(t, "city_admin"), visitors.BookingFilter{Q: "林涛"}, 1, 10)
		if err != nil || n != 2 || len(all) != 2 {
			t.Fatalf("the console's list: %d %v", n, err)
		}
	})
}

// rideEnv serves the world's API and a provider simulator, both on free
// ports, the world's ride provider speaking HTTP to the simulator.
func rideEnv(t *testing.T, w *apptest.World) (*ridehail.Simulator, string) {
	api := httptest.NewServer(w.Handler())
	t.Cleanup(api.Close)
	// The visitors service and the provider share one fixed instant: the
	// bookings, the provider's orders and the month a test reconciles
	// (beijing.Month(w.Visitors.Now())) stay in one month even when a
	// month's last Beijing midnight falls during the test.
	now := time.Now()
	w.Visitors.Now = func() time.Time { return now }
	sim := &ridehail.Simulator{ClientID: "test-client", ClientSecret: "test-secret", Secret: []byte("test-callback"), Now: w.Visitors.Now}
	ss := httptest.NewServer(sim)
	t.Cleanup(ss.Close)
	w.Visitors.Ride = &ridehail.HTTP{Label: "T3出行（模拟）", BaseURL: ss.URL, ClientID: "test-client", ClientSecret: "test-secret", Secret: []byte("test-callback")}
	w.Visitors.CallbackURL = api.URL + "/api/ridehail/callback"
	return sim, api.URL
}

func post(t *testing.T, url string, body []byte, h http.Header) int {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestRideHailing: the application at the provider (through OAuth),
// callbacks signed, idempotent, never backwards, never above the cap,
// a replay and an unsigned one refused and recorded; the monthly
// reconciliation lists the differences.
func TestRideHailing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		box := &smsBox{}
		vs := w.Visitors
		vs.SMS = box
		a := verified(t, w, box, "黄磊")
		start := time.Now().Add(2 * time.Hour)
		in := visitors.BookInput{Kind: visitors.KindRide, PickupPlace: "常州北站", Destination: "市行政中心", StartAt: start, EndAt: start.Add(3 * time.Hour), CapFen: 15000}
		if _, err := vs.Book(ctx, a, in); !errs.Is(err, errs.Conflict) {
			t.Fatalf("no provider: %v", err)
		}
		var before int64
		w.DB.R.NewSelect().Table("ride_callbacks").ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &before)
		sim, api := rideEnv(t, w)
		in.CapFen = 80000
		if _, err := vs.Book(ctx, a, in); field(err, "cap_fen") == "" {
			t.Fatalf("cap above the limit: %v", err)
		}
		in.CapFen = 15000
		b, err := vs.Book(ctx, a, in)
		if err != nil || b.State != ridehail.Created || b.ProviderAppID != "" && false {
			t.Fatalf("ride: %+v %v", b, err)
		}
		var appID string
		if err := w.DB.R.NewSelect().Table("visitor_bookings").Column("provider_app_id").Where("id = ?", b.ID).Scan(ctx, &appID); err != nil || appID == "" {
			t.Fatalf("application id: %q %v", appID, err)
		}
		if st, err := sim.Advance(ctx, appID, -1); err != nil || st != ridehail.Accepted {
			t.Fatalf("accepted: %s %v", st, err)
		}
		d, err := vs.MyBooking(ctx, a, b.ID)
		if err != nil || d.State != ridehail.Accepted || d.DriverName == "" || d.CarPlate == "" {
			t.Fatalf("driver and car: %+v %v", d.Booking, err)
		}
		// A callback unsigned, wrongly signed, replayed, going backwards.
		url := api + "/api/ridehail/callback"
		cb := ridehail.Callback{EventID: "ev-back", ApplicationID: appID, OutApplicationNo: b.No, Status: ridehail.Created, At: time.Now()}
		body, _ := json.Marshal(cb)
		if st := post(t, url, body, nil); st != http.StatusUnauthorized {
			t.Fatalf("unsigned: %d", st)
		}
		h := http.Header{}
		ridehail.SignHeaders(h, []byte("wrong"), "n-1", body, time.Now())
		if st := post(t, url, body, h); st != http.StatusUnauthorized {
			t.Fatalf("wrongly signed: %d", st)
		}
		h = http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-2", body, time.Now().Add(-10*time.Minute))
		if st := post(t, url, body, h); st != http.StatusUnauthorized {
			t.Fatalf("expired: %d", st)
		}
		h = http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-3", body, time.Now())
		if st := post(t, url, body, h); st != http.StatusConflict {
			t.Fatalf("backwards: %d", st)
		}
		fwd := ridehail.Callback{EventID: "ev-arrived", ApplicationID: appID, OutApplicationNo: b.No, Status: ridehail.Arrived, At: time.Now()}
		body, _ = json.Marshal(fwd)
		h = http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-4", body, time.Now())
		if st := post(t, url, body, h); st != http.StatusOK {
			t.Fatalf("arrived: %d", st)
		}
		if st := post(t, url, body, h); st != http.StatusConflict {
			t.Fatalf("replayed nonce: %d", st)
		}
		h = http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-5", body, time.Now())
		if st := post(t, url, body, h); st != http.StatusOK {
			t.Fatalf("the same event again (idempotent): %d", st)
		}
		// The simulator's own order is still accepted: move it on.
		sim.Advance(ctx, appID, -1) // arrived (already here: a duplicate)
		sim.Advance(ctx, appID, -1) // started
		sim.Advance(ctx, appID, -1) // finished
		if d, _ := vs.Rate(ctx, a, b.ID, visitors.RateInput{Rating: 9}); d != nil {
			t.Fatal("rating 9 accepted")
		}
		// A fee above the cap is refused; the provider keeps it: a difference.
		if _, err := sim.Advance(ctx, appID, 20000); err == nil {
			t.Fatal("fee above the cap accepted")
		}
		d, err = vs.MyBooking(ctx, a, b.ID)
		if err != nil || d.State != ridehail.Finished || d.FeeFen != nil {
			t.Fatalf("after the refused fee: %+v %v", d.Booking, err)
		}
		if _, err := vs.Rate(ctx, a, b.ID, visitors.RateInput{Rating: 5, Comment: "司机很专业"}); err != nil {
			t.Fatal(err)
		}
		if _, err := vs.Rate(ctx, a, b.ID, visitors.RateInput{Rating: 4}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("rated twice: %v", err)
		}
		var verdicts []string
		if err := w.DB.R.NewSelect().Table("ride_callbacks").Column("verdict").Where("id > ?", before).OrderExpr("id").Scan(ctx, &verdicts); err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, v := range verdicts {
			count[v]++
		}
		if count["refused"] != 6 || count["duplicate"] < 2 || count["applied"] != 4 {
			t.Fatalf("recorded callbacks: %v", count)
		}

		// A second ride paid normally; one the platform never heard of.
		b2, err := vs.Book(ctx, a, in)
		if err != nil {
			t.Fatal(err)
		}
		var app2 string
		w.DB.R.NewSelect().Table("visitor_bookings").Column("provider_app_id").Where("id = ?", b2.ID).Scan(ctx, &app2)
		for i := 0; i < 5; i++ {
			if _, err := sim.Advance(ctx, app2, 3600); err != nil {
				t.Fatal(err)
			}
		}
		stranger, _ := json.Marshal(ridehail.Order{OrderID: "T3-X1", OutApplicationNo: "FK-UNKNOWN", Status: ridehail.Paid, FeeFen: 4200, CreatedAt: vs.Now()})
		if st := post(t, strings.Replace(w.Visitors.Ride.(*ridehail.HTTP).BaseURL+"/sim/orders", "//sim", "/sim", 1), stranger, nil); st != http.StatusOK {
			t.Fatalf("stranger order: %d", st)
		}
		month := beijing.Month(vs.Now())
		rep, err := vs.Reconcile(ctx, w.Actor(t, "city_admin"), month, false)
		if err != nil || !rep.Reachable {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		diffs := map[string]string{}
		for _, r := range rep.Rows {
			diffs[r.No] = r.Difference
		}
		if !strings.Contains(diffs[b.No], "不一致") || diffs[b2.No] != "" || diffs["FK-UNKNOWN"] != "平台无此申请" || rep.Differences != 2 {
			t.Fatalf("differences: %v (%d)", diffs, rep.Differences)
		}
		// The provider down: our records alone, said so.
		w.Visitors.Ride = &ridehail.HTTP{Label: "T3出行（模拟）", BaseURL: "http://127.0.0.1:1", ClientID: "x", ClientSecret: "y"}
		rep, err = vs.Reconcile(ctx, w.Actor(t, "city_admin"), month, false)
		if err != nil || rep.Reachable || !strings.Contains(rep.Message, "无法连接") || rep.Ours < 2 {
			t.Fatalf("unreachable: %+v %v", rep, err)
		}
		if _, err := vs.Book(ctx, a, in); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "无法连接") {
			t.Fatalf("booking with the provider down: %v", err)
		}
	})
}

// TestCancel: a ride cancelled by the visitor before a driver
// accepted costs nothing; one cancelled on the console by the host unit's
// dispatcher after the driver accepted costs the provider's cancellation
// fee; the provider's cancelled callback is then a duplicate and a later
// status is refused like one going backwards; a started ride, a ride
// cancelled twice, another unit's approver and the provider unreachable
// are refused with nothing changed; the visitor's platform-vehicle booking
// cancels its order; the reconciliation agrees with the provider.
func TestCancel(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		box := &smsBox{}
		vs := w.Visitors
		vs.SMS = box
		a := verified(t, w, box, "钟明")
		sim, api := rideEnv(t, w)
		start := time.Now().Add(90 * time.Minute)
		ride := func() (*visitors.Booking, string) {
			t.Helper()
			b, err := vs.Book(ctx, a, visitors.BookInput{Kind: visitors.KindRide, PickupPlace: "常州站", Destination: "市民广场", StartAt: start, EndAt: start.Add(2 * time.Hour), CapFen: 12000})
			if err != nil || !b.CanCancel {
				t.Fatalf("ride: %+v %v", b, err)
			}
			var app string
			if err := w.DB.R.NewSelect().Table("visitor_bookings").Column("provider_app_id").Where("id = ?", b.ID).Scan(ctx, &app); err != nil {
				t.Fatal(err)
			}
			return b, app
		}
		verdicts := func(id int64) []string {
			t.Helper()
			var v []string
			if err := w.DB.R.NewSelect().Table("ride_callbacks").ColumnExpr("status || ' ' || verdict").Where("booking_id = ?", id).OrderExpr("id").Scan(ctx, &v); err != nil {
				t.Fatal(err)
			}
			return v
		}

		// The visitor, before a driver accepted: no fee.
		b1, _ := ride()
		if _, err := vs.Cancel(ctx, a, b1.ID, visitors.CancelInput{Reason: " "}); field(err, "reason") == "" {
			t.Fatalf("no reason: %v", err)
		}
		if _, err := vs.Cancel(ctx, w.Actor(t, "gaj_approver"), b1.ID, visitors.CancelInput{Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another unit's approver: %v", err)
		}
		d, err := vs.Cancel(ctx, a, b1.ID, visitors.CancelInput{Reason: "会议改期"})
		if err != nil || d.State != ridehail.Cancelled || d.FeeFen != nil || d.CanCancel || d.CancelReason != "会议改期" {
			t.Fatalf("cancelled by the visitor: %+v %v", d.Booking, err)
		}
		if last := d.Events[len(d.Events)-1]; last.What != "取消用车" || !strings.Contains(last.Note, "来访人员钟明：会议改期") {
			t.Fatalf("timeline: %+v", d.Events)
		}
		if _, err := vs.Cancel(ctx, a, b1.ID, visitors.CancelInput{Reason: "再取消"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("cancelled twice: %v", err)
		}
		sim.Wait()
		if v := verdicts(b1.ID); len(v) != 1 || v[0] != "cancelled duplicate" {
			t.Fatalf("the provider's cancelled callback: %v", v)
		}

		// The host unit's dispatcher, after the driver accepted: the fee.
		b2, app2 := ride()
		if _, err := sim.Advance(ctx, app2, -1); err != nil {
			t.Fatal(err)
		}
		d, err = vs.Cancel(ctx, w.Actor(t, "jgj_dispatcher"), b2.ID, visitors.CancelInput{Reason: "接待安排调整，改派平台车辆"})
		if err != nil || d.State != ridehail.Cancelled || d.FeeFen == nil || *d.FeeFen != ridehail.SimCancelFeeFen || d.CancelledBy != "韩永康" {
			t.Fatalf("cancelled by the dispatcher: %+v %v", d.Booking, err)
		}
		var told []string
		if err := w.DB.R.NewSelect().Table("notifications").ColumnExpr("title || '：' || body").Where("user_id = ?", a.UserID).OrderExpr("id").Scan(ctx, &told); err != nil {
			t.Fatal(err)
		}
		if len(told) == 0 || !strings.Contains(told[len(told)-1], "您的网约车已被取消") || !strings.Contains(told[len(told)-1], "取消费 5.00 元") {
			t.Fatalf("the visitor is told: %v", told)
		}
		sim.Wait()
		// A status the provider sends late, after the cancel: refused.
		late, _ := json.Marshal(ridehail.Callback{EventID: "ev-late", ApplicationID: app2, OutApplicationNo: b2.No, Status: ridehail.Arrived, At: time.Now()})
		h := http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-late", late, time.Now())
		if st := post(t, api+"/api/ridehail/callback", late, h); st != http.StatusConflict {
			t.Fatalf("a status after the cancel: %d", st)
		}
		if v := verdicts(b2.ID); strings.Join(v, ",") != "accepted applied,cancelled duplicate,arrived refused" {
			t.Fatalf("callbacks after the cancel: %v", v)
		}
		if d, _ := vs.MyBooking(ctx, a, b2.ID); d.State != ridehail.Cancelled || *d.FeeFen != ridehail.SimCancelFeeFen {
			t.Fatalf("after the late status: %+v", d.Booking)
		}

		// A started ride cannot be cancelled; neither with the provider down.
		b3, app3 := ride()
		for range 3 {
			sim.Advance(ctx, app3, -1)
		}
		if _, err := vs.Cancel(ctx, a, b3.ID, visitors.CancelInput{Reason: "晚了"}); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "行程中") {
			t.Fatalf("a started ride: %v", err)
		}
		b4, _ := ride()
		provider := w.Visitors.Ride
		w.Visitors.Ride = &ridehail.HTTP{Label: "T3出行（模拟）", BaseURL: "http://127.0.0.1:1", ClientID: "x", ClientSecret: "y"}
		if _, err := vs.Cancel(ctx, a, b4.ID, visitors.CancelInput{Reason: "不去了"}); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "无法连接") {
			t.Fatalf("the provider down: %v", err)
		}
		if d, _ := vs.MyBooking(ctx, a, b4.ID); d.State != ridehail.Created || !d.CanCancel {
			t.Fatalf("after the provider was down: %+v", d.Booking)
		}
		w.Visitors.Ride = provider

		// The provider cancels on its own (no cancel of ours before it): the
		// visitor and the host unit's approvers are told, the timeline says 平台取消.
		b5, app5 := ride()
		sim.Wait()
		own, _ := json.Marshal(ridehail.Callback{EventID: "ev-own-cancel", ApplicationID: app5, OutApplicationNo: b5.No, Status: ridehail.Cancelled, At: time.Now()})
		h = http.Header{}
		ridehail.SignHeaders(h, []byte("test-callback"), "n-own-cancel", own, time.Now())
		if st := post(t, api+"/api/ridehail/callback", own, h); st != http.StatusOK {
			t.Fatalf("the provider's own cancel: %d", st)
		}
		d, err = vs.MyBooking(ctx, a, b5.ID)
		if err != nil || d.State != ridehail.Cancelled || d.CanCancel {
			t.Fatalf("cancelled by the provider: %+v %v", d, err)
		}
		if last := d.Events[len(d.Events)-1]; last.What != "平台取消" || last.Note != "网约车平台取消了订单（T3出行（模拟））" || d.Events[len(d.Events)-2].What == ridehail.StateNames[ridehail.Cancelled] {
			t.Fatalf("timeline of the provider's cancel: %+v", d.Events)
		}
		var toVisitor, toApprovers []string
		if err := w.DB.R.NewSelect().Table("notifications").ColumnExpr("body").Where("user_id = ? AND title = ?", a.UserID, "网约车平台取消了您的网约车").Scan(ctx, &toVisitor); err != nil {
			t.Fatal(err)
		}
		if len(toVisitor) != 1 || !strings.Contains(toVisitor[0], b5.No+" 已被T3出行（模拟）取消（无取消费）") {
			t.Fatalf("the visitor is told of the provider's cancel: %v", toVisitor)
		}
		if err := w.DB.R.NewSelect().TableExpr("notifications AS n").ColumnExpr("u.username").Join("JOIN users AS u ON u.id = n.user_id").
			Where("n.title = ? AND n.body LIKE ?", "网约车平台取消来访人员网约车", "%"+b5.No+"%").Scan(ctx, &toApprovers); err != nil {
			t.Fatal(err)
		}
		if len(toApprovers) == 0 || slices.Contains(toApprovers, "gaj_approver") {
			t.Fatalf("the host unit's approvers are told of the provider's cancel: %v", toApprovers)
		}
		if _, err := vs.Cancel(ctx, a, b5.ID, visitors.CancelInput{Reason: "不去了"}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a ride the provider cancelled, cancelled again: %v", err)
		}
		if v := verdicts(b5.ID); strings.Join(v, ",") != "cancelled applied" {
			t.Fatalf("callbacks of the provider's cancel: %v", v)
		}

		// The reconciliation agrees: both cancelled, the same fee.
		rep, err := vs.Reconcile(ctx, w.Actor(t, "city_admin"), beijing.Month(vs.Now()), false)
		if err != nil || !rep.Reachable {
			t.Fatalf("reconcile: %+v %v", rep, err)
		}
		for _, r := range rep.Rows {
			if (r.No == b1.No || r.No == b2.No) && r.Difference != "" {
				t.Errorf("reconciliation of the cancelled %s: %s", r.No, r.Difference)
			}
		}

		// A platform vehicle: the visitor cancels its order.
		pb, err := vs.Book(ctx, a, visitors.BookInput{Kind: visitors.KindPlatform, Reason: "座谈", PassengerCount: 1, PickupPlace: "常州北站", Destination: "市行政中心", StartAt: start, EndAt: start.Add(3 * time.Hour)})
		if err != nil || !pb.CanCancel {
			t.Fatalf("platform booking: %+v %v", pb, err)
		}
		d, err = vs.Cancel(ctx, a, pb.ID, visitors.CancelInput{Reason: "改乘网约车"})
		if err != nil || d.State != booking.Cancelled || d.CanCancel || d.Events[len(d.Events)-1].Note != "改乘网约车" {
			t.Fatalf("platform booking cancelled: %+v %v", d, err)
		}
	})
}
