package main

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app"
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
// measure the gateway alone. With --provision it adds the simulated
// terminals and their vehicles to the registry of --db, for a load test
// against `govfleet serve`.
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
	parked := fs.Duration("parked-interval", 60*time.Second, "report interval while parked (ignition off)")
	rampUp := fs.Duration("ramp-up", 0, "spread the connections over this long (default 1 ms per terminal, at most 10 s)")
	reportEvery := fs.Duration("report-every", 10*time.Second, "print the figures of the last period this often")
	ackedLog := fs.String("acked-log", "", "append \"phone GNSS-time\" (RFC 3339) of every acknowledged position to this file")
	serveAddr := fs.String("serve", "", "run a test gateway on this address (MemDirectory of the simulated phones) instead of terminals")
	provision := fs.Bool("provision", false, "add the simulated terminals (--terminals from --first, --phone-prefix) and a vehicle for each to the registry of --db, then exit")
	pprofListen := fs.String("pprof", "", "serve the simulator's runtime profiles on this address (empty: off)")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	startPprof(*pprofListen)
	if *provision {
		return provisionTerminals(ctx, &d, *prefix, *first, *n)
	}
	if *serveAddr != "" {
		return simulateGateway(ctx, &d, *serveAddr, *prefix, *first, *n, *duration)
	}
	cfg := sim.Config{
		Gateway: *gw, Terminals: *n, Edition: jt808.Version(*edition), Interval: *interval, Parked: *parked, Duration: *duration,
		PhonePrefix: *prefix, FirstIndex: *first, Seed: *seed, RampUp: *rampUp, ReportEvery: *reportEvery,
		Report: func(s sim.Stats) { fmt.Println(s) },
	}
	if *sources != "" {
		cfg.SourceIPs = strings.Split(*sources, ",")
	}
	if *ackedLog != "" {
		f, err := os.OpenFile(*ackedLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriterSize(f, 64<<10)
		var mu sync.Mutex
		cfg.OnAck = func(phone string, at time.Time) {
			mu.Lock()
			fmt.Fprintf(bw, "%s %s\n", phone, at.UTC().Format(time.RFC3339))
			mu.Unlock()
		}
		defer func() {
			mu.Lock()
			bw.Flush()
			mu.Unlock()
		}()
	}
	slog.Info("simulating terminals", "gateway", cfg.Gateway, "terminals", cfg.Terminals, "edition", cfg.Edition, "interval", cfg.Interval)
	st, err := sim.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Println("total:", st)
	if st.Steady != nil {
		// From the end of the ramp-up and settle time to the end of sending.
		fmt.Println("steady:", *st.Steady)
	}
	return nil
}

// provisionTerminals registers n simulated terminals (phones prefix+index
// from first, as the simulator dials them), each bound to a vehicle of its
// own, in the first unit of the registry (the root when it has no unit): multi-row inserts of 500
// vehicles, then one INSERT … SELECT of their terminals, in one
// transaction. Terminals already there are left as they are.
func provisionTerminals(ctx context.Context, d *dbFlags, prefix string, first, n int) error {
	a, err := app.New(ctx, d.config())
	if err != nil {
		return err
	}
	defer a.Close()
	db := a.DB
	start := time.Now()
	var unitID int64
	if err := db.R.QueryRowContext(ctx, "SELECT id FROM units ORDER BY CASE kind WHEN 'unit' THEN 0 ELSE 1 END, id LIMIT 1").Scan(&unitID); err != nil {
		return fmt.Errorf("provision: no unit to put the vehicles in (run serve --demo or init first): %w", err)
	}
	now := time.Now().UTC()
	const chunk = 500
	var added int64
	err = db.Tx(ctx, func(tx bun.Tx) error {
		for lo := 0; lo < n; lo += chunk {
			var sb strings.Builder
			args := make([]any, 0, 5*chunk)
			sb.WriteString("INSERT INTO vehicles (unit_id, plate, vin, category, brand, model, seats, energy_type, displacement, vehicle_class, created_at, updated_at) VALUES ")
			for i := lo; i < min(lo+chunk, n); i++ {
				if i > lo {
					sb.WriteByte(',')
				}
				sb.WriteString("(?, ?, ?, 'other', '模拟', 'SIM-808', 5, 'petrol', 1500, 'small', ?, ?)")
				// The VIN carries the phone: the terminals are made from it below.
				args = append(args, unitID, sim.Plate(first+i), "GVSIM"+sim.Phone(prefix, first+i), now, now)
			}
			sb.WriteString(" ON CONFLICT DO NOTHING")
			res, err := tx.ExecContext(ctx, sb.String(), args...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			added += k
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO terminals (unit_id, terminal_no, sim, model, maker, vehicle_id, created_at, updated_at)
			SELECT v.unit_id, 'S' || substr(v.vin, 6), substr(v.vin, 6), 'SIM-808', 'GVSIM', v.id, v.created_at, v.updated_at
			FROM vehicles v WHERE v.vin LIKE 'GVSIM%' AND NOT EXISTS (SELECT 1 FROM terminals t WHERE t.vehicle_id = v.id)
			ON CONFLICT DO NOTHING`); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "UPDATE units SET vehicle_count = vehicle_count + ? WHERE id = ?", added, unitID)
		return err
	})
	if err != nil {
		return fmt.Errorf("provision: %w", err)
	}
	// Fresh statistics, or PostgreSQL may plan the gateway's terminal lookup
	// (sim IN … ORDER BY id LIMIT 1) as a walk of the primary key.
	for _, t := range []string{"vehicles", "terminals"} {
		if _, err := db.W.ExecContext(ctx, "ANALYZE "+t); err != nil {
			return fmt.Errorf("provision: analyze %s: %w", t, err)
		}
	}
	fmt.Printf("provisioned %d simulated terminals and vehicles (%d new) in %v\n", n, added, time.Since(start).Round(time.Millisecond))
	return nil
}

// simulateGateway serves the simulated terminals with a MemDirectory.
func simulateGateway(ctx context.Context, d *dbFlags, addr, prefix string, first, n int, duration time.Duration) error {
	a, err := app.New(ctx, d.config())
	if err != nil {
		return err
	}
	defer a.Close()
	db := a.DB
	if duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, duration)
		defer cancel()
	}
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{})
	if err != nil {
		return err
	}
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
