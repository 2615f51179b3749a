package demo

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/store"
)

// seedBooking fills four months of orders in every state, today's
// dispatch board, standing delegations for half of the units, and
// emergency filings on time, late and overdue. Rows go in in bulk:
// the demo must start in seconds.
func seedBooking(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	r := rand.New(rand.NewPCG(2026, 1125))
	type veh struct {
		ID      int64   `bun:"id"`
		Unit    int64   `bun:"unit_id"`
		Seats   int     `bun:"seats"`
		Drivers []int64 `bun:"-"`
	}
	var vs []*veh
	if err := db.R.NewSelect().Table("vehicles").Column("id", "unit_id", "seats").
		Where("status IN ('available', 'in_use') AND exempt = ?", false).Order("id").Scan(ctx, &vs); err != nil {
		return err
	}
	var matches []struct {
		Vehicle int64 `bun:"vehicle_id"`
		Driver  int64 `bun:"driver_id"`
	}
	if err := db.R.NewSelect().TableExpr("driver_vehicles AS dv").Column("dv.vehicle_id", "dv.driver_id").
		Join("JOIN drivers AS d ON d.id = dv.driver_id").Where("d.active = ? AND d.licence_expiry > ?", true, now.Format(time.DateOnly)).
		Order("dv.driver_id").Scan(ctx, &matches); err != nil {
		return err
	}
	byID := map[int64]*veh{}
	for _, v := range vs {
		byID[v.ID] = v
	}
	for _, m := range matches {
		if v := byID[m.Vehicle]; v != nil {
			v.Drivers = append(v.Drivers, m.Driver)
		}
	}
	byUnit := map[int64][]*veh{}
	var units, fleetUnits []int64
	for _, v := range vs {
		if !slices.Contains(fleetUnits, v.Unit) {
			fleetUnits = append(fleetUnits, v.Unit)
		}
		if len(v.Drivers) == 0 {
			continue
		}
		if byUnit[v.Unit] == nil {
			units = append(units, v.Unit)
		}
		byUnit[v.Unit] = append(byUnit[v.Unit], v)
	}
	if len(units) == 0 {
		return nil
	}
	// 市机关事务管理局 is where the named demo accounts work: a third of the
	// orders are its own, so that every role finds work there.
	home := units[0]
	var jgj int64
	if err := db.R.NewSelect().Table("units").Column("id").Where("name = '市机关事务管理局'").Scan(ctx, &jgj); err == nil && byUnit[jgj] != nil {
		home = jgj
	}

	// An applicant, an approver and a vehicle manager for every unit with
	// vehicles that has none (the named demo accounts cover only a few
	// units), so that no order waits for a role nobody holds. One hash
	// serves them all.
	hash, err := auth.HashPassword(Password)
	if err != nil {
		return err
	}
	type person struct {
		ID   int64
		Name string
	}
	applicants := map[int64][]person{}
	held := map[string]map[int64]bool{} // role → units with a holder
	var existing []struct {
		ID    int64  `bun:"id"`
		Name  string `bun:"real_name"`
		Scope int64  `bun:"scope_id"`
		Role  string `bun:"role"`
	}
	if err := db.R.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name, u.scope_id, r.role").
		Join("JOIN user_roles AS r ON r.user_id = u.id").Scan(ctx, &existing); err != nil {
		return err
	}
	for _, e := range existing {
		if e.Role == "applicant" {
			applicants[e.Scope] = append(applicants[e.Scope], person{e.ID, e.Name})
		}
		if held[e.Role] == nil {
			held[e.Role] = map[int64]bool{}
		}
		held[e.Role][e.Scope] = true
	}
	surnames := []rune("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗")
	givens := []string{"晓东", "丽娟", "建华", "海燕", "志强", "文静", "国庆", "秀英", "俊杰", "雪梅"}
	err = db.Tx(ctx, func(tx bun.Tx) error {
		for _, u := range fleetUnits {
			for k, role := range []string{"applicant", "approver", "vehicle_manager"} {
				if held[role][u] {
					continue
				}
				name := string(surnames[(int(u)+k*7)%len(surnames)]) + givens[(int(u)+k*3)%len(givens)]
				var id int64
				if err := tx.NewRaw(`INSERT INTO users (username, real_name, phone, scope_id, password_hash, must_change_password, active, created_at, updated_at)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, fmt.Sprintf("%s%d", []string{"staff", "approver", "vm"}[k], u), name,
					fmt.Sprintf("139151%d%04d", 9-k, u), u, hash, false, true, now, now).Scan(ctx, &id); err != nil {
					return err
				}
				if _, err := tx.NewRaw("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", id, role).Exec(ctx); err != nil {
					return err
				}
				if role == "applicant" {
					applicants[u] = []person{{id, name}}
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}

	reasons := []string{"参加全市安全生产工作会议", "赴武进区开展专项督查", "接送省厅检查组", "赴金坛区调研乡村振兴工作", "参加市政府常务会议",
		"赴溧阳市开展防汛检查", "陪同领导赴新北区现场办公", "赴市行政中心报送材料", "参加全省视频会议分会场保障", "赴天宁区开展营商环境调研",
		"接待兄弟城市考察团", "赴钟楼区检查重点项目", "赴经开区开展安全检查", "机要文件交换"}
	places := []string{"市行政中心", "市政府东门", "常州站北广场", "常州奔牛国际机场", "武进区政府", "天宁区政府", "新北区政府", "钟楼区政府",
		"金坛区政府", "溧阳市政府", "常州经开区管委会", "市民广场", "常州大剧院", "市人民医院"}
	parking := []string{"市行政中心地下车库B2", "机关大院停车场", "单位定点停车场"}

	type ev struct {
		action, from, to, note string
		at                     time.Time
	}
	type order struct {
		booking.Order
		events []ev
	}
	var orders []*order
	busyV := map[int64][][2]time.Time{}
	busyD := map[int64][][2]time.Time{}
	free := func(b map[int64][][2]time.Time, id int64, from, to time.Time) bool {
		for _, w := range b[id] {
			if from.Before(w[1]) && to.After(w[0]) {
				return false
			}
		}
		return true
	}
	var jgjDriver int64
	_ = db.R.NewSelect().Table("drivers").Column("drivers.id").Join("JOIN users AS u ON u.id = drivers.user_id").Where("u.username = 'jgj_driver'").Scan(ctx, &jgjDriver)

	// Statutory holidays: little use, and a filing for every sealed
	// vehicle that does run.
	cal := &calendar.Calendar{DB: db}
	y := now.In(beijing.Zone).Year()
	if _, err := cal.SeedYears(ctx, y-1, y, y+1); err != nil {
		return err
	}
	holiday, err := calendar.HolidayDates(ctx, db.R, now.AddDate(0, 0, -130), now.AddDate(0, 0, 10))
	if err != nil {
		return err
	}
	var categories = map[int64]string{}
	var cats []struct {
		ID       int64  `bun:"id"`
		Category string `bun:"category"`
	}
	if err := db.R.NewSelect().Table("vehicles").Column("id", "category").Scan(ctx, &cats); err != nil {
		return err
	}
	for _, c := range cats {
		categories[c.ID] = c.Category
	}
	today := beijing.DayStart(now)
	seq := map[string]int{}
	// Whatever the hour the demo starts, some cars are on the road now and
	// one has just finished, waiting for the dispatcher's return to base:
	// their vehicles and drivers are reserved before the months of orders
	// are drawn, which would otherwise leave none free at the busy hours
	// (late morning: the dispatcher had nothing to return).
	type nowOrder struct {
		i           int
		pickup, ret time.Time
		state       string
		v           *veh
		driver      int64
	}
	var nows []nowOrder
	for i, sp := range []struct {
		from, to time.Duration
		state    string
	}{{-time.Hour, 2 * time.Hour, booking.Departed}, {-90 * time.Minute, 3 * time.Hour, booking.Departed}, {-4 * time.Hour, -20 * time.Minute, booking.Finished},
		{20 * time.Hour, 22 * time.Hour, booking.Submitted}, {26 * time.Hour, 28 * time.Hour, booking.PendingConsent}} {
		pickup, ret := now.Add(sp.from).Truncate(time.Minute), now.Add(sp.to).Truncate(time.Minute)
		if sp.state == booking.Submitted { // for the approver: no vehicle yet
			nows = append(nows, nowOrder{i, pickup, ret, sp.state, nil, 0})
			continue
		}
		// The first free car and driver of the office; for the first
		// order jgj_driver's, where he can drive (his task on the road).
		var v *veh
		var driver int64
		for _, c := range byUnit[home] {
			for _, d := range c.Drivers {
				if free(busyV, c.ID, pickup, ret) && free(busyD, d, pickup, ret) && (v == nil || i == 0 && d == jgjDriver && driver != jgjDriver) {
					v, driver = c, d
				}
			}
		}
		if v == nil {
			continue
		}
		busyV[v.ID] = append(busyV[v.ID], [2]time.Time{pickup, ret})
		busyD[driver] = append(busyD[driver], [2]time.Time{pickup, ret})
		nows = append(nows, nowOrder{i, pickup, ret, sp.state, v, driver})
	}
	for day := today.AddDate(0, 0, -120); !day.After(today.AddDate(0, 0, 3)); day = day.AddDate(0, 0, 1) {
		n := 14 + r.IntN(8)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday || holiday[day.Format(time.DateOnly)] {
			n = r.IntN(3)
		}
		for k := 0; k < n; k++ {
			unit := units[r.IntN(len(units))]
			if r.IntN(3) == 0 || (k < 4 && !day.Before(today)) {
				unit = home
			}
			pickup := day.Add(time.Duration(7*60+r.IntN(9*60)) * time.Minute).Truncate(15 * time.Minute)
			ret := pickup.Add(time.Duration(1+r.IntN(6)) * time.Hour)
			cands := byUnit[unit]
			var v *veh
			var driver int64
			for _, i := range r.Perm(len(cands)) {
				c := cands[i]
				if !free(busyV, c.ID, pickup, ret) {
					continue
				}
				for _, d := range c.Drivers {
					if free(busyD, d, pickup, ret) {
						v, driver = c, d
						break
					}
				}
				if v != nil {
					break
				}
			}
			if v == nil {
				continue
			}
			if jgjDriver != 0 && !day.Before(today) && slices.Contains(v.Drivers, jgjDriver) && free(busyD, jgjDriver, pickup, ret) {
				driver = jgjDriver // jgj_driver has tasks today
			}
			app := applicants[unit][r.IntN(len(applicants[unit]))]
			people := 1 + r.IntN(max(1, min(v.Seats-1, 4)))
			dests := fmt.Sprintf(`[%q]`, places[r.IntN(len(places))])
			key := day.Format("20060102")
			seq[key]++
			created := pickup.Add(-time.Duration(2+r.IntN(48)) * time.Hour)
			o := &order{Order: booking.Order{No: fmt.Sprintf("YC%s%04d", key, seq[key]), UnitID: unit, ApplicantID: app.ID, ApplicantName: app.Name,
				Reason: reasons[r.IntN(len(reasons))], Passengers: app.Name + "等", PassengerCount: people, PickupPlace: places[r.IntN(len(places))],
				DestinationsRaw: dests, PickupAt: pickup.UTC(), ReturnAt: ret.UTC(), ApprovalsNeeded: 1, CreatedAt: created.UTC()}}
			add := func(action, from, to, note string, at time.Time) {
				o.events = append(o.events, ev{action, from, to, note, at.UTC()})
			}
			add("submit", "", booking.Submitted, "", created)
			assign := func() {
				vid, did := v.ID, driver
				o.VehicleID, o.DriverID = &vid, &did
				if holiday[day.Format(time.DateOnly)] && categories[v.ID] != "emergency" && categories[v.ID] != "law_enforcement" {
					o.SealedFiling = "节假日值班保障"
				}
				busyV[v.ID] = append(busyV[v.ID], [2]time.Time{pickup, ret})
				busyD[driver] = append(busyD[driver], [2]time.Time{pickup, ret})
			}
			// Pick a fate by where the order lies in time.
			x := r.IntN(100)
			switch {
			case ret.Before(now) && x < 6:
				o.State, o.Note = booking.Cancelled, "会议改期"
				add("cancel", booking.Submitted, booking.Cancelled, o.Note, created.Add(time.Hour))
			case ret.Before(now) && x < 9:
				o.State, o.Note = booking.Returned, "事由不符合公务用车使用范围，请补充会议通知"
				add("return", booking.Submitted, booking.Returned, o.Note, created.Add(2*time.Hour))
			case ret.Before(now):
				assign()
				o.ApprovalsDone, o.Consent = 1, "delegation"
				odo := 20000 + r.IntN(80000)
				end := odo + 8 + r.IntN(120)
				o.StartOdometer, o.EndOdometer = &odo, &end
				dep, fin, back := pickup.Add(-10*time.Minute).UTC(), ret.Add(time.Duration(r.IntN(40)-20)*time.Minute).UTC(), ret.Add(30*time.Minute).UTC()
				o.DepartedAt, o.FinishedAt, o.ReturnedAt, o.ParkingPlace = &dep, &fin, &back, parking[r.IntN(len(parking))]
				add("approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour))
				add("dispatch", booking.Approved, booking.Dispatched, "（车管负责人已长期授权）", created.Add(2*time.Hour))
				add("depart", booking.Dispatched, booking.Departed, fmt.Sprintf("出车里程 %d 公里", odo), dep)
				add("finish", booking.Departed, booking.Finished, fmt.Sprintf("结束里程 %d 公里，本次 %d 公里", end, end-odo), fin)
				add("back", booking.Finished, booking.Back, "停放于 "+o.ParkingPlace, back)
				if now.Sub(ret) < 72*time.Hour && x > 80 {
					o.State = booking.Back
				} else {
					rating := []int{5, 5, 5, 5, 4, 4, 3}[r.IntN(7)]
					rated := back.Add(time.Duration(1+r.IntN(20)) * time.Hour)
					o.State, o.Rating, o.RatingComment, o.RatedAt = booking.Closed, &rating, []string{"准时、稳当", "服务周到", "驾驶平稳", "", "车内整洁"}[r.IntN(5)], &rated
					add("rate", booking.Back, booking.Closed, fmt.Sprintf("%d星 %s", rating, o.RatingComment), rated)
				}
			case pickup.Before(now): // under way
				assign()
				o.ApprovalsDone, o.Consent, o.State = 1, "delegation", booking.Departed
				odo := 20000 + r.IntN(80000)
				dep := pickup.Add(-5 * time.Minute).UTC()
				o.StartOdometer, o.DepartedAt = &odo, &dep
				add("approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour))
				add("dispatch", booking.Approved, booking.Dispatched, "", created.Add(2*time.Hour))
				add("depart", booking.Dispatched, booking.Departed, fmt.Sprintf("出车里程 %d 公里", odo), dep)
			case x < 25:
				o.State = booking.Submitted
			case x < 45:
				o.State, o.ApprovalsDone = booking.Approved, 1
				add("approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour))
			case x < 55:
				assign()
				o.State, o.ApprovalsDone = booking.PendingConsent, 1
				add("approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour))
				add("dispatch", booking.Approved, booking.PendingConsent, "（待车管负责人同意）", created.Add(2*time.Hour))
			default:
				assign()
				o.State, o.ApprovalsDone, o.Consent = booking.Dispatched, 1, "delegation"
				add("approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour))
				add("dispatch", booking.Approved, booking.Dispatched, "", created.Add(2*time.Hour))
			}
			o.UpdatedAt = o.events[len(o.events)-1].at
			orders = append(orders, o)
		}
	}
	// The orders around now, on the vehicles reserved for them above.
	for _, n := range nows {
		i, pickup, ret := n.i, n.pickup, n.ret
		app := applicants[home][0]
		created := pickup.Add(-20 * time.Hour).UTC()
		if n.state == booking.Submitted {
			created = now.Add(-time.Hour).UTC()
		}
		key := pickup.In(beijing.Zone).Format("20060102")
		seq[key]++
		o := &order{Order: booking.Order{No: fmt.Sprintf("YC%s%04d", key, seq[key]), UnitID: home, ApplicantID: app.ID, ApplicantName: app.Name,
			Reason: reasons[i], Passengers: app.Name + "等", PassengerCount: 2, PickupPlace: places[i], DestinationsRaw: fmt.Sprintf(`[%q]`, places[i+4]),
			PickupAt: pickup.UTC(), ReturnAt: ret.UTC(), ApprovalsNeeded: 1, State: n.state, CreatedAt: created}}
		o.events = []ev{{"submit", "", booking.Submitted, "", created}}
		if n.state != booking.Submitted {
			vid, did := n.v.ID, n.driver
			o.VehicleID, o.DriverID, o.ApprovalsDone = &vid, &did, 1
			o.events = append(o.events, ev{"approve", booking.Submitted, booking.Approved, "同意", created.Add(time.Hour)})
		}
		if n.state == booking.PendingConsent {
			o.events = append(o.events, ev{"dispatch", booking.Approved, booking.PendingConsent, "（待车管负责人同意）", created.Add(2 * time.Hour)})
		}
		if n.state == booking.Departed || n.state == booking.Finished {
			odo, dep := 30000+r.IntN(50000), pickup.UTC()
			o.Consent, o.StartOdometer, o.DepartedAt = "delegation", &odo, &dep
			o.events = append(o.events, ev{"dispatch", booking.Approved, booking.Dispatched, "", created.Add(2 * time.Hour)},
				ev{"depart", booking.Dispatched, booking.Departed, fmt.Sprintf("出车里程 %d 公里", odo), dep})
			if n.state == booking.Finished {
				end, fin := odo+46, ret.UTC()
				o.EndOdometer, o.FinishedAt = &end, &fin
				o.events = append(o.events, ev{"finish", booking.Departed, booking.Finished, "结束里程，本次 46 公里", fin})
			}
		}
		o.UpdatedAt = o.events[len(o.events)-1].at
		orders = append(orders, o)
	}
	// Each car's odometer goes on from one order to the next (the mileage
	// rule compares a start reading with the previous order's end reading).
	byCar := slices.Clone(orders)
	slices.SortStableFunc(byCar, func(a, b *order) int {
		va, vb := int64(0), int64(0)
		if a.VehicleID != nil {
			va = *a.VehicleID
		}
		if b.VehicleID != nil {
			vb = *b.VehicleID
		}
		if va != vb {
			return cmp.Compare(va, vb)
		}
		return a.PickupAt.Compare(b.PickupAt)
	})
	reading := map[int64]int{}
	for _, o := range byCar {
		if o.StartOdometer == nil {
			continue
		}
		v := *o.VehicleID
		if reading[v] == 0 {
			reading[v] = 20000 + r.IntN(60000)
		}
		dist, start := 0, reading[v]+r.IntN(3)
		if o.EndOdometer != nil {
			dist = *o.EndOdometer - *o.StartOdometer
			*o.EndOdometer = start + dist
		}
		*o.StartOdometer = start
		reading[v] = start + dist
		for i, e := range o.events {
			switch e.action {
			case "depart":
				o.events[i].note = fmt.Sprintf("出车里程 %d 公里", start)
			case "finish":
				o.events[i].note = fmt.Sprintf("结束里程 %d 公里，本次 %d 公里", start+dist, dist)
			}
		}
	}
	err = db.Tx(ctx, func(tx bun.Tx) error {
		rows := make([]*booking.Order, len(orders))
		for i, o := range orders {
			rows[i] = &o.Order
		}
		if err := insertBatches(ctx, tx, rows, 300); err != nil {
			return err
		}
		var evs []*booking.Event
		for _, o := range orders {
			for _, e := range o.events {
				evs = append(evs, &booking.Event{OrderID: o.ID, At: e.at, ActorName: "演示数据", Action: e.action, FromState: e.from, ToState: e.to, Note: e.note})
			}
		}
		if err := insertBatches(ctx, tx, evs, 500); err != nil {
			return err
		}
		if err := seedHolidayFilings(ctx, tx, rows); err != nil {
			return err
		}
		// Standing delegations for every other unit but 市机关事务管理局, whose
		// vehicle manager consents order by order: both flows show.
		var vm int64
		_ = tx.NewSelect().Table("users").Column("id").Where("username = 'jgj_vm'").Scan(ctx, &vm)
		for i, u := range units {
			if i%2 == 1 && vm != 0 && u != home {
				if _, err := tx.NewInsert().Model(&booking.Delegation{UnitID: u, GrantedBy: vm, GrantedByName: "杨建军", Note: "日常公务派车长期授权", CreatedAt: now}).Exec(ctx); err != nil {
					return err
				}
			}
		}
		// Emergency use filed by the unit: in time and late. The open
		// filings of trips without an order come with their trips
		// (seedSupervision), so that 行程与里程 shows every trip the
		// emergency list asks about.
		first := byUnit[home][0]
		fs := []*booking.Filing{
			{Leader: "王局长", Reason: "暴雨内涝应急排查", StartedAt: now.Add(-20 * 24 * time.Hour), Source: "unit", State: "filed", FiledAt: ptr(now.Add(-19 * 24 * time.Hour))},
			{Leader: "李主任", Reason: "突发火情现场处置", StartedAt: now.Add(-12 * 24 * time.Hour), Source: "unit", State: "filed", FiledAt: ptr(now.Add(-9 * 24 * time.Hour)), FiledLate: true},
		}
		for i, f := range fs {
			v := first
			if i == 0 {
				v = byUnit[units[len(units)/2]][0]
			}
			f.UnitID, f.VehicleID, f.DeadlineAt, f.CreatedAt = v.Unit, v.ID, f.StartedAt.Add(booking.FilingDeadline), f.StartedAt.Add(time.Hour)
			end := f.StartedAt.Add(3 * time.Hour)
			f.EndedAt = &end
			if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slog.Info("demo orders created", "orders", len(orders), "took", time.Since(start).Round(time.Millisecond))
	return nil
}

func ptr[T any](v T) *T { return &v }

// seedHolidayFilings files the demo's holiday use of sealed vehicles with
// the authority: the level above the unit reviewed the older ones,
// returned one, and the two latest wait for its review.
func seedHolidayFilings(ctx context.Context, tx bun.Tx, orders []*booking.Order) error {
	var sealed []*booking.Order
	for _, o := range orders {
		if o.SealedFiling != "" {
			sealed = append(sealed, o)
		}
	}
	slices.SortFunc(sealed, func(a, b *booking.Order) int { return a.PickupAt.Compare(b.PickupAt) })
	var units []struct {
		ID       int64  `bun:"id"`
		Path     string `bun:"path"`
		District *int64 `bun:"district_id"`
	}
	if err := tx.NewSelect().Table("units").Column("id", "path", "district_id").Scan(ctx, &units); err != nil {
		return err
	}
	var admins []struct {
		Scope int64  `bun:"scope_id"`
		Name  string `bun:"real_name"`
	}
	if err := tx.NewSelect().TableExpr("users AS u").ColumnExpr("u.scope_id, u.real_name").Join("JOIN user_roles AS r ON r.user_id = u.id").
		Where("r.role = 'platform_admin'").Order("u.id").Scan(ctx, &admins); err != nil {
		return err
	}
	adminOf := map[int64]string{}
	for _, a := range admins {
		if adminOf[a.Scope] == "" {
			adminOf[a.Scope] = a.Name
		}
	}
	authority := map[int64]int64{}
	var city int64
	for _, u := range units {
		if strings.Count(u.Path, "/") == 2 {
			city = u.ID
		}
	}
	for _, u := range units {
		authority[u.ID] = city
		if u.District != nil && *u.District != u.ID {
			authority[u.ID] = *u.District
		}
	}
	var names []*calendar.Day
	if err := tx.NewSelect().Model(&names).Where("kind = 'holiday'").Scan(ctx); err != nil {
		return err
	}
	holiday := map[string]string{}
	for _, d := range names {
		holiday[d.Day] = d.Name
	}
	for i, o := range sealed {
		day := beijing.Date(o.PickupAt)
		f := &booking.HolidayFiling{OrderID: o.ID, UnitID: o.UnitID, AuthorityID: authority[o.UnitID], VehicleID: *o.VehicleID,
			Holiday: fmt.Sprintf("%s %s 法定节假日封存", day, holiday[day]), Reason: o.SealedFiling, State: booking.FilingApproved,
			FiledByName: "调度员", FiledAt: o.CreatedAt.Add(2 * time.Hour)}
		switch {
		case i >= len(sealed)-2:
			f.State = booking.FilingPending
		default:
			at := f.FiledAt.Add(20 * time.Hour)
			f.ReviewedByName, f.ReviewedAt = adminOf[f.AuthorityID], &at
			if i == len(sealed)-3 {
				f.State, f.ReviewNote = booking.FilingReturned, "请补充值班安排文件，说明不能使用应急保障车辆的原因"
			}
		}
		if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
