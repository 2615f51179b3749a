package auth

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/errs"
)

// Login throttling (issue 19, item 4; 等保 level 3: limit failed logins
// without letting a stranger lock the owner out).
//
//   - Per account and source address: after DelayAfter failures each further
//     attempt waits 2, 4, … s (429 请稍后再试); the policy's LockoutThreshold
//     failures lock that account for that address for LockoutMinutes.
//   - Per account, from every source the account has never logged in from
//     successfully: AccountFactor × LockoutThreshold failures lock the
//     account for those sources for LockoutMinutes (and show it locked to
//     administrators). Sources it has logged in from keep their own limit, so
//     a stranger elsewhere can neither lock the owner out nor guess beyond
//     the limits.
//   - Counters are keyed by the user name typed, existing or not, and
//     answered alike, so the answers do not tell whether a name exists.
//   - An attempt is counted before its password is hashed (one UPDATE in the
//     transaction that checks the wait), and forgiven when it succeeds, so N
//     parallel attempts never evaluate more than the limit.
//   - Hashing runs in a bounded pool (HashPool); an attempt finding it full
//     is answered 429 at once, without hashing.
const (
	DelayAfter    = 3
	AccountFactor = 4
)

// HashPool bounds the concurrent password hashes of logins (argon2id takes
// 64 MiB each). The zero value has max(2, GOMAXPROCS) slots.
type HashPool struct {
	Size      int          // slots; 0: max(2, GOMAXPROCS)
	Evaluated atomic.Int64 // passwords hashed at login, for tests and metrics
	once      sync.Once
	slots     chan struct{}
}

// TryAcquire takes a slot if one is free.
func (p *HashPool) TryAcquire() bool {
	p.once.Do(func() { p.slots = make(chan struct{}, cmp.Or(p.Size, max(2, runtime.GOMAXPROCS(0)))) })
	select {
	case p.slots <- struct{}{}:
		return true
	default:
		return false
	}
}

// Release frees a slot taken by TryAcquire.
func (p *HashPool) Release() { <-p.slots }

// check hashes pw against hash in the pool (the caller holds a slot).
func (p *HashPool) check(hash, pw string) bool {
	p.Evaluated.Add(1)
	return CheckPassword(hash, pw)
}

// attempt is what counting one attempt found.
type attempt struct {
	failures        int  // this source's, this attempt included
	accountFailures int  // the account's from unknown sources (0 for a known source)
	known           bool // the account has logged in from this source before
}

// maxKey bounds the user names kept as counter keys.
const maxKey = 64

// count records one attempt of username from source as a failure until it
// succeeds; it refuses (429 or locked), counting nothing, while a wait or
// lock is in force.
func (s *Service) count(ctx context.Context, username, source string, pol Policy) (*attempt, error) {
	if len(username) > maxKey {
		username = username[:maxKey]
	}
	now := s.now()
	lock := time.Duration(pol.LockoutMinutes) * time.Minute
	var at attempt
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var err error
		var succeeded *time.Time
		if at.failures, succeeded, err = bump(ctx, tx, username, source, pol.LockoutThreshold, DelayAfter, lock, now); err != nil {
			return err
		}
		at.known = succeeded != nil
		if !at.known {
			n := AccountFactor * pol.LockoutThreshold
			at.accountFailures, _, err = bump(ctx, tx, username, "", n, n, lock, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &at, nil
}

// bump counts a failure on one counter: refused while its wait runs;
// failures older than the lock period, or a lock that ran out, start over.
// It sets the wait the next attempt must respect: 2^(n-delayFrom+1) s from
// delayFrom failures on, the lock period from lockAt on.
func bump(ctx context.Context, tx bun.Tx, username, source string, lockAt, delayFrom int, lock time.Duration, now time.Time) (int, *time.Time, error) {
	if _, err := tx.NewRaw("INSERT INTO login_attempts (username, source) VALUES (?, ?) ON CONFLICT (username, source) DO NOTHING", username, source).Exec(ctx); err != nil {
		return 0, nil, err
	}
	var row struct {
		Failures    int        `bun:"failures"`
		WaitUntil   *time.Time `bun:"wait_until"`
		SucceededAt *time.Time `bun:"succeeded_at"`
	}
	err := tx.NewRaw(`UPDATE login_attempts SET failures = CASE WHEN failures >= ? OR last_failed_at IS NULL OR last_failed_at < ? THEN 1 ELSE failures + 1 END,
		last_failed_at = ? WHERE username = ? AND source = ? AND (wait_until IS NULL OR wait_until <= ?) RETURNING failures, succeeded_at`,
		lockAt, now.Add(-lock), now, username, source, now).Scan(ctx, &row)
	if errors.Is(err, sql.ErrNoRows) { // waiting: say until when
		if err := tx.NewRaw("SELECT failures, wait_until FROM login_attempts WHERE username = ? AND source = ?", username, source).Scan(ctx, &row); err != nil {
			return 0, nil, err
		}
		if row.Failures >= lockAt {
			return 0, nil, errs.E(errs.Locked, "错误次数过多，登录已锁定，请在 %s 后重试", shanghai(*row.WaitUntil))
		}
		return 0, nil, errs.E(errs.TooManyRequests, "登录尝试过于频繁，请稍后再试（%d秒后）", max(1, int(row.WaitUntil.Sub(now).Seconds()+0.999)))
	}
	if err != nil {
		return 0, nil, err
	}
	var wait *time.Time
	switch f := row.Failures; {
	case f >= lockAt:
		wait = ptrTime(now.Add(lock))
	case f >= delayFrom:
		wait = ptrTime(now.Add(min(time.Second<<(f-delayFrom+1), lock)))
	}
	_, err = tx.NewRaw("UPDATE login_attempts SET wait_until = ? WHERE username = ? AND source = ?", wait, username, source).Exec(ctx)
	return row.Failures, row.SucceededAt, err
}

func ptrTime(t time.Time) *time.Time { return &t }

// forgive clears the counter of a source that has just logged in and marks
// it known; the account-wide counter keeps the other sources' failures and
// takes back only this attempt.
func forgive(ctx context.Context, tx bun.IDB, username, source string, at *attempt, now time.Time) error {
	if err := takeBack(ctx, tx, username, source, at); err != nil {
		return err
	}
	_, err := tx.NewRaw("UPDATE login_attempts SET failures = 0, wait_until = NULL, succeeded_at = ? WHERE username = ? AND source = ?", now, username, source).Exec(ctx)
	return err
}

// takeBack uncounts an attempt that was no failure from the source's
// counter and the account-wide one (where a known source did not count):
// a right password still awaiting its second factor (totp.go), which
// neither clears the counters nor makes the source known.
func takeBack(ctx context.Context, tx bun.IDB, username, source string, at *attempt) error {
	sources := []string{source}
	if !at.known {
		sources = append(sources, "")
	}
	_, err := tx.NewRaw("UPDATE login_attempts SET failures = failures - 1 WHERE username = ? AND source IN (?) AND failures > 0", username, bun.In(sources)).Exec(ctx)
	return err
}

// clearAttempts ends every wait and lock of an account (unlock, reset).
func clearAttempts(ctx context.Context, tx bun.IDB, username string) error {
	_, err := tx.NewRaw("UPDATE login_attempts SET failures = 0, wait_until = NULL WHERE username = ?", username).Exec(ctx)
	return err
}
