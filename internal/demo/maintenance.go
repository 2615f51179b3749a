package demo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/fleet"
	"govfleet/internal/maintenance"
	"govfleet/internal/notify"
	"govfleet/internal/rental"
	"govfleet/internal/store"
)

// actorOf builds the actor of a demo account as a login would.
func actorOf(ctx context.Context, db *store.DB, username string) (*access.Actor, error) {
	var u struct {
		ID        int64  `bun:"id"`
		Name      string `bun:"real_name"`
		ScopeID   int64  `bun:"scope_id"`
		Path      string `bun:"path"`
		Kind      string `bun:"kind"`
		CompanyID *int64 `bun:"company_id"`
	}
	if err := db.R.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name, u.scope_id, n.path, n.kind, u.company_id").
		Join("JOIN units AS n ON n.id = u.scope_id").Where("u.username = ?", username).Scan(ctx, &u); err != nil {
		return nil, fmt.Errorf("demo account %s: %w", username, err)
	}
	a := &access.Actor{UserID: u.ID, Username: username, Name: u.Name, ScopeID: u.ScopeID, ScopePath: u.Path, ScopeKind: u.Kind, IP: "127.0.0.1"}
	if err := db.R.NewSelect().Table("user_roles").Column("role").Where("user_id = ?", u.ID).Scan(ctx, &a.Roles); err != nil {
		return nil, err
	}
	if u.CompanyID != nil {
		a.CompanyID = *u.CompanyID
		if err := db.R.NewSelect().TableExpr("company_contracts AS k").ColumnExpr("n.path").Join("JOIN units AS n ON n.id = k.unit_id").
			Where("k.company_id = ?", a.CompanyID).Scan(ctx, &a.Contracts); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// clock is a settable "now" for backdating the demo's history.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

// seedMaintenance adds repair jobs of 市机关事务管理局 in every state
// and rental orders of last month and this month with the companies'
// vehicles and drivers, through the services, so that timelines,
// audit entries, notifications and ledger entries are as in real use.
func seedMaintenance(ctx context.Context, db *store.DB, blobs fleet.BlobStore, now time.Time) error {
	start := time.Now()
	who := map[string]*access.Actor{}
	for _, u := range []string{"jgj_driver", "jgj_vm", "jgj_approver", "jgj_admin", "city_admin", "co_repair", "jgj_staff", "jgj_dispatcher", "co_rental", "co_rental2"} {
		a, err := actorOf(ctx, db, u)
		if err != nil {
			return err
		}
		who[u] = a
	}
	clk := &clock{}
	notify := &notify.Notifier{DB: db}
	m := &maintenance.Service{DB: db, Fleet: &fleet.Service{DB: db, Blobs: blobs}, Notify: notify, Now: clk.now}
	var vehicles []int64
	if err := db.R.NewSelect().TableExpr("vehicles AS v").Column("v.id").Join("JOIN units AS u ON u.id = v.unit_id").
		Where("u.name = '市机关事务管理局' AND v.status = 'available' AND v.exempt = ?", false).Order("v.id").Scan(ctx, &vehicles); err != nil {
		return err
	}
	type job struct {
		state, kind, problem string
		budget               int64
		items                []maintenance.ItemInput
	}
	items := func(parts ...any) []maintenance.ItemInput {
		var out []maintenance.ItemInput
		for i := 0; i+4 <= len(parts); i += 4 {
			q, p := int64(parts[i+2].(int)), int64(parts[i+3].(int))
			out = append(out, maintenance.ItemInput{Kind: parts[i].(string), Name: parts[i+1].(string), Quantity: q, UnitPriceFen: p, AmountFen: q * p})
		}
		return out
	}
	jobs := []job{
		{maintenance.Closed, "maintenance", "行驶1万公里例行保养", 80000, items("part", "机油（5L）", 1, 38000, "part", "机油滤芯", 1, 6000, "labour", "保养工时", 1, 15000)},
		{maintenance.Closed, "repair", "左前轮胎鼓包", 150000, items("part", "轮胎 215/55R17", 2, 62000, "labour", "拆装动平衡", 2, 5000)},
		{maintenance.Closed, "repair", "空调不制冷", 450000, items("part", "空调压缩机", 1, 320000, "part", "冷媒", 2, 9000, "labour", "工时", 4, 12000)},
		{maintenance.Reviewed, "repair", "刹车片磨损报警", 120000, items("part", "前刹车片", 1, 48000, "labour", "工时", 1, 12000)},
		{"disputed", "repair", "倒车影像黑屏", 180000, items("part", "倒车摄像头", 1, 98000, "labour", "工时", 3, 15000)},
		{maintenance.Assigned, "maintenance", "更换雨刮、检查灯光", 30000, nil},
		{maintenance.Approved, "repair", "变速箱换挡顿挫", 1600000, nil},
		{maintenance.Rejected, "repair", "更换全车座椅套", 260000, nil},
		{maintenance.Estimated, "repair", "发动机异响，怠速抖动", 1800000, nil},
		{maintenance.Requested, "repair", "右后车门关不严", 0, nil},
	}
	order := []string{maintenance.Requested, maintenance.Estimated, maintenance.Approved, maintenance.Assigned, maintenance.Quoted, "disputed", maintenance.Reviewed, maintenance.Closed}
	rank := func(s string) int {
		for i, x := range order {
			if x == s {
				return i
			}
		}
		return len(order) // rejected: after the estimate
	}
	// The closed jobs come first: their vehicles take the last requests
	// when the unit has fewer vehicles than jobs.
	for i, jb := range jobs {
		if len(vehicles) == 0 {
			break
		}
		clk.t = now.AddDate(0, 0, -60+i*6).Add(time.Duration(i) * time.Hour)
		step := func() { clk.t = clk.t.Add(26 * time.Hour) }
		j, err := m.Request(ctx, who["jgj_driver"], maintenance.RequestInput{VehicleID: vehicles[i%len(vehicles)], Kind: jb.kind, Problem: jb.problem})
		if err != nil {
			return fmt.Errorf("repair demo %d: %w", i, err)
		}
		r := rank(jb.state)
		err = func() error {
			if r < 1 {
				return nil
			}
			step()
			if _, err := m.Estimate(ctx, who["jgj_vm"], j.ID, maintenance.EstimateInput{BudgetFen: jb.budget, Note: "依据维修厂初检"}); err != nil {
				return err
			}
			if jb.state == maintenance.Rejected {
				_, err := m.Reject(ctx, who["jgj_admin"], j.ID, "非必要维修，座椅套仍可使用")
				return err
			}
			if r < 2 {
				return nil
			}
			step()
			approver := who["jgj_vm"]
			switch {
			case jb.budget > maintenance.DefaultTier2Fen:
				approver = who["city_admin"]
			case jb.budget > maintenance.DefaultTier1Fen:
				approver = who["jgj_approver"]
			}
			if _, err := m.Approve(ctx, approver, j.ID, "同意"); err != nil {
				return err
			}
			if r < 3 {
				return nil
			}
			step()
			if _, err := m.Assign(ctx, who["jgj_vm"], j.ID, maintenance.AssignInput{ShopCompanyID: who["co_repair"].CompanyID}); err != nil {
				return err
			}
			if r < 4 {
				return nil
			}
			step()
			var total int64
			for _, it := range jb.items {
				total += it.AmountFen
			}
			if _, err := m.Quote(ctx, who["co_repair"], j.ID, maintenance.QuoteInput{Items: jb.items, TotalFen: total}); err != nil {
				return err
			}
			if _, err := m.AddPhoto(ctx, who["co_repair"], j.ID, "invoice", demoInvoice()); err != nil {
				return err
			}
			d, err := m.Get(ctx, who["jgj_vm"], j.ID)
			if err != nil {
				return err
			}
			step()
			for k, it := range d.Items {
				in := maintenance.ReviewInput{Confirm: true}
				if jb.state == "disputed" && k == len(d.Items)-1 {
					in = maintenance.ReviewInput{Reason: "工时偏高，同类作业按2小时计"}
				}
				if _, err := m.Review(ctx, who["jgj_vm"], j.ID, it.ID, in); err != nil {
					return err
				}
			}
			if r < 7 {
				return nil
			}
			step()
			_, err = m.Close(ctx, who["jgj_vm"], j.ID)
			return err
		}()
		if err != nil {
			return fmt.Errorf("repair demo %s: %w", jb.problem, err)
		}
	}
	n, err := seedRental(ctx, db, who, notify, now)
	if err != nil {
		return err
	}
	slog.Info("demo repair jobs and rental orders created", "jobs", len(jobs), "rental_orders", n, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

// seedRental registers the rental companies' vehicles and drivers and hands
// them orders of 市机关事务管理局: last month's (completed and rated, for
// the assessment) and this month's (waiting and assigned).
func seedRental(ctx context.Context, db *store.DB, who map[string]*access.Actor, notify *notify.Notifier, now time.Time) (int, error) {
	clk := &clock{t: now.AddDate(0, -2, 0)}
	b := &booking.Service{DB: db, Calendar: &calendar.Calendar{DB: db}, Notify: notify, Now: clk.now}
	rs := &rental.Service{DB: db, Booking: b, Notify: notify, Now: clk.now}
	fleetOf := map[string][][2]int64{}
	regs := map[string][]struct {
		plate, model string
		seats        int
		driver, tel  string
	}{
		"co_rental": {{"苏DR1001", "别克GL8 商务车", 7, "陆建平", "13961201001"}, {"苏DR1002", "丰田考斯特 中巴", 20, "高志明", "13961201002"},
			{"苏DR1003", "大众帕萨特", 5, "汤永刚", "13961201003"}, {"苏DR1005", "本田奥德赛", 7, "邹文斌", "13961201005"}},
		"co_rental2": {{"苏DR2001", "别克GL8 商务车", 7, "钱立军", "13961202001"}, {"苏DR2002", "宇通 大客车", 45, "孙国华", "13961202002"}},
	}
	for co, list := range regs {
		for _, x := range list {
			v, err := rs.SaveVehicle(ctx, who[co], 0, rental.VehicleInput{Plate: x.plate, Model: x.model, Seats: x.seats})
			if err != nil {
				return 0, fmt.Errorf("rental vehicle %s: %w", x.plate, err)
			}
			d, err := rs.SaveDriver(ctx, who[co], 0, rental.DriverInput{Name: x.driver, Phone: x.tel, LicenceClass: "A1"})
			if err != nil {
				return 0, fmt.Errorf("rental driver %s: %w", x.driver, err)
			}
			fleetOf[co] = append(fleetOf[co], [2]int64{v.ID, d.ID})
		}
	}
	bj := now.In(beijing.Zone)
	lastMonth := time.Date(bj.Year(), bj.Month()-1, 1, 8, 30, 0, 0, beijing.Zone)
	type trip struct {
		pickup  time.Time
		late    time.Duration
		fee     int64
		rating  int
		comment string
		stop    string // handed | assigned: not yet done
	}
	trips := []trip{
		{lastMonth.AddDate(0, 0, 2), 0, 68000, 5, "准时，车况好", ""},
		{lastMonth.AddDate(0, 0, 6), 5 * time.Minute, 45000, 5, "", ""},
		{lastMonth.AddDate(0, 0, 11), 35 * time.Minute, 52000, 2, "迟到半小时，影响会议", ""},
		{lastMonth.AddDate(0, 0, 15), 0, 120000, 4, "", ""},
		{lastMonth.AddDate(0, 0, 20), 0, 38000, 5, "服务热情", ""},
		{lastMonth.AddDate(0, 0, 24), 20 * time.Minute, 41000, 3, "", ""},
		{bj.AddDate(0, 0, 2), 0, 0, 0, "", rental.Assigned},
		{bj.AddDate(0, 0, 4), 0, 0, 0, "", rental.Handed},
	}
	for i, tr := range trips {
		clk.t = tr.pickup.AddDate(0, 0, -3).UTC()
		o, err := b.Create(ctx, who["jgj_staff"], booking.Input{Reason: []string{"赴省机关事务管理局参加业务培训", "陪同检查组赴各辖市区调研", "接待外地考察团"}[i%3],
			PassengerCount: []int{4, 6, 8, 5, 3, 6, 4, 7}[i], ContactPhone: "13905191007", PickupPlace: "市行政中心东门",
			Destinations: []string{[]string{"南京", "溧阳", "金坛", "无锡"}[i%4]}, PickupAt: tr.pickup, ReturnAt: tr.pickup.Add(9 * time.Hour)})
		if err != nil {
			return 0, fmt.Errorf("rental order %d: %w", i, err)
		}
		clk.t = clk.t.Add(2 * time.Hour)
		if _, err := b.Approve(ctx, who["jgj_approver"], o.ID, "同意"); err != nil {
			return 0, fmt.Errorf("rental order %d approve: %w", i, err)
		}
		clk.t = clk.t.Add(time.Hour)
		if _, err := rs.HandOver(ctx, who["jgj_dispatcher"], o.ID, rental.HandOverInput{CompanyID: who["co_rental"].CompanyID, Reason: "本单位车辆均已派出，座位不足"}); err != nil {
			return 0, fmt.Errorf("rental order %d hand-over: %w", i, err)
		}
		if tr.stop == rental.Handed {
			continue
		}
		var rid int64
		if err := db.R.NewSelect().Table("rental_orders").Column("id").Where("order_id = ?", o.ID).Scan(ctx, &rid); err != nil {
			return 0, err
		}
		pair := fleetOf["co_rental"][i%len(fleetOf["co_rental"])]
		if o.PassengerCount > 6 {
			pair = fleetOf["co_rental"][1] // the 20-seat coach
		}
		clk.t = clk.t.Add(time.Hour)
		if _, err := rs.Assign(ctx, who["co_rental"], rid, rental.AssignInput{VehicleID: pair[0], DriverID: pair[1]}); err != nil {
			return 0, fmt.Errorf("rental order %d assign: %w", i, err)
		}
		if tr.stop == rental.Assigned {
			continue
		}
		started := tr.pickup.Add(tr.late)
		clk.t = started.Add(10 * time.Hour).UTC()
		km := 80 + i*37
		if _, err := rs.RecordUsage(ctx, who["co_rental"], rid, rental.UsageInput{StartMileage: 30000 + i*500, EndMileage: 30000 + i*500 + km,
			StartedAt: started, EndedAt: started.Add(9 * time.Hour), FeeFen: tr.fee}); err != nil {
			return 0, fmt.Errorf("rental order %d usage: %w", i, err)
		}
		clk.t = clk.t.Add(20 * time.Hour)
		if _, err := b.Rate(ctx, who["jgj_staff"], o.ID, tr.rating, tr.comment); err != nil {
			return 0, fmt.Errorf("rental order %d rate: %w", i, err)
		}
	}
	return len(trips), nil
}
