package dispatch

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/store"
)

// Bar is something that occupies a vehicle for a time: an order (of a
// task or not), a repair, a holiday it is sealed on.
type Bar struct {
	Kind     string    `json:"kind"` // order | task | repair | sealed | holiday | shift
	Label    string    `json:"label"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	OrderNo  string    `json:"order_no,omitempty"`
	TaskName string    `json:"task_name,omitempty"`
	Conflict bool      `json:"conflict"` // overlaps another bar of the same vehicle that holds it
}

// Slot is a vehicle's state over a span of days: what holds it and why it
// cannot serve.
type Slot struct {
	VehicleID  int64    `json:"vehicle_id"`
	Plate      string   `json:"plate"`
	Model      string   `json:"model"`
	Seats      int      `json:"seats"`
	Type       string   `json:"type"`
	TypeName   string   `json:"type_name"`
	UnitID     int64    `json:"unit_id"`
	UnitName   string   `json:"unit_name"`
	Status     string   `json:"status"`
	StatusName string   `json:"status_name"`
	Pool       string   `json:"pool"` // the level whose pool holds it ("" none)
	Bars       []*Bar   `json:"bars"`
	Conflicts  []string `json:"conflicts"` // why it cannot serve the windows asked
	Free       bool     `json:"free"`

	category, class string
	unitPath        string
	poolLevel       int64
}

var statusNames = map[string]string{"available": "在库", "in_use": "使用中", "maintenance": "维修保养", "sealed": "封存"}

// vehicleSet selects the vehicles of a board: a subtree, a pool, a type,
// a plate, or given ids.
type vehicleSet struct {
	path    string  // unit subtree
	poolOf  int64   // only vehicles in this level's pool
	ids     []int64 // only these
	vtype   string
	plate   string
	ordered bool // order by pool first, then unit and plate
}

// slots reads the vehicles of set without reflection (a city has 20,000).
func slots(ctx context.Context, db bun.IDB, set vehicleSet) ([]*Slot, error) {
	q := `SELECT v.id, v.plate, v.brand || ' ' || v.model, v.seats, v.vehicle_class, v.category, v.status, v.unit_id, u.name, u.path, COALESCE(p.level_id, 0), COALESCE(l.name, '')
		FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id
		LEFT JOIN pool_vehicles AS p ON p.vehicle_id = v.id LEFT JOIN units AS l ON l.id = p.level_id
		WHERE v.status <> 'disposed' AND v.exempt = ?`
	args := []any{false}
	if set.path != "" {
		q += " AND u.path LIKE ?"
		args = append(args, set.path+"%")
	}
	if set.poolOf != 0 {
		q += " AND p.level_id = ?"
		args = append(args, set.poolOf)
	}
	if set.ids != nil {
		if len(set.ids) == 0 {
			return []*Slot{}, nil
		}
		q += " AND v.id IN (?)"
		args = append(args, bun.In(set.ids))
	}
	if set.vtype != "" {
		cond, err := typeSQL(set.vtype)
		if err != nil {
			return nil, err
		}
		q += " AND " + cond
	}
	if set.plate != "" {
		q += " AND v.plate LIKE ?"
		args = append(args, like(set.plate))
	}
	q += " ORDER BY v.id"
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []*Slot{}
	for rows.Next() {
		s := &Slot{Bars: []*Bar{}, Conflicts: []string{}}
		if err := rows.Scan(&s.VehicleID, &s.Plate, &s.Model, &s.Seats, &s.class, &s.category, &s.Status, &s.UnitID, &s.UnitName, &s.unitPath, &s.poolLevel, &s.Pool); err != nil {
			return nil, store.Translate(err)
		}
		s.Type = TypeOf(s.class, s.Seats)
		s.TypeName = name(VehicleTypes, s.Type)
		s.StatusName = statusNames[s.Status]
		out = append(out, s)
	}
	return out, store.Translate(rows.Err())
}

// occupy fills the bars of ss over [from, to) — orders holding each
// vehicle (with their task's name), repairs, holidays it is sealed on —
// and, for each window of wins (the task's shifts), the conflicts that
// keep it from serving: one orders query over the window's index range,
// however many vehicles. exceptTask's own orders are shown as shifts,
// not conflicts.
func occupy(ctx context.Context, db bun.IDB, ss []*Slot, from, to time.Time, wins [][2]time.Time, exceptTask int64) error {
	hs, err := booking.Holdings(ctx, db, "vehicle_id", nil, from, to)
	if err != nil {
		return err
	}
	taskNames := map[int64]string{}
	for _, h := range hs {
		if h.TaskID != nil {
			taskNames[*h.TaskID] = ""
		}
	}
	if len(taskNames) > 0 {
		var ts []struct {
			ID   int64  `bun:"id"`
			Name string `bun:"name"`
		}
		ids := make([]int64, 0, len(taskNames))
		for id := range taskNames {
			ids = append(ids, id)
		}
		if err := db.NewSelect().Table("support_tasks").Column("id", "name").Where("id IN (?)", bun.In(ids)).Scan(ctx, &ts); err != nil {
			return store.Translate(err)
		}
		for _, t := range ts {
			taskNames[t.ID] = t.Name
		}
	}
	byVehicle := make(map[int64][]booking.Holding, len(hs))
	for _, h := range hs {
		byVehicle[h.ID] = append(byVehicle[h.ID], h)
	}
	holidays, err := calendar.Holidays(ctx, db, from, to)
	if err != nil {
		return err
	}
	for _, s := range ss {
		for _, h := range byVehicle[s.VehicleID] {
			b := &Bar{Kind: "order", Label: "订单 " + h.No, From: h.PickupAt, To: h.ReturnAt, OrderNo: h.No}
			if h.TaskID != nil {
				b.Kind, b.TaskName = "task", taskNames[*h.TaskID]
				b.Label = "保障任务「" + b.TaskName + "」"
				if *h.TaskID == exceptTask {
					b.Kind = "shift"
				}
			}
			s.Bars = append(s.Bars, b)
		}
		switch s.Status {
		case "maintenance":
			s.Bars = append(s.Bars, &Bar{Kind: "repair", Label: "维修保养中", From: from, To: to})
		case "sealed":
			s.Bars = append(s.Bars, &Bar{Kind: "sealed", Label: "车辆已封存", From: from, To: to})
		}
		if !calendar.RunsOnHolidays(s.category) {
			for _, d := range holidays {
				day, _ := beijing.ParseDate(d.Day)
				s.Bars = append(s.Bars, &Bar{Kind: "holiday", Label: d.Name + "节假日封存", From: day.UTC(), To: day.AddDate(0, 0, 1).UTC()})
			}
		}
		sort.Slice(s.Bars, func(i, j int) bool { return s.Bars[i].From.Before(s.Bars[j].From) })
		for _, w := range wins {
			for _, b := range s.Bars {
				if b.Kind == "shift" || !b.From.Before(w[1]) || !b.To.After(w[0]) {
					continue
				}
				b.Conflict = true
				if why := barReason(s.Plate, b); !contains(s.Conflicts, why) {
					s.Conflicts = append(s.Conflicts, why)
				}
			}
		}
		s.Free = len(s.Conflicts) == 0
	}
	return nil
}

// barReason is why a bar keeps a vehicle from a window, naming the order,
// the task or the holiday.
func barReason(plate string, b *Bar) string {
	switch b.Kind {
	case "task":
		return fmt.Sprintf("车辆 %s 该时段已承担保障任务「%s」（订单 %s）", plate, b.TaskName, b.OrderNo)
	case "order":
		return fmt.Sprintf("车辆 %s 该时段已有用车订单 %s", plate, b.OrderNo)
	case "repair":
		return fmt.Sprintf("车辆 %s 正在维修保养", plate)
	case "sealed":
		return fmt.Sprintf("车辆 %s 已封存", plate)
	default:
		return fmt.Sprintf("车辆 %s 在%s（%s）", plate, b.Label, beijing.Date(b.From))
	}
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}
