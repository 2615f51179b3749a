// Package app builds the platform once: every service over one database,
// the HTTP API, the JT/T 808 gateway with its position writer, the demo
// fleet simulator and the background jobs. `govfleet` (serve, init,
// migrate, audit-verify) and the tests (internal/app/apptest) construct it
// the same way; what a caller does not want (HTTP, gateway, jobs) it leaves
// out of the Config.
package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"govfleet/internal/annual"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/company"
	"govfleet/internal/demo"
	"govfleet/internal/dispatch"
	"govfleet/internal/fleet"
	"govfleet/internal/fuel"
	"govfleet/internal/gateway"
	"govfleet/internal/geo"
	"govfleet/internal/health"
	"govfleet/internal/httpapi"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/jt808"
	"govfleet/internal/ledger"
	"govfleet/internal/loans"
	"govfleet/internal/maintenance"
	"govfleet/internal/monitor"
	"govfleet/internal/notices"
	"govfleet/internal/notify"
	"govfleet/internal/org"
	"govfleet/internal/partner"
	"govfleet/internal/rental"
	"govfleet/internal/ridehail"
	"govfleet/internal/savings"
	"govfleet/internal/savingsrate"
	"govfleet/internal/sim"
	"govfleet/internal/stats"
	"govfleet/internal/store"
	"govfleet/internal/supervision"
	"govfleet/internal/telematics"
	"govfleet/internal/trips"
	"govfleet/internal/visitors"
)

// Config is what the application is built from. The zero value of each
// optional part leaves it out.
type Config struct {
	DB      string // postgres://… for PostgreSQL, or a SQLite file path
	DataDir string // uploaded files (blobs/), the API key master key, the audit chain's key and checkpoints

	// VerifyOnly: the audit chain's key must exist already (audit-verify);
	// otherwise New creates it on first start.
	VerifyOnly bool

	Demo      bool   // fill an empty database with the Changzhou demo
	DemoCity  string // with Demo: the city's name instead of 常州市 (a partner city's demo)
	DemoFleet int    // with Demo and a gateway: simulated terminals driving against it

	Listen        string // HTTP address ("": none; Handler serves in tests)
	Secure        bool   // mark cookies Secure (behind HTTPS)
	Web           fs.FS  // the built console; nil: none
	GatewayListen string // JT/T 808 gateway address ("": none)

	TileURL, TileAttribution string // the live map's tiles
	TileDatum                string // "gcj02": the tiles are GCJ-02 (AMap); else WGS-84
	RetentionDays            int    // keep positions this many days (0: all)

	// The ride-hailing provider of the visitors' bookings: its API's
	// base URL ("": none; with Demo, the simulator at ridehail.DemoAddr),
	// OAuth client credentials and the callbacks' signing key; PublicURL is
	// this server's address as the provider reaches it (default from
	// Listen).
	RideURL, RideName, RideClientID, RideClientSecret, RideCallbackSecret string
	PublicURL                                                             string

	// How often the periodic jobs and the telematics jobs (trips, terminal
	// health, pruning) run; 0: that loop does not run.
	JobsEvery, TelematicsEvery time.Duration
	// PartnerEvery is how often the partner outbox is delivered; 0: never.
	PartnerEvery time.Duration
}

// App is the built application. Its services are the API server's fields
// (one list: a.Org, a.Booking, a.Trips…), each built once over DB.
type App struct {
	*httpapi.Server
	DB       *store.DB
	Migrated int // migrations New applied

	cfg    Config
	latest *telematics.Latest

	cancel      context.CancelFunc // the demo fleet and the jobs
	http        *http.Server
	httpAddr    string
	stopGateway context.CancelFunc
	writer      *telematics.Writer
	bg          sync.WaitGroup // the gateway, the demo fleet, the HTTP server
	jobs        sync.WaitGroup // the job loops
	failed      chan error

	closeOnce sync.Once
	closeErr  error
}

// New opens and migrates the database and builds every service over it: the
// API key master key from DataDir, the demo when asked, the working
// calendar of this year and the next. Nothing runs before Run.
func New(ctx context.Context, cfg Config) (*App, error) {
	db, err := store.Open(ctx, cfg.DB)
	if err != nil {
		return nil, err
	}
	a := &App{DB: db, cfg: cfg, latest: &telematics.Latest{}, failed: make(chan error, 3),
		cancel: func() {}, stopGateway: func() {}}
	if err := a.build(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return a, nil
}

func (a *App) build(ctx context.Context) error {
	db, cfg := a.DB, a.cfg
	var err error
	if a.Migrated, err = db.Migrate(ctx); err != nil {
		return err
	}
	o := &org.Service{DB: db}
	au := &auth.Service{DB: db, Org: o}
	if au.KeyMaster, err = auth.LoadKeyMaster(filepath.Join(cfg.DataDir, "apikey-master.key")); err != nil {
		return fmt.Errorf("API key master key: %w", err)
	}
	// Issue 19: the key the accounts' TOTP secrets are sealed with.
	if au.TOTPKey, err = auth.LoadKeyMaster(filepath.Join(cfg.DataDir, "totp-master.key")); err != nil {
		return fmt.Errorf("TOTP key: %w", err)
	}
	// Issue 19: the audit chain's MAC key, outside the database.
	if err := audit.LoadKeys(filepath.Join(cfg.DataDir, audit.KeyFile), !cfg.VerifyOnly); err != nil {
		return fmt.Errorf("audit chain key: %w", err)
	}
	f := &fleet.Service{DB: db, Blobs: fleet.FSBlobs{Dir: filepath.Join(cfg.DataDir, "blobs")}}
	nt := &notify.Notifier{DB: db, SMS: notify.LogSMS{}}
	au.SMS = nt.SMS // password-reset codes (issue 19)
	b := &booking.Service{DB: db, Calendar: &calendar.Calendar{DB: db}, Notify: nt}
	gc := &geo.Geocoder{Key: geo.TiandituKey(cfg.TileURL)} // addresses: 天地图 with the map's key, else offline
	a.Server = &httpapi.Server{Org: o, Auth: au, Audit: &audit.Service{DB: db, Checkpoints: filepath.Join(cfg.DataDir, audit.CheckpointFile)}, Fleet: f, Booking: b,
		Monitor:     &monitor.Service{DB: db, Latest: a.latest, TileURL: cfg.TileURL, TileAttribution: cfg.TileAttribution, TileDatum: cfg.TileDatum, Geo: gc},
		Supervision: &supervision.Service{DB: db, Notify: nt, Blobs: f.Blobs, Geo: gc},
		Web:         cfg.Web, Secure: cfg.Secure,
		Companies:   &company.Service{DB: db, Org: o, Auth: au},
		Insurance:   &insurance.Service{DB: db, Notify: nt},
		Inspection:  &inspection.Service{DB: db, Notify: nt},
		Ledger:      &ledger.Service{DB: db},
		Maintenance: &maintenance.Service{DB: db, Fleet: f, Notify: nt},
		Rental:      &rental.Service{DB: db, Booking: b, Notify: nt},
		Fuel:        &fuel.Service{DB: db},
		Trips:       &trips.Service{DB: db, Booking: b},
		Health:      &health.Service{DB: db, Geo: gc},
		Loans:       &loans.Service{DB: db},
		Savings:     &savings.Service{DB: db},
		Dispatch:    &dispatch.Service{DB: db, Notify: nt},
		Stats:       &stats.Service{DB: db, Latest: a.latest},
		Annual:      &annual.Service{DB: db, Notify: nt}}
	// partner cities' platforms; their keys sealed with the API key master key.
	a.Partner = &partner.Service{DB: db, Booking: b, Notify: nt, Key: au.KeyMaster}
	b.Partner = a.Partner
	// Issue 23 parts 4 and 5: notices with the order attachments' checks,
	// and the savings rate, whose market-price basis prices the uses of
	// integrated dispatch (issue 21).
	a.Notices = &notices.Service{DB: db, Notify: nt, Blobs: f.Blobs}
	a.SavingsRate = &savingsrate.Service{DB: db, Market: savings.MarketPrices{DB: db}}
	// Visitors, verified by their home platform when it is a partner.
	a.Server.Visitors = &visitors.Service{DB: db, Auth: au, Booking: b, Notify: nt, SMS: nt.SMS, Ride: rideProvider(cfg), CallbackURL: callbackURL(cfg), Home: partnerHome{a.Partner}}
	if cfg.Demo {
		seeded, err := demo.Seed(ctx, o, au, f.Blobs)
		if err != nil {
			return fmt.Errorf("demo: %w", err)
		}
		if seeded && cfg.DemoCity != "" { // a partner city's demo (govfleet partner-demo)
			if _, err := db.W.NewRaw("UPDATE units SET name = ? WHERE parent_id IS NULL", cfg.DemoCity).Exec(ctx); err != nil {
				return fmt.Errorf("demo city: %w", err)
			}
		}
		debug.FreeOSMemory() // return the seeding's garbage: the server's RSS is measured by scripts/loadtest
	}
	// the working calendar of this year and the next, from the State
	// Council's schedules as maintained by lunar-go; edits by the
	// administrator are kept.
	year := time.Now().In(beijing.Zone).Year()
	if n, err := b.Calendar.SeedYears(ctx, year, year+1); err != nil {
		return fmt.Errorf("calendar: %w", err)
	} else if n > 0 {
		slog.Info("calendar seeded", "days", n)
	}
	return nil
}

// Run starts what the Config asks for — the HTTP server, the JT/T 808
// gateway with its position writer and the demo fleet, the live map's
// positions, the job loops — and returns once they run. They stop when ctx
// ends or at Close; a server that fails reports on Failed.
func (a *App) Run(ctx context.Context) (err error) {
	ctx, a.cancel = context.WithCancel(ctx)
	cfg := a.cfg
	var ln net.Listener
	if cfg.Listen != "" {
		if ln, err = net.Listen("tcp", cfg.Listen); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				ln.Close()
			}
		}()
		a.httpAddr = ln.Addr().String()
		a.http = a.HTTPServer()
	}
	a.every(ctx, cfg.JobsEvery, a.periodic())
	if err := a.startGateway(ctx); err != nil {
		return err
	}
	// The live map starts from the stored positions, not from nothing.
	if n, err := telematics.Preload(ctx, a.DB, a.latest); err != nil {
		return err
	} else if n > 0 {
		slog.Info("latest positions loaded", "terminals", n)
	}
	a.every(ctx, cfg.TelematicsEvery, a.telematics())
	a.every(ctx, cfg.PartnerEvery, a.Partner.Job) // messages to partner cities
	if a.http != nil {
		a.bg.Go(func() {
			if err := a.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				a.failed <- err
			}
		})
	}
	return nil
}

// startGateway starts the JT/T 808 gateway: terminals of the
// registry report into the positions table through the group-commit
// writer; the live map reads the shared Latest. With the demo, simulated
// terminals of the demo's vehicles drive against it.
func (a *App) startGateway(ctx context.Context) error {
	cfg := a.cfg
	if cfg.GatewayListen == "" {
		return nil
	}
	var err error
	if a.writer, err = telematics.NewWriter(ctx, a.DB, telematics.WriterOptions{Latest: a.latest}); err != nil {
		return err
	}
	dir := &fleet.Directory{DB: a.DB}
	gw := &gateway.Server{Directory: dir, Writer: a.writer, LastFix: a.latest.ByTerminal, Events: a.Server.Health,
		Recorder: &fleet.Recorder{Fleet: a.Fleet},
		Takeover: func(ctx context.Context) gateway.TakeoverPolicy {
			p, err := a.Server.Auth.Policy(ctx)
			if err != nil {
				slog.Error("gateway: reading the take-over policy, refusing the newcomer", "err", err)
				return gateway.RefuseNewcomer
			}
			return gateway.TakeoverPolicy(p.TerminalTakeover)
		}}
	a.Monitor.Gateway = gw
	gln, err := net.Listen("tcp", cfg.GatewayListen)
	if err != nil && cfg.Demo {
		// A demo (or a browser test) next to another one: any free port will do.
		slog.Warn("gateway address in use, the demo gateway takes a free port", "addr", cfg.GatewayListen, "err", err)
		gln, err = net.Listen("tcp", "127.0.0.1:0")
	}
	if err != nil {
		return fmt.Errorf("gateway listen: %w", err)
	}
	gctx, stop := context.WithCancel(context.Background())
	a.stopGateway = stop
	a.bg.Go(func() {
		if err := gw.Serve(gctx, gln); err != nil {
			a.failed <- err
		}
	})
	if !cfg.Demo || cfg.DemoFleet <= 0 {
		return nil
	}
	phones, err := dir.BoundPhones(ctx, cfg.DemoFleet)
	if err == nil {
		phones, err = demo.Fleet(ctx, a.DB, a.writer, phones, time.Now())
	}
	var ids map[string]jt808.Register
	if err == nil {
		ids, err = dir.Identities(ctx, phones)
	}
	if err != nil {
		return fmt.Errorf("demo fleet: %w", err)
	}
	slog.Info("demo fleet driving", "terminals", len(phones), "gateway", gln.Addr().String())
	a.bg.Go(func() {
		// The simulator stops with the jobs (ctx), before the gateway.
		sim.Run(ctx, sim.Config{Gateway: gln.Addr().String(), Phones: phones, Identities: ids, Seed: uint64(time.Now().UnixNano()),
			RampUp: 3 * time.Second, Logger: slog.Default().With("component", "demo-fleet")})
	})
	return nil
}

// Addr is the HTTP server's address once Run listens ("" without one).
func (a *App) Addr() string { return a.httpAddr }

// Failed reports a server (HTTP, gateway) that stopped by itself.
func (a *App) Failed() <-chan error { return a.failed }

// Close stops everything in order — the HTTP server (requests under way
// get 10 s), the gateway (it acknowledges the reports being stored and
// closes the terminals) and the demo fleet, the writer's flush, the job
// loops (a run under way sees its context end) — and closes the database
// only when all have ended. It may be called more than once.
func (a *App) Close() error {
	a.closeOnce.Do(func() {
		a.cancel()
		var err error
		if a.http != nil {
			sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			err = a.http.Shutdown(sctx)
			cancel()
		}
		if a.cfg.JobsEvery > 0 {
			// Issue 19: the chain's head, signed, outside the database, as the server stops.
			err = errors.Join(err, a.Audit.Checkpoint(context.Background()))
		}
		a.stopGateway()
		a.bg.Wait()
		if a.writer != nil {
			err = errors.Join(err, a.writer.Close())
		}
		a.jobs.Wait()
		a.closeErr = errors.Join(err, a.DB.Close())
	})
	return a.closeErr
}

// rideProvider is the ride-hailing provider of the Config: the demo's
// simulator when the demo names none.
func rideProvider(cfg Config) ridehail.Provider {
	p := &ridehail.HTTP{Label: cfg.RideName, BaseURL: cfg.RideURL, ClientID: cfg.RideClientID, ClientSecret: cfg.RideClientSecret, Secret: []byte(cfg.RideCallbackSecret)}
	if p.BaseURL == "" {
		if !cfg.Demo {
			return nil
		}
		p.BaseURL, p.ClientID, p.ClientSecret, p.Secret = "http://"+ridehail.DemoAddr, ridehail.DemoClientID, ridehail.DemoClientSecret, []byte(ridehail.DemoCallbackSecret)
	}
	if p.Label == "" {
		p.Label = ridehail.DemoName
	}
	return p
}

// callbackURL is where the provider posts its callbacks.
func callbackURL(cfg Config) string {
	base := cfg.PublicURL
	if base == "" {
		host := cfg.Listen
		if strings.HasPrefix(host, ":") {
			host = "127.0.0.1" + host
		}
		base = "http://" + host
	}
	return strings.TrimRight(base, "/") + "/api/ridehail/callback"
}

// partnerHome verifies a visitor with its home city's platform when that
// city is a partner: the partner API's visitor question.
type partnerHome struct{ p *partner.Service }

func (h partnerHome) VerifyVisitor(ctx context.Context, homeCity, name, mobile, unitName string) (visitors.Verdict, error) {
	p, err := h.p.ByCity(ctx, homeCity)
	if err != nil || p == nil {
		return visitors.NotPartner, err
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second) // the visitor waits on the phone
	defer cancel()
	ok, err := h.p.VerifyVisitor(ctx, p.ID, name, mobile, unitName)
	switch {
	case err != nil:
		return visitors.NotPartner, err
	case ok:
		return visitors.Confirmed, nil
	}
	return visitors.Denied, nil
}
