package booking

// Orders of support tasks (R-16, issue 21): internal/dispatch turns each
// vehicle a task holds into ordinary orders, one per shift, linked by
// orders.task_id, so trips, mileage, rules and supervision treat them as
// any other order. The authority's order stands for the application, the
// approval and the vehicle manager's consent: such an order starts
// dispatched.

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/store"
)

var (
	actTaskOrder       = audit.NewAction("order.task", "保障任务生成用车订单")
	actTaskOrderCancel = audit.NewAction("order.task_cancel", "保障任务撤回用车订单")
)

// TaskOrder is one shift of a vehicle on a support task.
type TaskOrder struct {
	TaskID       int64
	UnitID       int64 // the task's authority (the city or a district node)
	UnitPath     string
	Reason       string // task and shift
	PickupPlace  string
	Destinations []string
	PickupAt     time.Time
	ReturnAt     time.Time
	Passengers   int
	VehicleID    int64
	DriverID     int64
}

// InsertTaskOrder writes a dispatched order for one shift of a task
// vehicle inside the caller's transaction, with its timeline and audit
// entry. The caller has checked the vehicle and the driver are free.
func InsertTaskOrder(ctx context.Context, tx bun.Tx, a *access.Actor, in TaskOrder, now time.Time) (*Order, error) {
	dests := in.Destinations
	if len(dests) == 0 {
		dests = []string{in.PickupPlace}
	}
	raw, _ := json.Marshal(dests)
	taskID, vid, did, uid := in.TaskID, in.VehicleID, in.DriverID, a.UserID
	o := &Order{No: "pending-" + fmt.Sprint(now.UnixNano()), UnitID: in.UnitID, ApplicantID: a.UserID, ApplicantName: a.Name,
		Reason: in.Reason, PassengerCount: max(in.Passengers, 1), PickupPlace: in.PickupPlace, DestinationsRaw: string(raw),
		PickupAt: in.PickupAt.UTC(), ReturnAt: in.ReturnAt.UTC(), ApprovalsNeeded: 1, ApprovalsDone: 1, State: Dispatched,
		VehicleID: &vid, DriverID: &did, DispatcherID: &uid, Consent: "task", TaskID: &taskID, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	o.No = fmt.Sprintf("YC%s%05d", now.In(beijing.Zone).Format("20060102"), o.ID%100000)
	if _, err := tx.NewUpdate().Model(o).Column("no").WherePK().Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if err := event(ctx, tx, a, o.ID, "dispatch", "", Dispatched, "保障任务统一调度："+in.Reason); err != nil {
		return nil, err
	}
	return o, audit.Record(ctx, tx, a, audit.Event{Action: actTaskOrder, ObjectType: audit.Order, ObjectID: o.ID, ScopePath: in.UnitPath,
		Summary: fmt.Sprintf("保障任务生成用车订单 %s：%s", o.No, in.Reason)})
}

// CancelTaskOrders cancels a task's orders that have not departed yet
// (a withdrawn assignment), inside the caller's transaction.
func CancelTaskOrders(ctx context.Context, tx bun.Tx, a *access.Actor, ids []int64, path, reason string, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	var os []*Order
	if err := tx.NewSelect().Model(&os).Where("id IN (?) AND state IN (?)", bun.In(ids), bun.In([]string{Dispatched, PendingConsent})).Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, o := range os {
		if _, err := tx.NewUpdate().Model((*Order)(nil)).Set("state = ?, note = ?, updated_at = ?", Cancelled, reason, now).Where("id = ?", o.ID).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if err := event(ctx, tx, a, o.ID, "cancel", o.State, Cancelled, reason); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Event{Action: actTaskOrderCancel, ObjectType: audit.Order, ObjectID: o.ID, ScopePath: path,
			Summary: fmt.Sprintf("保障任务撤回用车订单 %s：%s", o.No, reason)}); err != nil {
			return err
		}
	}
	return nil
}

// Holding is an order holding a vehicle or a driver at some time.
type Holding struct {
	ID       int64     `bun:"id"`
	OrderID  int64     `bun:"order_id"`
	No       string    `bun:"no"`
	TaskID   *int64    `bun:"task_id"`
	PickupAt time.Time `bun:"pickup_at"`
	ReturnAt time.Time `bun:"return_at"`
}

// Holdings lists, for the vehicles (column "vehicle_id") or drivers
// ("driver_id") among ids (all when nil), the orders holding them that
// overlap [from, to). The pick-up range is bounded by MaxSpan, so the
// query reads the orders index over the window only; rows are scanned
// without reflection (a city's week holds thousands).
func Holdings(ctx context.Context, db bun.IDB, column string, ids []int64, from, to time.Time) ([]Holding, error) {
	q := "SELECT " + column + ", id, no, task_id, pickup_at, return_at FROM orders WHERE state IN (?) AND pickup_at < ? AND pickup_at > ? AND return_at > ? AND " + column + " IS NOT NULL"
	args := []any{bun.In(holding), to.UTC(), from.Add(-MaxSpan).UTC(), from.UTC()}
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q += " AND " + column + " IN (?)"
		args = append(args, bun.In(ids))
	}
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Holding
	for rows.Next() {
		var h Holding
		if err := rows.Scan(&h.ID, &h.OrderID, &h.No, &h.TaskID, &h.PickupAt, &h.ReturnAt); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, h)
	}
	return out, store.Translate(rows.Err())
}

var actTaskOrderMove = audit.NewAction("order.task_move", "保障任务调整班次改订单时间")

// MoveTaskOrders moves a task's orders that have not departed (a shift
// changed: its time, place, route or name) inside the caller's
// transaction, each with its timeline and audit entry. The caller has
// checked the vehicles and the drivers are free for the new time.
func MoveTaskOrders(ctx context.Context, tx bun.Tx, a *access.Actor, ids []int64, path string, in TaskOrder, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	dests := in.Destinations
	if len(dests) == 0 {
		dests = []string{in.PickupPlace}
	}
	raw, _ := json.Marshal(dests)
	var os []*Order
	if err := tx.NewSelect().Model(&os).Where("id IN (?) AND state IN (?)", bun.In(ids), bun.In([]string{Dispatched, PendingConsent})).Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, o := range os {
		if _, err := tx.NewUpdate().Model((*Order)(nil)).Set("pickup_at = ?, return_at = ?, pickup_place = ?, destinations = ?, reason = ?, updated_at = ?",
			in.PickupAt.UTC(), in.ReturnAt.UTC(), in.PickupPlace, string(raw), in.Reason, now).Where("id = ?", o.ID).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		note := fmt.Sprintf("%s：用车时间改为 %s 至 %s，%s", in.Reason, in.PickupAt.In(beijing.Zone).Format("01-02 15:04"), in.ReturnAt.In(beijing.Zone).Format("01-02 15:04"), in.PickupPlace)
		if err := event(ctx, tx, a, o.ID, "task_shift", o.State, o.State, note); err != nil {
			return err
		}
		if err := audit.Record(ctx, tx, a, audit.Event{Action: actTaskOrderMove, ObjectType: audit.Order, ObjectID: o.ID, ScopePath: path,
			Summary: fmt.Sprintf("保障任务调整班次，订单 %s %s", o.No, note)}); err != nil {
			return err
		}
	}
	return nil
}
