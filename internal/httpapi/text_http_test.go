package httpapi_test

import (
	"encoding/json"
	"strings"
	"testing"

	"govfleet/internal/demo"
	"govfleet/internal/storetest"
)

// Issue 19: a token named "ab\u0000cd" by any user was stored without the
// NUL but hashed with it into the audit chain. Control characters are now
// refused with a message naming the field, and nothing is created.
func TestControlCharactersRefused(t *testing.T) {
	e := newEnv(t, storetest.SQLite(t))
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
