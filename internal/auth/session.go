package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actAuthLocked        = audit.NewAction("auth.locked", "账号因多次失败被锁定")
	actAuthLogin         = audit.NewAction("auth.login", "登录")
	actAuthLoginFailed   = audit.NewAction("auth.login_failed", "登录失败")
	actAuthLoginRefused  = audit.NewAction("auth.login_refused", "登录被拒绝（过于频繁、锁定中或系统繁忙）")
	actAuthLogout        = audit.NewAction("auth.logout", "退出登录")
	actAuthPassword      = audit.NewAction("auth.password", "修改密码")
	actPolicyUpdate      = audit.NewAction("policy.update", "修改安全策略")
	actUserCreate        = audit.NewAction("user.create", "新建账号")
	actUserLock          = audit.NewAction("user.lock", "锁定账号")
	actUserResetPassword = audit.NewAction("user.reset_password", "重置密码")
	actUserRoles         = audit.NewAction("user.roles", "调整角色")
	actUserUnlock        = audit.NewAction("user.unlock", "解锁账号")
	actUserUpdate        = audit.NewAction("user.update", "修改账号")
)

// Session is a logged-in browser session. Its id is the SHA-256 of the
// cookie value, so a leaked database does not leak live sessions.
type Session struct {
	bun.BaseModel `bun:"table:sessions"`

	ID         string    `bun:"id,pk"`
	UserID     int64     `bun:"user_id"`
	CSRFToken  string    `bun:"csrf_token"`
	IP         string    `bun:"ip"`
	UserAgent  string    `bun:"user_agent"`
	CreatedAt  time.Time `bun:"created_at"`
	LastSeenAt time.Time `bun:"last_seen_at"`
}

func sha(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// Login is the result of a successful login, or of a right password when
// the account also needs its code: then only Ticket is set.
type Login struct {
	Token     string // cookie value
	CSRFToken string
	User      *User
	MustEnrol bool   // the policy asks this account for two factors and it has none yet
	Ticket    string // the pending second step (totp.go)
}

// Login checks a user name and password under the throttling rules of
// throttle.go and opens a session. Unknown and known names get the same
// answers, after the same work.
func (s *Service) Login(ctx context.Context, username, password, ip, userAgent string) (*Login, error) {
	username = strings.TrimSpace(username)
	if username == "" || password == "" {
		return nil, (&errs.Fields{"username": "请输入用户名和密码"}).Err()
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	anon := &access.Actor{Name: username, IP: ip}
	refused := func(err error, why string) error { // refusals are audited like failures
		_ = s.DB.Tx(ctx, func(tx bun.Tx) error {
			return audit.Record(ctx, tx, anon, audit.Event{Action: actAuthLoginRefused, Summary: fmt.Sprintf("账号 %s 登录被拒绝：%s", username, why)})
		})
		return err
	}
	if !s.Hashing.TryAcquire() {
		return nil, refused(errs.E(errs.TooManyRequests, "登录请求过多，请稍后再试"), "系统繁忙（密码校验已满）")
	}
	defer s.Hashing.Release()
	at, err := s.count(ctx, username, ip, pol)
	if errs.Is(err, errs.TooManyRequests) || errs.Is(err, errs.Locked) {
		return nil, refused(err, err.(*errs.Error).Message)
	}
	if err != nil {
		return nil, err
	}
	var u User
	err = s.selectUsers(s.DB.R).Where("u.username = ?", username).Scan(ctx, &u)
	if err != nil && !errs.Is(store.Translate(err), errs.NotFound) {
		return nil, store.Translate(err)
	}
	found := err == nil
	hash := dummyHash() // an unknown user: the same work and the same answer as a wrong password
	if found {
		hash = u.PasswordHash
	}
	now := s.now()
	actor := &access.Actor{UserID: u.ID, Username: u.Username, Name: u.RealName, IP: ip}
	if !found {
		actor = anon
	}
	if !s.Hashing.check(hash, password) || !found {
		return nil, s.failed(ctx, actor, &u, username, at, pol, now, "密码")
	}
	if !u.Active { // told only to whoever knows the password
		return nil, errs.E(errs.Unauthenticated, "账号已停用，请联系管理员")
	}
	if u.AdminLocked {
		return nil, errs.E(errs.Locked, "账号已被管理员锁定，请联系管理员")
	}
	if err := u.inactiveCompany(); err != nil { // a deactivated company's accounts cannot log in
		return nil, err
	}
	if u.TOTPEnrolledAt != nil { // the second step (totp.go)
		return s.pendingLogin(ctx, &u, ip, at)
	}
	return s.openSession(ctx, &u, actor, userAgent, pol, at, "")
}

// openSession ends a successful login from actor.IP: it forgives the
// attempt at counted and opens the session. how says which second factor
// was used, if any.
func (s *Service) openSession(ctx context.Context, u *User, actor *access.Actor, userAgent string, pol Policy, at *attempt, how string) (*Login, error) {
	now := s.now()
	token := randomToken(32)
	sess := &Session{ID: sha(token), UserID: u.ID, CSRFToken: randomToken(24), IP: actor.IP, UserAgent: truncate(userAgent, 250), CreatedAt: now, LastSeenAt: now}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("UPDATE users SET previous_login_at = last_login_at, last_login_at = ? WHERE id = ?", now, u.ID).Exec(ctx); err != nil {
			return err
		}
		if err := forgive(ctx, tx, u.Username, actor.IP, at, now); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(sess).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: actAuthLogin, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
			Summary: fmt.Sprintf("账号 %s 登录%s", u.Username, how)})
	})
	if err != nil {
		return nil, err
	}
	full, err := s.load(ctx, s.DB.R, u.ID)
	if err != nil {
		return nil, err
	}
	return &Login{Token: token, CSRFToken: sess.CSRFToken, User: full, MustEnrol: full.TOTPEnrolledAt == nil && pol.RequiresTOTP(full.Roles)}, nil
}

// failed records a wrong password (or unknown name), or a wrong second
// factor (what names which), and answers it: the tries left from this
// source, or the lock it has just reached.
func (s *Service) failed(ctx context.Context, actor *access.Actor, u *User, username string, at *attempt, pol Policy, now time.Time, what string) error {
	until := now.Add(time.Duration(pol.LockoutMinutes) * time.Minute)
	accountLock := at.accountFailures >= AccountFactor*pol.LockoutThreshold
	var result error
	ev := audit.Event{Action: actAuthLoginFailed, Summary: fmt.Sprintf("账号 %s %s错误（本地址第%d次）", username, what, at.failures)}
	switch {
	case accountLock:
		result = errs.E(errs.Locked, "%s错误次数过多，账号已锁定%d分钟（曾成功登录过的地址不受影响），请在 %s 后重试", what, pol.LockoutMinutes, shanghai(until))
		ev = audit.Event{Action: actAuthLocked, Summary: fmt.Sprintf("账号 %s 从未登录过的地址%s错误%d次，对这些地址锁定至 %s", username, what, at.accountFailures, shanghai(until))}
	case at.failures >= pol.LockoutThreshold:
		result = errs.E(errs.Locked, "%s连续错误%d次，该账号在本地址已锁定%d分钟，请在 %s 后重试", what, pol.LockoutThreshold, pol.LockoutMinutes, shanghai(until))
		ev = audit.Event{Action: actAuthLocked, Summary: fmt.Sprintf("账号 %s 在地址 %s %s连续错误%d次，该地址锁定至 %s", username, actor.IP, what, pol.LockoutThreshold, shanghai(until))}
	default:
		result = errs.E(errs.Unauthenticated, "用户名或密码错误，还可尝试%d次", pol.LockoutThreshold-at.failures)
	}
	if u.ID != 0 {
		ev.ObjectType, ev.ObjectID, ev.ScopePath = audit.User, u.ID, u.ScopePath
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if accountLock && u.ID != 0 { // shown to administrators, who may unlock
			if _, err := tx.NewRaw("UPDATE users SET locked_until = ? WHERE id = ?", until, u.ID).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, actor, ev)
	})
	if err != nil {
		return err
	}
	return result
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// shanghai formats t as Beijing time for messages.
func shanghai(t time.Time) string { return t.In(beijing.Zone).Format("15:04") }

// Principal is an authenticated caller: the actor plus what the HTTP layer
// needs to enforce (CSRF for sessions, the forced password change).
type Principal struct {
	Actor      *access.Actor
	SessionID  string // empty for API tokens and keys: see Interactive
	TokenID    int64  // the API token of a bearer request
	KeyID      int64  // the company API key of a signed request
	CSRFToken  string
	MustChange bool
	MustEnrol  bool // restricted to the enrolment routes until a second factor is bound (totp.go)
}

// request is an account as the authentication of a request reads it, in
// one statement (selectRequest): with the policy in force, the nodes its
// company's contracts cover today and, for a browser, its session.
type request struct {
	User
	PolicySettings string    `bun:"policy,scanonly"` // policyColumn
	Contracts      string    `bun:"contracts,scanonly"`
	SessionID      string    `bun:"session_id,scanonly"`
	CSRFToken      string    `bun:"session_csrf,scanonly"`
	LastSeenAt     time.Time `bun:"session_last_seen,scanonly"`

	policy Policy
}

// selectRequest selects the account of a request with the policy in force
// and its company's contracts of today (Beijing date). Nothing of it is
// cached: a lock, a deactivation, new roles, a new policy or a revoked
// session, by any process, holds from the next request on (issue 18).
func (s *Service) selectRequest() *bun.SelectQuery {
	today := beijing.Date(s.now())
	return s.selectUsers(s.DB.R).ColumnExpr(policyColumn+" AS policy").
		ColumnExpr(`COALESCE((SELECT string_agg(kn.path, ',') FROM company_contracts AS k JOIN units AS kn ON kn.id = k.unit_id
			WHERE k.company_id = u.company_id AND k.starts_on <= ? AND (k.ends_on IS NULL OR k.ends_on >= ?)), '') AS contracts`, today, today)
}

// selectSession selects the account of session id with the session.
func (s *Service) selectSession(id string) *bun.SelectQuery {
	return s.selectRequest().Join("JOIN sessions AS s ON s.user_id = u.id").
		ColumnExpr("s.id AS session_id, s.csrf_token AS session_csrf, s.last_seen_at AS session_last_seen").
		Where("s.id = ?", id)
}

// readRequest reads the account q (selectRequest) selects, or answers notFound.
func (s *Service) readRequest(ctx context.Context, q *bun.SelectQuery, notFound error) (*request, error) {
	r := new(request)
	if err := q.Scan(ctx, r); err != nil {
		return nil, store.NotFoundAs(err, notFound)
	}
	r.policy = parsePolicy(r.PolicySettings)
	return r, nil
}

// idle reports whether r's session has idled past the policy's timeout.
func (r *request) idle(now time.Time) bool {
	return now.Sub(r.LastSeenAt) > time.Duration(r.policy.IdleTimeoutMinutes)*time.Minute
}

// actor builds the actor of an active, unlocked account. An outside
// organisation's account (issue 6) must be of an active company; it acts
// on the nodes its contracts cover, under the company's name.
func (r *request) actor(ip string) (*access.Actor, error) {
	if !r.Active || r.AdminLocked { // a lockout after failed logins stops logins, not the owner's sessions
		return nil, errs.E(errs.Unauthenticated, "账号已停用或锁定，请联系管理员")
	}
	a := &access.Actor{UserID: r.ID, Username: r.Username, Name: r.RealName, ScopeID: r.ScopeID,
		ScopePath: r.ScopePath, ScopeKind: r.ScopeKind, Roles: r.Roles, IP: ip}
	if r.CompanyID != nil {
		if err := r.inactiveCompany(); err != nil {
			return nil, err
		}
		a.CompanyID, a.CompanyKind, a.Contracts = *r.CompanyID, r.CompanyKind, []string{}
		a.Name = r.RealName + "（" + r.CompanyName + "）"
		if r.Contracts != "" {
			a.Contracts = strings.Split(r.Contracts, ",")
			slices.Sort(a.Contracts)
		}
	}
	return a, nil
}

// inactiveCompany refuses the account of a deactivated company, or is nil.
func (u *User) inactiveCompany() error {
	if u.CompanyID != nil && !u.CompanyActive {
		return errs.E(errs.Unauthenticated, "企业「%s」已停用，请联系签约单位", u.CompanyName)
	}
	return nil
}

// Authenticate resolves a session cookie value, in one statement (two when
// the session's last activity is recorded, at most every 30 seconds).
// Sessions idle longer than the policy allows are ended.
func (s *Service) Authenticate(ctx context.Context, token, ip string) (*Principal, error) {
	r, err := s.readRequest(ctx, s.selectSession(sha(token)), errs.E(errs.Unauthenticated, "请先登录"))
	if err != nil {
		return nil, err
	}
	now := s.now()
	if r.idle(now) {
		_, _ = s.DB.W.NewRaw("DELETE FROM sessions WHERE id = ?", r.SessionID).Exec(ctx)
		return nil, errs.E(errs.Unauthenticated, "长时间未操作，登录已超时，请重新登录")
	}
	actor, err := r.actor(ip)
	if err != nil {
		return nil, err
	}
	if now.Sub(r.LastSeenAt) > 30*time.Second { // spare the writer on every request
		if _, err := s.DB.W.NewRaw("UPDATE sessions SET last_seen_at = ? WHERE id = ?", now, r.SessionID).Exec(ctx); err != nil {
			return nil, store.Translate(err)
		}
	}
	return &Principal{Actor: actor, SessionID: r.SessionID, CSRFToken: r.CSRFToken, MustChange: r.MustChangePassword,
		MustEnrol: r.TOTPEnrolledAt == nil && r.policy.RequiresTOTP(r.Roles)}, nil
}

// Logout ends the session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	defer s.Revoked.Notify(p.Actor.UserID) // open streams of the session end
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("DELETE FROM sessions WHERE id = ?", p.SessionID).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor, audit.Event{Action: actAuthLogout, ObjectType: audit.User, ObjectID: p.Actor.UserID,
			ScopePath: p.Actor.ScopePath, Summary: fmt.Sprintf("账号 %s 退出登录", p.Actor.Username)})
	})
}

// Me returns the caller's own account.
func (s *Service) Me(ctx context.Context, a *access.Actor) (*User, error) {
	return s.load(ctx, s.DB.R, a.UserID)
}

// ChangePassword changes the caller's own password; other sessions of the
// account end, the current one stays.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, oldPw, newPw string) error {
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	defer s.Revoked.Notify(p.Actor.UserID) // the other sessions' streams end
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := s.load(ctx, tx, p.Actor.UserID)
		if err != nil {
			return err
		}
		if !CheckPassword(u.PasswordHash, oldPw) {
			return (&errs.Fields{"old_password": "原密码不正确"}).Err()
		}
		if msg := PasswordProblem(newPw, u.Username, pol.PasswordMinLength); msg != "" {
			return (&errs.Fields{"new_password": msg}).Err()
		}
		if oldPw == newPw {
			return (&errs.Fields{"new_password": "新密码不能与原密码相同"}).Err()
		}
		hash, err := HashPassword(newPw)
		if err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.NewRaw("UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ?, updated_at = ? WHERE id = ?",
			hash, false, now, now, u.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewRaw("DELETE FROM sessions WHERE user_id = ? AND id <> ?", u.ID, p.SessionID).Exec(ctx); err != nil {
			return err
		}
		if err := s.revokeCredentials(ctx, tx, p.Actor, u, "修改密码"); err != nil {
			return err
		}
		return audit.Record(ctx, tx, p.Actor, audit.Event{Action: actAuthPassword, ObjectType: audit.User, ObjectID: u.ID,
			ScopePath: u.ScopePath, Summary: fmt.Sprintf("账号 %s 修改了密码", u.Username)})
	})
}

// Bootstrap creates an account with the given roles without an actor (the
// first administrator, the demo). It is recorded as a system event.
func (s *Service) Bootstrap(ctx context.Context, username, realName, phone, password string, scopeID int64, mustChange bool, roles ...access.Role) (*User, error) {
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	now := s.now()
	u := &User{Username: username, RealName: realName, Phone: phone, ScopeID: scopeID, PasswordHash: hash,
		MustChangePassword: mustChange, Active: true, CreatedAt: now, UpdatedAt: now, Roles: roles}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return err
		}
		if err := insertRoles(ctx, tx, u.ID, roles); err != nil {
			return err
		}
		n, err := s.Org.Node(ctx, tx, scopeID)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, nil, audit.Event{Action: actUserCreate, ObjectType: audit.User, ObjectID: u.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("系统初始化账号 %s（%s）", username, realName), After: u.auditView()})
	})
	return u, err
}

// PurgeSessions deletes sessions idle past the policy's timeout.
func (s *Service) PurgeSessions(ctx context.Context) (int64, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return 0, err
	}
	res, err := s.DB.W.NewRaw("DELETE FROM sessions WHERE last_seen_at < ?", s.now().Add(-time.Duration(pol.IdleTimeoutMinutes)*time.Minute)).Exec(ctx)
	if err != nil {
		return 0, store.Translate(err)
	}
	if _, err := s.DB.W.NewRaw("DELETE FROM login_tickets WHERE expires_at < ?", s.now()).Exec(ctx); err != nil {
		return 0, store.Translate(err)
	}
	return res.RowsAffected()
}
