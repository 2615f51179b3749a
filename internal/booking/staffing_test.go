package booking_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
)

// An application no approver would ever see is refused with a message
// naming the administrators who can set one (R-13(2)); the unit shows
// among the gaps until an approver is set, and then it submits.
func TestSubmissionNeedsAnApprover(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		var zlAdmin string
		if err := w.DB.R.NewSelect().Table("users").Column("real_name").Where("username = 'zl_admin'").Scan(ctx, &zlAdmin); err != nil {
			t.Fatal(err)
		}
		in := booking.Input{Reason: "赴区政府报送材料", PassengerCount: 1, PickupPlace: "区政府", Destinations: []string{"市行政中心"},
			PickupAt: apptest.BJ("2026-11-23 09:00"), ReturnAt: apptest.BJ("2026-11-23 11:00")}
		cases := []struct {
			name, unit, applicant, want string
		}{
			{"a unit with its own administrator", "市机关事务管理局", "jgj_staff", "请联系单位管理员蒋文静设置审核员"},
			{"a unit without one: the district's platform administrator", "钟楼区财政局", "zl_czj_staff", "请联系平台管理员" + zlAdmin + "设置审核员"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				unit := w.UnitID(t, c.unit)
				// The unit's approvers leave.
				if _, err := w.DB.W.ExecContext(ctx, `UPDATE users SET active = ? WHERE scope_id = ? AND id IN (SELECT user_id FROM user_roles WHERE role = 'approver')`, false, unit); err != nil {
					t.Fatal(err)
				}
				before := w.Count(t, "orders")
				_, err := f.svc.Create(ctx, f.a(c.applicant), in)
				if !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "本单位尚未设置审核员") || !strings.Contains(err.Error(), c.want) {
					t.Fatalf("got %v, want a refusal naming %q", err, c.want)
				}
				if w.Count(t, "orders") != before {
					t.Error("the refused application was stored")
				}
				gaps, err := f.svc.Gaps(ctx, f.a("city_admin"))
				if err != nil {
					t.Fatal(err)
				}
				var gap *booking.Gap
				for _, g := range gaps {
					if g.UnitID == unit {
						gap = g
					}
				}
				if gap == nil || !strings.Contains(strings.Join(gap.Missing, "、"), "审核员") {
					t.Fatalf("the unit is not among the gaps: %+v", gap)
				}
				// Another district's administrator does not see it.
				other, _ := f.svc.Gaps(ctx, f.a("xb_admin"))
				for _, g := range other {
					if g.UnitID == unit {
						t.Error("a gap outside the scope was listed")
					}
				}
				// An approver is set: the application goes through, to the approver's inbox.
				if _, err := w.Auth.Bootstrap(ctx, "new_approver_"+time.Now().Format("150405.000000"), "新审核员", "", "Demo@2026", unit, false, "approver"); err != nil {
					t.Fatal(err)
				}
				if _, err := f.svc.Create(ctx, f.a(c.applicant), in); err != nil {
					t.Fatalf("with an approver: %v", err)
				}
				gaps, _ = f.svc.Gaps(ctx, f.a("city_admin"))
				for _, g := range gaps {
					if g.UnitID == unit && strings.Contains(strings.Join(g.Missing, "、"), "审核员") {
						t.Error("the unit still lacks an approver")
					}
				}
			})
		}
		// Out of the city with two approvals required and one approver.
		jgj := w.UnitID(t, "市机关事务管理局")
		if _, err := w.DB.W.ExecContext(ctx, "INSERT INTO booking_rules (unit_id, second_approval_out_of_city, updated_at) VALUES (?, ?, ?)", jgj, true, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE users SET active = ? WHERE username = 'jgj_approver'", true); err != nil {
			t.Fatal(err)
		}
		if _, err := w.DB.W.ExecContext(ctx, `UPDATE users SET active = ? WHERE scope_id = ? AND username LIKE 'new_approver_%'`, false, jgj); err != nil {
			t.Fatal(err)
		}
		out := in
		out.OutOfCity = true
		if _, err := f.svc.Create(ctx, f.a("jgj_staff"), out); !errs.Is(err, errs.Conflict) || !strings.Contains(err.Error(), "只有一位审核员") {
			t.Errorf("two approvals with one approver: %v", err)
		}
	})
}
