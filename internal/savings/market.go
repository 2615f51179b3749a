package savings

import (
	"context"
	"database/sql"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/store"
)

// forTime is what days and half days cost at a rate's day and half-day
// prices: the market price of a use (the rental market charges by time,
// fuel and driver included), and the time part of the internal cost.
func (r *Rate) forTime(days, halfDays int) int64 {
	return r.DayFen*int64(days) + r.HalfDayFen*int64(halfDays)
}

// MarketPrice is the market reference price of one order that ran with a
// vehicle: the savings rate's market basis (docs/savings-rate.md) sums them.
type MarketPrice struct {
	bun.BaseModel `bun:"table:market_prices"`

	OrderID     int64     `bun:"order_id,pk"`
	UnitID      int64     `bun:"unit_id"`   // the unit of the vehicle that served the order
	UnitPath    string    `bun:"unit_path"` // its path
	VehicleID   int64     `bun:"vehicle_id"`
	PickupAt    time.Time `bun:"pickup_at"`
	VehicleType string    `bun:"vehicle_type"`
	Days        int       `bun:"days"`
	HalfDays    int       `bun:"half_days"`
	MarketFen   *int64    `bun:"market_fen"` // nil: no market price for the type on the day yet
	ComputedAt  time.Time `bun:"computed_at"`
}

// marketPrice prices one order the way a cross-unit use's market price is
// reckoned (cost): its charged time in days and half days (Days of span)
// at the market reference price of its vehicle type in force on its pick-up
// day (Beijing). rates memoises the rate per type and day.
func marketPrice(ctx context.Context, db bun.IDB, u *use, rates map[[2]string]*Rate, now time.Time) (*MarketPrice, error) {
	p := &MarketPrice{OrderID: u.ID, UnitID: u.OwnerID, UnitPath: u.OwnerPath, VehicleID: u.VehicleID, PickupAt: u.PickupAt, VehicleType: loans.TypeOf(u.Seats), ComputedAt: now}
	p.Days, p.HalfDays = Days(u.span())
	k := [2]string{p.VehicleType, beijing.Date(u.PickupAt)}
	r, ok := rates[k]
	if !ok {
		var err error
		r, err = rateAt(ctx, db, Market, k[0], k[1])
		if err != nil && !errs.Is(err, errs.Conflict) {
			return nil, err
		}
		rates[k] = r // nil: none in force that day
	}
	if r != nil {
		v := r.forTime(p.Days, p.HalfDays)
		p.MarketFen = &v
	}
	return p, nil
}

// PriceServed prices, up to limit per call, every order that ran with a
// vehicle (finished, back or closed) and has no market price yet, then those
// priced before a market price of their type was saved (a correction, or a
// price added where there was none): the ten-minute job runs it until it
// returns fewer than limit, so the savings page sums kept prices and never
// reads orders. It returns how many orders it priced.
func (s *Service) PriceServed(ctx context.Context, limit int) (int, error) {
	var us []*use
	if err := servedQuery(s.DB.R).Where("NOT EXISTS (SELECT 1 FROM market_prices AS p WHERE p.order_id = o.id)").
		OrderExpr("o.id").Limit(limit).Scan(ctx, &us); err != nil {
		return 0, store.Translate(err)
	}
	if len(us) < limit {
		var stale []*use
		if err := servedQuery(s.DB.R).Where("o.id IN (SELECT p.order_id FROM market_prices AS p JOIN rates AS r ON r.kind = ? AND r.vehicle_type = p.vehicle_type AND r.updated_at > p.computed_at)", Market).
			OrderExpr("o.id").Limit(limit-len(us)).Scan(ctx, &stale); err != nil {
			return 0, store.Translate(err)
		}
		us = append(us, stale...)
	}
	if len(us) == 0 {
		return 0, nil
	}
	now, rates := s.now(), map[[2]string]*Rate{}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		for _, u := range us {
			p, err := marketPrice(ctx, tx, u, rates, now)
			if err != nil {
				return err
			}
			if _, err := tx.NewInsert().Model(p).On("CONFLICT (order_id) DO UPDATE").
				Set("unit_id = EXCLUDED.unit_id, unit_path = EXCLUDED.unit_path, vehicle_id = EXCLUDED.vehicle_id, pickup_at = EXCLUDED.pickup_at, vehicle_type = EXCLUDED.vehicle_type").
				Set("days = EXCLUDED.days, half_days = EXCLUDED.half_days, market_fen = EXCLUDED.market_fen, computed_at = EXCLUDED.computed_at").Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return len(us), err
}

// MarketPrices is the MarketEquivalent the statistics' savings rate takes
// (internal/app: savingsrate.Service{Market: savings.MarketPrices{DB: db}}).
type MarketPrices struct{ DB *store.DB }

// Equivalent returns the market price, in fen, of every order that ran
// with a vehicle of a unit under path and was picked up in [from, to), as
// priced by PriceServed (an order whose vehicle type had no market price on
// its day counts nothing until the city adds one and the job prices it again).
func (m MarketPrices) Equivalent(ctx context.Context, path string, from, to time.Time) (int64, error) {
	var v sql.NullInt64
	err := m.query(path, from, to).ColumnExpr("SUM(market_fen)").Scan(ctx, &v)
	return v.Int64, store.Translate(err)
}

// Trips counts the trips Equivalent prices, and those it cannot (no market
// price of their type on their day), for the page to say what the baseline holds.
func (m MarketPrices) Trips(ctx context.Context, path string, from, to time.Time) (priced, missing int, err error) {
	var r struct {
		N int `bun:"n"`
		P int `bun:"p"`
	}
	err = m.query(path, from, to).ColumnExpr("COUNT(*) AS n, COUNT(market_fen) AS p").Scan(ctx, &r)
	return r.P, r.N - r.P, store.Translate(err)
}

// Vehicles lists the vehicles that served the trips Equivalent prices: the
// savings rate compares the market price with their ledger costs only.
func (m MarketPrices) Vehicles(ctx context.Context, path string, from, to time.Time) ([]int64, error) {
	var ids []int64
	err := m.query(path, from, to).ColumnExpr("DISTINCT vehicle_id").Where("market_fen IS NOT NULL AND vehicle_id IS NOT NULL").Scan(ctx, &ids)
	return ids, store.Translate(err)
}

func (m MarketPrices) query(path string, from, to time.Time) *bun.SelectQuery {
	return m.DB.R.NewSelect().Table("market_prices").Where("pickup_at >= ? AND pickup_at < ? AND unit_path LIKE ?", from.UTC(), to.UTC(), path+"%")
}
