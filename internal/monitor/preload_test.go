package monitor_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// TestPreload: after a restart the live view starts from the latest stored
// position of every terminal, not from nothing. (A test of telematics.Preload
// that lives here, with the live view's tests: telematics has internal test
// files, and a test of its package that used the whole application made go
// test compile 17 packages a second time; issue 18.)
func TestPreload(t *testing.T) {
	apptest.Each(t, func(t *testing.T, world *apptest.World) {
		db := world.DB
		ctx := context.Background()
		sim, vid := world.BoundTerminal(t)
		phone := telematics.NormalizePhone(sim)
		t0 := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
		pos := func(s int) telematics.Position {
			at := t0.Add(time.Duration(s) * time.Second)
			return telematics.Position{VehicleID: vid, Phone: phone, At: at, ReceivedAt: at.Add(300 * time.Millisecond),
				Lat: 31780000 + int64(s), Lng: 119950000 - int64(s), Speed: 450, Heading: 90,
				Status: uint32(jt808.StatusACC | jt808.StatusLocated)}
		}
		old, last := pos(0), pos(30)
		w, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(ctx, []telematics.Position{last, old}); err != nil {
			t.Fatal(err)
		}
		w.Close()
		latest := &telematics.Latest{}
		n, err := telematics.Preload(ctx, db, latest)
		if err != nil || n != 1 {
			t.Fatalf("preload: %d %v, want 1 terminal", n, err)
		}
		if p, ok := latest.ByVehicle(vid); !ok || !p.At.Equal(t0.Add(30*time.Second)) || p.Lat != last.Lat {
			t.Errorf("latest of vehicle %d: %+v %v", vid, p, ok)
		}
		if _, ok := latest.ByTerminal(sim); !ok {
			t.Errorf("terminal %s not found by its registered SIM", sim)
		}
	})
}
