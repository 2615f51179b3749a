package ledger_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/ledger"
)

// Posting the same source again replaces its amount; zero removes it; the
// month is the Beijing month of the cost.
func TestPostReplaces(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		unit := w.UnitID(t, "市机关事务管理局")
		// 2026-03-31 20:00 UTC is 1 April in Beijing.
		at := time.Date(2026, 3, 31, 20, 0, 0, 0, time.UTC)
		post := func(fen int64) {
			t.Helper()
			err := db.Tx(ctx, func(tx bun.Tx) error {
				return ledger.Post(ctx, tx, ledger.Entry{UnitID: unit, Kind: "other", AmountFen: fen, Source: "test", SourceID: 7, OccurredAt: at})
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		sum := func() (n int, total int64, month string) {
			t.Helper()
			var rows []ledger.Entry
			if err := db.R.NewSelect().Model(&rows).Where("source = 'test'").Scan(ctx); err != nil {
				t.Fatal(err)
			}
			for _, r := range rows {
				total += r.AmountFen
				month = r.Month
			}
			return len(rows), total, month
		}
		post(12345)
		post(23456)
		if n, total, month := sum(); n != 1 || total != 23456 || month != "2026-04" {
			t.Errorf("after re-post: %d entries, %d fen, month %s", n, total, month)
		}
		post(0)
		if n, _, _ := sum(); n != 0 {
			t.Errorf("zero amount left %d entries", n)
		}
	})
}
