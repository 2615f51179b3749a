package auth

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Credentials are what machines sign in with: personal API tokens (a bearer
// token acting as its user) and companies' API keys (apikeys.go). Neither
// may outlive its owner's control (issue 19 item 5):
//
//   - only an interactive session creates one (httpapi's Route.Interactive):
//     a token or key cannot mint another that would survive its revocation;
//   - a token expires: the security policy's TokenDays (90 by default) at
//     most, fewer if its creator chooses; lowering TokenDays shortens the
//     tokens already issued;
//   - every credential of an account is revoked when its password is
//     changed or reset, or it is locked or deactivated (revokeCredentials);
//     a token carries its owner's forced password change like a session;
//   - administrators list and revoke the credentials of the accounts they
//     manage (the security administrator: every account of its scope).
//
// Every creation and revocation is in the audit log.

// The audit log's actions recorded here, with their Chinese names.
var (
	actTokenCreate    = audit.NewAction("token.create", "创建API令牌")
	actTokenRevoke    = audit.NewAction("token.revoke", "吊销API令牌")
	actApikeyCreate   = audit.NewAction("apikey.create", "创建企业API密钥")
	actApikeyRevoke   = audit.NewAction("apikey.revoke", "吊销企业API密钥")
	actCredentialsEnd = audit.NewAction("credential.revoke_all", "随账号变更吊销全部令牌与密钥")
)

// APIToken is a bearer token for machine clients acting as a user.
type APIToken struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	UserID        int64      `bun:"user_id" json:"-"`
	Name          string     `bun:"name" json:"name"`
	TokenHash     string     `bun:"token_hash" json:"-"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt     *time.Time `bun:"expires_at" json:"expires_at"` // nil only for tokens older than expiry: see expiry
	LastUsedAt    *time.Time `bun:"last_used_at" json:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"-"`
	RevokedReason string     `bun:"revoked_reason" json:"-"`
	Token         string     `bun:"-" json:"token,omitempty"` // only when created
}

const tokenPrefix = "gft_"

// expiry is when a token created at created with expiry expires stops
// working under pol: its own expiry, or TokenDays after its creation if
// that is sooner (or it has none).
func expiry(pol Policy, created time.Time, expires *time.Time) time.Time {
	limit := created.Add(time.Duration(pol.TokenDays) * 24 * time.Hour)
	if expires != nil && expires.Before(limit) {
		return *expires
	}
	return limit
}

// TokenInput names a new token and, optionally, its lifetime in days
// (0: the policy's TokenDays).
type TokenInput struct {
	Name          string `json:"name"`
	ExpiresInDays int    `json:"expires_in_days,omitempty"`
}

// credentialName checks a token's or key's name.
func credentialName(name, what string) (string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len([]rune(name)) > 40 {
		return "", (&errs.Fields{"name": fmt.Sprintf("请填写%s名称（不超过40个字）", what)}).Err()
	}
	return name, nil
}

// CreateToken issues a token for the caller; the secret is shown once.
func (s *Service) CreateToken(ctx context.Context, a *access.Actor, in TokenInput) (*APIToken, error) {
	name, err := credentialName(in.Name, "令牌")
	if err != nil {
		return nil, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = pol.TokenDays
	}
	if days < 1 || days > pol.TokenDays {
		return nil, (&errs.Fields{"expires_in_days": fmt.Sprintf("有效期须在1至%d天之间（安全策略）", pol.TokenDays)}).Err()
	}
	secret := tokenPrefix + randomToken(32)
	now := s.now()
	expires := now.Add(time.Duration(days) * 24 * time.Hour)
	t := &APIToken{UserID: a.UserID, Name: name, TokenHash: sha(secret), CreatedAt: now, ExpiresAt: &expires}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTokenCreate, ObjectType: audit.APIToken, ObjectID: t.ID,
			ScopePath: a.ScopePath, Summary: fmt.Sprintf("账号 %s 创建API令牌「%s」，有效期%d天", a.Username, name, days)})
	})
	if err != nil {
		return nil, err
	}
	t.Token = secret
	return t, nil
}

// Tokens lists the caller's tokens not revoked, expired ones included
// (with the expiry in force).
func (s *Service) Tokens(ctx context.Context, a *access.Actor) ([]*APIToken, error) {
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	out := []*APIToken{}
	if err := s.DB.R.NewSelect().Model(&out).Where("user_id = ? AND revoked_at IS NULL", a.UserID).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, t := range out {
		e := expiry(pol, t.CreatedAt, t.ExpiresAt)
		t.ExpiresAt = &e
	}
	return out, nil
}

// RevokeToken revokes one of the caller's tokens.
func (s *Service) RevokeToken(ctx context.Context, a *access.Actor, id int64) error {
	return s.revoke(ctx, a, tokenKind, id, "本人吊销", func(c *credentialRow, _ *User) error {
		if c.UserID != a.UserID {
			return errs.E(errs.NotFound, "令牌不存在或已吊销")
		}
		return nil
	})
}

// AuthenticateToken resolves a bearer token.
func (s *Service) AuthenticateToken(ctx context.Context, secret, ip string) (*Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) {
		return nil, errs.E(errs.Unauthenticated, "API令牌无效")
	}
	var t APIToken
	if err := s.DB.R.NewSelect().Model(&t).Where("token_hash = ? AND revoked_at IS NULL", sha(secret)).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.Unauthenticated, "API令牌无效或已吊销"))
	}
	r, err := s.readRequest(ctx, s.selectRequest().Where("u.id = ?", t.UserID), errs.E(errs.NotFound, "账号不存在或已删除"))
	if err != nil {
		return nil, err
	}
	now := s.now()
	if e := expiry(r.policy, t.CreatedAt, t.ExpiresAt); !now.Before(e) {
		return nil, errs.E(errs.Unauthenticated, "API令牌已于 %s 过期，请登录平台创建新令牌", e.In(beijing.Zone).Format("2006-01-02 15:04"))
	}
	actor, err := r.actor(ip)
	if err != nil {
		return nil, err
	}
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		if _, err := s.DB.W.NewRaw("UPDATE api_tokens SET last_used_at = ? WHERE id = ?", now, t.ID).Exec(ctx); err != nil {
			return nil, store.Translate(err)
		}
	}
	return &Principal{Actor: actor, TokenID: t.ID, MustChange: r.MustChangePassword}, nil
}

// revokeCredentials revokes every token and API key of account u, because
// of reason (修改密码, 重置密码, 锁定账号, 停用账号), inside the transaction
// that changes the account, and records how many in the audit log.
func (s *Service) revokeCredentials(ctx context.Context, tx bun.IDB, a *access.Actor, u *User, reason string) error {
	var n [2]int64
	for i, k := range []credKind{tokenKind, keyKind} {
		res, err := tx.NewRaw("UPDATE "+k.table+" SET revoked_at = ?, revoked_reason = ? WHERE user_id = ? AND revoked_at IS NULL",
			s.now(), reason, u.ID).Exec(ctx)
		if err != nil {
			return err
		}
		n[i], _ = res.RowsAffected()
	}
	if n[0]+n[1] == 0 {
		return nil
	}
	return audit.Record(ctx, tx, a, audit.Event{Action: actCredentialsEnd, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
		Summary: fmt.Sprintf("%s：吊销账号 %s 的API令牌%d个、企业API密钥%d个", reason, u.Username, n[0], n[1])})
}

// credKind is a kind of credential: its table and how the log names it.
type credKind struct {
	code, table, name string
	revoked           audit.Action
	object            audit.ObjectType
}

var (
	tokenKind = credKind{"token", "api_tokens", "API令牌", actTokenRevoke, audit.APIToken}
	keyKind   = credKind{"key", "company_api_keys", "企业API密钥", actApikeyRevoke, audit.APIKey}
	credKinds = map[string]credKind{tokenKind.code: tokenKind, keyKind.code: keyKind}
)

// credentialRow is what a revocation checks of a credential.
type credentialRow struct {
	UserID    int64  `bun:"user_id"`
	CompanyID int64  `bun:"company_id"`
	Name      string `bun:"name"`
}

// revoke revokes credential id of kind k after allow accepts it; the audit
// event is recorded under the owner's scope.
func (s *Service) revoke(ctx context.Context, a *access.Actor, k credKind, id int64, reason string, allow func(*credentialRow, *User) error) error {
	gone := errs.E(errs.NotFound, "%s不存在或已吊销", k.name)
	company := "0"
	if k == keyKind {
		company = "company_id"
	}
	var owner int64
	defer func() { s.Revoked.Notify(owner) }() // streams opened with the credential end at once
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		var c credentialRow
		err := tx.NewSelect().Table(k.table).ColumnExpr("user_id, name, "+company+" AS company_id").
			Where("id = ? AND revoked_at IS NULL", id).Scan(ctx, &c)
		if err != nil {
			return store.NotFoundAs(err, gone)
		}
		u, err := s.load(ctx, tx, c.UserID)
		if err != nil {
			return err
		}
		owner = u.ID
		if err := allow(&c, u); err != nil {
			return err
		}
		if _, err := tx.NewRaw("UPDATE "+k.table+" SET revoked_at = ?, revoked_reason = ? WHERE id = ?", s.now(), reason, id).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: k.revoked, ObjectType: k.object, ObjectID: id, ScopePath: u.ScopePath,
			Summary: fmt.Sprintf("%s：吊销账号 %s 的%s「%s」", reason, u.Username, k.name, c.Name)})
	})
}

// RevokeCredential is an administrator's revocation of another account's
// token or key (kind "token" or "key"): the security administrator revokes
// any inside its scope, others those of accounts they may manage.
func (s *Service) RevokeCredential(ctx context.Context, a *access.Actor, kind string, id int64) error {
	k, ok := credKinds[kind]
	if !ok {
		return errs.E(errs.NotFound, "凭据类别无效：%s", kind)
	}
	return s.revoke(ctx, a, k, id, "管理员吊销", func(_ *credentialRow, owner *User) error { return canRevoke(a, owner) })
}

// canRevoke: the security administrator may revoke the credentials of any
// account inside its scope; anyone else those of the accounts it manages.
func canRevoke(a *access.Actor, owner *User) error {
	if a.HasRole(access.SecAdmin) {
		if !a.Covers(owner.ScopePath) {
			return errs.E(errs.Forbidden, "该账号不在您的管辖范围内")
		}
		return nil
	}
	return canManage(a, owner)
}

// Credential is a token or key in the administrators' list.
type Credential struct {
	Kind          string     `bun:"kind" json:"kind"` // token | key
	ID            int64      `bun:"id" json:"id"`
	Name          string     `bun:"name" json:"name"`
	KeyID         string     `bun:"key_id" json:"key_id,omitempty"` // a key's public X-Key-Id
	UserID        int64      `bun:"user_id" json:"user_id"`
	Username      string     `bun:"username" json:"username"`
	RealName      string     `bun:"real_name" json:"real_name"`
	ScopeName     string     `bun:"scope_name" json:"scope_name"`
	CompanyName   string     `bun:"company_name" json:"company_name,omitempty"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	ExpiresAt     *time.Time `bun:"expires_at" json:"expires_at"` // tokens only
	LastUsedAt    *time.Time `bun:"last_used_at" json:"last_used_at"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"revoked_at"`
	RevokedReason string     `bun:"revoked_reason" json:"revoked_reason,omitempty"`
	Status        string     `bun:"-" json:"status"` // active | expired | revoked
}

// CredentialFilter selects credentials.
type CredentialFilter struct {
	ScopeID    int64  // owners in this node's subtree; 0 = the actor's scope
	Kind       string // token | key
	Status     string // active | expired | revoked
	Q          string // owner's user name or name, the credential's name or key id
	Page, Size int    // Size 0: all (export)
}

// credentialsSQL is every token and key with the columns of Credential.
const credentialsSQL = `SELECT 'token' AS kind, id, name, '' AS key_id, user_id, created_at, expires_at, last_used_at, revoked_at, revoked_reason FROM api_tokens
UNION ALL SELECT 'key', id, name, key_id, user_id, created_at, NULL, last_used_at, revoked_at, revoked_reason FROM company_api_keys`

// Credentials lists the tokens and keys of the accounts in the actor's
// scope (or the filter's node), newest first.
func (s *Service) Credentials(ctx context.Context, a *access.Actor, f CredentialFilter) ([]*Credential, int, error) {
	base, err := s.subtree(ctx, a, f.ScopeID)
	if err != nil {
		return nil, 0, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	cutoff := now.Add(-time.Duration(pol.TokenDays) * 24 * time.Hour) // tokens created before have expired
	q := s.DB.R.NewSelect().TableExpr("("+credentialsSQL+") AS c").
		ColumnExpr("c.*, u.username, u.real_name, n.name AS scope_name, COALESCE(co.name, '') AS company_name").
		Join("JOIN users AS u ON u.id = c.user_id").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Join("LEFT JOIN companies AS co ON co.id = u.company_id").
		Where("n.path LIKE ?", base+"%")
	switch f.Kind {
	case "token", "key":
		q = q.Where("c.kind = ?", f.Kind)
	case "":
	default:
		return nil, 0, (&errs.Fields{"kind": "类别取值无效"}).Err()
	}
	const live = "(c.kind = 'key' OR (c.created_at > ? AND (c.expires_at IS NULL OR c.expires_at > ?)))"
	switch f.Status {
	case "active":
		q = q.Where("c.revoked_at IS NULL AND "+live, cutoff, now)
	case "expired":
		q = q.Where("c.revoked_at IS NULL AND NOT "+live, cutoff, now)
	case "revoked":
		q = q.Where("c.revoked_at IS NOT NULL")
	case "":
	default:
		return nil, 0, (&errs.Fields{"status": "状态取值无效"}).Err()
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(u.username LIKE ? OR u.real_name LIKE ? OR c.name LIKE ? OR c.key_id LIKE ?)", like, like, like, like)
	}
	q = q.OrderExpr("c.created_at DESC, c.kind, c.id DESC")
	if f.Size > 0 {
		q = q.Limit(f.Size).Offset((f.Page - 1) * f.Size)
	}
	out := []*Credential{}
	n, err := q.ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, c := range out {
		switch {
		case c.RevokedAt != nil:
			c.Status = "revoked"
		case c.Kind == "token":
			e := expiry(pol, c.CreatedAt, c.ExpiresAt)
			c.ExpiresAt, c.Status = &e, "active"
			if !now.Before(e) {
				c.Status = "expired"
			}
		default:
			c.Status = "active"
		}
	}
	return out, n, nil
}

// CredentialStatuses names the statuses of Credential.
var CredentialStatuses = map[string]string{"active": "有效", "expired": "已过期", "revoked": "已吊销"}
