package savings_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/pdf"
	"govfleet/internal/savings"
	"govfleet/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

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

func TestDays(t *testing.T) {
	for _, c := range []struct {
		d          time.Duration
		days, half int
	}{
		{0, 0, 1}, {3 * time.Hour, 0, 1}, {4 * time.Hour, 0, 1}, {5 * time.Hour, 1, 0}, {24 * time.Hour, 1, 0},
		{26 * time.Hour, 1, 1}, {30 * time.Hour, 2, 0}, {72 * time.Hour, 3, 0},
	} {
		if d, h := savings.Days(c.d); d != c.days || h != c.half {
			t.Errorf("Days(%v) = %d days %d half, want %d %d", c.d, d, h, c.days, c.half)
		}
	}
}

// endDemoRate ends the demo's open-ended rate of kind and type on the day
// before from, so that a test's own rates follow it.
func endDemoRate(t *testing.T, w *apptest.World, kind, typ, from string) {
	t.Helper()
	ctx := context.Background()
	rs, err := w.Savings.Rates(ctx, kind)
	wantErr(t, err, "", "")
	f, _ := beijing.ParseDate(from)
	end := beijing.Date(f.AddDate(0, 0, -1))
	for _, r := range rs {
		if r.VehicleType == typ && r.ValidTo == nil {
			_, err := w.Savings.SaveRate(ctx, w.Actor(t, "city_admin"), r.ID, savings.RateInput{Kind: kind, VehicleType: typ, DayFen: r.DayFen,
				HalfDayFen: r.HalfDayFen, KmFen: r.KmFen, ValidFrom: r.ValidFrom, ValidTo: &end})
			wantErr(t, err, "", "")
		}
	}
}

// Rates follow each other without a gap or an overlap, for each kind —
// the internal tariff, the paid-use tariff, the market price — and the
// refusal names the neighbouring period; only the city's platform
// administrator keeps them.
func TestRatePeriods(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		s := w.Savings
		for _, k := range []struct{ kind, name string }{{savings.Tariff, "内部收费标准"}, {savings.PaidUse, "有偿使用收费标准"}, {savings.Market, "市场参考价"}} {
			t.Run(k.kind, func(t *testing.T) {
				endDemoRate(t, w, k.kind, "coach", "2031-01-01")
				in := savings.RateInput{Kind: k.kind, VehicleType: "coach", DayFen: 90000, HalfDayFen: 50000, KmFen: 300, ValidFrom: "2031-01-01"}
				if k.kind == savings.Market {
					in.KmFen = 0
				}
				end := "2031-06-30"
				in.ValidTo = &end
				first, err := s.SaveRate(ctx, city, 0, in)
				wantErr(t, err, "", "")
				_, err = s.SaveRate(ctx, w.Actor(t, "tn_admin"), 0, in)
				wantErr(t, err, errs.Forbidden, "市级平台管理员")
				next := in
				next.ValidTo = nil
				for _, c := range []struct {
					name, from string
					code       errs.Code
					want       string
				}{
					{"gap", "2031-07-02", errs.Conflict, "与已有的大客车" + k.name + "（2031-01-01 至 2031-06-30）之间空缺 2031-07-01 至 2031-07-01"},
					{"overlap", "2031-06-30", errs.Conflict, "日期与已有的大客车" + k.name + "（2031-01-01 至 2031-06-30）重叠"},
					{"follows", "2031-07-01", "", ""},
					{"after an open one", "2032-01-01", errs.Conflict, "大客车" + k.name + "（2031-07-01 至 长期）重叠"},
				} {
					t.Run(c.name, func(t *testing.T) {
						next.ValidFrom = c.from
						_, err := s.SaveRate(ctx, city, 0, next)
						wantErr(t, err, c.code, c.want)
					})
				}
				// Shortening the first period would open a gap.
				short := "2031-05-31"
				in.ValidTo = &short
				_, err = s.SaveRate(ctx, city, first.ID, in)
				wantErr(t, err, errs.Conflict, "空缺 2031-06-01 至 2031-06-30")
			})
		}
		// The market price has no per-km part.
		_, err := s.SaveRate(ctx, city, 0, savings.RateInput{Kind: savings.Market, VehicleType: "sedan", DayFen: 100, HalfDayFen: 50, KmFen: 1, ValidFrom: "2040-01-01"})
		wantErr(t, err, errs.Invalid, "")
	})
}

// A paid use (a partner city's or a visitor's) is priced by the same
// function as a cross-unit use, at the paid-use tariff instead of the
// internal one, against the same market price. No paid-use tariff that
// day: refused, naming the type and the day.
func TestPriceUse(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		for _, k := range []string{savings.Tariff, savings.PaidUse, savings.Market} {
			endDemoRate(t, w, k, "business_van", "2031-01-01")
		}
		// Business vans in 2031: tariff 600/350/1.50; paid use 720/420/1.80; market 1,150/700.
		for _, r := range []savings.RateInput{
			{Kind: savings.Tariff, VehicleType: "business_van", DayFen: 60000, HalfDayFen: 35000, KmFen: 150, ValidFrom: "2031-01-01"},
			{Kind: savings.PaidUse, VehicleType: "business_van", DayFen: 72000, HalfDayFen: 42000, KmFen: 180, ValidFrom: "2031-01-01"},
			{Kind: savings.Market, VehicleType: "business_van", DayFen: 115000, HalfDayFen: 70000, ValidFrom: "2031-01-01"},
		} {
			_, err := w.Savings.SaveRate(ctx, city, 0, r)
			wantErr(t, err, "", "")
		}
		for _, c := range []struct {
			kind                string
			d                   time.Duration
			kmM                 int64
			fen, market, saving int64
			days, halfDays      int
			note                string
		}{
			// 26 h, 120 km: 1 day + 1 half day. Internal 600 + 350 + 180 = 1,130; market 1,150 + 700 = 1,850; saving 720.
			{savings.Tariff, 26 * time.Hour, 120000, 113000, 185000, 72000, 1, 1, "按内部收费标准"},
			// The same at the paid-use tariff: 720 + 420 + 216 = 1,356; saving 494.
			{savings.PaidUse, 26 * time.Hour, 120000, 135600, 185000, 49400, 1, 1, "商务车 1天+半天，120.0 公里，按有偿使用收费标准（2031-01-01 至 长期）每天 720.00 元、每半天 420.00 元、每公里 1.80 元；市场参考价 1850.00 元，节约 494.00 元"},
			// 5 h, 86.4 km: a day (more than 4 h). 720 + 155.52 → 875.52; market 1,150; saving 274.48.
			{savings.PaidUse, 5 * time.Hour, 86400, 87552, 115000, 27448, 1, 0, "1天，86.4 公里"},
		} {
			p, err := savings.PriceUse(ctx, w.DB.R, c.kind, 7, apptest.BJ("2031-02-10 08:00"), c.d, c.kmM)
			wantErr(t, err, "", "")
			if p.Fen != c.fen || p.MarketFen != c.market || p.SavingFen != c.saving || p.Days != c.days || p.HalfDays != c.halfDays || !strings.Contains(p.Note(), c.note) {
				t.Errorf("%s %s %d m: %+v %s", c.kind, c.d, c.kmM, p, p.Note())
			}
		}
		_, err := savings.PriceUse(ctx, w.DB.R, savings.PaidUse, 7, apptest.BJ("2019-12-31 08:00"), time.Hour, 0)
		wantErr(t, err, errs.Conflict, "商务车没有 2019-12-31 适用的有偿使用收费标准")
	})
}

// A district's loan used on two orders is costed from the tariff and the
// market price in force, the km from GPS trips (else the odometer); the
// month's statement between the two districts is confirmed by both sides,
// after a dispute; Summary totals the borrower's saving.
func TestSettlementConfirmedByBothSides(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB
		city := w.Actor(t, "city_admin")
		endDemoRate(t, w, savings.Tariff, "business_van", "2031-01-01")
		endDemoRate(t, w, savings.Market, "business_van", "2031-01-01")
		// Rates of 2031 for business vans: tariff 600/day, 350/half day, 1.50/km; market 1,150/day, 700/half day.
		for _, r := range []savings.RateInput{
			{Kind: savings.Tariff, VehicleType: "business_van", DayFen: 60000, HalfDayFen: 35000, KmFen: 150, ValidFrom: "2031-01-01"},
			{Kind: savings.Market, VehicleType: "business_van", DayFen: 115000, HalfDayFen: 70000, ValidFrom: "2031-01-01"},
		} {
			_, err := w.Savings.SaveRate(ctx, city, 0, r)
			wantErr(t, err, "", "")
		}
		now := apptest.BJ("2031-03-01 09:00")
		w.Loans.Now = func() time.Time { return apptest.BJ("2031-01-15 09:00") } // asked and approved ahead
		w.Savings.Now = func() time.Time { return now }
		ts := time.Now().UTC()
		wjUnit := w.UnitID(t, "武进区政府办公室")
		var van int64
		if err := db.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, created_at, updated_at)
			VALUES (?, '苏DS0001', 'other', '别克', 'GL8', 'SAVINGVIN00000001', 7, 'petrol', 'small', 'available', ?, ?) RETURNING id`, wjUnit, ts, ts).Scan(ctx, &van); err != nil {
			t.Fatal(err)
		}
		l, err := w.Loans.Request(ctx, w.Actor(t, "tn_dispatcher"), loans.RequestInput{LenderID: w.UnitID(t, "武进区"), VehicleIDs: []int64{van},
			WithDriver: true, From: apptest.BJ("2031-02-01 00:00"), To: apptest.BJ("2031-02-28 23:00"), Reason: "区两会"})
		wantErr(t, err, "", "")
		_, err = w.Loans.Approve(ctx, w.Actor(t, "wj_admin"), l.ID, loans.ApproveInput{})
		wantErr(t, err, "", "")
		var applicant int64
		db.R.NewSelect().Table("users").Column("id").Where("username = 'tn_cgj_approver'").Scan(ctx, &applicant)
		tnUnit := w.UnitID(t, "天宁区城市管理局")
		// Two uses: 26 hours with 120 km of GPS trips; 3 hours with 40 km on the odometer.
		uses := []struct {
			no        string
			dep, back time.Time
			odo       [2]int
			gpsM      int64
		}{
			{"SV01", apptest.BJ("2031-02-10 08:00"), apptest.BJ("2031-02-11 10:00"), [2]int{1000, 1130}, 120000},
			{"SV02", apptest.BJ("2031-02-20 09:00"), apptest.BJ("2031-02-20 12:00"), [2]int{1130, 1170}, 0},
		}
		for _, u := range uses {
			var id int64
			if err := db.W.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
				pickup_at, return_at, state, approvals_needed, approvals_done, vehicle_id, start_odometer, end_odometer, departed_at, returned_at, created_at, updated_at)
				VALUES (?, ?, ?, '许晓东', '会务', 3, '区行政中心', '["会场"]', ?, ?, 'closed', 1, 1, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
				u.no, tnUnit, applicant, u.dep, u.back, van, u.odo[0], u.odo[1], u.dep, u.back, ts, ts).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			if u.gpsM > 0 {
				if _, err := db.W.ExecContext(ctx, `INSERT INTO trips (vehicle_id, unit_id, terminal_phone, started_at, ended_at, start_lat, start_lng, end_lat, end_lng,
					distance_m, max_speed, points, state, order_id, created_at, updated_at)
					VALUES (?, ?, '', ?, ?, 0, 0, 0, 0, ?, 0, 10, 'closed', ?, ?, ?)`, van, wjUnit, u.dep, u.back, u.gpsM, id, ts, ts); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The ten-minute job costs them once they have run.
		if n, err := w.Savings.CostClosed(ctx, 100); err != nil || n < 2 {
			t.Fatalf("costed %d uses: %v", n, err)
		}
		if i, m, _, _ := savings.Summary(ctx, db.R, w.UnitPath(t, "天宁区"), apptest.BJ("2031-02-01 00:00"), apptest.BJ("2031-03-01 00:00")); i != 154000 || m != 255000 {
			t.Errorf("summary before the statement: %d %d", i, m)
		}
		_, err = w.Savings.Generate(ctx, w.Actor(t, "tn_admin"), "2031-04")
		wantErr(t, err, errs.Invalid, "尚未开始")
		sts, err := w.Savings.Generate(ctx, w.Actor(t, "tn_admin"), "2031-02")
		wantErr(t, err, "", "")
		if len(sts) != 1 {
			t.Fatalf("statements: %d", len(sts))
		}
		st := sts[0]
		// SV01: 1 day + 1 half day, 120 km: 600 + 350 + 180 = 1,130; market 1,150 + 700 = 1,850.
		// SV02: 1 half day, 40 km: 350 + 60 = 410; market 700.
		if st.LenderName != "武进区" || st.BorrowerName != "天宁区" || st.Uses != 2 || st.KmM != 160000 ||
			st.InternalFen != 154000 || st.MarketFen != 255000 || st.SavingFen != 101000 || st.State != savings.Pending {
			t.Fatalf("statement: %+v", st)
		}
		lines, n, err := w.Savings.Lines(ctx, w.Actor(t, "wj_admin"), st.ID, 1, 10)
		wantErr(t, err, "", "")
		if n != 2 || lines[0].KmSource != "gps" || lines[1].KmSource != "odometer" || lines[0].LoanNo != l.No ||
			lines[0].DaysText != "1天 + 半天" || lines[0].Km != "120.0" || lines[1].DaysText != "半天" || lines[1].Km != "40.0" {
			t.Fatalf("lines: %+v %+v", lines[0], lines[1])
		}
		// The lines a party sees before confirming, one page at a time, total the statement's figures.
		page2, n, err := w.Savings.Lines(ctx, w.Actor(t, "tn_admin"), st.ID, 2, 1)
		wantErr(t, err, "", "")
		if n != 2 || len(page2) != 1 || page2[0].OrderNo != "SV02" {
			t.Fatalf("second page of the lines: %d %+v", n, page2)
		}
		for _, who := range []string{"tn_admin", "wj_admin", "city_admin", "city_cz"} { // the parties, the level above both, its supervisor
			sum, err := w.Savings.LinesSum(ctx, w.Actor(t, who), st.ID)
			wantErr(t, err, "", "")
			if sum != (savings.Sum{Count: st.Uses, KmM: st.KmM, Km: "160.0", Fen: st.InternalFen, MarketFen: st.MarketFen, SavingFen: st.SavingFen}) {
				t.Errorf("the lines' totals as %s: %+v, the statement %+v", who, sum, st)
			}
		}
		// Another district, party to neither side, reads none of them.
		_, _, err = w.Savings.Lines(ctx, w.Actor(t, "zl_admin"), st.ID, 1, 10)
		wantErr(t, err, errs.Forbidden, "不在您的管辖范围内")
		_, err = w.Savings.LinesSum(ctx, w.Actor(t, "zl_jw"), st.ID)
		wantErr(t, err, errs.Forbidden, "不在您的管辖范围内")
		_, err = w.Savings.Confirm(ctx, w.Actor(t, "zl_admin"), st.ID)
		wantErr(t, err, errs.Forbidden, "")
		// A use that leaves the month (its pick-up moved to March) leaves the regenerated statement's lines
		// too, and is back in them when it comes back: the lines total the statement either way.
		for _, c := range []struct {
			pickup time.Time
			uses   int
		}{{apptest.BJ("2031-03-05 09:00"), 1}, {uses[1].dep, 2}} {
			if _, err := db.W.ExecContext(ctx, "UPDATE orders SET pickup_at = ? WHERE no = 'SV02'", c.pickup); err != nil {
				t.Fatal(err)
			}
			again, err := w.Savings.Generate(ctx, w.Actor(t, "tn_admin"), "2031-02")
			wantErr(t, err, "", "")
			if len(again) != 1 || again[0].ID != st.ID || again[0].Uses != c.uses {
				t.Fatalf("regenerated with %d uses: %+v", c.uses, again)
			}
			sum, err := w.Savings.LinesSum(ctx, w.Actor(t, "tn_admin"), st.ID)
			wantErr(t, err, "", "")
			if sum.Count != c.uses || sum.Fen != again[0].InternalFen || sum.MarketFen != again[0].MarketFen {
				t.Errorf("regenerated with %d uses, its lines total %+v", c.uses, sum)
			}
		}
		_, err = w.Savings.Confirm(ctx, city, st.ID)
		wantErr(t, err, errs.Forbidden, "只有借出方（武进区）或借入方（天宁区）")
		st, err = w.Savings.Dispute(ctx, w.Actor(t, "wj_admin"), st.ID, "2月20日用车里程待核")
		wantErr(t, err, "", "")
		if st.State != savings.Disputed || st.DisputeSide != "lender" {
			t.Fatalf("disputed: %+v", st)
		}
		st, err = w.Savings.Confirm(ctx, w.Actor(t, "tn_admin"), st.ID)
		wantErr(t, err, "", "")
		if st.State != savings.Disputed || st.BorrowerConfirmedBy == "" {
			t.Fatalf("the borrower's confirmation leaves the lender's dispute: %+v", st)
		}
		st, err = w.Savings.Confirm(ctx, w.Actor(t, "wj_admin"), st.ID)
		wantErr(t, err, "", "")
		if st.State != savings.Confirmed || st.LenderConfirmedAt == nil || st.BorrowerConfirmedAt == nil || st.DisputeReason != "" {
			t.Fatalf("confirmed by both: %+v", st)
		}
		_, err = w.Savings.Dispute(ctx, w.Actor(t, "tn_admin"), st.ID, "再议")
		wantErr(t, err, errs.Conflict, "双方已确认")
		// A second generation keeps a confirmed statement as it is.
		if again, err := w.Savings.Generate(ctx, city, "2031-02"); err != nil || len(again) != 0 {
			t.Fatalf("regenerated a confirmed statement: %v %v", again, err)
		}
		// The statement as printed (PDF): both parties, each use's figures, the totals by hand, both
		// confirmations and the signature lines; another district gets none, and the print is audited.
		b, name, err := w.Savings.StatementPDF(ctx, w.Actor(t, "wj_admin"), st.ID)
		wantErr(t, err, "", "")
		if name != "统筹用车结算单-2031-02-武进区-天宁区.pdf" {
			t.Errorf("file name %q", name)
		}
		text, err := pdf.Text(b)
		wantErr(t, err, "", "")
		for _, want := range []string{"公务用车跨单位使用结算单", "结算月份：2031-02", "武进区", "天宁区", "双方已确认",
			"SV01", l.No, "苏DS0001 商务车", "2031-02-10 08:00", "1天 + 半天", "120.0（北斗里程）", "1130.00", "1850.00", "720.00",
			"SV02", "2031-02-20 09:00", "40.0（里程表）", "410.00", "700.00", "290.00",
			"合计", "2 次", "160.0", "1540.00", "2550.00", "1010.00",
			"借出方确认", "借入方确认", "借出方（武进区）经办人 签字：", "借入方（天宁区）经办人 签字："} {
			if !strings.Contains(text, want) {
				t.Errorf("the printed statement does not say %q:\n%s", want, text)
			}
		}
		for _, who := range []string{st.LenderConfirmedBy, st.BorrowerConfirmedBy} {
			if !strings.Contains(text, who+"（") {
				t.Errorf("the printed statement does not name %s as confirming", who)
			}
		}
		_, _, err = w.Savings.StatementPDF(ctx, w.Actor(t, "zl_admin"), st.ID)
		wantErr(t, err, errs.Forbidden, "不在您的管辖范围内")
		var prints int
		db.R.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").Where("action = 'settlement.print'").Scan(ctx, &prints)
		if prints != 1 {
			t.Errorf("audited %d prints, want 1", prints)
		}
		var actions int
		db.R.NewSelect().Table("audit_log").ColumnExpr("COUNT(*)").Where("action IN ('settlement.confirm', 'settlement.dispute')").Scan(ctx, &actions)
		if actions != 3 {
			t.Errorf("audited %d confirmations and disputes, want 3", actions)
		}
		i, m, sv, err := savings.Summary(ctx, db.R, w.UnitPath(t, "天宁区"), apptest.BJ("2031-02-01 00:00"), apptest.BJ("2031-03-01 00:00"))
		wantErr(t, err, "", "")
		if i != 154000 || m != 255000 || sv != 101000 {
			t.Errorf("summary: %d %d %d", i, m, sv)
		}
		// The savings rate's market basis prices every trip served at the unit of the vehicle that served
		// it: 武进区's van, so 武进区's (the same market price), not 天宁区's.
		if _, err := w.Savings.PriceServed(ctx, 5000); err != nil {
			t.Fatal(err)
		}
		for district, want := range map[string]int64{"武进区": 255000, "天宁区": 0} {
			if m, err := (savings.MarketPrices{DB: db}).Equivalent(ctx, w.UnitPath(t, district), apptest.BJ("2031-02-01 00:00"), apptest.BJ("2031-03-01 00:00")); err != nil || m != want {
				t.Errorf("market equivalent of %s: %d %v, want %d", district, m, err, want)
			}
		}
		if _, _, sv, _ := savings.Summary(ctx, db.R, w.UnitPath(t, "钟楼区"), apptest.BJ("2031-02-01 00:00"), apptest.BJ("2031-03-01 00:00")); sv != 0 {
			t.Errorf("another district's saving: %d", sv)
		}
	})
}
