// Package sim simulates BeiDou vehicle terminals speaking JT/T 808 over real
// TCP to the gateway: each registers, authenticates, then drives plausible
// routes in Changzhou, reporting its position, heartbeats, blind-area
// batches after tunnels and answering platform commands. It measures how
// many reports the gateway acknowledged and how fast. It is the load
// generator of `govfleet simulate` and of the demo.
package sim

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
)

// Config describes a simulation; zero fields take the defaults.
type Config struct {
	Gateway     string        // gateway address host:port
	Terminals   int           // number of terminals (default 1)
	Edition     jt808.Version // V2013 (default) or V2019
	Interval    time.Duration // report interval while driving (default 10 s)
	Parked      time.Duration // report interval while parked, ignition off (default 60 s)
	Heartbeat   time.Duration // heartbeat after this long without sending (default 30 s)
	Duration    time.Duration // run this long; 0 until ctx ends
	SourceIPs   []string      // local addresses to dial from, round robin (beyond ~28k connections per address)
	PhonePrefix string        // phone = prefix + index, 11 digits (default "1440")
	FirstIndex  int           // index of the first terminal (default 0)
	// Phones, when set, are the terminals' phones (Terminals becomes
	// len(Phones)): the demo drives the terminals of its registry.
	Phones []string
	// Identities are the terminal IDs and plates the registry has for
	// phones (as in Phones: fleet.Directory.Identities); a terminal without
	// one registers as terminal "S" + phone (its last 7 characters in 2013)
	// of vehicle Plate(index), as govfleet simulate provisions them.
	Identities map[string]jt808.Register
	RampUp     time.Duration // spread the connects over this long (default 1 ms per terminal, at most 10 s)
	// Settle is how long after the ramp-up the steady-state figures
	// (Stats.Steady) start (default 10 s): the last logins and the
	// blind-area batches of the ramp are not the sustained load.
	Settle      time.Duration
	AckTimeout  time.Duration // a report unanswered this long counts as lost (default 30 s)
	ReportEvery time.Duration // period of Report (default 10 s)
	TunnelRate  float64       // chance per report of entering a tunnel (blind area), default 0.005
	Seed        uint64
	// Report, when set, receives the figures of the last period every ReportEvery.
	Report func(Stats)
	// OnAck, when set, is called for every report the gateway acknowledged
	// (every item of a batch), from the terminal's goroutine.
	OnAck func(phone string, at time.Time)
	// ResendAcked makes a terminal that reconnects send its last ResendAcked
	// acknowledged positions again with the unacknowledged ones, as
	// terminals do that lost track of the platform's answers: the gateway
	// must store them once.
	ResendAcked int
	Logger      *slog.Logger
}

// Stats are the figures of a run or of one period.
type Stats struct {
	Elapsed       time.Duration
	Connected     int64 // connections open now
	Authenticated int64 // terminals authenticated now
	Sent          int64 // positions sent (each item of a 0x0704 counts)
	Acked         int64 // positions acknowledged with success
	Failed        int64 // positions answered with a failure (kept and sent again)
	Lost          int64 // positions without an answer within AckTimeout
	Resent        int64 // acknowledged positions sent again after a reconnect (ResendAcked)
	Batches       int64 // 0x0704 blind-area batches sent
	Heartbeats    int64
	Commands      int64 // platform commands answered
	Errors        int64 // connection errors (each followed by a reconnect)
	P50, P95, P99 time.Duration
	// Steady, in the totals Run returns, are the figures from the end of
	// RampUp + Settle to the end of sending (nil when the run ended before).
	Steady *Stats
}

// Rate returns acknowledged positions per second.
func (s Stats) Rate() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Acked) / s.Elapsed.Seconds()
}

func (s Stats) String() string {
	return fmt.Sprintf("t=%v conn=%d auth=%d sent=%d acked=%d (%.0f/s) failed=%d lost=%d resent=%d batches=%d heartbeats=%d commands=%d errors=%d ack p50=%v p95=%v p99=%v",
		s.Elapsed.Round(time.Millisecond), s.Connected, s.Authenticated, s.Sent, s.Acked, s.Rate(), s.Failed, s.Lost, s.Resent,
		s.Batches, s.Heartbeats, s.Commands, s.Errors, s.P50, s.P95, s.P99)
}

// Phone returns the phone of terminal i: prefix followed by i, zero-padded
// to 11 digits.
func Phone(prefix string, i int) string {
	return fmt.Sprintf("%s%0*d", prefix, max(11-len(prefix), 1), i)
}

// Plate returns the plate the simulator registers terminal i with.
func Plate(i int) string { return fmt.Sprintf("苏Z%06d", i%1000000) }

// TerminalID returns the terminal ID the simulator registers phone with
// when the registry's is not given: "S" + phone.
func TerminalID(phone string) string { return "S" + phone }

// Terminals returns the directory entries for n simulated terminals from
// index first (vehicle id = index + 1), for a gateway.MemDirectory.
func Terminals(prefix string, first, n int) []gateway.MemTerminal {
	ts := make([]gateway.MemTerminal, n)
	for i := range ts {
		ts[i] = gateway.MemTerminal{Phone: Phone(prefix, first+i), VehicleID: int64(first + i + 1), Plate: Plate(first + i)}
	}
	return ts
}

func (c *Config) defaults() {
	if len(c.Phones) > 0 {
		c.Terminals = len(c.Phones)
	}
	if c.Terminals <= 0 {
		c.Terminals = 1
	}
	if c.Edition == 0 {
		c.Edition = jt808.V2013
	}
	set := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	set(&c.Interval, 10*time.Second)
	set(&c.Parked, 60*time.Second)
	set(&c.Heartbeat, 30*time.Second)
	set(&c.RampUp, min(time.Duration(c.Terminals)*time.Millisecond, 10*time.Second))
	set(&c.Settle, 10*time.Second)
	set(&c.AckTimeout, 30*time.Second)
	set(&c.ReportEvery, 10*time.Second)
	if c.TunnelRate <= 0 {
		c.TunnelRate = 0.005
	}
	if c.PhonePrefix == "" {
		c.PhonePrefix = "1440"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

type counters struct {
	connected, authenticated, sent, acked, failed, lost, resent, batches, heartbeats, commands, errors atomic.Int64
}

type runner struct {
	cfg                Config
	c                  counters
	total, win, steady hist
	start              time.Time
	steadyFrom         time.Time
	steadyBase         counters     // the counters at steadyFrom
	steadyTo           atomic.Int64 // UnixNano when sending stopped
	stopSending        atomic.Bool
	sourceAddrs        []*net.TCPAddr
}

// Run drives the terminals until cfg.Duration has passed or ctx ends, waits
// briefly for the last answers and returns the totals.
func Run(ctx context.Context, cfg Config) (Stats, error) {
	cfg.defaults()
	if cfg.Edition != jt808.V2013 && cfg.Edition != jt808.V2019 {
		return Stats{}, fmt.Errorf("simulate: edition %v: use 2013 or 2019", cfg.Edition)
	}
	r := &runner{cfg: cfg, start: time.Now()}
	r.steadyFrom = r.start.Add(cfg.RampUp + cfg.Settle)
	steadyTimer := time.AfterFunc(cfg.RampUp+cfg.Settle, func() { r.stats(&hist{}, 0, &r.steadyBase) })
	defer steadyTimer.Stop()
	for _, ip := range cfg.SourceIPs {
		a := net.ParseIP(ip)
		if a == nil {
			return Stats{}, fmt.Errorf("simulate: source IP %q", ip)
		}
		r.sourceAddrs = append(r.sourceAddrs, &net.TCPAddr{IP: a})
	}
	if cfg.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, cfg.Duration)
		defer cancel()
	}
	// Terminals stop sending when ctx ends, then have a little while for
	// the answers still due.
	drainCtx, stopDrain := context.WithCancel(context.Background())
	defer stopDrain()
	stopped := make(chan struct{})
	stopWatch := context.AfterFunc(ctx, func() {
		r.stopSending.Store(true)
		r.steadyTo.Store(time.Now().UnixNano())
		time.AfterFunc(min(cfg.AckTimeout, 3*time.Second), stopDrain)
		close(stopped)
	})

	var wg sync.WaitGroup
	reportDone := make(chan struct{})
	go r.reporter(ctx, reportDone)
	for i := range cfg.Terminals {
		wg.Add(1)
		delay := time.Duration(int64(cfg.RampUp) * int64(i) / int64(cfg.Terminals))
		go func() {
			defer wg.Done()
			select {
			case <-time.After(delay):
			case <-ctx.Done():
				return
			}
			t := newTerminal(r, cfg.FirstIndex+i)
			t.run(ctx, drainCtx)
		}()
	}
	wg.Wait()
	// The terminals end when ctx does, and may all be done (every answer in)
	// before the function above has run on a busy machine: wait for it, or
	// the steady window would have no end and no figures.
	if !stopWatch() {
		<-stopped
	}
	<-reportDone
	total := r.stats(&r.total, time.Since(r.start), &counters{})
	if to := time.Unix(0, r.steadyTo.Load()); !steadyTimer.Stop() && to.After(r.steadyFrom) {
		st := r.stats(&r.steady, to.Sub(r.steadyFrom), &r.steadyBase)
		total.Steady = &st
	}
	return total, nil
}

func (r *runner) reporter(ctx context.Context, done chan struct{}) {
	defer close(done)
	if r.cfg.Report == nil {
		return
	}
	tk := time.NewTicker(r.cfg.ReportEvery)
	defer tk.Stop()
	var last counters
	lastAt := r.start
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tk.C:
			s := r.stats(&r.win, now.Sub(lastAt), &last)
			r.win.reset()
			lastAt = now
			r.cfg.Report(s)
		}
	}
}

// stats returns the counters minus base (and moves base up to them).
func (r *runner) stats(h *hist, elapsed time.Duration, base *counters) Stats {
	q := h.quantiles(0.5, 0.95, 0.99)
	d := func(cur *atomic.Int64, b *atomic.Int64) int64 {
		v := cur.Load()
		return v - b.Swap(v)
	}
	c := &r.c
	return Stats{
		Elapsed: elapsed, Connected: c.connected.Load(), Authenticated: c.authenticated.Load(),
		Sent: d(&c.sent, &base.sent), Acked: d(&c.acked, &base.acked), Failed: d(&c.failed, &base.failed),
		Lost: d(&c.lost, &base.lost), Resent: d(&c.resent, &base.resent), Batches: d(&c.batches, &base.batches), Heartbeats: d(&c.heartbeats, &base.heartbeats),
		Commands: d(&c.commands, &base.commands), Errors: d(&c.errors, &base.errors),
		P50: q[0], P95: q[1], P99: q[2],
	}
}

// rngFor gives every terminal its own deterministic generator.
func rngFor(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, uint64(i)*0x9e3779b97f4a7c15+1))
}
