package demo

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/health"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Places of the planted supervision cases (WGS-84).
var (
	dinosaurPark = [2]float64{31.8280, 119.9720} // 中华恐龙园: a weekend outing
	compound     = [2]float64{31.7430, 120.0090} // a residential compound in 武进
)

// seedSupervision plants the violations a supervisor should find (issue 7
// part 5) in 市机关事务管理局's vehicles, with their trips, positions and
// terminal events inserted directly, plus clean trips on orders that no
// rule may flag:
//   - a weekend trip with no order (无单出车, R-14);
//   - a car parked overnight at a residential compound;
//   - a terminal whose main power is cut and which then goes silent.
//
// The fuelling while sealed is planted with the fuel records
// (seedFuel: a car sealed all year, fuelled last month).
func seedSupervision(ctx context.Context, db *store.DB, now time.Time) error {
	type veh struct {
		ID     int64   `bun:"id"`
		UnitID int64   `bun:"unit_id"`
		Phone  string  `bun:"sim"`
		Lat    float64 `bun:"parking_lat"`
		Lng    float64 `bun:"parking_lng"`
	}
	// Vehicles with terminals that the live demo fleet does not drive (it
	// drives the lowest terminal ids first) and that have no order near now.
	free := func(unitCond string, n int) ([]veh, error) {
		var vs []veh
		err := db.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.unit_id, t.sim, v.parking_lat, v.parking_lng").
			Join("JOIN terminals AS t ON t.vehicle_id = v.id").
			Join("JOIN units AS u ON u.id = v.unit_id").
			Where("u.name "+unitCond+" '市机关事务管理局' AND v.status <> 'disposed' AND v.category NOT IN ('emergency', 'law_enforcement') AND v.parking_lat IS NOT NULL").
			Where("NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.vehicle_id = v.id AND o.return_at > ?)", now.AddDate(0, 0, -9)).
			OrderExpr("t.id DESC").Limit(n).Scan(ctx, &vs)
		if err == nil && len(vs) < n {
			err = fmt.Errorf("demo supervision: %d vehicles free for the planted cases, need %d", len(vs), n)
		}
		return vs, err
	}
	vs, err := free("=", 3) // the unit that has a vehicle manager to explain
	if err != nil {
		return err
	}
	clean, err := free("<>", 3)
	if err != nil {
		return err
	}
	vs = append(vs, clean...)
	var applicant int64
	if err := db.R.NewSelect().Table("users").Column("id").Where("username = 'jgj_staff'").Scan(ctx, &applicant); err != nil {
		return err
	}
	bjNow := now.In(beijing.Zone)
	midnight := beijing.DayStart(now)
	at := func(daysAgo int, hm string) time.Time {
		var h, m int
		fmt.Sscanf(hm, "%d:%d", &h, &m)
		return midnight.AddDate(0, 0, -daysAgo).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute).UTC()
	}
	return db.Tx(ctx, func(tx bun.Tx) error {
		ins := func(table string, row map[string]any) error {
			_, err := tx.NewInsert().Model(&row).TableExpr(table).Exec(ctx)
			return err
		}
		pos := func(v veh, t time.Time, p [2]float64, speed int) error {
			if err := ins("positions", map[string]any{"vehicle_id": v.ID, "terminal_phone": v.Phone, "at": t, "received_at": t,
				"lat": int64(math.Round(p[0] * 1e6)), "lng": int64(math.Round(p[1] * 1e6)), "speed": speed, "heading": 0, "altitude": 8,
				"alarm": 0, "status": 3}); err != nil {
				return err
			}
			return telematics.RecordDay(ctx, tx, v.ID, v.Phone, t)
		}
		// trip drives v from..to along path with a position a minute; without
		// an order, it opens the R-14 filing the trips linker would open
		// (source "trip:<id>"), for the unit to complete within 48 hours.
		trip := func(v veh, from, to time.Time, path [][2]float64, order int64) error {
			n := int(to.Sub(from).Minutes())
			total := 0.0
			for i := 1; i < len(path); i++ {
				total += haversine(path[i-1], path[i])
			}
			box := [4]float64{90, -90, 180, -180} // the box of its positions, as the trips builder keeps it
			for i := 0; i <= n; i++ {
				p := alongPath(path, total*float64(i)/float64(n))
				box = [4]float64{min(box[0], p[0]), max(box[1], p[0]), min(box[2], p[1]), max(box[3], p[1])}
				if err := pos(v, from.Add(time.Duration(i)*time.Minute), p, 350); err != nil {
					return err
				}
			}
			last := path[len(path)-1]
			micro := func(deg float64) int64 { return int64(math.Round(deg * 1e6)) }
			row := map[string]any{"vehicle_id": v.ID, "unit_id": v.UnitID, "terminal_phone": v.Phone, "started_at": from, "ended_at": to,
				"start_lat": int64(path[0][0] * 1e6), "start_lng": int64(path[0][1] * 1e6), "end_lat": int64(last[0] * 1e6), "end_lng": int64(last[1] * 1e6),
				"min_lat": micro(box[0]), "max_lat": micro(box[1]), "min_lng": micro(box[2]), "max_lng": micro(box[3]),
				"distance_m": int64(total), "max_speed": 600, "points": n + 1, "state": "closed", "linked_at": to, "created_at": to, "updated_at": to}
			if order != 0 {
				row["order_id"] = order
				return ins("trips", row)
			}
			if err := ins("trips", row); err != nil {
				return err
			}
			var id int64
			if err := tx.NewSelect().Table("trips").Column("id").Where("vehicle_id = ? AND started_at = ?", v.ID, from).Scan(ctx, &id); err != nil {
				return err
			}
			f := &booking.Filing{UnitID: v.UnitID, VehicleID: v.ID, StartedAt: from, EndedAt: &to, DeadlineAt: from.Add(booking.FilingDeadline),
				Source: "trip", SourceRef: fmt.Sprintf("trip:%d", id), State: "open", CreatedAt: to}
			if _, err := tx.NewInsert().Model(f).Exec(ctx); err != nil {
				return err
			}
			_, err := tx.NewUpdate().Table("trips").Set("filing_id = ?", f.ID).Where("id = ?", id).Exec(ctx)
			return err
		}
		seq := 0
		order := func(v veh, from, to time.Time, reason string) (int64, error) {
			seq++
			var id int64
			err := tx.NewRaw(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations,
				pickup_at, return_at, state, vehicle_id, departed_at, returned_at, created_at, updated_at)
				VALUES (?, ?, ?, '秦小敏', ?, 2, '市机关事务管理局', '["市行政中心"]', ?, ?, 'closed', ?, ?, ?, ?, ?) RETURNING id`,
				fmt.Sprintf("JD%sS%02d", from.In(beijing.Zone).Format("20060102"), seq), v.UnitID, applicant, reason, from, to, v.ID, from, to, from.Add(-24*time.Hour), to).Scan(ctx, &id)
			return id, err
		}
		park := func(v veh) [2]float64 { return [2]float64{v.Lat, v.Lng} }

		// 1. A weekend trip with no order: the latest Saturday at least three
		// days ago (the 48-hour filing deadline has passed).
		sat := 3
		for midnight.AddDate(0, 0, -sat).Weekday() != time.Saturday {
			sat++
		}
		a := vs[0]
		if err := trip(a, at(sat, "10:05"), at(sat, "12:40"), [][2]float64{park(a), dinosaurPark, park(a)}, 0); err != nil {
			return err
		}
		// 2. Parked overnight at a residential compound after an evening
		// order: the latest 02:00 check at least an hour ago.
		night := 0
		if bjNow.Hour() < 3 {
			night = 1
		}
		b := vs[1]
		o, err := order(b, at(night+1, "17:00"), at(night+1, "19:00"), "晚间接待外宾返回")
		if err != nil {
			return err
		}
		if err := trip(b, at(night+1, "17:20"), at(night+1, "17:55"), [][2]float64{park(b), compound}, o); err != nil {
			return err
		}
		for t := at(night+1, "18:30"); t.Before(at(night, "07:30")) && t.Before(now.Add(-10*time.Minute)); t = t.Add(30 * time.Minute) {
			if err := pos(b, t, compound, 0); err != nil {
				return err
			}
		}
		// 3. Main power cut, then silence: positions at the parking place
		// until 30 hours ago, then the terminal's events.
		c := vs[2]
		cut := now.Add(-30 * time.Hour).Truncate(time.Minute)
		for t := cut.Add(-3 * time.Hour); !t.After(cut); t = t.Add(10 * time.Minute) {
			if err := pos(c, t, park(c), 0); err != nil {
				return err
			}
		}
		// The evidence as the detectors write it (internal/health): the
		// report that raised the alarm, the last report and the silence.
		last := health.Sample{At: cut, Lat: c.Lat, Lng: c.Lng, Alarm: uint32(jt808.AlarmMainPowerCut)}
		silence := map[string]any{"last_report": last, "silent_minutes": int64(now.Sub(cut).Minutes())}
		for _, e := range []struct {
			kind     string
			from, to time.Time
			evidence map[string]any
		}{
			{"power_cut", cut, cut, map[string]any{"first": last, "alarm_bits": []int{8}}},
			{"silent_after_power_cut", cut.Add(time.Minute), cut.Add(time.Minute), silence},
			{"offline", cut.Add(time.Minute), now.Add(-5 * time.Minute).Truncate(time.Minute), silence},
		} {
			ev, err := json.Marshal(e.evidence)
			if err != nil {
				return err
			}
			if err := ins("terminal_events", map[string]any{"vehicle_id": c.ID, "unit_id": c.UnitID, "terminal_phone": c.Phone, "kind": e.kind,
				"opened_at": e.from, "last_seen_at": e.to, "evidence": string(ev), "state": "open", "created_at": e.from}); err != nil {
				return err
			}
		}
		// The planted trips and events are final: the trip builder and the
		// health detectors start after them rather than derive them again.
		for _, v := range vs {
			if _, err := tx.ExecContext(ctx, "INSERT INTO trip_cursors (vehicle_id, until, state, updated_at) VALUES (?, ?, '{}', ?)", v.ID, now, now); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, "INSERT INTO health_cursors (terminal_phone, until, state, updated_at) VALUES (?, ?, '{}', ?)", v.Phone, now, now); err != nil {
				return err
			}
		}
		// Clean trips: on orders, back at the parking place.
		for i, v := range vs[3:] {
			d := 2 + i
			o, err := order(v, at(d, "09:00"), at(d, "11:30"), "赴市行政中心参加会议")
			if err != nil {
				return err
			}
			if err := trip(v, at(d, "09:05"), at(d, "11:10"), [][2]float64{park(v), {31.8110, 119.9740}, park(v)}, o); err != nil {
				return err
			}
		}
		return nil
	})
}

func haversine(a, b [2]float64) float64 {
	rad := math.Pi / 180
	dlat, dlng := (b[0]-a[0])*rad, (b[1]-a[1])*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(a[0]*rad)*math.Cos(b[0]*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * 6371000 * math.Asin(math.Sqrt(h))
}

// alongPath returns the point at distance d along path.
func alongPath(path [][2]float64, d float64) [2]float64 {
	for i := 1; i < len(path); i++ {
		seg := haversine(path[i-1], path[i])
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
