package savingsrate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/savingsrate"
	"govfleet/internal/storetest"
)

// TestMain removes the demo databases seeded for the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }

func fen(v int64) *int64 { return &v }

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
		name := fmt.Sprintf("节支测试单位%d", time.Now().UnixNano()%1000000)
		first := fmt.Sprintf("11320402%09d", time.Now().UnixNano()%1000000000)
		c, _ := check.CreditCodeCheckChar(first)
		code, typ := first+string(c), "government"
		u, err := w.Org.Create(ctx, city, org.KindUnit, org.Input{ParentID: &tnID, Name: &name, CreditCode: &code, UnitType: &typ})
		if err != nil {
			t.Fatal(err)
		}
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
