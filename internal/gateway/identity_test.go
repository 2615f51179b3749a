package gateway_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/fleet"
	"govfleet/internal/gateway"
	"govfleet/internal/health"
	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// registry runs a gateway over the demo registry of w (fleet.Directory),
// raising health events, with the take-over policy of the security policy.
func registry(t *testing.T, w *apptest.World) (*gateway.Server, string, *telematics.Latest) {
	t.Helper()
	latest := &telematics.Latest{}
	wr, err := telematics.NewWriter(context.Background(), w.DB, telematics.WriterOptions{Logger: quiet, Latest: latest})
	if err != nil {
		t.Fatal(err)
	}
	srv := &gateway.Server{Directory: &fleet.Directory{DB: w.DB}, Writer: wr, LastFix: latest.ByTerminal, Events: w.Health, Logger: quiet,
		Takeover: func(ctx context.Context) gateway.TakeoverPolicy {
			p, err := w.Auth.Policy(ctx)
			if err != nil {
				t.Error(err)
			}
			return gateway.TakeoverPolicy(p.TerminalTakeover)
		}}
	return srv, serve(t, srv, func() { wr.Close() }), latest
}

// demoTerminal returns a bound demo terminal's phone (normalised), its
// registration as the registry has it, and its vehicle.
func demoTerminal(t *testing.T, w *apptest.World) (string, jt808.Register, int64) {
	t.Helper()
	sim, vid := w.BoundTerminal(t)
	ids, err := (&fleet.Directory{DB: w.DB}).Identities(context.Background(), []string{sim})
	if err != nil {
		t.Fatal(err)
	}
	return telematics.NormalizePhone(sim), ids[sim], vid
}

// register sends reg and returns the 0x8100 answer.
func (tm *terminal) register(reg jt808.Register) *jt808.RegisterResponse {
	tm.t.Helper()
	serial := tm.send(&reg)
	_, m := tm.recv()
	rr, ok := m.(*jt808.RegisterResponse)
	if !ok || rr.ReplySerial != serial {
		tm.t.Fatalf("register: %#v", m)
	}
	return rr
}

// events returns the terminal events of kind for phone once there are
// some (the gateway records them beside the terminal's messages).
func events(t *testing.T, w *apptest.World, phone, kind string) []string {
	t.Helper()
	var out []string
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out = out[:0]
		if err := w.DB.R.NewSelect().Table("terminal_events").Column("evidence").Where("terminal_phone = ? AND kind = ?", phone, kind).Scan(context.Background(), &out); err != nil {
			t.Fatal(err)
		}
		if len(out) > 0 || time.Now().After(deadline) {
			return out
		}
	}
}

// TestTakeoverRefusedAndRecorded: a registration for a registered SIM with
// another plate or terminal ID is refused with the standard's result and
// recorded on the terminal; the genuine one is accepted.
func TestTakeoverRefusedAndRecorded(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		_, addr, _ := registry(t, w)
		phone, reg, _ := demoTerminal(t, w)
		for _, c := range []struct {
			name   string
			change func(*jt808.Register)
			result uint8
		}{
			{"another plate", func(r *jt808.Register) { r.Plate = "京A12345" }, jt808.RegisterNoSuchVehicle},
			{"another terminal ID", func(r *jt808.Register) { r.TerminalID = "X000001" }, jt808.RegisterNoSuchTerminal},
		} {
			tm := dial(t, addr, phone, jt808.V2019)
			bad := reg
			c.change(&bad)
			if rr := tm.register(bad); rr.Result != c.result || rr.AuthCode != "" {
				t.Errorf("%s: result %d code %q, want %d", c.name, rr.Result, rr.AuthCode, c.result)
			}
			var at sql.NullTime
			var reason, from string
			w.DB.R.QueryRowContext(context.Background(), "SELECT refused_at, refused_reason, refused_from FROM terminals WHERE ltrim(sim, '0') = ?", phone).
				Scan(&at, &reason, &from)
			if !at.Valid || reason == "" || from != tm.conn.LocalAddr().String() {
				t.Errorf("%s: recorded %v %q from %q, want the refusal from %s", c.name, at, reason, from, tm.conn.LocalAddr())
			}
		}
		tm := dial(t, addr, phone, jt808.V2019)
		if rr := tm.register(reg); rr.Result != jt808.RegisterOK {
			t.Errorf("the registry's own registration: result %d", rr.Result)
		}
	})
}

// TestReRegistrationInvalidatesTheOldCode: every registration issues a new
// code; the previous one no longer authenticates.
func TestReRegistrationInvalidatesTheOldCode(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		_, addr, _ := registry(t, w)
		phone, reg, _ := demoTerminal(t, w)
		tm := dial(t, addr, phone, jt808.V2019)
		old := tm.register(reg).AuthCode
		code := tm.register(reg).AuthCode
		if old == "" || code == "" || code == old {
			t.Fatalf("codes %q then %q, want two different ones", old, code)
		}
		if r := tm.ack(&jt808.Auth{Code: old, IMEI: "123456789012345", SoftwareVersion: "1"}); r != jt808.ResultFailure {
			t.Errorf("the old code: result %d, want a failure", r)
		}
		if r := tm.ack(&jt808.Auth{Code: code, IMEI: "123456789012345", SoftwareVersion: "1"}); r != jt808.ResultOK {
			t.Errorf("the new code: result %d", r)
		}
	})
}

// TestSecondAuthentication: a second connection authenticating for a
// terminal online raises 疑似冒用/克隆终端 and follows the policy: refused
// while the first is alive (default), or the first closed (keep the newer).
func TestSecondAuthentication(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		for _, policy := range []string{"", "keep_newer"} {
			t.Run("policy="+policy, func(t *testing.T) {
				if policy != "" {
					p, _ := w.Auth.Policy(context.Background())
					p.TerminalTakeover = policy
					if _, err := w.Auth.SetPolicy(context.Background(), w.Actor(t, "city_sec"), p); err != nil {
						t.Fatal(err)
					}
				}
				_, addr, _ := registry(t, w)
				phone, reg, _ := demoTerminal(t, w)
				w.DB.W.ExecContext(context.Background(), "DELETE FROM terminal_events WHERE terminal_phone = ?", phone)
				genuine := dial(t, addr, phone, jt808.V2019)
				if r := genuine.ack(&jt808.Auth{Code: genuine.register(reg).AuthCode, IMEI: "1", SoftwareVersion: "1"}); r != jt808.ResultOK {
					t.Fatalf("genuine terminal: %d", r)
				}
				genuine.ack(&jt808.Heartbeat{})
				clone := dial(t, addr, phone, jt808.V2019)
				r := clone.ack(&jt808.Auth{Code: clone.register(reg).AuthCode, IMEI: "1", SoftwareVersion: "1"})
				if ev := events(t, w, phone, health.Clone); len(ev) != 1 {
					t.Errorf("clone events %v, want one", ev)
				}
				if policy == "" {
					if r != jt808.ResultFailure || clone.closed(5*time.Second) != nil {
						t.Errorf("newcomer: result %d, want refused and cut", r)
					}
					if genuine.ack(&jt808.Heartbeat{}) != jt808.ResultOK {
						t.Error("the genuine terminal lost its connection")
					}
					return
				}
				if r != jt808.ResultOK || genuine.closed(5*time.Second) != nil {
					t.Errorf("newcomer: result %d, want accepted and the older connection closed", r)
				}
			})
		}
	})
}

// TestInvalidReportsKeptOffTheMap: every report is stored and
// acknowledged, the impossible ones marked, and none of them becomes the
// live position, a trip's distance or mileage; a clock a day ahead is a
// clock_off event with its offset.
func TestInvalidReportsKeptOffTheMap(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		srv, addr, latest := registry(t, w)
		phone, reg, vid := demoTerminal(t, w)
		w.DB.W.ExecContext(ctx, "UPDATE terminals SET install_date = '2020-01-01' WHERE ltrim(sim, '0') = ?", phone)
		tm := dial(t, addr, phone, jt808.V2013)
		tm.version = jt808.V2019
		if r := tm.ack(&jt808.Auth{Code: tm.register(reg).AuthCode, IMEI: "1", SoftwareVersion: "1"}); r != jt808.ResultOK {
			t.Fatalf("auth %d", r)
		}
		now := time.Now().UTC().Truncate(time.Second)
		start := now.Add(-30 * time.Minute)
		fix := func(i int, lat, lng float64) *jt808.Location {
			l := &jt808.Location{Status: jt808.StatusACC | jt808.StatusLocated, Speed: 300, Time: start.Add(time.Duration(i) * 50 * time.Second)}
			l.SetPosition(lat, lng)
			return l
		}
		// Twelve fixes 100 m apart north, 50 s apart: 1.1 km driven.
		var reports []*jt808.Location
		want := map[time.Time]int16{}
		for i := range 12 {
			l := fix(i, 31.78+float64(i)*0.0009, 119.95)
			reports = append(reports, l)
			want[l.Time] = telematics.Valid
		}
		bad := []struct {
			l   *jt808.Location
			why int16
		}{
			{fix(3, 119.95, 31.78), telematics.InvalidRange},                         // latitude and longitude swapped
			{fix(5, 48.85, 2.35), telematics.InvalidOutside},                         // Paris
			{fix(7, 31.79, 119.95+1.5), telematics.InvalidJump},                      // 140 km in a minute
			{fix(9, 0, 0), telematics.InvalidUnlocated},                              // 0,0 unlocated
			{fix(0, 31.78, 119.95), telematics.InvalidBeforeFit},                     // before installation
			{fix(0, 31.78, 119.95), telematics.InvalidFuture},                        // a day ahead
			{&jt808.Location{Status: jt808.StatusLocated}, telematics.InvalidNoTime}, // all-zero time
		}
		bad[2].l.Time = bad[2].l.Time.Add(10 * time.Second)
		bad[3].l.Status = jt808.StatusACC
		bad[3].l.Time = bad[3].l.Time.Add(10 * time.Second)
		bad[4].l.Time = time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)
		bad[5].l.Time = now.Add(24 * time.Hour)
		for i, b := range bad {
			if i < 4 {
				b.l.Time = b.l.Time.Add(time.Duration(i+1) * time.Second)
			}
			want[b.l.Time] = b.why
		}
		// The fixes in time order with the bad ones among them, the future-dated one just before the last fix.
		seq := append([]*jt808.Location{}, reports[:4]...)
		seq = append(seq, bad[0].l, reports[4], reports[5], bad[1].l, reports[6], reports[7], bad[2].l, reports[8], reports[9], bad[3].l, bad[4].l, reports[10], bad[5].l, bad[6].l, reports[11])
		for _, l := range seq {
			if r := tm.ack(l); r != jt808.ResultOK {
				t.Fatalf("report at %v: result %d, want stored and acknowledged", l.Time, r)
			}
		}
		readable(t, srv)
		rs, err := w.DB.R.QueryContext(ctx, "SELECT at, received_at, invalid FROM positions WHERE terminal_phone = ? AND (at >= ? OR at < ?)", phone, start, start.Add(-time.Hour*24*365))
		if err != nil {
			t.Fatal(err)
		}
		got := map[time.Time]int16{}
		for rs.Next() {
			var at, received time.Time
			var inv int16
			rs.Scan(&at, &received, &inv)
			if inv == telematics.InvalidNoTime {
				if at.Year() < 2026 || !at.Equal(received) {
					t.Errorf("report without a time stored at %v (received %v), want the time received", at, received)
				}
				at = bad[6].l.Time
			}
			got[at.UTC()] = inv
		}
		rs.Close()
		if len(got) != len(want) {
			t.Errorf("%d reports stored, want %d", len(got), len(want))
		}
		for at, why := range want {
			if g, ok := got[at]; !ok || g != why {
				t.Errorf("report at %v: stored %v with reason %d, want %d", at, ok, g, why)
			}
		}
		if p, ok := latest.ByVehicle(vid); !ok || !p.At.Equal(reports[11].Time) {
			t.Errorf("live position at %v, want the last valid fix at %v", p.At, reports[11].Time)
		}
		if ev := events(t, w, phone, health.ClockOff); len(ev) != 0 {
			t.Errorf("one report a day ahead raised clock events %v", ev)
		}
		// Trips and mileage: the 1.1 km driven, not the 10,000 km of the bad reports.
		w.DB.W.ExecContext(ctx, "DELETE FROM positions WHERE terminal_phone = ? AND at < ?", phone, start)
		w.DB.W.ExecContext(ctx, "DELETE FROM trip_cursors WHERE vehicle_id = ?", vid)
		w.Trips.Backfill = time.Hour
		if _, err := w.Trips.Run(ctx); err != nil {
			t.Fatal(err)
		}
		var trip, mileage int64
		w.DB.R.QueryRowContext(ctx, "SELECT COALESCE(SUM(distance_m), 0) FROM trips WHERE vehicle_id = ? AND started_at >= ?", vid, start).Scan(&trip)
		w.DB.R.QueryRowContext(ctx, "SELECT COALESCE(SUM(distance_m), 0) FROM vehicle_daily_mileage WHERE vehicle_id = ? AND day >= ?", vid,
			start.Add(8*time.Hour).Format(time.DateOnly)).Scan(&mileage)
		if trip < 900 || trip > 1300 || mileage < 900 || mileage > 1300 {
			t.Errorf("trip %d m, mileage %d m: want the 1.1 km driven", trip, mileage)
		}
		// A clock a day ahead: five real-time reports in a row.
		for i := range 5 {
			l := fix(20+i, 31.79, 119.95)
			l.Time = now.Add(24*time.Hour + time.Duration(i)*time.Second) // sent as they are made
			tm.ack(l)
		}
		if ev := events(t, w, phone, health.ClockOff); len(ev) != 1 {
			t.Errorf("clock events %v, want one", ev)
		}
		if p, _ := latest.ByVehicle(vid); !p.At.Equal(reports[11].Time) {
			t.Errorf("after future-dated reports the live position is at %v, want %v", p.At, reports[11].Time)
		}
	})
}
