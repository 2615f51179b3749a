package httpapi_test

import (
	"context"
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/check"
	"govfleet/internal/company"
)

func init() {
	untargeted["GET /api/company-kinds"] = true
	untargeted["GET /api/companies"] = true
	// A company's own API keys target no node.
	untargeted["GET /api/company/keys"] = true
	untargeted["POST /api/company/keys"] = true
	untargeted["DELETE /api/company/keys/{id}"] = true
}

// newCompany registers a company of kind contracted by level (a city or
// district node) and serving it from 2020 on, as the city administrator.
func (e *env) newCompany(level int64, kind string) *company.Company {
	e.t.Helper()
	n := e.next()
	first := fmt.Sprintf("91320400%09d", n)
	c, _ := check.CreditCodeCheckChar(first)
	code, name := first+string(c), fmt.Sprintf("测试企业%d有限公司", n)
	co, err := e.w.Companies.Create(context.Background(), e.city(), company.Input{Name: &name, Kind: kind, CreditCode: &code, OwnerUnitID: level})
	if err != nil {
		e.t.Fatal(err)
	}
	from := "2020-01-01"
	k, err := e.w.Companies.AddContract(context.Background(), e.city(), co.ID, company.ContractInput{UnitID: level, StartsOn: &from})
	if err != nil {
		e.t.Fatal(err)
	}
	co.Contracts = append(co.Contracts, k)
	return co
}

// makeCompanyUser turns a test account holding a company role into the
// account of a new company of that kind serving 天宁区.
func (e *env) makeCompanyUser(u *auth.User, role access.Role) {
	e.t.Helper()
	kind := ""
	for _, k := range access.CompanyKinds {
		if k.Role == role {
			kind = k.Kind
		}
	}
	co := e.newCompany(e.tn, kind)
	if _, err := e.w.DB.W.NewRaw("UPDATE users SET company_id = ?, scope_id = ? WHERE id = ?", co.ID, e.tn, u.ID).Exec(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	u.ScopeID = e.tn
}

// companyFixtures adds the company register's routes: "in" is a company
// contracted by 天宁区, "out" one contracted by 钟楼区.
func (e *env) companyFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	zl := e.w.UnitID(e.t, "钟楼区")
	level := func(in bool) int64 {
		if in {
			return e.tn
		}
		return zl
	}
	co := func(in bool) int64 { return e.newCompany(level(in), "repair").ID }
	str := func(s string) *string { return &s }
	return map[string]func(c caller, in bool) call{
		"GET /api/company-kinds": func(c caller, in bool) call { return call{"GET", "/api/company-kinds", nil} },
		"GET /api/companies":     func(c caller, in bool) call { return call{"GET", "/api/companies?kind=repair", nil} },
		"POST /api/companies": func(c caller, in bool) call {
			n := e.next()
			first := fmt.Sprintf("91320400%09d", n)
			ch, _ := check.CreditCodeCheckChar(first)
			return call{"POST", "/api/companies", company.Input{Name: str(fmt.Sprintf("新企业%d有限公司", n)), Kind: "fuel", CreditCode: str(first + string(ch)), OwnerUnitID: level(in)}}
		},
		"GET /api/companies/{id}": func(c caller, in bool) call { return call{"GET", fmt.Sprintf("/api/companies/%d", co(in)), nil} },
		"PATCH /api/companies/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/companies/%d", co(in)), company.Input{Contact: str("新联系人")}}
		},
		"POST /api/companies/{id}/contracts": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/companies/%d/contracts", co(in)), company.ContractInput{UnitID: place(in), StartsOn: str("2026-01-01")}}
		},
		"PATCH /api/contracts/{id}": func(c caller, in bool) call {
			k := e.newCompany(level(in), "fuel").Contracts[0]
			return call{"PATCH", fmt.Sprintf("/api/contracts/%d", k.ID), company.ContractInput{EndsOn: str("2030-12-31")}}
		},
		"GET /api/companies/{id}/users": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/companies/%d/users", co(in)), nil}
		},
		"POST /api/companies/{id}/users": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/companies/%d/users", co(in)), auth.UserInput{Username: fmt.Sprintf("co%d", e.next()), RealName: str("企业用户")}}
		},
	}
}
