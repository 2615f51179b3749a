package telematics_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"govfleet/internal/store"
	"govfleet/internal/storetest"
	"govfleet/internal/telematics"
)

func TestStops(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	// Moving, stopped 0:01–0:06 (5 min: a stop), moving, stopped 0:07–0:09 (2 min: not), moving, stopped 0:10 to the end (3 min).
	speeds := []int32{300, 0, 0, 0, 0, 0, 250, 0, 0, 200, 0, 0, 0, 0}
	ps := make([]telematics.Position, len(speeds))
	for i, s := range speeds {
		ps[i] = telematics.Position{At: at(i), Speed: s}
	}
	got := telematics.Stops(ps, 3*time.Minute)
	if len(got) != 2 || !got[0].From.Equal(at(1)) || !got[0].To.Equal(at(6)) || !got[1].From.Equal(at(10)) || got[1].Duration() != 3*time.Minute {
		t.Fatalf("stops %+v", got)
	}
	if d := telematics.Haversine(31780000, 119960000, 31790000, 119960000); d < 1100 || d > 1125 {
		t.Errorf("0.01° of latitude = %.0f m", d)
	}
}

// Track playback reads by vehicle through position_days (migration 0015):
// a terminal moved from one car to another on a day, a car with two
// terminals that day, reports of an unbound terminal, a day boundary.
func TestVehicleTrack(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		day := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
		at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
		// Each position's latitude tells its time: 31.78° + minutes of the day.
		latOf := func(t time.Time) int64 { return 31780000 + int64(t.Sub(day).Minutes()) }
		p := func(phone string, vehicle int64, t time.Time) telematics.Position {
			return telematics.Position{VehicleID: vehicle, Phone: phone, At: t, ReceivedAt: t, Lat: latOf(t), Lng: 119950000, Speed: 300}
		}
		write := []telematics.Position{
			// Terminal A in car 1 until 10:00, then in car 2.
			p("13800000001", 1, at(9, 0)), p("13800000001", 1, at(9, 30)), p("13800000001", 2, at(10, 30)),
			// Terminal B fitted to car 1 at 11:00; its report the next day (UTC).
			p("13800000002", 1, at(11, 0)), p("13800000002", 1, at(24, 5)),
			// An unbound terminal.
			p("13800000003", 0, at(9, 15)),
			// Car 5's two terminals, the first phone's report the later.
			p("13800000004", 5, at(10, 30)), p("13800000005", 5, at(10, 0)),
		}
		storePositions(t, db, write)
		for _, c := range []struct {
			name     string
			vehicle  int64
			from, to time.Time
			limit    int
			want     []time.Time
		}{
			{"two terminals in one day", 1, at(0, 0), at(24, 0), 100, []time.Time{at(9, 0), at(9, 30), at(11, 0)}},
			{"into the next day", 1, at(10, 0), at(25, 0), 100, []time.Time{at(11, 0), at(24, 5)}},
			{"limit", 1, at(0, 0), at(48, 0), 2, []time.Time{at(9, 0), at(9, 30)}},
			{"the terminal's second car", 2, at(0, 0), at(24, 0), 100, []time.Time{at(10, 30)}},
			{"nothing that day", 2, at(24, 0), at(48, 0), 100, nil},
			{"unknown vehicle", 99, at(0, 0), at(24, 0), 100, nil},
		} {
			t.Run(c.name, func(t *testing.T) {
				got, err := telematics.VehicleTrack(ctx, db, c.vehicle, c.from, c.to, c.limit)
				if err != nil {
					t.Fatal(err)
				}
				var ats []time.Time
				for _, g := range got {
					if g.VehicleID != c.vehicle {
						t.Errorf("position of vehicle %d in the track of %d", g.VehicleID, c.vehicle)
					}
					ats = append(ats, g.At)
				}
				if !slices.EqualFunc(ats, c.want, time.Time.Equal) {
					t.Errorf("track at %v, want %v", ats, c.want)
				}
			})
		}
		// The overnight rule's read: the vehicle's last position in
		// [from, to), over all its terminals, none of another car's.
		for _, c := range []struct {
			name     string
			vehicle  int64
			from, to time.Time
			want     time.Time // zero: none
		}{
			{"the later of two terminals", 1, at(0, 0), at(24, 0), at(11, 0)},
			{"not the terminal's report from its second car", 1, at(0, 0), at(10, 45), at(9, 30)},
			{"to is excluded", 1, at(0, 0), at(9, 30), at(9, 0)},
			{"nothing since from", 1, at(9, 31), at(10, 45), time.Time{}},
			{"across the day boundary", 1, at(10, 0), at(25, 0), at(24, 5)},
			{"the terminal's second car", 2, at(0, 0), at(24, 0), at(10, 30)},
			{"the later of two terminals, the first phone's", 5, at(0, 0), at(24, 0), at(10, 30)},
			{"unknown vehicle", 99, at(0, 0), at(24, 0), time.Time{}},
		} {
			t.Run("last "+c.name, func(t *testing.T) {
				// Asked after another seek, in one query and in one query
				// per terminal: each answer goes to its seek, and it is the
				// latest.
				seek := telematics.Seek{Vehicle: c.vehicle, From: c.from, To: c.to}
				for _, per := range []int{100, 1} {
					old := *telematics.SeeksPerQuery
					*telematics.SeeksPerQuery = per
					got, err := telematics.LastBefore(ctx, db.R, []telematics.Seek{{Vehicle: 1, From: at(0, 0), To: at(9, 10)}, seek})
					*telematics.SeeksPerQuery = old
					if err != nil {
						t.Fatal(err)
					}
					if !got[0].At.Equal(at(9, 0)) {
						t.Errorf("%d a query: the other seek's answer %v, want %v", per, got[0].At, at(9, 0))
					}
					if l := got[1]; !l.At.Equal(c.want) || !c.want.IsZero() && (l.VehicleID != c.vehicle || l.Lat != latOf(c.want)) {
						t.Errorf("%d a query: last position %+v, want at %v", per, l, c.want)
					}
				}
			})
		}
		// Retention drops the days it emptied from position_days too.
		if _, err := telematics.Prune(ctx, db, at(24, 0)); err != nil {
			t.Fatal(err)
		}
		var days int
		if err := db.R.QueryRowContext(ctx, "SELECT count(*) FROM position_days").Scan(&days); err != nil || days != 1 {
			t.Errorf("position_days after pruning: %d rows (%v), want 1", days, err)
		}
	})
}
