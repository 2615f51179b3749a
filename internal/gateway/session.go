package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// session is one terminal connection.
type session struct {
	srv    *Server
	conn   net.Conn
	log    *slog.Logger
	serial atomic.Uint32 // platform serial numbers of this connection

	wmu     sync.Mutex // serialises frames written to conn
	writeBy time.Time  // the write deadline last set, under wmu
	readBy  time.Time  // the read deadline last set, by the reader

	// Set by the reader goroutine on authentication; read by Send after
	// bind, which publishes them through Server.mu.
	phone     string
	vehicleID int64
	header    jt808.Header // template for platform messages: edition and phone as the terminal sends them
	authed    bool

	pmu     sync.Mutex
	pending map[uint16]chan jt808.Message // Send waiting for answers, by platform serial
	closed  bool

	reasm   *jt808.Reassembler
	refused int
	bad     int
	tokens  float64
	last    time.Time
	heard   atomic.Int64 // unix nanoseconds of the last frame read, for bind

	fixes      telematics.Checker // marks the reports' validity
	clockFirst time.Duration      // offset of the first of clockN reports off in a row
	clockN     int
	clockOff   bool // EventClockOff raised for this connection

	// Reassembly is shared with the checkParts timer (rmu), the
	// picture being received, and the 0x8107 a 0x0107 answers (under pmu).
	rmu         sync.Mutex
	partTimer   *time.Timer
	mediaFirst  uint16
	mediaID     uint32
	attrQuery   uint16
	attrWaiting bool
}

// alive reports whether the connection read a frame within d before now.
func (c *session) alive(now time.Time, d time.Duration) bool {
	return now.UnixNano()-c.heard.Load() < int64(d)
}

func newSession(s *Server, c net.Conn) *session {
	return &session{srv: s, conn: c, log: s.Logger.With("remote", c.RemoteAddr().String()), tokens: s.Burst}
}

// errCut ends a connection that misbehaved.
var errCut = errors.New("connection cut")

func (c *session) serve(ctx context.Context) {
	s := c.srv
	defer func() {
		c.conn.Close()
		c.stopParts()
		s.forget(c)
		s.m.connections.Add(-1)
		if c.authed {
			s.m.authenticated.Add(-1)
		}
		c.pmu.Lock()
		c.closed = true
		for serial, ch := range c.pending {
			close(ch)
			delete(c.pending, serial)
		}
		c.pmu.Unlock()
	}()
	fr := NewFrameReader(c.conn, s.MaxFrameLen)
	fr.MaxNoise = s.MaxNoise
	for {
		if ctx.Err() != nil {
			return
		}
		c.readBy = refreshDeadline(c.conn.SetReadDeadline, c.readBy, s.IdleTimeout)
		frame, err := fr.Next()
		if err != nil {
			var ne net.Error
			switch {
			case ctx.Err() != nil:
			case errors.As(err, &ne) && ne.Timeout():
				s.m.idleClosed.Add(1)
				c.log.Info("terminal idle, closing", "phone", c.phone, "idle", s.IdleTimeout)
			case errors.Is(err, jt808.ErrFrameTooLarge):
				c.cut("oversized frame", err)
			case errors.Is(err, ErrNoise):
				c.cut("garbage outside frames", err)
			case errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed):
				c.log.Debug("terminal disconnected", "phone", c.phone)
			default:
				c.log.Info("terminal read", "phone", c.phone, "err", err)
			}
			return
		}
		c.heard.Store(time.Now().UnixNano())
		if !c.allow(time.Now()) {
			c.cut("frame rate over limit", fmt.Errorf("more than %.0f frames/s", s.Rate))
			return
		}
		p, err := jt808.Decode(frame)
		if err != nil {
			c.bad++
			c.log.Info("undecodable frame", "phone", c.phone, "err", err)
			if c.bad > s.MaxBadFrames {
				c.cut("too many undecodable frames", err)
				return
			}
			continue
		}
		if p.Header.SubPackage {
			full, ok, err := c.addPart(p)
			if err != nil {
				c.bad++
				c.log.Info("sub-package refused", "phone", c.phone, "err", err)
				if c.bad > s.MaxBadFrames {
					c.cut("too many bad sub-packages", err)
					return
				}
				continue
			}
			if !ok {
				continue
			}
			p = full
		}
		if err := c.handle(p); err != nil {
			if errors.Is(err, errCut) {
				return
			}
			if !errors.Is(err, io.EOF) {
				c.log.Info("terminal session ends", "phone", c.phone, "err", err)
			}
			return
		}
	}
}

// allow is the per-connection token bucket.
func (c *session) allow(now time.Time) bool {
	if !c.last.IsZero() {
		c.tokens = min(c.srv.Burst, c.tokens+now.Sub(c.last).Seconds()*c.srv.Rate)
	}
	c.last = now
	if c.tokens < 1 {
		return false
	}
	c.tokens--
	return true
}

func (c *session) cut(why string, err error) {
	c.srv.m.cut.Add(1)
	c.log.Warn("cutting terminal connection", "phone", c.phone, "reason", why, "err", err)
}

// handle answers one complete message. It returns io.EOF after a logout,
// errCut when the connection was cut, or a write error.
func (c *session) handle(p jt808.Packet) error {
	s := c.srv
	h := p.Header
	phone := telematics.NormalizePhone(h.Phone)
	msg, err := jt808.DecodeMessage(h, p.Body)
	if errors.Is(err, jt808.ErrUnknownMessage) {
		if !c.authed {
			return c.refuse(h)
		}
		return c.ack(h, jt808.ResultUnsupported)
	}
	if err != nil {
		c.bad++
		c.log.Info("bad message body", "phone", phone, "msg", fmt.Sprintf("0x%04x", h.MsgID), "err", err)
		if c.bad > s.MaxBadFrames {
			c.cut("too many bad messages", err)
			return errCut
		}
		return c.ack(h, jt808.ResultBadMessage)
	}
	switch m := msg.(type) {
	case *jt808.ServerTimeQuery:
		return c.serverTime(h)
	case *jt808.Register:
		ctx, cancel := context.WithTimeout(context.Background(), s.StoreTimeout)
		defer cancel()
		from := c.conn.RemoteAddr().String()
		host, _, _ := net.SplitHostPort(from)
		if s.regs.over(host, time.Now(), s.MaxRefusedRegistrations) {
			c.cut("too many refused registrations from this address", fmt.Errorf("%d a minute from %s", s.MaxRefusedRegistrations, host))
			return errCut
		}
		release, err := s.directoryTurn(ctx)
		if err != nil {
			c.log.Warn("terminal registration not handled in time, the terminal re-sends", "phone", phone, "err", err)
			return nil
		}
		res, code, err := s.Directory.Register(ctx, phone, from, *m)
		release()
		if err != nil {
			// No result code means "try later": stay silent, the terminal re-sends.
			c.log.Error("terminal registration", "phone", phone, "err", err)
			return nil
		}
		if res != jt808.RegisterOK {
			s.regs.refused(host, time.Now())
			c.log.Warn("terminal registration refused", "phone", phone, "terminal_id", m.TerminalID, "maker", m.Maker, "plate", m.Plate, "result", res)
		} else {
			c.log.Info("terminal registration", "phone", phone, "plate", m.Plate, "result", res)
		}
		return c.reply(h, &jt808.RegisterResponse{ReplySerial: h.Serial, Result: res, AuthCode: code})
	case *jt808.Auth:
		ctx, cancel := context.WithTimeout(context.Background(), s.StoreTimeout)
		defer cancel()
		release, err := s.directoryTurn(ctx)
		if err != nil {
			c.log.Warn("terminal authentication not handled in time", "phone", phone, "err", err)
			return c.ack(h, jt808.ResultFailure)
		}
		vid, installed, ok, err := s.Directory.Authenticate(ctx, phone, m.Code)
		release()
		if err != nil {
			c.log.Error("terminal authentication", "phone", phone, "err", err)
			return c.ack(h, jt808.ResultFailure)
		}
		if !ok {
			c.log.Info("terminal authentication refused", "phone", phone)
			return c.refuse(h)
		}
		if c.authed && c.phone != phone {
			c.log.Warn("second terminal on one connection refused", "phone", phone, "bound", c.phone)
			return c.refuse(h)
		}
		if c.phone == "" && !s.bind(ctx, c, phone) {
			s.m.refused.Add(1)
			if err := c.ack(h, jt808.ResultFailure); err != nil {
				return err
			}
			c.cut("terminal already online from another connection", fmt.Errorf("phone %s", phone))
			return errCut
		}
		if !c.authed {
			c.authed = true
			s.m.authenticated.Add(1)
			c.log = s.Logger.With("remote", c.conn.RemoteAddr().String(), "phone", phone)
			c.fixes = telematics.Checker{Installed: installed}
			if s.LastFix != nil {
				c.fixes.Prev, _ = s.LastFix(phone)
			}
			if s.Recorder != nil {
				defer c.later(c.queryAttributes) // after the answer to 0x0102
			}
		}
		c.vehicleID = vid
		c.pmu.Lock()
		c.header = h
		c.pmu.Unlock()
		c.log.Debug("terminal authenticated", "vehicle_id", vid, "edition", h.Version)
		return c.ack(h, jt808.ResultOK)
	}
	if !c.authed || phone != c.phone {
		return c.refuse(h)
	}
	switch m := msg.(type) {
	case *jt808.Heartbeat:
		return c.ack(h, jt808.ResultOK)
	case *jt808.Logout:
		if err := c.ack(h, jt808.ResultOK); err != nil {
			return err
		}
		c.log.Info("terminal logged out")
		return io.EOF
	case *jt808.Location:
		c.clock(m.Time, time.Now())
		return c.ack(h, c.store(h, m))
	case *jt808.LocationBatch:
		items := make([]*jt808.Location, len(m.Items))
		for i := range m.Items {
			items[i] = &m.Items[i]
		}
		return c.ack(h, c.store(h, items...))
	case *jt808.LocationResponse:
		// An answer to 0x8201: stored like a report, then handed to Send.
		c.store(h, &m.Location)
		c.deliver(m.ReplySerial, m)
		return nil
	case *jt808.TerminalAck:
		c.deliver(m.ReplySerial, m)
		return nil
	case *jt808.ParamsResponse:
		c.deliver(m.ReplySerial, m)
		return nil
	case *jt808.Attributes:
		c.attributes(h, m)
		return nil
	case *jt808.MediaEvent:
		return c.ack(h, jt808.ResultOK)
	case *jt808.MediaUpload:
		return c.media(h, m)
	case *jt808.PassThrough:
		return c.ack(h, c.record(h, "pass-through", func(ctx context.Context, r Recorder) error { return r.PassThrough(ctx, c.phone, c.vehicleID, m) }))
	}
	// A platform message sent by a terminal, or one the gateway does not handle.
	return c.ack(h, jt808.ResultUnsupported)
}

// store writes the positions and returns the result for the 0x8001 answer:
// success only once the Writer has committed them.
func (c *session) store(h jt808.Header, ls ...*jt808.Location) uint8 {
	s := c.srv
	if len(ls) == 0 {
		return jt808.ResultOK
	}
	now := time.Now()
	ps := make([]telematics.Position, len(ls))
	for i, l := range ls {
		ps[i] = telematics.FromLocation(c.phone, c.vehicleID, l, now)
		c.fixes.Check(&ps[i], now)
	}
	s.m.reports.Add(int64(len(ps)))
	ctx, cancel := context.WithTimeout(context.Background(), s.StoreTimeout)
	defer cancel()
	if err := s.Writer.Write(ctx, ps); err != nil {
		s.m.storeFailures.Add(1)
		c.log.Error("storing positions failed; answering failure so the terminal re-sends",
			"msg", fmt.Sprintf("0x%04x", h.MsgID), "serial", h.Serial, "n", len(ps), "err", err)
		return jt808.ResultFailure
	}
	s.m.stored.Add(int64(len(ps)))
	if s.Latest != nil {
		s.Latest.Update(ps)
	}
	return jt808.ResultOK
}

// clock checks the GNSS time of a real-time report against the server's
// (terminals report Beijing time, which jt808 turns into UTC): ClockReports
// in a row off by more than ClockTolerance, and by about the same, raise
// EventClockOff with the offset; a report on time again clears it.
func (c *session) clock(at, now time.Time) {
	if at.IsZero() {
		return
	}
	off := at.Sub(now)
	if off.Abs() <= ClockTolerance {
		c.clockN = 0
		if c.clockOff {
			c.clockOff = false
			c.srv.raise(c.phone, EventClockOff, nil)
		}
		return
	}
	if c.clockN == 0 || (off-c.clockFirst).Abs() > ClockSpread {
		c.clockFirst, c.clockN = off, 0
	}
	c.clockN++
	if c.clockN == ClockReports && !c.clockOff {
		c.clockOff = true
		c.log.Warn("terminal clock off", "offset", off.Round(time.Second))
		c.srv.raise(c.phone, EventClockOff, map[string]any{"offset_seconds": int64(off.Seconds()), "gnss_time": at, "server_time": now})
	}
}

// refuse answers a message the connection may not send (not authenticated,
// or for another terminal) and cuts the connection after MaxRefused.
func (c *session) refuse(h jt808.Header) error {
	s := c.srv
	s.m.refused.Add(1)
	c.refused++
	if err := c.ack(h, jt808.ResultFailure); err != nil {
		return err
	}
	if c.refused >= s.MaxRefused {
		c.cut("too many refused messages", fmt.Errorf("%d refused, last 0x%04x from %s", c.refused, h.MsgID, h.Phone))
		return errCut
	}
	return nil
}

func (c *session) ack(h jt808.Header, result uint8) error {
	err := c.reply(h, &jt808.PlatformAck{ReplySerial: h.Serial, ReplyID: h.MsgID, Result: result})
	if err == nil {
		c.srv.m.acksSent.Add(1)
	}
	return err
}

// reply answers the message of header h with m.
func (c *session) reply(h jt808.Header, m jt808.Message) error {
	frame, err := jt808.EncodeMessage(h.Reply(m.MsgID(), c.nextSerial()), m)
	if err != nil {
		return fmt.Errorf("encode 0x%04x: %w", m.MsgID(), err)
	}
	return c.write(frame)
}

func (c *session) write(frame []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.writeBy = refreshDeadline(c.conn.SetWriteDeadline, c.writeBy, c.srv.WriteTimeout)
	if _, err := c.conn.Write(frame); err != nil {
		return fmt.Errorf("write to terminal: %w", err)
	}
	return nil
}

// refreshDeadline moves a deadline last set to by to timeout from now, but
// only once it has fallen a tenth of the timeout (at most a second) behind:
// setting a deadline re-arms a runtime timer, a cost that showed in profiles
// at 20,000 reports/s.
func refreshDeadline(set func(time.Time) error, by time.Time, timeout time.Duration) time.Time {
	next := time.Now().Add(timeout)
	if next.Sub(by) < min(time.Second, timeout/10) {
		return by
	}
	set(next)
	return next
}

func (c *session) nextSerial() uint16 { return uint16(c.serial.Add(1) - 1) }

// send writes a platform command and waits for the answer naming its serial.
func (c *session) send(ctx context.Context, m jt808.Message, timeout time.Duration) (jt808.Message, error) {
	serial := c.nextSerial()
	ch := make(chan jt808.Message, 1)
	c.pmu.Lock()
	if c.closed {
		c.pmu.Unlock()
		return nil, fmt.Errorf("send 0x%04x to %s: %w", m.MsgID(), c.phone, ErrNotConnected)
	}
	if c.pending == nil {
		c.pending = map[uint16]chan jt808.Message{}
	}
	c.pending[serial] = ch
	if m.MsgID() == jt808.MsgQueryAttrs {
		c.attrQuery, c.attrWaiting = serial, true
	}
	hdr := c.header
	c.pmu.Unlock()
	defer func() {
		c.pmu.Lock()
		if c.pending[serial] == ch {
			delete(c.pending, serial)
		}
		c.pmu.Unlock()
	}()
	frame, err := jt808.EncodeMessage(hdr.Reply(m.MsgID(), serial), m)
	if err != nil {
		return nil, fmt.Errorf("encode 0x%04x: %w", m.MsgID(), err)
	}
	if err := c.write(frame); err != nil {
		return nil, fmt.Errorf("send 0x%04x to %s: %w", m.MsgID(), c.phone, err)
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case a, ok := <-ch:
		if !ok {
			return nil, fmt.Errorf("send 0x%04x to %s: %w", m.MsgID(), c.phone, ErrNotConnected)
		}
		return a, nil
	case <-t.C:
		return nil, fmt.Errorf("send 0x%04x to %s: %w", m.MsgID(), c.phone, ErrNoAnswer)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *session) deliver(serial uint16, m jt808.Message) {
	c.pmu.Lock()
	ch := c.pending[serial]
	delete(c.pending, serial)
	c.pmu.Unlock()
	if ch != nil {
		ch <- m
	} else {
		c.log.Debug("unsolicited answer", "msg", fmt.Sprintf("0x%04x", m.MsgID()), "reply_serial", serial)
	}
}
