// Package visitors is visiting officials on the phone (R-19, issue 22 part
// 6): a visitor registers with a mobile verified by an SMS code, is
// verified by its home city's platform (HomeVerifier, when the city is a
// partner) or by the host unit's approver, logs in with its mobile and the
// password it chose, and books a Changzhou platform vehicle in paid use, a
// rental vehicle (both an order of the city for its dispatcher) or a
// ride-hailing car of a ridehail.Provider. docs/visitors.md.
package visitors

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/ridehail"
	"govfleet/internal/store"
)

func init() {
	store.RegisterUnique("visitors", "mobile", "mobile", "该手机号已注册，请直接登录")
}

// The audit log's actions recorded here.
var (
	actRegister    = audit.NewAction("visitor.register", "来访人员注册")
	actVerify      = audit.NewAction("visitor.verify", "来访人员核验通过")
	actRefuse      = audit.NewAction("visitor.refuse", "来访人员核验不通过")
	actBook        = audit.NewAction("visitor.book", "来访人员预约用车")
	actRideUpdate  = audit.NewAction("visitor.ride_callback", "网约车状态回调")
	actRideRate    = audit.NewAction("visitor.rate", "来访人员评价用车")
	actFee         = audit.NewAction("visitor.fee", "有偿使用费用核算")
	actReconcile   = audit.NewAction("ridehail.reconcile", "网约车月度对账")
	actCodeRefused = audit.NewAction("visitor.code_refused", "短信验证码校验失败")
)

// Registration states.
const (
	Pending  = "pending"  // 待核验
	Verified = "verified" // 已核验
	Refused  = "refused"  // 核验未通过
)

// StateNames are the registration states' Chinese names.
var StateNames = map[string]string{Pending: "待核验", Verified: "已核验", Refused: "核验未通过"}

// Verdict is a home platform's answer about a visitor.
type Verdict int

const (
	NotPartner Verdict = iota // the home city is no partner: the host unit's approver verifies
	Confirmed                 // the home platform confirms the visitor works at the unit
	Denied                    // the home platform does not know the visitor there
)

// HomeVerifier asks a visitor's home platform whether the visitor is who it
// says (issue 22 part 1 builds the partner platforms). The lead wires it
// after the merge, e.g. a closure over partner.VerifyVisitor that maps the
// home city to its partner id and answers NotPartner for any other city.
// Nil: every registration waits for the host unit's approver.
type HomeVerifier interface {
	VerifyVisitor(ctx context.Context, homeCity, name, mobile, unitName string) (Verdict, error)
}

// Limits bound the SMS codes.
type Limits struct {
	CodeTTL        time.Duration // a code's life
	CodeTries      int           // wrong tries that burn a code
	MobileGap      time.Duration // between two codes to one mobile
	MobilePerHour  int           // codes to one mobile an hour
	AddressPerHour int           // codes asked from one address an hour
	MaxCapFen      int64         // the largest amount cap of a ride-hailing application
}

// DefaultLimits are the limits of a Service whose Limits are zero.
var DefaultLimits = Limits{CodeTTL: 10 * time.Minute, CodeTries: 5, MobileGap: time.Minute, MobilePerHour: 5, AddressPerHour: 20, MaxCapFen: 50000}

// Service runs the visitors' registrations and bookings.
type Service struct {
	DB      *store.DB
	Auth    *auth.Service
	Booking *booking.Service
	Notify  *notify.Notifier
	SMS     notify.SMSSender
	Home    HomeVerifier      // nil: the host unit's approver verifies every registration
	Ride    ridehail.Provider // nil: no ride-hailing
	// CallbackURL is where the provider sends its callbacks
	// (…/api/ridehail/callback on this server).
	CallbackURL string
	Limits      Limits
	Now         func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) limits() Limits {
	if s.Limits.CodeTTL == 0 {
		return DefaultLimits
	}
	return s.Limits
}

// Visitor is a registration.
type Visitor struct {
	bun.BaseModel `bun:"table:visitors"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	UserID      int64      `bun:"user_id" json:"-"`
	Name        string     `bun:"name" json:"name"`
	Mobile      string     `bun:"mobile" json:"mobile"`
	HomeCity    string     `bun:"home_city" json:"home_city"`
	HomeUnit    string     `bun:"home_unit" json:"home_unit"`
	HostUnitID  int64      `bun:"host_unit_id" json:"host_unit_id"`
	Purpose     string     `bun:"purpose" json:"purpose"`
	State       string     `bun:"state" json:"state"`
	VerifiedBy  string     `bun:"verified_by" json:"verified_by"`
	DecidedBy   *int64     `bun:"decided_by" json:"-"`
	DecidedName string     `bun:"decided_name" json:"decided_name"`
	Reason      string     `bun:"reason" json:"reason"`
	DecidedAt   *time.Time `bun:"decided_at" json:"decided_at"`
	CreatedAt   time.Time  `bun:"created_at" json:"created_at"`

	HostUnitName string `bun:"host_unit_name,scanonly" json:"host_unit_name"`
	HostUnitPath string `bun:"host_unit_path,scanonly" json:"-"`
	Bookings     int    `bun:"bookings,scanonly" json:"bookings"`
	StateName    string `bun:"-" json:"state_name"`
	VerifiedName string `bun:"-" json:"verified_by_name"`
}

func (v *Visitor) fill() {
	v.StateName = StateNames[v.State]
	switch v.VerifiedBy {
	case "partner":
		v.VerifiedName = "来源地平台核验"
	case "approver":
		v.VerifiedName = "接待单位审核员核验"
	}
}

func (s *Service) selectVisitors(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Visitor)(nil)).ModelTableExpr("visitors AS v").ColumnExpr("v.*").
		ColumnExpr("u.name AS host_unit_name, u.path AS host_unit_path").
		ColumnExpr("(SELECT COUNT(*) FROM visitor_bookings b WHERE b.visitor_id = v.id) AS bookings").
		Join("JOIN units AS u ON u.id = v.host_unit_id")
}

func (s *Service) loadVisitor(ctx context.Context, db bun.IDB, where string, arg any) (*Visitor, error) {
	v := new(Visitor)
	if err := s.selectVisitors(db).Where(where, arg).Scan(ctx, v); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "来访人员登记不存在"))
	}
	v.fill()
	return v, nil
}

var mobileRe = regexp.MustCompile(`^1[3-9][0-9]{9}$`)

func normaliseMobile(m string) string {
	m = strings.TrimSpace(strings.NewReplacer(" ", "", "-", "").Replace(m))
	return strings.TrimPrefix(m, "+86")
}

// ---- SMS codes ----

// Code purposes.
const PurposeRegister = "register"

func codeHash(salt, mobile, code string) string {
	h := sha256.Sum256([]byte(salt + "\n" + mobile + "\n" + code))
	return hex.EncodeToString(h[:])
}

// SendCode texts a six-digit code to mobile for the registration. Limits:
// one code a minute and five an hour per mobile, twenty an hour per
// address; a mobile already registered gets none.
func (s *Service) SendCode(ctx context.Context, mobile, ip string) error {
	mobile = normaliseMobile(mobile)
	if !mobileRe.MatchString(mobile) {
		return (&errs.Fields{"mobile": "请填写11位手机号码"}).Err()
	}
	lim, now := s.limits(), s.now()
	n, err := s.DB.R.NewSelect().Table("visitors").Where("mobile = ?", mobile).Count(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if n > 0 {
		return (&errs.Fields{"mobile": "该手机号已注册，请直接登录"}).Err()
	}
	code, _ := rand.Int(rand.Reader, big.NewInt(1000000))
	text := fmt.Sprintf("%06d", code.Int64())
	salt := hex.EncodeToString(randBytes(8))
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var last time.Time
		var recent int
		if err := tx.NewSelect().Table("sms_codes").ColumnExpr("COUNT(*)").Where("mobile = ? AND created_at > ?", mobile, now.Add(-time.Hour)).Scan(ctx, &recent); err != nil {
			return err
		}
		if recent >= lim.MobilePerHour {
			return errs.E(errs.TooManyRequests, "该手机号一小时内获取验证码次数过多，请稍后再试")
		}
		if recent > 0 {
			if err := tx.NewSelect().Table("sms_codes").ColumnExpr("MAX(created_at)").Where("mobile = ?", mobile).Scan(ctx, &last); err != nil {
				return err
			}
			if now.Sub(last) < lim.MobileGap {
				return errs.E(errs.TooManyRequests, "验证码已发送，请%d秒后再获取", int((lim.MobileGap-now.Sub(last)).Seconds())+1)
			}
		}
		var fromIP int
		if err := tx.NewSelect().Table("sms_codes").ColumnExpr("COUNT(*)").Where("ip = ? AND created_at > ?", ip, now.Add(-time.Hour)).Scan(ctx, &fromIP); err != nil {
			return err
		}
		if fromIP >= lim.AddressPerHour {
			return errs.E(errs.TooManyRequests, "本网络一小时内获取验证码次数过多，请稍后再试")
		}
		_, err := tx.NewRaw("INSERT INTO sms_codes (mobile, purpose, salt, code_hash, ip, tries, expires_at, created_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
			mobile, PurposeRegister, salt, codeHash(salt, mobile, text), ip, now.Add(lim.CodeTTL), now).Exec(ctx)
		return err
	})
	if err != nil {
		return err
	}
	if s.SMS == nil {
		return errs.E(errs.Internal, "短信服务未配置，无法发送验证码")
	}
	return s.SMS.Send(ctx, mobile, fmt.Sprintf("【常州公务用车平台】来访人员注册验证码：%s，%d分钟内有效。如非本人操作请忽略。", text, int(lim.CodeTTL.Minutes())))
}

func randBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// codeRefusal is a code refused inside the registration's transaction: the
// transaction rolls back, then record writes the wrong try and the audit
// entry on their own.
type codeRefusal struct {
	id    int64 // the code whose try counts (0: none)
	field string
	msg   string
}

func (c *codeRefusal) Error() string { return c.msg }

// useCode checks the latest code of mobile inside tx and marks it used.
func (s *Service) useCode(ctx context.Context, tx bun.Tx, mobile, code string) error {
	lim, now := s.limits(), s.now()
	var c struct {
		ID        int64      `bun:"id"`
		Salt      string     `bun:"salt"`
		Hash      string     `bun:"code_hash"`
		Tries     int        `bun:"tries"`
		ExpiresAt time.Time  `bun:"expires_at"`
		UsedAt    *time.Time `bun:"used_at"`
	}
	err := tx.NewSelect().Table("sms_codes").Column("id", "salt", "code_hash", "tries", "expires_at", "used_at").
		Where("mobile = ? AND purpose = ?", mobile, PurposeRegister).OrderExpr("id DESC").Limit(1).Scan(ctx, &c)
	if errs.Is(store.Translate(err), errs.NotFound) {
		return &codeRefusal{msg: "请先获取短信验证码"}
	} else if err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	switch {
	case c.UsedAt != nil:
		return &codeRefusal{msg: "验证码已使用，请重新获取"}
	case c.Tries >= lim.CodeTries:
		return &codeRefusal{msg: "验证码错误次数过多已失效，请重新获取"}
	case now.After(c.ExpiresAt):
		return &codeRefusal{msg: "验证码已过期，请重新获取"}
	case codeHash(c.Salt, mobile, code) != c.Hash:
		if left := lim.CodeTries - c.Tries - 1; left > 0 {
			return &codeRefusal{id: c.ID, msg: fmt.Sprintf("验证码错误，还可尝试%d次", left)}
		}
		return &codeRefusal{id: c.ID, msg: "验证码错误次数过多已失效，请重新获取"}
	}
	_, err = tx.NewRaw("UPDATE sms_codes SET used_at = ? WHERE id = ?", now, c.ID).Exec(ctx)
	return err
}

// record counts the wrong try and writes the refusal in the audit log, on
// its own, and returns the field error the visitor sees.
func (c *codeRefusal) record(ctx context.Context, db *store.DB, mobile, ip string) error {
	err := db.Tx(context.WithoutCancel(ctx), func(tx bun.Tx) error {
		if c.id != 0 {
			if _, err := tx.NewRaw("UPDATE sms_codes SET tries = tries + 1 WHERE id = ?", c.id).Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, &access.Actor{IP: ip, Name: "来访人员 " + maskMobile(mobile)}, audit.Event{Action: actCodeRefused,
			ObjectType: audit.Visitor, ScopePath: "/", Summary: fmt.Sprintf("手机号 %s 注册：%s", maskMobile(mobile), c.msg)})
	})
	if err != nil {
		return err
	}
	return (&errs.Fields{"code": c.msg}).Err()
}

func maskMobile(m string) string {
	if len(m) != 11 {
		return m
	}
	return m[:3] + "****" + m[7:]
}

// ---- registration ----

// RegisterInput is what a visitor fills in on the phone.
type RegisterInput struct {
	Name       string `json:"name" max:"40"`
	Mobile     string `json:"mobile" max:"20"`
	Code       string `json:"code" max:"10"`
	HomeCity   string `json:"home_city" max:"40"`
	HomeUnit   string `json:"home_unit" max:"100"`
	HostUnitID int64  `json:"host_unit_id"`
	Purpose    string `json:"purpose" max:"200"`
	Password   string `json:"password" max:"128"`
}

// Username is the account name of a visitor's mobile.
func Username(mobile string) string { return "v" + mobile }

// Register opens a visitor's account and registration. With a
// HomeVerifier and a partner home city, the home platform's confirmation
// verifies it at once; otherwise (or when the home platform does not
// confirm) it waits for the host unit's approver.
func (s *Service) Register(ctx context.Context, ip string, in RegisterInput) (*Visitor, error) {
	in.Name, in.HomeCity, in.HomeUnit, in.Purpose = strings.TrimSpace(in.Name), strings.TrimSpace(in.HomeCity), strings.TrimSpace(in.HomeUnit), strings.TrimSpace(in.Purpose)
	in.Mobile = normaliseMobile(in.Mobile)
	var f errs.Fields
	f.Check(in.Name == "", "name", "请填写姓名")
	f.Check(utf8.RuneCountInString(in.Name) > 40, "name", "姓名不能超过40字")
	f.Check(!mobileRe.MatchString(in.Mobile), "mobile", "请填写11位手机号码")
	f.Check(strings.TrimSpace(in.Code) == "", "code", "请填写短信验证码")
	f.Check(in.HomeCity == "", "home_city", "请填写来自的城市")
	f.Check(in.HomeUnit == "", "home_unit", "请填写工作单位")
	f.Check(in.HostUnitID == 0, "host_unit_id", "请选择接待单位")
	pol, err := s.Auth.Policy(ctx)
	if err != nil {
		return nil, err
	}
	if p := auth.PasswordProblem(in.Password, Username(in.Mobile), pol.PasswordMinLength); p != "" {
		f.Add("password", p)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	// The home platform, outside the transaction (a network call), asked
	// only with a live code for the mobile (checked again, and used, in the
	// transaction).
	verdict, homeNote := NotPartner, ""
	live, err := s.DB.R.NewSelect().Table("sms_codes").Where("mobile = ? AND used_at IS NULL AND expires_at > ? AND tries < ?", in.Mobile, s.now(), s.limits().CodeTries).Count(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	if s.Home != nil && live > 0 {
		v, err := s.Home.VerifyVisitor(ctx, in.HomeCity, in.Name, in.Mobile, in.HomeUnit)
		switch {
		case err != nil:
			homeNote = "来源地平台暂时无法核验，转接待单位审核"
		case v == Denied:
			homeNote = "来源地平台未能确认身份，转接待单位审核"
		default:
			verdict = v
		}
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, errs.Wrap(err, "hash")
	}
	var id int64
	var msgs []notify.Message
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var host struct {
			Name   string `bun:"name"`
			Path   string `bun:"path"`
			Kind   string `bun:"kind"`
			Active bool   `bun:"active"`
		}
		if err := tx.NewSelect().Table("units").Column("name", "path", "kind", "active").Where("id = ?", in.HostUnitID).Scan(ctx, &host); err != nil {
			return store.NotFoundAs(err, (&errs.Fields{"host_unit_id": "接待单位不存在"}).Err())
		}
		if host.Kind != "unit" || !host.Active {
			return (&errs.Fields{"host_unit_id": fmt.Sprintf("「%s」不能作为接待单位", host.Name)}).Err()
		}
		if err := s.useCode(ctx, tx, in.Mobile, in.Code); err != nil {
			return err
		}
		now := s.now()
		var uid int64
		err := tx.NewRaw(`INSERT INTO users (username, real_name, phone, scope_id, password_hash, must_change_password, admin_locked, active, password_changed_at, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, FALSE, FALSE, TRUE, ?, ?, ?) RETURNING id`, Username(in.Mobile), in.Name, in.Mobile, in.HostUnitID, hash, now, now, now).Scan(ctx, &uid)
		if err != nil {
			if errs.Is(store.Translate(err), errs.Conflict) {
				return (&errs.Fields{"mobile": "该手机号已注册，请直接登录"}).Err()
			}
			return err
		}
		if _, err := tx.NewRaw("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", uid, string(access.Visitor)).Exec(ctx); err != nil {
			return err
		}
		v := &Visitor{UserID: uid, Name: in.Name, Mobile: in.Mobile, HomeCity: in.HomeCity, HomeUnit: in.HomeUnit, HostUnitID: in.HostUnitID,
			Purpose: in.Purpose, State: Pending, Reason: homeNote, CreatedAt: now}
		if verdict == Confirmed {
			v.State, v.VerifiedBy, v.DecidedName, v.DecidedAt = Verified, "partner", in.HomeCity+"公务用车平台", &now
		}
		if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
			return err
		}
		id = v.ID
		a := &access.Actor{UserID: uid, Username: Username(in.Mobile), Name: in.Name, IP: ip}
		if v.State == Pending {
			ns, err := notify.Recipients(ctx, tx, access.Approver, host.Path)
			if err != nil {
				return err
			}
			msgs = append(msgs, notify.Message{Users: ns, Kind: "visitor", Title: "来访人员待核验",
				Body: fmt.Sprintf("%s（%s %s）登记来访%s", in.Name, in.HomeCity, in.HomeUnit, host.Name), Link: "/visitors?state=pending"})
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRegister, ObjectType: audit.Visitor, ObjectID: v.ID, ScopePath: host.Path,
			Summary: fmt.Sprintf("%s（%s %s）登记来访「%s」，%s", in.Name, in.HomeCity, in.HomeUnit, host.Name, StateNames[v.State]),
			After:   map[string]any{"name": v.Name, "mobile": maskMobile(v.Mobile), "home_city": v.HomeCity, "home_unit": v.HomeUnit, "state": v.State}})
	})
	var cr *codeRefusal
	if errors.As(err, &cr) {
		return nil, cr.record(ctx, s.DB, in.Mobile, ip)
	}
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msgs...)
	return s.loadVisitor(ctx, s.DB.R, "v.id = ?", id)
}

// UsernameOf returns the account name of a registered mobile, for the
// visitors' login by mobile and password.
func (s *Service) UsernameOf(ctx context.Context, mobile string) (string, error) {
	mobile = normaliseMobile(mobile)
	var name string
	err := s.DB.R.NewSelect().TableExpr("visitors AS v").ColumnExpr("u.username").Join("JOIN users AS u ON u.id = v.user_id").
		Where("v.mobile = ?", mobile).Scan(ctx, &name)
	if errs.Is(store.Translate(err), errs.NotFound) {
		return Username(mobile), nil // refused by the login like an unknown name
	}
	return name, store.Translate(err)
}

// HostUnit is a unit a visitor may name as its host.
type HostUnit struct {
	ID       int64  `bun:"id" json:"id"`
	Name     string `bun:"name" json:"name"`
	District string `bun:"district" json:"district"`
}

// HostUnits lists the active units (the registration form's choice).
func (s *Service) HostUnits(ctx context.Context) ([]HostUnit, error) {
	out := []HostUnit{}
	err := s.DB.R.NewSelect().TableExpr("units AS u").ColumnExpr("u.id, u.name, COALESCE(d.name, '') AS district").
		Join("LEFT JOIN units AS d ON d.id = u.district_id").
		Where("u.kind = 'unit' AND u.active = ?", true).OrderExpr("u.path").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Me returns the caller's own registration.
func (s *Service) Me(ctx context.Context, a *access.Actor) (*Visitor, error) {
	return s.loadVisitor(ctx, s.DB.R, "v.user_id = ?", a.UserID)
}

// Filter selects registrations.
type Filter struct {
	UnitID int64  // host units in this node's subtree (0: the caller's scope)
	State  string // pending | verified | refused
	Q      string // part of the name, mobile, home city or unit
}

// List returns a page of the registrations whose host unit lies in the
// caller's scope.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Visitor, int, error) {
	base, err := s.base(ctx, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	q := s.selectVisitors(s.DB.R).Where("u.path LIKE ?", base+"%")
	if f.State != "" {
		q = q.Where("v.state = ?", f.State)
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		t = "%" + strings.NewReplacer("%", "", "_", "").Replace(t) + "%"
		q = q.Where("(v.name LIKE ? OR v.mobile LIKE ? OR v.home_city LIKE ? OR v.home_unit LIKE ?)", t, t, t, t)
	}
	var out []*Visitor
	n, err := q.OrderExpr("v.id DESC").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, v := range out {
		v.fill()
	}
	return out, n, nil
}

// base is the path a list covers: the node's, which must lie in the
// caller's scope, or the scope's.
func (s *Service) base(ctx context.Context, a *access.Actor, unitID int64) (string, error) {
	if unitID == 0 {
		return a.ScopePath, nil
	}
	var p, name string
	if err := s.DB.R.NewSelect().Table("units").Column("path", "name").Where("id = ?", unitID).Scan(ctx, &p, &name); err != nil {
		return "", store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
	}
	if !a.Covers(p) {
		return "", errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", name)
	}
	return p, nil
}

// DecideInput is the host unit's approver's decision.
type DecideInput struct {
	Approve bool   `json:"approve"`
	Reason  string `json:"reason" max:"200"`
}

// Decide verifies or refuses a pending registration (the host unit's
// approver; a refusal needs a reason, which the visitor sees).
func (s *Service) Decide(ctx context.Context, a *access.Actor, id int64, in DecideInput) (*Visitor, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if !in.Approve && in.Reason == "" {
		return nil, (&errs.Fields{"reason": "请填写不通过的原因"}).Err()
	}
	if utf8.RuneCountInString(in.Reason) > 200 {
		return nil, (&errs.Fields{"reason": "原因不能超过200字"}).Err()
	}
	var msgs []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("UPDATE visitors SET state = state WHERE id = ?", id).Exec(ctx); err != nil {
			return err
		}
		v, err := s.loadVisitor(ctx, tx, "v.id = ?", id)
		if err != nil {
			return err
		}
		if !a.Covers(v.HostUnitPath) {
			return errs.E(errs.Forbidden, "来访人员%s的接待单位「%s」不在您的管辖范围内", v.Name, v.HostUnitName)
		}
		if v.State != Pending {
			return errs.E(errs.Conflict, "来访人员%s的登记已是「%s」，不能再核验", v.Name, v.StateName)
		}
		now, uid := s.now(), a.UserID
		state, act, title := Verified, actVerify, "来访登记已核验通过，可以预约用车"
		if !in.Approve {
			state, act, title = Refused, actRefuse, "来访登记核验未通过"
		}
		reason := in.Reason
		if reason == "" {
			reason = v.Reason
		}
		if _, err := tx.NewRaw("UPDATE visitors SET state = ?, verified_by = ?, decided_by = ?, decided_name = ?, reason = ?, decided_at = ? WHERE id = ?",
			state, map[bool]string{true: "approver", false: ""}[in.Approve], uid, a.Name, reason, now, id).Exec(ctx); err != nil {
			return err
		}
		msgs = append(msgs, notify.Message{Users: []int64{v.UserID}, Kind: "visitor", Title: title, Body: in.Reason, Link: "/m/visitor"})
		return audit.Record(ctx, tx, a, audit.Event{Action: act, ObjectType: audit.Visitor, ObjectID: id, ScopePath: v.HostUnitPath,
			Summary: fmt.Sprintf("来访人员%s（%s %s）%s%s", v.Name, v.HomeCity, v.HomeUnit, StateNames[state], suffix(in.Reason)),
			Before:  map[string]any{"state": v.State}, After: map[string]any{"state": state, "reason": in.Reason}})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msgs...)
	return s.loadVisitor(ctx, s.DB.R, "v.id = ?", id)
}

func suffix(reason string) string {
	if reason == "" {
		return ""
	}
	return "：" + reason
}
