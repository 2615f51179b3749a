package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/demo"
)

// A district-to-district loan through the API: 天宁区 asks 武进区 for
// a sedan, 武进区 picks one and approves; 天宁区's dispatch dialog lists it
// for an order inside the period and dispatches it there, is refused
// outside it, replays its track only inside it; the return is refused
// while the order is open. The tariff refuses a gap; last month's demo
// statement between the two districts is confirmed by both sides and
// exported.
func TestLoanScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		as := func(user string) *session { return ptrSession(e.login(user, demo.Password)) }
		tnDisp, tnAdmin, wjAdmin, city := as("tn_dispatcher"), as("tn_admin"), as("wj_admin"), as("city_admin")
		ok := func(s *session, method, path string, body any, out any) {
			t.Helper()
			status, b := e.do(s, method, path, body)
			if status >= 300 {
				t.Fatalf("%s %s: %d %s", method, path, status, b)
			}
			if out != nil {
				if err := json.Unmarshal(b, out); err != nil {
					t.Fatal(err)
				}
			}
		}
		refused := func(s *session, method, path string, body any, status int, text string) {
			t.Helper()
			got, b := e.do(s, method, path, body)
			if got != status || !strings.Contains(string(b), text) {
				t.Fatalf("%s %s: %d %s, want %d with %q", method, path, got, b, status, text)
			}
		}
		day := apptest.Workday(40, 8) // the order inside the loan is dispatched on a working day, its car not sealed
		from, to := day.Add(time.Hour), day.Add(49*time.Hour)
		var l struct {
			ID       int64  `json:"id"`
			No       string `json:"no"`
			State    string `json:"state"`
			Vehicles []struct {
				ID    int64  `json:"id"`
				Plate string `json:"plate"`
			} `json:"vehicles"`
		}
		ok(tnDisp, "POST", "/api/loans", map[string]any{"lender_id": e.nodeOf("武进区"), "vehicle_type": "sedan", "count": 1, "with_driver": true,
			"from": from, "to": to, "reason": "区两会会务保障"}, &l)
		var lendable []struct {
			ID int64 `json:"id"`
		}
		ok(wjAdmin, "GET", fmt.Sprintf("/api/loans/%d/lendable", l.ID), nil, &lendable)
		if len(lendable) == 0 {
			t.Fatal("武进区 has no sedan to lend")
		}
		refused(tnAdmin, "POST", fmt.Sprintf("/api/loans/%d/approve", l.ID), map[string]any{"vehicle_ids": []int64{lendable[0].ID}}, 403, "只有借出方武进区")
		// Pick a lendable sedan with a driver suitable for the borrower's order.
		inside := e.order(e.inUnit, "approved", e.city().UserID, 0, 0)
		setWindow := func(order int64, from, to time.Time) {
			if _, err := e.w.DB.W.ExecContext(t.Context(), "UPDATE orders SET pickup_at = ?, return_at = ?, passenger_count = 1 WHERE id = ?", from, to, order); err != nil {
				t.Fatal(err)
			}
		}
		setWindow(inside, from.Add(2*time.Hour), from.Add(6*time.Hour))
		ok(wjAdmin, "POST", fmt.Sprintf("/api/loans/%d/approve", l.ID), map[string]any{"vehicle_ids": []int64{lendable[0].ID}, "note": "同意"}, &l)
		if l.State != "approved" || len(l.Vehicles) != 1 {
			t.Fatalf("approved: %+v", l)
		}
		van := l.Vehicles[0]
		type cand struct {
			ID      int64 `json:"id"`
			Drivers []struct {
				ID       int64 `json:"id"`
				Suitable bool  `json:"suitable"`
			} `json:"drivers"`
		}
		var page struct {
			Items []cand `json:"items"`
		}
		ok(tnDisp, "GET", fmt.Sprintf("/api/orders/%d/suggestions?plate=%s", inside, url.QueryEscape(van.Plate)), nil, &page)
		if len(page.Items) != 1 || page.Items[0].ID != van.ID || len(page.Items[0].Drivers) == 0 {
			t.Fatalf("the dispatch dialog does not list the lent vehicle: %+v", page)
		}
		driver := page.Items[0].Drivers[0].ID // suitable ones first
		outside := e.order(e.inUnit, "approved", e.city().UserID, 0, 0)
		setWindow(outside, to.Add(time.Hour), to.Add(3*time.Hour))
		ok(tnDisp, "GET", fmt.Sprintf("/api/orders/%d/suggestions?plate=%s", outside, url.QueryEscape(van.Plate)), nil, &page)
		if len(page.Items) != 0 {
			t.Fatal("the lent vehicle is listed outside the loan's period")
		}
		refused(tnDisp, "POST", fmt.Sprintf("/api/orders/%d/dispatch", outside), map[string]any{"vehicle_id": van.ID, "driver_id": driver}, 403, "只能在借调期内调度")
		ok(tnDisp, "POST", fmt.Sprintf("/api/orders/%d/dispatch", inside), map[string]any{"vehicle_id": van.ID, "driver_id": driver}, nil)

		track := func(from, to time.Time) string {
			return fmt.Sprintf("/api/vehicles/%d/track?from=%s&to=%s&reason=%s", van.ID, url.QueryEscape(from.Format(time.RFC3339)),
				url.QueryEscape(to.Format(time.RFC3339)), url.QueryEscape("核实借调用车"))
		}
		ok(tnAdmin, "GET", track(from, from.Add(10*time.Hour)), nil, nil)
		refused(tnAdmin, "GET", track(from.Add(-5*time.Hour), from.Add(time.Hour)), nil, 403, "只能在借调期内查看轨迹")
		refused(as("zl_admin"), "GET", track(from, from.Add(10*time.Hour)), nil, 403, "不在您的管辖范围内")

		refused(tnDisp, "POST", fmt.Sprintf("/api/loans/%d/return", l.ID), nil, 409, "未结束")

		// The tariff's dates follow each other.
		refused(city, "POST", "/api/rates", map[string]any{"kind": "tariff", "vehicle_type": "sedan", "day_fen": 30000, "half_day_fen": 18000, "km_fen": 120,
			"valid_from": "2099-01-01"}, 409, "重叠")
		refused(tnAdmin, "POST", "/api/rates", map[string]any{"kind": "tariff", "vehicle_type": "sedan", "day_fen": 30000, "half_day_fen": 18000,
			"valid_from": "2099-01-01"}, 403, "")

		// Last month's statement between 武进区 and 天宁区, pending in the demo.
		var sts struct {
			Items []struct {
				ID           int64  `json:"id"`
				LenderName   string `json:"lender_name"`
				BorrowerName string `json:"borrower_name"`
				State        string `json:"state"`
				MySide       string `json:"my_side"`
				SavingFen    int64  `json:"saving_fen"`
			} `json:"items"`
		}
		ok(tnAdmin, "GET", "/api/settlements?state=pending", nil, &sts)
		var id int64
		for _, s := range sts.Items {
			if s.LenderName == "武进区" && s.BorrowerName == "天宁区" && s.MySide == "borrower" && s.SavingFen > 0 {
				id = s.ID
			}
		}
		if id == 0 {
			t.Fatalf("no pending statement of 天宁区 and 武进区: %+v", sts)
		}
		refused(city, "POST", fmt.Sprintf("/api/settlements/%d/confirm", id), nil, 403, "只有借出方")
		var st struct {
			State string `json:"state"`
		}
		ok(tnAdmin, "POST", fmt.Sprintf("/api/settlements/%d/confirm", id), nil, &st)
		if st.State != "pending" {
			t.Fatalf("after one side: %s", st.State)
		}
		ok(wjAdmin, "POST", fmt.Sprintf("/api/settlements/%d/confirm", id), nil, &st)
		if st.State != "confirmed" {
			t.Fatalf("after both sides: %s", st.State)
		}
		status, body := e.do(wjAdmin, "GET", fmt.Sprintf("/api/settlements/%d/lines/export", id), nil)
		if status != 200 || len(body) < 100 || string(body[:2]) != "PK" {
			t.Fatalf("lines export: %d", status)
		}
	})
}
