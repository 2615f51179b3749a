package telematics

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
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
// (appendRowsJSON), to the table batches of a second SQLite file beside the
// database (<database>.inbox): a few dozen pages written in order per
// thousand reports, and nothing parsed. That commit is what acknowledges
// the reports: they are durable from then on. Every MergeEvery a connection
// of its own, with the inbox attached, parses the batches up to the last
// one committed (parseBatch), merges their rows into positions in
// (terminal, time) order
// — a terminal's reports of those seconds land on its leaf together, one
// page write for all of them — and deletes those batches. The merge holds
// the database's write lock but not the inbox's, so acknowledgements never
// wait for it, and appends go on while it runs: what a merge takes and
// deletes is bounded by the rowid it saw last, so nothing appended meanwhile
// is lost, whichever Writer of the process appended it.
//
// Positions are readable in positions once merged, within MergeEvery of
// their acknowledgement (the live map reads Latest, which is updated at
// acknowledgement); Sync merges at once. A crash between a merge and the
// deletion leaves batches merged twice, which the (terminal_phone, at) key
// turns into nothing; NewWriter merges what a crash left before anything
// else.
type inbox struct {
	file  *sql.DB   // the inbox file; one connection: appends, deletions
	merge *sql.Conn // to the database, with the inbox attached as "inbox"
	mdb   *sql.DB
	mu    sync.Mutex // one merge at a time
}

const positionColumns = "vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras, invalid"

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
	// n, the batch's positions, before the JSON: reading it does not read
	// the batch's overflow pages.
	if _, err = in.file.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS batches (n INTEGER NOT NULL, batch TEXT NOT NULL)"); err != nil {
		return nil, fmt.Errorf("create positions inbox %s: %w", path, err)
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
	// A database without positions as the merge writes it fails here, at
	// start, not at every merge.
	if _, err = in.merge.ExecContext(ctx, "SELECT "+positionColumns+" FROM main.positions WHERE false"); err != nil {
		return nil, fmt.Errorf("positions merger: %w", store.Translate(err))
	}
	if err = in.mergeNow(ctx, false); err != nil {
		return nil, err
	}
	return in, nil
}

// append stores rows in the inbox; when it returns nil they are durable.
func (in *inbox) append(ctx context.Context, rows []Position) error {
	batch := string(appendRowsJSON(make([]byte, 0, 128*len(rows)), rows))
	_, err := in.file.ExecContext(ctx, "INSERT INTO batches (n, batch) VALUES (?, ?)", len(rows), batch)
	return store.Translate(err)
}

// mergeRows is about the most positions one merge step parses into memory
// (~350 bytes each with the batch text): a backlog — after a crash, or while
// merges fail — is merged in steps, so memory stays bounded. A step ends at
// a batch, so it can exceed mergeRows by one batch. A merge every 10 s at
// 20,000 reports/s is one step.
var mergeRows = 500_000

// mergeNow merges every batch committed before it into positions and
// deletes them from the inbox. Paced, a merge of one step (no backlog)
// takes about half a core while it runs (store.Pacer); a backlog is caught
// up flat out.
func (in *inbox) mergeNow(ctx context.Context, paced bool) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	start := time.Now()
	// Rowids grow: later appends get larger ones, so the batches up to the
	// last seen here are exactly those merged and deleted below.
	steps, err := in.steps(ctx)
	if err != nil {
		return fmt.Errorf("merge positions inbox: %w", store.Translate(err))
	}
	if len(steps) == 0 {
		return nil
	}
	var p *store.Pacer
	if paced && len(steps) == 1 {
		p = &store.Pacer{}
	}
	for _, st := range steps {
		if err := in.mergeUpTo(ctx, st, p); err != nil {
			return err
		}
	}
	// Copy both WALs back while their pages are fresh and start them over:
	// a merge writes tens of megabytes, and a WAL that only grows slows down
	// every page lookup. SQLite starts a WAL over when a writer finds it all
	// copied back and no reader in it, which the database, written and read
	// all the time, seldom offers: its WAL is truncated here, which holds
	// up its writers but not the appends.
	if err := truncateWAL(ctx, in.merge); err != nil {
		return fmt.Errorf("checkpoint after merging positions: %w", err)
	}
	p.Pause(ctx)
	if err := in.checkpoint(ctx); err != nil {
		return fmt.Errorf("checkpoint the positions inbox: %w", err)
	}
	slog.Debug("positions inbox merged", "took", time.Since(start).Round(time.Millisecond))
	return nil
}

type execer interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}

// truncateWAL copies the WAL of c's main database back and truncates it if
// readers and writers let it within 50 ms (else the next merge does; what
// it could copy meanwhile it has copied, as a passive checkpoint would).
func truncateWAL(ctx context.Context, c execer) error {
	for _, q := range []string{"PRAGMA busy_timeout = 50", "PRAGMA main.wal_checkpoint(TRUNCATE)",
		fmt.Sprintf("PRAGMA busy_timeout = %d", store.BusyTimeoutMS)} {
		if _, err := c.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// checkpoint copies the inbox's WAL back into its file, first on the
// merge's connection, beside the appends, then what was appended meanwhile
// on the inbox's own connection, the appends' one: no append can come in
// between there, so all of it is copied and the next append starts the WAL
// over. Under load the first pass never catches up by itself (the WAL grew
// by 10,000 pages a merge at 10,000 reports/s). The second holds the
// appends up only for the few pages it copies. Should a reader keep the WAL
// from being all copied, a WAL past inboxWALFrames is truncated, on the
// appends' connection too (70-115 ms at 10,000 reports/s: the p99 of the
// acknowledgements when every merge did it).
func (in *inbox) checkpoint(ctx context.Context) error {
	if _, err := in.merge.ExecContext(ctx, "PRAGMA inbox.wal_checkpoint(PASSIVE)"); err != nil {
		return store.Translate(err)
	}
	if testHookCheckpoint != nil {
		testHookCheckpoint()
	}
	var busy, frames, copied int
	if err := in.file.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return store.Translate(err)
	}
	if copied == frames || frames < inboxWALFrames {
		return nil
	}
	return truncateWAL(ctx, in.file)
}

// testHookCheckpoint, set by tests, runs between the two passes of checkpoint.
var testHookCheckpoint func()

// inboxWALFrames is the size of the inbox's WAL, in pages, beyond which a
// merge truncates it: 64 MiB, two merges' worth at 20,000 reports/s.
var inboxWALFrames = 16384

// step is one step of a merge: the batches up to rowid upto, rows
// positions in all.
type step struct{ upto, rows int64 }

// steps returns the steps of a merge of the batches committed now.
func (in *inbox) steps(ctx context.Context) ([]step, error) {
	rows, err := in.merge.QueryContext(ctx, "SELECT rowid, n FROM inbox.batches ORDER BY rowid")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var steps []step
	var id, n, sum int64
	for rows.Next() {
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		if sum += n; sum >= int64(mergeRows) {
			steps, sum = append(steps, step{id, sum}), 0
		}
	}
	if sum > 0 {
		steps = append(steps, step{id, sum})
	}
	return steps, rows.Err()
}

// mergeChunk is how many positions one transaction of a merge step
// inserts: the merge gives the database's write lock back between chunks,
// so other writers (registrations, bookings) wait for a chunk (~50 ms), not
// for the whole merge, and a paced merge pauses between them.
var mergeChunk = 4_000

// mergeStmtRows is the number of rows of one INSERT of a merge, prepared
// once per transaction.
const mergeStmtRows = 32

// testHookMergeTx, set by tests, runs inside each transaction of a merge.
var testHookMergeTx func()

// mergeUpTo merges the batches of st and deletes them: parsed
// (parseBatch) and sorted by key, their days added to position_days, the
// rows inserted in chunks of consecutive keys.
func (in *inbox) mergeUpTo(ctx context.Context, st step, p *store.Pacer) error {
	rows, ids, err := in.read(ctx, st, p)
	if err != nil {
		return fmt.Errorf("merge positions inbox: %w", err)
	}
	refs := sortByKey(ctx, rows, p)
	vals := make([][]any, len(refs))
	for i, r := range refs {
		vals[i] = r[:]
	}
	// position_days first (migration 0016): a crash after it leaves a day
	// with no rows yet, never rows without their day.
	type day struct {
		vehicle    int64
		day, phone string
	}
	seen := map[day]bool{}
	var days [][]any
	for _, r := range refs {
		v, ok := r[0].(int64)
		if !ok {
			continue
		}
		if d := (day{v, batchDay(r.at()), r.phone()}); !seen[d] {
			seen[d] = true
			days = append(days, []any{d.vehicle, d.day, d.phone})
		}
	}
	if err := in.insert(ctx, "INSERT OR IGNORE INTO main.position_days (vehicle_id, day, terminal_phone) VALUES ", days); err != nil {
		return err
	}
	for len(vals) > 0 {
		n := min(len(vals), mergeChunk)
		// OR IGNORE, not ON CONFLICT DO NOTHING: a statement of many rows
		// that might abort keeps a statement journal of every page it
		// changes, a third of the merge's time. parseBatch has checked the
		// rows' types, so the key is the only conflict left to ignore.
		if err := in.insert(ctx, "INSERT OR IGNORE INTO main.positions ("+positionColumns+") VALUES ", vals[:n]); err != nil {
			return err
		}
		p.Pause(ctx)
		vals = vals[n:]
	}
	// A few batches per transaction: the deletion runs on the appends'
	// connection and holds them up (20-70 ms in one transaction for a 10 s
	// merge at 10,000 reports/s). By ranges of the merged batches' own
	// rowids: an append gets the largest rowid + 1, so never one inside a
	// range still to be deleted (but rowid 1 once the table is empty, which
	// a bound "rowid <= upto" would delete unmerged).
	for i := 0; i < len(ids); i += deleteBatches {
		last := ids[min(i+deleteBatches, len(ids))-1]
		if _, err := in.file.ExecContext(ctx, "DELETE FROM batches WHERE rowid BETWEEN ? AND ?", ids[i], last); err != nil {
			return fmt.Errorf("empty positions inbox: %w", store.Translate(err))
		}
		p.Pause(ctx)
	}
	return nil
}

// deleteBatches is how many batches of the inbox one transaction deletes
// after a merge.
const deleteBatches = 16

// sortByKey returns references to rows (a row is 224 bytes) in key order,
// terminal then time. It groups them by terminal and sorts the terminals,
// then each terminal's few rows, which mostly arrived in order: a sort of all
// the rows with string comparisons took 0.5 s of CPU for a 10 s merge at
// 20,000 reports/s, in one piece a Pacer could not break up.
func sortByKey(ctx context.Context, rows []batchRow, p *store.Pacer) []*batchRow {
	byPhone := map[string][]*batchRow{}
	for i := range rows {
		r := &rows[i]
		byPhone[r.phone()] = append(byPhone[r.phone()], r)
	}
	refs := make([]*batchRow, 0, len(rows))
	for i, phone := range slices.Sorted(maps.Keys(byPhone)) {
		group := byPhone[phone]
		slices.SortFunc(group, func(a, b *batchRow) int { return strings.Compare(a.at(), b.at()) })
		refs = append(refs, group...)
		if i%1024 == 1023 {
			p.Pause(ctx)
		}
	}
	return refs
}

// read parses the batches of st and returns their rowids, in order.
func (in *inbox) read(ctx context.Context, st step, p *store.Pacer) (rows []batchRow, ids []int64, err error) {
	q, err := in.merge.QueryContext(ctx, "SELECT rowid, batch FROM inbox.batches WHERE rowid <= ? ORDER BY rowid", st.upto)
	if err != nil {
		return nil, nil, store.Translate(err)
	}
	defer q.Close()
	rows = make([]batchRow, 0, st.rows)
	for q.Next() {
		var id int64
		var b string
		if err := q.Scan(&id, &b); err != nil {
			return nil, nil, err
		}
		if rows, err = parseBatch(b, rows); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		p.Pause(ctx)
	}
	return rows, ids, store.Translate(q.Err())
}

// insert inserts rows (values of the same columns) in one transaction, with
// statements head (…), … of mergeStmtRows rows and one with the rest.
//
// It runs on the driver's connection: database/sql converts the arguments
// of every Exec into a new slice of 40 bytes a value (98 of the server's 714
// MB allocated in 20 s at 10,000 reports/s); here one slice serves every
// statement. The rows' values (int64, string, nil: parseBatch) are driver
// values as they are.
func (in *inbox) insert(ctx context.Context, head string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	statement := func(n int) string {
		row := "(?" + strings.Repeat(", ?", len(rows[0])-1) + ")"
		return head + row + strings.Repeat(", "+row, n-1)
	}
	err := in.merge.Raw(func(dc any) (err error) {
		conn := dc.(interface {
			driver.ConnPrepareContext
			driver.ExecerContext
		})
		exec := func(ctx context.Context, q string, args []driver.NamedValue) error {
			_, err := conn.ExecContext(ctx, q, args)
			return err
		}
		// BEGIN, not BeginTx: the connection's transactions are IMMEDIATE
		// (store.SQLiteDSN), which locks every attached database for
		// writing, the inbox too, and holds the acknowledgements up for the
		// whole transaction. A deferred one locks main only, at the first
		// INSERT.
		if err := exec(ctx, "BEGIN DEFERRED", nil); err != nil {
			return err
		}
		defer func() {
			if err != nil {
				exec(context.WithoutCancel(ctx), "ROLLBACK", nil)
			}
		}()
		if testHookMergeTx != nil {
			testHookMergeTx()
		}
		full, err := conn.PrepareContext(ctx, statement(mergeStmtRows))
		if err != nil {
			return err
		}
		defer full.Close()
		args := make([]driver.NamedValue, 0, mergeStmtRows*len(rows[0]))
		for len(rows) > 0 {
			n := min(len(rows), mergeStmtRows)
			args = args[:0]
			for _, r := range rows[:n] {
				for _, v := range r {
					args = append(args, driver.NamedValue{Ordinal: len(args) + 1, Value: v})
				}
			}
			if n == mergeStmtRows {
				_, err = full.(driver.StmtExecContext).ExecContext(ctx, args)
			} else {
				err = exec(ctx, statement(n), args)
			}
			if err != nil {
				return err
			}
			rows = rows[n:]
		}
		return exec(ctx, "COMMIT", nil)
	})
	if err != nil {
		return fmt.Errorf("merge positions inbox: %w", store.Translate(err))
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
