package httpapi

import (
	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/company"
)

// companyRoutes are the outside organisations' register (issue 6 part 1).
func (s *Server) companyRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/company-kinds", Perm: access.Self, Tag: "合作企业", Summary: "企业类别及其账号角色", Out: access.CompanyKinds, Handle: s.companyKinds},
		{Method: "GET", Path: "/api/companies", Perm: access.CompanyRead, Tag: "合作企业", Summary: "合作企业列表", Query: []string{"kind", "q", "page", "page_size"}, Out: List[company.Company]{}, Handle: s.listCompanies},
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

func (s *Server) listCompanies(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, n, err := s.Companies.List(r.Context(), r.Actor(), company.Filter{Kind: q.Get("kind"), Q: q.Get("q"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
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
