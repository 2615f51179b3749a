// Package storetest gives tests real databases: SQLite always, and
// PostgreSQL when GOVFLEET_TEST_POSTGRES holds a URL (CI sets it). SQLite,
// Postgres and Each give a test its own copy of a database with every
// migration applied; a Seed gives each test a copy of a database filled
// once per package run (the demo: apptest). A package that uses them calls
// Main from its TestMain.
package storetest

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/store"
)

func init() {
	// Tests create many accounts and log in thousands of times; keep
	// argon2id cheap there: 64 KiB, a sixteenth of the 1 MiB they used
	// (hashing took 11 of internal/httpapi's 86 test CPU s, most of it the
	// unknown-name hash made before this ran: auth's dummyHash).
	auth.HashParams.Memory = 64
	// The audit chain's MAC key, which the server reads from its data
	// directory (audit.LoadKeys).
	audit.SetKeys(TestAuditKey)
}

// TestAuditKey is the audit chain key of every test database.
var TestAuditKey = []byte("govfleet test audit chain key, 32+ bytes")

// Each runs fn once per available database as subtests "sqlite" and
// "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// migratedSeed is an empty database with every migration applied, made
// once per run and copied for each test (a file copy, or CREATE DATABASE …
// TEMPLATE) instead of migrating for each: that took ~0.1 CPU s on SQLite
// and ~1 s on PostgreSQL, ~80 times a run.
var migratedSeed = NewSeed("migrated", func(ctx context.Context, dsn, _ string) error {
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx)
	return errors.Join(err, db.Close())
})

// SQLite opens a migrated database in a fresh temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	path, _ := migratedSeed.SQLite(t)
	return open(t, path)
}

// Postgres opens a migrated database of its own on the server named by
// GOVFLEET_TEST_POSTGRES; it skips the test when that is not set.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	dsn, _ := migratedSeed.Postgres(t)
	return open(t, dsn)
}

// Empty opens a database with no migration applied — a fresh SQLite file,
// or a fresh schema on the PostgreSQL server — for the tests of
// store.Migrate.
func Empty(t testing.TB, postgres bool) *store.DB {
	t.Helper()
	if !postgres {
		return open(t, filepath.Join(t.TempDir(), "test.db"))
	}
	base := os.Getenv("GOVFLEET_TEST_POSTGRES")
	if base == "" {
		t.Skip("GOVFLEET_TEST_POSTGRES not set")
	}
	schema := "t_" + randomName()
	ctx := context.Background()
	admin, err := store.Open(ctx, base)
	if err != nil {
		t.Fatalf("connect %s: %v", base, err)
	}
	if _, err := admin.W.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.W.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return open(t, testDSN(u.String()))
}

// testDSN is the PostgreSQL URL dsn whose sessions commit without waiting
// for the server's disk (synchronous_commit off: what a test commits is seen
// at once all the same; only a crash of the server could lose it).
func testDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		panic(err)
	}
	q := u.Query()
	q.Set("synchronous_commit", "off")
	u.RawQuery = q.Encode()
	return u.String()
}

func open(t testing.TB, dsn string) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Counter numbers a test's fixtures (plates, mobiles, codes) from a base drawn
// once per run below span: one database never gets two alike, as it could
// when each number mixed in a random offset of its own, and runs differ from
// each other.
func Counter(span int64) *atomic.Int64 {
	var n atomic.Int64
	n.Store(time.Now().UnixNano() % span)
	return &n
}
