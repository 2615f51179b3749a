package monitor_test

import (
	"bytes"
	"context"
	"image/jpeg"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/fleet"
	"govfleet/internal/monitor"
	"govfleet/internal/telematics"
)

// TestTerminalAttributesAndPhotos drives a simulated terminal of the demo
// registry through a real gateway over TCP (issue 20): after it logs in the
// gateway asks for its attributes (0x8107), which the terminal's page then
// shows; 立即拍照 from the vehicle card (0x8801) brings a JPEG in
// sub-packages (0x0801) that the vehicle's pictures list and serve, and an
// audit entry.
func TestTerminalAttributesAndPhotos(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		gw, _, vid, tid := oneTerminal(t, w, &fleet.Recorder{Fleet: w.Fleet}, nil)
		var err error
		city := w.Actor(t, "city_admin")

		var d *fleet.TerminalDetail
		for deadline := time.Now().Add(15 * time.Second); d == nil || d.Attributes == nil; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the terminal's attributes never reached its page")
			}
			if d, err = w.Fleet.GetTerminal(ctx, city, tid); err != nil {
				t.Fatal(err)
			}
		}
		if a := d.Attributes; a.Maker != "GVSIM" || a.Firmware != "SIM-2.3.1" || a.ICCID == "" || a.GNSSNames != "GPS、北斗" || a.CommNames != "TD-LTE" {
			t.Errorf("attributes on the terminal's page: %+v", a)
		}

		mon := &monitor.Service{DB: db, Latest: &telematics.Latest{}, Gateway: gw}
		audited := w.Count(t, "audit_log")
		res, err := mon.SendCommand(ctx, city, vid, monitor.Command{Kind: "photo"})
		if err != nil || !res.OK {
			t.Fatalf("立即拍照: %+v %v", res, err)
		}
		var photos []*fleet.TerminalPhoto
		for deadline := time.Now().Add(15 * time.Second); len(photos) == 0; time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("no picture arrived after 立即拍照")
			}
			if photos, err = w.Fleet.VehiclePhotos(ctx, city, vid, time.Time{}, time.Time{}, 20); err != nil {
				t.Fatal(err)
			}
		}
		p := photos[0]
		if p.EventName != "平台指令拍照" || p.Width != 320 || p.Height != 240 || p.Lat == nil {
			t.Errorf("picture %+v", p)
		}
		img, err := w.Fleet.OpenTerminalPhoto(ctx, city, p.ID, false)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.DecodeConfig(bytes.NewReader(img.Data)); err != nil || img.ContentType != "image/jpeg" {
			t.Errorf("served picture: %s, %v", img.ContentType, err)
		}
		if w.Count(t, "audit_log") != audited+1 {
			t.Error("立即拍照 was not audited")
		}
	})
}
