package trips_test

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
	"govfleet/internal/trips"
)

// fixture is a demo vehicle with a terminal, a clock far after the demo's
// orders, and positions written through the telematics writer.
type fixture struct {
	t       *testing.T
	db      *store.DB
	w       *apptest.World
	svc     *trips.Service
	now     time.Time
	vehicle int64
	unit    int64
	phone   string
	lng     float64
}

func newFixture(t *testing.T, w *apptest.World) *fixture {
	db := w.DB
	f := &fixture{t: t, db: db, w: w, now: time.Date(2030, 3, 4, 1, 0, 0, 0, time.UTC), lng: 119.95}
	if err := db.R.QueryRowContext(context.Background(), `SELECT t.vehicle_id, v.unit_id, t.sim FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
		ORDER BY t.id LIMIT 1`).Scan(&f.vehicle, &f.unit, &f.phone); err != nil {
		t.Fatal(err)
	}
	f.phone = telematics.NormalizePhone(f.phone)
	f.svc = &trips.Service{DB: db, Booking: w.Booking, Now: func() time.Time { return f.now }}
	return f
}

// drive writes a drive of d at 36 km/h (10 m/s) from start, reported every
// 10 s, then the car parks with the engine off for 20 minutes.
func (f *fixture) drive(start time.Time, d time.Duration, received time.Time) []telematics.Position {
	var ps []telematics.Position
	at := start
	add := func(acc bool, speed int32) {
		p := telematics.Position{VehicleID: f.vehicle, Phone: f.phone, At: at, ReceivedAt: received, Lat: 31780000,
			Lng: int64(math.Round(f.lng * 1e6)), Speed: speed}
		if acc {
			p.Status = uint32(jt808.StatusACC)
		}
		ps = append(ps, p)
	}
	for ; at.Before(start.Add(d)); at = at.Add(10 * time.Second) {
		add(true, 360)
		f.lng += 100 / (111195 * math.Cos(31.78*math.Pi/180))
	}
	for end := at.Add(20 * time.Minute); at.Before(end); at = at.Add(time.Minute) {
		add(false, 0)
	}
	return ps
}

func (f *fixture) write(ps []telematics.Position) {
	f.t.Helper()
	wr, err := telematics.NewWriter(context.Background(), f.db, telematics.WriterOptions{})
	if err != nil {
		f.t.Fatal(err)
	}
	defer wr.Close()
	if err := wr.Write(context.Background(), ps); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fixture) run() trips.RunStats {
	f.t.Helper()
	st, err := f.svc.Run(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return st
}

func (f *fixture) trips() []*trips.Trip {
	f.t.Helper()
	var ts []*trips.Trip
	if err := f.db.R.NewSelect().Model(&ts).Where("vehicle_id = ?", f.vehicle).Order("started_at").Scan(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return ts
}

// order inserts an order of the vehicle in state with its windows.
func (f *fixture) order(state string, pickup, ret time.Time, departed, returned *time.Time) int64 {
	f.t.Helper()
	var applicant int64
	f.db.R.QueryRowContext(context.Background(), "SELECT id FROM users ORDER BY id LIMIT 1").Scan(&applicant)
	v := f.vehicle
	o := &booking.Order{No: fmt.Sprintf("YC%d", pickup.Unix()), UnitID: f.unit, ApplicantID: applicant, ApplicantName: "测试", Reason: "测试",
		PassengerCount: 1, PickupPlace: "市行政中心", DestinationsRaw: `["武进区政府"]`, PickupAt: pickup, ReturnAt: ret, State: state,
		VehicleID: &v, DepartedAt: departed, ReturnedAt: returned, CreatedAt: f.now, UpdatedAt: f.now}
	if _, err := f.db.W.NewInsert().Model(o).Exec(context.Background()); err != nil {
		f.t.Fatal(err)
	}
	return o.ID
}

func (f *fixture) filings() int {
	n, err := f.db.R.NewSelect().Table("emergency_filings").Where("vehicle_id = ? AND source = 'trip' AND source_ref LIKE 'trip:%'", f.vehicle).Count(context.Background())
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

// TestBuildAndLink: trips are built once however often the job runs, a
// blind-area batch sent before the watermark is folded in, one sent after
// it is not counted twice, and each trip finds its order or opens one
// filing.
func TestBuildAndLink(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		t0 := f.now
		// Trip 1 (09:00–09:30 Beijing) with a tunnel 09:10–09:14 whose batch
		// is sent at 09:16; the job runs at 09:13, before it.
		ps := f.drive(t0, 30*time.Minute, t0)
		var tunnel, rest []telematics.Position
		for _, p := range ps {
			if !p.At.Before(t0.Add(10*time.Minute)) && p.At.Before(t0.Add(14*time.Minute)) {
				p.ReceivedAt = t0.Add(16 * time.Minute)
				tunnel = append(tunnel, p)
			} else {
				rest = append(rest, p)
			}
		}
		f.write(rest)
		f.now = t0.Add(13 * time.Minute)
		f.run()
		f.write(tunnel)
		// Trip 2 (10:00–10:20) served by an order departed at 10:05 and
		// back at 10:25 (the car left five minutes early); trip 3 (11:00–11:15)
		// by a dispatched order planned from 11:05 (the car left before the
		// driver pressed "depart"); trip 4 (12:00–12:10) by none.
		dep, back := t0.Add(65*time.Minute), t0.Add(85*time.Minute)
		o2 := f.order(booking.Closed, dep, back, &dep, &back)
		o3 := f.order(booking.Dispatched, t0.Add(125*time.Minute), t0.Add(150*time.Minute), nil, nil)
		f.write(f.drive(t0.Add(time.Hour), 20*time.Minute, t0.Add(time.Hour)))
		f.write(f.drive(t0.Add(2*time.Hour), 15*time.Minute, t0.Add(2*time.Hour)))
		f.write(f.drive(t0.Add(3*time.Hour), 10*time.Minute, t0.Add(3*time.Hour)))
		f.now = t0.Add(4 * time.Hour)
		st := f.run()
		if st.Closed != 4 || st.Filings != 2 || st.Linked != 2 {
			t.Errorf("run: %+v, want 4 closed, 2 linked to orders and 2 filings", st)
		}
		ts := f.trips()
		if len(ts) != 4 {
			t.Fatalf("%d trips, want 4", len(ts))
		}
		if ts[0].Points != len(ps)-19 || math.Abs(float64(ts[0].DistanceM)-18000) > 200 {
			t.Errorf("trip with the tunnel: %d points, %d m; want %d points, 18 km", ts[0].Points, ts[0].DistanceM, len(ps)-19)
		}
		want := []*int64{nil, &o2, &o3, nil}
		for i, tr := range ts {
			if tr.State != "closed" || tr.LinkedAt == nil {
				t.Errorf("trip %d: %s, linked %v", i+1, tr.State, tr.LinkedAt)
			}
			if (tr.OrderID == nil) != (want[i] == nil) || tr.OrderID != nil && *tr.OrderID != *want[i] {
				t.Errorf("trip %d: order %v, want %v", i+1, tr.OrderID, want[i])
			}
			if (tr.FilingID == nil) != (want[i] != nil) {
				t.Errorf("trip %d: filing %v", i+1, tr.FilingID)
			}
			// The stored box (migration 0017) spans the trip from start to
			// end — trip 1's too, stored while open and updated when closed.
			if tr.MinLat != 31780000 || tr.MaxLat != 31780000 || tr.MinLng != tr.StartLng || tr.MaxLng != tr.EndLng {
				t.Errorf("trip %d: box lat %d–%d lng %d–%d, want lat 31780000, lng %d–%d", i+1, tr.MinLat, tr.MaxLat, tr.MinLng, tr.MaxLng, tr.StartLng, tr.EndLng)
			}
		}
		// Trips 1 and 4 had no order: one filing each.
		if n := f.filings(); n != 2 {
			t.Errorf("%d filings for trips without order, want 2", n)
		}
		var ref string
		db.R.QueryRowContext(ctx, "SELECT source_ref FROM emergency_filings WHERE id = ?", *ts[3].FilingID).Scan(&ref)
		if ref != fmt.Sprintf("trip:%d", ts[3].ID) {
			t.Errorf("filing ref %q", ref)
		}
		// Daily mileage: 18 + 12 + 9 + 6 km, four trips, on 2030-03-04.
		var km, n int64
		db.R.QueryRowContext(ctx, "SELECT distance_m, trips FROM vehicle_daily_mileage WHERE vehicle_id = ? AND day = '2030-03-04'", f.vehicle).Scan(&km, &n)
		if n != 4 || math.Abs(float64(km)-45000) > 500 {
			t.Errorf("daily mileage %d m in %d trips, want 45 km in 4", km, n)
		}
		// Again, later, with a late batch for 09:20 (already read): nothing changes.
		late := f.drive(t0.Add(20*time.Minute+5*time.Second), time.Minute, f.now)
		f.write(late[:3])
		f.now = f.now.Add(time.Hour)
		f.run()
		f.run()
		if _, _, err := f.svc.Link(ctx); err != nil {
			t.Fatal(err)
		}
		if len(f.trips()) != 4 || f.filings() != 2 {
			t.Errorf("after re-running: %d trips, %d filings; want 4 and 2", len(f.trips()), f.filings())
		}
		var km2 int64
		db.R.QueryRowContext(ctx, "SELECT distance_m FROM vehicle_daily_mileage WHERE vehicle_id = ? AND day = '2030-03-04'", f.vehicle).Scan(&km2)
		if km2 != km {
			t.Errorf("mileage changed on re-run: %d → %d", km, km2)
		}
	})
}

// TestEmergencyFilingCovers: a trip during an emergency use the unit
// already filed opens no second filing.
func TestEmergencyFilingCovers(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		t0 := f.now
		end := t0.Add(2 * time.Hour)
		fl := &booking.Filing{UnitID: f.unit, VehicleID: f.vehicle, Leader: "王局长", Reason: "防汛抢险", StartedAt: t0.Add(-10 * time.Minute), EndedAt: &end,
			DeadlineAt: t0.Add(48 * time.Hour), Source: "unit", State: "filed", CreatedAt: t0}
		if _, err := db.W.NewInsert().Model(fl).Exec(context.Background()); err != nil {
			t.Fatal(err)
		}
		f.write(f.drive(t0, 20*time.Minute, t0))
		f.now = t0.Add(time.Hour)
		if st := f.run(); st.Filings != 0 || st.Linked != 1 {
			t.Errorf("run: %+v, want the trip linked to the filing", st)
		}
		if ts := f.trips(); len(ts) != 1 || ts[0].FilingID == nil || *ts[0].FilingID != fl.ID {
			t.Errorf("trips %+v, want one on filing %d", ts, fl.ID)
		}
	})
}

// TestRunInBatches: vehicles are stored several per transaction, and a
// vehicle with more positions than one read takes reads its cursor on
// after each; every vehicle gets its trip and mileage once (issue 5,
// Performance: the minute job at 19,000 terminals).
func TestRunInBatches(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		defer trips.SetLimits(40, 2)()
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		t0 := f.now
		rows, err := db.R.QueryContext(ctx, `SELECT t.vehicle_id, v.unit_id, t.sim FROM terminals t JOIN vehicles v ON v.id = t.vehicle_id
			ORDER BY t.id LIMIT 5`)
		if err != nil {
			t.Fatal(err)
		}
		type car struct {
			vehicle, unit int64
			phone         string
		}
		var cars []car
		for rows.Next() {
			var c car
			if err := rows.Scan(&c.vehicle, &c.unit, &c.phone); err != nil {
				t.Fatal(err)
			}
			c.phone = telematics.NormalizePhone(c.phone)
			cars = append(cars, c)
		}
		rows.Close()
		// Vehicle i drives 10·(i+1) minutes at 36 km/h: 6·(i+1) km, in
		// 60·(i+1) + 20 positions, 2 to 9 reads of 40.
		for i, c := range cars {
			f.vehicle, f.unit, f.phone = c.vehicle, c.unit, c.phone
			f.write(f.drive(t0, time.Duration(i+1)*10*time.Minute, t0))
		}
		f.now = t0.Add(2 * time.Hour)
		st := f.run()
		if st.Closed != len(cars) || st.Positions != 60*15+20*len(cars) {
			t.Errorf("run: %+v, want %d trips closed from %d positions", st, len(cars), 60*15+20*len(cars))
		}
		for i, c := range cars {
			var km, n int64
			db.R.QueryRowContext(ctx, "SELECT distance_m, trips FROM vehicle_daily_mileage WHERE vehicle_id = ? AND day = '2030-03-04'", c.vehicle).Scan(&km, &n)
			if want := 6000 * float64(i+1); n != 1 || math.Abs(float64(km)-want) > 200 {
				t.Errorf("vehicle %d: %d m in %d trips, want %.0f m in 1", c.vehicle, km, n, want)
			}
		}
		if st := f.run(); st.Positions != 0 || st.Closed != 0 {
			t.Errorf("second run: %+v, want nothing new", st)
		}
	})
}

// TestWithoutOrderCountsLinked: a closed trip counts as "without order"
// once the linker found no order for it, not in the moment between its
// closing and its linking (the count would flicker after each job run).
func TestWithoutOrderCountsLinked(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		f.write(f.drive(f.now, 20*time.Minute, f.now))
		f.now = f.now.Add(time.Hour)
		f.run()
		q := trips.Query{VehicleID: f.vehicle, From: "2030-03-04", To: "2030-03-04"}
		count := func() int {
			vt, err := f.svc.Vehicle(ctx, f.w.Actor(t, "city_admin"), q)
			if err != nil {
				t.Fatal(err)
			}
			return vt.Unlinked
		}
		if n := count(); n != 1 {
			t.Errorf("linked trip without order: without_order = %d, want 1", n)
		}
		if _, err := db.W.ExecContext(ctx, "UPDATE trips SET linked_at = NULL, filing_id = NULL WHERE vehicle_id = ?", f.vehicle); err != nil {
			t.Fatal(err)
		}
		if n := count(); n != 0 {
			t.Errorf("closed trip not linked yet: without_order = %d, want 0", n)
		}
	})
}
