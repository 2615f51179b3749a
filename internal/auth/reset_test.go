package auth_test

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
	"govfleet/internal/errs"
)

// fakeSMS keeps the texts a test's resets send.
type fakeSMS struct {
	mu    sync.Mutex
	texts map[string][]string // phone → texts
}

func (f *fakeSMS) Send(_ context.Context, phone, text string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.texts == nil {
		f.texts = map[string][]string{}
	}
	f.texts[phone] = append(f.texts[phone], text)
	return nil
}

var codeRe = regexp.MustCompile(`验证码：([A-Z0-9]{10})`)

// code returns the one-time code of the last text to phone.
func (f *fakeSMS) code(t *testing.T, phone string) string {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	texts := f.texts[phone]
	if len(texts) == 0 {
		t.Fatalf("no text to %s", phone)
	}
	m := codeRe.FindStringSubmatch(texts[len(texts)-1])
	if m == nil {
		t.Fatalf("no code in %q", texts[len(texts)-1])
	}
	return m[1]
}

// TestWhoManagesWhom: the demo's accounts against the rule of who may
// manage whom (access.CanManage), through every account-changing service
// call: the takeovers are refused with a reason, the ordinary
// administration still works.
func TestWhoManagesWhom(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		w.Auth.SMS = &fakeSMS{}
		ctx := context.Background()
		ops := map[string]func(a *access.Actor, id int64) error{
			"reset": func(a *access.Actor, id int64) error { _, err := w.Auth.ResetPassword(ctx, a, id); return err },
			"lock":  func(a *access.Actor, id int64) error { _, err := w.Auth.SetLocked(ctx, a, id, true); return err },
			"unlock": func(a *access.Actor, id int64) error {
				_, err := w.Auth.SetLocked(ctx, a, id, false)
				return err
			},
			"deactivate": func(a *access.Actor, id int64) error {
				_, err := w.Auth.Update(ctx, a, id, auth.UserInput{Active: ptr(false)})
				return err
			},
			"edit": func(a *access.Actor, id int64) error {
				_, err := w.Auth.Update(ctx, a, id, auth.UserInput{RealName: ptr("改名")})
				return err
			},
			"roles": func(a *access.Actor, id int64) error {
				u, err := w.Auth.Get(ctx, a, id)
				if err != nil {
					return err
				}
				_, err = w.Auth.SetRoles(ctx, a, id, u.Roles)
				return err
			},
		}
		cases := []struct {
			by, target string
			ops        []string
			refused    string // "" = allowed
		}{
			// The three administrators do not act on one another alone.
			{"city_sys", "city_audit", []string{"lock", "unlock", "deactivate", "edit"}, "三员"},
			{"city_sys", "city_sec", []string{"lock", "deactivate", "edit"}, "三员"},
			{"city_sec", "city_audit", []string{"roles"}, "三员"},
			{"city_sec", "city_sys", []string{"lock", "roles"}, "三员"},
			{"city_sec", "city_sys", []string{"reset"}, ""}, // a request for the third to approve (TestResetByCode)
			{"city_sys", "city_admin", []string{"reset", "lock", "deactivate", "edit"}, "「平台管理员」"},
			// Supervisors are not managed by those they oversee.
			{"tn_admin", "tn_jw", []string{"reset", "lock", "deactivate", "edit"}, "不能管理监督本级的纪检监察监督员账号"},
			{"city_admin", "city_jw", []string{"reset", "lock", "roles"}, "不能管理监督本级的纪检监察监督员账号"},
			{"city_sys", "city_jw", []string{"reset", "lock"}, "「纪检监察监督员」"},
			{"jgj_admin", "jgj_approver", []string{"reset", "lock", "deactivate", "roles", "edit"}, "审核员"},
			// The security administrator and the level above do.
			{"city_sec", "city_jw", []string{"roles"}, ""},
			{"city_admin", "tn_jw", []string{"reset", "lock", "unlock", "edit", "roles"}, ""},
			{"city_admin", "tn_admin", []string{"reset", "lock", "unlock"}, ""},
			{"tn_admin", "tn_admin", []string{"reset", "lock"}, "自己"},
			{"city_admin", "jgj_approver", []string{"reset", "lock", "unlock"}, ""},
			{"jgj_admin", "jgj_staff", []string{"reset", "lock", "unlock", "edit", "roles"}, ""},
			{"city_sys", "jgj_approver", []string{"reset", "lock", "unlock", "edit"}, ""},
			{"tn_admin", "jgj_staff", []string{"reset", "lock"}, "管辖范围"},
		}
		actors := map[string]*access.Actor{} // logged in before any reset
		for _, c := range cases {
			if actors[c.by] == nil {
				actors[c.by] = w.Actor(t, c.by)
			}
		}
		for _, c := range cases {
			by := actors[c.by]
			var target int64
			if err := db.R.NewSelect().Table("users").Column("id").Where("username = ?", c.target).Scan(ctx, &target); err != nil {
				t.Fatal(err)
			}
			for _, op := range c.ops {
				before := w.Count(t, "audit_log")
				err := ops[op](by, target)
				if c.refused == "" {
					if err != nil {
						t.Errorf("%s %s %s: %v", c.by, op, c.target, err)
					}
					continue
				}
				if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), c.refused) {
					t.Errorf("%s %s %s: %v, want forbidden naming %q", c.by, op, c.target, err, c.refused)
				}
				if w.Count(t, "audit_log") != before {
					t.Errorf("%s %s %s: a refused change was logged", c.by, op, c.target)
				}
			}
		}
	})
}

// TestResetByCode: without SMS a reset waits for a second administrator,
// whose approval shows a one-time link; the code sets a password once; wrong
// codes burn it; the city's three administrators reset one another only
// two together. Every step is in the audit log.
func TestResetByCode(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		id := func(name string) int64 {
			var id int64
			if err := db.R.NewSelect().Table("users").Column("id").Where("username = ?", name).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		jgjAdmin, cityAdmin := w.Actor(t, "jgj_admin"), w.Actor(t, "city_admin")

		// No SMS: the request waits; the password still works meanwhile.
		w.Auth.SMS = nil // the app texts through the log sender by default
		res, err := w.Auth.ResetPassword(ctx, jgjAdmin, id("jgj_staff"))
		if err != nil || res.Status != "pending" || res.Link != "" {
			t.Fatalf("reset without SMS: %+v, %v", res, err)
		}
		w.Actor(t, "jgj_staff")
		if _, err := w.Auth.ApproveReset(ctx, jgjAdmin, res.ID); !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "另一名") {
			t.Errorf("self-approval: %v", err)
		}
		if _, err := w.Auth.ApproveReset(ctx, w.Actor(t, "tn_admin"), res.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("approval from outside the scope: %v", err)
		}
		pending, err := w.Auth.PendingResets(ctx, cityAdmin)
		if err != nil || len(pending) != 1 || pending[0].Username != "jgj_staff" {
			t.Fatalf("city admin's pending resets: %+v, %v", pending, err)
		}
		if p, _ := w.Auth.PendingResets(ctx, jgjAdmin); len(p) != 0 {
			t.Errorf("the requester is offered its own request: %+v", p)
		}
		ok, err := w.Auth.ApproveReset(ctx, cityAdmin, res.ID)
		if err != nil || ok.Status != "link" || ok.Link == "" {
			t.Fatalf("approval: %+v, %v", ok, err)
		}
		if _, err := w.Auth.ApproveReset(ctx, cityAdmin, res.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("second approval: %v", err)
		}
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "", ""); err == nil {
			t.Error("the old password survived the approved reset")
		}
		link, _ := url.Parse(ok.Link)
		code := link.Query().Get("code")
		if link.Query().Get("reset") != "jgj_staff" || len(code) < 8 {
			t.Fatalf("link %q", ok.Link)
		}
		for _, c := range []struct{ user, code, pw, field string }{
			{"jgj_staff", code, "short", "new_password"},
			{"nobody", code, "Cz#2026abc", "code"},
			{"jgj_staff", "WRONG2345X", "Cz#2026abc", "code"},
		} {
			err := w.Auth.UseResetCode(ctx, c.user, c.code, c.pw, "")
			if e, isE := err.(*errs.Error); !isE || e.Fields[c.field] == "" {
				t.Errorf("code %s/%s: %v, want a message on %s", c.user, c.code, err, c.field)
			}
		}
		if err := w.Auth.UseResetCode(ctx, "jgj_staff", strings.ToLower(code), "Cz#2026abc", ""); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.Login(ctx, "jgj_staff", "Cz#2026abc", "", ""); err != nil {
			t.Fatalf("login with the new password: %v", err)
		}
		if err := w.Auth.UseResetCode(ctx, "jgj_staff", code, "Cz#2026def", ""); err == nil {
			t.Error("a code worked twice")
		}

		// Five wrong codes burn the code.
		sms := &fakeSMS{}
		w.Auth.SMS = sms
		if _, err := w.Auth.ResetPassword(ctx, jgjAdmin, id("jgj_driver")); err != nil {
			t.Fatal(err)
		}
		var phone string
		db.R.NewSelect().Table("users").Column("phone").Where("username = 'jgj_driver'").Scan(ctx, &phone)
		good := sms.code(t, phone)
		for range 5 {
			w.Auth.UseResetCode(ctx, "jgj_driver", "WRONG2345X", "Cz#2026abc", "")
		}
		if err := w.Auth.UseResetCode(ctx, "jgj_driver", good, "Cz#2026abc", ""); err == nil {
			t.Error("the code survived five wrong attempts")
		}

		// The city's three: one asks, the third approves; the code goes to the owner.
		sys, sec, aud := w.Actor(t, "city_sys"), w.Actor(t, "city_sec"), w.Actor(t, "city_audit")
		res, err = w.Auth.ResetPassword(ctx, sys, id("city_sec"))
		if err != nil || res.Status != "pending" || !strings.Contains(res.Message, "三员") {
			t.Fatalf("city_sys resetting city_sec: %+v, %v", res, err)
		}
		if _, err := w.Auth.ApproveReset(ctx, cityAdmin, res.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the platform admin approving a reset of the security admin: %v", err)
		}
		if _, err := w.Auth.ApproveReset(ctx, sec, res.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("the target approving its own reset: %v", err)
		}
		ok, err = w.Auth.ApproveReset(ctx, aud, res.ID)
		if err != nil || ok.Status != "sms" || ok.Link != "" {
			t.Fatalf("city_audit approving: %+v, %v", ok, err)
		}
		db.R.NewSelect().Table("users").Column("phone").Where("username = 'city_sec'").Scan(ctx, &phone)
		if err := w.Auth.UseResetCode(ctx, "city_sec", sms.code(t, phone), "Sec#2026new", ""); err != nil {
			t.Fatal(err)
		}

		var actions []string
		if err := db.R.NewSelect().Table("audit_log").Column("action").Where("action LIKE 'user.reset%' OR action LIKE 'auth.reset%'").Order("id").Scan(ctx, &actions); err != nil {
			t.Fatal(err)
		}
		want := "user.reset_request user.reset_approve auth.reset_code_failed auth.reset_code " +
			"user.reset_password auth.reset_code_failed auth.reset_code_failed auth.reset_code_failed auth.reset_code_failed auth.reset_code_failed " +
			"user.reset_request user.reset_approve auth.reset_code"
		if got := strings.Join(actions, " "); got != want {
			t.Errorf("audit actions:\n got %s\nwant %s", got, want)
		}
	})
}
