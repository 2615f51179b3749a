package demo_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/demo"
)

// The demo gives every role something to see: orders in every state of
// R-13, today's work for the named accounts, overdue filings, one
// over-quota unit, stale and incomplete records.
// At whatever hour it starts: the orders around now are laid out first.
// Before, at 11:45 the day's orders kept every car of the office busy and
// the dispatcher had nothing to return; at 13:45 the approver's inbox was
// empty, at 15:45 nothing waited for the vehicle manager's consent, and in
// the evening the driver had no task (:10 and :45 of every hour checked).
func TestDemoHasWorkForEveryone(t *testing.T) {
	b := time.Now().In(beijing.Zone)
	at := func(h, m int) time.Time { return time.Date(b.Year(), b.Month(), b.Day(), h, m, 0, 0, beijing.Zone) }
	for _, at := range []time.Time{b, at(11, 45), at(13, 45), at(15, 45), at(20, 45)} {
		t.Run(at.Format("15:04"), func(t *testing.T) {
			defer func(old func() time.Time) { *demo.Clock = old }(*demo.Clock)
			*demo.Clock = func() time.Time { return at }
			demoHasWorkForEveryone(t)
		})
	}
}

func demoHasWorkForEveryone(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		for _, st := range []string{booking.Submitted, booking.Returned, booking.Approved, booking.PendingConsent, booking.Dispatched,
			booking.Departed, booking.Finished, booking.Back, booking.Closed, booking.Cancelled} {
			n, err := db.R.NewSelect().Table("orders").Where("state = ?", st).Count(ctx)
			if err != nil || n == 0 {
				t.Errorf("no demo order in state %s (%v)", st, err)
			}
		}
		counts := map[string]func(c booking.Counts) int{
			"jgj_approver":   func(c booking.Counts) int { return c.Inbox },
			"jgj_dispatcher": func(c booking.Counts) int { return c.ToDispatch * c.ToReturn },
			"jgj_driver":     func(c booking.Counts) int { return c.MyTasks },
			"jgj_vm":         func(c booking.Counts) int { return c.OverdueFilings },
			"jgj_staff":      func(c booking.Counts) int { return c.ToRate },
		}
		for user, get := range counts {
			c, err := w.Booking.Counts(ctx, w.Actor(t, user))
			if err != nil || get(c) == 0 {
				t.Errorf("%s has nothing to do in the demo: %+v %v", user, c, err)
			}
		}
		over, err := db.R.NewSelect().Table("units").Where("kind = 'unit' AND vehicle_count > vehicle_quota").Count(ctx)
		if err != nil || over != 1 {
			t.Errorf("over-quota units: %d (%v), want 1", over, err)
		}
		for _, q := range []string{"incomplete = TRUE", "confirmed_at IS NULL OR confirmed_at < '2026-05-01'"} {
			if n, err := db.R.NewSelect().Table("vehicles").Where(q).Count(ctx); err != nil || n == 0 {
				t.Errorf("no demo vehicle with %s (%v)", q, err)
			}
		}
	})
}

// Every demo order has someone to take its next step: no unit lacks
// an approver, a dispatcher or a vehicle manager it needs, and the README's
// applicant of 钟楼区财政局 submits to an approver's inbox.
func TestDemoOrdersHaveSomeoneToAct(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		gaps, err := w.Booking.Gaps(ctx, w.Actor(t, "city_admin"))
		if err != nil || len(gaps) != 0 {
			for _, g := range gaps {
				t.Errorf("%s lacks %v (%d orders waiting)", g.UnitName, g.Missing, g.Stranded)
			}
			t.Fatal(err)
		}
		pickup := time.Now().Add(72 * time.Hour).Truncate(time.Hour)
		o, err := w.Booking.Create(ctx, w.Actor(t, "zl_czj_staff"), booking.Input{Reason: "赴市财政局报送预算材料", PassengerCount: 1,
			PickupPlace: "钟楼区政府", Destinations: []string{"市行政中心"}, PickupAt: pickup, ReturnAt: pickup.Add(2 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		inbox, _, err := w.Booking.List(ctx, w.Actor(t, "zl_czj_approver"), booking.Filter{Inbox: true, Page: 1, Size: 50})
		found := false
		for _, x := range inbox {
			found = found || x.ID == o.ID
		}
		if err != nil || !found {
			t.Errorf("the application is not in the approver's inbox (%v)", err)
		}
	})
}

// The demo's figures agree with each other (issue 24): every filing the
// emergency list shows for a trip without an order has that trip in
// 行程与里程 (same vehicle, same start), every trip 行程与里程 counts as
// without order has its filing, and purchase prices are the models' real
// prices (a 红旗 H5 costs 15–20 万元, not ¥18,931).
func TestDemoFiguresAgree(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		var orphans []string
		if err := w.DB.R.NewSelect().TableExpr("emergency_filings AS f").ColumnExpr("f.source_ref").
			Where("f.source = 'trip'").
			Where("NOT EXISTS (SELECT 1 FROM trips AS t WHERE t.filing_id = f.id AND t.vehicle_id = f.vehicle_id AND t.started_at = f.started_at)").
			Scan(ctx, &orphans); err != nil {
			t.Fatal(err)
		}
		if len(orphans) > 0 {
			t.Errorf("filings of trips without an order that 行程与里程 does not show: %v", orphans)
		}
		n, err := w.DB.R.NewSelect().Table("emergency_filings").Where("source = 'trip'").Count(ctx)
		if err != nil || n == 0 {
			t.Errorf("the demo has no filing of a trip without an order (%v)", err)
		}
		unfiled, err := w.DB.R.NewSelect().Table("trips").Where("state = 'closed' AND linked_at IS NOT NULL AND order_id IS NULL AND filing_id IS NULL").Count(ctx)
		if err != nil || unfiled != 0 {
			t.Errorf("%d trips without an order and without a filing (%v)", unfiled, err)
		}
		var prices []struct {
			Brand string `bun:"brand"`
			Model string `bun:"model"`
			Min   int64  `bun:"lo"`
			Max   int64  `bun:"hi"`
		}
		if err := w.DB.R.NewSelect().Table("vehicles").ColumnExpr("brand, model, MIN(purchase_price) AS lo, MAX(purchase_price) AS hi").
			Where("purchase_price IS NOT NULL").GroupExpr("brand, model").Scan(ctx, &prices); err != nil {
			t.Fatal(err)
		}
		for _, p := range prices {
			lo, hi := int64(80_000_00), int64(600_000_00) // 8–60 万元 in fen: a government car or bus
			if p.Brand == "红旗" && p.Model == "H5" {
				lo, hi = 150_000_00, 200_000_00
			}
			if p.Min < lo || p.Max > hi {
				t.Errorf("%s %s priced %d–%d fen, want %d–%d", p.Brand, p.Model, p.Min, p.Max, lo, hi)
			}
		}
		if len(prices) == 0 {
			t.Error("no demo vehicle has a purchase price")
		}
	})
}

// The demo's savings rate reads as a real city's would (docs/savings-rate.md,
// Demo): this year every node with costs measured against its budget, no
// rate beyond ±20 %; last year, a month or so on the ledger, no rate and the
// reason (it was −988.6 % for 天宁区 against the market price of its few
// trips, and 92 % for the city against a whole year's budget).
func TestDemoSavingsRate(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		var chosen struct {
			Year  int       `bun:"year"`
			Basis string    `bun:"basis"`
			At    time.Time `bun:"updated_at"`
		}
		if err := w.DB.R.NewSelect().Table("savings_bases").Column("year", "basis", "updated_at").Scan(ctx, &chosen); err != nil {
			t.Fatal(err)
		}
		w.SavingsRate.Now = func() time.Time { return chosen.At } // the demo's day
		city := w.Actor(t, "city_admin")
		var levels []int64
		if err := w.DB.R.NewSelect().Table("units").Column("id").Where("kind IN ('city', 'district')").Scan(ctx, &levels); err != nil {
			t.Fatal(err)
		}
		for _, id := range levels {
			for _, year := range []int{chosen.Year, chosen.Year - 1} {
				res, err := w.SavingsRate.Compute(ctx, city, id, year)
				if err != nil {
					t.Fatal(err)
				}
				for _, r := range append(res.Rows, res.Node) {
					rate, base := "—", "—"
					if r.Rate != nil {
						rate = fmt.Sprintf("%.1f %%", *r.Rate)
					}
					if r.Baseline != nil {
						base = fmt.Sprint(*r.Baseline)
					}
					switch {
					case year == chosen.Year && r.Actual > 0 && (r.Rate == nil || r.Basis != "budget" || *r.Rate < -20 || *r.Rate > 20):
						t.Errorf("%d %s: %s baseline %s, actual %d, rate %s (%s)", year, r.Name, r.BasisName, base, r.Actual, rate, r.Note)
					case year < chosen.Year && (r.Rate != nil || r.Note == ""):
						t.Errorf("%d %s: rate %s against %s without a fair baseline (%s)", year, r.Name, rate, base, r.Note)
					}
				}
			}
		}
	})
}
