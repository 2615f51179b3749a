package httpapi

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/org"
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
	Out     any      // response type
	Handle  func(*Request) (any, error)
}

// Routes is the route table of the whole API: the foundation's routes
// below, then each domain's (fleet_routes.go, …).
func (s *Server) Routes() []Route {
	return slices.Concat(s.coreRoutes(), s.fleetRoutes(), s.bookingRoutes(), s.monitorRoutes(),
		s.supervisionRoutes(), s.companyRoutes(), s.lifecycleRoutes(), s.maintenanceRoutes(), s.rentalRoutes(), s.fuelRoutes(), s.tripsRoutes())
}

func (s *Server) coreRoutes() []Route {
	return []Route{
		{"GET", "/api/openapi.json", access.Public, "系统", "OpenAPI 3 文档", nil, nil, nil, s.openapi},

		{"POST", "/api/auth/login", access.Public, "认证", "登录", nil, loginIn{}, meOut{}, s.login},
		{"POST", "/api/auth/logout", access.Self, "认证", "退出登录", nil, nil, nil, s.logout},
		{"GET", "/api/me", access.Self, "认证", "当前用户、权限与CSRF令牌", nil, nil, meOut{}, s.me},
		{"POST", "/api/me/password", access.Self, "认证", "修改本人密码", nil, passwordIn{}, nil, s.changePassword},
		{"GET", "/api/me/tokens", access.Self, "认证", "本人的API令牌", nil, nil, []auth.APIToken{}, s.tokens},
		{"POST", "/api/me/tokens", access.Self, "认证", "创建API令牌（令牌只显示一次）", nil, tokenIn{}, auth.APIToken{}, s.createToken},
		{"DELETE", "/api/me/tokens/{id}", access.Self, "认证", "吊销API令牌", nil, nil, nil, s.revokeToken},
		{"GET", "/api/meta", access.Self, "系统", "角色、单位类型等代码表", nil, nil, metaOut{}, s.meta},

		{"GET", "/api/units/tree", access.OrgRead, "组织机构", "管辖范围内的组织树", nil, nil, []org.TreeNode{}, s.unitTree},
		{"GET", "/api/units", access.OrgRead, "组织机构", "单位列表", []string{"parent_id", "q", "unit_type", "kind", "active", "over_quota", "page", "page_size"}, nil, List[org.Unit]{}, s.listUnits},
		{"POST", "/api/units", access.OrgWrite, "组织机构", "新增单位（kind=district 仅市级可建辖市(区)）", nil, unitIn{}, org.Unit{}, s.createUnit},
		{"GET", "/api/units/{id}", access.OrgRead, "组织机构", "单位详情", nil, nil, org.Unit{}, get(s.Org.Get)},
		{"PATCH", "/api/units/{id}", access.OrgWrite, "组织机构", "修改单位", nil, org.Input{}, org.Unit{}, update(s.Org.Update)},
		{"POST", "/api/units/{id}/move", access.OrgWrite, "组织机构", "调整上级单位", nil, moveIn{}, org.Unit{}, s.moveUnit},
		{"POST", "/api/units/{id}/deactivate", access.OrgWrite, "组织机构", "停用单位", nil, nil, org.Unit{}, s.setUnitActive(false)},
		{"POST", "/api/units/{id}/activate", access.OrgWrite, "组织机构", "启用单位", nil, nil, org.Unit{}, s.setUnitActive(true)},

		{"GET", "/api/users", access.UsersRead, "账号", "账号列表", []string{"scope_id", "q", "role", "status", "page", "page_size"}, nil, List[auth.User]{}, s.listUsers},
		{"POST", "/api/users", access.UsersWrite, "账号", "新建账号（返回一次性初始密码）", nil, auth.UserInput{}, auth.Created{}, create(s.Auth.Create)},
		{"GET", "/api/users/{id}", access.UsersRead, "账号", "账号详情", nil, nil, auth.User{}, get(s.Auth.Get)},
		{"PATCH", "/api/users/{id}", access.UsersWrite, "账号", "修改账号（姓名、电话、所属单位、启停）", nil, auth.UserInput{}, auth.User{}, update(s.Auth.Update)},
		{"PUT", "/api/users/{id}/roles", access.RolesAssign, "账号", "分配角色", nil, rolesIn{}, auth.User{}, s.setRoles},
		{"POST", "/api/users/{id}/lock", access.UsersWrite, "账号", "锁定账号", nil, nil, auth.User{}, s.lockUser(true)},
		{"POST", "/api/users/{id}/unlock", access.UsersWrite, "账号", "解锁账号", nil, nil, auth.User{}, s.lockUser(false)},
		{"POST", "/api/users/{id}/reset-password", access.UsersWrite, "账号", "重置密码（返回新密码）", nil, nil, passwordOut{}, s.resetPassword},
		{"GET", "/api/role-filings", access.FilingsRead, "账号", "各级管理员、审核员、调度员备案（R-9）", nil, nil, []auth.Filing{}, s.filings},

		{"GET", "/api/audit", access.AuditRead, "审计", "审计日志", []string{"q", "actor", "action", "object_type", "from", "to", "page", "page_size"}, nil, List[audit.View]{}, s.listAudit},
		{"GET", "/api/audit/export", access.AuditRead, "审计", "导出审计日志（xlsx）", []string{"q", "actor", "action", "object_type", "from", "to"}, nil, nil, s.exportAudit},
		{"GET", "/api/audit/verify", access.AuditRead, "审计", "校验审计日志哈希链", nil, nil, audit.VerifyResult{}, s.verifyAudit},

		{"GET", "/api/policy", access.Self, "安全策略", "密码与会话策略", nil, nil, auth.Policy{}, s.policy},
		{"PUT", "/api/policy", access.PolicyWrite, "安全策略", "修改密码与会话策略", nil, auth.Policy{}, auth.Policy{}, s.setPolicy},
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
}

type passwordIn struct {
	OldPassword string `json:"old_password"`
	NewPassword string `json:"new_password"`
}

type tokenIn struct {
	Name string `json:"name"`
}

type passwordOut struct {
	Password string `json:"password"`
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
	if err != nil {
		return nil, err
	}
	s.setCookie(r.W, l.Token)
	a := &access.Actor{Roles: l.User.Roles}
	return meOut{User: l.User, CSRFToken: l.CSRFToken, Permissions: perms(a)}, nil
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
	return meOut{User: u, CSRFToken: r.P.CSRFToken, Permissions: perms(r.Actor())}, nil
}

func (s *Server) changePassword(r *Request) (any, error) {
	var in passwordIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if r.P.SessionID == "" {
		return nil, errs.E(errs.Forbidden, "API令牌不能修改密码")
	}
	return noContent{}, s.Auth.ChangePassword(r.Context(), r.P, in.OldPassword, in.NewPassword)
}

func (s *Server) tokens(r *Request) (any, error) { return s.Auth.Tokens(r.Context(), r.Actor()) }

func (s *Server) createToken(r *Request) (any, error) {
	var in tokenIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	t, err := s.Auth.CreateToken(r.Context(), r.Actor(), in.Name)
	if err != nil {
		return nil, err
	}
	return created{t}, nil
}

func (s *Server) revokeToken(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return noContent{}, s.Auth.RevokeToken(r.Context(), r.Actor(), id)
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
		AuditActions: codes(audit.Labels), AuditObjects: codes(audit.ObjectTypes)}, nil
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

func (s *Server) listUnits(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	parent, err := queryID(r, "parent_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := org.Filter{ParentID: parent, Q: q.Get("q"), UnitType: q.Get("unit_type"), Kind: q.Get("kind"),
		Active: q.Get("active"), OverQuota: q.Get("over_quota") == "true", Page: p, Size: size}
	items, n, err := s.Org.List(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
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

type rolesIn struct {
	Roles []access.Role `json:"roles"`
}

func (s *Server) listUsers(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	scope, err := queryID(r, "scope_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, n, err := s.Auth.List(r.Context(), r.Actor(), auth.UserFilter{ScopeID: scope, Q: q.Get("q"), Role: q.Get("role"), Status: q.Get("status"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
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
	return s.Auth.SetRoles(r.Context(), r.Actor(), id, in.Roles)
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
	pw, err := s.Auth.ResetPassword(r.Context(), r.Actor(), id)
	if err != nil {
		return nil, err
	}
	return passwordOut{pw}, nil
}

func (s *Server) filings(r *Request) (any, error) { return s.Auth.Filings(r.Context(), r.Actor()) }

// ---- audit ----

func (s *Server) auditFilter(r *Request) (audit.Filter, error) {
	q := r.URL.Query()
	f := audit.Filter{Q: q.Get("q"), Actor: q.Get("actor"), Action: q.Get("action"), ObjectType: q.Get("object_type")}
	var err error
	if f.From, err = queryTime(r, "from"); err != nil {
		return f, err
	}
	if f.To, err = queryTime(r, "to"); err != nil {
		return f, err
	}
	return f, nil
}

// recordRead notes a reading of the audit log in the log itself.
func (s *Server) recordRead(r *Request, action, summary string) error {
	return s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: action, ObjectType: "audit_log", ScopePath: r.Actor().ScopePath, Summary: summary})
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
		if err := s.recordRead(r, "audit.read", "查阅审计日志 "+r.URL.RawQuery); err != nil {
			return nil, err
		}
	}
	return list(items, n, f.Page, f.Size), nil
}

const exportLimit = 100000

func (s *Server) exportAudit(r *Request) (any, error) {
	f, err := s.auditFilter(r)
	if err != nil {
		return nil, err
	}
	rows, err := s.Audit.All(r.Context(), r.Actor(), f, exportLimit)
	if err != nil {
		return nil, err
	}
	x := excelize.NewFile()
	defer x.Close()
	sheet := "审计日志"
	x.SetSheetName("Sheet1", sheet)
	header := []any{"序号", "时间", "操作人", "IP地址", "操作", "对象类型", "对象编号", "摘要", "变更前", "变更后", "哈希"}
	x.SetSheetRow(sheet, "A1", &header)
	for i, e := range rows {
		row := []any{e.ID, e.At.In(beijing.Zone).Format("2006-01-02 15:04:05"), e.ActorName, e.IP, e.ActionLabel, e.ObjectLabel, e.ObjectID, e.Summary, e.Before, e.After, e.Hash}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(sheet, cell, &row)
	}
	x.SetColWidth(sheet, "B", "B", 20)
	x.SetColWidth(sheet, "C", "C", 18)
	x.SetColWidth(sheet, "H", "H", 50)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	if err := s.recordRead(r, "audit.export", fmt.Sprintf("导出审计日志 %d 条 %s", len(rows), r.URL.RawQuery)); err != nil {
		return nil, err
	}
	name := fmt.Sprintf("审计日志-%s.xlsx", time.Now().In(beijing.Zone).Format("20060102-1504"))
	return download{name: name, contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: buf.Bytes()}, nil
}

func (s *Server) verifyAudit(r *Request) (any, error) {
	res, err := s.Audit.Verify(r.Context())
	if err != nil {
		return nil, err
	}
	if err := s.recordRead(r, "audit.verify", res.Message); err != nil {
		return nil, err
	}
	return res, nil
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
