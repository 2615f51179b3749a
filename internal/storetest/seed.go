package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/store"
)

// A Seed is a database (and its data directory) filled once per package
// run and copied for every test that asks for it, so that a test starts
// from the filled state in the time of a file copy instead of a fill, and
// what it writes is its own: on SQLite the checkpointed file, on
// PostgreSQL a database created from a template database. The package's
// TestMain must call Main, which removes the seeded databases at the end.
//
// With SharedEnv naming a directory (make test sets it for its whole
// `go test ./...`), the packages of the run share each Seed instead: the
// first package that needs it fills it there, the others wait for it and
// copy it. Who set SharedEnv removes the directory and drops the PostgreSQL
// template databases it names: each in a file *-postgres.done of it.
//
// A seed is of one Beijing day: the demo lays its orders and records out
// around the time it is filled, and tests take "today" and "last month"
// from the clock. A test that asks for it on a later day (a run across
// midnight) gets a seed filled that day.
type Seed struct {
	name             string
	fill             func(ctx context.Context, dsn, dataDir string) error
	sqlite, postgres seeded
}

// SharedEnv is the environment variable naming the directory where the
// packages of one test run share their Seeds.
const SharedEnv = "GOVFLEET_TEST_SEEDS"

type seeded struct {
	mu       sync.Mutex
	day      string // the Beijing day it was filled, "" before
	dsn, dir string // SQLite: the file; PostgreSQL: the template database's name
	err      error
	next     chan copied // PostgreSQL: the next test's copy, made while a test runs
}

// clock is the time a seed's day is read from (a test moves it past midnight).
var clock = time.Now

// today fills x with fill unless it was filled this Beijing day; x.mu held.
// It reports whether it filled x.
func (x *seeded) today(fill func(day string) (dsn, dir string, err error)) bool {
	day := beijing.Date(clock())
	if x.day == day {
		return false
	}
	x.day = day
	x.dsn, x.dir, x.err = fill(day)
	return true
}

type copied struct {
	name string
	err  error
}

// NewSeed returns the Seed called name (one name, one fill: packages share
// it by name) that fill fills: it gets the database's DSN (migrated or not)
// and an empty data directory, and closes what it opens.
func NewSeed(name string, fill func(ctx context.Context, dsn, dataDir string) error) *Seed {
	return &Seed{name: name, fill: fill}
}

var (
	mainRuns   bool
	mu         sync.Mutex
	atExit     []func()       // run last first
	background sync.WaitGroup // copies made and dropped beside the tests
)

// Main runs the package's tests, then removes the seeded databases and
// directories, and exits. Call it from TestMain.
func Main(m *testing.M) {
	mainRuns = true
	code := m.Run()
	background.Wait()
	mu.Lock()
	for i := len(atExit) - 1; i >= 0; i-- {
		atExit[i]()
	}
	mu.Unlock()
	os.Exit(code)
}

func onExit(fn func()) {
	mu.Lock()
	atExit = append(atExit, fn)
	mu.Unlock()
}

// SQLite returns a private copy of the seeded SQLite database in a
// temporary directory of the test: its file and data directory.
func (s *Seed) SQLite(t testing.TB) (path, dataDir string) {
	t.Helper()
	s.sqlite.mu.Lock()
	s.sqlite.today(s.fillSQLite)
	seed, dir, err := s.sqlite.dsn, s.sqlite.dir, s.sqlite.err // an earlier day's stays until Main removes it
	s.sqlite.mu.Unlock()
	if err != nil {
		t.Fatalf("seed SQLite: %v", err)
	}
	tmp := t.TempDir()
	path, dataDir = filepath.Join(tmp, "test.db"), filepath.Join(tmp, "data")
	if err := copyFile(path, seed); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(dataDir, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	return path, dataDir
}

func (s *Seed) fillSQLite(day string) (path, dir string, err error) {
	base, _, err := s.place("sqlite", day, func(base string) (string, error) {
		path, dir := filepath.Join(base, "seed.db"), filepath.Join(base, "data")
		ctx := context.Background()
		if err := writeTestKeys(dir); err != nil {
			return "", err
		}
		if err := s.fill(ctx, path, dir); err != nil {
			return "", err
		}
		// Everything in the file, nothing in a WAL beside it: the copy is the file.
		db, err := store.Open(ctx, path)
		if err != nil {
			return "", err
		}
		_, err = db.W.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
		return "", errors.Join(err, db.Close())
	})
	return filepath.Join(base, "seed.db"), filepath.Join(base, "data"), err
}

// place fills the seed's database of kind (sqlite, postgres) of a Beijing
// day in a directory: a temporary one of the package run, removed by Main,
// or with SharedEnv set the run's one, filled by the first package under a
// file lock and reused by the others. fill gets the empty directory and
// returns what the others need besides it (the PostgreSQL template's name).
func (s *Seed) place(kind, day string, fill func(dir string) (string, error)) (dir, filled string, err error) {
	if !mainRuns {
		return "", "", errors.New("the package's TestMain must call storetest.Main")
	}
	shared := os.Getenv(SharedEnv)
	if shared == "" {
		if dir, err = os.MkdirTemp("", "govfleet-seed-"); err != nil {
			return "", "", err
		}
		onExit(func() { os.RemoveAll(dir) })
		filled, err = fill(dir)
		return dir, filled, err
	}
	dir = filepath.Join(shared, s.name+"-"+day+"-"+kind)
	lock, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", "", err
	}
	defer lock.Close() // and with it the lock
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", "", fmt.Errorf("lock %s: %w", lock.Name(), err)
	}
	if b, err := os.ReadFile(dir + ".done"); err == nil {
		return dir, string(b), nil
	}
	if err := os.RemoveAll(dir); err != nil { // what a package that failed left
		return "", "", err
	}
	if filled, err = fill(dir); err != nil {
		return "", "", err
	}
	return dir, filled, os.WriteFile(dir+".done", []byte(filled), 0o600)
}

// Postgres returns a private copy of the seeded database on the server
// named by GOVFLEET_TEST_POSTGRES — a database of its own created from the
// seeded template and dropped at the end of the test — and a copy of the
// data directory; it skips the test when that is not set.
func (s *Seed) Postgres(t testing.TB) (dsn, dataDir string) {
	t.Helper()
	base := os.Getenv("GOVFLEET_TEST_POSTGRES")
	if base == "" {
		t.Skip("GOVFLEET_TEST_POSTGRES not set")
	}
	x := &s.postgres
	x.mu.Lock()
	first := x.day == ""
	if old := x.next; x.today(func(day string) (string, string, error) { return s.fillPostgres(base, day) }) {
		if old != nil { // an earlier day's copy, made for no test
			x.next = nil
			if c := <-old; c.err == nil {
				drop(c.name)
			}
		}
		if x.err == nil {
			x.next = make(chan copied, 1)
			x.prepare()
		}
		if first {
			onExit(func() {
				if x.next == nil {
					return
				}
				if c := <-x.next; c.err == nil {
					drop(c.name) // made for no test
				}
			})
		}
	}
	if x.err != nil {
		err := x.err
		x.mu.Unlock()
		t.Fatalf("seed PostgreSQL: %v", err)
	}
	c := <-x.next
	x.prepare()
	seedDir := x.dir
	x.mu.Unlock()
	if c.err != nil {
		t.Fatal(c.err)
	}
	t.Cleanup(func() { background.Go(func() { drop(c.name) }) })
	dataDir = filepath.Join(t.TempDir(), "data")
	if err := os.CopyFS(dataDir, os.DirFS(seedDir)); err != nil {
		t.Fatal(err)
	}
	return databaseURL(base, c.name), dataDir
}

// prepare creates the next copy of the template in the background, so
// that the next test finds its copy ready; tests that run side by side
// (t.Parallel) take the copies one after the other, each taking starting
// the next. Main drops a copy nobody took.
func (s *seeded) prepare() {
	template, next := s.dsn, s.next
	background.Go(func() {
		c := copied{name: "t_" + randomName()}
		c.err = createFrom(c.name, template)
		next <- c
	})
}

// fillPostgres fills a template database of a random name (the server is
// shared with other package runs); once filled nobody connects to it.
func (s *Seed) fillPostgres(base, day string) (name, dir string, err error) {
	if err := connectAdmin(base); err != nil {
		return "", "", err
	}
	shared := os.Getenv(SharedEnv) != ""
	dir, name, err = s.place("postgres", day, func(dir string) (string, error) {
		name := "tpl_" + randomName()
		if _, err := admin.W.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
			return "", err
		}
		if !shared {
			onExit(func() { drop(name) })
		}
		err := writeTestKeys(filepath.Join(dir, "data"))
		if err == nil {
			err = s.fill(context.Background(), databaseURL(base, name), filepath.Join(dir, "data"))
		}
		if err != nil && shared {
			drop(name)
		}
		return name, err
	})
	return name, filepath.Join(dir, "data"), err
}

// writeTestKeys puts the tests' audit chain key in a seeded data directory,
// so that an app built over any copy (which loads the key from its data
// directory, as the server does) keys the chain as every other test of the
// package does: the key is process-wide (audit.SetKeys).
func writeTestKeys(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, audit.KeyFile), []byte(hex.EncodeToString(TestAuditKey)+"\n"), 0o600)
}

// admin is the connection to the server's database of
// GOVFLEET_TEST_POSTGRES that creates and drops the databases.
var (
	admin     *store.DB
	adminOnce sync.Once
	adminErr  error
)

func connectAdmin(base string) error {
	adminOnce.Do(func() {
		if admin, adminErr = store.Open(context.Background(), base); adminErr == nil {
			onExit(func() { admin.Close() })
		}
	})
	return adminErr
}

// createFrom creates database name from template; a connection to the
// template that is still closing on the server makes it wait a moment.
func createFrom(name, template string) error {
	for try := 0; ; try++ {
		_, err := admin.W.ExecContext(context.Background(), "CREATE DATABASE "+name+" TEMPLATE "+template)
		var pg *pgconn.PgError
		if err == nil || !errors.As(err, &pg) || pg.Code != "55006" || try == 50 {
			return err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func drop(name string) {
	if _, err := admin.W.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "storetest: drop database %s: %v\n", name, err)
	}
}

// databaseURL is base with the database name replaced.
func databaseURL(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + name
	return testDSN(u.String())
}

func randomName() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func copyFile(dst, src string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
