package booking_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
)

// Issue target: with 20,000 vehicles and 1,000,000 past orders, vehicle
// suggestions for a new order and the dispatch board of one district's day
// answer in under 100 ms at p95 on both databases. Run:
//
//	GOVFLEET_TEST_POSTGRES=… BOOKING_BENCH_ORDERS=1000000 go test ./internal/booking -run '^$' -bench . -benchtime 50x
func BenchmarkDispatch(b *testing.B) {
	orders := 1000000
	if v, err := strconv.Atoi(os.Getenv("BOOKING_BENCH_ORDERS")); err == nil {
		orders = v
	}
	run := func(name string, open func(testing.TB) *apptest.World) {
		b.Run(name, func(b *testing.B) {
			w := open(b)
			start := time.Now()
			now := bulk(b, w, 20000, orders)
			b.Logf("loaded 20,000 vehicles, 20,000 drivers and %d orders in %v", orders, time.Since(start).Round(time.Second))
			ctx := context.Background()
			w.Booking.Now = func() time.Time { return now }
			jgj := w.UnitID(b, "市机关事务管理局")
			// The order to dispatch: tomorrow morning, 3 people.
			pick := now.Add(24 * time.Hour)
			var id int64
			if err := w.DB.W.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
				pickup_at, return_at, state, approvals_needed, approvals_done, created_at, updated_at)
				VALUES ('BENCH-NEW', ?, 1, '测试', '开会', 3, '市政府', '["武进"]', ?, ?, 'approved', 1, 1, ?, ?) RETURNING id`,
				jgj, pick, pick.Add(3*time.Hour), now, now).Scan(ctx, &id); err != nil {
				b.Fatal(err)
			}
			city := &access.Actor{UserID: 1, ScopePath: w.UnitPath(b, "常州市"), ScopeKind: "city", Roles: []access.Role{access.Dispatcher}}
			district := &access.Actor{UserID: 1, ScopePath: w.UnitPath(b, "天宁区"), ScopeKind: "district", Roles: []access.Role{access.Dispatcher}}
			cases := []struct {
				name string
				call func() error
			}{
				{"suggest-city-dispatcher", func() error {
					_, _, err := w.Booking.Suggest(ctx, city, id, booking.CandidateFilter{Page: 1, Size: 100})
					return err
				}},
				{"board-district-day", func() error { _, _, err := w.Booking.Board(ctx, district, now, 0, 1, 200); return err }},
				{"board-city-day-page", func() error { _, _, err := w.Booking.Board(ctx, city, now, 0, 1, 100); return err }},
			}
			for _, c := range cases {
				b.Run(c.name, func(b *testing.B) { timed(b, c.call) })
			}
		})
	}
	run("sqlite", apptest.SQLite)
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		run("postgres", apptest.Postgres)
	}
}

// bulk adds nv vehicles with one matched driver each over the demo's units
// and no past orders spread over the last three years, most of them closed,
// today's share dispatched; it returns "now".
func bulk(b *testing.B, w *apptest.World, nv, no int) time.Time {
	ctx := context.Background()
	var units []int64
	if err := w.DB.R.NewSelect().Table("units").Column("id").Where("kind = 'unit'").Order("id").Scan(ctx, &units); err != nil {
		b.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Hour)
	var applicant int64
	if err := w.DB.R.NewSelect().Table("users").Column("id").Limit(1).Scan(ctx, &applicant); err != nil {
		b.Fatal(err)
	}
	err := w.DB.Tx(ctx, func(tx bun.Tx) error {
		var first int64
		if err := tx.NewSelect().Table("vehicles").ColumnExpr("COALESCE(MAX(id), 0)").Scan(ctx, &first); err != nil {
			return err
		}
		for i := 0; i < nv; i += 500 {
			q := "INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, created_at, updated_at) VALUES "
			dq := "INSERT INTO drivers (unit_id, name, id_card, licence_class, licence_expiry, created_at, updated_at) VALUES "
			var args, dargs []any
			for j := i; j < i+500; j++ {
				if j > i {
					q += ","
					dq += ","
				}
				q += "(?, ?, 'other', '大众', '帕萨特', ?, 7, 'petrol', 'small', 'available', ?, ?)"
				args = append(args, units[j%len(units)], fmt.Sprintf("BN%06d", j), fmt.Sprintf("BENCHVIN%09d", j), now, now)
				dq += "(?, ?, ?, 'C1', '2035-01-01', ?, ?)"
				dargs = append(dargs, units[j%len(units)], fmt.Sprintf("司机%d", j), fmt.Sprintf("BENCHID%011d", j), now, now)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, dq, dargs...); err != nil {
				return err
			}
		}
		// Driver j drives vehicle j (ids follow insertion order).
		if _, err := tx.ExecContext(ctx, `INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at)
			SELECT d.id, v.id, ? FROM vehicles v JOIN drivers d ON d.id_card = 'BENCHID' || substr(v.vin, 9) WHERE v.vin LIKE 'BENCHVIN%'`, now); err != nil {
			return err
		}
		var vids []int64
		if err := tx.NewSelect().Table("vehicles").Column("id").Where("vin LIKE 'BENCHVIN%'").Order("id").Scan(ctx, &vids); err != nil {
			return err
		}
		span := 3 * 365 * 24 * time.Hour
		for i := 0; i < no; i += 1000 {
			q := `INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
				pickup_at, return_at, state, approvals_needed, approvals_done, vehicle_id, created_at, updated_at) VALUES `
			var args []any
			for j := i; j < min(i+1000, no); j++ {
				if j > i {
					q += ","
				}
				at := now.Add(-time.Duration(int64(span) / int64(no) * int64(no-j)))
				state := booking.Closed
				if now.Sub(at) < 24*time.Hour {
					state = booking.Dispatched
				}
				v := vids[j%len(vids)]
				q += "(?, ?, ?, '测试', '开会', 2, '市政府', '[\"武进\"]', ?, ?, ?, 1, 1, ?, ?, ?)"
				args = append(args, fmt.Sprintf("B%08d", j), units[j%len(units)], applicant, at, at.Add(2*time.Hour), state, v, at, at)
			}
			if _, err := tx.ExecContext(ctx, q, args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := w.DB.W.ExecContext(ctx, "ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return now
}

// timed runs call b.N times, then 200 more to report p50 and p95.
func timed(b *testing.B, call func() error) {
	for i := 0; i < b.N; i++ {
		if err := call(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	ds := make([]time.Duration, 200)
	for i := range ds {
		start := time.Now()
		if err := call(); err != nil {
			b.Fatal(err)
		}
		ds[i] = time.Since(start)
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	b.ReportMetric(float64(ds[99])/1e6, "p50-ms")
	b.ReportMetric(float64(ds[189])/1e6, "p95-ms")
}
