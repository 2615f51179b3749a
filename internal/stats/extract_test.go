package stats_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/stats"
)

// Data extraction: the preview's total is the order list's for the same
// filter, codes are shown as names, the columns are the ones picked;
// saved queries are shared down the hierarchy and deleted only by their
// owner; every extraction is in the audit log.
func TestExtraction(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		month := beijing.MonthStart(time.Now()).AddDate(0, -1, 0)
		sp := stats.Spec{Dataset: "orders", From: beijing.Date(month), To: beijing.Date(month.AddDate(0, 1, -1)),
			Filters: map[string]string{"state": "closed"}, Columns: []string{"no", "state", "plate"}}
		res, err := w.Stats.Extract(ctx, city, sp, false)
		if err != nil {
			t.Fatal(err)
		}
		_, n, err := w.Booking.List(ctx, city, booking.Filter{State: "closed", From: month, To: month.AddDate(0, 1, 0), Page: 1, Size: 1})
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != n || n == 0 || len(res.Rows) != min(n, stats.PreviewRows) || len(res.Columns) != 3 {
			t.Fatalf("preview: %d of %d rows, %d columns; the order list %d", len(res.Rows), res.Total, len(res.Columns), n)
		}
		if res.Rows[0][1] != booking.StateNames["closed"] {
			t.Errorf("state shown as %v", res.Rows[0][1])
		}
		if _, err := w.Stats.Extract(ctx, city, stats.Spec{Dataset: "orders", Columns: []string{"id"}}, false); !errs.Is(err, errs.Invalid) {
			t.Errorf("an unknown column: %v", err)
		}
		for _, ds := range stats.Datasets {
			if _, err := w.Stats.Extract(ctx, city, stats.Spec{Dataset: ds.Key, From: "2026-01-01", To: "2026-12-31"}, true); err != nil {
				t.Errorf("%s: %v", ds.Key, err)
			}
		}
		// A unit's administrator sees its unit's vehicles only.
		unit := w.Actor(t, "jgj_admin")
		res, err = w.Stats.Extract(ctx, unit, stats.Spec{Dataset: "vehicles"}, false)
		if err != nil {
			t.Fatal(err)
		}
		u, err := w.Org.Get(ctx, city, unit.ScopeID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Total != u.VehicleCount+countDisposed(t, w, unit.ScopeID) {
			t.Errorf("a unit's vehicles: %d, the unit holds %d", res.Total, u.VehicleCount)
		}
		if _, err := w.Stats.Extract(ctx, unit, stats.Spec{Dataset: "vehicles", UnitID: w.UnitID(t, "天宁区")}, false); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another node: %v", err)
		}

		// Saved at the district, shared with its units, not with another district.
		tn := w.Actor(t, "tn_admin")
		q, err := w.Stats.SaveQuery(ctx, tn, stats.QueryInput{Name: "天宁本月已完成订单", Spec: sp})
		if err != nil {
			t.Fatal(err)
		}
		sees := func(who string) bool {
			qs, err := w.Stats.Queries(ctx, w.Actor(t, who))
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range qs {
				if x.ID == q.ID {
					return true
				}
			}
			return false
		}
		if !sees("tn_admin") || !sees("city_admin") || sees("zl_admin") {
			t.Errorf("shared: tn %v, city %v, zl %v", sees("tn_admin"), sees("city_admin"), sees("zl_admin"))
		}
		if err := w.Stats.DeleteQuery(ctx, city, q.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("deleted by another: %v", err)
		}
		if err := w.Stats.DeleteQuery(ctx, tn, q.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Stats.SaveQuery(ctx, tn, stats.QueryInput{Name: " ", Spec: sp}); !errs.Is(err, errs.Invalid) {
			t.Errorf("no name: %v", err)
		}
		var audited int
		audited, err = w.DB.R.NewSelect().Table("audit_log").Where("action IN ('extract.preview', 'extract.export', 'extract.save', 'extract.delete')").Count(ctx)
		if err != nil || audited < 4+len(stats.Datasets) {
			t.Errorf("%d extractions audited (%v)", audited, err)
		}
	})
}

func countDisposed(t *testing.T, w *apptest.World, unit int64) int {
	n, err := w.DB.R.NewSelect().Table("vehicles").Where("unit_id = ? AND status = 'disposed'", unit).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// 超编车辆数 is defined once (org.Excess): a level's is the sum of its units'
// excess, and a node is tagged 超编 exactly when it is above 0 — the city
// is no longer tagged beside "超 0 辆".
func TestExcessDefinedOnce(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		units, _, err := w.Org.List(ctx, city, org.Filter{Kind: org.KindUnit, Active: "true", Page: 1, Size: 1000})
		if err != nil {
			t.Fatal(err)
		}
		sum := 0
		for _, u := range units {
			sum += org.Excess(u.VehicleCount, u.VehicleQuota)
			if u.OverQuota != (u.OverBy > 0) || u.OverBy != org.Excess(u.VehicleCount, u.VehicleQuota) {
				t.Errorf("%s: 超编 %v, 超 %d 辆", u.Name, u.OverQuota, u.OverBy)
			}
		}
		root, err := w.Org.Get(ctx, city, city.ScopeID)
		if err != nil {
			t.Fatal(err)
		}
		if root.OverBy != sum || root.OverQuota != (sum > 0) || sum == 0 {
			t.Errorf("city: 超编 %v, 超 %d 辆; its units' excess %d", root.OverQuota, root.OverBy, sum)
		}
	})
}
