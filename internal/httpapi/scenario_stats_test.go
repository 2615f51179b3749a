package httpapi_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/demo"
	"govfleet/internal/stats"
)

// 统计分析 over HTTP (issue 23): the city's dashboard and the order list
// it drills into give the same count for the same unit, month and states;
// a supervisor reads its dashboard, a unit administrator only its unit's;
// a chart's data and an extraction export as .xlsx and are audited; a
// saved query is shared with the district's units.
func TestStatsScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		month := beijing.Month(beijing.MonthStart(time.Now()).AddDate(0, -1, 0))
		first, _ := beijing.ParseMonth(month)
		city := ptrSession(e.login("city_admin", demo.Password))
		status, body := e.do(city, "GET", "/api/stats/dashboard?month="+month, nil)
		var d stats.Dashboard
		if err := json.Unmarshal(body, &d); status != 200 || err != nil {
			t.Fatalf("dashboard: %d %s", status, body)
		}
		if d.Node.Name != "常州市" || len(d.Months) != 12 || len(d.Children) == 0 || len(d.Defs) == 0 {
			t.Fatalf("dashboard: %+v", d.Node)
		}
		for _, c := range d.Children {
			if c.Orders == 0 {
				continue
			}
			q := fmt.Sprintf("/api/orders?unit_id=%d&state=departed,finished,back,closed&from=%s&to=%s&page_size=1",
				c.ID, first.UTC().Format(time.RFC3339), first.AddDate(0, 1, 0).UTC().Format(time.RFC3339))
			_, lb := e.do(city, "GET", q, nil)
			var l struct{ Total int64 }
			json.Unmarshal(lb, &l)
			if l.Total != c.Orders {
				t.Errorf("%s: dashboard %d orders, the order list %d (%s)", c.Name, c.Orders, l.Total, lb)
			}
		}
		// A chart's data as Excel, audited.
		status, body = e.do(city, "GET", fmt.Sprintf("/api/stats/dashboard/export?month=%s&chart=children", month), nil)
		if status != 200 || !strings.HasPrefix(string(body), "PK") {
			t.Fatalf("chart export: %d", status)
		}
		if n := e.count("audit_log", "action = 'stats.export'"); n != 1 {
			t.Errorf("chart exports audited: %d", n)
		}
		if status, body = e.do(city, "GET", "/api/stats/dashboard/export?chart=nothing", nil); status != 400 {
			t.Errorf("unknown chart: %d %s", status, body)
		}
		// The finance supervisor reads the city's; a unit administrator its unit only.
		if status, _ = e.do(ptrSession(e.login("city_cz", demo.Password)), "GET", "/api/stats/dashboard", nil); status != 200 {
			t.Errorf("supervisor: %d", status)
		}
		unit := ptrSession(e.login("jgj_admin", demo.Password))
		status, body = e.do(unit, "GET", "/api/stats/dashboard", nil)
		if json.Unmarshal(body, &d); status != 200 || d.Node.Name != "市机关事务管理局" || (len(d.Children) > 0 && d.Children[0].Kind != "vehicle") {
			t.Errorf("unit dashboard: %d %+v", status, d.Node)
		}
		if status, _ = e.do(unit, "GET", fmt.Sprintf("/api/stats/dashboard?unit_id=%d", e.tn), nil); status != 403 {
			t.Errorf("a unit administrator on a district: %d", status)
		}
		// Extraction: preview, export, over the cap of text lengths refused.
		status, body = e.do(city, "POST", "/api/extract/preview", map[string]any{"dataset": "vehicles", "filters": map[string]string{"category": "emergency"}, "columns": []string{"plate", "category"}})
		var res struct {
			Total int
			Rows  [][]any
		}
		if json.Unmarshal(body, &res); status != 200 || res.Total == 0 || res.Rows[0][1] != "应急保障用车" {
			t.Fatalf("preview: %d %s", status, body)
		}
		status, body = e.do(city, "POST", "/api/extract/export", map[string]any{"dataset": "costs", "from": month + "-01", "to": month + "-28"})
		if status != 200 || !strings.HasPrefix(string(body), "PK") {
			t.Fatalf("extraction export: %d %s", status, body)
		}
		if status, body = e.do(city, "POST", "/api/extract/preview", map[string]any{"dataset": "secrets"}); status != 400 || !strings.Contains(string(body), "请选择数据集") {
			t.Errorf("unknown data set: %d %s", status, body)
		}
		if n := e.count("audit_log", "action IN ('extract.preview', 'extract.export')"); n != 2 {
			t.Errorf("extractions audited: %d, want 2", n)
		}
		// Saved by the district, seen by none of another district.
		tn := ptrSession(e.login("tn_admin", demo.Password))
		if status, body = e.do(tn, "POST", "/api/extract/queries", map[string]any{"name": "天宁应急车辆", "spec": map[string]any{"dataset": "vehicles", "filters": map[string]string{"category": "emergency"}}}); status != 201 {
			t.Fatalf("save: %d %s", status, body)
		}
		_, body = e.do(ptrSession(e.login("zl_admin", demo.Password)), "GET", "/api/extract/queries", nil)
		if strings.Contains(string(body), "天宁应急车辆") {
			t.Error("another district sees the query")
		}
		_, body = e.do(tn, "GET", "/api/extract/queries", nil)
		if !strings.Contains(string(body), "天宁应急车辆") {
			t.Errorf("the district does not see its query: %s", body)
		}
	})
}
