package gateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

const (
	phone1 = "13800000001"
	phone2 = "13800000002"
)

var plates = map[string]string{phone1: "苏D12345", phone2: "苏D54321"}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func directory() *gateway.MemDirectory {
	return gateway.NewMemDirectory(
		gateway.MemTerminal{Phone: phone1, VehicleID: 42, Plate: "苏D12345"},
		gateway.MemTerminal{Phone: phone2, VehicleID: 43, Plate: "苏D54321"},
	)
}

// start runs a gateway on 127.0.0.1:0 storing into db until the test ends.
func start(t *testing.T, db *store.DB, configure func(*gateway.Server)) (*gateway.Server, string) {
	t.Helper()
	w, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	srv := &gateway.Server{Directory: directory(), Writer: w, Latest: &telematics.Latest{}, Logger: quiet}
	if configure != nil {
		configure(srv)
	}
	return srv, serve(t, srv, func() { w.Close() })
}

func serve(t *testing.T, srv *gateway.Server, after func()) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not stop")
		}
		if after != nil {
			after()
		}
	})
	return ln.Addr().String()
}

// terminal is a scripted JT/T 808 terminal for tests.
type terminal struct {
	t       *testing.T
	conn    net.Conn
	fr      *gateway.FrameReader
	phone   string
	version jt808.Version
	serial  uint16
}

func dial(t *testing.T, addr, phone string, v jt808.Version) *terminal {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &terminal{t: t, conn: c, fr: gateway.NewFrameReader(c, 0), phone: phone, version: v}
}

func (tm *terminal) header() jt808.Header {
	tm.serial++
	return jt808.Header{Version: tm.version, ProtocolVersion: 1, Phone: tm.phone, Serial: tm.serial}
}

// send writes m and returns its serial.
func (tm *terminal) send(m jt808.Message) uint16 {
	tm.t.Helper()
	h := tm.header()
	frame, err := jt808.EncodeMessage(h, m)
	if err != nil {
		tm.t.Fatal(err)
	}
	if _, err := tm.conn.Write(frame); err != nil {
		tm.t.Fatal(err)
	}
	return h.Serial
}

func (tm *terminal) recvErr(timeout time.Duration) (jt808.Packet, jt808.Message, error) {
	tm.conn.SetReadDeadline(time.Now().Add(timeout))
	frame, err := tm.fr.Next()
	if err != nil {
		return jt808.Packet{}, nil, err
	}
	p, err := jt808.Decode(frame)
	if err != nil {
		return p, nil, err
	}
	m, err := jt808.DecodeMessage(p.Header, p.Body)
	return p, m, err
}

func (tm *terminal) recv() (jt808.Packet, jt808.Message) {
	tm.t.Helper()
	p, m, err := tm.recvErr(5 * time.Second)
	if err != nil {
		tm.t.Fatalf("terminal %s receive: %v", tm.phone, err)
	}
	return p, m
}

// ack sends m and returns the result of the 0x8001 answering it.
func (tm *terminal) ack(m jt808.Message) uint8 {
	tm.t.Helper()
	serial := tm.send(m)
	_, a := tm.recv()
	pa, ok := a.(*jt808.PlatformAck)
	if !ok || pa.ReplySerial != serial || pa.ReplyID != m.MsgID() {
		tm.t.Fatalf("answer to 0x%04x #%d: %#v", m.MsgID(), serial, a)
	}
	return pa.Result
}

// login registers and authenticates.
func (tm *terminal) login() {
	tm.t.Helper()
	serial := tm.send(&jt808.Register{Province: 32, City: 400, Maker: "TEST1", Model: "M1", TerminalID: "T" + tm.phone[len(tm.phone)-6:],
		PlateColor: jt808.PlateBlue, Plate: plates[tm.phone]})
	_, m := tm.recv()
	rr, ok := m.(*jt808.RegisterResponse)
	if !ok || rr.ReplySerial != serial || rr.Result != jt808.RegisterOK || rr.AuthCode == "" {
		tm.t.Fatalf("register: %#v", m)
	}
	if r := tm.ack(&jt808.Auth{Code: rr.AuthCode, IMEI: "123456789012345", SoftwareVersion: "1.0"}); r != jt808.ResultOK {
		tm.t.Fatalf("auth result %d", r)
	}
}

// closed waits until the gateway closes the connection.
func (tm *terminal) closed(within time.Duration) error {
	deadline := time.Now().Add(within)
	for time.Now().Before(deadline) {
		_, _, err := tm.recvErr(time.Until(deadline))
		if err == nil {
			continue
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			return fmt.Errorf("connection still open after %v", within)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err) {
			return nil
		}
	}
	return fmt.Errorf("connection still open after %v", within)
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe)
}

var base = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)

func location(i int) *jt808.Location {
	mileage := uint32(1000 + i)
	l := &jt808.Location{Status: jt808.StatusACC | jt808.StatusLocated, Speed: 400, Direction: 90, Altitude: 10,
		Time: base.Add(time.Duration(i) * time.Second), Mileage: &mileage}
	l.SetPosition(31.78+float64(i)*1e-4, 119.95)
	return l
}

// rows counts the positions of phone stored through srv's Writer, once
// they are readable (on SQLite, merged from the inbox).
func rows(t *testing.T, srv *gateway.Server, db *store.DB, phone string) int {
	t.Helper()
	readable(t, srv)
	var n int
	if err := db.R.QueryRowContext(context.Background(), "SELECT count(*) FROM positions WHERE terminal_phone = ?", phone).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// readable makes what srv's Writer acknowledged readable in positions.
func readable(t *testing.T, srv *gateway.Server) {
	t.Helper()
	if err := srv.Writer.(*telematics.Writer).Sync(context.Background()); err != nil {
		t.Fatal(err)
	}
}
