package telematics

import (
	"time"

	"govfleet/internal/jt808"
)

// Why a stored position is not a valid fix (positions.invalid, issue 20
// item 2). Every report is stored; only valid ones (0) reach the live map,
// the lines of tracks, mileage, trips and the supervision rules.
const (
	Valid            int16 = 0
	InvalidUnlocated int16 = 1 // status bit 1 clear: no fix
	InvalidRange     int16 = 2 // latitude beyond ±90° or longitude beyond ±180° (swapped?)
	InvalidOutside   int16 = 3 // outside China's bounding box
	InvalidFuture    int16 = 4 // GNSS time more than FutureTolerance ahead of the server
	InvalidBeforeFit int16 = 5 // GNSS time before the terminal was installed
	InvalidNoTime    int16 = 6 // all-zero time: stored at the time received
	InvalidJump      int16 = 7 // impossibly far from the previous valid fix
)

// InvalidNames are the reasons' Chinese names.
var InvalidNames = map[int16]string{InvalidUnlocated: "未定位", InvalidRange: "经纬度超出范围", InvalidOutside: "位于中国境外",
	InvalidFuture: "定位时间超前", InvalidBeforeFit: "定位时间早于终端安装", InvalidNoTime: "定位时间无效", InvalidJump: "位置跳变"}

// Validity thresholds.
const (
	// FutureTolerance: a GNSS time up to this far ahead of the server is
	// clock skew, further is a wrong clock.
	FutureTolerance = 5 * time.Minute
	// JumpSpeed (km/h) implied between two fixes at least JumpMin metres
	// apart is beyond any car: the later one is a jump.
	JumpSpeed = 250.0
	JumpMin   = 1000.0
	// JumpConfirm consecutive fixes that agree with each other but not with
	// the previous valid fix move it: the car was carried (or the earlier
	// fix was the wrong one).
	JumpConfirm = 3
)

// China's bounding box in micro-degrees (Zengmu Ansha 3.86° N, Mohe
// 53.56° N, Pamirs 73.50° E, Heixiazi Island 135.09° E).
const (
	chinaLatMin, chinaLatMax = 3_860_000, 53_560_000
	chinaLngMin, chinaLngMax = 73_500_000, 135_090_000
)

// Checker marks the positions of one terminal as they arrive (the gateway
// keeps one per connection). The zero value is ready; set Installed (the
// terminal's installation date, zero for unknown) and Prev (the terminal's
// last valid fix, when known).
type Checker struct {
	Installed time.Time
	Prev      Position // the last valid fix; At zero: none

	cand    Position // fixes refused as jumps that agree with each other
	candN   int
	candSet bool
}

// Check sets p.Invalid and, for a report without a time, p.At to its
// receive time. now is the server's time.
func (c *Checker) Check(p *Position, now time.Time) {
	p.Invalid = c.check(p, now)
	if p.Invalid == Valid {
		c.Prev, c.candN, c.candSet = *p, 0, false
	}
}

func (c *Checker) check(p *Position, now time.Time) int16 {
	switch {
	case p.At.IsZero():
		p.At = p.ReceivedAt
		return InvalidNoTime
	case p.At.After(now.Add(FutureTolerance)):
		return InvalidFuture
	case !c.Installed.IsZero() && p.At.Before(c.Installed):
		return InvalidBeforeFit
	case p.Status&uint32(jt808.StatusLocated) == 0:
		return InvalidUnlocated
	case p.Lat < -90_000_000 || p.Lat > 90_000_000 || p.Lng < -180_000_000 || p.Lng > 180_000_000:
		return InvalidRange
	case p.Lat < chinaLatMin || p.Lat > chinaLatMax || p.Lng < chinaLngMin || p.Lng > chinaLngMax:
		return InvalidOutside
	}
	if c.Prev.At.IsZero() || !jump(&c.Prev, p) {
		return Valid
	}
	if c.candSet && !jump(&c.cand, p) {
		c.candN++
	} else {
		c.candN = 1
	}
	c.cand, c.candSet = *p, true
	if c.candN >= JumpConfirm {
		return Valid
	}
	return InvalidJump
}

// jump reports whether going from a to b implies more than JumpSpeed over
// at least JumpMin metres (in either order of time: blind-area reports come
// late).
func jump(a, b *Position) bool {
	// Within 6,000 micro-degrees both ways is under 0.95 km anywhere: no
	// trigonometry for the common case.
	if abs(a.Lat-b.Lat) < 6000 && abs(a.Lng-b.Lng) < 6000 {
		return false
	}
	d := Haversine(a.Lat, a.Lng, b.Lat, b.Lng)
	if d < JumpMin {
		return false
	}
	dt := b.At.Sub(a.At).Abs().Seconds()
	return dt == 0 || d/dt*3.6 > JumpSpeed
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}
