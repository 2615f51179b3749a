package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
)

// TestNoticeScenario walks 通知公告 over HTTP (issue 23 part 5): a district
// administrator drafts a multi-line notice with an attachment, publishes it
// to one chosen unit; that unit's staff has it in the inbox and the
// message centre, reads it, downloads the attachment; a unit elsewhere in
// the district does not get it; the receipts list and export say who read
// it; the periodic report is drafted, published and exported; the savings
// rate answers with its definition and both inputs.
func TestNoticeScenario(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		admin := e.caller(e.tn, access.PlatformAdmin)
		reader := e.caller(e.inUnit, access.Approver)
		sibling := e.caller(e.newUnit(e.tn), access.Approver) // another unit of 天宁区
		decodeJSON := func(b []byte, v any) {
			t.Helper()
			if err := json.Unmarshal(b, v); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
		}
		want := func(status, code int, body []byte) {
			t.Helper()
			if status != code {
				t.Fatalf("status %d, want %d: %s", status, code, body)
			}
		}

		status, body := e.do(&admin.sess, "POST", "/api/notices", map[string]any{
			"title": "关于报送车辆台账的通知", "body": "各单位：\n\n请于月底前报送。\n\t附表见附件。", "targets": []int64{e.inUnit}, "pinned": true})
		want(status, http.StatusCreated, body)
		var n struct {
			ID    int64  `json:"id"`
			Body  string `json:"body"`
			State string `json:"state"`
		}
		decodeJSON(body, &n)
		if n.State != "draft" || !strings.Contains(n.Body, "\n\n请于月底前报送。") {
			t.Fatalf("draft %+v", n)
		}
		status, body = e.do(&admin.sess, "POST", fmt.Sprintf("/api/notices/%d/attachments", n.ID), map[string]any{"file": []byte("%PDF-1.4\n%附表\n")})
		want(status, http.StatusCreated, body)
		var att struct {
			ID int64 `json:"id"`
		}
		decodeJSON(body, &att)
		status, body = e.do(&admin.sess, "POST", fmt.Sprintf("/api/notices/%d/publish", n.ID), nil)
		want(status, http.StatusOK, body)

		// The chosen unit's staff: inbox, unread count, the message, reading, the file.
		status, body = e.do(&reader.sess, "GET", "/api/notices?unread=true", nil)
		want(status, http.StatusOK, body)
		if !strings.Contains(string(body), "关于报送车辆台账的通知") {
			t.Fatalf("inbox: %s", body)
		}
		status, body = e.do(&reader.sess, "GET", "/api/notifications", nil)
		want(status, http.StatusOK, body)
		if !strings.Contains(string(body), fmt.Sprintf("/notices?id=%d", n.ID)) {
			t.Fatalf("message centre: %s", body)
		}
		status, body = e.do(&reader.sess, "POST", fmt.Sprintf("/api/notices/%d/read", n.ID), nil)
		want(status, http.StatusOK, body)
		status, body = e.do(&reader.sess, "GET", fmt.Sprintf("/api/notices/%d/attachments/%d", n.ID, att.ID), nil)
		want(status, http.StatusOK, body)
		if !bytes.HasPrefix(body, []byte("%PDF-")) {
			t.Fatalf("attachment: %q", body)
		}
		status, body = e.do(&reader.sess, "GET", "/api/notices/unread", nil)
		want(status, http.StatusOK, body)
		// Another unit of the district was not chosen.
		status, body = e.do(&sibling.sess, "GET", fmt.Sprintf("/api/notices/%d", n.ID), nil)
		want(status, http.StatusForbidden, body)

		// Receipts: one node, read by the reader.
		status, body = e.do(&admin.sess, "GET", fmt.Sprintf("/api/notices/%d/receipts", n.ID), nil)
		want(status, http.StatusOK, body)
		var rs struct {
			Total int `json:"total"`
			Items []struct {
				Name        string `json:"name"`
				Read        bool   `json:"read"`
				FirstReader string `json:"first_reader"`
			} `json:"items"`
		}
		decodeJSON(body, &rs)
		if rs.Total != 1 || !rs.Items[0].Read || rs.Items[0].Name != "天宁区城市管理局" || rs.Items[0].FirstReader != "测试用户" {
			t.Fatalf("receipts %+v", rs)
		}
		status, body = e.do(&admin.sess, "GET", fmt.Sprintf("/api/notices/%d/receipts/export", n.ID), nil)
		want(status, http.StatusOK, body)
		x, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := x.GetRows(x.GetSheetList()[0])
		if len(rows) != 2 || rows[1][0] != "天宁区城市管理局" || rows[1][3] != "已读" {
			t.Fatalf("receipts export %v", rows)
		}

		// The periodic report: drafted from the figures, published to the district, exported.
		status, body = e.do(&admin.sess, "POST", "/api/notices/reports", map[string]any{"period": "2025-q4"})
		want(status, http.StatusCreated, body)
		var rep struct {
			ID     int64  `json:"id"`
			Title  string `json:"title"`
			Body   string `json:"body"`
			Report struct {
				PeriodName string `json:"period_name"`
				Units      []any  `json:"units"`
			} `json:"report"`
		}
		decodeJSON(body, &rep)
		if rep.Report.PeriodName != "2025年第四季度" || !strings.Contains(rep.Title, "天宁区2025年第四季度") || !strings.Contains(rep.Body, "一、用车情况") || len(rep.Report.Units) == 0 {
			t.Fatalf("report %+v", rep)
		}
		status, body = e.do(&admin.sess, "PATCH", fmt.Sprintf("/api/notices/%d", rep.ID), map[string]any{"body": rep.Body + "\n\n审阅后补充：请各单位对照整改。"})
		want(status, http.StatusOK, body)
		status, body = e.do(&admin.sess, "POST", fmt.Sprintf("/api/notices/%d/publish", rep.ID), nil)
		want(status, http.StatusOK, body)
		status, body = e.do(&sibling.sess, "GET", fmt.Sprintf("/api/notices/%d/report/export", rep.ID), nil)
		want(status, http.StatusOK, body)
		if x, err = excelize.OpenReader(bytes.NewReader(body)); err != nil {
			t.Fatal(err)
		}
		rows, _ = x.GetRows(x.GetSheetList()[0])
		if len(rows) != len(rep.Report.Units)+2 || rows[len(rows)-1][0] != "合计" || rows[0][1] != "用车订单（单）" {
			t.Fatalf("report export %v", rows)
		}
		// Refused as it should be: a period not begun; a reader's publish.
		status, body = e.do(&admin.sess, "POST", "/api/notices/reports", map[string]any{"period": "2099-01"})
		want(status, http.StatusBadRequest, body)
		status, _ = e.do(&reader.sess, "POST", fmt.Sprintf("/api/notices/%d/remind", n.ID), nil)
		want(status, http.StatusForbidden, nil)

		// The savings rate: its definition and both inputs per row.
		status, body = e.do(&admin.sess, "GET", "/api/savings?year=2025", nil)
		want(status, http.StatusOK, body)
		var sv struct {
			Definition string `json:"definition"`
			Node       struct {
				Name   string `json:"name"`
				Actual *int64 `json:"actual"`
				Basis  string `json:"basis"`
			} `json:"node"`
			Rows []any `json:"rows"`
		}
		decodeJSON(body, &sv)
		if !strings.Contains(sv.Definition, "（基数 − 实际费用）÷ 基数") || sv.Node.Name != "天宁区" || sv.Node.Actual == nil || len(sv.Rows) == 0 {
			t.Fatalf("savings %s", body)
		}
		status, body = e.do(&admin.sess, "PUT", "/api/savings/budgets", map[string]any{"unit_id": e.tn, "year": 2025, "amount": "12.345"})
		want(status, http.StatusBadRequest, body)
	})
}
