package monitor_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/gateway"
	"govfleet/internal/geo"
	"govfleet/internal/jt808"
	"govfleet/internal/monitor"
	"govfleet/internal/sim"
	"govfleet/internal/telematics"
)

// TestDirectory: registration by the registry's SIM (leading zeros
// ignored) with its terminal ID and plate; the refusals and their results
// (JT/T 808-2013 table 8), recorded on the terminal; a new code at every
// registration, the old one no longer authenticating.
func TestDirectory(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		d := &fleet.Directory{DB: db}
		sim, vid := w.BoundTerminal(t)
		phone := telematics.NormalizePhone(sim)
		if phone == sim {
			t.Fatalf("demo SIM %s has no leading zero: the test wants one", sim)
		}
		ids, err := d.Identities(ctx, []string{sim})
		if err != nil {
			t.Fatal(err)
		}
		reg := ids[sim]
		var otherNo, otherPlate string
		db.R.QueryRowContext(ctx, "SELECT t.terminal_no, v.plate FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id WHERE t.sim <> ? ORDER BY t.id LIMIT 1", sim).
			Scan(&otherNo, &otherPlate)
		with := func(f func(*jt808.Register)) jt808.Register { r := reg; f(&r); return r }
		for _, c := range []struct {
			name   string
			reg    jt808.Register
			result byte
			reason string
		}{
			{"another plate of the registry", with(func(r *jt808.Register) { r.Plate = otherPlate }), jt808.RegisterVehicleRegistered, "是另一辆车"},
			{"a plate nobody has", with(func(r *jt808.Register) { r.Plate = "京A12345" }), jt808.RegisterNoSuchVehicle, "不在车辆登记中"},
			{"another terminal's ID", with(func(r *jt808.Register) { r.TerminalID = otherNo }), jt808.RegisterTerminalTaken, "已登记在其他SIM卡下"},
			{"an unknown terminal ID", with(func(r *jt808.Register) { r.TerminalID = "ZZ99999" }), jt808.RegisterNoSuchTerminal, "与登记的"},
		} {
			res, code, err := d.Register(ctx, phone, "198.51.100.7:4000", c.reg)
			if err != nil || res != c.result || code != "" {
				t.Errorf("%s: result %d code %q %v, want %d", c.name, res, code, err, c.result)
			}
			var reason, from string
			db.R.QueryRowContext(ctx, "SELECT refused_reason, refused_from FROM terminals WHERE sim = ?", sim).Scan(&reason, &from)
			if !strings.Contains(reason, c.reason) || from != "198.51.100.7:4000" {
				t.Errorf("%s: recorded %q from %q, want %q", c.name, reason, from, c.reason)
			}
		}
		res, code, err := d.Register(ctx, phone, "", reg)
		if err != nil || res != jt808.RegisterOK || code == "" {
			t.Fatalf("register %s: %d %q %v", phone, res, code, err)
		}
		// The 2013 field holds the last 7 characters of a longer registry number.
		short := with(func(r *jt808.Register) { r.TerminalID = r.TerminalID[len(r.TerminalID)-7:] })
		_, again, _ := d.Register(ctx, "0000"+phone, "", short)
		if again == "" || again == code {
			t.Fatalf("re-registration (20-digit padding, 7-character ID) gave %q, want a new code", again)
		}
		if got, _, ok, err := d.Authenticate(ctx, phone, again); err != nil || !ok || got != vid {
			t.Errorf("authenticate: %d %v %v, want vehicle %d", got, ok, err, vid)
		}
		if _, _, ok, _ := d.Authenticate(ctx, phone, code); ok {
			t.Error("the code of the earlier registration still authenticates")
		}
		var stored string
		db.R.QueryRowContext(ctx, "SELECT auth_hash FROM terminals WHERE sim = ?", sim).Scan(&stored)
		if stored == "" || strings.Contains(stored, again) {
			t.Errorf("auth_hash %q: want the code's hash, not the code", stored)
		}
		if res, _, _ := d.Register(ctx, "19999999999", "", reg); res != jt808.RegisterNoSuchTerminal {
			t.Errorf("unknown phone: %d, want 4", res)
		}
		tm, err := w.Fleet.CreateTerminal(ctx, w.Actor(t, "city_admin"), fleet.TerminalInput{UnitID: w.UnitID(t, "天宁区城市管理局"), TerminalNo: "UNB0001", SIM: "013800000001"})
		if err != nil {
			t.Fatal(err)
		}
		if res, _, _ := d.Register(ctx, telematics.NormalizePhone(tm.SIM), "", jt808.Register{TerminalID: "UNB0001"}); res != jt808.RegisterNoSuchVehicle {
			t.Errorf("unbound terminal: %d, want 2", res)
		}
	})
}

// TestLiveAndTrack drives three demo terminals through a real gateway and
// checks the live list, scope, the track's rules and its audit entry.
func TestLiveAndTrack(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		latest := &telematics.Latest{}
		wr, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{Latest: latest})
		if err != nil {
			t.Fatal(err)
		}
		defer wr.Close()
		dir := &fleet.Directory{DB: db}
		gw := &gateway.Server{Directory: dir, Writer: wr}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { gw.Serve(ctx, ln); close(done) }()
		defer func() { cancel(); <-done }()
		phones, err := dir.BoundPhones(ctx, 3)
		if err != nil || len(phones) != 3 {
			t.Fatalf("bound phones: %v %v", phones, err)
		}
		ids, err := dir.Identities(ctx, phones)
		if err != nil {
			t.Fatal(err)
		}
		simDone := make(chan struct{})
		simCtx, stopSim := context.WithCancel(ctx)
		go func() {
			sim.Run(simCtx, sim.Config{Gateway: ln.Addr().String(), Phones: phones, Identities: ids, Interval: 200 * time.Millisecond, RampUp: 10 * time.Millisecond})
			close(simDone)
		}()
		defer func() { stopSim(); <-simDone }()
		mon := &monitor.Service{DB: db, Latest: latest, Gateway: gw}
		city := w.Actor(t, "city_admin")
		var reporting []*monitor.LiveVehicle
		for deadline := time.Now().Add(15 * time.Second); ; {
			vs, err := mon.Live(ctx, city, monitor.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			reporting = reporting[:0]
			for _, v := range vs {
				if v.Position != nil {
					reporting = append(reporting, v)
					if v.State == monitor.Offline {
						t.Errorf("%s reported just now but is offline", v.Plate)
					}
				}
			}
			if len(reporting) == 3 && latest.Len() == 3 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d vehicles with a position, want 3", len(reporting))
			}
			time.Sleep(100 * time.Millisecond)
		}
		time.Sleep(time.Second)              // a few reports more for the track
		if err := wr.Sync(ctx); err != nil { // readable within MergeEvery; now
			t.Fatal(err)
		}
		v := reporting[0]
		// Track: reason required, at most 7 days, inside the scope, audited.
		now := time.Now()
		q := monitor.TrackQuery{VehicleID: v.ID, From: now.Add(-time.Hour), To: now.Add(time.Minute)}
		var fe *errs.Error
		if _, err := mon.Track(ctx, city, q); !errors.As(err, &fe) || fe.Code != errs.Invalid || fe.Fields["reason"] != "请填写查看轨迹的事由" {
			t.Errorf("no reason: %v", err)
		}
		long := q
		long.Reason, long.From = "核查", now.Add(-8*24*time.Hour)
		if _, err := mon.Track(ctx, city, long); !errs.Is(err, errs.Invalid) {
			t.Errorf("8 days: %v", err)
		}
		var path string
		db.R.QueryRowContext(ctx, "SELECT u.path FROM vehicles v JOIN units u ON u.id = v.unit_id WHERE v.id = ?", v.ID).Scan(&path)
		outside := "tn_admin"
		if strings.HasPrefix(path, w.UnitPath(t, "天宁区")) {
			outside = "zl_admin"
		}
		q.Reason = "核查公车私用线索"
		if _, err := mon.Track(ctx, w.Actor(t, outside), q); !errs.Is(err, errs.Forbidden) {
			t.Errorf("outside the scope (%s): %v", outside, err)
		}
		before := w.Count(t, "audit_log")
		tr, err := mon.Track(ctx, city, q)
		if err != nil || len(tr.Points) == 0 || tr.Plate != v.Plate {
			t.Fatalf("track: %v %+v", err, tr)
		}
		if w.Count(t, "audit_log") != before+1 {
			t.Error("the track view was not audited")
		}
		// Where it started and ended, in words (offline: district and nearest named place).
		first, last := tr.Points[0], tr.Points[len(tr.Points)-1]
		if tr.StartPlace != geo.Offline(first.Lat, first.Lng) || tr.EndPlace != geo.Offline(last.Lat, last.Lng) || !strings.Contains(tr.StartPlace, "，") {
			t.Errorf("start %q, end %q", tr.StartPlace, tr.EndPlace)
		}
		var summary string
		db.R.QueryRowContext(ctx, "SELECT summary FROM audit_log WHERE action = 'track.read' ORDER BY id DESC LIMIT 1").Scan(&summary)
		if summary == "" || !strings.Contains(summary, v.Plate) || !strings.Contains(summary, "核查公车私用线索") {
			t.Errorf("audit summary %q", summary)
		}
		// Command: query the position now; the simulated terminal answers.
		res, err := mon.SendCommand(ctx, w.Actor(t, "city_admin"), v.ID, monitor.Command{Kind: "locate"})
		if err != nil || !res.OK || res.Position == nil {
			t.Errorf("locate: %v %+v", err, res)
		}
	})
}

// TestCommands: temporary tracking makes the terminal report every second
// for the period asked, setting the reporting interval changes the
// terminal's parameter, both are checked and audited.
func TestCommands(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		acks := make(chan time.Time, 1000)
		gw, phone, vid, _ := oneTerminal(t, w, nil, func(_ string, at time.Time) { acks <- at })
		for deadline := time.Now().Add(15 * time.Second); !gw.Connected(phone); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the simulated terminal did not connect")
			}
		}
		mon := &monitor.Service{DB: db, Latest: &telematics.Latest{}, Gateway: gw}
		city := w.Actor(t, "city_admin")
		for _, bad := range []struct {
			c     monitor.Command
			field string
		}{{monitor.Command{Kind: "track", Minutes: 0}, "minutes"}, {monitor.Command{Kind: "track", Minutes: 5, Interval: 601}, "interval"},
			{monitor.Command{Kind: "interval", Interval: 2}, "interval"}} {
			var fe *errs.Error
			if _, err := mon.SendCommand(ctx, city, vid, bad.c); !errors.As(err, &fe) || fe.Fields[bad.field] == "" {
				t.Errorf("%+v: %v, want a message on %s", bad.c, err, bad.field)
			}
		}
		for len(acks) > 0 {
			<-acks
		}
		res, err := mon.SendCommand(ctx, city, vid, monitor.Command{Kind: "track", Minutes: 1, Interval: 1})
		if err != nil || !res.OK || res.Message != "终端已执行" {
			t.Fatalf("track: %+v %v", res, err)
		}
		// Reports every second now (hourly before).
		var seen []time.Time
		for len(seen) < 3 {
			select {
			case at := <-acks:
				seen = append(seen, at)
			case <-time.After(10 * time.Second):
				t.Fatalf("%d reports after temporary tracking began, want 3", len(seen))
			}
		}
		res, err = mon.SendCommand(ctx, city, vid, monitor.Command{Kind: "interval", Interval: 30})
		if err != nil || !res.OK {
			t.Fatalf("interval: %+v %v", res, err)
		}
		if res, err := mon.SendCommand(ctx, city, vid, monitor.Command{Kind: "text", Text: "请回单位"}); err != nil || !res.OK {
			t.Fatalf("text: %+v %v", res, err)
		}
		ans, err := gw.Send(ctx, phone, &jt808.QueryParams{})
		if err != nil {
			t.Fatal(err)
		}
		var interval uint32
		for _, p := range ans.(*jt808.ParamsResponse).Params {
			if p.ID == jt808.ParamDefaultInterval {
				interval, _ = p.DWord()
			}
		}
		if interval != 30 {
			t.Errorf("the terminal reports every %d s, want 30", interval)
		}
		var summaries []string
		db.R.NewSelect().Table("audit_log").Column("summary").Where("action = 'terminal.command' AND object_id = ?", fmt.Sprint(vid)).Order("id").Scan(ctx, &summaries)
		if len(summaries) != 3 || !strings.Contains(summaries[0], "临时跟踪：每1秒上报，持续1分钟") || !strings.Contains(summaries[1], "设置上报间隔：30秒") ||
			!strings.HasSuffix(summaries[2], "终端下发文本：请回单位") {
			t.Errorf("audit %q", summaries)
		}
	})
}

// oneTerminal serves a real gateway over w's registry (rec stores what a
// terminal sends besides positions; nil: nothing) and runs the simulated
// terminal of one bound vehicle against it, registered with the registry's
// identity, reporting and beating hourly so that anything more frequent comes
// from a command; onAck, if set, hears each acknowledgement. It returns the
// gateway, the terminal's phone, its vehicle and the terminal; all of it
// stops when the test ends.
func oneTerminal(t *testing.T, w *apptest.World, rec gateway.Recorder, onAck func(string, time.Time)) (gw *gateway.Server, phone string, vid, tid int64) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	wr, err := telematics.NewWriter(context.Background(), w.DB, telematics.WriterOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { wr.Close() })
	dir := &fleet.Directory{DB: w.DB}
	gw = &gateway.Server{Directory: dir, Writer: wr, Recorder: rec}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { gw.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	phones, err := dir.BoundPhones(ctx, 1)
	if err != nil || len(phones) != 1 {
		t.Fatalf("bound phones: %v %v", phones, err)
	}
	w.DB.R.QueryRowContext(ctx, "SELECT vehicle_id, id FROM terminals WHERE sim = ?", phones[0]).Scan(&vid, &tid)
	ids, err := dir.Identities(ctx, phones)
	if err != nil {
		t.Fatal(err)
	}
	simDone := make(chan struct{})
	simCtx, stopSim := context.WithCancel(ctx)
	go func() {
		sim.Run(simCtx, sim.Config{Gateway: ln.Addr().String(), Phones: phones, Identities: ids, Interval: time.Hour, Parked: time.Hour,
			Heartbeat: time.Hour, RampUp: time.Millisecond, OnAck: onAck})
		close(simDone)
	}()
	t.Cleanup(func() { stopSim(); <-simDone })
	return gw, telematics.NormalizePhone(phones[0]), vid, tid
}
