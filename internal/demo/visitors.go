package demo

import (
	"context"
	"fmt"
	"log/slog"
	"regexp"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/notify"
	"govfleet/internal/rental"
	"govfleet/internal/ridehail"
	"govfleet/internal/store"
	"govfleet/internal/visitors"
)

// VisitorMobile is the demo visitor's mobile (王海燕 of 南京, verified),
// who logs in on the phone's 来访人员登录 with the demo password.
const VisitorMobile = "13905190201"

// VisitorPassword is the demo visitors' password: chosen at registration,
// it must pass the password policy, which the accounts' Password does not.
const VisitorPassword = "Laifang#Cz2026"

// demoSMS keeps the codes the demo's registrations are sent.
type demoSMS struct {
	mu   sync.Mutex
	last map[string]string
}

func (d *demoSMS) Send(_ context.Context, phone, text string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.last[phone] = regexp.MustCompile(`\d{6}`).FindString(text)
	return nil
}

// wuxi stands for the partner platform of 无锡 (issue 22 part 1): it
// confirms its officials.
type wuxi struct{}

func (wuxi) VerifyVisitor(_ context.Context, city, _, _, _ string) (visitors.Verdict, error) {
	if city == "无锡" {
		return visitors.Confirmed, nil
	}
	return visitors.NotPartner, nil
}

// seedVisitors registers visiting officials — verified by the host
// unit's approver or by 无锡's platform, two waiting, one refused — and
// their bookings of the past two months: platform vehicles in paid use
// (their fee from the tariff), rental vehicles handed to the city's
// rental company, and rides of the ride-hailing provider (the same rides
// the simulator's --demo-history knows, so the reconciliation finds them),
// plus a platform booking waiting for the city dispatcher.
func seedVisitors(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	clk := &clock{t: now.AddDate(0, -3, 0)}
	sms := &demoSMS{last: map[string]string{}}
	nt := &notify.Notifier{DB: db}
	b := &booking.Service{DB: db, Calendar: &calendar.Calendar{DB: db}, Notify: nt, Now: clk.now}
	rs := &rental.Service{DB: db, Booking: b, Notify: nt, Now: clk.now}
	vs := &visitors.Service{DB: db, Auth: &auth.Service{DB: db}, Booking: b, Notify: nt, SMS: sms, Home: wuxi{}, Now: clk.now}
	who := map[string]*access.Actor{}
	for _, u := range []string{"jgj_approver", "gaj_approver", "tn_cgj_approver", "city_dispatcher", "co_rental"} {
		a, err := actorOf(ctx, db, u)
		if err != nil {
			return err
		}
		who[u] = a
	}
	unitID := func(name string) (int64, error) {
		var id int64
		err := db.R.NewSelect().Table("units").Column("id").Where("name = ?", name).Scan(ctx, &id)
		return id, err
	}
	specs := []struct {
		name, mobile, city, unit, host, approver, refuse, purpose string
	}{
		{"王海燕", VisitorMobile, "南京", "南京市发展和改革委员会", "市机关事务管理局", "jgj_approver", "", "宁常两市机关事务交流"},
		{"刘志远", "13905190202", "徐州", "徐州市公安局", "市公安局", "gaj_approver", "", "警务协作会商"},
		{"陈思远", "13905190203", "福州", "福州市城市管理局", "天宁区城市管理局", "tn_cgj_approver", "", "城市管理考察"},
		{"郑凯", "13905190204", "无锡", "无锡市机关事务管理局", "市机关事务管理局", "", "", "公务用车平台对接"},
		{"李明", "13905190205", "日照", "日照市交通运输局", "市机关事务管理局", "", "", "学习考察"},
		{"赵宏", "13905190206", "滁州", "滁州市审计局", "市公安局", "", "", "审计协作"},
		{"孙立", "13905190207", "上海", "上海某科技有限公司", "市机关事务管理局", "jgj_approver", "非公职人员，不属于来访公务接待范围", "商务洽谈"},
	}
	actors := make([]*access.Actor, len(specs))
	for i, sp := range specs {
		host, err := unitID(sp.host)
		if err != nil {
			return fmt.Errorf("visitor host %s: %w", sp.host, err)
		}
		clk.t = clk.t.Add(time.Duration(i+1) * 7 * time.Hour)
		ip := fmt.Sprintf("10.20.0.%d", i+1)
		if err := vs.SendCode(ctx, sp.mobile, ip); err != nil {
			return fmt.Errorf("visitor %s code: %w", sp.name, err)
		}
		v, err := vs.Register(ctx, ip, visitors.RegisterInput{Name: sp.name, Mobile: sp.mobile, Code: sms.last[sp.mobile], HomeCity: sp.city,
			HomeUnit: sp.unit, HostUnitID: host, Purpose: sp.purpose, Password: VisitorPassword})
		if err != nil {
			return fmt.Errorf("visitor %s: %w", sp.name, err)
		}
		if sp.approver != "" {
			clk.t = clk.t.Add(2 * time.Hour)
			if _, err := vs.Decide(ctx, who[sp.approver], v.ID, visitors.DecideInput{Approve: sp.refuse == "", Reason: sp.refuse}); err != nil {
				return fmt.Errorf("visitor %s decide: %w", sp.name, err)
			}
		}
		if actors[i], err = actorOf(ctx, db, visitors.Username(sp.mobile)); err != nil {
			return err
		}
	}

	// Platform vehicles in paid use, one each in the two months before this
	// one, run and returned (written as the flow leaves them).
	bj := now.In(beijing.Zone)
	var cars []struct {
		Vehicle int64 `bun:"vid"`
		Driver  int64 `bun:"did"`
	}
	if err := db.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id AS vid, d.id AS did").
		Join("JOIN units AS u ON u.id = v.unit_id").Join("JOIN drivers AS d ON d.unit_id = v.unit_id").
		Where("u.name = '市机关事务管理局' AND v.status = 'available' AND v.exempt = ?", false).OrderExpr("v.id, d.id").Limit(40).Scan(ctx, &cars); err != nil {
		return err
	}
	if len(cars) < 8 {
		return fmt.Errorf("visitors: too few vehicles of 市机关事务管理局 (%d)", len(cars))
	}
	platform := []struct {
		who         int
		months, day int
		hours       time.Duration
		km          int
		dest        string
		rating      int
	}{{0, 2, 8, 5 * time.Hour, 46, "武进区政府", 5}, {1, 2, 17, 30 * time.Hour, 212, "溧阳市公安局", 4}, {2, 1, 6, 3 * time.Hour, 28, "天宁区城市管理局", 5}, {0, 1, 21, 9 * time.Hour, 135, "金坛区政府", 0}}
	for i, p := range platform {
		pick := time.Date(bj.Year(), bj.Month()-time.Month(p.months), p.day, 8, 30, 0, 0, beijing.Zone)
		clk.t = pick.AddDate(0, 0, -2).UTC()
		bk, err := vs.Book(ctx, actors[p.who], visitors.BookInput{Kind: visitors.KindPlatform, Reason: specs[p.who].purpose, PassengerCount: 2,
			PickupPlace: "常州北站", Destination: p.dest, StartAt: pick, EndAt: pick.Add(p.hours)})
		if err != nil {
			return fmt.Errorf("visitor platform booking %d: %w", i, err)
		}
		car := cars[(i*5)%len(cars)]
		dep, back := pick.Add(5*time.Minute).UTC(), pick.Add(p.hours).UTC()
		odo := 20000 + i*1000
		state := booking.Back
		var rating any
		var rated any
		if p.rating > 0 {
			state, rating, rated = booking.Closed, p.rating, back.Add(3*time.Hour)
		}
		_, err = db.W.NewRaw(`UPDATE orders SET state = ?, vehicle_id = ?, driver_id = ?, dispatcher_id = ?, consent = 'standing', departed_at = ?, finished_at = ?, returned_at = ?,
			start_odometer = ?, end_odometer = ?, rating = ?, rated_at = ?, parking_place = '市行政中心停车场' WHERE no = ?`,
			state, car.Vehicle, car.Driver, who["city_dispatcher"].UserID, dep, back, back, odo, odo+p.km, rating, rated, bk.OrderNo).Exec(ctx)
		if err != nil {
			return err
		}
		for _, ev := range []struct {
			at       time.Time
			action   string
			from, to string
		}{{clk.t.Add(time.Hour), "dispatch", booking.Approved, booking.Dispatched}, {dep, "depart", booking.Dispatched, booking.Departed},
			{back.Add(-10 * time.Minute), "finish", booking.Departed, booking.Finished}, {back, "back", booking.Finished, booking.Back}} {
			if _, err := db.W.NewRaw(`INSERT INTO order_events (order_id, at, actor_name, action, from_state, to_state, note)
				SELECT id, ?, '卫国平', ?, ?, ?, '' FROM orders WHERE no = ?`, ev.at, ev.action, ev.from, ev.to, bk.OrderNo).Exec(ctx); err != nil {
				return err
			}
		}
		clk.t = back.Add(time.Hour)
		if _, err := vs.SettleFees(ctx, bk.ID); err != nil {
			return err
		}
	}
	// One waiting for the city dispatcher.
	pick := time.Date(bj.Year(), bj.Month(), bj.Day()+2, 9, 0, 0, 0, beijing.Zone)
	clk.t = now.Add(-time.Hour)
	if _, err := vs.Book(ctx, actors[0], visitors.BookInput{Kind: visitors.KindPlatform, Reason: "宁常两市机关事务交流（第二场）", PassengerCount: 3,
		PickupPlace: "常州北站", Destination: "市行政中心", StartAt: pick, EndAt: pick.Add(8 * time.Hour)}); err != nil {
		return fmt.Errorf("visitor waiting booking: %w", err)
	}

	// Rental vehicles: last month, through the hand-over.
	var fleet []struct {
		V int64 `bun:"vid"`
		D int64 `bun:"did"`
	}
	if err := db.R.NewSelect().TableExpr("rental_vehicles AS v").ColumnExpr("v.id AS vid, d.id AS did").
		Join("JOIN rental_drivers AS d ON d.company_id = v.company_id").Where("v.company_id = ?", who["co_rental"].CompanyID).
		OrderExpr("v.id, d.id").Scan(ctx, &fleet); err != nil || len(fleet) == 0 {
		return fmt.Errorf("visitors: the rental company's fleet: %v", err)
	}
	for i, r := range []struct {
		who, day, rating int
		fee              int64
		dest             string
	}{{1, 9, 5, 58000, "南京禄口机场"}, {3, 23, 4, 36000, "无锡市民中心"}} {
		pick := time.Date(bj.Year(), bj.Month()-1, r.day, 8, 0, 0, 0, beijing.Zone)
		clk.t = pick.AddDate(0, 0, -2).UTC()
		bk, err := vs.Book(ctx, actors[r.who], visitors.BookInput{Kind: visitors.KindRental, Reason: specs[r.who].purpose, PassengerCount: 3,
			PickupPlace: "市行政中心东门", Destination: r.dest, StartAt: pick, EndAt: pick.Add(9 * time.Hour), OutOfCity: true})
		if err != nil {
			return fmt.Errorf("visitor rental booking %d: %w", i, err)
		}
		var orderID, rid int64
		if err := db.R.NewSelect().Table("orders").Column("id").Where("no = ?", bk.OrderNo).Scan(ctx, &orderID); err != nil {
			return err
		}
		clk.t = clk.t.Add(time.Hour)
		if _, err := rs.HandOver(ctx, who["city_dispatcher"], orderID, rental.HandOverInput{CompanyID: who["co_rental"].CompanyID, Reason: "来访人员申请租赁车辆"}); err != nil {
			return fmt.Errorf("visitor rental hand-over %d: %w", i, err)
		}
		if err := db.R.NewSelect().Table("rental_orders").Column("id").Where("order_id = ?", orderID).Scan(ctx, &rid); err != nil {
			return err
		}
		pair := fleet[i%len(fleet)]
		clk.t = clk.t.Add(time.Hour)
		if _, err := rs.Assign(ctx, who["co_rental"], rid, rental.AssignInput{VehicleID: pair.V, DriverID: pair.D}); err != nil {
			return fmt.Errorf("visitor rental assign %d: %w", i, err)
		}
		clk.t = pick.Add(10 * time.Hour).UTC()
		if _, err := rs.RecordUsage(ctx, who["co_rental"], rid, rental.UsageInput{StartMileage: 41000 + i*700, EndMileage: 41000 + i*700 + 180,
			StartedAt: pick, EndedAt: pick.Add(9 * time.Hour), FeeFen: r.fee}); err != nil {
			return fmt.Errorf("visitor rental usage %d: %w", i, err)
		}
		clk.t = clk.t.Add(12 * time.Hour)
		if _, err := vs.Rate(ctx, actors[r.who], bk.ID, visitors.RateInput{Rating: r.rating}); err != nil {
			return fmt.Errorf("visitor rental rate %d: %w", i, err)
		}
	}

	// Rides: the provider's history (ridehail.DemoRides), as the callbacks
	// left them.
	var vids []int64
	if err := db.R.NewSelect().Table("visitors").Column("id").Where("mobile IN (?)", bun.In([]string{specs[0].mobile, specs[1].mobile, specs[3].mobile})).OrderExpr("mobile").Scan(ctx, &vids); err != nil {
		return err
	}
	for i, r := range ridehail.DemoRides(now) {
		created := r.CreatedAt
		ws := created.Add(2 * time.Hour)
		var id int64
		var rating, rated any
		if i%2 == 0 {
			rating, rated = 5-i%3, r.FinishedAt.Add(time.Hour)
		}
		err := db.W.NewRaw(`INSERT INTO visitor_bookings (no, visitor_id, kind, fee_fen, provider, ride_state, pickup_place, destination, cities,
			window_start, window_end, cap_fen, provider_app_id, provider_order_id, driver_name, driver_phone, car_plate, car_desc, finished_at,
			rating, rated_at, created_at, updated_at) VALUES (?, ?, 'ridehail', ?, ?, 'paid', '常州北站', ?, '常州', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
			r.OutApplicationNo, vids[r.Passenger], r.FeeFen, ridehail.DemoName, r.Destination, ws, ws.Add(3*time.Hour), r.Cap, r.ApplicationID, r.OrderID,
			r.DriverName, r.DriverPhone, r.CarPlate, r.CarDesc, r.FinishedAt, rating, rated, created, *r.FinishedAt).Scan(ctx, &id)
		if err != nil {
			return fmt.Errorf("visitor ride %d: %w", i, err)
		}
		for k, st := range []string{ridehail.Accepted, ridehail.Arrived, ridehail.Started, ridehail.Finished, ridehail.Paid} {
			var fee any
			if st == ridehail.Paid {
				fee = r.FeeFen
			}
			at := ws.Add(time.Duration(k*12) * time.Minute)
			if _, err := db.W.NewRaw(`INSERT INTO ride_callbacks (booking_id, event_id, nonce, status, fee_fen, verdict, message, body, ip, received_at)
				VALUES (?, ?, ?, ?, ?, 'applied', '', '{}', '127.0.0.1', ?)`, id, fmt.Sprintf("demo-%d-%d", i, k), fmt.Sprintf("demo-%d-%d", i, k), st, fee, at).Exec(ctx); err != nil {
				return err
			}
		}
	}
	slog.Info("demo visitors created", "visitors", len(specs), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
