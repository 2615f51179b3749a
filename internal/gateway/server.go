// Package gateway is the TCP server the BeiDou vehicle terminals connect to
// over JT/T 808: framing, registration and authentication against a
// Directory, acknowledgement of location reports only once the Writer has
// committed them, and platform → terminal commands (Send).
//
// Each connection costs one goroutine (its reader, which also handles the
// messages in order) and a read buffer that starts at 256 bytes and grows
// at most to the frame limit; Send runs in the caller's goroutine.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// PositionWriter stores positions and returns nil only once they are
// durably committed; *telematics.Writer implements it.
type PositionWriter interface {
	Write(ctx context.Context, ps []telematics.Position) error
}

// Server is the JT/T 808 gateway. Set the fields, then call ListenAndServe
// or Serve; zero durations and limits take the documented defaults.
type Server struct {
	Addr      string // listen address for ListenAndServe, e.g. ":7808"
	Directory Directory
	Writer    PositionWriter
	// Latest, when set, is updated with every stored report (leave it nil
	// when the Writer updates one itself).
	Latest *telematics.Latest
	// LastFix returns a terminal's last valid fix, from which the next
	// report's jump is measured (default Latest.ByTerminal when Latest is set).
	LastFix func(phone string) (telematics.Position, bool)
	// Events records what the gateway sees of a terminal's health: a second
	// connection authenticating for a phone already online (EventClone) and
	// a clock off (EventClockOff). Optional; health.Service implements it.
	Events Events
	// Takeover returns the policy for a second connection authenticating
	// for a phone already online (default RefuseNewcomer).
	Takeover func(ctx context.Context) TakeoverPolicy
	Logger   *slog.Logger

	// Recorder, when set, stores terminal attributes, pictures and
	// pass-through data; without it those are answered "not supported".
	Recorder Recorder

	// IdleTimeout closes a connection that sends nothing for this long
	// (default 90 s: three 30 s heartbeat intervals).
	IdleTimeout time.Duration
	// WriteTimeout bounds writing one frame to a terminal (default 10 s).
	WriteTimeout time.Duration
	// StoreTimeout bounds storing one report (default 10 s); a report not
	// stored in time is answered with a failure so the terminal re-sends it.
	StoreTimeout time.Duration
	// SendTimeout bounds waiting for a terminal's answer in Send (default 10 s).
	SendTimeout time.Duration
	// MaxFrameLen is the largest escaped frame accepted (default jt808.MaxFrameLen).
	MaxFrameLen int
	// MaxNoise is the number of bytes outside any frame tolerated since the
	// last valid frame (default 4096).
	MaxNoise int64
	// MaxBadFrames is the number of undecodable frames tolerated (default 5).
	MaxBadFrames int
	// MaxRefused is the number of messages refused to an unauthenticated
	// connection before it is closed (default 3).
	MaxRefused int
	// MaxDirectoryCalls bounds the registrations and authentications
	// handled at once (default 4); the others wait their turn. After a
	// restart every terminal logs in again at once: unbounded, their
	// directory lookups would take every database connection and starve
	// the position writer, whose commits the acknowledgements wait for.
	MaxDirectoryCalls int
	// MaxMessageBytes bounds the sub-packages of one connection being
	// reassembled, a picture included (default 256 KiB).
	MaxMessageBytes int
	// PartTimeout is how long a sub-packaged message may wait for a part
	// before its missing parts are asked for (0x8003, default 30 s);
	// PartRetries is how many times they are asked for before the message
	// is given up (default 2).
	PartTimeout time.Duration
	PartRetries int
	// Rate and Burst limit the frames per second of one connection (token
	// bucket, defaults 20/s and 200); a connection over the limit is cut.
	Rate  float64
	Burst float64
	// MaxRefusedRegistrations is the number of refused registrations
	// (unknown phones, another terminal ID or plate) one source address may
	// make a minute (default 5); beyond it its connections are cut before
	// the registry is asked. At most 10,000 addresses are counted.
	MaxRefusedRegistrations int

	dirSem chan struct{}
	regs   throttle

	mu       sync.Mutex
	sessions map[string]*session // authenticated, by normalised phone
	conns    map[*session]struct{}
	wg       sync.WaitGroup

	m metrics
}

// Metrics is a snapshot of the gateway's counters.
type Metrics struct {
	Connections   int64 // open now
	Accepted      int64 // accepted since start
	Authenticated int64 // authenticated connections open now
	Reports       int64 // positions received in 0x0200, 0x0201 and 0x0704
	Stored        int64 // positions acknowledged after being stored (duplicates included)
	StoreFailures int64 // reports answered with a failure because storing failed
	AcksSent      int64 // 0x8001 sent
	Refused       int64 // messages refused to unauthenticated or mismatched terminals
	Cut           int64 // connections closed for misbehaving (garbage, oversize, flood, refusals)
	IdleClosed    int64 // connections closed by the idle timeout
}

type metrics struct {
	connections, accepted, authenticated, reports, stored, storeFailures,
	acksSent, refused, cut, idleClosed atomic.Int64
}

// Metrics returns the current counters.
func (s *Server) Metrics() Metrics {
	m := &s.m
	return Metrics{
		Connections: m.connections.Load(), Accepted: m.accepted.Load(), Authenticated: m.authenticated.Load(),
		Reports: m.reports.Load(), Stored: m.stored.Load(), StoreFailures: m.storeFailures.Load(),
		AcksSent: m.acksSent.Load(), Refused: m.refused.Load(), Cut: m.cut.Load(), IdleClosed: m.idleClosed.Load(),
	}
}

// Errors of Send.
var (
	ErrNotConnected = errors.New("gateway: terminal not connected")
	ErrNoAnswer     = errors.New("gateway: terminal did not answer in time")
)

func (s *Server) defaults() {
	if s.Logger == nil {
		s.Logger = slog.Default()
	}
	setDur := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	setDur(&s.IdleTimeout, 90*time.Second)
	setDur(&s.WriteTimeout, 10*time.Second)
	setDur(&s.StoreTimeout, 10*time.Second)
	setDur(&s.SendTimeout, 10*time.Second)
	setDur(&s.PartTimeout, 30*time.Second)
	if s.MaxMessageBytes <= 0 {
		s.MaxMessageBytes = 256 << 10
	}
	if s.PartRetries <= 0 {
		s.PartRetries = 2
	}
	if s.MaxFrameLen <= 0 || s.MaxFrameLen > jt808.MaxFrameLen {
		s.MaxFrameLen = jt808.MaxFrameLen
	}
	if s.MaxNoise <= 0 {
		s.MaxNoise = 4096
	}
	if s.MaxBadFrames <= 0 {
		s.MaxBadFrames = 5
	}
	if s.MaxRefused <= 0 {
		s.MaxRefused = 3
	}
	if s.MaxDirectoryCalls <= 0 {
		s.MaxDirectoryCalls = 4
	}
	s.dirSem = make(chan struct{}, s.MaxDirectoryCalls)
	if s.Rate <= 0 {
		s.Rate = 20
	}
	if s.Burst <= 0 {
		s.Burst = 200
	}
	if s.MaxRefusedRegistrations <= 0 {
		s.MaxRefusedRegistrations = 5
	}
	if s.LastFix == nil && s.Latest != nil {
		s.LastFix = s.Latest.ByTerminal
	}
}

// ListenAndServe listens on s.Addr and serves until ctx ends.
func (s *Server) ListenAndServe(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("gateway listen: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts terminals on ln until ctx ends, then stops accepting, lets
// every connection finish the message it is handling (a report being
// stored is still acknowledged), closes them and returns nil.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if s.Directory == nil || s.Writer == nil {
		return errors.New("gateway: Directory and Writer are required")
	}
	s.defaults()
	s.mu.Lock()
	if s.sessions == nil {
		s.sessions = map[string]*session{}
		s.conns = map[*session]struct{}{}
	}
	s.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		s.mu.Lock()
		for c := range s.conns {
			c.conn.SetReadDeadline(time.Now()) // wakes the reader
		}
		s.mu.Unlock()
	})
	defer stop()
	s.Logger.Info("gateway listening", "addr", ln.Addr().String())
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				s.wg.Wait()
				s.Logger.Info("gateway stopped")
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscall.EMFILE) || errors.Is(err, syscall.ENFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.Logger.Warn("gateway accept", "err", err, "retry_in", delay)
				time.Sleep(delay)
				continue
			}
			s.wg.Wait()
			return fmt.Errorf("gateway accept: %w", err)
		}
		delay = 0
		sess := newSession(s, c)
		s.mu.Lock()
		if ctx.Err() != nil {
			s.mu.Unlock()
			c.Close()
			continue
		}
		s.conns[sess] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		s.m.accepted.Add(1)
		s.m.connections.Add(1)
		go func() {
			defer s.wg.Done()
			sess.serve(ctx)
		}()
	}
}

// Connected reports whether the terminal phone has an authenticated connection.
func (s *Server) Connected(phone string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.sessions[telematics.NormalizePhone(phone)]
	return ok
}

// Send sends a platform command (for example *jt808.QueryLocation 0x8201,
// *jt808.TrackingControl 0x8202, *jt808.Text 0x8300, *jt808.SetParams
// 0x8103, *jt808.QueryParams 0x8104, *jt808.QueryAttrs 0x8107,
// *jt808.CameraShootNow 0x8801) to the authenticated terminal phone and
// returns its answer: *jt808.TerminalAck (0x0001), *jt808.LocationResponse
// (0x0201), *jt808.ParamsResponse (0x0104) or *jt808.Attributes (0x0107).
// It waits at most SendTimeout.
func (s *Server) Send(ctx context.Context, phone string, msg jt808.Message) (jt808.Message, error) {
	s.mu.Lock()
	sess := s.sessions[telematics.NormalizePhone(phone)]
	s.mu.Unlock()
	if sess == nil {
		return nil, fmt.Errorf("send 0x%04x to %s: %w", msg.MsgID(), phone, ErrNotConnected)
	}
	return sess.send(ctx, msg, s.SendTimeout)
}

// bind makes sess the connection of phone. When another connection of the
// phone is alive (it sent a frame within half the idle timeout) it is a
// take-over attempt: it raises EventClone and follows the Takeover policy —
// RefuseNewcomer returns false and leaves the older connection alone,
// KeepNewer closes the older one. An older connection that went silent is
// a terminal that reconnected: it is closed without an event.
func (s *Server) bind(ctx context.Context, sess *session, phone string) bool {
	s.mu.Lock()
	old := s.sessions[phone]
	alive := old != nil && old != sess && old.alive(time.Now(), s.IdleTimeout/2)
	if !alive {
		sess.phone, s.sessions[phone] = phone, sess
	}
	s.mu.Unlock()
	if !alive {
		if old != nil && old != sess {
			s.Logger.Info("terminal reconnected, closing the older connection", "phone", phone)
			old.conn.Close()
		}
		return true
	}
	policy := RefuseNewcomer
	if s.Takeover != nil {
		policy = s.Takeover(ctx)
	}
	from, was := sess.conn.RemoteAddr().String(), old.conn.RemoteAddr().String()
	s.Logger.Warn("second connection authenticating for a terminal online: suspected clone", "phone", phone,
		"from", from, "online_from", was, "policy", policy)
	s.raise(phone, EventClone, map[string]any{"from": from, "online_from": was, "policy": string(policy)})
	if policy != KeepNewer {
		return false
	}
	s.mu.Lock()
	old = s.sessions[phone]
	sess.phone, s.sessions[phone] = phone, sess
	s.mu.Unlock()
	if old != nil {
		old.conn.Close()
	}
	return true
}

// raise records a health event without holding the terminal's messages up.
func (s *Server) raise(phone, kind string, evidence map[string]any) {
	if s.Events == nil {
		return
	}
	s.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), s.StoreTimeout)
		defer cancel()
		var err error
		if evidence == nil {
			err = s.Events.Clear(ctx, phone, kind)
		} else {
			err = s.Events.Raise(ctx, phone, kind, evidence)
		}
		if err != nil {
			s.Logger.Error("recording a terminal event", "phone", phone, "kind", kind, "err", err)
		}
	})
}

func (s *Server) forget(sess *session) {
	s.mu.Lock()
	delete(s.conns, sess)
	if sess.phone != "" && s.sessions[sess.phone] == sess {
		delete(s.sessions, sess.phone)
	}
	s.mu.Unlock()
}

// directoryTurn waits for one of the MaxDirectoryCalls slots and returns
// the function that frees it.
func (s *Server) directoryTurn(ctx context.Context) (func(), error) {
	select {
	case s.dirSem <- struct{}{}:
		return func() { <-s.dirSem }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
