package telematics

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

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
	byVehicle, err := vehiclePhones(ctx, db, []int64{vehicle}, from, to)
	phones := byVehicle[vehicle]
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

// Seek asks for the last position of Vehicle with From <= at < To.
type Seek struct {
	Vehicle  int64
	From, To time.Time
}

// vehiclePhones returns the terminals that reported for each of vehicles
// on the days from … to (position_days), 500 vehicles a query.
func vehiclePhones(ctx context.Context, db bun.IDB, vehicles []int64, from, to time.Time) (map[int64][]string, error) {
	out := map[int64][]string{}
	for len(vehicles) > 0 {
		part := vehicles[:min(len(vehicles), 500)]
		vehicles = vehicles[len(part):]
		var rows []struct {
			Vehicle int64  `bun:"vehicle_id"`
			Phone   string `bun:"terminal_phone"`
		}
		if err := db.NewSelect().Table("position_days").ColumnExpr("DISTINCT vehicle_id, terminal_phone").
			Where("vehicle_id IN (?) AND day >= ? AND day <= ?", bun.In(part), Day(from), Day(to)).
			OrderExpr("vehicle_id, terminal_phone").Scan(ctx, &rows); err != nil {
			return nil, fmt.Errorf("terminals of vehicles: %w", store.Translate(err))
		}
		for _, r := range rows {
			out[r.Vehicle] = append(out[r.Vehicle], r.Phone)
		}
	}
	return out, nil
}

// seeksPerQuery is how many terminals' seeks one query of LastBefore
// carries. The query is planned once: a UNION of one small query per seek
// took PostgreSQL ~170 µs a seek, more with more of them in one query.
var seeksPerQuery = 500

// LastBefore returns, for each seek, the last valid fix it asks for (its
// time and place only), or a zero Position (At zero) if there is none:
// one seek down the (terminal_phone, at) key per terminal that reported for
// the vehicle in the seeks' days, many to a query.
func LastBefore(ctx context.Context, db bun.IDB, seeks []Seek) ([]Position, error) {
	if len(seeks) == 0 {
		return nil, nil
	}
	from, to := seeks[0].From, seeks[0].To
	var vehicles []int64
	seen := map[int64]bool{}
	for _, s := range seeks {
		if s.From.Before(from) {
			from = s.From
		}
		if s.To.After(to) {
			to = s.To
		}
		if !seen[s.Vehicle] {
			seen[s.Vehicle] = true
			vehicles = append(vehicles, s.Vehicle)
		}
	}
	byVehicle, err := vehiclePhones(ctx, db, vehicles, from, to)
	if err != nil {
		return nil, err
	}
	type one struct {
		seek  int
		phone string
	}
	var all []one
	for i, s := range seeks {
		for _, p := range byVehicle[s.Vehicle] {
			all = append(all, one{i, p})
		}
	}
	row := "(?, ?, ?, ?, ?)"
	if db.Dialect().Name() == dialect.PG {
		row = "(?::int, ?, ?::timestamptz, ?::timestamptz, ?::bigint)" // VALUES would take the times for text
	}
	out := make([]Position, len(seeks))
	for len(all) > 0 {
		part := all[:min(len(all), max(1, seeksPerQuery))]
		all = all[len(part):]
		args := make([]any, 0, 5*len(part))
		for k, o := range part {
			s := seeks[o.seek]
			args = append(args, k, o.phone, s.From.UTC(), s.To.UTC(), s.Vehicle)
		}
		// v: (k, phone, from, to, vehicle), one row per seek.
		rows, err := db.QueryContext(ctx, `SELECT v.column1, p.at, p.lat, p.lng
			FROM (VALUES `+strings.TrimSuffix(strings.Repeat(row+", ", len(part)), ", ")+`) AS v
			JOIN positions AS p ON p.terminal_phone = v.column2 AND p.at = (SELECT q.at FROM positions AS q
				WHERE q.terminal_phone = v.column2 AND q.at >= v.column3 AND q.at < v.column4 AND q.vehicle_id = v.column5 AND q.invalid = 0
				ORDER BY q.at DESC LIMIT 1)`, args...)
		if err != nil {
			return nil, fmt.Errorf("last positions: %w", store.Translate(err))
		}
		for rows.Next() {
			var k int
			var q Position
			if err := rows.Scan(&k, &q.At, &q.Lat, &q.Lng); err != nil {
				rows.Close()
				return nil, fmt.Errorf("last positions: %w", err)
			}
			o := part[k]
			// The latest; of two terminals' at the same time, the first
			// phone's, whatever order the rows come in.
			if p := &out[o.seek]; q.At.After(p.At) || q.At.Equal(p.At) && o.phone < p.Phone {
				*p = Position{VehicleID: seeks[o.seek].Vehicle, Phone: o.phone, At: q.At.UTC(), Lat: q.Lat, Lng: q.Lng}
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("last positions: %w", err)
		}
	}
	return out, nil
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
