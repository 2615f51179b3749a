package insurance_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/insurance"
)

// A policy ending within 30 days without a renewal reminds the vehicle
// managers once; the list of expiring policies shows it until renewed; a
// company sees only its own policies on vehicles its contracts cover.
func TestExpiryReminderAndScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		insurer, vm := w.Actor(t, "co_insurer"), w.Actor(t, "jgj_vm")
		var plate string
		if err := db.R.NewSelect().TableExpr("vehicles AS v").Column("v.plate").Where("v.unit_id = ? AND v.status <> 'disposed'", w.UnitID(t, "市机关事务管理局")).
			OrderExpr("v.id").Limit(1).Scan(ctx, &plate); err != nil {
			t.Fatal(err)
		}
		// The service's today is the test's: one instant for both, so a
		// Beijing midnight during the test cannot set them a day apart.
		now := time.Now()
		w.Insurance.Now = func() time.Time { return now }
		day := func(d int) string {
			return beijing.Date(now.AddDate(0, 0, d))
		}
		push := func(no, ends string) {
			t.Helper()
			if _, err := w.Insurance.PushPolicy(ctx, insurer, insurance.PolicyInput{PolicyNo: no, Kind: "compulsory", Plate: plate,
				StartsOn: day(-340), EndsOn: ends, PremiumFen: 95000}); err != nil {
				t.Fatal(err)
			}
		}
		// The demo's compulsory policies of this vehicle make way for ours.
		if _, err := db.W.NewRaw("DELETE FROM insurance_policies WHERE kind = 'compulsory' AND vehicle_id = (SELECT id FROM vehicles WHERE plate = ?)", plate).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		push("TEST-OLD", day(25))
		for range 2 {
			if _, err := w.Insurance.RemindExpiring(ctx); err != nil {
				t.Fatal(err)
			}
		}
		n, err := db.R.NewSelect().Table("notifications").Where("user_id = ? AND kind = 'insurance' AND body LIKE ?", vm.UserID, "%TEST-OLD%").Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("expiry reminders after two runs: %d %v, want 1", n, err)
		}
		expiring := func() bool {
			ps, _, err := w.Insurance.Policies(ctx, vm, insurance.Filter{State: "expiring", Q: plate, Page: 1, Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range ps {
				if p.PolicyNo == "TEST-OLD" {
					return p.State == "expiring"
				}
			}
			return false
		}
		if !expiring() {
			t.Error("policy ending in 25 days not listed as expiring")
		}
		push("TEST-NEW", day(390))
		if expiring() {
			t.Error("renewed policy still listed as expiring")
		}
		// Another district's vehicle manager does not see it; an insurer
		// whose contract does not cover the vehicle can neither see nor push.
		tnVM := *vm
		tnVM.ScopePath = w.UnitPath(t, "天宁区")
		ps, _, err := w.Insurance.Policies(ctx, &tnVM, insurance.Filter{Q: plate, Page: 1, Size: 50})
		if err != nil || len(ps) != 0 {
			t.Errorf("out-of-scope staff sees %d policies (%v)", len(ps), err)
		}
		narrow := *insurer
		narrow.Contracts = []string{w.UnitPath(t, "天宁区")}
		if _, err := w.Insurance.PushPolicy(ctx, &narrow, insurance.PolicyInput{PolicyNo: "TEST-X", Kind: "compulsory", Plate: plate,
			StartsOn: day(0), EndsOn: day(364), PremiumFen: 95000}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("push outside the contracts: %v", err)
		}
		if ps, _, _ := w.Insurance.Policies(ctx, &narrow, insurance.Filter{Q: plate, Page: 1, Size: 50}); len(ps) != 0 {
			t.Errorf("insurer sees %d policies outside its contracts", len(ps))
		}
	})
}
