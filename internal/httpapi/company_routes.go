package httpapi

import (
	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/company"
	"govfleet/internal/sheet"
)

// companyRoutes are the outside organisations' register (issue 6 part 1).
func (s *Server) companyRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/company-kinds", Perm: access.Self, Tag: "合作企业", Summary: "企业类别及其账号角色", Out: access.CompanyKinds, Handle: s.companyKinds},
		{Method: "GET", Path: "/api/companies", Perm: access.CompanyRead, Tag: "合作企业", Summary: "合作企业列表", Query: []string{"kind", "q", "page", "page_size"}, Out: List[company.Company]{}, Handle: paged(s.listCompanies)},
		{Method: "GET", Path: "/api/companies/export", Perm: access.CompanyRead, Tag: "合作企业", Summary: "导出合作企业（xlsx，筛选条件同列表）", Query: exportQuery([]string{"kind", "q", "page", "page_size"}), Handle: exportOf(s, "合作企业", companyFields, s.listCompanies)},
		{Method: "POST", Path: "/api/companies", Perm: access.CompanyWrite, Tag: "合作企业", Summary: "登记合作企业（由市级或辖市(区)签约）", In: company.Input{}, Out: company.Company{}, Handle: create(s.Companies.Create)},
		{Method: "GET", Path: "/api/companies/{id}", Perm: access.CompanyRead, Tag: "合作企业", Summary: "企业详情与合同", Out: company.Company{}, Handle: get(s.Companies.Get)},
		{Method: "PATCH", Path: "/api/companies/{id}", Perm: access.CompanyWrite, Tag: "合作企业", Summary: "修改企业（名称、代码、联系人、启停）", In: company.Input{}, Out: company.Company{}, Handle: update(s.Companies.Update)},
		{Method: "POST", Path: "/api/companies/{id}/contracts", Perm: access.CompanyWrite, Tag: "合作企业", Summary: "新增合同：企业服务的单位或辖市(区)及期限", In: company.ContractInput{}, Out: company.Contract{}, Handle: s.addContract},
		{Method: "PATCH", Path: "/api/contracts/{id}", Perm: access.CompanyWrite, Tag: "合作企业", Summary: "修改合同期限或备注", In: company.ContractInput{}, Out: company.Contract{}, Handle: update(s.Companies.UpdateContract)},
		{Method: "GET", Path: "/api/companies/{id}/users", Perm: access.CompanyRead, Tag: "合作企业", Summary: "企业的账号", Out: []auth.User{}, Handle: get(s.Companies.Users)},
		{Method: "POST", Path: "/api/companies/{id}/users", Perm: access.CompanyWrite, Interactive: true, Tag: "合作企业", Summary: "为企业开设账号（返回一次性初始密码）", In: auth.UserInput{}, Out: auth.Created{}, Handle: s.createCompanyUser},
	}
}

func (s *Server) companyKinds(r *Request) (any, error) { return access.CompanyKinds, nil }

func (s *Server) listCompanies(r *Request, p, size int) ([]*company.Company, int, error) {
	q := r.URL.Query()
	return s.Companies.List(r.Context(), r.Actor(), company.Filter{Kind: q.Get("kind"), Q: q.Get("q"), Page: p, Size: size})
}

var companyFields = []sheet.Field[*company.Company]{
	{Title: "企业名称", Width: 30, Value: func(c *company.Company) any { return c.Name }},
	sheet.F("类别", func(c *company.Company) any { return c.KindName }),
	{Title: "统一社会信用代码", Width: 22, Value: func(c *company.Company) any { return c.CreditCode }},
	sheet.F("联系人", func(c *company.Company) any { return c.Contact }),
	sheet.F("联系电话", func(c *company.Company) any { return c.Phone }),
	{Title: "签约层级", Width: 20, Value: func(c *company.Company) any { return c.OwnerName }},
	sheet.F("合同数", func(c *company.Company) any { return len(c.Contracts) }),
	sheet.F("启用", func(c *company.Company) any { return c.Active }),
	{Title: "登记时间", Width: 20, Value: func(c *company.Company) any { return c.CreatedAt }},
}

func (s *Server) addContract(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in company.ContractInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	k, err := s.Companies.AddContract(r.Context(), r.Actor(), id, in)
	if err != nil {
		return nil, err
	}
	return created{k}, nil
}

func (s *Server) createCompanyUser(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in auth.UserInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	c, err := s.Companies.CreateUser(r.Context(), r.Actor(), id, in)
	if err != nil {
		return nil, err
	}
	return created{c}, nil
}
