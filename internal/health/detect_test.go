package health_test

import (
	"slices"
	"testing"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"

	"govfleet/internal/health"
)

type rep struct {
	after time.Duration // since the first report
	north float64       // metres north of the start
	alarm jt808.AlarmFlags
}

// TestDetectors feeds report sequences and checks which episodes begin.
func TestDetectors(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 1, 0, 0, 0, time.UTC)
	m := time.Minute
	cut, low := jt808.AlarmMainPowerCut, jt808.AlarmMainPowerLow
	cases := []struct {
		name  string
		reps  []rep
		now   time.Duration // silence checked at t0+now
		kinds []string      // episodes begun, in order
	}{
		{"reporting normally", []rep{{0, 0, 0}, {m, 100, 0}, {2 * m, 200, 0}}, 3 * m, nil},
		{"main power cut, restored: one event", []rep{{0, 0, cut}, {m, 0, cut}, {2 * m, 0, cut}, {3 * m, 0, 0}, {4 * m, 0, 0}}, 5 * m, []string{health.PowerCut}},
		{"main power cut twice: two episodes", []rep{{0, 0, cut}, {m, 0, 0}, {2 * m, 0, cut}}, 3 * m, []string{health.PowerCut, health.PowerCut}},
		{"main power low is no cut", []rep{{0, 0, low}, {m, 0, low}}, 2 * m, nil},
		{"antenna cut", []rep{{0, 0, jt808.AlarmGNSSAntennaDisconnected}, {m, 0, jt808.AlarmGNSSAntennaDisconnected}}, 2 * m, []string{health.AntennaFault}},
		{"antenna short", []rep{{0, 0, jt808.AlarmGNSSAntennaShort}}, m, []string{health.AntennaFault}},
		{"GNSS module fault", []rep{{0, 0, jt808.AlarmGNSSModuleFault}}, m, []string{health.AntennaFault}},
		{"overspeed is no terminal fault", []rep{{0, 0, jt808.AlarmOverspeed}}, m, nil},
		{"offline 40 minutes", []rep{{0, 0, 0}}, 40 * m, []string{health.Offline}},
		{"quiet 20 minutes is not offline", []rep{{0, 0, 0}}, 20 * m, nil},
		{"power cut then silence", []rep{{0, 0, 0}, {m, 0, cut}}, 15 * m, []string{health.PowerCut, health.SilentAfterCut}},
		{"power cut then silence long enough to be offline too", []rep{{0, 0, cut}}, 45 * m, []string{health.PowerCut, health.Offline, health.SilentAfterCut}},
		{"jump of 5 km in 10 s", []rep{{0, 0, 0}, {10 * time.Second, 5000, 0}, {20 * time.Second, 5100, 0}}, m, []string{health.Jump}},
		{"jumps back and forth: one episode", []rep{{0, 0, 0}, {10 * time.Second, 5000, 0}, {20 * time.Second, 0, 0}, {30 * time.Second, 5000, 0}}, m, []string{health.Jump}},
		{"3 km in a minute is fast driving, not a jump", []rep{{0, 0, 0}, {m, 3000, 0}}, 2 * m, nil},
		{"300 m in a second is GNSS noise", []rep{{0, 0, 0}, {time.Second, 300, 0}}, m, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var st health.State
			var got []string
			for _, r := range c.reps {
				p := telematics.Position{At: t0.Add(r.after), Lat: 31780000 + int64(r.north/0.111195), Lng: 119950000, Alarm: uint32(r.alarm)}
				for _, ch := range st.Feed(p, health.DefaultParams) {
					if ch.New {
						got = append(got, ch.Kind)
					}
				}
			}
			for _, ch := range st.Silence(t0.Add(c.now), health.DefaultParams) {
				if ch.New {
					got = append(got, ch.Kind)
				}
			}
			// A second check finds nothing new.
			for _, ch := range st.Silence(t0.Add(c.now+time.Minute), health.DefaultParams) {
				if ch.New {
					t.Errorf("second check raised %s again", ch.Kind)
				}
			}
			if !slices.Equal(got, c.kinds) {
				t.Errorf("episodes %v, want %v", got, c.kinds)
			}
		})
	}
}

// TestInvalidReports: the gateway's marks (telematics.Invalid*) — a jump
// is measured from the last valid fix, an invalid report is never that
// fix, and InvalidRun invalid reports in a row are a fault.
func TestInvalidReports(t *testing.T) {
	t0 := time.Date(2030, 1, 7, 1, 0, 0, 0, time.UTC)
	type r struct {
		north   float64 // metres north of the start
		invalid int16
	}
	run := func(n int) []r {
		out := make([]r, n)
		for i := range out {
			out[i] = r{0, telematics.InvalidUnlocated}
		}
		return out
	}
	for _, c := range []struct {
		name  string
		reps  []r
		kinds []string
	}{
		{"a marked jump", []r{{0, 0}, {5000, telematics.InvalidJump}, {100, 0}}, []string{health.Jump}},
		{"unlocated at 0,0 is no jump", []r{{0, 0}, {-3_000_000, telematics.InvalidUnlocated}, {100, 0}}, nil},
		{"9 invalid in a row", append([]r{{0, 0}}, run(9)...), nil},
		{"12 invalid in a row, then a fix: one fault", append(append([]r{{0, 0}}, run(12)...), r{100, 0}), []string{health.InvalidFixes}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var st health.State
			var got []string
			cleared := false
			for i, x := range c.reps {
				p := telematics.Position{At: t0.Add(time.Duration(i) * 10 * time.Second), Lat: 31780000 + int64(x.north/0.111195), Lng: 119950000, Invalid: x.invalid}
				for _, ch := range st.Feed(p, health.DefaultParams) {
					if ch.New {
						got = append(got, ch.Kind)
					}
					cleared = cleared || ch.Kind == health.InvalidFixes && ch.Cleared
				}
			}
			if !slices.Equal(got, c.kinds) {
				t.Errorf("episodes %v, want %v", got, c.kinds)
			}
			if slices.Contains(c.kinds, health.InvalidFixes) && !cleared {
				t.Error("the valid fix did not end the fault")
			}
		})
	}
}
