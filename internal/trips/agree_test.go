package trips_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/trips"
)

// TestNoOrderTripsAgree: the trips 行程与里程 counts as without an order and
// the filings 紧急用车补报 lists for them are the same, for the same vehicle
// and the same Beijing days (issue 24): two trips without an order on one
// day, one served by an order, and one without an order the next day.
func TestNoOrderTripsAgree(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFixture(t, w)
		ctx := context.Background()
		t0 := f.now // 09:00 Beijing
		dep, back := t0.Add(65*time.Minute), t0.Add(85*time.Minute)
		f.order(booking.Closed, dep, back, &dep, &back)
		for _, start := range []time.Duration{0, time.Hour, 3 * time.Hour, 24 * time.Hour} {
			f.write(f.drive(t0.Add(start), 15*time.Minute, t0.Add(start)))
		}
		f.now = t0.Add(26 * time.Hour)
		f.run()
		city := w.Actor(t, "city_admin")
		day, next := beijing.Date(t0), beijing.Date(t0.Add(24*time.Hour))
		for _, c := range []struct {
			from, to string
			want     int
		}{{day, day, 2}, {next, next, 1}, {day, next, 3}} {
			tv, err := w.Trips.Vehicle(ctx, city, trips.Query{VehicleID: f.vehicle, From: c.from, To: c.to})
			if err != nil {
				t.Fatal(err)
			}
			fs, n, err := w.Booking.Filings(ctx, city, booking.FilingFilter{VehicleID: f.vehicle, From: c.from, To: c.to, Page: 1, Size: 200})
			if err != nil {
				t.Fatal(err)
			}
			if tv.Unlinked != c.want || n != c.want {
				t.Errorf("%s…%s: 行程与里程 %d trips without an order, 紧急用车补报 %d filings; want %d both", c.from, c.to, tv.Unlinked, n, c.want)
			}
			starts := map[time.Time]bool{}
			for _, tr := range tv.Trips {
				if tr.OrderID == nil {
					starts[tr.StartedAt.UTC()] = true
				}
			}
			for _, fl := range fs {
				if fl.Source != "trip" || !starts[fl.StartedAt.UTC()] {
					t.Errorf("%s…%s: filing %d (%s, %s) has no trip without an order", c.from, c.to, fl.ID, fl.Source, fl.StartedAt)
				}
			}
		}
	})
}
