package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/demo"
	"govfleet/internal/dispatch"
)

// expect is a caller's request expected to answer status (its body
// containing text), decoded into out when not nil.
func (e *env) expect(s *session, method, path string, body any, status int, text string, out any) {
	e.t.Helper()
	got, b := e.do(s, method, path, body)
	if got != status || !strings.Contains(string(b), text) {
		e.t.Fatalf("%s %s: %d %s, want %d with %q", method, path, got, b, status, text)
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			e.t.Fatal(err)
		}
	}
}

// TestTaskEditScenario: through the API the city's dispatcher moves
// a task's shift onto another task of its vehicle — refused naming it —
// then to a free time, the order following; then cancels the task with a
// reason, its orders cancelled.
func TestTaskEditScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		disp := e.caller(e.w.UnitID(t, "常州市"), access.Dispatcher)
		v, d := e.taskPair(e.inUnit)
		start := apptest.Workday(50, 8)
		task := func(name string, shifts ...dispatch.ShiftInput) dispatch.TaskDetail {
			in := e.taskIn(0)
			in.Name, in.ObjectionDeadline, in.Shifts = fmt.Sprintf("%s%d", name, e.next()), start.Add(-24*time.Hour), shifts
			var x dispatch.TaskDetail
			e.expect(&disp.sess, "POST", "/api/support-tasks", in, 201, "", &x)
			e.expect(&disp.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/assignments", x.ID), map[string]any{"vehicle_id": v, "driver_id": d}, 200, "", nil)
			return x
		}
		sh := func(name string, at time.Time) dispatch.ShiftInput {
			return dispatch.ShiftInput{Name: name, StartAt: at, EndAt: at.Add(4 * time.Hour), Place: "市民广场"}
		}
		mine := task("防汛演练（接口测试）", sh("早班", start), sh("次日早班", start.Add(24*time.Hour)))
		other := task("健步走（接口测试）", sh("午班", start.Add(6*time.Hour)))
		pickup := func() time.Time {
			var at time.Time
			if err := w.DB.R.NewSelect().TableExpr("task_orders AS k").ColumnExpr("o.pickup_at").Join("JOIN orders AS o ON o.id = k.order_id").
				Where("k.shift_id = ?", mine.Shifts[0].ID).Scan(t.Context(), &at); err != nil {
				t.Fatal(err)
			}
			return at.UTC()
		}
		path := fmt.Sprintf("/api/task-shifts/%d", mine.Shifts[0].ID)
		e.expect(&disp.sess, "PUT", path, sh("早班", start.Add(4*time.Hour)), 409, "保障任务「"+other.Name+"」", nil)
		if !pickup().Equal(start) {
			t.Fatal("a refused move changed the order")
		}
		var got dispatch.TaskDetail
		e.expect(&disp.sess, "PUT", path, sh("早班", start.Add(-2*time.Hour)), 200, "", &got)
		if !pickup().Equal(start.Add(-2*time.Hour)) || !got.Shifts[0].StartAt.Equal(start.Add(-2*time.Hour)) {
			t.Fatalf("the order did not follow the shift: %v", pickup())
		}
		e.expect(&disp.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/cancel", mine.ID), map[string]string{"reason": ""}, 400, "取消任务的原因", nil)
		e.expect(&disp.sess, "POST", fmt.Sprintf("/api/support-tasks/%d/cancel", mine.ID), map[string]string{"reason": "演练推迟"}, 200, `"state_name":"已取消"`, nil)
		if n, err := w.DB.R.NewSelect().Table("orders").Where("task_id = ? AND state <> 'cancelled'", mine.ID).Count(t.Context()); err != nil || n != 0 {
			t.Fatalf("%d orders of the cancelled task still hold their vehicle (%v)", n, err)
		}
		e.expect(&disp.sess, "PUT", path, sh("早班", start), 409, "已取消", nil)
	})
}

// TestLoanDriverScenario: 天宁区 names a free vehicle of 武进区 found
// by plate and borrows it without drivers; 武进区 approves; dispatching it
// with the lender's driver is refused naming the loan, with the
// borrower's own driver offered by the dialog it is dispatched.
func TestLoanDriverScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		as := func(user string) *session { return ptrSession(e.login(user, demo.Password)) }
		tn, wj := as("tn_dispatcher"), as("wj_admin")
		day := apptest.Workday(50+int(e.next()%20), 8) // dispatched on a working day, the car not sealed
		from, to := day.Add(time.Hour), day.Add(30*time.Hour)
		q := fmt.Sprintf("lender_id=%d&from=%s&to=%s&vehicle_type=sedan", e.nodeOf("武进区"), url.QueryEscape(from.Format(time.RFC3339)), url.QueryEscape(to.Format(time.RFC3339)))
		var offer []struct {
			ID      int64  `json:"id"`
			Plate   string `json:"plate"`
			Drivers int    `json:"drivers"`
		}
		e.expect(tn, "GET", "/api/loans/offer?"+q, nil, 200, "", &offer)
		if len(offer) == 0 || offer[0].Drivers == 0 {
			t.Fatalf("no free sedan of 武进区 with a driver: %+v", offer)
		}
		v := offer[0]
		e.expect(tn, "GET", "/api/loans/offer?"+q+"&plate="+url.QueryEscape(v.Plate[len(v.Plate)-3:]), nil, 200, v.Plate, nil)
		var loan struct {
			ID int64  `json:"id"`
			No string `json:"no"`
		}
		e.expect(tn, "POST", "/api/loans", map[string]any{"lender_id": e.nodeOf("武进区"), "vehicle_ids": []int64{v.ID}, "with_driver": false,
			"from": from, "to": to, "reason": "区运动会保障"}, 201, v.Plate, &loan)
		e.expect(wj, "POST", fmt.Sprintf("/api/loans/%d/approve", loan.ID), map[string]any{}, 200, `"state":"approved"`, nil)

		order := e.order(e.inUnit, "approved", e.city().UserID, 0, 0)
		if _, err := w.DB.W.ExecContext(t.Context(), "UPDATE orders SET pickup_at = ?, return_at = ?, passenger_count = 1 WHERE id = ?", from.Add(2*time.Hour), from.Add(5*time.Hour), order); err != nil {
			t.Fatal(err)
		}
		var lender int64
		if err := w.DB.R.NewSelect().Table("driver_vehicles").Column("driver_id").Where("vehicle_id = ?", v.ID).Limit(1).Scan(t.Context(), &lender); err != nil {
			t.Fatal(err)
		}
		var page struct {
			Items []struct {
				ID             int64  `json:"id"`
				LoanDrivers    string `json:"loan_drivers"`
				LoanWithDriver *bool  `json:"loan_with_driver"`
				Drivers        []struct {
					ID       int64 `json:"id"`
					Suitable bool  `json:"suitable"`
				} `json:"drivers"`
			} `json:"items"`
		}
		e.expect(tn, "GET", fmt.Sprintf("/api/orders/%d/suggestions?plate=%s", order, url.QueryEscape(v.Plate)), nil, 200, "", &page)
		if len(page.Items) != 1 || !strings.Contains(page.Items[0].LoanDrivers, "由天宁区的驾驶员驾驶") ||
			page.Items[0].LoanWithDriver == nil || *page.Items[0].LoanWithDriver || len(page.Items[0].Drivers) == 0 || !page.Items[0].Drivers[0].Suitable {
			t.Fatalf("the dialog does not offer 天宁区's drivers for the lent vehicle: %+v", page)
		}
		own := page.Items[0].Drivers[0].ID
		if own == lender {
			t.Fatal("the lender's driver is offered for a loan without drivers")
		}
		dispatch := fmt.Sprintf("/api/orders/%d/dispatch", order)
		e.expect(tn, "POST", dispatch, map[string]any{"vehicle_id": v.ID, "driver_id": lender}, 409, loan.No+" 借调车辆 "+v.Plate+" 不带驾驶员", nil)
		e.expect(tn, "POST", dispatch, map[string]any{"vehicle_id": v.ID, "driver_id": own}, 200, `"state":"dispatched"`, nil)
	})
}
