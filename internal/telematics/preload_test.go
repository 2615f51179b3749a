package telematics_test

import (
	"context"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/telematics"
)

// TestPreload: after a restart the live view starts from the latest stored
// position of every terminal, not from nothing.
func TestPreload(t *testing.T) {
	apptest.Each(t, func(t *testing.T, world *apptest.World) {
		db := world.DB
		ctx := context.Background()
		sim, vid := world.BoundTerminal(t)
		phone := telematics.NormalizePhone(sim)
		old, last := pos(phone, 0), pos(phone, 30)
		old.VehicleID, last.VehicleID = vid, vid
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
