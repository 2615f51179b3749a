package booking_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
)

// fx is a world with a few vehicles and drivers of its own, the booking
// service on a fixed clock, and the demo accounts' actors.
type fx struct {
	t   testing.TB
	w   *apptest.World
	svc *booking.Service
	v   map[string]int64 // vehicles by name
	d   map[string]int64 // drivers by name
}

func newFx(t testing.TB, w *apptest.World, now time.Time) *fx {
	db := w.DB
	ctx := context.Background()
	cal := &calendar.Calendar{DB: db}
	if _, err := cal.SeedYears(ctx, 2026, 2027); err != nil {
		t.Fatal(err)
	}
	svc := &booking.Service{DB: db, Calendar: cal, Notify: &notify.Notifier{DB: db, SMS: notify.LogSMS{}}, Now: func() time.Time { return now }}
	f := &fx{t: t, w: w, svc: svc, v: map[string]int64{}, d: map[string]int64{}}
	jgj := w.UnitID(t, "市机关事务管理局")
	czj := w.UnitID(t, "市财政局")
	ts := time.Now().UTC()
	vehicles := []struct {
		name, category, class string
		unit                  int64
		seats                 int
	}{
		{"sedan", "other", "small", jgj, 5},
		{"mpv", "other", "small", jgj, 7},
		{"police", "law_enforcement", "small", jgj, 5},
		{"bus", "other", "medium_bus", jgj, 19},
		{"other-unit", "other", "small", czj, 5},
	}
	for i, v := range vehicles {
		var id int64
		err := db.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, created_at, updated_at)
			VALUES (?, ?, ?, '测试', ?, ?, ?, 'petrol', ?, 'available', ?, ?) RETURNING id`,
			v.unit, fmt.Sprintf("测T%04d", i), v.category, v.name, fmt.Sprintf("TESTVIN%010d", i), v.seats, v.class, ts, ts).Scan(ctx, &id)
		if err != nil {
			t.Fatal(err)
		}
		f.v[v.name] = id
	}
	var driverUser int64
	if err := db.R.NewSelect().Table("users").Column("id").Where("username = 'jgj_driver'").Scan(ctx, &driverUser); err != nil {
		t.Fatal(err)
	}
	// The demo may have linked the account to a driver of its own.
	if _, err := db.W.ExecContext(ctx, "UPDATE drivers SET user_id = NULL WHERE user_id = ?", driverUser); err != nil {
		t.Fatal(err)
	}
	drivers := []struct {
		name, class, expiry string
		user                *int64
		unit                int64
		vehicles            []string
	}{
		{"朱师傅", "B1", "2030-01-01", &driverUser, jgj, []string{"sedan", "mpv", "police", "bus"}},
		{"过期", "C1", "2026-01-01", nil, jgj, []string{"sedan", "mpv"}},
		{"钱师傅", "C1", "2030-01-01", nil, jgj, []string{"sedan", "mpv", "police", "bus"}},
		{"财政", "C1", "2030-01-01", nil, czj, []string{"other-unit"}},
	}
	for i, d := range drivers {
		var id int64
		err := db.W.NewRaw(`INSERT INTO drivers (unit_id, name, id_card, licence_class, licence_expiry, user_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, d.unit, d.name, fmt.Sprintf("TESTID%012d", i), d.class, d.expiry, d.user, ts, ts).Scan(ctx, &id)
		if err != nil {
			t.Fatal(err)
		}
		f.d[d.name] = id
		for _, v := range d.vehicles {
			if _, err := db.W.ExecContext(ctx, "INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", id, f.v[v], ts); err != nil {
				t.Fatal(err)
			}
		}
	}
	return f
}

func (f *fx) a(user string) *access.Actor { return f.w.Actor(f.t, user) }

func (f *fx) order(user string, pickup string, hours, people int) *booking.Order {
	f.t.Helper()
	o, err := f.svc.Create(context.Background(), f.a(user), booking.Input{Reason: "参加全市安全生产会议", Passengers: "秦小敏等", PassengerCount: people,
		PickupPlace: "市行政中心", Destinations: []string{"武进区政府"}, PickupAt: apptest.BJ(pickup), ReturnAt: apptest.BJ(pickup).Add(time.Duration(hours) * time.Hour)})
	if err != nil {
		f.t.Fatalf("create: %v", err)
	}
	return o
}

func (f *fx) events(id int64) int {
	n, err := f.w.DB.R.NewSelect().Table("order_events").Where("order_id = ?", id).Count(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// The whole life of an order, each step by the person R-13 names.
func TestOrderLifecycle(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		s := f.svc
		// No standing delegation: the vehicle manager consents to this one.
		if err := s.SetDelegation(ctx, f.a("jgj_vm"), f.w.UnitID(t, "市机关事务管理局"), false, ""); err != nil {
			t.Fatal(err)
		}
		o := f.order("jgj_staff", "2026-11-23 09:00", 4, 3)
		if o.State != booking.Submitted || !strings.HasPrefix(o.No, "YC20261120") {
			t.Fatalf("created: %s %s", o.State, o.No)
		}
		steps := []struct {
			name string
			run  func() (*booking.Order, error)
			want string
		}{
			{"approve", func() (*booking.Order, error) { return s.Approve(ctx, f.a("jgj_approver"), o.ID, "同意") }, booking.Approved},
			{"dispatch", func() (*booking.Order, error) {
				return s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["mpv"], DriverID: f.d["朱师傅"]})
			}, booking.PendingConsent},
			{"consent", func() (*booking.Order, error) { return s.Consent(ctx, f.a("jgj_vm"), o.ID) }, booking.Dispatched},
			{"depart", func() (*booking.Order, error) {
				s.Now = func() time.Time { return apptest.BJ("2026-11-23 08:30") }
				return s.Depart(ctx, f.a("jgj_driver"), o.ID, 12000)
			}, booking.Departed},
			{"change", func() (*booking.Order, error) {
				return s.ReportChange(ctx, f.a("jgj_driver"), o.ID, booking.ChangeInput{Destination: "金坛区政府", Note: "领导临时增加行程"})
			}, booking.Departed},
			{"finish", func() (*booking.Order, error) { return s.Finish(ctx, f.a("jgj_driver"), o.ID, 12086) }, booking.Finished},
			{"back", func() (*booking.Order, error) {
				return s.ReturnToBase(ctx, f.a("jgj_dispatcher"), o.ID, "市行政中心地下车库B2")
			}, booking.Back},
			{"rate", func() (*booking.Order, error) { return s.Rate(ctx, f.a("jgj_staff"), o.ID, 5, "准时、稳当") }, booking.Closed},
		}
		for _, st := range steps {
			got, err := st.run()
			if err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
			if got.State != st.want {
				t.Fatalf("%s: state %s, want %s", st.name, got.State, st.want)
			}
		}
		d, err := s.Get(ctx, f.a("jgj_staff"), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range d.Events {
			actions = append(actions, e.Action)
		}
		if got := strings.Join(actions, ","); got != "submit,approve,dispatch,consent,depart,change,finish,back,rate" {
			t.Errorf("timeline %s", got)
		}
		if len(d.Changes) != 1 || d.Destinations[len(d.Destinations)-1] != "金坛区政府" || *d.Rating != 5 {
			t.Errorf("changes %d destinations %v rating %v", len(d.Changes), d.Destinations, d.Rating)
		}
		// The rating shows in the driver's history.
		rs, err := s.DriverRatings(ctx, f.a("jgj_vm"), f.d["朱师傅"])
		if err != nil || rs.Count != 1 || rs.Average != 5 || rs.Items[0].Comment != "准时、稳当" {
			t.Errorf("driver ratings: %+v %v", rs, err)
		}
		// The dispatcher acknowledges the change afterwards.
		if _, err := s.AckChange(ctx, f.a("jgj_dispatcher"), o.ID, d.Changes[0].ID); err != nil {
			t.Errorf("ack change: %v", err)
		}
		// Each party heard of its step.
		for user, kind := range map[string]string{"jgj_approver": "approval", "jgj_dispatcher": "dispatch", "jgj_vm": "consent", "jgj_driver": "task", "jgj_staff": "rate"} {
			n, err := db.R.NewSelect().TableExpr("notifications AS n").Join("JOIN users AS u ON u.id = n.user_id").
				Where("u.username = ? AND n.kind = ?", user, kind).Count(ctx)
			if err != nil || n == 0 {
				t.Errorf("%s got no %s notification (%v)", user, kind, err)
			}
		}
	})
}

// Every illegal step is refused with a clear message and changes nothing.
func TestIllegalTransitions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		s := f.svc
		o := f.order("jgj_staff", "2026-11-23 09:00", 4, 3)
		cases := []struct {
			name string
			run  func() (*booking.Order, error)
			code errs.Code
			msg  string
		}{
			// A driver opens only the orders given to it (issue 24).
			{"depart before dispatch", func() (*booking.Order, error) { return s.Depart(ctx, f.a("jgj_driver"), o.ID, 1) }, errs.Forbidden, "不在您的管辖范围内"},
			{"dispatch before approval", func() (*booking.Order, error) {
				return s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["sedan"], DriverID: f.d["朱师傅"]})
			}, errs.Conflict, "不能派车"},
			{"applicant approves", func() (*booking.Order, error) { return s.Approve(ctx, f.a("jgj_staff"), o.ID, "") }, errs.Forbidden, "只有审核员可以审批"},
			{"approver of another unit", func() (*booking.Order, error) { return s.Approve(ctx, f.a("gaj_approver"), o.ID, "") }, errs.Forbidden, "不在您的管辖范围内"},
			{"return without reason", func() (*booking.Order, error) { return s.Return(ctx, f.a("jgj_approver"), o.ID, " ") }, errs.Invalid, "请填写退回原因"},
			{"rate before the end", func() (*booking.Order, error) { return s.Rate(ctx, f.a("jgj_staff"), o.ID, 5, "") }, errs.Conflict, "不能评价"},
			{"rating out of range", func() (*booking.Order, error) { return s.Rate(ctx, f.a("jgj_staff"), o.ID, 6, "") }, errs.Invalid, "1至5星"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := f.events(o.ID)
				_, err := c.run()
				if !errs.Is(err, c.code) || !strings.Contains(err.Error(), c.msg) {
					t.Fatalf("got %v, want %s containing %q", err, c.code, c.msg)
				}
				if f.events(o.ID) != before {
					t.Error("a refused step wrote the timeline")
				}
				got, _ := s.Get(ctx, f.a("jgj_staff"), o.ID)
				if got.State != booking.Submitted {
					t.Errorf("state changed to %s", got.State)
				}
			})
		}
		// Odometer going backwards is refused.
		s.Approve(ctx, f.a("jgj_approver"), o.ID, "")
		if err := s.SetDelegation(ctx, f.a("jgj_vm"), f.w.UnitID(t, "市机关事务管理局"), true, "日常派车授权"); err != nil {
			t.Fatal(err)
		}
		d, err := s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["sedan"], DriverID: f.d["朱师傅"]})
		if err != nil || d.State != booking.Dispatched || d.Consent != "delegation" {
			t.Fatalf("dispatch under delegation: %v %v", err, d)
		}
		if _, err := s.Depart(ctx, f.a("jgj_staff"), o.ID, 100); !errs.Is(err, errs.Forbidden) {
			t.Errorf("someone else departs: %v", err)
		}
		s.Now = func() time.Time { return apptest.BJ("2026-11-23 08:30") }
		if _, err := s.Depart(ctx, f.a("jgj_driver"), o.ID, 100); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Finish(ctx, f.a("jgj_driver"), o.ID, 99); err == nil || !strings.Contains(err.(*errs.Error).Fields["odometer"], "不能小于出车里程") {
			t.Errorf("odometer backwards: %v", err)
		}
	})
}

func TestOrderValidation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		before := f.w.Count(t, "orders")
		ok := booking.Input{Reason: "调研", PassengerCount: 2, PickupPlace: "市政府", Destinations: []string{"溧阳"}, PickupAt: apptest.BJ("2026-11-21 09:00"), ReturnAt: apptest.BJ("2026-11-21 17:00")}
		cases := []struct {
			name  string
			edit  func(in *booking.Input)
			field string
			msg   string
		}{
			{"pick-up in the past", func(in *booking.Input) { in.PickupAt = apptest.BJ("2026-11-19 09:00") }, "pickup_at", "报到时间已过"},
			{"return before pick-up", func(in *booking.Input) { in.ReturnAt = apptest.BJ("2026-11-21 08:00") }, "return_at", "须晚于报到时间"},
			{"more people than any vehicle seats", func(in *booking.Input) { in.PassengerCount = 80 }, "passenger_count", "超过了平台上任何一辆车的载客量"},
			{"no destination", func(in *booking.Input) { in.Destinations = []string{" "} }, "destinations", "至少填写一个目的地"},
			{"no reason", func(in *booking.Input) { in.Reason = "" }, "reason", "请填写用车事由"},
			{"bad phone", func(in *booking.Input) { in.ContactPhone = "123" }, "contact_phone", "联系电话"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				in := ok
				c.edit(&in)
				_, err := f.svc.Create(context.Background(), f.a("jgj_staff"), in)
				e, isE := err.(*errs.Error)
				if !isE || !strings.Contains(e.Fields[c.field], c.msg) {
					t.Fatalf("got %v, want %s: %s", err, c.field, c.msg)
				}
			})
		}
		if n := f.w.Count(t, "orders"); n != before {
			t.Errorf("refused orders were stored: %d → %d", before, n)
		}
	})
}

// Two dispatchers assign the same vehicle for overlapping times at once:
// exactly one succeeds (R-13(3)).
func TestConcurrentDispatch(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		s := f.svc
		s.SetDelegation(ctx, f.a("jgj_vm"), f.w.UnitID(t, "市机关事务管理局"), true, "")
		o1 := f.order("jgj_staff", "2026-11-23 09:00", 4, 2)
		o2 := f.order("jgj_staff", "2026-11-23 11:00", 4, 2)
		for _, o := range []*booking.Order{o1, o2} {
			if _, err := s.Approve(ctx, f.a("jgj_approver"), o.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		d1, d2 := f.a("jgj_dispatcher"), f.a("city_dispatcher")
		var wg sync.WaitGroup
		res := make([]error, 2)
		for i, pair := range []struct {
			a  *access.Actor
			id int64
			dr int64
		}{{d1, o1.ID, f.d["朱师傅"]}, {d2, o2.ID, f.d["钱师傅"]}} {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				_, res[i] = s.Dispatch(ctx, pair.a, pair.id, booking.DispatchInput{VehicleID: f.v["mpv"], DriverID: pair.dr})
			}(i)
		}
		wg.Wait()
		ok := 0
		for _, err := range res {
			if err == nil {
				ok++
			} else if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "该时段已有任务") {
				t.Errorf("the loser's error: %v", err)
			}
		}
		if ok != 1 {
			t.Fatalf("%d dispatches succeeded, want exactly 1 (%v)", ok, res)
		}
	})
}

// Out-of-city trips of a unit that asks for it need two different approvers.
func TestSecondApproval(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		jgj := f.w.UnitID(t, "市机关事务管理局")
		if _, err := db.W.ExecContext(ctx, "INSERT INTO booking_rules (unit_id, second_approval_out_of_city, updated_at) VALUES (?, ?, ?)", jgj, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		// A second approver for the unit.
		a2, err := f.w.Auth.Bootstrap(ctx, "jgj_approver2", "第二审核员", "", "Demo@2026", jgj, false, access.Approver)
		if err != nil {
			t.Fatal(err)
		}
		_ = a2
		in := booking.Input{Reason: "赴南京汇报", PassengerCount: 2, PickupPlace: "市政府", Destinations: []string{"南京"}, OutOfCity: true,
			PickupAt: apptest.BJ("2026-11-24 07:00"), ReturnAt: apptest.BJ("2026-11-24 19:00")}
		o, err := f.svc.Create(ctx, f.a("jgj_staff"), in)
		if err != nil || o.ApprovalsNeeded != 2 {
			t.Fatalf("create: %v needed=%d", err, o.ApprovalsNeeded)
		}
		o, _ = f.svc.Approve(ctx, f.a("jgj_approver"), o.ID, "")
		if o.State != booking.Submitted || o.ApprovalsDone != 1 {
			t.Fatalf("after the first approval: %s %d", o.State, o.ApprovalsDone)
		}
		if _, err := f.svc.Approve(ctx, f.a("jgj_approver"), o.ID, ""); !errs.Is(err, errs.Conflict) {
			t.Fatalf("the same approver twice: %v", err)
		}
		o, err = f.svc.Approve(ctx, f.a("jgj_approver2"), o.ID, "")
		if err != nil || o.State != booking.Approved {
			t.Fatalf("second approval: %v %s", err, o.State)
		}
	})
}

// Suggestions say why a vehicle or driver does not fit, rank the own unit
// first, and holidays seal all but emergency and law-enforcement vehicles
//
func TestSuggestionsAndSealing(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-09-20 09:00"))
		ctx := context.Background()
		s := f.svc
		s.SetDelegation(ctx, f.a("jgj_vm"), f.w.UnitID(t, "市机关事务管理局"), true, "")
		// 2026-10-02 is in the National Day holiday.
		o := f.order("jgj_staff", "2026-10-02 09:00", 3, 5)
		s.Approve(ctx, f.a("jgj_approver"), o.ID, "")
		cands, _, err := s.Suggest(ctx, f.a("city_dispatcher"), o.ID, booking.CandidateFilter{})
		if err != nil {
			t.Fatal(err)
		}
		byPlate := map[int64]*booking.VehicleCandidate{}
		for _, c := range cands {
			byPlate[c.ID] = c
		}
		sedan, mpv, police, bus := byPlate[f.v["sedan"]], byPlate[f.v["mpv"]], byPlate[f.v["police"]], byPlate[f.v["bus"]]
		if sedan == nil || mpv == nil || police == nil || bus == nil {
			t.Fatalf("candidates missing: %d", len(cands))
		}
		if sedan.Suitable || !strings.Contains(strings.Join(sedan.Reasons, ""), "座位不足") {
			t.Errorf("a 5-seat car for 5 people: %v", sedan.Reasons)
		}
		if !mpv.Suitable || mpv.Sealed == "" || !strings.Contains(mpv.Sealed, "国庆") {
			t.Errorf("mpv: suitable %v sealed %q %v", mpv.Suitable, mpv.Sealed, mpv.Reasons)
		}
		if police.Sealed != "" {
			t.Errorf("law-enforcement vehicles are not sealed: %q", police.Sealed)
		}
		for _, d := range mpv.Drivers {
			if d.Name == "过期" && (d.Suitable || !strings.Contains(strings.Join(d.Reasons, ""), "驾驶证已过期")) {
				t.Errorf("expired licence: %v", d.Reasons)
			}
		}
		for _, d := range bus.Drivers {
			if d.Name == "钱师傅" && (d.Suitable || !strings.Contains(strings.Join(d.Reasons, ""), "准驾车型C1不符")) {
				t.Errorf("C1 for a 19-seat bus: %v", d.Reasons)
			}
		}
		// The own unit's suitable vehicles come before other units'.
		if !cands[0].OwnUnit || !cands[0].Suitable {
			t.Errorf("first suggestion: %+v", cands[0].Plate)
		}
		// A sealed vehicle needs a filing; an exempt one does not.
		_, err = s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["mpv"], DriverID: f.d["朱师傅"]})
		if e, ok := err.(*errs.Error); !ok || !strings.Contains(e.Fields["sealed_filing"], "须填写备案事由") {
			t.Fatalf("sealed without filing: %v", err)
		}
		d, err := s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["mpv"], DriverID: f.d["朱师傅"], SealedFiling: "国庆期间防汛值守"})
		if err != nil || d.SealedFiling != "国庆期间防汛值守" {
			t.Fatalf("sealed with filing: %v", err)
		}
		// The authority lists the holiday filings.
		sealed, n, err := s.List(ctx, f.a("city_admin"), booking.Filter{Sealed: true, Q: d.No, Page: 1, Size: 20})
		all, _, _ := s.List(ctx, f.a("city_admin"), booking.Filter{Sealed: true, Page: 1, Size: 200})
		for _, x := range all {
			if x.SealedFiling == "" {
				t.Errorf("order %s without a filing in the sealed list", x.No)
			}
		}
		if err != nil || n != 1 || sealed[0].SealedFiling != "国庆期间防汛值守" {
			t.Errorf("sealed filings: %d %v", n, err)
		}
		// Now the mpv is busy for an overlapping order.
		o2 := f.order("jgj_staff", "2026-10-02 10:00", 2, 2)
		s.Approve(ctx, f.a("jgj_approver"), o2.ID, "")
		cands, _, _ = s.Suggest(ctx, f.a("jgj_dispatcher"), o2.ID, booking.CandidateFilter{})
		for _, c := range cands {
			if c.ID == f.v["mpv"] && (c.Suitable || !strings.Contains(strings.Join(c.Reasons, ""), d.No)) {
				t.Errorf("busy mpv: %v", c.Reasons)
			}
		}
	})
}

// Emergency use: late filings are marked; a trip without an order
// opens a filing once; overdue filings escalate once.
func TestEmergencyFilings(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		now := apptest.BJ("2026-11-20 09:00")
		f := newFx(t, w, now)
		ctx := context.Background()
		s := f.svc
		vm := f.a("jgj_vm")
		late, err := s.FileEmergency(ctx, vm, booking.FilingInput{VehicleID: f.v["sedan"], Leader: "王局长", Reason: "防汛抢险", StartedAt: now.Add(-50 * time.Hour)})
		if err != nil || !late.FiledLate {
			t.Fatalf("late filing: %v %+v", err, late)
		}
		onTime, err := s.FileEmergency(ctx, vm, booking.FilingInput{VehicleID: f.v["sedan"], Leader: "王局长", Reason: "突发事件处置", StartedAt: now.Add(-3 * time.Hour)})
		if err != nil || onTime.FiledLate {
			t.Fatalf("on-time filing: %v", err)
		}
		if _, err := s.FileEmergency(ctx, vm, booking.FilingInput{VehicleID: f.v["other-unit"], Leader: "x", Reason: "x", StartedAt: now.Add(-time.Hour)}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another unit's vehicle: %v", err)
		}
		if _, err := s.FileEmergency(ctx, f.a("jgj_staff"), booking.FilingInput{VehicleID: f.v["sedan"], Leader: "x", Reason: "x", StartedAt: now}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("an applicant files: %v", err)
		}
		// Telematics saw a trip with no order 49 hours ago.
		a, err := s.OpenForTrip(ctx, f.v["mpv"], now.Add(-49*time.Hour), nil, "trip:mpv:1")
		if err != nil || a.State != "open" || !a.Overdue {
			t.Fatalf("open for trip: %v %+v", err, a)
		}
		b, _ := s.OpenForTrip(ctx, f.v["mpv"], now.Add(-49*time.Hour), nil, "trip:mpv:1")
		if b.ID != a.ID {
			t.Error("the same trip opened two filings")
		}
		for i, want := range []int{1, 0} {
			n, err := s.EscalateOverdue(ctx)
			if err != nil || n != want {
				t.Errorf("escalation run %d: %d (%v), want %d", i, n, err, want)
			}
		}
		items, n, err := s.Filings(ctx, f.a("jgj_vm"), booking.FilingFilter{State: "overdue", Page: 1, Size: 20})
		if err != nil || n != 1 || items[0].ID != a.ID {
			t.Errorf("overdue list: %d %v", n, err)
		}
		done, err := s.CompleteFiling(ctx, vm, a.ID, booking.FilingInput{Leader: "李主任", Reason: "夜间应急保障"})
		if err != nil || done.State != "filed" || !done.FiledLate {
			t.Errorf("completed late: %v %+v", err, done)
		}
	})
}

// Whoever files an emergency use, the unit's vehicle manager is told, and
// every message about a filing links to it (issue 24).
func TestEmergencyFilingMessages(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		now := apptest.BJ("2026-11-20 09:00")
		f := newFx(t, w, now)
		ctx := context.Background()
		s := f.svc
		links := func(user, title string) []string {
			var out []string
			if err := w.DB.R.NewSelect().TableExpr("notifications AS n").Column("n.link").Join("JOIN users AS u ON u.id = n.user_id").
				Where("u.username = ? AND n.kind = 'filing' AND n.title = ?", user, title).Order("n.id").Scan(ctx, &out); err != nil {
				t.Fatal(err)
			}
			return out
		}
		filed, err := s.FileEmergency(ctx, f.a("jgj_dispatcher"), booking.FilingInput{VehicleID: f.v["sedan"], Leader: "王局长", Reason: "防汛抢险", StartedAt: now.Add(-3 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		opened, err := s.OpenForTrip(ctx, f.v["mpv"], now.Add(-5*time.Hour), nil, "trip:mpv:msg")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CompleteFiling(ctx, f.a("jgj_admin"), opened.ID, booking.FilingInput{Leader: "李主任", Reason: "夜间应急保障"}); err != nil {
			t.Fatal(err)
		}
		link := func(id int64) string { return fmt.Sprintf("/emergency?id=%d", id) }
		cases := []struct {
			user, title string
			want        []string
		}{
			{"jgj_vm", "紧急用车已补报", []string{link(filed.ID), link(opened.ID)}}, // filed by the dispatcher, completed by the unit administrator
			{"jgj_vm", "发现无单出车，请在48小时内补报", []string{link(opened.ID)}},
			{"jgj_dispatcher", "紧急用车已补报", nil}, // the one who filed is not told
		}
		for _, c := range cases {
			if got := links(c.user, c.title); !slices.Equal(got, c.want) {
				t.Errorf("%s「%s」: links %v, want %v", c.user, c.title, got, c.want)
			}
		}
		items, n, err := s.Filings(ctx, f.a("jgj_vm"), booking.FilingFilter{ID: filed.ID, Page: 1, Size: 20})
		if err != nil || n != 1 || items[0].ID != filed.ID {
			t.Errorf("the linked filing: %d %v", n, err)
		}
	})
}

// An emergency filing takes documents under the rules of an order's
// attachments; only a filer of the unit adds one (issue 24).
func TestEmergencyFilingAttachments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		now := apptest.BJ("2026-11-20 09:00")
		f := newFx(t, w, now)
		ctx := context.Background()
		s, blobs := f.svc, w.Fleet.Blobs
		own, err := s.FileEmergency(ctx, f.a("jgj_dispatcher"), booking.FilingInput{VehicleID: f.v["sedan"], Leader: "王局长", Reason: "防汛抢险", StartedAt: now.Add(-3 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		other, err := s.OpenForTrip(ctx, f.v["other-unit"], now.Add(-2*time.Hour), nil, "trip:other:att")
		if err != nil {
			t.Fatal(err)
		}
		pdf := []byte("%PDF-1.4\n%领导同意\n")
		cases := []struct {
			name   string
			who    string
			filing int64
			file   string
			data   []byte
			code   errs.Code
		}{
			{"the vehicle manager adds the leader's approval", "jgj_vm", own.ID, "领导同意.pdf", pdf, ""},
			{"an applicant", "jgj_staff", own.ID, "x.pdf", pdf, errs.Forbidden},
			{"another unit's filing", "jgj_vm", other.ID, "x.pdf", pdf, errs.Forbidden},
			{"not a document", "jgj_vm", own.ID, "x.exe", []byte("MZ\x90\x00"), errs.Invalid},
			{"empty", "jgj_vm", own.ID, "x.pdf", nil, errs.Invalid},
		}
		for _, c := range cases {
			_, err := s.AttachFiling(ctx, f.a(c.who), blobs, c.filing, c.file, c.data)
			if c.code == "" && err != nil || c.code != "" && !errs.Is(err, c.code) {
				t.Errorf("%s: %v, want %q", c.name, err, c.code)
			}
		}
		items, _, err := s.Filings(ctx, f.a("jgj_vm"), booking.FilingFilter{ID: own.ID, Page: 1, Size: 20})
		if err != nil || len(items) != 1 || len(items[0].Attachments) != 1 || items[0].Attachments[0].Filename != "领导同意.pdf" {
			t.Fatalf("the filing's attachments: %v %+v", err, items)
		}
		att, data, err := s.OpenFilingAttachment(ctx, f.a("jgj_dispatcher"), blobs, own.ID, items[0].Attachments[0].ID)
		if err != nil || att.ContentType != "application/pdf" || string(data) != string(pdf) {
			t.Fatalf("open: %v %+v", err, att)
		}
		if _, _, err := s.OpenFilingAttachment(ctx, w.Actor(t, "zl_admin"), blobs, own.ID, att.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another district opens it: %v", err)
		}
	})
}
