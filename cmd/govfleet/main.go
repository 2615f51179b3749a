// Command govfleet is the official-vehicle platform: API, web console and
// background jobs in one binary.
//
//	govfleet serve [--demo] [--listen ADDR] [--gateway-listen ADDR] [--demo-fleet N] [--tile-url URL] [--retention-days N] [--db URL] [--data-dir DIR]
//	govfleet migrate [--demo] [--db URL] [--data-dir DIR]
//	govfleet init --admin NAME [--city NAME]   first accounts on an empty database
//	govfleet audit-verify [--db URL] [--checkpoints FILE]   check the audit log's keyed chain
//	govfleet rollup-rebuild --from D --to D [--db URL]   recompute the statistics' roll-ups of a range
//	govfleet ledger-rebuild [--db URL]   recompute the cost ledger's kept totals
//	govfleet partner-demo [--keep]   two cities' platforms exchanging bookings
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
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/demo"
	"govfleet/internal/ledger"
	"govfleet/internal/ridehail"
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
	case "rollup-rebuild":
		err = rollupRebuild(ctx, os.Args[2:])
	case "ledger-rebuild":
		err = ledgerRebuild(ctx, os.Args[2:])
	case "simulate":
		err = simulate(ctx, os.Args[2:])
	case "partner-demo":
		err = partnerDemo(ctx, os.Args[2:])
	case "ridehail-sim":
		err = ridehailSim(ctx, os.Args[2:])
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
  migrate       apply database migrations (and with --demo fill the demo) and exit
  init          create the city root and its first administrators on an empty database
  audit-verify  check the audit log's keyed chain against the signed checkpoints
  rollup-rebuild  recompute the statistics' daily roll-ups of a range (--from, --to: Beijing dates)
  ledger-rebuild  recompute the cost ledger's kept monthly totals from its entries
  simulate      run simulated JT/T 808 terminals against a gateway (load generator)
  partner-demo  start Changzhou and a partner city (无锡) side by side and play a booking each way (R-18)
  ridehail-sim  run the ride-hailing provider simulator (模拟) the demo's visitors' rides use
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

// config is the application's Config of a command: its database and data
// directory, nothing running.
func (d *dbFlags) config() app.Config { return app.Config{DB: d.db, DataDir: d.dataDir} }

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
	tileDatum := fs.String("tile-datum", "wgs84", "datum of the map tiles: wgs84 (天地图, CGCS2000) or gcj02 (AMap and other maps published in China: positions are shifted to match)")
	retention := fs.Int("retention-days", 365, "keep positions this many days (0: keep all)")
	pprofListen := fs.String("pprof", "", "serve Go's runtime profiles (net/http/pprof) on this address, e.g. 127.0.0.1:6060 (empty: off)")
	partnerEvery := fs.Duration("partner-every", 2*time.Second, "how often messages to partner cities' platforms are delivered (R-18)")
	demoCity := fs.String("demo-city", "", "with --demo: the city's name instead of 常州市 (a partner city's demo, govfleet partner-demo)")
	rideURL := fs.String("ridehail-url", "", "base URL of the ride-hailing provider's enterprise API for visitors' rides (empty: none; with --demo the simulator `govfleet ridehail-sim` at "+ridehail.DemoAddr+")")
	rideName := fs.String("ridehail-name", "", "the ride-hailing provider's name shown to people")
	rideID := fs.String("ridehail-client-id", "", "OAuth client id at the ride-hailing provider")
	rideSecret := fs.String("ridehail-client-secret", "", "OAuth client secret at the ride-hailing provider")
	rideCallback := fs.String("ridehail-callback-secret", "", "key the ride-hailing provider signs its callbacks with")
	publicURL := fs.String("public-url", "", "this server's address as outside services reach it, for their callbacks (default from --listen)")
	hashMemory := demoHashFlag(fs)
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	if err := hashMemory(*withDemo); err != nil {
		return err
	}
	if *tileDatum != "wgs84" && *tileDatum != "gcj02" {
		return fmt.Errorf("--tile-datum: %q, want wgs84 or gcj02", *tileDatum)
	}
	startPprof(*pprofListen)
	cfg := d.config()
	cfg.Demo, cfg.DemoFleet, cfg.Listen, cfg.GatewayListen, cfg.Secure = *withDemo, *demoFleet, *listen, *gatewayListen, *secure
	cfg.TileURL, cfg.TileAttribution, cfg.TileDatum, cfg.RetentionDays = *tileURL, *tileAttr, *tileDatum, *retention
	cfg.JobsEvery, cfg.TelematicsEvery = 10*time.Minute, time.Minute
	cfg.PartnerEvery, cfg.DemoCity = *partnerEvery, *demoCity
	cfg.RideURL, cfg.RideName, cfg.RideClientID, cfg.RideClientSecret, cfg.RideCallbackSecret, cfg.PublicURL = *rideURL, *rideName, *rideID, *rideSecret, *rideCallback, *publicURL
	if cfg.Web = web.App(); cfg.Web == nil {
		slog.Warn("web console not built; run `make web` — the API works without it")
	}
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.Run(ctx); err != nil {
		return err
	}
	url := "http://" + a.Addr()
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
	case err := <-a.Failed():
		return err
	case <-ctx.Done():
	}
	slog.Info("shutting down")
	return a.Close()
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

// demoHashFlag declares --demo-hash-memory on fs; the function it returns, called after parsing with whether --demo
// was given, checks the value and sets the argon2id memory of the hashes the demo's filling makes.
func demoHashFlag(fs *flag.FlagSet) func(withDemo bool) error {
	kib := fs.Uint("demo-hash-memory", 0, "with --demo: argon2id memory in KiB, 1024 or more, of the demo accounts' password hashes (default: the server's, 65536). The demo's password is published, so its hashes guard nothing: the tests pass 1024, fill the demo in half the CPU and log in with a 1 ms check instead of 80 ms (a hash carries its parameters; passwords set later get the server's)")
	return func(withDemo bool) error {
		if *kib == 0 {
			return nil
		}
		if !withDemo || *kib < 1024 || *kib > 1<<22 {
			return errors.New("--demo-hash-memory goes with --demo, from 1024 to 4194304 KiB")
		}
		auth.HashParams.Memory = uint32(*kib)
		return nil
	}
}

func migrate(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("migrate", &d)
	withDemo := fs.Bool("demo", false, "fill an empty database with the Changzhou demo, as serve --demo does before it serves (the browser tests copy such a data directory for each server)")
	hashMemory := demoHashFlag(fs)
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	if err := hashMemory(*withDemo); err != nil {
		return err
	}
	cfg := d.config()
	cfg.Demo = *withDemo
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("%d migration(s) applied\n", a.Migrated)
	return a.Close()
}

// ledgerRebuild recomputes the cost ledger's kept totals (cost_totals)
// from its entries, e.g. after entries were written outside ledger.Post.
func ledgerRebuild(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("ledger-rebuild", &d)
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	a, err := app.New(ctx, d.config())
	if err != nil {
		return err
	}
	err = ledger.Rebuild(ctx, a.DB)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Println("cost totals rebuilt")
	}
	return err
}

// rollupRebuild recomputes the statistics' roll-ups (issue 23) of the
// Beijing days --from..--to from the daily mileage and the orders, and
// the unit months and costs of the months they touch.
func rollupRebuild(ctx context.Context, args []string) error {
	var d dbFlags
	fs := newFlags("rollup-rebuild", &d)
	today := beijing.Date(time.Now())
	from := fs.String("from", today[:4]+"-01-01", "first Beijing day (YYYY-MM-DD)")
	to := fs.String("to", today, "last Beijing day (YYYY-MM-DD)")
	if err := parse(fs, args, &d); err != nil {
		return err
	}
	a, err := app.New(ctx, d.config())
	if err != nil {
		return err
	}
	start := time.Now()
	err = a.Stats.Rebuild(ctx, *from, *to)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		fmt.Printf("roll-ups of %s to %s rebuilt in %s\n", *from, *to, time.Since(start).Round(time.Millisecond))
	}
	return err
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
	a, err := app.New(ctx, d.config())
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := a.DB.R.NewSelect().Table("users").Count(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		return errors.New("the database already has accounts; init only runs on an empty database")
	}
	root, err := a.Org.CreateRoot(ctx, *city, "")
	if err != nil {
		return err
	}
	for _, acct := range []struct {
		suffix, name string
		role         access.Role
	}{{"", "平台管理员", access.PlatformAdmin}, {"_sys", "系统管理员", access.SysAdmin}, {"_sec", "安全管理员", access.SecAdmin}, {"_audit", "审计管理员", access.AuditAdmin}} {
		pw := auth.GeneratePassword()
		if _, err := a.Auth.Bootstrap(ctx, *admin+acct.suffix, acct.name, "", pw, root.ID, true, acct.role); err != nil {
			return err
		}
		fmt.Printf("%-16s %-10s initial password: %s (must be changed at first login)\n", *admin+acct.suffix, acct.name, pw)
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
	cfg := d.config()
	cfg.VerifyOnly = true // a missing chain key is an error, not a new key
	a, err := app.New(ctx, cfg)
	if err != nil {
		return err
	}
	if *checkpoints != "" {
		a.Audit.Checkpoints = *checkpoints
	}
	res, err := a.Audit.Verify(ctx)
	if cerr := a.Close(); err == nil {
		err = cerr
	}
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
