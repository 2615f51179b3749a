package ledger_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/ledger"
	"govfleet/internal/store"
)

// totals reads the kept totals, or (fresh) recomputes them from the
// entries, keyed by month, path, unit, vehicle and kind.
func totals(t *testing.T, db *store.DB, fresh bool) map[string][2]int64 {
	t.Helper()
	q := "SELECT period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries FROM cost_totals"
	if fresh {
		q = `SELECT month AS period, unit_path, unit_id, COALESCE(vehicle_id, 0) AS vehicle_id, kind, SUM(amount_fen) AS amount_fen, COUNT(*) AS entries
			FROM cost_entries GROUP BY month, unit_path, unit_id, COALESCE(vehicle_id, 0), kind
			UNION ALL
			SELECT SUBSTR(month, 1, 4), unit_path, unit_id, COALESCE(vehicle_id, 0), kind, SUM(amount_fen), COUNT(*)
			FROM cost_entries GROUP BY SUBSTR(month, 1, 4), unit_path, unit_id, COALESCE(vehicle_id, 0), kind`
	}
	var rows []struct {
		Month     string `bun:"period"`
		UnitPath  string `bun:"unit_path"`
		UnitID    int64  `bun:"unit_id"`
		VehicleID int64  `bun:"vehicle_id"`
		Kind      string `bun:"kind"`
		AmountFen int64  `bun:"amount_fen"`
		Entries   int64  `bun:"entries"`
	}
	if err := db.R.NewRaw(q).Scan(context.Background(), &rows); err != nil {
		t.Fatal(err)
	}
	out := map[string][2]int64{}
	for _, r := range rows {
		out[fmt.Sprint(r.Month, r.UnitPath, r.UnitID, r.VehicleID, r.Kind)] = [2]int64{r.AmountFen, r.Entries}
	}
	return out
}

func sameTotals(t *testing.T, what string, kept, fresh map[string][2]int64) {
	t.Helper()
	if len(kept) != len(fresh) {
		t.Errorf("%s: %d kept rows, %d recomputed", what, len(kept), len(fresh))
	}
	for k, f := range fresh {
		if kept[k] != f {
			t.Errorf("%s: %s kept %v, recomputed %v", what, k, kept[k], f)
		}
	}
}

// The kept totals equal a fresh recomputation from the entries after the
// demo's load and after random posts, re-posts (another amount, unit,
// vehicle or month), removals and withdrawals; Rebuild restores them when
// they drift; the summary reads them.
func TestKeptTotals(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		sameTotals(t, "demo", totals(t, db, false), totals(t, db, true))
		type veh struct {
			ID     int64 `bun:"id"`
			UnitID int64 `bun:"unit_id"`
		}
		var vs []veh
		if err := db.R.NewSelect().Table("vehicles").Column("id", "unit_id").OrderExpr("id").Limit(12).Scan(ctx, &vs); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(24, 11))
		kinds := ledger.Kinds
		for round := 0; round < 6; round++ {
			if err := db.Tx(ctx, func(tx bun.Tx) error {
				for i := 0; i < 40; i++ {
					v := vs[r.IntN(len(vs))]
					e := ledger.Entry{UnitID: v.UnitID, Kind: kinds[r.IntN(len(kinds))].Code, AmountFen: r.Int64N(200000) - 20000,
						Source: "totals_test", SourceID: int64(1 + r.IntN(60)), OccurredAt: time.Date(2032, time.Month(1+r.IntN(3)), 1+r.IntN(28), r.IntN(24), 0, 0, 0, time.UTC)}
					if r.IntN(4) > 0 {
						e.VehicleID = &v.ID
					}
					if r.IntN(10) == 0 {
						e.AmountFen = 0
					}
					if err := ledger.Post(ctx, tx, e); err != nil {
						return err
					}
				}
				return ledger.Withdraw(ctx, tx, "source = 'totals_test' AND source_id = ?", 1+r.IntN(60))
			}); err != nil {
				t.Fatal(err)
			}
			sameTotals(t, fmt.Sprint("round ", round), totals(t, db, false), totals(t, db, true))
		}

		// The summary of a month and of the year adds up the entries.
		for _, period := range []string{"2032-02", "2032"} {
			var want int64
			if err := db.R.NewSelect().Table("cost_entries").ColumnExpr("COALESCE(SUM(amount_fen), 0)").Where("month LIKE ?", period+"%").Scan(ctx, &want); err != nil {
				t.Fatal(err)
			}
			sum, err := w.Ledger.Summarise(ctx, w.Actor(t, "city_admin"), 0, period)
			if err != nil || sum.Total != want || want == 0 {
				t.Errorf("summary of %s: %v, total %d, entries add up to %d", period, err, sum.Total, want)
			}
		}

		// Drifted totals (a write that bypassed Post): Rebuild recomputes them.
		if _, err := db.W.NewRaw("UPDATE cost_totals SET amount_fen = amount_fen + 1 WHERE period = '2032-01'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.NewRaw("DELETE FROM cost_totals WHERE period = '2032'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := ledger.Rebuild(ctx, db); err != nil {
			t.Fatal(err)
		}
		sameTotals(t, "rebuilt", totals(t, db, false), totals(t, db, true))
	})
}
