package auth_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/demo"
	"govfleet/internal/errs"
)

// clocked is the demo world with a settable clock.
func clocked(w *apptest.World) *clock {
	c := &clock{time.Now()}
	w.Auth.Now = c.now
	return c
}

// Issue 19, item 4: twelve attempts on one account (11 wrong in parallel,
// then the right one) evaluate at most the limit, and once the limit is
// spent the right password is refused.
func TestParallelLoginsEvaluateAtMostTheLimit(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		c := clocked(w)
		ctx := context.Background()
		w.Auth.Hashing.Size = 12 // the pool is not what stops them here
		burst := func(username string) {
			var wg sync.WaitGroup
			start := make(chan struct{})
			for range 11 {
				wg.Go(func() {
					<-start
					_, _ = w.Auth.Login(ctx, username, "wrong", "10.0.0.7", "")
				})
			}
			close(start)
			wg.Wait()
		}
		burst("jgj_staff")
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.7", ""); err == nil {
			t.Error("the right password after 11 parallel wrong ones logged in")
		}
		if n := w.Auth.Hashing.Evaluated.Load(); n > 5 {
			t.Errorf("12 attempts evaluated %d passwords, want at most the limit 5", n)
		}
		// Bursts of wrong passwords, waits respected, until the limit is spent.
		before := w.Auth.Hashing.Evaluated.Load()
		for range 6 {
			c.t = c.t.Add(20 * time.Second)
			burst("jgj_admin")
		}
		if n := w.Auth.Hashing.Evaluated.Load() - before; n != 5 {
			t.Errorf("66 wrong attempts evaluated %d passwords, want the limit 5", n)
		}
		c.t = c.t.Add(20 * time.Second)
		if _, err := w.Auth.Login(ctx, "jgj_admin", demo.Password, "10.0.0.7", ""); !errs.Is(err, errs.Locked) {
			t.Errorf("right password after the limit: %v, want locked", err)
		}
	})
}

// When every hashing slot is busy, a login is answered 429 at once, without
// hashing and without counting a failure.
func TestLoginPoolFull(t *testing.T) {
	w := apptest.SQLite(t)
	w.Auth.Hashing.Size = 40
	for range 40 {
		if !w.Auth.Hashing.TryAcquire() {
			t.Fatal("pool smaller than 40")
		}
	}
	// Every slot is held here: a login waiting for one would never return.
	_, err := w.Auth.Login(context.Background(), "jgj_staff", demo.Password, "10.0.0.1", "")
	if !errs.Is(err, errs.TooManyRequests) || err.(*errs.Error).Message != "登录请求过多，请稍后再试" {
		t.Errorf("41st login: %v", err)
	}
	if n := w.Auth.Hashing.Evaluated.Load(); n != 0 {
		t.Errorf("41st login hashed %d passwords", n)
	}
	w.Auth.Hashing.Release()
	if _, err := w.Auth.Login(context.Background(), "jgj_staff", demo.Password, "10.0.0.1", ""); err != nil {
		t.Errorf("with a free slot: %v", err)
	}
}

// An unknown user name gets, attempt by attempt, exactly the answers a
// known one does, after the same hashing.
func TestUnknownAndKnownUsersAnsweredAlike(t *testing.T) {
	w := apptest.SQLite(t)
	c := clocked(w)
	ctx := context.Background()
	for i := range 7 {
		c.t = c.t.Add(3 * time.Second) // some attempts wait, some not
		before := w.Auth.Hashing.Evaluated.Load()
		_, known := w.Auth.Login(ctx, "jgj_staff", "wrong", "10.0.0.1", "")
		mid := w.Auth.Hashing.Evaluated.Load()
		_, unknown := w.Auth.Login(ctx, "jgj_nobody", "wrong", "10.0.0.1", "")
		if known.Error() != unknown.Error() {
			t.Errorf("attempt %d: known %q, unknown %q", i+1, known, unknown)
		}
		if mid-before != w.Auth.Hashing.Evaluated.Load()-mid {
			t.Errorf("attempt %d: hashed %d for the known name, %d for the unknown", i+1, mid-before, w.Auth.Hashing.Evaluated.Load()-mid)
		}
	}
}

// A stranger guessing from many addresses locks the account for addresses
// it never logged in from (等保's limit holds), but not for the owner's.
func TestStrangerCannotLockTheOwnerOut(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db, c := w.DB, clocked(w)
		ctx := context.Background()
		owner, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", "")
		if err != nil {
			t.Fatal(err)
		}
		var last error
		for ip := range 6 { // 6 addresses × 5 = 30 failures ≥ 4 × 5
			for range 5 {
				c.t = c.t.Add(10 * time.Second)
				_, last = w.Auth.Login(ctx, "jgj_staff", "wrong", fmt.Sprintf("10.9.9.%d", ip), "")
			}
		}
		if !errs.Is(last, errs.Locked) {
			t.Fatalf("stranger's last attempt: %v", last)
		}
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.8.8.8", ""); !errs.Is(err, errs.Locked) {
			t.Errorf("right password from a new address after the account-wide lock: %v", err)
		}
		if _, err := w.Auth.Authenticate(ctx, owner.Token, "10.0.0.1"); err != nil {
			t.Errorf("the owner's session ended: %v", err)
		}
		if _, err := w.Auth.Login(ctx, "jgj_staff", demo.Password, "10.0.0.1", ""); err != nil {
			t.Errorf("the owner is locked out from the known address: %v", err)
		}
		// Three addresses locked, the fourth's fifth failure locks the account;
		// the fifth and sixth addresses' attempts and the new address's are refused.
		for action, want := range map[string]int{"auth.locked": 4, "auth.login_refused": 11} {
			n, err := db.R.NewSelect().Table("audit_log").Where("action = ?", action).Count(ctx)
			if err != nil || n != want {
				t.Errorf("%s audit rows = %d (%v), want %d", action, n, err, want)
			}
		}
	})
}
