package auth

import (
	"bytes"
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image/png"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Two-factor authentication (issue 19 item 7; 等保 level 3 asks two factors
// of administrators).
//
// Any account may bind a TOTP authenticator (RFC 6238: HMAC-SHA1, 6 digits,
// 30 s steps) and receives ten single-use recovery codes; the policy names
// the roles that must (Policy.TOTPRoles). A bound account logs in in two
// steps: the right password yields a ticket valid five minutes (not a
// session, login_tickets), and the ticket with a code opens the session.
// A code is accepted for the step before, the current one and the one
// after, and only for a step later than the last one accepted (no replay).
// Wrong codes count toward the lockout like wrong passwords. An account
// that must bind one and has not gets a session restricted to the
// enrolment routes (Principal.MustEnrol). The security administrator can
// reset a binding (ResetTOTP).
//
// The secrets are sealed with AES-256-GCM under a key derived from TOTPKey,
// a file outside the database; the recovery codes are kept as HMACs under
// another key derived from it. Replacing the file voids every binding: the
// accounts enrol again (after the security administrator's reset).

// The audit log's actions recorded here.
var (
	actTOTPEnrol = audit.NewAction("totp.enrol", "绑定动态验证码")
	actTOTPReset = audit.NewAction("totp.reset", "重置动态验证码绑定")
)

const (
	totpIssuer    = "常州公务用车"
	ticketTTL     = 5 * time.Minute
	recoveryCount = 10
)

const totpPeriod = 30 // seconds a code lasts

var totpOpts = hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// subKey derives the key of one use from TOTPKey.
func (s *Service) subKey(use string) ([]byte, error) {
	if len(s.TOTPKey) == 0 {
		return nil, errs.E(errs.Internal, "未配置动态验证码密钥")
	}
	m := hmac.New(sha256.New, s.TOTPKey)
	m.Write([]byte(use))
	return m.Sum(nil), nil
}

func (s *Service) gcm() (cipher.AEAD, error) {
	k, err := s.subKey("totp secret")
	if err != nil {
		return nil, err
	}
	b, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// seal encrypts an account's secret; the user id is the associated data, so
// a sealed secret copied to another account does not open.
func (s *Service) seal(userID int64, secret string) (string, error) {
	g, err := s.gcm()
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	return base64.StdEncoding.EncodeToString(g.Seal(nonce, nonce, []byte(secret), []byte(strconv.FormatInt(userID, 10)))), nil
}

func (s *Service) open(userID int64, sealed string) (string, error) {
	g, err := s.gcm()
	if err != nil {
		return "", err
	}
	b, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(b) < g.NonceSize() {
		return "", errs.E(errs.Internal, "动态验证码密钥数据损坏")
	}
	out, err := g.Open(nil, b[:g.NonceSize()], b[g.NonceSize():], []byte(strconv.FormatInt(userID, 10)))
	if err != nil {
		return "", errs.E(errs.Internal, "动态验证码密钥无法解密（密钥文件已更换？），请联系安全管理员重置绑定")
	}
	return string(out), nil
}

// recoveryHash keys a recovery code to its account.
func (s *Service) recoveryHash(userID int64, code string) (string, error) {
	k, err := s.subKey("recovery code")
	if err != nil {
		return "", err
	}
	m := hmac.New(sha256.New, k)
	fmt.Fprintf(m, "%d:%s", userID, normaliseRecovery(code))
	return hex.EncodeToString(m.Sum(nil)), nil
}

// normaliseRecovery drops spaces and dashes and lowers the case, so a code
// typed as printed or without its dash is the same code.
func normaliseRecovery(code string) string {
	return strings.ToLower(strings.NewReplacer("-", "", " ", "").Replace(code))
}

type userTOTP struct {
	bun.BaseModel `bun:"table:user_totp"`

	UserID     int64      `bun:"user_id,pk"`
	SecretEnc  string     `bun:"secret_enc"`
	EnrolledAt *time.Time `bun:"enrolled_at"`
	LastStep   int64      `bun:"last_step"`
	CreatedAt  time.Time  `bun:"created_at"`
}

// matchStep returns the time step (one back to one ahead of now) whose code
// is code, or 0.
func (s *Service) matchStep(secret, code string) int64 {
	if len(code) != 6 {
		return 0
	}
	cur := s.now().Unix() / totpPeriod
	for st := cur - 1; st <= cur+1; st++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(st), totpOpts)
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return st
		}
	}
	return 0
}

// TOTPSetup is a new, unconfirmed binding: the secret as text, as the
// otpauth:// URL and as a QR code of that URL (a PNG data URL made here).
type TOTPSetup struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
	QR     string `json:"qr"`
}

// BeginTOTP starts (or restarts) the caller's binding. A bound account
// must have its binding reset by the security administrator first, so a
// stolen session cannot replace the owner's factor.
func (s *Service) BeginTOTP(ctx context.Context, a *access.Actor) (*TOTPSetup, error) {
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: a.Username, Period: totpPeriod,
		Digits: totpOpts.Digits, Algorithm: totpOpts.Algorithm})
	if err != nil {
		return nil, err
	}
	sealed, err := s.seal(a.UserID, key.Secret())
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var bound int
		if err := tx.NewRaw("SELECT COUNT(*) FROM user_totp WHERE user_id = ? AND enrolled_at IS NOT NULL", a.UserID).Scan(ctx, &bound); err != nil {
			return err
		}
		if bound > 0 {
			return errs.E(errs.Conflict, "已绑定动态验证码；如需更换手机，请联系安全管理员重置绑定")
		}
		if _, err := tx.NewRaw("DELETE FROM user_totp WHERE user_id = ?", a.UserID).Exec(ctx); err != nil {
			return err
		}
		_, err := tx.NewInsert().Model(&userTOTP{UserID: a.UserID, SecretEnc: sealed, CreatedAt: s.now()}).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	img, err := key.Image(240, 240)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return &TOTPSetup{Secret: key.Secret(), URL: key.URL(), QR: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// ConfirmTOTP completes the caller's binding with a first code and returns
// the recovery codes, shown this once.
func (s *Service) ConfirmTOTP(ctx context.Context, a *access.Actor, code string) ([]string, error) {
	code = strings.TrimSpace(code)
	var codes []string
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var t userTOTP
		if err := tx.NewSelect().Model(&t).Where("user_id = ? AND enrolled_at IS NULL", a.UserID).Scan(ctx); err != nil {
			return store.NotFoundAs(err, errs.E(errs.Invalid, "请先生成绑定二维码"))
		}
		secret, err := s.open(a.UserID, t.SecretEnc)
		if err != nil {
			return err
		}
		step := s.matchStep(secret, code)
		if step == 0 {
			return (&errs.Fields{"code": "验证码不正确，请核对手机时间后输入当前显示的6位数字"}).Err()
		}
		now := s.now()
		if _, err := tx.NewRaw("UPDATE user_totp SET enrolled_at = ?, last_step = ? WHERE user_id = ?", now, step, a.UserID).Exec(ctx); err != nil {
			return err
		}
		if codes, err = s.newRecoveryCodes(ctx, tx, a.UserID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTOTPEnrol, ObjectType: audit.User, ObjectID: a.UserID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("账号 %s 绑定动态验证码并生成%d个恢复码", a.Username, recoveryCount)})
	})
	return codes, err
}

// newRecoveryCodes replaces the account's recovery codes: ten of 10
// base32 characters (50 bits), printed as xxxxx-xxxxx.
func (s *Service) newRecoveryCodes(ctx context.Context, tx bun.IDB, userID int64) ([]string, error) {
	if _, err := tx.NewRaw("DELETE FROM user_recovery_codes WHERE user_id = ?", userID).Exec(ctx); err != nil {
		return nil, err
	}
	codes := make([]string, recoveryCount)
	for i := range codes {
		b := make([]byte, 10)
		rand.Read(b)
		c := strings.ToLower(base32.StdEncoding.EncodeToString(b))[:10]
		codes[i] = c[:5] + "-" + c[5:]
		h, err := s.recoveryHash(userID, c)
		if err != nil {
			return nil, err
		}
		if _, err := tx.NewRaw("INSERT INTO user_recovery_codes (user_id, code_hash) VALUES (?, ?)", userID, h).Exec(ctx); err != nil {
			return nil, err
		}
	}
	return codes, nil
}

// TOTPStatus is an account's binding as its owner sees it.
type TOTPStatus struct {
	Enrolled      bool       `json:"enrolled"`
	EnrolledAt    *time.Time `json:"enrolled_at"`
	Required      bool       `json:"required"` // the policy asks it of one of the account's roles
	RecoveryCodes int        `json:"recovery_codes_left"`
}

// TOTPStatusOf returns the caller's binding.
func (s *Service) TOTPStatusOf(ctx context.Context, a *access.Actor) (*TOTPStatus, error) {
	u, err := s.load(ctx, s.DB.R, a.UserID)
	if err != nil {
		return nil, err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	st := &TOTPStatus{Enrolled: u.TOTPEnrolledAt != nil, EnrolledAt: u.TOTPEnrolledAt, Required: pol.RequiresTOTP(u.Roles)}
	st.RecoveryCodes, err = s.DB.R.NewSelect().Table("user_recovery_codes").Where("user_id = ? AND used_at IS NULL", a.UserID).Count(ctx)
	return st, store.Translate(err)
}

// pendingLogin answers a right password of a bound account from ip with a
// ticket for the second step. The attempt at is taken back, as a right
// password is no failure, but its source stays unproven until the code:
// the counters go on, so the codes tried count with the passwords.
func (s *Service) pendingLogin(ctx context.Context, u *User, ip string, at *attempt) (*Login, error) {
	ticket := randomToken(32)
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("INSERT INTO login_tickets (id, user_id, expires_at) VALUES (?, ?, ?)", sha(ticket), u.ID, s.now().Add(ticketTTL)).Exec(ctx); err != nil {
			return err
		}
		return takeBack(ctx, tx, u.Username, ip, at)
	})
	if err != nil {
		return nil, err
	}
	return &Login{Ticket: ticket}, nil
}

// LoginCode is the second step of a login: the ticket of the first and a
// code from the authenticator, or a recovery code (used up by this).
func (s *Service) LoginCode(ctx context.Context, ticket, code, ip, userAgent string) (*Login, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, (&errs.Fields{"code": "请输入动态验证码或恢复码"}).Err()
	}
	expired := errs.E(errs.Unauthenticated, "验证已超时，请重新输入用户名和密码")
	var t struct {
		UserID    int64     `bun:"user_id"`
		ExpiresAt time.Time `bun:"expires_at"`
	}
	if err := s.DB.R.NewSelect().Table("login_tickets").Column("user_id", "expires_at").Where("id = ?", sha(ticket)).Scan(ctx, &t); err != nil {
		return nil, store.NotFoundAs(err, expired)
	}
	if !t.ExpiresAt.After(s.now()) {
		return nil, expired
	}
	u, err := s.load(ctx, s.DB.R, t.UserID)
	if err != nil {
		return nil, err
	}
	if !u.Active || u.AdminLocked {
		return nil, errs.E(errs.Locked, "账号已停用或锁定，请联系管理员")
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return nil, err
	}
	// A code is counted before it is checked, in the counters of the
	// passwords (throttle.go): waits and locks stop guessing either.
	at, err := s.count(ctx, u.Username, ip, pol)
	if err != nil {
		return nil, err
	}
	actor := &access.Actor{UserID: u.ID, Username: u.Username, Name: u.RealName, IP: ip}
	how, err := s.useCode(ctx, u.ID, code)
	if err != nil {
		return nil, err
	}
	if how == "" {
		return nil, s.codeFailed(ctx, ticket, u, actor, at, pol)
	}
	res, err := s.DB.W.NewRaw("DELETE FROM login_tickets WHERE id = ?", sha(ticket)).Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 { // a parallel request used it
		return nil, expired
	}
	return s.openSession(ctx, u, actor, userAgent, pol, at, how)
}

// useCode accepts a TOTP code of a step later than the last accepted one,
// or an unused recovery code, and uses it up. It returns how the account
// proved itself, or "" if the code is wrong or replayed.
func (s *Service) useCode(ctx context.Context, userID int64, code string) (string, error) {
	var t userTOTP
	if err := s.DB.R.NewSelect().Model(&t).Where("user_id = ? AND enrolled_at IS NOT NULL", userID).Scan(ctx); err != nil {
		return "", store.Translate(err)
	}
	if len(code) == 6 && strings.Trim(code, "0123456789") == "" {
		secret, err := s.open(userID, t.SecretEnc)
		if err != nil {
			return "", err
		}
		step := s.matchStep(secret, code)
		if step == 0 {
			return "", nil
		}
		// One statement, so two requests with the same code cannot both pass.
		res, err := s.DB.W.NewRaw("UPDATE user_totp SET last_step = ? WHERE user_id = ? AND last_step < ?", step, userID, step).Exec(ctx)
		if err != nil {
			return "", store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return "", nil
		}
		return "（动态验证码）", nil
	}
	h, err := s.recoveryHash(userID, code)
	if err != nil {
		return "", err
	}
	res, err := s.DB.W.NewRaw("UPDATE user_recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL", s.now(), userID, h).Exec(ctx)
	if err != nil {
		return "", store.Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	return "（恢复码）", nil
}

// codeFailed answers a wrong or replayed code as a wrong password is
// answered (failed), the tries left as the code field's error; a lock also
// voids the ticket.
func (s *Service) codeFailed(ctx context.Context, ticket string, u *User, actor *access.Actor, at *attempt, pol Policy) error {
	err := s.failed(ctx, actor, u, u.Username, at, pol, s.now(), "密码或动态验证码")
	switch {
	case errs.Is(err, errs.Unauthenticated):
		return (&errs.Fields{"code": fmt.Sprintf("验证码错误或已使用过，还可尝试%d次", pol.LockoutThreshold-at.failures)}).Err()
	case errs.Is(err, errs.Locked):
		if _, derr := s.DB.W.NewRaw("DELETE FROM login_tickets WHERE id = ?", sha(ticket)).Exec(ctx); derr != nil {
			return store.Translate(derr)
		}
	}
	return err
}

// ResetTOTP removes an account's binding and recovery codes and ends its
// sessions and pending logins; the owner binds again at the next login if
// the policy requires it. The security administrator does it for accounts
// it may manage (canManage).
func (s *Service) ResetTOTP(ctx context.Context, a *access.Actor, id int64) (*User, error) {
	return s.mutate(ctx, a, id, func(tx bun.Tx, u *User) (audit.Event, error) {
		for _, q := range []string{"DELETE FROM user_totp WHERE user_id = ?", "DELETE FROM user_recovery_codes WHERE user_id = ?",
			"DELETE FROM login_tickets WHERE user_id = ?"} {
			if _, err := tx.NewRaw(q, u.ID).Exec(ctx); err != nil {
				return audit.Event{}, err
			}
		}
		return audit.Event{Action: actTOTPReset, Summary: fmt.Sprintf("重置账号 %s（%s）的动态验证码绑定", u.Username, u.RealName)}, dropSessions(ctx, tx, u.ID)
	})
}
