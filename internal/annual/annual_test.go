package annual_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/annual"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/pdf"
	"govfleet/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// fixture is a district of its own with two units and four vehicles, with 2024's mileage, costs,
// repairs, changes and a verified case whose figures are computed by hand below.
type fixture struct {
	w                      *apptest.World
	city, district, a, b   *access.Actor
	districtID, aID, bID   int64
	v1, v2, v3, v4         int64
	districtPath, cityPath string
}

const year = 2024

func newFixture(t *testing.T, w *apptest.World) *fixture {
	ctx := context.Background()
	f := &fixture{w: w, city: w.Actor(t, "city_admin")}
	p := func(s string) *string { return &s }
	n := func(i int) *int { return &i }
	cc := func(i int) *string {
		first := fmt.Sprintf("12320402M%08d", (time.Now().UnixNano()/1000+int64(i))%100000000)
		c, err := check.CreditCodeCheckChar(first)
		if err != nil {
			t.Fatal(err)
		}
		return p(first + string(c))
	}
	root := w.UnitID(t, "常州市")
	tag := fmt.Sprintf("%06d", time.Now().UnixNano()%1_000_000) // six digits: tag[:4] below
	d, err := w.Org.Create(ctx, f.city, org.KindDistrict, org.Input{ParentID: &root, Name: p("年报测试区" + tag)})
	if err != nil {
		t.Fatal(err)
	}
	ua, err := w.Org.Create(ctx, f.city, org.KindUnit, org.Input{ParentID: &d.ID, Name: p("年报测试甲局" + tag), CreditCode: cc(1), UnitType: p("government"), StaffingCount: n(20), VehicleQuota: n(3), MarkingStatus: p("full")})
	if err != nil {
		t.Fatal(err)
	}
	ub, err := w.Org.Create(ctx, f.city, org.KindUnit, org.Input{ParentID: &d.ID, Name: p("年报测试乙局" + tag), CreditCode: cc(2), UnitType: p("party"), StaffingCount: n(8), VehicleQuota: n(1)})
	if err != nil {
		t.Fatal(err)
	}
	f.districtID, f.aID, f.bID, f.districtPath = d.ID, ua.ID, ub.ID, d.Path
	f.cityPath = w.UnitPath(t, "常州市")
	f.district = &access.Actor{UserID: 1, Name: "区管理员", ScopeID: d.ID, ScopePath: d.Path, ScopeKind: "district", Roles: []access.Role{access.PlatformAdmin}}
	f.a = &access.Actor{UserID: 1, Name: "甲管理员", ScopeID: ua.ID, ScopePath: ua.Path, ScopeKind: "unit", Roles: []access.Role{access.UnitAdmin}}
	f.b = &access.Actor{UserID: 1, Name: "乙管理员", ScopeID: ub.ID, ScopePath: ub.Path, ScopeKind: "unit", Roles: []access.Role{access.UnitAdmin}}

	now := time.Now().UTC()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.DB.W.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	// Plates 苏Z…: never a demo plate (苏D + five characters), which 苏D + tag could be.
	vehicle := func(unit int64, i int, purchase string, status string) int64 {
		var id int64
		err := w.DB.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, engine_no, seats, energy_type, displacement, purchase_date, purchase_price,
			funding_source, vehicle_class, status, registered_on, use_nature, created_at, updated_at)
			VALUES (?, ?, 'other', '红旗', 'H5', ?, '', 5, 'petrol', 1798, ?, 18000000, '财政拨款', 'small', ?, ?, '非营运', ?, ?) RETURNING id`,
			unit, fmt.Sprintf("苏Z%s%d", tag[:4], i), fmt.Sprintf("NB%s%011d", tag, i), purchase, status, purchase, now, now).Scan(ctx, &id)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	f.v1 = vehicle(ua.ID, 1, "2024-02-01", "available")
	f.v2 = vehicle(ua.ID, 2, "2018-01-01", "disposed") // disposed 2023: not in 2024's list
	f.v3 = vehicle(ua.ID, 3, "2019-01-01", "disposed") // disposed 2024-05-01: in the list
	f.v4 = vehicle(ub.ID, 4, "2021-01-01", "available")
	change := func(v int64, kind, date string, from, to any) {
		exec("INSERT INTO vehicle_changes (vehicle_id, kind, change_date, from_unit_id, to_unit_id, doc_no, created_at) VALUES (?, ?, ?, ?, ?, '常机管〔2024〕1号', ?)", v, kind, date, from, to, now)
	}
	change(f.v1, "acquire", "2024-02-01", nil, ua.ID)
	change(f.v2, "dispose", "2023-06-01", ua.ID, nil)
	change(f.v3, "dispose", "2024-05-01", ua.ID, nil)
	change(f.v4, "transfer", "2024-08-01", ua.ID, ub.ID)
	mileage := func(v, unit int64, day string, m int64) {
		exec("INSERT INTO vehicle_daily_mileage (vehicle_id, day, unit_id, distance_m, trips, driving_s) VALUES (?, ?, ?, ?, 1, 600)", v, day, unit, m)
	}
	mileage(f.v1, ua.ID, "2024-03-01", 10000)
	mileage(f.v1, ua.ID, "2024-12-31", 5500)
	mileage(f.v1, ua.ID, "2025-01-01", 99000) // next year
	mileage(f.v4, ub.ID, "2024-07-01", 2000)
	cost := func(period string, unit int64, path string, v int64, kind string, fen int64) {
		exec("INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries) VALUES (?, ?, ?, ?, ?, ?, 1)", period, path, unit, v, kind, fen)
	}
	cost("2024", ua.ID, ua.Path, f.v1, "fuel", 100000)
	cost("2024-03", ua.ID, ua.Path, f.v1, "fuel", 100000) // the month's row of the same entry: not counted twice
	cost("2024", ua.ID, ua.Path, f.v1, "maintenance", 1500000)
	cost("2024", ua.ID, ua.Path, 0, "other", 5000)
	cost("2025", ub.ID, ub.Path, f.v4, "fuel", 777700) // next year
	repair := func(no string, v int64, fen int64, closed time.Time) {
		exec(`INSERT INTO repair_jobs (no, vehicle_id, unit_id, kind, problem, state, requested_by, requested_name, requested_at, final_fen, closed_at, created_at, updated_at)
			VALUES (?, ?, ?, 'repair', ?, 'closed', 1, '测试', ?, ?, ?, ?, ?)`, no, v, ua.ID, "发动机大修："+no, closed, fen, closed, now, now)
	}
	repair("WX"+tag+"1", f.v1, 1500000, time.Date(2024, 6, 1, 2, 0, 0, 0, time.UTC))
	repair("WX"+tag+"2", f.v1, 50000, time.Date(2024, 7, 1, 2, 0, 0, 0, time.UTC)) // small: not a major repair
	exec(`INSERT INTO cases (rule, vehicle_id, unit_id, unit_path, day, title, state, authority_id, authority_path, opened_at, updated_at)
		VALUES ('no_order', ?, ?, ?, '2024-09-09', '无派车单出车', 'verified', ?, ?, ?, ?)`, f.v1, ua.ID, ua.Path, d.ID, d.Path, now, now)
	return f
}

func (f *fixture) report(t *testing.T, unit int64) int64 {
	t.Helper()
	var id int64
	if err := f.w.DB.R.NewSelect().Table("annual_reports").Column("id").Where("year = ? AND unit_id = ?", year, unit).Scan(context.Background(), &id); err != nil {
		t.Fatal(err)
	}
	return id
}

func wantCode(t *testing.T, err error, code errs.Code, contains string) {
	t.Helper()
	if !errs.Is(err, code) || !strings.Contains(err.Error(), contains) {
		t.Fatalf("got %v, want %s containing %q", err, code, contains)
	}
}

// The figures of the district's report against the hand-computed ones.
func TestFigures(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFixture(t, w)
		fig, err := annual.Compute(context.Background(), w.DB.R, f.districtPath, "测试区", year)
		if err != nil {
			t.Fatal(err)
		}
		tt := fig.Totals
		if tt.Units != 2 || tt.Quota != 4 || tt.Vehicles != 3 || tt.KM != 17.5 {
			t.Errorf("totals: units %d quota %d vehicles %d km %v; want 2 4 3 17.5", tt.Units, tt.Quota, tt.Vehicles, tt.KM)
		}
		if tt.Costs["fuel"] != 100000 || tt.Costs["maintenance"] != 1500000 || tt.Costs["other"] != 5000 || tt.CostFen != 1605000 {
			t.Errorf("costs %v total %d; want fuel 100000, maintenance 1500000, other 5000, total 1605000", tt.Costs, tt.CostFen)
		}
		if tt.Acquired != 1 || tt.Moved != 1 || tt.Disposed != 1 || tt.Repairs != 1 || tt.Claims != 1 {
			t.Errorf("changes %d/%d/%d repairs %d incidents %d; want 1/1/1 1 1", tt.Acquired, tt.Moved, tt.Disposed, tt.Repairs, tt.Claims)
		}
		actual := map[string]int{}
		for _, u := range fig.Units {
			actual[u.Name] = u.Actual
		}
		if len(fig.Units) != 2 || actual[fig.Units[0].Name]+actual[fig.Units[1].Name] != 3 {
			t.Errorf("units %+v", fig.Units)
		}
		if len(fig.ByDistrict) != 2 || fig.ByDistrict[0].Vehicles+fig.ByDistrict[1].Vehicles != 3 {
			t.Errorf("by child %+v", fig.ByDistrict)
		}
		if len(fig.MajorRepairs) != 1 || fig.MajorRepairs[0].AmountFen != 1500000 || !strings.Contains(fig.MajorRepairs[0].Reason, "发动机大修") {
			t.Errorf("major repairs %+v", fig.MajorRepairs)
		}
		if len(fig.Changes) != 3 {
			t.Errorf("changes %+v", fig.Changes)
		}
		for _, v := range fig.Vehicles {
			if v.ID == f.v2 {
				t.Error("a vehicle disposed in 2023 is in 2024's list")
			}
			if v.ID == f.v1 && (v.KM != 15.5 || v.Displacement != 1798 || v.PriceFen != 18000000 || v.RegisteredOn != "2024-02-01" || v.Use != "非营运") {
				t.Errorf("vehicle 1: %+v", v)
			}
		}
	})
}

// The workflow unit → district → city: a correction reaching the registry, a return with its
// reason, a second submission, acceptance, the district's aggregate with its work report, the
// city's acceptance; the overdue flag; refusals naming the report.
func TestWorkflow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := newFixture(t, w)
		s := w.Annual
		if _, err := s.OpenYear(ctx, f.district, annual.YearInput{Year: year}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a district opened the year: %v", err)
		}
		y, err := s.OpenYear(ctx, f.city, annual.YearInput{Year: year})
		if err != nil || y.Deadline != "2025-03-01" {
			t.Fatalf("open: %+v %v", y, err)
		}
		ra, rb, rd := f.report(t, f.aID), f.report(t, f.bID), f.report(t, f.districtID)

		// overdue: the deadline of 2024 has passed and nothing is submitted
		list, n, err := s.List(ctx, f.district, annual.Filter{Year: year, State: "overdue"}, 1, 50)
		if err != nil || n != 3 || !list[0].Overdue {
			t.Fatalf("overdue list: %d %v", n, err)
		}

		// the unit corrects its registry and signs
		d, err := s.Correct(ctx, f.a, ra, annual.CorrectionInput{VehicleID: f.v1, Field: "engine_no", Value: "CA4GB15TD-001", Reason: "与行驶证核对"})
		if err != nil {
			t.Fatal(err)
		}
		var engine string
		w.DB.R.NewSelect().Table("vehicles").Column("engine_no").Where("id = ?", f.v1).Scan(ctx, &engine)
		if engine != "CA4GB15TD-001" {
			t.Fatalf("the registry has engine number %q", engine)
		}
		if n, _ := w.DB.R.NewSelect().Table("audit_log").Where("action = 'annual.correct' AND object_type = 'vehicle' AND object_id = ?", fmt.Sprint(f.v1)).Count(ctx); n != 1 {
			t.Fatalf("audit entries for the correction: %d", n)
		}
		if ev := d.Events[len(d.Events)-1]; ev.Action != "correct" || !strings.Contains(ev.Note, "（空） → CA4GB15TD-001") {
			t.Fatalf("timeline: %+v", ev)
		}
		if _, err := s.Correct(ctx, f.b, ra, annual.CorrectionInput{VehicleID: f.v1, Field: "seats", Value: "7", Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another unit corrected: %v", err)
		}
		if _, err := s.Correct(ctx, f.a, ra, annual.CorrectionInput{VehicleID: f.v4, Field: "seats", Value: "7", Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("corrected another unit's vehicle: %v", err)
		}
		_, err = s.Submit(ctx, f.a, ra, annual.SubmitInput{Signature: "别人"})
		wantCode(t, err, errs.Invalid, "签名须与您的姓名")
		if _, err := s.Accept(ctx, f.district, ra); err == nil {
			t.Fatal("accepted a draft")
		}
		d, err = s.Submit(ctx, f.a, ra, annual.SubmitInput{Signature: "甲管理员"})
		if err != nil || d.State != annual.Submitted || d.Live || d.SignedBy != "甲管理员" {
			t.Fatalf("submit: %+v %v", d, err)
		}
		// the signed figures do not move with the registry
		w.DB.W.ExecContext(ctx, "UPDATE vehicles SET seats = 9 WHERE id = ?", f.v1)
		d, _ = s.Get(ctx, f.district, ra)
		for _, v := range d.Figures.Vehicles {
			if v.ID == f.v1 && v.Seats != 5 {
				t.Errorf("the signed report moved: seats %d", v.Seats)
			}
		}
		if _, err := s.Return(ctx, f.a, ra, annual.ReasonInput{Reason: "x"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("the unit returned its own report: %v", err)
		}
		_, err = s.Return(ctx, f.district, ra, annual.ReasonInput{})
		wantCode(t, err, errs.Invalid, "退回原因")
		d, err = s.Return(ctx, f.district, ra, annual.ReasonInput{Reason: "苏D车辆购置价格有误，请核对发票"})
		if err != nil || d.State != annual.Returned || d.ReturnReason != "苏D车辆购置价格有误，请核对发票" || !d.Live || !d.Overdue {
			t.Fatalf("return: %+v %v", d.Report, err)
		}
		// the district cannot submit while its units are not all accepted
		ddraft, err := s.Get(ctx, f.district, rd)
		if err != nil || !ddraft.Live {
			t.Fatal(err)
		}
		if _, err := s.SaveWorkReport(ctx, f.district, rd, annual.WorkReportInput{Text: ddraft.WorkDraft + "补充"}); err != nil {
			t.Fatal(err)
		}
		_, err = s.Submit(ctx, f.district, rd, annual.SubmitInput{Signature: "区管理员"})
		wantCode(t, err, errs.Conflict, "下级年度报告尚未全部接收")
		for _, step := range []struct {
			who *access.Actor
			id  int64
			sig string
		}{{f.a, ra, "甲管理员"}, {f.b, rb, "乙管理员"}} {
			if _, err := s.Submit(ctx, step.who, step.id, annual.SubmitInput{Signature: step.sig}); err != nil {
				t.Fatal(err)
			}
			if d, err := s.Accept(ctx, f.district, step.id); err != nil || d.State != annual.Accepted {
				t.Fatalf("accept: %v", err)
			}
		}
		dd, err := s.Submit(ctx, f.district, rd, annual.SubmitInput{Signature: "区管理员"})
		if err != nil || dd.State != annual.Submitted || !strings.Contains(dd.WorkReport, "实有公务用车 3 辆") {
			t.Fatalf("district submit: %v %q", err, dd.WorkReport)
		}
		if len(dd.Children) != 2 || dd.Children[0].State != annual.Accepted {
			t.Fatalf("children %+v", dd.Children)
		}
		if _, err := s.Accept(ctx, f.city, rd); err != nil {
			t.Fatal(err)
		}
		// the city's own report waits for every district and unit directly under it
		rc := f.report(t, w.UnitID(t, "常州市"))
		cd, err := s.Get(ctx, f.city, rc)
		if err != nil || cd.WorkDraft == "" || !strings.Contains(cd.WorkDraft, "一、总体规模") {
			t.Fatalf("city draft: %v", err)
		}
		if _, err := s.SaveWorkReport(ctx, f.city, rc, annual.WorkReportInput{Text: cd.WorkDraft}); err != nil {
			t.Fatal(err)
		}
		_, err = s.Submit(ctx, f.city, rc, annual.SubmitInput{Signature: "周建国"})
		wantCode(t, err, errs.Conflict, "下级年度报告尚未全部接收")

		// reminders: each report not submitted hears once that it is overdue
		sent, err := s.Remind(ctx)
		if err != nil || sent == 0 {
			t.Fatalf("remind: %d %v", sent, err)
		}
		again, _ := s.Remind(ctx)
		if again != 0 {
			t.Fatalf("reminded twice: %d", again)
		}

		// exports: Excel and a PDF that says the unit, the plates and the figures
		x, name, err := s.Excel(ctx, f.district, ra)
		if err != nil || len(x) == 0 || !strings.HasSuffix(name, ".xlsx") {
			t.Fatalf("excel: %v", err)
		}
		b, _, err := s.PDF(ctx, f.district, rd)
		if err != nil {
			t.Fatal(err)
		}
		text, _ := pdf.Text(b)
		for _, want := range []string{"2024 年度公务用车统计报告", "工作报告", "实有公务用车 3 辆", "发动机大修", "合计", "15000.00"} {
			if !strings.Contains(text, want) {
				t.Errorf("the district's PDF does not say %q", want)
			}
		}
		b, _, _ = s.PDF(ctx, f.district, ra)
		text, _ = pdf.Text(b)
		text = strings.ReplaceAll(text, "\n", "") // a cell's wrapped lines are consecutive
		var plate string
		w.DB.R.NewSelect().Table("vehicles").Column("plate").Where("id = ?", f.v1).Scan(ctx, &plate)
		for _, want := range []string{plate, "CA4GB15TD-001", "甲管理员", "非营运"} {
			if !strings.Contains(text, want) {
				t.Errorf("the unit's PDF does not say %q", want)
			}
		}
	})
}

// The demo leaves last year's report part-way: some units submitted and accepted, one returned
// with its reason, the city's work report drafted; the rest overdue or waiting.
func TestDemoPartWay(t *testing.T) {
	w := apptest.SQLite(t)
	ctx := context.Background()
	city := w.Actor(t, "city_admin")
	last := time.Now().In(beijing.Zone).Year() - 1 // the demo counts its years in Beijing
	list, n, err := w.Annual.List(ctx, city, annual.Filter{Year: last}, 1, 200)
	if err != nil || n < 60 {
		t.Fatalf("reports of %d: %d %v", last, n, err)
	}
	states := map[string]int{}
	for _, r := range list {
		states[r.State]++
		if r.State == annual.Returned && !strings.Contains(r.ReturnReason, "购置价格") {
			t.Errorf("returned without its reason: %+v", r)
		}
		if r.UnitKind == "city" && !strings.Contains(r.WorkReport, "一、总体规模") {
			t.Errorf("the city's work report is not drafted: %q", r.WorkReport)
		}
	}
	if states[annual.Accepted] != 3 || states[annual.Returned] != 1 || states[annual.Draft] < 50 {
		t.Fatalf("states %v", states)
	}
}
