package dispatch

import (
	"cmp"
	"context"
	"fmt"
	"slices"
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
	filled          bool // fill has read its plate and the rest
	rank            int  // candidates' order: pool first, free first
}

var statusNames = map[string]string{"available": "在库", "in_use": "使用中", "maintenance": "维修保养", "sealed": "封存"}

// vehicleSet selects the vehicles of a board: a subtree, a pool, a type,
// a plate, or given ids.
type vehicleSet struct {
	path   string  // unit subtree
	poolOf int64   // only vehicles in this level's pool
	ids    []int64 // only these
	vtype  string
	plate  string
}

// slots reads the vehicles of set with everything a row shows.
func slots(ctx context.Context, db bun.IDB, set vehicleSet) ([]*Slot, error) {
	ss, err := lightSlots(ctx, db, set)
	if err != nil {
		return nil, err
	}
	return ss, fill(ctx, db, ss)
}

// lightSlots reads only the ids (and pools) of the vehicles of set,
// without reflection: ranking a city's 20,000 vehicles needs no more (text
// columns cost most to read). fill adds the rest for the rows shown.
func lightSlots(ctx context.Context, db bun.IDB, set vehicleSet) ([]*Slot, error) {
	// The pools are small: read once, not joined to every vehicle.
	pools := map[int64]int64{}
	var ps []struct {
		VehicleID int64 `bun:"vehicle_id"`
		LevelID   int64 `bun:"level_id"`
	}
	if err := db.NewSelect().Table("pool_vehicles").Column("vehicle_id", "level_id").Scan(ctx, &ps); err != nil {
		return nil, store.Translate(err)
	}
	for _, p := range ps {
		pools[p.VehicleID] = p.LevelID
	}
	q := `SELECT v.id FROM vehicles AS v WHERE v.status <> 'disposed' AND v.exempt = ?`
	args := []any{false}
	if set.path != "" {
		q += " AND v.unit_id IN (SELECT id FROM units WHERE path LIKE ?)"
		args = append(args, set.path+"%")
	}
	if set.poolOf != 0 {
		q += " AND v.id IN (SELECT vehicle_id FROM pool_vehicles WHERE level_id = ?)"
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
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var vals []Slot // one allocation for a city's vehicles, not one each
	for rows.Next() {
		var s Slot
		if err := rows.Scan(&s.VehicleID); err != nil {
			return nil, store.Translate(err)
		}
		s.poolLevel = pools[s.VehicleID]
		vals = append(vals, s)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	slices.SortFunc(vals, func(a, b Slot) int { return cmp.Compare(a.VehicleID, b.VehicleID) })
	out := make([]*Slot, len(vals))
	for i := range vals {
		out[i] = &vals[i]
	}
	return out, nil
}

// fill reads the plates, models, types, units and pools of ss.
func fill(ctx context.Context, db bun.IDB, ss []*Slot) error {
	if len(ss) == 0 {
		return nil
	}
	ids := make([]int64, len(ss))
	byID := make(map[int64]*Slot, len(ss))
	for i, s := range ss {
		ids[i], byID[s.VehicleID] = s.VehicleID, s
	}
	for i := 0; i < len(ids); i += 5000 {
		rows, err := db.QueryContext(ctx, `SELECT v.id, v.plate, v.brand || ' ' || v.model, v.seats, v.vehicle_class, v.category, v.status, v.unit_id, u.name, u.path, COALESCE(l.name, '')
			FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id
			LEFT JOIN pool_vehicles AS p ON p.vehicle_id = v.id LEFT JOIN units AS l ON l.id = p.level_id
			WHERE v.id IN (?)`, bun.In(ids[i:min(i+5000, len(ids))]))
		if err != nil {
			return store.Translate(err)
		}
		for rows.Next() {
			var id int64
			var x Slot
			if err := rows.Scan(&id, &x.Plate, &x.Model, &x.Seats, &x.class, &x.category, &x.Status, &x.UnitID, &x.UnitName, &x.unitPath, &x.Pool); err != nil {
				rows.Close()
				return store.Translate(err)
			}
			s := byID[id]
			s.Plate, s.Model, s.Seats, s.class, s.category, s.Status, s.UnitID, s.UnitName, s.unitPath, s.Pool = x.Plate, x.Model, x.Seats, x.class, x.category, x.Status, x.UnitID, x.UnitName, x.unitPath, x.Pool
			s.Type = TypeOf(s.class, s.Seats)
			s.TypeName = name(VehicleTypes, s.Type)
			s.StatusName = statusNames[s.Status]
			s.filled = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return store.Translate(err)
		}
	}
	for _, s := range ss {
		explain(s)
	}
	return nil
}

// occupy fills the bars of ss over [from, to) — orders holding each
// vehicle (with their task's name), repairs, holidays it is sealed on —
// and marks, for each window of wins (the task's shifts), the bars that
// keep it from serving: one orders query over the window's index range,
// one for the few vehicles under repair or sealed, however many vehicles.
// exceptTask's own orders are shown as shifts, not conflicts. The reasons
// are written (explain) once the plates are read.
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
	// The vehicles out of service, and — when the window holds a holiday —
	// those that keep running on holidays.
	var out []struct {
		ID       int64  `bun:"id"`
		Status   string `bun:"status"`
		Category string `bun:"category"`
	}
	holidays, err := calendar.Holidays(ctx, db, from, to)
	if err != nil {
		return err
	}
	q := db.NewSelect().Table("vehicles").Column("id", "status", "category")
	if len(holidays) > 0 {
		q = q.Where("status IN ('maintenance', 'sealed') OR category IN ('emergency', 'law_enforcement')")
	} else {
		q = q.Where("status IN ('maintenance', 'sealed')")
	}
	if err := q.Scan(ctx, &out); err != nil {
		return store.Translate(err)
	}
	status := make(map[int64]string, len(out))
	runs := map[int64]bool{}
	for _, o := range out {
		status[o.ID] = o.Status
		runs[o.ID] = calendar.RunsOnHolidays(o.Category)
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
		switch status[s.VehicleID] {
		case "maintenance":
			s.Bars = append(s.Bars, &Bar{Kind: "repair", Label: "维修保养中", From: from, To: to})
		case "sealed":
			s.Bars = append(s.Bars, &Bar{Kind: "sealed", Label: "车辆已封存", From: from, To: to})
		}
		if !runs[s.VehicleID] {
			for _, d := range holidays {
				day, _ := beijing.ParseDate(d.Day)
				s.Bars = append(s.Bars, &Bar{Kind: "holiday", Label: d.Name + "节假日封存", From: day.UTC(), To: day.AddDate(0, 0, 1).UTC()})
			}
		}
		if len(s.Bars) > 1 {
			sort.Slice(s.Bars, func(i, j int) bool { return s.Bars[i].From.Before(s.Bars[j].From) })
		}
		s.Free = true
		for _, w := range wins {
			for _, b := range s.Bars {
				if b.Kind == "shift" || !b.From.Before(w[1]) || !b.To.After(w[0]) {
					continue
				}
				b.Conflict, s.Free = true, false
			}
		}
		if s.filled {
			explain(s)
		}
	}
	return nil
}

// explain writes why a vehicle cannot serve (its conflicting bars), and
// gives it empty lists rather than none.
func explain(s *Slot) {
	s.Conflicts = []string{}
	if s.Bars == nil {
		s.Bars = []*Bar{}
	}
	for _, b := range s.Bars {
		if b.Conflict && b.Kind != "shift" {
			if why := barReason(s.Plate, b); !contains(s.Conflicts, why) {
				s.Conflicts = append(s.Conflicts, why)
			}
		}
	}
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
