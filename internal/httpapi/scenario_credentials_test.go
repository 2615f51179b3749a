package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
)

// bearer sends a request authenticated by an API token.
func (e *env) bearer(token, method, path string, body any) (int, string) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.String()
}

// newToken creates a token for a logged-in session through the API.
func (e *env) newToken(s *session, days int) auth.APIToken {
	e.t.Helper()
	status, body := e.do(s, "POST", "/api/me/tokens", auth.TokenInput{Name: "脚本", ExpiresInDays: days})
	var tok auth.APIToken
	if err := json.Unmarshal(body, &tok); status != http.StatusCreated || err != nil {
		e.t.Fatalf("create token: %d %s", status, body)
	}
	return tok
}

const notInteractive = "API令牌和企业API密钥不能创建令牌、密钥、账号或修改密码"

// Only a logged-in session creates credentials: every route that answers
// with a token, a key, a password or a new account's initial password is
// Interactive, and a token or a key calling one gets 403 — so nothing a
// token or key makes can outlive its revocation.
func TestCredentialsOnlyFromASession(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		ctx := context.Background()
		credentialTypes := map[string]bool{"APIToken": true, "APIKey": true, "Created": true, "passwordOut": true}
		for _, rt := range e.api.Routes() {
			issues := rt.Out != nil && credentialTypes[reflect.TypeOf(rt.Out).Name()] || rt.Path == "/api/me/password"
			if issues && !rt.Interactive && rt.Perm != access.Public {
				t.Errorf("%s %s issues a credential but is not Interactive", rt.Method, rt.Path)
			}
		}
		admin := ptrSession(e.login("city_admin", demo.Password))
		tok := e.newToken(admin, 0)
		insurer := e.caller(e.tn, access.Insurer)
		key, err := e.w.Auth.CreateKey(ctx, insurer.actor, "核心业务系统")
		if err != nil {
			t.Fatal(err)
		}
		s := signer{e, key.KeyID, key.Secret}
		tokens, keys, users := e.count("api_tokens", "1 = 1"), e.count("company_api_keys", "1 = 1"), e.count("users", "1 = 1")
		for _, rt := range e.api.Routes() {
			if !rt.Interactive {
				continue
			}
			path := strings.ReplaceAll(rt.Path, "{id}", fmt.Sprint(insurer.user.ID))
			body := map[string]any{"name": "第二个", "username": "machine_made", "real_name": "机器", "scope_id": e.tn,
				"old_password": demo.Password, "new_password": "New#2026pass"}
			if status, got := e.bearer(tok.Token, rt.Method, path, body); status != http.StatusForbidden || !strings.Contains(got, notInteractive) {
				t.Errorf("%s %s with a token: %d %s", rt.Method, path, status, got)
			}
			if got := s.do(signedReq{method: rt.Method, path: path, body: mustJSON(body)}); got.status != http.StatusForbidden || !strings.Contains(string(got.body), notInteractive) {
				t.Errorf("%s %s with a key: %d %s", rt.Method, path, got.status, got.body)
			}
		}
		if tokens != e.count("api_tokens", "1 = 1") || keys != e.count("company_api_keys", "1 = 1") || users != e.count("users", "1 = 1") {
			t.Error("a token or key created a credential")
		}
		// The token and key themselves still work.
		if status, got := e.bearer(tok.Token, "GET", "/api/me", nil); status != http.StatusOK {
			t.Errorf("token: %d %s", status, got)
		}
		if got := s.do(signedReq{method: "GET", path: "/api/company/keys"}); got.status != http.StatusOK {
			t.Errorf("key: %d %s", got.status, got.body)
		}
	})
}

// A token expires (the policy's days at most), dies with its owner's
// password reset, and carries the forced password change.
func TestTokenLifetime(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e, db := newEnv(t, w), w.DB
		ctx := context.Background()
		u := e.newUser(e.inUnit, access.Applicant)
		owner := ptrSession(e.login(u.Username, testPassword))
		sec := ptrSession(e.login("city_sec", demo.Password))
		runSteps(t, e, []step{
			{"longer than the policy", "jgj_staff", "POST", "/api/me/tokens", auth.TokenInput{Name: "长期", ExpiresInDays: 365}, http.StatusBadRequest, "expires_in_days", "有效期须在1至90天之间", ""},
			{"the policy has the lifetime", "city_sec", "GET", "/api/policy", nil, http.StatusOK, "", `"token_days":90`, ""},
		})
		pol, err := e.w.Auth.Policy(ctx) // the demo's (no second factor required)
		if err != nil {
			t.Fatal(err)
		}
		pol.TokenDays = 30
		if status, body := e.do(sec, "PUT", "/api/policy", pol); status != http.StatusOK {
			t.Fatalf("policy: %d %s", status, body)
		}
		runSteps(t, e, []step{
			{"longer than the new policy", "jgj_staff", "POST", "/api/me/tokens", auth.TokenInput{Name: "长期", ExpiresInDays: 31}, http.StatusBadRequest, "expires_in_days", "1至30天", ""},
		})

		day := e.newToken(owner, 1)
		if status, body := e.bearer(day.Token, "GET", "/api/me", nil); status != http.StatusOK {
			t.Fatalf("fresh token: %d %s", status, body)
		}
		e.w.Auth.Now = func() time.Time { return time.Now().Add(25 * time.Hour) }
		if status, body := e.bearer(day.Token, "GET", "/api/me", nil); status != http.StatusUnauthorized || !strings.Contains(body, "过期") {
			t.Errorf("a one-day token a day later: %d %s", status, body)
		}
		e.w.Auth.Now = nil

		// The forced password change applies to the token as to a session.
		tok := e.newToken(owner, 0)
		if _, err := db.W.NewRaw("UPDATE users SET must_change_password = ? WHERE id = ?", true, u.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if status, body := e.bearer(tok.Token, "GET", "/api/units/tree", nil); status != http.StatusForbidden || !strings.Contains(body, "password_change_required") {
			t.Errorf("token of an account that must change its password: %d %s", status, body)
		}
		if status, body := e.bearer(tok.Token, "GET", "/api/me", nil); status != http.StatusOK {
			t.Errorf("its own account: %d %s", status, body)
		}
		if status, body := e.do(owner, "POST", "/api/me/tokens", auth.TokenInput{Name: "改密前"}); status != http.StatusForbidden || !strings.Contains(string(body), "password_change_required") {
			t.Errorf("a session that must change its password creates a token: %d %s", status, body)
		}
		if _, err := db.W.NewRaw("UPDATE users SET must_change_password = ? WHERE id = ?", false, u.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}

		// An administrator resets the password (no SMS here: a second one
		// approves, and the reset is issued): the token is dead.
		status, body := e.do(ptrSession(e.login("tn_admin", demo.Password)), "POST", fmt.Sprintf("/api/users/%d/reset-password", u.ID), nil)
		var reset auth.Reset
		if status >= 300 || json.Unmarshal(body, &reset) != nil || reset.Status != "pending" {
			t.Fatalf("reset: %d %s", status, body)
		}
		if status, body := e.bearer(tok.Token, "GET", "/api/me", nil); status != http.StatusOK {
			t.Errorf("token while the reset waits for approval: %d %s", status, body)
		}
		if status, body := e.do(ptrSession(e.login("city_admin", demo.Password)), "POST", fmt.Sprintf("/api/password-resets/%d/approve", reset.ID), nil); status >= 300 {
			t.Fatalf("approve reset: %d %s", status, body)
		}
		if status, body := e.bearer(tok.Token, "GET", "/api/me", nil); status != http.StatusUnauthorized || !strings.Contains(body, "已吊销") {
			t.Errorf("token after its owner's reset: %d %s", status, body)
		}
	})
}

// Administrators list, filter, export and revoke the tokens and keys of
// their scope; the revocation is logged.
func TestAdministratorsCredentialList(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e, db := newEnv(t, w), w.DB
		u := e.newUser(e.inUnit, access.Applicant)
		tok := e.newToken(ptrSession(e.login(u.Username, testPassword)), 0)
		var id int64
		if err := db.R.NewSelect().Table("api_tokens").Column("id").Where("user_id = ?", u.ID).Scan(context.Background(), &id); err != nil {
			t.Fatal(err)
		}
		q := "/api/credentials?kind=token&status=active&q=" + u.Username
		runSteps(t, e, []step{
			{"the security administrator lists it", "city_sec", "GET", q, nil, http.StatusOK, "", `"total":1`, ""},
			{"with its owner", "tn_admin", "GET", q, nil, http.StatusOK, "", `"username":"` + u.Username + `"`, ""},
			{"another district does not see it", "zl_admin", "GET", q, nil, http.StatusOK, "", `"total":0`, ""},
			{"supervisors do not", "city_jw", "GET", q, nil, http.StatusForbidden, "", "没有权限", ""},
			{"bad status", "city_sec", "GET", "/api/credentials?status=x", nil, http.StatusBadRequest, "status", "状态取值无效", ""},
			{"export", "city_sec", "GET", "/api/credentials/export?kind=token", nil, http.StatusOK, "", "", ""},
			{"another district cannot revoke it", "zl_admin", "DELETE", fmt.Sprintf("/api/credentials/tokens/%d", id), nil, http.StatusForbidden, "", "管辖范围", ""},
			{"its district's administrator revokes it", "tn_admin", "DELETE", fmt.Sprintf("/api/credentials/tokens/%d", id), nil, http.StatusNoContent, "", "", ""},
			{"now listed as revoked", "city_sec", "GET", "/api/credentials?status=revoked&q=" + u.Username, nil, http.StatusOK, "", `"revoked_reason":"管理员吊销"`, ""},
			{"logged", "city_audit", "GET", "/api/audit?action=token.revoke&q=" + u.Username, nil, http.StatusOK, "", `"total":1`, ""},
			{"export logged", "city_audit", "GET", "/api/audit?action=credential.export", nil, http.StatusOK, "", `"total":1`, ""},
		})
		if status, body := e.bearer(tok.Token, "GET", "/api/me", nil); status != http.StatusUnauthorized {
			t.Errorf("revoked token: %d %s", status, body)
		}
	})
}
