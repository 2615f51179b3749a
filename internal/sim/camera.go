package sim

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"time"

	"govfleet/internal/jt808"
)

// photoPartLen is the body size of each 0x0801 sub-package.
const photoPartLen = 900

// attributes is the simulated terminal's answer to 0x8107.
func (t *terminal) attributes() *jt808.Attributes {
	return &jt808.Attributes{Type: jt808.TermPassenger, Maker: "GVSIM", Model: "SIM-808",
		TerminalID: fmt.Sprintf("S%06d", t.idx%1000000), ICCID: fmt.Sprintf("898600%014d", t.idx),
		Hardware: "HW1.0", Firmware: "SIM-2.3.1", GNSS: jt808.GNSSGPS | jt808.GNSSBeidou, Comm: jt808.CommTDLTE}
}

// snapshot draws a 320×240 picture of a road ahead (sky, road, lane
// marks shifted by the time) and encodes it as JPEG.
func snapshot(at time.Time, seed int) []byte {
	const w, h = 320, 240
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	shift := int(at.Unix()%40) + seed%7
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var c color.RGBA
			switch {
			case y < 100:
				c = color.RGBA{uint8(120 + y/2), uint8(170 + y/3), 235, 255}
			case x > w/2-4 && x < w/2+4 && ((y+shift)/16)%2 == 0:
				c = color.RGBA{240, 240, 240, 255}
			default:
				g := uint8(70 + (y-100)/3)
				c = color.RGBA{g, g, g + 5, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	jpeg.Encode(&b, img, &jpeg.Options{Quality: 70})
	return b.Bytes()
}

// shoot answers 0x8801: the acknowledgement, then for each picture asked
// the multimedia event (0x0800) and the picture in sub-packages (0x0801).
// The frames are kept until the gateway confirms (0x8800) so that parts it
// asks for again can be re-sent.
func (t *terminal) shoot(m *jt808.CameraShootNow) error {
	for i := 0; i < int(min(m.Command, 3)); i++ {
		t.mediaID++
		ev := jt808.MediaEvent{MediaID: t.mediaID, Type: jt808.MediaImage, Format: jt808.FormatJPEG, Event: jt808.EventPlatform, Channel: m.Channel}
		if _, err := t.send(&ev, nil); err != nil {
			return err
		}
		now := time.Now()
		l := t.location(now)
		loc := jt808.Location{Alarm: l.Alarm, Status: l.Status, Lat: l.Lat, Lon: l.Lon, Altitude: l.Altitude,
			Speed: l.Speed, Direction: l.Direction, Time: l.Time} // the basic fields only
		up := &jt808.MediaUpload{MediaEvent: ev, Location: loc, Data: snapshot(now, t.idx)}
		body, err := up.AppendBody(nil, t.r.cfg.Edition)
		if err != nil {
			return errPermanent{err}
		}
		h := jt808.Header{MsgID: jt808.MsgMediaUpload, Version: t.r.cfg.Edition, ProtocolVersion: 1, Phone: t.phone, Serial: t.serial + 1}
		frames, err := jt808.EncodeFragments(h, body, photoPartLen)
		if err != nil {
			return errPermanent{err}
		}
		t.serial += uint16(len(frames))
		t.media = map[uint16][]byte{}
		for i, f := range frames {
			t.media[uint16(i+1)] = f
			if err := t.write(f); err != nil {
				return err
			}
		}
	}
	return nil
}

// resendParts sends again the parts of the last picture the gateway asks for.
func (t *terminal) resendParts(parts []uint16) error {
	for _, i := range parts {
		if f := t.media[i]; f != nil {
			if err := t.write(f); err != nil {
				return err
			}
		}
	}
	return nil
}
