// Package dispatch is the city-wide integrated dispatch of R-16 (issue 21):
// the pools of vehicles the city and each district designate (统筹调度车辆池),
// support tasks for major events, emergencies and the two sessions (保障任务)
// with their schedule, needs and assignments — the owning unit told and
// free to object until a deadline, the authority deciding — and support
// teams (保障班组). A confirmed vehicle's shifts are ordinary orders written
// through internal/booking (orders.task_id), so trips, mileage, rules and
// supervision apply to them unchanged.
//
// Who acts: the platform administrator and the dispatcher of a level (the
// city or a district node) — the authority of R-16 — keep its pool, its
// teams and its tasks; the owning unit's vehicle manager or unit
// administrator objects.
package dispatch

import (
	"context"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Service runs pools, tasks and teams.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Now    func() time.Time

	regMu sync.Mutex
	reg   *registry // the dispatchable vehicles at a registry version (Service.registry)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

var (
	actPoolAdd      = audit.NewAction("pool.add", "车辆纳入统筹调度车辆池")
	actPoolRemove   = audit.NewAction("pool.remove", "车辆移出统筹调度车辆池")
	actTaskCreate   = audit.NewAction("task.create", "创建保障任务")
	actTaskAssign   = audit.NewAction("task.assign", "保障任务调派车辆")
	actTaskObject   = audit.NewAction("task.object", "车辆所属单位对保障任务调派提出异议")
	actTaskUphold   = audit.NewAction("task.uphold", "保障任务维持调派")
	actTaskWithdraw = audit.NewAction("task.withdraw", "保障任务撤回调派")
	actTeamSave     = audit.NewAction("team.save", "保存保障班组")
)

// Code is a code with its Chinese name.
type Code struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// VehicleTypes are the types a task asks for. The registry has no body
// type; a type is read from its licence class (fleet.VehicleClasses) and
// seats: 大客车 a large or city bus (A1/A3), 中巴 a medium bus (B1), 商务车
// a small car of 7 seats or more, 轿车 a small car of fewer.
var VehicleTypes = []Code{{"coach", "大客车"}, {"minibus", "中巴"}, {"van", "商务车"}, {"sedan", "轿车"}}

// TaskKinds are what a support task serves.
var TaskKinds = []Code{{"event", "重大活动"}, {"emergency", "突发事件"}, {"sessions", "两会保障"}, {"other", "其他保障"}}

func name(codes []Code, c string) string {
	for _, x := range codes {
		if x.Code == c {
			return x.Name
		}
	}
	return ""
}

// TypeOf is the task vehicle type of a registry vehicle ("" when none).
func TypeOf(class string, seats int) string {
	switch class {
	case "large_bus", "city_bus":
		return "coach"
	case "medium_bus":
		return "minibus"
	case "small", "small_automatic":
		if seats >= 7 {
			return "van"
		}
		return "sedan"
	}
	return ""
}

// typeSQL is the condition on vehicles AS v selecting a type.
func typeSQL(t string) (string, error) {
	switch t {
	case "coach":
		return "v.vehicle_class IN ('large_bus', 'city_bus')", nil
	case "minibus":
		return "v.vehicle_class = 'medium_bus'", nil
	case "van":
		return "v.vehicle_class IN ('small', 'small_automatic') AND v.seats >= 7", nil
	case "sedan":
		return "v.vehicle_class IN ('small', 'small_automatic') AND v.seats < 7", nil
	}
	return "", (&errs.Fields{"vehicle_type": "车型不正确"}).Err()
}

// level is a city or district node: the authority of a pool, a task or a team.
type level struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
	Kind string `bun:"kind"`
	Path string `bun:"path"`
}

// levelOf loads node id (the actor's own scope when 0) as a level the
// actor acts for: a city or district node inside its scope.
func levelOf(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*level, error) {
	if id == 0 {
		id = a.ScopeID
	}
	l := new(level)
	if err := db.NewSelect().Table("units").Column("id", "name", "kind", "path").Where("id = ?", id).Scan(ctx, l); err != nil {
		return nil, store.NotFoundAs(err, (&errs.Fields{"level_id": "统筹调度的层级不存在"}).Err())
	}
	if !a.Covers(l.Path) {
		return nil, errs.E(errs.Forbidden, "%s不在您的管辖范围内", l.Name)
	}
	if l.Kind != "city" && l.Kind != "district" {
		return nil, errs.E(errs.Forbidden, "统筹调度由市级或区（市）级平台管理员、调度员负责，%s不是市或区", l.Name)
	}
	return l, nil
}

// vehicle is what dispatch needs of a registry vehicle.
type vehicle struct {
	ID       int64  `bun:"id" json:"id"`
	Plate    string `bun:"plate" json:"plate"`
	Brand    string `bun:"brand" json:"brand"`
	Model    string `bun:"model" json:"model"`
	Seats    int    `bun:"seats" json:"seats"`
	Class    string `bun:"vehicle_class" json:"-"`
	Category string `bun:"category" json:"-"`
	Status   string `bun:"status" json:"status"`
	UnitID   int64  `bun:"unit_id" json:"unit_id"`
	UnitName string `bun:"unit_name" json:"unit_name"`
	UnitPath string `bun:"unit_path" json:"-"`
}

// errVehicle refuses a vehicle that is not, or no longer, dispatched by the platform.
var errVehicle = (&errs.Fields{"vehicle_id": "车辆不存在、已处置或不纳入平台调度"}).Err()

func loadVehicle(ctx context.Context, db bun.IDB, id int64) (*vehicle, error) {
	v := new(vehicle)
	err := db.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id, v.plate, v.brand, v.model, v.seats, v.vehicle_class, v.category, v.status, v.unit_id, u.name AS unit_name, u.path AS unit_path").
		Join("JOIN units AS u ON u.id = v.unit_id").Where("v.id = ? AND v.status <> 'disposed' AND v.exempt = ?", id, false).Scan(ctx, v)
	return v, store.NotFoundAs(err, errVehicle)
}

// driver is what dispatch needs of a registry driver.
type driver struct {
	ID            int64  `bun:"id" json:"id"`
	Name          string `bun:"name" json:"name"`
	Phone         string `bun:"phone" json:"phone"`
	LicenceClass  string `bun:"licence_class" json:"licence_class"`
	LicenceExpiry string `bun:"licence_expiry" json:"-"`
	Active        bool   `bun:"active" json:"-"`
	UserID        *int64 `bun:"user_id" json:"-"`
	UnitPath      string `bun:"unit_path" json:"-"`
	UnitName      string `bun:"unit_name" json:"unit_name"`
}

var errDriver = (&errs.Fields{"driver_id": "驾驶员不存在"}).Err()

func loadDriver(ctx context.Context, db bun.IDB, id int64) (*driver, error) {
	ds, err := loadDrivers(ctx, db, []int64{id})
	if err != nil {
		return nil, err
	}
	return ds[id], nil
}

// loadDrivers loads drivers ids in one read; refused if one is missing.
func loadDrivers(ctx context.Context, db bun.IDB, ids []int64) (map[int64]*driver, error) {
	var ds []*driver
	err := db.NewSelect().TableExpr("drivers AS d").
		ColumnExpr("d.id, d.name, d.phone, d.licence_class, d.licence_expiry, d.active, d.user_id, u.path AS unit_path, u.name AS unit_name").
		Join("JOIN units AS u ON u.id = d.unit_id").Where("d.id IN (?)", bun.In(ids)).Scan(ctx, &ds)
	if err != nil {
		return nil, store.Translate(err)
	}
	out := make(map[int64]*driver, len(ds))
	for _, d := range ds {
		out[d.ID] = d
	}
	for _, id := range ids {
		if out[id] == nil {
			return nil, errDriver
		}
	}
	return out, nil
}

// lock takes the row locks of a vehicle and a driver (PostgreSQL row
// locks; SQLite serialises writers), so that two assignments of the same
// vehicle or driver for overlapping times cannot both succeed.
func lock(ctx context.Context, tx bun.Tx, vehicleID, driverID int64) error {
	var dids []int64
	if driverID != 0 {
		dids = []int64{driverID}
	}
	return lockAll(ctx, tx, []int64{vehicleID}, dids)
}

// lockAll is lock for many vehicles and drivers, a statement each kind.
func lockAll(ctx context.Context, tx bun.Tx, vids, dids []int64) error {
	if _, err := tx.NewRaw("UPDATE vehicles SET updated_at = updated_at WHERE id IN (?)", bun.In(vids)).Exec(ctx); err != nil {
		return err
	}
	if len(dids) > 0 {
		if _, err := tx.NewRaw("UPDATE drivers SET updated_at = updated_at WHERE id IN (?)", bun.In(dids)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// like is a LIKE pattern finding text anywhere.
func like(text string) string {
	return "%" + strings.NewReplacer("%", "", "_", "").Replace(strings.TrimSpace(text)) + "%"
}

func page(p, size int) (int, int) {
	if p < 1 {
		p = 1
	}
	return (p - 1) * size, size
}
