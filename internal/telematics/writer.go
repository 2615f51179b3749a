package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/store"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("telematics: writer closed")

// ChunkRows is the number of rows of the largest INSERT statement on
// PostgreSQL: 14 columns × 256 rows = 3,584 bound parameters (limit 65,535).
// On SQLite it is sqliteChunkRows: modernc.org/sqlite binds each parameter by
// searching the argument list, so a statement's cost grows with the square
// of its parameters. A batch is written as statements of ChunkRows, …, 2, 1
// rows, each prepared once per Writer and bound, not formatted: parsing and
// formatting 2,000-row statements cost more than storing the rows.
const (
	ChunkRows       = 256
	sqliteChunkRows = 8
)

const insertHead = "INSERT INTO positions (vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras) VALUES "
const insertTail = " ON CONFLICT (terminal_phone, at) DO NOTHING"

// sqliteTime is how Bun writes a time into SQLite (text): the bound times
// must compare with those written by Bun and with the bounds of queries.
const sqliteTime = "2006-01-02 15:04:05.999999-07:00"

// WriterOptions tune a Writer; zero fields take the defaults.
type WriterOptions struct {
	// MaxBatch is the number of rows that triggers a flush (default 2000).
	MaxBatch int
	// MaxDelay is how long the first request of a batch waits for others
	// before the batch is handed to a flusher (default 2 ms). While every
	// flusher is busy, requests keep joining the next batch regardless.
	MaxDelay time.Duration
	// Flushers is the number of transactions in flight at once (default 1
	// for SQLite, whose writes are serialised anyway, 4 for PostgreSQL).
	Flushers int
	// Timeout bounds one batch's transaction (default 30 s).
	Timeout time.Duration
	// Latest, when set, is updated with every committed batch.
	Latest *Latest
	Logger *slog.Logger
}

// Writer stores positions with group commit: many concurrent callers of
// Write share one transaction, and each Write returns only once the batch
// holding its positions is committed (or failed). Rows that already exist
// (same terminal and GNSS time: a re-sent or blind-area report) are skipped.
type Writer struct {
	db      *store.DB
	opt     WriterOptions
	reqs    chan *request
	batches chan batch
	wg      sync.WaitGroup

	mu     sync.RWMutex
	closed bool

	smu   sync.Mutex
	stmts map[int]*sql.Stmt // prepared INSERT of n rows, n a power of two ≤ the chunk

	rows, txs, failures atomic.Int64
}

type request struct {
	ps   []Position
	done chan error
}

type batch struct {
	reqs []*request
	rows int
}

// WriterStats counts what a Writer did.
type WriterStats struct {
	Rows         int64 // rows handed to committed transactions (duplicates included)
	Transactions int64 // committed transactions
	Failures     int64 // failed transactions
}

// NewWriter starts a Writer on db. Close it to flush and stop.
func NewWriter(db *store.DB, opt WriterOptions) *Writer {
	if opt.MaxBatch <= 0 {
		opt.MaxBatch = 2000
	}
	if opt.MaxDelay <= 0 {
		opt.MaxDelay = 2 * time.Millisecond
	}
	if opt.Flushers <= 0 {
		opt.Flushers = 1
		if db.Postgres {
			opt.Flushers = 4
		}
	}
	if opt.Timeout <= 0 {
		opt.Timeout = 30 * time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	w := &Writer{db: db, opt: opt, reqs: make(chan *request, 1024), batches: make(chan batch)}
	w.wg.Add(1 + opt.Flushers)
	go w.collect()
	for range opt.Flushers {
		go w.flusher()
	}
	return w
}

// Write stores ps and returns nil once they are committed. When ctx ends
// first it returns ctx's error; the positions may still be committed later
// (a terminal that re-sends them is de-duplicated).
func (w *Writer) Write(ctx context.Context, ps []Position) error {
	if len(ps) == 0 {
		return nil
	}
	r := &request{ps: slices.Clone(ps), done: make(chan error, 1)}
	w.mu.RLock()
	if w.closed {
		w.mu.RUnlock()
		return ErrClosed
	}
	select {
	case w.reqs <- r:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close flushes what was written before it and stops the Writer; later
// Writes return ErrClosed.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()
	close(w.reqs)
	w.wg.Wait()
	w.smu.Lock()
	defer w.smu.Unlock()
	for _, st := range w.stmts {
		st.Close()
	}
	return nil
}

// Stats returns the counters.
func (w *Writer) Stats() WriterStats {
	return WriterStats{Rows: w.rows.Load(), Transactions: w.txs.Load(), Failures: w.failures.Load()}
}

// collect groups requests into batches and hands them to the flushers.
func (w *Writer) collect() {
	defer w.wg.Done()
	defer close(w.batches)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		r, ok := <-w.reqs
		if !ok {
			return
		}
		b := batch{reqs: []*request{r}, rows: len(r.ps)}
		open := true
		// Linger a little for company.
		timer.Reset(w.opt.MaxDelay)
	linger:
		for b.rows < w.opt.MaxBatch {
			select {
			case r, ok := <-w.reqs:
				if !ok {
					open = false
					break linger
				}
				b.reqs = append(b.reqs, r)
				b.rows += len(r.ps)
			case <-timer.C:
				break linger
			}
		}
		timer.Stop()
		// Hand off; while all flushers are busy keep filling the batch.
		sent := false
		for !sent && open && b.rows < w.opt.MaxBatch {
			select {
			case w.batches <- b:
				sent = true
			case r, ok := <-w.reqs:
				if !ok {
					open = false
					continue
				}
				b.reqs = append(b.reqs, r)
				b.rows += len(r.ps)
			}
		}
		if !sent {
			w.batches <- b
		}
		if !open {
			return
		}
	}
}

func (w *Writer) flusher() {
	defer w.wg.Done()
	var rows []Position
	for b := range w.batches {
		rows = rows[:0]
		for _, r := range b.reqs {
			rows = append(rows, r.ps...)
		}
		ctx, cancel := context.WithTimeout(context.Background(), w.opt.Timeout)
		err := w.insert(ctx, rows)
		cancel()
		if err != nil {
			w.failures.Add(1)
			w.opt.Logger.Error("store positions", "rows", len(rows), "err", err)
			err = fmt.Errorf("store %d positions: %w", len(rows), err)
		} else {
			w.txs.Add(1)
			w.rows.Add(int64(len(rows)))
			if w.opt.Latest != nil {
				w.opt.Latest.Update(rows)
			}
		}
		for _, r := range b.reqs {
			r.done <- err
		}
	}
}

// insert writes rows in one transaction: the largest prepared statements
// that fit, ChunkRows rows at most.
func (w *Writer) insert(ctx context.Context, rows []Position) error {
	// Statements are prepared before the transaction: SQLite's writer pool
	// has one connection, which the transaction holds.
	chunk := ChunkRows
	if !w.db.Postgres {
		chunk = sqliteChunkRows
	}
	var sizes []int
	for left := len(rows); left > 0; {
		n := chunk
		for n > left {
			n /= 2
		}
		sizes = append(sizes, n)
		left -= n
	}
	stmts := make([]*sql.Stmt, len(sizes))
	for i, n := range sizes {
		st, err := w.stmt(ctx, n)
		if err != nil {
			return err
		}
		stmts[i] = st
	}
	args := make([]any, 0, 14*sizes[0])
	return w.db.Tx(ctx, func(tx bun.Tx) error {
		rows := rows
		for i, n := range sizes {
			args = args[:0]
			for _, p := range rows[:n] {
				var vid, mileage, fuel any
				if p.VehicleID != 0 {
					vid = p.VehicleID
				}
				if p.Mileage.Valid {
					mileage = p.Mileage.V
				}
				if p.Fuel.Valid {
					fuel = int64(p.Fuel.V)
				}
				var at, received any = p.At.UTC(), p.ReceivedAt.UTC()
				if !w.db.Postgres {
					at, received = p.At.UTC().Format(sqliteTime), p.ReceivedAt.UTC().Format(sqliteTime)
				}
				args = append(args, vid, p.Phone, at, received, p.Lat, p.Lng, int64(p.Speed), int64(p.Heading),
					int64(p.Altitude), int64(p.Alarm), int64(p.Status), mileage, fuel, p.Extras)
			}
			if _, err := tx.Tx.StmtContext(ctx, stmts[i]).ExecContext(ctx, args...); err != nil {
				return err
			}
			rows = rows[n:]
		}
		return nil
	})
}

// stmt returns the prepared INSERT of n rows.
func (w *Writer) stmt(ctx context.Context, n int) (*sql.Stmt, error) {
	w.smu.Lock()
	defer w.smu.Unlock()
	if st := w.stmts[n]; st != nil {
		return st, nil
	}
	var sb strings.Builder
	sb.WriteString(insertHead)
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteByte('(')
		for j := range 14 {
			if j > 0 {
				sb.WriteByte(',')
			}
			if w.db.Postgres {
				sb.WriteString("$" + strconv.Itoa(14*i+j+1))
			} else {
				sb.WriteByte('?')
			}
		}
		sb.WriteByte(')')
	}
	sb.WriteString(insertTail)
	st, err := w.db.W.DB.PrepareContext(ctx, sb.String())
	if err != nil {
		return nil, fmt.Errorf("prepare insert of %d positions: %w", n, err)
	}
	if w.stmts == nil {
		w.stmts = map[int]*sql.Stmt{}
	}
	w.stmts[n] = st
	return st, nil
}
