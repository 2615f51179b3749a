package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/store"
)

// PruneBatch is the most rows Prune deletes in one transaction, so that
// retention never holds the write lock (SQLite) or a long transaction
// (PostgreSQL) for long.
var PruneBatch = 5000

// pruneTerminals is the most terminals Prune looks at in one transaction.
var pruneTerminals = 500

// Prune deletes the positions older than before and returns how many it
// deleted, then the position_days of the days before. positions has no
// index on at (migration 0017): Prune walks the terminals along the primary
// key (terminal_phone, at), reading each one's oldest position, and deletes
// the old range of those that have one.
func Prune(ctx context.Context, db *store.DB, before time.Time) (int64, error) {
	before = before.UTC()
	var total int64
	after, done := "", false // the terminals up to after are pruned
	for !done {
		var deleted int64
		err := db.Tx(ctx, func(tx bun.Tx) error {
			deleted = 0
			for range pruneTerminals {
				var phone string
				var oldest time.Time
				err := tx.QueryRowContext(ctx, `SELECT terminal_phone, at FROM positions
					WHERE terminal_phone > ? ORDER BY terminal_phone, at LIMIT 1`, after).Scan(&phone, &oldest)
				if errors.Is(err, sql.ErrNoRows) {
					done = true
					return nil
				}
				if err != nil {
					return err
				}
				if oldest.Before(before) {
					res, err := tx.ExecContext(ctx, `DELETE FROM positions WHERE (terminal_phone, at) IN
						(SELECT terminal_phone, at FROM positions WHERE terminal_phone = ? AND at < ? ORDER BY at LIMIT ?)`,
						phone, before, int64(PruneBatch)-deleted)
					if err != nil {
						return err
					}
					n, err := res.RowsAffected()
					if err != nil {
						return err
					}
					if deleted += n; deleted >= int64(PruneBatch) {
						return nil // phone may have more: the next transaction looks at it again
					}
				}
				after = phone
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("prune positions: %w", err)
		}
		total += deleted
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
	// The days before the cut have no positions left.
	if _, err := db.W.ExecContext(ctx, "DELETE FROM position_days WHERE day < ?", Day(before)); err != nil {
		return total, fmt.Errorf("prune position days: %w", store.Translate(err))
	}
	return total, nil
}
