package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"govfleet/internal/app"
	"govfleet/internal/sim"
	"govfleet/internal/store"
)

// TestMain lets the reliability test start this test binary as the real
// `govfleet serve` process (GOVFLEET_TEST_MAIN=1 runs main).
func TestMain(m *testing.M) {
	if os.Getenv("GOVFLEET_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// Issue 5, Reliability: SIGKILL the server in the middle of a load, restart
// it on the same data; every report that had been acknowledged is stored,
// the terminals reconnect (register and authenticate again) and what they
// send again — the unacknowledged reports, and some acknowledged ones — is
// stored once.
func TestServerKilledUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes")
	}
	t.Run("sqlite", func(t *testing.T) {
		killUnderLoad(t, filepath.Join(t.TempDir(), "govfleet.db"), "127.0.0.1:18790")
	})
	if base := os.Getenv("GOVFLEET_TEST_POSTGRES"); base != "" {
		t.Run("postgres", func(t *testing.T) { killUnderLoad(t, pgSchema(t, base), "127.0.0.1:18791") })
	}
}

const (
	reliabilityTerminals = 300
	reliabilityPrefix    = "1490"
)

func killUnderLoad(t *testing.T, dsn, gatewayAddr string) {
	ctx := context.Background()
	dataDir := t.TempDir()
	// A registry with a root unit and the simulated terminals.
	a, err := app.New(ctx, app.Config{DB: dsn, DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Org.CreateRoot(ctx, "常州市", ""); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if err := provisionTerminals(ctx, &dbFlags{db: dsn, dataDir: dataDir}, reliabilityPrefix, 0, reliabilityTerminals); err != nil {
		t.Fatal(err)
	}

	srv := startServer(t, dsn, dataDir, gatewayAddr)
	type key struct {
		phone string
		at    int64
	}
	var (
		mu                    sync.Mutex
		acked                 = map[key]int{} // acknowledgements per position
		killedAt, restartedAt time.Time
		afterKill             = map[string]bool{} // terminals acknowledged after the restart
		resentOK              int                 // positions made before the kill, acknowledged after the restart
	)
	simCtx, stopSim := context.WithCancel(ctx)
	defer stopSim()
	done := make(chan sim.Stats)
	go func() {
		st, _ := sim.Run(simCtx, sim.Config{
			Gateway: gatewayAddr, Terminals: reliabilityTerminals, PhonePrefix: reliabilityPrefix,
			Interval: 500 * time.Millisecond, Parked: 500 * time.Millisecond, RampUp: time.Second,
			AckTimeout: 5 * time.Second, ResendAcked: 3, Seed: 7,
			OnAck: func(phone string, at time.Time) {
				mu.Lock()
				defer mu.Unlock()
				acked[key{phone, at.Unix()}]++
				if !restartedAt.IsZero() {
					afterKill[phone] = true
					if at.Before(killedAt.Truncate(time.Second)) {
						resentOK++
					}
				}
			},
		})
		done <- st
	}()

	var before int // positions acknowledged before the kill
	// Kill once every terminal has had a report acknowledged (about 3 s, 600
	// reports/s, on an idle machine; a busy one takes longer).
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		mu.Lock()
		reported := map[string]bool{}
		for k := range acked {
			reported[k.phone] = true
		}
		if len(reported) == reliabilityTerminals {
			killedAt, before = time.Now(), len(acked)
			mu.Unlock()
			break
		}
		mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d terminals had a report acknowledged before the kill", len(reported), reliabilityTerminals)
		}
	}
	srv.kill(t)
	srv = startServer(t, dsn, dataDir, gatewayAddr)
	mu.Lock()
	restartedAt = time.Now()
	mu.Unlock()
	// Terminals back off 0.5–1.5 s, then 1–3 s; give them time to reconnect
	// and report (seconds on an idle machine; 20 s were not enough for 4 of
	// them at load 46).
	deadline := time.Now().Add(2 * time.Minute)
	for {
		mu.Lock()
		n := len(afterKill)
		mu.Unlock()
		if n == reliabilityTerminals || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(time.Second)
	stopSim()
	st := <-done
	// Stopped as an operator stops it; on SQLite its writer merges the
	// positions inbox (the restart above merged what the kill left there).
	srv.stop(t)

	mu.Lock()
	defer mu.Unlock()
	if len(afterKill) != reliabilityTerminals {
		t.Errorf("%d of %d terminals reconnected and had reports acknowledged after the restart", len(afterKill), reliabilityTerminals)
	}
	if st.Errors < reliabilityTerminals {
		t.Errorf("simulator saw %d connection errors; every terminal should have lost its connection", st.Errors)
	}
	if st.Resent == 0 || resentOK == 0 {
		t.Errorf("nothing re-sent after the restart (resent %d acknowledged positions, %d sent before the kill acknowledged after)", st.Resent, resentOK)
	}
	dups := 0
	for _, n := range acked {
		if n > 1 {
			dups++
		}
	}
	if dups == 0 {
		t.Error("no position was acknowledged twice: the duplicates were not exercised")
	}

	db, err := store.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.R.QueryContext(ctx, "SELECT terminal_phone, at FROM positions WHERE terminal_phone LIKE ?", reliabilityPrefix+"%")
	if err != nil {
		t.Fatal(err)
	}
	stored := map[key]int{}
	for rows.Next() {
		var k key
		var at time.Time
		if err := rows.Scan(&k.phone, &at); err != nil {
			t.Fatal(err)
		}
		k.at = at.Unix()
		stored[k]++
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	missing, twice := 0, 0
	for k := range acked {
		if stored[k] == 0 {
			missing++
		}
	}
	for _, n := range stored {
		if n > 1 {
			twice++
		}
	}
	if missing > 0 {
		t.Errorf("%d acknowledged positions are not in the database", missing)
	}
	if twice > 0 {
		t.Errorf("%d positions stored more than once", twice)
	}
	t.Logf("%d positions acknowledged before the kill, %d in all (%d acknowledged twice, %d sent before the kill acknowledged after the restart); %d rows stored; simulator: %v",
		before, len(acked), dups, resentOK, len(stored), st)
}

type server struct {
	cmd  *exec.Cmd
	done chan struct{}
}

// startServer runs `govfleet serve` (this test binary, see TestMain) on dsn
// and waits until its gateway listens.
func startServer(t *testing.T, dsn, dataDir, gatewayAddr string) *server {
	t.Helper()
	cmd := exec.Command(os.Args[0], "serve", "--db", dsn, "--data-dir", dataDir,
		"--listen", "127.0.0.1:0", "--gateway-listen", gatewayAddr)
	cmd.Env = append(os.Environ(), "GOVFLEET_TEST_MAIN=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	ready := make(chan struct{})
	var log strings.Builder
	var lmu sync.Mutex
	go func() {
		sc := bufio.NewScanner(stderr)
		once := sync.Once{}
		for sc.Scan() {
			lmu.Lock()
			if log.Len() < 64<<10 {
				fmt.Fprintln(&log, sc.Text())
			}
			lmu.Unlock()
			if strings.Contains(sc.Text(), "gateway listening") {
				once.Do(func() { close(ready) })
			}
		}
		io.Copy(io.Discard, stderr)
		cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-s.done
	})
	select {
	case <-ready:
	case <-s.done:
		lmu.Lock()
		defer lmu.Unlock()
		t.Fatalf("server exited before listening:\n%s", log.String())
	case <-time.After(60 * time.Second):
		t.Fatal("server did not start within 60 s")
	}
	return s
}

func (s *server) kill(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-s.done
}

func (s *server) stop(t *testing.T) {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		t.Fatal("server did not stop within 30 s of SIGTERM")
	}
}

// pgSchema returns the URL of a fresh schema on the server of base,
// dropped at the end of the test.
func pgSchema(t *testing.T, base string) string {
	ctx := context.Background()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.W.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.W.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}
