package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/dispatch"
)

// TestDispatchScenario: the city's dispatcher pools a vehicle,
// creates a task and draws on the pool and on units of two districts; the
// owners see their vehicles and object; the city upholds one objection and
// withdraws the other; a conflicting assignment is refused naming the
// task; the board, the driver's phone list and the export follow.
func TestDispatchScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		city := e.w.UnitID(t, "常州市")
		dispatcher := e.caller(city, access.Dispatcher)
		tnVM, zlVM := e.caller(e.inUnit, access.VehicleManager), e.caller(e.outUnit, access.VehicleManager)
		driver := e.caller(e.inUnit, access.Driver)
		must := func(what string, status int, body []byte, want int, v any) {
			t.Helper()
			if status != want {
				t.Fatalf("%s: %d %s, want %d", what, status, body, want)
			}
			if v != nil {
				if err := json.Unmarshal(body, v); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
		}
		poolV, poolD := e.taskPair(e.w.UnitID(t, "市机关事务管理局"))
		st, b := e.do(&dispatcher.sess, "POST", "/api/pool-vehicles", map[string]any{"vehicle_id": poolV, "driver_id": poolD, "note": "赛事保障"})
		must("pool", st, b, http.StatusCreated, nil)

		start := apptest.Workday(15, 8)
		in := e.taskIn(0)
		in.Name, in.ObjectionDeadline = "城市马拉松（接口测试）", start.Add(-24*time.Hour)
		in.Shifts = []dispatch.ShiftInput{{Name: "比赛日", StartAt: start, EndAt: start.Add(8 * time.Hour), Place: "常州奥体中心"}}
		var task dispatch.TaskDetail
		st, b = e.do(&dispatcher.sess, "POST", "/api/support-tasks", in)
		must("task", st, b, http.StatusCreated, &task)

		var x dispatch.Assignment
		st, b = e.do(&dispatcher.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/assignments", task.ID), map[string]any{"vehicle_id": poolV})
		must("assign pool", st, b, http.StatusOK, &x)
		if x.State != dispatch.Confirmed || x.DriverID != poolD {
			t.Fatalf("pool assignment %+v", x)
		}
		ids := map[string]int64{}
		for name, unit := range map[string]int64{"tn": e.inUnit, "zl": e.outUnit} {
			v, d := e.taskPair(unit)
			st, b = e.do(&dispatcher.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/assignments", task.ID), map[string]any{"vehicle_id": v, "driver_id": d})
			must("assign "+name, st, b, http.StatusOK, &x)
			if x.State != dispatch.Notified {
				t.Fatalf("%s assignment %+v", name, x)
			}
			ids[name] = x.ID
			if name == "tn" {
				if _, err := e.w.DB.W.ExecContext(context.Background(), "UPDATE drivers SET user_id = ? WHERE id = ?", driver.user.ID, d); err != nil {
					t.Fatal(err)
				}
			}
		}
		// The owners see their own vehicle only, and object.
		var l struct {
			Items []dispatch.Assignment `json:"items"`
		}
		st, b = e.do(&tnVM.sess, "GET", "/api/task-assignments?state=notified", nil)
		must("owner's list", st, b, http.StatusOK, &l)
		if len(l.Items) != 1 || l.Items[0].ID != ids["tn"] || !l.Items[0].CanObject {
			t.Fatalf("天宁区's list: %+v", l.Items)
		}
		st, b = e.do(&zlVM.sess, "POST", fmt.Sprintf("/api/task-assignments/%d/object", ids["tn"]), map[string]string{"reason": "不是我的车"})
		must("another owner objects", st, b, http.StatusForbidden, nil)
		for name, c := range map[string]caller{"tn": tnVM, "zl": zlVM} {
			st, b = e.do(&c.sess, "POST", fmt.Sprintf("/api/task-assignments/%d/object", ids[name]), map[string]string{"reason": "当日另有公务"})
			must("object "+name, st, b, http.StatusOK, &x)
			if x.State != dispatch.Objected {
				t.Fatalf("objection %s: %+v", name, x)
			}
		}
		st, b = e.do(&dispatcher.sess, "POST", fmt.Sprintf("/api/task-assignments/%d/uphold", ids["tn"]), map[string]string{"reason": "赛事优先"})
		must("uphold", st, b, http.StatusOK, nil)
		st, b = e.do(&dispatcher.sess, "POST", fmt.Sprintf("/api/task-assignments/%d/withdraw", ids["zl"]), map[string]string{"reason": "另行安排"})
		must("withdraw", st, b, http.StatusOK, &x)
		if x.State != dispatch.Withdrawn {
			t.Fatalf("withdrawn %+v", x)
		}
		// Another task at the same time cannot take the pool vehicle.
		in2 := in
		in2.Name = "同日另一任务"
		var task2 dispatch.TaskDetail
		st, b = e.do(&dispatcher.sess, "POST", "/api/support-tasks", in2)
		must("task 2", st, b, http.StatusCreated, &task2)
		st, b = e.do(&dispatcher.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/assignments", task2.ID), map[string]any{"vehicle_id": poolV})
		var ae apiError
		json.Unmarshal(b, &ae)
		if st != http.StatusConflict || !strings.Contains(ae.Error.Message, "城市马拉松（接口测试）") || !strings.Contains(ae.Error.Message, e.plateOf(poolV)) {
			t.Fatalf("conflict: %d %s", st, b)
		}
		// The board: the pool's and 天宁区's vehicles, one shift each.
		var board dispatch.TaskBoard
		st, b = e.do(&dispatcher.sess, "GET", fmt.Sprintf("/api/support-tasks/%d/board", task.ID), nil)
		must("board", st, b, http.StatusOK, &board)
		if len(board.Rows) != 2 || board.Days != 1 || board.Conflicts != 0 {
			t.Fatalf("board: %d rows, %d days, %d conflicts", len(board.Rows), board.Days, board.Conflicts)
		}
		// The driver's phone list.
		var mine dispatch.MyTasks
		st, b = e.do(&driver.sess, "GET", "/api/driver/support-tasks", nil)
		must("driver", st, b, http.StatusOK, &mine)
		if len(mine.Shifts) != 1 || mine.Shifts[0].TaskName != "城市马拉松（接口测试）" {
			t.Fatalf("driver's shifts %+v", mine.Shifts)
		}
		// The convoy for the live map, and the export.
		var convoy []int64
		st, b = e.do(&dispatcher.sess, "GET", fmt.Sprintf("/api/support-tasks/%d/convoy", task.ID), nil)
		must("convoy", st, b, http.StatusOK, &convoy)
		if len(convoy) != 2 {
			t.Fatalf("convoy %v", convoy)
		}
		st, b = e.do(&dispatcher.sess, "GET", "/api/support-tasks/export?q=接口测试", nil)
		if st != http.StatusOK || !strings.HasPrefix(string(b), "PK") {
			t.Fatalf("export: %d", st)
		}
	})
}
