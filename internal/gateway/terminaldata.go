package gateway

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/errs"
	"govfleet/internal/jt808"
)

// Recorder stores what terminals send besides positions (issue 20): their
// attributes (0x0107), pictures (0x0801) and pass-through data (0x0900).
// fleet.Recorder implements it. Phones are passed normalised; vehicleID is
// the vehicle the terminal authenticated for (0 for none). An error of
// kind errs.Invalid refuses the content (answered "消息有误", resending
// will not help); any other error is answered with a failure so the
// terminal sends it again.
type Recorder interface {
	Attributes(ctx context.Context, phone string, a *jt808.Attributes) error
	Media(ctx context.Context, phone string, vehicleID int64, m *jt808.MediaUpload) error
	PassThrough(ctx context.Context, phone string, vehicleID int64, p *jt808.PassThrough) error
}

// serverTime answers 0x0004 with the server's UTC time (0x8004).
func (c *session) serverTime(h jt808.Header) error {
	return c.reply(h, &jt808.ServerTime{Time: time.Now().UTC().Truncate(time.Second)})
}

// record runs one Recorder call and returns the 0x8001 result for it.
func (c *session) record(h jt808.Header, what string, call func(ctx context.Context, r Recorder) error) uint8 {
	s := c.srv
	if s.Recorder == nil {
		return jt808.ResultUnsupported
	}
	ctx, cancel := context.WithTimeout(context.Background(), s.StoreTimeout)
	defer cancel()
	err := call(ctx, s.Recorder)
	switch {
	case err == nil:
		return jt808.ResultOK
	case errs.Is(err, errs.Invalid):
		c.log.Info("terminal data refused", "what", what, "serial", h.Serial, "err", err)
		return jt808.ResultBadMessage
	default:
		c.log.Error("storing terminal data failed; answering failure so the terminal re-sends", "what", what, "serial", h.Serial, "err", err)
		return jt808.ResultFailure
	}
}

// media stores a complete 0x0801 and answers 0x8800 (nothing to resend),
// or 0x8001 when it was refused or not stored.
func (c *session) media(h jt808.Header, m *jt808.MediaUpload) error {
	res := c.record(h, "media", func(ctx context.Context, r Recorder) error { return r.Media(ctx, c.phone, c.vehicleID, m) })
	if res != jt808.ResultOK {
		return c.ack(h, res)
	}
	c.log.Info("terminal picture stored", "media_id", m.MediaID, "event", m.Event, "bytes", len(m.Data))
	return c.reply(h, &jt808.MediaResponse{MediaID: m.MediaID})
}

// attributes stores a 0x0107 and hands it to a Send of 0x8107 waiting.
func (c *session) attributes(h jt808.Header, a *jt808.Attributes) {
	c.record(h, "attributes", func(ctx context.Context, r Recorder) error { return r.Attributes(ctx, c.phone, a) })
	c.pmu.Lock()
	serial, waiting := c.attrQuery, c.attrWaiting
	c.attrWaiting = false
	c.pmu.Unlock()
	if waiting {
		c.deliver(serial, a)
	}
}

// queryAttributes asks a terminal that just authenticated for its
// attributes (0x8107); the answer is stored by attributes.
func (c *session) queryAttributes() {
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.SendTimeout)
	defer cancel()
	if _, err := c.send(ctx, &jt808.QueryAttrs{}, c.srv.SendTimeout); err != nil {
		c.log.Info("terminal attributes not answered", "err", err)
	}
}

// addPart adds one sub-package to the connection's reassembler. It
// returns the complete message once its last part arrived. When the last
// part of a picture (0x0801) arrives with parts missing it answers 0x8800
// listing them; any other message left incomplete is asked for by
// checkParts (0x8003) once PartTimeout passed.
func (c *session) addPart(p jt808.Packet) (jt808.Packet, bool, error) {
	s := c.srv
	h := p.Header
	c.rmu.Lock()
	if c.reasm == nil {
		c.reasm = &jt808.Reassembler{MaxPending: 4, Timeout: s.PartTimeout, Retries: s.PartRetries}
	}
	// Until it authenticates a connection buffers no picture: 64 KiB.
	c.reasm.MaxBytes = 64 << 10
	if c.authed {
		c.reasm.MaxBytes = max(c.reasm.MaxBytes, s.MaxMessageBytes)
	}
	full, ok, err := c.reasm.Add(p, time.Now())
	var missing []uint16
	if err == nil && !ok {
		if c.partTimer == nil {
			c.partTimer = time.AfterFunc(s.PartTimeout, c.checkParts)
		}
		if h.MsgID == jt808.MsgMediaUpload && h.Index == h.Total {
			missing = c.reasm.Missing(h)
		}
	}
	if h.MsgID == jt808.MsgMediaUpload && h.Index == 1 && len(p.Body) >= 4 {
		c.mediaFirst, c.mediaID = h.Serial, uint32(p.Body[0])<<24|uint32(p.Body[1])<<16|uint32(p.Body[2])<<8|uint32(p.Body[3])
	}
	id, known := c.mediaID, c.mediaFirst == h.Serial-(h.Index-1)
	c.rmu.Unlock()
	if len(missing) > 0 && known {
		c.log.Info("picture incomplete, asking for the missing parts", "media_id", id, "missing", missing)
		if werr := c.reply(h, &jt808.MediaResponse{MediaID: id, Resend: missing}); werr != nil {
			c.log.Info("picture resend request not sent", "err", werr) // the next read fails too
		}
	}
	return full, ok, err
}

// checkParts runs PartTimeout after a message was left incomplete: it asks
// for the missing parts of the messages idle that long (0x8003), at most
// PartRetries times each, then gives them up. It runs in a timer's
// goroutine: what the reader owns (c.log, c.phone) is not touched.
func (c *session) checkParts() {
	s := c.srv
	log := s.Logger.With("remote", c.conn.RemoteAddr().String())
	c.rmu.Lock()
	incs := c.reasm.Expire(time.Now())
	if c.reasm.Pending() > 0 {
		c.partTimer.Reset(s.PartTimeout)
	} else {
		c.partTimer = nil
	}
	c.rmu.Unlock()
	c.pmu.Lock()
	hdr := c.header
	c.pmu.Unlock()
	for _, inc := range incs {
		msg := fmt.Sprintf("0x%04x", inc.MsgID)
		if !inc.Retry || hdr.Version == 0 {
			log.Warn("sub-packaged message incomplete, given up", "phone", inc.Phone, "msg", msg, "first_serial", inc.FirstSerial, "missing", inc.Missing)
			continue
		}
		log.Info("sub-packaged message incomplete, asking for the missing parts", "phone", inc.Phone, "msg", msg, "first_serial", inc.FirstSerial, "missing", inc.Missing)
		rr := &jt808.ResendRequest{FirstSerial: inc.FirstSerial, Parts: inc.Missing}
		if len(rr.Parts) > 255 {
			rr.Parts = rr.Parts[:255] // the 2013 count is a BYTE; the rest is asked for next time
		}
		frame, err := jt808.EncodeMessage(hdr.Reply(jt808.MsgResendRequest, c.nextSerial()), rr)
		if err == nil {
			err = c.write(frame)
		}
		if err != nil {
			log.Info("resend request not sent", "err", err)
			return
		}
	}
}

// later runs fn in a goroutine that Serve waits for.
func (c *session) later(fn func()) {
	c.srv.wg.Add(1)
	go func() {
		defer c.srv.wg.Done()
		fn()
	}()
}

// stopParts stops the timer of checkParts when the connection ends.
func (c *session) stopParts() {
	c.rmu.Lock()
	if c.partTimer != nil {
		c.partTimer.Stop()
	}
	c.rmu.Unlock()
}
