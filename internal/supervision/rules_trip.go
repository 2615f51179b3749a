package supervision

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/calendar"
)

func minutes(v float64) time.Duration { return time.Duration(v * float64(time.Minute)) }
func hours(v float64) time.Duration   { return time.Duration(v * float64(time.Hour)) }

// NoOrder is 无单出车: a trip served no order and was not filed as
// emergency use within the deadline. It is decided when the deadline
// passes: trips that started in [From-deadline, To-deadline).
type NoOrder struct{}

func (NoOrder) Info() Info {
	return Info{Code: "no_order", Name: "无单出车", Basis: "R-14",
		Desc: "行程无对应派车单，且未在规定时限内补办应急用车备案",
		Specs: []Spec{
			{Key: "deadline_h", Label: "补办备案时限", Unit: "小时", Default: 48, Min: 1, Max: 48, Stricter: -1},
			{Key: "tolerance_min", Label: "派车单时间容差", Unit: "分钟", Default: 30, Min: 0, Max: 120, Stricter: -1},
			{Key: "min_distance_m", Label: "忽略短距离挪车", Unit: "米", Default: 500, Min: 0, Max: 5000, Stricter: -1},
			seriousSpec(0),
		}}
}

func (r NoOrder) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	const maxDeadline = 48 * time.Hour
	from, to := w.From.Add(-maxDeadline), w.To
	var ts []*trip
	if err := tripsQuery(db).Where("t.order_id IS NULL AND t.started_at >= ? AND t.started_at < ?", from.UTC(), to.UTC()).Scan(ctx, &ts); err != nil {
		return nil, err
	}
	// Candidates: decided inside the window and long enough.
	cands := ts[:0]
	for _, t := range ts {
		ps := p(t.UnitPath)
		deadline := t.StartedAt.Add(hours(ps.V("deadline_h")))
		if !deadline.Before(w.From) && deadline.Before(w.To) && float64(t.DistanceM) >= ps.V("min_distance_m") {
			cands = append(cands, t)
		}
	}
	ts = cands
	orders, err := ordersFor(ctx, db, ts, 2*time.Hour)
	if err != nil {
		return nil, err
	}
	filings, err := vehicleFilings(ctx, db, from.Add(-24*time.Hour), to)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, t := range ts {
		ps := p(t.UnitPath)
		deadline := t.StartedAt.Add(hours(ps.V("deadline_h")))
		tol := minutes(ps.V("tolerance_min"))
		if o := covering(orders[t.VehicleID], t.StartedAt, t.EndedAt, tol); o != nil {
			continue // the trips builder missed the link; the order covers it
		}
		f := filingFor(t, filings[t.VehicleID], tol)
		if f.filedBy(deadline) {
			continue
		}
		ev := map[string]any{"deadline": deadline}
		why := "未办理应急用车备案"
		if f != nil {
			ev["filing"] = f
			why = "应急用车备案逾期未办"
			if f.FiledAt != nil {
				why = "应急用车备案逾期补办（" + bj(*f.FiledAt) + "）"
			}
		}
		out = append(out, tripFinding("no_order", t, fmt.Sprintf("%s %s 至 %s 无派车单出车%.1f公里，%s", t.Plate, bj(t.StartedAt), bj(t.EndedAt), float64(t.DistanceM)/1000, why), ev))
	}
	return out, nil
}

// OrderWindow is a trip serving an order outside the order's time window
// . Whether it went far beyond its destination cannot be checked:
// orders record destinations as text without coordinates.
type OrderWindow struct{}

func (OrderWindow) Info() Info {
	return Info{Code: "order_window", Name: "超出派车单时段用车", Basis: "R-13",
		Desc: "行程早于派车单用车时间或晚于预计返回时间（含途中报备的变更）超过容差。目的地仅有文字、无坐标，未核对是否偏离目的地",
		Specs: []Spec{
			{Key: "tolerance_min", Label: "时间容差", Unit: "分钟", Default: 30, Min: 5, Max: 180, Stricter: -1},
			// Read by the driver's departure (internal/booking): earlier is refused.
			{Key: DepartEarlyKey, Label: "出车最早可提前报到时间", Unit: "分钟", Default: 120, Min: 10, Max: 1440, Stricter: -1},
			seriousSpec(0),
		}}
}

// DepartEarlyKey is the order_window parameter bounding how long before
// the pick-up time a driver may depart (R-13(4)).
const DepartEarlyKey = "depart_early_min"

func (OrderWindow) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	ts, err := tripsEnded(ctx, db, w.From, w.To)
	if err != nil {
		return nil, err
	}
	var list []*order
	if err := ordersQuery(db).Where("o.id IN (SELECT t.order_id FROM trips AS t WHERE t.state = 'closed' AND t.order_id IS NOT NULL AND t.ended_at >= ? AND t.ended_at < ?)",
		w.From.UTC(), w.To.UTC()).Scan(ctx, &list); err != nil {
		return nil, err
	}
	os := map[int64]*order{}
	for _, o := range list {
		os[o.ID] = o
	}
	var out []Finding
	for _, t := range ts {
		if t.OrderID == nil || os[*t.OrderID] == nil {
			continue
		}
		o := os[*t.OrderID]
		tol := minutes(p(t.UnitPath).V("tolerance_min"))
		early, late := o.PickupAt.Sub(t.StartedAt), t.EndedAt.Sub(o.end())
		if early <= tol && late <= tol {
			continue
		}
		what := fmt.Sprintf("晚于预计返回时间 %s %d 分钟", bj(o.end()), int(late.Minutes()))
		if early > tol {
			what = fmt.Sprintf("早于用车时间 %s %d 分钟", bj(o.PickupAt), int(early.Minutes()))
		}
		out = append(out, tripFinding("order_window", t, fmt.Sprintf("%s 执行派车单 %s，行程 %s 至 %s %s", t.Plate, o.No, bj(t.StartedAt), bj(t.EndedAt), what),
			map[string]any{"order": o}))
	}
	return out, nil
}

// HolidaySealed is use of a sealed vehicle on a statutory holiday without
// a filing: the vehicle is not of an exempt category, and neither
// an order with a sealing filing nor a filed emergency filing covers it.
// Make-up working days are working days.
type HolidaySealed struct{}

func (HolidaySealed) Info() Info {
	return Info{Code: "holiday_sealed", Name: "节假日封存车辆违规使用", Basis: "R-15",
		Desc: "法定节假日（调休上班日视为工作日）封存期间使用车辆，且无封存期用车备案或应急用车备案；应急、执法执勤车辆除外",
		Specs: []Spec{
			{Key: "tolerance_min", Label: "派车单时间容差", Unit: "分钟", Default: 30, Min: 0, Max: 120, Stricter: -1},
			{Key: "min_distance_m", Label: "忽略短距离挪车", Unit: "米", Default: 500, Min: 0, Max: 5000, Stricter: -1},
			seriousSpec(1),
		}}
}

func (HolidaySealed) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	ts, err := tripsEnded(ctx, db, w.From, w.To)
	if err != nil {
		return nil, err
	}
	holiday, err := calendar.HolidayDates(ctx, db, w.From.Add(-48*time.Hour), w.To)
	if err != nil {
		return nil, err
	}
	var cands []*trip
	for _, t := range ts {
		if (holiday[beijing.Date(t.StartedAt)] || holiday[beijing.Date(t.EndedAt)]) && !calendar.RunsOnHolidays(t.Category) && float64(t.DistanceM) >= p(t.UnitPath).V("min_distance_m") {
			cands = append(cands, t)
		}
	}
	ts = cands
	orders, err := ordersFor(ctx, db, ts, 2*time.Hour)
	if err != nil {
		return nil, err
	}
	filings, err := vehicleFilings(ctx, db, w.From.Add(-72*time.Hour), w.To)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, t := range ts {
		tol := minutes(p(t.UnitPath).V("tolerance_min"))
		if o := covering(orders[t.VehicleID], t.StartedAt, t.EndedAt, tol); o != nil && o.SealedFiling != "" {
			continue
		}
		f := filingFor(t, filings[t.VehicleID], tol)
		if f.filedBy(f.deadline()) {
			continue
		}
		ev := map[string]any{}
		if f != nil {
			ev["filing"] = f
		}
		out = append(out, tripFinding("holiday_sealed", t, fmt.Sprintf("%s 法定节假日封存期间 %s 至 %s 出车%.1f公里，无封存期用车备案", t.Plate, bj(t.StartedAt), bj(t.EndedAt), float64(t.DistanceM)/1000), ev))
	}
	return out, nil
}

func (f *filing) deadline() time.Time {
	if f == nil {
		return time.Time{}
	}
	return f.DeadlineAt
}

// NightUse is use at night (outside the configured hours) not covered by
// an order whose own window includes the night; emergency and law
// enforcement vehicles are exempt.
type NightUse struct{}

func (NightUse) Info() Info {
	return Info{Code: "night_use", Name: "夜间违规用车", Basis: "R-13",
		Desc: "在夜间时段（北京时间）行驶，且无覆盖该时段的派车单；应急、执法执勤车辆除外",
		Specs: []Spec{
			{Key: "night_from_h", Label: "夜间开始（时）", Unit: "时", Default: 22, Min: 19, Max: 24, Stricter: -1},
			{Key: "night_to_h", Label: "夜间结束（时）", Unit: "时", Default: 6, Min: 4, Max: 8, Stricter: +1},
			{Key: "min_minutes", Label: "夜间行驶至少", Unit: "分钟", Default: 10, Min: 1, Max: 120, Stricter: -1},
			{Key: "tolerance_min", Label: "派车单时间容差", Unit: "分钟", Default: 30, Min: 0, Max: 120, Stricter: -1},
			seriousSpec(0),
		}}
}

// nightOverlap returns how long [a, b) lies in the nights from fromH to
// toH (Beijing), and the start of the first night touched.
func nightOverlap(a, b time.Time, fromH, toH float64) (time.Duration, time.Time) {
	var total time.Duration
	var first time.Time
	for day := beijing.DayStart(a).AddDate(0, 0, -1); day.Before(b); day = day.AddDate(0, 0, 1) {
		ns, ne := day.Add(hours(fromH)), day.AddDate(0, 0, 1).Add(hours(toH))
		s, e := maxT(a, ns), minT(b, ne)
		if e.After(s) {
			total += e.Sub(s)
			if first.IsZero() {
				first = ns
			}
		}
	}
	return total, first
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (NightUse) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	ts, err := tripsEnded(ctx, db, w.From, w.To)
	if err != nil {
		return nil, err
	}
	type cand struct {
		t  *trip
		in time.Duration
	}
	var cands []cand
	var cts []*trip
	for _, t := range ts {
		if calendar.RunsOnHolidays(t.Category) {
			continue
		}
		ps := p(t.UnitPath)
		if in, _ := nightOverlap(t.StartedAt, t.EndedAt, ps.V("night_from_h"), ps.V("night_to_h")); in >= minutes(ps.V("min_minutes")) {
			cands = append(cands, cand{t, in})
			cts = append(cts, t)
		}
	}
	orders, err := ordersFor(ctx, db, cts, 2*time.Hour)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, c := range cands {
		t, in := c.t, c.in
		if covering(orders[t.VehicleID], t.StartedAt, t.EndedAt, minutes(p(t.UnitPath).V("tolerance_min"))) != nil {
			continue
		}
		out = append(out, tripFinding("night_use", t, fmt.Sprintf("%s 夜间 %s 至 %s 行驶%d分钟，无覆盖该时段的派车单", t.Plate, bj(t.StartedAt), bj(t.EndedAt), int(in.Minutes())),
			map[string]any{"night_minutes": int(in.Minutes())}))
	}
	return out, nil
}

// Mileage is 里程不一致: an order's odometer readings disagree with the GPS
// distance of its trips, or with the vehicle's previous order (the reading
// went backwards, or jumped by more than the GPS saw between the orders).
type Mileage struct{}

func (Mileage) Info() Info {
	return Info{Code: "mileage", Name: "里程不一致", Basis: "R-13",
		Desc: "出车、收车里程表读数之差与该单行程的北斗定位里程相差超过阈值（绝对值且比例均超过）；或出车读数小于该车上一单的收车读数（里程倒退），或比上一单收车读数多出的里程超过两单之间的定位里程加容差（有未登记的行驶）",
		Specs: []Spec{
			{Key: "abs_km", Label: "相差超过", Unit: "公里", Default: 10, Min: 2, Max: 100, Stricter: -1},
			{Key: "rel_pct", Label: "且相差比例超过", Unit: "%", Default: 25, Min: 5, Max: 100, Stricter: -1},
			{Key: "gap_km", Label: "与上一单读数衔接容差", Unit: "公里", Default: 5, Min: 0, Max: 100, Stricter: -1},
			seriousSpec(0),
		}}
}

func (Mileage) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var rows []struct {
		ID            int64     `bun:"id"`
		No            string    `bun:"no"`
		VehicleID     int64     `bun:"vehicle_id"`
		PickupAt      time.Time `bun:"pickup_at"`
		ReturnAt      time.Time `bun:"return_at"`
		StartOdometer int64     `bun:"start_odometer"`
		EndOdometer   int64     `bun:"end_odometer"`
		UnitID        int64     `bun:"unit_id"`
		UnitPath      string    `bun:"unit_path"`
		Plate         string    `bun:"plate"`
		GPSM          int64     `bun:"gps_m"`
		Trips         int       `bun:"trips"`
	}
	q := db.NewSelect().TableExpr("orders AS o").
		ColumnExpr("o.id, o.no, o.vehicle_id, o.pickup_at, o.return_at, o.start_odometer, o.end_odometer, v.unit_id, u.path AS unit_path, v.plate").
		ColumnExpr("SUM(t.distance_m) AS gps_m, COUNT(t.id) AS trips").
		Join("JOIN trips AS t ON t.order_id = o.id AND t.state = 'closed'").
		Join("JOIN vehicles AS v ON v.id = o.vehicle_id").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Where("o.start_odometer IS NOT NULL AND o.end_odometer IS NOT NULL AND o.finished_at >= ? AND o.finished_at < ?", w.From.UTC(), w.To.UTC()).
		GroupExpr("o.id, o.no, o.vehicle_id, o.pickup_at, o.return_at, o.start_odometer, o.end_odometer, v.unit_id, u.path, v.plate")
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range rows {
		ps := p(r.UnitPath)
		odoKm := float64(r.EndOdometer - r.StartOdometer)
		gpsKm := float64(r.GPSM) / 1000
		diff := math.Abs(odoKm - gpsKm)
		if diff <= ps.V("abs_km") || diff <= ps.V("rel_pct")/100*math.Max(odoKm, gpsKm) {
			continue
		}
		out = append(out, Finding{Rule: "mileage", Key: key("mileage", "order", r.ID), VehicleID: r.VehicleID, UnitID: r.UnitID, UnitPath: r.UnitPath,
			At: r.PickupAt, Summary: fmt.Sprintf("%s 派车单 %s 里程表记录%.0f公里，定位里程%.1f公里（%d段行程），相差%.1f公里", r.Plate, r.No, odoKm, gpsKm, r.Trips, diff),
			Evidence: map[string]any{"order": map[string]any{"id": r.ID, "no": r.No, "pickup_at": r.PickupAt, "return_at": r.ReturnAt,
				"start_odometer": r.StartOdometer, "end_odometer": r.EndOdometer}, "odometer_km": odoKm, "gps_km": gpsKm, "trips": r.Trips}})
	}
	more, err := continuity(ctx, db, w, p)
	return append(out, more...), err
}

// continuity compares the start reading of each order that departed in w
// with the end reading of the vehicle's previous order.
func continuity(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var rows []struct {
		ID        int64      `bun:"id"`
		No        string     `bun:"no"`
		VehicleID int64      `bun:"vehicle_id"`
		At        time.Time  `bun:"at"`
		Start     int64      `bun:"start_odometer"`
		PrevNo    string     `bun:"prev_no"`
		PrevEnd   int64      `bun:"prev_end"`
		PrevAt    *time.Time `bun:"prev_finished"`
		UnitID    int64      `bun:"unit_id"`
		UnitPath  string     `bun:"unit_path"`
		Plate     string     `bun:"plate"`
	}
	// An order departs at departed_at (pick-up time for older records).
	err := db.NewRaw(`SELECT x.*, v.unit_id, u.path AS unit_path, v.plate FROM (
		SELECT o.id, o.no, o.vehicle_id, COALESCE(o.departed_at, o.pickup_at) AS at, o.start_odometer,
			LAG(o.no) OVER w AS prev_no, LAG(o.end_odometer) OVER w AS prev_end, LAG(o.finished_at) OVER w AS prev_finished
		FROM orders AS o
		WHERE o.start_odometer IS NOT NULL AND o.vehicle_id IN
			(SELECT vehicle_id FROM orders WHERE start_odometer IS NOT NULL AND COALESCE(departed_at, pickup_at) >= ? AND COALESCE(departed_at, pickup_at) < ?)
		WINDOW w AS (PARTITION BY o.vehicle_id ORDER BY COALESCE(o.departed_at, o.pickup_at), o.id)) AS x
		JOIN vehicles AS v ON v.id = x.vehicle_id JOIN units AS u ON u.id = v.unit_id
		WHERE x.at >= ? AND x.at < ? AND x.prev_end IS NOT NULL`, w.From.UTC(), w.To.UTC(), w.From.UTC(), w.To.UTC()).Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range rows {
		gap := float64(r.Start - r.PrevEnd)
		tolerance := p(r.UnitPath).V("gap_km")
		if gap >= 0 && gap <= tolerance {
			continue
		}
		ev := map[string]any{"order": map[string]any{"id": r.ID, "no": r.No, "start_odometer": r.Start},
			"previous_order": map[string]any{"no": r.PrevNo, "end_odometer": r.PrevEnd}}
		summary := fmt.Sprintf("%s 派车单 %s 出车里程%d公里，小于上一单 %s 的收车里程%d公里（里程倒退）", r.Plate, r.No, r.Start, r.PrevNo, r.PrevEnd)
		if gap > 0 {
			// More than the GPS saw between the two orders: driving nobody recorded.
			from := r.At
			if r.PrevAt != nil {
				from = *r.PrevAt
			}
			var m int64
			if err := db.NewSelect().Table("trips").ColumnExpr("COALESCE(SUM(distance_m), 0)").
				Where("vehicle_id = ? AND started_at >= ? AND started_at < ?", r.VehicleID, from.UTC(), r.At.UTC()).Scan(ctx, &m); err != nil {
				return nil, err
			}
			between := float64(m) / 1000
			if gap <= between+tolerance {
				continue
			}
			ev["gps_between_km"] = between
			summary = fmt.Sprintf("%s 派车单 %s 出车里程%d公里，比上一单 %s 的收车里程%d公里多%.0f公里，其间定位里程仅%.1f公里（有未登记的行驶）",
				r.Plate, r.No, r.Start, r.PrevNo, r.PrevEnd, gap, between)
		}
		out = append(out, Finding{Rule: "mileage", Key: key("mileage", "continuity", r.ID), VehicleID: r.VehicleID, UnitID: r.UnitID, UnitPath: r.UnitPath,
			At: r.At, Summary: summary, Evidence: ev})
	}
	return out, nil
}
