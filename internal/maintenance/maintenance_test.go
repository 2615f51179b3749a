package maintenance_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/maintenance"
)

// fixture is the demo world with a vehicle of 市机关事务管理局 and the
// people around it.
type fixture struct {
	w                             *apptest.World
	m                             *maintenance.Service
	vehicle                       int64
	driver, vm, admin, appr, city *access.Actor
	unitPath                      string
}

func newFixture(t *testing.T, w *apptest.World) *fixture {
	db := w.DB
	f := &fixture{w: w, m: w.Maintenance, driver: w.Actor(t, "jgj_driver"), vm: w.Actor(t, "jgj_vm"), admin: w.Actor(t, "jgj_admin"),
		appr: w.Actor(t, "jgj_approver"), city: w.Actor(t, "city_admin"), unitPath: w.UnitPath(t, "市机关事务管理局")}
	if err := db.R.NewSelect().Table("vehicles").Column("id").Where("unit_id = ? AND status = 'available'", w.UnitID(t, "市机关事务管理局")).
		Where("id NOT IN (SELECT vehicle_id FROM repair_jobs WHERE state NOT IN ('closed', 'rejected'))").
		Order("id").Limit(1).Scan(context.Background(), &f.vehicle); err != nil {
		t.Fatal(err)
	}
	return f
}

// company registers a company of kind contracted for the node called
// covers and returns an actor of its account.
func (f *fixture) company(t *testing.T, name, kind, covers string) *access.Actor {
	t.Helper()
	ctx := context.Background()
	db := f.w.DB
	root := f.w.UnitID(t, "常州市")
	var id int64
	err := db.W.NewRaw("INSERT INTO companies (name, kind, credit_code, owner_unit_id, active, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		name, kind, "91320400TEST"+name, root, true, time.Now().UTC()).Scan(ctx, &id)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.W.NewRaw("INSERT INTO company_contracts (company_id, unit_id, starts_on, note, created_at) VALUES (?, ?, ?, '', ?)",
		id, f.w.UnitID(t, covers), "2020-01-01", time.Now().UTC()).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	role := map[string]access.Role{"repair": "repair_shop", "rental": "rental_company", "fuel": "fuel_company"}[kind]
	return &access.Actor{UserID: 1, Name: name, ScopeID: root, ScopePath: f.w.UnitPath(t, "常州市"), Roles: []access.Role{role},
		CompanyID: id, CompanyKind: kind, Contracts: []string{f.w.UnitPath(t, covers)}}
}

func (f *fixture) status(t *testing.T) string {
	t.Helper()
	var s string
	if err := f.w.DB.R.NewSelect().Table("vehicles").Column("status").Where("id = ?", f.vehicle).Scan(context.Background(), &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func wantCode(t *testing.T, err error, code errs.Code, what string) {
	t.Helper()
	if !errs.Is(err, code) {
		t.Fatalf("%s: got %v, want %s", what, err, code)
	}
}

// must returns v, or stops the test (by panicking: the testing package
// reports it with the error) when err is not nil.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// must2 is must for calls returning two values.
func must2[T, U any](v T, u U, err error) (T, U) {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v, u
}

// testPNG is a small valid PNG.
func testPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{30, 30, 200, 255})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}

func fieldMsg(err error, field string) string {
	if e, ok := err.(*errs.Error); ok {
		return e.Fields[field]
	}
	return ""
}

// TestRepairFlow walks a job from the driver's request to the close: the
// approver its budget needs, a shop outside the contract refused, amounts
// that do not add up refused with nothing written, a dispute and its
// revision, the ledger posted once, and the vehicle under maintenance
// from approval to close.
func TestRepairFlow(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB
		f := newFixture(t, w)
		shop := f.company(t, "常州市测试汽修厂", "repair", "常州市")
		other := f.company(t, "钟楼区测试汽修厂", "repair", "钟楼区")
		fuel := f.company(t, "常州市测试加油站", "fuel", "常州市")

		h0 := must(f.m.VehicleHistory(ctx, f.vm, f.vehicle))
		j := must(f.m.Request(ctx, f.driver, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "repair", Problem: "刹车异响"}))
		if j.State != maintenance.Requested || f.status(t) != "available" {
			t.Fatalf("after request: state %s, vehicle %s", j.State, f.status(t))
		}
		_, err := f.m.Request(ctx, f.vm, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "maintenance", Problem: "保养"})
		wantCode(t, err, errs.Conflict, "second open job on the vehicle")
		// The driver follows the requests he sent (issue 24); the vehicle manager sent none of them.
		for _, c := range []struct {
			who  *access.Actor
			want bool
		}{{f.driver, true}, {f.vm, false}} {
			mine, _ := must2(f.m.List(ctx, c.who, maintenance.Filter{Mine: true}, 1, 200))
			found := false
			for _, x := range mine {
				found = found || x.ID == j.ID
				if x.RequestedBy != c.who.UserID {
					t.Fatalf("%s's own requests list %s, requested by %d", c.who.Username, x.No, x.RequestedBy)
				}
			}
			if found != c.want {
				t.Fatalf("%s's own requests: %s listed %v, want %v", c.who.Username, j.No, found, c.want)
			}
		}

		// 15,000 yuan is above the unit's 10,000: the platform administrator approves.
		j = must(f.m.Estimate(ctx, f.vm, j.ID, maintenance.EstimateInput{BudgetFen: 1500000, Note: "更换刹车总泵"}))
		if j.ApprovalTier != 3 {
			t.Fatalf("tier %d, want 3", j.ApprovalTier)
		}
		for _, a := range []*access.Actor{f.vm, f.admin, f.appr} {
			_, err := f.m.Approve(ctx, a, j.ID, "")
			wantCode(t, err, errs.Forbidden, "approval below the tier by "+a.Username)
		}
		j = must(f.m.Approve(ctx, f.city, j.ID, "同意"))
		if j.State != maintenance.Approved || f.status(t) != "maintenance" {
			t.Fatalf("after approval: state %s, vehicle %s", j.State, f.status(t))
		}

		for _, c := range []*access.Actor{other, fuel} {
			_, err = f.m.Assign(ctx, f.vm, j.ID, maintenance.AssignInput{ShopCompanyID: c.CompanyID})
			if fieldMsg(err, "shop_company_id") == "" {
				t.Fatalf("assign to %s: %v, want a shop_company_id error", c.Name, err)
			}
		}
		offered := map[int64]bool{}
		for _, s := range must(f.m.Shops(ctx, f.vm, j.ID)) {
			offered[s.ID] = true
		}
		if !offered[shop.CompanyID] || offered[other.CompanyID] || offered[fuel.CompanyID] {
			t.Fatalf("shops offered %v: want %d, not %d nor %d", offered, shop.CompanyID, other.CompanyID, fuel.CompanyID)
		}
		j = must(f.m.Assign(ctx, f.vm, j.ID, maintenance.AssignInput{ShopCompanyID: shop.CompanyID}))

		items := []maintenance.ItemInput{
			{Kind: "part", Name: "刹车总泵", Quantity: 1, UnitPriceFen: 86000, AmountFen: 86000},
			{Kind: "part", Name: "刹车油", Quantity: 2, UnitPriceFen: 4500, AmountFen: 9000},
			{Kind: "labour", Name: "工时", Quantity: 3, UnitPriceFen: 12000, AmountFen: 36000},
		}
		bad := append([]maintenance.ItemInput(nil), items...)
		bad[1].AmountFen = 8000
		cases := []struct {
			name  string
			who   *access.Actor
			in    maintenance.QuoteInput
			code  errs.Code
			field string
		}{
			{"line does not add up", shop, maintenance.QuoteInput{Items: bad, TotalFen: 130000}, errs.Invalid, "items.1.amount_fen"},
			{"total does not add up", shop, maintenance.QuoteInput{Items: items, TotalFen: 130000}, errs.Invalid, "total_fen"},
			{"another shop", other, maintenance.QuoteInput{Items: items, TotalFen: 131000}, errs.Forbidden, ""},
		}
		for _, c := range cases {
			_, err := f.m.Quote(ctx, c.who, j.ID, c.in)
			wantCode(t, err, c.code, c.name)
			if c.field != "" && fieldMsg(err, c.field) == "" {
				t.Errorf("%s: no message for %s: %v", c.name, c.field, err)
			}
			if n, _ := db.R.NewSelect().Table("repair_items").Where("job_id = ?", j.ID).Count(ctx); n != 0 {
				t.Fatalf("%s: %d items written", c.name, n)
			}
		}
		j = must(f.m.Quote(ctx, shop, j.ID, maintenance.QuoteInput{Items: items, TotalFen: 131000}))
		if j.State != maintenance.Quoted || j.QuotedFen != 131000 {
			t.Fatalf("after quote: %s %d", j.State, j.QuotedFen)
		}

		d := must(f.m.Get(ctx, f.vm, j.ID))
		must(f.m.Review(ctx, f.vm, j.ID, d.Items[0].ID, maintenance.ReviewInput{Confirm: true}))
		must(f.m.Review(ctx, f.vm, j.ID, d.Items[1].ID, maintenance.ReviewInput{Confirm: true}))
		_, err = f.m.Review(ctx, f.vm, j.ID, d.Items[2].ID, maintenance.ReviewInput{})
		if fieldMsg(err, "reason") == "" {
			t.Fatalf("dispute without reason: %v", err)
		}
		must(f.m.Review(ctx, f.vm, j.ID, d.Items[2].ID, maintenance.ReviewInput{Reason: "工时偏高，按2小时计"}))
		_, err = f.m.Close(ctx, f.vm, j.ID)
		wantCode(t, err, errs.Conflict, "close with a disputed item")
		_, err = f.m.Revise(ctx, shop, j.ID, d.Items[0].ID, maintenance.ItemInput{Kind: "part", Name: "刹车总泵", Quantity: 1, UnitPriceFen: 1, AmountFen: 1})
		wantCode(t, err, errs.Conflict, "revise a confirmed item")
		_, err = f.m.Revise(ctx, shop, j.ID, d.Items[2].ID, maintenance.ItemInput{Kind: "labour", Name: "工时", Quantity: 2, UnitPriceFen: 12000, AmountFen: 36000})
		if fieldMsg(err, "amount_fen") == "" {
			t.Fatalf("revision not adding up: %v", err)
		}
		j = must(f.m.Revise(ctx, shop, j.ID, d.Items[2].ID, maintenance.ItemInput{Kind: "labour", Name: "工时", Quantity: 2, UnitPriceFen: 12000, AmountFen: 24000}))
		if j.QuotedFen != 119000 || j.State != maintenance.Quoted {
			t.Fatalf("after revision: %s %d", j.State, j.QuotedFen)
		}
		j = must(f.m.Review(ctx, f.vm, j.ID, d.Items[2].ID, maintenance.ReviewInput{Confirm: true}))
		if j.State != maintenance.Reviewed || j.FinalFen == nil || *j.FinalFen != 119000 {
			t.Fatalf("after review: %s %v", j.State, j.FinalFen)
		}
		if f.status(t) != "maintenance" {
			t.Fatalf("vehicle %s before close", f.status(t))
		}

		// No invoice photo yet: the close is refused (issue 24).
		_, err = f.m.Close(ctx, f.vm, j.ID)
		wantCode(t, err, errs.Conflict, "close without an invoice photo")
		if f.status(t) != "maintenance" {
			t.Fatalf("vehicle %s after the refused close", f.status(t))
		}
		must(f.m.AddPhoto(ctx, shop, j.ID, "invoice", testPNG()))
		j = must(f.m.Close(ctx, f.vm, j.ID))
		_, err = f.m.Close(ctx, f.vm, j.ID)
		wantCode(t, err, errs.Conflict, "second close")
		var entries []struct {
			Amount int64  `bun:"amount_fen"`
			Kind   string `bun:"kind"`
		}
		if err := db.R.NewSelect().Table("cost_entries").Column("amount_fen", "kind").Where("source = 'repair_job' AND source_id = ?", j.ID).Scan(ctx, &entries); err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 || entries[0].Amount != 119000 || entries[0].Kind != "maintenance" {
			t.Fatalf("ledger %+v, want one maintenance entry of 119000", entries)
		}
		if j.State != maintenance.Closed || f.status(t) != "available" {
			t.Fatalf("after close: state %s, vehicle %s", j.State, f.status(t))
		}
		h := must(f.m.VehicleHistory(ctx, f.vm, f.vehicle))
		if h.Closed != h0.Closed+1 || h.TotalFen != h0.TotalFen+119000 {
			t.Fatalf("history: %d closed, %d fen; before %d, %d", h.Closed, h.TotalFen, h0.Closed, h0.TotalFen)
		}
		// The shop sees its job; the other shop does not.
		if _, err := f.m.Get(ctx, shop, j.ID); err != nil {
			t.Fatal(err)
		}
		_, err = f.m.Get(ctx, other, j.ID)
		wantCode(t, err, errs.Forbidden, "other shop reads the job")
		// A new request is possible once the job is closed.
		must(f.m.Request(ctx, f.driver, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "maintenance", Problem: "例行保养"}))
	})
}

// TestRepairThresholds: who approves depends on the budget and on the
// thresholds in force, which a level may only tighten.
func TestRepairThresholds(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB
		f := newFixture(t, w)
		jgj := f.w.UnitID(t, "市机关事务管理局")
		tn := f.w.UnitID(t, "天宁区")
		dist := f.w.Actor(t, "tn_admin")
		cases := []struct {
			budget int64
			who    *access.Actor
			ok     bool
		}{
			{200000, f.vm, true},     // 2,000 yuan: the vehicle manager
			{200001, f.vm, false},    // above: not the vehicle manager
			{200001, f.appr, true},   // the approver
			{1000000, f.admin, true}, // 10,000: the unit administrator
			{1000001, f.admin, false},
			{1000001, f.city, true},
			{100, f.city, true}, // a higher tier approves lower amounts
		}
		for i, c := range cases {
			j := must(f.m.Request(ctx, f.driver, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "repair", Problem: fmt.Sprintf("故障%d", i)}))
			must(f.m.Estimate(ctx, f.vm, j.ID, maintenance.EstimateInput{BudgetFen: c.budget}))
			_, err := f.m.Approve(ctx, c.who, j.ID, "")
			if c.ok != (err == nil) {
				t.Fatalf("budget %d by %s: %v, want ok=%v", c.budget, c.who.Username, err, c.ok)
			}
			if err == nil {
				_, err = f.m.Reject(ctx, f.city, j.ID, "测试")
				wantCode(t, err, errs.Conflict, "reject after approval")
				if _, err := db.W.NewRaw("UPDATE repair_jobs SET state = 'closed' WHERE id = ?", j.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			} else {
				must(f.m.Reject(ctx, f.city, j.ID, "测试"))
			}
		}

		// The city tightens its unit's first tier to 1,000 yuan: 1,500 now needs the unit.
		th := must(f.m.SetThresholds(ctx, f.city, jgj, maintenance.ThresholdsInput{Tier1Fen: 100000, Tier2Fen: 1000000}))
		if th.Tier1Fen != 100000 || !th.Own {
			t.Fatalf("thresholds %+v", th)
		}
		j := must(f.m.Request(ctx, f.driver, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "repair", Problem: "空调不制冷"}))
		j = must(f.m.Estimate(ctx, f.vm, j.ID, maintenance.EstimateInput{BudgetFen: 150000}))
		if j.ApprovalTier != 2 {
			t.Fatalf("tier %d after tightening, want 2", j.ApprovalTier)
		}
		// A district may not loosen what the city allows, nor touch another district.
		must(f.m.SetThresholds(ctx, f.city, f.w.UnitID(t, "常州市"), maintenance.ThresholdsInput{Tier1Fen: 150000, Tier2Fen: 800000}))
		_, err := f.m.SetThresholds(ctx, dist, tn, maintenance.ThresholdsInput{Tier1Fen: 160000, Tier2Fen: 800000})
		if fieldMsg(err, "tier1_fen") == "" {
			t.Fatalf("district above the city: %v", err)
		}
		must(f.m.SetThresholds(ctx, dist, tn, maintenance.ThresholdsInput{Tier1Fen: 50000, Tier2Fen: 500000}))
		_, err = f.m.SetThresholds(ctx, dist, f.w.UnitID(t, "钟楼区"), maintenance.ThresholdsInput{Tier1Fen: 50000, Tier2Fen: 500000})
		wantCode(t, err, errs.Forbidden, "another district")
		th = must(f.m.GetThresholds(ctx, dist, f.w.UnitID(t, "天宁区城市管理局")))
		if th.Tier1Fen != 50000 || th.Tier2Fen != 500000 || th.MaxTier1 != 50000 {
			t.Fatalf("unit under the district: %+v", th)
		}
	})
}

// TestInvoiceRule: closing needs the shop's invoice photo by default; a
// level waives it only where the level above does not require it.
func TestInvoiceRule(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := newFixture(t, w)
		shop := f.company(t, "常州市发票测试汽修厂", "repair", "常州市")
		root, tn, tnUnit := w.UnitID(t, "常州市"), w.UnitID(t, "天宁区"), w.UnitID(t, "天宁区城市管理局")
		dist := w.Actor(t, "tn_admin")
		no, yes := false, true
		// reviewed drives a new job of the fixture's vehicle to 已审核.
		reviewed := func() int64 {
			j := must(f.m.Request(ctx, f.driver, maintenance.RequestInput{VehicleID: f.vehicle, Kind: "repair", Problem: "更换雨刮"}))
			must(f.m.Estimate(ctx, f.vm, j.ID, maintenance.EstimateInput{BudgetFen: 10000}))
			must(f.m.Approve(ctx, f.vm, j.ID, ""))
			must(f.m.Assign(ctx, f.vm, j.ID, maintenance.AssignInput{ShopCompanyID: shop.CompanyID}))
			must(f.m.Quote(ctx, shop, j.ID, maintenance.QuoteInput{TotalFen: 8000, Items: []maintenance.ItemInput{{Kind: "part", Name: "雨刮片", Quantity: 2, UnitPriceFen: 4000, AmountFen: 8000}}}))
			d := must(f.m.Get(ctx, f.vm, j.ID))
			must(f.m.Review(ctx, f.vm, j.ID, d.Items[0].ID, maintenance.ReviewInput{Confirm: true}))
			return j.ID
		}

		th := must(f.m.GetThresholds(ctx, f.city, root))
		if !th.InvoiceRequired {
			t.Fatalf("default: %+v, want the invoice required", th)
		}
		id := reviewed()
		if d := must(f.m.Get(ctx, f.vm, id)); !d.InvoiceRequired {
			t.Fatal("the job does not say the invoice is required")
		}
		_, err := f.m.Close(ctx, f.vm, id)
		wantCode(t, err, errs.Conflict, "close without an invoice by default")

		// The district requires it while the city does not: a unit of the district may not waive it.
		must(f.m.SetThresholds(ctx, f.city, root, maintenance.ThresholdsInput{Tier1Fen: maintenance.DefaultTier1Fen, Tier2Fen: maintenance.DefaultTier2Fen, InvoiceRequired: &no}))
		must(f.m.SetThresholds(ctx, dist, tn, maintenance.ThresholdsInput{Tier1Fen: maintenance.DefaultTier1Fen, Tier2Fen: maintenance.DefaultTier2Fen, InvoiceRequired: &yes}))
		_, err = f.m.SetThresholds(ctx, dist, tnUnit, maintenance.ThresholdsInput{Tier1Fen: maintenance.DefaultTier1Fen, Tier2Fen: maintenance.DefaultTier2Fen, InvoiceRequired: &no})
		if fieldMsg(err, "invoice_required") == "" {
			t.Fatalf("a unit waives what its district requires: %v", err)
		}
		if th := must(f.m.GetThresholds(ctx, dist, tnUnit)); !th.InvoiceRequired || !th.AboveInvoice {
			t.Fatalf("unit under the district: %+v", th)
		}
		// The city waives it for itself: the job of the city's unit closes without an invoice.
		if th := must(f.m.GetThresholds(ctx, f.city, w.UnitID(t, "市机关事务管理局"))); th.InvoiceRequired {
			t.Fatalf("city unit after the waiver: %+v", th)
		}
		j := must(f.m.Close(ctx, f.vm, id))
		if j.State != maintenance.Closed {
			t.Fatalf("state %s after close with the rule waived", j.State)
		}
	})
}
