package dispatch_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/dispatch"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/storetest"
)

// seq numbers the fixtures' vehicles and drivers.
var seq = storetest.Counter(50000)

// fixture builds vehicles and drivers in a world.
type fixture struct {
	t    *testing.T
	w    *apptest.World
	city *access.Actor
}

// vehicle registers a vehicle of unit of a licence class with seats; it
// may run on holidays (emergency), so any test date suits it.
func (f *fixture) vehicle(unit int64, class string, seats int) (int64, string) {
	f.t.Helper()
	n := seq.Add(1)
	plate := fmt.Sprintf("苏DX%04d", n%10000) // never a demo plate (苏D + five digits)
	first := fmt.Sprintf("LSVAU2A3%dN3%06d", 0, 100000+n%900000)
	c, err := check.VINCheckChar(first)
	if err != nil {
		f.t.Fatal(err)
	}
	vin := first[:8] + string(c) + first[9:]
	s := func(v string) *string { return &v }
	v, err := f.w.Fleet.CreateVehicle(context.Background(), f.city, fleet.VehicleInput{UnitID: &unit, Plate: &plate, VIN: &vin, Category: s("emergency"),
		Brand: s("宇通"), Model: s("ZK6"), Seats: &seats, EnergyType: s("diesel"), VehicleClass: &class, PurchaseDate: s("2021-06-01")})
	if err != nil {
		f.t.Fatal(err)
	}
	return v.ID, v.Plate
}

// driver registers a driver of unit with a licence class.
func (f *fixture) driver(unit int64, licence string) int64 {
	f.t.Helper()
	n := seq.Add(1)
	birth := time.Date(1975, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n%3000))
	first := fmt.Sprintf("320402%s%03d", birth.Format("20060102"), n%1000)
	c, _ := check.IDCardCheckChar(first)
	s := func(v string) *string { return &v }
	d, err := f.w.Fleet.CreateDriver(context.Background(), f.city, fleet.DriverInput{UnitID: &unit, Name: s(fmt.Sprintf("司机%d", n)), IDCard: s(first + string(c)), LicenceClass: &licence, LicenceExpiry: s("2035-01-01")})
	if err != nil {
		f.t.Fatal(err)
	}
	return d.ID
}

func (f *fixture) exec(q string, args ...any) {
	f.t.Helper()
	if _, err := f.w.DB.W.ExecContext(context.Background(), q, args...); err != nil {
		f.t.Fatal(err)
	}
}

// owner is an account of a unit's staff with role.
func (f *fixture) owner(unit int64, role access.Role) *access.Actor {
	var u struct {
		Path string `bun:"path"`
	}
	if err := f.w.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", unit).Scan(context.Background(), &u); err != nil {
		f.t.Fatal(err)
	}
	return &access.Actor{UserID: f.city.UserID, Name: "车管负责人", ScopeID: unit, ScopePath: u.Path, ScopeKind: "unit", Roles: []access.Role{role}}
}

func wantErr(t *testing.T, err error, code errs.Code, parts ...string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("error %v, want %s", err, code)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not name %q", err, p)
		}
	}
}

// TestCityTaskAcrossDistricts: a city task draws on the city pool and on
// units of two districts; one owner's objection is upheld, the other's
// assignment withdrawn; every confirmed vehicle's shifts are orders linked
// to the task; conflicts are refused naming what holds the vehicle, and
// nothing is written.
func TestCityTaskAcrossDistricts(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		cityID := w.UnitID(t, "常州市")
		tnUnit, zlUnit, jgj := w.UnitID(t, "天宁区城市管理局"), w.UnitID(t, "钟楼区财政局"), w.UnitID(t, "市机关事务管理局")

		// The city pool: a coach with its A1 driver.
		coach, coachPlate := f.vehicle(jgj, "large_bus", 45)
		coachDriver := f.driver(jgj, "A1")
		p, err := d.AddToPool(ctx, f.city, dispatch.PoolInput{LevelID: cityID, VehicleID: coach, DriverID: coachDriver, Note: "大型活动专用"})
		if err != nil {
			t.Fatal(err)
		}
		if p.TypeName != "大客车" || p.DriverID == nil {
			t.Fatalf("pool entry %+v", p)
		}
		_, err = d.AddToPool(ctx, f.city, dispatch.PoolInput{LevelID: cityID, VehicleID: coach})
		wantErr(t, err, errs.Conflict, coachPlate, "已在")

		start := apptest.Workday(20, 8)
		task, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: "常州马拉松测试", Kind: "event", ObjectionDeadline: start.Add(-48 * time.Hour),
			Shifts: []dispatch.ShiftInput{
				{Name: "第一天", StartAt: start, EndAt: start.Add(6 * time.Hour), Place: "常州奥体中心", Route: "奥体中心—龙城大道"},
				{Name: "第二天", StartAt: start.Add(24 * time.Hour), EndAt: start.Add(30 * time.Hour), Place: "常州奥体中心"}},
			Needs: []dispatch.NeedInput{{VehicleType: "coach", Count: 1}, {VehicleType: "minibus", Count: 2}}})
		if err != nil {
			t.Fatal(err)
		}
		if task.LevelID != cityID || len(task.Shifts) != 2 || len(task.Needs) != 2 {
			t.Fatalf("task %+v", task.Task)
		}
		// Candidates: the pool's coach first.
		cands, _, err := d.Candidates(ctx, f.city, task.ID, "coach", "", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		found, pooled := false, true
		for _, c := range cands {
			if c.VehicleID == coach {
				found = c.Free && c.Pool == "常州市" && pooled
			}
			pooled = pooled && c.Pool == "常州市"
		}
		if !found {
			t.Fatalf("the pool's free coach is not among the first candidates: %+v", cands)
		}

		// From the pool: confirmed at once, its driver taken from the pool.
		x, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: coach})
		if err != nil {
			t.Fatal(err)
		}
		if x.State != dispatch.Confirmed || x.Source != "pool" || x.DriverID != coachDriver {
			t.Fatalf("pool assignment %+v", x)
		}
		var orders int
		orders, err = w.DB.R.NewSelect().Table("orders").Where("task_id = ? AND vehicle_id = ? AND state = 'dispatched'", task.ID, coach).Count(ctx)
		if err != nil || orders != 2 {
			t.Fatalf("orders of the pool coach: %d %v", orders, err)
		}

		// From two districts' units: the owners are told and may object.
		tnBus, tnPlate := f.vehicle(tnUnit, "medium_bus", 19)
		tnDriver := f.driver(tnUnit, "B1")
		zlBus, _ := f.vehicle(zlUnit, "medium_bus", 19)
		zlDriver := f.driver(zlUnit, "A1")
		xt, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: tnBus, DriverID: tnDriver})
		if err != nil {
			t.Fatal(err)
		}
		xz, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: zlBus, DriverID: zlDriver})
		if err != nil {
			t.Fatal(err)
		}
		if xt.State != dispatch.Notified || !xt.CanObject || xt.Source != "unit" {
			t.Fatalf("unit assignment %+v", xt)
		}
		tnVM, zlVM := f.owner(tnUnit, access.VehicleManager), f.owner(zlUnit, access.VehicleManager)
		// Not the owner: refused.
		_, err = d.Object(ctx, zlVM, xt.ID, "不同意")
		wantErr(t, err, errs.Forbidden, tnPlate)
		_, err = d.Object(ctx, tnVM, xt.ID, "")
		wantErr(t, err, errs.Invalid)
		if x, err = d.Object(ctx, tnVM, xt.ID, "当日有防汛检查任务"); err != nil || x.State != dispatch.Objected {
			t.Fatalf("object: %+v %v", x, err)
		}
		if x, err = d.Object(ctx, zlVM, xz.ID, "车辆年检"); err != nil {
			t.Fatal(err)
		}
		// The authority decides: upheld keeps the orders, withdrawn cancels them.
		if x, err = d.Decide(ctx, f.city, xt.ID, true, "马拉松保障优先"); err != nil || x.State != dispatch.Upheld {
			t.Fatalf("uphold: %+v %v", x, err)
		}
		if x, err = d.Decide(ctx, f.city, xz.ID, false, "另行安排"); err != nil || x.State != dispatch.Withdrawn {
			t.Fatalf("withdraw: %+v %v", x, err)
		}
		_, err = d.Decide(ctx, f.city, xt.ID, true, "")
		wantErr(t, err, errs.Conflict, tnPlate, "没有待处理的异议")
		for _, c := range []struct {
			vehicle int64
			state   string
		}{{tnBus, "dispatched"}, {zlBus, "cancelled"}} {
			n, err := w.DB.R.NewSelect().Table("orders").Where("task_id = ? AND vehicle_id = ? AND state = ?", task.ID, c.vehicle, c.state).Count(ctx)
			if err != nil || n != 2 {
				t.Errorf("vehicle %d: %d orders %s (%v), want 2", c.vehicle, n, c.state, err)
			}
		}
		// A withdrawn vehicle is free again: the task may take it back.
		if _, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: zlBus, DriverID: zlDriver}); err != nil {
			t.Fatalf("re-assign after withdrawal: %v", err)
		}

		// Conflicts, each refused naming what holds the vehicle; nothing written.
		count := func() int {
			n, err := w.DB.R.NewSelect().Table("orders").Count(ctx)
			if err != nil {
				t.Fatal(err)
			}
			m, _ := w.DB.R.NewSelect().Table("task_assignments").Count(ctx)
			return n*1000 + m
		}
		other, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: "两会保障测试", Kind: "sessions", ObjectionDeadline: start,
			Shifts: []dispatch.ShiftInput{{Name: "开幕", StartAt: start.Add(2 * time.Hour), EndAt: start.Add(4 * time.Hour), Place: "市民广场"}}})
		if err != nil {
			t.Fatal(err)
		}
		var coachOrder string
		if err := w.DB.R.NewSelect().Table("orders").Column("no").Where("task_id = ? AND vehicle_id = ?", task.ID, coach).Order("pickup_at").Limit(1).Scan(ctx, &coachOrder); err != nil {
			t.Fatal(err)
		}
		repair, repairPlate := f.vehicle(jgj, "small", 5)
		f.exec("UPDATE vehicles SET status = 'maintenance' WHERE id = ?", repair)
		sealed, sealedPlate := f.vehicle(jgj, "small", 5)
		f.exec("UPDATE vehicles SET status = 'sealed' WHERE id = ?", sealed)
		booked, bookedPlate := f.vehicle(jgj, "small", 5)
		sedanDriver := f.driver(jgj, "C1")
		f.exec(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations, pickup_at, return_at, state, vehicle_id, driver_id, created_at, updated_at)
			VALUES ('YC-TEST-HOLD', ?, ?, '测试', '接待', 1, '市政府', '["机场"]', ?, ?, 'dispatched', ?, ?, ?, ?)`,
			jgj, f.city.UserID, start.Add(3*time.Hour), start.Add(5*time.Hour), booked, f.driver(jgj, "C1"), time.Now().UTC(), time.Now().UTC())
		van, vanPlate := f.vehicle(jgj, "small", 7)
		before := count()
		for _, c := range []struct {
			name  string
			in    dispatch.AssignInput
			code  errs.Code
			parts []string
		}{
			{"under repair", dispatch.AssignInput{VehicleID: repair, DriverID: sedanDriver}, errs.Conflict, []string{repairPlate, "维修保养"}},
			{"sealed", dispatch.AssignInput{VehicleID: sealed, DriverID: sedanDriver}, errs.Conflict, []string{sealedPlate, "封存"}},
			{"booked", dispatch.AssignInput{VehicleID: booked, DriverID: sedanDriver}, errs.Conflict, []string{bookedPlate, "YC-TEST-HOLD"}},
			{"on another task", dispatch.AssignInput{VehicleID: coach, DriverID: f.driver(jgj, "A1")}, errs.Conflict, []string{coachPlate, "常州马拉松测试", coachOrder}},
			{"driver on another task", dispatch.AssignInput{VehicleID: van, DriverID: tnDriver}, errs.Forbidden, nil}, // 天宁区's driver is the city's, but busy: see below
			{"licence class", dispatch.AssignInput{VehicleID: coach + 0, DriverID: sedanDriver}, errs.Conflict, []string{"准驾车型", "C1", coachPlate}},
		} {
			t.Run(c.name, func(t *testing.T) {
				_, err := d.Assign(ctx, f.city, other.ID, c.in)
				if c.name == "driver on another task" {
					wantErr(t, err, errs.Conflict, "驾驶员", "常州马拉松测试")
					return
				}
				wantErr(t, err, c.code, c.parts...)
			})
		}
		_ = vanPlate
		if after := count(); after != before {
			t.Errorf("refusals wrote something: %d → %d", before, after)
		}

		// An objection after the deadline is refused, naming the deadline.
		late, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: "应急保障测试", Kind: "emergency", ObjectionDeadline: start.Add(-72 * time.Hour),
			Shifts: []dispatch.ShiftInput{{Name: "全天", StartAt: start.Add(48 * time.Hour), EndAt: start.Add(56 * time.Hour), Place: "新北区应急管理局"}}})
		if err != nil {
			t.Fatal(err)
		}
		lateBus, _ := f.vehicle(tnUnit, "medium_bus", 19)
		xl, err := d.Assign(ctx, f.city, late.ID, dispatch.AssignInput{VehicleID: lateBus, DriverID: f.driver(tnUnit, "B1")})
		if err != nil {
			t.Fatal(err)
		}
		f.exec("UPDATE support_tasks SET objection_deadline = ? WHERE id = ?", time.Now().UTC().Add(-time.Minute), late.ID)
		_, err = d.Object(ctx, tnVM, xl.ID, "太晚了")
		wantErr(t, err, errs.Conflict, "异议期限已过", "应急保障测试")

		// The board: the task's vehicles × days, shifts as bars.
		b, err := d.Board(ctx, f.city, task.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Days != 2 || len(b.Rows) != 3 {
			t.Fatalf("board: %d days, %d rows", b.Days, len(b.Rows))
		}
		for _, r := range b.Rows {
			shifts := 0
			for _, bar := range r.Bars {
				if bar.Kind == "shift" {
					shifts++
				}
			}
			if shifts != 2 || !r.Free {
				t.Errorf("board row %s: %d shift bars, conflicts %v", r.Plate, shifts, r.Conflicts)
			}
		}
		// The owner reads the task that holds its vehicle; another district does not.
		if _, err := d.GetTask(ctx, tnVM, task.ID); err != nil {
			t.Errorf("owner reads the task: %v", err)
		}
		_, err = d.GetTask(ctx, f.owner(w.UnitID(t, "新北区应急管理局"), access.VehicleManager), task.ID)
		wantErr(t, err, errs.Forbidden)
		// A district dispatcher cannot assign to the city's task.
		_, err = d.Assign(ctx, w.Actor(t, "tn_dispatcher"), task.ID, dispatch.AssignInput{VehicleID: tnBus, DriverID: tnDriver})
		wantErr(t, err, errs.Forbidden, "常州马拉松测试")
	})
}

// TestTeamOnTask: a team is assigned as a whole; its drivers see their
// shifts and duty days; a district pool reaches only its own subtree.
func TestTeamOnTask(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		tn := w.Actor(t, "tn_admin")
		tnUnit := w.UnitID(t, "天宁区城市管理局")
		v1, _ := f.vehicle(tnUnit, "small", 7)
		v2, _ := f.vehicle(tnUnit, "small", 5)
		d1, d2 := f.driver(tnUnit, "C1"), f.driver(tnUnit, "B1")
		driverUser := w.Actor(t, "tn_dispatcher")
		f.exec("UPDATE drivers SET user_id = ? WHERE id = ?", driverUser.UserID, d1)
		day := beijing.Date(time.Now().AddDate(0, 0, 30))
		in := dispatch.TeamInput{Name: "天宁区保障一班", LeaderID: d1}
		for _, m := range [][2]int64{{d1, v1}, {d2, v2}} {
			in.Members = append(in.Members, struct {
				DriverID  int64 `json:"driver_id"`
				VehicleID int64 `json:"vehicle_id"`
			}{m[0], m[1]})
		}
		in.Duty = append(in.Duty, struct {
			Day      string `json:"day"`
			DriverID int64  `json:"driver_id"`
		}{day, d1})
		team, err := d.CreateTeam(ctx, tn, in)
		if err != nil {
			t.Fatal(err)
		}
		if team.LeaderName == "" || len(team.Members) != 2 || len(team.Duty) != 1 {
			t.Fatalf("team %+v", team)
		}
		_, err = d.CreateTeam(ctx, tn, in)
		wantErr(t, err, errs.Invalid, "天宁区保障一班")
		start := apptest.Workday(30, 8)
		task, err := d.CreateTask(ctx, tn, dispatch.TaskInput{Name: "区两会保障", Kind: "sessions", ObjectionDeadline: start,
			Shifts: []dispatch.ShiftInput{{Name: "上午", StartAt: start, EndAt: start.Add(4 * time.Hour), Place: "天宁区政府"}, {Name: "下午", StartAt: start.Add(5 * time.Hour), EndAt: start.Add(9 * time.Hour), Place: "天宁区政府"}}})
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.AssignTeam(ctx, tn, task.ID, team.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.Assignments) != 2 || got.Assignments[0].State != dispatch.Confirmed || got.Assignments[0].TeamName != "天宁区保障一班" {
			t.Fatalf("team assignments %+v", got.Assignments)
		}
		// Assigning it again is refused as a whole, naming the vehicle.
		_, err = d.AssignTeam(ctx, tn, task.ID, team.ID)
		wantErr(t, err, errs.Conflict, "天宁区保障一班")
		mine, err := d.Mine(ctx, driverUser)
		if err != nil {
			t.Fatal(err)
		}
		if len(mine.Shifts) != 2 || mine.Shifts[0].TaskName != "区两会保障" || len(mine.Duty) != 1 || mine.Duty[0].Day != day {
			t.Fatalf("driver's shifts %+v duty %+v", mine.Shifts, mine.Duty)
		}
		// A district reaches only its own subtree.
		zlBus, zlPlate := f.vehicle(w.UnitID(t, "钟楼区财政局"), "small", 5)
		_, err = d.Assign(ctx, tn, task.ID, dispatch.AssignInput{VehicleID: zlBus, DriverID: d2})
		wantErr(t, err, errs.Forbidden, zlPlate)
		_, err = d.AddToPool(ctx, tn, dispatch.PoolInput{VehicleID: zlBus})
		wantErr(t, err, errs.Forbidden, zlPlate)
	})
}

// TestDemo: the demo's past major event was served from the city pool, a
// support team and units of three districts, with an objection upheld and
// one withdrawn; a task runs from today on the board.
func TestDemo(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		ts, _, err := w.Dispatch.Tasks(ctx, city, dispatch.TaskFilter{Size: 10})
		if err != nil {
			t.Fatal(err)
		}
		byName := map[string]*dispatch.Task{}
		for _, x := range ts {
			byName[x.Name] = x
		}
		m, drill := byName["2026常州马拉松赛事保障"], byName["全市冬季安全生产应急演练保障"]
		if m == nil || drill == nil {
			t.Fatalf("demo tasks: %v", byName)
		}
		d, err := w.Dispatch.GetTask(ctx, city, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		sources, states, owners := map[string]int{}, map[string]int{}, map[string]bool{}
		for _, x := range d.Assignments {
			sources[x.Source]++
			states[x.State]++
			if x.Source == "unit" {
				owners[x.OwnerName] = true
			}
		}
		if sources["pool"] == 0 || sources["team"] == 0 || len(owners) < 3 || states[dispatch.Upheld] != 1 || states[dispatch.Withdrawn] != 1 {
			t.Errorf("marathon: sources %v states %v owners %v", sources, states, owners)
		}
		closed, err := w.DB.R.NewSelect().Table("orders").Where("task_id = ? AND state = 'closed'", m.ID).Count(ctx)
		if err != nil || closed == 0 {
			t.Errorf("marathon's closed orders: %d %v", closed, err)
		}
		b, err := w.Dispatch.Board(ctx, city, drill.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Days != 5 || len(b.Rows) < 3 {
			t.Errorf("today's board: %d days, %d vehicles", b.Days, len(b.Rows))
		}
	})
}
