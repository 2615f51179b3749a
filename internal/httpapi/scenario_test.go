package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/demo"
)

type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// step is one request of a scenario and what the user must see.
type step struct {
	name   string
	as     string // demo account; "" for no session
	method string
	path   string
	body   any
	status int
	field  string // for errors: the field whose message must contain want
	want   string // substring of the body (or of the field message)
	csrf   string // "omit" to send no CSRF token
}

func runSteps(t *testing.T, e *env, steps []step) {
	t.Helper()
	sessions := map[string]*session{}
	for _, s := range steps {
		var sess *session
		if s.as != "" {
			if sessions[s.as] == nil {
				x := e.login(s.as, demo.Password)
				sessions[s.as] = &x
			}
			x := *sessions[s.as]
			if s.csrf == "omit" {
				x.csrf = ""
			}
			sess = &x
		}
		path := strings.NewReplacer("{tn}", fmt.Sprint(e.tn), "{in}", fmt.Sprint(e.inUnit), "{out}", fmt.Sprint(e.outUnit)).Replace(s.path)
		status, body := e.do(sess, s.method, path, s.body)
		if status != s.status {
			t.Errorf("%s: status %d, want %d: %s", s.name, status, s.status, body)
			continue
		}
		got := string(body)
		if s.field != "" {
			var ae apiError
			json.Unmarshal(body, &ae)
			got = ae.Error.Fields[s.field]
		}
		if !strings.Contains(got, s.want) {
			t.Errorf("%s: %q does not contain %q", s.name, got, s.want)
		}
	}
}

func TestUnitScenarios(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		good := e.unitInput(e.tn)
		bad := e.unitInput(e.tn)
		*bad.CreditCode = "91320400MA1MXXXXX"
		dup := e.unitInput(e.tn)
		*dup.Name = "市财政局"
		unitsBefore := e.w.Count(t, "units")
		runSteps(t, e, []step{
			{"no session", "", "GET", "/api/units", nil, http.StatusUnauthorized, "", "请先登录", ""},
			{"write without CSRF token", "tn_admin", "POST", "/api/units", good, http.StatusForbidden, "", "安全令牌无效", "omit"},
			{"malformed credit code", "tn_admin", "POST", "/api/units", bad, http.StatusBadRequest, "credit_code", "统一社会信用代码", ""},
			{"duplicate name", "tn_admin", "POST", "/api/units", dup, http.StatusConflict, "name", "单位名称已存在", ""},
			{"parent outside scope", "tn_admin", "POST", "/api/units", e.unitInput(e.outUnit), http.StatusForbidden, "", "不在您的管辖范围内", ""},
			{"not JSON", "tn_admin", "POST", "/api/units", "garbage", http.StatusBadRequest, "", "请求格式错误", ""},
			{"unknown route", "tn_admin", "GET", "/api/nothing", nil, http.StatusNotFound, "", "接口不存在", ""},
		})
		if n := e.w.Count(t, "units"); n != unitsBefore {
			t.Fatalf("refused requests changed units: %d → %d", unitsBefore, n)
		}
		runSteps(t, e, []step{
			{"create", "tn_admin", "POST", "/api/units", good, http.StatusCreated, "", `"district_name":"天宁区"`, ""},
			{"district admin cannot read another district's unit", "tn_admin", "GET", "/api/units/{out}", nil, http.StatusForbidden, "", "不在您的管辖范围内", ""},
			{"district tree has no other district", "tn_admin", "GET", "/api/units/tree", nil, http.StatusOK, "", `"name":"天宁区"`, ""},
			{"supervisors read", "city_jw", "GET", "/api/units/{out}", nil, http.StatusOK, "", "钟楼区财政局", ""},
			{"supervisors do not write", "city_jw", "PATCH", "/api/units/{out}", map[string]string{"contact_name": "x"}, http.StatusForbidden, "", "没有权限", ""},
			{"audit admin reads the create", "city_audit", "GET", "/api/audit?action=unit.create&q=" + *good.Name, nil, http.StatusOK, "", `"total":1`, ""},
			{"the log names the action and the object type (R-27)", "city_audit", "GET", "/api/audit?action=unit.create&q=" + *good.Name, nil, http.StatusOK, "", `"action_label":"新增单位","object_label":"单位"`, ""},
			{"nobody else reads the log", "city_admin", "GET", "/api/audit", nil, http.StatusForbidden, "", "没有权限", ""},
			{"chain intact", "city_audit", "GET", "/api/audit/verify", nil, http.StatusOK, "", `"ok":true`, ""},
		})
		_, body := e.do(ptrSession(e.login("tn_admin", demo.Password)), "GET", "/api/units/tree", nil)
		if strings.Contains(string(body), "钟楼区") {
			t.Error("天宁区's tree shows 钟楼区")
		}
	})
}

func ptrSession(s session) *session { return &s }

func TestAccountScenarios(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		jgj := e.w.UnitID(t, "市机关事务管理局")
		admin := ptrSession(e.login("jgj_admin", demo.Password))
		status, body := e.do(admin, "POST", "/api/users", map[string]any{"username": "jgj_li", "real_name": "李明", "phone": "13912345678", "scope_id": jgj, "roles": []string{"applicant"}})
		if status != http.StatusCreated {
			t.Fatalf("create user: %d %s", status, body)
		}
		var created struct {
			User            struct{ ID int64 } `json:"user"`
			InitialPassword string             `json:"initial_password"`
		}
		json.Unmarshal(body, &created)
		// First login: everything but the own account is refused until the password changes.
		s := ptrSession(e.login("jgj_li", created.InitialPassword))
		if status, body := e.do(s, "GET", "/api/my/orders", nil); status != http.StatusForbidden || !strings.Contains(string(body), "password_change_required") {
			t.Fatalf("before changing the password: %d %s", status, body)
		}
		if status, body := e.do(s, "POST", "/api/me/password", map[string]string{"old_password": created.InitialPassword, "new_password": "abc"}); status != http.StatusBadRequest || !strings.Contains(string(body), "密码至少8位") {
			t.Fatalf("weak password: %d %s", status, body)
		}
		if status, body := e.do(s, "POST", "/api/me/password", map[string]string{"old_password": created.InitialPassword, "new_password": "Li#2026ming"}); status != http.StatusNoContent {
			t.Fatalf("change password: %d %s", status, body)
		}
		if status, body := e.do(s, "GET", "/api/my/orders", nil); status != http.StatusOK || !strings.Contains(string(body), `"items"`) { // an applicant's own reads (issue 24)
			t.Fatalf("after changing the password: %d %s", status, body)
		}
		// Bad input gets field messages; nothing is created.
		before := e.w.Count(t, "users")
		runSteps(t, e, []step{
			{"bad username", "jgj_admin", "POST", "/api/users", map[string]any{"username": "1x", "real_name": "王", "scope_id": jgj}, http.StatusBadRequest, "username", "用户名须以字母开头", ""},
			{"bad phone", "jgj_admin", "POST", "/api/users", map[string]any{"username": "jgj_w", "real_name": "王", "phone": "1391234", "scope_id": jgj}, http.StatusBadRequest, "phone", "手机号", ""},
			{"duplicate username", "jgj_admin", "POST", "/api/users", map[string]any{"username": "jgj_li", "real_name": "王", "scope_id": jgj}, http.StatusConflict, "username", "用户名已被使用", ""},
			{"other unit", "jgj_admin", "POST", "/api/users", map[string]any{"username": "jgj_w", "real_name": "王", "scope_id": e.inUnit}, http.StatusForbidden, "", "不在您的管辖范围内", ""},
			{"lock", "jgj_admin", "POST", fmt.Sprintf("/api/users/%d/lock", created.User.ID), nil, http.StatusOK, "", `"locked":true`, ""},
		})
		if n := e.w.Count(t, "users"); n != before {
			t.Errorf("refused creates changed users: %d → %d", before, n)
		}
		// A locked account's session ends and it cannot log in.
		if status, _ := e.do(s, "GET", "/api/me", nil); status != http.StatusUnauthorized {
			t.Errorf("locked account's session still works: %d", status)
		}
		status, body = e.do(nil, "POST", "/api/auth/login", map[string]string{"username": "jgj_li", "password": "Li#2026ming"})
		if status != http.StatusLocked || !strings.Contains(string(body), "已被管理员锁定") {
			t.Errorf("login while locked: %d %s", status, body)
		}
	})
}

// Every route is in the OpenAPI document with its permission.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	_, body := e.do(nil, "GET", "/api/openapi.json", nil)
	var doc struct {
		OpenAPI string                               `json:"openapi"`
		Paths   map[string]map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(body, &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("document: %v %s", err, body[:min(len(body), 200)])
	}
	for _, rt := range e.api.Routes() {
		op := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if op == nil || op["x-permission"] != string(rt.Perm) || op["summary"] == "" {
			t.Errorf("%s %s missing or wrong in the OpenAPI document: %v", rt.Method, rt.Path, op)
		}
	}
}
