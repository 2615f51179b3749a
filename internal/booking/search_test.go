package booking_test

import (
	"context"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
)

// Administrators and supervisors above a unit find its orders,
// never one outside their subtree (the export reads the same list: TestListExports).
func TestOrderSearchScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		s := f.svc
		s.SetDelegation(ctx, f.a("jgj_vm"), w.UnitID(t, "市机关事务管理局"), true, "")
		city := f.order("jgj_staff", "2026-11-23 09:00", 4, 2)
		if _, err := s.Approve(ctx, f.a("jgj_approver"), city.ID, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Dispatch(ctx, f.a("jgj_dispatcher"), city.ID, booking.DispatchInput{VehicleID: f.v["sedan"], DriverID: f.d["朱师傅"]}); err != nil {
			t.Fatal(err)
		}
		// An order of a unit of 天宁区.
		district := f.order("jgj_staff", "2026-11-24 09:00", 2, 1)
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE orders SET unit_id = ?, pickup_place = '天宁区政府' WHERE id = ?", w.UnitID(t, "天宁区城市管理局"), district.ID); err != nil {
			t.Fatal(err)
		}
		nos := func(user string, flt booking.Filter) (string, error) {
			flt.Page, flt.Size = 1, 50
			flt.From, flt.To = apptest.BJ("2026-11-23 00:00"), apptest.BJ("2026-11-25 00:00")
			os, _, err := s.List(ctx, f.a(user), flt)
			var out []string
			for _, o := range os {
				if o.ID == city.ID || o.ID == district.ID {
					out = append(out, map[bool]string{true: "city", false: "district"}[o.ID == city.ID])
				}
			}
			return strings.Join(out, ","), err
		}
		cases := []struct {
			name, user string
			flt        booking.Filter
			want       string
			code       errs.Code
		}{
			{"city supervisor sees the city", "city_jw", booking.Filter{}, "district,city", ""},
			{"city administrator", "city_admin", booking.Filter{}, "district,city", ""},
			{"finance supervisor", "city_cz", booking.Filter{}, "district,city", ""},
			{"district supervisor sees its district only", "tn_jw", booking.Filter{}, "district", ""},
			{"district administrator", "tn_admin", booking.Filter{}, "district", ""},
			{"another district sees neither", "zl_admin", booking.Filter{}, "", ""},
			{"a unit outside the subtree is refused", "tn_jw", booking.Filter{UnitID: w.UnitID(t, "市机关事务管理局")}, "", errs.Forbidden},
			{"by unit", "city_jw", booking.Filter{UnitID: w.UnitID(t, "市机关事务管理局")}, "city", ""},
			{"by vehicle", "city_jw", booking.Filter{VehicleID: f.v["sedan"]}, "city", ""},
			{"by driver", "city_jw", booking.Filter{DriverID: f.d["朱师傅"]}, "city", ""},
			{"by applicant", "city_jw", booking.Filter{Applicant: "秦小"}, "district,city", ""},
			{"by place", "city_jw", booking.Filter{Place: "天宁区政府"}, "district", ""},
			{"by destination", "city_jw", booking.Filter{Place: "武进"}, "district,city", ""},
			{"by state", "city_jw", booking.Filter{State: booking.Dispatched}, "city", ""},
			{"by driver's name in the text", "city_jw", booking.Filter{Q: "朱师傅"}, "city", ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				got, err := nos(c.user, c.flt)
				if c.code != "" {
					if !errs.Is(err, c.code) {
						t.Fatalf("got %v, want %s", err, c.code)
					}
					return
				}
				if err != nil || got != c.want {
					t.Fatalf("got %q (%v), want %q", got, err, c.want)
				}
			})
		}
	})
}
