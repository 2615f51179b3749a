package fuel

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// scope restricts q to the records the actor may read: under one of its
// scope paths (a company's contracts, a staff member's scope) and, for a
// company's account, its own records. col is the unit path column.
func scope(q *bun.SelectQuery, a *access.Actor, col, company string) *bun.SelectQuery {
	paths := a.ScopePaths()
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if len(paths) == 0 {
			return q.Where("1 = 0")
		}
		for _, p := range paths {
			q = q.WhereOr(col+" LIKE ?", p+"%")
		}
		return q
	})
	if a.CompanyID != 0 {
		q = q.Where(company+" = ?", a.CompanyID)
	}
	return q
}

// node is the path of the unit filter (checked against the scope), or "".
func node(ctx context.Context, db bun.IDB, a *access.Actor, unitID int64) (string, error) {
	if unitID == 0 {
		return "", nil
	}
	var path string
	if err := db.NewSelect().Table("units").Column("path").Where("id = ?", unitID).Scan(ctx, &path); err != nil {
		return "", store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
	}
	for _, p := range a.ScopePaths() {
		if strings.HasPrefix(path, p) || strings.HasPrefix(p, path) {
			return path, nil
		}
	}
	return "", errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
}

// Filter selects records.
type Filter struct {
	UnitID    int64 // the unit or node, with its subtree
	VehicleID int64
	Month     string // YYYY-MM
	Plate     string // part of the plate
	Flag      string // one flag code, or "any"
	Page      int
	Size      int
}

// Records lists the current fuelling records, newest first, with the
// flagged records of replaced batches.
func (s *Service) Records(ctx context.Context, a *access.Actor, f Filter) ([]*Rec, int, error) {
	path, err := node(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	var out []*Rec
	q := s.DB.R.NewSelect().Model(&out).
		ColumnExpr("r.*").ColumnExpr("u.name AS unit_name").ColumnExpr("c.name AS company_name").
		Join("JOIN units AS u ON u.id = r.unit_id").Join("JOIN companies AS c ON c.id = r.company_id")
	q = scope(q, a, "r.unit_path", "r.company_id")
	if path != "" {
		q = q.Where("r.unit_path LIKE ?", path+"%")
	}
	// The current records, and the flagged ones of replaced batches: a
	// flag keeps its evidence (marked by replaced_at).
	q = q.Where("(r.replaced_at IS NULL OR r.flags <> '')")
	if f.VehicleID != 0 {
		q = q.Where("r.vehicle_id = ?", f.VehicleID)
	}
	if f.Month != "" {
		if _, _, err := monthRange(f.Month); err != nil {
			return nil, 0, err
		}
		q = q.Where("r.month = ?", f.Month)
	}
	if p := strings.TrimSpace(f.Plate); p != "" {
		q = q.Where("r.plate LIKE ?", "%"+strings.NewReplacer("%", "", "_", "").Replace(strings.ToUpper(p))+"%")
	}
	switch f.Flag {
	case "":
	case "any":
		q = q.Where("r.flags <> ''")
	default:
		q = q.Where("(',' || r.flags || ',') LIKE ?", "%,"+f.Flag+",%")
	}
	n, err := q.Order("r.at DESC", "r.id DESC").Limit(f.Size).Offset((f.Page - 1) * f.Size).ScanAndCount(ctx)
	return out, n, store.Translate(err)
}

// Consumption is one vehicle's month: litres, amount, the GPS mileage and
// litres per 100 km (nil without GPS mileage for the month).
type Consumption struct {
	VehicleID int64    `bun:"vehicle_id" json:"vehicle_id"`
	Plate     string   `bun:"plate" json:"plate"`
	UnitID    int64    `bun:"unit_id" json:"unit_id"`
	UnitName  string   `bun:"unit_name" json:"unit_name"`
	Records   int      `bun:"records" json:"records"`
	LitresML  int64    `bun:"litres_ml" json:"litres_ml"`
	AmountFen int64    `bun:"amount_fen" json:"amount_fen"`
	Flagged   int      `bun:"flagged" json:"flagged"`
	DistanceM *int64   `bun:"distance_m" json:"distance_m"` // nil: no GPS mileage (无GPS里程)
	LPer100km *float64 `bun:"-" json:"l_per_100km"`         // nil without mileage
}

// ConsumptionFilter selects the month and the units.
type ConsumptionFilter struct {
	Month  string
	UnitID int64
	Page   int
	Size   int
}

// Consumption lists per vehicle the month's fuel against its GPS mileage
// (vehicle_daily_mileage, built from the tracks), most litres first.
func (s *Service) Consumption(ctx context.Context, a *access.Actor, f ConsumptionFilter) ([]*Consumption, int, error) {
	from, to, err := monthRange(f.Month)
	if err != nil {
		return nil, 0, err
	}
	path, err := node(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	var out []*Consumption
	q := s.DB.R.NewSelect().TableExpr("fuel_records AS r").
		Join("JOIN vehicles AS v ON v.id = r.vehicle_id").Join("JOIN units AS u ON u.id = v.unit_id").
		ColumnExpr("r.vehicle_id, v.plate, v.unit_id, u.name AS unit_name").
		ColumnExpr("COUNT(*) AS records, SUM(r.litres_ml) AS litres_ml, SUM(r.amount_fen) AS amount_fen").
		ColumnExpr("SUM(CASE WHEN r.flags <> '' THEN 1 ELSE 0 END) AS flagged").
		ColumnExpr("(SELECT SUM(m.distance_m) FROM vehicle_daily_mileage AS m WHERE m.vehicle_id = r.vehicle_id AND m.day >= ? AND m.day < ?) AS distance_m",
			from.Format(time.DateOnly), to.Format(time.DateOnly)).
		Where("r.month = ? AND r.replaced_at IS NULL", f.Month).
		GroupExpr("r.vehicle_id, v.plate, v.unit_id, u.name")
	q = scope(q, a, "r.unit_path", "r.company_id")
	if path != "" {
		q = q.Where("r.unit_path LIKE ?", path+"%")
	}
	n, err := s.DB.R.NewSelect().TableExpr("(?) AS t", q).Count(ctx)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	if err := q.OrderExpr("litres_ml DESC, v.plate").Limit(f.Size).Offset((f.Page-1)*f.Size).Scan(ctx, &out); err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, c := range out {
		if c.DistanceM != nil && *c.DistanceM > 0 {
			l := float64(c.LitresML) / 1000 / (float64(*c.DistanceM) / 100000)
			l = float64(int64(l*100+0.5)) / 100
			c.LPer100km = &l
		} else {
			c.DistanceM = nil
		}
	}
	return out, n, nil
}

// Imports lists the imports, newest first: a company's own; for staff,
// those of the companies their level contracts (owner unit in scope).
func (s *Service) Imports(ctx context.Context, a *access.Actor, page, size int) ([]*Import, int, error) {
	var out []*Import
	q := s.DB.R.NewSelect().Model(&out).ColumnExpr("i.*").ColumnExpr("c.name AS company_name").
		ModelTableExpr("fuel_imports AS i").Join("JOIN companies AS c ON c.id = i.company_id").
		Join("JOIN units AS o ON o.id = c.owner_unit_id")
	if a.CompanyID != 0 {
		q = q.Where("i.company_id = ?", a.CompanyID)
	} else {
		q = q.Where("o.path LIKE ?", a.ScopePath+"%")
	}
	n, err := q.Order("i.created_at DESC", "i.id DESC").Limit(size).Offset((page - 1) * size).ScanAndCount(ctx)
	return out, n, store.Translate(err)
}
