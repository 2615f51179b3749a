package dispatch_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/dispatch"
)

// TestAvailabilityFollowsRegistry: availability keeps the registry's
// vehicles in memory (issue 21, performance); whatever changes — a vehicle
// sent to repair or disposed, a new vehicle, a vehicle pooled, a unit
// renamed, a new order — shows at the next read of the candidates and of
// the task board, however it was written.
func TestAvailabilityFollowsRegistry(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		f := &fixture{t: t, w: w, city: w.Actor(t, "city_admin")}
		d := w.Dispatch
		unit := w.UnitID(t, "市机关事务管理局")
		van, vanPlate := f.vehicle(unit, "small", 7)
		start := apptest.Workday(25, 8)
		task, err := d.CreateTask(ctx, f.city, dispatch.TaskInput{Name: "缓存测试保障", Kind: "event", ObjectionDeadline: start,
			Shifts: []dispatch.ShiftInput{{Name: "全天", StartAt: start, EndAt: start.Add(8 * time.Hour), Place: "市民广场"}}})
		if err != nil {
			t.Fatal(err)
		}
		// one reads the van among the vans of the city (the first page of all).
		one := func(plate string) (*dispatch.Slot, int) {
			t.Helper()
			cs, n, err := d.Candidates(ctx, f.city, task.ID, "van", "", 1, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cs {
				if c.Plate == plate {
					return c, n
				}
			}
			return nil, n
		}
		c, vans := one(vanPlate)
		if c == nil || !c.Free || c.Pool != "" || c.UnitName != "市机关事务管理局" {
			t.Fatalf("the new van: %+v", c)
		}

		// Sent to repair (as the repair flow writes it): held at the next read.
		f.exec("UPDATE vehicles SET status = 'maintenance' WHERE id = ?", van)
		if c, _ = one(vanPlate); c == nil || c.Free || !strings.Contains(strings.Join(c.Conflicts, ""), "维修保养") {
			t.Fatalf("under repair: %+v", c)
		}
		f.exec("UPDATE vehicles SET status = 'available' WHERE id = ?", van)
		if c, _ = one(vanPlate); c == nil || !c.Free {
			t.Fatalf("back from repair: %+v", c)
		}

		// A new order over the shift holds it.
		f.exec(`INSERT INTO orders (no, unit_id, applicant_id, applicant_name, reason, passenger_count, pickup_place, destinations, pickup_at, return_at, state, vehicle_id, driver_id, created_at, updated_at)
			VALUES ('YC-TEST-CACHE', ?, ?, '测试', '接待', 1, '市政府', '["机场"]', ?, ?, 'dispatched', ?, ?, ?, ?)`,
			unit, f.city.UserID, start.Add(time.Hour), start.Add(3*time.Hour), van, f.driver(unit, "C1"), time.Now().UTC(), time.Now().UTC())
		if c, _ = one(vanPlate); c == nil || c.Free || !strings.Contains(strings.Join(c.Conflicts, ""), "YC-TEST-CACHE") {
			t.Fatalf("booked: %+v", c)
		}
		f.exec("UPDATE orders SET state = 'cancelled' WHERE no = 'YC-TEST-CACHE'")

		// Pooled by the city: named with the pool and ranked first.
		if _, err := d.AddToPool(ctx, f.city, dispatch.PoolInput{VehicleID: van}); err != nil {
			t.Fatal(err)
		}
		cs, _, err := d.Candidates(ctx, f.city, task.ID, "van", "", 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cs {
			if c.Plate == vanPlate {
				if c.Pool != "常州市" || !c.Free {
					t.Fatalf("pooled van: %+v", c)
				}
				break
			}
			if c.Pool != "常州市" {
				t.Fatalf("%s, not pooled, ranked before the pooled van", c.Plate)
			}
		}

		// A new vehicle is a candidate at once; a renamed unit is shown by its new name.
		other, otherPlate := f.vehicle(unit, "small", 7)
		if c, n := one(otherPlate); c == nil || n != vans+1 {
			t.Fatalf("a new van: %+v among %d (was %d)", c, n, vans)
		}
		f.exec("UPDATE units SET name = '市机关事务管理服务中心' WHERE id = ?", unit)
		if c, _ = one(otherPlate); c == nil || c.UnitName != "市机关事务管理服务中心" {
			t.Fatalf("renamed unit: %+v", c)
		}
		// Disposed: no longer a candidate.
		f.exec("UPDATE vehicles SET status = 'disposed' WHERE id = ?", other)
		if c, n := one(otherPlate); c != nil || n != vans {
			t.Fatalf("a disposed van is still a candidate: %+v among %d", c, n)
		}

		// The task board reads the same: its van sent to repair shows the conflict.
		if _, err := d.Assign(ctx, f.city, task.ID, dispatch.AssignInput{VehicleID: van, DriverID: f.driver(unit, "C1")}); err != nil {
			t.Fatal(err)
		}
		b, err := d.Board(ctx, f.city, task.ID)
		if err != nil || len(b.Rows) != 1 || !b.Rows[0].Free {
			t.Fatalf("board: %+v %v", b, err)
		}
		f.exec("UPDATE vehicles SET status = 'sealed' WHERE id = ?", van)
		if b, err = d.Board(ctx, f.city, task.ID); err != nil || b.Conflicts != 1 || !strings.Contains(strings.Join(b.Rows[0].Conflicts, ""), "已封存") {
			t.Fatalf("board of a sealed van: %+v %v", b, err)
		}
	})
}
