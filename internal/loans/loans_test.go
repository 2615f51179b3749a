package loans_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/loans"
	"govfleet/internal/monitor"
	"govfleet/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fx is a world with vehicles of its own in a unit of 武进区 (the lender)
// and orders of 天宁区城市管理局 (the borrower's unit).
type fx struct {
	t   *testing.T
	w   *apptest.World
	ctx context.Context
	n   int
}

func (f *fx) a(user string) *access.Actor { return f.w.Actor(f.t, user) }

// vehicle adds a vehicle with seats to unit, with a matched driver and,
// when terminal, a bound terminal; it returns the vehicle and the driver.
func (f *fx) vehicle(unit string, seats int, terminal bool) (int64, int64) {
	f.t.Helper()
	f.n++
	ts := time.Now().UTC()
	uid := f.w.UnitID(f.t, unit)
	var v, d int64
	db := f.w.DB
	if err := db.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, created_at, updated_at)
		VALUES (?, ?, 'other', '测试', '借调', ?, ?, 'petrol', 'small', 'available', ?, ?) RETURNING id`,
		uid, fmt.Sprintf("苏D%dJ%03d", f.n%10, f.n), fmt.Sprintf("LOANVIN%010d", f.n), seats, ts, ts).Scan(f.ctx, &v); err != nil {
		f.t.Fatal(err)
	}
	if err := db.W.NewRaw(`INSERT INTO drivers (unit_id, name, id_card, licence_class, licence_expiry, created_at, updated_at)
		VALUES (?, ?, ?, 'B1', '2040-01-01', ?, ?) RETURNING id`, uid, fmt.Sprintf("借调司机%d", f.n), fmt.Sprintf("LOANID%012d", f.n), ts, ts).Scan(f.ctx, &d); err != nil {
		f.t.Fatal(err)
	}
	if _, err := db.W.ExecContext(f.ctx, "INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", d, v, ts); err != nil {
		f.t.Fatal(err)
	}
	if terminal {
		if _, err := db.W.ExecContext(f.ctx, `INSERT INTO terminals (unit_id, terminal_no, sim, vehicle_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
			uid, fmt.Sprintf("LOANT%05d", f.n), fmt.Sprintf("1770000%05d", f.n), v, ts, ts); err != nil {
			f.t.Fatal(err)
		}
	}
	return v, d
}

// order inserts an approved order of unit for [from, to].
func (f *fx) order(unit string, from, to time.Time) int64 {
	f.t.Helper()
	f.n++
	var applicant, id int64
	if err := f.w.DB.R.NewSelect().Table("users").Column("id").Where("username = 'tn_cgj_approver'").Scan(f.ctx, &applicant); err != nil {
		f.t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := f.w.DB.W.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
		pickup_at, return_at, state, approvals_needed, approvals_done, created_at, updated_at)
		VALUES (?, ?, ?, '许晓东', '区两会会务', 3, '区行政中心', '["会场"]', ?, ?, 'approved', 1, 1, ?, ?) RETURNING id`,
		fmt.Sprintf("LN%08d", f.n), f.w.UnitID(f.t, unit), applicant, from, to, now, now).Scan(f.ctx, &id); err != nil {
		f.t.Fatal(err)
	}
	return id
}

func wantErr(t *testing.T, err error, code errs.Code, text string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if !errs.Is(err, code) || !strings.Contains(fmt.Sprint(err), text) {
		t.Fatalf("got %v, want %s containing %q", err, code, text)
	}
}

// A district borrows a vehicle of another district: the lender
// approves, and the borrower's scope opens for exactly that vehicle and the
// loan's period — dispatch, the live map and track playback are refused
// before and after it and allowed inside it — and closes on early return.
func TestDistrictLoanScopeWindow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := &fx{t: t, w: w, ctx: context.Background()}
		ctx := f.ctx
		now := apptest.BJ("2030-06-01 09:00")
		w.Loans.Now = func() time.Time { return now }
		w.Monitor.Now = func() time.Time { return now }
		wj := w.UnitID(t, "武进区")
		van, driver := f.vehicle("武进区政府办公室", 7, true)
		from, to := apptest.BJ("2030-06-03 08:00"), apptest.BJ("2030-06-05 18:00")
		req := loans.RequestInput{LenderID: wj, VehicleIDs: []int64{van}, WithDriver: true, From: from, To: to, Reason: "区两会会务保障"}

		// Bad requests change nothing.
		bad := []struct {
			name string
			user string
			edit func(*loans.RequestInput)
			code errs.Code
			want string
		}{
			{"no reason", "tn_dispatcher", func(in *loans.RequestInput) { in.Reason = " " }, errs.Invalid, "请填写借调事由"},
			{"end before start", "tn_dispatcher", func(in *loans.RequestInput) { in.To = in.From.Add(-time.Hour) }, errs.Invalid, "结束时间须晚于开始时间"},
			{"own level", "tn_dispatcher", func(in *loans.RequestInput) { in.LenderID = w.UnitID(t, "天宁区") }, errs.Invalid, "借出方不能是本级"},
			{"a unit's dispatcher", "jgj_dispatcher", func(in *loans.RequestInput) {}, errs.Forbidden, "市级或区级"},
			{"a vehicle not the lender's", "tn_dispatcher", func(in *loans.RequestInput) { in.LenderID = w.UnitID(t, "钟楼区") }, errs.Invalid, "不属于借出方"},
		}
		before := w.Count(t, "loans")
		for _, c := range bad {
			in := req
			c.edit(&in)
			_, err := w.Loans.Request(ctx, f.a(c.user), in)
			wantErr(t, err, c.code, c.want)
		}
		if n := w.Count(t, "loans"); n != before {
			t.Fatalf("refused requests wrote %d loans", n-before)
		}

		l, err := w.Loans.Request(ctx, f.a("tn_dispatcher"), req)
		wantErr(t, err, "", "")
		if l.State != loans.Requested || l.BorrowerName != "天宁区" || l.LenderName != "武进区" || len(l.Vehicles) != 1 {
			t.Fatalf("requested: %+v", l)
		}
		// A second loan of the same vehicle overlapping it is refused, naming the loan.
		over := req
		over.From, over.To = from.Add(24*time.Hour), to.Add(24*time.Hour)
		_, err = w.Loans.Request(ctx, f.a("zl_dispatcher"), over)
		wantErr(t, err, errs.Conflict, l.No)
		// Only the lending side (or the city above it) decides.
		_, err = w.Loans.Approve(ctx, f.a("tn_admin"), l.ID, loans.ApproveInput{})
		wantErr(t, err, errs.Forbidden, "只有借出方武进区")
		l, err = w.Loans.Approve(ctx, f.a("wj_admin"), l.ID, loans.ApproveInput{Note: "同意"})
		wantErr(t, err, "", "")
		if l.State != loans.Approved {
			t.Fatalf("approved: %+v", l)
		}

		tn := f.a("tn_dispatcher")
		inside := f.order("天宁区城市管理局", apptest.BJ("2030-06-04 09:00"), apptest.BJ("2030-06-04 17:00"))
		early := f.order("天宁区城市管理局", apptest.BJ("2030-06-02 09:00"), apptest.BJ("2030-06-02 17:00"))
		straddle := f.order("天宁区城市管理局", apptest.BJ("2030-06-05 14:00"), apptest.BJ("2030-06-05 20:00"))
		lenderOwn := f.order("武进区政府办公室", apptest.BJ("2030-06-04 09:00"), apptest.BJ("2030-06-04 12:00"))

		// The dispatch dialog lists the lent vehicle only for an order inside the period.
		listed := func(order int64) bool {
			cs, _, err := w.Booking.Suggest(ctx, tn, order, booking.CandidateFilter{Plate: "J"})
			wantErr(t, err, "", "")
			return slices.ContainsFunc(cs, func(c *booking.VehicleCandidate) bool { return c.ID == van })
		}
		if !listed(inside) || listed(early) || listed(straddle) {
			t.Errorf("lent vehicle listed: inside %v, before %v, across the end %v", listed(inside), listed(early), listed(straddle))
		}
		dispatch := func(a *access.Actor, order int64) error {
			_, err := w.Booking.Dispatch(ctx, a, order, booking.DispatchInput{VehicleID: van, DriverID: driver})
			return err
		}
		wantErr(t, dispatch(tn, early), errs.Forbidden, "只能在借调期内调度")
		wantErr(t, dispatch(tn, straddle), errs.Forbidden, l.No)
		wantErr(t, dispatch(f.a("zl_dispatcher"), inside), errs.Forbidden, "不在您的管辖范围内")
		// The lender's own dispatcher no longer has it in the period.
		wantErr(t, dispatch(f.a("wj_dispatcher"), lenderOwn), errs.Conflict, "已借调给天宁区")
		wantErr(t, dispatch(tn, inside), "", "")
		o, err := w.Booking.Get(ctx, tn, inside)
		wantErr(t, err, "", "")
		if o.State != booking.Dispatched || o.Consent != "loan" {
			t.Errorf("dispatched on loan: state %s consent %s", o.State, o.Consent)
		}

		// Track playback: inside the period only.
		adm, zl := f.a("tn_admin"), f.a("zl_admin") // logging in is audited too
		track := func(a *access.Actor, from, to string) error {
			_, err := w.Monitor.Track(ctx, a, monitor.TrackQuery{VehicleID: van, From: apptest.BJ(from), To: apptest.BJ(to), Reason: "核实借调用车"})
			return err
		}
		audits := w.Count(t, "audit_log")
		wantErr(t, track(adm, "2030-06-03 09:00", "2030-06-04 18:00"), "", "")
		if w.Count(t, "audit_log") != audits+1 {
			t.Error("the borrower's track view was not audited")
		}
		wantErr(t, track(adm, "2030-06-02 09:00", "2030-06-03 09:00"), errs.Forbidden, "只能在借调期内查看轨迹")
		wantErr(t, track(adm, "2030-06-05 17:00", "2030-06-06 09:00"), errs.Forbidden, "只能在借调期内查看轨迹")
		wantErr(t, track(zl, "2030-06-03 09:00", "2030-06-04 18:00"), errs.Forbidden, "不在您的管辖范围内")
		if w.Count(t, "audit_log") != audits+1 {
			t.Error("refused track views were audited as views")
		}

		// The live map: on it during the period, not before.
		onMap := func(at string) bool {
			now = apptest.BJ(at)
			vs, err := w.Monitor.Live(ctx, tn, monitor.Filter{})
			wantErr(t, err, "", "")
			return slices.ContainsFunc(vs, func(v *monitor.LiveVehicle) bool { return v.ID == van })
		}
		if onMap("2030-06-02 12:00") || !onMap("2030-06-04 12:00") {
			t.Error("the lent vehicle's live-map window is wrong")
		}

		// Early return: refused while an order of the borrower is open on it.
		now = apptest.BJ("2030-06-04 10:00")
		_, err = w.Loans.Return(ctx, tn, l.ID)
		wantErr(t, err, errs.Conflict, "未结束")
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE orders SET state = 'closed' WHERE id = ?", inside); err != nil {
			t.Fatal(err)
		}
		now = apptest.BJ("2030-06-04 18:00")
		l, err = w.Loans.Return(ctx, tn, l.ID)
		wantErr(t, err, "", "")
		if l.State != loans.Returned || !l.ReturnedAt.Equal(now) {
			t.Fatalf("returned: %+v", l)
		}
		// The window closed at the return.
		if onMap("2030-06-05 09:00") {
			t.Error("a returned vehicle stays on the borrower's map")
		}
		wantErr(t, track(adm, "2030-06-04 19:00", "2030-06-05 09:00"), errs.Forbidden, "只能在借调期内查看轨迹")
		wantErr(t, track(adm, "2030-06-04 09:00", "2030-06-04 17:00"), "", "")
		later := f.order("天宁区城市管理局", apptest.BJ("2030-06-05 09:00"), apptest.BJ("2030-06-05 12:00"))
		wantErr(t, dispatch(tn, later), errs.Forbidden, "只能在借调期内调度")
	})
}

// A loan by type and count: the lender picks the vehicles; the city may
// decide between two districts; a vehicle under repair, sealed or booked
// in the period is refused, naming the order; refusal needs a reason.
func TestLoanByTypeDecisions(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := &fx{t: t, w: w, ctx: context.Background()}
		ctx := f.ctx
		now := apptest.BJ("2030-07-01 09:00")
		w.Loans.Now = func() time.Time { return now }
		wj := w.UnitID(t, "武进区")
		bus, _ := f.vehicle("武进区财政局", 15, false)
		busy, busyDriver := f.vehicle("武进区财政局", 15, false)
		broken, _ := f.vehicle("武进区财政局", 15, false)
		sedan, _ := f.vehicle("武进区财政局", 5, false)
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE vehicles SET status = 'maintenance' WHERE id = ?", broken); err != nil {
			t.Fatal(err)
		}
		from, to := apptest.BJ("2030-07-10 07:00"), apptest.BJ("2030-07-10 19:00")
		booked := f.order("武进区财政局", apptest.BJ("2030-07-10 08:00"), apptest.BJ("2030-07-10 10:00"))
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE orders SET state = 'dispatched', vehicle_id = ?, driver_id = ? WHERE id = ?", busy, busyDriver, booked); err != nil {
			t.Fatal(err)
		}
		var bookedNo string
		w.DB.R.NewSelect().Table("orders").Column("no").Where("id = ?", booked).Scan(ctx, &bookedNo)
		l, err := w.Loans.Request(ctx, f.a("tn_admin"), loans.RequestInput{LenderID: wj, VehicleType: "minibus", Count: 1, From: from, To: to, Reason: "马拉松赛事保障"})
		wantErr(t, err, "", "")
		if l.TypeName != "中巴车" || l.Count != 1 || len(l.Vehicles) != 0 {
			t.Fatalf("by type: %+v", l)
		}
		lendable, err := w.Loans.Lendable(ctx, f.a("wj_admin"), l.ID)
		wantErr(t, err, "", "")
		ids := []int64{}
		for _, v := range lendable {
			ids = append(ids, v.ID)
		}
		if !slices.Contains(ids, bus) || slices.Contains(ids, busy) || slices.Contains(ids, broken) || slices.Contains(ids, sedan) {
			t.Errorf("lendable %v: want the free minibus %d only among ours", ids, bus)
		}
		city := f.a("city_admin")
		for _, c := range []struct {
			name string
			ids  []int64
			code errs.Code
			want string
		}{
			{"none picked", nil, errs.Invalid, "请选择 1 辆中巴车"},
			{"wrong type", []int64{sedan}, errs.Invalid, "不是所借的中巴车"},
			{"under repair", []int64{broken}, errs.Conflict, "正在维修保养"},
			{"booked", []int64{busy}, errs.Conflict, bookedNo},
		} {
			_, err := w.Loans.Approve(ctx, city, l.ID, loans.ApproveInput{VehicleIDs: c.ids})
			wantErr(t, err, c.code, c.want)
		}
		if n := w.Count(t, "loan_vehicles"); n != 0 && func() bool {
			var k int
			w.DB.R.NewSelect().Table("loan_vehicles").ColumnExpr("COUNT(*)").Where("loan_id = ?", l.ID).Scan(ctx, &k)
			return k != 0
		}() {
			t.Error("refused approvals picked vehicles")
		}
		// The city decides between the two districts.
		l, err = w.Loans.Approve(ctx, city, l.ID, loans.ApproveInput{VehicleIDs: []int64{bus}})
		wantErr(t, err, "", "")
		if l.State != loans.Approved || len(l.Vehicles) != 1 || l.Vehicles[0].ID != bus || l.DecidedName == "" {
			t.Fatalf("approved by the city: %+v", l)
		}
		_, err = w.Loans.Refuse(ctx, city, l.ID, "不借")
		wantErr(t, err, errs.Conflict, "已批准")

		l2, err := w.Loans.Request(ctx, f.a("tn_admin"), loans.RequestInput{LenderID: wj, VehicleType: "coach", Count: 2, From: from, To: to, Reason: "接送"})
		wantErr(t, err, "", "")
		_, err = w.Loans.Refuse(ctx, f.a("wj_admin"), l2.ID, " ")
		wantErr(t, err, errs.Invalid, "请填写拒绝的原因")
		l2, err = w.Loans.Refuse(ctx, f.a("wj_admin"), l2.ID, "大客车均有任务")
		wantErr(t, err, "", "")
		if l2.State != loans.Refused || l2.DecisionNote != "大客车均有任务" {
			t.Fatalf("refused: %+v", l2)
		}
		// Both sides see their loans.
		for user, side := range map[string]string{"tn_dispatcher": "borrow", "wj_admin": "lend"} {
			ls, n, err := w.Loans.List(ctx, f.a(user), loans.Filter{Side: side, Page: 1, Size: 50})
			wantErr(t, err, "", "")
			if n < 2 || !slices.ContainsFunc(ls, func(x *loans.Loan) bool { return x.ID == l.ID }) {
				t.Errorf("%s's %s list: %d loans", user, side, n)
			}
		}
		if ls, _, _ := w.Loans.List(ctx, f.a("zl_admin"), loans.Filter{Page: 1, Size: 50}); slices.ContainsFunc(ls, func(x *loans.Loan) bool { return x.ID == l.ID }) {
			t.Error("a third district sees the loan")
		}
	})
}

// The demo's loan under way today: 天宁区 has a van of 武进区 now, on an
// order departed, and its terminal is among the first the demo fleet
// drives (fleet.BoundPhones), so that it moves on 天宁区's live map.
func TestDemoLoanUnderWay(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		tn := w.Actor(t, "tn_dispatcher")
		now := time.Now()
		lent, err := loans.LentTo(ctx, w.DB.R, tn, now, now)
		wantErr(t, err, "", "")
		if len(lent) != 1 {
			t.Fatalf("vehicles lent to 天宁区 now: %v", lent)
		}
		var vehicle int64
		for id := range lent {
			vehicle = id
		}
		var sim string
		if err := w.DB.R.NewSelect().Table("terminals").Column("sim").Where("vehicle_id = ?", vehicle).Scan(ctx, &sim); err != nil {
			t.Fatal(err)
		}
		phones, err := (&fleet.Directory{DB: w.DB}).BoundPhones(ctx, 3)
		wantErr(t, err, "", "")
		if len(phones) == 0 || phones[0] != sim {
			t.Errorf("the lent van's terminal %s is not driven first: %v", sim, phones)
		}
		var departed int
		w.DB.R.NewSelect().TableExpr("orders AS o").ColumnExpr("COUNT(*)").Join("JOIN units AS u ON u.id = o.unit_id").
			Where("o.vehicle_id = ? AND o.state = 'departed' AND u.name = '天宁区城市管理局'", vehicle).Scan(ctx, &departed)
		if departed != 1 {
			t.Errorf("orders of 天宁区 under way on the lent van: %d", departed)
		}
	})
}

// Who drives a lent vehicle: named vehicles are asked for from the
// lender's free ones (found by plate); a loan without drivers is driven by
// one of the borrower's own drivers — the lender's is refused naming the
// loan — and a loan with drivers by the lender's, the borrower's refused.
func TestLoanDrivers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := &fx{t: t, w: w, ctx: context.Background(), n: 700}
		ctx := f.ctx
		w.Loans.Now = func() time.Time { return apptest.BJ("2032-03-01 09:00") }
		wj := w.UnitID(t, "武进区")
		bare, lenderDriver := f.vehicle("武进区政府办公室", 7, false)
		manned, mannedDriver := f.vehicle("武进区政府办公室", 7, false)
		_, own := f.vehicle("天宁区城市管理局", 5, false) // a driver of the borrower's
		from, to := apptest.BJ("2032-03-03 08:00"), apptest.BJ("2032-03-06 18:00")
		tn := f.a("tn_dispatcher")

		// Named vehicles: the lender's free ones, searched by plate.
		plates := map[int64]string{}
		for _, id := range []int64{bare, manned} {
			var p string
			if err := w.DB.R.NewSelect().Table("vehicles").Column("plate").Where("id = ?", id).Scan(ctx, &p); err != nil {
				t.Fatal(err)
			}
			plates[id] = p
		}
		offered := func(plate string) bool {
			vs, err := w.Loans.Offer(ctx, tn, loans.OfferFilter{LenderID: wj, Plate: plate, From: from, To: to})
			wantErr(t, err, "", "")
			return slices.ContainsFunc(vs, func(v *loans.Vehicle) bool { return v.Plate == plate })
		}
		if !offered(plates[bare]) || !offered(plates[manned]) {
			t.Fatal("the lender's free vehicles are not offered by plate")
		}
		_, err := w.Loans.Offer(ctx, tn, loans.OfferFilter{LenderID: w.UnitID(t, "天宁区"), From: from, To: to})
		wantErr(t, err, errs.Invalid, "不是可借调的另一级")
		loan := func(v int64, withDriver bool) *loans.Loan {
			l, err := w.Loans.Request(ctx, tn, loans.RequestInput{LenderID: wj, VehicleIDs: []int64{v}, WithDriver: withDriver, From: from, To: to, Reason: "区运动会保障"})
			wantErr(t, err, "", "")
			if l, err = w.Loans.Approve(ctx, f.a("wj_admin"), l.ID, loans.ApproveInput{}); err != nil || l.State != loans.Approved || l.Vehicles[0].ID != v {
				t.Fatalf("approve the named loan: %+v %v", l, err)
			}
			return l
		}
		alone, with := loan(bare, false), loan(manned, true)
		if offered(plates[bare]) {
			t.Error("a vehicle on loan is still offered")
		}

		dispatch := func(order, v, d int64) error {
			_, err := w.Booking.Dispatch(ctx, tn, order, booking.DispatchInput{VehicleID: v, DriverID: d})
			return err
		}
		o1 := f.order("天宁区城市管理局", apptest.BJ("2032-03-04 09:00"), apptest.BJ("2032-03-04 12:00"))
		o2 := f.order("天宁区城市管理局", apptest.BJ("2032-03-05 09:00"), apptest.BJ("2032-03-05 12:00"))
		// Without drivers: the dialog offers the borrower's drivers, not the lender's.
		cs, _, err := w.Booking.Suggest(ctx, tn, o1, booking.CandidateFilter{Plate: plates[bare]})
		wantErr(t, err, "", "")
		i := slices.IndexFunc(cs, func(c *booking.VehicleCandidate) bool { return c.ID == bare })
		if i < 0 || cs[i].Loan != alone.No || cs[i].LoanWithDriver || !strings.Contains(cs[i].LoanDrivers, "不带驾驶员") ||
			!slices.ContainsFunc(cs[i].Drivers, func(d *booking.DriverCandidate) bool { return d.ID == own }) ||
			slices.ContainsFunc(cs[i].Drivers, func(d *booking.DriverCandidate) bool { return d.ID == lenderDriver }) {
			t.Fatalf("candidate of the loan without drivers: %+v", cs)
		}
		wantErr(t, dispatch(o1, bare, lenderDriver), errs.Conflict, alone.No+" 借调车辆 "+plates[bare]+" 不带驾驶员，须由天宁区的驾驶员驾驶")
		wantErr(t, dispatch(o1, bare, own), "", "")
		// With drivers: the lender's driver, not the borrower's.
		cs, _, err = w.Booking.Suggest(ctx, tn, o2, booking.CandidateFilter{Plate: plates[manned]})
		wantErr(t, err, "", "")
		if i := slices.IndexFunc(cs, func(c *booking.VehicleCandidate) bool { return c.ID == manned }); i < 0 || cs[i].Loan != with.No || !cs[i].LoanWithDriver ||
			!strings.Contains(cs[i].LoanDrivers, "由武进区的随车驾驶员驾驶") {
			t.Fatalf("candidate of the loan with drivers: %+v", cs)
		}
		wantErr(t, dispatch(o2, manned, own), errs.Conflict, with.No+" 借调车辆 "+plates[manned]+" 带驾驶员，须由借出方武进区的随车驾驶员驾驶")
		wantErr(t, dispatch(o2, manned, mannedDriver), "", "")
		o, err := w.Booking.Get(ctx, tn, o1)
		wantErr(t, err, "", "")
		if o.State != booking.Dispatched || o.DriverID == nil || *o.DriverID != own {
			t.Fatalf("dispatched with the borrower's driver: %+v", o)
		}
	})
}
