package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Company API keys and request signing.
//
// A machine request of an outside organisation carries
//
//	X-Key-Id:    the key's public id
//	X-Timestamp: Unix seconds when it was signed
//	X-Nonce:     a random string, new for every request (16 to 64 of A-Z a-z 0-9 - _)
//	X-Signature: hex(HMAC-SHA256(secret, METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body))))
//
// where PATH is the request path with its query string as sent. Requests
// signed more than ReplayWindow away from the server's clock, or whose
// nonce the key already used, are refused: a replay carries the nonce it
// was signed with, while two identical requests signed in the same second
// differ by theirs (issue 19).
//
// Verifying an HMAC needs the secret on the server. The database holds
// none: a key's secret is HMAC-SHA256(master key, key_id "." salt), so a
// copy of the database alone cannot sign; the master key lives outside it
// (Service.KeyMaster, a file in the data directory). Replacing the master
// key invalidates every API key at once.

// ReplayWindow is how far a request's timestamp may be from the server's
// clock; used nonces are kept twice as long.
const ReplayWindow = 5 * time.Minute

const keyIDPrefix = "gfk_"

// APIKey is a company's key for signed machine requests.
type APIKey struct {
	bun.BaseModel `bun:"table:company_api_keys"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	CompanyID  int64      `bun:"company_id" json:"company_id"`
	UserID     int64      `bun:"user_id" json:"user_id"`
	KeyID      string     `bun:"key_id" json:"key_id"`
	Salt       string     `bun:"salt" json:"-"`
	Name       string     `bun:"name" json:"name"`
	CreatedAt  time.Time  `bun:"created_at" json:"created_at"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"last_used_at"`
	RevokedAt  *time.Time `bun:"revoked_at" json:"revoked_at"`
	// RevokedReason says who or what revoked it (credentials.go).
	RevokedReason string `bun:"revoked_reason" json:"revoked_reason,omitempty"`
	Secret        string `bun:"-" json:"secret,omitempty"` // only when created
}

// LoadKeyMaster reads the master key of API key secrets from path, creating
// it (32 random bytes, owner-only) when absent.
func LoadKeyMaster(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		b = make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		if err := os.WriteFile(path, []byte(hex.EncodeToString(b)), 0o600); err != nil {
			return nil, err
		}
		return b, nil
	}
	if err != nil {
		return nil, err
	}
	k, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(k) < 32 {
		return nil, fmt.Errorf("%s: the API key master key must be at least 32 bytes in hex", path)
	}
	return k, nil
}

func (s *Service) secret(k *APIKey) string {
	m := hmac.New(sha256.New, s.KeyMaster)
	m.Write([]byte(k.KeyID + "." + k.Salt))
	return hex.EncodeToString(m.Sum(nil))
}

// Sign returns the X-Signature of a request: the scheme every client
// follows (docs/insurer-client.sh does the same with openssl).
func Sign(secret, method, path, timestamp, nonce string, body []byte) string {
	h := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + "\n" + path + "\n" + timestamp + "\n" + nonce + "\n" + hex.EncodeToString(h[:])))
	return hex.EncodeToString(m.Sum(nil))
}

// CreateKey issues an API key for the caller's company; the secret is
// shown once.
func (s *Service) CreateKey(ctx context.Context, a *access.Actor, name string) (*APIKey, error) {
	if a.CompanyID == 0 {
		return nil, errs.E(errs.Forbidden, "只有合作企业的账号可以创建API密钥")
	}
	if len(s.KeyMaster) == 0 {
		return nil, errs.E(errs.Internal, "API key master key not configured")
	}
	name, err := credentialName(name, "密钥")
	if err != nil {
		return nil, err
	}
	id := make([]byte, 10)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	k := &APIKey{CompanyID: a.CompanyID, UserID: a.UserID, KeyID: keyIDPrefix + hex.EncodeToString(id),
		Salt: randomToken(16), Name: name, CreatedAt: s.now()}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(k).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actApikeyCreate, ObjectType: audit.APIKey, ObjectID: k.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("创建API密钥「%s」（%s）", name, k.KeyID)})
	})
	if err != nil {
		return nil, err
	}
	k.Secret = s.secret(k)
	return k, nil
}

// Keys lists the caller's company's keys, revoked ones last.
func (s *Service) Keys(ctx context.Context, a *access.Actor) ([]*APIKey, error) {
	out := []*APIKey{}
	err := s.DB.R.NewSelect().Model(&out).Where("company_id = ?", a.CompanyID).OrderExpr("revoked_at IS NOT NULL, id").Scan(ctx)
	return out, store.Translate(err)
}

// RevokeKey revokes one of the caller's company's keys.
func (s *Service) RevokeKey(ctx context.Context, a *access.Actor, id int64) error {
	return s.revoke(ctx, a, keyKind, id, "企业吊销", func(c *credentialRow, _ *User) error {
		if a.CompanyID == 0 || c.CompanyID != a.CompanyID {
			return errs.E(errs.NotFound, "密钥不存在或已吊销")
		}
		return nil
	})
}

// AuthenticateSigned verifies a signed request and returns the principal
// of the key's company account. path is the path with its query string.
func (s *Service) AuthenticateSigned(ctx context.Context, keyID, timestamp, nonce, signature, method, path string, body []byte, ip string) (*Principal, error) {
	var k APIKey
	if err := s.DB.R.NewSelect().Model(&k).Where("key_id = ? AND revoked_at IS NULL", keyID).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.Unauthenticated, "API密钥无效或已吊销（X-Key-Id）"))
	}
	sec, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return nil, errs.E(errs.Unauthenticated, "X-Timestamp 须为 Unix 秒数")
	}
	now := s.now()
	if d := now.Sub(time.Unix(sec, 0)); d > ReplayWindow || d < -ReplayWindow {
		return nil, errs.E(errs.Unauthenticated, "请求时间戳超出允许范围（±%d分钟），请校准时钟后重新签名", int(ReplayWindow.Minutes()))
	}
	if !validNonce(nonce) {
		return nil, errs.E(errs.Unauthenticated, "X-Nonce 须为每个请求新生成的16至64位随机串（字母、数字、-、_）")
	}
	want := Sign(s.secret(&k), method, path, timestamp, nonce, body)
	if !hmac.Equal([]byte(strings.ToLower(signature)), []byte(want)) {
		return nil, errs.E(errs.Unauthenticated, "签名校验失败（X-Signature）")
	}
	// A nonce used twice is a replay; nonces older than twice the window
	// can no longer validate and are dropped.
	if _, err := s.DB.W.NewRaw("DELETE FROM api_signatures WHERE key_id = ? AND seen_at < ?", k.ID, now.Add(-2*ReplayWindow)).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	res, err := s.DB.W.NewRaw("INSERT INTO api_signatures (key_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", k.ID, nonce, now).Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, errs.E(errs.Unauthenticated, "重复的请求（X-Nonce 已使用过），重试请以新的 X-Nonce 重新签名")
	}
	r, err := s.readRequest(ctx, s.selectRequest().Where("u.id = ?", k.UserID), errs.E(errs.NotFound, "账号不存在或已删除"))
	if err != nil {
		return nil, err
	}
	actor, err := r.actor(ip)
	if err != nil {
		return nil, err
	}
	if actor.CompanyID != k.CompanyID {
		return nil, errs.E(errs.Unauthenticated, "API密钥无效或已吊销（X-Key-Id）")
	}
	actor.Name = r.CompanyName + "（API密钥 " + k.KeyID + "）" // audited as the company
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		if _, err := s.DB.W.NewRaw("UPDATE company_api_keys SET last_used_at = ? WHERE id = ?", now, k.ID).Exec(ctx); err != nil {
			return nil, store.Translate(err)
		}
	}
	return &Principal{Actor: actor, KeyID: k.ID}, nil
}

// validNonce reports whether n is 16 to 64 of A-Z a-z 0-9 - _.
func validNonce(n string) bool {
	if len(n) < 16 || len(n) > 64 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Idempotent is the stored outcome of a signed write with an
// Idempotency-Key.
type Idempotent struct {
	Status   int
	Response []byte
}

// BeginIdempotent reserves an idempotency key for a request whose method,
// path and body hash to request. It returns the stored outcome of an
// earlier identical request (nil when this one is the first), and a
// conflict when the key was used for another request or is in progress.
func (s *Service) BeginIdempotent(ctx context.Context, keyID int64, idemKey, request string) (*Idempotent, error) {
	if idemKey == "" || len(idemKey) > 100 {
		return nil, errs.E(errs.Invalid, "Idempotency-Key 长度须为1至100个字符")
	}
	res, err := s.DB.W.NewRaw("INSERT INTO api_idempotency (key_id, idem_key, request, status, created_at) VALUES (?, ?, ?, 0, ?) ON CONFLICT DO NOTHING",
		keyID, idemKey, request, s.now()).Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil, nil
	}
	var row struct {
		Request  string `bun:"request"`
		Status   int    `bun:"status"`
		Response string `bun:"response"`
	}
	if err := s.DB.W.NewSelect().Table("api_idempotency").Column("request", "status", "response").
		Where("key_id = ? AND idem_key = ?", keyID, idemKey).Scan(ctx, &row); err != nil {
		return nil, store.Translate(err)
	}
	switch {
	case row.Request != request:
		return nil, errs.E(errs.Conflict, "Idempotency-Key「%s」已用于内容不同的请求", idemKey)
	case row.Status == 0:
		return nil, errs.E(errs.Conflict, "Idempotency-Key「%s」的请求正在处理，请稍后重试", idemKey)
	}
	return &Idempotent{Status: row.Status, Response: []byte(row.Response)}, nil
}

// EndIdempotent stores the outcome of a reserved request; a failed
// request (out == nil) releases the key so that a corrected retry can use it.
func (s *Service) EndIdempotent(ctx context.Context, keyID int64, idemKey string, out *Idempotent) error {
	var err error
	if out == nil {
		_, err = s.DB.W.NewRaw("DELETE FROM api_idempotency WHERE key_id = ? AND idem_key = ?", keyID, idemKey).Exec(ctx)
	} else {
		_, err = s.DB.W.NewRaw("UPDATE api_idempotency SET status = ?, response = ? WHERE key_id = ? AND idem_key = ?", out.Status, string(out.Response), keyID, idemKey).Exec(ctx)
	}
	return store.Translate(err)
}

// IdempotencyTTL is how long a signed write's response is kept for retries.
const IdempotencyTTL = 24 * time.Hour

// PurgeSigned drops idempotency records older than IdempotencyTTL and
// nonces too old to validate again.
func (s *Service) PurgeSigned(ctx context.Context) error {
	now := s.now()
	if _, err := s.DB.W.NewRaw("DELETE FROM api_idempotency WHERE created_at < ?", now.Add(-IdempotencyTTL)).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	_, err := s.DB.W.NewRaw("DELETE FROM api_signatures WHERE seen_at < ?", now.Add(-2*ReplayWindow)).Exec(ctx)
	return store.Translate(err)
}
