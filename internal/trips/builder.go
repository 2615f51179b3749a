// Package trips groups the stored positions of each vehicle into trips
// (ignition and motion, R-2) with their distance, duration and top speed,
// keeps the mileage of every vehicle per Beijing day, and links each
// closed trip to the order it served — or, with none, opens an R-14 filing
// the unit must complete within 48 hours (booking.Service.OpenForTrip).
//
// The builder is incremental: a cursor per vehicle (table trip_cursors)
// says up to which position time it has read, with the state of the trip
// in progress. Each run reads positions up to a watermark a few minutes
// behind now (Service.Lag), so that blind-area batches sent after a tunnel
// are in place before their time is read; a batch arriving later than the
// watermark for times already read is not folded into trips (its
// positions stay in the track). Re-running never duplicates a trip.
package trips

import (
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// Params are the rules that make a trip.
type Params struct {
	// StopGap: the vehicle standing with the ignition off (or silent) for
	// longer ends the trip.
	StopGap time.Duration
	// MinDistance and MinDuration: anything shorter is GPS jitter or
	// moving the car within a car park, not a trip.
	MinDistance float64 // metres
	MinDuration time.Duration
	// MaxSpeed: two positions implying a faster speed are a jump (a GNSS
	// glitch); that segment's distance is ignored.
	MaxSpeed float64 // km/h
}

// DefaultParams are the rules used by serve.
var DefaultParams = Params{StopGap: 5 * time.Minute, MinDistance: 300, MinDuration: 2 * time.Minute, MaxSpeed: 250}

// movingSpeed is the speed (0.1 km/h) from which a vehicle counts as
// moving with the ignition off (towed, or a terminal without the ACC wire).
const movingSpeed = 50

// Point is a position as the builder keeps it.
type Point struct {
	At     time.Time `json:"at"`
	Lat    int64     `json:"lat"`
	Lng    int64     `json:"lng"`
	Speed  int32     `json:"speed"`
	Active bool      `json:"active"` // ignition on or moving
}

// Day is the distance and driving time of a trip on one Beijing day not
// yet added to vehicle_daily_mileage.
type Day struct {
	DistanceM float64 `json:"distance_m"`
	DrivingS  float64 `json:"driving_s"`
	Trips     int     `json:"trips"`
}

// Draft is a trip being built.
type Draft struct {
	ID         int64          `json:"id"` // stored trip, 0 until it qualifies
	Phone      string         `json:"phone"`
	Start      Point          `json:"start"`
	End        Point          `json:"end"`         // last point counted
	LastActive time.Time      `json:"last_active"` // last point with ignition on or moving
	DistanceM  float64        `json:"distance_m"`
	DrivingS   float64        `json:"driving_s"`
	MaxSpeed   int32          `json:"max_speed"`
	Points     int            `json:"points"`
	Days       map[string]Day `json:"days"` // not yet flushed
	// Box holds every position read while the trip was open: min lat, max
	// lat, min lng, max lng (micro-degrees). Supervision's area rule reads
	// the positions only of trips whose box leaves the allowed area's.
	// A draft from before the box was kept has zeros: outside any area, so
	// its positions are read — never a trip missed.
	Box [4]int64 `json:"box"`
}

// extend widens the box to p.
func (d *Draft) extend(p Point) {
	d.Box = [4]int64{min(d.Box[0], p.Lat), max(d.Box[1], p.Lat), min(d.Box[2], p.Lng), max(d.Box[3], p.Lng)}
}

// Qualifies reports whether the draft is long enough to be a trip.
func (d *Draft) Qualifies(p Params) bool {
	return d.DistanceM >= p.MinDistance && d.End.At.Sub(d.Start.At) >= p.MinDuration
}

// State is a vehicle's builder state between runs.
type State struct {
	Prev *Point `json:"prev"` // last position read
	Trip *Draft `json:"trip"` // trip in progress
}

// Day returns the Beijing date of t.
func DayOf(t time.Time) string { return beijing.Date(t) }

// Feed reads the next position (in time order) and returns the trip it
// ended, if any (qualifying or not).
//
// Daily mileage is split by points: each segment's distance and driving
// time go to the Beijing day of its later position, so a trip across
// midnight counts on both days as driven; the trip itself counts on the
// day it started.
func (s *State) Feed(p telematics.Position, prm Params) (ended *Draft) {
	pt := Point{At: p.At, Lat: p.Lat, Lng: p.Lng, Speed: p.Speed,
		Active: jt808.StatusFlags(p.Status).ACC() || p.Speed >= movingSpeed}
	if s.Prev != nil && !pt.At.After(s.Prev.At) {
		if s.Trip != nil {
			s.Trip.extend(pt) // another terminal's at the same time: still where the car was
		}
		return nil // not after what was read: ignore
	}
	if t := s.Trip; t != nil && pt.At.Sub(t.LastActive) > prm.StopGap {
		ended, s.Trip = t, nil
	}
	prev := s.Prev
	s.Prev = &pt
	if s.Trip == nil {
		if pt.Active {
			s.Trip = &Draft{Phone: p.Phone, Start: pt, End: pt, LastActive: pt.At, MaxSpeed: pt.Speed, Points: 1,
				Days: map[string]Day{DayOf(pt.At): {Trips: 1}}, Box: [4]int64{pt.Lat, pt.Lat, pt.Lng, pt.Lng}}
		}
		return ended
	}
	t := s.Trip
	t.extend(pt)
	if !pt.Active && !prev.Active {
		return ended // standing with the ignition off: jitter is not driving
	}
	dt := pt.At.Sub(prev.At).Seconds()
	d := telematics.Haversine(prev.Lat, prev.Lng, pt.Lat, pt.Lng)
	if d/dt*3.6 > prm.MaxSpeed || prev.Speed < movingSpeed && pt.Speed < movingSpeed {
		d = 0 // an impossible jump, or GPS jitter while standing
	}
	day := t.Days[DayOf(pt.At)]
	t.DistanceM += d
	day.DistanceM += d
	if pt.Active && prev.Active {
		t.DrivingS += dt
		day.DrivingS += dt
	}
	t.Days[DayOf(pt.At)] = day
	t.End = pt
	t.Points++
	if pt.Active {
		t.LastActive = pt.At
		t.MaxSpeed = max(t.MaxSpeed, pt.Speed)
	}
	return ended
}

// Idle ends the trip in progress when nothing active has been read for
// longer than the stop gap before until (the terminal went quiet while
// parked).
func (s *State) Idle(until time.Time, prm Params) (ended *Draft) {
	if t := s.Trip; t != nil && until.Sub(t.LastActive) > prm.StopGap {
		s.Trip = nil
		return t
	}
	return nil
}
