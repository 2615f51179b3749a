package telematics

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"govfleet/internal/store"
)

// Appends go on while the merge copies the inbox's WAL back, as they do
// all the time under load; the second pass, on the appends' own
// connection, copies what they added, so the next append starts the WAL
// over (issue 5: with the first pass alone it grew by 10,000 pages a
// merge at 10,000 reports/s, and nothing else bounds it).
func TestInboxCheckpointStartsWALOver(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "test.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	in, err := openInbox(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	appendSome := func(from, n int) {
		for i := from; i < from+n; i++ {
			at := time.Date(2026, 11, 20, 8, 0, i, 0, time.UTC)
			if err := in.append(ctx, []Position{{Phone: fmt.Sprintf("1370004%04d", i), At: at, ReceivedAt: at}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer func() { testHookCheckpoint = nil }()
	testHookCheckpoint = func() { appendSome(40, 20) }

	appendSome(0, 40)
	if err := in.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	appendSome(60, 1)
	other, err := sql.Open("sqlite", store.SQLiteDSN(db.Path+".inbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	var busy, frames, copied int
	if err := other.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		t.Fatal(err)
	}
	if frames > 5 {
		t.Errorf("inbox WAL at %d pages after a checkpoint with appends during it and one append after, want a few (started over)", frames)
	}
}
