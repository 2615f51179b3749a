package supervision

import (
	"context"
	"fmt"
	"math"
	"os"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

// City-month scale (issue 7 quality bar): vehicles, and positions per
// trip (SUPERVISION_BENCH_VEHICLES, SUPERVISION_BENCH_POINTS).
var benchVehicles, benchPoints = 20000, 1

const (
	benchDays  = 30
	benchUnits = 400
)

type bUnit struct {
	bun.BaseModel `bun:"table:units"`
	ID            int64     `bun:"id"`
	ParentID      int64     `bun:"parent_id"`
	Kind          string    `bun:"kind"`
	Name          string    `bun:"name"`
	Level         string    `bun:"level"`
	Path          string    `bun:"path"`
	Depth         int       `bun:"depth"`
	VehicleQuota  int       `bun:"vehicle_quota"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type bVehicle struct {
	bun.BaseModel `bun:"table:vehicles"`
	ID            int64     `bun:"id"`
	UnitID        int64     `bun:"unit_id"`
	Plate         string    `bun:"plate"`
	Category      string    `bun:"category"`
	Brand         string    `bun:"brand"`
	Model         string    `bun:"model"`
	VIN           string    `bun:"vin"`
	Seats         int       `bun:"seats"`
	EnergyType    string    `bun:"energy_type"`
	VehicleClass  string    `bun:"vehicle_class"`
	ParkingLat    float64   `bun:"parking_lat"`
	ParkingLng    float64   `bun:"parking_lng"`
	ParkingRadius int       `bun:"parking_radius"`
	ConfirmedAt   time.Time `bun:"confirmed_at"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type bTrip struct {
	bun.BaseModel `bun:"table:trips"`
	ID            int64     `bun:"id"`
	VehicleID     int64     `bun:"vehicle_id"`
	UnitID        int64     `bun:"unit_id"`
	Phone         string    `bun:"terminal_phone"`
	StartedAt     time.Time `bun:"started_at"`
	EndedAt       time.Time `bun:"ended_at"`
	StartLat      int64     `bun:"start_lat"`
	StartLng      int64     `bun:"start_lng"`
	EndLat        int64     `bun:"end_lat"`
	EndLng        int64     `bun:"end_lng"`
	MinLat        int64     `bun:"min_lat"`
	MaxLat        int64     `bun:"max_lat"`
	MinLng        int64     `bun:"min_lng"`
	MaxLng        int64     `bun:"max_lng"`
	DistanceM     int64     `bun:"distance_m"`
	MaxSpeed      int       `bun:"max_speed"`
	Points        int       `bun:"points"`
	State         string    `bun:"state"`
	OrderID       *int64    `bun:"order_id"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type bOrder struct {
	bun.BaseModel  `bun:"table:orders"`
	ID             int64     `bun:"id"`
	No             string    `bun:"no"`
	UnitID         int64     `bun:"unit_id"`
	ApplicantID    int64     `bun:"applicant_id"`
	ApplicantName  string    `bun:"applicant_name"`
	Reason         string    `bun:"reason"`
	PassengerCount int       `bun:"passenger_count"`
	PickupPlace    string    `bun:"pickup_place"`
	Destinations   string    `bun:"destinations"`
	PickupAt       time.Time `bun:"pickup_at"`
	ReturnAt       time.Time `bun:"return_at"`
	State          string    `bun:"state"`
	VehicleID      int64     `bun:"vehicle_id"`
	SealedFiling   string    `bun:"sealed_filing"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

type bPos struct {
	bun.BaseModel `bun:"table:positions"`
	VehicleID     int64     `bun:"vehicle_id"`
	Phone         string    `bun:"terminal_phone"`
	At            time.Time `bun:"at"`
	ReceivedAt    time.Time `bun:"received_at"`
	Lat           int64     `bun:"lat"`
	Lng           int64     `bun:"lng"`
	Speed         int       `bun:"speed"`
	Heading       int       `bun:"heading"`
	Altitude      int       `bun:"altitude"`
	Alarm         int64     `bun:"alarm"`
	Status        int64     `bun:"status"`
}

func bulk[T any](ctx context.Context, db *store.DB, rows []T) error {
	return db.Tx(ctx, func(tx bun.Tx) error {
		for len(rows) > 0 {
			n := min(len(rows), 1000)
			part := rows[:n]
			if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
				return err
			}
			rows = rows[n:]
		}
		return nil
	})
}

// seedMonth fills db with a city's month: 20,000 vehicles in 400 units,
// one trip a vehicle a day (600,000), an order for 99 % of them, the
// positions closing each trip (600,000; SUPERVISION_BENCH_POINTS a trip), the calendar of the month.
func seedMonth(b testing.TB, db *store.DB, from time.Time) {
	ctx := context.Background()
	f := newFx(b, db)
	f.day(beijing.Date(from.AddDate(0, 0, 3)), "holiday")
	f.day(beijing.Date(from.AddDate(0, 0, 5)), "workday")
	now := from.AddDate(0, -1, 0)
	var units []bUnit
	for i := 0; i < benchUnits; i++ {
		id := int64(100 + i)
		units = append(units, bUnit{ID: id, ParentID: 2, Kind: "unit", Name: fmt.Sprintf("单位%d", id), Level: "district", Path: fmt.Sprintf("/1/2/%d/", id),
			Depth: 2, VehicleQuota: benchVehicles/benchUnits - i%50/49, CreatedAt: now, UpdatedAt: now})
	}
	if err := bulk(ctx, db, units); err != nil {
		b.Fatal(err)
	}
	var vs []bVehicle
	for i := 0; i < benchVehicles; i++ {
		id := int64(10000 + i)
		vs = append(vs, bVehicle{ID: id, UnitID: int64(100 + i%benchUnits), Plate: fmt.Sprintf("苏D%06d", i), Category: "other", Brand: "大众", Model: "帕萨特",
			VIN: fmt.Sprintf("LSVBENCH%09d", i), Seats: 5, EnergyType: "gasoline", VehicleClass: "C1", ParkingLat: 31.70 + float64(i%100)*0.002,
			ParkingLng: 119.90 + float64(i/100%100)*0.002, ParkingRadius: 150, ConfirmedAt: now, CreatedAt: now, UpdatedAt: now})
	}
	if err := bulk(ctx, db, vs); err != nil {
		b.Fatal(err)
	}
	for d := 0; d < benchDays; d++ {
		sealed := ""
		if d == 3 { // the holiday: orders carry the sealing filing
			sealed = "节假日值班"
		}
		var ts []bTrip
		var os []bOrder
		var ps []bPos
		for i, v := range vs {
			id := int64(d*benchVehicles + i + 1)
			start := from.AddDate(0, 0, d).Add(time.Duration(8*60+i%600) * time.Minute)
			end := start.Add(70 * time.Minute)
			la, lo := int64(v.ParkingLat*1e6), int64(v.ParkingLng*1e6)
			// A round trip of 18 km: its box (as the trips builder keeps it)
			// reaches ~4.5 km from the parking place.
			t := bTrip{ID: id, VehicleID: v.ID, UnitID: v.UnitID, Phone: phoneOf(v.ID), StartedAt: start, EndedAt: end, StartLat: la, StartLng: lo,
				EndLat: la, EndLng: lo, MinLat: la - 40000, MaxLat: la + 40000, MinLng: lo - 47000, MaxLng: lo + 47000, DistanceM: 18000, MaxSpeed: 600, Points: 420, State: "closed", CreatedAt: end, UpdatedAt: end}
			if i%100 != 0 {
				oid := id
				t.OrderID = &oid
				os = append(os, bOrder{ID: id, No: fmt.Sprintf("B%09d", id), UnitID: v.UnitID, ApplicantID: 1, ApplicantName: "申请人", Reason: "公务",
					PassengerCount: 1, PickupPlace: "机关", Destinations: `["市政府"]`, PickupAt: start.Add(-5 * time.Minute), ReturnAt: end.Add(10 * time.Minute),
					State: "closed", VehicleID: v.ID, SealedFiling: sealed, CreatedAt: start, UpdatedAt: end})
			}
			ts = append(ts, t)
			// benchPoints positions around a loop from the parking place, the
			// last one back at it when the trip ends.
			for k := 1; k <= benchPoints; k++ {
				a := 2 * math.Pi * float64(k) / float64(benchPoints)
				at := start.Add(70 * time.Minute * time.Duration(k) / time.Duration(benchPoints))
				ps = append(ps, bPos{VehicleID: v.ID, Phone: phoneOf(v.ID), At: at, ReceivedAt: at,
					Lat: la + int64(20000*(1-math.Cos(a))), Lng: lo + int64(23000*math.Sin(a)), Status: 3})
			}
		}
		for _, rows := range []func() error{
			func() error { return bulk(ctx, db, os) }, func() error { return bulk(ctx, db, ts) }, func() error { return bulk(ctx, db, ps) },
		} {
			if err := rows(); err != nil {
				b.Fatal(err)
			}
		}
	}
	// As the positions writer does on SQLite (migration 0016; PostgreSQL's
	// trigger already has).
	if !db.Postgres {
		if _, err := db.W.ExecContext(ctx, "INSERT OR IGNORE INTO position_days SELECT DISTINCT vehicle_id, date(at), terminal_phone FROM positions"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkMonth evaluates every rule over a city's month (20,000
// vehicles, 600,000 trips) and stores the findings. The data takes
// minutes to build, so it runs only with SUPERVISION_BENCH=1:
//
//	SUPERVISION_BENCH=1 go test ./internal/supervision/ -run '^$' -bench Month -benchtime 1x -timeout 60m
func BenchmarkMonth(b *testing.B) {
	if os.Getenv("SUPERVISION_BENCH") == "" {
		b.Skip("set SUPERVISION_BENCH=1 to build a city's month and evaluate the rules")
	}
	if n, err := strconv.Atoi(os.Getenv("SUPERVISION_BENCH_VEHICLES")); err == nil && n > 0 {
		benchVehicles = n
	}
	if n, err := strconv.Atoi(os.Getenv("SUPERVISION_BENCH_POINTS")); err == nil && n > 0 {
		benchPoints = n
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var db *store.DB
			if name == "sqlite" {
				db = storetest.SQLite(b)
			} else {
				db = storetest.Postgres(b)
			}
			from := bjt("2026-09-01 00:00")
			t0 := time.Now()
			seedMonth(b, db, from)
			fmt.Fprintf(os.Stderr, "%s: seeded %d vehicles, %d trips in %s\n", name, benchVehicles, benchVehicles*benchDays, time.Since(t0).Round(time.Second))
			s := &Service{DB: db}
			w := Window{From: from, To: from.AddDate(0, 0, benchDays)}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t1, c1 := time.Now(), cpuTime()
				ctx := withTripCache(context.Background())
				st, err := LoadSettings(ctx, db.R)
				if err != nil {
					b.Fatal(err)
				}
				n := 0
				for _, r := range Rules {
					tr := time.Now()
					fs, err := r.Evaluate(ctx, db.R, w, st.Resolver(r))
					if err != nil {
						b.Fatal(err)
					}
					n += len(fs)
					fmt.Fprintf(os.Stderr, "  %-16s %6d findings %s\n", r.Info().Code, len(fs), time.Since(tr).Round(time.Millisecond))
				}
				eval, evalCPU := time.Since(t1), cpuTime()-c1
				res, err := s.Run(context.Background(), w)
				if err != nil {
					b.Fatal(err)
				}
				fmt.Fprintf(os.Stderr, "evaluate all rules: %d findings in %s (CPU time of this process %s); run (evaluate again + store): %d new, %d cases in %s", n, eval.Round(time.Millisecond), evalCPU.Round(time.Millisecond),
					res.New, res.Cases, (time.Since(t1) - eval).Round(time.Millisecond))
				fmt.Fprintln(os.Stderr)
			}
		})
	}
}

// cpuTime is the CPU time (user + system) this process has used: on a
// machine shared with other work, wall time overstates the cost.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
