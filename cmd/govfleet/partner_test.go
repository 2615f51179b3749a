package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"govfleet/internal/store"
)

// freePort returns a TCP port nobody listens on now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Issue 22, nothing lost between platforms: two real govfleet
// servers (this test binary as `govfleet serve --demo`, two data
// directories, two ports) are registered as partners of each other; a
// Changzhou official's request to 无锡 and a 无锡 official's request to
// Changzhou are played to the end. Changzhou is killed with SIGKILL right
// after approving its request (the message in its outbox, maybe on the
// wire) and again while hosting, right after its driver departed (the
// "started" report not yet delivered), and restarted on the same data each
// time. Afterwards every booking exists once on its host, every report
// reached the origin's timeline exactly once, and both outboxes are empty
// with nothing refused. On SQLite (a file in each data directory) and, when
// GOVFLEET_TEST_POSTGRES is set, on PostgreSQL (a database of its own for
// each server, created for the test and dropped after it).
func TestPartnersSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two server processes")
	}
	t.Run("sqlite", func(t *testing.T) { partnersSurviveSIGKILL(t, func(string) string { return "" }) })
	if base := os.Getenv("GOVFLEET_TEST_POSTGRES"); base != "" {
		t.Run("postgres", func(t *testing.T) {
			partnersSurviveSIGKILL(t, func(city string) string { return pgDatabase(t, base, city) })
		})
	}
}

func partnersSurviveSIGKILL(t *testing.T, dbOf func(city string) string) {
	ctx := context.Background()
	dir := t.TempDir()
	env := []string{"GOVFLEET_TEST_MAIN=1"}
	args := []string{"--demo-hash-memory", "1024"} // each demo filled in half the CPU (its published password's hashes)
	cz := &city{Name: "常州市", Code: "changzhou", Dir: filepath.Join(dir, "cz"), DB: dbOf("cz"), Port: freePort(t), Exe: os.Args[0], Env: env, Args: args, Log: t.Logf}
	wx := &city{Name: "无锡市", Code: "wuxi", Dir: filepath.Join(dir, "wx"), DB: dbOf("wx"), Port: freePort(t), Exe: os.Args[0], Env: env, Args: args, Log: t.Logf}
	// Both seed their demos side by side: mostly waiting on the database.
	started := make(chan error, 2)
	for _, c := range []*city{cz, wx} {
		t.Cleanup(c.Kill)
		go func() { started <- c.Start(ctx) }()
	}
	errs := []error{<-started, <-started} // both, so that a failed start leaves no process behind
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	p := &play{CZ: cz, WX: wx, Say: t.Logf}
	if err := p.Pair(ctx); err != nil {
		t.Fatal(err)
	}
	restart := func(what string) func() error {
		return func() error {
			t.Logf("SIGKILL %s (%s)", cz.Name, what)
			cz.Kill()
			time.Sleep(1500 * time.Millisecond) // 无锡 finds nobody for a while
			return cz.Start(ctx)
		}
	}
	if err := p.Outbound(ctx, &Hooks{AfterSend: restart("its request in the outbox")}); err != nil {
		t.Fatal(err)
	}
	if err := p.Inbound(ctx, &Hooks{AfterDepart: restart("hosting, the departure not yet reported")}); err != nil {
		t.Fatal(err)
	}

	for _, side := range []struct{ origin, host *city }{{cz, wx}, {wx, cz}} {
		admin, err := side.host.Login("city_admin")
		if err != nil {
			t.Fatal(err)
		}
		var l struct {
			Items []linkView `json:"items"`
		}
		if err := admin.Do("GET", "/api/partner-bookings?direction=in&page_size=100", nil, &l); err != nil {
			t.Fatal(err)
		}
		refs := map[string]int{}
		for _, x := range l.Items {
			refs[x.Ref]++
		}
		// The host's inbound bookings: the demo's history has none from this origin code but the one played.
		played := 0
		for ref, n := range refs {
			if n != 1 {
				t.Errorf("%s holds booking %s %d times", side.host.Name, ref, n)
			}
			if len(ref) > len(side.origin.Code) && ref[:len(side.origin.Code)+1] == side.origin.Code+"-" {
				played++
			}
		}
		if played == 0 {
			t.Errorf("%s holds no booking from %s", side.host.Name, side.origin.Name)
		}
		staff, err := side.origin.Login("city_admin")
		if err != nil {
			t.Fatal(err)
		}
		var out struct {
			Items []linkView `json:"items"`
		}
		if err := staff.Do("GET", "/api/partner-bookings?direction=out&page_size=100", nil, &out); err != nil {
			t.Fatal(err)
		}
		// The host's paid-use tariff for sedans (the demo's): half a day 120.00 + 86 km × 0.80 = 188.80.
		var mine *linkView
		for i, x := range out.Items {
			if x.Status == "fee" && len(x.Ref) > len(side.origin.Code) && x.Ref[:len(side.origin.Code)] == side.origin.Code && x.FeeNote != "" && x.FeeFen != nil && *x.FeeFen == 18880 {
				mine = &out.Items[i]
			}
		}
		if mine == nil {
			t.Fatalf("%s: no outbound booking charged 188.80: %+v", side.origin.Name, out.Items)
		}
		var o orderView
		if err := staff.Do("GET", fmt.Sprintf("/api/orders/%d", mine.OrderID), nil, &o); err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, e := range o.Events {
			count[e.Action]++
		}
		for _, a := range []string{"partner_accept", "partner_assign", "partner_start", "partner_finish", "partner_fee"} {
			if count[a] != 1 {
				t.Errorf("%s order %s: %s %d times on the timeline, want once", side.origin.Name, o.No, a, count[a])
			}
		}
		if o.State != "back" {
			t.Errorf("%s order %s is %s, want back (to be rated)", side.origin.Name, o.No, o.State)
		}
	}
	for _, c := range []*city{cz, wx} {
		admin, err := c.Login("city_admin")
		if err != nil {
			t.Fatal(err)
		}
		err = waitFor(ctx, time.Minute, func() (bool, error) {
			var rows []partnerRow
			if err := admin.Do("GET", "/api/partners", nil, &rows); err != nil {
				return false, err
			}
			for _, r := range rows {
				if r.ID == p.ids[c] && r.Waiting == 0 {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			t.Errorf("%s: messages still waiting: %v", c.Name, err)
		}
		var log []struct {
			Message string `json:"message"`
		}
		if err := admin.Do("GET", fmt.Sprintf("/api/partner-log?partner_id=%d", p.ids[c]), nil, &log); err != nil {
			t.Fatal(err)
		}
		for _, l := range log {
			t.Errorf("%s refused or failed: %s", c.Name, l.Message)
		}
	}
}

// pgDatabase creates a PostgreSQL database of its own for one server of a
// test (CREATE DATABASE on the server GOVFLEET_TEST_POSTGRES names, a
// unique name) and returns its URL; the database is dropped when the test
// ends, after the servers were killed (cleanups run last first), whether
// the test passed or not.
func pgDatabase(t *testing.T, base, label string) string {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 5)
	rand.Read(b)
	name := "govfleet_t_" + label + "_" + hex.EncodeToString(b)
	admin, err := store.Open(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.W.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// WITH (FORCE): a killed server's connections may linger a moment.
		if _, err := admin.W.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	q := u.Query()
	q.Set("synchronous_commit", "off") // a killed client loses nothing by it; only a crash of PostgreSQL could
	u.RawQuery = q.Encode()
	return u.String()
}
