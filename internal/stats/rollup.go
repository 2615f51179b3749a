// Package stats is statistics and analysis (R-10, issue 23): the daily
// roll-ups per vehicle the dashboards read instead of positions, trips and
// orders, the figures of the dashboards — each defined once, here, and used
// by the dashboard and the detail page it drills into — and data
// extraction. docs/statistics.md defines every figure.
package stats

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Service answers the dashboards and data extraction and keeps the roll-ups.
type Service struct {
	DB     *store.DB
	Latest *telematics.Latest // the live map's latest positions: terminal online rate
	Now    func() time.Time

	wholeDay string // the Beijing day the current month was last summed whole (Refresh)

	regMu sync.Mutex
	reg   map[string]*registry // a node's registry breakdown, RegistryTTL (figures.go)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RanStates are the states of an order that ran (出车订单): the vehicle
// left. An order counts on the Beijing day of its pick-up time, at the unit
// of the vehicle that served it.
var RanStates = []string{"departed", "finished", "back", "closed"}

// Day is a vehicle's roll-up of one Beijing day: stored only for the days it
// was used (driven or an order ran).
type Day struct {
	bun.BaseModel `bun:"table:rollup_days"`

	VehicleID int64  `bun:"vehicle_id,pk" json:"vehicle_id"`
	Day       string `bun:"day,pk" json:"day"`
	UnitID    int64  `bun:"unit_id" json:"unit_id"`
	UnitPath  string `bun:"unit_path" json:"-"`
	DistanceM int64  `bun:"distance_m" json:"distance_m"`
	DrivingS  int64  `bun:"driving_s" json:"driving_s"`
	Trips     int64  `bun:"trips" json:"trips"`
	Orders    int64  `bun:"orders" json:"orders"`
}

// Month is a unit's roll-up of one Beijing month.
type Month struct {
	bun.BaseModel `bun:"table:rollup_months"`

	Month       string `bun:"month,pk" json:"month"`
	UnitID      int64  `bun:"unit_id,pk" json:"unit_id"`
	UnitPath    string `bun:"unit_path" json:"-"`
	DistanceM   int64  `bun:"distance_m" json:"distance_m"`
	DrivingS    int64  `bun:"driving_s" json:"driving_s"`
	Trips       int64  `bun:"trips" json:"trips"`
	Orders      int64  `bun:"orders" json:"orders"`
	VehicleDays int64  `bun:"vehicle_days" json:"vehicle_days"`
	Vehicles    int64  `bun:"vehicles" json:"vehicles"`
	Days        int    `bun:"days" json:"days"`
}

type dayKey struct {
	vehicle int64
	day     string
}

// compute reads the roll-ups of the Beijing days from..to (inclusive) from
// vehicle_daily_mileage and the orders that ran, for the vehicles given
// (nil: every vehicle).
func compute(ctx context.Context, db bun.IDB, from, to string, vehicles []int64) (map[dayKey]*Day, error) {
	out, _, err := computeAll(ctx, db, from, to, vehicles)
	return out, err
}

// unitOrders are the orders that ran per ordering unit and day.
type unitOrders struct {
	bun.BaseModel `bun:"table:rollup_unit_orders"`

	UnitID   int64  `bun:"unit_id,pk"`
	Day      string `bun:"day,pk"`
	UnitPath string `bun:"unit_path"`
	Orders   int64  `bun:"orders"`
}

// computeAll is compute with, when vehicles is nil, the orders per
// ordering unit and day too.
func computeAll(ctx context.Context, db bun.IDB, from, to string, vehicles []int64) (map[dayKey]*Day, map[dayKey]*unitOrders, error) {
	out := map[dayKey]*Day{}
	byUnit := map[dayKey]*unitOrders{}
	var ms []struct {
		VehicleID int64  `bun:"vehicle_id"`
		Day       string `bun:"day"`
		UnitID    int64  `bun:"unit_id"`
		Path      string `bun:"path"`
		DistanceM int64  `bun:"distance_m"`
		DrivingS  int64  `bun:"driving_s"`
		Trips     int64  `bun:"trips"`
	}
	q := db.NewSelect().TableExpr("vehicle_daily_mileage AS m").
		ColumnExpr("m.vehicle_id, m.day, m.unit_id, u.path, m.distance_m, m.driving_s, m.trips").
		Join("JOIN units AS u ON u.id = m.unit_id").Where("m.day >= ? AND m.day <= ?", from, to)
	if vehicles != nil {
		q = q.Where("m.vehicle_id IN (?)", bun.In(vehicles))
	}
	if err := q.Scan(ctx, &ms); err != nil {
		return nil, nil, store.Translate(err)
	}
	for _, m := range ms {
		if m.DistanceM == 0 && m.DrivingS == 0 && m.Trips == 0 {
			continue
		}
		out[dayKey{m.VehicleID, m.Day}] = &Day{VehicleID: m.VehicleID, Day: m.Day, UnitID: m.UnitID, UnitPath: m.Path,
			DistanceM: m.DistanceM, DrivingS: m.DrivingS, Trips: m.Trips}
	}
	start, err := beijing.ParseDate(from)
	if err != nil {
		return nil, nil, err
	}
	end, err := beijing.ParseDate(to)
	if err != nil {
		return nil, nil, err
	}
	var os []struct {
		VehicleID *int64    `bun:"vehicle_id"`
		PickupAt  time.Time `bun:"pickup_at"`
		UnitID    *int64    `bun:"unit_id"`
		Path      *string   `bun:"path"`
		OrderUnit int64     `bun:"order_unit"`
		OrderPath string    `bun:"order_path"`
	}
	// Every order that ran counts at its ordering unit; those with a
	// registry vehicle (not a rental company's) count at the vehicle too.
	oq := db.NewSelect().TableExpr("orders AS o").ColumnExpr("o.vehicle_id, o.pickup_at, v.unit_id, u.path, o.unit_id AS order_unit, ou.path AS order_path").
		Join("LEFT JOIN vehicles AS v ON v.id = o.vehicle_id").Join("LEFT JOIN units AS u ON u.id = v.unit_id").Join("JOIN units AS ou ON ou.id = o.unit_id").
		Where("o.pickup_at >= ? AND o.pickup_at < ?", start.UTC(), end.AddDate(0, 0, 1).UTC()).
		Where("o.state IN (?)", bun.In(RanStates))
	if vehicles != nil {
		oq = oq.Where("o.vehicle_id IN (?)", bun.In(vehicles))
	}
	if err := oq.Scan(ctx, &os); err != nil {
		return nil, nil, store.Translate(err)
	}
	for _, o := range os {
		uk := dayKey{o.OrderUnit, beijing.Date(o.PickupAt)}
		if byUnit[uk] == nil {
			byUnit[uk] = &unitOrders{UnitID: o.OrderUnit, Day: uk.day, UnitPath: o.OrderPath}
		}
		byUnit[uk].Orders++
		if o.VehicleID == nil || o.UnitID == nil {
			continue
		}
		k := dayKey{*o.VehicleID, beijing.Date(o.PickupAt)}
		d := out[k]
		if d == nil {
			d = &Day{VehicleID: *o.VehicleID, Day: k.day, UnitID: *o.UnitID, UnitPath: *o.Path}
			out[k] = d
		}
		d.Orders++
	}
	return out, byUnit, nil
}

// ordersOfDay counts the orders that ran on a Beijing day per ordering unit.
func ordersOfDay(ctx context.Context, db bun.IDB, day string) ([]*unitOrders, error) {
	d, err := beijing.ParseDate(day)
	if err != nil {
		return nil, err
	}
	var rows []*unitOrders
	err = db.NewSelect().TableExpr("orders AS o").Join("JOIN units AS u ON u.id = o.unit_id").
		ColumnExpr("o.unit_id, ? AS day, MAX(u.path) AS unit_path, COUNT(*) AS orders", day).
		Where("o.pickup_at >= ? AND o.pickup_at < ? AND o.state IN (?)", d.UTC(), d.AddDate(0, 0, 1).UTC(), bun.In(RanStates)).
		GroupExpr("o.unit_id").Scan(ctx, &rows)
	return rows, store.Translate(err)
}

// unitMonth is a unit's month to sum again from its days.
type unitMonth struct {
	month string
	unit  int64
}

// Rebuild recomputes the roll-ups of the Beijing days from..to (inclusive,
// YYYY-MM-DD) from the mileage and the orders, and the unit months and
// costs of the months they touch, in one transaction (govfleet
// rollup-rebuild; the demo after its bulk load).
func (s *Service) Rebuild(ctx context.Context, from, to string) error {
	f, err1 := beijing.ParseDate(from)
	t, err2 := beijing.ParseDate(to)
	if err1 != nil || err2 != nil || t.Before(f) {
		return errs.E(errs.Invalid, "日期范围无效：%s 至 %s", from, to)
	}
	days, orders, err := computeAll(ctx, s.DB.R, from, to, nil)
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Day)(nil)).Where("day >= ? AND day <= ?", from, to).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.NewDelete().Model((*unitOrders)(nil)).Where("day >= ? AND day <= ?", from, to).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if err := insertAll(ctx, tx, values(days)); err != nil {
			return err
		}
		if err := insertAll(ctx, tx, values(orders)); err != nil {
			return err
		}
		var months []string
		for m := beijing.MonthStart(f); !m.After(t); m = m.AddDate(0, 1, 0) {
			months = append(months, beijing.Month(m))
		}
		if err := s.sumMonths(ctx, tx, months, nil); err != nil {
			return err
		}
		if err := SumCosts(ctx, tx, months); err != nil {
			return err
		}
		return sumNodes(ctx, tx, months)
	})
}

func values[T any](m map[dayKey]*T) []*T {
	keys := make([]dayKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b dayKey) int {
		if a.vehicle != b.vehicle {
			return int(a.vehicle - b.vehicle)
		}
		return cmpStr(a.day, b.day)
	})
	out := make([]*T, len(keys))
	for i, k := range keys {
		out[i] = m[k]
	}
	return out
}

// insertAll inserts rows in statements of 500.
func insertAll[T any](ctx context.Context, tx bun.IDB, rows []*T) error {
	for len(rows) > 0 {
		n := min(len(rows), 500)
		batch := rows[:n]
		if _, err := tx.NewInsert().Model(&batch).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		rows = rows[n:]
	}
	return nil
}

func cmpStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// daysOf is how many days of month count as available: the whole month,
// up to today for the current month, none for a future one.
func daysOf(month string, now time.Time) int {
	m, err := beijing.ParseMonth(month)
	if err != nil {
		return 0
	}
	next := m.AddDate(0, 1, 0)
	today := beijing.DayStart(now)
	switch {
	case !today.Before(next):
		return int(next.Sub(m).Hours()/24 + 0.5)
	case today.Before(m):
		return 0
	}
	return int(today.Sub(m).Hours()/24+0.5) + 1
}

// sumMonths writes the unit months of months again from the day roll-ups:
// for the units given (nil: every unit). Every active unit holding vehicles
// gets a row, used or not, so that the available vehicle-days count it.
func (s *Service) sumMonths(ctx context.Context, tx bun.IDB, months []string, units []int64) error {
	if len(months) == 0 {
		return nil
	}
	now := s.now()
	for _, month := range months {
		del := tx.NewDelete().Model((*Month)(nil)).Where("month = ?", month)
		if units != nil {
			del = del.Where("unit_id IN (?)", bun.In(units))
		}
		if _, err := del.Exec(ctx); err != nil {
			return store.Translate(err)
		}
		var rows []*Month
		q := tx.NewSelect().TableExpr("rollup_days AS d").
			ColumnExpr("? AS month, d.unit_id, MAX(d.unit_path) AS unit_path", month).
			ColumnExpr("SUM(d.distance_m) AS distance_m, SUM(d.driving_s) AS driving_s, SUM(d.trips) AS trips, SUM(d.orders) AS orders, COUNT(*) AS vehicle_days").
			Where("d.day >= ? AND d.day <= ?", month+"-01", month+"-31").GroupExpr("d.unit_id")
		if units != nil {
			q = q.Where("d.unit_id IN (?)", bun.In(units))
		}
		if err := q.Scan(ctx, &rows); err != nil {
			return store.Translate(err)
		}
		have := map[int64]*Month{}
		for _, r := range rows {
			r.Orders = 0 // counted at the ordering unit, below
			have[r.UnitID] = r
		}
		var os []struct {
			UnitID int64  `bun:"unit_id"`
			Path   string `bun:"unit_path"`
			Orders int64  `bun:"orders"`
		}
		oq := tx.NewSelect().Model((*unitOrders)(nil)).ColumnExpr("unit_id, MAX(unit_path) AS unit_path, SUM(orders) AS orders").
			Where("day >= ? AND day <= ?", month+"-01", month+"-31").GroupExpr("unit_id")
		if units != nil {
			oq = oq.Where("unit_id IN (?)", bun.In(units))
		}
		if err := oq.Scan(ctx, &os); err != nil {
			return store.Translate(err)
		}
		for _, o := range os {
			r := have[o.UnitID]
			if r == nil {
				r = &Month{Month: month, UnitID: o.UnitID, UnitPath: o.Path}
				have[o.UnitID] = r
				rows = append(rows, r)
			}
			r.Orders = o.Orders
		}
		var us []struct {
			ID    int64  `bun:"id"`
			Path  string `bun:"path"`
			Count int64  `bun:"vehicle_count"`
		}
		uq := tx.NewSelect().Table("units").Column("id", "path", "vehicle_count").Where("kind = 'unit'")
		if units != nil {
			uq = uq.Where("id IN (?)", bun.In(units))
		}
		if err := uq.Scan(ctx, &us); err != nil {
			return store.Translate(err)
		}
		days := daysOf(month, now)
		for _, u := range us {
			r := have[u.ID]
			if r == nil {
				if u.Count == 0 {
					continue
				}
				r = &Month{Month: month, UnitID: u.ID}
				rows = append(rows, r)
			}
			r.UnitPath, r.Vehicles, r.Days = u.Path, u.Count, days
		}
		for len(rows) > 0 {
			n := min(len(rows), 500)
			batch := rows[:n]
			if _, err := tx.NewInsert().Model(&batch).Exec(ctx); err != nil {
				return store.Translate(err)
			}
			rows = rows[n:]
		}
	}
	return nil
}

// Resum writes the unit months and the cost roll-ups of months again from
// the day roll-ups and the ledger's kept totals, in one transaction (after
// a bulk load that wrote the day roll-ups directly).
func (s *Service) Resum(ctx context.Context, months []string) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		if err := s.sumMonths(ctx, tx, months, nil); err != nil {
			return err
		}
		if err := SumCosts(ctx, tx, months); err != nil {
			return err
		}
		return sumNodes(ctx, tx, months)
	})
}

// SumCosts writes the cost roll-ups (rollup_costs: unit, month, kind) of
// months again from the cost ledger's kept totals.
func SumCosts(ctx context.Context, tx bun.IDB, months []string) error {
	if len(months) == 0 {
		return nil
	}
	if _, err := tx.NewRaw("DELETE FROM rollup_costs WHERE month IN (?)", bun.In(months)).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	_, err := tx.NewRaw(`INSERT INTO rollup_costs (month, unit_id, unit_path, kind, amount_fen)
		SELECT period, unit_id, MAX(unit_path), kind, SUM(amount_fen) FROM cost_totals
		WHERE period IN (?) GROUP BY period, unit_id, kind`, bun.In(months)).Exec(ctx)
	return store.Translate(err)
}

// nodeMonth is a node's month: the unit months of every unit at or below
// it (rollup_nodes).
type nodeMonth struct {
	bun.BaseModel `bun:"table:rollup_nodes"`

	Month         string `bun:"month,pk"`
	NodePath      string `bun:"node_path,pk"`
	DistanceM     int64  `bun:"distance_m"`
	DrivingS      int64  `bun:"driving_s"`
	Trips         int64  `bun:"trips"`
	Orders        int64  `bun:"orders"`
	VehicleDays   int64  `bun:"vehicle_days"`
	AvailableDays int64  `bun:"available_days"`
}

// nodeCost is a node's costs of a kind in a month (rollup_node_costs).
type nodeCost struct {
	bun.BaseModel `bun:"table:rollup_node_costs"`

	Month     string `bun:"month,pk"`
	NodePath  string `bun:"node_path,pk"`
	Kind      string `bun:"kind,pk"`
	AmountFen int64  `bun:"amount_fen"`
}

// prefixes are the node paths a unit path lies under, itself included
// (/1/3/105/ → /1/, /1/3/, /1/3/105/): exactly the paths P for which
// unit_path LIKE P || '%'.
func prefixes(path string) []string {
	var out []string
	for i := 1; i < len(path); i++ {
		if path[i] == '/' {
			out = append(out, path[:i+1])
		}
	}
	return out
}

// sumNodes writes the node months and node costs of months again from the
// unit months and cost roll-ups (run after them, in their transaction):
// each row of those counts at every node path above or at its unit.
func sumNodes(ctx context.Context, tx bun.IDB, months []string) error {
	for _, month := range months {
		var ms []*Month
		if err := tx.NewSelect().Model(&ms).Where("month = ?", month).Scan(ctx); err != nil {
			return store.Translate(err)
		}
		nodes := map[string]*nodeMonth{}
		for _, m := range ms {
			for _, p := range prefixes(m.UnitPath) {
				n := nodes[p]
				if n == nil {
					n = &nodeMonth{NodePath: p, Month: month}
					nodes[p] = n
				}
				n.DistanceM += m.DistanceM
				n.DrivingS += m.DrivingS
				n.Trips += m.Trips
				n.Orders += m.Orders
				n.VehicleDays += m.VehicleDays
				n.AvailableDays += m.Vehicles * int64(m.Days)
			}
		}
		var cs []struct {
			Path string `bun:"unit_path"`
			Kind string `bun:"kind"`
			Fen  int64  `bun:"amount_fen"`
		}
		if err := tx.NewSelect().Table("rollup_costs").Column("unit_path", "kind", "amount_fen").Where("month = ?", month).Scan(ctx, &cs); err != nil {
			return store.Translate(err)
		}
		type pk struct{ path, kind string }
		costs := map[pk]*nodeCost{}
		for _, c := range cs {
			for _, p := range prefixes(c.Path) {
				n := costs[pk{p, c.Kind}]
				if n == nil {
					n = &nodeCost{NodePath: p, Month: month, Kind: c.Kind}
					costs[pk{p, c.Kind}] = n
				}
				n.AmountFen += c.Fen
			}
		}
		if err := syncMonth(ctx, tx, month, nodes, func(n *nodeMonth) string { return n.NodePath }, "month, node_path",
			"distance_m = EXCLUDED.distance_m, driving_s = EXCLUDED.driving_s, trips = EXCLUDED.trips, orders = EXCLUDED.orders, "+
				"vehicle_days = EXCLUDED.vehicle_days, available_days = EXCLUDED.available_days"); err != nil {
			return err
		}
		if err := syncMonth(ctx, tx, month, costs, func(c *nodeCost) pk { return pk{c.NodePath, c.Kind} }, "month, node_path, kind", "amount_fen = EXCLUDED.amount_fen"); err != nil {
			return err
		}
	}
	return nil
}

// syncMonth makes the rows of month in T's table those of rows, writing
// only the rows that differ: the minute job sums this month and the last
// again every minute, and most of their nodes have not changed.
func syncMonth[K comparable, T comparable](ctx context.Context, tx bun.IDB, month string, rows map[K]*T, key func(*T) K, conflict, set string) error {
	var old []*T
	if err := tx.NewSelect().Model(&old).Where("month = ?", month).Scan(ctx); err != nil {
		return store.Translate(err)
	}
	kept := make(map[T]bool, len(old))
	for _, r := range old {
		kept[*r] = true
	}
	var put []*T
	for _, r := range rows {
		if !kept[*r] {
			put = append(put, r)
		}
		delete(kept, *r)
	}
	for r := range kept { // old rows that changed (put above) or are gone
		if rows[key(&r)] != nil {
			continue
		}
		if _, err := tx.NewDelete().Model(&r).WherePK().Exec(ctx); err != nil {
			return store.Translate(err)
		}
	}
	for len(put) > 0 {
		n := min(len(put), 500)
		batch := put[:n]
		if _, err := tx.NewInsert().Model(&batch).On("CONFLICT (" + conflict + ") DO UPDATE").Set(set).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		put = put[n:]
	}
	return nil
}

const cursorName = "days"

// lag is how far before its cursor the minute job reads again: a
// transaction that committed after the last run with an earlier clock is
// still seen (rolling a vehicle-day up twice changes nothing).
const lag = 2 * time.Minute

// RefreshStats is what a refresh did.
type RefreshStats struct {
	VehicleDays int
	Months      int
}

// Refresh is the minute job: the vehicle-days whose trips (and so mileage)
// or orders changed since the cursor are rolled up again, then their units'
// months, and the cost roll-ups of this month and the last; the cursor
// moves in the same transaction. Without a cursor (first run) it rebuilds
// the last 13 months.
func (s *Service) Refresh(ctx context.Context) (RefreshStats, error) {
	var st RefreshStats
	now := s.now()
	var cur time.Time
	err := s.DB.R.NewSelect().Table("rollup_cursor").Column("at").Where("name = ?", cursorName).Scan(ctx, &cur)
	if err != nil && !errs.Is(store.Translate(err), errs.NotFound) {
		return st, store.Translate(err)
	}
	if cur.IsZero() {
		from := beijing.MonthStart(now).AddDate(-1, 0, 0)
		if err := s.Rebuild(ctx, beijing.Date(from), beijing.Date(now)); err != nil {
			return st, err
		}
		return st, s.DB.Tx(ctx, func(tx bun.Tx) error { return setCursor(ctx, tx, now) })
	}
	since := cur.Add(-lag)
	dirty := map[string]map[int64]bool{} // day → vehicles
	mark := func(v int64, day string) {
		if dirty[day] == nil {
			dirty[day] = map[int64]bool{}
		}
		dirty[day][v] = true
	}
	var ts []struct {
		VehicleID int64     `bun:"vehicle_id"`
		StartedAt time.Time `bun:"started_at"`
		EndedAt   time.Time `bun:"ended_at"`
	}
	if err := s.DB.R.NewSelect().Table("trips").Column("vehicle_id", "started_at", "ended_at").
		Where("updated_at > ? AND updated_at <= ?", since, now).Scan(ctx, &ts); err != nil {
		return st, store.Translate(err)
	}
	for _, t := range ts {
		for d := beijing.DayStart(t.StartedAt); !d.After(t.EndedAt); d = d.AddDate(0, 0, 1) {
			mark(t.VehicleID, beijing.Date(d))
		}
	}
	var os []struct {
		VehicleID *int64    `bun:"vehicle_id"`
		PickupAt  time.Time `bun:"pickup_at"`
	}
	if err := s.DB.R.NewSelect().Table("orders").Column("vehicle_id", "pickup_at").
		Where("updated_at > ? AND updated_at <= ?", since, now).Scan(ctx, &os); err != nil {
		return st, store.Translate(err)
	}
	orderDays := map[string]bool{}
	for _, o := range os {
		if o.VehicleID != nil {
			mark(*o.VehicleID, beijing.Date(o.PickupAt))
		}
		orderDays[beijing.Date(o.PickupAt)] = true
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		touched := map[unitMonth]bool{}
		for day, set := range dirty {
			vs := make([]int64, 0, len(set))
			for v := range set {
				vs = append(vs, v)
			}
			slices.Sort(vs)
			rows, err := compute(ctx, tx, day, day, vs)
			if err != nil {
				return err
			}
			if err := replaceDay(ctx, tx, day, values(rows), func(d *Day) int64 { return d.UnitID }, touched,
				"day = ? AND vehicle_id IN (?)", day, bun.In(vs)); err != nil {
				return err
			}
			st.VehicleDays += len(vs)
		}
		// A day whose orders changed: its orders per ordering unit again.
		for day := range orderDays {
			rows, err := ordersOfDay(ctx, tx, day)
			if err != nil {
				return err
			}
			if err := replaceDay(ctx, tx, day, rows, func(o *unitOrders) int64 { return o.UnitID }, touched, "day = ?", day); err != nil {
				return err
			}
		}
		byMonth := map[string][]int64{}
		for um := range touched {
			byMonth[um.month] = append(byMonth[um.month], um.unit)
		}
		for m, us := range byMonth {
			if err := s.sumMonths(ctx, tx, []string{m}, us); err != nil {
				return err
			}
			st.Months += len(us)
		}
		// The current month's available days grow every day (and units
		// gain vehicles): its rows are summed whole once a day.
		if today := beijing.Date(now); s.wholeDay != today {
			if err := s.sumMonths(ctx, tx, []string{beijing.Month(now)}, nil); err != nil {
				return err
			}
			s.wholeDay = today
		}
		costs := []string{beijing.Month(beijing.MonthStart(now).AddDate(0, -1, 0)), beijing.Month(now)}
		if err := SumCosts(ctx, tx, costs); err != nil {
			return err
		}
		for _, m := range costs {
			byMonth[m] = nil
		}
		if err := sumNodes(ctx, tx, slices.Sorted(maps.Keys(byMonth))); err != nil {
			return err
		}
		return setCursor(ctx, tx, now)
	})
	return st, err
}

// replaceDay puts rows in place of the roll-ups of a day that where
// selects, and marks the months of the units of both as touched.
func replaceDay[T any](ctx context.Context, tx bun.IDB, day string, rows []*T, unit func(*T) int64, touched map[unitMonth]bool, where string, args ...any) error {
	var old []int64
	if err := tx.NewSelect().Model((*T)(nil)).Column("unit_id").Where(where, args...).Scan(ctx, &old); err != nil {
		return store.Translate(err)
	}
	if _, err := tx.NewDelete().Model((*T)(nil)).Where(where, args...).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if err := insertAll(ctx, tx, rows); err != nil {
		return err
	}
	for _, u := range old {
		touched[unitMonth{day[:7], u}] = true
	}
	for _, r := range rows {
		touched[unitMonth{day[:7], unit(r)}] = true
	}
	return nil
}

func setCursor(ctx context.Context, tx bun.IDB, at time.Time) error {
	_, err := tx.NewRaw("INSERT INTO rollup_cursor (name, at) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET at = EXCLUDED.at", cursorName, at).Exec(ctx)
	if err != nil {
		return fmt.Errorf("rollup cursor: %w", store.Translate(err))
	}
	return nil
}
