package trips

import (
	"context"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// MaxQueryDays is the longest period one list covers.
const MaxQueryDays = 92

// Query selects a vehicle's trips or mileage over Beijing days.
type Query struct {
	VehicleID int64
	From, To  string // YYYY-MM-DD, Beijing, inclusive
}

// VehicleTrips is a vehicle's trips and daily mileage over a period.
type VehicleTrips struct {
	VehicleID int64      `json:"vehicle_id"`
	Plate     string     `json:"plate"`
	From      string     `json:"from"`
	To        string     `json:"to"`
	Trips     []*Trip    `json:"trips"`
	Days      []*Mileage `json:"days"`
	DistanceM int64      `json:"distance_m"` // total of the days
	Unlinked  int        `json:"without_order"`
}

// Mileage is a row of vehicle_daily_mileage.
type Mileage struct {
	Day       string `bun:"day" json:"day"`
	DistanceM int64  `bun:"distance_m" json:"distance_m"`
	Trips     int    `bun:"trips" json:"trips"`
	DrivingS  int64  `bun:"driving_s" json:"driving_s"`
}

func (q *Query) period() (from, to time.Time, err error) {
	var f errs.Fields
	from, e1 := beijing.ParseDate(q.From)
	to, e2 := beijing.ParseDate(q.To)
	f.Check(e1 != nil, "from", "开始日期格式应为 YYYY-MM-DD")
	f.Check(e2 != nil, "to", "结束日期格式应为 YYYY-MM-DD")
	if e1 == nil && e2 == nil {
		f.Check(to.Before(from), "to", "结束日期不能早于开始日期")
		f.Check(to.Sub(from) > MaxQueryDays*24*time.Hour, "to", "一次最多查询92天")
	}
	return from, to.AddDate(0, 0, 1), f.Err()
}

// Vehicle returns the trips started and the daily mileage of a vehicle of
// the actor's scope over q's days, the latest first.
func (s *Service) Vehicle(ctx context.Context, a *access.Actor, q Query) (*VehicleTrips, error) {
	var plate, path string
	if err := s.DB.R.QueryRowContext(ctx, "SELECT v.plate, u.path FROM vehicles v JOIN units u ON u.id = v.unit_id WHERE v.id = ?", q.VehicleID).
		Scan(&plate, &path); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "车辆不存在或已删除"))
	}
	if !a.Covers(path) {
		return nil, errs.E(errs.Forbidden, "车辆%s不在您的管辖范围内", plate)
	}
	from, to, err := q.period()
	if err != nil {
		return nil, err
	}
	out := &VehicleTrips{VehicleID: q.VehicleID, Plate: plate, From: q.From, To: q.To, Trips: []*Trip{}, Days: []*Mileage{}}
	err = s.DB.R.NewSelect().Model(&out.Trips).ModelTableExpr("trips AS t").
		ColumnExpr("t.*, o.no AS order_no, f.state AS filing_state").
		Join("LEFT JOIN orders AS o ON o.id = t.order_id").Join("LEFT JOIN emergency_filings AS f ON f.id = t.filing_id").
		Where("t.vehicle_id = ? AND t.started_at >= ? AND t.started_at < ?", q.VehicleID, from.UTC(), to.UTC()).
		OrderExpr("t.started_at DESC").Limit(2000).Scan(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, t := range out.Trips {
		t.MaxSpeedKmh = float64(t.MaxSpeed) / 10
		t.Minutes = t.EndedAt.Sub(t.StartedAt).Minutes()
		// Without order: the linker found none (linked_at set, a filing
		// opened or found). A trip closed moments ago and not yet linked
		// is not counted, or the count would flicker after every job run.
		if t.State == "closed" && t.OrderID == nil && t.LinkedAt != nil {
			out.Unlinked++
		}
	}
	err = s.DB.R.NewSelect().Table("vehicle_daily_mileage").Column("day", "distance_m", "trips", "driving_s").
		Where("vehicle_id = ? AND day >= ? AND day <= ?", q.VehicleID, q.From, q.To).Order("day").Scan(ctx, &out.Days)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, d := range out.Days {
		out.DistanceM += d.DistanceM
	}
	return out, nil
}
