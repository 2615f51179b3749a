package dispatch

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// PoolVehicle is a vehicle of a level's pool (统筹调度车辆池).
type PoolVehicle struct {
	ID          int64     `bun:"id" json:"id"`
	LevelID     int64     `bun:"level_id" json:"level_id"`
	LevelName   string    `bun:"level_name" json:"level_name"`
	VehicleID   int64     `bun:"vehicle_id" json:"vehicle_id"`
	Plate       string    `bun:"plate" json:"plate"`
	Model       string    `bun:"model" json:"model"`
	Seats       int       `bun:"seats" json:"seats"`
	Class       string    `bun:"vehicle_class" json:"-"`
	Status      string    `bun:"status" json:"status"`
	UnitName    string    `bun:"unit_name" json:"unit_name"`
	DriverID    *int64    `bun:"driver_id" json:"driver_id"`
	DriverName  string    `bun:"driver_name" json:"driver_name"`
	DriverPhone string    `bun:"driver_phone" json:"driver_phone"`
	Note        string    `bun:"note" json:"note"`
	AddedAt     time.Time `bun:"added_at" json:"added_at"`
	Type        string    `bun:"-" json:"type"`
	TypeName    string    `bun:"-" json:"type_name"`
	StatusName  string    `bun:"-" json:"status_name"`
}

// PoolFilter selects pool vehicles.
type PoolFilter struct {
	LevelID    int64  // one level's pool (0: every pool the actor sees)
	Q          string // part of the plate, unit or driver
	VType      string
	WithDriver string // "yes" | "no" | ""
	Page, Size int
}

// Pool lists pool vehicles the actor sees: those of the pools of its
// scope's levels, and its own vehicles pooled by a level above (the owner
// still sees them).
func (s *Service) Pool(ctx context.Context, a *access.Actor, f PoolFilter) ([]*PoolVehicle, int, error) {
	q := s.DB.R.NewSelect().TableExpr("pool_vehicles AS p").
		ColumnExpr("p.id, p.level_id, l.name AS level_name, p.vehicle_id, v.plate, v.brand || ' ' || v.model AS model, v.seats, v.vehicle_class, v.status").
		ColumnExpr("u.name AS unit_name, p.driver_id, COALESCE(d.name, '') AS driver_name, COALESCE(d.phone, '') AS driver_phone, p.note, p.added_at").
		Join("JOIN units AS l ON l.id = p.level_id").
		Join("JOIN vehicles AS v ON v.id = p.vehicle_id").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Join("LEFT JOIN drivers AS d ON d.id = p.driver_id").
		WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, p := range a.ScopePaths() {
				q = q.WhereOr("l.path LIKE ?", p+"%").WhereOr("u.path LIKE ?", p+"%")
			}
			return q.WhereOr("1 = 0")
		})
	if f.LevelID != 0 {
		if _, err := s.readableLevel(ctx, a, f.LevelID); err != nil {
			return nil, 0, err
		}
		q = q.Where("p.level_id = ?", f.LevelID)
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		l := like(check.NormalisePlate(t))
		q = q.Where("(v.plate LIKE ? OR u.name LIKE ? OR d.name LIKE ?)", l, like(t), like(t))
	}
	if f.VType != "" {
		cond, err := typeSQL(f.VType)
		if err != nil {
			return nil, 0, err
		}
		q = q.Where(cond)
	}
	switch f.WithDriver {
	case "yes":
		q = q.Where("p.driver_id IS NOT NULL")
	case "no":
		q = q.Where("p.driver_id IS NULL")
	}
	var out []*PoolVehicle
	off, n := page(f.Page, f.Size)
	total, err := q.OrderExpr("l.path, v.plate").Limit(n).Offset(off).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, p := range out {
		p.Type = TypeOf(p.Class, p.Seats)
		p.TypeName = name(VehicleTypes, p.Type)
		p.StatusName = statusNames[p.Status]
	}
	if out == nil {
		out = []*PoolVehicle{}
	}
	return out, total, nil
}

// PoolInput designates a vehicle (with or without a driver) for a level's pool.
type PoolInput struct {
	LevelID   int64  `json:"level_id"` // 0: the actor's own level
	VehicleID int64  `json:"vehicle_id"`
	DriverID  int64  `json:"driver_id"` // 0: without a driver
	Note      string `json:"note" max:"200"`
}

// AddToPool designates a vehicle of the level's subtree for its pool.
func (s *Service) AddToPool(ctx context.Context, a *access.Actor, in PoolInput) (*PoolVehicle, error) {
	if in.VehicleID == 0 {
		return nil, (&errs.Fields{"vehicle_id": "请选择车辆"}).Err()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		l, err := levelOf(ctx, tx, a, in.LevelID)
		if err != nil {
			return err
		}
		v, err := loadVehicle(ctx, tx, in.VehicleID)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(v.UnitPath, l.Path) {
			return errs.E(errs.Forbidden, "车辆 %s 不属于%s所辖单位，不能纳入其统筹调度车辆池", v.Plate, l.Name)
		}
		var in2 struct {
			Name string `bun:"name"`
		}
		err = tx.NewSelect().TableExpr("pool_vehicles AS p").ColumnExpr("l.name").Join("JOIN units AS l ON l.id = p.level_id").
			Where("p.vehicle_id = ?", v.ID).Scan(ctx, &in2)
		if err == nil {
			return errs.E(errs.Conflict, "车辆 %s 已在%s统筹调度车辆池中", v.Plate, in2.Name)
		}
		if err := store.Translate(err); !errs.Is(err, errs.NotFound) {
			return err
		}
		var did *int64
		if in.DriverID != 0 {
			d, err := loadDriver(ctx, tx, in.DriverID)
			if err != nil {
				return err
			}
			if err := driverFits(d, v, time.Time{}); err != nil {
				return err
			}
			if !strings.HasPrefix(d.UnitPath, l.Path) {
				return errs.E(errs.Forbidden, "驾驶员 %s 不属于%s所辖单位", d.Name, l.Name)
			}
			did = &d.ID
		}
		now := s.now()
		if err := tx.NewRaw("INSERT INTO pool_vehicles (level_id, vehicle_id, driver_id, note, added_by, added_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			l.ID, v.ID, did, strings.TrimSpace(in.Note), a.UserID, now).Scan(ctx, &id); err != nil {
			return err
		}
		how := "（不带驾驶员）"
		if did != nil {
			how = "（带驾驶员）"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPoolAdd, ObjectType: audit.Vehicle, ObjectID: v.ID, ScopePath: l.Path,
			Summary: fmt.Sprintf("车辆 %s（%s）纳入%s统筹调度车辆池%s", v.Plate, v.UnitName, l.Name, how)})
	})
	if err != nil {
		return nil, err
	}
	return s.poolEntry(ctx, a, id)
}

func (s *Service) poolEntry(ctx context.Context, a *access.Actor, id int64) (*PoolVehicle, error) {
	ps, _, err := s.Pool(ctx, a, PoolFilter{})
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		if p.ID == id {
			return p, nil
		}
	}
	return nil, errs.E(errs.NotFound, "车辆池中没有该车辆")
}

// RemoveFromPool takes a vehicle out of its level's pool. Tasks it holds
// keep it.
func (s *Service) RemoveFromPool(ctx context.Context, a *access.Actor, id int64) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		var p struct {
			LevelID   int64  `bun:"level_id"`
			VehicleID int64  `bun:"vehicle_id"`
			Plate     string `bun:"plate"`
		}
		if err := tx.NewSelect().TableExpr("pool_vehicles AS p").ColumnExpr("p.level_id, p.vehicle_id, v.plate").
			Join("JOIN vehicles AS v ON v.id = p.vehicle_id").Where("p.id = ?", id).Scan(ctx, &p); err != nil {
			return store.NotFoundAs(err, errs.E(errs.NotFound, "车辆池中没有该车辆"))
		}
		l, err := levelOf(ctx, tx, a, p.LevelID)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("pool_vehicles").Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPoolRemove, ObjectType: audit.Vehicle, ObjectID: p.VehicleID, ScopePath: l.Path,
			Summary: fmt.Sprintf("车辆 %s 移出%s统筹调度车辆池", p.Plate, l.Name)})
	})
}

// Board is the availability of vehicles over days.
type Board struct {
	From  string  `json:"from"` // first Beijing day
	Days  int     `json:"days"`
	Total int     `json:"total"`
	Rows  []*Slot `json:"rows"`
}

// PoolBoard is the availability board of a level's pool: each vehicle's
// state now and over the coming days (orders, tasks, repairs, holiday
// sealing), one page of vehicles.
func (s *Service) PoolBoard(ctx context.Context, a *access.Actor, levelID int64, from time.Time, days, p, size int) (*Board, error) {
	l, err := s.readableLevel(ctx, a, levelID)
	if err != nil {
		return nil, err
	}
	days = min(max(days, 1), 14)
	start := beijing.DayStart(from)
	end := start.AddDate(0, 0, days)
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := reg.slots(vehicleSet{poolOf: l.ID})
	if err != nil {
		return nil, err
	}
	if !a.Covers(l.Path) { // a unit reading a pool above: only its own vehicles in it
		mine := ss[:0]
		for _, x := range ss {
			if a.Covers(x.unitPath) {
				mine = append(mine, x)
			}
		}
		ss = mine
	}
	b := &Board{From: beijing.Date(start), Days: days, Total: len(ss)}
	off, n := page(p, size)
	if n > 0 {
		ss = ss[min(off, len(ss)):min(off+n, len(ss))]
	}
	if err := occupy(ctx, s.DB.R, ss, start, end, nil, 0); err != nil {
		return nil, err
	}
	b.Rows = ss
	return b, nil
}

// readableLevel is a level the actor reads: one in its scope, or a level
// above it, whose pool may hold its vehicles (its district, the city).
func (s *Service) readableLevel(ctx context.Context, a *access.Actor, id int64) (*level, error) {
	if id == 0 {
		return levelOf(ctx, s.DB.R, a, 0)
	}
	l := new(level)
	if err := s.DB.R.NewSelect().Table("units").Column("id", "name", "kind", "path").Where("id = ?", id).Scan(ctx, l); err != nil {
		return nil, store.NotFoundAs(err, (&errs.Fields{"level_id": "统筹调度的层级不存在"}).Err())
	}
	if l.Kind != "city" && l.Kind != "district" {
		return nil, (&errs.Fields{"level_id": l.Name + "不是市或区（市）"}).Err()
	}
	if !a.Covers(l.Path) && !strings.HasPrefix(a.ScopePath, l.Path) {
		return nil, errs.E(errs.Forbidden, "%s不在您的管辖范围内", l.Name)
	}
	return l, nil
}
