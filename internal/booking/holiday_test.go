package booking_test

import (
	"context"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
)

// Holiday use of a sealed vehicle is filed with the authority: the
// level above the unit reviews it in its own list, approves or returns it
// with a reason; the unit sees the outcome and hears of it; each step is
// in the audit log.
func TestHolidayFilingReview(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-09-20 09:00"))
		ctx := context.Background()
		s := f.svc
		s.SetDelegation(ctx, f.a("jgj_vm"), w.UnitID(t, "市机关事务管理局"), true, "")
		filed := func(pickup, vehicle, reason string) *booking.Order {
			o := f.order("jgj_staff", pickup, 3, 2)
			if _, err := s.Approve(ctx, f.a("jgj_approver"), o.ID, ""); err != nil {
				t.Fatal(err)
			}
			o, err := s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v[vehicle], DriverID: f.d["朱师傅"], SealedFiling: reason})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		// 2026-10-02 and 10-03 are in the National Day holiday.
		o1 := filed("2026-10-02 09:00", "mpv", "国庆期间防汛值守")
		o2 := filed("2026-10-03 09:00", "sedan", "省检查组来常接待")
		pending := func(user string) map[int64]*booking.HolidayFiling {
			fs, _, err := s.HolidayFilings(ctx, f.a(user), booking.HolidayFilter{State: booking.FilingPending, Page: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			out := map[int64]*booking.HolidayFiling{}
			for _, x := range fs {
				out[x.OrderID] = x
			}
			return out
		}
		// A unit directly under the city files with the city.
		mine := pending("city_admin")
		f1, f2 := mine[o1.ID], mine[o2.ID]
		if f1 == nil || f2 == nil || f1.AuthorityName != "常州市" || !f1.Reviewable || f1.Reason != "国庆期间防汛值守" || !strings.Contains(f1.Holiday, "国庆") {
			t.Fatalf("the city's pending filings: %+v %+v", f1, f2)
		}
		if len(pending("tn_admin")) > 0 && pending("tn_admin")[o1.ID] != nil {
			t.Error("a district sees a city unit's filing")
		}
		if x := pending("jgj_dispatcher")[o1.ID]; x == nil || x.Reviewable {
			t.Errorf("the unit sees its filing, not to review: %+v", x)
		}
		if n := countWhere(t, w, "notifications AS n JOIN users AS u ON u.id = n.user_id", "u.username = 'city_admin' AND n.kind = 'holiday'"); n < 2 {
			t.Errorf("the authority was told of %d filings, want 2", n)
		}
		cases := []struct {
			name    string
			user    string
			id      int64
			approve bool
			note    string
			code    errs.Code
			want    string
		}{
			{"a district administrator", "tn_admin", f1.ID, true, "", errs.Forbidden, "应由常州市审核"},
			{"a supervisor", "city_jw", f1.ID, true, "", errs.Forbidden, ""},
			{"return without a reason", "city_admin", f1.ID, false, " ", errs.Invalid, "请填写退回原因"},
			{"return", "city_admin", f1.ID, false, "防汛值守应使用应急保障车辆", "", booking.FilingReturned},
			{"review twice", "city_admin", f1.ID, true, "", errs.Conflict, "已退回"},
			{"approve", "city_admin", f2.ID, true, "", "", booking.FilingApproved},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := s.ReviewHoliday(ctx, f.a(c.user), c.id, c.approve, c.note)
				if c.code != "" {
					if !errs.Is(err, c.code) || !strings.Contains(err.Error(), c.want) {
						t.Fatalf("got %v, want %s %q", err, c.code, c.want)
					}
					return
				}
				if err != nil || got.State != c.want || got.ReviewedByName == "" {
					t.Fatalf("got %+v %v", got, err)
				}
			})
		}
		// The unit sees the outcome on the order and in its messages.
		d, err := s.Get(ctx, f.a("jgj_dispatcher"), o1.ID)
		if err != nil || d.HolidayFiling == nil || d.HolidayFiling.StateName != "已退回" || d.HolidayFiling.ReviewNote != "防汛值守应使用应急保障车辆" {
			t.Fatalf("the order's filing: %+v %v", d.HolidayFiling, err)
		}
		if n := countWhere(t, w, "notifications AS n JOIN users AS u ON u.id = n.user_id", "u.username = 'jgj_dispatcher' AND n.title = '节假日用车备案已退回'"); n != 1 {
			t.Errorf("the dispatcher heard of the return %d times", n)
		}
		for _, action := range []string{"holiday.file", "holiday.return", "holiday.approve"} {
			if n := countWhere(t, w, "audit_log", "action = '"+action+"'"); n == 0 {
				t.Errorf("no audit entry %s", action)
			}
		}
	})
}

func countWhere(t *testing.T, w *apptest.World, table, where string) int {
	t.Helper()
	n, err := w.DB.R.NewSelect().TableExpr(table).Where(where).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}
