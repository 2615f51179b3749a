package httpapi

import (
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/errs"
	"govfleet/internal/sheet"
)

var actCredentialExport = audit.NewAction("credential.export", "导出API令牌与密钥")

// credentialRoutes are the machine credentials (internal/auth/credentials.go):
// one's own API tokens, a company's API keys, and the administrators'
// list of the tokens and keys of their scope. Creating one is Interactive.
func (s *Server) credentialRoutes() []Route {
	credQuery := []string{"scope_id", "kind", "status", "q"}
	return []Route{
		{Method: "GET", Path: "/api/me/tokens", Perm: access.Self, Tag: "认证", Summary: "本人的API令牌（含已过期）", Out: []auth.APIToken{}, Handle: s.tokens},
		{Method: "POST", Path: "/api/me/tokens", Perm: access.Self, Interactive: true, Tag: "认证", Summary: "创建API令牌（令牌只显示一次；有效期不超过安全策略的天数）", In: auth.TokenInput{}, Out: auth.APIToken{}, Handle: s.createToken},
		{Method: "DELETE", Path: "/api/me/tokens/{id}", Perm: access.Self, Tag: "认证", Summary: "吊销API令牌", Handle: s.revokeToken},

		{Method: "GET", Path: "/api/company/keys", Perm: access.CompanyKeys, Tag: "企业接口", Summary: "本企业的API密钥", Out: []auth.APIKey{}, Handle: s.companyKeys},
		{Method: "POST", Path: "/api/company/keys", Perm: access.CompanyKeys, Interactive: true, Tag: "企业接口", Summary: "创建API密钥（密钥只显示一次）", In: auth.TokenInput{}, Out: auth.APIKey{}, Handle: s.createCompanyKey},
		{Method: "DELETE", Path: "/api/company/keys/{id}", Perm: access.CompanyKeys, Tag: "企业接口", Summary: "吊销API密钥", Handle: s.revokeCompanyKey},

		{Method: "GET", Path: "/api/credentials", Perm: access.CredentialsManage, Tag: "账号", Summary: "管辖范围内账号的API令牌与企业API密钥（kind=token|key，status=active|expired|revoked）", Query: append(credQuery, "page", "page_size"), Out: List[auth.Credential]{}, Handle: s.listCredentials},
		{Method: "GET", Path: "/api/credentials/export", Perm: access.CredentialsManage, Tag: "账号", Summary: "导出API令牌与企业API密钥（xlsx）", Query: credQuery, Handle: s.exportCredentials},
		{Method: "DELETE", Path: "/api/credentials/tokens/{id}", Perm: access.CredentialsManage, Tag: "账号", Summary: "吊销他人的API令牌", Handle: s.revokeCredential("token")},
		{Method: "DELETE", Path: "/api/credentials/keys/{id}", Perm: access.CredentialsManage, Tag: "账号", Summary: "吊销企业API密钥", Handle: s.revokeCredential("key")},
	}
}

func (s *Server) tokens(r *Request) (any, error) { return s.Auth.Tokens(r.Context(), r.Actor()) }

func (s *Server) createToken(r *Request) (any, error) {
	var in auth.TokenInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if r.P.MustChange {
		return nil, errs.E(errs.PasswordChangeRequired, "首次登录或密码被重置后须先修改密码")
	}
	t, err := s.Auth.CreateToken(r.Context(), r.Actor(), in)
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

func (s *Server) companyKeys(r *Request) (any, error) { return s.Auth.Keys(r.Context(), r.Actor()) }

func (s *Server) createCompanyKey(r *Request) (any, error) {
	var in auth.TokenInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	k, err := s.Auth.CreateKey(r.Context(), r.Actor(), in.Name)
	if err != nil {
		return nil, err
	}
	return created{k}, nil
}

func (s *Server) revokeCompanyKey(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return noContent{}, s.Auth.RevokeKey(r.Context(), r.Actor(), id)
}

func credentialFilter(r *Request) (auth.CredentialFilter, error) {
	scope, err := queryID(r, "scope_id")
	q := r.URL.Query()
	return auth.CredentialFilter{ScopeID: scope, Kind: q.Get("kind"), Status: q.Get("status"), Q: q.Get("q")}, err
}

func (s *Server) listCredentials(r *Request) (any, error) {
	f, err := credentialFilter(r)
	if err != nil {
		return nil, err
	}
	if f.Page, f.Size, err = page(r); err != nil {
		return nil, err
	}
	items, n, err := s.Auth.Credentials(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

var credentialKinds = map[string]string{"token": "API令牌", "key": "企业API密钥"}

func (s *Server) exportCredentials(r *Request) (any, error) {
	f, err := credentialFilter(r)
	if err != nil {
		return nil, err
	}
	items, _, err := s.Auth.Credentials(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	cols := []sheet.Column{{Title: "类别"}, {Title: "名称", Width: 20}, {Title: "密钥ID", Width: 26}, {Title: "账号"}, {Title: "姓名"},
		{Title: "所属单位", Width: 20}, {Title: "企业", Width: 24}, {Title: "创建时间", Width: 20}, {Title: "到期时间", Width: 20},
		{Title: "最近使用", Width: 20}, {Title: "状态"}, {Title: "吊销时间", Width: 20}, {Title: "吊销原因"}}
	rows := make([][]any, len(items))
	for i, c := range items {
		rows[i] = []any{credentialKinds[c.Kind], c.Name, c.KeyID, c.Username, c.RealName, c.ScopeName, c.CompanyName, c.CreatedAt,
			c.ExpiresAt, c.LastUsedAt, auth.CredentialStatuses[c.Status], c.RevokedAt, c.RevokedReason}
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: "API令牌与密钥", Columns: cols, Rows: rows})
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actCredentialExport, ObjectType: audit.APIToken, ScopePath: r.Actor().ScopePath,
		Summary: fmt.Sprintf("导出API令牌与密钥%d个 %s", len(items), r.URL.RawQuery)}); err != nil {
		return nil, err
	}
	return xlsx("API令牌与密钥", b), nil
}

func (s *Server) revokeCredential(kind string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return noContent{}, s.Auth.RevokeCredential(r.Context(), r.Actor(), kind, id)
	}
}
