// Package store opens the database (embedded SQLite or PostgreSQL), runs the
// embedded versioned migrations and translates driver errors into errs codes.
//
// Both databases are served by one implementation: Bun with the sqlite or pg
// dialect over database/sql (modernc.org/sqlite, pgx). Domain services query
// through *DB directly; there is no second implementation to hide behind an
// interface, and every test runs against the real databases.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers "pgx"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"govfleet/internal/errs"
)

// DB is the database handle. For SQLite, W is a single-connection pool that
// serialises writers (immediate transactions) and R a pool of readers on the
// same WAL file; for PostgreSQL both are the same pool.
type DB struct {
	W, R     *bun.DB
	Postgres bool
	// Path is the SQLite database file ("" for PostgreSQL).
	Path string

	stopCheckpoints func() // SQLite: stops the checkpointer and waits for it
}

// Open connects to dsn: "postgres://…" (or "postgresql://…") for PostgreSQL,
// anything else is a SQLite file path (created with its directory).
func Open(ctx context.Context, dsn string) (*DB, error) {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		sqldb, err := sql.Open("pgx", dsn)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		sqldb.SetMaxOpenConns(16)
		sqldb.SetMaxIdleConns(16)
		if err := sqldb.PingContext(ctx); err != nil {
			sqldb.Close()
			return nil, fmt.Errorf("connect postgres: %w", err)
		}
		db := bun.NewDB(sqldb, pgdialect.New())
		return &DB{W: db, R: db, Postgres: true}, nil
	}
	path := strings.TrimPrefix(dsn, "sqlite://")
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create data dir: %w", err)
		}
	}
	full := SQLiteDSN(path)
	w, err := sql.Open("sqlite", full)
	if err != nil {
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	r, err := sql.Open("sqlite", full)
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	r.SetMaxOpenConns(4)
	db := &DB{W: bun.NewDB(w, sqlitedialect.New()), R: bun.NewDB(r, sqlitedialect.New()), Path: path}
	db.stopCheckpoints = checkpointer(r, CheckpointEvery)
	return db, nil
}

// SQLiteDSN is the data source name of the SQLite file at path with the
// settings every connection takes: WAL, FULL sync (a commit is on disk,
// not only in the operating system's cache, when it returns: the gateway
// acknowledges reports on it), foreign keys, a 10 s
// busy timeout, immediate write transactions, no automatic checkpoint (see
// checkpointer), statement journals and temporary tables in memory.
func SQLiteDSN(path string) string {
	// busy_timeout first so that the following pragmas wait for locks too.
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeoutMS))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "wal_autocheckpoint(0)")
	q.Add("_pragma", "temp_store(MEMORY)")
	q.Set("_txlock", "immediate")
	// In a file: URI "?" starts the settings and "#" ends the name: a path
	// holding either (a test named twice gets "#01" in its directory) must
	// say them percent-encoded, or SQLite opens another, empty file.
	return "file:" + uriPath.Replace(path) + "?" + q.Encode()
}

var uriPath = strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23")

// BusyTimeoutMS is how long a SQLite connection waits for a lock.
const BusyTimeoutMS = 10000

// WriterCache, appended to a SQLiteDSN, gives the connection that merges
// positions (internal/telematics) a page cache of up to 256 MiB: positions
// are clustered by terminal, so a merge touches a leaf per terminal, and a
// leaf read from disk again at every merge slows it down once the table
// outgrows the cache. Not more: SQLite walks the cache's whole hash
// table at every commit (1 GiB cost 12 % of the server's CPU at 10,000
// reports/s). Readers keep SQLite's default.
const WriterCache = "&_pragma=cache_size(-262144)"

// CheckpointEvery is how often SQLite's WAL is copied back into the
// database file.
var CheckpointEvery = time.Second

// checkpointer runs a passive checkpoint on a reader connection every
// period. With SQLite's automatic checkpoints the commit that crosses the
// threshold copies the whole WAL back first — at 10,000 positions a second
// a pause of ~200 ms for every terminal waiting on that commit; a passive
// checkpoint beside the writer takes nothing from it. It returns a
// function that stops it and waits.
func checkpointer(r *sql.DB, period time.Duration) func() {
	return Every(period, func(ctx context.Context) {
		if _, err := r.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
			slog.Warn("sqlite checkpoint", "err", err)
		}
	})
}

// Every runs fn every period in a goroutine until the returned function is
// called; that function cancels fn's context and waits for a run under way.
func Every(period time.Duration, fn func(ctx context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				fn(ctx)
			}
		}
	}()
	return func() { cancel(); <-done }
}

// Pacer spreads a long background job over time so that it takes about
// 1/(1+Rest) of a core while it runs: Pause, called between units of work,
// sleeps Rest times as long as the work since the last pause took (Rest 0
// counts as 1: half a core), once that is PaceSlice or more (the time is
// wall time, so a job that waited for the CPU pauses longer). The
// positions merge runs at half a core: on 2 cores shared with 16,000
// terminal connections a merge run flat out took a whole core for 2–3 s
// every 10 s, and the answers to the terminals waited behind it. The
// minute's trips and terminal health run at a quarter: at 19,000 terminals
// their passes take longer than a minute, so they run all the time (issue
// 5; the measurements in docs/benchmarks.md). The zero Pacer is ready; a
// nil one never pauses.
type Pacer struct {
	Rest  float64
	since time.Time
}

// PaceSlice is the least work between two pauses of a Pacer.
const PaceSlice = 10 * time.Millisecond

// Pause sleeps Rest times as long as the work since the last pause took,
// or until ctx ends, if that was PaceSlice or more.
func (p *Pacer) Pause(ctx context.Context) {
	if p == nil {
		return
	}
	now := time.Now()
	if p.since.IsZero() {
		p.since = now
		return
	}
	d := now.Sub(p.since)
	if d < PaceSlice {
		return
	}
	t := time.NewTimer(time.Duration(float64(d) * max(p.Rest, 1)))
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
	}
	p.since = time.Now()
}

// InBatches is the pass of a background job over items (the minute's trips
// and terminal health): read each item in turn, paced by p, and store what
// the reads return with write, those of up to n reads in one transaction —
// one commit (on SQLite one fsync) for many items instead of one each. A
// read returns nil when there is nothing to store. An item whose read says
// there is more is stored at once and read again, on from what was stored.
// stored gets each committed batch and the sum of what write returned for
// it (trips closed, events opened).
func InBatches[I, R any](ctx context.Context, db *DB, p *Pacer, items []I, n int,
	read func(item I) (r *R, more bool, err error),
	write func(tx bun.Tx, r *R) (int, error),
	stored func(batch []*R, sum int)) error {
	var batch []*R
	flush := func() error {
		sum := 0
		err := db.Tx(ctx, func(tx bun.Tx) error {
			sum = 0
			for _, r := range batch {
				k, err := write(tx, r)
				if sum += k; err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		stored(batch, sum)
		batch = batch[:0]
		return nil
	}
	for _, it := range items {
		for more := true; more; {
			p.Pause(ctx)
			r, m, err := read(it)
			if err != nil {
				return err
			}
			if more = m; r != nil {
				batch = append(batch, r)
			}
			if more || len(batch) >= n {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	if len(batch) > 0 {
		return flush()
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.stopCheckpoints != nil {
		db.stopCheckpoints()
	}
	err := db.W.Close()
	if db.R != db.W {
		err = errors.Join(err, db.R.Close())
	}
	return err
}

// Tx runs fn in a write transaction and commits it when fn returns nil.
// Errors from the driver are translated (see Translate).
func (db *DB) Tx(ctx context.Context, fn func(tx bun.Tx) error) error {
	err := db.W.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return fn(tx) })
	return Translate(err)
}

// uniqueMessages maps "table.column" of a unique constraint to the field it
// concerns and the message the user sees. Domain packages register theirs.
var uniqueMessages = map[string][2]string{}

// RegisterUnique declares the user-facing meaning of a unique index named
// ux_<table>_<column> on <table>(<column>).
func RegisterUnique(table, column, field, message string) {
	uniqueMessages[table+"."+column] = [2]string{field, message}
}

// Translate maps driver errors to errs codes: no rows → not found, unique
// violation → conflict, foreign-key violation → invalid; others internal.
func Translate(err error) error {
	if err == nil {
		return nil
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return &errs.Error{Code: errs.NotFound, Message: "记录不存在", Err: err}
	}
	if key, ok := uniqueKey(err); ok {
		if m, ok := uniqueMessages[key]; ok {
			return &errs.Error{Code: errs.Conflict, Message: m[1], Fields: map[string]string{m[0]: m[1]}, Err: err}
		}
		return &errs.Error{Code: errs.Conflict, Message: "记录重复，与已有数据冲突", Err: err}
	}
	if isForeignKey(err) {
		return &errs.Error{Code: errs.Invalid, Message: "引用的记录不存在", Err: err}
	}
	return errs.Wrap(err, "database")
}

// IsUniqueViolation reports whether err is a violated unique constraint.
func IsUniqueViolation(err error) bool {
	_, ok := uniqueKey(err)
	return ok
}

// uniqueKey returns "table.column" of a violated unique constraint.
func uniqueKey(err error) (string, bool) {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23505" {
		// Index names follow ux_<table>_<column>; the table name has no "_"
		// ambiguity because we look the table up in the error itself.
		col := strings.TrimPrefix(pg.ConstraintName, "ux_"+pg.TableName+"_")
		return pg.TableName + "." + col, true
	}
	var sq *sqlite.Error
	if errors.As(err, &sq) && (sq.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || sq.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		// "UNIQUE constraint failed: units.name"
		msg := sq.Error()
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			key := strings.TrimSpace(msg[i+2:])
			if j := strings.Index(key, " "); j >= 0 {
				key = key[:j]
			}
			key = strings.TrimSuffix(strings.SplitN(key, ",", 2)[0], ")")
			return key, true
		}
		return "", true
	}
	return "", false
}

func isForeignKey(err error) bool {
	var pg *pgconn.PgError
	if errors.As(err, &pg) && pg.Code == "23503" {
		return true
	}
	var sq *sqlite.Error
	return errors.As(err, &sq) && sq.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// NotFoundAs translates err (see Translate) and, when it means that no row
// was found, returns notFound instead: the caller's message naming what is
// missing (or another code, e.g. unauthenticated for an unknown token).
func NotFoundAs(err, notFound error) error {
	err = Translate(err)
	if errs.Is(err, errs.NotFound) {
		return notFound
	}
	return err
}
