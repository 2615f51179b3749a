package health_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/health"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// TestEventsLifecycle: a terminal of 市机关事务管理局 cuts its main power
// and goes silent; the job raises one event per condition however often
// it runs; the unit's vehicle manager requests the repair and marks it
// fixed (audited), an administrator of another district may not.
func TestEventsLifecycle(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		var phone string
		var vehicle int64
		if err := db.R.QueryRowContext(ctx, `SELECT t.sim, t.vehicle_id FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
			JOIN units u ON u.id = v.unit_id WHERE u.name = '市机关事务管理局' ORDER BY t.id LIMIT 1`).Scan(&phone, &vehicle); err != nil {
			t.Fatal(err)
		}
		phone = telematics.NormalizePhone(phone)
		t0 := time.Date(2030, 3, 4, 1, 0, 0, 0, time.UTC)
		now := t0
		svc := &health.Service{DB: db, Now: func() time.Time { return now }}
		initialN := map[string]int{}
		initial, err := svc.Counts(ctx, w.Actor(t, "city_admin"), 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range initial {
			initialN[c.Kind+"/"+c.State] = c.N
		}
		var ps []telematics.Position
		for i := range 10 {
			p := telematics.Position{VehicleID: vehicle, Phone: phone, At: t0.Add(time.Duration(i) * time.Minute), ReceivedAt: t0, Lat: 31780000, Lng: 119950000}
			if i >= 7 {
				p.Alarm = uint32(jt808.AlarmMainPowerCut)
			}
			ps = append(ps, p)
		}
		writePositions(t, db, ps)
		for _, after := range []time.Duration{5 * time.Minute, 20 * time.Minute, 25 * time.Minute, 26 * time.Minute} {
			now = t0.Add(after)
			if _, err := svc.Run(ctx); err != nil {
				t.Fatal(err)
			}
		}
		vm, city, other := w.Actor(t, "jgj_vm"), w.Actor(t, "city_admin"), w.Actor(t, "tn_admin")
		evs, n, err := svc.List(ctx, vm, health.Filter{VehicleID: vehicle})
		if err != nil || n != 2 {
			t.Fatalf("events: %d %v, want power cut and silence", n, err)
		}
		kinds := map[string]*health.Event{}
		for _, e := range evs {
			kinds[e.Kind] = e
		}
		cut, silent := kinds[health.PowerCut], kinds[health.SilentAfterCut]
		if cut == nil || silent == nil || !cut.OpenedAt.Equal(t0.Add(7*time.Minute)) || !silent.OpenedAt.Equal(t0.Add(9*time.Minute)) {
			t.Fatalf("events %+v", evs)
		}
		var ev map[string]any
		if json.Unmarshal(silent.Evidence, &ev) != nil || ev["last_report"] == nil {
			t.Errorf("evidence %s", silent.Evidence)
		}
		// The last report's place in words: the district and the nearest named place.
		if d := geo.District(31.78, 119.95); d == "" || !strings.HasPrefix(silent.Places["last_report"], d+"，") {
			t.Errorf("last report's place %q, want %q…", silent.Places["last_report"], d)
		}
		if others, _, _ := svc.List(ctx, other, health.Filter{}); len(others) != 0 {
			t.Errorf("天宁区 sees %d events of 市机关事务管理局", len(others))
		}
		// The city's counts grew by this terminal's two events (the demo
		// plants events of its own).
		counts, err := svc.Counts(ctx, city, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range counts {
			if want := initialN[c.Kind+"/"+c.State] + map[string]int{health.PowerCut + "/open": 1, health.SilentAfterCut + "/open": 1}[c.Kind+"/"+c.State]; c.N != want {
				t.Errorf("count %s/%s = %d, want %d", c.Kind, c.State, c.N, want)
			}
		}
		// The terminal reports again: the silence clears, the event stays open.
		writePositions(t, db, []telematics.Position{{VehicleID: vehicle, Phone: phone, At: t0.Add(27 * time.Minute), ReceivedAt: t0, Lat: 31780000, Lng: 119950000}})
		now = t0.Add(30 * time.Minute)
		if _, err := svc.Run(ctx); err != nil {
			t.Fatal(err)
		}
		evs, _, _ = svc.List(ctx, vm, health.Filter{VehicleID: vehicle, Kind: health.SilentAfterCut})
		if len(evs) != 1 || evs[0].ClearedAt == nil || evs[0].State != health.Open {
			t.Fatalf("after reporting again: %+v", evs)
		}
		// Lifecycle.
		if _, err := svc.RequestRepair(ctx, other, silent.ID, health.Action{}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another district requests repair: %v", err)
		}
		if _, err := svc.MarkFixed(ctx, vm, silent.ID, health.Action{}); !errs.Is(err, errs.Invalid) {
			t.Errorf("fixed without a note: %v", err)
		}
		before := w.Count(t, "audit_log")
		e, err := svc.RequestRepair(ctx, vm, silent.ID, health.Action{Note: "联系维修厂检查接线"})
		if err != nil || e.State != health.RepairRequested || e.RequestedByName != "杨建军" {
			t.Fatalf("repair: %+v %v", e, err)
		}
		if _, err := svc.RequestRepair(ctx, vm, silent.ID, health.Action{}); !errs.Is(err, errs.Conflict) {
			t.Errorf("repair twice: %v", err)
		}
		e, err = svc.MarkFixed(ctx, vm, silent.ID, health.Action{Note: "重新接通主电源并加装防拆封条"})
		if err != nil || e.State != health.Fixed || e.FixedAt == nil || e.Note != "重新接通主电源并加装防拆封条" {
			t.Fatalf("fixed: %+v %v", e, err)
		}
		if w.Count(t, "audit_log") != before+2 {
			t.Error("the lifecycle was not audited")
		}
		var summary string
		db.R.QueryRowContext(ctx, "SELECT summary FROM audit_log WHERE action = 'terminal_event.fix' ORDER BY id DESC LIMIT 1").Scan(&summary)
		if summary == "" {
			t.Error("no audit entry for the fix")
		}
		if pending, _, _ := svc.List(ctx, city, health.Filter{State: "pending", VehicleID: vehicle}); len(pending) != 1 || pending[0].Kind != health.PowerCut {
			t.Errorf("pending after the fix: %+v", pending)
		}
	})
}

// TestRunInBatches: terminals are recorded several per transaction, and a
// terminal with more positions than one read takes reads on from its
// cursor; each terminal's power cut is raised once, at its own time (issue
// 5, Performance: the minute job at 19,000 terminals).
func TestRunInBatches(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		defer health.SetLimits(15, 2)()
		db := w.DB
		ctx := context.Background()
		rows, err := db.R.QueryContext(ctx, "SELECT sim, vehicle_id FROM terminals WHERE vehicle_id IS NOT NULL ORDER BY id LIMIT 5")
		if err != nil {
			t.Fatal(err)
		}
		var ps []telematics.Position
		var phones []string
		t0 := time.Date(2030, 3, 4, 1, 0, 0, 0, time.UTC)
		for rows.Next() {
			var sim string
			var vehicle int64
			if err := rows.Scan(&sim, &vehicle); err != nil {
				t.Fatal(err)
			}
			phone, i := telematics.NormalizePhone(sim), len(phones)
			phones = append(phones, phone)
			// Terminal i reports every minute for 50 minutes; its main power
			// is cut from minute 10·i+5 on.
			for m := range 50 {
				p := telematics.Position{VehicleID: vehicle, Phone: phone, At: t0.Add(time.Duration(m) * time.Minute), ReceivedAt: t0, Lat: 31780000, Lng: 119950000}
				if m >= 10*i+5 {
					p.Alarm = uint32(jt808.AlarmMainPowerCut)
				}
				ps = append(ps, p)
			}
		}
		rows.Close()
		writePositions(t, db, ps)
		now := t0.Add(50 * time.Minute)
		svc := &health.Service{DB: db, Now: func() time.Time { return now }}
		st, err := svc.Run(ctx)
		if err != nil || st.Positions != len(ps) {
			t.Fatalf("run: %+v %v, want %d positions read", st, err, len(ps))
		}
		for i, phone := range phones {
			var opened []time.Time
			if err := db.R.NewSelect().Table("terminal_events").Column("opened_at").Where("terminal_phone = ? AND kind = ?", phone, health.PowerCut).
				Scan(ctx, &opened); err != nil {
				t.Fatal(err)
			}
			if want := t0.Add(time.Duration(10*i+5) * time.Minute); len(opened) != 1 || !opened[0].Equal(want) {
				t.Errorf("terminal %s: power cut events at %v, want one at %v", phone, opened, want)
			}
		}
		if st, err := svc.Run(ctx); err != nil || st.Positions != 0 || st.Opened != 0 {
			t.Errorf("second run: %+v %v, want nothing new", st, err)
		}
	})
}

// TestSamePhoneOnce: a second terminal whose SIM number is another's with
// a leading zero reports as the same phone; one run checks that phone
// once, even when both fall in one transaction's batch.
func TestSamePhoneOnce(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		defer health.SetLimits(5000, 10000)()
		db := w.DB
		ctx := context.Background()
		sim, vehicle := w.BoundTerminal(t)
		if _, err := db.W.ExecContext(ctx, `INSERT INTO terminals (unit_id, terminal_no, sim, created_at, updated_at)
			SELECT unit_id, 'DUP' || terminal_no, '0' || sim, created_at, updated_at FROM terminals WHERE sim = ?`, sim); err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2030, 3, 4, 1, 0, 0, 0, time.UTC)
		var ps []telematics.Position
		for m := range 10 {
			ps = append(ps, telematics.Position{VehicleID: vehicle, Phone: telematics.NormalizePhone(sim), At: t0.Add(time.Duration(m) * time.Minute),
				ReceivedAt: t0, Lat: 31780000, Lng: 119950000})
		}
		writePositions(t, db, ps)
		svc := &health.Service{DB: db, Now: func() time.Time { return t0.Add(12 * time.Minute) }}
		if st, err := svc.Run(ctx); err != nil || st.Positions != len(ps) {
			t.Errorf("run: %+v %v, want the %d positions read once", st, err, len(ps))
		}
	})
}

// writePositions stores ps through a telematics Writer, as the gateway does.
func writePositions(t *testing.T, db *store.DB, ps []telematics.Position) {
	t.Helper()
	wr, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer wr.Close()
	if err := wr.Write(context.Background(), ps); err != nil {
		t.Fatal(err)
	}
}
