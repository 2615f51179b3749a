// Package apptest gives tests the application (internal/app) over a
// private copy of the Changzhou demo database, seeded once per package run
// on each database (storetest.Seed): the services as govfleet builds them,
// without HTTP, gateway or jobs. A package that uses it calls
// storetest.Main from its TestMain.
package apptest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"

	"govfleet/internal/access"
	"govfleet/internal/app"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/demo"
	"govfleet/internal/storetest"
)

// World is the application over a copy of the demo database; its
// services are the App's (w.Org, w.Booking, w.DB…).
type World struct{ *app.App }

// demoSeed is the demo with the working calendars of this year and the
// next (Beijing's), the years the tests' dates lie in: app.New seeds them.
var demoSeed = storetest.NewSeed("demo", func(ctx context.Context, dsn, dataDir string) error {
	a, err := app.New(ctx, app.Config{DB: dsn, DataDir: dataDir, Demo: true})
	if err != nil {
		return err
	}
	return a.Close()
})

// Each runs fn once per available database as subtests "sqlite" and
// "postgres", each with a world of its own.
func Each(t *testing.T, fn func(t *testing.T, w *World)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// SQLite returns a world on a copy of the demo in a SQLite file.
func SQLite(t testing.TB) *World { return open(t, SQLiteConfig(t)) }

// Postgres returns a world on a copy of the demo in a PostgreSQL database
// of its own; it skips the test when GOVFLEET_TEST_POSTGRES is not set.
func Postgres(t testing.TB) *World {
	t.Helper()
	dsn, dir := demoSeed.Postgres(t)
	return open(t, app.Config{DB: dsn, DataDir: dir})
}

// SQLiteConfig is the Config of a fresh copy of the demo in a SQLite file,
// for a test that runs more of the application than a World does.
func SQLiteConfig(t testing.TB) app.Config {
	t.Helper()
	path, dir := demoSeed.SQLite(t)
	return app.Config{DB: path, DataDir: dir}
}

func open(t testing.TB, cfg app.Config) *World {
	t.Helper()
	a, err := app.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("app: %v", err)
	}
	t.Cleanup(func() { a.Close() })
	return &World{a}
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

// Workday is hour:00 Beijing time on the first ordinary working day at
// least days days after today's Beijing date — a Monday to Thursday that
// is neither a statutory holiday nor a make-up working day of the State
// Council's schedule, nor is the day after it — so that a test's slots of
// that day and the next stay within working days whatever the date and the
// hour the test runs at (R-15 seals vehicles on holidays; a shift's hours
// never straddle a Beijing midnight by accident).
func Workday(days, hour int) time.Time {
	d := beijing.DayStart(time.Now()).AddDate(0, 0, days)
	ordinary := func(d time.Time) bool {
		return d.Weekday() >= time.Monday && d.Weekday() <= time.Friday && HolidayUtil.GetHoliday(beijing.Date(d)) == nil
	}
	for !ordinary(d) || !ordinary(d.AddDate(0, 0, 1)) {
		d = d.AddDate(0, 0, 1)
	}
	return d.Add(time.Duration(hour) * time.Hour).UTC()
}

// BJ reads "2006-01-02 15:04" as Beijing time.
func BJ(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, beijing.Zone)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}
