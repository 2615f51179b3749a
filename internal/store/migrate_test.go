package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

const (
	current17    = "0017_trip_box_no_positions_at_index.sql"
	superseded17 = "0017_positions_no_at_index.sql"
)

func sum(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func migrationFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(store.MigrationFiles, "migrations/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// withFiles is the embedded migrations with changes: a name mapped to nil is
// removed, any other written.
func withFiles(t *testing.T, changes map[string][]byte) fstest.MapFS {
	t.Helper()
	files := fstest.MapFS{}
	entries, err := fs.ReadDir(store.MigrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		files["migrations/"+e.Name()] = &fstest.MapFile{Data: migrationFile(t, e.Name())}
	}
	for name, b := range changes {
		if b == nil {
			delete(files, "migrations/"+name)
		} else {
			files["migrations/"+name] = &fstest.MapFile{Data: b}
		}
	}
	return files
}

// records lists schema_migrations as "version name checksum".
func records(t *testing.T, db *store.DB) []string {
	t.Helper()
	var out []string
	if err := db.R.NewRaw("SELECT CAST(version AS TEXT) || ' ' || name || ' ' || checksum FROM schema_migrations ORDER BY version").
		Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// schema lists the tables, columns and indexes of db (SQLite: every object
// as it was created; PostgreSQL: columns and index definitions).
func schema(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT type || ' ' || name || ' ON ' || tbl_name || ': ' || coalesce(sql, '') FROM sqlite_master ORDER BY 1`
	if db.Postgres {
		q = `SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '')
				FROM information_schema.columns WHERE table_schema = current_schema()
			UNION ALL
			SELECT 'index ' || indexname || ': ' || replace(indexdef, schemaname || '.', '')
				FROM pg_indexes WHERE schemaname = current_schema()
			ORDER BY 1`
	}
	var out []string
	if err := db.R.NewRaw(q).Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	if len(out) < 50 {
		t.Fatalf("schema of %d objects: %q", len(out), out)
	}
	return out
}

func TestMigrateRecordsNamesAndChecksums(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		other := ".postgres.sql"
		if db.Postgres {
			other = ".sqlite.sql"
		}
		entries, err := fs.ReadDir(store.MigrationFiles, "migrations")
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for _, e := range entries {
			if n := e.Name(); !strings.HasSuffix(n, other) {
				want = append(want, strings.TrimLeft(n[:4], "0")+" "+n+" "+sum(migrationFile(t, n)))
			}
		}
		if got := records(t, db); !slices.Equal(got, want) {
			t.Errorf("schema_migrations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	})
}

// An applied migration whose file was edited, renamed or removed stops
// Migrate before it changes anything.
func TestMigrateStopsOnChangedHistory(t *testing.T) {
	booking := migrationFile(t, "0005_booking.sql")
	edited := append(slices.Clip(booking), "\n-- edited\n"...)
	trip := migrationFile(t, current17)
	for _, c := range []struct {
		name    string
		changes map[string][]byte
		want    []string
	}{
		{"edited", map[string][]byte{"0005_booking.sql": edited},
			[]string{"migration 5 was applied as 0005_booking.sql (sha256 " + sum(booking) + ")", "has 0005_booking.sql (sha256 " + sum(edited) + ")"}},
		{"renamed", map[string][]byte{current17: nil, "0017_renamed.sql": trip},
			[]string{"migration 17 was applied as " + current17 + " (sha256 " + sum(trip) + ")", "has 0017_renamed.sql (sha256 " + sum(trip) + ")"}},
		{"removed", map[string][]byte{current17: nil},
			[]string{"migration 17 was applied as " + current17 + " (sha256 " + sum(trip) + ")", "has no migration of that number"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				before := records(t, db)
				c.changes["0099_new.sql"] = []byte("CREATE TABLE new_table (id INTEGER);\n")
				n, err := db.MigrateFiles(context.Background(), withFiles(t, c.changes))
				if err == nil {
					t.Fatalf("applied %d, want an error", n)
				}
				for _, w := range c.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q\nwithout %q", err, w)
					}
				}
				if got := records(t, db); n != 0 || !slices.Equal(got, before) {
					t.Errorf("applied %d; schema_migrations %q, want %q", n, got, before)
				}
			})
		})
	}
}

// The migrations named in the superseded table are the files as they were.
func TestSupersededChecksums(t *testing.T) {
	for v, names := range store.Superseded() {
		for name, checksum := range names {
			b, err := os.ReadFile("testdata/superseded/" + name)
			if err != nil {
				t.Fatal(err)
			}
			if sum(b) != checksum || !strings.HasPrefix(name, fmt.Sprintf("%04d_", v)) {
				t.Errorf("superseded %d %s: sha256 %s, table %s", v, name, sum(b), checksum)
			}
		}
	}
}

// A database migrated before checksums were recorded gets them, whichever
// 0017 it applied, and ends with the schema and records of a database
// migrated now; one whose record names a file that is neither current nor
// superseded stops.
func TestMigrateUpgradesRecordsBeforeChecksums(t *testing.T) {
	old17, err := os.ReadFile("testdata/superseded/" + superseded17)
	if err != nil {
		t.Fatal(err)
	}
	storetest.Each(t, func(t *testing.T, fresh *store.DB) {
		ctx := context.Background()
		for _, c := range []struct {
			name    string
			history map[string][]byte
			applied int
			stop    string
		}{
			{name: "current 0017", history: nil, applied: 0},
			{name: "superseded 0017", history: map[string][]byte{current17: nil, superseded17: old17}, applied: 1},
			{name: "unknown 0017", history: map[string][]byte{current17: nil, "0017_unknown.sql": old17},
				stop: "migration 17 was applied as 0017_unknown.sql (no checksum recorded) but this binary has " + current17},
		} {
			t.Run(c.name, func(t *testing.T) {
				db := storetest.Empty(t, fresh.Postgres)
				if err := db.MigrateBeforeChecksums(ctx, withFiles(t, c.history)); err != nil {
					t.Fatal(err)
				}
				if c.history != nil && slices.Equal(schema(t, db), schema(t, fresh)) {
					t.Fatal("the old history has the schema of today")
				}
				n, err := db.Migrate(ctx)
				if c.stop != "" {
					if err == nil || !strings.Contains(err.Error(), c.stop) {
						t.Fatalf("Migrate: %d, %v; want %q", n, err, c.stop)
					}
					return
				}
				if err != nil || n != c.applied {
					t.Fatalf("Migrate applied %d (%v), want %d", n, err, c.applied)
				}
				if got, want := records(t, db), records(t, fresh); !slices.Equal(got, want) {
					t.Errorf("schema_migrations\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if got, want := schema(t, db), schema(t, fresh); !slices.Equal(got, want) {
					t.Errorf("schema\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				if n, err := db.Migrate(ctx); err != nil || n != 0 {
					t.Errorf("second Migrate applied %d (%v), want 0", n, err)
				}
			})
		}
	})
}
