package httpapi_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"govfleet/internal/app/apptest"
	"govfleet/internal/audit"
	"govfleet/internal/demo"
)

// Issue 19: a token named "ab\u0000cd" by any user was stored without the
// NUL but hashed with it into the audit chain. Control characters are now
// refused with a message naming the field, and nothing is created.
func TestControlCharactersRefused(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	s := e.login("tn_cgj_approver", demo.Password)
	before := e.w.Count(t, "api_tokens")
	for _, name := range []string{"ab\u0000cd", "ab\u001bcd", "两\n行"} {
		code, body := e.do(&s, "POST", "/api/me/tokens", map[string]string{"name": name})
		var res struct {
			Error struct {
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		json.Unmarshal(body, &res)
		if code != 400 || !strings.Contains(res.Error.Message, "字段 name 含有不允许的控制字符") || res.Error.Fields["name"] == "" {
			t.Errorf("token %q: %d %s", name, code, body)
		}
	}
	if n := e.w.Count(t, "api_tokens"); n != before {
		t.Errorf("%d tokens created", n-before)
	}
	if code, body := e.do(&s, "POST", "/api/me/tokens", map[string]string{"name": "脚本 😀"}); code != 201 {
		t.Errorf("clean name: %d %s", code, body)
	}
}

// Issue 19: the audit administrator downloads the signed checkpoints of
// the chain's head, and the server's verification checks the chain
// against them (a copy kept outside detects a cut tail).
func TestAuditCheckpointsDownload(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	e.w.Audit.Checkpoints = filepath.Join(t.TempDir(), audit.CheckpointFile)
	s := e.login("city_audit", demo.Password)
	if code, body := e.do(&s, "GET", "/api/audit/checkpoints", nil); code != 200 || len(body) != 0 {
		t.Fatalf("before any checkpoint: %d %q", code, body)
	}
	if err := e.w.Audit.Checkpoint(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, body := e.do(&s, "GET", "/api/audit/checkpoints", nil)
	if code != 200 || !strings.Contains(string(body), `"seq":`) || !strings.Contains(string(body), `"mac":`) {
		t.Fatalf("checkpoints: %d %q", code, body)
	}
	if code, body := e.do(&s, "GET", "/api/audit/verify", nil); code != 200 || !strings.Contains(string(body), `"ok":true`) ||
		!strings.Contains(string(body), "与校验点") {
		t.Errorf("verify: %d %s", code, body)
	}
	var n int
	e.w.DB.R.QueryRowContext(context.Background(), "SELECT COUNT(*) FROM audit_log WHERE action = 'audit.checkpoints'").Scan(&n)
	if n != 2 {
		t.Errorf("%d downloads recorded, want 2", n)
	}
}
