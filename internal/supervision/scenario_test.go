package supervision

import (
	"context"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"

	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

// scenario is a labelled situation: what it builds in its own unit and the
// rules that must (and only they) report it.
type scenario struct {
	name  string
	quota int // the unit's vehicle quota (default 5)
	build func(f *fx, u int64)
	want  []string
}

// The labelled scenario set (issue 7, quality bar): each rule's true and
// false cases. Calendar: 2026-10-01..07 National Day holiday, Saturday
// 2026-10-10 a make-up working day. The window is Sept–Nov 2026.
var scenarios = []scenario{
	// no_order
	{"weekend trip with no order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.trip(u, v, "2026-10-17 10:00", "2026-10-17 11:30", roundTrip, 0, nil)
	}, []string{"no_order"}},
	{"trip covered by an order that started 5 minutes late", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-13 09:00", "2026-10-13 12:00", orderOpt{})
		f.trip(u, v, "2026-10-13 09:05", "2026-10-13 11:50", roundTrip, o, nil)
	}, nil},
	{"trip not linked by the builder but inside an order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.order(u, v, "2026-10-14 14:00", "2026-10-14 16:00", orderOpt{})
		f.trip(u, v, "2026-10-14 14:05", "2026-10-14 15:30", roundTrip, 0, nil)
	}, nil},
	{"emergency use filed within 48 hours", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.filing(u, v, "trip", "2026-10-15 08:00", "2026-10-15 09:00", "2026-10-16 10:00")
		f.trip(u, v, "2026-10-15 08:00", "2026-10-15 09:00", roundTrip, 0, nil)
	}, nil},
	{"emergency use filed after 60 hours", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.filing(u, v, "trip", "2026-10-15 08:00", "2026-10-15 09:00", "2026-10-17 20:00")
		f.trip(u, v, "2026-10-15 08:00", "2026-10-15 09:00", roundTrip, 0, nil)
	}, []string{"no_order"}},
	{"moving the car 200 m in the yard", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.trip(u, v, "2026-10-16 08:00", "2026-10-16 08:03", [][2]float64{parkP, {parkP[0] + 0.0009, parkP[1]}}, 0, nil)
	}, nil},
	// order_window
	{"trip ending two hours after the order's return", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-20 09:00", "2026-10-20 11:00", orderOpt{})
		f.trip(u, v, "2026-10-20 09:10", "2026-10-20 13:00", roundTrip, o, nil)
	}, []string{"order_window"}},
	{"trip ending 20 minutes after the order's return", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-21 09:00", "2026-10-21 11:00", orderOpt{})
		f.trip(u, v, "2026-10-21 09:00", "2026-10-21 11:20", roundTrip, o, nil)
	}, nil},
	// holiday_sealed
	{"holiday trip with no order or filing", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.trip(u, v, "2026-10-03 10:00", "2026-10-03 12:00", roundTrip, 0, nil)
	}, []string{"holiday_sealed", "no_order"}},
	{"holiday trip with a sealing filing on its order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-04 09:00", "2026-10-04 12:00", orderOpt{sealedFiling: "防汛检查，已报主管部门备案"})
		f.trip(u, v, "2026-10-04 09:10", "2026-10-04 11:40", roundTrip, o, nil)
	}, nil},
	{"holiday trip of an emergency vehicle on an order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{category: "emergency"})
		o := f.order(u, v, "2026-10-05 09:00", "2026-10-05 12:00", orderOpt{})
		f.trip(u, v, "2026-10-05 09:10", "2026-10-05 11:40", roundTrip, o, nil)
	}, nil},
	{"make-up working day trip on an order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-10 09:00", "2026-10-10 12:00", orderOpt{})
		f.trip(u, v, "2026-10-10 09:10", "2026-10-10 11:40", roundTrip, o, nil)
	}, nil},
	{"make-up working day trip without an order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.trip(u, v, "2026-10-10 14:00", "2026-10-10 15:00", roundTrip, 0, nil)
	}, []string{"no_order"}},
	// night_use
	{"night drive without an order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.trip(u, v, "2026-10-22 23:00", "2026-10-22 23:50", roundTrip, 0, nil)
	}, []string{"night_use", "no_order"}},
	{"evening drive on an order before the night", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-23 20:30", "2026-10-23 22:00", orderOpt{})
		f.trip(u, v, "2026-10-23 20:40", "2026-10-23 21:55", roundTrip, o, nil)
	}, nil},
	{"night drive on an order that covers the night", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-24 21:00", "2026-10-25 01:00", orderOpt{})
		f.trip(u, v, "2026-10-24 22:30", "2026-10-25 00:30", roundTrip, o, nil)
	}, nil},
	// area_exit
	{"trip to Nanjing on an order approved for out-of-city travel", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-26 07:00", "2026-10-26 19:00", orderOpt{outOfCity: true})
		f.trip(u, v, "2026-10-26 07:10", "2026-10-26 18:30", [][2]float64{parkP, nanjing, parkP}, o, nil)
	}, nil},
	{"trip to Nanjing on an in-city order (far beyond its destination)", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-27 07:00", "2026-10-27 19:00", orderOpt{})
		f.trip(u, v, "2026-10-27 07:10", "2026-10-27 18:30", [][2]float64{parkP, nanjing, parkP}, o, nil)
	}, []string{"area_exit"}},
	{"trip to Nanjing built before trips kept their box (migration 0017)", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-27 07:00", "2026-10-27 19:00", orderOpt{})
		id := f.trip(u, v, "2026-10-27 07:10", "2026-10-27 18:30", [][2]float64{parkP, nanjing, parkP}, o, nil)
		f.exec("UPDATE trips SET min_lat = NULL, max_lat = NULL, min_lng = NULL, max_lng = NULL WHERE id = ?", id)
	}, []string{"area_exit"}},
	{"round trip to Yixing, in the polygon's bounding box but outside the city", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-27 07:00", "2026-10-27 19:00", orderOpt{})
		f.trip(u, v, "2026-10-27 08:00", "2026-10-27 12:00", [][2]float64{parkP, yixing, parkP}, o, nil)
	}, []string{"area_exit"}},
	{"GPS jump to Nanjing during a city trip", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-28 09:00", "2026-10-28 11:00", orderOpt{})
		f.trip(u, v, "2026-10-28 09:10", "2026-10-28 10:30", roundTrip, o, map[string][2]float64{"2026-10-28 09:40": nanjing})
	}, nil},
	// overnight
	{"car parked overnight at a residential compound", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-29 17:00", "2026-10-29 19:00", orderOpt{})
		f.trip(u, v, "2026-10-29 17:30", "2026-10-29 18:10", [][2]float64{parkP, homeR}, o, nil)
		f.pos(v, bjt("2026-10-29 23:00"), homeR, 0)
	}, []string{"overnight"}},
	{"back at parking 200 m off the recorded point", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-10-30 17:00", "2026-10-30 19:00", orderOpt{})
		off := [2]float64{parkP[0] + 0.0018, parkP[1]} // ~200 m north
		f.trip(u, v, "2026-10-30 17:10", "2026-10-30 18:10", [][2]float64{parkP, cityC, off}, o, nil)
		f.pos(v, bjt("2026-10-30 23:00"), off, 0)
	}, nil},
	{"out overnight on an order covering the night", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-11-02 17:00", "2026-11-03 09:00", orderOpt{})
		f.trip(u, v, "2026-11-02 17:10", "2026-11-02 18:00", [][2]float64{parkP, homeR}, o, nil)
	}, nil},
	// mileage
	{"odometer 100 km for 40 km driven", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-11-04 08:00", "2026-11-04 17:00", orderOpt{odometer: [2]int64{12000, 12100}})
		east := [2]float64{31.78, 120.12} // ~16 km east, inside the city
		f.trip(u, v, "2026-11-04 08:10", "2026-11-04 16:30", [][2]float64{parkP, east, {31.80, 120.15}, parkP}, o, nil)
	}, []string{"mileage"}},
	{"odometer matching the GPS distance", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		o := f.order(u, v, "2026-11-05 08:00", "2026-11-05 12:00", orderOpt{odometer: [2]int64{5000, 5012}})
		f.trip(u, v, "2026-11-05 08:10", "2026-11-05 11:30", roundTrip, o, nil)
	}, nil},
	{"odometer going backwards after the previous order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.order(u, v, "2026-11-10 08:00", "2026-11-10 10:00", orderOpt{odometer: [2]int64{37000, 37108}})
		f.order(u, v, "2026-11-11 08:00", "2026-11-11 10:00", orderOpt{odometer: [2]int64{12000, 12020}})
	}, []string{"mileage"}},
	{"odometer jumping 300 km between orders with no trip between", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.order(u, v, "2026-11-10 08:00", "2026-11-10 10:00", orderOpt{odometer: [2]int64{9000, 9010}})
		f.order(u, v, "2026-11-11 08:00", "2026-11-11 10:00", orderOpt{odometer: [2]int64{9310, 9320}})
	}, []string{"mileage"}},
	{"odometer continuing the previous order", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.order(u, v, "2026-11-10 08:00", "2026-11-10 10:00", orderOpt{odometer: [2]int64{8000, 8010}})
		f.order(u, v, "2026-11-11 08:00", "2026-11-11 10:00", orderOpt{odometer: [2]int64{8012, 8030}})
	}, nil},
	// terminal health
	{"terminal offline 30 hours", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.event(u, v, "offline", "2026-11-06 08:00", "2026-11-07 14:00")
	}, []string{"terminal_offline"}},
	{"terminal offline 2 hours", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.event(u, v, "offline", "2026-11-06 08:00", "2026-11-06 10:00")
	}, nil},
	{"power cut followed by silence", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.event(u, v, "silent_after_power_cut", "2026-11-08 21:00", "2026-11-08 21:01")
	}, []string{"tamper"}},
	{"main power cut for 45 minutes", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.event(u, v, "power_cut", "2026-11-09 10:00", "2026-11-09 10:45")
	}, []string{"tamper"}},
	{"power dip of two minutes while cranking", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.event(u, v, "power_cut", "2026-11-09 10:00", "2026-11-09 10:02")
	}, nil},
	// filing_overdue
	{"unit's emergency filing never completed", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.filing(u, v, "unit", "2026-11-10 08:00", "2026-11-10 10:00", "")
	}, []string{"filing_overdue"}},
	{"unit's emergency filing completed in time", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.filing(u, v, "unit", "2026-11-10 08:00", "2026-11-10 10:00", "2026-11-11 09:00")
	}, nil},
	// periodic
	{"vehicle confirmed eight months ago", 0, func(f *fx, u int64) {
		f.vehicle(u, vehicleOpt{confirmed: bjt("2026-03-20 09:00")})
	}, []string{"unconfirmed"}},
	{"unit over its vehicle quota", 1, func(f *fx, u int64) {
		f.vehicle(u, vehicleOpt{})
		f.vehicle(u, vehicleOpt{})
	}, []string{"over_quota"}},
	// fuel_anomaly: flags computed by the fuel import's rules
	{"fuelling a sealed car on a holiday without a filing", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-03 10:17": 38.4, "2026-10-15 09:00": 40})
	}, []string{"fuel_anomaly"}},
	{"fuelling on a make-up working day", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-10 10:00": 42})
	}, nil},
	{"fuelling on a holiday for a trip with a sealing filing", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.order(u, v, "2026-10-04 09:00", "2026-10-04 12:00", orderOpt{sealedFiling: "防汛检查，已报主管部门备案"})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-04 11:00": 35})
	}, nil},
	{"emergency vehicle fuelling on a holiday", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{category: "emergency"})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-05 18:00": 45})
	}, nil},
	{"two fills in a day beyond the tank", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-20 18:00": 48, "2026-10-20 18:40": 42})
	}, []string{"fuel_anomaly"}},
	{"two fills in a day within the tank", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		f.fuelMonth(u, v, "2026-10", map[string]float64{"2026-10-20 08:00": 30, "2026-10-20 17:00": 30})
	}, nil},
	{"a month 2.5 times the vehicle's baseline", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		for _, m := range []string{"2026-06", "2026-07", "2026-08"} {
			f.fuelMonth(u, v, m, map[string]float64{m + "-12 09:00": 40})
		}
		f.fuelMonth(u, v, "2026-09", map[string]float64{"2026-09-08 09:00": 50, "2026-09-18 09:00": 50})
	}, []string{"fuel_anomaly"}},
	{"a month 25 % above the vehicle's baseline", 0, func(f *fx, u int64) {
		v := f.vehicle(u, vehicleOpt{})
		for _, m := range []string{"2026-06", "2026-07", "2026-08"} {
			f.fuelMonth(u, v, m, map[string]float64{m + "-12 09:00": 40})
		}
		f.fuelMonth(u, v, "2026-09", map[string]float64{"2026-09-08 09:00": 25, "2026-09-18 09:00": 25})
	}, nil},
	// repair_cost
	{"repair closed 35 % over its approved budget", 0, func(f *fx, u int64) {
		f.repair(u, f.vehicle(u, vehicleOpt{}), "2026-10-19 16:00", 4000, 5400)
	}, []string{"repair_cost"}},
	{"repair closed 10 % over its approved budget", 0, func(f *fx, u int64) {
		f.repair(u, f.vehicle(u, vehicleOpt{}), "2026-10-19 16:00", 4000, 4400)
	}, nil},
	{"a coach repaired for 4 times its category's median", 6, func(f *fx, u int64) {
		for i := 0; i < 5; i++ {
			f.repair(u, f.vehicle(u, vehicleOpt{category: "coach"}), fmt.Sprintf("2026-0%d-10 10:00", 3+i), 8000, 8000)
		}
		v := f.vehicle(u, vehicleOpt{category: "coach"})
		f.repair(u, v, "2026-04-20 10:00", 16000, 16000)
		f.repair(u, v, "2026-10-26 10:00", 20000, 20000) // 36 000 in 12 months; median 8 000
	}, []string{"repair_cost"}},
	{"a van at 4 times the median of only four repaired vans", 0, func(f *fx, u int64) {
		for i := 0; i < 3; i++ {
			f.repair(u, f.vehicle(u, vehicleOpt{category: "van"}), fmt.Sprintf("2026-0%d-10 10:00", 3+i), 5000, 5000)
		}
		f.repair(u, f.vehicle(u, vehicleOpt{category: "van"}), "2026-10-26 10:00", 20000, 20000)
	}, nil},
}

var scenarioWindow = Window{From: bjt("2026-09-01 00:00"), To: bjt("2026-12-01 00:00")}

// buildScenarios loads every scenario into db and returns unit → scenario.
func buildScenarios(t testing.TB, db *store.DB) map[int64]*scenario {
	f := newFx(t, db)
	for d := 1; d <= 7; d++ {
		f.day(fmt.Sprintf("2026-10-%02d", d), "holiday")
	}
	f.day("2026-10-10", "workday")
	out := map[int64]*scenario{}
	for i := range scenarios {
		sc := &scenarios[i]
		q := sc.quota
		if q == 0 {
			q = 5
		}
		u, _ := f.unit(q)
		sc.build(f, u)
		out[u] = sc
	}
	return out
}

type pr struct{ tp, fp, fn int }

// TestScenarios runs every rule over the labelled set and reports
// precision and recall per rule; every label must be met exactly.
func TestScenarios(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		units := buildScenarios(t, db)
		s := &Service{DB: db}
		fs, err := s.Evaluate(context.Background(), scenarioWindow)
		if err != nil {
			t.Fatal(err)
		}
		got := map[int64][]string{}
		for _, f := range fs {
			if units[f.UnitID] == nil {
				t.Errorf("finding outside the scenarios: %+v", f)
				continue
			}
			got[f.UnitID] = append(got[f.UnitID], f.Rule)
		}
		stats := map[string]*pr{}
		for _, r := range Rules {
			stats[r.Info().Code] = &pr{}
		}
		for u, sc := range units {
			g := got[u]
			sort.Strings(g)
			want := slices.Clone(sc.want)
			sort.Strings(want)
			if !slices.Equal(g, want) {
				t.Errorf("%s: got %v, want %v", sc.name, g, want)
			}
			for _, r := range Rules {
				c := r.Info().Code
				in, exp := slices.Contains(g, c), slices.Contains(want, c)
				switch {
				case in && exp:
					stats[c].tp++
				case in:
					stats[c].fp++
				case exp:
					stats[c].fn++
				}
			}
		}
		var b strings.Builder
		b.WriteString("| rule | name | true pos. | false pos. | false neg. | precision | recall |\n|---|---|---|---|---|---|---|\n")
		for _, r := range Rules {
			st := stats[r.Info().Code]
			b.WriteString(fmt.Sprintf("| %s | %s | %d | %d | %d | %s | %s |\n", r.Info().Code, r.Info().Name, st.tp, st.fp, st.fn,
				ratio(st.tp, st.tp+st.fp), ratio(st.tp, st.tp+st.fn)))
		}
		t.Logf("%d scenarios\n%s", len(scenarios), b.String())
		if out := os.Getenv("SUPERVISION_PR_OUT"); out != "" && t.Name() == "TestScenarios/sqlite" {
			os.WriteFile(out, []byte(b.String()), 0o644)
		}
	})
}

func ratio(a, b int) string {
	if b == 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}
