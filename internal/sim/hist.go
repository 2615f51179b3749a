package sim

import (
	"sync/atomic"
	"time"
)

// hist is a lock-free latency histogram: 10 µs buckets below 1 ms, 100 µs
// below 100 ms, 10 ms below 10 s.
type hist struct {
	b [2091]atomic.Int64
}

func bucket(d time.Duration) int {
	us := d.Microseconds()
	switch {
	case us < 0:
		return 0
	case us < 1000:
		return int(us / 10)
	case us < 100_000:
		return 100 + int((us-1000)/100)
	case us < 10_000_000:
		return 1090 + int((us-100_000)/10_000)
	}
	return 2090
}

func upper(i int) time.Duration {
	switch {
	case i < 100:
		return time.Duration(i+1) * 10 * time.Microsecond
	case i < 1090:
		return time.Millisecond + time.Duration(i-100+1)*100*time.Microsecond
	case i < 2090:
		return 100*time.Millisecond + time.Duration(i-1090+1)*10*time.Millisecond
	}
	return 10 * time.Second
}

func (h *hist) add(d time.Duration) { h.b[bucket(d)].Add(1) }

func (h *hist) reset() {
	for i := range h.b {
		h.b[i].Store(0)
	}
}

// quantiles returns the upper bounds of the buckets holding the given
// quantiles (0-1, ascending).
func (h *hist) quantiles(qs ...float64) []time.Duration {
	var counts [len(hist{}.b)]int64
	var total int64
	for i := range h.b {
		counts[i] = h.b[i].Load()
		total += counts[i]
	}
	out := make([]time.Duration, len(qs))
	if total == 0 {
		return out
	}
	var seen int64
	q := 0
	for i, c := range counts {
		seen += c
		for q < len(qs) && float64(seen) >= qs[q]*float64(total) {
			out[q] = upper(i)
			q++
		}
	}
	return out
}
