package auth

import (
	"context"
	"crypto/rand"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Password resets (issue 19 item 1). An administrator's reset never shows
// a password to anyone but the owner: it issues a one-time code (random,
// argon2id-hashed, single use, 24 hours) that the owner enters on the
// login page with a new password of its own choosing. The code goes by SMS
// to the account's phone; where no SMS sender is configured or the account
// has no phone, the request waits until a second administrator approves it,
// and the approval shows a one-time link once. The city's three
// administrators reset one another only two together (access.DualControl):
// one asks, the third approves.

var (
	actResetRequest  = audit.NewAction("user.reset_request", "申请重置密码")
	actResetApprove  = audit.NewAction("user.reset_approve", "审批重置密码")
	actResetCode     = audit.NewAction("auth.reset_code", "使用验证码设置新密码")
	actResetCodeFail = audit.NewAction("auth.reset_code_failed", "验证码错误")
)

// ResetTTL is how long a reset request waits for approval and how long an
// issued code lives.
const ResetTTL = 24 * time.Hour

// resetMaxAttempts wrong codes burn the code.
const resetMaxAttempts = 5

// passwordReset is a row of password_resets.
type passwordReset struct {
	bun.BaseModel `bun:"table:password_resets"`

	ID          int64      `bun:"id,pk,autoincrement"`
	UserID      int64      `bun:"user_id"`
	RequestedBy int64      `bun:"requested_by"`
	ApprovedBy  *int64     `bun:"approved_by"`
	CodeHash    string     `bun:"code_hash"`
	Delivery    string     `bun:"delivery"`
	Attempts    int        `bun:"attempts"`
	CreatedAt   time.Time  `bun:"created_at"`
	ExpiresAt   time.Time  `bun:"expires_at"`
	UsedAt      *time.Time `bun:"used_at"`
}

// Reset is the answer to a reset request or its approval.
type Reset struct {
	ID        int64     `json:"id"`
	Status    string    `json:"status"`          // sms: the code was texted; pending: waits for a second administrator; link: Link holds the code
	Phone     string    `json:"phone,omitempty"` // masked, for sms
	Link      string    `json:"link,omitempty"`  // the one-time link, shown once (status link)
	ExpiresAt time.Time `json:"expires_at"`
	Message   string    `json:"message"`
}

// PendingReset is a reset request waiting for the actor's approval.
type PendingReset struct {
	ID            int64     `json:"id" bun:"id"`
	UserID        int64     `json:"user_id" bun:"user_id"`
	Username      string    `json:"username" bun:"username"`
	RealName      string    `json:"real_name" bun:"real_name"`
	ScopeName     string    `json:"scope_name" bun:"scope_name"`
	RequestedBy   string    `json:"requested_by" bun:"requested_by"`
	RequestedByID int64     `json:"-" bun:"requested_by_id"`
	CreatedAt     time.Time `json:"created_at" bun:"created_at"`
	ExpiresAt     time.Time `json:"expires_at" bun:"expires_at"`
}

// mayReset returns nil when the actor may act on u's password alone, or
// as the second of the city's three administrators (dual true).
func mayReset(a *access.Actor, u *User) (dual bool, err error) {
	if err := canManage(a, u); err != nil {
		if access.DualControl(a, u.account()) {
			return true, nil
		}
		return false, err
	}
	return false, nil
}

// ResetPassword resets account id's password: the code goes by SMS at
// once, or the request waits for a second administrator (no SMS or no
// phone, or a reset among the city's three administrators).
func (s *Service) ResetPassword(ctx context.Context, a *access.Actor, id int64) (*Reset, error) {
	var out *Reset
	defer s.Revoked.Notify(id) // a reset ends the account's open streams at once
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		dual, err := mayReset(a, u)
		if err != nil {
			return err
		}
		now := s.now()
		// A new request replaces any earlier one of the account.
		if _, err := tx.NewRaw("UPDATE password_resets SET expires_at = ? WHERE user_id = ? AND used_at IS NULL AND expires_at > ?", now, u.ID, now).Exec(ctx); err != nil {
			return err
		}
		r := &passwordReset{UserID: u.ID, RequestedBy: a.UserID, CreatedAt: now, ExpiresAt: now.Add(ResetTTL)}
		if !dual && s.canText(u) {
			out, err = s.issue(ctx, tx, a, u, r, actUserResetPassword, fmt.Sprintf("重置账号 %s（%s）的密码", u.Username, u.RealName))
			return err
		}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		why := "未配置短信或账号无手机号"
		if dual {
			why = "三员之间须两人共同办理"
		}
		out = &Reset{ID: r.ID, Status: "pending", ExpiresAt: r.ExpiresAt,
			Message: fmt.Sprintf("%s，已提交重置申请，须另一名有权管理该账号的管理员在%d小时内审批", why, int(ResetTTL.Hours()))}
		return audit.Record(ctx, tx, a, audit.Event{Action: actResetRequest, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
			Summary: fmt.Sprintf("申请重置账号 %s（%s）的密码（%s，待审批）", u.Username, u.RealName, why)})
	})
	return out, err
}

// ApproveReset approves a waiting reset request as a second administrator
// who may act on the account itself and is not the one who asked; the
// code is then texted, or, without SMS, shown once as a link.
func (s *Service) ApproveReset(ctx context.Context, a *access.Actor, resetID int64) (*Reset, error) {
	var out *Reset
	var target int64
	defer func() { s.Revoked.Notify(target) }() // the account's open streams end at once
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		r := new(passwordReset)
		if err := tx.NewSelect().Model(r).Where("id = ?", resetID).Scan(ctx); err != nil {
			return store.NotFoundAs(err, errs.E(errs.NotFound, "重置申请不存在或已删除"))
		}
		now := s.now()
		if r.CodeHash != "" || !r.ExpiresAt.After(now) {
			return errs.E(errs.Conflict, "该重置申请已审批、已被新的申请取代或已过期")
		}
		u, err := s.load(ctx, tx, r.UserID)
		if err != nil {
			return err
		}
		target = u.ID
		if _, err := mayReset(a, u); err != nil {
			return err
		}
		if r.RequestedBy == a.UserID {
			return errs.E(errs.Forbidden, "不能审批自己提交的重置申请，须由另一名管理员审批")
		}
		var requester string
		if err := tx.NewSelect().Table("users").Column("username").Where("id = ?", r.RequestedBy).Scan(ctx, &requester); err != nil {
			return store.Translate(err)
		}
		r.ApprovedBy, r.ExpiresAt = &a.UserID, now.Add(ResetTTL)
		out, err = s.issue(ctx, tx, a, u, r, actResetApprove,
			fmt.Sprintf("审批 %s 的申请，重置账号 %s（%s）的密码", requester, u.Username, u.RealName))
		return err
	})
	return out, err
}

// PendingResets lists the waiting reset requests the actor may approve.
func (s *Service) PendingResets(ctx context.Context, a *access.Actor) ([]*PendingReset, error) {
	var rows []*PendingReset
	err := s.DB.R.NewSelect().TableExpr("password_resets AS r").
		ColumnExpr("r.id, r.user_id, u.username, u.real_name, n.name AS scope_name, q.real_name AS requested_by, r.requested_by AS requested_by_id, r.created_at, r.expires_at").
		Join("JOIN users AS u ON u.id = r.user_id").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Join("JOIN users AS q ON q.id = r.requested_by").
		Where("r.code_hash = '' AND r.expires_at > ? AND r.requested_by <> ?", s.now(), a.UserID).
		Where("n.path LIKE ?", a.ScopePath+"%").
		OrderExpr("r.id").Scan(ctx, &rows)
	if err != nil {
		return nil, store.Translate(err)
	}
	out := []*PendingReset{}
	for _, p := range rows {
		u, err := s.load(ctx, s.DB.R, p.UserID)
		if err != nil {
			return nil, err
		}
		if _, err := mayReset(a, u); err == nil {
			out = append(out, p)
		}
	}
	return out, nil
}

func (s *Service) canText(u *User) bool { return s.SMS != nil && u.Phone != "" }

// issue makes the code of reset r for account u, texts it or puts it in a
// link, invalidates the account's password and sessions, and records ev.
func (s *Service) issue(ctx context.Context, tx bun.Tx, a *access.Actor, u *User, r *passwordReset, act audit.Action, summary string) (*Reset, error) {
	code := resetCode()
	hash, err := HashPassword(code)
	if err != nil {
		return nil, errs.Wrap(err, "hash")
	}
	r.CodeHash = hash
	out := &Reset{ExpiresAt: r.ExpiresAt}
	if s.canText(u) {
		r.Delivery, out.Status, out.Phone = "sms", "sms", maskPhone(u.Phone)
		text := fmt.Sprintf("【常州公务用车】您的账号 %s 的密码已由管理员重置，一次性验证码：%s，%d小时内有效，仅可使用一次。请在登录页选择「使用一次性验证码设置新密码」。如非本人申请，请联系安全管理员。",
			u.Username, code, int(ResetTTL.Hours()))
		// Inside the transaction: a code that could not be sent changes nothing.
		if err := s.SMS.Send(ctx, u.Phone, text); err != nil {
			return nil, errs.E(errs.Internal, "验证码短信发送失败，密码未重置，请稍后重试")
		}
		out.Message = fmt.Sprintf("一次性验证码已通过短信发送至 %s，用户凭验证码在登录页设置新密码", out.Phone)
		summary += "，一次性验证码已短信发送至 " + out.Phone
	} else {
		r.Delivery, out.Status = "link", "link"
		out.Link = "/login?" + url.Values{"reset": {u.Username}, "code": {code}}.Encode()
		out.Message = "请将一次性链接当面或通过可靠渠道交给用户本人，链接只显示这一次"
		summary += "，一次性链接已向审批人显示一次"
	}
	if r.ID == 0 {
		_, err = tx.NewInsert().Model(r).Exec(ctx)
	} else {
		_, err = tx.NewUpdate().Model(r).WherePK().Exec(ctx)
	}
	if err != nil {
		return nil, err
	}
	out.ID = r.ID
	before := u.auditView()
	// The old password stops working (the account may be compromised): the
	// owner sets a new one with the code.
	if _, err := tx.NewRaw("UPDATE users SET password_hash = '!', must_change_password = ?, locked_until = NULL, updated_at = ? WHERE id = ?",
		true, s.now(), u.ID).Exec(ctx); err != nil {
		return nil, err
	}
	if err := clearAttempts(ctx, tx, u.Username); err != nil {
		return nil, err
	}
	if err := s.revokeCredentials(ctx, tx, a, u, "重置密码"); err != nil { // issue 19 item 5
		return nil, err
	}
	if err := dropSessions(ctx, tx, u.ID); err != nil {
		return nil, err
	}
	return out, audit.Record(ctx, tx, a, audit.Event{Action: act, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
		Summary: summary, Before: before, After: u.auditView()})
}

// UseResetCode sets the password of username with a one-time code. Wrong
// codes count; the fifth burns the code. The answer is the same for an
// unknown name, a wrong code and an expired one.
func (s *Service) UseResetCode(ctx context.Context, username, code, newPw, ip string) error {
	username, code = strings.TrimSpace(username), strings.ToUpper(strings.TrimSpace(code))
	var f errs.Fields
	f.Check(username == "", "username", "请输入用户名")
	f.Check(code == "", "code", "请输入一次性验证码")
	f.Check(newPw == "", "new_password", "请输入新密码")
	if err := f.Err(); err != nil {
		return err
	}
	pol, err := s.Policy(ctx)
	if err != nil {
		return err
	}
	invalid := (&errs.Fields{"code": "验证码无效或已过期，请联系管理员重新重置"}).Err()
	var u User
	if err := s.selectUsers(s.DB.R).Where("u.username = ?", username).Scan(ctx, &u); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			CheckPassword(dummyHash(), code)
			return invalid
		}
		return store.Translate(err)
	}
	if msg := PasswordProblem(newPw, u.Username, pol.PasswordMinLength); msg != "" {
		return (&errs.Fields{"new_password": msg}).Err()
	}
	now := s.now()
	r := new(passwordReset)
	err = s.DB.R.NewSelect().Model(r).Where("user_id = ? AND code_hash <> '' AND used_at IS NULL AND expires_at > ?", u.ID, now).
		Order("id DESC").Limit(1).Scan(ctx)
	if errs.Is(store.Translate(err), errs.NotFound) {
		CheckPassword(dummyHash(), code)
		return invalid
	} else if err != nil {
		return store.Translate(err)
	}
	actor := &access.Actor{UserID: u.ID, Username: u.Username, Name: u.RealName, ScopePath: u.ScopePath, IP: ip}
	if !CheckPassword(r.CodeHash, code) {
		err := s.DB.Tx(ctx, func(tx bun.Tx) error {
			// Count in the database so concurrent attempts all count.
			var n int
			if err := tx.NewRaw("UPDATE password_resets SET attempts = attempts + 1 WHERE id = ? RETURNING attempts", r.ID).Scan(ctx, &n); err != nil {
				return err
			}
			summary := fmt.Sprintf("账号 %s 输入的一次性验证码错误（第%d次）", u.Username, n)
			if n >= resetMaxAttempts {
				if _, err := tx.NewRaw("UPDATE password_resets SET expires_at = ? WHERE id = ?", now, r.ID).Exec(ctx); err != nil {
					return err
				}
				summary += "，验证码作废"
			}
			return audit.Record(ctx, tx, actor, audit.Event{Action: actResetCodeFail, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath, Summary: summary})
		})
		if err != nil {
			return err
		}
		return invalid
	}
	hash, err := HashPassword(newPw)
	if err != nil {
		return errs.Wrap(err, "hash")
	}
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE password_resets SET used_at = ? WHERE id = ? AND used_at IS NULL AND expires_at > ?", now, r.ID, now).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 { // used by a concurrent request
			return invalid
		}
		if _, err := tx.NewRaw("UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ?, locked_until = NULL, updated_at = ? WHERE id = ?",
			hash, false, now, now, u.ID).Exec(ctx); err != nil {
			return err
		}
		if err := clearAttempts(ctx, tx, u.Username); err != nil {
			return err
		}
		return audit.Record(ctx, tx, actor, audit.Event{Action: actResetCode, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
			Summary: fmt.Sprintf("账号 %s 使用一次性验证码设置了新密码", u.Username)})
	})
}

// resetCode returns a 10-character code (about 50 bits) from an alphabet
// without look-alike characters.
func resetCode() string {
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789" // 32 symbols: no bias from the mask
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	for i := range b {
		b[i] = alphabet[b[i]&31]
	}
	return string(b)
}

// maskPhone shows a mobile number as 138****0001.
func maskPhone(p string) string {
	if len(p) < 7 {
		return p
	}
	return p[:3] + strings.Repeat("*", len(p)-7) + p[len(p)-4:]
}
