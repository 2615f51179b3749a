package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"govfleet/internal/store"
)

// inbox is where positions land on SQLite (issue 5, Performance: 20,000
// reports a second). positions is clustered by terminal and time (migration
// 0014), so a batch of reports from as many terminals changes a leaf page
// per report, and SQLite writes every changed 4 KiB page to the WAL at each
// commit and again at the checkpoint: for a 60-byte row. One writer thread
// cannot do 20,000 of those a second.
//
// So a batch is first appended, as one row holding the batch's JSON
// (appendRowsJSON), to one of two tables of a second SQLite file beside the
// database (<database>.inbox): a few dozen pages written in order per
// thousand reports, and nothing parsed. That commit is what acknowledges
// the reports: they are durable from then on. Every MergeEvery the tables
// swap, and the one that was filling is merged into positions in (terminal,
// time) order by a connection of its own — a terminal's reports of those
// seconds land on its leaf together, one page write for all of them — and
// then emptied. The merge holds the database's write lock but not the
// inbox's, so acknowledgements never wait for it; the JSON is parsed there,
// off the acknowledgement's path.
//
// Positions are readable in positions once merged, within MergeEvery of
// their acknowledgement (the live map reads Latest, which is updated at
// acknowledgement); Sync merges at once. A crash between a merge and the
// emptying leaves rows merged twice, which the (terminal_phone, at) key
// turns into nothing; NewWriter merges what a crash left before anything
// else.
type inbox struct {
	file  *sql.DB   // the inbox file; one connection: appends, emptying
	merge *sql.Conn // to the database, with the inbox attached as "inbox"
	mdb   *sql.DB

	mu  sync.Mutex // held across an append; a swap waits for it
	cur int        // the table appends go to, 0 or 1

	mmu sync.Mutex // one merge at a time
}

const positionColumns = "vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras"

func inboxTable(i int) string { return fmt.Sprintf("inbox_batches_%d", i) }

func openInbox(ctx context.Context, db *store.DB) (_ *inbox, err error) {
	path := db.Path + ".inbox"
	in := &inbox{}
	defer func() {
		if err != nil {
			in.close()
		}
	}()
	if in.file, err = sql.Open("sqlite", store.SQLiteDSN(path)); err != nil {
		return nil, fmt.Errorf("open positions inbox: %w", err)
	}
	in.file.SetMaxOpenConns(1)
	for i := range 2 {
		if _, err = in.file.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS "+inboxTable(i)+" (batch TEXT NOT NULL)"); err != nil {
			return nil, fmt.Errorf("create positions inbox %s: %w", path, err)
		}
	}
	if in.mdb, err = sql.Open("sqlite", store.SQLiteDSN(db.Path)+store.WriterCache); err != nil {
		return nil, fmt.Errorf("open positions merger: %w", err)
	}
	if in.merge, err = in.mdb.Conn(ctx); err != nil {
		return nil, fmt.Errorf("open positions merger: %w", err)
	}
	if _, err = in.merge.ExecContext(ctx, "ATTACH DATABASE ? AS inbox", path); err != nil {
		return nil, fmt.Errorf("attach positions inbox %s: %w", path, err)
	}
	// The rows of the batches being merged, parsed once for positions and
	// position_days (temp_store is memory).
	if _, err = in.merge.ExecContext(ctx, "CREATE TEMP TABLE merging AS SELECT "+positionColumns+" FROM main.positions WHERE false"); err != nil {
		return nil, fmt.Errorf("positions merger: %w", err)
	}
	for i := range 2 {
		if err = in.mergeTable(ctx, i); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// append stores rows in the filling table; when it returns nil they are
// durable.
func (in *inbox) append(ctx context.Context, rows []Position) error {
	batch := string(appendRowsJSON(make([]byte, 0, 128*len(rows)), rows))
	in.mu.Lock()
	defer in.mu.Unlock()
	_, err := in.file.ExecContext(ctx, "INSERT INTO "+inboxTable(in.cur)+" (batch) VALUES (?)", batch)
	return store.Translate(err)
}

// swapAndMerge makes the other table the filling one and merges the one
// that was filling.
func (in *inbox) swapAndMerge(ctx context.Context) error {
	in.mmu.Lock()
	defer in.mmu.Unlock()
	in.mu.Lock()
	full := in.cur
	in.cur ^= 1
	in.mu.Unlock()
	return in.mergeTable(ctx, full)
}

// mergeTable copies table i into positions in key order, then empties it
// (the caller ensures nothing appends to it meanwhile).
func (in *inbox) mergeTable(ctx context.Context, i int) error {
	t := inboxTable(i)
	start := time.Now()
	steps := []string{
		"INSERT INTO temp.merging SELECT " + jsonColumns + " FROM inbox." + t + " AS b, json_each(b.batch)",
		// position_days first (migration 0016): a crash after it leaves a
		// day with no rows yet, never rows without their day.
		"INSERT OR IGNORE INTO main.position_days (vehicle_id, day, terminal_phone) SELECT DISTINCT vehicle_id, date(at), terminal_phone FROM temp.merging WHERE vehicle_id IS NOT NULL",
		"INSERT INTO main.positions (" + positionColumns + ") SELECT " + positionColumns + " FROM temp.merging WHERE true ORDER BY terminal_phone, at" + insertTail,
	}
	_, err := in.merge.ExecContext(ctx, "DELETE FROM temp.merging")
	for _, q := range steps {
		if err == nil {
			_, err = in.merge.ExecContext(ctx, q)
		}
	}
	if err != nil {
		return fmt.Errorf("merge positions inbox: %w", store.Translate(err))
	}
	if _, err := in.file.ExecContext(ctx, "DELETE FROM "+t); err != nil {
		return fmt.Errorf("empty positions inbox: %w", store.Translate(err))
	}
	// Copy both WALs back while their pages are fresh and start them over:
	// a merge writes tens of megabytes, and a WAL that only grows slows down
	// every page lookup. SQLite starts a WAL over only when a writer finds it
	// fully copied back and no reader in it, which the database, written
	// and read all the time, seldom offers; the inbox has no other
	// checkpoint.
	for _, c := range []execer{in.merge, in.file} {
		if err := truncateWAL(ctx, c); err != nil {
			return fmt.Errorf("checkpoint after merging positions: %w", err)
		}
	}
	slog.Debug("positions inbox merged", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// truncateWAL copies the WAL of c's database back without waiting for
// anyone, then truncates it if readers and writers let it within 50 ms
// (else the next merge does).
func truncateWAL(ctx context.Context, c execer) error {
	for _, q := range []string{"PRAGMA main.wal_checkpoint(PASSIVE)", "PRAGMA busy_timeout = 50",
		"PRAGMA main.wal_checkpoint(TRUNCATE)", fmt.Sprintf("PRAGMA busy_timeout = %d", store.BusyTimeoutMS)} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (in *inbox) close() error {
	var err error
	if in.merge != nil {
		err = in.merge.Close()
	}
	for _, db := range []*sql.DB{in.mdb, in.file} {
		if db != nil {
			err = errors.Join(err, db.Close())
		}
	}
	return err
}
