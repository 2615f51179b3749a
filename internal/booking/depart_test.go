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

// Departures no car could make are refused (R-13(4)): too long before the
// pick-up time (the level's departure window), the car or the driver still
// out on another order, an odometer reading below the car's last one.
func TestImpossibleDepartures(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		s := f.svc
		s.SetDelegation(ctx, f.a("jgj_vm"), w.UnitID(t, "市机关事务管理局"), true, "")
		dispatched := func(pickup, vehicle string) *booking.Order {
			o := f.order("jgj_staff", pickup, 2, 2)
			if _, err := s.Approve(ctx, f.a("jgj_approver"), o.ID, ""); err != nil {
				t.Fatal(err)
			}
			o, err := s.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v[vehicle], DriverID: f.d["朱师傅"]})
			if err != nil {
				t.Fatal(err)
			}
			return o
		}
		a := dispatched("2026-11-23 09:00", "sedan")
		b := dispatched("2026-11-23 14:00", "sedan")
		c := dispatched("2026-11-24 09:00", "mpv")
		// The city narrows the departure window to an hour.
		if _, err := w.DB.W.ExecContext(ctx, `INSERT INTO supervision_params (rule, unit_id, enabled, params, updated_at) VALUES ('order_window', ?, ?, ?, ?)`,
			w.UnitID(t, "常州市"), true, `{"values":{"depart_early_min":60}}`, time.Now().UTC()); err != nil {
			t.Fatal(err)
		}
		driver := f.a("jgj_driver")
		steps := []struct {
			name     string
			at       string
			order    *booking.Order
			odometer int
			want     string // "" succeeds
		}{
			{"three days early", "2026-11-20 09:00", a, 12000, "最早可在报到前1小时出车"},
			{"ninety minutes early with a one-hour window", "2026-11-23 07:30", a, 12000, "最早可在报到前1小时出车"},
			{"half an hour early", "2026-11-23 08:30", a, 12000, ""},
			{"the car still out on another order", "2026-11-23 13:50", b, 12100, "车辆 测T0000 正在执行订单 " + a.No},
			{"the driver still out on another order", "2026-11-24 08:50", c, 5000, "驾驶员 朱师傅 正在执行订单 " + a.No},
		}
		run := func(name, at string, o *booking.Order, odometer int, want string) {
			t.Run(name, func(t *testing.T) {
				s.Now = func() time.Time { return apptest.BJ(at) }
				got, err := s.Depart(ctx, driver, o.ID, odometer)
				if want == "" {
					if err != nil || got.State != booking.Departed {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				msg := ""
				if e, ok := err.(*errs.Error); ok {
					msg = e.Message + e.Fields["odometer"]
				}
				if !strings.Contains(msg, want) {
					t.Fatalf("got %v, want %q", err, want)
				}
				if d, _ := s.Get(ctx, driver, o.ID); d.State != booking.Dispatched {
					t.Errorf("a refused departure changed the order to %s", d.State)
				}
			})
		}
		for _, st := range steps {
			run(st.name, st.at, st.order, st.odometer, st.want)
		}
		s.Now = func() time.Time { return apptest.BJ("2026-11-23 11:00") }
		if _, err := s.Finish(ctx, driver, a.ID, 12050); err != nil {
			t.Fatal(err)
		}
		run("the odometer below the car's last reading", "2026-11-23 13:50", b, 11000, "不能小于该车上次记录的 12050 公里（订单 "+a.No+"）")
		run("the odometer going on from there", "2026-11-23 13:50", b, 12060, "")
	})
}
