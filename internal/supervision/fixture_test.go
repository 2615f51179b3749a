package supervision

import (
	"context"
	"fmt"
	"math"
	"testing"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/fuel"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Places used by the tests (WGS-84).
var (
	parkP   = [2]float64{31.7800, 119.9500} // the designated parking place
	cityC   = [2]float64{31.8100, 119.9900} // an office across town
	homeR   = [2]float64{31.7420, 120.0150} // a residential compound ~7 km away
	nanjing = [2]float64{32.0600, 118.7900}
	yixing  = [2]float64{31.3600, 119.8200} // south of the city, in the notch of its polygon
)

// fx builds a bare database for rule tests: a city, a district, units,
// vehicles, trips with their positions, orders, filings, events. Ids are
// explicit so that tests can name them.
type fx struct {
	t   testing.TB
	db  *store.DB
	ctx context.Context
	seq int64
}

func newFx(t testing.TB, db *store.DB) *fx {
	f := &fx{t: t, db: db, ctx: context.Background(), seq: 1000}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.insert("units", map[string]any{"id": 1, "kind": "city", "name": "常州市", "level": "city", "path": "/1/", "depth": 0, "created_at": now, "updated_at": now})
	f.insert("units", map[string]any{"id": 2, "parent_id": 1, "kind": "district", "name": "天宁区", "level": "district", "district_id": 2, "path": "/1/2/", "depth": 1, "created_at": now, "updated_at": now})
	f.insert("users", map[string]any{"id": 1, "username": "u1", "real_name": "申请人", "scope_id": 1, "password_hash": "x", "created_at": now, "updated_at": now})
	return f
}

func (f *fx) next() int64 { f.seq++; return f.seq }

func (f *fx) insert(table string, row map[string]any) {
	f.t.Helper()
	if _, err := f.db.W.NewInsert().Model(&row).TableExpr(table).Exec(f.ctx); err != nil {
		f.t.Fatalf("insert %s: %v", table, err)
	}
}

func (f *fx) exec(query string, args ...any) {
	f.t.Helper()
	if _, err := f.db.W.ExecContext(f.ctx, query, args...); err != nil {
		f.t.Fatalf("%s: %v", query, err)
	}
}

// bjt parses a Beijing time "2006-01-02 15:04".
func bjt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, beijing.Zone)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// unit adds a unit under the district with the given vehicle quota.
func (f *fx) unit(quota int) (int64, string) {
	id := f.next()
	path := fmt.Sprintf("/1/2/%d/", id)
	now := bjt("2026-01-01 00:00")
	f.insert("units", map[string]any{"id": id, "parent_id": 2, "kind": "unit", "name": fmt.Sprintf("单位%d", id), "level": "district", "district_id": 2,
		"path": path, "depth": 2, "vehicle_quota": quota, "created_at": now, "updated_at": now})
	return id, path
}

type vehicleOpt struct {
	category  string
	confirmed time.Time // zero: 2026-10-01
}

// vehicle adds a vehicle parked at parkP (radius 150 m) with a terminal.
func (f *fx) vehicle(unit int64, o vehicleOpt) int64 {
	id := f.next()
	if o.category == "" {
		o.category = "other"
	}
	if o.confirmed.IsZero() {
		o.confirmed = bjt("2026-10-01 09:00")
	}
	now := bjt("2026-01-01 00:00")
	f.insert("vehicles", map[string]any{"id": id, "unit_id": unit, "plate": fmt.Sprintf("苏D%05d", id), "category": o.category, "brand": "大众", "model": "帕萨特",
		"vin": fmt.Sprintf("LSVTEST%010d", id), "seats": 5, "energy_type": "gasoline", "vehicle_class": "C1", "parking_name": "机关停车场",
		"parking_lat": parkP[0], "parking_lng": parkP[1], "parking_radius": 150, "confirmed_at": o.confirmed, "created_at": now, "updated_at": now})
	return id
}

func phoneOf(vehicle int64) string { return fmt.Sprintf("1380000%04d", vehicle) }

func dist(path [][2]float64) float64 {
	d := 0.0
	for i := 1; i < len(path); i++ {
		d += haversine(path[i-1][0], path[i-1][1], path[i][0], path[i][1])
	}
	return d
}

// trip adds a closed trip from..to along path (positions every minute,
// interpolated), optionally serving order; jumps are extra single
// positions (at, place) mixed in. Like the trips builder it stores the
// box of the positions (migration 0017). It returns the trip id.
func (f *fx) trip(unit, vehicle int64, from, to string, path [][2]float64, order int64, jumps map[string][2]float64) int64 {
	id := f.next()
	a, b := bjt(from), bjt(to)
	n := int(b.Sub(a).Minutes())
	total := dist(path)
	box := [4]int64{math.MaxInt64, math.MinInt64, math.MaxInt64, math.MinInt64}
	for i := 0; i <= n; i++ {
		at := a.Add(time.Duration(i) * time.Minute)
		p := along(path, total*float64(i)/float64(max(n, 1)))
		if j, ok := jumps[at.In(beijing.Zone).Format("2006-01-02 15:04")]; ok {
			p = j
		}
		lat, lng := f.pos(vehicle, at, p, 300)
		box = [4]int64{min(box[0], lat), max(box[1], lat), min(box[2], lng), max(box[3], lng)}
	}
	now := bjt("2026-01-01 00:00")
	row := map[string]any{"id": id, "vehicle_id": vehicle, "unit_id": unit, "terminal_phone": phoneOf(vehicle), "started_at": a, "ended_at": b,
		"start_lat": int64(path[0][0] * 1e6), "start_lng": int64(path[0][1] * 1e6), "end_lat": int64(path[len(path)-1][0] * 1e6), "end_lng": int64(path[len(path)-1][1] * 1e6),
		"min_lat": box[0], "max_lat": box[1], "min_lng": box[2], "max_lng": box[3],
		"distance_m": int64(total), "max_speed": 600, "points": n + 1, "state": "closed", "created_at": now, "updated_at": now}
	if order != 0 {
		row["order_id"] = order
	}
	f.insert("trips", row)
	return id
}

// along returns the point at distance d along path.
func along(path [][2]float64, d float64) [2]float64 {
	for i := 1; i < len(path); i++ {
		seg := haversine(path[i-1][0], path[i-1][1], path[i][0], path[i][1])
		if d <= seg || i == len(path)-1 {
			r := 1.0
			if seg > 0 {
				r = math.Min(d/seg, 1)
			}
			return [2]float64{path[i-1][0] + (path[i][0]-path[i-1][0])*r, path[i-1][1] + (path[i][1]-path[i-1][1])*r}
		}
		d -= seg
	}
	return path[len(path)-1]
}

// pos adds a position of vehicle and returns its place in micro-degrees.
func (f *fx) pos(vehicle int64, at time.Time, p [2]float64, speed int) (lat, lng int64) {
	lat, lng = int64(math.Round(p[0]*1e6)), int64(math.Round(p[1]*1e6))
	f.insert("positions", map[string]any{"vehicle_id": vehicle, "terminal_phone": phoneOf(vehicle), "at": at, "received_at": at,
		"lat": lat, "lng": lng, "speed": speed, "heading": 0, "altitude": 10, "alarm": 0, "status": 3})
	if err := telematics.RecordDay(f.ctx, f.db.W, vehicle, phoneOf(vehicle), at); err != nil {
		f.t.Fatal(err)
	}
	return lat, lng
}

type orderOpt struct {
	sealedFiling string
	outOfCity    bool     // approved for travel out of the city
	odometer     [2]int64 // start, end (both 0: none)
	state        string
}

// order adds a served order of vehicle for [from, to] Beijing.
func (f *fx) order(unit, vehicle int64, from, to string, o orderOpt) int64 {
	id := f.next()
	if o.state == "" {
		o.state = "closed"
	}
	now := bjt("2026-01-01 00:00")
	row := map[string]any{"id": id, "no": fmt.Sprintf("YC%08d", id), "unit_id": unit, "applicant_id": 1, "applicant_name": "申请人", "reason": "公务",
		"passenger_count": 1, "pickup_place": "机关", "destinations": `["市政府"]`, "pickup_at": bjt(from), "return_at": bjt(to), "state": o.state,
		"vehicle_id": vehicle, "sealed_filing": o.sealedFiling, "out_of_city": o.outOfCity, "created_at": now, "updated_at": now}
	if o.odometer != [2]int64{} {
		row["start_odometer"], row["end_odometer"], row["finished_at"] = o.odometer[0], o.odometer[1], bjt(to)
	}
	f.insert("orders", row)
	return id
}

// filing adds an emergency filing; filed "" means not filed.
func (f *fx) filing(unit, vehicle int64, source, from, to, filed string) int64 {
	id := f.next()
	a := bjt(from)
	row := map[string]any{"id": id, "unit_id": unit, "vehicle_id": vehicle, "started_at": a, "ended_at": bjt(to), "deadline_at": a.Add(48 * time.Hour),
		"source": source, "state": "open", "created_at": a}
	if source == "trip" {
		row["source_ref"] = fmt.Sprintf("trip:f%d", id)
	}
	if filed != "" {
		row["state"], row["filed_at"] = "filed", bjt(filed)
	}
	f.insert("emergency_filings", row)
	return id
}

// event adds a terminal event of kind from..to.
func (f *fx) event(unit, vehicle int64, kind, from, to string) int64 {
	id := f.next()
	f.insert("terminal_events", map[string]any{"id": id, "vehicle_id": vehicle, "unit_id": unit, "terminal_phone": phoneOf(vehicle), "kind": kind,
		"opened_at": bjt(from), "last_seen_at": bjt(to), "state": "open", "created_at": bjt(from)})
	return id
}

// day adds a calendar day.
func (f *fx) day(day, kind string) {
	f.insert("calendar_days", map[string]any{"day": day, "kind": kind, "name": "国庆节", "updated_at": bjt("2026-01-01 00:00")})
}

// roundTrip is a path from the parking place to the office and back.
var roundTrip = [][2]float64{parkP, cityC, parkP}

// fuelMonth imports one fuel company's month for vehicle: fills are
// "2006-01-02 15:04" → litres, flagged by the fuel package's own rules
// the import arrives two days after the month.
func (f *fx) fuelMonth(unit, vehicle int64, month string, fills map[string]float64) {
	f.t.Helper()
	co := f.next()
	now := bjt("2026-01-01 00:00")
	f.insert("companies", map[string]any{"id": co, "name": fmt.Sprintf("加油公司%d", co), "kind": "fuel", "credit_code": fmt.Sprintf("91320400%010d", co),
		"owner_unit_id": 1, "created_at": now})
	start, _ := beijing.ParseMonth(month)
	imp := &fuel.Import{CompanyID: co, Month: month, FileName: "加油记录.xlsx", SHA256: fmt.Sprint(co), RowCount: len(fills), ImportedBy: 1, ImportedByName: "加油公司",
		Via: "console", CreatedAt: start.AddDate(0, 1, 2).UTC()}
	var path string
	if err := f.db.R.NewSelect().Table("units").Column("path").Where("id = ?", unit).Scan(f.ctx, &path); err != nil {
		f.t.Fatal(err)
	}
	var rows []*fuel.Rec
	for at, l := range fills {
		id := vehicle
		ml := int64(l * 1000)
		rows = append(rows, &fuel.Rec{CompanyID: co, VehicleID: &id, UnitID: unit, UnitPath: path, Month: month, At: bjt(at), CardNo: fmt.Sprint("100011", vehicle),
			Plate: fmt.Sprintf("苏D%05d", vehicle), Station: "中国石化常州延陵西路加油站", FuelType: "92#汽油", LitresML: ml, UnitPriceFen: 750, AmountFen: ml * 750 / 1000, CreatedAt: imp.CreatedAt})
	}
	if err := (&fuel.Service{DB: f.db}).Flag(f.ctx, co, month, rows); err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.db.W.NewInsert().Model(imp).Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	for i, r := range rows {
		r.ImportID, r.RowNo = imp.ID, i+2
		if _, err := f.db.W.NewInsert().Model(r).Exec(f.ctx); err != nil {
			f.t.Fatal(err)
		}
	}
}

// repair adds a closed repair job of vehicle: budget and final in yuan.
func (f *fx) repair(unit, vehicle int64, closed string, budget, final int64) {
	id := f.next()
	a := bjt(closed)
	f.insert("repair_jobs", map[string]any{"id": id, "no": fmt.Sprintf("WX%08d", id), "vehicle_id": vehicle, "unit_id": unit, "kind": "repair", "problem": "发动机故障",
		"state": "closed", "requested_by": 1, "requested_name": "申请人", "requested_at": a.AddDate(0, 0, -5), "budget_fen": budget * 100, "final_fen": final * 100,
		"closed_at": a, "created_at": a.AddDate(0, 0, -5), "updated_at": a})
}
