package partner

import (
	"context"

	"github.com/uptrace/bun"

	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/savings"
)

// Vehicle types as the partner API names them (booking.status's
// vehicle_type), by seats.
var Types = []string{"sedan", "mpv", "minibus", "bus"}

var typeNames = map[string]string{"sedan": "轿车（5座及以下）", "mpv": "商务车（6至9座）", "minibus": "中型客车（10至19座）", "bus": "大型客车（20座及以上）"}

// TypeName is a vehicle type's Chinese name.
func TypeName(t string) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return t
}

// VehicleType is the partner API's type of a vehicle with this many seats.
func VehicleType(seats int) string {
	switch {
	case seats <= 5:
		return "sedan"
	case seats <= 9:
		return "mpv"
	case seats <= 19:
		return "minibus"
	}
	return "bus"
}

// Fee is the charge of an inbound trip, the local rental market's price
// it replaced (nil: no market reference price that day) and the saving.
type Fee struct {
	Fen       int64
	MarketFen *int64
	SavingFen *int64
	DistanceM int64
	Note      string
}

// fee computes an inbound trip's fee as it returns to base: the city's
// paid-use tariff (savings.PaidUse, the rates of 收费标准与市场价) for the
// vehicle's type on the pick-up day, the time from departure to return,
// the distance from the vehicle's GPS trips in that time (the odometer
// when it has none), priced by savings.PriceUse as every use is. No
// paid-use tariff for the type that day: refused, naming the order.
func (s *Service) fee(ctx context.Context, tx bun.Tx, p *Partner, o *booking.Order) (*Fee, error) {
	var seats int
	if err := tx.NewSelect().Table("vehicles").Column("seats").Where("id = ?", o.VehicleID).Scan(ctx, &seats); err != nil {
		return nil, err
	}
	start, end := savings.Window(o.PickupAt, o.DepartedAt, o.ReturnedAt, nil, s.now())
	var gps int64
	if err := tx.NewSelect().Table("trips").ColumnExpr("COALESCE(SUM(distance_m), 0)").
		Where("vehicle_id = ? AND started_at < ? AND ended_at > ?", o.VehicleID, end, start).Scan(ctx, &gps); err != nil {
		return nil, err
	}
	dist, source := gps, "北斗定位里程"
	if gps == 0 && o.StartOdometer != nil && o.EndOdometer != nil {
		dist, source = savings.OdometerM(o.StartOdometer, o.EndOdometer), "里程表读数（无定位轨迹）"
	}
	pr, err := savings.PriceUse(ctx, tx, savings.PaidUse, seats, o.PickupAt, end.Sub(start), dist)
	if errs.Is(err, errs.Conflict) {
		return nil, errs.E(errs.Conflict, "「%s」的订单 %s（%s）不能计费回场：%s", p.Name, o.No, o.Plate, msgOf(err))
	}
	if err != nil {
		return nil, err
	}
	f := &Fee{Fen: pr.Fen, DistanceM: dist, Note: pr.Note() + "（" + source + "）"}
	if pr.Market != nil {
		f.MarketFen, f.SavingFen = &pr.MarketFen, &pr.SavingFen
	}
	return f, nil
}
