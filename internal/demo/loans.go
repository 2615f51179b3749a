package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/loans"
	"govfleet/internal/savings"
	"govfleet/internal/store"
)

// demoRates are the rates (fen) of each vehicle type, from 2020 on: the
// internal tariff, the paid-use tariff charged to partner cities' and
// visiting officials (about 35 % below the market, as Changzhou publishes
// it) and the market reference prices as Changzhou publishes them (1,620
// 元 a day for a minibus, 1,150 元 for a business van).
var demoRates = []struct {
	typ                       string
	day, half, km             int64
	paidDay, paidHalf, paidKm int64
	marketDay, marketHalfDay  int64
}{
	{"sedan", 30000, 18000, 120, 20000, 12000, 80, 50000, 30000},
	{"business_van", 60000, 35000, 150, 45000, 26000, 120, 115000, 70000},
	{"minibus", 80000, 45000, 200, 72000, 42000, 200, 162000, 90000},
	{"coach", 120000, 70000, 300, 110000, 65000, 300, 240000, 140000},
}

// seedRates writes the demo's rates (收费标准与市场价), before anything is
// priced: partner cities' trips, visitors' paid uses, loans.
func seedRates(ctx context.Context, db *store.DB, now time.Time) error {
	// A new database holds the paid-use tariff the visitors' former table
	// was seeded with (migrated to rates): the demo's replaces it.
	if _, err := db.W.NewDelete().Model((*savings.Rate)(nil)).Where("kind = ?", savings.PaidUse).Exec(ctx); err != nil {
		return fmt.Errorf("demo rates: %w", err)
	}
	for _, r := range demoRates {
		for _, x := range []struct {
			kind          string
			day, half, km int64
		}{{savings.Tariff, r.day, r.half, r.km}, {savings.PaidUse, r.paidDay, r.paidHalf, r.paidKm}, {savings.Market, r.marketDay, r.marketHalfDay, 0}} {
			if _, err := db.W.NewInsert().Model(&savings.Rate{Kind: x.kind, VehicleType: r.typ, DayFen: x.day, HalfDayFen: x.half, KmFen: x.km,
				ValidFrom: "2020-01-01", Note: "演示标准", UpdatedAt: now}).Exec(ctx); err != nil {
				return fmt.Errorf("demo rates: %w", err)
			}
		}
	}
	return nil
}

// seedLoans lays out cross-district loans over the four months
// before now's, each used on orders of the borrower's units and settled
// monthly — confirmed by both sides, last month's still pending — and one
// loan under way today: 天宁区 drives a van of 武进区 whose simulated
// terminal moves on 天宁区's live map (fleet.BoundPhones puts vehicles on
// loan first among those the demo fleet drives).
func seedLoans(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	ids := map[string]int64{}
	var nodes []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	if err := db.R.NewSelect().Table("units").Column("id", "name").Scan(ctx, &nodes); err != nil {
		return err
	}
	for _, n := range nodes {
		ids[n.Name] = n.ID
	}
	var city struct {
		ID   int64  `bun:"id"`
		Name string `bun:"real_name"`
	}
	if err := db.R.NewSelect().Table("users").Column("id", "real_name").Where("username = 'city_admin'").Scan(ctx, &city); err != nil {
		return err
	}
	month := beijing.MonthStart(now)
	pairs := []struct{ borrower, lender, unit, reason string }{
		{"天宁区", "武进区", "天宁区城市管理局", "区两会会务保障"},
		{"钟楼区", "新北区", "钟楼区财政局", "全区财政检查接送"},
	}
	n := 0
	for m := 4; m >= 1; m-- {
		first := month.AddDate(0, -m, 0)
		for k, p := range pairs {
			n++
			from := first.AddDate(0, 0, 8+7*k).Add(7 * time.Hour)
			to := from.AddDate(0, 0, 4).Add(12 * time.Hour)
			if err := pastLoan(ctx, db, ids, city.ID, city.Name, p.borrower, p.lender, p.unit, p.reason, from, to, n); err != nil {
				return fmt.Errorf("demo loan: %w", err)
			}
		}
	}
	if err := todaysLoan(ctx, db, ids, city.ID, now); err != nil {
		return fmt.Errorf("demo loan today: %w", err)
	}
	// The statements of those months, generated as the city would; all
	// but last month's were confirmed by both sides.
	sv := &savings.Service{DB: db, Now: func() time.Time { return now }}
	actor := &access.Actor{UserID: city.ID, Username: "city_admin", Name: city.Name, ScopeID: ids["常州市"], ScopePath: "/" + fmt.Sprint(ids["常州市"]) + "/",
		ScopeKind: "city", Roles: []access.Role{access.PlatformAdmin}}
	if err := db.R.NewSelect().Table("units").Column("path").Where("id = ?", ids["常州市"]).Scan(ctx, &actor.ScopePath); err != nil {
		return err
	}
	for m := 4; m >= 1; m-- {
		mon := beijing.Month(month.AddDate(0, -m, 0))
		if _, err := sv.Generate(ctx, actor, mon); err != nil {
			return fmt.Errorf("demo settlements %s: %w", mon, err)
		}
		if m == 1 {
			continue
		}
		at := month.AddDate(0, -m+1, 3).Add(2 * time.Hour).UTC()
		if _, err := db.W.NewRaw(`UPDATE settlements SET state = ?, lender_confirmed_by = COALESCE((SELECT u.real_name FROM users AS u JOIN user_roles AS r ON r.user_id = u.id
			WHERE u.scope_id = settlements.lender_id AND r.role IN ('platform_admin', 'unit_admin') ORDER BY u.id LIMIT 1), '单位经办人'), lender_confirmed_at = ?,
			borrower_confirmed_by = COALESCE((SELECT u.real_name FROM users AS u JOIN user_roles AS r ON r.user_id = u.id
			WHERE u.scope_id = settlements.borrower_id AND r.role IN ('platform_admin', 'unit_admin') ORDER BY u.id LIMIT 1), '单位经办人'), borrower_confirmed_at = ?
			WHERE month = ?`, savings.Confirmed, at, at.Add(26*time.Hour), mon).Exec(ctx); err != nil {
			return err
		}
	}
	var st int
	db.R.NewSelect().Table("settlements").ColumnExpr("COUNT(*)").Scan(ctx, &st)
	slog.Info("demo loans and settlements created", "loans", n+1, "settlements", st, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// freeVehicle picks a vehicle of the lender's units with a matched driver,
// both free of orders and loans over [from, to]; with terminal, one fitted
// with a terminal.
func freeVehicle(ctx context.Context, db bun.IDB, lender int64, from, to time.Time, seats [2]int, terminal bool) (vehicle, driver int64, err error) {
	var rows []struct {
		V int64 `bun:"v"`
		D int64 `bun:"d"`
	}
	holding := bun.In([]string{booking.PendingConsent, booking.Dispatched, booking.Departed, booking.Finished, booking.Back, booking.Closed})
	q := db.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id AS v, MIN(dv.driver_id) AS d").
		Join("JOIN units AS u ON u.id = v.unit_id").Join("JOIN driver_vehicles AS dv ON dv.vehicle_id = v.id").
		Join("JOIN drivers AS d ON d.id = dv.driver_id AND d.active").
		Where("u.parent_id = ? AND v.status IN ('available', 'in_use') AND v.exempt = ? AND v.seats BETWEEN ? AND ?", lender, false, seats[0], seats[1]).
		Where("NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.vehicle_id = v.id AND o.state IN (?) AND o.pickup_at < ? AND o.return_at > ?)", holding, to, from.Add(-24*time.Hour)).
		Where("NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.driver_id = dv.driver_id AND o.state IN (?) AND o.pickup_at < ? AND o.return_at > ?)", holding, to, from.Add(-24*time.Hour)).
		Where("NOT EXISTS (SELECT 1 FROM loan_vehicles AS lv WHERE lv.vehicle_id = v.id)").
		GroupExpr("v.id").Limit(1)
	if terminal {
		q = q.Where("EXISTS (SELECT 1 FROM terminals AS t WHERE t.vehicle_id = v.id)").
			OrderExpr("(SELECT MIN(t.id) FROM terminals AS t WHERE t.vehicle_id = v.id)")
	}
	q = q.OrderExpr("v.id")
	if err := q.Scan(ctx, &rows); err != nil {
		return 0, 0, err
	}
	if len(rows) == 0 {
		return 0, 0, fmt.Errorf("no free vehicle of unit %d", lender)
	}
	return rows[0].V, rows[0].D, nil
}

func insertLoan(ctx context.Context, tx bun.IDB, l *loans.Loan, vehicle int64) error {
	if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
		return err
	}
	_, err := tx.NewRaw("INSERT INTO loan_vehicles (loan_id, vehicle_id) VALUES (?, ?)", l.ID, vehicle).Exec(ctx)
	return err
}

// pastLoan is a returned loan of a business van or minibus used on three
// closed orders of the borrower's unit.
func pastLoan(ctx context.Context, db *store.DB, ids map[string]int64, cityID int64, cityName, borrower, lender, unit, reason string, from, to time.Time, n int) error {
	seats := [2]int{6, 9}
	if n%2 == 0 {
		seats = [2]int{10, 19}
	}
	v, d, err := freeVehicle(ctx, db.R, ids[lender], from, to, seats, false)
	if err != nil {
		v, d, err = freeVehicle(ctx, db.R, ids[lender], from, to, [2]int{2, 60}, false)
		if err != nil {
			return err
		}
	}
	requester, applicant := userOf(ctx, db, borrower+"调度员"), userOf(ctx, db, unit)
	return db.Tx(ctx, func(tx bun.Tx) error {
		req := from.AddDate(0, 0, -5)
		dec := req.Add(3 * time.Hour)
		l := &loans.Loan{No: fmt.Sprintf("JD%s%03d", req.In(beijing.Zone).Format("20060102"), 1), BorrowerID: ids[borrower], LenderID: ids[lender],
			Count: 1, WithDriver: true, From: from.UTC(), To: to.UTC(), Reason: reason, State: loans.Returned, RequestedBy: requester.ID,
			RequestedName: requester.Name, RequestedAt: req.UTC(), DecidedBy: &cityID, DecidedName: cityName, DecidedAt: &dec, DecisionNote: "同意，按期归还",
			ReturnedAt: &to, ReturnedName: requester.Name}
		if n%2 == 0 {
			l.DecidedName, l.DecisionNote = lenderAdmin(ctx, tx, ids[lender]), "同意"
		}
		if err := insertLoan(ctx, tx, l, v); err != nil {
			return err
		}
		odo := 30000 + 500*n
		for k := range 3 {
			dep := from.AddDate(0, 0, k).Add(time.Duration(k+1) * time.Hour) // 08:00, 09:00, 10:00 Beijing
			back := dep.Add(time.Duration(3+k*4) * time.Hour)
			if k == 2 {
				back = dep.Add(26 * time.Hour) // across the night: a day and a half day
				if back.After(to) {
					back = to.Add(-time.Hour)
				}
			}
			km := 35 + 40*k
			start, end := odo, odo+km
			odo = end + 3
			o := &booking.Order{No: fmt.Sprintf("YC%s%04d", dep.In(beijing.Zone).Format("20060102"), 8000+10*n+k), UnitID: ids[unit],
				ApplicantID: applicant.ID, ApplicantName: applicant.Name, Reason: reason, Passengers: applicant.Name + "等", PassengerCount: 5,
				PickupPlace: borrower + "行政中心", DestinationsRaw: `["会场","驻地宾馆"]`, PickupAt: dep, ReturnAt: back, ApprovalsNeeded: 1, ApprovalsDone: 1,
				State: booking.Closed, VehicleID: &v, DriverID: &d, Consent: "loan", StartOdometer: &start, EndOdometer: &end,
				DepartedAt: &dep, FinishedAt: &back, ReturnedAt: &back, ParkingPlace: "借出单位停车场", CreatedAt: dep.AddDate(0, 0, -1), UpdatedAt: back}
			if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
				return err
			}
			evs := []*booking.Event{
				{OrderID: o.ID, At: o.CreatedAt, ActorName: applicant.Name, Action: "submit", ToState: booking.Submitted},
				{OrderID: o.ID, At: o.CreatedAt.Add(time.Hour), ActorName: "演示数据", Action: "dispatch", FromState: booking.Approved, ToState: booking.Dispatched, Note: "借调车辆，借出方已批准借调（" + l.No + "）"},
				{OrderID: o.ID, At: dep, ActorName: "演示数据", Action: "depart", FromState: booking.Dispatched, ToState: booking.Departed, Note: fmt.Sprintf("出车里程 %d 公里", start)},
				{OrderID: o.ID, At: back, ActorName: "演示数据", Action: "back", FromState: booking.Finished, ToState: booking.Back, Note: fmt.Sprintf("结束里程 %d 公里，本次 %d 公里", end, km)},
			}
			if _, err := tx.NewInsert().Model(&evs).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

type person struct {
	ID   int64  `bun:"id"`
	Name string `bun:"real_name"`
}

// userOf returns the dispatcher of a district ("天宁区调度员") or an
// applicant of a unit.
func userOf(ctx context.Context, db *store.DB, what string) person {
	var p person
	q := db.R.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name").Join("JOIN units AS n ON n.id = u.scope_id").
		Join("JOIN user_roles AS r ON r.user_id = u.id")
	if name, ok := cutSuffix(what, "调度员"); ok {
		q = q.Where("n.name = ? AND r.role = 'dispatcher'", name)
	} else {
		q = q.Where("n.name = ? AND r.role IN ('applicant', 'approver')", what)
	}
	if err := q.OrderExpr("u.id").Limit(1).Scan(ctx, &p); err != nil {
		_ = db.R.NewSelect().Table("users").Column("id", "real_name").Where("username = 'city_admin'").Scan(ctx, &p)
	}
	return p
}

func cutSuffix(s, suffix string) (string, bool) {
	if len(s) > len(suffix) && s[len(s)-len(suffix):] == suffix {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

func lenderAdmin(ctx context.Context, db bun.IDB, node int64) string {
	var name string
	_ = db.NewSelect().TableExpr("users AS u").Column("u.real_name").Join("JOIN user_roles AS r ON r.user_id = u.id AND r.role = 'platform_admin'").
		Where("u.scope_id = ?", node).OrderExpr("u.id").Limit(1).Scan(ctx, &name)
	return name
}

// todaysLoan lends 天宁区 a van of 武进区 with its driver from the start of
// today for three days, under way now on an order of 天宁区城市管理局.
func todaysLoan(ctx context.Context, db *store.DB, ids map[string]int64, cityID int64, now time.Time) error {
	from := beijing.DayStart(now).UTC()
	to := from.AddDate(0, 0, 3).Add(-time.Hour)
	v, d, err := freeVehicle(ctx, db.R, ids["武进区"], from, to, [2]int{2, 60}, true)
	if err != nil {
		return err
	}
	requester, applicant := userOf(ctx, db, "天宁区调度员"), userOf(ctx, db, "天宁区城市管理局")
	wjAdmin := ids["武进区"]
	return db.Tx(ctx, func(tx bun.Tx) error {
		req := from.Add(-30 * time.Hour)
		dec := req.Add(2 * time.Hour)
		l := &loans.Loan{No: "JD" + req.In(beijing.Zone).Format("20060102") + "009", BorrowerID: ids["天宁区"], LenderID: wjAdmin, Count: 1, WithDriver: true,
			From: from, To: to, Reason: "城市管理专项整治督查（跨区借调）", State: loans.Approved, RequestedBy: requester.ID, RequestedName: requester.Name,
			RequestedAt: req, DecidedBy: &cityID, DecidedName: lenderAdmin(ctx, tx, wjAdmin), DecidedAt: &dec, DecisionNote: "同意，带驾驶员"}
		if err := insertLoan(ctx, tx, l, v); err != nil {
			return err
		}
		dep := now.Add(-80 * time.Minute).Truncate(time.Minute)
		ret := beijing.DayStart(now).AddDate(0, 0, 1).UTC()
		if min := now.Add(4 * time.Hour).Truncate(time.Hour); ret.Before(min) {
			ret = min
		}
		if ret.After(to) {
			ret = to
		}
		odo := 41200
		o := &booking.Order{No: fmt.Sprintf("YC%s%04d", dep.In(beijing.Zone).Format("20060102"), 8900), UnitID: ids["天宁区城市管理局"],
			ApplicantID: applicant.ID, ApplicantName: applicant.Name, Reason: "城市管理专项整治督查", Passengers: applicant.Name + "等", PassengerCount: 5,
			PickupPlace: "天宁区行政中心", DestinationsRaw: `["红梅街道","茶山街道"]`, PickupAt: dep.Add(10 * time.Minute), ReturnAt: ret, ApprovalsNeeded: 1,
			ApprovalsDone: 1, State: booking.Departed, VehicleID: &v, DriverID: &d, Consent: "loan", StartOdometer: &odo, DepartedAt: &dep,
			CreatedAt: dep.Add(-20 * time.Hour), UpdatedAt: dep}
		if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
			return err
		}
		evs := []*booking.Event{
			{OrderID: o.ID, At: o.CreatedAt, ActorName: applicant.Name, Action: "submit", ToState: booking.Submitted},
			{OrderID: o.ID, At: o.CreatedAt.Add(time.Hour), ActorName: requester.Name, Action: "dispatch", FromState: booking.Approved, ToState: booking.Dispatched, Note: "借调车辆，借出方已批准借调（" + l.No + "）"},
			{OrderID: o.ID, At: dep, ActorName: "演示数据", Action: "depart", FromState: booking.Dispatched, ToState: booking.Departed, Note: fmt.Sprintf("出车里程 %d 公里", odo)},
		}
		_, err := tx.NewInsert().Model(&evs).Exec(ctx)
		return err
	})
}
