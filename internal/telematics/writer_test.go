package telematics_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
	"govfleet/internal/telematics"
)

var t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func pos(phone string, i int) telematics.Position {
	return telematics.Position{
		VehicleID: 7, Phone: phone, At: t0.Add(time.Duration(i) * time.Second), ReceivedAt: t0.Add(time.Duration(i)*time.Second + 300*time.Millisecond),
		Lat: 31780000 + int64(i), Lng: 119950000 - int64(i), Speed: 450, Heading: 90, Altitude: 12,
		Alarm: uint32(jt808.AlarmOverspeed), Status: uint32(jt808.StatusACC | jt808.StatusLocated),
		Mileage: sql.Null[int64]{V: 123400, Valid: true},
	}
}

// storePositions writes ps with a Writer of its own and makes them readable (on
// SQLite: merges the inbox).
func storePositions(t *testing.T, db *store.DB, ps []telematics.Position) {
	t.Helper()
	ctx := context.Background()
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := w.Write(ctx, ps); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *store.DB, where string, args ...any) int {
	t.Helper()
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM positions WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriter(t *testing.T) {
	// PostgreSQL: batches after the duplicate below go by COPY too.
	pause := telematics.CopyPause
	telematics.CopyPause = 0
	defer func() { telematics.CopyPause = pause }()
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		latest := &telematics.Latest{}
		w, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{Latest: latest})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Close()
		// write stores ps and makes them readable (SQLite: merges the inbox).
		write := func(t *testing.T, ps []telematics.Position) {
			t.Helper()
			if err := w.Write(ctx, ps); err != nil {
				t.Fatal(err)
			}
			if err := w.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}

		t.Run("round trip", func(t *testing.T) {
			p := pos("13800000001", 0)
			p.VehicleID = 0
			p.Lat, p.Lng = -p.Lat, -p.Lng
			p.Extras = "e10401020304"
			p.Fuel = sql.Null[int32]{V: 455, Valid: true}
			write(t, []telematics.Position{p})
			got, err := telematics.Track(ctx, db, "013800000001", t0, t0.Add(time.Hour), 10)
			if err != nil || len(got) != 1 {
				t.Fatalf("track: %v %v", got, err)
			}
			g := got[0]
			if g.VehicleID != 0 || !g.At.Equal(p.At) || !g.ReceivedAt.Equal(p.ReceivedAt) || g.Lat != p.Lat || g.Lng != p.Lng ||
				g.Speed != p.Speed || g.Alarm != p.Alarm || g.Status != p.Status || g.Mileage != p.Mileage || g.Fuel != p.Fuel || g.Extras != p.Extras {
				t.Errorf("stored %+v\nwant   %+v", g, p)
			}
			if l, ok := latest.ByTerminal("13800000001"); !ok || !l.At.Equal(p.At) {
				t.Errorf("latest = %+v %v", l, ok)
			}
		})

		t.Run("duplicate stored once", func(t *testing.T) {
			ps := []telematics.Position{pos("13800000002", 0), pos("13800000002", 1), pos("13800000002", 0)}
			for range 3 {
				write(t, ps)
			}
			if n := count(t, db, "terminal_phone = ?", "13800000002"); n != 2 {
				t.Errorf("stored %d rows, want 2", n)
			}
		})

		t.Run("concurrent writers", func(t *testing.T) {
			const writers, each = 64, 25
			var wg sync.WaitGroup
			errc := make(chan error, writers)
			for g := range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					phone := fmt.Sprintf("1390000%04d", g)
					for i := range each {
						if err := w.Write(ctx, []telematics.Position{pos(phone, i)}); err != nil {
							errc <- err
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errc)
			for err := range errc {
				t.Error(err)
			}
			write(t, nil)
			if n := count(t, db, "terminal_phone LIKE ?", "1390000%"); n != writers*each {
				t.Errorf("stored %d, want %d", n, writers*each)
			}
			if st := w.Stats(); st.Transactions >= writers*each {
				t.Logf("no grouping happened: %+v", st)
			}
			if latest.Len() < writers {
				t.Errorf("latest knows %d terminals", latest.Len())
			}
		})

		t.Run("large batch spans chunks", func(t *testing.T) {
			ps := make([]telematics.Position, 3*telematics.ChunkRows+7)
			for i := range ps {
				ps[i] = pos("13700000001", i)
			}
			write(t, ps)
			if n := count(t, db, "terminal_phone = ?", "13700000001"); n != len(ps) {
				t.Errorf("stored %d, want %d", n, len(ps))
			}
		})

		t.Run("prune", func(t *testing.T) {
			old := telematics.PruneBatch
			telematics.PruneBatch = 100
			defer func() { telematics.PruneBatch = old }()
			cut := t0.Add(500 * time.Second)
			before, old := count(t, db, "1 = 1"), count(t, db, "at < ?", cut)
			n, err := telematics.Prune(ctx, db, cut)
			if err != nil {
				t.Fatal(err)
			}
			after := count(t, db, "1 = 1")
			if old < 500 || int(n) != old || after != before-old || count(t, db, "at < ?", cut) != 0 {
				t.Errorf("pruned %d: %d → %d rows", n, before, after)
			}
		})
	})
}

// A Write must fail, not succeed, when the database cannot store it.
func TestWriterBrokenDatabase(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		type brk struct {
			name    string
			breakDB func(t *testing.T, db *store.DB)
		}
		cases := []brk{{"table dropped", func(t *testing.T, db *store.DB) {
			if _, err := db.W.ExecContext(context.Background(), "DROP TABLE positions"); err != nil {
				t.Fatal(err)
			}
		}}}
		if db.Postgres {
			cases = append(cases, brk{"database closed", func(t *testing.T, db *store.DB) { db.Close() }})
		} else {
			// On SQLite a report is acknowledged once it is in the inbox.
			cases = append(cases, brk{"inbox unwritable", func(t *testing.T, db *store.DB) {
				if err := os.Chmod(db.Path+".inbox", 0o400); err != nil {
					t.Fatal(err)
				}
			}})
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				c.breakDB(t, db)
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{Timeout: 5 * time.Second})
				if err == nil {
					defer w.Close()
					err = w.Write(ctx, []telematics.Position{pos("13800000009", 0)})
					if w.Stats().Failures != 1 {
						t.Errorf("stats %+v", w.Stats())
					}
				}
				if err == nil || errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("Write on a broken database returned %v, want a database error", err)
				}
			})
		}
	})
}

// SQLite's inbox (issue 5, Performance): acknowledged positions reach
// positions at the next merge or Sync; a merge that fails keeps them for the
// next one; what a crash leaves in the inbox is merged when the next Writer
// starts; a report re-sent before and after a merge is stored once; and
// appends while another Writer merges are all kept.
func TestWriterInbox(t *testing.T) {
	ctx := context.Background()
	defer func(old int) { *telematics.MergeChunk = old }(*telematics.MergeChunk)
	*telematics.MergeChunk = 3 // positions inserted three at a time
	db := storetest.SQLite(t)
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{MergeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, []telematics.Position{pos("13500000001", 0), pos("13500000001", 1)}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "1 = 1"); n != 0 {
		t.Errorf("%d rows readable before the merge, want 0", n)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "1 = 1"); n != 2 {
		t.Fatalf("%d rows after Sync, want 2", n)
	}

	// A merge's transaction locks the database, not the inbox: reports are
	// acknowledged while it runs (an IMMEDIATE transaction locked both and
	// held every answer up for the whole chunk).
	var during error
	*telematics.MergeTxHook = func() {
		*telematics.MergeTxHook = nil
		ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		defer cancel()
		during = w.Write(ctx, []telematics.Position{pos("13500000001", 5)})
	}
	if err := w.Write(ctx, []telematics.Position{pos("13500000001", 4)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	*telematics.MergeTxHook = nil
	if during != nil {
		t.Fatalf("Write during a merge: %v", during)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "1 = 1"); n != 4 {
		t.Fatalf("%d rows after writes during a merge, want 4", n)
	}
	if _, err := db.W.ExecContext(ctx, "DELETE FROM positions WHERE at > ?", t0.Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}

	// The merge fails while positions is away; nothing acknowledged is lost.
	if _, err := db.W.ExecContext(ctx, "ALTER TABLE positions RENAME TO positions_away"); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, []telematics.Position{pos("13500000001", 1), pos("13500000001", 2)}); err != nil {
		t.Fatalf("Write with positions away (the inbox takes it): %v", err)
	}
	if err := w.Sync(ctx); err == nil {
		t.Fatal("Sync without positions succeeded")
	}
	if _, err := db.W.ExecContext(ctx, "ALTER TABLE positions_away RENAME TO positions"); err != nil {
		t.Fatal(err)
	}
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "1 = 1"); n != 3 {
		t.Fatalf("%d rows after the failed merge and a good one, want 3 (one re-sent)", n)
	}

	// A crash: rows acknowledged into the inbox, no merge, no Close.
	crashed, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{MergeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 { // three batches, merged at the next start one merge step each
		if err := crashed.Write(ctx, []telematics.Position{pos("13500000002", 2*i), pos("13500000002", 2*i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { crashed.Close() })
	defer func(old int) { *telematics.MergeRows = old }(*telematics.MergeRows)
	*telematics.MergeRows = 2
	next, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{MergeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, "terminal_phone = '13500000002'"); n != 6 {
		t.Errorf("%d rows left by the crashed writer merged at start, want 6", n)
	}

	// Two Writers of one database (the demo's history beside the server's):
	// one merges again and again while the other appends; nothing is lost.
	const n = 300
	done := make(chan error, 1)
	go func() {
		for i := range n {
			if err := next.Write(ctx, []telematics.Position{pos("13500000003", i)}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for merging := true; merging; {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
			merging = false
		default:
			if err := w.Sync(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := next.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if got := count(t, db, "terminal_phone = '13500000003'"); got != n {
		t.Errorf("%d of %d positions stored while another writer merged", got, n)
	}
	w.Close()
	next.Close()
}

// The periodic merge runs paced (store.Pacer: it pauses between its
// chunks); paced, it still stores every acknowledged position, with no
// Sync.
func TestWriterPacedMerge(t *testing.T) {
	ctx := context.Background()
	defer func(old int) { *telematics.MergeChunk = old }(*telematics.MergeChunk)
	*telematics.MergeChunk = 3
	db := storetest.SQLite(t)
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{MergeEvery: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	const terminals, each = 20, 15
	var wg sync.WaitGroup
	for i := range terminals {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range each {
				if err := w.Write(ctx, []telematics.Position{pos(fmt.Sprintf("1370000%04d", i), j)}); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(20 * time.Second)
	for count(t, db, "1 = 1") < terminals*each && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := count(t, db, "1 = 1"); n != terminals*each {
		t.Errorf("%d of %d acknowledged positions merged by the periodic merges", n, terminals*each)
	}
}

func TestWriterClose(t *testing.T) {
	db := storetest.SQLite(t)
	w, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{MaxDelay: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := w.Write(context.Background(), []telematics.Position{pos("13600000001", i)}); err != nil && !errors.Is(err, telematics.ErrClosed) {
				t.Error(err)
			}
		}()
	}
	time.Sleep(5 * time.Millisecond)
	w.Close()
	wg.Wait()
	if err := w.Write(context.Background(), []telematics.Position{pos("13600000001", 99)}); !errors.Is(err, telematics.ErrClosed) {
		t.Errorf("Write after Close = %v", err)
	}
}

func TestFromLocation(t *testing.T) {
	mileage, fuel := uint32(12345), uint16(400)
	l := &jt808.Location{Speed: 600, Direction: 270, Altitude: 5, Time: t0, Mileage: &mileage, Fuel: &fuel,
		Extras: []jt808.Extra{{ID: 0xe1, Data: []byte{1, 2}}}}
	l.SetPosition(-31.5, -119.25)
	p := telematics.FromLocation("000000000013800000001", 3, l, t0.Add(time.Second))
	want := telematics.Position{VehicleID: 3, Phone: "13800000001", At: t0, ReceivedAt: t0.Add(time.Second),
		Lat: -31500000, Lng: -119250000, Speed: 600, Heading: 270, Altitude: 5, Status: uint32(l.Status),
		Mileage: sql.Null[int64]{V: 1234500, Valid: true}, Fuel: sql.Null[int32]{V: 400, Valid: true}, Extras: "e1020102"}
	if p != want {
		t.Errorf("got  %+v\nwant %+v", p, want)
	}
}

func TestLatestKeepsNewest(t *testing.T) {
	var l telematics.Latest
	l.Update([]telematics.Position{pos("1", 5), pos("1", 2)})
	l.Update([]telematics.Position{pos("1", 3)})
	if p, _ := l.ByTerminal("1"); !p.At.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("by terminal: %v", p.At)
	}
	if p, _ := l.ByVehicle(7); !p.At.Equal(t0.Add(5 * time.Second)) {
		t.Errorf("by vehicle: %v", p.At)
	}
	if len(l.Vehicles()) != 1 {
		t.Errorf("vehicles %d", len(l.Vehicles()))
	}
}

// After a merge the inbox's WAL starts over at the next append, without
// the merge truncating it on the appends' connection (issue 5: that held
// acknowledgements up ~100 ms per merge): the WAL holds the new append's
// pages, not the history.
func TestInboxWALStartsOver(t *testing.T) {
	ctx := context.Background()
	db := storetest.SQLite(t)
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{MergeEvery: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	inbox, err := sql.Open("sqlite", store.SQLiteDSN(db.Path+".inbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer inbox.Close()
	walFrames := func() int {
		var busy, frames, copied int
		if err := inbox.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		return frames
	}
	for i := range 50 {
		ps := make([]telematics.Position, 40)
		for j := range ps {
			ps[j] = pos(fmt.Sprintf("1370001%04d", j), i)
		}
		if err := w.Write(ctx, ps); err != nil {
			t.Fatal(err)
		}
	}
	// No checkpoint here before the merge: it would start the WAL over.
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(ctx, []telematics.Position{pos("13700020000", 0)}); err != nil {
		t.Fatal(err)
	}
	if frames := walFrames(); frames > 5 {
		t.Errorf("inbox WAL: %d pages after a merge of 50 appends and one append more, want a few", frames)
	}
	if n := count(t, db, "1 = 1"); n != 50*40 {
		t.Errorf("%d positions merged, want %d", n, 50*40)
	}
	// The merged batches are deleted (a few per transaction), the new one kept.
	var batches int
	if err := inbox.QueryRowContext(ctx, "SELECT count(*) FROM batches").Scan(&batches); err != nil {
		t.Fatal(err)
	}
	if batches != 1 {
		t.Errorf("%d batches left in the inbox, want the one appended after the merge", batches)
	}
}

// TestCopyPause: on PostgreSQL a batch goes by COPY; one holding a stored
// position is written again with INSERT … ON CONFLICT DO NOTHING (in
// statements of up to ChunkRows rows), and so are the batches of the next
// CopyPause.
func TestCopyPause(t *testing.T) {
	db := storetest.Postgres(t)
	ctx := context.Background()
	w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	pause := telematics.CopyPause
	defer func() { telematics.CopyPause = pause }()
	write := func(ps []telematics.Position, inserted int64) {
		t.Helper()
		before := w.Stats().Inserted
		if err := w.Write(ctx, ps); err != nil {
			t.Fatal(err)
		}
		if got := w.Stats().Inserted - before; got != inserted {
			t.Errorf("%d batches written with INSERT, want %d", got, inserted)
		}
	}
	big := make([]telematics.Position, 3*telematics.ChunkRows+7)
	for i := range big {
		big[i] = pos("13500000001", i)
	}
	telematics.CopyPause = 0
	write(big[:10], 0)                                     // COPY
	write(big[:1], 1)                                      // a stored one: INSERT
	write([]telematics.Position{pos("13500000002", 0)}, 0) // no pause: COPY
	telematics.CopyPause = time.Hour
	write(big, 1)                                          // holds stored ones: INSERT, in chunks
	write([]telematics.Position{pos("13500000002", 1)}, 1) // paused: INSERT
	if n := count(t, db, "terminal_phone = ?", "13500000001"); n != len(big) {
		t.Errorf("stored %d, want %d", n, len(big))
	}
	if n := count(t, db, "terminal_phone = ?", "13500000002"); n != 2 {
		t.Errorf("stored %d, want 2", n)
	}
}

// TestPruneWalk: retention walks the terminals along the key (there is no
// index on at, migration 0017) in transactions of a few terminals and rows:
// every old position goes, every newer one stays, whatever the batches cut.
func TestPruneWalk(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		// Seven terminals, 0–29 positions each, one a second from t0.
		var ps []telematics.Position
		for k := range 7 {
			for i := range k * 5 {
				ps = append(ps, pos(fmt.Sprintf("1360000000%d", k), i))
			}
		}
		storePositions(t, db, ps)
		batch, terms := telematics.PruneBatch, *telematics.PruneTerminals
		telematics.PruneBatch, *telematics.PruneTerminals = 4, 2
		defer func() { telematics.PruneBatch, *telematics.PruneTerminals = batch, terms }()
		cut := t0.Add(12 * time.Second) // positions 0–11 of each terminal go
		old, kept := count(t, db, "at < ?", cut), count(t, db, "at >= ?", cut)
		n, err := telematics.Prune(ctx, db, cut)
		if err != nil {
			t.Fatal(err)
		}
		if old != 5+10+12*4 || int(n) != old || count(t, db, "at < ?", cut) != 0 || count(t, db, "at >= ?", cut) != kept {
			t.Errorf("pruned %d of %d old positions; %d old and %d of %d newer left", n, old, count(t, db, "at < ?", cut), count(t, db, "at >= ?", cut), kept)
		}
	})
}
