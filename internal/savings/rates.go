// Package savings is what the use of vehicles costs and saves (issue 21
// part 5, issue 22 part 5): the one table of rates per vehicle type —
// the internal tariff, the paid-use tariff charged to partner cities' and
// visiting officials (异地/来访有偿使用) and the rental market's reference
// prices, dated, without gaps or overlaps — and the one function that
// prices a use under them (PriceUse): the cost of every use of a vehicle by
// a unit other than its owner — a loan's, a pooled or task
// vehicle's — and the fee of a paid use, each against the market price it
// replaced; and the monthly settlement statements between lending and
// borrowing sides, confirmed by both. docs/loans-and-savings.md works an
// example.
package savings

import (
	"context"
	"fmt"
	"slices"
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

// The audit log's actions of rates, costs and statements.
var (
	actRate      = audit.NewAction("rate.save", "保存收费标准或市场价")
	actGenerate  = audit.NewAction("settlement.generate", "生成结算单")
	actConfirm   = audit.NewAction("settlement.confirm", "确认结算单")
	actDispute   = audit.NewAction("settlement.dispute", "对结算单提出异议")
	actCostCheck = audit.NewAction("use_cost.compute", "核算跨单位用车费用")
)

// Rate kinds.
const (
	Tariff  = "tariff"   // 内部收费标准: per day, half day and km, between units and levels
	PaidUse = "paid_use" // 有偿使用收费标准: per day, half day and km, charged to partner cities' and visiting officials
	Market  = "market"   // 租赁市场参考价: per day and half day
)

// KindNames are the kinds' Chinese names.
var KindNames = map[string]string{Tariff: "内部收费标准", PaidUse: "有偿使用收费标准", Market: "市场参考价"}

// kindOrder is the order the kinds are listed in.
var kindOrder = map[string]int{Tariff: 0, PaidUse: 1, Market: 2}

// Rate is a dated rate of one kind for one vehicle type.
type Rate struct {
	bun.BaseModel `bun:"table:rates"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	Kind        string    `bun:"kind" json:"kind"`
	VehicleType string    `bun:"vehicle_type" json:"vehicle_type"`
	DayFen      int64     `bun:"day_fen" json:"day_fen"`
	HalfDayFen  int64     `bun:"half_day_fen" json:"half_day_fen"`
	KmFen       int64     `bun:"km_fen" json:"km_fen"`
	ValidFrom   string    `bun:"valid_from" json:"valid_from"`
	ValidTo     *string   `bun:"valid_to" json:"valid_to"`
	Note        string    `bun:"note" json:"note"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`

	KindName string `bun:"-" json:"kind_name"`
	TypeName string `bun:"-" json:"vehicle_type_name"`
}

func (r *Rate) fill() {
	r.KindName, r.TypeName = KindNames[r.Kind], loans.TypeName(r.VehicleType)
}

func (r *Rate) period() string {
	to := "长期"
	if r.ValidTo != nil {
		to = *r.ValidTo
	}
	return r.ValidFrom + " 至 " + to
}

// named is the rate in words: 商务车有偿使用收费标准（2026-01-01 至 长期）.
func (r *Rate) named() string {
	return loans.TypeName(r.VehicleType) + KindNames[r.Kind] + "（" + r.period() + "）"
}

// Service keeps rates, costs and statements.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RateInput is a rate as the city's administrator enters it (fen).
type RateInput struct {
	Kind        string  `json:"kind" max:"10"`
	VehicleType string  `json:"vehicle_type" max:"20"`
	DayFen      int64   `json:"day_fen"`
	HalfDayFen  int64   `json:"half_day_fen"`
	KmFen       int64   `json:"km_fen"`
	ValidFrom   string  `json:"valid_from" max:"10"`
	ValidTo     *string `json:"valid_to" max:"10"`
	Note        string  `json:"note" max:"200"`
}

// Rates lists the rates of a kind ("" all) by kind, type and date.
func (s *Service) Rates(ctx context.Context, kind string) ([]*Rate, error) {
	out := []*Rate{}
	q := s.DB.R.NewSelect().Model(&out).OrderExpr("kind, vehicle_type, valid_from")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	order := map[string]int{}
	for i, t := range loans.VehicleTypes {
		order[t.Code] = i
	}
	slices.SortStableFunc(out, func(a, b *Rate) int {
		if a.Kind != b.Kind {
			return kindOrder[a.Kind] - kindOrder[b.Kind]
		}
		return order[a.VehicleType] - order[b.VehicleType]
	})
	for _, r := range out {
		r.fill()
	}
	return out, nil
}

// SaveRate adds (id 0) or changes a rate; only the city's platform
// administrator keeps them. Per kind and type the periods must follow each
// other without a gap or an overlap — only the last may stay open — so
// that every day of use has exactly one rate; a refusal names the
// neighbouring period.
func (s *Service) SaveRate(ctx context.Context, a *access.Actor, id int64, in RateInput) (*Rate, error) {
	if a.ScopeKind != "city" || !a.HasRole(access.PlatformAdmin) {
		return nil, errs.E(errs.Forbidden, "收费标准与市场价由市级平台管理员维护")
	}
	in.Note = strings.TrimSpace(in.Note)
	var f errs.Fields
	f.Check(KindNames[in.Kind] == "", "kind", "请选择内部收费标准、有偿使用收费标准或市场参考价")
	f.Check(loans.TypeName(in.VehicleType) == "", "vehicle_type", "请选择车型")
	f.Check(in.DayFen <= 0, "day_fen", "请填写每天的价格")
	f.Check(in.HalfDayFen <= 0, "half_day_fen", "请填写每半天的价格")
	f.Check(in.HalfDayFen > in.DayFen, "half_day_fen", "半天的价格不能高于一天")
	f.Check(in.KmFen < 0, "km_fen", "每公里价格不能为负")
	f.Check(in.Kind == Market && in.KmFen != 0, "km_fen", "市场参考价按天、半天计，不含每公里价格")
	from, err := beijing.ParseDate(in.ValidFrom)
	f.Check(err != nil, "valid_from", "请填写生效日期（年-月-日）")
	if in.ValidTo != nil && *in.ValidTo == "" {
		in.ValidTo = nil
	}
	if in.ValidTo != nil {
		to, err2 := beijing.ParseDate(*in.ValidTo)
		f.Check(err2 != nil, "valid_to", "截止日期须为年-月-日")
		f.Check(err == nil && err2 == nil && to.Before(from), "valid_to", "截止日期不能早于生效日期")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r := &Rate{ID: id, Kind: in.Kind, VehicleType: in.VehicleType, DayFen: in.DayFen, HalfDayFen: in.HalfDayFen, KmFen: in.KmFen,
		ValidFrom: in.ValidFrom, ValidTo: in.ValidTo, Note: in.Note, UpdatedAt: s.now()}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var before *Rate
		if id != 0 {
			before = new(Rate)
			if err := tx.NewSelect().Model(before).Where("id = ?", id).Scan(ctx); err != nil {
				return store.NotFoundAs(err, errs.E(errs.NotFound, "该标准不存在"))
			}
			if before.Kind != in.Kind || before.VehicleType != in.VehicleType {
				return (&errs.Fields{"vehicle_type": "不能更改已有标准的种类或车型，请新增一条"}).Err()
			}
		}
		var others []*Rate
		if err := tx.NewSelect().Model(&others).Where("kind = ? AND vehicle_type = ? AND id <> ?", in.Kind, in.VehicleType, id).Order("valid_from").Scan(ctx); err != nil {
			return err
		}
		if err := contiguous(append(others, r), r); err != nil {
			return err
		}
		if id == 0 {
			if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
				return err
			}
		} else if _, err := tx.NewUpdate().Model(r).WherePK().Exec(ctx); err != nil {
			return err
		}
		r.fill()
		summary := fmt.Sprintf("%s %s %s：每天 %s 元，每半天 %s 元", r.KindName, r.TypeName, r.period(), money.Yuan(r.DayFen), money.Yuan(r.HalfDayFen))
		if r.Kind != Market {
			summary += fmt.Sprintf("，每公里 %s 元", money.Yuan(r.KmFen))
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRate, ObjectType: audit.Rate, ObjectID: r.ID, ScopePath: a.ScopePath,
			Summary: summary, Before: before, After: r})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// contiguous checks that the periods of rs, sorted by start, follow each
// other day after day: no overlap, no gap, only the last open-ended.
func contiguous(rs []*Rate, fresh *Rate) error {
	slices.SortFunc(rs, func(a, b *Rate) int { return strings.Compare(a.ValidFrom, b.ValidFrom) })
	for i := 0; i+1 < len(rs); i++ {
		cur, next := rs[i], rs[i+1]
		if cur.ValidTo == nil || *cur.ValidTo >= next.ValidFrom {
			return errs.E(errs.Conflict, "日期与已有的%s重叠：每个车型同一天只能有一个标准，请先调整已有标准的截止日期", other(cur, next, fresh).named())
		}
		to, _ := beijing.ParseDate(*cur.ValidTo)
		if want := beijing.Date(to.AddDate(0, 0, 1)); want != next.ValidFrom {
			nf, _ := beijing.ParseDate(next.ValidFrom)
			return errs.E(errs.Conflict, "与已有的%s之间空缺 %s 至 %s：标准的日期须前后衔接，不留空档",
				other(cur, next, fresh).named(), want, beijing.Date(nf.AddDate(0, 0, -1)))
		}
	}
	return nil
}

// other returns whichever of a and b is not the rate being saved.
func other(a, b, fresh *Rate) *Rate {
	if a == fresh {
		return b
	}
	return a
}

// InForce lists the rates of a kind in force on a Beijing date, one per
// vehicle type that has one, in the types' order.
func InForce(ctx context.Context, db bun.IDB, kind, date string) ([]*Rate, error) {
	out := []*Rate{}
	for _, t := range loans.VehicleTypes {
		r, err := rateAt(ctx, db, kind, t.Code, date)
		if errs.Is(err, errs.Conflict) {
			continue
		}
		if err != nil {
			return nil, err
		}
		r.fill()
		out = append(out, r)
	}
	return out, nil
}

// rateAt returns the rate of kind and type in force on a Beijing date.
func rateAt(ctx context.Context, db bun.IDB, kind, typ, date string) (*Rate, error) {
	var rs []*Rate
	if err := db.NewSelect().Model(&rs).Where("kind = ? AND vehicle_type = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)", kind, typ, date, date).
		Limit(1).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if len(rs) == 0 {
		return nil, errs.E(errs.Conflict, "%s没有 %s 适用的%s，请市级平台管理员在「收费标准与市场价」中补充", loans.TypeName(typ), date, KindNames[kind])
	}
	return rs[0], nil
}
