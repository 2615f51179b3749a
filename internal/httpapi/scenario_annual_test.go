package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"govfleet/internal/annual"
	"govfleet/internal/app/apptest"
	"govfleet/internal/demo"
	"govfleet/internal/pdf"
)

// The annual report through the API: the city opens a year; the unit administrator of
// 市机关事务管理局 reads its report, corrects a vehicle (the registry answers with the new value),
// signs and submits; the city returns it with a reason the unit reads, the unit signs again, the city
// accepts; the exports are an .xlsx and a PDF that says the unit and the plate; a supervisor reads but
// cannot accept.
func TestAnnualScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		city := ptrSession(e.login("city_admin", demo.Password))
		unit := ptrSession(e.login("jgj_admin", demo.Password))
		jw := ptrSession(e.login("city_jw", demo.Password))
		must := func(s *session, method, path string, body any, want int) []byte {
			t.Helper()
			status, b := e.do(s, method, path, body)
			if status != want {
				t.Fatalf("%s %s: %d %s, want %d", method, path, status, b, want)
			}
			return b
		}
		must(city, "POST", "/api/annual-reports/years", map[string]any{"year": 2022, "deadline": "2023-03-01"}, 201)
		must(unit, "POST", "/api/annual-reports/years", map[string]any{"year": 2021}, 403)
		var list struct {
			Items []annual.Report `json:"items"`
			Total int             `json:"total"`
		}
		json.Unmarshal(must(unit, "GET", "/api/annual-reports?year=2022", nil, 200), &list)
		if list.Total != 1 || list.Items[0].UnitName != "市机关事务管理局" || !list.Items[0].Overdue {
			t.Fatalf("the unit's list: %+v", list)
		}
		id := list.Items[0].ID
		var d annual.Detail
		json.Unmarshal(must(unit, "GET", fmt.Sprintf("/api/annual-reports/%d", id), nil, 200), &d)
		if len(d.Figures.Vehicles) == 0 || !strings.Contains(strings.Join(d.Can, ","), "correct") {
			t.Fatalf("report: %d vehicles, can %v", len(d.Figures.Vehicles), d.Can)
		}
		v := d.Figures.Vehicles[0]
		must(unit, "POST", fmt.Sprintf("/api/annual-reports/%d/corrections", id), map[string]any{"vehicle_id": v.ID, "field": "use_nature", "value": "机要通信", "reason": "核对行驶证"}, 200)
		if _, body := e.do(unit, "GET", fmt.Sprintf("/api/vehicles/%d", v.ID), nil); !strings.Contains(string(body), `"use_nature":"机要通信"`) {
			t.Fatalf("the registry does not have the correction: %.300s", body)
		}
		must(unit, "POST", fmt.Sprintf("/api/annual-reports/%d/submit", id), map[string]any{"signature": "蒋文静"}, 200)
		must(jw, "POST", fmt.Sprintf("/api/annual-reports/%d/accept", id), nil, 403)
		must(city, "POST", fmt.Sprintf("/api/annual-reports/%d/return", id), map[string]any{"reason": "请补全注册登记日期"}, 200)
		json.Unmarshal(must(unit, "GET", fmt.Sprintf("/api/annual-reports/%d", id), nil, 200), &d)
		if d.State != annual.Returned || d.ReturnReason != "请补全注册登记日期" {
			t.Fatalf("returned: %s %q", d.State, d.ReturnReason)
		}
		must(unit, "POST", fmt.Sprintf("/api/annual-reports/%d/submit", id), map[string]any{"signature": "蒋文静"}, 200)
		json.Unmarshal(must(city, "POST", fmt.Sprintf("/api/annual-reports/%d/accept", id), nil, 200), &d)
		if d.State != annual.Accepted || d.ReviewedBy == "" {
			t.Fatalf("accepted: %s", d.State)
		}
		x := must(jw, "GET", fmt.Sprintf("/api/annual-reports/%d/report.xlsx", id), nil, 200)
		if !strings.HasPrefix(string(x), "PK") {
			t.Fatal("the Excel export is not an .xlsx")
		}
		text, err := pdf.Text(must(jw, "GET", fmt.Sprintf("/api/annual-reports/%d/report.pdf", id), nil, 200))
		if err != nil || !strings.Contains(text, "市机关事务管理局 2022 年度公务用车统计报告") || !strings.Contains(strings.ReplaceAll(text, "\n", ""), v.Plate) {
			t.Fatalf("the PDF says: %v %.500s", err, text)
		}
	})
}
