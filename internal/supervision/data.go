package supervision

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// trip is a closed trip with its vehicle (the rules' common input).
type trip struct {
	ID        int64     `bun:"id" json:"id"`
	VehicleID int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID    int64     `bun:"unit_id" json:"unit_id"`
	UnitPath  string    `bun:"unit_path" json:"-"`
	Plate     string    `bun:"plate" json:"plate"`
	Category  string    `bun:"category" json:"category"`
	Status    string    `bun:"status" json:"-"`
	StartedAt time.Time `bun:"started_at" json:"started_at"`
	EndedAt   time.Time `bun:"ended_at" json:"ended_at"`
	StartLat  int64     `bun:"start_lat" json:"start_lat"`
	StartLng  int64     `bun:"start_lng" json:"start_lng"`
	EndLat    int64     `bun:"end_lat" json:"end_lat"`
	EndLng    int64     `bun:"end_lng" json:"end_lng"`
	MinLat    *int64    `bun:"min_lat" json:"-"` // the box of its positions, NULL for a trip
	MaxLat    *int64    `bun:"max_lat" json:"-"` // built before trips kept it (migration 0017)
	MinLng    *int64    `bun:"min_lng" json:"-"`
	MaxLng    *int64    `bun:"max_lng" json:"-"`
	DistanceM int64     `bun:"distance_m" json:"distance_m"`
	Points    int       `bun:"points" json:"points"`
	OrderID   *int64    `bun:"order_id" json:"order_id"`
	FilingID  *int64    `bun:"filing_id" json:"filing_id"`
}

// tripsQuery selects closed trips with their vehicle and unit path.
func tripsQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("trips AS t").
		ColumnExpr("t.id, t.vehicle_id, t.unit_id, u.path AS unit_path, v.plate, v.category, v.status, t.started_at, t.ended_at").
		ColumnExpr("t.start_lat, t.start_lng, t.end_lat, t.end_lng, t.min_lat, t.max_lat, t.min_lng, t.max_lng").
		ColumnExpr("t.distance_m, t.points, t.order_id, t.filing_id").
		Join("JOIN vehicles AS v ON v.id = t.vehicle_id").
		Join("JOIN units AS u ON u.id = t.unit_id").
		Where("t.state = 'closed'").
		OrderExpr("t.vehicle_id, t.started_at")
}

// tripCache shares the window's trips among the rules of one evaluation
// (see withTripCache); rules must not modify the slice.
type tripCache struct {
	from, to time.Time
	trips    []*trip
}

type tripCacheKey struct{}

// withTripCache lets the rules evaluated with ctx load the window's trips once.
func withTripCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, tripCacheKey{}, &tripCache{})
}

// tripsEnded returns the closed trips that ended in [from, to).
func tripsEnded(ctx context.Context, db bun.IDB, from, to time.Time) ([]*trip, error) {
	c, _ := ctx.Value(tripCacheKey{}).(*tripCache)
	if c != nil && c.trips != nil && c.from.Equal(from) && c.to.Equal(to) {
		return c.trips, nil
	}
	out := []*trip{}
	if err := tripsQuery(db).Where("t.ended_at >= ? AND t.ended_at < ?", from.UTC(), to.UTC()).Scan(ctx, &out); err != nil {
		return nil, err
	}
	if c != nil {
		c.from, c.to, c.trips = from, to, out
	}
	return out, nil
}

// order is an order that put a vehicle on the road.
type order struct {
	ID            int64      `bun:"id" json:"id"`
	No            string     `bun:"no" json:"no"`
	VehicleID     int64      `bun:"vehicle_id" json:"vehicle_id"`
	State         string     `bun:"state" json:"state"`
	Reason        string     `bun:"reason" json:"reason"`
	Destinations  string     `bun:"destinations" json:"destinations"`
	PickupAt      time.Time  `bun:"pickup_at" json:"pickup_at"`
	ReturnAt      time.Time  `bun:"return_at" json:"return_at"`
	SealedFiling  string     `bun:"sealed_filing" json:"sealed_filing"`
	StartOdometer *int64     `bun:"start_odometer" json:"start_odometer"`
	EndOdometer   *int64     `bun:"end_odometer" json:"end_odometer"`
	ChangedReturn *time.Time `bun:"changed_return" json:"changed_return,omitempty"` // latest return time reported on the way (R-13(4))
}

// servedStates are the states of an order whose vehicle went out.
var servedStates = []string{"dispatched", "departed", "finished", "back", "closed"}

// end is the order's latest agreed return time.
func (o *order) end() time.Time {
	if o.ChangedReturn != nil && o.ChangedReturn.After(o.ReturnAt) {
		return *o.ChangedReturn
	}
	return o.ReturnAt
}

func ordersQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("orders AS o").
		ColumnExpr("o.id, o.no, COALESCE(o.vehicle_id, 0) AS vehicle_id, o.state, o.reason, o.destinations, o.pickup_at, o.return_at, o.sealed_filing, o.start_odometer, o.end_odometer").
		ColumnExpr("oc.changed_return").
		Join("LEFT JOIN (SELECT order_id, MAX(return_at) AS changed_return FROM order_changes GROUP BY order_id) AS oc ON oc.order_id = o.id")
}

// ordersFor returns, per vehicle, the served orders of the trips' vehicles
// overlapping the trips' span widened by pad.
func ordersFor(ctx context.Context, db bun.IDB, ts []*trip, pad time.Duration) (map[int64][]*order, error) {
	if len(ts) == 0 {
		return map[int64][]*order{}, nil
	}
	from, to := ts[0].StartedAt, ts[0].EndedAt
	var ids []int64
	for _, t := range ts {
		from, to = minT(from, t.StartedAt), maxT(to, t.EndedAt)
		ids = append(ids, t.VehicleID)
	}
	return ordersOf(ctx, db, ids, from.Add(-pad), to.Add(pad))
}

// ordersOf returns, per vehicle of ids, the served orders overlapping
// [from, to] (an order may be extended on the way: a day more on the
// return side).
func ordersOf(ctx context.Context, db bun.IDB, ids []int64, from, to time.Time) (map[int64][]*order, error) {
	out := map[int64][]*order{}
	seen := map[int64]bool{}
	var uniq []int64
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			uniq = append(uniq, id)
		}
	}
	if len(uniq) == 0 {
		return out, nil
	}
	q := ordersQuery(db).Where("o.vehicle_id IS NOT NULL AND o.state IN (?)", bun.In(servedStates)).
		Where("o.pickup_at < ? AND o.return_at > ?", to.UTC(), from.Add(-24*time.Hour).UTC())
	if len(uniq) <= 500 {
		q = q.Where("o.vehicle_id IN (?)", bun.In(uniq))
	}
	var os []*order
	if err := q.Scan(ctx, &os); err != nil {
		return nil, err
	}
	for _, o := range os {
		if seen[o.VehicleID] {
			out[o.VehicleID] = append(out[o.VehicleID], o)
		}
	}
	return out, nil
}

// covering returns the first of os whose window, widened by tol, contains
// [from, to].
func covering(os []*order, from, to time.Time, tol time.Duration) *order {
	for _, o := range os {
		if !from.Before(o.PickupAt.Add(-tol)) && !to.After(o.end().Add(tol)) {
			return o
		}
	}
	return nil
}

// filing is an emergency filing.
type filing struct {
	ID         int64      `bun:"id" json:"id"`
	VehicleID  int64      `bun:"vehicle_id" json:"vehicle_id"`
	UnitID     int64      `bun:"unit_id" json:"unit_id"`
	UnitPath   string     `bun:"unit_path" json:"-"`
	Plate      string     `bun:"plate" json:"plate"`
	Source     string     `bun:"source" json:"source"`
	Reason     string     `bun:"reason" json:"reason"`
	StartedAt  time.Time  `bun:"started_at" json:"started_at"`
	EndedAt    *time.Time `bun:"ended_at" json:"ended_at"`
	DeadlineAt time.Time  `bun:"deadline_at" json:"deadline_at"`
	State      string     `bun:"state" json:"state"`
	FiledAt    *time.Time `bun:"filed_at" json:"filed_at"`
}

// filedBy reports whether the filing was filed by t.
func (f *filing) filedBy(t time.Time) bool {
	return f != nil && f.FiledAt != nil && !f.FiledAt.After(t)
}

func filingsQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("emergency_filings AS f").
		ColumnExpr("f.id, f.vehicle_id, f.unit_id, u.path AS unit_path, v.plate, f.source, f.reason, f.started_at, f.ended_at, f.deadline_at, f.state, f.filed_at").
		Join("JOIN units AS u ON u.id = f.unit_id").
		Join("JOIN vehicles AS v ON v.id = f.vehicle_id")
}

// vehicleFilings returns, per vehicle, the filings whose use began in [from, to).
func vehicleFilings(ctx context.Context, db bun.IDB, from, to time.Time) (map[int64][]*filing, error) {
	var fs []*filing
	if err := filingsQuery(db).Where("f.started_at >= ? AND f.started_at < ?", from.UTC(), to.UTC()).Scan(ctx, &fs); err != nil {
		return nil, err
	}
	out := map[int64][]*filing{}
	for _, f := range fs {
		out[f.VehicleID] = append(out[f.VehicleID], f)
	}
	return out, nil
}

// filingFor returns the trip's filing: the one linked to it, else one of
// the vehicle's filings whose declared use covers the trip (within tol).
func filingFor(t *trip, fs []*filing, tol time.Duration) *filing {
	for _, f := range fs {
		if t.FilingID != nil && f.ID == *t.FilingID {
			return f
		}
	}
	for _, f := range fs {
		end := f.StartedAt.Add(24 * time.Hour)
		if f.EndedAt != nil {
			end = *f.EndedAt
		}
		if !t.StartedAt.Before(f.StartedAt.Add(-tol)) && !t.EndedAt.After(end.Add(tol)) {
			return f
		}
	}
	return nil
}

func tripEvidence(t *trip) map[string]any {
	return map[string]any{"trip": map[string]any{"id": t.ID, "plate": t.Plate, "started_at": t.StartedAt, "ended_at": t.EndedAt,
		"distance_m": t.DistanceM, "points": t.Points, "start": [2]float64{float64(t.StartLat) / 1e6, float64(t.StartLng) / 1e6},
		"end": [2]float64{float64(t.EndLat) / 1e6, float64(t.EndLng) / 1e6}, "order_id": t.OrderID, "filing_id": t.FilingID}}
}

func tripFinding(rule string, t *trip, summary string, extra map[string]any) Finding {
	ev := tripEvidence(t)
	for k, v := range extra {
		ev[k] = v
	}
	return Finding{Rule: rule, Key: key(rule, "trip", t.ID), VehicleID: t.VehicleID, UnitID: t.UnitID, UnitPath: t.UnitPath,
		At: t.StartedAt, TripID: t.ID, Summary: summary, Evidence: ev}
}
