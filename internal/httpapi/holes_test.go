package httpapi_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/booking"
)

// roleHolder returns a caller in 天宁区 holding a role with p.
func (e *env) roleHolder(p access.Perm) caller {
	e.t.Helper()
	for _, ri := range access.Roles {
		if access.RoleHas(ri.Code, p) && slices.Contains(ri.ScopeKinds, "district") {
			return e.caller(e.tn, ri.Code)
		}
	}
	e.t.Fatalf("no district role holds %s", p)
	return caller{}
}

// TestRolesAndPages: PUT roles without the roles field is refused (it once
// removed every role), and a page number beyond MaxPage is refused rather
// than answered with page 1.
func TestRolesAndPages(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		admin := e.roleHolder(access.RolesAssign)
		target := e.newUser(e.inUnit, access.Applicant)
		for _, tc := range []struct {
			name, method, path string
			body               any
			status             int
			want               string
		}{
			{"roles missing", "PUT", fmt.Sprintf("/api/users/%d/roles", target.ID), map[string]any{}, 400, "请指定角色列表"},
			{"roles kept", "GET", fmt.Sprintf("/api/users/%d", target.ID), nil, 200, string(access.Applicant)},
			{"page 2^31", "GET", "/api/users?page=2147483648", nil, 400, "页码不能超过100000"},
			{"page 2^63", "GET", "/api/users?page=9223372036854775807", nil, 400, "页码不能超过100000"},
			{"last page allowed", "GET", "/api/users?page=100000", nil, 200, `"page":100000`},
		} {
			status, body := e.do(&admin.sess, tc.method, tc.path, tc.body)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Errorf("%s: %d %.300s, want %d with %q", tc.name, status, body, tc.status, tc.want)
			}
		}
	})
}

// TestOrderAttachments: a colleague applying in the same unit cannot add
// files to someone else's order; the applicant, the unit's approver and
// dispatcher can.
func TestOrderAttachments(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		owner := e.caller(e.inUnit, access.Applicant)
		order := e.order(e.inUnit, booking.Submitted, owner.user.ID, 0, 0)
		file := map[string]any{"file": []byte("%PDF-1.4\n%会议通知\n")}
		for _, tc := range []struct {
			name   string
			c      caller
			status int
		}{
			{"colleague", e.caller(e.inUnit, access.Applicant), 403},
			{"applicant", owner, 201},
			{"approver", e.caller(e.inUnit, access.Approver), 201},
			{"dispatcher", e.caller(e.inUnit, access.Dispatcher), 201},
		} {
			status, body := e.do(&tc.c.sess, "POST", fmt.Sprintf("/api/orders/%d/attachments", order), file)
			if status != tc.status {
				t.Errorf("%s: %d %s, want %d", tc.name, status, body, tc.status)
			}
		}
	})
}
