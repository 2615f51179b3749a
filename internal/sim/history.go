package sim

import (
	"time"

	"govfleet/internal/jt808"
)

// History returns the reports terminal idx of a run with seed would have
// sent from from to to: every 10 s while driving, every minute while
// parked. The demo seeds the last hours of its simulated fleet with it, so
// that trips, mileage and the track are there at once.
func History(seed uint64, idx int, from, to time.Time) []*jt808.Location {
	v := newVehicle(rngFor(seed, idx))
	var out []*jt808.Location
	for at := from; at.Before(to); {
		out = append(out, v.location(at.UTC()))
		dt := time.Minute
		if v.driving() {
			dt = 10 * time.Second
		}
		v.step(dt)
		at = at.Add(dt)
	}
	return out
}
