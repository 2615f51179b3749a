package booking_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
)

// The city dispatcher searches the candidates of the whole city — by
// plate, unit subtree, category, seats and distance, paged, ranked as the
// suggestions — and finds a district's car for a city order, while a car
// under repair is still found but refused.
func TestCandidateSearch(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		f := newFx(t, w, apptest.BJ("2026-09-20 09:00"))
		ctx := context.Background()
		s, db := f.svc, w.DB
		// The ordering unit's cars park at one place; the district's 12 km
		// away, 溧阳's about 55 km.
		jgj, wj, ly := w.UnitID(t, "市机关事务管理局"), w.UnitID(t, "武进区政府办公室"), w.UnitID(t, "溧阳市")
		if _, err := db.W.ExecContext(ctx, "UPDATE vehicles SET parking_lat = 31.81, parking_lng = 119.97 WHERE unit_id = ?", jgj); err != nil {
			t.Fatal(err)
		}
		var lyUnit int64
		if err := db.R.NewSelect().Table("units").Column("id").Where("parent_id = ?", ly).OrderExpr("id").Limit(1).Scan(ctx, &lyUnit); err != nil {
			t.Fatal(err)
		}
		ts := time.Now().UTC()
		cars := []struct {
			plate, status string
			unit          int64
			lat, lng      float64
		}{
			{"测W0001", "available", wj, 31.70, 119.95},
			{"测W0002", "maintenance", wj, 31.70, 119.96},
			{"测W0003", "available", lyUnit, 31.43, 119.48},
		}
		ids := map[string]int64{}
		for i, c := range cars {
			var id int64
			if err := db.W.NewRaw(`INSERT INTO vehicles (unit_id, plate, category, brand, model, vin, seats, energy_type, vehicle_class, status, parking_lat, parking_lng, created_at, updated_at)
				VALUES (?, ?, 'other', '测试', '轿车', ?, 5, 'petrol', 'small', ?, ?, ?, ?, ?) RETURNING id`,
				c.unit, c.plate, "TESTWJVIN"+c.plate[len(c.plate)-4:], c.status, c.lat, c.lng, ts, ts).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			ids[c.plate] = id
			var did int64
			if err := db.W.NewRaw(`INSERT INTO drivers (unit_id, name, id_card, licence_class, licence_expiry, created_at, updated_at)
				VALUES (?, ?, ?, 'C1', '2030-01-01', ?, ?) RETURNING id`, c.unit, "区驾驶员"+c.plate, "TESTWJID00000"+c.plate[len(c.plate)-4:], ts, ts).Scan(ctx, &did); err != nil {
				t.Fatal(err)
			}
			if _, err := db.W.ExecContext(ctx, "INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", did, id, ts); err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				f.d["区驾驶员"] = did
			}
		}
		o := f.order("jgj_staff", "2026-09-22 09:00", 3, 2)
		if _, err := s.Approve(ctx, f.a("jgj_approver"), o.ID, ""); err != nil {
			t.Fatal(err)
		}
		city := f.a("city_dispatcher")
		plates := func(cs []*booking.VehicleCandidate) string {
			var p []string
			for _, c := range cs {
				p = append(p, c.Plate)
			}
			return strings.Join(p, " ")
		}
		for _, tc := range []struct {
			name   string
			filter booking.CandidateFilter
			want   string
			total  int
		}{
			{"plate", booking.CandidateFilter{Plate: "测w0001"}, "测W0001", 1},
			{"district subtree, category, seats", booking.CandidateFilter{Plate: "测W", UnitID: w.UnitID(t, "武进区"), Category: "other", Seats: 5}, "测W0001 测W0002", 2},
			{"distance", booking.CandidateFilter{Plate: "测W", MaxKm: 30}, "测W0001 测W0002", 2},
			{"too many seats", booking.CandidateFilter{Plate: "测W", Seats: 7}, "", 0},
			{"first page", booking.CandidateFilter{Plate: "测W", Page: 1, Size: 2}, "测W0001 测W0003", 3},
			{"second page", booking.CandidateFilter{Plate: "测W", Page: 2, Size: 2}, "测W0002", 3},
		} {
			cs, total, err := s.Suggest(ctx, city, o.ID, tc.filter)
			if err != nil || plates(cs) != tc.want || total != tc.total {
				t.Errorf("%s: %v, %q of %d, want %q of %d", tc.name, err, plates(cs), total, tc.want, tc.total)
			}
		}
		cs, _, _ := s.Suggest(ctx, city, o.ID, booking.CandidateFilter{Plate: "测W"})
		for _, c := range cs {
			switch c.Plate {
			case "测W0001":
				if !c.Suitable || c.OwnUnit || c.DistanceKm == nil || *c.DistanceKm < 11 || *c.DistanceKm > 14 || len(c.Drivers) != 1 || !c.Drivers[0].Suitable {
					t.Errorf("the district's car: %+v", c)
				}
			case "测W0002":
				if c.Suitable || !strings.Contains(strings.Join(c.Reasons, ""), "维修保养中") {
					t.Errorf("the car under repair: suitable %v, %v", c.Suitable, c.Reasons)
				}
			}
		}
		// A district's dispatcher sees no city order; no node outside the scope.
		if _, _, err := s.Suggest(ctx, f.a("wj_dispatcher"), o.ID, booking.CandidateFilter{}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("district dispatcher on a city order: %v", err)
		}
		// The car under repair is refused; the district's car is dispatched.
		if _, err := s.Dispatch(ctx, city, o.ID, booking.DispatchInput{VehicleID: ids["测W0002"], DriverID: f.d["区驾驶员"]}); err == nil {
			t.Error("a car under repair was dispatched")
		}
		if _, err := s.Dispatch(ctx, city, o.ID, booking.DispatchInput{VehicleID: ids["测W0001"], DriverID: f.d["区驾驶员"]}); err != nil {
			t.Errorf("the district's car: %v", err)
		}
	})
}
