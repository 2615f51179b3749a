package gateway

import (
	"context"
	"sync"
	"time"
)

// Events records what the gateway sees of a terminal's health
// (health.Service implements it).
type Events interface {
	// Raise records an episode of kind for terminal phone (normalised).
	Raise(ctx context.Context, phone, kind string, evidence map[string]any) error
	// Clear ends the episode of kind going on for phone.
	Clear(ctx context.Context, phone, kind string) error
}

// Kinds of the events the gateway raises (internal/health's kinds).
const (
	EventClone    = "clone"     // 疑似冒用/克隆终端: a second connection authenticating for a phone online
	EventClockOff = "clock_off" // 终端时钟偏差: GNSS time off the server's by more than ClockTolerance
)

// TakeoverPolicy says what happens when a second connection authenticates
// for a phone whose connection is alive.
type TakeoverPolicy string

const (
	// RefuseNewcomer refuses the second connection while the first is
	// alive (the default): the genuine terminal keeps reporting and the
	// attempt is only recorded.
	RefuseNewcomer TakeoverPolicy = "refuse_newcomer"
	// KeepNewer closes the first connection and keeps the second.
	KeepNewer TakeoverPolicy = "keep_newer"
)

// Clock checks: the GNSS time of ClockReports real-time reports in a row
// off the server's by more than ClockTolerance, and by about the same
// (ClockSpread: a blind-area dump sent as real-time reports drifts), is a
// clock off.
const (
	ClockTolerance = 5 * time.Minute
	ClockReports   = 5
	ClockSpread    = 30 * time.Second
)

// throttle counts refused registrations per source address in the current
// minute, for at most throttleAddrs addresses.
type throttle struct {
	mu     sync.Mutex
	window time.Time
	n      map[string]int
}

const throttleAddrs = 10000

// over reports whether addr has made limit refused registrations this minute.
func (t *throttle) over(addr string, now time.Time, limit int) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	return t.n[addr] >= limit
}

// refused counts a refused registration of addr.
func (t *throttle) refused(addr string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roll(now)
	if _, ok := t.n[addr]; ok || len(t.n) < throttleAddrs {
		t.n[addr]++
	}
}

func (t *throttle) roll(now time.Time) {
	if t.n == nil || now.Sub(t.window) >= time.Minute {
		t.window, t.n = now, map[string]int{}
	}
}
