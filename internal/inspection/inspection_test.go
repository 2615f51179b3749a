package inspection_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/inspection"
	"govfleet/internal/store"
)

func date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

func TestNextDue(t *testing.T) {
	for _, c := range []struct {
		registered string
		seats      int
		after      string
		want       string
	}{
		{"2020-05-10", 5, "2026-01-01", "2026-05-10"}, // every two years in the first ten
		{"2020-05-10", 5, "2026-05-10", "2028-05-10"}, // strictly after
		{"2014-03-01", 5, "2026-01-01", "2026-03-01"}, // yearly after ten years
		{"2008-01-15", 5, "2026-01-01", "2026-01-15"}, // half-yearly after fifteen
		{"2008-01-15", 5, "2026-01-20", "2026-07-15"},
		{"2020-05-10", 20, "2026-06-01", "2027-05-10"}, // a bus: yearly in the first ten
		{"2014-05-10", 20, "2026-06-01", "2026-11-10"}, // then half-yearly
	} {
		if got := inspection.NextDue(date(c.registered), c.seats, date(c.after)).Format(time.DateOnly); got != c.want {
			t.Errorf("NextDue(%s, %d seats, after %s) = %s, want %s", c.registered, c.seats, c.after, got, c.want)
		}
	}
}

// notes counts user's notifications of kind mentioning text.
func notes(t *testing.T, db *store.DB, user int64, kind, text string) int {
	t.Helper()
	n, err := db.R.NewSelect().Table("notifications").Where("user_id = ? AND kind = ? AND body LIKE ?", user, kind, "%"+text+"%").Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// The reminder goes once per due date to the vehicle manager and the
// matched driver; a new due date is reminded again; an overdue vehicle is
// flagged; the inspection company records a result that moves the date
// and posts the fee; nobody else records, and nobody outside the contracts.
func TestRemindersAndResults(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		vm, driver := w.Actor(t, "jgj_vm"), w.Actor(t, "jgj_driver")
		var v struct {
			ID    int64  `bun:"id"`
			Plate string `bun:"plate"`
		}
		err := db.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.plate").
			Join("JOIN driver_vehicles AS dv ON dv.vehicle_id = v.id").Join("JOIN drivers AS d ON d.id = dv.driver_id").
			Where("d.user_id = ? AND v.status <> 'disposed'", driver.UserID).Limit(1).Scan(ctx, &v)
		if err != nil {
			t.Fatal(err)
		}
		// The service's today is the test's: one instant for both, so a
		// Beijing midnight during the test cannot set them a day apart.
		now := time.Now()
		w.Inspection.Now = func() time.Time { return now }
		if _, err := w.Inspection.FillDefaults(ctx); err != nil {
			t.Fatal(err)
		}
		in20 := beijing.Date(now.AddDate(0, 0, 20))
		if _, err := w.Inspection.SetDue(ctx, vm, v.ID, inspection.DueInput{DueOn: in20}); err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if _, err := w.Inspection.Remind(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if n, m := notes(t, db, vm.UserID, "inspection", v.Plate), notes(t, db, driver.UserID, "inspection", v.Plate); n != 1 || m != 1 {
			t.Errorf("reminders after two runs: vehicle manager %d, driver %d; want 1 each", n, m)
		}
		yesterday := beijing.Date(now.AddDate(0, 0, -1))
		if _, err := w.Inspection.SetDue(ctx, vm, v.ID, inspection.DueInput{DueOn: yesterday}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Inspection.Remind(ctx); err != nil {
			t.Fatal(err)
		}
		if n := notes(t, db, vm.UserID, "inspection", v.Plate); n != 2 {
			t.Errorf("reminders after a new due date: %d, want 2", n)
		}
		list, _, err := w.Inspection.List(ctx, vm, inspection.Filter{Overdue: true, Q: v.Plate, Page: 1, Size: 10})
		if err != nil || len(list) != 1 || !list[0].Overdue {
			t.Fatalf("overdue list: %v %+v", err, list)
		}

		// Results: the inspection company covering the city records one.
		inspector := w.Actor(t, "co_inspect")
		today := beijing.Date(now)
		d, err := w.Inspection.Record(ctx, inspector, v.ID, inspection.ResultInput{InspectedOn: today, Passed: true, FeeFen: 30000})
		if err != nil {
			t.Fatal(err)
		}
		if d.Due.Overdue || d.Due.DueOn == nil || *d.Due.DueOn <= today || len(d.Inspections) != 1 || d.Inspections[0].CompanyName == "" {
			t.Errorf("after a passed result: due %v overdue %v, %d inspections", d.Due.DueOn, d.Due.Overdue, len(d.Inspections))
		}
		var fee int64
		if err := db.R.NewSelect().Table("cost_entries").Column("amount_fen").Where("kind = 'inspection' AND vehicle_id = ?", v.ID).Scan(ctx, &fee); err != nil || fee != 30000 {
			t.Errorf("inspection fee in the ledger: %d %v", fee, err)
		}
		for name, a := range map[string]*access.Actor{"insurer": w.Actor(t, "co_insurer"), "vehicle manager": vm, "repair shop": w.Actor(t, "co_repair")} {
			if _, err := w.Inspection.Record(ctx, a, v.ID, inspection.ResultInput{InspectedOn: today, Passed: true}); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s records a result: %v", name, err)
			}
		}
		// An inspection company whose contract covers another district.
		narrow := *inspector
		narrow.Contracts = []string{w.UnitPath(t, "钟楼区")}
		if _, err := w.Inspection.Record(ctx, &narrow, v.ID, inspection.ResultInput{InspectedOn: today, Passed: true}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("result outside the contracts: %v", err)
		}
		due, n, err := w.Inspection.List(ctx, &narrow, inspection.Filter{Page: 1, Size: 200})
		if err != nil || n == 0 {
			t.Fatalf("narrow list: %v %d", err, n)
		}
		for _, x := range due {
			if !narrow.Covers(x.UnitPath) {
				t.Errorf("company sees %s of %s outside its contracts", x.Plate, x.UnitName)
			}
		}
	})
}
