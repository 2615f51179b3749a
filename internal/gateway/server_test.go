package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
	"govfleet/internal/telematics"
)

func TestReportIsStoredThenAcknowledged(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		for _, v := range []jt808.Version{jt808.V2013, jt808.V2019} {
			t.Run(v.String(), func(t *testing.T) {
				srv, addr := start(t, db, nil)
				phone := phone1
				if v == jt808.V2019 {
					phone = phone2
				}
				tm := dial(t, addr, phone, v)
				tm.login()
				if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultOK {
					t.Errorf("heartbeat result %d", r)
				}
				if r := tm.ack(location(0)); r != jt808.ResultOK {
					t.Fatalf("location result %d", r)
				}
				// Acknowledged means stored.
				readable(t, srv)
				got, err := telematics.Track(context.Background(), db, phone, base, base.Add(time.Hour), 10)
				if err != nil || len(got) != 1 {
					t.Fatalf("stored %v (%v)", got, err)
				}
				wantVehicle := map[string]int64{phone1: 42, phone2: 43}[phone]
				if p := got[0]; p.VehicleID != wantVehicle || p.Lat != 31780000 || p.Lng != 119950000 || p.Speed != 400 || p.Mileage.V != 100000 {
					t.Errorf("stored %+v", p)
				}
				if p, ok := srv.Latest.ByVehicle(wantVehicle); !ok || !p.At.Equal(base) {
					t.Errorf("latest %+v %v", p, ok)
				}
				if r := tm.ack(&jt808.Logout{}); r != jt808.ResultOK {
					t.Errorf("logout result %d", r)
				}
				if err := tm.closed(2 * time.Second); err != nil {
					t.Errorf("after logout: %v", err)
				}
				m := srv.Metrics()
				if m.Accepted != 1 || m.Stored != 1 || m.AcksSent != 4 || m.Refused != 0 {
					t.Errorf("metrics %+v", m)
				}
			})
			// The second edition runs on the same database.
			db.W.ExecContext(context.Background(), "DELETE FROM positions")
		}
	})
}

func TestUnauthenticatedIsRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, addr := start(t, db, nil)
		tm := dial(t, addr, phone1, jt808.V2013)
		if r := tm.ack(location(0)); r != jt808.ResultFailure {
			t.Errorf("location before auth: result %d", r)
		}
		if r := tm.ack(&jt808.Auth{Code: "wrong"}); r != jt808.ResultFailure {
			t.Errorf("wrong auth code: result %d", r)
		}
		if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultFailure {
			t.Errorf("heartbeat before auth: result %d", r)
		}
		if err := tm.closed(2 * time.Second); err != nil {
			t.Errorf("after 3 refusals: %v", err)
		}
		if n := rows(t, srv, db, phone1); n != 0 {
			t.Errorf("refused report stored: %d rows", n)
		}
		// An unknown terminal cannot register.
		tm = dial(t, addr, "13999999999", jt808.V2013)
		serial := tm.send(&jt808.Register{Maker: "X", Model: "Y", TerminalID: "Z", PlateColor: jt808.PlateBlue, Plate: "苏D00000"})
		if _, m := tm.recv(); m.(*jt808.RegisterResponse).Result != jt808.RegisterNoSuchTerminal || m.(*jt808.RegisterResponse).ReplySerial != serial {
			t.Errorf("unknown terminal registration: %#v", m)
		}
		// A terminal authenticated as phone1 cannot report for phone2.
		tm = dial(t, addr, phone1, jt808.V2013)
		tm.login()
		tm.phone = phone2
		if r := tm.ack(location(1)); r != jt808.ResultFailure {
			t.Errorf("report for another terminal: result %d", r)
		}
		if n := rows(t, srv, db, phone2); n != 0 {
			t.Errorf("stored %d rows for phone2", n)
		}
		if m := srv.Metrics(); m.Refused != 4 || m.Cut != 1 {
			t.Errorf("metrics %+v", m)
		}
	})
}

func TestResentAndBlindAreaReportsStoredOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, addr := start(t, db, nil)
		tm := dial(t, addr, phone1, jt808.V2013)
		tm.login()
		for range 2 { // the terminal missed our ack and re-sends
			if r := tm.ack(location(0)); r != jt808.ResultOK {
				t.Fatalf("result %d", r)
			}
		}
		if n := rows(t, srv, db, phone1); n != 1 {
			t.Errorf("re-sent report: %d rows, want 1", n)
		}
		// Blind-area batch of positions 0..9 (0 already stored, 3 twice).
		b := &jt808.LocationBatch{Type: jt808.BatchBlindArea}
		for i := range 10 {
			b.Items = append(b.Items, *location(i))
		}
		b.Items = append(b.Items, *location(3))
		for range 2 {
			if r := tm.ack(b); r != jt808.ResultOK {
				t.Fatalf("batch result %d", r)
			}
		}
		if n := rows(t, srv, db, phone1); n != 10 {
			t.Errorf("after blind-area batches: %d rows, want 10", n)
		}
	})
}

// A long batch sent as sub-packages is reassembled and stored.
func TestSubPackagedBatch(t *testing.T) {
	db := storetest.SQLite(t)
	srv, addr := start(t, db, nil)
	tm := dial(t, addr, phone1, jt808.V2013)
	tm.login()
	b := &jt808.LocationBatch{Type: jt808.BatchBlindArea}
	for i := range 40 {
		b.Items = append(b.Items, *location(100 + i))
	}
	body, err := jt808.EncodeBody(b, jt808.V2013)
	if err != nil {
		t.Fatal(err)
	}
	h := jt808.Header{MsgID: jt808.MsgLocationBatch, Phone: phone1, Version: jt808.V2013, Serial: 100}
	frames, err := jt808.EncodeFragments(h, body, 500)
	if err != nil || len(frames) < 2 {
		t.Fatalf("fragments %d %v", len(frames), err)
	}
	for _, f := range frames {
		tm.conn.Write(f)
	}
	_, m := tm.recv()
	if a, ok := m.(*jt808.PlatformAck); !ok || a.Result != jt808.ResultOK || a.ReplySerial != 100 {
		t.Fatalf("answer %#v", m)
	}
	if n := rows(t, srv, db, phone1); n != 40 {
		t.Errorf("%d rows, want 40", n)
	}
}

type failingWriter struct{}

func (failingWriter) Write(context.Context, []telematics.Position) error {
	return errors.New("disk full")
}

// A report that could not be stored is answered with a failure, so that the
// terminal keeps it and sends it again.
func TestStoreFailureIsNotAcknowledged(t *testing.T) {
	srv := &gateway.Server{Directory: directory(), Writer: failingWriter{}, Logger: quiet}
	addr := serve(t, srv, nil)
	tm := dial(t, addr, phone1, jt808.V2013)
	tm.login()
	if r := tm.ack(location(0)); r != jt808.ResultFailure {
		t.Errorf("result %d, want failure", r)
	}
	if m := srv.Metrics(); m.StoreFailures != 1 || m.Stored != 0 {
		t.Errorf("metrics %+v", m)
	}
}

func TestUnknownMessageIsUnsupported(t *testing.T) {
	_, addr := start(t, storetest.SQLite(t), nil)
	tm := dial(t, addr, phone1, jt808.V2013)
	tm.login()
	h := tm.header()
	h.MsgID = 0x0901 // 数据压缩上报
	frame, err := jt808.Encode(h, []byte{0xf1, 1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	tm.conn.Write(frame)
	_, m := tm.recv()
	if a, ok := m.(*jt808.PlatformAck); !ok || a.Result != jt808.ResultUnsupported || a.ReplyID != 0x0901 || a.ReplySerial != h.Serial {
		t.Errorf("answer %#v", m)
	}
}

// Misbehaving connections are cut; a well-behaved one keeps working.
func TestMisbehavingConnectionsAreCut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		srv, addr := start(t, db, func(s *gateway.Server) { s.Rate, s.Burst = 50, 50 })
		good := dial(t, addr, phone1, jt808.V2013)
		good.login()

		valid, _ := jt808.EncodeMessage(jt808.Header{Phone: phone2, Version: jt808.V2013}, &jt808.Heartbeat{})
		bad := bytes.Clone(valid)
		bad[len(bad)-2] ^= 0xff // wrong check code
		cases := []struct {
			name  string
			login bool
			data  []byte
		}{
			{"garbage that never frames", false, bytes.Repeat([]byte("GET / HTTP/1.1\r\n"), 1000)},
			{"oversized frame", false, append([]byte{0x7e}, bytes.Repeat([]byte{0x01}, jt808.MaxFrameLen+10)...)},
			{"bad check codes", false, bytes.Repeat(bad, 20)},
			{"flood", true, bytes.Repeat(valid, 500)},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				tm := dial(t, addr, phone2, jt808.V2013)
				if c.login {
					tm.login()
				}
				go tm.conn.Write(c.data)
				if err := tm.closed(3 * time.Second); err != nil {
					t.Error(err)
				}
				if r := good.ack(location(i)); r != jt808.ResultOK {
					t.Errorf("good terminal: result %d", r)
				}
			})
		}
		if m := srv.Metrics(); m.Cut != int64(len(cases)) {
			t.Errorf("metrics %+v", m)
		}
		if n := rows(t, srv, db, phone1); n != len(cases) {
			t.Errorf("good terminal stored %d", n)
		}
	})
}

func TestIdleTimeout(t *testing.T) {
	const idle = time.Second
	srv, addr := start(t, storetest.SQLite(t), func(s *gateway.Server) { s.IdleTimeout = idle })
	tm := dial(t, addr, phone1, jt808.V2013)
	tm.login()
	// Activity keeps it open past the timeout: 1.6 s of heartbeats with gaps
	// well under it (room for a busy machine's late wake-ups).
	for range 3 {
		time.Sleep(400 * time.Millisecond)
		if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultOK {
			t.Fatalf("heartbeat %d", r)
		}
	}
	// The last frame was sent after start, and the server re-arms its
	// deadline (lazily: up to a tenth of the timeout early) only after
	// reading it: closing comes no sooner, however slow the machine.
	start := time.Now()
	if r := tm.ack(&jt808.Heartbeat{}); r != jt808.ResultOK {
		t.Fatalf("heartbeat %d", r)
	}
	if err := tm.closed(10 * time.Second); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < idle-idle/10 {
		t.Errorf("closed after %v", d)
	}
	if m := srv.Metrics(); m.IdleClosed != 1 {
		t.Errorf("metrics %+v", m)
	}
}

func TestSend(t *testing.T) {
	db := storetest.SQLite(t)
	srv, addr := start(t, db, nil)
	ctx := context.Background()
	if _, err := srv.Send(ctx, phone1, &jt808.QueryLocation{}); !errors.Is(err, gateway.ErrNotConnected) {
		t.Errorf("Send to absent terminal: %v", err)
	}
	tm := dial(t, addr, phone1, jt808.V2019)
	tm.login()

	type result struct {
		m   jt808.Message
		err error
	}
	cases := []struct {
		name   string
		cmd    jt808.Message
		answer func(serial uint16) jt808.Message
		check  func(m jt808.Message) bool
	}{
		{"location query", &jt808.QueryLocation{},
			func(s uint16) jt808.Message { return &jt808.LocationResponse{ReplySerial: s, Location: *location(7)} },
			func(m jt808.Message) bool {
				r, ok := m.(*jt808.LocationResponse)
				return ok && r.Location.Time.Equal(base.Add(7*time.Second))
			}},
		{"temporary tracking", &jt808.TrackingControl{Interval: 5, Validity: 600},
			func(s uint16) jt808.Message {
				return &jt808.TerminalAck{ReplySerial: s, ReplyID: jt808.MsgTrackingControl}
			},
			func(m jt808.Message) bool { a, ok := m.(*jt808.TerminalAck); return ok && a.Result == jt808.ResultOK }},
		{"text", &jt808.Text{Flags: jt808.TextDisplay | jt808.TextTTS, Type: jt808.TextTypeNotice, Text: "请于17:00前还车"},
			func(s uint16) jt808.Message { return &jt808.TerminalAck{ReplySerial: s, ReplyID: jt808.MsgText} },
			func(m jt808.Message) bool { _, ok := m.(*jt808.TerminalAck); return ok }},
		{"set parameters", &jt808.SetParams{Params: []jt808.Param{jt808.DWordParam(jt808.ParamHeartbeatInterval, 30)}},
			func(s uint16) jt808.Message {
				return &jt808.TerminalAck{ReplySerial: s, ReplyID: jt808.MsgSetParams, Result: jt808.ResultFailure}
			},
			func(m jt808.Message) bool {
				a, ok := m.(*jt808.TerminalAck)
				return ok && a.Result == jt808.ResultFailure
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := make(chan result, 1)
			go func() {
				m, err := srv.Send(ctx, phone1, c.cmd)
				res <- result{m, err}
			}()
			p, m := tm.recv()
			if p.Header.MsgID != c.cmd.MsgID() || p.Header.Version != jt808.V2019 {
				t.Fatalf("terminal got %#v", p.Header)
			}
			if c.name == "text" && m.(*jt808.Text).Text != "请于17:00前还车" {
				t.Errorf("text %#v", m)
			}
			tm.send(c.answer(p.Header.Serial))
			r := <-res
			if r.err != nil || !c.check(r.m) {
				t.Errorf("Send = %#v, %v", r.m, r.err)
			}
		})
	}
	// The location answered is stored like a report.
	if n := rows(t, srv, db, phone1); n != 1 {
		t.Errorf("0x0201 stored %d rows", n)
	}

	// No answer: the caller gets ErrNoAnswer after SendTimeout.
	srv.SendTimeout = 200 * time.Millisecond
	if _, err := srv.Send(ctx, phone1, &jt808.QueryLocation{}); !errors.Is(err, gateway.ErrNoAnswer) {
		t.Errorf("unanswered Send: %v", err)
	}
	tm.recv()
}
