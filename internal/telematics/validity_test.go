package telematics_test

import (
	"testing"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// TestChecker: each reason, and a jump confirmed by JumpConfirm fixes that
// agree with each other moves the last valid fix.
func TestChecker(t *testing.T) {
	now := time.Date(2026, 12, 7, 2, 0, 0, 0, time.UTC)
	fix := func(sec int, lat, lng float64) telematics.Position {
		return telematics.Position{At: now.Add(time.Duration(sec) * time.Second), ReceivedAt: now, Lat: int64(lat * 1e6), Lng: int64(lng * 1e6),
			Status: uint32(jt808.StatusLocated)}
	}
	unlocated := fix(0, 31.78, 119.95)
	unlocated.Status = 0
	noTime := fix(0, 31.78, 119.95)
	noTime.At = time.Time{}
	c := telematics.Checker{Installed: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	for _, tc := range []struct {
		name string
		p    telematics.Position
		want int16
	}{
		{"first fix", fix(-600, 31.78, 119.95), telematics.Valid},
		{"unlocated", unlocated, telematics.InvalidUnlocated},
		{"swapped", fix(-590, 119.95, 31.78), telematics.InvalidRange},
		{"south pole", fix(-590, -91, 0), telematics.InvalidRange},
		{"outside China", fix(-590, 48.85, 2.35), telematics.InvalidOutside},
		{"a day ahead", fix(86400, 31.78, 119.95), telematics.InvalidFuture},
		{"4 minutes ahead is skew", fix(240, 31.781, 119.95), telematics.Valid},
		{"before installation", fix(-86400*400, 31.78, 119.95), telematics.InvalidBeforeFit},
		{"no time", noTime, telematics.InvalidNoTime},
		{"jump 1", fix(250, 31.78, 121.0), telematics.InvalidJump},
		{"blind-area fix nearby", fix(-300, 31.7805, 119.95), telematics.Valid},
		{"jump 2", fix(260, 31.78, 121.0), telematics.InvalidJump},
		{"a different jump", fix(270, 39.9, 116.4), telematics.InvalidJump},
		{"agrees with it", fix(280, 39.9001, 116.4), telematics.InvalidJump},
		{"third in a row that agree: carried", fix(290, 39.9002, 116.4), telematics.Valid},
		{"then moves on from there", fix(300, 39.9003, 116.4), telematics.Valid},
	} {
		p := tc.p
		c.Check(&p, now)
		if p.Invalid != tc.want {
			t.Errorf("%s: %d (%s), want %d", tc.name, p.Invalid, telematics.InvalidNames[p.Invalid], tc.want)
		}
		if tc.want == telematics.InvalidNoTime && !p.At.Equal(now) {
			t.Errorf("no time: at %v, want the time received", p.At)
		}
	}
}

// BenchmarkChecker is the gateway's cost per report.
func BenchmarkChecker(b *testing.B) {
	now := time.Now()
	var c telematics.Checker
	p := telematics.Position{At: now, ReceivedAt: now, Lat: 31_780_000, Lng: 119_950_000, Status: uint32(jt808.StatusLocated)}
	for i := 0; b.Loop(); i++ {
		p.At = now.Add(time.Duration(i) * time.Second)
		p.Lat += 10
		c.Check(&p, p.At)
	}
}
