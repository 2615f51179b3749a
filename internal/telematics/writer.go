package telematics

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/store"
)

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("telematics: writer closed")

// ChunkRows is the number of rows of one INSERT statement. 13 columns × 500
// rows = 6,500 values: below SQLite's limit on bound parameters (32,766
// since 3.32) and PostgreSQL's (65,535), should the statement ever bind
// them instead of letting Bun format them, and a statement of ~100 KB.
const ChunkRows = 500

const insertHead = "INSERT INTO positions (vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras) VALUES "
const insertRow = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
const insertTail = " ON CONFLICT (terminal_phone, at) DO NOTHING"

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

// insert writes rows in one transaction, ChunkRows per statement.
func (w *Writer) insert(ctx context.Context, rows []Position) error {
	var sb strings.Builder
	args := make([]any, 0, 14*min(len(rows), ChunkRows))
	return w.db.Tx(ctx, func(tx bun.Tx) error {
		for start := 0; start < len(rows); start += ChunkRows {
			chunk := rows[start:min(start+ChunkRows, len(rows))]
			sb.Reset()
			args = args[:0]
			sb.WriteString(insertHead)
			for i, p := range chunk {
				if i > 0 {
					sb.WriteByte(',')
				}
				sb.WriteString(insertRow)
				var vid any
				if p.VehicleID != 0 {
					vid = p.VehicleID
				}
				args = append(args, vid, p.Phone, p.At.UTC(), p.ReceivedAt.UTC(), p.Lat, p.Lng,
					p.Speed, p.Heading, p.Altitude, int64(p.Alarm), int64(p.Status), p.Mileage, p.Fuel, p.Extras)
			}
			sb.WriteString(insertTail)
			if _, err := tx.ExecContext(ctx, sb.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
}
