// Command govfleet is the official-vehicle platform: API, web console and
// background jobs in one binary.
//
//	govfleet serve [--demo] [--listen ADDR] [--gateway-listen ADDR] [--demo-fleet N] [--tile-url URL] [--retention-days N] [--db URL] [--data-dir DIR]
//	govfleet migrate [--db URL]
//	govfleet init --admin NAME [--city NAME]   first accounts on an empty database
//	govfleet audit-verify [--db URL] [--checkpoints FILE]   check the audit log's keyed chain
//	govfleet version
//
// Every flag can also be set as GOVFLEET_<FLAG> (upper case, - as _).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"syscall"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/company"
	"govfleet/internal/demo"
	"govfleet/internal/fleet"
	"govfleet/internal/fuel"
	"govfleet/internal/gateway"
	"govfleet/internal/health"
	"govfleet/internal/httpapi"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/ledger"
	"govfleet/internal/maintenance"
	"govfleet/internal/monitor"
	"govfleet/internal/notify"
	"govfleet/internal/org"
	"govfleet/internal/rental"
	"govfleet/internal/sim"
	"govfleet/internal/store"
	"govfleet/internal/supervision"
	"govfleet/internal/telematics"
	"govfleet/internal/trips"
	"govfleet/web"
)

var version = "dev"

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "serve":
		err = serve(ctx, os.Args[2:])
	case "migrate":
		err = migrate(ctx, os.Args[2:])
	case "init":
		err = initCmd(ctx, os.Args[2:])
	case "audit-verify":
		err = auditVerify(ctx, os.Args[2:])
	case "simulate":
		err = simulate(ctx, os.Args[2:])
	case "version", "-v", "--version":
		fmt.Println("govfleet", version)
	case "help", "-h", "--help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "govfleet: unknown command %q\n", os.Args[1])
		usage()
		os.Exit(2)
	}
	if err != nil {
		slog.Error("govfleet failed", "err", err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: govfleet <command> [flags]

commands:
  serve         run the API, web console and background jobs
  migrate       apply database migrations and exit
  init          create the city root and its first administrators on an empty database
  audit-verify  check the audit log's keyed chain against the signed checkpoints
  simulate      run simulated JT/T 808 terminals against a gateway (load generator)
  version       print the version

Run "govfleet <command> -h" for the flags of a command; every flag may also be
given as an environment variable GOVFLEET_<NAME> (e.g. GOVFLEET_DB).`)
}

// common flags of every command that opens the database.
type dbFlags struct {
	db, dataDir, logFormat string
}

func newFlags(name string, d *dbFlags) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&d.dataDir, "data-dir", "./data", "directory for the SQLite database and uploaded files")
	fs.StringVar(&d.db, "db", "", "database: postgres://… for PostgreSQL, or a SQLite file path (default <data-dir>/govfleet.db)")
	fs.StringVar(&d.logFormat, "log-format", "text", "log format: text or json")
	return fs
}

// parse applies GOVFLEET_* environment variables, then the command line.
func parse(fs *flag.FlagSet, args []string, d *dbFlags) error {
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		if v, ok := os.LookupEnv("GOVFLEET_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))); ok && err == nil {
			if e := fs.Set(f.Name, v); e != nil {
				err = fmt.Errorf("GOVFLEET_%s: %w", strings.ToUpper(f.Name), e)
			}
		}
	})
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, nil)
	if d.logFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, nil)
	}
	slog.SetDefault(slog.New(h))
	if d.db == "" {
		d.db = filepath.Join(d.dataDir, "govfleet.db")
	}
	return nil
}

func open(ctx context.Context, d *dbFlags) (*store.DB, error) {
	db, err := store.Open(ctx, d.db)
	if err != nil {
		return nil, err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

type services struct {
	org        *org.Service
	auth       *auth.Service
	audit      *audit.Service
	fleet      *fleet.Service
	booking    *booking.Service
	sup        *supervision.Service
	company    *company.Service
	insurance  *insurance.Service
	inspection *inspection.Service
	ledger     *ledger.Service
}

func wire(db *store.DB, dataDir string) services {
	o := &org.Service{DB: db}
	f := &fleet.Service{DB: db, Blobs: fleet.FSBlobs{Dir: filepath.Join(dataDir, "blobs")}}
	b := &booking.Service{DB: db, Calendar: &calendar.Calendar{DB: db}, Notify: &notify.Notifier{DB: db, SMS: notify.LogSMS{}}}
	a := &auth.Service{DB: db, Org: o, SMS: b.Notify.SMS}
	sup := &supervision.Service{DB: db, Notify: b.Notify, Blobs: f.Blobs}
	return services{org: o, auth: a, audit: &audit.Service{DB: db, Checkpoints: filepath.Join(dataDir, audit.CheckpointFile)}, fleet: f, booking: b, sup: sup,
		company:    &company.Service{DB: db, Org: o, Auth: a},
		insurance:  &insurance.Service{DB: db, Notify: b.Notify},
		inspection: &inspection.Service{DB: db, Notify: b.Notify},
		ledger:     &ledger.Service{DB: db}}
}

func serve(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("serve", &d)
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP listen address")
	withDemo := fs.Bool("demo", false, "fill an empty database with the Changzhou demo")
	secure := fs.Bool("secure-cookies", false, "mark cookies Secure (set when served over HTTPS)")
	gatewayListen := fs.String("gateway-listen", "127.0.0.1:8808", "JT/T 808 gateway listen address for the BeiDou terminals (empty: no gateway)")
	demoFleet := fs.Int("demo-fleet", 40, "with --demo: number of simulated terminals of the demo's vehicles driving against the gateway (0: none)")
	tileURL := fs.String("tile-url", "", "map tile URL template, e.g. Tianditu's with its key (empty: no tiles, an offline reference map)")
	tileAttr := fs.String("tile-attribution", "", "attribution shown under the map tiles")
	retention := fs.Int("retention-days", 365, "keep positions this many days (0: keep all)")
	pprofListen := fs.String("pprof", "", "serve Go's runtime profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (empty: off)")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	startPprof(*pprofListen)
	db, err := open(ctx, &d)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := wire(db, d.dataDir)
	// the master key the companies' API key secrets derive from.
	if svc.auth.KeyMaster, err = auth.LoadKeyMaster(filepath.Join(d.dataDir, "apikey-master.key")); err != nil {
		return fmt.Errorf("API key master key: %w", err)
	}
	// Issue 19: the audit chain's MAC key, outside the database (made at first start).
	if err := audit.LoadKeys(filepath.Join(d.dataDir, audit.KeyFile), true); err != nil {
		return fmt.Errorf("audit chain key: %w", err)
	}
	// Issue 19: the key the accounts' TOTP secrets are sealed with.
	if svc.auth.TOTPKey, err = auth.LoadKeyMaster(filepath.Join(d.dataDir, "totp-master.key")); err != nil {
		return fmt.Errorf("TOTP key: %w", err)
	}
	if *withDemo {
		if _, err := demo.Seed(ctx, svc.org, svc.auth, svc.fleet.Blobs); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		debug.FreeOSMemory() // return the seeding's garbage: the server's RSS is measured by scripts/loadtest
	}
	latest := &telematics.Latest{}
	mon := &monitor.Service{DB: db, Latest: latest, TileURL: *tileURL, TileAttribution: *tileAttr}
	api := &httpapi.Server{Org: svc.org, Auth: svc.auth, Audit: svc.audit, Fleet: svc.fleet, Booking: svc.booking, Monitor: mon, Web: web.App(), Secure: *secure,
		Supervision: svc.sup}
	api.Companies, api.Insurance, api.Inspection, api.Ledger = svc.company, svc.insurance, svc.inspection, svc.ledger
	api.Maintenance = &maintenance.Service{DB: db, Fleet: svc.fleet, Notify: svc.booking.Notify}
	api.Rental = &rental.Service{DB: db, Booking: svc.booking, Notify: svc.booking.Notify}
	api.Fuel = &fuel.Service{DB: db}
	tr := &trips.Service{DB: db, Booking: svc.booking}
	he := &health.Service{DB: db}
	api.Trips, api.Health = tr, he
	if api.Web == nil {
		slog.Warn("web console not built; run `make web` — the API works without it")
	}
	// the working calendar of this year and the next, from the State
	// Council's schedules as maintained by lunar-go; edits by the
	// administrator are kept.
	year := time.Now().In(beijing.Zone).Year()
	if n, err := svc.booking.Calendar.SeedYears(ctx, year, year+1); err != nil {
		return fmt.Errorf("calendar: %w", err)
	} else if n > 0 {
		slog.Info("calendar seeded", "days", n)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := api.HTTPServer()
	go jobs(ctx, svc)
	errc := make(chan error, 2)
	// The JT/T 808 gateway: terminals of the registry report into
	// the positions table through the group-commit writer; the live map
	// reads the shared Latest.
	var bg sync.WaitGroup
	gctx, stopGateway := context.WithCancel(context.Background())
	defer stopGateway()
	var writer *telematics.Writer
	if *gatewayListen != "" {
		if writer, err = telematics.NewWriter(ctx, db, telematics.WriterOptions{Latest: latest}); err != nil {
			return err
		}
		dir := &fleet.Directory{DB: db}
		gw := &gateway.Server{Directory: dir, Writer: writer}
		mon.Gateway = gw
		gln, err := net.Listen("tcp", *gatewayListen)
		if err != nil && *withDemo {
			// A demo (or a browser test) next to another one: any free port will do.
			slog.Warn("gateway address in use, the demo gateway takes a free port", "addr", *gatewayListen, "err", err)
			gln, err = net.Listen("tcp", "127.0.0.1:0")
		}
		if err != nil {
			return fmt.Errorf("gateway listen: %w", err)
		}
		bg.Add(1)
		go func() {
			defer bg.Done()
			if err := gw.Serve(gctx, gln); err != nil {
				errc <- err
			}
		}()
		if *withDemo && *demoFleet > 0 {
			phones, err := dir.BoundPhones(ctx, *demoFleet)
			if err == nil {
				phones, err = demo.Fleet(ctx, db, writer, phones, time.Now())
			}
			if err != nil {
				return fmt.Errorf("demo fleet: %w", err)
			}
			slog.Info("demo fleet driving", "terminals", len(phones), "gateway", gln.Addr().String())
			bg.Add(1)
			go func() {
				defer bg.Done()
				// The simulator stops with the server (ctx), before the gateway.
				sim.Run(ctx, sim.Config{Gateway: gln.Addr().String(), Phones: phones, Seed: uint64(time.Now().UnixNano()),
					RampUp: 3 * time.Second, Logger: slog.Default().With("component", "demo-fleet")})
			}()
		}
	}
	// The live map starts from the stored positions, not from nothing.
	if n, err := telematics.Preload(ctx, db, latest); err != nil {
		return err
	} else if n > 0 {
		slog.Info("latest positions loaded", "terminals", n)
	}
	go telematicsJobs(ctx, db, tr, he, svc.sup.TripsClosed, *retention)
	go func() { errc <- srv.Serve(ln) }()
	url := "http://" + ln.Addr().String()
	slog.Info("govfleet serving", "url", url, "db", redact(d.db), "version", version)
	fmt.Fprintf(os.Stderr, "\n  常州市公务用车信息化平台 govfleet %s\n  打开 %s\n", version, url)
	if *withDemo {
		fmt.Fprintf(os.Stderr, "  演示账号（密码均为 %s）：\n", demo.Password)
		for _, a := range demo.Accounts {
			fmt.Fprintf(os.Stderr, "    %-36s %s\n", a[0], a[1])
		}
	}
	fmt.Fprintln(os.Stderr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(sctx)
	if err := svc.audit.Checkpoint(context.Background()); err != nil {
		slog.Error("audit checkpoint", "err", err)
	}
	// Then the gateway: it stops accepting, acknowledges the reports being
	// stored and closes the terminals; then the writer flushes.
	stopGateway()
	bg.Wait()
	if writer != nil {
		if err := writer.Close(); err != nil {
			slog.Error("positions writer", "err", err)
		}
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// jobs runs the periodic work at start and every ten minutes: overdue
// emergency filings escalate once, idle sessions are purged, the
// supervision rules run (issue 7: the last 31 days at start, then the last
// three days; known findings are skipped).
func jobs(ctx context.Context, svc services) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	supSpan := 31 * 24 * time.Hour
	for {
		svc.sup.Job(ctx, time.Now().UTC(), supSpan)
		supSpan = 72 * time.Hour
		if n, err := svc.booking.EscalateOverdue(ctx); err != nil {
			slog.Warn("escalate overdue filings", "err", err)
		} else if n > 0 {
			slog.Info("overdue emergency filings escalated", "count", n)
		}
		// due dates for new vehicles, then the reminders 30 days
		// ahead (each once per due date, so running often sends nothing twice).
		if _, err := svc.inspection.FillDefaults(ctx); err != nil {
			slog.Warn("inspection due dates", "err", err)
		}
		if n, err := svc.inspection.Remind(ctx); err != nil {
			slog.Warn("inspection reminders", "err", err)
		} else if n > 0 {
			slog.Info("inspection reminders sent", "vehicles", n)
		}
		if n, err := svc.insurance.RemindExpiring(ctx); err != nil {
			slog.Warn("policy expiry reminders", "err", err)
		} else if n > 0 {
			slog.Info("policy expiry reminders sent", "policies", n)
		}
		// Issue 19: the audit chain's head, signed, outside the database.
		if err := svc.audit.Checkpoint(ctx); err != nil {
			slog.Warn("audit checkpoint", "err", err)
		}
		if err := svc.auth.PurgeSigned(ctx); err != nil {
			slog.Warn("purge signed-request records", "err", err)
		}
		if n, err := svc.auth.PurgeSessions(ctx); err != nil {
			slog.Warn("purge sessions", "err", err)
		} else if n > 0 {
			slog.Info("expired sessions purged", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// telematicsJobs runs at start and every minute: trips and daily mileage
// with their orders or R-14 filings, then, when trips were closed, the
// supervision rules over the last six hours (issue 7: a violation shows
// minutes after the trip, not at the next ten-minute run; known findings
// are skipped, older trips come with the scheduled run); terminal health
// every hour, positions older than the retention are deleted.
func telematicsJobs(ctx context.Context, db *store.DB, tr *trips.Service, he *health.Service,
	tripsClosed func(ctx context.Context, from, to time.Time) error, retentionDays int) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	var pruned time.Time
	for {
		start := time.Now()
		st, err := tr.Run(ctx)
		took := time.Since(start) // of trips and health, not supervision
		if ctx.Err() != nil {
			return // shutting down: a run cut short is no failure
		}
		if err != nil {
			slog.Warn("trips", "err", err)
		} else if st.Closed+st.Filings > 0 {
			slog.Info("trips built", "positions", st.Positions, "closed", st.Closed, "linked", st.Linked, "filings", st.Filings,
				"took", took.Round(time.Millisecond))
		}
		if st.Closed > 0 {
			if err := tripsClosed(ctx, start.Add(-6*time.Hour).UTC(), start.UTC()); err != nil {
				slog.Warn("supervision after trips", "err", err)
			}
		}
		hstart := time.Now()
		hs, err := he.Run(ctx)
		took += time.Since(hstart)
		if ctx.Err() != nil {
			return
		} else if err != nil {
			slog.Warn("terminal health", "err", err)
		} else if hs.Opened > 0 {
			slog.Info("terminal-health events", "opened", hs.Opened)
		}
		if took > time.Minute {
			// Paced to a quarter of a core, the passes outlast the minute
			// on a large fleet: trips and events come that much later.
			slog.Info("trips and terminal health took longer than a minute", "took", took.Round(time.Second),
				"vehicles", st.Vehicles, "terminals", hs.Terminals, "positions", st.Positions+hs.Positions)
		}
		if retentionDays > 0 && time.Since(pruned) >= time.Hour {
			pruned = time.Now()
			if n, err := telematics.Prune(ctx, db, time.Now().AddDate(0, 0, -retentionDays)); err != nil {
				slog.Warn("prune positions", "err", err)
			} else if n > 0 {
				slog.Info("positions pruned", "rows", n, "retention_days", retentionDays)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// redact hides a PostgreSQL password in logs.
func redact(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if j := strings.Index(dsn, "@"); j > i {
			if k := strings.Index(dsn[i+3:j], ":"); k >= 0 {
				return dsn[:i+3+k] + ":***" + dsn[j:]
			}
		}
	}
	return dsn
}

func migrate(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("migrate", &d)
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	db, err := store.Open(ctx, d.db)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("%d migration(s) applied\n", n)
	return nil
}

// initCmd creates the city root and the first platform administrator plus
// the three separated administrators, each with a one-time password.
func initCmd(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("init", &d)
	city := fs.String("city", "常州市", "name of the city (root of the hierarchy)")
	admin := fs.String("admin", "admin", "user name prefix of the first administrators")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	db, err := open(ctx, &d)
	if err != nil {
		return err
	}
	defer db.Close()
	svc := wire(db, d.dataDir)
	if err := audit.LoadKeys(filepath.Join(d.dataDir, audit.KeyFile), true); err != nil {
		return fmt.Errorf("audit chain key: %w", err)
	}
	n, err := db.R.NewSelect().Table("users").Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errors.New("the database already has accounts; init only runs on an empty database")
	}
	root, err := svc.org.CreateRoot(ctx, *city, "")
	if err != nil {
		return err
	}
	for _, a := range []struct {
		suffix, name string
		role         access.Role
	}{{"", "平台管理员", access.PlatformAdmin}, {"_sys", "系统管理员", access.SysAdmin}, {"_sec", "安全管理员", access.SecAdmin}, {"_audit", "审计管理员", access.AuditAdmin}} {
		pw := auth.GeneratePassword()
		if _, err := svc.auth.Bootstrap(ctx, *admin+a.suffix, a.name, "", pw, root.ID, true, a.role); err != nil {
			return err
		}
		fmt.Printf("%-16s %-10s initial password: %s (must be changed at first login)\n", *admin+a.suffix, a.name, pw)
	}
	return nil
}

func auditVerify(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("audit-verify", &d)
	checkpoints := fs.String("checkpoints", "", "signed checkpoints of the chain's head to verify against, e.g. a copy the audit administrator downloaded (default <data-dir>/"+audit.CheckpointFile+")")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	if err := audit.LoadKeys(filepath.Join(d.dataDir, audit.KeyFile), false); err != nil {
		return fmt.Errorf("audit chain key: %w", err)
	}
	if *checkpoints == "" {
		*checkpoints = filepath.Join(d.dataDir, audit.CheckpointFile)
	}
	db, err := open(ctx, &d)
	if err != nil {
		return err
	}
	defer db.Close()
	res, err := (&audit.Service{DB: db, Checkpoints: *checkpoints}).Verify(ctx)
	if err != nil {
		return err
	}
	fmt.Println(res.Message)
	for _, p := range res.Problems {
		fmt.Println("  " + p.Message)
	}
	if res.Count > len(res.Problems) {
		fmt.Printf("  ……（共 %d 处，仅列出前 %d 处）\n", res.Count, len(res.Problems))
	}
	if !res.OK {
		os.Exit(3)
	}
	return nil
}

// startPprof serves the runtime profiles of net/http/pprof on addr (empty:
// not at all), on their own listener and mux so that they never appear on
// the console's: they are for the load benchmarks (docs/benchmarks.md).
func startPprof(addr string) {
	if addr == "" {
		return
	}
	m := http.NewServeMux()
	m.HandleFunc("/debug/pprof/", pprof.Index)
	m.HandleFunc("/debug/pprof/profile", pprof.Profile)
	m.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { slog.Error("pprof", "err", http.ListenAndServe(addr, m)) }()
}
