package annual_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"govfleet/internal/annual"
	"govfleet/internal/app/apptest"
)

// Issue target: the city's annual report generated in under 30 s at 20,000 vehicles with a year of
// daily mileage (7.3 million rows) and of kept cost totals. Generated = the report read with its
// figures (annual.Service.Get → Compute), then its Excel (a sheet per table) and its PDF. Run:
//
//	go test ./internal/annual -run '^$' -bench CityReport -benchtime 3x
//	GOVFLEET_TEST_POSTGRES=… ANNUAL_BENCH_DB=postgres go test ./internal/annual -run '^$' -bench CityReport -benchtime 3x
func BenchmarkCityReport(b *testing.B) {
	w := apptest.SQLite(b)
	if os.Getenv("ANNUAL_BENCH_DB") == "postgres" {
		w = apptest.Postgres(b)
	}
	ctx := context.Background()
	const vehicles = 20000
	const year = 2024
	start := time.Now()
	db := w.DB.W
	exec := func(q string, args ...any) {
		b.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			b.Fatalf("%s: %v", q, err)
		}
	}
	now := time.Now().UTC()
	// 20,000 vehicles spread over the demo's units
	var units []int64
	if err := w.DB.R.NewSelect().Table("units").Column("id").Where("kind = 'unit'").Order("id").Scan(ctx, &units); err != nil {
		b.Fatal(err)
	}
	for k, u := range units {
		exec(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, engine_no, seats, energy_type, displacement, purchase_date, purchase_price,
			funding_source, vehicle_class, status, registered_on, use_nature, created_at, updated_at)
			SELECT ?, '苏Z' || n.i, 'other', '大众', '帕萨特', 'BENCHVIN' || (1000000000 + n.i),
				'E' || n.i, 5, 'petrol', 1984, '2020-01-01', 20000000, '财政拨款', 'small', 'available', '2020-01-02', '非营运', ?, ?
			FROM (WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < ?) SELECT i FROM s) AS n WHERE n.i % ? = ?`,
			u, now, now, vehicles, len(units), k)
	}
	exec("CREATE TABLE bench_days (day TEXT NOT NULL)")
	for d := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC); d.Year() == year; d = d.AddDate(0, 0, 1) {
		exec("INSERT INTO bench_days (day) VALUES (?)", d.Format(time.DateOnly))
	}
	exec(`INSERT INTO vehicle_daily_mileage (vehicle_id, day, unit_id, distance_m, trips, driving_s)
		SELECT v.id, d.day, v.unit_id, 20000 + (v.id % 7) * 1000, 2, 3600 FROM vehicles AS v CROSS JOIN bench_days AS d WHERE v.plate LIKE '苏Z%'`)
	for _, k := range []string{"fuel", "maintenance", "insurance", "inspection"} {
		exec(`INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries)
			SELECT ?, u.path, v.unit_id, v.id, ?, 100000 + v.id % 1000, 12 FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id WHERE v.plate LIKE '苏Z%'`, fmt.Sprint(year), k)
	}
	b.Logf("loaded %d vehicles, a year of daily mileage and cost totals in %v", vehicles, time.Since(start).Round(time.Second))
	city := w.Actor(b, "city_admin")
	if _, err := w.Annual.OpenYear(ctx, city, annual.YearInput{Year: year}); err != nil {
		b.Fatal(err)
	}
	var id int64
	if err := w.DB.R.NewSelect().Table("annual_reports").Column("id").Where("year = ? AND unit_id = ?", year, w.UnitID(b, "常州市")).Scan(ctx, &id); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		t0 := time.Now()
		d, err := w.Annual.Get(ctx, city, id)
		if err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		x, _, err := w.Annual.Excel(ctx, city, id)
		if err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		p, _, err := w.Annual.PDF(ctx, city, id)
		if err != nil {
			b.Fatal(err)
		}
		b.Logf("city report: %d vehicles, %.0f km; figures %v, Excel %v (%d KB; figures again inside), PDF %v (%d KB; figures again inside)",
			len(d.Figures.Vehicles), d.Figures.Totals.KM, t1.Sub(t0).Round(time.Millisecond), t2.Sub(t1).Round(time.Millisecond), len(x)/1024,
			time.Since(t2).Round(time.Millisecond), len(p)/1024)
	}
}
