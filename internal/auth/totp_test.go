package auth_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
	"govfleet/internal/errs"
)

// enrol binds an authenticator to username at the clock's time and returns
// its secret and recovery codes.
func enrol(t *testing.T, w *apptest.World, c *clock, username string) (string, []string) {
	t.Helper()
	ctx := context.Background()
	a := w.Actor(t, username)
	setup, err := w.Auth.BeginTOTP(ctx, a)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	if !strings.HasPrefix(setup.QR, "data:image/png;base64,") || !strings.Contains(setup.URL, setup.Secret) {
		t.Fatalf("setup without a local QR code or URL: %.60s %s", setup.QR, setup.URL)
	}
	if _, err := w.Auth.ConfirmTOTP(ctx, a, "000000"); !errs.Is(err, errs.Invalid) {
		t.Fatalf("confirm with a wrong code: %v", err)
	}
	codes, err := w.Auth.ConfirmTOTP(ctx, a, code(t, setup.Secret, c.t))
	if err != nil || len(codes) != 10 {
		t.Fatalf("confirm: %v (%d codes)", err, len(codes))
	}
	return setup.Secret, codes
}

func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// ticket logs username in with the right password and returns the ticket
// of the second step.
func ticket(t *testing.T, w *apptest.World, username string) string {
	t.Helper()
	l, err := w.Auth.Login(context.Background(), username, demo.Password, "10.0.0.1", "")
	if err != nil || l.Token != "" || l.Ticket == "" {
		t.Fatalf("password step of %s: %v %+v", username, err, l)
	}
	return l.Ticket
}

func TestTOTPLogin(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		c, db := clocked(w), w.DB
		ctx := context.Background()
		secret, recovery := enrol(t, w, c, "jgj_staff")

		// The secret is sealed at rest.
		var sealed string
		if err := db.R.NewSelect().Table("user_totp").Column("secret_enc").Scan(ctx, &sealed); err != nil || strings.Contains(sealed, secret) {
			t.Fatalf("stored secret %q (%v) holds the secret in clear", sealed, err)
		}

		// The code used to confirm is not accepted again (same step).
		tk := ticket(t, w, "jgj_staff")
		if _, err := w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("replayed code: %v", err)
		}
		c.t = c.t.Add(30 * time.Second)
		l, err := w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", "")
		if err != nil || l.Token == "" || l.User.Username != "jgj_staff" {
			t.Fatalf("right code: %v", err)
		}
		if _, err := w.Auth.Authenticate(ctx, l.Token, "10.0.0.1"); err != nil {
			t.Fatalf("session after the code: %v", err)
		}
		// The right code clears the address's counter (the replay counted
		// in it) and makes the address known; the account-wide counter
		// keeps the replay only (neither the right password nor the right
		// code is a failure).
		want := map[string]int{"10.0.0.1": 0, "": 1}
		for source, n := range want {
			var r struct {
				Failures    int        `bun:"failures"`
				SucceededAt *time.Time `bun:"succeeded_at"`
			}
			err := db.R.NewSelect().Table("login_attempts").Column("failures", "succeeded_at").Where("username = 'jgj_staff' AND source = ?", source).Scan(ctx, &r)
			if err != nil || r.Failures != n || (source != "") != (r.SucceededAt != nil) {
				t.Errorf("login attempts of %q after the code: %+v (%v), want %d failures", source, r, err, n)
			}
		}
		// The ticket is used up, and the same code on a new ticket is a replay.
		if _, err := w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("used ticket: %v", err)
		}
		if _, err := w.Auth.LoginCode(ctx, ticket(t, w, "jgj_staff"), code(t, secret, c.t), "10.0.0.1", ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("code replayed on a new ticket: %v", err)
		}

		// A recovery code works once, typed in any case without its dash.
		typed := strings.ToUpper(strings.ReplaceAll(recovery[3], "-", ""))
		if _, err := w.Auth.LoginCode(ctx, ticket(t, w, "jgj_staff"), typed, "10.0.0.1", ""); err != nil {
			t.Fatalf("recovery code: %v", err)
		}
		if _, err := w.Auth.LoginCode(ctx, ticket(t, w, "jgj_staff"), recovery[3], "10.0.0.1", ""); !errs.Is(err, errs.Invalid) {
			t.Fatalf("recovery code used twice: %v", err)
		}
		st, err := w.Auth.TOTPStatusOf(ctx, w.Actor(t, "jgj_driver"))
		if err != nil || st.Enrolled {
			t.Fatalf("another account's status: %+v %v", st, err)
		}

		// A ticket expires after five minutes.
		tk = ticket(t, w, "jgj_staff")
		c.t = c.t.Add(6 * time.Minute)
		if _, err := w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("expired ticket: %v", err)
		}
		n, err := db.R.NewSelect().Table("audit_log").Where("action = 'auth.login' AND summary LIKE '%恢复码%'").Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("logins by recovery code in the audit log = %d (%v), want 1", n, err)
		}
	})
}

// Wrong codes count toward the lockout with wrong passwords, in the same
// counter of the account and source address (throttle.go); the right
// password of the first step is not a failure. The clock moves past each
// wait the counter sets from DelayAfter failures on.
func TestTOTPLockout(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		c := clocked(w)
		ctx := context.Background()
		secret, _ := enrol(t, w, c, "jgj_staff")
		for range 2 {
			if _, err := w.Auth.Login(ctx, "jgj_staff", "wrong", "10.0.0.1", ""); !errs.Is(err, errs.Unauthenticated) {
				t.Fatalf("wrong password: %v", err)
			}
		}
		tk := ticket(t, w, "jgj_staff")
		for i := range 2 {
			c.t = c.t.Add(10 * time.Second)
			if _, err := w.Auth.LoginCode(ctx, tk, "123456", "10.0.0.1", ""); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "还可尝试") {
				t.Fatalf("wrong code %d: %v", i, err)
			}
		}
		if _, err := w.Auth.LoginCode(ctx, tk, "123456", "10.0.0.1", ""); !errs.Is(err, errs.TooManyRequests) {
			t.Fatalf("a code within the wait: %v", err)
		}
		c.t = c.t.Add(10 * time.Second)
		if _, err := w.Auth.LoginCode(ctx, tk, "abcde-fghij", "10.0.0.1", ""); !errs.Is(err, errs.Locked) {
			t.Fatalf("fifth failure: %v", err)
		}
		c.t = c.t.Add(30 * time.Second)
		if _, err := w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", ""); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("the lockout voids the ticket: %v", err)
		}
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", ""); !errs.Is(err, errs.Locked) {
			t.Fatalf("password while locked: %v", err)
		}
	})
}

// The policy requires a second factor per role; until the account binds
// one, its session is restricted (the HTTP layer refuses every other
// route), and afterwards its login has two steps. The security
// administrator resets a binding, recorded in the audit log.
func TestTOTPRequiredAndReset(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		c, db := clocked(w), w.DB
		ctx := context.Background()

		pol, err := w.Auth.Policy(ctx)
		if err != nil || len(pol.TOTPRoles) != 0 {
			t.Fatalf("demo policy requires two factors of %v (%v)", pol.TOTPRoles, err)
		}
		if p := w.Principal(t, "jgj_staff"); p.MustEnrol {
			t.Fatal("demo account must enrol")
		}
		pol.TOTPRoles = []access.Role{access.Applicant, access.SecAdmin}
		if _, err := w.Auth.SetPolicy(ctx, w.Actor(t, "city_sec"), pol); err != nil {
			t.Fatalf("set policy: %v", err)
		}
		pol.TOTPRoles = nil // absent: unchanged
		pol.IdleTimeoutMinutes = 60
		if got, err := w.Auth.SetPolicy(ctx, w.Actor(t, "city_sec"), pol); err != nil || len(got.TOTPRoles) != 2 {
			t.Fatalf("policy without totp_roles: %v %v", got.TOTPRoles, err)
		}
		pol.TOTPRoles = []access.Role{"nobody"}
		if _, err := w.Auth.SetPolicy(ctx, w.Actor(t, "city_sec"), pol); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown role: %v", err)
		}
		if p := w.Principal(t, "jgj_staff"); !p.MustEnrol {
			t.Fatal("applicant not asked to enrol")
		}
		if p := w.Principal(t, "jgj_driver"); p.MustEnrol {
			t.Fatal("driver asked to enrol")
		}
		l, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", "")
		if err != nil || !l.MustEnrol {
			t.Fatalf("login result does not say MustEnrol: %v", err)
		}
		secret, _ := enrol(t, w, c, "jgj_staff")
		if _, err := w.Auth.BeginTOTP(ctx, w.Actor(t, "jgj_driver")); err != nil {
			t.Fatalf("begin for another account: %v", err)
		}
		tk := ticket(t, w, "jgj_staff")
		c.t = c.t.Add(30 * time.Second)
		l, err = w.Auth.LoginCode(ctx, tk, code(t, secret, c.t), "10.0.0.1", "")
		if err != nil || l.MustEnrol {
			t.Fatalf("enrolled login: %v %+v", err, l)
		}
		p, err := w.Auth.Authenticate(ctx, l.Token, "10.0.0.1")
		if err != nil || p.MustEnrol {
			t.Fatalf("enrolled session: %v %+v", err, p)
		}
		// A bound account cannot replace its factor itself.
		if _, err := w.Auth.BeginTOTP(ctx, p.Actor); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second binding: %v", err)
		}

		// The security administrator resets it: the sessions end, the next
		// login has one step and asks for a new binding.
		id := p.Actor.UserID
		sec := w.Actor(t, "city_sec")
		u, err := w.Auth.ResetTOTP(ctx, sec, id)
		if err != nil || u.TOTPEnrolledAt != nil {
			t.Fatalf("reset: %v", err)
		}
		if _, err := w.Auth.Authenticate(ctx, l.Token, "10.0.0.1"); !errs.Is(err, errs.Unauthenticated) {
			t.Fatalf("session after the reset: %v", err)
		}
		if p := w.Principal(t, "jgj_staff"); !p.MustEnrol {
			t.Fatal("reset account not asked to enrol again")
		}
		if _, err := w.Auth.ResetTOTP(ctx, sec, sec.UserID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("own reset: %v", err)
		}
		n, err := db.R.NewSelect().Table("audit_log").Where("action = 'totp.reset' AND object_id = ? AND actor_id = ?", strconv.FormatInt(id, 10), sec.UserID).Count(ctx)
		if err != nil || n != 1 {
			t.Errorf("audit rows of the reset = %d (%v), want 1", n, err)
		}
		for _, table := range []string{"user_recovery_codes", "login_tickets"} {
			if k, _ := db.R.NewSelect().Table(table).Where("user_id = ?", id).Count(ctx); k != 0 {
				t.Errorf("%s keeps %d rows after the reset", table, k)
			}
		}
	})
}

// A new install requires two factors of the administrators and supervisors.
func TestTOTPDefaultPolicy(t *testing.T) {
	for _, r := range []access.Role{access.SysAdmin, access.SecAdmin, access.AuditAdmin, access.PlatformAdmin, access.SupervisorDiscipline} {
		if !auth.DefaultPolicy.RequiresTOTP([]access.Role{access.Applicant, r}) {
			t.Errorf("default policy does not require two factors of %s", r)
		}
	}
	if auth.DefaultPolicy.RequiresTOTP([]access.Role{access.Driver, access.Applicant}) {
		t.Error("default policy requires two factors of a driver")
	}
}

// A secret sealed under one key does not open under another.
func TestTOTPKeyOutsideDatabase(t *testing.T) {
	w := apptest.SQLite(t)
	c := clocked(w)
	ctx := context.Background()
	enrol(t, w, c, "jgj_staff")
	tk := ticket(t, w, "jgj_staff")
	w.Auth.TOTPKey = []byte("another key")
	if _, err := w.Auth.LoginCode(ctx, tk, "123456", "10.0.0.1", ""); !errs.Is(err, errs.Internal) || !strings.Contains(err.Error(), "无法解密") {
		t.Fatalf("secret opened under another key: %v", err)
	}
}
