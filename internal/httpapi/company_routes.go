package httpapi

import (
	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/company"
)

// companyRoutes are the outside organisations' register (issue 6 part 1).
func (s *Server) companyRoutes() []Route {
	return []Route{
		{"GET", "/api/company-kinds", access.Self, "合作企业", "企业类别及其账号角色", nil, nil, access.CompanyKinds, s.companyKinds},
		{"GET", "/api/companies", access.CompanyRead, "合作企业", "合作企业列表", []string{"kind", "q", "page", "page_size"}, nil, List[company.Company]{}, s.listCompanies},
		{"POST", "/api/companies", access.CompanyWrite, "合作企业", "登记合作企业（由市级或辖市(区)签约）", nil, company.Input{}, company.Company{}, create(s.Companies.Create)},
		{"GET", "/api/companies/{id}", access.CompanyRead, "合作企业", "企业详情与合同", nil, nil, company.Company{}, get(s.Companies.Get)},
		{"PATCH", "/api/companies/{id}", access.CompanyWrite, "合作企业", "修改企业（名称、代码、联系人、启停）", nil, company.Input{}, company.Company{}, update(s.Companies.Update)},
		{"POST", "/api/companies/{id}/contracts", access.CompanyWrite, "合作企业", "新增合同：企业服务的单位或辖市(区)及期限", nil, company.ContractInput{}, company.Contract{}, s.addContract},
		{"PATCH", "/api/contracts/{id}", access.CompanyWrite, "合作企业", "修改合同期限或备注", nil, company.ContractInput{}, company.Contract{}, update(s.Companies.UpdateContract)},
		{"GET", "/api/companies/{id}/users", access.CompanyRead, "合作企业", "企业的账号", nil, nil, []auth.User{}, get(s.Companies.Users)},
		{"POST", "/api/companies/{id}/users", access.CompanyWrite, "合作企业", "为企业开设账号（返回一次性初始密码）", nil, auth.UserInput{}, auth.Created{}, s.createCompanyUser},
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
