package httpapi_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/sheet"
)

// TestListExports walks every export of a list in the route table (issue
// 24): asked with the list's filter — the permission test's fixture — and
// with none, by a caller of 天宁区 (of the city for a list only the city's
// level reads) holding the route's permission, the
// file has exactly the rows the list counts for the same caller and
// filter (its scope, no page), under Chinese headings.
func TestListExports(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		fx := e.fixtures()
		han := regexp.MustCompile(`\p{Han}`)
		type scopedRole struct {
			role  access.Role
			scope int64
		}
		callers := map[scopedRole]caller{}
		exports, filled := 0, 0
		for _, rt := range e.api.Routes() {
			if rt.Method != "GET" || !strings.HasSuffix(rt.Path, "/export") || summaries[rt.Path] {
				continue // the cost ledger, the savings rate and a report export summaries, not lists
			}
			exports++
			var role access.Role
			for _, ri := range access.Roles {
				if access.RoleHas(ri.Code, rt.Perm) {
					role = ri.Code
					break
				}
			}
			ri, _ := access.Info(role)
			scope := e.tn
			if !strings.Contains(strings.Join(ri.ScopeKinds, ","), "district") {
				scope = e.inUnit
			}
			if cityOnly["GET "+rt.Path] {
				scope = e.city().ScopeID // a list only the city's level reads
			}
			c, ok := callers[scopedRole{role, scope}]
			if !ok {
				c = e.caller(scope, role)
				callers[scopedRole{role, scope}] = c
			}
			build := fx["GET "+rt.Path]
			if build == nil {
				t.Errorf("%s has no fixture", rt.Path)
				continue
			}
			filtered := build(c, true).path
			path, _, _ := strings.Cut(filtered, "?")
			for _, exp := range []string{filtered, path} {
				list := strings.Replace(exp, "/export", "", 1)
				status, body := e.do(&c.sess, "GET", list+sep(list)+"page_size=1", nil)
				if status != http.StatusOK {
					// A filter the list requires (a month): the export
					// refuses the same way.
					if got, _ := e.do(&c.sess, "GET", exp, nil); status != http.StatusBadRequest || got != status {
						t.Errorf("%s as %s: list %d %.200s, export %d", list, role, status, body, got)
					}
					continue
				}
				var l struct {
					Total *int              `json:"total"`
					Trips []json.RawMessage `json:"trips"`
				}
				json.Unmarshal(body, &l)
				want := len(l.Trips)
				if l.Total != nil {
					want = *l.Total
				}
				if list == "/api/audit" {
					want++ // reading the log's first page is itself logged, before the export reads it
				}
				status, body = e.do(&c.sess, "GET", exp, nil)
				if status != http.StatusOK {
					t.Errorf("%s as %s: %d %.200s", exp, role, status, body)
					continue
				}
				x, err := excelize.OpenReader(bytes.NewReader(body))
				if err != nil {
					t.Errorf("%s: not an xlsx: %v", exp, err)
					continue
				}
				rows, err := x.GetRows(x.GetSheetList()[0])
				x.Close()
				if err != nil || len(rows) == 0 {
					t.Errorf("%s: no header row (%v)", exp, err)
					continue
				}
				for _, h := range rows[0] {
					if !han.MatchString(h) {
						t.Errorf("%s: heading %q is not Chinese", exp, h)
					}
				}
				if got := len(rows) - 1; got != want {
					t.Errorf("%s as %s: %d rows, the list counts %d", exp, role, got, want)
				}
				if want > 0 {
					filled++
				}
			}
		}
		if exports < 20 || filled < exports/2 {
			t.Errorf("%d exports, %d of their runs with rows: the walk found too little", exports, filled)
		}
	})
}

// summaries are exports of a summary, not of a list.
var summaries = map[string]bool{"/api/costs/export": true, "/api/savings/export": true, "/api/notices/{id}/report/export": true,
	"/api/stats/dashboard/export": true} // a chart's figures (scenario_stats_test checks them)

// TestExportCap: a list filtered to more rows than sheet.MaxExport is
// refused with a message saying so, not cut off.
func TestExportCap(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		defer func(n int) { sheet.MaxExport = n }(sheet.MaxExport)
		sheet.MaxExport = 3
		c := e.caller(e.tn, access.PlatformAdmin)
		status, body := e.do(&c.sess, "GET", "/api/units/export", nil)
		if status != http.StatusBadRequest || !strings.Contains(string(body), "超过单次导出上限3条，请缩小筛选范围") {
			t.Errorf("export of more than the cap: %d %s", status, body)
		}
		if status, body := e.do(&c.sess, "GET", "/api/units/export?q=天宁区城市管理局", nil); status != http.StatusOK {
			t.Errorf("export within the cap: %d %.200s", status, body)
		}
	})
}

func sep(path string) string {
	if strings.Contains(path, "?") {
		return "&"
	}
	return "?"
}
