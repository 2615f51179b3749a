package notify_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
)

// texts records the text messages it would send.
type texts []string

func (x *texts) Send(_ context.Context, phone, text string) error {
	*x = append(*x, phone+" "+text)
	return nil
}

// A message reaches each of its users once: stored, pushed to their open
// consoles and, when asked, texted; they read it and mark it read.
func TestNotifier(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		var sms texts
		n := &notify.Notifier{DB: db, SMS: &sms}
		vm := w.Actor(t, "jgj_vm")

		managers, err := notify.Recipients(ctx, db.R, access.VehicleManager, w.UnitPath(t, "市机关事务管理局"))
		if err != nil || !slices.Contains(managers, vm.UserID) {
			t.Fatalf("vehicle managers of the unit: %v, %v (want %d)", managers, err, vm.UserID)
		}

		// The demo's messages are read first.
		if err := n.MarkRead(ctx, vm, 0); err != nil {
			t.Fatal(err)
		}
		_, before, err := n.List(ctx, vm, false, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		ch, stop := n.Subscribe(vm.UserID)
		defer stop()
		n.Send(ctx, notify.Message{Users: []int64{vm.UserID, vm.UserID, 0}, Kind: "repair", Title: "维修预算待审批", Body: "WX1 苏D12345", Link: "/repairs/1", SMS: true},
			notify.Message{Users: []int64{vm.UserID}, Kind: "order", Title: "已派车", Body: "YC1"})
		for _, title := range []string{"维修预算待审批", "已派车"} {
			select {
			case x := <-ch:
				if x.Title != title {
					t.Errorf("pushed %q, want %q", x.Title, title)
				}
			case <-time.After(10 * time.Second): // a bound, not a measure: the machine may be busy
				t.Fatalf("%q not pushed", title)
			}
		}
		if len(sms) != 1 || !strings.HasSuffix(sms[0], " 【常州公务用车】维修预算待审批：WX1 苏D12345") {
			t.Errorf("texts: %q", sms)
		}
		list, total, err := n.List(ctx, vm, true, 1, 20)
		if err != nil || total != 2 || list[0].Kind != "order" || list[1].Link != "/repairs/1" {
			t.Fatalf("unread: %d %+v, %v", total, list, err)
		}
		if err := n.MarkRead(ctx, vm, list[1].ID); err != nil {
			t.Fatal(err)
		}
		if err := n.MarkRead(ctx, vm, list[1].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("marking a read message again: %v", err)
		}
		if err := n.MarkRead(ctx, w.Actor(t, "city_admin"), list[0].ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("marking another user's message: %v", err)
		}
		if err := n.MarkRead(ctx, vm, 0); err != nil {
			t.Fatal(err)
		}
		if _, total, err := n.List(ctx, vm, true, 1, 20); err != nil || total != 0 {
			t.Fatalf("unread after marking all: %d, %v", total, err)
		}
		if _, total, err := n.List(ctx, vm, false, 1, 20); err != nil || total != before+2 {
			t.Fatalf("all: %d, %v", total, err)
		}
		(*notify.Notifier)(nil).Send(ctx, notify.Message{Users: []int64{vm.UserID}}) // sends nothing
	})
}
