package partner

import (
	"testing"
	"time"
)

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
