package trips_test

import (
	"math"
	"testing"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"

	"govfleet/internal/trips"
)

// track builds synthetic positions: legs driven due east at a speed, or
// standing, each with its report interval.
type track struct {
	at       time.Time
	lat, lng float64 // degrees
	ps       []telematics.Position
}

func newTrack(at time.Time) *track { return &track{at: at, lat: 31.78, lng: 119.95} }

// metres east per degree of longitude at 31.78° N.
var metresPerDegLng = 111195 * math.Cos(31.78*math.Pi/180)

func (t *track) add(acc bool, kmh float64, jitter float64) {
	var st uint32
	if acc {
		st = uint32(jt808.StatusACC)
	}
	t.ps = append(t.ps, telematics.Position{VehicleID: 1, Phone: "13800000001", At: t.at,
		Lat: int64(math.Round(t.lat * 1e6)), Lng: int64(math.Round((t.lng + jitter) * 1e6)), Speed: int32(kmh * 10), Status: st})
}

// drive moves east at kmh for d, reporting every step.
func (t *track) drive(d, step time.Duration, kmh float64) *track {
	for end := t.at.Add(d); t.at.Before(end); {
		t.add(true, kmh, 0)
		t.at = t.at.Add(step)
		t.lng += kmh / 3.6 * step.Seconds() / metresPerDegLng
	}
	return t
}

// stand reports every step for d, ignition acc, jittering by up to 15 m.
func (t *track) stand(d, step time.Duration, acc bool) *track {
	i := 0
	for end := t.at.Add(d); t.at.Before(end); i++ {
		t.add(acc, float64(i%3), float64(i%5-2)*5/metresPerDegLng)
		t.at = t.at.Add(step)
	}
	return t
}

func (t *track) jump(km float64) *track {
	t.lat += km / 111.195
	t.add(true, 40, 0)
	t.lat -= km / 111.195
	t.at = t.at.Add(10 * time.Second)
	return t
}

func run(ps []telematics.Position, until time.Time) (done []*trips.Draft, st trips.State) {
	for _, p := range ps {
		if d := st.Feed(p, trips.DefaultParams); d != nil && d.Qualifies(trips.DefaultParams) {
			done = append(done, d)
		}
	}
	if d := st.Idle(until, trips.DefaultParams); d != nil && d.Qualifies(trips.DefaultParams) {
		done = append(done, d)
	}
	return done, st
}

func TestBuilder(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 1, 0, 0, 0, time.UTC) // 09:00 in Beijing
	s, m := time.Second, time.Minute
	cases := []struct {
		name     string
		ps       []telematics.Position
		trips    int
		km       []float64 // distance of each closed trip, ±2 %
		open     bool      // a trip still in progress at the end
		maxSpeed int32
	}{
		{"two ignition cycles", newTrack(t0).drive(20*m, 10*s, 40).stand(10*m, 60*s, false).drive(15*m, 10*s, 60).stand(20*m, 60*s, false).ps,
			2, []float64{40.0 / 3, 15}, false, 600},
		{"red lights and a short stop with the engine off stay one trip",
			newTrack(t0).drive(10*m, 10*s, 50).stand(3*m, 10*s, true).drive(5*m, 10*s, 50).stand(4*m, 60*s, false).drive(5*m, 10*s, 50).stand(20*m, 60*s, false).ps,
			1, []float64{50.0 / 3}, false, 500},
		{"parked with GPS jitter is no trip", newTrack(t0).stand(2*time.Hour, 60*s, false).ps, 0, nil, false, 0},
		{"engine idling without moving is no trip", newTrack(t0).stand(15*m, 10*s, true).stand(20*m, 60*s, false).ps, 0, nil, false, 0},
		{"a jump is not driven", newTrack(t0).drive(10*m, 10*s, 36).jump(40).drive(10*m, 10*s, 36).stand(20*m, 60*s, false).ps,
			1, []float64{12}, false, 400},
		{"still driving at the watermark", newTrack(t0).drive(30*m, 10*s, 30).ps, 0, nil, true, 300},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			until := c.ps[len(c.ps)-1].At
			done, st := run(c.ps, until)
			if len(done) != c.trips {
				t.Fatalf("%d trips, want %d", len(done), c.trips)
			}
			for i, d := range done {
				if km := d.DistanceM / 1000; math.Abs(km-c.km[i]) > c.km[i]*0.02 {
					t.Errorf("trip %d: %.2f km, want %.2f", i, km, c.km[i])
				}
				if d.MaxSpeed > c.maxSpeed+5 {
					t.Errorf("trip %d: max speed %d, want %d", i, d.MaxSpeed, c.maxSpeed)
				}
				if !d.End.At.After(d.Start.At) || d.Points < 2 {
					t.Errorf("trip %d: %v → %v, %d points", i, d.Start.At, d.End.At, d.Points)
				}
				// The box holds every position of the trip's time, the jump
				// and the jitter of a stop included: supervision reads only
				// the trips whose box leaves the allowed area.
				for _, p := range c.ps {
					if !p.At.Before(d.Start.At) && !p.At.After(d.End.At) && (p.Lat < d.Box[0] || p.Lat > d.Box[1] || p.Lng < d.Box[2] || p.Lng > d.Box[3]) {
						t.Errorf("trip %d: position at %v (%d, %d) outside its box %v", i, p.At, p.Lat, p.Lng, d.Box)
					}
				}
				if d.Box[0] < 31_000_000 || d.Box[2] < 119_000_000 {
					t.Errorf("trip %d: box %v reaches far beyond its positions", i, d.Box)
				}
			}
			if (st.Trip != nil && st.Trip.Qualifies(trips.DefaultParams)) != c.open {
				t.Errorf("trip in progress: %v, want %v", st.Trip != nil, c.open)
			}
		})
	}
}

// TestBuilderMidnight: a trip from 23:50 to 00:20 Beijing counts once, on
// the day it started, and its distance is split by where the car was.
func TestBuilderMidnight(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 15, 50, 0, 0, time.UTC) // 23:50 Beijing
	ps := newTrack(t0).drive(30*time.Minute, 10*time.Second, 60).stand(20*time.Minute, time.Minute, false).ps
	done, _ := run(ps, ps[len(ps)-1].At)
	if len(done) != 1 {
		t.Fatalf("%d trips, want 1", len(done))
	}
	d := done[0]
	before, after := d.Days["2030-01-07"], d.Days["2030-01-08"]
	if before.Trips != 1 || after.Trips != 0 {
		t.Errorf("trip counted %d and %d, want on the first day", before.Trips, after.Trips)
	}
	if math.Abs(before.DistanceM-10000) > 250 || math.Abs(after.DistanceM-20000) > 250 {
		t.Errorf("split %.0f m / %.0f m, want 10 km / 20 km", before.DistanceM, after.DistanceM)
	}
	if math.Abs(before.DistanceM+after.DistanceM-d.DistanceM) > 1 {
		t.Errorf("days %.0f m do not add up to the trip's %.0f m", before.DistanceM+after.DistanceM, d.DistanceM)
	}
}
