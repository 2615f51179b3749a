package dispatch

import (
	"context"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// TaskBoardRow is a vehicle of a task on the task board.
type TaskBoardRow struct {
	*Slot
	AssignmentID int64  `json:"assignment_id"`
	DriverName   string `json:"driver_name"`
	State        string `json:"state"`
	StateName    string `json:"state_name"`
	Source       string `json:"source_name"`
}

// TaskBoard is a task's vehicles × days, each vehicle's shifts as bars
// beside whatever else holds it, with the conflicts.
type TaskBoard struct {
	Task      *Task           `json:"task"`
	From      string          `json:"from"`
	Days      int             `json:"days"`
	Rows      []*TaskBoardRow `json:"rows"`
	Conflicts int             `json:"conflicts"` // vehicles with a conflict
}

// Board returns the task board (every vehicle the task holds).
func (s *Service) Board(ctx context.Context, a *access.Actor, taskID int64) (*TaskBoard, error) {
	d, err := s.GetTask(ctx, a, taskID)
	if err != nil {
		return nil, err
	}
	b := &TaskBoard{Task: d.Task, Rows: []*TaskBoardRow{}}
	if len(d.Shifts) == 0 {
		return b, nil
	}
	start := beijing.DayStart(d.StartAt)
	end := beijing.DayStart(d.EndAt.Add(-time.Nanosecond)).AddDate(0, 0, 1)
	b.From, b.Days = beijing.Date(start), int(end.Sub(start).Hours()/24+0.5)
	var ids []int64
	byVehicle := map[int64]*Assignment{}
	for _, x := range d.Assignments {
		if !x.Live() {
			continue
		}
		ids = append(ids, x.VehicleID)
		byVehicle[x.VehicleID] = x
	}
	if ids == nil {
		return b, nil
	}
	reg, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	ss, err := reg.slots(vehicleSet{ids: ids})
	if err != nil {
		return nil, err
	}
	if err := occupy(ctx, s.DB.R, ss, start, end, nil, taskID); err != nil {
		return nil, store.Translate(err)
	}
	for _, sl := range ss {
		// A conflict: anything else holding the vehicle during one of its shifts.
		for _, sh := range sl.Bars {
			if sh.Kind != "shift" {
				continue
			}
			for _, o := range sl.Bars {
				if o.Kind == "shift" || !o.From.Before(sh.To) || !o.To.After(sh.From) {
					continue
				}
				o.Conflict, sh.Conflict = true, true
				if why := barReason(sl.Plate, o); !contains(sl.Conflicts, why) {
					sl.Conflicts = append(sl.Conflicts, why)
				}
			}
		}
		sl.Free = len(sl.Conflicts) == 0
		if !sl.Free {
			b.Conflicts++
		}
		x := byVehicle[sl.VehicleID]
		b.Rows = append(b.Rows, &TaskBoardRow{Slot: sl, AssignmentID: x.ID, DriverName: x.DriverName, State: x.State, StateName: x.StateName, Source: x.SourceName})
	}
	return b, nil
}

// Convoy is the vehicles a task holds now (for the live map's filter): its
// live assignments, and the vehicles of its ended ones still on the road
// (an order of the task under way or not yet back), which a cancelled
// task's dispatcher calls back.
func (s *Service) Convoy(ctx context.Context, a *access.Actor, taskID int64) ([]int64, error) {
	d, err := s.GetTask(ctx, a, taskID)
	if err != nil {
		return nil, err
	}
	var onRoad []int64
	if err := s.DB.R.NewSelect().TableExpr("task_orders AS tor").Join("JOIN orders AS o ON o.id = tor.order_id").
		Join("JOIN task_assignments AS x ON x.id = tor.assignment_id").ColumnExpr("DISTINCT o.vehicle_id").
		Where("x.task_id = ? AND o.state IN ('departed', 'finished')", d.ID).Scan(ctx, &onRoad); err != nil {
		return nil, err
	}
	road := map[int64]bool{}
	for _, id := range onRoad {
		road[id] = true
	}
	ids := []int64{}
	for _, x := range d.Assignments {
		if x.Live() || road[x.VehicleID] {
			ids = append(ids, x.VehicleID)
		}
	}
	return ids, nil
}

// MyShift is a shift of a support task the actor drives.
type MyShift struct {
	OrderID   int64     `bun:"order_id" json:"order_id"`
	OrderNo   string    `bun:"no" json:"order_no"`
	State     string    `bun:"state" json:"state"`
	TaskName  string    `bun:"task_name" json:"task_name"`
	ShiftName string    `bun:"shift_name" json:"shift_name"`
	StartAt   time.Time `bun:"start_at" json:"start_at"`
	EndAt     time.Time `bun:"end_at" json:"end_at"`
	Place     string    `bun:"place" json:"place"`
	Route     string    `bun:"route" json:"route"`
	Plate     string    `bun:"plate" json:"plate"`
	TeamName  string    `bun:"team_name" json:"team_name"`
	StateName string    `bun:"-" json:"state_name"`
}

// Duty is a day the actor is on duty in a support team's rota.
type Duty struct {
	Day      string `bun:"day" json:"day"`
	TeamName string `bun:"team_name" json:"team_name"`
	Leader   string `bun:"leader" json:"leader"`
}

// MyTasks are the driver's task shifts (from yesterday on) and duty days.
type MyTasks struct {
	Shifts []*MyShift `json:"shifts"`
	Duty   []*Duty    `json:"duty"`
}

var orderStateNames = map[string]string{"dispatched": "待出车", "departed": "执行中", "finished": "待回场", "back": "已回场", "closed": "已完成", "cancelled": "已取消"}

// Mine returns the actor's support-task shifts and rota as a driver.
func (s *Service) Mine(ctx context.Context, a *access.Actor) (*MyTasks, error) {
	out := &MyTasks{Shifts: []*MyShift{}, Duty: []*Duty{}}
	var did int64
	if err := s.DB.R.NewSelect().Table("drivers").Column("id").Where("user_id = ?", a.UserID).Scan(ctx, &did); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return out, nil
		}
		return nil, store.Translate(err)
	}
	since := beijing.DayStart(s.now()).AddDate(0, 0, -1)
	if err := s.DB.R.NewSelect().TableExpr("task_orders AS tor").
		ColumnExpr("o.id AS order_id, o.no, o.state, t.name AS task_name, sh.name AS shift_name, sh.start_at, sh.end_at, sh.place, sh.route, v.plate, COALESCE(m.name, '') AS team_name").
		Join("JOIN orders AS o ON o.id = tor.order_id").
		Join("JOIN task_shifts AS sh ON sh.id = tor.shift_id").
		Join("JOIN task_assignments AS x ON x.id = tor.assignment_id").
		Join("JOIN support_tasks AS t ON t.id = x.task_id").
		Join("JOIN vehicles AS v ON v.id = o.vehicle_id").
		Join("LEFT JOIN support_teams AS m ON m.id = x.team_id").
		Where("o.driver_id = ? AND o.state <> 'cancelled' AND sh.end_at > ?", did, since).
		OrderExpr("sh.start_at").Limit(200).Scan(ctx, &out.Shifts); err != nil {
		return nil, store.Translate(err)
	}
	for _, m := range out.Shifts {
		m.StateName = orderStateNames[m.State]
	}
	if err := s.DB.R.NewSelect().TableExpr("support_team_duty AS r").
		ColumnExpr("r.day, m.name AS team_name, COALESCE(d.name, '') AS leader").
		Join("JOIN support_teams AS m ON m.id = r.team_id").
		Join("LEFT JOIN drivers AS d ON d.id = m.leader_id").
		Where("r.driver_id = ? AND r.day >= ?", did, beijing.Date(since)).OrderExpr("r.day").Limit(100).Scan(ctx, &out.Duty); err != nil {
		return nil, store.Translate(err)
	}
	return out, nil
}
