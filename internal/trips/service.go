package trips

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/booking"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Trip is a row of table trips.
type Trip struct {
	bun.BaseModel `bun:"table:trips"`

	ID        int64      `bun:"id,pk,autoincrement" json:"id"`
	VehicleID int64      `bun:"vehicle_id" json:"vehicle_id"`
	UnitID    int64      `bun:"unit_id" json:"unit_id"`
	Phone     string     `bun:"terminal_phone" json:"-"`
	StartedAt time.Time  `bun:"started_at" json:"started_at"`
	EndedAt   time.Time  `bun:"ended_at" json:"ended_at"`
	StartLat  int64      `bun:"start_lat" json:"-"` // where it went is a track: seen through track playback only
	StartLng  int64      `bun:"start_lng" json:"-"`
	EndLat    int64      `bun:"end_lat" json:"-"`
	EndLng    int64      `bun:"end_lng" json:"-"`
	MinLat    int64      `bun:"min_lat" json:"-"` // the box of its positions (Draft.Box)
	MaxLat    int64      `bun:"max_lat" json:"-"`
	MinLng    int64      `bun:"min_lng" json:"-"`
	MaxLng    int64      `bun:"max_lng" json:"-"`
	DistanceM int64      `bun:"distance_m" json:"distance_m"`
	MaxSpeed  int32      `bun:"max_speed" json:"-"`
	Points    int        `bun:"points" json:"points"`
	DrivingS  int64      `bun:"driving_s" json:"driving_s"`
	State     string     `bun:"state" json:"state"` // open | closed
	OrderID   *int64     `bun:"order_id" json:"order_id"`
	FilingID  *int64     `bun:"filing_id" json:"filing_id"`
	LinkedAt  *time.Time `bun:"linked_at" json:"linked_at"`
	CreatedAt time.Time  `bun:"created_at" json:"-"`
	UpdatedAt time.Time  `bun:"updated_at" json:"-"`

	Plate       string  `bun:"plate,scanonly" json:"plate"`
	OrderNo     string  `bun:"order_no,scanonly" json:"order_no"`
	FilingState string  `bun:"filing_state,scanonly" json:"filing_state"`
	MaxSpeedKmh float64 `bun:"-" json:"max_speed"` // km/h
	Minutes     float64 `bun:"-" json:"minutes"`
}

// Service builds and serves trips and daily mileage.
type Service struct {
	DB      *store.DB
	Booking *booking.Service // opens the R-14 filing of a trip without order
	Params  Params           // zero: DefaultParams
	// Lag: positions are read up to now-Lag (default 5 min), so that
	// blind-area batches are in before their time is read.
	Lag time.Duration
	// Backfill: a vehicle read for the first time starts this long before
	// the watermark (default 48 h), not at its oldest position.
	Backfill time.Duration
	// LateStart: a dispatched order's planned window is widened by this
	// much on both sides (default 30 min) — a car leaving a little early
	// or coming back a little late still served it.
	LateStart time.Duration
	Now       func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) params() Params {
	if s.Params == (Params{}) {
		return DefaultParams
	}
	return s.Params
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// RunStats says what one run did.
type RunStats struct {
	Vehicles  int // vehicles read
	Positions int // positions read
	Closed    int // trips closed
	Linked    int // closed trips linked to an order or an existing filing
	Filings   int // closed trips without order: R-14 filing opened
}

// Run reads the new positions of every vehicle fitted with a terminal, at
// about a quarter of a core, and stores what they make, the vehicles of up
// to batchVehicles reads in one transaction (store.InBatches); then it
// links the closed trips. It is the minute job of serve.
func (s *Service) Run(ctx context.Context) (RunStats, error) {
	var st RunStats
	until := s.now().Add(-orDefault(s.Lag, 5*time.Minute))
	type vehicle struct {
		ID   int64 `bun:"id"`
		Unit int64 `bun:"unit_id"`
	}
	var vs []vehicle
	if err := s.DB.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.unit_id").
		Where("EXISTS (SELECT 1 FROM terminals AS t WHERE t.vehicle_id = v.id)").OrderExpr("v.id").Scan(ctx, &vs); err != nil {
		return st, store.Translate(err)
	}
	err := store.InBatches(ctx, s.DB, &store.Pacer{Rest: 3}, vs, batchVehicles,
		func(v vehicle) (*step, bool, error) {
			b, err := s.read(ctx, v.ID, v.Unit, until)
			if err != nil {
				return nil, false, fmt.Errorf("trips of vehicle %d: %w", v.ID, err)
			}
			return b, b != nil && b.more, nil
		},
		func(tx bun.Tx, b *step) (int, error) {
			closed, err := s.write(ctx, tx, b)
			if err != nil {
				return closed, fmt.Errorf("trips of vehicle %d: %w", b.vehicle, err)
			}
			return closed, nil
		},
		func(batch []*step, closed int) {
			st.Closed += closed
			for _, b := range batch {
				st.Positions += b.read
			}
		})
	if err != nil {
		return st, err
	}
	st.Vehicles = len(vs)
	linked, filings, err := s.Link(ctx)
	st.Linked, st.Filings = linked, filings
	return st, err
}

// readLimit bounds the positions read per statement.
var readLimit = 5000

// batchVehicles is the most vehicles whose trips, mileage and cursors Run
// stores in one transaction: one commit (on SQLite one fsync) for many
// vehicles instead of one for each, which at 19,000 terminals took most of
// the job's time and competed with the positions' own commits for the disk
// (issue 5, Performance; BenchmarkMinuteJob).
var batchVehicles = 100

// step is what one read of a vehicle's positions made, to be stored.
type step struct {
	vehicle, unit int64
	state         State
	ended         []*Draft
	to            time.Time // where the cursor moves
	read          int       // positions read
	more          bool      // the read stopped at readLimit
}

// read reads the positions of vehicle after its cursor up to until (at most
// readLimit) and feeds them to the builder. It returns nil when there is
// nothing to store: nothing new, no trip ended, so the cursor need not move
// (the next read is the same).
func (s *Service) read(ctx context.Context, vehicle, unit int64, until time.Time) (*step, error) {
	prm := s.params()
	b := &step{vehicle: vehicle, unit: unit}
	var from time.Time
	var raw string
	err := s.DB.R.QueryRowContext(ctx, "SELECT until, state FROM trip_cursors WHERE vehicle_id = ?", vehicle).Scan(&from, &raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		from = until.Add(-orDefault(s.Backfill, 48*time.Hour))
	case err != nil:
		return nil, store.Translate(err)
	default:
		if err := json.Unmarshal([]byte(raw), &b.state); err != nil {
			return nil, fmt.Errorf("cursor state: %w", err)
		}
	}
	if !until.After(from) {
		return nil, nil
	}
	ps, err := positions(ctx, s.DB, vehicle, from.UTC(), until, readLimit)
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if d := b.state.Feed(p, prm); d != nil {
			b.ended = append(b.ended, d)
		}
	}
	b.to, b.read, b.more = until, len(ps), len(ps) == readLimit
	if b.more {
		b.to = ps[len(ps)-1].At // more to read: stop at the last position read
	} else if d := b.state.Idle(until, prm); d != nil {
		b.ended = append(b.ended, d)
	}
	if len(ps) == 0 && len(b.ended) == 0 {
		return nil, nil
	}
	return b, nil
}

// write stores what b made — the trips it closed (it returns how many),
// the one still open, their mileage — and moves the cursor, in tx: a run
// that fails half-way is simply repeated.
func (s *Service) write(ctx context.Context, tx bun.Tx, b *step) (closed int, err error) {
	prm := s.params()
	for _, d := range b.ended {
		if d.Qualifies(prm) {
			if err := s.save(ctx, tx, b.vehicle, b.unit, d, "closed"); err != nil {
				return closed, err
			}
			closed++
		}
	}
	if b.state.Trip != nil && b.state.Trip.Qualifies(prm) {
		if err := s.save(ctx, tx, b.vehicle, b.unit, b.state.Trip, "open"); err != nil {
			return closed, err
		}
	}
	raw, _ := json.Marshal(b.state)
	_, err = tx.ExecContext(ctx, `INSERT INTO trip_cursors (vehicle_id, until, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (vehicle_id) DO UPDATE SET until = excluded.until, state = excluded.state, updated_at = excluded.updated_at`,
		b.vehicle, b.to.UTC(), string(raw), s.now())
	return closed, err
}

// save inserts or updates the trip of d and adds its unflushed days to the
// daily mileage.
func (s *Service) save(ctx context.Context, tx bun.Tx, vehicle, unit int64, d *Draft, state string) error {
	now := s.now()
	t := &Trip{ID: d.ID, VehicleID: vehicle, UnitID: unit, Phone: d.Phone, StartedAt: d.Start.At.UTC(), EndedAt: d.End.At.UTC(),
		StartLat: d.Start.Lat, StartLng: d.Start.Lng, EndLat: d.End.Lat, EndLng: d.End.Lng,
		MinLat: d.Box[0], MaxLat: d.Box[1], MinLng: d.Box[2], MaxLng: d.Box[3], DistanceM: int64(math.Round(d.DistanceM)),
		MaxSpeed: d.MaxSpeed, Points: d.Points, DrivingS: int64(d.DrivingS), State: state, CreatedAt: now, UpdatedAt: now}
	if t.ID == 0 {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
		d.ID = t.ID
	} else if _, err := tx.NewUpdate().Model(t).Column("ended_at", "end_lat", "end_lng", "min_lat", "max_lat", "min_lng", "max_lng", "distance_m", "max_speed", "points", "driving_s", "state", "updated_at").
		WherePK().Exec(ctx); err != nil {
		return err
	}
	for day, m := range d.Days {
		if _, err := tx.ExecContext(ctx, `INSERT INTO vehicle_daily_mileage (vehicle_id, day, unit_id, distance_m, trips, driving_s) VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (vehicle_id, day) DO UPDATE SET distance_m = vehicle_daily_mileage.distance_m + excluded.distance_m,
			trips = vehicle_daily_mileage.trips + excluded.trips, driving_s = vehicle_daily_mileage.driving_s + excluded.driving_s`,
			vehicle, day, unit, int64(math.Round(m.DistanceM)), m.Trips, int64(m.DrivingS)); err != nil {
			return err
		}
	}
	clear(d.Days)
	return nil
}

// positions returns the valid fixes of vehicle with from < at <= to in time
// order, at most limit.
func positions(ctx context.Context, db *store.DB, vehicle int64, from, to time.Time, limit int) ([]telematics.Position, error) {
	cond, args, ok, err := telematics.ForVehicle(ctx, db.R, vehicle, from, to)
	if err != nil || !ok {
		return nil, err
	}
	rows, err := db.R.QueryContext(ctx, `SELECT terminal_phone, at, lat, lng, speed, alarm, status FROM positions
		WHERE `+cond+` AND at > ? AND at <= ? AND invalid = 0 ORDER BY at LIMIT ?`, append(args, from.UTC(), to.UTC(), limit)...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []telematics.Position
	for rows.Next() {
		p := telematics.Position{VehicleID: vehicle}
		var alarm, status int64
		if err := rows.Scan(&p.Phone, &p.At, &p.Lat, &p.Lng, &p.Speed, &alarm, &status); err != nil {
			return nil, err
		}
		p.Alarm, p.Status, p.At = uint32(alarm), uint32(status), p.At.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
