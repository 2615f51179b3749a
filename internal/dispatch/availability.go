package dispatch

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/errs"
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
	path   string  // unit subtree
	poolOf int64   // only vehicles in this level's pool
	ids    []int64 // only these
	vtype  string
	plate  string
}

// fleetVehicle is what availability shows of a vehicle dispatched at all
// (not disposed, not exempt): its registry facts, the same for any window.
type fleetVehicle struct {
	id, unitID, poolLevel                                                  int64
	plate, model, class, category, status, vtype, unitName, unitPath, pool string
	seats                                                                  int
}

func (v *fleetVehicle) slot() *Slot {
	return &Slot{VehicleID: v.id, Plate: v.plate, Model: v.model, Seats: v.seats, Type: v.vtype, TypeName: name(VehicleTypes, v.vtype),
		UnitID: v.unitID, UnitName: v.unitName, Status: v.status, StatusName: statusNames[v.status], Pool: v.pool,
		category: v.category, class: v.class, unitPath: v.unitPath, poolLevel: v.poolLevel}
}

// registry is the dispatchable vehicles by id, read at a version of
// dispatch_registry_version.
type registry struct {
	version  int64
	vehicles []fleetVehicle
	byID     map[int64]*fleetVehicle
}

// readRegistry reads the dispatchable vehicles (only ids when not nil)
// with their units and pools, scanned without reflection.
func readRegistry(ctx context.Context, db bun.IDB, ids []int64) (*registry, error) {
	q := `SELECT v.id, v.plate, v.brand || ' ' || v.model, v.seats, v.vehicle_class, v.category, v.status, v.unit_id, u.name, u.path,
			COALESCE(p.level_id, 0), COALESCE(l.name, '')
		FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id
		LEFT JOIN pool_vehicles AS p ON p.vehicle_id = v.id LEFT JOIN units AS l ON l.id = p.level_id
		WHERE v.status <> 'disposed' AND v.exempt = ?`
	args := []any{false}
	if ids != nil {
		if len(ids) == 0 {
			return &registry{}, nil
		}
		q += " AND v.id IN (?)"
		args = append(args, bun.In(ids))
	}
	rows, err := db.QueryContext(ctx, q+" ORDER BY v.id", args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	r := &registry{}
	for rows.Next() {
		var v fleetVehicle
		if err := rows.Scan(&v.id, &v.plate, &v.model, &v.seats, &v.class, &v.category, &v.status, &v.unitID, &v.unitName, &v.unitPath, &v.poolLevel, &v.pool); err != nil {
			return nil, store.Translate(err)
		}
		v.vtype = TypeOf(v.class, v.seats)
		r.vehicles = append(r.vehicles, v)
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	r.byID = make(map[int64]*fleetVehicle, len(r.vehicles))
	for i := range r.vehicles {
		r.byID[r.vehicles[i].id] = &r.vehicles[i]
	}
	return r, nil
}

// registry is every dispatchable vehicle, kept in memory while
// dispatch_registry_version stands: triggers move it whenever a vehicle's
// registry facts, a unit's name or path or a pool changes (migration 0043),
// so a city's 20,000 vehicles are read once, not at every availability
// read. The version is read before the vehicles: what is kept is never
// older than its version.
func (s *Service) registry(ctx context.Context) (*registry, error) {
	var version int64
	if err := s.DB.R.QueryRowContext(ctx, "SELECT version FROM dispatch_registry_version").Scan(&version); err != nil {
		return nil, store.Translate(err)
	}
	s.regMu.Lock()
	defer s.regMu.Unlock()
	if s.reg != nil && s.reg.version >= version {
		return s.reg, nil
	}
	r, err := readRegistry(ctx, s.DB.R, nil)
	if err != nil {
		return nil, err
	}
	r.version, s.reg = version, r
	return r, nil
}

// choose is the vehicles of set, by id.
func (r *registry) choose(set vehicleSet) ([]*fleetVehicle, error) {
	if set.vtype != "" && name(VehicleTypes, set.vtype) == "" {
		return nil, (&errs.Fields{"vehicle_type": "车型不正确"}).Err()
	}
	plate := strings.ToUpper(strings.TrimSpace(set.plate))
	match := func(v *fleetVehicle) bool {
		return strings.HasPrefix(v.unitPath, set.path) && (set.poolOf == 0 || v.poolLevel == set.poolOf) &&
			(set.vtype == "" || v.vtype == set.vtype) && (plate == "" || strings.Contains(strings.ToUpper(v.plate), plate))
	}
	var out []*fleetVehicle
	if set.ids != nil {
		ids := slices.Clone(set.ids)
		slices.Sort(ids)
		for _, id := range slices.Compact(ids) {
			if v := r.byID[id]; v != nil && match(v) {
				out = append(out, v)
			}
		}
		return out, nil
	}
	out = make([]*fleetVehicle, 0, len(r.vehicles))
	for i := range r.vehicles {
		if v := &r.vehicles[i]; match(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// slots is the rows of the vehicles of set, by id.
func (r *registry) slots(set vehicleSet) ([]*Slot, error) {
	vs, err := r.choose(set)
	if err != nil {
		return nil, err
	}
	out := make([]*Slot, len(vs))
	for i, v := range vs {
		out[i] = v.slot()
	}
	return out, nil
}

// holds is what holds vehicles over [from, to): the orders (with their
// tasks' names) and the holidays. One orders query over the window's index
// range, however many vehicles.
type holds struct {
	from, to  time.Time
	orders    map[int64][]booking.Holding
	taskNames map[int64]string
	holidays  []*calendar.Day
}

// readHolds reads what holds the vehicles ids (every vehicle when nil)
// over [from, to).
func readHolds(ctx context.Context, db bun.IDB, ids []int64, from, to time.Time) (*holds, error) {
	hs, err := booking.Holdings(ctx, db, "vehicle_id", ids, from, to)
	if err != nil {
		return nil, err
	}
	h := &holds{from: from, to: to, orders: make(map[int64][]booking.Holding, len(hs)), taskNames: map[int64]string{}}
	for _, x := range hs {
		h.orders[x.ID] = append(h.orders[x.ID], x)
		if x.TaskID != nil {
			h.taskNames[*x.TaskID] = ""
		}
	}
	if len(h.taskNames) > 0 {
		var ts []struct {
			ID   int64  `bun:"id"`
			Name string `bun:"name"`
		}
		if err := db.NewSelect().Table("support_tasks").Column("id", "name").Where("id IN (?)", bun.In(slices.Collect(maps.Keys(h.taskNames)))).Scan(ctx, &ts); err != nil {
			return nil, store.Translate(err)
		}
		for _, t := range ts {
			h.taskNames[t.ID] = t.Name
		}
	}
	if h.holidays, err = calendar.Holidays(ctx, db, from, to); err != nil {
		return nil, err
	}
	return h, nil
}

// sealedOver tells whether a holiday of h falls in one of wins: then
// every vehicle not running on holidays is held.
func (h *holds) sealedOver(wins [][2]time.Time) bool {
	for _, d := range h.holidays {
		from, to := holiday(d)
		if overlaps(from, to, wins) {
			return true
		}
	}
	return false
}

// serves tells, without building its bars, what occupy would find of v:
// free — nothing but taskID's own orders holds it during wins — and onTask
// — taskID holds it (sealed: h.sealedOver(wins)).
func (h *holds) serves(v *fleetVehicle, wins [][2]time.Time, taskID int64, sealed bool) (free, onTask bool) {
	free = !(sealed && !calendar.RunsOnHolidays(v.category))
	if v.status == "maintenance" || v.status == "sealed" {
		free = free && !overlaps(h.from, h.to, wins)
	}
	for _, x := range h.orders[v.id] {
		if x.TaskID != nil && *x.TaskID == taskID {
			onTask = true
		} else if free && overlaps(x.PickupAt, x.ReturnAt, wins) {
			free = false
		}
	}
	return free, onTask
}

// overlaps: [from, to) meets one of wins.
func overlaps(from, to time.Time, wins [][2]time.Time) bool {
	for _, w := range wins {
		if from.Before(w[1]) && to.After(w[0]) {
			return true
		}
	}
	return false
}

// holiday is the Beijing day of d as an instant range.
func holiday(d *calendar.Day) (time.Time, time.Time) {
	day, _ := beijing.ParseDate(d.Day)
	return day.UTC(), day.AddDate(0, 0, 1).UTC()
}

// occupy fills the bars of s — orders holding it (with their task's name),
// repair, holidays it is sealed on — and marks, for each window of wins
// (the task's shifts), the bars that keep it from serving. exceptTask's
// own orders are shown as shifts, not conflicts.
func (h *holds) occupy(s *Slot, wins [][2]time.Time, exceptTask int64) {
	s.Bars = nil
	for _, x := range h.orders[s.VehicleID] {
		b := &Bar{Kind: "order", Label: "订单 " + x.No, From: x.PickupAt, To: x.ReturnAt, OrderNo: x.No}
		if x.TaskID != nil {
			b.Kind, b.TaskName = "task", h.taskNames[*x.TaskID]
			b.Label = "保障任务「" + b.TaskName + "」"
			if *x.TaskID == exceptTask {
				b.Kind = "shift"
			}
		}
		s.Bars = append(s.Bars, b)
	}
	switch s.Status {
	case "maintenance":
		s.Bars = append(s.Bars, &Bar{Kind: "repair", Label: "维修保养中", From: h.from, To: h.to})
	case "sealed":
		s.Bars = append(s.Bars, &Bar{Kind: "sealed", Label: "车辆已封存", From: h.from, To: h.to})
	}
	if !calendar.RunsOnHolidays(s.category) {
		for _, d := range h.holidays {
			from, to := holiday(d)
			s.Bars = append(s.Bars, &Bar{Kind: "holiday", Label: d.Name + "节假日封存", From: from, To: to})
		}
	}
	if len(s.Bars) > 1 {
		sort.Slice(s.Bars, func(i, j int) bool { return s.Bars[i].From.Before(s.Bars[j].From) })
	}
	s.Free = true
	for _, b := range s.Bars {
		if b.Kind != "shift" && overlaps(b.From, b.To, wins) {
			b.Conflict, s.Free = true, false
		}
	}
	explain(s)
}

// occupy fills the bars of ss over [from, to) and marks their conflicts
// with wins (holds.occupy); a few vehicles' orders are read by vehicle.
func occupy(ctx context.Context, db bun.IDB, ss []*Slot, from, to time.Time, wins [][2]time.Time, exceptTask int64) error {
	var ids []int64
	if len(ss) <= 1000 {
		ids = make([]int64, len(ss))
		for i, s := range ss {
			ids[i] = s.VehicleID
		}
	}
	h, err := readHolds(ctx, db, ids, from, to)
	if err != nil {
		return err
	}
	for _, s := range ss {
		h.occupy(s, wins, exceptTask)
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
