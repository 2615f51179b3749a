package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
)

// The summary totals a node's subtree by kind, unit and vehicle for a
// month or a year, and refuses nodes outside the caller's scope.
func TestSummarise(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		type veh struct {
			ID     int64 `bun:"id"`
			UnitID int64 `bun:"unit_id"`
		}
		var a, b veh
		for unit, v := range map[string]*veh{"天宁区政府办公室": &a, "天宁区城市管理局": &b} {
			if err := db.R.NewSelect().Table("vehicles").Column("id", "unit_id").Where("unit_id = ?", w.UnitID(t, unit)).OrderExpr("id").Limit(1).Scan(ctx, v); err != nil {
				t.Fatal(unit, err)
			}
		}
		// Year 2031: nothing of the demo's.
		at := func(m int) time.Time { return time.Date(2031, time.Month(m), 10, 4, 0, 0, 0, time.UTC) }
		entries := []ledger.Entry{
			{VehicleID: &a.ID, UnitID: a.UnitID, Kind: "fuel", AmountFen: 50000, Source: "t", SourceID: 1, OccurredAt: at(3)},
			{VehicleID: &a.ID, UnitID: a.UnitID, Kind: "maintenance", AmountFen: 120000, Source: "t", SourceID: 2, OccurredAt: at(3)},
			{VehicleID: &b.ID, UnitID: b.UnitID, Kind: "fuel", AmountFen: 30000, Source: "t", SourceID: 3, OccurredAt: at(3)},
			{VehicleID: &b.ID, UnitID: b.UnitID, Kind: "insurance", AmountFen: 95000, Source: "t", SourceID: 4, OccurredAt: at(4)},
			{UnitID: b.UnitID, Kind: "other", AmountFen: 1000, Source: "t", SourceID: 5, OccurredAt: at(3)},
		}
		if err := db.Tx(ctx, func(tx bun.Tx) error {
			for _, e := range entries {
				if err := ledger.Post(ctx, tx, e); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		tn := w.Actor(t, "tn_admin")
		march, err := w.Ledger.Summarise(ctx, tn, 0, "2031-03")
		if err != nil {
			t.Fatal(err)
		}
		if march.Total != 201000 || march.ByKind["fuel"] != 80000 || march.ByKind["insurance"] != 0 || len(march.Units) != 2 || len(march.Vehicles) != 2 {
			t.Errorf("March: total %d by kind %v, %d units, %d vehicles", march.Total, march.ByKind, len(march.Units), len(march.Vehicles))
		}
		if march.Vehicles[0].ID != a.ID || march.Vehicles[0].Total != 170000 || march.Units[1].Total != 31000 {
			t.Errorf("March rows: %+v %+v", march.Vehicles[0], march.Units[1])
		}
		year, err := w.Ledger.Summarise(ctx, tn, b.UnitID, "2031")
		if err != nil || year.Total != 126000 || year.ByKind["insurance"] != 95000 {
			t.Errorf("year of one unit: %v %+v", err, year)
		}
		if _, err := w.Ledger.Summarise(ctx, tn, w.UnitID(t, "钟楼区财政局"), "2031"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another district's ledger: %v", err)
		}
		if _, err := w.Ledger.Summarise(ctx, tn, 0, "2031-13"); !errs.Is(err, errs.Invalid) {
			t.Errorf("bad period: %v", err)
		}
	})
}

// A node's summary is computed once and answered again while its period's
// costs stand (issue 24 item 11: many people reading the city's month cost
// one query), but a cost posted, re-posted or withdrawn in that month or
// year, or a rebuild, shows at the next read; another period's writes keep
// it; the scope is checked on every read, kept or not.
func TestSummaryKeptUntilCostsChange(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		var v struct {
			ID     int64 `bun:"id"`
			UnitID int64 `bun:"unit_id"`
		}
		if err := db.R.NewSelect().Table("vehicles").Column("id", "unit_id").Where("unit_id = ?", w.UnitID(t, "天宁区城市管理局")).OrderExpr("id").Limit(1).Scan(ctx, &v); err != nil {
			t.Fatal(err)
		}
		post := func(month, id int, fen int64) {
			t.Helper()
			e := ledger.Entry{VehicleID: &v.ID, UnitID: v.UnitID, Kind: "fuel", AmountFen: fen, Source: "kept_test", SourceID: int64(id),
				OccurredAt: time.Date(2033, time.Month(month), 12, 2, 0, 0, 0, time.UTC)}
			if err := db.Tx(ctx, func(tx bun.Tx) error { return ledger.Post(ctx, tx, e) }); err != nil {
				t.Fatal(err)
			}
		}
		read := func(who string, period string) *ledger.Summary {
			t.Helper()
			s, err := w.Ledger.Summarise(ctx, w.Actor(t, who), 0, period)
			if err != nil {
				t.Fatal(who, period, err)
			}
			return s
		}
		post(5, 1, 10000)
		first := read("city_admin", "2033-05")
		if first.Total != 10000 {
			t.Fatalf("May: %d", first.Total)
		}
		if again := read("city_admin", "2033-05"); again != first {
			t.Error("an unchanged month was computed again")
		}
		post(6, 2, 7000) // June: May's summary stands
		if again := read("city_admin", "2033-05"); again != first {
			t.Error("a cost of June changed May's summary")
		}
		steps := []struct {
			what   string
			change func()
			may    int64
			year   int64
		}{
			{"a new cost in May", func() { post(5, 3, 2500) }, 12500, 19500},
			{"a cost re-posted with another amount", func() { post(5, 1, 4000) }, 6500, 13500},
			{"a cost withdrawn", func() {
				if err := db.Tx(ctx, func(tx bun.Tx) error {
					return ledger.Withdraw(ctx, tx, "source = 'kept_test' AND source_id = ?", 3)
				}); err != nil {
					t.Fatal(err)
				}
			}, 4000, 11000},
			{"totals rebuilt after a write that bypassed the ledger", func() {
				if _, err := db.W.NewRaw("UPDATE cost_entries SET amount_fen = 5000 WHERE source = 'kept_test' AND source_id = 1").Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if err := ledger.Rebuild(ctx, db); err != nil {
					t.Fatal(err)
				}
			}, 5000, 12000},
		}
		for _, s := range steps {
			s.change()
			if got := read("city_admin", "2033-05").Total; got != s.may {
				t.Errorf("after %s, May shows %d, want %d", s.what, got, s.may)
			}
			if got := read("city_admin", "2033").Total; got != s.year {
				t.Errorf("after %s, the year shows %d, want %d", s.what, got, s.year)
			}
		}
		if _, err := w.Ledger.Summarise(ctx, w.Actor(t, "zl_admin"), city.ScopeID, "2033-05"); !errs.Is(err, errs.Forbidden) {
			t.Errorf("a district reading the city's kept summary: %v", err)
		}
		if read("tn_admin", "2033-05").Total != 5000 {
			t.Error("the district's own summary")
		}
	})
}
