package telematics_test

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"govfleet/internal/store"
	"govfleet/internal/storetest"
	"govfleet/internal/telematics"
)

// BenchmarkWriter measures positions acknowledged per second (acked/s:
// Write returned) and stored and readable per second (positions/s; on
// SQLite including the merge of the inbox) with 64 and with 2,048
// concurrent callers each writing one position per Write (as the gateway
// does for a 0x0200 report): 64 measures commit latency, 2,048 the
// throughput of full batches.
func BenchmarkWriter(b *testing.B) {
	for _, callers := range []int{64, 2048} {
		b.Run(fmt.Sprint(callers), func(b *testing.B) { benchWriter(b, callers) })
	}
}

func benchWriter(b *testing.B, callers int) {
	run := func(b *testing.B, db *store.DB) {
		w, err := telematics.NewWriter(context.Background(), db, telematics.WriterOptions{})
		if err != nil {
			b.Fatal(err)
		}
		defer w.Close()
		var caller atomic.Int64
		b.SetParallelism((callers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.ResetTimer()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			phone := fmt.Sprintf("1450%07d", caller.Add(1))
			i := 0
			for pb.Next() {
				if err := w.Write(context.Background(), []telematics.Position{pos(phone, i)}); err != nil {
					b.Error(err)
					return
				}
				i++
			}
		})
		acked := time.Since(start)
		// Until readable: on SQLite the inbox is merged into positions.
		if err := w.Sync(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/acked.Seconds(), "acked/s")
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "positions/s")
		st := w.Stats()
		if st.Transactions > 0 {
			b.ReportMetric(float64(st.Rows)/float64(st.Transactions), "rows/tx")
		}
	}
	b.Run("sqlite", func(b *testing.B) { run(b, storetest.SQLite(b)) })
	b.Run("postgres", func(b *testing.B) { run(b, storetest.Postgres(b)) })
}
