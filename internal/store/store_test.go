package store_test

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/errs"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

func init() { store.RegisterUnique("settings", "key", "key", "设置项已存在") }

func TestMigrateIsIdempotent(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		n, err := db.Migrate(context.Background())
		if err != nil || n != 0 {
			t.Fatalf("second migrate applied %d (%v), want 0", n, err)
		}
	})
}

// Driver errors become the codes the API maps to statuses.
func TestTranslate(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		cases := []struct {
			name string
			run  func() error
			code errs.Code
		}{
			{"unique violation", func() error {
				return db.Tx(ctx, func(tx bun.Tx) error {
					if _, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', '1')"); err != nil {
						return err
					}
					_, err := tx.ExecContext(ctx, "INSERT INTO settings (key, value) VALUES ('k', '2')")
					return err
				})
			}, errs.Conflict},
			{"no rows", func() error {
				var v string
				return store.Translate(db.R.NewSelect().Table("settings").Column("value").Where("key = 'missing'").Scan(ctx, &v))
			}, errs.NotFound},
			{"no rows, named by the caller", func() error {
				var v string
				err := db.R.NewSelect().Table("settings").Column("value").Where("key = 'missing'").Scan(ctx, &v)
				return store.NotFoundAs(err, errs.E(errs.Unauthenticated, "令牌无效"))
			}, errs.Unauthenticated},
			{"other errors are only translated", func() error {
				return store.NotFoundAs(db.Tx(ctx, func(tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO user_roles (user_id, role) VALUES (999999, 'driver')")
					return err
				}), errs.E(errs.NotFound, "不应出现"))
			}, errs.Invalid},
			{"foreign key", func() error {
				return db.Tx(ctx, func(tx bun.Tx) error {
					_, err := tx.ExecContext(ctx, "INSERT INTO user_roles (user_id, role) VALUES (999999, 'driver')")
					return err
				})
			}, errs.Invalid},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				err := c.run()
				if errs.CodeOf(err) != c.code {
					t.Fatalf("got %v (%s), want %s", err, errs.CodeOf(err), c.code)
				}
			})
		}
		// A failed transaction leaves nothing behind.
		var n int
		if err := db.R.NewSelect().Table("settings").ColumnExpr("count(*)").Where("key = 'k'").Scan(ctx, &n); err != nil || n != 0 {
			t.Errorf("rolled-back insert left %d rows (%v)", n, err)
		}
	})
}

// SQLite commits do not checkpoint (wal_autocheckpoint 0); the checkpointer
// copies the WAL into the database file beside the writer, so the file
// grows with what was committed and the WAL does not grow without end.
func TestSQLiteCheckpointer(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "c.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	before := fileSize(t, path)
	if _, err := db.W.ExecContext(ctx, "CREATE TABLE blobs (b BLOB)"); err != nil {
		t.Fatal(err)
	}
	for range 64 {
		if _, err := db.W.ExecContext(ctx, "INSERT INTO blobs (b) VALUES (randomblob(32768))"); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * store.CheckpointEvery)
	for fileSize(t, path) < before+2<<20 {
		if time.Now().After(deadline) {
			t.Fatalf("database file %d bytes after 2 MiB committed: not checkpointed", fileSize(t, path))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// A paced job sleeps at least as long as it worked (issue 5: background
// jobs leave the cores to the gateway's connections), not after short work,
// and not past its context.
func TestPacer(t *testing.T) {
	work := func(d time.Duration) {
		for start := time.Now(); time.Since(start) < d; {
		}
	}
	var p store.Pacer
	ctx := context.Background()
	p.Pause(ctx) // starts the clock
	work(3 * store.PaceSlice)
	start := time.Now()
	p.Pause(ctx)
	if slept := time.Since(start); slept < 3*store.PaceSlice {
		t.Errorf("paused %v after %v of work, want at least as long", slept, 3*store.PaceSlice)
	}

	// Short pieces of work add up: no pause until they reach PaceSlice.
	total := time.Duration(0)
	for range 20 {
		work(store.PaceSlice / 4)
		start := time.Now()
		p.Pause(ctx)
		total += time.Since(start)
	}
	if total < 4*store.PaceSlice {
		t.Errorf("paused %v in all after 5 slices of work in quarter-slice pieces, want at least 4 slices", total)
	}

	// With its context ended a Pacer does not rest: one whose rest would last
	// 10,000 s (a million times a slice of work) returns at once. A Pause
	// that ignored its context would keep the test waiting for hours, not
	// the minute after which it fails (how long Pause took is not asserted).
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	long := store.Pacer{Rest: 1e6}
	long.Pause(ctx)
	work(store.PaceSlice)
	returned := make(chan struct{})
	go func() { long.Pause(cancelled); close(returned) }()
	select {
	case <-returned:
	case <-time.After(time.Minute):
		t.Errorf("still resting a minute after its context ended (a rest of 10,000 s)")
	}

	// Rest 3: three times as long as the work, a quarter of a core.
	q := store.Pacer{Rest: 3}
	q.Pause(ctx)
	work(3 * store.PaceSlice)
	start = time.Now()
	q.Pause(ctx)
	if slept := time.Since(start); slept < 9*store.PaceSlice {
		t.Errorf("paused %v after %v of work with Rest 3, want at least three times as long", slept, 3*store.PaceSlice)
	}

	var none *store.Pacer
	none.Pause(ctx) // a nil Pacer never pauses
}

// Every SQLite connection commits to disk, not only to the operating
// system's cache (synchronous=FULL): the gateway acknowledges a report on
// its commit (issue 5), and a power cut must not take back what was
// acknowledged. Checked on the writer and on every reader of the pool.
func TestSQLiteCommitsAreDurable(t *testing.T) {
	db := storetest.SQLite(t)
	ctx := context.Background()
	for _, pool := range []struct {
		name  string
		db    *bun.DB
		conns int // held at once, so that each is a connection of its own
	}{{"writer", db.W, 1}, {"reader", db.R, 3}} {
		var conns []*sql.Conn
		for range pool.conns {
			c, err := pool.db.DB.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			conns = append(conns, c)
		}
		for _, c := range conns {
			var mode, journal string
			if err := c.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&journal); err != nil {
				t.Fatal(err)
			}
			if mode != "2" || journal != "wal" {
				t.Errorf("%s connection: synchronous=%s journal_mode=%s, want 2 (FULL) and wal", pool.name, mode, journal)
			}
			c.Close()
		}
	}
}

// A database file whose path holds "#", "?" or "%" (a test run twice under
// one name gets "#01" in its directory) is that file: before, SQLite cut
// the name at "#" and opened another, empty database.
func TestSQLitePathWithURICharacters(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "a#01?b%20c", "govfleet.db")
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	for round := range 2 {
		db, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		if round == 0 {
			if _, err := db.W.ExecContext(ctx, "CREATE TABLE marks (n INTEGER)"); err != nil {
				t.Fatal(err)
			}
			if _, err := db.W.ExecContext(ctx, "INSERT INTO marks VALUES (7)"); err != nil {
				t.Fatal(err)
			}
		} else {
			var n int
			if err := db.R.QueryRowContext(ctx, "SELECT n FROM marks").Scan(&n); err != nil || n != 7 {
				t.Errorf("reopened %s: %d %v", path, n, err)
			}
		}
		db.Close()
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("the file is not where it was asked: %v", err)
	}
}
