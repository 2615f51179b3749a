package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
)

func init() {
	for _, k := range []string{"POST /api/auth/login/code", "GET /api/me/totp", "POST /api/me/totp", "POST /api/me/totp/confirm"} {
		untargeted[k] = true
	}
	// Confirming binds the caller's second factor: the next binding needs a reset.
	spendsCaller["POST /api/me/totp/confirm"] = true
}

// enrolled binds a second factor to the account and returns its recovery codes.
func (e *env) enrolled(a *access.Actor) []string {
	e.t.Helper()
	ctx := context.Background()
	setup, err := e.w.Auth.BeginTOTP(ctx, a)
	if err != nil {
		e.t.Fatal(err)
	}
	code, _ := totp.GenerateCode(setup.Secret, time.Now())
	codes, err := e.w.Auth.ConfirmTOTP(ctx, a, code)
	if err != nil {
		e.t.Fatal(err)
	}
	return codes
}

func (e *env) totpFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	return map[string]func(c caller, in bool) call{
		"POST /api/auth/login/code": func(c caller, in bool) call {
			u := e.newUser(e.inUnit, access.Applicant)
			l, err := e.w.Auth.Login(context.Background(), u.Username, testPassword, "127.0.0.1", "test")
			if err != nil {
				e.t.Fatal(err)
			}
			recovery := e.enrolled(&access.Actor{UserID: u.ID, Username: u.Username, ScopePath: l.User.ScopePath})
			l, err = e.w.Auth.Login(context.Background(), u.Username, testPassword, "127.0.0.1", "test")
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", "/api/auth/login/code", map[string]string{"ticket": l.Ticket, "code": recovery[0]}}
		},
		"GET /api/me/totp":  func(c caller, in bool) call { return call{"GET", "/api/me/totp", nil} },
		"POST /api/me/totp": func(c caller, in bool) call { return call{"POST", "/api/me/totp", nil} },
		"POST /api/me/totp/confirm": func(c caller, in bool) call {
			setup, err := e.w.Auth.BeginTOTP(context.Background(), c.actor)
			if err != nil {
				e.t.Fatal(err)
			}
			code, _ := totp.GenerateCode(setup.Secret, time.Now())
			return call{"POST", "/api/me/totp/confirm", map[string]string{"code": code}}
		},
		"POST /api/users/{id}/totp/reset": func(c caller, in bool) call {
			u := e.newUser(place(in), access.Applicant)
			e.enrolled(&access.Actor{UserID: u.ID, Username: u.Username})
			return call{"POST", fmt.Sprintf("/api/users/%d/totp/reset", u.ID), nil}
		},
	}
}

// TestTwoStepLogin: an enrolled account's login over HTTP is two steps,
// and an account the policy asks to enrol reaches only the enrolment
// routes until it has.
func TestTwoStepLogin(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e, db := newEnv(t, w), w.DB
		post := func(s *session, path string, body any) (int, map[string]any) {
			t.Helper()
			status, b := e.do(s, "POST", path, body)
			var out map[string]any
			json.Unmarshal(b, &out)
			return status, out
		}

		// The security administrator requires two factors of applicants.
		sec := ptrSession(e.login("city_sec", demo.Password))
		pol := auth.DefaultPolicy
		pol.TOTPRoles = []access.Role{access.Applicant}
		if status, b := e.do(sec, "PUT", "/api/policy", pol); status != http.StatusOK || !strings.Contains(string(b), `"totp_roles":["applicant"]`) {
			t.Fatalf("set policy: %d %s", status, b)
		}

		// Password alone: a session restricted to enrolment.
		staff := ptrSession(e.login("jgj_staff", demo.Password))
		if status, b := e.do(staff, "GET", "/api/me", nil); status != http.StatusOK || !strings.Contains(string(b), `"must_enrol":true`) {
			t.Fatalf("me before enrolment: %d %s", status, b)
		}
		if status, b := e.do(staff, "GET", "/api/my/orders", nil); status != http.StatusForbidden || !strings.Contains(string(b), "totp_enrol_required") {
			t.Fatalf("orders before enrolment: %d %s", status, b)
		}
		if status, b := e.do(staff, "POST", "/api/me/tokens", map[string]string{"name": "绕过"}); status != http.StatusForbidden {
			t.Fatalf("token before enrolment: %d %s", status, b)
		}
		status, setup := post(staff, "/api/me/totp", nil)
		if status != http.StatusOK || !strings.HasPrefix(setup["qr"].(string), "data:image/png;base64,") {
			t.Fatalf("begin: %d %v", status, setup)
		}
		secret := setup["secret"].(string)
		now := time.Now()
		code, _ := totp.GenerateCode(secret, now)
		status, conf := post(staff, "/api/me/totp/confirm", map[string]string{"code": code})
		if status != http.StatusOK || len(conf["recovery_codes"].([]any)) != 10 {
			t.Fatalf("confirm: %d %v", status, conf)
		}
		if status, b := e.do(staff, "GET", "/api/my/orders", nil); status != http.StatusOK {
			t.Fatalf("orders after enrolment: %d %s", status, b)
		}

		// Now the login has two steps; the first gives no session.
		status, first := post(nil, "/api/auth/login", map[string]string{"username": "jgj_staff", "password": demo.Password})
		if status != http.StatusOK || first["message"] != "需要动态验证码" || first["totp_ticket"] == "" || first["user"] != nil || first["csrf_token"] != "" {
			t.Fatalf("first step: %d %v", status, first)
		}
		tk := first["totp_ticket"].(string)
		// The code that confirmed the binding is a replay.
		status, out := post(nil, "/api/auth/login/code", map[string]string{"ticket": tk, "code": code})
		if status != http.StatusBadRequest || !strings.Contains(fmt.Sprint(out), "还可尝试") {
			t.Fatalf("replayed code: %d %v", status, out)
		}
		recovery := conf["recovery_codes"].([]any)[0].(string)
		status, b := e.do(nil, "POST", "/api/auth/login/code", map[string]string{"ticket": tk, "code": recovery})
		if status != http.StatusOK || !strings.Contains(string(b), `"username":"jgj_staff"`) || !strings.Contains(string(b), `"must_enrol":false`) {
			t.Fatalf("second step: %d %s", status, b)
		}
		status, out = post(nil, "/api/auth/login/code", map[string]string{"ticket": tk, "code": recovery})
		if status != http.StatusUnauthorized {
			t.Fatalf("ticket used twice: %d %v", status, out)
		}

		// The security administrator resets the binding (users outside its
		// permission cannot), and the log says so.
		var id int64
		if err := db.R.NewSelect().Table("users").Column("id").Where("username = 'jgj_staff'").Scan(context.Background(), &id); err != nil {
			t.Fatal(err)
		}
		if status, b := e.do(ptrSession(e.login("city_sys", demo.Password)), "POST", fmt.Sprintf("/api/users/%d/totp/reset", id), nil); status != http.StatusForbidden {
			t.Fatalf("reset by the system administrator: %d %s", status, b)
		}
		runSteps(t, e, []step{
			{"security administrator resets", "city_sec", "POST", fmt.Sprintf("/api/users/%d/totp/reset", id), nil, http.StatusOK, "", `"totp_enrolled_at":null`, ""},
			{"the reset is in the audit log", "city_audit", "GET", "/api/audit?action=totp.reset", nil, http.StatusOK, "", "重置账号 jgj_staff（秦小敏）的动态验证码绑定", ""},
		})
	})
}
