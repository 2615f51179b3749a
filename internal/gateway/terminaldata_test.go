package gateway_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"reflect"
	"sync"
	"testing"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/storetest"
)

// recorder is a gateway.Recorder keeping what it was given.
type recorder struct {
	mu    sync.Mutex
	attrs map[string]jt808.Attributes
	media []jt808.MediaUpload
	pass  []jt808.PassThrough
}

func (r *recorder) Attributes(_ context.Context, phone string, a *jt808.Attributes) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.attrs == nil {
		r.attrs = map[string]jt808.Attributes{}
	}
	r.attrs[phone] = *a
	return nil
}

func (r *recorder) Media(_ context.Context, _ string, _ int64, m *jt808.MediaUpload) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.media = append(r.media, *m)
	return nil
}

func (r *recorder) PassThrough(_ context.Context, _ string, _ int64, p *jt808.PassThrough) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.pass = append(r.pass, *p)
	return nil
}

func (r *recorder) snapshot() (map[string]jt808.Attributes, []jt808.MediaUpload, []jt808.PassThrough) {
	r.mu.Lock()
	defer r.mu.Unlock()
	attrs := map[string]jt808.Attributes{}
	for k, v := range r.attrs {
		attrs[k] = v
	}
	return attrs, append([]jt808.MediaUpload(nil), r.media...), append([]jt808.PassThrough(nil), r.pass...)
}

// smallJPEG is a real 32×24 JPEG.
func smallJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for x := 0; x < 32; x++ {
		for y := 0; y < 24; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 8), uint8(y * 10), 90, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// startRecording runs a gateway with a recorder; the terminal of phone1
// logs in and answers the 0x8107 that follows with attrs.
func startRecording(t *testing.T, v jt808.Version, configure func(*gateway.Server)) (*recorder, *terminal) {
	t.Helper()
	rec := &recorder{}
	_, addr := start(t, storetest.SQLite(t), func(s *gateway.Server) {
		s.Recorder = rec
		if configure != nil {
			configure(s)
		}
	})
	tm := dial(t, addr, phone1, v)
	tm.login()
	_, m := tm.recv()
	if _, ok := m.(*jt808.QueryAttrs); !ok {
		t.Fatalf("after authentication the gateway sent %#v, want 0x8107", m)
	}
	tm.send(&jt808.Attributes{Type: jt808.TermFreight, Maker: "70111", Model: "BD-808G", TerminalID: "T000001",
		ICCID: "89860012345678901234", Hardware: "HW1.2", Firmware: "FW2.0.7", GNSS: jt808.GNSSBeidou | jt808.GNSSGPS, Comm: jt808.CommTDLTE})
	return rec, tm
}

// sendParts sends body as message id in parts of partLen bytes, only the
// part indexes listed (all when none), and returns the frames by index.
func (tm *terminal) sendParts(id uint16, body []byte, partLen int, only ...int) map[int][]byte {
	tm.t.Helper()
	h := tm.header()
	h.MsgID = id
	frames, err := jt808.EncodeFragments(h, body, partLen)
	if err != nil {
		tm.t.Fatal(err)
	}
	tm.serial += uint16(len(frames) - 1)
	byIndex := map[int][]byte{}
	for i, f := range frames {
		byIndex[i+1] = f
	}
	if len(only) == 0 {
		for i := range frames {
			only = append(only, i+1)
		}
	}
	for _, i := range only {
		if _, err := tm.conn.Write(byIndex[i]); err != nil {
			tm.t.Fatal(err)
		}
	}
	return byIndex
}

func TestServerTime(t *testing.T) {
	_, addr := start(t, storetest.SQLite(t), nil)
	tm := dial(t, addr, phone1, jt808.V2019)
	tm.login()
	before := time.Now().UTC().Truncate(time.Second)
	tm.send(&jt808.ServerTimeQuery{})
	_, m := tm.recv()
	after := time.Now().UTC()
	st, ok := m.(*jt808.ServerTime)
	if !ok {
		t.Fatalf("answer to 0x0004: %#v, want 0x8004", m)
	}
	if st.Time.Before(before) || st.Time.After(after) {
		t.Errorf("server time %v, want between %v and %v (UTC)", st.Time, before, after)
	}
}

func TestAttributesAskedAfterAuthentication(t *testing.T) {
	for _, v := range []jt808.Version{jt808.V2013, jt808.V2019} {
		t.Run(v.String(), func(t *testing.T) {
			rec, tm := startRecording(t, v, nil)
			// A heartbeat answered means the 0x0107 before it was handled.
			if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultOK {
				t.Fatalf("heartbeat %d", r)
			}
			attrs, _, _ := rec.snapshot()
			a, ok := attrs[phone1]
			if !ok || a.Firmware != "FW2.0.7" || a.ICCID != "89860012345678901234" || a.Model != "BD-808G" {
				t.Errorf("stored attributes %+v", attrs)
			}
		})
	}
}

func TestPictureWithAMissingPart(t *testing.T) {
	rec, tm := startRecording(t, jt808.V2013, nil)
	photo := smallJPEG(t)
	l := location(1)
	l.Mileage = nil
	up := &jt808.MediaUpload{MediaEvent: jt808.MediaEvent{MediaID: 31, Type: jt808.MediaImage, Format: jt808.FormatJPEG,
		Event: jt808.EventRobbery, Channel: 1}, Location: *l, Data: photo}
	body, err := up.AppendBody(nil, jt808.V2013)
	if err != nil {
		t.Fatal(err)
	}
	if r := tm.ack(&jt808.MediaEvent{MediaID: 31, Type: jt808.MediaImage, Format: jt808.FormatJPEG, Event: jt808.EventRobbery, Channel: 1}); r != jt808.ResultOK {
		t.Fatalf("0x0800 answered %d", r)
	}
	partLen := len(body)/3 + 1
	frames := tm.sendParts(jt808.MsgMediaUpload, body, partLen, 1, 3)
	_, m := tm.recv()
	mr, ok := m.(*jt808.MediaResponse)
	if !ok || mr.MediaID != 31 || !reflect.DeepEqual(mr.Resend, []uint16{2}) {
		t.Fatalf("after parts 1 and 3: %#v, want 0x8800 asking for part 2", m)
	}
	tm.conn.Write(frames[2])
	_, m = tm.recv()
	if mr, ok := m.(*jt808.MediaResponse); !ok || mr.MediaID != 31 || len(mr.Resend) != 0 {
		t.Fatalf("after part 2: %#v, want 0x8800 with nothing to resend", m)
	}
	_, media, _ := rec.snapshot()
	if len(media) != 1 || !bytes.Equal(media[0].Data, photo) || media[0].Event != jt808.EventRobbery ||
		media[0].Location.Lat != l.Lat || media[0].Location.Lon != l.Lon {
		t.Fatalf("stored %d pictures, want the JPEG with its event and location", len(media))
	}
}

func TestIncompleteMessageIsAskedFor(t *testing.T) {
	rec, tm := startRecording(t, jt808.V2013, func(s *gateway.Server) { s.PartTimeout = 200 * time.Millisecond })
	data := bytes.Repeat([]byte("serial-port-1 "), 40) // 560 bytes: 3 parts of 200
	body, _ := (&jt808.PassThrough{Type: jt808.PassSerial1, Data: data}).AppendBody(nil, jt808.V2013)
	first := tm.serial + 1
	frames := tm.sendParts(jt808.MsgPassThrough, body, 200, 1, 3)
	_, m := tm.recv()
	rr, ok := m.(*jt808.ResendRequest)
	if !ok || rr.FirstSerial != first || !reflect.DeepEqual(rr.Parts, []uint16{2}) {
		t.Fatalf("waiting for part 2: %#v, want 0x8003 for part 2 of #%d", m, first)
	}
	tm.conn.Write(frames[2])
	_, m = tm.recv()
	if a, ok := m.(*jt808.PlatformAck); !ok || a.ReplyID != jt808.MsgPassThrough || a.ReplySerial != first || a.Result != jt808.ResultOK {
		t.Fatalf("after part 2: %#v, want 0x8001 for the pass-through", m)
	}
	if _, _, pass := rec.snapshot(); len(pass) != 1 || !bytes.Equal(pass[0].Data, data) {
		t.Fatalf("stored pass-through %+v", pass)
	}
}

func TestIncompleteMessageIsGivenUp(t *testing.T) {
	_, tm := startRecording(t, jt808.V2019, func(s *gateway.Server) { s.PartTimeout, s.PartRetries = 100*time.Millisecond, 1 })
	body, _ := (&jt808.PassThrough{Type: jt808.PassSerial1, Data: make([]byte, 500)}).AppendBody(nil, jt808.V2019)
	tm.sendParts(jt808.MsgPassThrough, body, 200, 1)
	if _, m := tm.recv(); !reflect.DeepEqual(m, &jt808.ResendRequest{FirstSerial: tm.serial - 2, Parts: []uint16{2, 3}}) {
		t.Fatalf("got %#v, want 0x8003 for parts 2 and 3", m)
	}
	// Asked once (PartRetries), then given up: nothing more comes, the connection stays.
	if _, m, err := tm.recvErr(time.Second); err == nil {
		t.Fatalf("asked again: %#v", m)
	}
	if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultOK {
		t.Fatalf("heartbeat %d", r)
	}
}

func TestPassThroughStored(t *testing.T) {
	rec, tm := startRecording(t, jt808.V2013, nil)
	if r := tm.ack(&jt808.PassThrough{Type: 0xf1, Data: []byte{0x7e, 1, 2, 0x7d}}); r != jt808.ResultOK {
		t.Fatalf("0x0900 answered %d", r)
	}
	if _, _, pass := rec.snapshot(); len(pass) != 1 || pass[0].Type != 0xf1 || !bytes.Equal(pass[0].Data, []byte{0x7e, 1, 2, 0x7d}) {
		t.Fatalf("stored %+v", pass)
	}
}

func TestWithoutRecorderTerminalDataIsUnsupported(t *testing.T) {
	_, addr := start(t, storetest.SQLite(t), nil)
	tm := dial(t, addr, phone1, jt808.V2013)
	tm.login()
	if r := tm.ack(&jt808.PassThrough{Type: 0xf1, Data: []byte{1}}); r != jt808.ResultUnsupported {
		t.Fatalf("0x0900 answered %d, want not supported", r)
	}
}
