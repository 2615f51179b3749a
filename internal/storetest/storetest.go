// Package storetest gives tests real databases: a fresh SQLite file always,
// and a fresh PostgreSQL schema when GOVFLEET_TEST_POSTGRES holds a URL
// (CI sets it). Each runs the migrations first. A Seed gives each test a
// copy of a database filled once per package run (the demo: apptest).
package storetest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"govfleet/internal/auth"
	"govfleet/internal/store"
)

func init() {
	// Tests create many accounts; keep argon2id cheap there.
	auth.HashParams.Memory = 1024
}

// Each runs fn once per available database as subtests "sqlite" and
// "postgres".
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { fn(t, SQLite(t)) })
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, Postgres(t)) })
	}
}

// SQLite opens a migrated database in a fresh temporary file.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return openMigrated(t, filepath.Join(t.TempDir(), "test.db"))
}

// Postgres opens a migrated database in a fresh schema of the server named
// by GOVFLEET_TEST_POSTGRES; it skips the test when that is not set.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
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
	return openMigrated(t, u.String())
}

func openMigrated(t testing.TB, dsn string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatalf("open %s: %v", dsn, err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}
