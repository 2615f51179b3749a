package auth_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
	"govfleet/internal/errs"
)

func ptr[T any](v T) *T { return &v }

// clock is a settable time source for lockout and idle-timeout tests.
type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestLoginLockout(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		c := &clock{time.Now()}
		w.Auth.Now = c.now

		// Four failures tell how many tries remain; the fifth locks (R-5 policy: 5 / 15 min).
		for i := 1; i <= 4; i++ {
			c.t = c.t.Add(10 * time.Second) // past the growing wait after the third failure
			_, err := w.Auth.Login(ctx, "jgj_staff", "wrong", "10.0.0.1", "")
			if !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "还可尝试") {
				t.Fatalf("failure %d: %v", i, err)
			}
		}
		c.t = c.t.Add(10 * time.Second)
		_, err := w.Auth.Login(ctx, "jgj_staff", "wrong", "10.0.0.1", "")
		if !errs.Is(err, errs.Locked) || !strings.Contains(err.Error(), "已锁定15分钟") {
			t.Fatalf("fifth failure: %v", err)
		}
		// Even the right password is refused while locked.
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", ""); !errs.Is(err, errs.Locked) {
			t.Fatalf("right password while locked: %v", err)
		}
		c.t = c.t.Add(16 * time.Minute)
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", ""); err != nil {
			t.Fatalf("after the lockout: %v", err)
		}
		// Unknown users get the same answer as a wrong password.
		if _, err := w.Auth.Login(ctx, "nobody", "x", "10.0.0.1", ""); err == nil || err.(*errs.Error).Message != "用户名或密码错误，还可尝试4次" {
			t.Fatalf("unknown user: %v", err)
		}
		// The failures and the lockout are in the audit log.
		n, err := db.R.NewSelect().Table("audit_log").Where("action IN ('auth.login_failed', 'auth.locked')").Count(ctx)
		if err != nil || n != 6 {
			t.Errorf("audit rows for failures = %d (%v), want 6", n, err)
		}
	})
}

func TestSessionIdleTimeoutAndLogout(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		c := &clock{time.Now()}
		w.Auth.Now = c.now
		l, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "", "")
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(29 * time.Minute)
		if _, err := w.Auth.Authenticate(ctx, l.Token, ""); err != nil {
			t.Fatalf("29 minutes idle: %v", err)
		}
		c.t = c.t.Add(29 * time.Minute) // activity above reset the idle clock
		p, err := w.Auth.Authenticate(ctx, l.Token, "")
		if err != nil {
			t.Fatalf("active session: %v", err)
		}
		c.t = c.t.Add(31 * time.Minute)
		if _, err := w.Auth.Authenticate(ctx, l.Token, ""); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "超时") {
			t.Fatalf("31 minutes idle: %v", err)
		}
		_ = p
		l, _ = w.Auth.Login(ctx, "jgj_staff", demo.Password, "", "")
		p, _ = w.Auth.Authenticate(ctx, l.Token, "")
		if err := w.Auth.Logout(ctx, p); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.Authenticate(ctx, l.Token, ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("after logout: %v", err)
		}
	})
}

func TestCreateUserForcedChangeAndPolicy(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		jgjAdmin := w.Actor(t, "jgj_admin")
		jgj := w.UnitID(t, "市机关事务管理局")
		c, err := w.Auth.Create(ctx, jgjAdmin, auth.UserInput{Username: "jgj_new", RealName: ptr("新同事"), Phone: ptr("13812345678"),
			ScopeID: ptr(jgj), Roles: []access.Role{access.Applicant, access.Driver}})
		if err != nil {
			t.Fatal(err)
		}
		if !c.User.MustChangePassword || auth.PasswordProblem(c.InitialPassword, "", 8) != "" {
			t.Fatalf("new account: must change %v, initial password %q", c.User.MustChangePassword, c.InitialPassword)
		}
		l, err := w.Auth.Login(ctx, "jgj_new", c.InitialPassword, "", "")
		if err != nil {
			t.Fatal(err)
		}
		p, _ := w.Auth.Authenticate(ctx, l.Token, "")
		if !p.MustChange {
			t.Fatal("first login does not demand a password change")
		}
		cases := []struct{ old, new, field, msg string }{
			{"wrong", "Abcdef12!", "old_password", "原密码不正确"},
			{c.InitialPassword, "Ab1!", "new_password", "至少8位"},
			{c.InitialPassword, "abcdefgh1", "new_password", "至少三类"},
			{c.InitialPassword, "Jgj_new2026!", "new_password", "不能包含用户名"},
			{c.InitialPassword, c.InitialPassword, "new_password", "不能与原密码相同"},
		}
		for _, tc := range cases {
			err := w.Auth.ChangePassword(ctx, p, tc.old, tc.new)
			e, ok := err.(*errs.Error)
			if !ok || !strings.Contains(e.Fields[tc.field], tc.msg) {
				t.Errorf("change %q → %q: %v, want %s: %s", tc.old, tc.new, err, tc.field, tc.msg)
			}
		}
		if err := w.Auth.ChangePassword(ctx, p, c.InitialPassword, "Cz#2026abc"); err != nil {
			t.Fatal(err)
		}
		p, _ = w.Auth.Authenticate(ctx, l.Token, "")
		if p.MustChange {
			t.Error("still must change after changing")
		}
		// An admin reset ends the sessions and the old password; the owner
		// sets a new one with the code texted to its phone.
		sms := &fakeSMS{}
		w.Auth.SMS = sms
		res, err := w.Auth.ResetPassword(ctx, jgjAdmin, c.User.ID)
		if err != nil || res.Status != "sms" || res.Link != "" {
			t.Fatalf("reset: %+v, %v", res, err)
		}
		if _, err := w.Auth.Authenticate(ctx, l.Token, ""); err == nil {
			t.Error("session survived a reset")
		}
		if _, err := w.Auth.Login(ctx, "jgj_new", "Cz#2026abc", "", ""); err == nil {
			t.Error("the old password survived a reset")
		}
		if err := w.Auth.UseResetCode(ctx, "jgj_new", sms.code(t, "13812345678"), "Cz#2026xyz", ""); err != nil {
			t.Fatal(err)
		}
		l, err = w.Auth.Login(ctx, "jgj_new", "Cz#2026xyz", "", "")
		if err != nil || l.User.MustChangePassword {
			t.Fatalf("login after reset: %v", err)
		}
	})
}

func TestRoleAssignment(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		jgj, tn, city := w.UnitID(t, "市机关事务管理局"), w.UnitID(t, "天宁区"), w.UnitID(t, "常州市")
		cases := []struct {
			name   string
			by     string
			scope  int64
			roles  []access.Role
			code   errs.Code
			substr string
		}{
			{"unit admin grants business roles", "jgj_admin", jgj, []access.Role{access.Approver, access.Dispatcher}, "", ""},
			{"unit admin cannot make a unit admin", "jgj_admin", jgj, []access.Role{access.UnitAdmin}, errs.Forbidden, "单位管理员"},
			{"unit admin cannot reach another unit", "jgj_admin", w.UnitID(t, "市财政局"), []access.Role{access.Applicant}, errs.Forbidden, "管辖范围"},
			{"city admin hands platform admin down", "city_admin", tn, []access.Role{access.PlatformAdmin}, "", ""},
			{"city admin cannot make a peer", "city_admin", city, []access.Role{access.PlatformAdmin}, errs.Forbidden, "平台管理员"},
			{"platform admin cannot grant the three admins", "city_admin", tn, []access.Role{access.SysAdmin}, errs.Forbidden, "系统管理员"},
			{"security admin grants the three admins", "city_sec", tn, []access.Role{access.AuditAdmin}, "", ""},
			{"three admins are exclusive", "city_sec", tn, []access.Role{access.AuditAdmin, access.Approver}, errs.Invalid, "三员分立"},
			{"level roles need a level", "city_sec", jgj, []access.Role{access.SupervisorAudit}, errs.Invalid, "只能授予"},
			{"system admin creates without roles", "city_sys", jgj, nil, "", ""},
			{"system admin cannot grant", "city_sys", jgj, []access.Role{access.Applicant}, errs.Forbidden, "无权分配角色"},
			{"unknown role", "city_sec", jgj, []access.Role{"boss"}, errs.Invalid, "不存在"},
		}
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				before := w.Count(t, "users")
				_, err := w.Auth.Create(ctx, w.Actor(t, c.by), auth.UserInput{Username: "u" + string(rune('a'+i)) + "test", RealName: ptr("测试"), ScopeID: ptr(c.scope), Roles: c.roles})
				if c.code == "" {
					if err != nil {
						t.Fatalf("refused: %v", err)
					}
					return
				}
				if !errs.Is(err, c.code) || !strings.Contains(err.Error(), c.substr) {
					t.Fatalf("got %v, want %s containing %q", err, c.code, c.substr)
				}
				if w.Count(t, "users") != before {
					t.Error("a refused create wrote an account")
				}
			})
		}
		// Nobody changes their own roles; a platform admin may not manage the security admin.
		sec := w.Actor(t, "city_sec")
		if _, err := w.Auth.SetRoles(ctx, sec, sec.UserID, []access.Role{access.SecAdmin, access.AuditAdmin}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("own roles: %v", err)
		}
		if _, err := w.Auth.ResetPassword(ctx, w.Actor(t, "city_admin"), sec.UserID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("platform admin resetting the security admin: %v", err)
		}
	})
}

func TestFilings(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		fs, err := w.Auth.Filings(ctx, w.Actor(t, "city_jw"))
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 8 || fs[0].DistrictName != "常州市" {
			t.Fatalf("city filing has %d levels, first %q", len(fs), fs[0].DistrictName)
		}
		var tn *auth.Filing
		for _, f := range fs {
			if f.DistrictName == "天宁区" {
				tn = f
			}
		}
		if tn == nil {
			t.Fatal("no 天宁区 in the city's filing")
		}
		// The demo staffs every unit with vehicles with an approver (R-13(2)): 天宁区城市管理局's is among them.
		approvers := map[string]bool{}
		for _, h := range tn.Holders[access.Approver] {
			approvers[h.ScopeName] = true
		}
		if len(tn.Holders[access.PlatformAdmin]) != 1 || tn.Holders[access.PlatformAdmin][0].Username != "tn_admin" ||
			!approvers["天宁区城市管理局"] {
			t.Errorf("天宁区 filing: %+v", tn)
		}
		// A district sees only itself.
		fs, err = w.Auth.Filings(ctx, w.Actor(t, "tn_admin"))
		if err != nil || len(fs) != 1 || fs[0].DistrictName != "天宁区" {
			t.Errorf("tn_admin filing: %d levels, %v", len(fs), err)
		}
	})
}

func TestAPIToken(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		a := w.Actor(t, "jgj_dispatcher")
		tok, err := w.Auth.CreateToken(ctx, a, auth.TokenInput{Name: "调度大屏"})
		if err != nil {
			t.Fatal(err)
		}
		p, err := w.Auth.AuthenticateToken(ctx, tok.Token, "")
		if err != nil || p.Actor.Username != "jgj_dispatcher" {
			t.Fatalf("token auth: %v", err)
		}
		if err := w.Auth.RevokeToken(ctx, a, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.AuthenticateToken(ctx, tok.Token, ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("revoked token: %v", err)
		}
	})
}

// 上次登录 shows the login before the current one.
func TestPreviousLogin(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		c := &clock{time.Now()}
		w.Auth.Now = c.now
		first, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "", "")
		if err != nil {
			t.Fatal(err)
		}
		c.t = c.t.Add(2 * time.Hour)
		second, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "", "")
		if err != nil {
			t.Fatal(err)
		}
		if second.User.PreviousLoginAt == nil || !second.User.PreviousLoginAt.Equal(*first.User.LastLoginAt) {
			t.Errorf("previous login %v, want %v", second.User.PreviousLoginAt, first.User.LastLoginAt)
		}
	})
}
