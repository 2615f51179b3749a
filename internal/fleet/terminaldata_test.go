package fleet_test

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/jt808"
)

// TestRecorder: what the gateway hands over is stored against the
// terminal of the phone and shown on its page — pass-through raw with its
// type (the first 4 KiB of a longer one), pictures only as JPEG within the
// size limit, linked to the vehicle with the event and location.
func TestRecorder(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		rec := &fleet.Recorder{Fleet: w.Fleet}
		city := w.Actor(t, "city_admin")
		sim, vid := w.BoundTerminal(t)
		var tid int64
		if err := w.DB.R.QueryRowContext(ctx, "SELECT id FROM terminals WHERE sim = ?", sim).Scan(&tid); err != nil {
			t.Fatal(err)
		}
		phone := strings.TrimLeft(sim, "0")

		if err := rec.PassThrough(ctx, phone, vid, &jt808.PassThrough{Type: jt808.PassSerial1, Data: []byte{0x7e, 0x01, 0xab}}); err != nil {
			t.Fatal(err)
		}
		if err := rec.PassThrough(ctx, phone, vid, &jt808.PassThrough{Type: 0xf3, Data: bytes.Repeat([]byte{1}, 5000)}); err != nil {
			t.Fatal(err)
		}
		if err := rec.PassThrough(ctx, "19900000000", 0, &jt808.PassThrough{Type: 1, Data: []byte{1}}); !errs.Is(err, errs.Invalid) {
			t.Errorf("unknown phone: %v, want refused", err)
		}
		d, err := w.Fleet.GetTerminal(ctx, city, tid)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.PassThrough) != 2 {
			t.Fatalf("%d pass-through rows", len(d.PassThrough))
		}
		if p := d.PassThrough[1]; p.KindName != "串口 1 透传" || p.Hex != "7E 01 AB" || p.Size != 3 {
			t.Errorf("pass-through %+v", p)
		}
		if p := d.PassThrough[0]; p.KindName != "用户自定义透传（类型 F3）" || p.Size != 5000 || len(p.Hex) != 4096*3-1 {
			t.Errorf("long pass-through: %s, %d bytes, %d hex characters", p.KindName, p.Size, len(p.Hex))
		}

		var jb, pb bytes.Buffer
		jpeg.Encode(&jb, image.NewGray(image.Rect(0, 0, 64, 48)), nil)
		png.Encode(&pb, image.NewGray(image.Rect(0, 0, 64, 48)))
		loc := jt808.Location{Alarm: jt808.AlarmMainPowerCut, Status: jt808.StatusLocated, Time: time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)}
		loc.SetPosition(31.78, 119.95)
		up := func(data []byte, format uint8) *jt808.MediaUpload {
			return &jt808.MediaUpload{MediaEvent: jt808.MediaEvent{MediaID: 5, Format: format, Event: jt808.EventRobbery, Channel: 2}, Location: loc, Data: data}
		}
		for name, m := range map[string]*jt808.MediaUpload{
			"PNG":           up(pb.Bytes(), jt808.FormatJPEG),
			"declared WAV":  up(jb.Bytes(), jt808.FormatWAV),
			"not a picture": up([]byte("hello"), jt808.FormatJPEG),
			"too large":     up(append(bytes.Clone(jb.Bytes()), make([]byte, fleet.MaxTerminalPhotoBytes)...), jt808.FormatJPEG),
		} {
			if err := rec.Media(ctx, phone, vid, m); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v, want refused", name, err)
			}
		}
		if err := rec.Media(ctx, phone, vid, up(jb.Bytes(), jt808.FormatJPEG)); err != nil {
			t.Fatal(err)
		}
		ps, err := w.Fleet.VehiclePhotos(ctx, city, vid, loc.Time.Add(-time.Minute), loc.Time.Add(time.Minute), 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(ps) != 1 || ps[0].EventName != "抢劫报警拍照" || ps[0].Width != 64 || ps[0].Lat == nil || *ps[0].Lat < 31.77 || !ps[0].TakenAt.Equal(loc.Time) {
			t.Fatalf("pictures in the window: %+v", ps)
		}
		if ps, _ := w.Fleet.VehiclePhotos(ctx, city, vid, loc.Time.Add(time.Minute), time.Time{}, 20); len(ps) != 0 {
			t.Errorf("%d pictures after the window", len(ps))
		}
		data, err := w.Fleet.OpenTerminalPhoto(ctx, city, ps[0].ID, false)
		if err != nil || !bytes.Equal(data.Data, jb.Bytes()) {
			t.Fatalf("served picture: %v", err)
		}
	})
}
