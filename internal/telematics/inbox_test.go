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

// A WAL all copied back does not start over when an append comes while a
// reader still holds it, as appends do all the time under load: it grows
// on, and every checkpoint then finds it all copied. Past inboxWALFrames
// the merge's checkpoint truncates it anyway (issue 5: the inbox's WAL has
// no other bound).
func TestInboxCheckpointBoundsWAL(t *testing.T) {
	ctx := context.Background()
	defer func(old int) { inboxWALFrames = old }(inboxWALFrames)
	inboxWALFrames = 50
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
	appendSome := func(from int) {
		for i := from; i < from+40; i++ {
			at := time.Date(2026, 11, 20, 8, 0, i, 0, time.UTC)
			if err := in.append(ctx, []Position{{Phone: fmt.Sprintf("1370004%04d", i), At: at, ReceivedAt: at}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	walFrames := func(c *sql.Conn) (frames, copied int) {
		var busy int
		if err := c.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
			t.Fatal(err)
		}
		return frames, copied
	}
	other, err := sql.Open("sqlite", store.SQLiteDSN(db.Path+".inbox"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	reader, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	checker, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer checker.Close()

	appendSome(0)
	// A reader in the WAL, then all of it copied back: the next appends
	// cannot start it over and go on at its end.
	tx, err := reader.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM batches").Scan(&n); err != nil {
		t.Fatal(err)
	}
	walFrames(checker)
	appendSome(40)
	tx.Rollback()
	if frames, copied := walFrames(checker); frames < inboxWALFrames || copied != frames {
		t.Fatalf("set-up: WAL %d pages, %d copied; want more than %d, all copied", frames, copied, inboxWALFrames)
	}
	if err := in.checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if frames, _ := walFrames(checker); frames >= inboxWALFrames {
		t.Errorf("inbox WAL at %d pages after the merge's checkpoint, want fewer than %d", frames, inboxWALFrames)
	}
}
