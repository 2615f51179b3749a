package telematics

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/store"
)

// PruneBatch is the number of rows Prune deletes per statement, so that
// retention never holds the write lock (SQLite) or a long transaction
// (PostgreSQL) for long.
var PruneBatch = 5000

// Prune deletes the positions older than before, PruneBatch rows at a time,
// and returns how many it deleted, then the position_days of the days before.
func Prune(ctx context.Context, db *store.DB, before time.Time) (int64, error) {
	var total int64
	for {
		res, err := db.W.ExecContext(ctx,
			"DELETE FROM positions WHERE (terminal_phone, at) IN (SELECT terminal_phone, at FROM positions WHERE at < ? LIMIT ?)",
			before.UTC(), PruneBatch)
		if err != nil {
			return total, fmt.Errorf("prune positions: %w", store.Translate(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, fmt.Errorf("prune positions: %w", err)
		}
		total += n
		if n < int64(PruneBatch) {
			// The days before the cut have no positions left.
			if _, err := db.W.ExecContext(ctx, "DELETE FROM position_days WHERE day < ?", Day(before)); err != nil {
				return total, fmt.Errorf("prune position days: %w", store.Translate(err))
			}
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, err
		}
	}
}

// Track returns the positions of terminal phone (normalised) with from <=
// at < to in time order, at most limit of them.
func Track(ctx context.Context, db *store.DB, phone string, from, to time.Time, limit int) ([]Position, error) {
	rows, err := db.R.QueryContext(ctx,
		`SELECT vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras
		FROM positions WHERE terminal_phone = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?`,
		NormalizePhone(phone), from.UTC(), to.UTC(), limit)
	if err != nil {
		return nil, fmt.Errorf("track: %w", store.Translate(err))
	}
	defer rows.Close()
	var out []Position
	for rows.Next() {
		var p Position
		var vid *int64
		var alarm, status int64
		if err := rows.Scan(&vid, &p.Phone, &p.At, &p.ReceivedAt, &p.Lat, &p.Lng, &p.Speed, &p.Heading, &p.Altitude,
			&alarm, &status, &p.Mileage, &p.Fuel, &p.Extras); err != nil {
			return nil, fmt.Errorf("track: %w", err)
		}
		if vid != nil {
			p.VehicleID = *vid
		}
		p.Alarm, p.Status = uint32(alarm), uint32(status)
		p.At, p.ReceivedAt = p.At.UTC(), p.ReceivedAt.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("track: %w", err)
	}
	return out, nil
}
