package sim

import (
	"math"
	"math/rand/v2"
	"time"

	"govfleet/internal/jt808"
)

// vehicle is the driving model of one simulated car: trips of a few legs
// along the waypoint graph at 0–80 km/h with stops at traffic lights, the
// ignition off while parked, now and then a driver speeding (overspeed
// alarm) or a tunnel (blind area).
type vehicle struct {
	rng      *rand.Rand
	lat, lng float64
	from, to int // current leg between waypoints
	legsLeft int
	speed    float64 // m/s
	target   float64 // m/s cruising speed of this leg
	heading  float64
	parked   time.Duration // parked for this much longer; >0 means parked
	redLight time.Duration // stopped at a light for this much longer
	mileage  float64       // metres
	fuel     float64       // litres
	speeding bool
}

const kmh = 1 / 3.6

func newVehicle(rng *rand.Rand) *vehicle {
	v := &vehicle{rng: rng, from: rng.IntN(len(Waypoints)), mileage: float64(5000+rng.IntN(80000)) * 1000, fuel: 20 + 30*rng.Float64()}
	v.lat, v.lng = Waypoints[v.from].Lat, Waypoints[v.from].Lng
	if rng.IntN(10) == 0 {
		v.parked = time.Duration(1+rng.IntN(10)) * time.Minute
	}
	v.to = v.from
	v.newTrip()
	return v
}

func (v *vehicle) newTrip() {
	v.legsLeft = 2 + v.rng.IntN(5)
	v.nextLeg()
}

func (v *vehicle) nextLeg() {
	prev := v.from
	v.from = v.to
	next := edges[v.from]
	v.to = next[v.rng.IntN(len(next))]
	if v.to == prev && len(next) > 1 { // avoid turning straight back
		v.to = next[v.rng.IntN(len(next))]
	}
	d := distance(Waypoints[v.from].Lat, Waypoints[v.from].Lng, Waypoints[v.to].Lat, Waypoints[v.to].Lng)
	switch {
	case d < 4000:
		v.target = (30 + 20*v.rng.Float64()) * kmh
	default:
		v.target = (50 + 28*v.rng.Float64()) * kmh
	}
	v.speeding = v.rng.IntN(25) == 0
	if v.speeding {
		v.target = (84 + 8*v.rng.Float64()) * kmh
	}
	v.legsLeft--
}

func (v *vehicle) driving() bool { return v.parked <= 0 }

// step advances the model by dt.
func (v *vehicle) step(dt time.Duration) {
	for dt > 0 {
		s := min(dt, time.Second)
		dt -= s
		v.tick(s.Seconds())
	}
}

func (v *vehicle) tick(sec float64) {
	if v.parked > 0 {
		v.parked -= time.Duration(sec * float64(time.Second))
		if v.parked <= 0 {
			v.newTrip()
		}
		return
	}
	if v.redLight > 0 {
		v.redLight -= time.Duration(sec * float64(time.Second))
		v.speed = math.Max(0, v.speed-4*sec)
		return
	}
	// Lights in town: about one stop every two minutes below 55 km/h.
	if v.target < 55*kmh && v.rng.Float64() < sec/120 {
		v.redLight = time.Duration(15+v.rng.IntN(45)) * time.Second
		return
	}
	if v.speed < v.target {
		v.speed = math.Min(v.target, v.speed+2*sec)
	} else {
		v.speed = math.Max(v.target, v.speed-3*sec)
	}
	move := v.speed * sec
	v.mileage += move
	v.fuel -= move / 1000 * 0.09 // 9 L/100 km
	if v.fuel < 5 {
		v.fuel = 50
	}
	dest := Waypoints[v.to]
	left := distance(v.lat, v.lng, dest.Lat, dest.Lng)
	if move >= left {
		v.lat, v.lng = dest.Lat, dest.Lng
		if v.legsLeft <= 0 {
			v.speed = 0
			v.parked = time.Duration(2+v.rng.IntN(15)) * time.Minute
			return
		}
		v.nextLeg()
		return
	}
	v.heading = bearing(v.lat, v.lng, dest.Lat, dest.Lng)
	f := move / left
	v.lat += (dest.Lat - v.lat) * f
	v.lng += (dest.Lng - v.lng) * f
}

// location returns the report of the current state at GNSS time at.
func (v *vehicle) location(at time.Time) *jt808.Location {
	st := jt808.StatusLocated | jt808.StatusBeidou | jt808.StatusGPS
	if v.driving() {
		st |= jt808.StatusACC
	}
	kmhNow := v.speed * 3.6
	mileage := uint32(v.mileage / 100)
	fuel := uint16(v.fuel * 10)
	sats, signal := uint8(8+v.rng.IntN(12)), uint8(15+v.rng.IntN(16))
	l := &jt808.Location{
		Status: st, Speed: uint16(kmhNow * 10), Direction: uint16(v.heading) % 360,
		Altitude: uint16(4 + v.rng.IntN(12)), Time: at,
		Mileage: &mileage, Fuel: &fuel, Satellites: &sats, SignalStrength: &signal,
	}
	if kmhNow > 80 {
		l.Alarm |= jt808.AlarmOverspeed
		l.Overspeed = &jt808.OverspeedInfo{}
	}
	l.SetPosition(v.lat, v.lng)
	return l
}
