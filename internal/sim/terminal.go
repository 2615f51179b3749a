package sim

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
)

// batchItems is the number of positions per 0x0704: about 45 bytes each,
// so a batch stays within one packet (1023 bytes).
const batchItems = 20

type terminal struct {
	r     *runner
	idx   int
	phone string
	rng   *rand.Rand
	v     *vehicle

	conn    net.Conn
	fr      *gateway.FrameReader
	serial  uint16
	pending map[uint16]*pend

	blind      []jt808.Location // buffered in a tunnel, or answered with a failure
	recent     []jt808.Location // the last acknowledged positions (ResendAcked)
	sessions   int
	tunnel     int       // reports left in the tunnel
	lastAt     time.Time // GNSS time of the last position
	lastStep   time.Time
	lastSent   time.Time
	nextReport time.Time
	interval   time.Duration // reporting interval while driving set by the platform (0x8103), 0: Config.Interval
	trackEvery time.Duration // temporary tracking (0x8202): report this often until trackUntil
	trackUntil time.Time
	mediaID    uint32            // the last picture's multimedia ID
	media      map[uint16][]byte // its 0x0801 frames by part, until confirmed
}

type pend struct {
	sent  time.Time
	id    uint16
	items []jt808.Location // positions carried, for OnAck and re-sending
}

// errPermanent stops a terminal instead of reconnecting.
type errPermanent struct{ error }

func newTerminal(r *runner, idx int) *terminal {
	rng := rngFor(r.cfg.Seed, idx)
	phone := Phone(r.cfg.PhonePrefix, idx)
	if ps := r.cfg.Phones; len(ps) > 0 {
		phone = ps[(idx-r.cfg.FirstIndex)%len(ps)]
	}
	t := &terminal{r: r, idx: idx, phone: phone, rng: rng, v: newVehicle(rng), pending: map[uint16]*pend{}}
	t.lastStep = time.Now()
	t.nextReport = t.lastStep.Add(time.Duration(rng.Int64N(int64(r.cfg.Interval))))
	return t
}

func (t *terminal) run(ctx, drain context.Context) {
	backoff := time.Second
	for {
		err := t.session(ctx, drain)
		if err == nil || ctx.Err() != nil {
			return
		}
		var perm errPermanent
		if errors.As(err, &perm) {
			t.r.c.errors.Add(1)
			t.r.cfg.Logger.Error("simulated terminal gives up", "phone", t.phone, "err", err)
			return
		}
		t.r.c.errors.Add(1)
		t.r.cfg.Logger.Debug("simulated terminal reconnects", "phone", t.phone, "err", err)
		wait := backoff/2 + time.Duration(t.rng.Int64N(int64(backoff)))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return
		}
		backoff = min(2*backoff, 30*time.Second)
	}
}

func (t *terminal) session(ctx, drain context.Context) error {
	cfg := &t.r.cfg
	d := net.Dialer{Timeout: 10 * time.Second}
	if n := len(t.r.sourceAddrs); n > 0 {
		d.LocalAddr, d.Control = t.r.sourceAddrs[t.idx%n], bindNoPort
	}
	conn, err := d.DialContext(ctx, "tcp", cfg.Gateway)
	if err != nil {
		return fmt.Errorf("dial: %w", err)
	}
	t.conn, t.fr = conn, gateway.NewFrameReader(conn, 0)
	// The end of ctx wakes a read waiting for the next report at once: a
	// parked terminal reports every 30 s, and a stop must not wait for it.
	defer context.AfterFunc(ctx, func() { conn.SetReadDeadline(time.Now()) })()
	t.r.c.connected.Add(1)
	defer func() {
		conn.Close()
		t.r.c.connected.Add(-1)
		// Positions in flight on a broken connection are sent again later.
		for _, p := range t.pending {
			t.blind = append(t.blind, p.items...)
		}
		clear(t.pending)
	}()
	if err := t.login(); err != nil {
		return err
	}
	t.sessions++
	if t.sessions > 1 && len(t.recent) > 0 {
		t.blind = append(t.blind, t.recent...)
		t.r.c.resent.Add(int64(len(t.recent)))
		t.recent = nil
	}
	t.r.c.authenticated.Add(1)
	defer t.r.c.authenticated.Add(-1)
	for {
		now := time.Now()
		stopping := t.r.stopSending.Load() || ctx.Err() != nil
		if drain.Err() != nil || stopping && len(t.pending) == 0 {
			return nil
		}
		if !stopping {
			if !now.Before(t.nextReport) {
				if err := t.report(now); err != nil {
					return err
				}
			}
			if now.Sub(t.lastSent) >= cfg.Heartbeat {
				if _, err := t.send(&jt808.Heartbeat{}, nil); err != nil {
					return err
				}
				t.r.c.heartbeats.Add(1)
			}
		}
		for s, p := range t.pending {
			if now.Sub(p.sent) > cfg.AckTimeout {
				delete(t.pending, s)
				t.r.c.lost.Add(int64(len(p.items)))
			}
		}
		wake := t.nextReport
		if hb := t.lastSent.Add(cfg.Heartbeat); hb.Before(wake) {
			wake = hb
		}
		if stopping {
			wake = now.Add(50 * time.Millisecond)
		}
		conn.SetReadDeadline(wake)
		frame, err := t.fr.Next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) { // time to report (errors.As cost 3 % of the simulator's CPU)
				continue
			}
			return fmt.Errorf("read: %w", err)
		}
		if err := t.handle(frame); err != nil {
			return err
		}
	}
}

func (t *terminal) login() error {
	v := t.r.cfg.Edition
	id, ok := t.r.cfg.Identities[t.phone]
	if !ok {
		id = jt808.Register{TerminalID: TerminalID(t.phone), Plate: Plate(t.idx)}
	}
	if v != jt808.V2019 && len(id.TerminalID) > 7 {
		id.TerminalID = id.TerminalID[len(id.TerminalID)-7:] // 7 bytes in 2011 and 2013
	}
	serial, err := t.send(&jt808.Register{Province: 32, City: 400, Maker: "GVSIM", Model: "SIM-808",
		TerminalID: id.TerminalID, PlateColor: jt808.PlateBlue, Plate: id.Plate}, nil)
	if err != nil {
		return err
	}
	m, err := t.await(jt808.MsgRegisterResponse, serial)
	if err != nil {
		return fmt.Errorf("register: %w", err)
	}
	rr := m.(*jt808.RegisterResponse)
	if rr.Result != jt808.RegisterOK {
		return errPermanent{fmt.Errorf("registration of %s refused with result %d", t.phone, rr.Result)}
	}
	auth := &jt808.Auth{Code: rr.AuthCode}
	if v == jt808.V2019 {
		auth.IMEI = fmt.Sprintf("86%013d", t.idx)
		auth.SoftwareVersion = "SIM-1.0"
	}
	if serial, err = t.send(auth, nil); err != nil {
		return err
	}
	if m, err = t.await(jt808.MsgPlatformAck, serial); err != nil {
		return fmt.Errorf("authenticate: %w", err)
	}
	if r := m.(*jt808.PlatformAck).Result; r != jt808.ResultOK {
		return errPermanent{fmt.Errorf("authentication of %s refused with result %d", t.phone, r)}
	}
	return nil
}

// await reads until the answer (id) to serial, handling anything else.
func (t *terminal) await(id, serial uint16) (jt808.Message, error) {
	t.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	for {
		frame, err := t.fr.Next()
		if err != nil {
			return nil, err
		}
		p, err := jt808.Decode(frame)
		if err != nil {
			return nil, err
		}
		m, err := jt808.DecodeMessage(p.Header, p.Body)
		if err != nil {
			return nil, err
		}
		switch a := m.(type) {
		case *jt808.RegisterResponse:
			if id == jt808.MsgRegisterResponse && a.ReplySerial == serial {
				return m, nil
			}
		case *jt808.PlatformAck:
			if id == jt808.MsgPlatformAck && a.ReplySerial == serial {
				return m, nil
			}
		}
	}
}

// report moves the vehicle on and sends its position, or keeps it while in
// a tunnel.
func (t *terminal) report(now time.Time) error {
	cfg := &t.r.cfg
	t.v.step(now.Sub(t.lastStep))
	t.lastStep = now
	loc := t.location(now)
	if t.v.driving() && t.tunnel == 0 && t.rng.Float64() < cfg.TunnelRate {
		t.tunnel = 3 + t.rng.IntN(8)
	}
	interval := cfg.Interval
	if t.interval > 0 {
		interval = t.interval
	}
	if !t.v.driving() {
		interval = cfg.Parked
	}
	if now.Before(t.trackUntil) {
		interval = t.trackEvery
	}
	t.nextReport = t.nextReport.Add(interval)
	if t.nextReport.Before(now) {
		t.nextReport = now.Add(interval)
	}
	if t.tunnel > 0 {
		t.tunnel--
		t.blind = append(t.blind, *loc)
		if t.tunnel > 0 {
			return nil
		}
	} else {
		if _, err := t.send(loc, []jt808.Location{*loc}); err != nil {
			return err
		}
	}
	return t.flushBlind()
}

func (t *terminal) location(now time.Time) *jt808.Location {
	at := now.Truncate(time.Second)
	if !at.After(t.lastAt) {
		at = t.lastAt.Add(time.Second)
	}
	t.lastAt = at
	return t.v.location(at)
}

// flushBlind sends the kept positions as blind-area batches.
func (t *terminal) flushBlind() error {
	for len(t.blind) > 0 {
		n := min(len(t.blind), batchItems)
		items := t.blind[:n:n]
		if _, err := t.send(&jt808.LocationBatch{Type: jt808.BatchBlindArea, Items: items}, items); err != nil {
			return err
		}
		t.r.c.batches.Add(1)
		t.blind = t.blind[n:]
	}
	t.blind = nil
	return nil
}

// send writes m; positions it carries are tracked until answered.
func (t *terminal) send(m jt808.Message, items []jt808.Location) (uint16, error) {
	t.serial++
	h := jt808.Header{Version: t.r.cfg.Edition, ProtocolVersion: 1, Phone: t.phone, Serial: t.serial}
	frame, err := jt808.EncodeMessage(h, m)
	if err != nil {
		return 0, errPermanent{fmt.Errorf("encode 0x%04x: %w", m.MsgID(), err)}
	}
	if err := t.write(frame); err != nil {
		return 0, err
	}
	now := t.lastSent
	if items != nil {
		t.pending[h.Serial] = &pend{sent: now, id: m.MsgID(), items: items}
		t.r.c.sent.Add(int64(len(items)))
	}
	return h.Serial, nil
}

// write sends one frame.
func (t *terminal) write(frame []byte) error {
	now := time.Now()
	t.conn.SetWriteDeadline(now.Add(10 * time.Second))
	if _, err := t.conn.Write(frame); err != nil {
		return fmt.Errorf("write: %w", err)
	}
	t.lastSent = now
	return nil
}

// handle processes one frame from the gateway.
func (t *terminal) handle(frame []byte) error {
	p, err := jt808.Decode(frame)
	if err != nil {
		return fmt.Errorf("from gateway: %w", err)
	}
	m, err := jt808.DecodeMessage(p.Header, p.Body)
	if err != nil {
		if errors.Is(err, jt808.ErrUnknownMessage) {
			_, err = t.send(&jt808.TerminalAck{ReplySerial: p.Header.Serial, ReplyID: p.Header.MsgID, Result: jt808.ResultUnsupported}, nil)
			return err
		}
		return fmt.Errorf("from gateway: %w", err)
	}
	ack := func(result uint8) error {
		t.r.c.commands.Add(1)
		_, err := t.send(&jt808.TerminalAck{ReplySerial: p.Header.Serial, ReplyID: p.Header.MsgID, Result: result}, nil)
		return err
	}
	switch m := m.(type) {
	case *jt808.PlatformAck:
		pd := t.pending[m.ReplySerial]
		if pd == nil || pd.id != m.ReplyID {
			return nil
		}
		delete(t.pending, m.ReplySerial)
		n := int64(len(pd.items))
		if m.Result != jt808.ResultOK {
			t.r.c.failed.Add(n)
			t.blind = append(t.blind, pd.items...)
			return nil
		}
		lat := time.Since(pd.sent)
		t.r.total.add(lat)
		t.r.win.add(lat)
		if pd.sent.After(t.r.steadyFrom) {
			t.r.steady.add(lat)
		}
		t.r.c.acked.Add(n)
		if f := t.r.cfg.OnAck; f != nil {
			for _, it := range pd.items {
				f(t.phone, it.Time)
			}
		}
		if k := t.r.cfg.ResendAcked; k > 0 {
			t.recent = append(t.recent, pd.items...)
			if len(t.recent) > k {
				t.recent = append(t.recent[:0:0], t.recent[len(t.recent)-k:]...)
			}
		}
	case *jt808.QueryLocation:
		now := time.Now()
		t.v.step(now.Sub(t.lastStep))
		t.lastStep = now
		t.r.c.commands.Add(1)
		_, err := t.send(&jt808.LocationResponse{ReplySerial: p.Header.Serial, Location: *t.location(now)}, nil)
		return err
	case *jt808.TrackingControl:
		// Interval 0 stops tracking; otherwise report every Interval
		// seconds for Validity seconds, starting now.
		t.trackEvery, t.trackUntil = time.Duration(m.Interval)*time.Second, time.Time{}
		if m.Interval > 0 {
			t.trackUntil = time.Now().Add(time.Duration(m.Validity) * time.Second)
			t.nextReport = time.Now()
		}
		return ack(jt808.ResultOK)
	case *jt808.SetParams:
		for _, p := range m.Params {
			if v, ok := p.DWord(); ok && p.ID == jt808.ParamDefaultInterval && v > 0 {
				t.interval = time.Duration(v) * time.Second
			}
		}
		return ack(jt808.ResultOK)
	case *jt808.Text:
		return ack(jt808.ResultOK)
	case *jt808.QueryParams:
		t.r.c.commands.Add(1)
		_, err := t.send(&jt808.ParamsResponse{ReplySerial: p.Header.Serial, Params: []jt808.Param{
			jt808.DWordParam(jt808.ParamHeartbeatInterval, uint32(t.r.cfg.Heartbeat/time.Second)),
			jt808.DWordParam(jt808.ParamDefaultInterval, uint32(cmp.Or(t.interval, t.r.cfg.Interval)/time.Second)),
		}}, nil)
		return err
	case *jt808.QueryAttrs:
		t.r.c.commands.Add(1)
		_, err := t.send(t.attributes(), nil)
		return err
	case *jt808.CameraShootNow:
		if err := ack(jt808.ResultOK); err != nil {
			return err
		}
		return t.shoot(m)
	case *jt808.MediaResponse:
		if len(m.Resend) == 0 {
			t.media = nil
			return nil
		}
		return t.resendParts(m.Resend)
	case *jt808.ResendRequest:
		return t.resendParts(m.Parts)
	default:
		return ack(jt808.ResultUnsupported)
	}
	return nil
}
