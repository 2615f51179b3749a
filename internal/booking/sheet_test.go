package booking_test

import (
	"context"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/pdf"
)

// dispatched makes an order and takes it through approval and dispatch (the vehicle manager's
// standing consent), as the people of R-13.
func dispatched(t testing.TB, f *fx) *booking.Order {
	ctx := context.Background()
	if err := f.svc.SetDelegation(ctx, f.a("jgj_vm"), f.w.UnitID(t, "市机关事务管理局"), true, ""); err != nil {
		t.Fatal(err)
	}
	o, err := f.svc.Create(ctx, f.a("jgj_staff"), booking.Input{Reason: "参加全市安全生产会议", Passengers: "秦小敏、王建国", PassengerCount: 2,
		PickupPlace: "市行政中心", Destinations: []string{"武进区政府", "金坛区政府"}, PickupAt: apptest.BJ("2026-11-23 09:00"), ReturnAt: apptest.BJ("2026-11-23 17:30")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Approve(ctx, f.a("jgj_approver"), o.ID, "同意"); err != nil {
		t.Fatal(err)
	}
	o, err = f.svc.Dispatch(ctx, f.a("jgj_dispatcher"), o.ID, booking.DispatchInput{VehicleID: f.v["mpv"], DriverID: f.d["朱师傅"]})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// The 派车单 says what the order says: its number, unit, applicant, passengers, times, places,
// reason, the vehicle's plate and model, the driver, who approved and dispatched it, and the
// signature lines; one who may not see the order gets no sheet.
func TestDispatchSheet(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-11-20 09:00"))
		ctx := context.Background()
		o := dispatched(t, f)
		b, name, err := f.svc.DispatchSheet(ctx, f.a("jgj_staff"), o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if name != "派车单-"+o.No+".pdf" {
			t.Errorf("file name %q", name)
		}
		text, err := pdf.Text(b)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"公务用车派车单", "编号：" + o.No, "市机关事务管理局", "秦小敏、王建国（2 人）", "2026-11-23 09:00 至 2026-11-23 17:30",
			"市行政中心 → 武进区政府 → 金坛区政府", "参加全市安全生产会议", "测T0001  测试 mpv", "朱师傅", "已派车",
			"调度员 签字：", "驾驶员 签字：", "用车人 签字："}
		for _, s := range want {
			if !strings.Contains(text, s) {
				t.Errorf("the sheet does not say %q:\n%s", s, text)
			}
		}
		// approver and dispatcher by name, with the times of their steps
		d, _ := f.svc.Get(ctx, f.a("jgj_staff"), o.ID)
		for _, e := range d.Events {
			if (e.Action == "approve" || e.Action == "dispatch") && !strings.Contains(text, e.ActorName) {
				t.Errorf("the sheet does not name %s (%s)", e.ActorName, e.Action)
			}
		}
		if len(b) > 150_000 {
			t.Errorf("the sheet is %d bytes: the font is not subset", len(b))
		}
		t.Logf("派车单: %d bytes", len(b))
		if _, _, err := f.svc.DispatchSheet(ctx, f.a("zl_czj_staff"), o.ID); err == nil {
			t.Error("another unit's applicant printed the sheet")
		}
	})
}

// Issue target: a 派车单 in under 200 ms (the order read with its timeline, laid out, the font
// subset and the PDF written). Run: go test ./internal/booking -run '^$' -bench DispatchSheet
func BenchmarkDispatchSheet(b *testing.B) {
	w := apptest.SQLite(b)
	f := newFx(b, w, apptest.BJ("2026-11-20 09:00"))
	o := dispatched(b, f)
	ctx := context.Background()
	a := w.Actor(b, "jgj_staff")
	for b.Loop() {
		if _, _, err := f.svc.DispatchSheet(ctx, a, o.ID); err != nil {
			b.Fatal(err)
		}
	}
}
