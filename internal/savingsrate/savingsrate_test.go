package savingsrate_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/savings"
	"govfleet/internal/savingsrate"
	"govfleet/internal/storetest"
)

// TestMain removes the demo databases seeded for the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }

func fen(v int64) *int64 { return &v }

// newUnit creates a unit of its own under parent (a fixture's), named name and a number.
func newUnit(t *testing.T, w *apptest.World, name string, parent int64) *org.Unit {
	t.Helper()
	name = fmt.Sprintf("%s%d", name, time.Now().UnixNano()%1000000)
	first := fmt.Sprintf("11320402%09d", time.Now().UnixNano()%1000000000)
	c, _ := check.CreditCodeCheckChar(first)
	code, typ := first+string(c), "government"
	u, err := w.Org.Create(context.Background(), w.Actor(t, "city_admin"), org.KindUnit, org.Input{ParentID: &parent, Name: &name, CreditCode: &code, UnitType: &typ})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestRate: (baseline − actual) ÷ baseline in percent, one decimal,
// rounded half away from zero; none without a baseline or with zero.
func TestRate(t *testing.T) {
	for _, c := range []struct {
		baseline *int64
		actual   int64
		rate     string // "" none
		saved    string
	}{
		{fen(100000), 90000, "10", "10000"},
		{fen(100000), 110000, "-10", "-10000"},
		{fen(3), 2, "33.3", "1"},
		{fen(3), 1, "66.7", "2"},
		{fen(2000), 1999, "0.1", "1"},   // 0.05 % rounds up
		{fen(2000), 2001, "-0.1", "-1"}, // and down, away from zero
		{fen(100), 0, "100", "100"},
		{fen(0), 500, "", "-500"},
		{nil, 500, "", ""},
	} {
		rate, saved, note := savingsrate.Rate(c.baseline, c.actual)
		got, gotSaved := "", ""
		if rate != nil {
			got = fmt.Sprint(*rate)
		}
		if saved != nil {
			gotSaved = fmt.Sprint(*saved)
		}
		if got != c.rate || gotSaved != c.saved || (rate == nil) != (note != "") {
			t.Errorf("Rate(%v, %d) = %s, %s, %q; want %s, %s", c.baseline, c.actual, got, gotSaved, note, c.rate, c.saved)
		}
	}
}

type market map[string]int64

func (m market) Equivalent(ctx context.Context, path string, from, to time.Time) (int64, error) {
	return m[path], nil
}

// TestSavings: a unit's costs of 2025 against each basis — last year's
// same months, the budget, the market equivalent — with both inputs; the
// district's table has the same row; bases are per level, budgets per node.
func TestSavings(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		s := w.SavingsRate
		city, tn, zl := w.Actor(t, "city_admin"), w.Actor(t, "tn_admin"), w.Actor(t, "zl_admin")
		tnID := w.UnitID(t, "天宁区")
		u := newUnit(t, w, "节支测试单位", tnID)
		for _, r := range []struct {
			period string
			fen    int64
		}{{"2024-03", 100000}, {"2024-11", 50000}, {"2024", 150000}, {"2025-02", 60000}, {"2025-12", 30000}, {"2025", 90000}, {"2026-01", 7}} {
			if _, err := w.DB.W.NewRaw("INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries) VALUES (?, ?, ?, 0, 'fuel', ?, 1)",
				r.period, u.Path, u.ID, r.fen).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		find := func(res *savingsrate.Result) *savingsrate.Row {
			for _, r := range res.Rows {
				if r.UnitID == u.ID {
					return r
				}
			}
			t.Fatal("the unit is not in its district's table")
			return nil
		}
		// Previous year (the district's choice; the demo's city measures against the budget): 150,000 → 90,000 fen: 40 %.
		if _, err := s.SetBasis(ctx, tn, savingsrate.BasisInput{UnitID: tnID, Year: 2025, Basis: savingsrate.Previous}); err != nil {
			t.Fatal(err)
		}
		res, err := s.Compute(ctx, tn, u.ID, 2025)
		if err != nil {
			t.Fatal(err)
		}
		n := res.Node
		if res.Months != 12 || n.Basis != savingsrate.Previous || n.Baseline == nil || *n.Baseline != 150000 || n.Actual != 90000 || n.Rate == nil || *n.Rate != 40 || *n.Saved != 60000 {
			t.Fatalf("previous: %+v", n)
		}
		if res.Definition == "" || len(res.Parents) != 1 || res.Parents[0].Name != "天宁区" {
			t.Fatalf("definition or crumbs: %+v", res)
		}
		dist, err := s.Compute(ctx, tn, 0, 2025)
		if err != nil {
			t.Fatal(err)
		}
		if r := find(dist); r.Actual != 90000 || *r.Baseline != 150000 || *r.Rate != 40 {
			t.Fatalf("district's row %+v", r)
		}
		// No costs last year: no rate, and why (with no basis chosen for 2024 the default is last year).
		res, _ = s.Compute(ctx, tn, u.ID, 2024)
		if res.Node.Rate != nil || res.Node.Note != "2023年同期无费用记录" {
			t.Fatalf("no previous year: %+v", res.Node)
		}
		// The district chooses the budget; none entered yet.
		if _, err := s.SetBasis(ctx, tn, savingsrate.BasisInput{UnitID: tnID, Year: 2025, Basis: savingsrate.Budget}); err != nil {
			t.Fatal(err)
		}
		res, _ = s.Compute(ctx, tn, u.ID, 2025)
		if res.Node.Basis != savingsrate.Budget || res.Node.Rate != nil || res.Node.Note != "未录入2025年预算" {
			t.Fatalf("budget missing: %+v", res.Node)
		}
		if _, err := s.SetBudget(ctx, tn, savingsrate.BudgetInput{UnitID: u.ID, Year: 2025, Amount: "1200.00"}); err != nil {
			t.Fatal(err)
		}
		res, _ = s.Compute(ctx, tn, u.ID, 2025)
		if n := res.Node; *n.Baseline != 120000 || *n.Rate != 25 || *n.Budget != 120000 {
			t.Fatalf("budget: %+v", n)
		}
		// A zero budget: no rate.
		s.SetBudget(ctx, tn, savingsrate.BudgetInput{UnitID: u.ID, Year: 2025, Amount: "0"})
		res, _ = s.Compute(ctx, tn, u.ID, 2025)
		if res.Node.Rate != nil || res.Node.Note != "基数为零，不计算节支率" {
			t.Fatalf("zero budget: %+v", res.Node)
		}
		// The city's choice does not override the district's; it applies to the city's own row.
		if _, err := s.SetBasis(ctx, city, savingsrate.BasisInput{UnitID: w.UnitID(t, "常州市"), Year: 2025, Basis: savingsrate.Market}); err != nil {
			t.Fatal(err)
		}
		res, _ = s.Compute(ctx, tn, u.ID, 2025)
		if res.Node.Basis != savingsrate.Budget {
			t.Fatalf("the district's choice was overridden: %s", res.Node.Basis)
		}
		wired := s.Market // the application's (integrated dispatch's market prices)
		s.Market = nil
		cityRes, _ := s.Compute(ctx, city, 0, 2025)
		if cityRes.Node.Basis != savingsrate.Market || cityRes.Node.Note != "市场价格折算尚未提供" || cityRes.Node.Rate != nil {
			t.Fatalf("market not provided: %+v", cityRes.Node)
		}
		s.Market = market{cityRes.Node.Name: 0, w.UnitPath(t, "常州市"): cityRes.Node.Actual * 2}
		cityRes, _ = s.Compute(ctx, city, 0, 2025)
		if cityRes.Node.Rate == nil || *cityRes.Node.Rate != 50 {
			t.Fatalf("market: %+v", cityRes.Node)
		}
		s.Market = wired

		// Refusals: a unit has no basis of its own; others' nodes; bad amounts.
		if _, err := s.SetBasis(ctx, tn, savingsrate.BasisInput{UnitID: u.ID, Year: 2025, Basis: savingsrate.Budget}); err == nil || err.(*errs.Error).Fields["unit_id"] == "" {
			t.Fatalf("a unit's basis: %v", err)
		}
		if _, err := s.SetBudget(ctx, zl, savingsrate.BudgetInput{UnitID: u.ID, Year: 2025, Amount: "1"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another district's budget: %v", err)
		}
		if _, err := s.SetBudget(ctx, tn, savingsrate.BudgetInput{UnitID: u.ID, Year: 2025, Amount: "1.234"}); err == nil {
			t.Fatal("three decimals accepted")
		}
		if _, err := s.Compute(ctx, zl, u.ID, 2025); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another district reads: %v", err)
		}
		if _, err := s.Compute(ctx, tn, u.ID, 2099); err == nil {
			t.Fatal("a future year")
		}
	})
}

// TestMarketBasis: the market basis prices every trip the node's vehicles served in the year — its
// own unit's and other units' orders alike — in days and half days at the market reference price of
// the vehicle's type in force on the pick-up day (savings.PriceServed, the ten-minute job); a trip
// whose type has no price that day counts once the city adds one. Figures by hand.
func TestMarketBasis(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		s := w.SavingsRate
		s.Now = func() time.Time { return time.Date(2032, 2, 1, 9, 0, 0, 0, beijing.Zone) }
		city, tn := w.Actor(t, "city_admin"), w.Actor(t, "tn_admin")
		tnID := w.UnitID(t, "天宁区")
		tag := time.Now().UnixNano() % 1000000
		u := newUnit(t, w, "市场价测试单位", tnID)
		// Market prices of 2031 (the demo's end the day before): sedan 500/day, 300/half day;
		// business van 1,150/day, 700/half day; none yet for minibuses.
		if _, err := w.DB.W.NewRaw("UPDATE rates SET valid_to = '2030-12-31' WHERE kind = 'market' AND valid_to IS NULL").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, r := range []savings.RateInput{
			{Kind: savings.Market, VehicleType: "sedan", DayFen: 50000, HalfDayFen: 30000, ValidFrom: "2031-01-01"},
			{Kind: savings.Market, VehicleType: "business_van", DayFen: 115000, HalfDayFen: 70000, ValidFrom: "2031-01-01"},
		} {
			if _, err := w.Savings.SaveRate(ctx, city, 0, r); err != nil {
				t.Fatal(err)
			}
		}
		ts := time.Now().UTC()
		vehicle := func(n, seats int) int64 {
			var id int64
			if err := w.DB.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, created_at, updated_at)
				VALUES (?, ?, 'other', '测试', '测试', ?, ?, 'petrol', 'small', 'available', ?, ?) RETURNING id`,
				u.ID, fmt.Sprintf("苏ZM%04d%d", tag%10000, n), fmt.Sprintf("MKT%06d%08d", tag, n), seats, ts, ts).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		sedan, van, minibus, idle := vehicle(1, 5), vehicle(2, 7), vehicle(3, 12), vehicle(4, 5)
		var other int64 // a unit of another district, served by this unit's van
		if err := w.DB.R.NewSelect().Table("units").Column("id").Where("kind = 'unit' AND path LIKE ?", w.UnitPath(t, "钟楼区")+"%").Limit(1).Scan(ctx, &other); err != nil {
			t.Fatal(err)
		}
		order := func(n int, unit, vehicle int64, state, dep, back string, returned bool) {
			d, b := apptest.BJ(dep), apptest.BJ(back)
			var ret, fin *time.Time
			if state != "cancelled" {
				if returned {
					ret = &b
				} else {
					fin = &b
				}
			}
			if _, err := w.DB.W.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
				pickup_at, return_at, state, approvals_needed, approvals_done, vehicle_id, departed_at, finished_at, returned_at, created_at, updated_at)
				VALUES (?, ?, ?, '测试', '市场价测试', 1, '测试', '["测试"]', ?, ?, ?, 1, 1, ?, ?, ?, ?, ?, ?)`,
				fmt.Sprintf("MK%06d%02d", tag, n), unit, tn.UserID, d, b, state, vehicle, d, fin, ret, ts, ts).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		order(1, u.ID, sedan, "closed", "2031-03-01 08:00", "2031-03-01 11:00", true)    // 3 h: half day, 300
		order(2, u.ID, sedan, "back", "2031-05-10 08:00", "2031-05-11 14:00", true)      // 30 h: 1 day + 6 h > 4 h: 2 days, 1,000
		order(3, u.ID, van, "finished", "2031-07-01 08:00", "2031-07-01 18:00", false)   // 10 h to the task's end: 1 day, 1,150
		order(4, u.ID, van, "closed", "2031-09-01 08:00", "2031-09-02 10:00", true)      // 26 h: 1 day + half day, 1,850
		order(5, other, van, "closed", "2031-10-01 09:00", "2031-10-01 12:00", true)     // another district's order served by the van: half day, 700
		order(6, u.ID, sedan, "cancelled", "2031-11-01 09:00", "2031-11-01 12:00", true) // never ran: nothing
		order(7, u.ID, sedan, "closed", "2032-01-02 09:00", "2032-01-02 12:00", true)    // next year: not in 2031
		order(8, u.ID, minibus, "closed", "2031-11-01 08:00", "2031-11-01 12:00", true)  // 4 h: half day, no minibus price yet
		price := func() {
			for {
				n, err := w.Savings.PriceServed(ctx, 500)
				if err != nil {
					t.Fatal(err)
				}
				if n < 500 {
					return
				}
			}
		}
		price()
		// The ledger's costs of the unit in 2031: 7,800.00, of which the sedan's and the van's (the
		// vehicles of the priced trips) 4,000.00; the minibus's 600.00 count once its trip is priced;
		// the idle car's repair and the unit's cost of no vehicle never (no trip of theirs is priced).
		for _, r := range []struct {
			period  string
			vehicle int64
			kind    string
			fen     int64
		}{{"2031-03", sedan, "fuel", 250000}, {"2031-09", van, "insurance", 150000}, {"2031-11", minibus, "fuel", 60000},
			{"2031-05", idle, "maintenance", 300000}, {"2031-06", 0, "other", 20000}} {
			if _, err := w.DB.W.NewRaw("INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries) VALUES (?, ?, ?, ?, ?, ?, 1)",
				r.period, u.Path, u.ID, r.vehicle, r.kind, r.fen).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.SetBasis(ctx, tn, savingsrate.BasisInput{UnitID: tnID, Year: 2031, Basis: savingsrate.Market}); err != nil {
			t.Fatal(err)
		}
		wantRow := func(baseline, actual int64, rate float64, note string) {
			t.Helper()
			res, err := s.Compute(ctx, tn, u.ID, 2031)
			if err != nil {
				t.Fatal(err)
			}
			n := res.Node
			if n.Basis != savingsrate.Market || n.Baseline == nil || *n.Baseline != baseline || n.Actual != actual || n.Rate == nil || *n.Rate != rate || *n.Saved != baseline-actual {
				t.Fatalf("market basis: %+v, want baseline %d, actual %d and %.1f %%", n, baseline, actual, rate)
			}
			if n.Note != note {
				t.Errorf("the row says %q, want %q", n.Note, note)
			}
			if !strings.Contains(res.Definition, "每次出车") {
				t.Errorf("the definition does not say how the market basis is taken: %s", res.Definition)
			}
			// The district's table has the same row; the district's own baseline is the trips its vehicles served.
			dist, err := s.Compute(ctx, tn, 0, 2031)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range dist.Rows {
				if r.UnitID == u.ID && (r.Baseline == nil || *r.Baseline != baseline) {
					t.Fatalf("the district's row: %+v", r)
				}
			}
			if dist.Node.Baseline == nil || *dist.Node.Baseline < baseline {
				t.Fatalf("the district's baseline %v is below its unit's %d", dist.Node.Baseline, baseline)
			}
		}
		// 300 + 1,000 + 1,150 + 1,850 + 700 = 5,000.00; (5,000 − 4,000) ÷ 5,000 = 20.0 %.
		wantRow(500000, 400000, 20, "按5次出车的市场参考价折算；另1次出车的车型当日无市场参考价，未计入；实际费用取出车的2辆车的台账费用（台账合计7800.00元）")
		jan := time.Date(2031, 1, 1, 0, 0, 0, 0, beijing.Zone)
		if v, err := (savings.MarketPrices{DB: w.DB}).Equivalent(ctx, w.UnitPath(t, "钟楼区"), jan, jan.AddDate(1, 0, 0)); err != nil || v != 0 {
			t.Errorf("the ordering district is not the serving one: %d %v", v, err)
		}
		// The city adds the minibus's price (1,620/day, 900/half day): the next run prices order 8.
		if _, err := w.Savings.SaveRate(ctx, city, 0, savings.RateInput{Kind: savings.Market, VehicleType: "minibus", DayFen: 162000, HalfDayFen: 90000, ValidFrom: "2031-01-01"}); err != nil {
			t.Fatal(err)
		}
		price()
		// 5,000 + 900 = 5,900.00 against 4,000 + 600 = 4,600.00; 1,300 ÷ 5,900 = 22.03 → 22.0 %.
		wantRow(590000, 460000, 22, "按6次出车的市场参考价折算；实际费用取出车的3辆车的台账费用（台账合计7800.00元）")
	})
}
