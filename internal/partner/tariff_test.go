package partner

import (
	"testing"
	"time"
)

// The time charged: whole days, a rest of up to four hours as a half day,
// a longer rest as a day; no time at all is a half day.
func TestChargedDays(t *testing.T) {
	for _, c := range []struct {
		d            time.Duration
		days, halves int64
	}{
		{0, 0, 1}, {time.Hour, 0, 1}, {4 * time.Hour, 0, 1}, {4*time.Hour + time.Minute, 1, 0}, {24 * time.Hour, 1, 0},
		{26 * time.Hour, 1, 1}, {29 * time.Hour, 2, 0}, {48 * time.Hour, 2, 0},
	} {
		if days, halves := chargedDays(c.d); days != c.days || halves != c.halves {
			t.Errorf("%s: %d days %d halves, want %d and %d", c.d, days, halves, c.days, c.halves)
		}
	}
}

// Back-off doubles from 2 s and stops at ten minutes.
func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 2 * time.Second, 2: 4 * time.Second, 5: 32 * time.Second, 9: 512 * time.Second, 10: 10 * time.Minute, 40: 10 * time.Minute} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

func TestVehicleType(t *testing.T) {
	for seats, want := range map[int]string{4: "sedan", 5: "sedan", 7: "mpv", 9: "mpv", 12: "minibus", 19: "minibus", 33: "bus"} {
		if got := VehicleType(seats); got != want {
			t.Errorf("%d seats: %s, want %s", seats, got, want)
		}
	}
}
