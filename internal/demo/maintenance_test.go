package demo_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/maintenance"
)

// The demo has a repair job in every state and a month of rental
// orders for the assessment (R-29(2)).
func TestDemoHasRepairsAndRentals(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		for st := range maintenance.StateNames {
			if n, err := db.R.NewSelect().Table("repair_jobs").Where("state = ?", st).Count(ctx); err != nil || n == 0 {
				t.Errorf("no demo repair job in state %s (%v)", st, err)
			}
		}
		if n, err := db.R.NewSelect().Table("repair_items").Where("review = 'disputed'").Count(ctx); err != nil || n == 0 {
			t.Errorf("no disputed item in the demo (%v)", err)
		}
		last := beijing.Month(beijing.MonthStart(time.Now()).AddDate(0, -1, 0))
		as, err := w.Rental.Assessments(ctx, w.Actor(t, "city_admin"), last)
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, a := range as {
			done += a.Completed
		}
		if done == 0 {
			t.Errorf("no completed rental order last month: %+v", as)
		}
	})
}
