package auth_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
	"govfleet/internal/errs"
)

// Tokens expire: the policy's 90 days by default, fewer when asked, never
// more; lowering the policy shortens the tokens already issued.
func TestTokenExpiry(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		start := time.Now().Truncate(time.Second) // as the databases keep it
		c := &clock{start}
		w.Auth.Now = c.now
		a := w.Actor(t, "jgj_dispatcher")
		long, err := w.Auth.CreateToken(ctx, a, auth.TokenInput{Name: "默认有效期"})
		if err != nil {
			t.Fatal(err)
		}
		if want := start.Add(90 * 24 * time.Hour); !long.ExpiresAt.Equal(want.UTC()) {
			t.Errorf("default expiry %v, want %v", long.ExpiresAt, want)
		}
		week, err := w.Auth.CreateToken(ctx, a, auth.TokenInput{Name: "一周", ExpiresInDays: 7})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.CreateToken(ctx, a, auth.TokenInput{Name: "太长", ExpiresInDays: 91}); err == nil ||
			!strings.Contains(err.(*errs.Error).Fields["expires_in_days"], "1至90天") {
			t.Errorf("91 days: %v", err)
		}
		valid := func(tok *auth.APIToken) error {
			_, err := w.Auth.AuthenticateToken(ctx, tok.Token, "")
			return err
		}
		c.t = start.Add(7*24*time.Hour - time.Minute)
		if err := valid(week); err != nil {
			t.Fatalf("a week's token before its end: %v", err)
		}
		c.t = start.Add(7 * 24 * time.Hour)
		if err := valid(week); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "过期") {
			t.Fatalf("a week's token after a week: %v", err)
		}
		if err := valid(long); err != nil {
			t.Fatalf("the default token after a week: %v", err)
		}
		// The security administrator shortens the policy to 5 days: the
		// default token, 7 days old, has expired.
		pol := auth.DefaultPolicy
		pol.TokenDays = 5
		if _, err := w.Auth.SetPolicy(ctx, w.Actor(t, "city_sec"), pol); err != nil {
			t.Fatal(err)
		}
		if err := valid(long); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("a 7-day-old token under a 5-day policy: %v", err)
		}
		list, err := w.Auth.Tokens(ctx, a)
		if err != nil || len(list) != 2 || !list[0].ExpiresAt.Equal(start.Add(5*24*time.Hour).UTC()) {
			t.Errorf("own tokens show the expiry in force: %v %v", list, err)
		}
		pol.TokenDays = 0
		if _, err := w.Auth.SetPolicy(ctx, w.Actor(t, "city_sec"), pol); err == nil {
			t.Error("a policy without token lifetime was accepted")
		}
	})
}

// Every token and key of an account dies with its password change or
// reset, its lock or its deactivation, and the log says so.
func TestCredentialsDieWithTheirOwner(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		admin := w.Actor(t, "city_admin")
		cases := []struct {
			name, user string
			do         func(p *auth.Principal) error
		}{
			{"password change", "jgj_staff", func(p *auth.Principal) error {
				return w.Auth.ChangePassword(ctx, p, demo.Password, "New#2026pass")
			}},
			{"reset", "jgj_driver", func(p *auth.Principal) error {
				// The credentials die when the reset is issued: at once with SMS
				// (a reset waiting for a second administrator changes nothing yet).
				w.Auth.SMS = &fakeSMS{}
				defer func() { w.Auth.SMS = nil }()
				_, err := w.Auth.ResetPassword(ctx, admin, p.Actor.UserID)
				return err
			}},
			{"lock", "co_insurer", func(p *auth.Principal) error {
				_, err := w.Auth.SetLocked(ctx, admin, p.Actor.UserID, true)
				return err
			}},
			{"deactivation", "jgj_vm", func(p *auth.Principal) error {
				_, err := w.Auth.Update(ctx, admin, p.Actor.UserID, auth.UserInput{Active: ptr(false)})
				return err
			}},
		}
		for _, c := range cases {
			p := w.Principal(t, c.user)
			tok, err := w.Auth.CreateToken(ctx, p.Actor, auth.TokenInput{Name: "脚本"})
			if err != nil {
				t.Fatal(err)
			}
			var key *auth.APIKey
			if p.Actor.CompanyID != 0 {
				if key, err = w.Auth.CreateKey(ctx, p.Actor, "业务系统"); err != nil {
					t.Fatal(err)
				}
			}
			if err := c.do(p); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
			if c.name == "lock" { // unlocking does not bring them back
				if _, err := w.Auth.SetLocked(ctx, admin, p.Actor.UserID, false); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := w.Auth.AuthenticateToken(ctx, tok.Token, ""); !errs.Is(err, errs.Unauthenticated) || !strings.Contains(err.Error(), "已吊销") {
				t.Errorf("%s: the token still works: %v", c.name, err)
			}
			if key != nil {
				ts := time.Now().Unix()
				const nonce = "revoked-key-check-0001"
				sig := auth.Sign(key.Secret, "GET", "/api/me", strconv.FormatInt(ts, 10), nonce, nil)
				if _, err := w.Auth.AuthenticateSigned(ctx, key.KeyID, strconv.FormatInt(ts, 10), nonce, sig, "GET", "/api/me", nil, ""); !errs.Is(err, errs.Unauthenticated) {
					t.Errorf("%s: the key still works: %v", c.name, err)
				}
			}
			n, err := db.R.NewSelect().Table("audit_log").Where("action = 'credential.revoke_all' AND object_id = ?", strconv.FormatInt(p.Actor.UserID, 10)).Count(ctx)
			if err != nil || n != 1 {
				t.Errorf("%s: %d credential.revoke_all rows (%v), want 1", c.name, n, err)
			}
		}
	})
}

// A token carries its owner's forced password change.
func TestTokenMustChange(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		a := w.Actor(t, "jgj_staff")
		tok, err := w.Auth.CreateToken(ctx, a, auth.TokenInput{Name: "脚本"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.W.NewRaw("UPDATE users SET must_change_password = ? WHERE id = ?", true, a.UserID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := w.Auth.AuthenticateToken(ctx, tok.Token, "")
		if err != nil || !p.MustChange || p.TokenID != tok.ID {
			t.Fatalf("token of an account that must change its password: %+v %v", p, err)
		}
	})
}

// Administrators list the tokens and keys of their scope and revoke those
// of the accounts they manage; the security administrator those of its
// whole scope; nobody outside it.
func TestAdministratorsRevokeCredentials(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		staff := w.Actor(t, "jgj_staff")
		tok, err := w.Auth.CreateToken(ctx, staff, auth.TokenInput{Name: "员工脚本"})
		if err != nil {
			t.Fatal(err)
		}
		insurer := w.Actor(t, "co_insurer")
		key, err := w.Auth.CreateKey(ctx, insurer, "核心系统")
		if err != nil {
			t.Fatal(err)
		}
		list := func(who string, f auth.CredentialFilter) []*auth.Credential {
			f.Page, f.Size = 1, 50
			out, _, err := w.Auth.Credentials(ctx, w.Actor(t, who), f)
			if err != nil {
				t.Fatalf("list as %s: %v", who, err)
			}
			return out
		}
		has := func(cs []*auth.Credential, kind string, id int64, status string) bool {
			for _, c := range cs {
				if c.Kind == kind && c.ID == id && c.Status == status {
					return true
				}
			}
			return false
		}
		if cs := list("city_sec", auth.CredentialFilter{}); !has(cs, "token", tok.ID, "active") || !has(cs, "key", key.ID, "active") {
			t.Errorf("the city's security administrator does not see both: %+v", cs)
		}
		if cs := list("tn_admin", auth.CredentialFilter{}); has(cs, "token", tok.ID, "active") {
			t.Error("天宁区's administrator sees a city unit's token")
		}
		if cs := list("city_sec", auth.CredentialFilter{Kind: "key", Q: key.KeyID}); len(cs) != 1 || cs[0].CompanyName == "" {
			t.Errorf("filter by key id: %+v", cs)
		}
		refused := []struct {
			who, kind string
			id        int64
			code      errs.Code
		}{
			{"tn_admin", "token", tok.ID, errs.Forbidden},  // outside its scope
			{"jgj_admin", "key", key.ID, errs.Forbidden},   // a city company's key: outside its scope
			{"jgj_staff", "token", tok.ID, errs.Forbidden}, // its own token, through the administrators' door
			{"city_sec", "token", 999999, errs.NotFound},   // no such token
			{"city_sec", "secret", tok.ID, errs.NotFound},  // no such kind
		}
		for _, r := range refused {
			if err := w.Auth.RevokeCredential(ctx, w.Actor(t, r.who), r.kind, r.id); !errs.Is(err, r.code) {
				t.Errorf("%s revokes %s %d: %v, want %s", r.who, r.kind, r.id, err, r.code)
			}
		}
		if err := w.Auth.RevokeCredential(ctx, w.Actor(t, "jgj_admin"), "token", tok.ID); err != nil {
			t.Fatalf("the unit administrator revokes its applicant's token: %v", err)
		}
		if err := w.Auth.RevokeCredential(ctx, w.Actor(t, "city_sec"), "key", key.ID); err != nil {
			t.Fatalf("the security administrator revokes a company key: %v", err)
		}
		if err := w.Auth.RevokeCredential(ctx, w.Actor(t, "city_sec"), "key", key.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("revoking twice: %v", err)
		}
		cs := list("city_sec", auth.CredentialFilter{Status: "revoked"})
		if !has(cs, "token", tok.ID, "revoked") || !has(cs, "key", key.ID, "revoked") || cs[0].RevokedReason != "管理员吊销" {
			t.Errorf("revoked list: %+v", cs)
		}
		if cs := list("city_sec", auth.CredentialFilter{Status: "active", Kind: "token"}); has(cs, "token", tok.ID, "revoked") {
			t.Error("a revoked token listed as active")
		}
		if _, err := w.Auth.AuthenticateToken(ctx, tok.Token, ""); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("revoked token: %v", err)
		}
		n, err := db.R.NewSelect().Table("audit_log").Where("action IN ('token.revoke', 'apikey.revoke') AND summary LIKE '管理员吊销%'").Count(ctx)
		if err != nil || n != 2 {
			t.Errorf("%d revocations in the log (%v), want 2", n, err)
		}
	})
}
