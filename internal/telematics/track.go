package telematics

import (
	"context"
	"fmt"
	"math"
	"time"

	"govfleet/internal/store"
)

// VehicleTrack returns the positions of vehicle id with from <= at < to in
// time order, at most limit of them, invalid fixes included (marked): one range of the (terminal_phone, at)
// key per terminal that reported for the vehicle (ForVehicle). SQLite keeps
// the rows of that key side by side (migration 0014); PostgreSQL reads them
// from the index alone, which carries the columns read here (0015).
func VehicleTrack(ctx context.Context, db *store.DB, vehicleID int64, from, to time.Time, limit int) ([]Position, error) {
	cond, args, ok, err := ForVehicle(ctx, db.R, vehicleID, from, to)
	if err != nil || !ok {
		return []Position{}, err
	}
	return scanTrack(ctx, db, vehicleID, `SELECT terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, invalid
		FROM positions WHERE `+cond+` AND at >= ? AND at < ? ORDER BY at LIMIT ?`, append(args, from.UTC(), to.UTC(), limit)...)
}

func scanTrack(ctx context.Context, db *store.DB, vehicleID int64, query string, args ...any) ([]Position, error) {
	rows, err := db.R.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("vehicle track: %w", store.Translate(err))
	}
	defer rows.Close()
	out := make([]Position, 0, 256)
	for rows.Next() {
		p := Position{VehicleID: vehicleID}
		var alarm, status int64
		if err := rows.Scan(&p.Phone, &p.At, &p.ReceivedAt, &p.Lat, &p.Lng, &p.Speed, &p.Heading, &p.Altitude,
			&alarm, &status, &p.Mileage, &p.Fuel, &p.Invalid); err != nil {
			return nil, fmt.Errorf("vehicle track: %w", err)
		}
		p.Alarm, p.Status = uint32(alarm), uint32(status)
		p.At, p.ReceivedAt = p.At.UTC(), p.ReceivedAt.UTC()
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("vehicle track: %w", err)
	}
	return out, nil
}

// Stop is a period during which the vehicle did not move.
type Stop struct {
	From, To time.Time
	Lat, Lng int64 // micro-degrees, where it stood
}

// Duration is how long the stop lasted.
func (s Stop) Duration() time.Duration { return s.To.Sub(s.From) }

// Stops returns the periods of at least min during which ps (in time
// order) report speed 0: from the first report at 0 to the first report
// moving again (or the last report at 0).
func Stops(ps []Position, min time.Duration) []Stop {
	var out []Stop
	start := -1
	end := func(to time.Time) {
		if start >= 0 && to.Sub(ps[start].At) >= min {
			out = append(out, Stop{From: ps[start].At, To: to, Lat: ps[start].Lat, Lng: ps[start].Lng})
		}
		start = -1
	}
	for i, p := range ps {
		if p.Speed == 0 {
			if start < 0 {
				start = i
			}
			continue
		}
		end(p.At)
	}
	if start >= 0 {
		end(ps[len(ps)-1].At)
	}
	return out
}

// Haversine returns the great-circle distance in metres between two
// positions given in micro-degrees.
func Haversine(lat1, lng1, lat2, lng2 int64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180 / 1e6
	φ1, φ2 := float64(lat1)*rad, float64(lat2)*rad
	dφ, dλ := float64(lat2-lat1)*rad, float64(lng2-lng1)*rad
	a := math.Sin(dφ/2)*math.Sin(dφ/2) + math.Cos(φ1)*math.Cos(φ2)*math.Sin(dλ/2)*math.Sin(dλ/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// Track returns the positions of terminal phone (normalised) with from <=
// at < to in time order, at most limit of them.
func Track(ctx context.Context, db *store.DB, phone string, from, to time.Time, limit int) ([]Position, error) {
	rows, err := db.R.QueryContext(ctx,
		`SELECT vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras, invalid
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
			&alarm, &status, &p.Mileage, &p.Fuel, &p.Extras, &p.Invalid); err != nil {
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
