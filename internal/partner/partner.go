// Package partner connects this city's platform with partner cities'
// platforms (R-18, issue 22): the registry of partners and their keys,
// the signed server-to-server API (/api/partner/v1, docs/partner-api.md),
// the durable outbox every message leaves through, the inbound messages
// applied once, the fees of inbound trips (at the city's paid-use tariff,
// internal/savings) and the monthly settlement statements.
package partner

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// The audit log's actions recorded here.
var (
	actCreate     = audit.NewAction("partner.create", "登记合作城市")
	actUpdate     = audit.NewAction("partner.update", "修改合作城市")
	actReceive    = audit.NewAction("partner.receive", "收到合作城市消息")
	_             = audit.NewAction("partner.tariff", "设置异地用车收费标准") // past entries: tariffs are rates now (savings)
	actSettle     = audit.NewAction("partner.settlement", "生成异地用车结算单")
	actConfirm    = audit.NewAction("partner.confirm", "确认异地用车结算单")
	actCheck      = audit.NewAction("partner.check", "检查合作城市连接")
	actVisitorAsk = audit.NewAction("partner.visitor", "合作城市核验来访人员身份")
)

// ReplayWindow is how far a partner's timestamp may be from our clock.
const ReplayWindow = 5 * time.Minute

// Partner is a partner city's platform.
type Partner struct {
	bun.BaseModel `bun:"table:partners"`

	ID             int64      `bun:"id,pk,autoincrement" json:"id"`
	Code           string     `bun:"code" json:"code"`
	Name           string     `bun:"name" json:"name"`
	BaseURL        string     `bun:"base_url" json:"base_url"`
	SelfCode       string     `bun:"self_code" json:"self_code"`
	InboundSecret  string     `bun:"inbound_secret" json:"-"`
	OutboundSecret string     `bun:"outbound_secret" json:"-"`
	Active         bool       `bun:"active" json:"active"`
	CreatedBy      int64      `bun:"created_by" json:"-"`
	CheckedAt      *time.Time `bun:"checked_at" json:"checked_at"`
	Reachable      bool       `bun:"reachable" json:"reachable"`
	CheckError     string     `bun:"check_error" json:"check_error"`
	LastInAt       *time.Time `bun:"last_in_at" json:"last_in_at"`
	LastOutAt      *time.Time `bun:"last_out_at" json:"last_out_at"`
	CreatedAt      time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt      time.Time  `bun:"updated_at" json:"updated_at"`

	Waiting  int `bun:"waiting,scanonly" json:"waiting"`   // messages not yet delivered
	Rejected int `bun:"rejected,scanonly" json:"rejected"` // messages the partner refused
	Bookings int `bun:"bookings,scanonly" json:"bookings"`
	// LastError is the last delivery problem, in words.
	LastError string `bun:"last_error,scanonly" json:"last_error"`
}

// Service is the cross-region service.
type Service struct {
	DB      *store.DB
	Booking *booking.Service
	Notify  *notify.Notifier
	Key     []byte       // seals the partners' secrets (the data directory's master key)
	Client  *http.Client // to partners; nil: a client with a 10 s timeout
	Now     func() time.Time

	mu      sync.Mutex
	pending []logEntry // refusals inside a refused transaction, written by the next delivery round
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) client() *http.Client {
	if s.Client != nil {
		return s.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// ---- secrets ----

func (s *Service) aead() (cipher.AEAD, error) {
	if len(s.Key) == 0 {
		return nil, errs.E(errs.Internal, "partner key not configured")
	}
	k := sha256.Sum256(append([]byte("partner-secrets."), s.Key...))
	b, err := aes.NewCipher(k[:])
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func (s *Service) seal(secret string) (string, error) {
	g, err := s.aead()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return hex.EncodeToString(g.Seal(nonce, nonce, []byte(secret), nil)), nil
}

func (s *Service) open(sealed string) (string, error) {
	g, err := s.aead()
	if err != nil {
		return "", err
	}
	b, err := hex.DecodeString(sealed)
	if err != nil || len(b) < g.NonceSize() {
		return "", errs.E(errs.Internal, "合作城市密钥无法读取")
	}
	out, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], nil)
	if err != nil {
		return "", errs.E(errs.Internal, "合作城市密钥无法解开（数据目录的主密钥已更换？）")
	}
	return string(out), nil
}

// NewSecret returns a random signing key (64 hex characters).
func NewSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- registry ----

// Input registers or edits a partner.
type Input struct {
	Name     string `json:"name" max:"50"`
	Code     string `json:"code" max:"40"`      // the partner platform's id: what it sends as X-Partner-Id
	SelfCode string `json:"self_code" max:"40"` // this platform's id at the partner
	BaseURL  string `json:"base_url" max:"200"`
	// The keys, agreed with the partner: InboundSecret the partner signs
	// with, OutboundSecret this platform signs with (empty when editing:
	// unchanged; empty when registering: generated and shown once).
	InboundSecret  string `json:"inbound_secret" max:"128"`
	OutboundSecret string `json:"outbound_secret" max:"128"`
	Active         *bool  `json:"active"`
}

// Created is a registered partner with the keys generated for it (shown once).
type Created struct {
	*Partner
	InboundSecret  string `json:"inbound_secret,omitempty"`
	OutboundSecret string `json:"outbound_secret,omitempty"`
}

func validCode(c string) bool {
	if len(c) < 2 || len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func validSecret(s string) bool { return len(s) >= 32 && len(s) <= 128 }

func (in *Input) clean(creating bool) error {
	var f errs.Fields
	in.Name, in.Code, in.SelfCode = strings.TrimSpace(in.Name), strings.TrimSpace(in.Code), strings.TrimSpace(in.SelfCode)
	in.BaseURL = strings.TrimRight(strings.TrimSpace(in.BaseURL), "/")
	in.InboundSecret, in.OutboundSecret = strings.TrimSpace(in.InboundSecret), strings.TrimSpace(in.OutboundSecret)
	f.Check(in.Name == "" || utf8.RuneCountInString(in.Name) > 50, "name", "请填写合作城市名称（不超过50字）")
	f.Check(!validCode(in.Code), "code", "对方平台标识须为2至40位小写字母、数字、-、_")
	f.Check(!validCode(in.SelfCode), "self_code", "本平台在对方的标识须为2至40位小写字母、数字、-、_")
	if u, err := url.Parse(in.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.BaseURL) > 200 {
		f.Add("base_url", "请填写对方平台的地址，如 https://gwyc.wuxi.gov.cn")
	}
	f.Check(in.InboundSecret != "" && !validSecret(in.InboundSecret), "inbound_secret", "密钥须为32至128个字符")
	f.Check(in.OutboundSecret != "" && !validSecret(in.OutboundSecret), "outbound_secret", "密钥须为32至128个字符")
	return f.Err()
}

// needCity refuses anyone but the city authority: partners are agreements of the city.
func needCity(a *access.Actor) error {
	if a.ScopeKind != "city" {
		return errs.E(errs.Forbidden, "合作城市由市级平台管理员登记和管理")
	}
	return nil
}

func (s *Service) selectPartners(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Partner)(nil)).ModelTableExpr("partners AS p").ColumnExpr("p.*").
		ColumnExpr("(SELECT COUNT(*) FROM partner_outbox x WHERE x.partner_id = p.id AND x.state = 'pending') AS waiting").
		ColumnExpr("(SELECT COUNT(*) FROM partner_outbox x WHERE x.partner_id = p.id AND x.state = 'rejected') AS rejected").
		ColumnExpr("(SELECT COUNT(*) FROM partner_bookings b WHERE b.partner_id = p.id) AS bookings").
		ColumnExpr("COALESCE((SELECT x.last_error FROM partner_outbox x WHERE x.partner_id = p.id AND x.last_error <> '' ORDER BY x.id DESC LIMIT 1), '') AS last_error")
}

// List returns every partner with its status.
func (s *Service) List(ctx context.Context, a *access.Actor) ([]*Partner, error) {
	out := []*Partner{}
	err := s.selectPartners(s.DB.R).OrderExpr("p.active DESC, p.id").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Options are the active partners an applicant may apply to (names only).
type Option struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Options lists the active partners.
func (s *Service) Options(ctx context.Context) ([]Option, error) {
	out := []Option{}
	err := s.DB.R.NewSelect().Table("partners").Column("id", "name").Where("active").Order("name").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Get returns one partner.
func (s *Service) Get(ctx context.Context, id int64) (*Partner, error) {
	return s.get(ctx, s.DB.R, id)
}

func (s *Service) get(ctx context.Context, db bun.IDB, id int64) (*Partner, error) {
	p := new(Partner)
	if err := s.selectPartners(db).Where("p.id = ?", id).Scan(ctx, p); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "合作城市不存在"))
	}
	return p, nil
}

// Create registers a partner (the city's platform administrator).
func (s *Service) Create(ctx context.Context, a *access.Actor, in Input) (*Created, error) {
	if err := needCity(a); err != nil {
		return nil, err
	}
	if err := in.clean(true); err != nil {
		return nil, err
	}
	out := &Created{}
	if in.InboundSecret == "" {
		in.InboundSecret, out.InboundSecret = NewSecret(), "" // shown below
		out.InboundSecret = in.InboundSecret
	}
	if in.OutboundSecret == "" {
		in.OutboundSecret = NewSecret()
		out.OutboundSecret = in.OutboundSecret
	}
	inS, err := s.seal(in.InboundSecret)
	if err != nil {
		return nil, err
	}
	outS, err := s.seal(in.OutboundSecret)
	if err != nil {
		return nil, err
	}
	now := s.now()
	p := &Partner{Code: in.Code, Name: in.Name, BaseURL: in.BaseURL, SelfCode: in.SelfCode, InboundSecret: inS, OutboundSecret: outS,
		Active: true, CreatedBy: a.UserID, CreatedAt: now, UpdatedAt: now}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if n, err := tx.NewSelect().Table("partners").Where("code = ? OR name = ?", in.Code, in.Name).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return errs.E(errs.Conflict, "合作城市「%s」或平台标识「%s」已登记", in.Name, in.Code)
		}
		if _, err := tx.NewInsert().Model(p).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCreate, ObjectType: audit.Partner, ObjectID: p.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("登记合作城市「%s」（%s，%s）", p.Name, p.Code, p.BaseURL)})
	})
	if err != nil {
		return nil, err
	}
	out.Partner, err = s.Get(ctx, p.ID)
	return out, err
}

// Update edits a partner; empty secrets are kept.
func (s *Service) Update(ctx context.Context, a *access.Actor, id int64, in Input) (*Partner, error) {
	if err := needCity(a); err != nil {
		return nil, err
	}
	if err := in.clean(false); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		p, err := s.get(ctx, tx, id)
		if err != nil {
			return err
		}
		if n, err := tx.NewSelect().Table("partners").Where("(code = ? OR name = ?) AND id <> ?", in.Code, in.Name, id).Count(ctx); err != nil {
			return err
		} else if n > 0 {
			return errs.E(errs.Conflict, "合作城市「%s」或平台标识「%s」已登记", in.Name, in.Code)
		}
		before := *p
		p.Name, p.Code, p.SelfCode, p.BaseURL, p.UpdatedAt = in.Name, in.Code, in.SelfCode, in.BaseURL, s.now()
		if in.Active != nil {
			p.Active = *in.Active
		}
		if in.InboundSecret != "" {
			if p.InboundSecret, err = s.seal(in.InboundSecret); err != nil {
				return err
			}
		}
		if in.OutboundSecret != "" {
			if p.OutboundSecret, err = s.seal(in.OutboundSecret); err != nil {
				return err
			}
		}
		if _, err := tx.NewUpdate().Model(p).ExcludeColumn("id", "created_at", "created_by").WherePK().Exec(ctx); err != nil {
			return err
		}
		keys := ""
		if in.InboundSecret != "" || in.OutboundSecret != "" {
			keys = "，更换了密钥"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUpdate, ObjectType: audit.Partner, ObjectID: p.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("修改合作城市「%s」%s", p.Name, keys), Before: before, After: p})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// ---- signing ----

// Sign returns the headers of a signed request to a partner: the scheme of
// the insurer API (auth.Sign) with X-Partner-Id for X-Key-Id.
func Sign(secret, selfCode, method, path string, body []byte, now time.Time) http.Header {
	ts := fmt.Sprint(now.Unix())
	nb := make([]byte, 16)
	rand.Read(nb)
	nonce := hex.EncodeToString(nb)
	h := http.Header{}
	h.Set("X-Partner-Id", selfCode)
	h.Set("X-Timestamp", ts)
	h.Set("X-Nonce", nonce)
	h.Set("X-Signature", signature(secret, method, path, ts, nonce, body))
	h.Set("Content-Type", "application/json")
	return h
}

// Signature is the X-Signature of a partner request: hex(HMAC-SHA256(secret,
// METHOD "\n" PATH "\n" TIMESTAMP "\n" NONCE "\n" hex(SHA-256(body)))), the
// insurer API's scheme (auth.Sign).
func Signature(secret, method, path, ts, nonce string, body []byte) string {
	return signature(secret, method, path, ts, nonce, body)
}

func signature(secret, method, path, ts, nonce string, body []byte) string {
	return auth.Sign(secret, method, path, ts, nonce, body)
}

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

// Authenticate verifies a partner's signed request and returns the
// partner; every refusal is recorded in the exchange log.
func (s *Service) Authenticate(ctx context.Context, code, ts, nonce, sig, method, path string, body []byte) (*Partner, error) {
	p, err := s.authenticate(ctx, code, ts, nonce, sig, method, path, body)
	if err != nil {
		var pid *int64
		if p != nil {
			pid = &p.ID
		}
		s.log(ctx, pid, "in", method+" "+path, "", "拒绝：来自「"+code+"」的请求 — "+msgOf(err))
	}
	return p, err
}

func (s *Service) authenticate(ctx context.Context, code, ts, nonce, sig, method, path string, body []byte) (*Partner, error) {
	if code == "" || sig == "" {
		return nil, errs.E(errs.Unauthenticated, "合作平台接口只接受签名的请求（X-Partner-Id、X-Timestamp、X-Nonce、X-Signature）")
	}
	p := new(Partner)
	if err := s.DB.R.NewSelect().Model(p).Where("code = ?", code).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.Unauthenticated, "未登记的合作平台（X-Partner-Id「%s」）", code))
	}
	if !p.Active {
		return p, errs.E(errs.Unauthenticated, "合作城市「%s」已停用", p.Name)
	}
	sec, err := parseUnix(ts)
	if err != nil {
		return p, errs.E(errs.Unauthenticated, "X-Timestamp 须为 Unix 秒数")
	}
	now := s.now()
	if d := now.Sub(sec); d > ReplayWindow || d < -ReplayWindow {
		return p, errs.E(errs.Unauthenticated, "请求已过期：时间戳与本平台时间相差超过%d分钟，请校准时钟后重新签名", int(ReplayWindow.Minutes()))
	}
	if !validNonce(nonce) {
		return p, errs.E(errs.Unauthenticated, "X-Nonce 须为每个请求新生成的16至64位随机串（字母、数字、-、_）")
	}
	secret, err := s.open(p.InboundSecret)
	if err != nil {
		return p, err
	}
	if !hmac.Equal([]byte(strings.ToLower(sig)), []byte(signature(secret, method, path, ts, nonce, body))) {
		return p, errs.E(errs.Unauthenticated, "签名校验失败（X-Signature）：请核对与「%s」约定的密钥", p.Name)
	}
	if _, err := s.DB.W.NewRaw("DELETE FROM partner_nonces WHERE seen_at < ?", now.Add(-2*ReplayWindow)).Exec(ctx); err != nil {
		return p, store.Translate(err)
	}
	res, err := s.DB.W.NewRaw("INSERT INTO partner_nonces (partner_id, nonce, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING", p.ID, nonce, now).Exec(ctx)
	if err != nil {
		return p, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return p, errs.E(errs.Unauthenticated, "重放的请求（X-Nonce 已使用过）：重试须以新的 X-Nonce 重新签名")
	}
	return p, nil
}

func parseUnix(ts string) (time.Time, error) {
	var n int64
	if _, err := fmt.Sscan(ts, &n); err != nil || fmt.Sprint(n) != ts {
		return time.Time{}, fmt.Errorf("bad timestamp")
	}
	return time.Unix(n, 0), nil
}

// Actor is the partner as the audit log and the order timeline name it.
func (p *Partner) Actor(cityPath string) *access.Actor {
	return &access.Actor{Name: p.Name + "公务用车平台", ScopePath: cityPath}
}

// ---- the exchange log ----

type logEntry struct {
	partnerID                 *int64
	direction, kind, key, msg string
	at                        time.Time
}

// LogLine is a line of the exchange log.
type LogLine struct {
	ID        int64     `bun:"id" json:"id"`
	At        time.Time `bun:"at" json:"at"`
	Direction string    `bun:"direction" json:"direction"`
	Kind      string    `bun:"kind" json:"kind"`
	Message   string    `bun:"message" json:"message"`
	Partner   string    `bun:"partner" json:"partner"`
}

func (s *Service) log(ctx context.Context, partnerID *int64, direction, kind, key, msg string) {
	if len([]rune(msg)) > 500 {
		msg = string([]rune(msg)[:500])
	}
	_, _ = s.DB.W.NewRaw("INSERT INTO partner_log (partner_id, at, direction, kind, msg_key, message) VALUES (?, ?, ?, ?, ?, ?)",
		partnerID, s.now(), direction, kind, key, msg).Exec(ctx)
}

// later records a refusal that happened inside a transaction which rolled
// back; the next delivery round writes it.
func (s *Service) later(partnerID int64, kind, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := partnerID
	s.pending = append(s.pending, logEntry{partnerID: &id, direction: "local", kind: kind, msg: msg, at: s.now()})
}

func (s *Service) flushLog(ctx context.Context) {
	s.mu.Lock()
	p := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, e := range p {
		_, _ = s.DB.W.NewRaw("INSERT INTO partner_log (partner_id, at, direction, kind, msg_key, message) VALUES (?, ?, ?, ?, ?, ?)",
			e.partnerID, e.at, e.direction, e.kind, e.key, e.msg).Exec(ctx)
	}
}

// Log returns the latest lines of the exchange log (refusals and failures).
func (s *Service) Log(ctx context.Context, partnerID int64, limit int) ([]*LogLine, error) {
	s.flushLog(ctx)
	out := []*LogLine{}
	q := s.DB.R.NewSelect().TableExpr("partner_log AS l").ColumnExpr("l.id, l.at, l.direction, l.kind, l.message, COALESCE(p.name, '') AS partner").
		Join("LEFT JOIN partners AS p ON p.id = l.partner_id").OrderExpr("l.id DESC").Limit(limit)
	if partnerID != 0 {
		q = q.Where("l.partner_id = ?", partnerID)
	}
	return out, store.Translate(q.Scan(ctx, &out))
}

// cityNode is the city's root node: inbound orders are its dispatchers'.
func cityNode(ctx context.Context, db bun.IDB) (int64, string, error) {
	var row struct {
		ID   int64  `bun:"id"`
		Path string `bun:"path"`
	}
	err := db.NewSelect().Table("units").Column("id", "path").Where("parent_id IS NULL").Order("id").Limit(1).Scan(ctx, &row)
	return row.ID, row.Path, err
}
