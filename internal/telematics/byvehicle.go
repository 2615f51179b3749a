package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/store"
)

// ForVehicle returns the condition on positions that selects the rows of
// vehicle reported on the days from … to (UTC, both included), with its
// arguments, for reads by vehicle. Positions are stored by terminal and
// time; position_days (migration 0015; kept on PostgreSQL by a trigger, on
// SQLite by the inbox merge, 0016) tells which
// terminals reported for the vehicle on which days, so the read is one range
// of the (terminal_phone, at) key per terminal — usually one, two on the day
// a terminal is changed. The caller adds its own bounds on at. ok is false
// when no terminal reported for the vehicle on those days.
func ForVehicle(ctx context.Context, db bun.IDB, vehicle int64, from, to time.Time) (cond string, args []any, ok bool, err error) {
	phones, err := Phones(ctx, db, vehicle, from, to)
	if err != nil || len(phones) == 0 {
		return "", nil, false, err
	}
	args = make([]any, 0, len(phones)+1)
	for _, p := range phones {
		args = append(args, p)
	}
	args = append(args, vehicle)
	return "terminal_phone IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(phones)), ", ") + ") AND vehicle_id = ?", args, true, nil
}

// Phones returns the terminals that reported for vehicle on the days
// from … to (position_days).
func Phones(ctx context.Context, db bun.IDB, vehicle int64, from, to time.Time) ([]string, error) {
	var phones []string
	if err := db.NewSelect().Table("position_days").ColumnExpr("DISTINCT terminal_phone").
		Where("vehicle_id = ? AND day >= ? AND day <= ?", vehicle, Day(from), Day(to)).
		OrderExpr("terminal_phone").Scan(ctx, &phones); err != nil {
		return nil, fmt.Errorf("terminals of vehicle %d: %w", vehicle, store.Translate(err))
	}
	return phones, nil
}

// LastBefore returns the last position of vehicle with from <= at < to
// among those of phones (its terminals, from Phones), with its time and
// place only; ok is false if it has none. It is one seek down the
// (terminal_phone, at) key per terminal.
func LastBefore(ctx context.Context, db bun.IDB, vehicle int64, phones []string, from, to time.Time) (p Position, ok bool, err error) {
	for _, phone := range phones {
		var q Position
		err := db.QueryRowContext(ctx, `SELECT at, lat, lng FROM positions WHERE terminal_phone = ? AND at >= ? AND at < ? AND vehicle_id = ?
			ORDER BY at DESC LIMIT 1`, phone, from.UTC(), to.UTC(), vehicle).Scan(&q.At, &q.Lat, &q.Lng)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return p, false, fmt.Errorf("last position of vehicle %d: %w", vehicle, store.Translate(err))
		}
		if !ok || q.At.After(p.At) {
			q.VehicleID, q.Phone, q.At = vehicle, phone, q.At.UTC()
			p, ok = q, true
		}
	}
	return p, ok, nil
}

// RecordDay adds (vehicle, day of at, phone) to position_days for a
// position written into positions by other means than a Writer (demo data,
// test fixtures): PostgreSQL's trigger would, SQLite's inbox merge does it
// for what a Writer stores (migration 0016).
func RecordDay(ctx context.Context, db bun.IDB, vehicle int64, phone string, at time.Time) error {
	_, err := db.NewRaw("INSERT INTO position_days (vehicle_id, day, terminal_phone) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		vehicle, Day(at), phone).Exec(ctx)
	return store.Translate(err)
}

// Day is the key of position_days for time t: its UTC date.
func Day(t time.Time) string { return t.UTC().Format(time.DateOnly) }
