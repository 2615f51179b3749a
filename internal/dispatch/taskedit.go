package dispatch

// Changing a support task after its creation (R-16, issue 21): adding,
// moving and removing its shifts, the orders of the shift following in the
// same transaction, and cancelling the task with its orders not yet
// departed. A change that would put a vehicle or a driver in two places at
// once — another order, another task, a repair, sealing, a holiday it is
// sealed on, a loan — is refused naming what holds it, and nothing is
// written.

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/notify"
)

var (
	actTaskCancel      = audit.NewAction("task.cancel", "取消保障任务")
	actTaskShiftAdd    = audit.NewAction("task.shift_add", "保障任务增加班次")
	actTaskShiftMove   = audit.NewAction("task.shift_move", "保障任务调整班次")
	actTaskShiftRemove = audit.NewAction("task.shift_remove", "保障任务删除班次")
)

// checkFree checks that vehicle vid and driver d are free for every
// window: no other order or task (those numbered in except aside), repair,
// sealing, holiday it is sealed on, or loan to another level; refuse ends
// the refusal ("不能调派"), which names what holds them.
func checkFree(ctx context.Context, tx bun.IDB, vid int64, d *driver, wins [][2]time.Time, except map[string]bool, refuse string) error {
	c, err := newFreeCheck(ctx, tx, []int64{vid}, []int64{d.ID}, wins, refuse)
	if err != nil {
		return err
	}
	return c.check(ctx, tx, vid, d, except)
}

// freeCheck is checkFree for many vehicles and drivers over the same
// windows, with what holds them read at once: the vehicles, their orders,
// holidays and loans, their drivers' orders.
type freeCheck struct {
	wins     [][2]time.Time
	refuse   string
	vehicles map[int64]*fleetVehicle // dispatchable vehicles only
	h        *holds
	lent     map[int64]loans.Lent
	drivers  map[int64][]booking.Holding
}

// newFreeCheck reads what holds vehicles vids and drivers dids over wins.
func newFreeCheck(ctx context.Context, tx bun.IDB, vids, dids []int64, wins [][2]time.Time, refuse string) (*freeCheck, error) {
	from, to := wins[0][0], wins[0][1]
	for _, w := range wins {
		from, to = minTime(from, w[0]), maxTime(to, w[1])
	}
	c := &freeCheck{wins: wins, refuse: refuse, drivers: map[int64][]booking.Holding{}}
	r, err := readRegistry(ctx, tx, vids)
	if err != nil {
		return nil, err
	}
	c.vehicles = r.byID
	if c.h, err = readHolds(ctx, tx, vids, from, to); err != nil {
		return nil, err
	}
	if c.lent, err = loans.LentOut(ctx, tx, vids, from, to); err != nil {
		return nil, err
	}
	dh, err := booking.Holdings(ctx, tx, "driver_id", dids, from, to)
	if err != nil {
		return nil, err
	}
	for _, x := range dh {
		c.drivers[x.ID] = append(c.drivers[x.ID], x)
	}
	return c, nil
}

// check checks vehicle vid (if dispatchable) and driver d, as checkFree.
func (c *freeCheck) check(ctx context.Context, tx bun.IDB, vid int64, d *driver, except map[string]bool) error {
	if v := c.vehicles[vid]; v != nil {
		s := v.slot()
		c.h.occupy(s, nil, 0)
		var why []string
		for _, b := range s.Bars {
			if (b.OrderNo == "" || !except[b.OrderNo]) && overlaps(b.From, b.To, c.wins) {
				if r := barReason(s.Plate, b); !contains(why, r) {
					why = append(why, r)
				}
			}
		}
		if l, ok := c.lent[vid]; ok {
			why = append(why, fmt.Sprintf("车辆 %s 该时段已借调给%s（借调单 %s）", s.Plate, l.BorrowerName, l.No))
		}
		if len(why) > 0 {
			return errs.E(errs.Conflict, "%s，%s", strings.Join(why, "；"), c.refuse)
		}
	}
	for _, h := range c.drivers[d.ID] {
		if except[h.No] || !overlaps(h.PickupAt, h.ReturnAt, c.wins) {
			continue
		}
		what := "用车订单 " + h.No
		if h.TaskID != nil {
			tn, ok := c.h.taskNames[*h.TaskID]
			if !ok {
				_ = tx.NewSelect().Table("support_tasks").Column("name").Where("id = ?", *h.TaskID).Scan(ctx, &tn)
			}
			what = fmt.Sprintf("保障任务「%s」（订单 %s）", tn, h.No)
		}
		return errs.E(errs.Conflict, "驾驶员 %s 该时段已有%s，%s", d.Name, what, c.refuse)
	}
	return nil
}

// wrote counts an order o written since the check's reads: its driver
// driverID is held by it, for task taskID named name.
func (c *freeCheck) wrote(driverID int64, o booking.Holding, taskID int64, name string) {
	c.h.taskNames[taskID] = name
	c.drivers[driverID] = append(c.drivers[driverID], o)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// taskOrder is an order of a task's assignment for one of its shifts.
type taskOrder struct {
	OrderID      int64  `bun:"order_id"`
	No           string `bun:"no"`
	State        string `bun:"state"`
	ShiftID      int64  `bun:"shift_id"`
	AssignmentID int64  `bun:"assignment_id"`
	VehicleID    int64  `bun:"vehicle_id"`
	DriverID     int64  `bun:"driver_id"`
	Plate        string `bun:"plate"`
	DriverUserID *int64 `bun:"driver_user_id"`
	OwnerPath    string `bun:"owner_path"`
}

// started: the order is under way or done; a shift with such an order
// can no longer move, nor be removed.
func (o *taskOrder) started() bool {
	return !o.live() && o.State != booking.Cancelled
}

// live: the order still holds its vehicle and has not departed.
func (o *taskOrder) live() bool {
	return o.State == booking.Dispatched || o.State == booking.PendingConsent
}

// taskOrders lists the orders of task (of one shift when shiftID ≠ 0).
func taskOrders(ctx context.Context, tx bun.IDB, taskID, shiftID int64) ([]*taskOrder, error) {
	q := tx.NewSelect().TableExpr("task_orders AS k").
		ColumnExpr("k.order_id, k.shift_id, k.assignment_id, o.no, o.state, o.vehicle_id, o.driver_id, v.plate, d.user_id AS driver_user_id, u.path AS owner_path").
		Join("JOIN task_assignments AS x ON x.id = k.assignment_id").
		Join("JOIN orders AS o ON o.id = k.order_id").
		Join("JOIN vehicles AS v ON v.id = o.vehicle_id").
		Join("JOIN drivers AS d ON d.id = o.driver_id").
		Join("JOIN units AS u ON u.id = x.owner_unit_id").
		Where("x.task_id = ?", taskID).OrderExpr("v.plate")
	if shiftID != 0 {
		q = q.Where("k.shift_id = ?", shiftID)
	}
	var out []*taskOrder
	return out, q.Scan(ctx, &out)
}

// refuseStarted refuses changing shift sh while one of its orders is
// under way or done (naming it).
func refuseStarted(sh *Shift, os []*taskOrder, what string) error {
	for _, o := range os {
		if o.started() {
			return errs.E(errs.Conflict, "班次「%s」的车辆 %s 已出车（订单 %s），不能%s", sh.Name, o.Plate, o.No, what)
		}
	}
	return nil
}

// driverNotes tells the drivers of os (with an account) what changed.
func driverNotes(os []*taskOrder, title, body string) []notify.Message {
	var users []int64
	seen := map[int64]bool{}
	for _, o := range os {
		if o.DriverUserID != nil && !seen[*o.DriverUserID] {
			seen[*o.DriverUserID] = true
			users = append(users, *o.DriverUserID)
		}
	}
	if len(users) == 0 {
		return nil
	}
	return []notify.Message{{Users: users, Kind: "task", Title: title, Body: body, Link: "/m/support", SMS: true}}
}

func shiftTime(from, to time.Time) string {
	return from.In(beijing.Zone).Format("01-02 15:04") + "—" + to.In(beijing.Zone).Format("01-02 15:04")
}

// taskOrderOf is the order of a task's vehicle for shift sh.
func taskOrderOf(t *Task, l *level, sh *Shift) booking.TaskOrder {
	var dests []string
	if sh.Route != "" {
		dests = []string{sh.Route}
	}
	return booking.TaskOrder{TaskID: t.ID, UnitID: l.ID, UnitPath: l.Path, Reason: fmt.Sprintf("保障任务「%s」%s", t.Name, sh.Name),
		PickupPlace: sh.Place, Destinations: dests, PickupAt: sh.StartAt, ReturnAt: sh.EndAt}
}

// shiftForWrite loads shift id and its task for a change by the task's authority.
func (s *Service) shiftForWrite(ctx context.Context, tx bun.Tx, a *access.Actor, id int64) (*Task, *level, []*Shift, *Shift, error) {
	var taskID int64
	if err := tx.NewSelect().Table("task_shifts").Column("task_id").Where("id = ?", id).Scan(ctx, &taskID); err != nil {
		return nil, nil, nil, nil, errs.E(errs.NotFound, "班次不存在")
	}
	t, l, shifts, err := s.taskForWrite(ctx, tx, a, taskID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, sh := range shifts {
		if sh.ID == id {
			return t, l, shifts, sh, nil
		}
	}
	return nil, nil, nil, nil, errs.E(errs.NotFound, "班次不存在")
}

// ShiftAddInput is a shift added to a task; WithVehicles puts every
// vehicle the task holds on it (an order each, checked as an assignment).
type ShiftAddInput struct {
	ShiftInput
	WithVehicles bool `json:"with_vehicles"`
}

// AddShift adds a shift to a task of the actor's level; with its vehicles,
// each standing assignment gets an order for it — all or nothing.
func (s *Service) AddShift(ctx context.Context, a *access.Actor, taskID int64, in ShiftAddInput) (*TaskDetail, error) {
	var f errs.Fields
	in.check(&f, "shift", "班次")
	if err := f.Err(); err != nil {
		return nil, err
	}
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, _, err := s.taskForWrite(ctx, tx, a, taskID)
		if err != nil {
			return err
		}
		if n, err := tx.NewSelect().Table("task_shifts").Where("task_id = ?", t.ID).Count(ctx); err != nil {
			return err
		} else if n >= MaxShifts {
			return (&errs.Fields{"shift": fmt.Sprintf("保障任务「%s」已有%d个班次，不能再增加", t.Name, n)}).Err()
		}
		sh := &Shift{TaskID: t.ID, Name: in.Name, StartAt: in.StartAt.UTC(), EndAt: in.EndAt.UTC(), Place: in.Place, Route: in.Route}
		if err := tx.NewRaw("INSERT INTO task_shifts (task_id, name, start_at, end_at, place, route) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
			t.ID, sh.Name, sh.StartAt, sh.EndAt, sh.Place, sh.Route).Scan(ctx, &sh.ID); err != nil {
			return err
		}
		n := 0
		if in.WithVehicles {
			var xs []struct {
				ID        int64 `bun:"id"`
				VehicleID int64 `bun:"vehicle_id"`
				DriverID  int64 `bun:"driver_id"`
			}
			if err := tx.NewSelect().Table("task_assignments").Column("id", "vehicle_id", "driver_id").Where("task_id = ? AND state NOT IN (?)", t.ID, bun.In(ended)).
				OrderExpr("id").Scan(ctx, &xs); err != nil {
				return err
			}
			now := s.now()
			var users []int64
			if len(xs) > 0 {
				// Every vehicle at once: locks, drivers, what holds them.
				vids, dids := make([]int64, len(xs)), make([]int64, len(xs))
				for i, x := range xs {
					vids[i], dids[i] = x.VehicleID, x.DriverID
				}
				if err := lockAll(ctx, tx, vids, dids); err != nil {
					return err
				}
				ds, err := loadDrivers(ctx, tx, dids)
				if err != nil {
					return err
				}
				win := [2]time.Time{sh.StartAt, sh.EndAt}
				c, err := newFreeCheck(ctx, tx, vids, dids, [][2]time.Time{win}, fmt.Sprintf("不能随新增班次「%s」出车", sh.Name))
				if err != nil {
					return err
				}
				links := make([]any, 0, 3*len(xs))
				for _, x := range xs {
					v, d := c.vehicles[x.VehicleID], ds[x.DriverID]
					if v == nil {
						return errVehicle
					}
					if err := c.check(ctx, tx, v.id, d, nil); err != nil {
						return err
					}
					to := taskOrderOf(t, l, sh)
					to.Passengers, to.VehicleID, to.DriverID = v.seats-1, v.id, d.ID
					o, err := booking.InsertTaskOrder(ctx, tx, a, to, now)
					if err != nil {
						return err
					}
					// A driver of two of the task's vehicles is now held by this one's order.
					c.wrote(d.ID, booking.Holding{ID: d.ID, OrderID: o.ID, No: o.No, TaskID: &t.ID, PickupAt: win[0], ReturnAt: win[1]}, t.ID, t.Name)
					links = append(links, x.ID, sh.ID, o.ID)
					if d.UserID != nil {
						users = append(users, *d.UserID)
					}
					n++
				}
				if _, err := tx.NewRaw("INSERT INTO task_orders (assignment_id, shift_id, order_id) VALUES "+
					strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", len(xs)), ", "), links...).Exec(ctx); err != nil {
					return err
				}
			}
			if len(users) > 0 {
				notes = append(notes, notify.Message{Users: users, Kind: "task", Title: "保障任务增加班次", Link: "/m/support", SMS: true,
					Body: fmt.Sprintf("保障任务「%s」增加班次「%s」：%s，%s", t.Name, sh.Name, shiftTime(sh.StartAt, sh.EndAt), sh.Place)})
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskShiftAdd, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path,
			Summary: fmt.Sprintf("保障任务「%s」增加班次「%s」（%s，%s），%d辆车随之出车", t.Name, sh.Name, shiftTime(sh.StartAt, sh.EndAt), sh.Place, n)})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.GetTask(ctx, a, taskID)
}

// EditShift changes a shift — its time (a move), name, place or route —
// and its orders not yet departed with it, in one transaction. A shift
// with a vehicle already out cannot change; a move that would collide
// with anything else holding one of its vehicles or drivers is refused
// naming it.
func (s *Service) EditShift(ctx context.Context, a *access.Actor, id int64, in ShiftInput) (*TaskDetail, error) {
	var f errs.Fields
	in.check(&f, "shift", "班次")
	if err := f.Err(); err != nil {
		return nil, err
	}
	var taskID int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, _, sh, err := s.shiftForWrite(ctx, tx, a, id)
		if err != nil {
			return err
		}
		taskID = t.ID
		os, err := taskOrders(ctx, tx, t.ID, sh.ID)
		if err != nil {
			return err
		}
		if err := refuseStarted(sh, os, "调整"); err != nil {
			return err
		}
		before := *sh
		sh.Name, sh.StartAt, sh.EndAt, sh.Place, sh.Route = in.Name, in.StartAt.UTC(), in.EndAt.UTC(), in.Place, in.Route
		var ids []int64
		var live []*taskOrder
		for _, o := range os {
			if o.live() {
				ids, live = append(ids, o.OrderID), append(live, o)
			}
		}
		moved := !sh.StartAt.Equal(before.StartAt) || !sh.EndAt.Equal(before.EndAt)
		if moved && len(live) > 0 {
			vids, dids := make([]int64, len(live)), make([]int64, len(live))
			except := map[string]bool{} // the shift's own orders, which move with it
			for i, o := range live {
				vids[i], dids[i] = o.VehicleID, o.DriverID
				except[o.No] = true
			}
			if err := lockAll(ctx, tx, vids, dids); err != nil {
				return err
			}
			ds, err := loadDrivers(ctx, tx, dids)
			if err != nil {
				return err
			}
			c, err := newFreeCheck(ctx, tx, vids, dids, [][2]time.Time{{sh.StartAt, sh.EndAt}}, fmt.Sprintf("班次「%s」不能调整到 %s", before.Name, shiftTime(sh.StartAt, sh.EndAt)))
			if err != nil {
				return err
			}
			for _, o := range live {
				if err := c.check(ctx, tx, o.VehicleID, ds[o.DriverID], except); err != nil {
					return err
				}
			}
		}
		if _, err := tx.NewRaw("UPDATE task_shifts SET name = ?, start_at = ?, end_at = ?, place = ?, route = ? WHERE id = ?",
			sh.Name, sh.StartAt, sh.EndAt, sh.Place, sh.Route, sh.ID).Exec(ctx); err != nil {
			return err
		}
		if err := booking.MoveTaskOrders(ctx, tx, a, ids, l.Path, taskOrderOf(t, l, sh), s.now()); err != nil {
			return err
		}
		change := fmt.Sprintf("班次「%s」%s，%s", before.Name, shiftTime(before.StartAt, before.EndAt), before.Place)
		change += fmt.Sprintf(" 改为「%s」%s，%s", sh.Name, shiftTime(sh.StartAt, sh.EndAt), sh.Place)
		notes = driverNotes(live, "保障任务班次调整", fmt.Sprintf("保障任务「%s」%s", t.Name, change))
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskShiftMove, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path,
			Summary: fmt.Sprintf("保障任务「%s」%s，%d张订单随之调整", t.Name, change, len(ids))})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.GetTask(ctx, a, taskID)
}

// RemoveShift removes a shift of a task and cancels its orders; refused
// while one of its vehicles is out, and for the task's last shift (cancel
// the task instead).
func (s *Service) RemoveShift(ctx context.Context, a *access.Actor, id int64) (*TaskDetail, error) {
	var taskID int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, shifts, sh, err := s.shiftForWrite(ctx, tx, a, id)
		if err != nil {
			return err
		}
		taskID = t.ID
		if len(shifts) == 1 {
			return errs.E(errs.Conflict, "班次「%s」是保障任务「%s」仅有的班次，不能删除；任务不再需要请取消任务", sh.Name, t.Name)
		}
		os, err := taskOrders(ctx, tx, t.ID, sh.ID)
		if err != nil {
			return err
		}
		if err := refuseStarted(sh, os, "删除"); err != nil {
			return err
		}
		var ids []int64
		var live []*taskOrder
		for _, o := range os {
			ids = append(ids, o.OrderID)
			if o.live() {
				live = append(live, o)
			}
		}
		why := fmt.Sprintf("保障任务「%s」删除班次「%s」", t.Name, sh.Name)
		if err := booking.CancelTaskOrders(ctx, tx, a, ids, l.Path, why, s.now()); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM task_orders WHERE shift_id = ?", sh.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM task_shifts WHERE id = ?", sh.ID).Exec(ctx); err != nil {
			return err
		}
		notes = driverNotes(live, "保障任务班次取消", fmt.Sprintf("%s（%s），该班次的出车任务已取消", why, shiftTime(sh.StartAt, sh.EndAt)))
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskShiftRemove, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path,
			Summary: fmt.Sprintf("%s（%s，%s），取消订单%d张", why, shiftTime(sh.StartAt, sh.EndAt), sh.Place, len(live))})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.GetTask(ctx, a, taskID)
}

// CancelTask cancels a task with a reason: its orders not yet departed are
// cancelled, releasing their vehicles and drivers; orders already under
// way are left to finish as any other (the vehicle is on the road: the
// dispatcher calls it back, the driver ends the trip on the phone), and
// those done stay for mileage and settlement. The owning units and the
// drivers are told.
func (s *Service) CancelTask(ctx context.Context, a *access.Actor, id int64, reason string) (*TaskDetail, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, (&errs.Fields{"reason": "请填写取消任务的原因"}).Err()
	}
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, l, _, err := s.taskForWrite(ctx, tx, a, id)
		if err != nil {
			return err
		}
		os, err := taskOrders(ctx, tx, t.ID, 0)
		if err != nil {
			return err
		}
		var ids []int64
		var live, out []*taskOrder
		owners := map[string]bool{}
		for _, o := range os {
			switch {
			case o.live():
				ids, live = append(ids, o.OrderID), append(live, o)
				owners[o.OwnerPath] = true
			case o.State == booking.Departed || o.State == booking.Finished:
				out = append(out, o)
			}
		}
		why := fmt.Sprintf("保障任务「%s」取消：%s", t.Name, reason)
		if err := booking.CancelTaskOrders(ctx, tx, a, ids, l.Path, why, s.now()); err != nil {
			return err
		}
		if _, err := tx.NewRaw("UPDATE support_tasks SET state = 'cancelled', cancel_reason = ?, cancelled_by_name = ?, cancelled_at = ? WHERE id = ?",
			reason, a.Name, s.now(), t.ID).Exec(ctx); err != nil {
			return err
		}
		// Its assignments end with it: the owning units see them as over.
		res, err := tx.NewRaw("UPDATE task_assignments SET state = ? WHERE task_id = ? AND state NOT IN (?)", Cancelled, t.ID, bun.In(ended)).Exec(ctx)
		if err != nil {
			return err
		}
		over, err := res.RowsAffected()
		if err != nil {
			return err
		}
		var managers []int64
		for p := range owners {
			for _, role := range []access.Role{access.VehicleManager, access.UnitAdmin} {
				us, err := notify.Recipients(ctx, tx, role, p)
				if err != nil {
					return err
				}
				managers = append(managers, us...)
			}
		}
		link := fmt.Sprintf("/dispatch/tasks/%d", t.ID)
		if len(managers) > 0 {
			notes = append(notes, notify.Message{Users: managers, Kind: "task", Title: "保障任务已取消", Link: link, SMS: true,
				Body: why + "。贵单位被抽调车辆的未出车订单已取消，车辆和驾驶员恢复本单位调度。"})
		}
		notes = append(notes, driverNotes(live, "保障任务已取消", why+"。您未出车的保障任务班次已取消。")...)
		summary := fmt.Sprintf("%s；%d辆车的调派随任务取消，取消未出车订单%d张", why, over, len(ids))
		if len(out) > 0 {
			var plates []string
			for _, o := range out {
				plates = append(plates, o.Plate+"（订单 "+o.No+"）")
			}
			summary += "；执行中的订单照常结束：" + strings.Join(plates, "、")
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTaskCancel, ObjectType: audit.SupportTask, ObjectID: t.ID, ScopePath: l.Path, Summary: summary})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.GetTask(ctx, a, id)
}
