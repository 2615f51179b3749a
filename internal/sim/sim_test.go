package sim_test

import (
	"context"
	"io"
	"log/slog"
	"maps"
	"net"
	"sync"
	"testing"
	"time"

	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/sim"
	"govfleet/internal/storetest"
	"govfleet/internal/telematics"
)

func TestPhone(t *testing.T) {
	for _, c := range []struct {
		prefix string
		i      int
		want   string
	}{
		{"1440", 7, "14400000007"},
		{"1440", 1234567, "14401234567"},
		{"13800138", 12, "13800138012"},
	} {
		if got := sim.Phone(c.prefix, c.i); got != c.want {
			t.Errorf("Phone(%q, %d) = %q, want %q", c.prefix, c.i, got, c.want)
		}
	}
}

// End to end: simulated terminals against a gateway on SQLite; every
// report the gateway acknowledged is in the database.
func TestSimulatorAgainstGateway(t *testing.T) {
	for _, edition := range []jt808.Version{jt808.V2013, jt808.V2019} {
		t.Run(edition.String(), func(t *testing.T) {
			const n = 20
			db := storetest.SQLite(t)
			quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
			w, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{Logger: quiet})
			if err != nil {
				t.Fatal(err)
			}
			srv := &gateway.Server{Directory: gateway.NewMemDirectory(sim.Terminals("1440", 0, n)...), Writer: w,
				Latest: &telematics.Latest{}, Logger: quiet}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			served := make(chan error, 1)
			go func() { served <- srv.Serve(ctx, ln) }()

			var mu sync.Mutex
			acked := map[string][]time.Time{}
			var reports []sim.Stats
			st, err := sim.Run(context.Background(), sim.Config{
				Gateway: ln.Addr().String(), Terminals: n, Edition: edition, Interval: 200 * time.Millisecond,
				Heartbeat: 500 * time.Millisecond, Duration: 3 * time.Second, ReportEvery: time.Second, Seed: 1,
				RampUp: 100 * time.Millisecond, Settle: 900 * time.Millisecond, TunnelRate: 0.05, Logger: quiet,
				OnAck: func(phone string, at time.Time) {
					mu.Lock()
					acked[phone] = append(acked[phone], at)
					mu.Unlock()
				},
				Report: func(s sim.Stats) { reports = append(reports, s) },
			})
			if err != nil {
				t.Fatal(err)
			}
			cancel()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			w.Close()
			t.Logf("%v; steady %v", st, st.Steady)
			if st.Acked < n*5 || st.Errors != 0 || st.Lost != 0 || st.Failed != 0 || st.Heartbeats == 0 || st.Batches == 0 {
				t.Errorf("stats %v", st)
			}
			// The steady figures start RampUp + Settle after the start and end when
			// sending stops, no earlier than Duration: a slow machine stretches the
			// window, so it is bounded by the run's own figures, not by the clock.
			// They hold part of the acknowledged reports, not all.
			if s := st.Steady; s == nil || s.Elapsed < 2*time.Second || s.Elapsed > st.Elapsed-time.Second ||
				s.Acked < n || s.Acked >= st.Acked || s.P99 == 0 {
				t.Errorf("steady stats %+v", s)
			}
			if len(reports) < 2 {
				t.Errorf("%d periodic reports", len(reports))
			}
			total := 0
			for phone, ats := range acked {
				for _, at := range ats {
					var c int
					if err := db.R.QueryRowContext(context.Background(),
						"SELECT count(*) FROM positions WHERE terminal_phone = ? AND at = ?", phone, at.UTC()).Scan(&c); err != nil {
						t.Fatal(err)
					}
					if c != 1 {
						t.Errorf("acknowledged report %s %v: %d rows", phone, at, c)
					}
					total++
				}
			}
			if int64(total) != st.Acked || len(acked) != n {
				t.Errorf("%d acknowledged positions from %d terminals; stats say %d", total, len(acked), st.Acked)
			}
			if srv.Latest.Len() != n {
				t.Errorf("latest knows %d terminals", srv.Latest.Len())
			}
			var lat, lng int64
			db.R.QueryRowContext(context.Background(), "SELECT min(lat), max(lng) FROM positions").Scan(&lat, &lng)
			if lat < 31_200000 || lat > 32_100000 || lng < 119_200000 || lng > 120_200000 {
				t.Errorf("positions outside Changzhou: %d %d", lat, lng)
			}
		})
	}
}

// recordingListener notes the address each accepted connection comes from.
type recordingListener struct {
	net.Listener
	mu    sync.Mutex
	hosts map[string]int
}

func (l *recordingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		l.mu.Lock()
		l.hosts[host]++
		l.mu.Unlock()
	}
	return c, err
}

// --source-ips spreads the terminals over the given local addresses, round
// robin (issue 5: beyond ~28,000 connections from one address), and they
// report as usual.
func TestSourceIPs(t *testing.T) {
	const n = 6
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	w, err := telematics.NewWriter(context.Background(), storetest.SQLite(t), telematics.WriterOptions{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	srv := &gateway.Server{Directory: gateway.NewMemDirectory(sim.Terminals("1441", 0, n)...), Writer: w, Logger: quiet}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &recordingListener{Listener: inner, hosts: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	st, err := sim.Run(context.Background(), sim.Config{
		Gateway: inner.Addr().String(), Terminals: n, PhonePrefix: "1441", Interval: 100 * time.Millisecond, Parked: 100 * time.Millisecond,
		Duration: time.Second, AckTimeout: time.Second, Seed: 1, SourceIPs: []string{"127.0.0.2", "127.0.0.3"}, Logger: quiet,
	})
	cancel()
	if err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if st.Acked < n || st.Errors != 0 {
		t.Errorf("stats %v", st)
	}
	if want := map[string]int{"127.0.0.2": n / 2, "127.0.0.3": n / 2}; !maps.Equal(ln.hosts, want) {
		t.Errorf("connections by source address %v, want %v", ln.hosts, want)
	}
}
