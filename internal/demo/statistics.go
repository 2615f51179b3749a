package demo

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/stats"
	"govfleet/internal/store"
)

// seedStatistics gives the statistics a year of figures (issue 23 part 8).
// The demo's orders cover the last four months and its fuel the last
// twelve, but no GPS mileage (trips are built from the simulated fleet's
// positions once the server runs). So each vehicle with a terminal gets the
// daily mileage of the days its orders ran (the odometer's reading where
// the order has one), and the eight months before the orders get mileage at
// the same rate of use, a little different each month. 行程与里程 and 车辆油耗
// show that mileage too. Then the roll-ups are built from the mileage, the
// orders and the ledger over the whole year, exactly as
// `govfleet rollup-rebuild` would, so every figure comes from rows the
// detail pages read.
func seedStatistics(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	var vs []struct {
		ID     int64 `bun:"id"`
		UnitID int64 `bun:"unit_id"`
	}
	if err := db.R.NewSelect().TableExpr("vehicles AS v").Column("v.id", "v.unit_id").
		Where("v.status NOT IN ('disposed', 'sealed') AND v.exempt = ?", false).
		Where("EXISTS (SELECT 1 FROM terminals AS t WHERE t.vehicle_id = v.id)").Order("v.id").Scan(ctx, &vs); err != nil {
		return err
	}
	tracked := map[int64]int64{}
	for _, v := range vs {
		tracked[v.ID] = v.UnitID
	}
	var holidays []string
	if err := db.R.NewSelect().Table("calendar_days").Column("day").Where("kind = 'holiday'").Scan(ctx, &holidays); err != nil {
		return err
	}
	off := map[string]bool{}
	for _, d := range holidays {
		off[d] = true
	}
	r := rand.New(rand.NewPCG(2026, 23))
	cur := beijing.MonthStart(now)
	first := cur.AddDate(0, -13, 0)     // a year before last month: its 同比 too
	ordersFrom := cur.AddDate(0, -4, 0) // the demo's orders start in this month
	today := beijing.DayStart(now)
	type row struct {
		VehicleID int64  `bun:"vehicle_id"`
		Day       string `bun:"day"`
		UnitID    int64  `bun:"unit_id"`
		DistanceM int64  `bun:"distance_m"`
		Trips     int    `bun:"trips"`
		DrivingS  int64  `bun:"driving_s"`
	}
	byDay := map[[2]any]*row{}
	var rows []*row
	add := func(vehicle int64, day string, km float64) {
		k := [2]any{vehicle, day}
		x := byDay[k]
		if x == nil {
			x = &row{VehicleID: vehicle, Day: day, UnitID: tracked[vehicle]}
			byDay[k] = x
			rows = append(rows, x)
		}
		x.DistanceM += int64(km * 1000)
		x.Trips += 1 + r.IntN(2)
		x.DrivingS += int64(km / (28 + r.Float64()*14) * 3600)
	}
	// The orders that ran, before today.
	var os []struct {
		VehicleID int64     `bun:"vehicle_id"`
		PickupAt  time.Time `bun:"pickup_at"`
		Start     *int64    `bun:"start_odometer"`
		End       *int64    `bun:"end_odometer"`
	}
	if err := db.R.NewSelect().Table("orders").Column("vehicle_id", "pickup_at", "start_odometer", "end_odometer").
		Where("state IN (?) AND pickup_at >= ? AND pickup_at < ?", bun.In(stats.RanStates), ordersFrom.UTC(), today.UTC()).
		Order("id").Scan(ctx, &os); err != nil {
		return err
	}
	used := 0
	for _, o := range os {
		if _, ok := tracked[o.VehicleID]; !ok {
			continue
		}
		km := 10 + r.Float64()*70
		if o.Start != nil && o.End != nil && *o.End > *o.Start && *o.End-*o.Start < 500 {
			km = float64(*o.End-*o.Start) * (0.97 + r.Float64()*0.05)
		}
		add(o.VehicleID, beijing.Date(o.PickupAt), km)
	}
	used = len(rows)
	// The months before: the same rate of use per working day.
	workdays := 0
	for d := ordersFrom; d.Before(today); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday && !off[beijing.Date(d)] {
			workdays++
		}
	}
	rate := 0.0
	if workdays > 0 && len(vs) > 0 {
		rate = float64(used) / float64(workdays) / float64(len(vs))
	}
	for m := first; m.Before(ordersFrom); m = m.AddDate(0, 1, 0) {
		p := rate * (0.8 + r.Float64()*0.4)
		for d := m; d.Before(m.AddDate(0, 1, 0)); d = d.AddDate(0, 0, 1) {
			day := beijing.Date(d)
			if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday || off[day] {
				continue
			}
			for _, v := range vs {
				if r.Float64() < p {
					add(v.ID, day, 10+r.Float64()*70)
				}
			}
		}
	}
	for i := 0; i < len(rows); i += 1000 {
		batch := rows[i:min(i+1000, len(rows))]
		if _, err := db.W.NewInsert().Model(&batch).ModelTableExpr("vehicle_daily_mileage").On("CONFLICT (vehicle_id, day) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
	}
	s := &stats.Service{DB: db, Now: func() time.Time { return now }}
	if err := s.Rebuild(ctx, beijing.Date(first), beijing.Date(now)); err != nil {
		return err
	}
	slog.Debug("demo statistics", "mileage_days", len(rows), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
