package partner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/store"
)

// Vehicle types of the tariff, by seats.
var Types = []string{"sedan", "mpv", "minibus", "bus"}

var typeNames = map[string]string{"sedan": "轿车（5座及以下）", "mpv": "商务车（6至9座）", "minibus": "中型客车（10至19座）", "bus": "大型客车（20座及以上）"}

// TypeName is a vehicle type's Chinese name.
func TypeName(t string) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return t
}

// VehicleType is the tariff type of a vehicle with this many seats.
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

// Tariff is a paid-use tariff for partners' officials.
type Tariff struct {
	bun.BaseModel `bun:"table:partner_tariffs"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	Name      string    `bun:"name" json:"name"`
	Note      string    `bun:"note" json:"note"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
	Rates     []*Rate   `bun:"-" json:"rates"`
}

// Rate is a tariff's prices for one vehicle type, in fen.
type Rate struct {
	bun.BaseModel `bun:"table:partner_tariff_rates"`

	ID           int64  `bun:"id,pk,autoincrement" json:"-"`
	TariffID     int64  `bun:"tariff_id" json:"-"`
	VehicleType  string `bun:"vehicle_type" json:"vehicle_type"`
	TypeName     string `bun:"-" json:"type_name"`
	DayFen       int64  `bun:"day_fen" json:"day_fen"`
	HalfDayFen   int64  `bun:"half_day_fen" json:"half_day_fen"`
	KmFen        int64  `bun:"km_fen" json:"km_fen"`
	MarketDayFen int64  `bun:"market_day_fen" json:"market_day_fen"`
}

// TariffInput sets a tariff (prices in yuan text).
type TariffInput struct {
	Name  string      `json:"name" max:"50"`
	Note  string      `json:"note" max:"200"`
	Rates []RateInput `json:"rates"`
}

// RateInput is one vehicle type's prices in yuan.
type RateInput struct {
	VehicleType string `json:"vehicle_type" max:"20"`
	Day         string `json:"day" max:"20"`
	HalfDay     string `json:"half_day" max:"20"`
	Km          string `json:"km" max:"20"`
	MarketDay   string `json:"market_day" max:"20"`
}

// Tariffs lists the tariffs with their rates.
func (s *Service) Tariffs(ctx context.Context) ([]*Tariff, error) {
	out := []*Tariff{}
	if err := s.DB.R.NewSelect().Model(&out).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, t := range out {
		if err := s.rates(ctx, s.DB.R, t); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (s *Service) rates(ctx context.Context, db bun.IDB, t *Tariff) error {
	t.Rates = []*Rate{}
	if err := db.NewSelect().Model(&t.Rates).Where("tariff_id = ?", t.ID).OrderExpr("CASE vehicle_type WHEN 'sedan' THEN 1 WHEN 'mpv' THEN 2 WHEN 'minibus' THEN 3 ELSE 4 END").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, r := range t.Rates {
		r.TypeName = TypeName(r.VehicleType)
	}
	return nil
}

func (s *Service) checkTariff(ctx context.Context, db bun.IDB, id *int64) error {
	if id == nil {
		return nil
	}
	if n, err := db.NewSelect().Table("partner_tariffs").Where("id = ?", *id).Count(ctx); err != nil {
		return err
	} else if n == 0 {
		return (&errs.Fields{"tariff_id": "收费标准不存在"}).Err()
	}
	return nil
}

// SaveTariff creates (id 0) or replaces a tariff.
func (s *Service) SaveTariff(ctx context.Context, a *access.Actor, id int64, in TariffInput) (*Tariff, error) {
	if err := needCity(a); err != nil {
		return nil, err
	}
	var f errs.Fields
	in.Name, in.Note = strings.TrimSpace(in.Name), strings.TrimSpace(in.Note)
	f.Check(in.Name == "" || len([]rune(in.Name)) > 50, "name", "请填写收费标准名称（不超过50字）")
	f.Check(len([]rune(in.Note)) > 200, "note", "说明不能超过200字")
	f.Check(len(in.Rates) == 0, "rates", "请至少填写一种车型的价格")
	var rates []*Rate
	seen := map[string]bool{}
	for i, r := range in.Rates {
		key := fmt.Sprintf("rates.%d", i)
		if _, ok := typeNames[r.VehicleType]; !ok || seen[r.VehicleType] {
			f.Add(key+".vehicle_type", "车型无效或重复")
			continue
		}
		seen[r.VehicleType] = true
		x := &Rate{VehicleType: r.VehicleType}
		for _, c := range []struct {
			text, field, name string
			dst               *int64
			optional          bool
		}{{r.Day, "day", "每天", &x.DayFen, false}, {r.HalfDay, "half_day", "每半天", &x.HalfDayFen, false}, {r.Km, "km", "每公里", &x.KmFen, false}, {r.MarketDay, "market_day", "市场日租价", &x.MarketDayFen, true}} {
			if strings.TrimSpace(c.text) == "" && c.optional {
				continue
			}
			v, err := money.Parse(c.text)
			if err != nil || v < 0 || v > 10_000_000 {
				f.Add(key+"."+c.field, TypeName(r.VehicleType)+c.name+"价格须为不小于0的金额（元）")
				continue
			}
			*c.dst = v
		}
		rates = append(rates, x)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.now()
	t := &Tariff{ID: id, Name: in.Name, Note: in.Note, CreatedAt: now, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if n, err := tx.NewSelect().Table("partner_tariffs").Where("name = ? AND id <> ?", in.Name, id).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return errs.E(errs.Conflict, "收费标准「%s」已存在", in.Name)
		}
		if id == 0 {
			if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
				return err
			}
		} else {
			res, err := tx.NewUpdate().Model(t).Column("name", "note", "updated_at").WherePK().Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return errs.E(errs.NotFound, "收费标准不存在")
			}
			if _, err := tx.NewDelete().Model((*Rate)(nil)).Where("tariff_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		var parts []string
		for _, r := range rates {
			r.TariffID = t.ID
			parts = append(parts, fmt.Sprintf("%s 每天%s元、半天%s元、每公里%s元", TypeName(r.VehicleType), money.Yuan(r.DayFen), money.Yuan(r.HalfDayFen), money.Yuan(r.KmFen)))
		}
		if _, err := tx.NewInsert().Model(&rates).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTariff, ObjectType: audit.Partner, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("收费标准「%s」：%s", t.Name, strings.Join(parts, "；"))})
	})
	if err != nil {
		return nil, err
	}
	if err := s.rates(ctx, s.DB.R, t); err != nil {
		return nil, err
	}
	return t, nil
}

// Fee is the charge of an inbound trip.
type Fee struct {
	Fen, MarketFen int64
	DistanceM      int64
	Note           string
}

// Units of time charged: whole days, and a half day for a rest of at most
// four hours (a rest longer than that is a day); a trip of no time is a
// half day.
func chargedDays(d time.Duration) (days, halves int64) {
	days = int64(d / (24 * time.Hour))
	rest := d - time.Duration(days)*24*time.Hour
	switch {
	case rest <= 0 && days > 0:
	case rest <= 4*time.Hour:
		halves = 1
	default:
		days++
	}
	return
}

// fee computes an inbound trip's fee as it returns to base: the partner's
// tariff for the vehicle's type, the time from departure to return, the
// distance from the vehicle's GPS trips in that time (the odometer when it
// has none). No tariff, or none for the type: refused.
func (s *Service) fee(ctx context.Context, tx bun.Tx, p *Partner, o *booking.Order) (*Fee, error) {
	if p.TariffID == nil {
		return nil, errs.E(errs.Conflict, "合作城市「%s」没有设置收费标准，订单 %s 不能计费回场：请市级平台管理员在「合作城市」中为其选择收费标准", p.Name, o.No)
	}
	var seats int
	if err := tx.NewSelect().Table("vehicles").Column("seats").Where("id = ?", o.VehicleID).Scan(ctx, &seats); err != nil {
		return nil, err
	}
	vt := VehicleType(seats)
	r := new(Rate)
	if err := tx.NewSelect().Model(r).Where("tariff_id = ? AND vehicle_type = ?", *p.TariffID, vt).Scan(ctx); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil, errs.E(errs.Conflict, "收费标准「%s」没有%s的价格，订单 %s（%s）不能计费回场：请先补充该车型的价格", p.TariffName, TypeName(vt), o.No, o.Plate)
		}
		return nil, err
	}
	start, end := o.PickupAt, s.now()
	if o.DepartedAt != nil {
		start = *o.DepartedAt
	}
	if o.ReturnedAt != nil {
		end = *o.ReturnedAt
	}
	var gps int64
	if err := tx.NewSelect().Table("trips").ColumnExpr("COALESCE(SUM(distance_m), 0)").
		Where("vehicle_id = ? AND started_at < ? AND ended_at > ?", o.VehicleID, end, start).Scan(ctx, &gps); err != nil {
		return nil, err
	}
	dist, source := gps, "北斗定位里程"
	if gps == 0 && o.StartOdometer != nil && o.EndOdometer != nil {
		dist, source = int64(*o.EndOdometer-*o.StartOdometer)*1000, "里程表读数（无定位轨迹）"
	}
	days, halves := chargedDays(end.Sub(start))
	f := &Fee{DistanceM: dist}
	f.Fen = days*r.DayFen + halves*r.HalfDayFen + (dist*r.KmFen+500)/1000
	if r.MarketDayFen > 0 && r.DayFen > 0 { // the same use at the local rental market's price
		f.MarketFen = f.Fen * r.MarketDayFen / r.DayFen
	}
	span := ""
	if days > 0 {
		span = fmt.Sprintf("%d天", days)
	}
	if halves > 0 {
		span += "半天"
	}
	f.Note = fmt.Sprintf("%s %s，%s %.1f 公里，按「%s」", TypeName(vt), span, source, float64(dist)/1000, p.TariffName)
	return f, nil
}
