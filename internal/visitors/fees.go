package visitors

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/money"
	"govfleet/internal/savings"
	"govfleet/internal/store"
)

// Tariff is a vehicle type's paid-use tariff in force today (the rates of
// kind savings.PaidUse, 收费标准与市场价).
type Tariff struct {
	VehicleType string `json:"vehicle_type"`
	Name        string `json:"name"`
	DayFen      int64  `json:"day_fen"`
	HalfDayFen  int64  `json:"half_day_fen"`
	KmFen       int64  `json:"km_fen"`
}

// Tariffs lists the paid-use tariffs in force today, smallest vehicles first.
func (s *Service) Tariffs(ctx context.Context) ([]Tariff, error) {
	rs, err := savings.InForce(ctx, s.DB.R, savings.PaidUse, beijing.Date(s.now()))
	if err != nil {
		return nil, err
	}
	out := []Tariff{}
	for _, r := range rs {
		out = append(out, Tariff{VehicleType: r.VehicleType, Name: loans.TypeName(r.VehicleType), DayFen: r.DayFen, HalfDayFen: r.HalfDayFen, KmFen: r.KmFen})
	}
	return out, nil
}

// SettleFees computes the fee of platform-vehicle bookings whose order
// came back (待评价 or 已完成) and has none yet, with the market price it
// replaced and the saving: savings.PriceUse at the paid-use tariff of the
// vehicle's type (by seats) on the pick-up day, the time from departure
// to the return to base, the distance from the GPS trips linked to the
// order or else the odometers. id ≠ 0: that booking only. A booking whose
// type has no paid-use tariff that day waits until the city adds one.
// Returns how many were settled.
func (s *Service) SettleFees(ctx context.Context, id int64) (int, error) {
	var due []struct {
		ID        int64      `bun:"id"`
		No        string     `bun:"no"`
		OrderNo   string     `bun:"order_no"`
		Seats     int        `bun:"seats"`
		Pickup    time.Time  `bun:"pickup_at"`
		Departed  *time.Time `bun:"departed_at"`
		Returned  *time.Time `bun:"returned_at"`
		Finished  *time.Time `bun:"finished_at"`
		StartOdo  *int       `bun:"start_odometer"`
		EndOdo    *int       `bun:"end_odometer"`
		TripM     int64      `bun:"trip_m"`
		Path      string     `bun:"path"`
		VisitorNm string     `bun:"visitor_name"`
	}
	q := s.DB.R.NewSelect().TableExpr("visitor_bookings AS b").
		ColumnExpr("b.id, b.no, o.no AS order_no, veh.seats, o.pickup_at, o.departed_at, o.returned_at, o.finished_at, o.start_odometer, o.end_odometer").
		ColumnExpr("COALESCE((SELECT SUM(t.distance_m) FROM trips t WHERE t.order_id = o.id), 0) AS trip_m, hu.path, v.name AS visitor_name").
		Join("JOIN orders AS o ON o.id = b.order_id").Join("JOIN vehicles AS veh ON veh.id = o.vehicle_id").
		Join("JOIN visitors AS v ON v.id = b.visitor_id").Join("JOIN units AS hu ON hu.id = v.host_unit_id").
		Where("b.kind = ? AND b.fee_fen IS NULL AND o.state IN (?)", KindPlatform, bun.In([]string{booking.Back, booking.Closed}))
	if id != 0 {
		q = q.Where("b.id = ?", id)
	}
	if err := q.Limit(500).Scan(ctx, &due); err != nil {
		return 0, store.Translate(err)
	}
	n := 0
	for _, d := range due {
		start, end := savings.Window(d.Pickup, d.Departed, d.Returned, d.Finished, d.Pickup)
		km := d.TripM
		if km == 0 {
			km = savings.OdometerM(d.StartOdo, d.EndOdo)
		}
		err := s.DB.Tx(ctx, func(tx bun.Tx) error {
			p, err := savings.PriceUse(ctx, tx, savings.PaidUse, d.Seats, d.Pickup, end.Sub(start), km)
			if err != nil {
				return err
			}
			var market, saving *int64
			if p.Market != nil {
				market, saving = &p.MarketFen, &p.SavingFen
			}
			note := p.Note()
			res, err := tx.NewRaw("UPDATE visitor_bookings SET fee_fen = ?, market_fen = ?, saving_fen = ?, fee_note = ?, vehicle_type = ?, updated_at = ? WHERE id = ? AND fee_fen IS NULL",
				p.Fen, market, saving, note, p.VehicleType, s.now(), d.ID).Exec(ctx)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			n++
			return audit.Record(ctx, tx, nil, audit.Event{Action: actFee, ObjectType: audit.VisitorBooking, ObjectID: d.ID, ScopePath: d.Path,
				Summary: fmt.Sprintf("来访人员%s有偿使用 %s（订单 %s）费用 %s 元：%s", d.VisitorNm, d.No, d.OrderNo, money.Yuan(p.Fen), note)})
		})
		if errs.Is(err, errs.Conflict) { // no paid-use tariff that day: left until the city adds one
			continue
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
