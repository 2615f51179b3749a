package supervision

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/telematics"
)

// DefaultPolygon is a rough boundary of Changzhou (its districts and
// Liyang), [lat, lng] WGS-84. The city's platform administrator replaces
// it (e.g. with Jiangsu's boundary when trips to Nanjing are routine).
var DefaultPolygon = [][2]float64{
	{32.06, 119.58}, {32.06, 119.90}, {31.98, 120.12}, {31.80, 120.22}, {31.58, 120.08},
	{31.40, 119.80}, {31.14, 119.58}, {31.14, 119.22}, {31.42, 119.10}, {31.70, 119.28}, {31.92, 119.40},
}

// inside reports whether (lat, lng) lies inside the polygon (ray casting).
func inside(poly [][2]float64, lat, lng float64) bool {
	in := false
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		yi, xi, yj, xj := poly[i][0], poly[i][1], poly[j][0], poly[j][1]
		if (yi > lat) != (yj > lat) && lng < (xj-xi)*(lat-yi)/(yj-yi)+xi {
			in = !in
		}
	}
	return in
}

// boxInside reports whether the box [minLat, maxLat] × [minLng, maxLng]
// lies wholly inside the polygon, which need not be convex: its corners
// are inside and the polygon's boundary does not enter it (no vertex in it,
// no edge crossing a side). Touching counts as entering.
func boxInside(poly [][2]float64, minLat, maxLat, minLng, maxLng float64) bool {
	c := [4][2]float64{{minLat, minLng}, {minLat, maxLng}, {maxLat, maxLng}, {maxLat, minLng}}
	for _, q := range c {
		if !inside(poly, q[0], q[1]) {
			return false
		}
	}
	for i, j := 0, len(poly)-1; i < len(poly); j, i = i, i+1 {
		if v := poly[i]; v[0] >= minLat && v[0] <= maxLat && v[1] >= minLng && v[1] <= maxLng {
			return false
		}
		for k := range 4 {
			if crosses(poly[j], poly[i], c[k], c[(k+1)%4]) {
				return false
			}
		}
	}
	return true
}

// crosses reports whether segments ab and cd intersect (touching included).
func crosses(a, b, c, d [2]float64) bool {
	turn := func(p, q, r [2]float64) float64 { return (q[0]-p[0])*(r[1]-p[1]) - (q[1]-p[1])*(r[0]-p[0]) }
	d1, d2, d3, d4 := turn(c, d, a), turn(c, d, b), turn(a, b, c), turn(a, b, d)
	if (d1 > 0) != (d2 > 0) && (d3 > 0) != (d4 > 0) && d1 != 0 && d2 != 0 && d3 != 0 && d4 != 0 {
		return true
	}
	on := func(p, q, r [2]float64) bool { // r on segment pq, given collinear
		return min(p[0], q[0]) <= r[0] && r[0] <= max(p[0], q[0]) && min(p[1], q[1]) <= r[1] && r[1] <= max(p[1], q[1])
	}
	return d1 == 0 && on(c, d, a) || d2 == 0 && on(c, d, b) || d3 == 0 && on(a, b, c) || d4 == 0 && on(a, b, d)
}

// haversine returns the distance in metres between two WGS-84 points.
func haversine(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

type pos struct {
	VehicleID int64     `bun:"vehicle_id"`
	At        time.Time `bun:"at"`
	Lat       int64     `bun:"lat"`
	Lng       int64     `bun:"lng"`
}

func (p pos) deg() (float64, float64) { return float64(p.Lat) / 1e6, float64(p.Lng) / 1e6 }

// AreaExit is a vehicle leaving the allowed area. A GPS jump is not an
// exit: the positions outside must be consecutive, at least min_points of
// them over at least min_minutes, and a point reached at an impossible
// speed from the previous one is dropped.
type AreaExit struct{}

func (AreaExit) Info() Info {
	return Info{Code: "area_exit", Name: "驶出规定区域", Basis: "R-13",
		Desc: "行程中连续多个定位点位于规定区域（默认常州市域多边形）之外；单点漂移不计",
		Specs: []Spec{
			{Key: "min_points", Label: "区域外连续定位点至少", Unit: "个", Default: 3, Min: 2, Max: 20, Stricter: -1},
			{Key: "min_minutes", Label: "区域外至少持续", Unit: "分钟", Default: 3, Min: 0, Max: 120, Stricter: -1},
			{Key: "max_speed_kmh", Label: "超过此速度的跳点视为漂移", Unit: "km/h", Default: 200, Min: 120, Max: 400, Stricter: +1},
			seriousSpec(0),
		}}
}

func (AreaExit) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	ts, err := tripsEnded(ctx, db, w.From, w.To)
	if err != nil {
		return nil, err
	}
	// Only the positions of trips whose box (kept by the trips builder)
	// may leave the polygon are read.
	var out []Finding
	for _, t := range ts {
		prm := p(t.UnitPath)
		// The box widened by a micro-degree: a position exactly on the
		// boundary must not round to inside.
		if t.MinLat != nil && t.MaxLat != nil && t.MinLng != nil && t.MaxLng != nil &&
			boxInside(prm.Polygon, float64(*t.MinLat-1)/1e6, float64(*t.MaxLat+1)/1e6, float64(*t.MinLng-1)/1e6, float64(*t.MaxLng+1)/1e6) {
			continue
		}
		var ps []pos
		cond, args, ok, err := telematics.ForVehicle(ctx, db, t.VehicleID, t.StartedAt, t.EndedAt)
		if err != nil {
			return nil, err
		}
		if ok {
			if err := db.NewSelect().Table("positions").Column("vehicle_id", "at", "lat", "lng").Where(cond, args...).
				Where("at >= ? AND at <= ?", t.StartedAt.UTC(), t.EndedAt.UTC()).Order("at").Scan(ctx, &ps); err != nil {
				return nil, err
			}
		}
		run := outsideRun(ps, prm)
		if run == nil {
			continue
		}
		// An order approved for travel out of the city (R-13, second
		// approval) allows leaving the area; on an in-city order the car
		// went far beyond its destination.
		inCity := ""
		if t.OrderID != nil {
			var out bool
			if err := db.NewSelect().Table("orders").Column("out_of_city").Where("id = ?", *t.OrderID).Scan(ctx, &out); err != nil {
				return nil, err
			}
			if out {
				continue
			}
			inCity = "，派车单为市内用车（远超目的地）"
		}
		far := 0.0
		for _, q := range run {
			la, lo := q.deg()
			far = math.Max(far, distToPolygon(prm.Polygon, la, lo))
		}
		la, lo := run[0].deg()
		out = append(out, tripFinding("area_exit", t, fmt.Sprintf("%s %s 驶出规定区域，区域外连续%d个定位点至 %s，最远离界约%.1f公里%s", t.Plate, bj(run[0].At), len(run), bj(run[len(run)-1].At), far/1000, inCity),
			map[string]any{"positions": map[string]any{"outside_points": len(run), "first_outside": [2]float64{la, lo}, "from": run[0].At, "to": run[len(run)-1].At, "farthest_m": int(far)}}))
	}
	return out, nil
}

// outsideRun returns the first run of consecutive plausible positions
// outside the polygon that is long enough, or nil.
func outsideRun(ps []pos, prm Params) []pos {
	var run []pos
	var prev *pos
	for i := range ps {
		q := ps[i]
		la, lo := q.deg()
		if prev != nil {
			pl, pg := prev.deg()
			dt := q.At.Sub(prev.At).Hours()
			if dt > 0 && haversine(pl, pg, la, lo)/1000/dt > prm.V("max_speed_kmh") {
				continue // a jump: ignore the point, keep the previous one
			}
		}
		prev = &ps[i]
		if inside(prm.Polygon, la, lo) {
			if long(run, prm) {
				return run
			}
			run = nil
			continue
		}
		run = append(run, q)
	}
	if long(run, prm) {
		return run
	}
	return nil
}

func long(run []pos, prm Params) bool {
	return len(run) >= int(prm.V("min_points")) && run[len(run)-1].At.Sub(run[0].At) >= minutes(prm.V("min_minutes"))
}

// distToPolygon approximates the distance from a point to the polygon's
// nearest vertex (good enough for "how far out" in the evidence).
func distToPolygon(poly [][2]float64, lat, lng float64) float64 {
	d := math.Inf(1)
	for _, v := range poly {
		d = math.Min(d, haversine(lat, lng, v[0], v[1]))
	}
	return d
}

// Overnight is a vehicle not back at its designated parking place at night
// its last position before the check time (Beijing) lies farther
// than the place's radius plus a tolerance from it, and no order or filed
// emergency use covers the night. Vehicles silent that night are left to
// the terminal rules.
type Overnight struct{}

func (Overnight) Info() Info {
	return Info{Code: "overnight", Name: "夜间未回指定停放点", Basis: "R-15",
		Desc: "检查时刻（北京时间）前最后一个定位点距指定停放点超过停放半径加容差，且无覆盖该时刻的派车单或已办应急用车备案",
		Specs: []Spec{
			{Key: "check_h", Label: "检查时刻（时）", Unit: "时", Default: 2, Min: 0, Max: 5, Stricter: 0},
			{Key: "tolerance_m", Label: "停放半径之外的容差", Unit: "米", Default: 300, Min: 50, Max: 2000, Stricter: -1},
			{Key: "lookback_h", Label: "最后定位点须在检查前", Unit: "小时", Default: 12, Min: 1, Max: 48, Stricter: +1},
			seriousSpec(0),
		}}
}

type parked struct {
	ID       int64    `bun:"id"`
	UnitID   int64    `bun:"unit_id"`
	UnitPath string   `bun:"unit_path"`
	Plate    string   `bun:"plate"`
	Name     string   `bun:"parking_name"`
	Lat      *float64 `bun:"parking_lat"`
	Lng      *float64 `bun:"parking_lng"`
	Radius   int      `bun:"parking_radius"`
}

func (Overnight) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var vs []*parked
	if err := db.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.unit_id, u.path AS unit_path, v.plate, v.parking_name, v.parking_lat, v.parking_lng, v.parking_radius").
		Join("JOIN units AS u ON u.id = v.unit_id").Where("v.parking_lat IS NOT NULL AND v.parking_lng IS NOT NULL AND v.status <> 'disposed'").OrderExpr("v.id").Scan(ctx, &vs); err != nil {
		return nil, err
	}
	// Check times: every Beijing day's check hour inside the window (the
	// hour may differ by level).
	checksAt := map[float64][]time.Time{}
	for _, v := range vs {
		h := p(v.UnitPath).V("check_h")
		if _, ok := checksAt[h]; ok {
			continue
		}
		checksAt[h] = []time.Time{}
		for day := beijing.DayStart(w.From); day.Before(w.To); day = day.AddDate(0, 0, 1) {
			if c := day.Add(hours(h)); !c.Before(w.From) && c.Before(w.To) {
				checksAt[h] = append(checksAt[h], c)
			}
		}
	}
	type far struct {
		v     *parked
		check time.Time
		last  telematics.Position
		dist  float64
	}
	var fars []far
	// Each vehicle's last position before each check time, within the
	// lookback: a seek per terminal that reported for it (no
	// scan of the nights' positions).
	type check struct {
		v *parked
		c time.Time
	}
	var checks []check
	var seeks []telematics.Seek
	for _, v := range vs {
		prm := p(v.UnitPath)
		cs, look := checksAt[prm.V("check_h")], hours(prm.V("lookback_h"))
		for _, c := range cs {
			checks = append(checks, check{v, c})
			seeks = append(seeks, telematics.Seek{Vehicle: v.ID, From: c.Add(-look), To: c})
		}
	}
	lasts, err := telematics.LastBefore(ctx, db, seeks)
	if err != nil {
		return nil, err
	}
	for i, l := range lasts {
		v, c := checks[i].v, checks[i].c
		if l.At.IsZero() {
			continue // silent that night: the terminal rules' matter
		}
		prm := p(v.UnitPath)
		if d := haversine(float64(l.Lat)/1e6, float64(l.Lng)/1e6, *v.Lat, *v.Lng); d > float64(v.Radius)+prm.V("tolerance_m") {
			fars = append(fars, far{v, c, l, d})
		}
	}
	var ids []int64
	for _, f := range fars {
		ids = append(ids, f.v.ID)
	}
	orders, err := ordersOf(ctx, db, ids, w.From.Add(-48*time.Hour), w.To)
	if err != nil {
		return nil, err
	}
	filings, err := vehicleFilings(ctx, db, w.From.Add(-72*time.Hour), w.To)
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range fars {
		v, check, l, dist := f.v, f.check, f.last, f.dist
		if covering(orders[v.ID], check, check, 30*time.Minute) != nil {
			continue
		}
		covered := false
		for _, fl := range filings[v.ID] {
			end := fl.StartedAt.Add(24 * time.Hour)
			if fl.EndedAt != nil {
				end = *fl.EndedAt
			}
			if !check.Before(fl.StartedAt) && !check.After(end) && fl.filedBy(fl.DeadlineAt) {
				covered = true
			}
		}
		if covered {
			continue
		}
		la, lo := float64(l.Lat)/1e6, float64(l.Lng)/1e6
		out = append(out, Finding{Rule: "overnight", Key: key("overnight", "vehicle", v.ID, beijing.Date(check)),
			VehicleID: v.ID, UnitID: v.UnitID, UnitPath: v.UnitPath, At: check,
			Summary: fmt.Sprintf("%s %s 未停放在指定停放点（%s），最后定位 %s 距停放点%.0f米", v.Plate, bj(check), v.Name, bj(l.At), dist),
			Evidence: map[string]any{"last_position": map[string]any{"at": l.At, "lat": la, "lng": lo}, "parking": map[string]any{"name": v.Name,
				"lat": *v.Lat, "lng": *v.Lng, "radius_m": v.Radius}, "distance_m": int(dist), "check_at": check}})
	}
	return out, nil
}
