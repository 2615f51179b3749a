package storetest

import (
	"context"
	"path/filepath"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/company"
	"govfleet/internal/demo"
	"govfleet/internal/fleet"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/ledger"
	"govfleet/internal/maintenance"
	"govfleet/internal/notify"
	"govfleet/internal/org"
	"govfleet/internal/rental"
	"govfleet/internal/store"
)

// World is a database holding the Changzhou demo hierarchy and accounts,
// with the services wired as in main.
type World struct {
	DB      *store.DB
	Org     *org.Service
	Auth    *auth.Service
	Audit   *audit.Service
	Fleet   *fleet.Service
	Booking *booking.Service
	// Outside organisations (issue 6).
	Companies  *company.Service
	Insurance  *insurance.Service
	Inspection *inspection.Service
	Ledger     *ledger.Service

	Maintenance *maintenance.Service
	Rental      *rental.Service
}

// NewWorld seeds db with the demo.
func NewWorld(t testing.TB, db *store.DB) *World {
	t.Helper()
	o := &org.Service{DB: db}
	w := &World{DB: db, Org: o, Auth: &auth.Service{DB: db, Org: o}, Audit: &audit.Service{DB: db},
		Fleet: &fleet.Service{DB: db, Blobs: fleet.FSBlobs{Dir: filepath.Join(t.TempDir(), "blobs")}}}
	if _, err := demo.Seed(context.Background(), w.Org, w.Auth, w.Fleet.Blobs); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	cal := &calendar.Calendar{DB: db}
	if _, err := cal.SeedYears(context.Background(), 2026, 2027); err != nil {
		t.Fatalf("seed calendar: %v", err)
	}
	w.Booking = &booking.Service{DB: db, Calendar: cal, Notify: &notify.Notifier{DB: db, SMS: notify.LogSMS{}}}
	w.Companies = &company.Service{DB: db, Org: o, Auth: w.Auth}
	w.Auth.KeyMaster = []byte("test master key of the API key secrets")
	w.Auth.TOTPKey = []byte("test key of the TOTP secrets")
	w.Insurance = &insurance.Service{DB: db, Notify: w.Booking.Notify}
	w.Inspection = &inspection.Service{DB: db, Notify: w.Booking.Notify}
	w.Ledger = &ledger.Service{DB: db}
	w.Maintenance = &maintenance.Service{DB: db, Fleet: w.Fleet, Notify: w.Booking.Notify}
	w.Rental = &rental.Service{DB: db, Booking: w.Booking, Notify: w.Booking.Notify}
	return w
}

// Actor logs username in (demo password) and returns its actor.
func (w *World) Actor(t testing.TB, username string) *access.Actor {
	t.Helper()
	return w.Principal(t, username).Actor
}

// Principal logs username in and returns the authenticated principal.
func (w *World) Principal(t testing.TB, username string) *auth.Principal {
	t.Helper()
	ctx := context.Background()
	l, err := w.Auth.Login(ctx, username, demo.Password, "127.0.0.1", "test")
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	p, err := w.Auth.Authenticate(ctx, l.Token, "127.0.0.1")
	if err != nil {
		t.Fatalf("authenticate %s: %v", username, err)
	}
	return p
}

// UnitID returns the id of the node called name.
func (w *World) UnitID(t testing.TB, name string) int64 {
	t.Helper()
	var id int64
	if err := w.DB.R.NewSelect().Table("units").Column("id").Where("name = ?", name).Scan(context.Background(), &id); err != nil {
		t.Fatalf("unit %s: %v", name, err)
	}
	return id
}

// Count returns the number of rows of table.
func (w *World) Count(t testing.TB, table string) int {
	t.Helper()
	n, err := w.DB.R.NewSelect().Table(table).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// UnitPath returns the materialised path of the node called name.
func (w *World) UnitPath(t testing.TB, name string) string {
	t.Helper()
	var p string
	if err := w.DB.R.NewSelect().Table("units").Column("path").Where("name = ?", name).Scan(context.Background(), &p); err != nil {
		t.Fatalf("unit %s: %v", name, err)
	}
	return p
}

// BoundTerminal returns the SIM number and the vehicle of the first
// terminal bound to a vehicle.
func (w *World) BoundTerminal(t testing.TB) (sim string, vehicle int64) {
	t.Helper()
	if err := w.DB.R.QueryRowContext(context.Background(),
		"SELECT sim, vehicle_id FROM terminals WHERE vehicle_id IS NOT NULL ORDER BY id LIMIT 1").Scan(&sim, &vehicle); err != nil {
		t.Fatalf("bound terminal: %v", err)
	}
	return sim, vehicle
}
