package trips_test

import (
	"context"
	"syscall"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/health"
	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
	"govfleet/internal/trips"
)

// BenchmarkMinuteJobIdle is the cost of one run of serve's minute job
// (trips, then terminal health) over the demo's 600 vehicles when nothing
// new was reported: the floor of the job's cost per vehicle.
//
//	go test ./internal/trips -run '^$' -bench MinuteJob -benchtime 20x
func BenchmarkMinuteJobIdle(b *testing.B) {
	w := apptest.SQLite(b)
	tr, he := w.Trips, w.Health
	ctx := context.Background()
	for b.Loop() {
		if _, err := tr.Run(ctx); err != nil {
			b.Fatal(err)
		}
		if _, err := he.Run(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMinuteJob is one run of serve's minute job (trips, then
// terminal health) after every one of the demo's 600 terminals reported
// once a second for a minute, 36,000 positions, as under the load of
// scripts/loadtest: what the job costs per terminal and position.
//
//	go test ./internal/trips -run '^$' -bench MinuteJob -benchtime 20x
func BenchmarkMinuteJob(b *testing.B) {
	w := apptest.SQLite(b)
	db := w.DB
	ctx := context.Background()
	var terminals []telematics.Position
	rows, err := db.R.QueryContext(ctx, "SELECT t.sim, t.vehicle_id FROM terminals t WHERE t.vehicle_id IS NOT NULL ORDER BY t.id")
	if err != nil {
		b.Fatal(err)
	}
	for rows.Next() {
		var p telematics.Position
		if err := rows.Scan(&p.Phone, &p.VehicleID); err != nil {
			b.Fatal(err)
		}
		p.Phone = telematics.NormalizePhone(p.Phone)
		terminals = append(terminals, p)
	}
	if err := rows.Close(); err != nil {
		b.Fatal(err)
	}
	wr, err := telematics.NewWriter(ctx, db, telematics.WriterOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer wr.Close()
	now := time.Date(2030, 3, 4, 1, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	tr := &trips.Service{DB: db, Booking: w.Booking, Now: clock, Lag: time.Nanosecond, Backfill: time.Minute}
	he := &health.Service{DB: db, Now: clock, Lag: time.Nanosecond}
	step := 0
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		var ps []telematics.Position
		for i, t := range terminals {
			for s := range 60 {
				p := t
				p.At = now.Add(time.Duration(s) * time.Second)
				p.ReceivedAt = p.At
				p.Lat, p.Lng = 31780000+int64(i*1000), 119950000+int64((step*60+s)*100)
				p.Speed, p.Status = 360, uint32(jt808.StatusACC|jt808.StatusLocated)
				ps = append(ps, p)
			}
		}
		if err := wr.Write(ctx, ps); err != nil {
			b.Fatal(err)
		}
		if err := wr.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		now = now.Add(time.Minute)
		step++
		b.StartTimer()
		before := cpuTime(b)
		ts, err := tr.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		hs, err := he.Run(ctx)
		if err != nil {
			b.Fatal(err)
		}
		cpu += cpuTime(b) - before
		if ts.Positions != len(ps) || hs.Positions != len(ps) {
			b.Fatalf("trips read %d positions, health %d, want %d each", ts.Positions, hs.Positions, len(ps))
		}
	}
	// Wall time includes the pauses of the jobs' Pacer (three times their
	// work); CPU time is the work.
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*len(terminals)), "µs/terminal")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N*len(terminals)), "cpu-µs/terminal")
}

// cpuTime is the CPU time (user and system) the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
