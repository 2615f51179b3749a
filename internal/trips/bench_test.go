package trips_test

import (
	"context"
	"testing"

	"govfleet/internal/health"
	"govfleet/internal/storetest"
	"govfleet/internal/trips"
)

// BenchmarkMinuteJobIdle is the cost of one run of serve's minute job
// (trips, then terminal health) over the demo's 600 vehicles when nothing
// new was reported: the floor of the job's cost per vehicle.
//
//	go test ./internal/trips -run '^$' -bench MinuteJob -benchtime 20x
func BenchmarkMinuteJobIdle(b *testing.B) {
	db := storetest.SQLite(b)
	w := storetest.NewWorld(b, db)
	tr, he := &trips.Service{DB: db, Booking: w.Booking}, &health.Service{DB: db}
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
