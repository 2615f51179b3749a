package telematics

import (
	"testing"
	"time"
)

func TestStops(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	// Moving, stopped 0:01–0:06 (5 min: a stop), moving, stopped 0:07–0:09 (2 min: not), moving, stopped 0:10 to the end (3 min).
	speeds := []int32{300, 0, 0, 0, 0, 0, 250, 0, 0, 200, 0, 0, 0, 0}
	ps := make([]Position, len(speeds))
	for i, s := range speeds {
		ps[i] = Position{At: at(i), Speed: s}
	}
	got := Stops(ps, 3*time.Minute)
	if len(got) != 2 || !got[0].From.Equal(at(1)) || !got[0].To.Equal(at(6)) || !got[1].From.Equal(at(10)) || got[1].Duration() != 3*time.Minute {
		t.Fatalf("stops %+v", got)
	}
	if d := Haversine(31780000, 119960000, 31790000, 119960000); d < 1100 || d > 1125 {
		t.Errorf("0.01° of latitude = %.0f m", d)
	}
}
