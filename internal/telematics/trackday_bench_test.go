package telematics_test

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Track-day benchmark (issue 5, Performance): one vehicle-day (8,640
// positions at 10 s) read out of a large positions table. The table is
// generated once per size and database and reused:
//
//	GOVFLEET_BENCH_POSITIONS=100000000 [GOVFLEET_TEST_POSTGRES=postgres://…] \
//	  go test ./internal/telematics -run '^$' -bench TrackDay -benchtime 200x -timeout 3h
//
// SQLite: $GOVFLEET_BENCH_DIR (default /tmp/govfleet-bench)/positions-N.db.
// PostgreSQL: database govfleet_bench_N on the server of GOVFLEET_TEST_POSTGRES
// (created if missing). Rows are loaded in time order, all vehicles
// interleaved as the gateway writes them (SQLite: in primary-key order, the
// table being clustered by terminal and time), with the indexes built after
// the load and position_days filled by its trigger; generation time is
// logged. A table generated before migration 0015 is generated again.

const (
	benchStep = 10 * time.Second
	benchDay  = 8640 // positions per vehicle-day at 10 s
)

// benchVehicles is the number of vehicles of the generated table: 2,000
// (about 5.8 days each for 100 million rows), fewer for small sizes so
// that each has at least 5 days.
var benchVehicles = 2000

var benchT0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func benchSize(b *testing.B) int {
	v := os.Getenv("GOVFLEET_BENCH_POSITIONS")
	if v == "" {
		b.Skip("set GOVFLEET_BENCH_POSITIONS (e.g. 100000000) to run the track-day benchmark")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < benchDay*5 {
		b.Fatalf("GOVFLEET_BENCH_POSITIONS=%q: need at least %d", v, benchDay*5)
	}
	benchVehicles = min(2000, n/(benchDay*5))
	return n
}

func BenchmarkTrackDay(b *testing.B) {
	n := benchSize(b)
	days := n / benchVehicles / benchDay
	run := func(b *testing.B, db *store.DB) {
		ctx := context.Background()
		query := func(i int) time.Duration {
			vid := int64(1 + i*7919%benchVehicles)
			from := benchT0.AddDate(0, 0, i%days)
			start := time.Now()
			ps, err := telematics.VehicleTrack(ctx, db, vid, from, from.AddDate(0, 0, 1), 20000)
			d := time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			if len(ps) != benchDay {
				b.Fatalf("vehicle %d day %s: %d positions, want %d", vid, from.Format(time.DateOnly), len(ps), benchDay)
			}
			return d
		}
		b.ResetTimer()
		for i := range b.N {
			query(i)
		}
		b.StopTimer()
		// p50/p95 over 200 more calls on other vehicles and days.
		ds := make([]time.Duration, 200)
		for i := range ds {
			ds[i] = query(b.N + i)
		}
		slices.Sort(ds)
		b.ReportMetric(float64(ds[100].Microseconds())/1000, "p50_ms")
		b.ReportMetric(float64(ds[190].Microseconds())/1000, "p95_ms")
	}
	b.Run("sqlite", func(b *testing.B) { run(b, benchSQLite(b, n)) })
	b.Run("postgres", func(b *testing.B) { run(b, benchPostgres(b, n)) })
}

// benchSQLite opens (generating it first if needed) the SQLite table of n positions.
func benchSQLite(b *testing.B, n int) *store.DB {
	dir := os.Getenv("GOVFLEET_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "govfleet-bench")
	}
	path := filepath.Join(dir, fmt.Sprintf("positions-%d.db", n))
	ctx := context.Background()
	db, err := store.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if benchReady(b, db.R.DB) {
		return db
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	db.Close()
	// Load without journal or sync, in primary-key order (terminal, time:
	// appends to the clustered table, see migration 0014), then build
	// position_days (on SQLite the merge of the inbox keeps it, see
	// migration 0016).
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(OFF)&_pragma=synchronous(OFF)&_pragma=cache_size(-1048576)&_pragma=temp_store(MEMORY)")
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)
	start := time.Now()
	exec(b, raw, "DELETE FROM positions")
	exec(b, raw, "DELETE FROM position_days")
	steps := n / benchVehicles // n rounded down to whole vehicles
	// One INSERT … SELECT per vehicle from a recursive counter: the rows
	// are made inside SQLite, in primary-key order. Times are spelt as
	// Bun writes a time.Time ("2026-01-01 00:00:00+00:00", see Writer).
	for v := range benchVehicles {
		exec(b, raw, fmt.Sprintf(`INSERT INTO positions (vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras)
			WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < %[1]d)
			SELECT %[2]d, '%[3]d', strftime('%%Y-%%m-%%d %%H:%%M:%%S', %[4]d + i * 10, 'unixepoch') || '+00:00',
				strftime('%%Y-%%m-%%d %%H:%%M:%%S', %[4]d + i * 10 + 1, 'unixepoch') || '+00:00',
				31700000 + %[5]d + (i %% 500) * 11, 119900000 + %[6]d + (i %% 700) * 13, i * 7 %% 800, i %% 360, 12, 0, 3, i * 120, NULL, ''
			FROM s`, steps-1, v+1, 14600000000+v, benchT0.Unix(), v*37%20000, v*53%30000))
		if (v+1)%200 == 0 {
			b.Logf("sqlite: %d rows in %v", (v+1)*steps, time.Since(start).Round(time.Second))
		}
	}
	loaded := time.Since(start)
	exec(b, raw, "INSERT INTO position_days SELECT DISTINCT vehicle_id, date(at), terminal_phone FROM positions")
	exec(b, raw, "ANALYZE")
	benchDone(b, raw, n)
	b.Logf("sqlite: generated %d positions in %v (load %v, indexes %v)", n, time.Since(start).Round(time.Second),
		loaded.Round(time.Second), (time.Since(start) - loaded).Round(time.Second))
	raw.Close()
	if db, err = store.Open(ctx, path); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// benchPostgres opens (generating it first if needed) database
// govfleet_bench_N on the GOVFLEET_TEST_POSTGRES server.
func benchPostgres(b *testing.B, n int) *store.DB {
	base := os.Getenv("GOVFLEET_TEST_POSTGRES")
	if base == "" {
		b.Skip("GOVFLEET_TEST_POSTGRES not set")
	}
	ctx := context.Background()
	name := fmt.Sprintf("govfleet_bench_%d", n)
	admin, err := store.Open(ctx, base)
	if err != nil {
		b.Fatal(err)
	}
	var exists bool
	if err := admin.R.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)", name).Scan(&exists); err != nil {
		b.Fatal(err)
	}
	if !exists {
		if _, err := admin.W.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
			b.Fatal(err)
		}
	}
	admin.Close()
	u, err := url.Parse(base)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	db, err := store.Open(ctx, u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	if benchReady(b, db.R.DB) {
		return db
	}
	if _, err := db.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	exec(b, db.W.DB, "DROP INDEX IF EXISTS ux_positions_terminal_phone_at")
	exec(b, db.W.DB, "TRUNCATE positions, position_days")
	// INSERT … SELECT from generate_series, 10 million rows a statement,
	// in time order with all vehicles interleaved.
	const chunk = 10_000_000
	for k := 0; k < n; k += chunk {
		exec(b, db.W.DB, fmt.Sprintf(`INSERT INTO positions (vehicle_id, terminal_phone, at, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel, extras)
			SELECT v + 1, (14600000000 + v)::text, to_timestamp(%[3]d + s * 10), to_timestamp(%[3]d + s * 10 + 1),
				31700000 + v * 37 %% 20000 + (s %% 500) * 11, 119900000 + v * 53 %% 30000 + (s %% 700) * 13, s * 7 %% 800, s %% 360, 12, 0, 3, s * 120, NULL, ''
			FROM (SELECT k %% %[4]d AS v, k / %[4]d AS s FROM generate_series(%[1]d::bigint, %[2]d::bigint) k) g`,
			k, min(k+chunk, n)-1, benchT0.Unix(), benchVehicles))
		b.Logf("postgres: %d rows in %v", min(k+chunk, n), time.Since(start).Round(time.Second))
	}
	loaded := time.Since(start)
	// The index of migration 0015.
	exec(b, db.W.DB, `CREATE UNIQUE INDEX ux_positions_terminal_phone_at ON positions(terminal_phone, at)
		INCLUDE (vehicle_id, received_at, lat, lng, speed, heading, altitude, alarm, status, mileage, fuel)`)
	exec(b, db.W.DB, "VACUUM ANALYZE positions")
	benchDone(b, db.W.DB, n)
	b.Logf("postgres: generated %d positions in %v (load %v, indexes and analyze %v)", n, time.Since(start).Round(time.Second),
		loaded.Round(time.Second), (time.Since(start) - loaded).Round(time.Second))
	return db
}

func exec(b *testing.B, db *sql.DB, q string) {
	if _, err := db.Exec(q); err != nil {
		b.Fatalf("%s: %v", q, err)
	}
}

// benchReady reports whether a previous run finished generating this database.
func benchReady(b *testing.B, db *sql.DB) bool {
	var n int
	if err := db.QueryRow("SELECT n FROM bench_generated").Scan(&n); err != nil {
		return false
	}
	var days int
	if err := db.QueryRow("SELECT count(*) FROM position_days").Scan(&days); err != nil || days == 0 {
		exec(b, db, "DROP TABLE bench_generated") // generated before migration 0015
		return false
	}
	b.Logf("reusing the generated table of %d positions", n)
	return true
}

func benchDone(b *testing.B, db *sql.DB, n int) {
	exec(b, db, "CREATE TABLE bench_generated (n BIGINT NOT NULL)")
	exec(b, db, fmt.Sprintf("INSERT INTO bench_generated (n) VALUES (%d)", n))
}
