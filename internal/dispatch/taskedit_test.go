package dispatch_test

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/dispatch"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// TestTaskShiftsEditedAndTaskCancelled: after its creation a task's
// shift moves with its orders; a move onto another task's time of one of
// its vehicles, or onto a repair, is refused naming it and changes
// nothing; an added shift takes the task's vehicles, a removed one cancels
// its orders; cancelling the task cancels its orders not yet departed
// (releasing the vehicles), leaves the one under way to finish, tells the
// drivers and is audited with its reason.
func TestTaskShiftsEditedAndTaskCancelled(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		unit := w.UnitID(t, "天宁区城市管理局")
		v1, plate1 := f.vehicle(unit, "small", 5)
		v2, plate2 := f.vehicle(unit, "small", 5)
		d1, d2 := f.driver(unit, "C1"), f.driver(unit, "C1")
		f.exec("UPDATE drivers SET user_id = ? WHERE id = ?", f.city.UserID, d1) // the driver's phone account

		start := apptest.Workday(38, 8)
		shift := func(name string, at time.Time) dispatch.ShiftInput {
			return dispatch.ShiftInput{Name: name, StartAt: at, EndAt: at.Add(4 * time.Hour), Place: "市民广场", Route: "市民广场—奥体中心"}
		}
		newTask := func(name string, shifts ...dispatch.ShiftInput) *dispatch.TaskDetail {
			x, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: fmt.Sprintf("%s%d", name, seq.Add(1)), Kind: "event",
				ObjectionDeadline: start.Add(-24 * time.Hour), Shifts: shifts})
			if err != nil {
				t.Fatal(err)
			}
			return x
		}
		task := newTask("班次调整测试", shift("早班", start), shift("次日早班", start.Add(24*time.Hour)))
		for _, p := range [][2]int64{{v1, d1}, {v2, d2}} {
			if _, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: p[0], DriverID: p[1]}); err != nil {
				t.Fatal(err)
			}
		}
		// Another task holds v1 in the afternoon.
		other := newTask("另一保障任务", shift("午班", start.Add(6*time.Hour)))
		if _, err := d.Assign(ctx, f.city, other.ID, dispatch.AssignInput{VehicleID: v1, DriverID: f.driver(unit, "C1")}); err != nil {
			t.Fatal(err)
		}
		pickups := func(shiftID int64) map[string]time.Time {
			var rows []struct {
				Plate    string    `bun:"plate"`
				PickupAt time.Time `bun:"pickup_at"`
			}
			if err := w.DB.R.NewSelect().TableExpr("task_orders AS k").ColumnExpr("v.plate, o.pickup_at").Join("JOIN orders AS o ON o.id = k.order_id").
				Join("JOIN vehicles AS v ON v.id = o.vehicle_id").Where("k.shift_id = ? AND o.state = 'dispatched'", shiftID).Scan(ctx, &rows); err != nil {
				t.Fatal(err)
			}
			out := map[string]time.Time{}
			for _, r := range rows {
				out[r.Plate] = r.PickupAt.UTC()
			}
			return out
		}
		first := task.Shifts[0]

		// Onto the other task's afternoon: refused naming it; nothing moved.
		_, err := d.EditShift(ctx, f.city, first.ID, shift("早班", start.Add(5*time.Hour)))
		wantErr(t, err, errs.Conflict, plate1, "保障任务「"+other.Name+"」", "早班")
		if p := pickups(first.ID); len(p) != 2 || !p[plate1].Equal(start) || !p[plate2].Equal(start) {
			t.Fatalf("a refused move changed the orders: %v", p)
		}
		// Onto a repair of v2: refused naming it.
		f.exec("UPDATE vehicles SET status = 'maintenance' WHERE id = ?", v2)
		_, err = d.EditShift(ctx, f.city, first.ID, shift("早班", start.Add(-3*time.Hour)))
		wantErr(t, err, errs.Conflict, plate2, "维修保养")
		f.exec("UPDATE vehicles SET status = 'available' WHERE id = ?", v2)

		// Two hours earlier, renamed: both orders follow.
		moved := start.Add(-2 * time.Hour)
		got, err := d.EditShift(ctx, f.city, first.ID, shift("提前早班", moved))
		if err != nil {
			t.Fatal(err)
		}
		if p := pickups(first.ID); len(p) != 2 || !p[plate1].Equal(moved) || !p[plate2].Equal(moved) {
			t.Fatalf("the orders did not follow the shift: %v", p)
		}
		if got.Shifts[0].Name != "提前早班" || !got.Shifts[0].StartAt.Equal(moved) {
			t.Fatalf("shift %+v", got.Shifts[0])
		}
		var reason string
		if err := w.DB.R.NewSelect().TableExpr("task_orders AS k").ColumnExpr("o.reason").Join("JOIN orders AS o ON o.id = k.order_id").
			Where("k.shift_id = ?", first.ID).Limit(1).Scan(ctx, &reason); err != nil || reason != "保障任务「"+task.Name+"」提前早班" {
			t.Fatalf("order reason %q %v", reason, err)
		}

		// An added shift takes both vehicles; removing it cancels their orders.
		evening := shift("晚班", start.Add(12*time.Hour))
		got, err = d.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: evening, WithVehicles: true})
		if err != nil {
			t.Fatal(err)
		}
		var added int64
		for _, sh := range got.Shifts {
			if sh.Name == "晚班" {
				added = sh.ID
			}
		}
		if p := pickups(added); len(p) != 2 {
			t.Fatalf("orders of the added shift: %v", p)
		}
		// Added onto the other task's afternoon: refused, no shift written.
		_, err = d.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: shift("午班", start.Add(6*time.Hour)), WithVehicles: true})
		wantErr(t, err, errs.Conflict, plate1, other.Name)
		if x, _ := d.GetTask(ctx, f.city, task.ID); len(x.Shifts) != 3 {
			t.Fatalf("a refused shift was written: %d shifts", len(x.Shifts))
		}
		if _, err := d.RemoveShift(ctx, f.city, added); err != nil {
			t.Fatal(err)
		}
		n, err := w.DB.R.NewSelect().Table("orders").Where("task_id = ? AND state = 'cancelled'", task.ID).Count(ctx)
		if err != nil || n != 2 {
			t.Fatalf("cancelled orders of the removed shift: %d %v", n, err)
		}

		// Cancel: v2's order of the first shift is under way and stays; the rest are cancelled.
		f.exec("UPDATE orders SET state = 'departed' WHERE task_id = ? AND vehicle_id = ? AND pickup_at = ?", task.ID, v2, moved)
		_, err = d.CancelTask(ctx, f.city, task.ID, "")
		wantErr(t, err, errs.Invalid)
		x, err := d.CancelTask(ctx, f.city, task.ID, "赛事因天气延期")
		if err != nil {
			t.Fatal(err)
		}
		if x.State != "cancelled" || x.StateName != "已取消" || x.CancelReason != "赛事因天气延期" {
			t.Fatalf("cancelled task %+v", x.Task)
		}
		var states []string
		if err := w.DB.R.NewSelect().Table("orders").Column("state").Where("task_id = ? AND state <> 'cancelled'", task.ID).Scan(ctx, &states); err != nil {
			t.Fatal(err)
		}
		if len(states) != 1 || states[0] != "departed" {
			t.Fatalf("after the cancel the task holds %v, want only the order under way", states)
		}
		// v1 is free again at the task's time: a new task takes it.
		again := newTask("接替任务", shift("早班", moved))
		if _, err := d.Assign(ctx, f.city, again.ID, dispatch.AssignInput{VehicleID: v1, DriverID: d1}); err != nil {
			t.Fatalf("v1 not released: %v", err)
		}
		var told, audited int
		if told, err = w.DB.R.NewSelect().Table("notifications").Where("user_id = ? AND title = '保障任务已取消' AND body LIKE ?", f.city.UserID, "%赛事因天气延期%").Count(ctx); err != nil || told == 0 {
			t.Fatalf("the driver was not told: %d %v", told, err)
		}
		if audited, err = w.DB.R.NewSelect().Table("audit_log").Where("action = 'task.cancel' AND object_id = ? AND summary LIKE ?", fmt.Sprint(task.ID), "%赛事因天气延期%执行中的订单照常结束%"+plate2+"%").Count(ctx); err != nil || audited != 1 {
			t.Fatalf("cancel audited %d times %v", audited, err)
		}
		// A cancelled task takes no more changes.
		_, err = d.EditShift(ctx, f.city, first.ID, shift("早班", start))
		wantErr(t, err, errs.Conflict, "已取消")
		_, err = d.CancelTask(ctx, f.city, task.ID, "再次取消")
		wantErr(t, err, errs.Conflict, "已取消")
	})
}

// TestAddShiftBounded: a task holds at most MaxShifts shifts, however they
// came; the next is refused naming the task and nothing is added.
func TestAddShiftBounded(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		start := apptest.Workday(60, 8)
		shift := dispatch.ShiftInput{Name: "早班", StartAt: start, EndAt: start.Add(4 * time.Hour), Place: "市民广场"}
		task, err := w.Dispatch.CreateTask(ctx, f.city, dispatch.TaskInput{Name: fmt.Sprintf("班次上限测试%d", seq.Add(1)), Kind: "event",
			ObjectionDeadline: start.Add(-24 * time.Hour), Shifts: []dispatch.ShiftInput{shift}})
		if err != nil {
			t.Fatal(err)
		}
		for i := 1; i < dispatch.MaxShifts-1; i++ {
			f.exec("INSERT INTO task_shifts (task_id, name, start_at, end_at, place, route) VALUES (?, ?, ?, ?, '市民广场', '')",
				task.ID, fmt.Sprintf("第%d班", i), start.Add(time.Duration(24*i)*time.Hour), start.Add(time.Duration(24*i+4)*time.Hour))
		}
		if _, err := w.Dispatch.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: shift}); err != nil {
			t.Fatalf("shift %d: %v", dispatch.MaxShifts, err)
		}
		_, err = w.Dispatch.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: shift})
		wantErr(t, err, errs.Invalid, task.Name, "不能再增加")
		var n int
		if err := w.DB.R.NewSelect().Table("task_shifts").ColumnExpr("count(*)").Where("task_id = ?", task.ID).Scan(ctx, &n); err != nil || n != dispatch.MaxShifts {
			t.Fatalf("%d shifts (%v), want %d", n, err, dispatch.MaxShifts)
		}
	})
}

// statements counts the statements a database handle runs.
type statements struct{ n atomic.Int64 }

func (c *statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (c *statements) AfterQuery(context.Context, *bun.QueryEvent)                        { c.n.Add(1) }

// perVehicle is what a further vehicle of an added shift costs: the
// writes of its order (booking.InsertTaskOrder: the order, its number, its
// timeline entry, the audit entry with the chain head's two updates). Its
// checks are shared with the other vehicles; before they were, 16.
const perVehicle = 6

// TestAddShiftStatements: a shift added with the task's vehicles checks
// them all at once — locks, vehicles, drivers, what holds them, loans — so
// each further vehicle costs only the writes of its order, whatever the
// task holds. A change cannot add reads per vehicle back unnoticed.
func TestAddShiftStatements(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		unit := w.UnitID(t, "天宁区城市管理局")
		count := &statements{}
		db := *w.DB
		db.R, db.W = db.R.WithQueryHook(count), db.W.WithQueryHook(count)
		counted := &dispatch.Service{DB: &db, Notify: w.Dispatch.Notify, Now: w.Dispatch.Now}
		start := apptest.Workday(45, 8)
		shift := func(name string, at time.Time) dispatch.ShiftInput {
			return dispatch.ShiftInput{Name: name, StartAt: at, EndAt: at.Add(4 * time.Hour), Place: "市民广场"}
		}
		// cost adds a shift with its vehicles to a task holding n of them.
		cost := func(n int) int64 {
			task, err := w.Dispatch.CreateTask(ctx, f.city, dispatch.TaskInput{Name: fmt.Sprintf("语句计数%d", seq.Add(1)), Kind: "event",
				ObjectionDeadline: start.Add(-24 * time.Hour), Shifts: []dispatch.ShiftInput{shift("早班", start)}})
			if err != nil {
				t.Fatal(err)
			}
			for range n {
				v, _ := f.vehicle(unit, "small", 5)
				if _, err := w.Dispatch.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: v, DriverID: f.driver(unit, "C1")}); err != nil {
					t.Fatal(err)
				}
			}
			count.n.Store(0)
			got, err := counted.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: shift("晚班", start.Add(8*time.Hour)), WithVehicles: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Shifts) != 2 {
				t.Fatalf("%d shifts", len(got.Shifts))
			}
			return count.n.Load()
		}
		one, five := cost(1), cost(5)
		t.Logf("AddShift with its vehicles: %d statements for 1 vehicle, %d for 5", one, five)
		if per := (five - one) / 4; per > perVehicle {
			t.Errorf("each further vehicle costs %d statements, want at most %d (its order's writes)", per, perVehicle)
		}
	})
}

// TestCancelledTaskEndsAssignments: cancelling a task ends its
// assignments with it — notified, objected, confirmed alike become 任务已取消
// in the same transaction, a withdrawn one stays withdrawn — so the owning
// unit's list, filter and objections treat them as over, the task holds no
// vehicle, and the cancellation's audit entry says how many ended. The
// migration does the same for tasks cancelled before.
func TestCancelledTaskEndsAssignments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		unit := w.UnitID(t, "天宁区城市管理局")
		owner := f.owner(unit, access.VehicleManager)
		start := apptest.Workday(52, 8)
		task, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: fmt.Sprintf("取消测试%d", seq.Add(1)), Kind: "event", ObjectionDeadline: start.Add(-24 * time.Hour),
			Shifts: []dispatch.ShiftInput{{Name: "早班", StartAt: start, EndAt: start.Add(4 * time.Hour), Place: "市民广场"}},
			Needs:  []dispatch.NeedInput{{VehicleType: "sedan", Count: 4}}})
		if err != nil {
			t.Fatal(err)
		}
		var xs []*dispatch.Assignment
		for range 3 {
			v, _ := f.vehicle(unit, "small", 5)
			x, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: v, DriverID: f.driver(unit, "C1")})
			if err != nil {
				t.Fatal(err)
			}
			xs = append(xs, x)
		}
		if _, err := d.Object(ctx, owner, xs[1].ID, "车辆另有安排"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Decide(ctx, f.city, xs[2].ID, false, "另行安排"); err != nil {
			t.Fatal(err)
		}
		// The first vehicle is on its way when the task is cancelled: its order goes on, and the convoy keeps it.
		f.exec("UPDATE orders SET state = 'departed' WHERE task_id = ? AND vehicle_id = ?", task.ID, xs[0].VehicleID)
		got, err := d.CancelTask(ctx, f.city, task.ID, "活动取消")
		if err != nil {
			t.Fatal(err)
		}
		if got.Vehicles != 0 || got.Needs[0].Assigned != 0 {
			t.Errorf("a cancelled task holds %d vehicles, %d of its need", got.Vehicles, got.Needs[0].Assigned)
		}
		// checkStates: the first two ended with the task, the withdrawn one stays so.
		checkStates := func(when string) {
			t.Helper()
			mine, _, err := d.Assignments(ctx, owner, dispatch.AssignmentFilter{TaskID: task.ID})
			if err != nil {
				t.Fatal(err)
			}
			want := map[int64]string{xs[0].ID: "任务已取消", xs[1].ID: "任务已取消", xs[2].ID: "已撤回"}
			if len(mine) != 3 {
				t.Fatalf("%s: the owner sees %d assignments", when, len(mine))
			}
			for _, x := range mine {
				if x.StateName != want[x.ID] || x.CanObject || x.Live() {
					t.Errorf("%s: the owner sees %s as %q (can object %v, live %v), want %q", when, x.Plate, x.StateName, x.CanObject, x.Live(), want[x.ID])
				}
			}
		}
		checkStates("after the cancel")
		for _, c := range []struct {
			state string
			n     int
		}{{"notified,objected,confirmed,upheld", 0}, {dispatch.Cancelled, 2}, {dispatch.Withdrawn, 1}} {
			if _, n, err := d.Assignments(ctx, owner, dispatch.AssignmentFilter{TaskID: task.ID, State: c.state}); err != nil || n != c.n {
				t.Errorf("the owner's filter %s: %d (%v), want %d", c.state, n, err, c.n)
			}
		}
		_, err = d.Object(ctx, owner, xs[0].ID, "太晚")
		wantErr(t, err, errs.Conflict, xs[0].Plate, "任务已取消")
		if b, err := d.Board(ctx, f.city, task.ID); err != nil || len(b.Rows) != 0 {
			t.Errorf("a cancelled task's board: %+v %v", b, err)
		}
		if ids, err := d.Convoy(ctx, f.city, task.ID); err != nil || len(ids) != 1 || ids[0] != xs[0].VehicleID {
			t.Errorf("a cancelled task's convoy: %v %v, want the one vehicle on the road, %d", ids, err, xs[0].VehicleID)
		}
		if n, err := w.DB.R.NewSelect().Table("audit_log").Where("action = 'task.cancel' AND object_id = ? AND summary LIKE ?", fmt.Sprint(task.ID), "%2辆车的调派随任务取消%").Count(ctx); err != nil || n != 1 {
			t.Errorf("the cancel's audit entry names the ended assignments %d times (%v)", n, err)
		}

		// A task cancelled before: its assignments as they were left, then the migration.
		f.exec("UPDATE task_assignments SET state = ? WHERE id = ?", dispatch.Notified, xs[0].ID)
		f.exec("UPDATE task_assignments SET state = ? WHERE id = ?", dispatch.Objected, xs[1].ID)
		sql, err := fs.ReadFile(store.MigrationFiles, "migrations/"+migration(t, "_taskmends.sql"))
		if err != nil {
			t.Fatal(err)
		}
		f.exec(string(sql))
		checkStates("after the migration")
	})
}

// migration is the name of the migration ending with suffix.
func migration(t *testing.T, suffix string) string {
	t.Helper()
	es, err := fs.ReadDir(store.MigrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if strings.HasSuffix(e.Name(), suffix) {
			return e.Name()
		}
	}
	t.Fatalf("no migration *%s", suffix)
	return ""
}

// TestAddShiftOneDriverTwice: a driver who drives two of the task's
// vehicles on different shifts cannot take both onto an added shift —
// the checks read at once still see the order written for the first
// vehicle — and nothing is written.
func TestAddShiftOneDriverTwice(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		unit := w.UnitID(t, "天宁区城市管理局")
		start := apptest.Workday(48, 8)
		shift := func(name string, at time.Time) dispatch.ShiftInput {
			return dispatch.ShiftInput{Name: name, StartAt: at, EndAt: at.Add(4 * time.Hour), Place: "市民广场"}
		}
		task, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: fmt.Sprintf("一人两车%d", seq.Add(1)), Kind: "event",
			ObjectionDeadline: start.Add(-24 * time.Hour), Shifts: []dispatch.ShiftInput{shift("早班", start), shift("午班", start.Add(5*time.Hour))}})
		if err != nil {
			t.Fatal(err)
		}
		driver := f.driver(unit, "C1")
		var driverName string
		if err := w.DB.R.NewSelect().Table("drivers").Column("name").Where("id = ?", driver).Scan(ctx, &driverName); err != nil {
			t.Fatal(err)
		}
		for i, sh := range task.Shifts {
			v, _ := f.vehicle(unit, "small", 5)
			if _, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: v, DriverID: driver, ShiftIDs: []int64{sh.ID}}); err != nil {
				t.Fatalf("vehicle %d: %v", i, err)
			}
		}
		before, _ := w.DB.R.NewSelect().Table("orders").Where("task_id = ?", task.ID).Count(ctx)
		_, err = d.AddShift(ctx, f.city, task.ID, dispatch.ShiftAddInput{ShiftInput: shift("晚班", start.Add(10*time.Hour)), WithVehicles: true})
		wantErr(t, err, errs.Conflict, "驾驶员 "+driverName, "保障任务「"+task.Name+"」", "不能随新增班次「晚班」出车")
		if after, _ := w.DB.R.NewSelect().Table("orders").Where("task_id = ?", task.ID).Count(ctx); after != before {
			t.Errorf("a refused shift wrote orders: %d → %d", before, after)
		}
	})
}
