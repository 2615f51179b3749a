package stats_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/ledger"
	"govfleet/internal/org"
	"govfleet/internal/stats"
	"govfleet/internal/store"
	"govfleet/internal/supervision"
)

// snapshot reads the roll-ups as comparable text.
func snapshot(t *testing.T, db *store.DB) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	var ds []stats.Day
	if err := db.R.NewSelect().Model(&ds).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range ds {
		out[fmt.Sprint("day ", d.VehicleID, " ", d.Day)] = fmt.Sprint(d.UnitID, d.UnitPath, d.DistanceM, d.DrivingS, d.Trips, d.Orders)
	}
	var ms []stats.Month
	if err := db.R.NewSelect().Model(&ms).Scan(ctx); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		out[fmt.Sprint("month ", m.Month, " ", m.UnitID)] = fmt.Sprint(m.UnitPath, m.DistanceM, m.DrivingS, m.Trips, m.Orders, m.VehicleDays, m.Vehicles, m.Days)
	}
	var os []struct {
		UnitID int64  `bun:"unit_id"`
		Day    string `bun:"day"`
		Orders int64  `bun:"orders"`
	}
	if err := db.R.NewSelect().Table("rollup_unit_orders").Column("unit_id", "day", "orders").Scan(ctx, &os); err != nil {
		t.Fatal(err)
	}
	for _, o := range os {
		out[fmt.Sprint("orders ", o.UnitID, " ", o.Day)] = fmt.Sprint(o.Orders)
	}
	var ns []struct {
		Month string `bun:"month"`
		Path  string `bun:"node_path"`
		M     int64  `bun:"distance_m"`
		S     int64  `bun:"driving_s"`
		T     int64  `bun:"trips"`
		O     int64  `bun:"orders"`
		VD    int64  `bun:"vehicle_days"`
		AD    int64  `bun:"available_days"`
	}
	if err := db.R.NewSelect().Table("rollup_nodes").Column("month", "node_path", "distance_m", "driving_s", "trips", "orders", "vehicle_days", "available_days").Scan(ctx, &ns); err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		out[fmt.Sprint("node ", n.Month, " ", n.Path)] = fmt.Sprint(n.M, n.S, n.T, n.O, n.VD, n.AD)
	}
	var cs []struct {
		Month string `bun:"month"`
		Path  string `bun:"node_path"`
		Kind  string `bun:"kind"`
		Fen   int64  `bun:"amount_fen"`
	}
	if err := db.R.NewSelect().Table("rollup_node_costs").Column("month", "node_path", "kind", "amount_fen").Scan(ctx, &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		out[fmt.Sprint("node cost ", c.Month, " ", c.Path, " ", c.Kind)] = fmt.Sprint(c.Fen)
	}
	return out
}

func same(t *testing.T, what string, kept, fresh map[string]string) {
	t.Helper()
	if len(kept) != len(fresh) {
		t.Errorf("%s: %d kept rows, %d recomputed", what, len(kept), len(fresh))
	}
	n := 0
	for k, f := range fresh {
		if kept[k] != f && n < 10 {
			n++
			t.Errorf("%s: %s kept %q, recomputed %q", what, k, kept[k], f)
		}
	}
}

// The roll-ups the minute job keeps incrementally (by its cursor over the
// trips' and orders' changes) equal a fresh recomputation of the range
// after random writes: mileage and trips of random vehicle-days, orders
// that run, are cancelled or change their pick-up day.
func TestRollupsAgreeWithRecomputation(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db, ctx := w.DB, context.Background()
		s := w.Stats
		if _, err := s.Refresh(ctx); err != nil { // no cursor yet: rebuilds 13 months
			t.Fatal(err)
		}
		now := time.Now().UTC()
		from := beijing.Date(beijing.MonthStart(now).AddDate(-1, 0, 0))
		to := beijing.Date(now)
		base := snapshot(t, db)
		if err := s.Rebuild(ctx, from, to); err != nil {
			t.Fatal(err)
		}
		same(t, "after the first run", base, snapshot(t, db))

		var vs []struct {
			ID     int64 `bun:"id"`
			UnitID int64 `bun:"unit_id"`
		}
		if err := db.R.NewSelect().Table("vehicles").Column("id", "unit_id").Where("status <> 'disposed'").Order("id").Limit(15).Scan(ctx, &vs); err != nil {
			t.Fatal(err)
		}
		r := rand.New(rand.NewPCG(23, 7))
		for round := 0; round < 3; round++ {
			time.Sleep(10 * time.Millisecond)
			stamp := time.Now().UTC()
			for i := 0; i < 8; i++ {
				v := vs[r.IntN(len(vs))]
				start := beijing.DayStart(now).AddDate(0, 0, -r.IntN(40)).Add(time.Duration(8+r.IntN(10)) * time.Hour).Add(time.Duration(r.IntN(3600)) * time.Second)
				day := beijing.Date(start)
				km := int64(1000 + r.IntN(80000))
				if _, err := db.W.NewRaw(`INSERT INTO trips (vehicle_id, unit_id, terminal_phone, started_at, ended_at, start_lat, start_lng, end_lat, end_lng,
					distance_m, max_speed, points, state, created_at, updated_at, driving_s) VALUES (?, ?, '13900000000', ?, ?, 0, 0, 0, 0, ?, 500, 10, 'closed', ?, ?, 1800)
					ON CONFLICT (vehicle_id, started_at) DO NOTHING`, v.ID, v.UnitID, start, start.Add(30*time.Minute), km, stamp, stamp).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				if _, err := db.W.NewRaw(`INSERT INTO vehicle_daily_mileage (vehicle_id, day, unit_id, distance_m, trips, driving_s) VALUES (?, ?, ?, ?, 1, 1800)
					ON CONFLICT (vehicle_id, day) DO UPDATE SET distance_m = vehicle_daily_mileage.distance_m + EXCLUDED.distance_m,
					trips = vehicle_daily_mileage.trips + 1, driving_s = vehicle_daily_mileage.driving_s + 1800`, v.ID, day, v.UnitID, km).Exec(ctx); err != nil {
					t.Fatal(err)
				}
			}
			var ids []int64
			if err := db.R.NewSelect().Table("orders").Column("id").Where("vehicle_id IS NOT NULL AND pickup_at >= ?", beijing.DayStart(now).AddDate(0, 0, -40).UTC()).
				Order("id").Scan(ctx, &ids); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 10 && len(ids) > 0; i++ {
				id := ids[r.IntN(len(ids))]
				switch r.IntN(3) {
				case 0:
					_, err := db.W.NewRaw("UPDATE orders SET state = 'closed', updated_at = ? WHERE id = ?", stamp, id).Exec(ctx)
					if err != nil {
						t.Fatal(err)
					}
				case 1:
					_, err := db.W.NewRaw("UPDATE orders SET state = 'cancelled', updated_at = ? WHERE id = ?", stamp, id).Exec(ctx)
					if err != nil {
						t.Fatal(err)
					}
				default:
					if _, err := db.W.NewRaw("UPDATE orders SET state = 'departed', updated_at = ? WHERE id = ?", stamp, id).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
			}
			if _, err := s.Refresh(ctx); err != nil {
				t.Fatal(err)
			}
			kept := snapshot(t, db)
			if err := s.Rebuild(ctx, from, to); err != nil {
				t.Fatal(err)
			}
			same(t, fmt.Sprintf("round %d", round), kept, snapshot(t, db))
		}
	})
}

var ran = "departed,finished,back,closed"

// A dashboard's numbers agree with the lists they drill into, at the
// city, a district and a unit, and are what a fresh count of the detail
// rows gives: orders (用车订单查询 by unit, pick-up days and the states that
// ran), cases (监督案件 by month), vehicles and the excess (组织机构),
// vehicle-days and kilometres (the daily mileage), utilisation by hand.
func TestDashboardAgreesWithLists(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		now := time.Now()
		month := beijing.Month(beijing.MonthStart(now).AddDate(0, -1, 0)) // last month: whole
		from, _ := beijing.ParseMonth(month)
		to := from.AddDate(0, 1, 0)
		city := w.Actor(t, "city_admin")
		var district, unit int64
		if err := w.DB.R.NewRaw(`SELECT o.unit_id FROM orders o JOIN units u ON u.id = o.unit_id WHERE u.district_id IS NOT NULL AND o.state IN ('closed', 'back')
			AND o.pickup_at >= ? AND o.pickup_at < ? GROUP BY o.unit_id ORDER BY COUNT(*) DESC LIMIT 1`, from.UTC(), to.UTC()).Scan(ctx, &unit); err != nil {
			t.Fatal(err)
		}
		if err := w.DB.R.NewSelect().Table("units").Column("district_id").Where("id = ?", unit).Scan(ctx, &district); err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			who  string
			node int64
		}{{"city_admin", 0}, {"city_cz", 0}, {"city_admin", district}, {"city_admin", unit}, {"jgj_admin", 0}} {
			a := w.Actor(t, c.who)
			d, err := w.Stats.Dashboard(ctx, a, c.node, month)
			if err != nil {
				t.Fatalf("%s %d: %v", c.who, c.node, err)
			}
			what := fmt.Sprintf("%s at %s", c.who, d.Node.Name)
			if !a.Has(access.OrderRead) {
				t.Fatalf("%s cannot open the order list the dashboard links to", c.who)
			}
			_, n, err := w.Booking.List(ctx, a, booking.Filter{UnitID: d.Node.ID, State: ran, From: from, To: to, Page: 1, Size: 1})
			if err != nil {
				t.Fatal(err)
			}
			if int64(n) != d.Current.Orders || n == 0 && c.node == unit {
				t.Errorf("%s: dashboard %d orders, the order list %d", what, d.Current.Orders, n)
			}
			var sum int64
			for _, ch := range d.Children {
				if ch.Kind != "vehicle" {
					sum += ch.Orders
				}
			}
			if d.Node.Kind != org.KindUnit && sum > d.Current.Orders {
				t.Errorf("%s: the children's orders %d exceed the node's %d", what, sum, d.Current.Orders)
			}
			_, cases, err := w.Supervision.Cases(ctx, city, supervision.CaseFilter{UnitID: d.Node.ID, Month: month, Page: 1, Size: 1})
			if err != nil {
				t.Fatal(err)
			}
			if int64(cases) != d.Supervise.Cases {
				t.Errorf("%s: dashboard %d cases, the case list %d", what, d.Supervise.Cases, cases)
			}
			u, err := w.Org.Get(ctx, city, d.Node.ID)
			if err != nil {
				t.Fatal(err)
			}
			if int64(u.VehicleCount) != d.Vehicles || int64(u.VehicleQuota) != d.Quota || int64(u.OverBy) != d.Excess || u.OverQuota != (d.Excess > 0) {
				t.Errorf("%s: dashboard %d vehicles, quota %d, excess %d; 组织机构 %d, %d, %d (超编 %v)", what, d.Vehicles, d.Quota, d.Excess,
					u.VehicleCount, u.VehicleQuota, u.OverBy, u.OverQuota)
			}
			// A fresh count of the detail rows.
			var fresh struct {
				VehicleDays int64 `bun:"vd"`
				DistanceM   int64 `bun:"m"`
			}
			var path string
			if err := w.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", d.Node.ID).Scan(ctx, &path); err != nil {
				t.Fatal(err)
			}
			if err := w.DB.R.NewRaw(`SELECT COUNT(*) AS vd, COALESCE(SUM(distance_m), 0) AS m FROM (
				SELECT m.vehicle_id, m.day, m.distance_m FROM vehicle_daily_mileage m JOIN units u ON u.id = m.unit_id
				WHERE u.path LIKE ? AND m.day >= ? AND m.day < ? AND (m.distance_m > 0 OR m.trips > 0 OR m.driving_s > 0)) x`,
				path+"%", month+"-01", beijing.Date(to)).Scan(ctx, &fresh); err != nil {
				t.Fatal(err)
			}
			if km := float64(fresh.DistanceM) / 1000; d.Current.DistanceKm < km-0.1 || d.Current.DistanceKm > km+0.1 {
				t.Errorf("%s: dashboard %.1f km, the daily mileage %.1f", what, d.Current.DistanceKm, km)
			}
			if d.Current.VehicleDays < fresh.VehicleDays {
				t.Errorf("%s: %d vehicle-days used, fewer than the %d days with mileage", what, d.Current.VehicleDays, fresh.VehicleDays)
			}
			days := int64(to.Sub(from).Hours()/24 + 0.5)
			if d.Node.Kind == org.KindUnit && d.Current.AvailableDays != d.Vehicles*days {
				t.Errorf("%s: %d available vehicle-days, want %d × %d", what, d.Current.AvailableDays, d.Vehicles, days)
			}
			if want := stats.Utilisation(d.Current.VehicleDays, 1, int(d.Current.AvailableDays)); d.Current.AvailableDays > 0 && d.Current.Utilisation != want {
				t.Errorf("%s: utilisation %v, by hand %v", what, d.Current.Utilisation, want)
			}
			if len(d.Months) != 12 || d.Months[11].Period != month {
				t.Errorf("%s: months %d, last %s", what, len(d.Months), d.Months[11].Period)
			}
			for _, chart := range stats.Charts {
				if _, err := d.Sheet(chart.Key); err != nil {
					t.Errorf("%s: chart %s: %v", what, chart.Key, err)
				}
			}
		}
		// A unit's vehicles: each one's orders are the order list's by vehicle.
		d, err := w.Stats.Dashboard(ctx, city, unit, month)
		if err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, v := range d.Children {
			if v.Orders == 0 || checked == 3 {
				continue
			}
			checked++
			_, n, err := w.Booking.List(ctx, city, booking.Filter{VehicleID: v.ID, State: ran, From: from, To: to, Page: 1, Size: 1})
			if err != nil {
				t.Fatal(err)
			}
			if int64(n) != v.Orders {
				t.Errorf("%s: dashboard %d orders, the order list %d", v.Name, v.Orders, n)
			}
		}
		// Out of scope: refused.
		if _, err := w.Stats.Dashboard(ctx, w.Actor(t, "jgj_admin"), district, month); err == nil {
			t.Error("a unit administrator read a district's dashboard")
		}
	})
}

// The node roll-ups are the sums of the unit months and cost roll-ups of
// every unit at or below each node (what the dashboards summed with
// unit_path LIKE before), and a cost posted to the ledger shows on the
// dashboards of the city, the vehicle's district and unit and on the vehicle
// after the next minute job.
func TestNodeRollupsAreTheUnitSums(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db, ctx := w.DB, context.Background()
		if _, err := w.Stats.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		// read runs a query of node rows (month, path, values) and one of
		// node costs (month, path and kind, amount).
		read := func(nodes, costs string) map[string]string {
			t.Helper()
			out := map[string]string{}
			for i, q := range []string{nodes, costs} {
				var ms []struct {
					Month string `bun:"month"`
					Path  string `bun:"path"`
					V     string `bun:"v"`
				}
				if err := db.R.NewRaw(q).Scan(ctx, &ms); err != nil {
					t.Fatal(err)
				}
				for _, m := range ms {
					out[fmt.Sprint(i, " ", m.Month, " ", m.Path)] = m.V
				}
			}
			return out
		}
		// What the dashboards summed with LIKE, and the node rows kept.
		sums := func() map[string]string {
			return read(`SELECT m.month, n.path, CAST(SUM(m.distance_m) AS TEXT) || ' ' || CAST(SUM(m.driving_s) AS TEXT) || ' ' || CAST(SUM(m.trips) AS TEXT)
				|| ' ' || CAST(SUM(m.orders) AS TEXT) || ' ' || CAST(SUM(m.vehicle_days) AS TEXT) || ' ' || CAST(SUM(m.vehicles * m.days) AS TEXT) AS v
				FROM units n JOIN rollup_months m ON m.unit_path LIKE n.path || '%' GROUP BY m.month, n.path`,
				`SELECT c.month, n.path || ' ' || c.kind AS path, CAST(SUM(c.amount_fen) AS TEXT) AS v
				FROM units n JOIN rollup_costs c ON c.unit_path LIKE n.path || '%' GROUP BY c.month, n.path, c.kind`)
		}
		kept := func() map[string]string {
			return read(`SELECT n.month, n.node_path AS path, CAST(distance_m AS TEXT) || ' ' || CAST(driving_s AS TEXT) || ' ' || CAST(trips AS TEXT)
				|| ' ' || CAST(orders AS TEXT) || ' ' || CAST(vehicle_days AS TEXT) || ' ' || CAST(available_days AS TEXT) AS v
				FROM rollup_nodes n WHERE n.node_path IN (SELECT path FROM units)`,
				`SELECT month, node_path || ' ' || kind AS path, CAST(amount_fen AS TEXT) AS v
				FROM rollup_node_costs WHERE node_path IN (SELECT path FROM units)`)
		}
		same(t, "node roll-ups", kept(), sums())

		// A new cost shows at the next read after the minute job.
		var v struct {
			ID     int64  `bun:"id"`
			UnitID int64  `bun:"unit_id"`
			Path   string `bun:"path"`
		}
		if err := db.R.NewSelect().TableExpr("vehicles AS v").Join("JOIN units AS u ON u.id = v.unit_id").ColumnExpr("v.id, v.unit_id, u.path").
			Where("u.district_id IS NOT NULL AND v.status <> 'disposed'").OrderExpr("v.id").Limit(1).Scan(ctx, &v); err != nil {
			t.Fatal(err)
		}
		ids := pathIDsOf(v.Path)
		city := w.Actor(t, "city_admin")
		at := time.Now() // the cost's instant: its month is the one read, also across a month's last midnight
		month := beijing.Month(at)
		costs := func() (out []int64) {
			t.Helper()
			for _, node := range []int64{0, ids[1], v.UnitID} {
				d, err := w.Stats.Dashboard(ctx, city, node, month)
				if err != nil {
					t.Fatal(err)
				}
				out = append(out, d.Current.CostFen)
				for _, c := range d.Children {
					if c.ID == ids[1] && node == 0 || c.ID == v.UnitID && node == ids[1] || c.ID == v.ID && c.Kind == "vehicle" {
						out = append(out, c.CostFen)
					}
				}
			}
			return out
		}
		before := costs()
		if len(before) != 6 {
			t.Fatalf("the city, district and unit with their child on the vehicle's way: %d figures", len(before))
		}
		e := ledger.Entry{VehicleID: &v.ID, UnitID: v.UnitID, Kind: "fuel", AmountFen: 12345, Source: "node_test", SourceID: 1, OccurredAt: at}
		if err := db.Tx(ctx, func(tx bun.Tx) error { return ledger.Post(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Stats.Refresh(ctx); err != nil {
			t.Fatal(err)
		}
		after := costs()
		for i := range before {
			if after[i] != before[i]+12345 {
				t.Errorf("figure %d (city, its district, district, its unit, unit, its vehicle): %d fen before, %d after a cost of 12345", i, before[i], after[i])
			}
		}
		same(t, "node roll-ups after the cost", kept(), sums())
	})
}

func pathIDsOf(path string) (out []int64) {
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		id, _ := strconv.ParseInt(p, 10, 64)
		out = append(out, id)
	}
	return out
}
