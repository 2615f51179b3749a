package auth

import (
	"context"
	"sync"

	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Revocations tells open event streams, in this process, that an account's
// sessions or standing changed (logout, lock, deactivation, password or role
// change, token revocation), so that they re-check at once instead of at
// their next periodic check (issue 19, item 6). The zero value is ready.
type Revocations struct {
	mu   sync.Mutex
	subs map[int64]map[chan struct{}]struct{}
}

// Subscribe returns a channel that receives a signal whenever userID's
// credentials change, and the function that ends the subscription.
func (r *Revocations) Subscribe(userID int64) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.subs == nil {
		r.subs = map[int64]map[chan struct{}]struct{}{}
	}
	if r.subs[userID] == nil {
		r.subs[userID] = map[chan struct{}]struct{}{}
	}
	r.subs[userID][ch] = struct{}{}
	return ch, func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		delete(r.subs[userID], ch)
		if len(r.subs[userID]) == 0 {
			delete(r.subs, userID)
		}
	}
}

// Notify signals userID's subscribers; a subscriber already signalled is
// not signalled twice.
func (r *Revocations) Notify(userID int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for ch := range r.subs[userID] {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}

// Recheck reports whether a principal authenticated earlier still holds:
// its session exists and has not idled out, its API token is not revoked,
// and its account is active and unlocked. Unlike Authenticate it does not
// count as activity, so an open stream does not keep an idle session alive.
func (s *Service) Recheck(ctx context.Context, p *Principal) error {
	q, notFound := s.selectRequest().Where("u.id = ?", p.Actor.UserID), errs.E(errs.NotFound, "账号不存在或已删除")
	if p.SessionID != "" {
		q, notFound = s.selectSession(p.SessionID), errs.E(errs.Unauthenticated, "登录已结束，请重新登录")
	}
	r, err := s.readRequest(ctx, q, notFound)
	if err != nil {
		return err
	}
	if p.SessionID != "" && r.idle(s.now()) {
		return errs.E(errs.Unauthenticated, "长时间未操作，登录已超时，请重新登录")
	}
	if p.TokenID != 0 {
		n, err := s.DB.R.NewSelect().Table("api_tokens").Where("id = ? AND revoked_at IS NULL", p.TokenID).Count(ctx)
		if err != nil {
			return store.Translate(err)
		}
		if n == 0 {
			return errs.E(errs.Unauthenticated, "API令牌无效或已吊销")
		}
	}
	_, err = r.actor(p.Actor.IP)
	return err
}
