package dispatch

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Assignment states.
const (
	Confirmed = "confirmed" // from the pool or a team: no objection asked
	Notified  = "notified"  // from a unit: the owner may object until the deadline
	Objected  = "objected"  // the owner objected: the authority decides
	Upheld    = "upheld"    // the authority kept it after the objection
	Withdrawn = "withdrawn" // the authority withdrew it: its orders cancelled
	Cancelled = "cancelled" // the task was cancelled: its orders not yet departed cancelled with it
)

// AssignmentStates are the states' Chinese names.
var AssignmentStates = map[string]string{Confirmed: "已确认", Notified: "已通知所属单位", Objected: "所属单位有异议", Upheld: "维持调派",
	Withdrawn: "已撤回", Cancelled: "任务已取消"}

// ended are the states in which an assignment no longer holds its vehicle.
var ended = []string{Withdrawn, Cancelled}

// Live: the assignment still holds its vehicle for the task.
func (x *Assignment) Live() bool { return !slices.Contains(ended, x.State) }

// Task is a support task (保障任务, R-16).
type Task struct {
	ID                int64      `bun:"id" json:"id"`
	LevelID           int64      `bun:"level_id" json:"level_id"`
	LevelName         string     `bun:"level_name" json:"level_name"`
	LevelPath         string     `bun:"level_path" json:"-"`
	Name              string     `bun:"name" json:"name"`
	Kind              string     `bun:"kind" json:"kind"`
	KindName          string     `bun:"-" json:"kind_name"`
	Description       string     `bun:"description" json:"description"`
	ObjectionDeadline time.Time  `bun:"objection_deadline" json:"objection_deadline"`
	State             string     `bun:"state" json:"state"`
	StateName         string     `bun:"-" json:"state_name"`
	CancelReason      string     `bun:"cancel_reason" json:"cancel_reason"`
	CancelledByName   string     `bun:"cancelled_by_name" json:"cancelled_by_name"`
	CancelledAt       *time.Time `bun:"cancelled_at" json:"cancelled_at"`
	CreatedBy         int64      `bun:"created_by" json:"-"`
	CreatedByName     string     `bun:"created_by_name" json:"created_by_name"`
	CreatedAt         time.Time  `bun:"created_at" json:"created_at"`
	StartAt           time.Time  `bun:"start_at" json:"start_at"`
	EndAt             time.Time  `bun:"end_at" json:"end_at"`
	Vehicles          int        `bun:"vehicles" json:"vehicles"`
	Needed            int        `bun:"needed" json:"needed"`
	Objections        int        `bun:"objections" json:"objections"`
}

// TaskStates are a task's states' Chinese names.
var TaskStates = map[string]string{"active": "进行中", "cancelled": "已取消"}

func (t *Task) fill() {
	t.KindName = name(TaskKinds, t.Kind)
	t.StateName = TaskStates[t.State]
}

// Shift is a shift of a task's schedule.
type Shift struct {
	ID      int64     `bun:"id" json:"id"`
	TaskID  int64     `bun:"task_id" json:"-"`
	Name    string    `bun:"name" json:"name"`
	StartAt time.Time `bun:"start_at" json:"start_at"`
	EndAt   time.Time `bun:"end_at" json:"end_at"`
	Place   string    `bun:"place" json:"place"`
	Route   string    `bun:"route" json:"route"`
}

// Need is a count of vehicles of a type.
type Need struct {
	VehicleType string `bun:"vehicle_type" json:"vehicle_type"`
	TypeName    string `bun:"-" json:"type_name"`
	Count       int    `bun:"count" json:"count"`
	Assigned    int    `bun:"-" json:"assigned"`
}

// Assignment is a vehicle (with its driver) assigned to a task.
type Assignment struct {
	ID           int64      `bun:"id" json:"id"`
	TaskID       int64      `bun:"task_id" json:"task_id"`
	TaskName     string     `bun:"task_name" json:"task_name"`
	VehicleID    int64      `bun:"vehicle_id" json:"vehicle_id"`
	Plate        string     `bun:"plate" json:"plate"`
	Seats        int        `bun:"seats" json:"seats"`
	Class        string     `bun:"vehicle_class" json:"-"`
	DriverID     int64      `bun:"driver_id" json:"driver_id"`
	DriverName   string     `bun:"driver_name" json:"driver_name"`
	DriverPhone  string     `bun:"driver_phone" json:"driver_phone"`
	OwnerUnitID  int64      `bun:"owner_unit_id" json:"owner_unit_id"`
	OwnerName    string     `bun:"owner_name" json:"owner_name"`
	OwnerPath    string     `bun:"owner_path" json:"-"`
	Source       string     `bun:"source" json:"source"`
	TeamID       *int64     `bun:"team_id" json:"-"`
	TeamName     string     `bun:"team_name" json:"team_name"`
	CreatedBy    int64      `bun:"created_by" json:"-"`
	State        string     `bun:"state" json:"state"`
	Objection    string     `bun:"objection" json:"objection"`
	ObjectedBy   string     `bun:"objected_by" json:"objected_by"`
	ObjectedAt   *time.Time `bun:"objected_at" json:"objected_at"`
	Decision     string     `bun:"decision" json:"decision"`
	DecidedBy    string     `bun:"decided_by" json:"decided_by"`
	DecidedAt    *time.Time `bun:"decided_at" json:"decided_at"`
	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	Deadline     time.Time  `bun:"objection_deadline" json:"objection_deadline"`
	LevelPath    string     `bun:"level_path" json:"-"`
	Type         string     `bun:"-" json:"type"`
	TypeName     string     `bun:"-" json:"type_name"`
	StateName    string     `bun:"-" json:"state_name"`
	SourceName   string     `bun:"-" json:"source_name"`
	CanObject    bool       `bun:"-" json:"can_object"` // the owner may still object
	DeadlinePast bool       `bun:"-" json:"deadline_past"`
}

var sourceNames = map[string]string{"pool": "车辆池", "unit": "单位抽调", "team": "保障班组"}

func (x *Assignment) fill(now time.Time) {
	x.Type = TypeOf(x.Class, x.Seats)
	x.TypeName = name(VehicleTypes, x.Type)
	x.StateName = AssignmentStates[x.State]
	x.SourceName = sourceNames[x.Source]
	x.DeadlinePast = now.After(x.Deadline)
	x.CanObject = x.State == Notified && !x.DeadlinePast
	if x.State == Notified && x.DeadlinePast {
		x.StateName = "已确认（异议期已过）" // no objection by the deadline: the assignment stands
	}
}

// TaskDetail is a task with its schedule, needs and assignments.
type TaskDetail struct {
	*Task
	Shifts      []*Shift      `json:"shifts"`
	Needs       []*Need       `json:"needs"`
	Assignments []*Assignment `json:"assignments"`
}

// ShiftInput is a shift of a new task.
type ShiftInput struct {
	Name    string    `json:"name" max:"50"`
	StartAt time.Time `json:"start_at"`
	EndAt   time.Time `json:"end_at"`
	Place   string    `json:"place" max:"200"`
	Route   string    `json:"route" max:"500"`
}

// check trims a shift and adds what is wrong with it to f (field, and n
// naming the shift in the messages).
func (sh *ShiftInput) check(f *errs.Fields, field, n string) {
	sh.Name, sh.Place, sh.Route = strings.TrimSpace(sh.Name), strings.TrimSpace(sh.Place), strings.TrimSpace(sh.Route)
	f.Check(sh.Name == "", field, n+"请填写班次名称")
	f.Check(sh.Place == "", field, n+"请填写集结地点")
	f.Check(sh.StartAt.IsZero() || sh.EndAt.IsZero(), field, n+"请填写开始和结束时间")
	f.Check(!sh.StartAt.IsZero() && !sh.EndAt.After(sh.StartAt), field, n+"的结束时间须晚于开始时间")
	f.Check(sh.EndAt.Sub(sh.StartAt) > 24*time.Hour, field, n+"不能超过24小时")
}

// NeedInput is a need of a new task.
type NeedInput struct {
	VehicleType string `json:"vehicle_type"`
	Count       int    `json:"count"`
}

// MaxShifts bounds a task's shifts, whether created with it or added.
const MaxShifts = 200

// TaskInput creates a support task.
type TaskInput struct {
	LevelID           int64        `json:"level_id"` // 0: the actor's own level
	Name              string       `json:"name" max:"100"`
	Kind              string       `json:"kind"`
	Description       string       `json:"description" max:"1000"`
	ObjectionDeadline time.Time    `json:"objection_deadline"`
	Shifts            []ShiftInput `json:"shifts"`
	Needs             []NeedInput  `json:"needs"`
}

func (in *TaskInput) validate() error {
	var f errs.Fields
	in.Name = strings.TrimSpace(in.Name)
	f.Check(in.Name == "", "name", "请填写任务名称")
	f.Check(utf8.RuneCountInString(in.Name) > 100, "name", "任务名称不能超过100字")
	f.Check(name(TaskKinds, in.Kind) == "", "kind", "请选择任务类型")
	f.Check(in.ObjectionDeadline.IsZero(), "objection_deadline", "请设定所属单位提出异议的截止时间")
	f.Check(len(in.Shifts) == 0, "shifts", "请至少安排一个班次")
	f.Check(len(in.Shifts) > MaxShifts, "shifts", fmt.Sprintf("班次不能超过%d个", MaxShifts))
	for i := range in.Shifts {
		in.Shifts[i].check(&f, "shifts", fmt.Sprintf("第%d个班次", i+1))
	}
	seen := map[string]bool{}
	for _, n := range in.Needs {
		f.Check(name(VehicleTypes, n.VehicleType) == "", "needs", "请选择所需车型")
		f.Check(n.Count < 1 || n.Count > 1000, "needs", "所需车辆数应为1至1000")
		f.Check(seen[n.VehicleType], "needs", "车型"+name(VehicleTypes, n.VehicleType)+"重复")
		seen[n.VehicleType] = true
	}
	return f.Err()
}

// CreateTask creates a support task of the actor's level (or a level in
// its scope), with its schedule and needs.
func (s *Service) CreateTask(ctx context.Context, a *access.Actor, in TaskInput) (*TaskDetail, error) {
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		l, err := levelOf(ctx, tx, a, in.LevelID)
		if err != nil {
			return err
		}
		now := s.now()
		if err := tx.NewRaw(`INSERT INTO support_tasks (level_id, name, kind, description, objection_deadline, state, created_by, created_by_name, created_at)
			VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?) RETURNING id`, l.ID, in.Name, in.Kind, strings.TrimSpace(in.Description),
			in.ObjectionDeadline.UTC(), a.UserID, a.Name, now).Scan(ctx, &id); err != nil {
			return err
		}
		for _, sh := range in.Shifts {
			if _, err := tx.NewRaw("INSERT INTO task_shifts (task_id, name, start_at, end_at, place, route) VALUES (?, ?, ?, ?, ?, ?)",
				id, sh.Name, sh.StartAt.UTC(), sh.EndAt.UTC(), sh.Place, sh.Route).Exec(ctx); err != nil {
				return err
			}
		}
		for _, n := range in.Needs {
			if _, err := tx.NewRaw("INSERT INTO task_needs (task_id, vehicle_type, count) VALUES (?, ?, ?)", id, n.VehicleType, n.Count).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskCreate, ObjectType: audit.SupportTask, ObjectID: id, ScopePath: l.Path,
			Summary: fmt.Sprintf("%s创建保障任务「%s」（%s，%d个班次）", l.Name, in.Name, name(TaskKinds, in.Kind), len(in.Shifts))})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTask(ctx, a, id)
}

func taskQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("support_tasks AS t").
		ColumnExpr("t.*, l.name AS level_name, l.path AS level_path").
		ColumnExpr("(SELECT MIN(start_at) FROM task_shifts WHERE task_id = t.id) AS start_at").
		ColumnExpr("(SELECT MAX(end_at) FROM task_shifts WHERE task_id = t.id) AS end_at").
		ColumnExpr("(SELECT COUNT(*) FROM task_assignments WHERE task_id = t.id AND state NOT IN (?)) AS vehicles", bun.In(ended)).
		ColumnExpr("(SELECT COALESCE(SUM(count), 0) FROM task_needs WHERE task_id = t.id) AS needed").
		ColumnExpr("(SELECT COUNT(*) FROM task_assignments WHERE task_id = t.id AND state = 'objected') AS objections").
		Join("JOIN units AS l ON l.id = t.level_id")
}

// seesTask: a task is read by its level's subtree and by the units whose
// vehicles it holds.
func seesTask(a *access.Actor, t *Task, owners []string) bool {
	if a.Covers(t.LevelPath) {
		return true
	}
	for _, o := range owners {
		if a.Covers(o) {
			return true
		}
	}
	return false
}

func (s *Service) loadTask(ctx context.Context, db bun.IDB, id int64) (*Task, error) {
	t := new(Task)
	if err := taskQuery(db).Where("t.id = ?", id).Scan(ctx, t); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "保障任务不存在"))
	}
	t.fill()
	return t, nil
}

// GetTask returns a task the actor may see with its schedule, needs and
// assignments.
func (s *Service) GetTask(ctx context.Context, a *access.Actor, id int64) (*TaskDetail, error) {
	t, err := s.loadTask(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	as, _, err := s.Assignments(ctx, nil, AssignmentFilter{TaskID: id})
	if err != nil {
		return nil, err
	}
	var owners []string
	for _, x := range as {
		owners = append(owners, x.OwnerPath)
	}
	if !seesTask(a, t, owners) {
		return nil, errs.E(errs.Forbidden, "该保障任务不在您的管辖范围内")
	}
	d := &TaskDetail{Task: t, Shifts: []*Shift{}, Needs: []*Need{}, Assignments: as}
	if err := s.DB.R.NewSelect().Table("task_shifts").Where("task_id = ?", id).Order("start_at", "id").Scan(ctx, &d.Shifts); err != nil {
		return nil, store.Translate(err)
	}
	if err := s.DB.R.NewSelect().Table("task_needs").Column("vehicle_type", "count").Where("task_id = ?", id).Order("id").Scan(ctx, &d.Needs); err != nil {
		return nil, store.Translate(err)
	}
	for _, n := range d.Needs {
		n.TypeName = name(VehicleTypes, n.VehicleType)
		for _, x := range as {
			if x.Type == n.VehicleType && x.Live() {
				n.Assigned++
			}
		}
	}
	return d, nil
}

// TaskFilter selects tasks.
type TaskFilter struct {
	Q          string
	Kind       string
	Page, Size int
}

// Tasks lists the tasks of the actor's scope, of the levels above it that
// hold its vehicles, newest first.
func (s *Service) Tasks(ctx context.Context, a *access.Actor, f TaskFilter) ([]*Task, int, error) {
	q := taskQuery(s.DB.R).WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range a.ScopePaths() {
			q = q.WhereOr("l.path LIKE ?", p+"%").
				WhereOr("EXISTS (SELECT 1 FROM task_assignments AS x JOIN units AS o ON o.id = x.owner_unit_id WHERE x.task_id = t.id AND o.path LIKE ?)", p+"%")
		}
		return q.WhereOr("1 = 0")
	})
	if t := strings.TrimSpace(f.Q); t != "" {
		q = q.Where("t.name LIKE ?", like(t))
	}
	if f.Kind != "" {
		q = q.Where("t.kind = ?", f.Kind)
	}
	var out []*Task
	off, n := page(f.Page, f.Size)
	total, err := q.OrderExpr("t.created_at DESC, t.id DESC").Limit(n).Offset(off).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, t := range out {
		t.fill()
	}
	if out == nil {
		out = []*Task{}
	}
	return out, total, nil
}

// AssignmentFilter selects assignments.
type AssignmentFilter struct {
	TaskID     int64
	State      string
	Page, Size int
}

// Assignments lists assignments: of a task (a nil actor: the caller has
// checked), or those of the vehicles of the actor's scope (the owner's
// view: what it was asked for and may object to).
func (s *Service) Assignments(ctx context.Context, a *access.Actor, f AssignmentFilter) ([]*Assignment, int, error) {
	q := s.DB.R.NewSelect().TableExpr("task_assignments AS x").
		ColumnExpr("x.*, t.name AS task_name, t.objection_deadline, l.path AS level_path, v.plate, v.seats, v.vehicle_class").
		ColumnExpr("d.name AS driver_name, d.phone AS driver_phone, o.name AS owner_name, o.path AS owner_path, COALESCE(m.name, '') AS team_name").
		Join("JOIN support_tasks AS t ON t.id = x.task_id").
		Join("JOIN units AS l ON l.id = t.level_id").
		Join("JOIN vehicles AS v ON v.id = x.vehicle_id").
		Join("JOIN drivers AS d ON d.id = x.driver_id").
		Join("JOIN units AS o ON o.id = x.owner_unit_id").
		Join("LEFT JOIN support_teams AS m ON m.id = x.team_id")
	if a != nil {
		q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
			for _, p := range a.ScopePaths() {
				q = q.WhereOr("o.path LIKE ?", p+"%").WhereOr("l.path LIKE ?", p+"%")
			}
			return q.WhereOr("1 = 0")
		})
	}
	if f.TaskID != 0 {
		q = q.Where("x.task_id = ?", f.TaskID)
	}
	if f.State != "" {
		q = q.Where("x.state IN (?)", bun.In(strings.Split(f.State, ",")))
	}
	var out []*Assignment
	off, n := page(f.Page, f.Size)
	total, err := q.OrderExpr("x.task_id DESC, v.plate").Limit(n).Offset(off).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	now := s.now()
	for _, x := range out {
		x.fill(now)
	}
	if out == nil {
		out = []*Assignment{}
	}
	return out, total, nil
}

// AssignInput assigns a vehicle (with its driver) to a task's shifts.
type AssignInput struct {
	VehicleID int64   `json:"vehicle_id"`
	DriverID  int64   `json:"driver_id"` // 0: the pool's driver of the vehicle
	ShiftIDs  []int64 `json:"shift_ids"` // none: every shift
}

// Assign assigns a vehicle to a task: from the level's pool it is
// confirmed at once; from any unit of the level's subtree (by the
// authority's order, R-16) the owner is told and may object until the
// task's deadline. Its orders — one per shift — are written in the same
// transaction. Refused, naming the conflict, when the vehicle is under
// repair or sealed, already booked or on another task for overlapping
// times, or its driver has not the licence class.
func (s *Service) Assign(ctx context.Context, a *access.Actor, taskID int64, in AssignInput) (*Assignment, error) {
	if in.VehicleID == 0 {
		return nil, (&errs.Fields{"vehicle_id": "请选择车辆"}).Err()
	}
	var id int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, shifts, err := s.taskForWrite(ctx, tx, a, taskID)
		if err != nil {
			return err
		}
		var ns []notify.Message
		id, ns, err = s.assign(ctx, tx, a, t, l, shifts, in, "", 0)
		notes = ns
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	as, _, err := s.Assignments(ctx, nil, AssignmentFilter{TaskID: taskID})
	if err != nil {
		return nil, err
	}
	for _, x := range as {
		if x.ID == id {
			return x, nil
		}
	}
	return nil, errs.E(errs.NotFound, "调派记录不存在")
}

// taskForWrite loads an active task the actor acts for, locked, with its shifts.
func (s *Service) taskForWrite(ctx context.Context, tx bun.Tx, a *access.Actor, taskID int64) (*Task, *level, []*Shift, error) {
	if _, err := tx.NewRaw("UPDATE support_tasks SET state = state WHERE id = ?", taskID).Exec(ctx); err != nil {
		return nil, nil, nil, err
	}
	t, err := s.loadTask(ctx, tx, taskID)
	if err != nil {
		return nil, nil, nil, err
	}
	l, err := levelOf(ctx, tx, a, t.LevelID)
	if err != nil {
		if errs.Is(err, errs.Forbidden) {
			return nil, nil, nil, errs.E(errs.Forbidden, "保障任务「%s」由%s统筹调度，您不能调派", t.Name, t.LevelName)
		}
		return nil, nil, nil, err
	}
	if t.State != "active" {
		return nil, nil, nil, errs.E(errs.Conflict, "保障任务「%s」已取消", t.Name)
	}
	var shifts []*Shift
	if err := tx.NewSelect().Table("task_shifts").Where("task_id = ?", taskID).Order("start_at", "id").Scan(ctx, &shifts); err != nil {
		return nil, nil, nil, err
	}
	return t, l, shifts, nil
}

// driverFits checks a driver may drive v (by the end of the task, to).
func driverFits(d *driver, v *vehicle, to time.Time) error {
	if !d.Active {
		return errs.E(errs.Conflict, "驾驶员 %s 已停用", d.Name)
	}
	if !check.LicenceAllows(d.LicenceClass, v.Class) {
		return errs.E(errs.Conflict, "驾驶员 %s 的准驾车型 %s 不能驾驶车辆 %s（%s）", d.Name, d.LicenceClass, v.Plate, classNames[v.Class])
	}
	if !to.IsZero() && d.LicenceExpiry < beijing.Date(to) {
		return errs.E(errs.Conflict, "驾驶员 %s 的驾驶证在任务期间过期（%s）", d.Name, d.LicenceExpiry)
	}
	return nil
}

var classNames = map[string]string{"small": "小型汽车，需C1", "small_automatic": "小型自动挡汽车，需C2", "medium_bus": "中型客车，需B1",
	"large_bus": "大型客车，需A1", "city_bus": "城市公交车，需A3", "large_truck": "大型货车，需B2"}

// assign is Assign inside the caller's transaction (source "" : pool or
// unit, decided by the pool; "team": from team teamID).
func (s *Service) assign(ctx context.Context, tx bun.Tx, a *access.Actor, t *Task, l *level, shifts []*Shift, in AssignInput, source string, teamID int64) (int64, []notify.Message, error) {
	if err := lock(ctx, tx, in.VehicleID, in.DriverID); err != nil {
		return 0, nil, err
	}
	v, err := loadVehicle(ctx, tx, in.VehicleID)
	if err != nil {
		return 0, nil, err
	}
	if !strings.HasPrefix(v.UnitPath, l.Path) {
		return 0, nil, errs.E(errs.Forbidden, "车辆 %s 不属于%s所辖单位，不能调派（跨级借调另行办理）", v.Plate, l.Name)
	}
	held, err := tx.NewSelect().Table("task_assignments").Where("task_id = ? AND vehicle_id = ? AND state NOT IN (?)", t.ID, v.ID, bun.In(ended)).Exists(ctx)
	if err != nil {
		return 0, nil, err
	}
	if held {
		return 0, nil, errs.E(errs.Conflict, "车辆 %s 已调派给保障任务「%s」", v.Plate, t.Name)
	}
	var pool struct {
		LevelID  int64  `bun:"level_id"`
		DriverID *int64 `bun:"driver_id"`
	}
	pooled := false
	if err := tx.NewSelect().Table("pool_vehicles").Column("level_id", "driver_id").Where("vehicle_id = ?", v.ID).Scan(ctx, &pool); err == nil {
		pooled = pool.LevelID == l.ID
	} else if err := store.Translate(err); !errs.Is(err, errs.NotFound) {
		return 0, nil, err
	}
	if in.DriverID == 0 && pooled && pool.DriverID != nil {
		in.DriverID = *pool.DriverID
		if err := lock(ctx, tx, v.ID, in.DriverID); err != nil {
			return 0, nil, err
		}
	}
	if in.DriverID == 0 {
		return 0, nil, (&errs.Fields{"driver_id": "车辆 " + v.Plate + " 没有随车驾驶员，请选择驾驶员"}).Err()
	}
	d, err := loadDriver(ctx, tx, in.DriverID)
	if err != nil {
		return 0, nil, err
	}
	if !strings.HasPrefix(d.UnitPath, l.Path) {
		return 0, nil, errs.E(errs.Forbidden, "驾驶员 %s 不属于%s所辖单位", d.Name, l.Name)
	}
	chosen := shifts
	if len(in.ShiftIDs) > 0 {
		chosen = nil
		for _, sh := range shifts {
			for _, id := range in.ShiftIDs {
				if sh.ID == id {
					chosen = append(chosen, sh)
				}
			}
		}
		if len(chosen) != len(in.ShiftIDs) {
			return 0, nil, (&errs.Fields{"shift_ids": "所选班次不属于该任务"}).Err()
		}
	}
	if len(chosen) == 0 {
		return 0, nil, errs.E(errs.Conflict, "保障任务「%s」没有班次", t.Name)
	}
	if err := driverFits(d, v, chosen[len(chosen)-1].EndAt); err != nil {
		return 0, nil, err
	}
	wins := make([][2]time.Time, len(chosen))
	for i, sh := range chosen {
		wins[i] = [2]time.Time{sh.StartAt, sh.EndAt}
	}
	if err := checkFree(ctx, tx, v.ID, d, wins, nil, "不能调派"); err != nil {
		return 0, nil, err
	}
	state := Notified
	switch {
	case source == "team":
		state = Confirmed
	case pooled:
		source, state = "pool", Confirmed
	default:
		source = "unit"
	}
	now := s.now()
	var team *int64
	if teamID != 0 {
		team = &teamID
	}
	var id int64
	if err := tx.NewRaw(`INSERT INTO task_assignments (task_id, vehicle_id, driver_id, owner_unit_id, source, team_id, state, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, t.ID, v.ID, d.ID, v.UnitID, source, team, state, a.UserID, now).Scan(ctx, &id); err != nil {
		return 0, nil, err
	}
	for _, sh := range chosen {
		dests := []string{}
		if sh.Route != "" {
			dests = append(dests, sh.Route)
		}
		o, err := booking.InsertTaskOrder(ctx, tx, a, booking.TaskOrder{TaskID: t.ID, UnitID: l.ID, UnitPath: l.Path,
			Reason: fmt.Sprintf("保障任务「%s」%s", t.Name, sh.Name), PickupPlace: sh.Place, Destinations: dests,
			PickupAt: sh.StartAt, ReturnAt: sh.EndAt, Passengers: v.Seats - 1, VehicleID: v.ID, DriverID: d.ID}, now)
		if err != nil {
			return 0, nil, err
		}
		if _, err := tx.NewRaw("INSERT INTO task_orders (assignment_id, shift_id, order_id) VALUES (?, ?, ?)", id, sh.ID, o.ID).Exec(ctx); err != nil {
			return 0, nil, err
		}
	}
	var notes []notify.Message
	link := fmt.Sprintf("/dispatch/tasks/%d", t.ID)
	if state == Notified {
		owners, err := notify.Recipients(ctx, tx, access.VehicleManager, v.UnitPath)
		if err != nil {
			return 0, nil, err
		}
		admins, err := notify.Recipients(ctx, tx, access.UnitAdmin, v.UnitPath)
		if err != nil {
			return 0, nil, err
		}
		notes = append(notes, notify.Message{Users: append(owners, admins...), Kind: "task", Title: "车辆被抽调承担保障任务",
			Body: fmt.Sprintf("%s抽调贵单位车辆 %s（驾驶员 %s）承担保障任务「%s」（%d个班次）。如有异议，请于 %s 前提出。",
				l.Name, v.Plate, d.Name, t.Name, len(chosen), t.ObjectionDeadline.In(beijing.Zone).Format("01-02 15:04")), Link: link, SMS: true})
	}
	if d.UserID != nil {
		notes = append(notes, notify.Message{Users: []int64{*d.UserID}, Kind: "task", Title: "新的保障任务",
			Body: fmt.Sprintf("保障任务「%s」：%s起，%s，车辆 %s", t.Name, chosen[0].StartAt.In(beijing.Zone).Format("01-02 15:04"), chosen[0].Place, v.Plate),
			Link: "/m/support", SMS: true})
	}
	how := map[string]string{"pool": "从车辆池调派", "unit": "从所属单位抽调（已通知，可提出异议）", "team": "随保障班组调派"}[source]
	return id, notes, audit.Record(ctx, tx, a, audit.Event{Action: actTaskAssign, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path,
		Summary: fmt.Sprintf("保障任务「%s」%s车辆 %s（%s），驾驶员 %s，%d个班次", t.Name, how, v.Plate, v.UnitName, d.Name, len(chosen))})
}

// loadAssignment loads one assignment, locked.
func (s *Service) loadAssignment(ctx context.Context, tx bun.Tx, id int64) (*Assignment, error) {
	if _, err := tx.NewRaw("UPDATE task_assignments SET state = state WHERE id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	x := new(Assignment)
	err := tx.NewSelect().TableExpr("task_assignments AS x").
		ColumnExpr("x.*, t.name AS task_name, t.objection_deadline, l.path AS level_path, v.plate, v.seats, v.vehicle_class").
		ColumnExpr("d.name AS driver_name, o.name AS owner_name, o.path AS owner_path").
		Join("JOIN support_tasks AS t ON t.id = x.task_id").
		Join("JOIN units AS l ON l.id = t.level_id").
		Join("JOIN vehicles AS v ON v.id = x.vehicle_id").
		Join("JOIN drivers AS d ON d.id = x.driver_id").
		Join("JOIN units AS o ON o.id = x.owner_unit_id").
		Where("x.id = ?", id).Scan(ctx, x)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "调派记录不存在"))
	}
	x.fill(s.now())
	return x, nil
}

// Object is the owning unit objecting to an assignment, with a reason,
// before the task's deadline.
func (s *Service) Object(ctx context.Context, a *access.Actor, id int64, reason string) (*Assignment, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, (&errs.Fields{"reason": "请填写异议理由"}).Err()
	}
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		x, err := s.loadAssignment(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(x.OwnerPath) {
			return errs.E(errs.Forbidden, "车辆 %s 不属于您管理的单位", x.Plate)
		}
		if x.State != Notified { // a cancelled task's assignments are Cancelled
			return errs.E(errs.Conflict, "车辆 %s 的调派当前为「%s」，不能提出异议", x.Plate, x.StateName)
		}
		if x.DeadlinePast {
			return errs.E(errs.Conflict, "保障任务「%s」的异议期限已过（截止 %s），不能再提出异议", x.TaskName, x.Deadline.In(beijing.Zone).Format("2006-01-02 15:04"))
		}
		now := s.now()
		if _, err := tx.NewRaw("UPDATE task_assignments SET state = ?, objection = ?, objected_by = ?, objected_at = ? WHERE id = ?",
			Objected, reason, a.Name, now, id).Exec(ctx); err != nil {
			return err
		}
		var creator int64
		if err := tx.NewSelect().Table("support_tasks").Column("created_by").Where("id = ?", x.TaskID).Scan(ctx, &creator); err != nil {
			return err
		}
		notes = append(notes, notify.Message{Users: []int64{creator}, Kind: "task", Title: "保障任务调派有异议",
			Body: fmt.Sprintf("%s对车辆 %s 承担保障任务「%s」提出异议：%s", x.OwnerName, x.Plate, x.TaskName, reason), Link: fmt.Sprintf("/dispatch/tasks/%d", x.TaskID)})
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskObject, ObjectType: audit.SupportTask, ObjectID: x.TaskID, ScopePath: x.OwnerPath,
			Summary: fmt.Sprintf("%s对车辆 %s 承担保障任务「%s」提出异议：%s", x.OwnerName, x.Plate, x.TaskName, reason)})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.assignmentAfter(ctx, id)
}

func (s *Service) assignmentAfter(ctx context.Context, id int64) (*Assignment, error) {
	var x *Assignment
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var err error
		x, err = s.loadAssignment(ctx, tx, id)
		return err
	})
	return x, err
}

// Decide is the authority upholding (keep=true) or withdrawing an
// assignment. Upholding answers an objection; withdrawing may end any
// assignment and cancels its orders not yet departed.
func (s *Service) Decide(ctx context.Context, a *access.Actor, id int64, keep bool, note string) (*Assignment, error) {
	note = strings.TrimSpace(note)
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		x, err := s.loadAssignment(ctx, tx, id)
		if err != nil {
			return err
		}
		t, l, _, err := s.taskForWrite(ctx, tx, a, x.TaskID)
		if err != nil {
			return err
		}
		to, act, verb := Upheld, actTaskUphold, "维持调派"
		if keep {
			if x.State != Objected {
				return errs.E(errs.Conflict, "车辆 %s 的调派当前为「%s」，没有待处理的异议", x.Plate, x.StateName)
			}
		} else {
			if !x.Live() {
				return errs.E(errs.Conflict, "车辆 %s 的调派已撤回", x.Plate)
			}
			to, act, verb = Withdrawn, actTaskWithdraw, "撤回调派"
			var ids []int64
			if err := tx.NewSelect().Table("task_orders").Column("order_id").Where("assignment_id = ?", id).Scan(ctx, &ids); err != nil {
				return err
			}
			if err := booking.CancelTaskOrders(ctx, tx, a, ids, l.Path, fmt.Sprintf("保障任务「%s」撤回车辆 %s", t.Name, x.Plate), s.now()); err != nil {
				return err
			}
		}
		if _, err := tx.NewRaw("UPDATE task_assignments SET state = ?, decision = ?, decided_by = ?, decided_at = ? WHERE id = ?",
			to, note, a.Name, s.now(), id).Exec(ctx); err != nil {
			return err
		}
		owners, err := notify.Recipients(ctx, tx, access.VehicleManager, x.OwnerPath)
		if err != nil {
			return err
		}
		body := fmt.Sprintf("保障任务「%s」对车辆 %s %s", t.Name, x.Plate, verb)
		if note != "" {
			body += "：" + note
		}
		notes = append(notes, notify.Message{Users: owners, Kind: "task", Title: "保障任务" + verb, Body: body, Link: fmt.Sprintf("/dispatch/tasks/%d", t.ID)})
		return audit.Record(ctx, tx, a, audit.Event{Action: act, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path, Summary: body})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.assignmentAfter(ctx, id)
}

// Candidates is the availability of the vehicles of the task's level for
// the task's shifts: the pool's first, then free ones, with why the
// others cannot serve; one page.
func (s *Service) Candidates(ctx context.Context, a *access.Actor, taskID int64, vtype, plate string, p, size int) ([]*Slot, int, error) {
	t, err := s.loadTask(ctx, s.DB.R, taskID)
	if err != nil {
		return nil, 0, err
	}
	if _, err := levelOf(ctx, s.DB.R, a, t.LevelID); err != nil {
		return nil, 0, err
	}
	var shifts []*Shift
	if err := s.DB.R.NewSelect().Table("task_shifts").Where("task_id = ?", taskID).Order("start_at").Scan(ctx, &shifts); err != nil {
		return nil, 0, store.Translate(err)
	}
	return s.available(ctx, s.DB.R, t.LevelPath, t.LevelID, taskID, shifts, vtype, plate, p, size)
}

// available ranks the vehicles under path for shifts (the benchmarked
// path): the registry's vehicles from memory, what holds them over the
// shifts' span in one query; bars are built for the page only.
func (s *Service) available(ctx context.Context, db bun.IDB, path string, levelID, taskID int64, shifts []*Shift, vtype, plate string, p, size int) ([]*Slot, int, error) {
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, 0, err
	}
	vs, err := reg.choose(vehicleSet{path: path, vtype: vtype, plate: plate})
	if err != nil {
		return nil, 0, err
	}
	if len(shifts) == 0 {
		return []*Slot{}, 0, nil
	}
	from, to := shifts[0].StartAt, shifts[0].EndAt
	wins := make([][2]time.Time, len(shifts))
	for i, sh := range shifts {
		wins[i] = [2]time.Time{sh.StartAt, sh.EndAt}
		if sh.EndAt.After(to) {
			to = sh.EndAt
		}
	}
	h, err := readHolds(ctx, db, nil, from, to)
	if err != nil {
		return nil, 0, err
	}
	// Rank: the level's pool first, then free ones, those already on the
	// task last; by id within a rank (vs is by id: a counting sort). Free
	// or held is read from the holds alone: bars are built for the page.
	sealed := h.sealedOver(wins)
	rank := make([]int, len(vs))
	var at [16]int
	for i, v := range vs {
		r := 0
		if v.poolLevel != levelID {
			r += 2
		}
		free, onTask := h.serves(v, wins, taskID, sealed)
		if !free {
			r += 4
		}
		if onTask {
			r += 8
		}
		rank[i] = r
		at[r]++
	}
	for r, n := 0, 0; r < len(at); r++ {
		at[r], n = n, n+at[r]
	}
	rs := make([]*fleetVehicle, len(vs))
	for i, v := range vs {
		rs[at[rank[i]]] = v
		at[rank[i]]++
	}
	off, n := page(p, size)
	if n > 0 {
		rs = rs[min(off, len(rs)):min(off+n, len(rs))]
	}
	out := make([]*Slot, len(rs))
	for i, v := range rs {
		out[i] = v.slot()
		h.occupy(out[i], wins, taskID)
	}
	return out, len(vs), nil
}
