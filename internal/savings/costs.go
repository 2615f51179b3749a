package savings

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/money"
	"govfleet/internal/store"
)

// HalfDay is the longest remainder charged as a half day: a use's time is
// counted in whole days of 24 hours, and what is left is a half day up to
// four hours, else another day (the rental market's reckoning).
const HalfDay = 4 * time.Hour

// Days counts a use of length d as days and half days (at least a half day).
func Days(d time.Duration) (days, halfDays int) {
	days = int(d / (24 * time.Hour))
	rem := d - time.Duration(days)*24*time.Hour
	switch {
	case rem <= 0 && days > 0:
	case rem <= HalfDay:
		halfDays = 1
	default:
		days++
	}
	return days, halfDays
}

// Price is a use priced at the rates in force on its day: Fen what it is
// charged under a kind of rate (the internal tariff for a cross-unit use,
// the paid-use tariff for a partner city's or a visitor's use), MarketFen
// the rental market's price it replaced, SavingFen = MarketFen − Fen. The
// rates used are kept (a computed fee records the rows it used). NoMarket
// says why there is no market price (then MarketFen and SavingFen are 0).
type Price struct {
	Kind, VehicleType string
	Days, HalfDays    int
	KmM               int64 // metres
	Fen               int64
	MarketFen         int64
	SavingFen         int64
	Rate, Market      *Rate
	NoMarket          error
}

// PriceUse prices a use of a vehicle with seats approved seats, picked up
// at pickup (the rates in force on that Beijing day apply), lasting d and
// driving kmM metres, under the rate of kind (Tariff or PaidUse), and
// against the market reference price — the one reckoning of
// docs/loans-and-savings.md for cross-unit uses, partner cities' trips and
// visitors' paid uses:
//
//	time: Days(d) — whole days of 24 hours, a rest up to 4 hours a half day, more a day, at least a half day
//	charge = days × per day + half days × per half day + km × per km (metres × fen per km ÷ 1,000, rounded)
//	market = days × market per day + half days × market per half day
//	saving = market − charge
//
// No rate of kind for the type that day: refused (errs.Conflict) with the
// type, the day and what to do.
func PriceUse(ctx context.Context, db bun.IDB, kind string, seats int, pickup time.Time, d time.Duration, kmM int64) (*Price, error) {
	p := &Price{Kind: kind, VehicleType: loans.TypeOf(seats), KmM: kmM}
	p.Days, p.HalfDays = Days(d)
	date := beijing.Date(pickup)
	var err error
	if p.Rate, err = rateAt(ctx, db, kind, p.VehicleType, date); err != nil {
		return nil, err
	}
	p.Fen = p.Rate.forTime(p.Days, p.HalfDays) + (p.Rate.KmFen*kmM+500)/1000
	p.Market, err = rateAt(ctx, db, Market, p.VehicleType, date)
	switch {
	case errs.Is(err, errs.Conflict):
		p.Market, p.NoMarket = nil, err
	case err != nil:
		return nil, err
	default:
		p.MarketFen = p.Market.forTime(p.Days, p.HalfDays)
		p.SavingFen = p.MarketFen - p.Fen
	}
	return p, nil
}

// Note is how a price was reckoned, in words: 商务车 1天+半天，120.0 公里，按有偿使用收费标准（2026-01-01 至 长期）
// 每天 600.00 元、每半天 350.00 元、每公里 1.50 元；市场参考价 1,850.00 元，节约 720.00 元.
func (p *Price) Note() string {
	s := fmt.Sprintf("%s %s，%.1f 公里，按%s（%s）每天 %s 元、每半天 %s 元、每公里 %s 元", loans.TypeName(p.VehicleType), strings.Join(dayParts(p.Days, p.HalfDays), "+"),
		float64(p.KmM)/1000, KindNames[p.Kind], p.Rate.period(), money.Yuan(p.Rate.DayFen), money.Yuan(p.Rate.HalfDayFen), money.Yuan(p.Rate.KmFen))
	if p.Market == nil {
		return s + "；无市场参考价"
	}
	return s + fmt.Sprintf("；市场参考价 %s 元，节约 %s 元", money.Yuan(p.MarketFen), money.Yuan(p.SavingFen))
}

// UseCost is what one cross-unit use cost inside and what it would have
// cost on the rental market.
type UseCost struct {
	bun.BaseModel `bun:"table:use_costs"`

	OrderID      int64     `bun:"order_id,pk" json:"order_id"`
	SettlementID *int64    `bun:"settlement_id" json:"-"`
	LoanID       *int64    `bun:"loan_id" json:"-"`
	Month        string    `bun:"month" json:"month"`
	LenderID     int64     `bun:"lender_id" json:"lender_id"`
	BorrowerID   int64     `bun:"borrower_id" json:"borrower_id"`
	LenderPath   string    `bun:"lender_path" json:"-"`
	BorrowerPath string    `bun:"borrower_path" json:"-"`
	VehicleID    int64     `bun:"vehicle_id" json:"vehicle_id"`
	VehicleType  string    `bun:"vehicle_type" json:"vehicle_type"`
	Days         int       `bun:"days" json:"days"`
	HalfDays     int       `bun:"half_days" json:"half_days"`
	KmM          int64     `bun:"km_m" json:"km_m"` // metres
	KmSource     string    `bun:"km_source" json:"km_source"`
	InternalFen  int64     `bun:"internal_fen" json:"internal_fen"`
	MarketFen    int64     `bun:"market_fen" json:"market_fen"`
	SavingFen    int64     `bun:"saving_fen" json:"saving_fen"`
	ComputedAt   time.Time `bun:"computed_at" json:"computed_at"`

	OrderNo      string    `bun:"order_no,scanonly" json:"order_no"`
	Plate        string    `bun:"plate,scanonly" json:"plate"`
	LenderName   string    `bun:"lender_name,scanonly" json:"lender_name"`
	BorrowerName string    `bun:"borrower_name,scanonly" json:"borrower_name"`
	LoanNo       string    `bun:"loan_no,scanonly" json:"loan_no"`
	PickupAt     time.Time `bun:"pickup_at,scanonly" json:"pickup_at"`
	TypeName     string    `bun:"-" json:"vehicle_type_name"`
	KmSourceName string    `bun:"-" json:"km_source_name"`
	DaysText     string    `bun:"-" json:"days_text"` // the charged time in words (DaysText)
	Km           string    `bun:"-" json:"km"`        // KmM in kilometres (Km)
}

// name fills in the words a line is shown, exported and printed with.
func (c *UseCost) name() {
	c.TypeName, c.KmSourceName = loans.TypeName(c.VehicleType), kmSources[c.KmSource]
	c.DaysText, c.Km = DaysText(c.Days, c.HalfDays), Km(c.KmM)
}

var kmSources = map[string]string{"gps": "北斗里程", "odometer": "里程表", "none": "无里程"}

// use is what costing needs of an order.
type use struct {
	ID           int64      `bun:"id"`
	No           string     `bun:"no"`
	UnitID       int64      `bun:"unit_id"`
	UnitPath     string     `bun:"unit_path"`
	VehicleID    int64      `bun:"vehicle_id"`
	OwnerID      int64      `bun:"owner_id"`
	OwnerPath    string     `bun:"owner_path"`
	Seats        int        `bun:"seats"`
	PickupAt     time.Time  `bun:"pickup_at"`
	ReturnAt     time.Time  `bun:"return_at"`
	DepartedAt   *time.Time `bun:"departed_at"`
	FinishedAt   *time.Time `bun:"finished_at"`
	ReturnedAt   *time.Time `bun:"returned_at"`
	StartOdo     *int       `bun:"start_odometer"`
	EndOdo       *int       `bun:"end_odometer"`
	OrderingPath string     `bun:"-"`
}

// usesQuery selects the cross-unit uses that ran: an order with a vehicle
// whose owning unit is not the ordering unit, finished, back or closed.
func usesQuery(db bun.IDB) *bun.SelectQuery {
	return servedQuery(db).Where("v.unit_id <> o.unit_id")
}

// servedQuery selects the orders that ran with a vehicle: finished, back or closed.
func servedQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("orders AS o").
		ColumnExpr("o.id, o.no, o.unit_id, ou.path AS unit_path, o.vehicle_id, v.unit_id AS owner_id, vu.path AS owner_path, v.seats").
		ColumnExpr("o.pickup_at, o.return_at, o.departed_at, o.finished_at, o.returned_at, o.start_odometer, o.end_odometer").
		Join("JOIN vehicles AS v ON v.id = o.vehicle_id").Join("JOIN units AS vu ON vu.id = v.unit_id").Join("JOIN units AS ou ON ou.id = o.unit_id").
		Where("o.vehicle_id IS NOT NULL AND o.state IN (?)", bun.In([]string{"finished", "back", "closed"}))
}

// span is the time a use is charged for (Window): to the planned return
// when the trip has not come back.
func (u *use) span() time.Duration {
	start, end := Window(u.PickupAt, u.DepartedAt, u.ReturnedAt, u.FinishedAt, u.ReturnAt)
	return end.Sub(start)
}

// Window is the time a use is charged for, its end never before its start:
// from departure (else the planned pick-up) to the return to base, else
// the trip's end, else otherwise. Every priced use — cross-unit, partner,
// visitor — counts its time so.
func Window(pickup time.Time, departed, returned, finished *time.Time, otherwise time.Time) (start, end time.Time) {
	start, end = pickup, otherwise
	if departed != nil {
		start = *departed
	}
	if returned != nil {
		end = *returned
	} else if finished != nil {
		end = *finished
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

// OdometerM is the distance in metres between two odometer readings in
// km: 0 when one is missing or they go backwards.
func OdometerM(start, end *int) int64 {
	if start == nil || end == nil || *end <= *start {
		return 0
	}
	return int64(*end-*start) * 1000
}

// cost computes the cost of one use (not stored).
func cost(ctx context.Context, db bun.IDB, u *use, now time.Time) (*UseCost, error) {
	c := &UseCost{OrderID: u.ID, Month: beijing.Month(u.PickupAt), LenderID: u.OwnerID, BorrowerID: u.UnitID, LenderPath: u.OwnerPath,
		BorrowerPath: u.UnitPath, VehicleID: u.VehicleID, VehicleType: loans.TypeOf(u.Seats), ComputedAt: now}
	// A loan's use is settled between the two levels of the loan.
	var ln []struct {
		ID           int64  `bun:"id"`
		LenderID     int64  `bun:"lender_id"`
		BorrowerID   int64  `bun:"borrower_id"`
		LenderPath   string `bun:"lender_path"`
		BorrowerPath string `bun:"borrower_path"`
	}
	if err := db.NewSelect().TableExpr("loans AS l").
		ColumnExpr("l.id, l.lender_id, l.borrower_id, n.path AS lender_path, b.path AS borrower_path").
		Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").Join("JOIN units AS n ON n.id = l.lender_id").Join("JOIN units AS b ON b.id = l.borrower_id").
		Where("lv.vehicle_id = ? AND l.state IN (?) AND l.from_at <= ? AND COALESCE(l.returned_at, l.to_at) >= ?", u.VehicleID,
			bun.In([]string{loans.Approved, loans.Returned}), u.PickupAt, u.PickupAt).Limit(1).Scan(ctx, &ln); err != nil {
		return nil, store.Translate(err)
	}
	if len(ln) > 0 && strings.HasPrefix(u.UnitPath, ln[0].BorrowerPath) {
		c.LoanID, c.LenderID, c.BorrowerID, c.LenderPath, c.BorrowerPath = &ln[0].ID, ln[0].LenderID, ln[0].BorrowerID, ln[0].LenderPath, ln[0].BorrowerPath
	}
	var gps sql.NullInt64
	if err := db.NewSelect().Table("trips").ColumnExpr("SUM(distance_m)").Where("order_id = ?", u.ID).Scan(ctx, &gps); err != nil {
		return nil, store.Translate(err)
	}
	switch {
	case gps.Valid && gps.Int64 > 0:
		c.KmM, c.KmSource = gps.Int64, "gps"
	case OdometerM(u.StartOdo, u.EndOdo) > 0:
		c.KmM, c.KmSource = OdometerM(u.StartOdo, u.EndOdo), "odometer"
	default:
		c.KmSource = "none"
	}
	p, err := PriceUse(ctx, db, Tariff, u.Seats, u.PickupAt, u.span(), c.KmM)
	if err != nil {
		return nil, err
	}
	if p.NoMarket != nil { // a cross-unit use waits for its market price
		return nil, p.NoMarket
	}
	c.Days, c.HalfDays, c.InternalFen, c.MarketFen, c.SavingFen = p.Days, p.HalfDays, p.Fen, p.MarketFen, p.SavingFen
	return c, nil
}

// upsertCost stores c (replacing what the order had), keeping its statement.
func upsertCost(ctx context.Context, tx bun.IDB, c *UseCost) error {
	_, err := tx.NewInsert().Model(c).On("CONFLICT (order_id) DO UPDATE").
		Set("settlement_id = EXCLUDED.settlement_id, loan_id = EXCLUDED.loan_id, month = EXCLUDED.month, lender_id = EXCLUDED.lender_id").
		Set("borrower_id = EXCLUDED.borrower_id, lender_path = EXCLUDED.lender_path, borrower_path = EXCLUDED.borrower_path").
		Set("vehicle_id = EXCLUDED.vehicle_id, vehicle_type = EXCLUDED.vehicle_type, days = EXCLUDED.days, half_days = EXCLUDED.half_days").
		Set("km_m = EXCLUDED.km_m, km_source = EXCLUDED.km_source, internal_fen = EXCLUDED.internal_fen, market_fen = EXCLUDED.market_fen").
		Set("saving_fen = EXCLUDED.saving_fen, computed_at = EXCLUDED.computed_at").Exec(ctx)
	return err
}

// OrderCost computes (on demand) and stores the cost of one order used
// across units; the caller must see the order's unit or the vehicle's.
func (s *Service) OrderCost(ctx context.Context, a *access.Actor, orderID int64) (*UseCost, error) {
	var us []*use
	if err := usesQuery(s.DB.R).Where("o.id = ?", orderID).Scan(ctx, &us); err != nil {
		return nil, store.Translate(err)
	}
	if len(us) == 0 {
		return nil, errs.E(errs.NotFound, "该订单不是已完成的跨单位用车，没有内部费用")
	}
	u := us[0]
	if !a.Covers(u.UnitPath) && !a.Covers(u.OwnerPath) {
		return nil, errs.E(errs.Forbidden, "订单 %s 不在您的管辖范围内", u.No)
	}
	var out *UseCost
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		c, err := cost(ctx, tx, u, s.now())
		if err != nil {
			return err
		}
		var old []*UseCost
		if err := tx.NewSelect().Model(&old).Where("order_id = ?", u.ID).Scan(ctx); err != nil {
			return err
		}
		if len(old) > 0 {
			c.SettlementID = old[0].SettlementID
		}
		if err := upsertCost(ctx, tx, c); err != nil {
			return err
		}
		out = c
		return audit.Record(ctx, tx, a, audit.Event{Action: actCostCheck, ObjectType: audit.Order, ObjectID: u.ID, ScopePath: u.UnitPath,
			Summary: fmt.Sprintf("订单 %s 内部费用 %s 元，市场价 %s 元，节约 %s 元", u.No, money.Yuan(c.InternalFen), money.Yuan(c.MarketFen), money.Yuan(c.SavingFen))})
	})
	if err != nil {
		return nil, err
	}
	out.name()
	out.OrderNo = u.No
	return out, nil
}

// Summary totals the cross-unit uses borrowed by the subtree of nodePath
// whose pick-up lies in [from, to) — internal cost, the market price it
// replaced and the saving, in fen — from the costs computed so far (the
// settlement statements compute a month's). The statistics' savings rate
// is saving / market.
func Summary(ctx context.Context, db bun.IDB, nodePath string, from, to time.Time) (internalCost, marketPrice, saving int64, err error) {
	var r struct {
		I sql.NullInt64 `bun:"i"`
		M sql.NullInt64 `bun:"m"`
		S sql.NullInt64 `bun:"s"`
	}
	err = db.NewSelect().TableExpr("use_costs AS c").ColumnExpr("SUM(c.internal_fen) AS i, SUM(c.market_fen) AS m, SUM(c.saving_fen) AS s").
		Join("JOIN orders AS o ON o.id = c.order_id").
		Where("c.borrower_path LIKE ? AND o.pickup_at >= ? AND o.pickup_at < ?", nodePath+"%", from.UTC(), to.UTC()).Scan(ctx, &r)
	return r.I.Int64, r.M.Int64, r.S.Int64, store.Translate(err)
}

// CostClosed computes and stores the cost of every cross-unit use that
// ran (finished, back or closed) and has none yet, up to limit per call:
// the ten-minute job, so that a use is costed soon after it closes. A use
// whose type has no rate for its day is left for later (the statement's
// generation names it). It returns how many it costed.
func (s *Service) CostClosed(ctx context.Context, limit int) (int, error) {
	var us []*use
	if err := usesQuery(s.DB.R).Where("NOT EXISTS (SELECT 1 FROM use_costs AS c WHERE c.order_id = o.id)").
		OrderExpr("o.id").Limit(limit).Scan(ctx, &us); err != nil {
		return 0, store.Translate(err)
	}
	n := 0
	now := s.now()
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		for _, u := range us {
			c, err := cost(ctx, tx, u, now)
			if errs.Is(err, errs.Conflict) { // no rate for the day yet
				continue
			}
			if err != nil {
				return err
			}
			if err := upsertCost(ctx, tx, c); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
