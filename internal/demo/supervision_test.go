package demo_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/fleet"
	"govfleet/internal/supervision"
	"govfleet/internal/telematics"
)

// TestDemoPlantedViolations: the engine run at serve start finds the
// demo's planted violations as cases and flags none of its clean trips.
// (It lives with the demo's tests, not supervision's: supervision has
// internal test files, and a test of its package that used the whole
// application made go test compile 12 packages a second time; issue 18.)
func TestDemoPlantedViolations(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB
		s := w.Supervision
		now := time.Now().UTC()
		res, err := s.Run(ctx, supervision.Window{From: now.Add(-31 * 24 * time.Hour), To: now})
		if err != nil {
			t.Fatal(err)
		}
		var fs []struct {
			Rule    string `bun:"rule"`
			Summary string `bun:"summary"`
		}
		if err := db.R.NewSelect().Table("findings").Column("rule", "summary").Order("rule", "id").Scan(ctx, &fs); err != nil {
			t.Fatal(err)
		}
		byRule := map[string]int{}
		for _, f := range fs {
			byRule[f.Rule]++
			t.Logf("%s %s", f.Rule, f.Summary)
		}
		for _, rule := range []string{"no_order", "overnight", "tamper", "terminal_offline"} {
			if byRule[rule] != 1 {
				t.Errorf("planted %s: %d findings, want 1", rule, byRule[rule])
			}
		}
		// The fuelling of the sealed car is found, and the fuel
		// company's month does not flood the list.
		var sealedCar int64
		if err := db.R.NewSelect().Table("vehicles").Column("id").Where("status = 'sealed'").Scan(ctx, &sealedCar); err != nil {
			t.Fatalf("the demo's sealed car: %v", err)
		}
		if n, _ := db.R.NewSelect().Table("findings").Where("evidence_key LIKE 'fuel_anomaly:sealed:%' AND vehicle_id = ?", sealedCar).Count(ctx); n != 1 {
			t.Errorf("fuelling of the sealed car: %d findings, want 1", n)
		}
		if byRule["fuel_anomaly"] > 30 {
			t.Errorf("%d fuel findings in the demo's month; the supervisor's list is flooded", byRule["fuel_anomaly"])
		}
		// Every trip in the demo other than the weekend outing is clean.
		trips, _ := db.R.NewSelect().Table("trips").Count(ctx)
		flagged, _ := db.R.NewSelect().Table("findings").Where("trip_id IS NOT NULL").Count(ctx)
		if trips != 5 || flagged != 1 {
			t.Errorf("%d trips, %d flagged; want 5 trips, only the weekend outing flagged", trips, flagged)
		}
		// Each trip's positions are there for track playback (the case's
		// evidence links to it), as many as the trip counts.
		var ts []struct {
			VehicleID int64     `bun:"vehicle_id"`
			Started   time.Time `bun:"started_at"`
			Ended     time.Time `bun:"ended_at"`
			Points    int       `bun:"points"`
		}
		if err := db.R.NewSelect().Table("trips").Column("vehicle_id", "started_at", "ended_at", "points").Scan(ctx, &ts); err != nil {
			t.Fatal(err)
		}
		for _, tr := range ts {
			ps, err := telematics.VehicleTrack(ctx, db, tr.VehicleID, tr.Started, tr.Ended.Add(time.Second), 10000)
			if err != nil || len(ps) != tr.Points {
				t.Errorf("track of vehicle %d's trip at %v: %d positions (%v), the trip has %d", tr.VehicleID, tr.Started, len(ps), err, tr.Points)
			}
		}
		// The cases are there for the discipline supervisor, tamper at once.
		jw := w.Actor(t, "city_jw")
		cs, total, err := s.Cases(ctx, jw, supervision.CaseFilter{Page: 1, Size: 200})
		if err != nil || total != res.Cases {
			t.Fatalf("cases: %v %d, run opened %d", err, total, res.Cases)
		}
		serious := slices.IndexFunc(cs, func(c *supervision.Case) bool { return c.Rule == "tamper" && c.Discipline })
		if serious < 0 {
			t.Errorf("tamper case not referred to discipline inspection")
		}
		if !slices.ContainsFunc(cs, func(c *supervision.Case) bool {
			return c.Rule == "fuel_anomaly" && c.VehicleID != nil && *c.VehicleID == sealedCar
		}) {
			t.Errorf("no case for the sealed car's fuelling")
		}
		// The planted vehicles are not among those the live demo fleet drives.
		phones, _ := (&fleet.Directory{DB: db}).BoundPhones(ctx, 40)
		var planted []string
		db.R.NewSelect().Table("trips").ColumnExpr("DISTINCT terminal_phone").Scan(ctx, &planted)
		for _, p := range planted {
			if slices.Contains(phones, p) {
				t.Errorf("planted terminal %s is driven by the live demo fleet", p)
			}
		}
	})
}
