package app_test

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app"
	"govfleet/internal/app/apptest"
	"govfleet/internal/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

// TestRunAndClose: the whole application runs on a copy of the demo —
// HTTP, gateway, demo fleet, both job loops — and after Close none of its
// goroutines is left and the database is closed.
func TestRunAndClose(t *testing.T) {
	cfg := apptest.SQLiteConfig(t)
	cfg.GatewayListen, cfg.Demo, cfg.DemoFleet = "127.0.0.1:0", true, 3
	a := run(t, cfg)
	time.Sleep(300 * time.Millisecond)
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if left := appGoroutines(); left != "" {
		t.Fatalf("goroutines of the app still running after Close:\n%s", left)
	}
	if err := a.DB.R.PingContext(context.Background()); err == nil {
		t.Error("the database is still open after Close")
	}
}

// TestCloseWaitsForJobs: Close returns only once the job loops have ended.
// The log holds the jobs' records, so that their first runs wait in the
// middle of their work when Close is called, and lets them go half a
// second later: Close must wait for them (a loop
// started with a bare go statement is left running, touching the closed
// database).
func TestCloseWaitsForJobs(t *testing.T) {
	cfg := apptest.SQLiteConfig(t)
	logs := slog.Default()
	t.Cleanup(func() { slog.SetDefault(logs) })
	g := gate{Handler: slog.NewTextHandler(os.Stderr, nil), open: make(chan struct{})}
	slog.SetDefault(slog.New(g))
	a := run(t, cfg)
	for start := time.Now(); !strings.Contains(appGoroutines(), "app_test.gate.Handle"); time.Sleep(time.Millisecond) {
		if time.Since(start) > 20*time.Second {
			close(g.open)
			t.Fatalf("no job logged anything:\n%s", appGoroutines())
		}
	}
	time.AfterFunc(500*time.Millisecond, func() { close(g.open) })
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if left := appGoroutines(); left != "" {
		t.Fatalf("goroutines of the app still running after Close:\n%s", left)
	}
}

// gate is a log handler that holds the records logged in the job loops
// until open is closed.
type gate struct {
	slog.Handler
	open chan struct{}
}

func (g gate) Handle(ctx context.Context, r slog.Record) error {
	stack := make([]byte, 64<<10)
	if bytes.Contains(stack[:runtime.Stack(stack, false)], []byte("app.(*App).every")) {
		<-g.open
	}
	return g.Handler.Handle(ctx, r)
}

// run starts the app of cfg with HTTP and the job loops every millisecond.
func run(t *testing.T, cfg app.Config) *app.App {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.JobsEvery, cfg.TelematicsEvery, cfg.RetentionDays = time.Millisecond, time.Millisecond, 365
	ctx := context.Background()
	a, err := app.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close() })
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + a.Addr() + "/healthz")
	if err != nil || res.StatusCode != http.StatusOK {
		t.Fatalf("healthz: %v %v", res, err)
	}
	res.Body.Close()
	return a
}

// appGoroutines returns the stacks of the goroutines started by the app's
// job loops or Run.
func appGoroutines() string {
	buf := make([]byte, 1<<22)
	buf = buf[:runtime.Stack(buf, true)]
	var left []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if strings.Contains(g, "govfleet/internal/app.(*App)") {
			left = append(left, g)
		}
	}
	return strings.Join(left, "\n\n")
}
