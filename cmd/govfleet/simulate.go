package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/sim"
	"govfleet/internal/telematics"
)

// simulate runs simulated JT/T 808 terminals against a gateway:
//
//	govfleet simulate --gateway 127.0.0.1:7808 --terminals 2000 --interval 1s --duration 60s
//
// With --serve ADDR it instead runs a stand-alone test gateway on ADDR
// (storing into --db) whose directory knows the simulated phones, and
// prints its counters and memory every 10 s: run one process of each to
// measure the gateway alone.
func simulate(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("simulate", &d)
	gw := fs.String("gateway", "127.0.0.1:7808", "gateway address to connect to")
	n := fs.Int("terminals", 10, "number of simulated terminals")
	edition := fs.Int("edition", 2013, "JT/T 808 edition: 2013 or 2019")
	interval := fs.Duration("interval", 10*time.Second, "report interval while driving")
	duration := fs.Duration("duration", 0, "how long to run (0: until interrupted)")
	sources := fs.String("source-ips", "", "comma-separated local addresses to connect from, e.g. 127.0.0.1,127.0.0.2 (~28k connections each)")
	prefix := fs.String("phone-prefix", "1440", "terminal phones are this prefix + index, 11 digits")
	first := fs.Int("first", 0, "index of the first terminal")
	seed := fs.Uint64("seed", 1, "random seed of the routes")
	serveAddr := fs.String("serve", "", "run a test gateway on this address (MemDirectory of the simulated phones) instead of terminals")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	if *serveAddr != "" {
		return simulateGateway(ctx, &d, *serveAddr, *prefix, *first, *n, *duration)
	}
	cfg := sim.Config{
		Gateway: *gw, Terminals: *n, Edition: jt808.Version(*edition), Interval: *interval, Duration: *duration,
		PhonePrefix: *prefix, FirstIndex: *first, Seed: *seed,
		Report: func(s sim.Stats) { fmt.Println(s) },
	}
	if *sources != "" {
		cfg.SourceIPs = strings.Split(*sources, ",")
	}
	slog.Info("simulating terminals", "gateway", cfg.Gateway, "terminals", cfg.Terminals, "edition", cfg.Edition, "interval", cfg.Interval)
	st, err := sim.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println("total:", st)
	return nil
}

// simulateGateway serves the simulated terminals with a MemDirectory.
func simulateGateway(ctx context.Context, d *dbFlags, addr, prefix string, first, n int, duration time.Duration) error {
	db, err := open(ctx, d)
	if err != nil {
		return err
	}
	defer db.Close()
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	w := telematics.NewWriter(db, telematics.WriterOptions{})
	defer w.Close()
	srv := &gateway.Server{Directory: gateway.NewMemDirectory(sim.Terminals(prefix, first, n)...), Writer: w, Latest: &telematics.Latest{}}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	debug.FreeOSMemory()
	base := vmRSS()
	fmt.Printf("gateway on %s, db %s, VmRSS before connections %d kB\n", ln.Addr(), d.db, base)
	go func() {
		tk := time.NewTicker(10 * time.Second)
		defer tk.Stop()
		var last gateway.Metrics
		lastAt := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-tk.C:
				debug.FreeOSMemory() // RSS of live memory, not of garbage not yet returned
				m, rss := srv.Metrics(), vmRSS()
				perConn := 0.0
				if m.Connections > 0 {
					perConn = float64(rss-base) / float64(m.Connections)
				}
				fmt.Printf("conn=%d auth=%d stored=%d (%.0f/s) store_failures=%d acks=%d refused=%d cut=%d tx=%d VmRSS=%d kB (%.1f kB/connection over the base)\n",
					m.Connections, m.Authenticated, m.Stored, float64(m.Stored-last.Stored)/now.Sub(lastAt).Seconds(),
					m.StoreFailures, m.AcksSent, m.Refused, m.Cut, w.Stats().Transactions, rss, perConn)
				last, lastAt = m, now
			}
		}
	}()
	err = srv.Serve(ctx, ln)
	fmt.Printf("gateway stopped: %+v writer %+v\n", srv.Metrics(), w.Stats())
	return err
}

// vmRSS returns the resident set size of this process in kB (0 if unknown).
func vmRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			var kb int64
			if _, err := fmt.Sscan(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), &kb); err == nil {
				return kb
			}
		}
	}
	return 0
}
