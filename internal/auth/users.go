// Package auth is accounts, roles, passwords, sessions and API tokens
// . Who may do what is declared in internal/access; this package
// checks the caller's scope on every account it touches and records every
// change in the audit log.
package auth

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/org"
	"govfleet/internal/store"
)

func init() {
	store.RegisterUnique("users", "username", "username", "用户名已被使用")
}

// Service manages accounts and sessions.
type Service struct {
	DB  *store.DB
	Org *org.Service
	Now func() time.Time // for tests; time.Now when nil
	// KeyMaster derives the secrets of companies' API keys (apikeys.go).
	KeyMaster []byte
	// TOTPKey seals the accounts' TOTP secrets and keys their recovery
	// codes (totp.go); like KeyMaster, a file in the data directory.
	TOTPKey []byte
	// Revoked tells open streams that an account's credentials changed.
	Revoked Revocations
	// Hashing bounds the password hashes of concurrent logins.
	Hashing HashPool
	// SMS texts password-reset codes to the accounts' owners (reset.go);
	// nil: no SMS, a reset then waits for a second administrator.
	SMS notify.SMSSender
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// User is an account.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID                 int64      `bun:"id,pk,autoincrement" json:"id"`
	Username           string     `bun:"username" json:"username"`
	RealName           string     `bun:"real_name" json:"real_name"`
	Phone              string     `bun:"phone" json:"phone"`
	ScopeID            int64      `bun:"scope_id" json:"scope_id"`
	PasswordHash       string     `bun:"password_hash" json:"-"`
	MustChangePassword bool       `bun:"must_change_password" json:"must_change_password"`
	LockedUntil        *time.Time `bun:"locked_until" json:"locked_until"`
	AdminLocked        bool       `bun:"admin_locked" json:"-"`
	Active             bool       `bun:"active" json:"active"`
	LastLoginAt        *time.Time `bun:"last_login_at" json:"last_login_at"`
	PreviousLoginAt    *time.Time `bun:"previous_login_at" json:"previous_login_at"` // the login before the current one
	PasswordChangedAt  *time.Time `bun:"password_changed_at" json:"-"`
	CompanyID          *int64     `bun:"company_id" json:"company_id"` // an outside organisation's account (issue 6)
	CreatedAt          time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at" json:"updated_at"`

	ScopeName      string     `bun:"scope_name,scanonly" json:"scope_name"`
	ScopePath      string     `bun:"scope_path,scanonly" json:"-"`
	ScopeKind      string     `bun:"scope_kind,scanonly" json:"scope_kind"`
	CompanyName    string     `bun:"company_name,scanonly" json:"company_name,omitempty"`
	CompanyKind    string     `bun:"company_kind,scanonly" json:"company_kind,omitempty"`
	CompanyActive  bool       `bun:"company_active,scanonly" json:"-"`
	TOTPEnrolledAt *time.Time `bun:"totp_enrolled_at,scanonly" json:"totp_enrolled_at"` // a second factor is bound (totp.go)
	Roles          roleSet    `bun:"roles,scanonly" json:"roles"`
	ScopePathNames []string   `bun:"-" json:"scope_path_names"`
	Locked         bool       `bun:"-" json:"locked"`
}

// roleSet is an account's roles in the order of access.Roles, read as one
// column: their codes joined by commas (selectUsers).
type roleSet []access.Role

func (r *roleSet) Scan(src any) error {
	var codes string
	switch v := src.(type) {
	case string:
		codes = v
	case []byte:
		codes = string(v)
	case nil:
	default:
		return fmt.Errorf("roles: unexpected %T", src)
	}
	*r = roleSet{}
	for _, c := range strings.Split(codes, ",") {
		if c != "" {
			*r = append(*r, access.Role(c))
		}
	}
	slices.SortFunc(*r, func(a, b access.Role) int { return roleOrder(a) - roleOrder(b) })
	return nil
}

// auditView is what the audit log keeps of a user: no hash, no counters.
func (u *User) auditView() map[string]any {
	v := map[string]any{"id": u.ID, "username": u.Username, "real_name": u.RealName, "phone": u.Phone,
		"scope_id": u.ScopeID, "roles": u.Roles, "active": u.Active, "admin_locked": u.AdminLocked}
	if u.CompanyID != nil {
		v["company_id"] = *u.CompanyID
	}
	return v
}

// selectUsers reads accounts with their scope, company, second factor and
// roles, in one statement.
func (s *Service) selectUsers(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*User)(nil)).ModelTableExpr("users AS u").
		ColumnExpr("u.*").
		ColumnExpr("n.name AS scope_name, n.path AS scope_path, n.kind AS scope_kind").
		ColumnExpr("c.name AS company_name, c.kind AS company_kind, c.active AS company_active").
		ColumnExpr("t.enrolled_at AS totp_enrolled_at").
		ColumnExpr("COALESCE((SELECT string_agg(r.role, ',') FROM user_roles AS r WHERE r.user_id = u.id), '') AS roles").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Join("LEFT JOIN companies AS c ON c.id = u.company_id").
		Join("LEFT JOIN user_totp AS t ON t.user_id = u.id")
}

// complete loads path names and computes Locked.
func (s *Service) complete(ctx context.Context, db bun.IDB, users ...*User) error {
	if len(users) == 0 {
		return nil
	}
	for _, u := range users {
		s.setLocked(u)
	}
	return s.withPathNames(ctx, db, users)
}

// withPathNames loads the names of the nodes on the scope paths of users.
func (s *Service) withPathNames(ctx context.Context, db bun.IDB, users []*User) error {
	names, err := s.pathNames(ctx, db, users)
	if err != nil {
		return err
	}
	for _, u := range users {
		for _, id := range splitPath(u.ScopePath) {
			u.ScopePathNames = append(u.ScopePathNames, names[id])
		}
	}
	return nil
}

// setLocked computes u.Locked: locked by an administrator or after failed logins.
func (s *Service) setLocked(u *User) {
	u.Locked = u.AdminLocked || (u.LockedUntil != nil && u.LockedUntil.After(s.now()))
}

func roleOrder(r access.Role) int {
	for i, ri := range access.Roles {
		if ri.Code == r {
			return i
		}
	}
	return len(access.Roles)
}

func splitPath(p string) []int64 {
	var out []int64
	for _, part := range strings.Split(strings.Trim(p, "/"), "/") {
		var id int64
		if _, err := fmt.Sscan(part, &id); err == nil {
			out = append(out, id)
		}
	}
	return out
}

func (s *Service) pathNames(ctx context.Context, db bun.IDB, users []*User) (map[int64]string, error) {
	set := map[int64]bool{}
	for _, u := range users {
		for _, id := range splitPath(u.ScopePath) {
			set[id] = true
		}
	}
	ids := make([]int64, 0, len(set))
	for id := range set {
		ids = append(ids, id)
	}
	var rows []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	names := map[int64]string{}
	if len(ids) == 0 {
		return names, nil
	}
	if err := db.NewSelect().Table("units").Column("id", "name").Where("id IN (?)", bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, store.Translate(err)
	}
	for _, r := range rows {
		names[r.ID] = r.Name
	}
	return names, nil
}

// load reads one user with scope fields, without a scope check.
func (s *Service) load(ctx context.Context, db bun.IDB, id int64) (*User, error) {
	u := new(User)
	if err := s.selectUsers(db).Where("u.id = ?", id).Scan(ctx, u); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "账号不存在或已删除"))
	}
	s.setLocked(u)
	return u, s.withPathNames(ctx, db, []*User{u})
}

// Get returns an account inside the actor's scope.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*User, error) {
	u, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(u.ScopePath) && u.ID != a.UserID {
		return nil, errs.E(errs.Forbidden, "该账号不在您的管辖范围内")
	}
	return u, nil
}

// UserFilter selects accounts.
type UserFilter struct {
	ScopeID    int64 // subtree of this node; 0 = the actor's scope
	CompanyID  int64 // the accounts of this company only
	Q          string
	Role       string
	Status     string // active | locked | disabled
	Page, Size int
}

// subtree is the path of node scopeID when the actor covers it, or the
// actor's scope's for 0: what a list of accounts (or of their
// credentials) is narrowed to.
func (s *Service) subtree(ctx context.Context, a *access.Actor, scopeID int64) (string, error) {
	if scopeID == 0 {
		return a.ScopePath, nil
	}
	n, err := s.Org.Node(ctx, nil, scopeID)
	if err != nil {
		return "", err
	}
	if !a.Covers(n.Path) {
		return "", errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	return n.Path, nil
}

// List returns a page of accounts inside the actor's scope.
func (s *Service) List(ctx context.Context, a *access.Actor, f UserFilter) ([]*User, int, error) {
	base, err := s.subtree(ctx, a, f.ScopeID)
	if err != nil {
		return nil, 0, err
	}
	q := s.selectUsers(s.DB.R).Where("n.path LIKE ?", base+"%")
	if f.CompanyID != 0 {
		q = q.Where("u.company_id = ?", f.CompanyID)
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(u.username LIKE ? OR u.real_name LIKE ? OR u.phone LIKE ?)", like, like, like)
	}
	if f.Role != "" {
		q = q.Where("EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id AND r.role = ?)", f.Role)
	}
	switch f.Status {
	case "active":
		q = q.Where("u.active = ? AND u.admin_locked = ? AND (u.locked_until IS NULL OR u.locked_until <= ?)", true, false, s.now())
	case "locked":
		q = q.Where("u.active = ? AND (u.admin_locked = ? OR u.locked_until > ?)", true, true, s.now())
	case "disabled":
		q = q.Where("u.active = ?", false)
	case "":
	default:
		return nil, 0, (&errs.Fields{"status": "状态取值无效"}).Err()
	}
	var out []*User
	n, err := q.OrderExpr("n.depth, n.id, u.id").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	return out, n, s.complete(ctx, s.DB.R, out...)
}

var usernameRe = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9_.-]{2,31}$`)

// UserInput is what an administrator sets on an account.
type UserInput struct {
	Username string        `json:"username"`
	RealName *string       `json:"real_name,omitempty"`
	Phone    *string       `json:"phone,omitempty"`
	ScopeID  *int64        `json:"scope_id,omitempty"`
	Active   *bool         `json:"active,omitempty"`
	Roles    []access.Role `json:"roles,omitempty"`
}

func validateProfile(f *errs.Fields, u *User) {
	n := utf8.RuneCountInString(u.RealName)
	f.Check(n == 0, "real_name", "请填写姓名")
	f.Check(n > 30, "real_name", "姓名不能超过30个字")
	if u.Phone != "" {
		if err := check.Mobile(u.Phone); err != nil {
			f.Add("phone", "手机号"+err.Error())
		}
	}
}

// checkRoles validates a role set for an account at scope node n; a
// company's account (companyKind set) holds exactly its kind's role, staff
// accounts no company role.
func checkRoles(a *access.Actor, n *org.Unit, companyKind string, roles []access.Role, changed []access.Role) error {
	for _, r := range roles {
		info, ok := access.Info(r)
		if !ok {
			return (&errs.Fields{"roles": fmt.Sprintf("角色「%s」不存在", r)}).Err()
		}
		if access.IsCompanyRole(r) != (companyKind != "") || companyKind != "" && r != access.CompanyRole(companyKind) {
			if companyKind == "" {
				return (&errs.Fields{"roles": fmt.Sprintf("「%s」只能授予该类企业的账号，请在「合作企业」中为企业开设账号", info.Name)}).Err()
			}
			return (&errs.Fields{"roles": fmt.Sprintf("企业账号只能持有本企业类别的角色，不能授予「%s」", info.Name)}).Err()
		}
		if !slices.Contains(info.ScopeKinds, n.Kind) {
			where := map[string]string{"city": "市级", "district": "辖市(区)", "unit": "单位"}
			var kinds []string
			for _, k := range info.ScopeKinds {
				kinds = append(kinds, where[k])
			}
			return (&errs.Fields{"roles": fmt.Sprintf("「%s」只能授予%s的账号，「%s」是%s", info.Name, strings.Join(kinds, "或"), n.Name, where[n.Kind])}).Err()
		}
		if access.IsSeparated(r) && len(roles) > 1 {
			return (&errs.Fields{"roles": fmt.Sprintf("「%s」须单独设置账号，不能兼任其他角色（三员分立）", info.Name)}).Err()
		}
	}
	for _, r := range changed {
		if !a.CanGrant(r, n.Path) {
			info, _ := access.Info(r)
			return errs.E(errs.Forbidden, "您无权为「%s」的账号授予或撤销「%s」角色", n.Name, info.Name)
		}
	}
	return nil
}

func dedupRoles(rs []access.Role) []access.Role {
	out := []access.Role{}
	for _, r := range rs {
		if !slices.Contains(out, r) {
			out = append(out, r)
		}
	}
	return out
}

// account is what access.CanManage needs of u.
func (u *User) account() access.Account {
	return access.Account{ID: u.ID, ScopePath: u.ScopePath, Roles: u.Roles}
}

// canManage applies the one rule of who may manage whom (access.CanManage)
// to every change of an account: edit, deactivate, lock, unlock, roles,
// password reset.
func canManage(a *access.Actor, t *User) error {
	if ok, why := access.CanManage(a, t.account()); !ok {
		return errs.E(errs.Forbidden, "%s", why)
	}
	return nil
}

// Created is the answer to Create: the account and its one-time password.
type Created struct {
	User            *User  `json:"user"`
	InitialPassword string `json:"initial_password"`
}

// Create opens an account with a generated initial password that must be
// changed at first login.
func (s *Service) Create(ctx context.Context, a *access.Actor, in UserInput) (*Created, error) {
	return s.create(ctx, a, in, 0)
}

// CreateCompanyUser opens an account of an outside organisation (issue 6):
// its scope node is the company's owner unit and its one role the
// company kind's. The caller must cover the owner unit.
func (s *Service) CreateCompanyUser(ctx context.Context, a *access.Actor, companyID int64, in UserInput) (*Created, error) {
	return s.create(ctx, a, in, companyID)
}

func (s *Service) create(ctx context.Context, a *access.Actor, in UserInput, companyID int64) (*Created, error) {
	var company struct {
		Name    string `bun:"name"`
		Kind    string `bun:"kind"`
		OwnerID int64  `bun:"owner_unit_id"`
		Active  bool   `bun:"active"`
	}
	if companyID != 0 {
		err := s.DB.R.NewSelect().Table("companies").Column("name", "kind", "owner_unit_id", "active").Where("id = ?", companyID).Scan(ctx, &company)
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil, errs.E(errs.NotFound, "企业不存在或已删除")
		} else if err != nil {
			return nil, store.Translate(err)
		}
		if !company.Active {
			return nil, errs.E(errs.Invalid, "企业「%s」已停用，不能开设账号", company.Name)
		}
		in.ScopeID, in.Roles = &company.OwnerID, []access.Role{access.CompanyRole(company.Kind)}
	}
	u := &User{Username: strings.TrimSpace(in.Username), Active: true, MustChangePassword: true, CompanyKind: company.Kind}
	if companyID != 0 {
		u.CompanyID = &companyID
	}
	if in.RealName != nil {
		u.RealName = strings.TrimSpace(*in.RealName)
	}
	if in.Phone != nil {
		u.Phone = check.NormalisePhone(*in.Phone)
	}
	var f errs.Fields
	f.Check(!usernameRe.MatchString(u.Username), "username", "用户名须以字母开头，由3至32位字母、数字、下划线、点或连字符组成")
	validateProfile(&f, u)
	f.Check(in.ScopeID == nil, "scope_id", "请选择所属单位")
	if err := f.Err(); err != nil {
		return nil, err
	}
	roles := dedupRoles(in.Roles)
	if len(roles) > 0 && !a.Has(access.RolesAssign) {
		return nil, errs.E(errs.Forbidden, "您无权分配角色，请由安全管理员授予角色")
	}
	pw := GeneratePassword()
	hash, err := HashPassword(pw)
	if err != nil {
		return nil, errs.Wrap(err, "hash")
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := s.Org.Node(ctx, tx, *in.ScopeID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return (&errs.Fields{"scope_id": "所属单位不存在"}).Err()
			}
			return err
		}
		if !a.Covers(n.Path) {
			return errs.E(errs.Forbidden, "「%s」不在您的管辖范围内，不能为其创建账号", n.Name)
		}
		if !n.Active {
			return (&errs.Fields{"scope_id": fmt.Sprintf("「%s」已停用", n.Name)}).Err()
		}
		if err := checkRoles(a, n, u.CompanyKind, roles, roles); err != nil {
			return err
		}
		now := s.now()
		u.ScopeID, u.PasswordHash, u.CreatedAt, u.UpdatedAt = n.ID, hash, now, now
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return err
		}
		if err := insertRoles(ctx, tx, u.ID, roles); err != nil {
			return err
		}
		u.Roles, u.ScopePath = roles, n.Path
		summary := fmt.Sprintf("为「%s」新建账号 %s（%s）", n.Name, u.Username, u.RealName)
		if companyID != 0 {
			summary = fmt.Sprintf("为企业「%s」新建账号 %s（%s）", company.Name, u.Username, u.RealName)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUserCreate, ObjectType: audit.User, ObjectID: u.ID, ScopePath: n.Path,
			Summary: summary, After: u.auditView()})
	})
	if err != nil {
		return nil, err
	}
	full, err := s.load(ctx, s.DB.R, u.ID)
	if err != nil {
		return nil, err
	}
	return &Created{User: full, InitialPassword: pw}, nil
}

func insertRoles(ctx context.Context, tx bun.IDB, userID int64, roles []access.Role) error {
	for _, r := range roles {
		if _, err := tx.NewRaw("INSERT INTO user_roles (user_id, role) VALUES (?, ?)", userID, string(r)).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}

// mutate runs fn on the target account inside a transaction after the
// manage check, then records the audit event fn describes.
func (s *Service) mutate(ctx context.Context, a *access.Actor, id int64, fn func(tx bun.Tx, u *User) (audit.Event, error)) (*User, error) {
	defer s.Revoked.Notify(id) // a lock, deactivation, reset or role change reaches open streams at once
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := canManage(a, u); err != nil {
			return err
		}
		before := u.auditView()
		ev, err := fn(tx, u)
		if err != nil {
			return err
		}
		u.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(u).ExcludeColumn("id", "created_at", "username").WherePK().Exec(ctx); err != nil {
			return err
		}
		ev.ObjectType, ev.ObjectID, ev.Before, ev.After = audit.User, u.ID, before, u.auditView()
		if ev.ScopePath == "" {
			ev.ScopePath = u.ScopePath
		}
		return audit.Record(ctx, tx, a, ev)
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.DB.R, id)
}

// Update changes an account's name, phone, scope or active flag.
func (s *Service) Update(ctx context.Context, a *access.Actor, id int64, in UserInput) (*User, error) {
	if in.Roles != nil {
		return nil, errs.E(errs.Invalid, "调整角色请使用「分配角色」")
	}
	return s.mutate(ctx, a, id, func(tx bun.Tx, u *User) (audit.Event, error) {
		if in.RealName != nil {
			u.RealName = strings.TrimSpace(*in.RealName)
		}
		if in.Phone != nil {
			u.Phone = check.NormalisePhone(*in.Phone)
		}
		var f errs.Fields
		validateProfile(&f, u)
		if err := f.Err(); err != nil {
			return audit.Event{}, err
		}
		if in.ScopeID != nil && *in.ScopeID != u.ScopeID {
			n, err := s.Org.Node(ctx, tx, *in.ScopeID)
			if err != nil {
				if errs.Is(err, errs.NotFound) {
					return audit.Event{}, (&errs.Fields{"scope_id": "所属单位不存在"}).Err()
				}
				return audit.Event{}, err
			}
			if !a.Covers(n.Path) {
				return audit.Event{}, errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", n.Name)
			}
			if !n.Active {
				return audit.Event{}, (&errs.Fields{"scope_id": fmt.Sprintf("「%s」已停用", n.Name)}).Err()
			}
			if u.CompanyID != nil {
				return audit.Event{}, (&errs.Fields{"scope_id": "企业账号的所属单位随企业的签约单位，不能单独调整"}).Err()
			}
			if err := checkRoles(a, n, "", u.Roles, u.Roles); err != nil {
				return audit.Event{}, err
			}
			u.ScopeID, u.ScopePath = n.ID, n.Path
		}
		summary := fmt.Sprintf("修改账号 %s（%s）", u.Username, u.RealName)
		if in.Active != nil && *in.Active != u.Active {
			u.Active = *in.Active
			if !u.Active {
				summary = fmt.Sprintf("停用账号 %s（%s）", u.Username, u.RealName)
				if err := dropSessions(ctx, tx, u.ID); err != nil {
					return audit.Event{}, err
				}
				if err := s.revokeCredentials(ctx, tx, a, u, "停用账号"); err != nil {
					return audit.Event{}, err
				}
			} else {
				summary = fmt.Sprintf("启用账号 %s（%s）", u.Username, u.RealName)
			}
		}
		return audit.Event{Action: actUserUpdate, Summary: summary}, nil
	})
}

// SetRoles replaces an account's roles.
func (s *Service) SetRoles(ctx context.Context, a *access.Actor, id int64, roles []access.Role) (*User, error) {
	roles = dedupRoles(roles)
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := canManage(a, u); err != nil {
			return err
		}
		var changed []access.Role
		for _, r := range roles {
			if !slices.Contains(u.Roles, r) {
				changed = append(changed, r)
			}
		}
		for _, r := range u.Roles {
			if !slices.Contains(roles, r) {
				changed = append(changed, r)
			}
		}
		n, err := s.Org.Node(ctx, tx, u.ScopeID)
		if err != nil {
			return err
		}
		if err := checkRoles(a, n, u.CompanyKind, roles, changed); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		before := u.auditView()
		if _, err := tx.NewRaw("DELETE FROM user_roles WHERE user_id = ?", u.ID).Exec(ctx); err != nil {
			return err
		}
		if err := insertRoles(ctx, tx, u.ID, roles); err != nil {
			return err
		}
		u.Roles = roles
		var names []string
		for _, r := range roles {
			info, _ := access.Info(r)
			names = append(names, info.Name)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUserRoles, ObjectType: audit.User, ObjectID: u.ID, ScopePath: u.ScopePath,
			Summary: fmt.Sprintf("将账号 %s（%s）的角色设为：%s", u.Username, u.RealName, strings.Join(names, "、")),
			Before:  before, After: u.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.DB.R, id)
}

// SetLocked locks an account by hand (it stays locked until unlocked) or
// unlocks it, which also clears a lockout after failed logins.
func (s *Service) SetLocked(ctx context.Context, a *access.Actor, id int64, locked bool) (*User, error) {
	return s.mutate(ctx, a, id, func(tx bun.Tx, u *User) (audit.Event, error) {
		u.AdminLocked = locked
		if locked {
			if err := s.revokeCredentials(ctx, tx, a, u, "锁定账号"); err != nil {
				return audit.Event{}, err
			}
			return audit.Event{Action: actUserLock, Summary: fmt.Sprintf("锁定账号 %s（%s）", u.Username, u.RealName)}, dropSessions(ctx, tx, u.ID)
		}
		u.LockedUntil = nil
		return audit.Event{Action: actUserUnlock, Summary: fmt.Sprintf("解锁账号 %s（%s）", u.Username, u.RealName)}, clearAttempts(ctx, tx, u.Username)
	})
}

func dropSessions(ctx context.Context, tx bun.IDB, userID int64) error {
	_, err := tx.NewRaw("DELETE FROM sessions WHERE user_id = ?", userID).Exec(ctx)
	return err
}

// Holder is an account in the R-9 filing.
type Holder struct {
	ID        int64  `json:"id"`
	Username  string `json:"username"`
	RealName  string `json:"real_name"`
	ScopeName string `json:"scope_name"`
}

// Filing lists, for the city level or one district, who holds the roles
// that R-9 requires to be filed with the city.
type Filing struct {
	DistrictID   int64                     `json:"district_id"`
	DistrictName string                    `json:"district_name"`
	Level        string                    `json:"level"`
	Holders      map[access.Role][]*Holder `json:"holders"`
}

// FiledRoles are the roles a level files with the city.
var FiledRoles = []access.Role{access.PlatformAdmin, access.UnitAdmin, access.Approver, access.Dispatcher}

// Filings returns the R-9 filing for the city level and every district in
// the actor's scope.
func (s *Service) Filings(ctx context.Context, a *access.Actor) ([]*Filing, error) {
	var levels []*org.Unit
	if err := s.DB.R.NewSelect().Model(&levels).
		Where("kind IN ('city', 'district') AND active = ?", true).
		Where("path LIKE ?", a.ScopePath+"%").
		OrderExpr("depth, sort, id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	var out []*Filing
	byLevel := map[int64]*Filing{}
	var cityID int64
	for _, l := range levels {
		f := &Filing{DistrictID: l.ID, DistrictName: l.Name, Level: l.Level, Holders: map[access.Role][]*Holder{}}
		for _, r := range FiledRoles {
			f.Holders[r] = []*Holder{}
		}
		if l.Kind == org.KindCity {
			cityID = l.ID
		}
		byLevel[l.ID] = f
		out = append(out, f)
	}
	var rows []struct {
		Holder
		Role       string `bun:"role"`
		DistrictID *int64 `bun:"district_id"`
		Kind       string `bun:"kind"`
		NodeID     int64  `bun:"node_id"`
	}
	err := s.DB.R.NewSelect().TableExpr("users AS u").
		ColumnExpr("u.id, u.username, u.real_name, n.name AS scope_name, r.role, n.district_id, n.kind, n.id AS node_id").
		Join("JOIN user_roles AS r ON r.user_id = u.id").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Where("u.active = ? AND r.role IN (?)", true, bun.In(FiledRoles)).
		Where("n.path LIKE ?", a.ScopePath+"%").
		OrderExpr("n.depth, n.id, u.id").Scan(ctx, &rows)
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, r := range rows {
		level := cityID
		switch {
		case r.Kind == org.KindDistrict:
			level = r.NodeID
		case r.DistrictID != nil:
			level = *r.DistrictID
		}
		if f := byLevel[level]; f != nil {
			h := r.Holder
			f.Holders[access.Role(r.Role)] = append(f.Holders[access.Role(r.Role)], &h)
		}
	}
	return out, nil
}
