package httpapi

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/sheet"
)

// Route is one API operation. Perm is mandatory: the route-permission test
// fails for a route without one, and walks every route × role × scope.
type Route struct {
	Method  string
	Path    string
	Perm    access.Perm
	Tag     string
	Summary string
	Query   []string // documented query parameters
	In      any      // request body type, for the OpenAPI document
	Example any      // a request body shown in the OpenAPI document
	Out     any      // response type
	Signed  bool     // meant for companies' signed machine requests
	Enrol   bool     // open to a session that must bind a second factor first (auth.Principal.MustEnrol)
	// Interactive routes create or change a credential (a token, a key, a
	// password, a second factor): only a logged-in session calls them,
	// never an API token or key, so that no credential outlives the
	// revocation of the one that made it (issue 19 item 5).
	Interactive bool
	Handle      func(*Request) (any, error)
}

// Routes is the route table of the whole API: the foundation's routes
// below, then each domain's (fleet_routes.go, …).
func (s *Server) Routes() []Route {
	return slices.Concat(s.coreRoutes(), s.fleetRoutes(), s.bookingRoutes(), s.monitorRoutes(),
		s.supervisionRoutes(), s.companyRoutes(), s.credentialRoutes(), s.lifecycleRoutes(), s.maintenanceRoutes(), s.rentalRoutes(), s.fuelRoutes(), s.tripsRoutes(),
		s.partnerRoutes(),
		s.noticeRoutes(),
		s.visitorRoutes(),
		s.loansRoutes(),
		s.dispatchRoutes(),
		s.statsRoutes(),
		s.annualRoutes(),
	)
}

func (s *Server) coreRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/openapi.json", Perm: access.Public, Tag: "系统", Summary: "OpenAPI 3 文档", Handle: s.openapi},

		{Method: "POST", Path: "/api/auth/login", Perm: access.Public, Tag: "认证", Summary: "登录（已绑定动态验证码的账号返回第二步的凭据）", In: loginIn{}, Out: loginOut{}, Handle: s.login},
		{Method: "POST", Path: "/api/auth/login/code", Perm: access.Public, Tag: "认证", Summary: "登录第二步：动态验证码或恢复码", In: codeLoginIn{}, Out: loginOut{}, Handle: s.loginCode},
		{Method: "POST", Path: "/api/auth/reset-password", Perm: access.Public, Tag: "认证", Summary: "使用一次性验证码设置新密码", In: resetCodeIn{}, Handle: s.useResetCode},
		{Method: "POST", Path: "/api/auth/logout", Perm: access.Self, Enrol: true, Tag: "认证", Summary: "退出登录", Handle: s.logout},
		{Method: "GET", Path: "/api/me", Perm: access.Self, Enrol: true, Tag: "认证", Summary: "当前用户、权限与CSRF令牌", Out: meOut{}, Handle: s.me},
		{Method: "POST", Path: "/api/me/password", Perm: access.Self, Enrol: true, Interactive: true, Tag: "认证", Summary: "修改本人密码", In: passwordIn{}, Handle: s.changePassword},
		{Method: "GET", Path: "/api/me/totp", Perm: access.Self, Enrol: true, Tag: "认证", Summary: "本人的动态验证码绑定状态", Out: auth.TOTPStatus{}, Handle: s.totpStatus},
		{Method: "POST", Path: "/api/me/totp", Perm: access.Self, Enrol: true, Interactive: true, Tag: "认证", Summary: "开始绑定动态验证码（密钥与二维码）", Out: auth.TOTPSetup{}, Handle: s.beginTOTP},
		{Method: "POST", Path: "/api/me/totp/confirm", Perm: access.Self, Enrol: true, Interactive: true, Tag: "认证", Summary: "以验证码确认绑定（恢复码只显示一次）", In: codeIn{}, Out: recoveryOut{}, Handle: s.confirmTOTP},
		{Method: "GET", Path: "/api/meta", Perm: access.Self, Enrol: true, Tag: "系统", Summary: "角色、单位类型等代码表", Out: metaOut{}, Handle: s.meta},

		{Method: "GET", Path: "/api/units/tree", Perm: access.OrgRead, Tag: "组织机构", Summary: "管辖范围内的组织树", Out: []org.TreeNode{}, Handle: s.unitTree},
		{Method: "GET", Path: "/api/units", Perm: access.OrgRead, Tag: "组织机构", Summary: "单位列表", Query: []string{"parent_id", "q", "unit_type", "kind", "active", "over_quota", "page", "page_size"}, Out: List[org.Unit]{}, Handle: paged(s.listUnits)},
		{Method: "GET", Path: "/api/units/export", Perm: access.OrgRead, Tag: "组织机构", Summary: "导出单位（xlsx，筛选条件同列表）", Query: exportQuery([]string{"parent_id", "q", "unit_type", "kind", "active", "over_quota", "page", "page_size"}), Handle: exportOf(s, "单位", unitFields, s.listUnits)},
		{Method: "POST", Path: "/api/units", Perm: access.OrgWrite, Tag: "组织机构", Summary: "新增单位（kind=district 仅市级可建辖市(区)）", In: unitIn{}, Out: org.Unit{}, Handle: s.createUnit},
		{Method: "GET", Path: "/api/units/{id}", Perm: access.OrgRead, Tag: "组织机构", Summary: "单位详情", Out: org.Unit{}, Handle: get(s.Org.Get)},
		{Method: "PATCH", Path: "/api/units/{id}", Perm: access.OrgWrite, Tag: "组织机构", Summary: "修改单位", In: org.Input{}, Out: org.Unit{}, Handle: update(s.Org.Update)},
		{Method: "POST", Path: "/api/units/{id}/move", Perm: access.OrgWrite, Tag: "组织机构", Summary: "调整上级单位", In: moveIn{}, Out: org.Unit{}, Handle: s.moveUnit},
		{Method: "POST", Path: "/api/units/{id}/deactivate", Perm: access.OrgWrite, Tag: "组织机构", Summary: "停用单位", Out: org.Unit{}, Handle: s.setUnitActive(false)},
		{Method: "POST", Path: "/api/units/{id}/activate", Perm: access.OrgWrite, Tag: "组织机构", Summary: "启用单位", Out: org.Unit{}, Handle: s.setUnitActive(true)},

		{Method: "GET", Path: "/api/users", Perm: access.UsersRead, Tag: "账号", Summary: "账号列表", Query: []string{"scope_id", "q", "role", "status", "page", "page_size"}, Out: List[auth.User]{}, Handle: paged(s.listUsers)},
		{Method: "GET", Path: "/api/users/export", Perm: access.UsersRead, Tag: "账号", Summary: "导出账号（xlsx，筛选条件同列表）", Query: exportQuery([]string{"scope_id", "q", "role", "status", "page", "page_size"}), Handle: exportOf(s, "账号", userFields, s.listUsers)},
		{Method: "POST", Path: "/api/users", Perm: access.UsersWrite, Interactive: true, Tag: "账号", Summary: "新建账号（返回一次性初始密码）", In: auth.UserInput{}, Out: auth.Created{}, Handle: create(s.Auth.Create)},
		{Method: "GET", Path: "/api/users/{id}", Perm: access.UsersRead, Tag: "账号", Summary: "账号详情", Out: auth.User{}, Handle: get(s.Auth.Get)},
		{Method: "PATCH", Path: "/api/users/{id}", Perm: access.UsersWrite, Tag: "账号", Summary: "修改账号（姓名、电话、所属单位、启停）", In: auth.UserInput{}, Out: auth.User{}, Handle: update(s.Auth.Update)},
		{Method: "PUT", Path: "/api/users/{id}/roles", Perm: access.RolesAssign, Tag: "账号", Summary: "分配角色", In: rolesIn{}, Out: auth.User{}, Handle: s.setRoles},
		{Method: "POST", Path: "/api/users/{id}/lock", Perm: access.UsersManage, Tag: "账号", Summary: "锁定账号", Out: auth.User{}, Handle: s.lockUser(true)},
		{Method: "POST", Path: "/api/users/{id}/unlock", Perm: access.UsersManage, Tag: "账号", Summary: "解锁账号", Out: auth.User{}, Handle: s.lockUser(false)},
		{Method: "POST", Path: "/api/users/{id}/reset-password", Perm: access.UsersManage, Interactive: true, Tag: "账号", Summary: "重置密码：一次性验证码短信发给本人，或待另一名管理员审批", Out: auth.Reset{}, Handle: s.resetPassword},
		{Method: "POST", Path: "/api/users/{id}/totp/reset", Perm: access.PolicyWrite, Tag: "账号", Summary: "重置动态验证码绑定（安全管理员）", Out: auth.User{}, Handle: s.resetTOTP},
		{Method: "GET", Path: "/api/password-resets", Perm: access.UsersManage, Tag: "账号", Summary: "待本人审批的密码重置申请", Out: []auth.PendingReset{}, Handle: s.pendingResets},
		{Method: "POST", Path: "/api/password-resets/{id}/approve", Perm: access.UsersManage, Tag: "账号", Summary: "审批密码重置（无短信时返回只显示一次的一次性链接）", Out: auth.Reset{}, Handle: s.approveReset},
		{Method: "GET", Path: "/api/role-filings", Perm: access.FilingsRead, Tag: "账号", Summary: "各级管理员、审核员、调度员备案（R-9）", Out: []auth.Filing{}, Handle: s.filings},

		{Method: "GET", Path: "/api/audit", Perm: access.AuditRead, Tag: "审计", Summary: "审计日志", Query: []string{"q", "actor", "action", "object_type", "from", "to", "page", "page_size"}, Out: List[audit.View]{}, Handle: s.listAudit},
		{Method: "GET", Path: "/api/audit/export", Perm: access.AuditRead, Tag: "审计", Summary: "导出审计日志（xlsx）", Query: []string{"q", "actor", "action", "object_type", "from", "to"}, Handle: s.exportAudit},
		{Method: "GET", Path: "/api/audit/verify", Perm: access.AuditRead, Tag: "审计", Summary: "校验审计日志（带密钥的哈希链，对照校验点）", Out: audit.VerifyResult{}, Handle: s.verifyAudit},
		{Method: "GET", Path: "/api/audit/checkpoints", Perm: access.AuditRead, Tag: "审计", Summary: "下载审计日志校验点（签名的链头记录，留存于平台之外）", Handle: s.auditCheckpoints},

		{Method: "GET", Path: "/api/policy", Perm: access.Self, Tag: "安全策略", Summary: "密码与会话策略", Out: auth.Policy{}, Handle: s.policy},
		{Method: "PUT", Path: "/api/policy", Perm: access.PolicyWrite, Tag: "安全策略", Summary: "修改密码与会话策略", In: auth.Policy{}, Out: auth.Policy{}, Handle: s.setPolicy},
	}
}

// ---- auth ----

type loginIn struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type meOut struct {
	User        *auth.User    `json:"user"`
	CSRFToken   string        `json:"csrf_token"`
	Permissions []access.Perm `json:"permissions"`
	MustEnrol   bool          `json:"must_enrol"` // only the enrolment routes answer until a second factor is bound
}

// loginOut is the session, or, for an account with a second factor, only
// the ticket of the second step (no session yet).
type loginOut struct {
	meOut
	TOTPTicket string `json:"totp_ticket,omitempty"`
	Message    string `json:"message,omitempty"`
}

type codeLoginIn struct {
	Ticket string `json:"ticket"`
	Code   string `json:"code"` // 6 digits from the authenticator, or a recovery code
}

type codeIn struct {
	Code string `json:"code"`
}

type recoveryOut struct {
	RecoveryCodes []string `json:"recovery_codes"`
}

type passwordIn struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

type tokenIn struct {
	Name string `json:"name"`
}

type resetCodeIn struct {
	Username    string `json:"username"`
	Code        string `json:"code"`
	NewPassword string `json:"new_password"`
}

func (s *Server) useResetCode(r *Request) (any, error) {
	var in resetCodeIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return nil, s.Auth.UseResetCode(r.Context(), in.Username, in.Code, in.NewPassword, clientIP(r.Request))
}

func perms(a *access.Actor) []access.Perm {
	p := a.Permissions()
	if p == nil {
		p = []access.Perm{}
	}
	return p
}

func (s *Server) login(r *Request) (any, error) {
	var in loginIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	l, err := s.Auth.Login(r.Context(), in.Username, in.Password, clientIP(r.Request), r.UserAgent())
	return s.loggedIn(r, l, err)
}

func (s *Server) loginCode(r *Request) (any, error) {
	var in codeLoginIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	l, err := s.Auth.LoginCode(r.Context(), in.Ticket, in.Code, clientIP(r.Request), r.UserAgent())
	return s.loggedIn(r, l, err)
}

func (s *Server) loggedIn(r *Request, l *auth.Login, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	if l.Ticket != "" {
		return loginOut{meOut: meOut{Permissions: []access.Perm{}}, TOTPTicket: l.Ticket, Message: "需要动态验证码"}, nil
	}
	s.setCookie(r.W, l.Token)
	a := &access.Actor{Roles: l.User.Roles}
	return loginOut{meOut: meOut{User: l.User, CSRFToken: l.CSRFToken, Permissions: perms(a), MustEnrol: l.MustEnrol}}, nil
}

func (s *Server) logout(r *Request) (any, error) {
	if r.P.SessionID != "" {
		if err := s.Auth.Logout(r.Context(), r.P); err != nil {
			return nil, err
		}
	}
	s.clearCookie(r.W)
	return noContent{}, nil
}

func (s *Server) me(r *Request) (any, error) {
	u, err := s.Auth.Me(r.Context(), r.Actor())
	if err != nil {
		return nil, err
	}
	return meOut{User: u, CSRFToken: r.P.CSRFToken, Permissions: perms(r.Actor()), MustEnrol: r.P.MustEnrol}, nil
}

func (s *Server) totpStatus(r *Request) (any, error) {
	return s.Auth.TOTPStatusOf(r.Context(), r.Actor())
}

func (s *Server) beginTOTP(r *Request) (any, error) { return s.Auth.BeginTOTP(r.Context(), r.Actor()) }

func (s *Server) confirmTOTP(r *Request) (any, error) {
	var in codeIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	codes, err := s.Auth.ConfirmTOTP(r.Context(), r.Actor(), in.Code)
	if err != nil {
		return nil, err
	}
	return recoveryOut{RecoveryCodes: codes}, nil
}

func (s *Server) resetTOTP(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Auth.ResetTOTP(r.Context(), r.Actor(), id)
}

func (s *Server) changePassword(r *Request) (any, error) {
	var in passwordIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return noContent{}, s.Auth.ChangePassword(r.Context(), r.P, in.OldPassword, in.NewPassword)
}

type metaOut struct {
	Roles           []access.RoleInfo `json:"roles"`
	UnitTypes       []org.Code        `json:"unit_types"`
	MarkingStatuses []org.Code        `json:"marking_statuses"`
	Kinds           []org.Code        `json:"kinds"`
	AuditActions    []org.Code        `json:"audit_actions"`
	AuditObjects    []org.Code        `json:"audit_object_types"`
}

// codes lists a map of names by code, sorted by code.
func codes(names map[string]string) []org.Code {
	out := make([]org.Code, 0, len(names))
	for code, name := range names {
		out = append(out, org.Code{Code: code, Name: name})
	}
	slices.SortFunc(out, func(a, b org.Code) int { return strings.Compare(a.Code, b.Code) })
	return out
}

func (s *Server) meta(r *Request) (any, error) {
	return metaOut{Roles: access.Roles, UnitTypes: org.UnitTypes, MarkingStatuses: org.MarkingStatuses, Kinds: org.Kinds,
		AuditActions: codes(audit.ActionLabels()), AuditObjects: codes(audit.ObjectLabels())}, nil
}

// ---- units ----

type unitIn struct {
	org.Input
	Kind string `json:"kind,omitempty"` // unit (default) or district
}

type moveIn struct {
	ParentID int64 `json:"parent_id"`
}

func (s *Server) unitTree(r *Request) (any, error) { return s.Org.Tree(r.Context(), r.Actor()) }

func (s *Server) listUnits(r *Request, p, size int) ([]*org.Unit, int, error) {
	parent, err := queryID(r, "parent_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	f := org.Filter{ParentID: parent, Q: q.Get("q"), UnitType: q.Get("unit_type"), Kind: q.Get("kind"),
		Active: q.Get("active"), OverQuota: q.Get("over_quota") == "true", Page: p, Size: size}
	return s.Org.List(r.Context(), r.Actor(), f)
}

// codeName is the Chinese name of a coded value ("" if unknown).
func codeName(codes []org.Code, c string) string {
	for _, x := range codes {
		if x.Code == c {
			return x.Name
		}
	}
	return ""
}

var unitFields = []sheet.Field[*org.Unit]{
	{Title: "单位名称", Width: 28, Value: func(u *org.Unit) any { return u.Name }},
	sheet.F("层级", func(u *org.Unit) any { return codeName(org.Kinds, u.Kind) }),
	{Title: "上级", Width: 22, Value: func(u *org.Unit) any { return u.ParentName }},
	sheet.F("所属辖市(区)", func(u *org.Unit) any { return u.DistrictName }),
	{Title: "统一社会信用代码", Width: 22, Value: func(u *org.Unit) any { return u.CreditCode }},
	sheet.F("单位类型", func(u *org.Unit) any { return codeName(org.UnitTypes, u.UnitType) }),
	sheet.F("编制人数", func(u *org.Unit) any { return u.StaffingCount }),
	sheet.F("车辆编制数", func(u *org.Unit) any { return u.VehicleQuota }),
	sheet.F("实有车辆", func(u *org.Unit) any { return u.VehicleCount }),
	sheet.F("超编", func(u *org.Unit) any { return u.OverQuota }),
	sheet.F("标识情况", func(u *org.Unit) any { return codeName(org.MarkingStatuses, u.MarkingStatus) }),
	sheet.F("联系人", func(u *org.Unit) any { return u.ContactName }),
	sheet.F("联系电话", func(u *org.Unit) any { return u.ContactPhone }),
	{Title: "地址", Width: 30, Value: func(u *org.Unit) any { return u.Address }},
	sheet.F("启用", func(u *org.Unit) any { return u.Active }),
}

func (s *Server) createUnit(r *Request) (any, error) {
	var in unitIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Kind == "" {
		in.Kind = org.KindUnit
	}
	u, err := s.Org.Create(r.Context(), r.Actor(), in.Kind, in.Input)
	if err != nil {
		return nil, err
	}
	return created{u}, nil
}

func (s *Server) moveUnit(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in moveIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Org.Move(r.Context(), r.Actor(), id, in.ParentID)
}

func (s *Server) setUnitActive(active bool) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return s.Org.SetActive(r.Context(), r.Actor(), id, active)
	}
}

// ---- users ----

// rolesIn is the whole new set of roles. The field is required: a body
// without it ({}) once removed every role; an explicit [] still removes
// them all, as asked.
type rolesIn struct {
	Roles *[]access.Role `json:"roles"`
}

func (s *Server) listUsers(r *Request, p, size int) ([]*auth.User, int, error) {
	scope, err := queryID(r, "scope_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Auth.List(r.Context(), r.Actor(), auth.UserFilter{ScopeID: scope, Q: q.Get("q"), Role: q.Get("role"), Status: q.Get("status"), Page: p, Size: size})
}

var userFields = []sheet.Field[*auth.User]{
	sheet.F("用户名", func(u *auth.User) any { return u.Username }),
	sheet.F("姓名", func(u *auth.User) any { return u.RealName }),
	sheet.F("手机号", func(u *auth.User) any { return u.Phone }),
	{Title: "所属", Width: 30, Value: func(u *auth.User) any { return strings.Join(u.ScopePathNames, " / ") }},
	{Title: "企业", Width: 24, Value: func(u *auth.User) any { return u.CompanyName }},
	{Title: "角色", Width: 30, Value: func(u *auth.User) any {
		var names []string
		for _, r := range u.Roles {
			if ri, ok := access.Info(r); ok {
				names = append(names, ri.Name)
			}
		}
		return strings.Join(names, "、")
	}},
	sheet.F("状态", func(u *auth.User) any {
		switch {
		case !u.Active:
			return "已停用"
		case u.Locked:
			return "已锁定"
		}
		return "正常"
	}),
	sheet.F("动态验证码", func(u *auth.User) any { return u.TOTPEnrolledAt != nil }),
	{Title: "最近登录", Width: 20, Value: func(u *auth.User) any { return u.LastLoginAt }},
	{Title: "创建时间", Width: 20, Value: func(u *auth.User) any { return u.CreatedAt }},
}

func (s *Server) setRoles(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in rolesIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Roles == nil {
		return nil, (&errs.Fields{"roles": "请指定角色列表（roles）；清空全部角色须明确传 []"}).Err()
	}
	return s.Auth.SetRoles(r.Context(), r.Actor(), id, *in.Roles)
}

func (s *Server) lockUser(locked bool) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return s.Auth.SetLocked(r.Context(), r.Actor(), id, locked)
	}
}

func (s *Server) resetPassword(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Auth.ResetPassword(r.Context(), r.Actor(), id)
}

func (s *Server) pendingResets(r *Request) (any, error) {
	return s.Auth.PendingResets(r.Context(), r.Actor())
}

func (s *Server) approveReset(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Auth.ApproveReset(r.Context(), r.Actor(), id)
}

func (s *Server) filings(r *Request) (any, error) { return s.Auth.Filings(r.Context(), r.Actor()) }

// ---- audit ----

func (s *Server) auditFilter(r *Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Q: q.Get("q"), Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type")}
	var err error
	f.From, f.To, err = queryPeriod(r)
	return f, err
}

// recordRead notes a reading of the audit log in the log itself.
func (s *Server) recordRead(r *Request, action audit.Action, summary string) error {
	return s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: action, ObjectType: audit.Log, ScopePath: r.Actor().ScopePath, Summary: summary})
}

func (s *Server) listAudit(r *Request) (any, error) {
	f, err := s.auditFilter(r)
	if err != nil {
		return nil, err
	}
	if f.Page, f.Size, err = page(r); err != nil {
		return nil, err
	}
	items, n, err := s.Audit.List(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	if f.Page == 1 {
		if err := s.recordRead(r, audit.ReadLog, "查阅审计日志 "+r.URL.RawQuery); err != nil {
			return nil, err
		}
	}
	return list(items, n, f.Page, f.Size), nil
}

func (s *Server) exportAudit(r *Request) (any, error) {
	f, err := s.auditFilter(r)
	if err != nil {
		return nil, err
	}
	rows, err := s.Audit.All(r.Context(), r.Actor(), f, sheet.MaxExport)
	if err != nil {
		return nil, err
	}
	cols := []sheet.Column{{Title: "序号"}, {Title: "时间", Width: 20}, {Title: "操作人", Width: 18}, {Title: "IP地址"}, {Title: "操作"}, {Title: "对象类型"},
		{Title: "对象编号"}, {Title: "摘要", Width: 50}, {Title: "变更前"}, {Title: "变更后"}, {Title: "哈希"}}
	data := make([][]any, len(rows))
	for i, e := range rows {
		data[i] = []any{e.ID, e.At, e.ActorName, e.IP, e.ActionLabel, e.ObjectLabel, e.ObjectID, e.Summary, e.Before, e.After, e.Hash}
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: "审计日志", Columns: cols, Rows: data})
	if err != nil {
		return nil, err
	}
	if err := s.recordRead(r, audit.ExportLog, fmt.Sprintf("导出审计日志 %d 条 %s", len(rows), r.URL.RawQuery)); err != nil {
		return nil, err
	}
	return xlsx("审计日志", b), nil
}

func (s *Server) verifyAudit(r *Request) (any, error) {
	res, err := s.Audit.Verify(r.Context())
	if err != nil {
		return nil, err
	}
	if err := s.recordRead(r, audit.VerifyLog, res.Message); err != nil {
		return nil, err
	}
	return res, nil
}

// auditCheckpoints downloads the checkpoints file: the audit administrator
// keeps copies outside the platform, against which `govfleet audit-verify
// --checkpoints FILE` detects a chain cut or rewritten since.
func (s *Server) auditCheckpoints(r *Request) (any, error) {
	data, err := s.Audit.CheckpointsFile()
	if err != nil {
		return nil, errs.Wrap(err, "audit checkpoints")
	}
	if err := s.recordRead(r, audit.CheckpointsLog, fmt.Sprintf("下载审计日志校验点（%d 条）", bytes.Count(data, []byte("\n")))); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("audit-checkpoints-%s.log", time.Now().In(beijing.Zone).Format("20060102-1504"))
	return download{name: name, contentType: "text/plain; charset=utf-8", data: data}, nil
}

// ---- policy ----

func (s *Server) policy(r *Request) (any, error) { return s.Auth.Policy(r.Context()) }

func (s *Server) setPolicy(r *Request) (any, error) {
	var in auth.Policy
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Auth.SetPolicy(r.Context(), r.Actor(), in)
}
