package fleet_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/check"
	"govfleet/internal/fleet"
)

const benchN = 20000

// benchDBs runs fn on SQLite and, when configured, PostgreSQL, each holding
// the demo plus benchN vehicles and benchN drivers.
func benchDBs(b *testing.B, fn func(b *testing.B, w *apptest.World)) {
	run := func(name string, open func(testing.TB) *apptest.World) {
		b.Run(name, func(b *testing.B) {
			w := open(b)
			start := time.Now()
			bulkLoad(b, w)
			b.Logf("loaded %d vehicles and %d drivers in %v", w.Count(b, "vehicles"), w.Count(b, "drivers"), time.Since(start))
			b.ResetTimer()
			fn(b, w)
		})
	}
	run("sqlite", apptest.SQLite)
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		run("postgres", apptest.Postgres)
	}
}

// bulkLoad inserts benchN vehicles and drivers over the demo's units in
// batches of 500, then refreshes the units' counts.
func bulkLoad(b *testing.B, w *apptest.World) {
	ctx := context.Background()
	var units []int64
	if err := w.DB.R.NewSelect().Table("units").Column("id").Where("kind = 'unit'").Order("id").Scan(ctx, &units); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC()
	cats := []string{"confidential", "emergency", "law_enforcement", "special", "retiree", "other"}
	err := w.DB.Tx(ctx, func(tx bun.Tx) error {
		for i := 0; i < benchN; i += 500 {
			vs := make([]*fleet.Vehicle, 0, 500)
			ds := make([]*fleet.Driver, 0, 500)
			for j := i; j < i+500; j++ {
				first := fmt.Sprintf("LBENCH0X0P%07d", j)
				c, _ := check.VINCheckChar(first)
				conf := now.AddDate(0, 0, -j%250)
				vs = append(vs, &fleet.Vehicle{UnitID: units[j%len(units)], Plate: fmt.Sprintf("苏F%05d", j), Category: cats[j%6], Brand: "大众", Model: "帕萨特",
					VIN: first[:8] + string(c) + first[9:], Seats: 5, EnergyType: "petrol", VehicleClass: "small", PurchaseDate: fmt.Sprintf("20%02d-%02d-01", 15+j%10, 1+j%12),
					Marking: "marked", Status: "available", Incomplete: j%7 == 0, ConfirmedAt: &conf, CreatedAt: now, UpdatedAt: now})
				ds = append(ds, &fleet.Driver{UnitID: units[j%len(units)], Name: fmt.Sprintf("驾驶员%d", j), IDCard: fmt.Sprintf("B%017d", j), // bulk rows: unique, not validated
					LicenceNo: "X", LicenceClass: "C1", LicenceExpiry: "2030-01-01", Active: true, ConfirmedAt: &conf, CreatedAt: now, UpdatedAt: now})
			}
			if _, err := tx.NewInsert().Model(&vs).Exec(ctx); err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(&ds).Exec(ctx); err != nil {
				return err
			}
		}
		return fleet.Recount(ctx, tx, units...)
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.DB.W.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
}

// timed runs call b.N times and 200 more to report the 95th percentile.
func timed(b *testing.B, call func() error) {
	for i := 0; i < b.N; i++ {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ds := make([]time.Duration, 200)
	for i := range ds {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[189])/1e6, "p95-ms")
	b.ReportMetric(float64(ds[99])/1e6, "p50-ms")
}

func BenchmarkVehicleList(b *testing.B) {
	benchDBs(b, func(b *testing.B, w *apptest.World) {
		ctx := context.Background()
		city, tn := w.Actor(b, "city_admin"), w.Actor(b, "tn_admin")
		cases := []struct {
			name string
			a    *access.Actor
			f    fleet.VehicleFilter
		}{
			{"city-category-page5", city, fleet.VehicleFilter{Category: "other", Sort: "plate", Page: 5, Size: 20}},
			{"district-q-stale", tn, fleet.VehicleFilter{Q: "苏F1", Stale: true, Sort: "-purchase_date", Page: 2, Size: 50}},
			{"city-no-terminal-unit-sort", city, fleet.VehicleFilter{NoTerminal: true, Sort: "unit", Page: 10, Size: 20}},
		}
		for _, c := range cases {
			b.Run(c.name, func(b *testing.B) {
				timed(b, func() error {
					_, n, err := w.Fleet.ListVehicles(ctx, c.a, c.f)
					if err == nil && n == 0 {
						err = fmt.Errorf("empty result")
					}
					return err
				})
			})
		}
	})
}

func BenchmarkQuotaSummary(b *testing.B) {
	benchDBs(b, func(b *testing.B, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(b, "city_admin")
		timed(b, func() error {
			s, err := w.Fleet.QuotaSummary(ctx, city, 0)
			if err == nil && s.Total.Actual < benchN {
				err = fmt.Errorf("actual %d", s.Total.Actual)
			}
			return err
		})
	})
}
