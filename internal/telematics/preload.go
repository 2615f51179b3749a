package telematics

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"govfleet/internal/store"
)

// Preload fills l with the latest stored valid fix of every registered
// terminal, so that the live map is not empty after a restart. It returns
// how many terminals had one. One indexed look-up per terminal
// (ux_positions_terminal_phone_at, read backwards).
func Preload(ctx context.Context, db *store.DB, l *Latest) (int, error) {
	var sims []string
	if err := db.R.NewSelect().Table("terminals").Column("sim").Scan(ctx, &sims); err != nil {
		return 0, fmt.Errorf("preload latest: %w", store.Translate(err))
	}
	var ps []Position
	for _, sim := range sims {
		p := Position{Phone: NormalizePhone(sim)}
		var vid *int64
		var alarm, status int64
		err := db.R.QueryRowContext(ctx, `SELECT vehicle_id, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras
			FROM positions WHERE terminal_phone = ? AND at <= ? AND invalid = 0 ORDER BY at DESC LIMIT 1`, p.Phone, time.Now().UTC().Add(FutureTolerance)).
			Scan(&vid, &p.At, &p.ReceivedAt, &p.Lat, &p.Lng, &p.Speed, &p.Heading, &p.Altitude, &alarm, &status, &p.Mileage, &p.Fuel, &p.Extras)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("preload latest: %w", store.Translate(err))
		}
		if vid != nil {
			p.VehicleID = *vid
		}
		p.Alarm, p.Status, p.At, p.ReceivedAt = uint32(alarm), uint32(status), p.At.UTC(), p.ReceivedAt.UTC()
		ps = append(ps, p)
	}
	l.Update(ps)
	return len(ps), nil
}
