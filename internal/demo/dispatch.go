package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/dispatch"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// seedDispatch adds integrated dispatch (R-16, issue 21): the city's pool
// (coaches, minibuses and vans with their drivers) and 天宁区's, a support
// team of 天宁区 with its rota, a past major event — 常州马拉松, served from
// the city pool, the team and units of three districts (one owner's
// objection upheld, one withdrawn) — and a task running from today for five
// days on the board, with an objection waiting for the city. Everything goes
// through the service, so orders, audit entries and notifications are as
// in real use.
func seedDispatch(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	c := &clock{t: now}
	d := &dispatch.Service{DB: db, Notify: &notify.Notifier{DB: db}, Now: c.now}
	who := map[string]*access.Actor{}
	for _, u := range []string{"city_admin", "city_dispatcher", "tn_admin", "zl_admin", "xb_admin"} {
		a, err := actorOf(ctx, db, u)
		if err != nil {
			return err
		}
		who[u] = a
	}
	city, tn := who["city_admin"], who["tn_admin"]

	// Vehicles with a matched driver allowed to drive them, by district
	// ("" the city's own units) and type, in id order.
	type pair struct{ vehicle, driver int64 }
	var rows []struct {
		Vehicle  int64  `bun:"vehicle_id"`
		Driver   int64  `bun:"driver_id"`
		Class    string `bun:"vehicle_class"`
		Seats    int    `bun:"seats"`
		Licence  string `bun:"licence_class"`
		District string `bun:"district"`
	}
	if err := db.R.NewSelect().TableExpr("driver_vehicles AS dv").
		ColumnExpr("dv.vehicle_id, dv.driver_id, v.vehicle_class, v.seats, dr.licence_class, COALESCE(dn.name, '') AS district").
		Join("JOIN vehicles AS v ON v.id = dv.vehicle_id").
		Join("JOIN drivers AS dr ON dr.id = dv.driver_id").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Join("LEFT JOIN units AS dn ON dn.id = u.district_id AND dn.kind = 'district'").
		Where("v.status = 'available' AND v.exempt = ? AND dr.active = ?", false, true).
		OrderExpr("dv.vehicle_id, dv.driver_id").Scan(ctx, &rows); err != nil {
		return err
	}
	used := map[int64]bool{}
	usedDriver := map[int64]bool{}
	// free are the vehicles free for a task's shifts (nil: any).
	var free map[int64]bool
	freeFor := func(task int64) error {
		ss, _, err := d.Candidates(ctx, city, task, "", "", 1, 0)
		if err != nil {
			return err
		}
		free = map[int64]bool{}
		for _, x := range ss {
			if x.Free {
				free[x.VehicleID] = true
			}
		}
		return nil
	}
	take := func(district, vtype string, n int) []pair {
		var out []pair
		for _, r := range rows {
			if len(out) == n {
				break
			}
			if r.District != district || used[r.Vehicle] || usedDriver[r.Driver] || dispatch.TypeOf(r.Class, r.Seats) != vtype || !check.LicenceAllows(r.Licence, r.Class) ||
				(free != nil && !free[r.Vehicle]) {
				continue
			}
			used[r.Vehicle], usedDriver[r.Driver] = true, true
			out = append(out, pair{r.Vehicle, r.Driver})
		}
		return out
	}
	level := func(name string) (int64, error) {
		var id int64
		err := db.R.NewSelect().Table("units").Column("id").Where("name = ?", name).Scan(ctx, &id)
		return id, err
	}
	cityID, err := level("常州市")
	if err != nil {
		return err
	}
	tnID, err := level("天宁区")
	if err != nil {
		return err
	}

	today := beijing.DayStart(now)
	// The pools: the city's coaches, minibuses and vans with their drivers
	// (one minibus without), 天宁区's vans.
	c.t = now.AddDate(0, -3, 0)
	var cityPool []pair
	for _, t := range []struct {
		vtype string
		n     int
	}{{"coach", 3}, {"minibus", 4}, {"van", 4}} {
		cityPool = append(cityPool, take("", t.vtype, t.n)...)
	}
	for i, p := range cityPool {
		in := dispatch.PoolInput{LevelID: cityID, VehicleID: p.vehicle, DriverID: p.driver, Note: "重大活动统筹保障"}
		if i == 3 {
			in.DriverID, in.Note = 0, "不带驾驶员，由保障班组派驾驶员"
		}
		if _, err := d.AddToPool(ctx, city, in); err != nil {
			return fmt.Errorf("city pool: %w", err)
		}
	}
	tnPool := take("天宁区", "van", 2)
	for _, p := range tnPool {
		if _, err := d.AddToPool(ctx, tn, dispatch.PoolInput{LevelID: tnID, VehicleID: p.vehicle, DriverID: p.driver}); err != nil {
			return fmt.Errorf("天宁区 pool: %w", err)
		}
	}

	// 常州马拉松, 40 days ago: the expo's eve and the race day.
	race := today.AddDate(0, 0, -40)
	c.t = race.AddDate(0, 0, -10)
	marathon, err := d.CreateTask(ctx, city, dispatch.TaskInput{Name: "2026常州马拉松赛事保障", Kind: "event",
		Description: "赛事接驳、医疗与裁判转运、物资运输", ObjectionDeadline: race.AddDate(0, 0, -5).Add(18 * time.Hour),
		Shifts: []dispatch.ShiftInput{
			{Name: "赛前物资运输", StartAt: race.AddDate(0, 0, -1).Add(14 * time.Hour), EndAt: race.AddDate(0, 0, -1).Add(18 * time.Hour), Place: "常州奥体中心", Route: "市体育局仓库—奥体中心"},
			{Name: "比赛日接驳", StartAt: race.Add(5 * time.Hour), EndAt: race.Add(14 * time.Hour), Place: "常州奥体中心", Route: "奥体中心—龙城大道—青果巷—奥体中心"}},
		Needs: []dispatch.NeedInput{{VehicleType: "coach", Count: 3}, {VehicleType: "minibus", Count: 4}, {VehicleType: "van", Count: 3}, {VehicleType: "sedan", Count: 2}}})
	if err != nil {
		return fmt.Errorf("marathon: %w", err)
	}
	if err := freeFor(marathon.ID); err != nil {
		return err
	}
	// 天宁区's team: three drivers with their cars, a leader, on duty in turn.
	members := append(take("天宁区", "sedan", 2), take("天宁区", "minibus", 1)...)
	team := dispatch.TeamInput{Name: "天宁区应急保障班组", LeaderID: members[0].driver, Note: "全天候备勤，30分钟内集结"}
	for _, m := range members {
		team.Members = append(team.Members, struct {
			DriverID  int64 `json:"driver_id"`
			VehicleID int64 `json:"vehicle_id"`
		}{m.driver, m.vehicle})
	}
	for i := -7; i < 14; i++ {
		team.Duty = append(team.Duty, struct {
			Day      string `json:"day"`
			DriverID int64  `json:"driver_id"`
		}{beijing.Date(today.AddDate(0, 0, i)), members[(i+21)%len(members)].driver})
	}
	t, err := d.CreateTeam(ctx, tn, team)
	if err != nil {
		return fmt.Errorf("team: %w", err)
	}

	assign := func(task int64, p pair) (*dispatch.Assignment, error) {
		return d.Assign(ctx, who["city_dispatcher"], task, dispatch.AssignInput{VehicleID: p.vehicle, DriverID: p.driver})
	}
	for i, p := range cityPool {
		if i == 3 { // the pool's minibus without a driver stays home
			continue
		}
		_, _ = assign(marathon.ID, p) // a vehicle the demo's orders held that day stays out
	}
	if _, err := d.AssignTeam(ctx, city, marathon.ID, t.ID); err != nil {
		return fmt.Errorf("marathon team: %w", err)
	}
	// Three districts' units: 钟楼区 objects and is upheld, 新北区 objects and is withdrawn.
	var objected []*dispatch.Assignment
	for _, dist := range []string{"钟楼区", "新北区", "武进区"} {
		ps := take(dist, "van", 1)
		if len(ps) == 0 {
			ps = take(dist, "sedan", 1)
		}
		for _, p := range ps {
			if x, err := assign(marathon.ID, p); err == nil {
				objected = append(objected, x)
			}
		}
	}
	c.t = race.AddDate(0, 0, -7)
	if len(objected) >= 2 {
		if _, err := d.Object(ctx, who["zl_admin"], objected[0].ID, "该车当日承担区领导接待任务"); err != nil {
			return fmt.Errorf("objection: %w", err)
		}
		if _, err := d.Object(ctx, who["xb_admin"], objected[1].ID, "车辆计划当周进厂保养"); err != nil {
			return fmt.Errorf("objection: %w", err)
		}
		c.t = race.AddDate(0, 0, -6)
		if _, err := d.Decide(ctx, city, objected[0].ID, true, "赛事保障优先，区领导接待改由区车辆池保障"); err != nil {
			return err
		}
		if _, err := d.Decide(ctx, city, objected[1].ID, false, "同意，改由市级车辆池补足"); err != nil {
			return err
		}
	}
	// The race ran: its orders closed, with odometers.
	if _, err := db.W.NewRaw(`UPDATE orders SET state = 'closed', departed_at = pickup_at, finished_at = return_at, returned_at = return_at,
		start_odometer = 30000 + id % 50000, end_odometer = 30000 + id % 50000 + 25 + id % 60, parking_place = '常州奥体中心停车场'
		WHERE task_id = ? AND state = 'dispatched'`, marathon.ID).Exec(ctx); err != nil {
		return err
	}

	// Today's task, five days from this morning on the board.
	c.t = now.Add(-26 * time.Hour)
	var shifts []dispatch.ShiftInput
	for i := range 5 {
		day := today.AddDate(0, 0, i)
		shifts = append(shifts, dispatch.ShiftInput{Name: fmt.Sprintf("第%d天", i+1), StartAt: day.Add(8 * time.Hour), EndAt: day.Add(17*time.Hour + 30*time.Minute),
			Place: "常州市民广场", Route: "市民广场—市行政中心—各分会场"})
	}
	drill, err := d.CreateTask(ctx, city, dispatch.TaskInput{Name: "全市冬季安全生产应急演练保障", Kind: "emergency",
		Description: "演练人员及物资转运，各区按通知派车", ObjectionDeadline: today.AddDate(0, 0, 1).Add(12 * time.Hour), Shifts: shifts,
		Needs: []dispatch.NeedInput{{VehicleType: "coach", Count: 2}, {VehicleType: "minibus", Count: 3}, {VehicleType: "van", Count: 3}}})
	if err != nil {
		return fmt.Errorf("drill: %w", err)
	}
	if err := freeFor(drill.ID); err != nil {
		return err
	}
	_, _ = d.AssignTeam(ctx, city, drill.ID, t.ID) // its members free these days, else the pool serves
	for _, p := range append(take("", "coach", 2), take("", "minibus", 2)...) {
		if _, err := assign(drill.ID, p); err != nil {
			continue // a vehicle the demo's orders hold these days: the next one
		}
	}
	for _, p := range tnPool {
		if _, err := d.Assign(ctx, who["city_dispatcher"], drill.ID, dispatch.AssignInput{VehicleID: p.vehicle, DriverID: p.driver}); err != nil {
			continue
		}
	}
	var pending []*dispatch.Assignment
	for _, dist := range []string{"武进区", "金坛区"} {
		for _, p := range take(dist, "van", 1) {
			if x, err := assign(drill.ID, p); err == nil {
				pending = append(pending, x)
			}
		}
	}
	if len(pending) > 0 {
		c.t = now.Add(-2 * time.Hour)
		wj, err := actorOf(ctx, db, "wj_admin")
		if err == nil {
			_, _ = d.Object(ctx, wj, pending[0].ID, "该车本周承担区防汛检查任务，建议改派")
		}
	}
	slog.Info("demo integrated dispatch created", "pool", len(cityPool)+len(tnPool), "tasks", 2, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
