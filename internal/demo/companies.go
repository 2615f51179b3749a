package demo

import (
	"context"
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/check"
	"govfleet/internal/company"
	"govfleet/internal/org"
)

// demoCompany is an outside organisation of the demo and its account.
type demoCompany struct {
	name, kind, user, person string
	covers                   []string // names of the nodes its contracts cover
}

// Companies of the demo (issue 6 part 9): contracted by the city; the
// repair shop serves the city's own units and two districts.
var demoCompanies = []demoCompany{
	{"常州市恒通汽车维修服务有限公司", "repair", "co_repair", "邵国强", []string{"市机关事务管理局", "市公安局", "天宁区", "钟楼区"}},
	{"中国石化销售股份有限公司江苏常州石油分公司", "fuel", "co_fuel", "潘建华", []string{"常州市"}},
	{"中国人民财产保险股份有限公司常州市分公司", "insurer", "co_insurer", "魏明辉", []string{"常州市"}},
	{"常州市公安机动车检测站有限公司", "inspection", "co_inspect", "姜立平", []string{"常州市"}},
	{"常州市公务出行汽车租赁有限公司", "rental", "co_rental", "戴海涛", []string{"常州市"}},
	{"常州畅达汽车租赁有限公司", "rental", "co_rental2", "范晓军", []string{"天宁区", "钟楼区", "新北区", "武进区"}},
}

// enterpriseCode makes a valid unified social credit code of an enterprise
// (authority 9 工商, type 1) registered in Changzhou.
func enterpriseCode(name string) string {
	c := creditCode(name, "320400", "")
	first17 := "91" + c[2:17]
	ch, err := check.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(ch)
}

func seedCompanies(ctx context.Context, o *org.Service, a *auth.Service, actor *access.Actor, root *org.Unit, units map[string]*org.Unit, next int) error {
	cs := &company.Service{DB: o.DB, Org: o, Auth: a}
	nodes := map[string]int64{root.Name: root.ID}
	for name, u := range units {
		nodes[name] = u.ID
	}
	var levels []*org.Unit
	if err := o.DB.R.NewSelect().Model(&levels).Where("kind = ?", org.KindDistrict).Scan(ctx); err != nil {
		return err
	}
	for _, l := range levels {
		nodes[l.Name] = l.ID
	}
	str := func(s string) *string { return &s }
	for i, dc := range demoCompanies {
		c, err := cs.Create(ctx, actor, company.Input{Name: str(dc.name), Kind: dc.kind, CreditCode: str(enterpriseCode(dc.name)),
			Contact: str(dc.person), Phone: str(fmt.Sprintf("0519-8%07d", 8100000+i*13)), OwnerUnitID: root.ID})
		if err != nil {
			return fmt.Errorf("company %s: %w", dc.name, err)
		}
		for _, n := range dc.covers {
			if _, err := cs.AddContract(ctx, actor, c.ID, company.ContractInput{UnitID: nodes[n], StartsOn: str("2025-01-01"), EndsOn: str("2027-12-31"), Note: str("2025—2027年度定点服务协议")}); err != nil {
				return fmt.Errorf("contract %s %s: %w", dc.name, n, err)
			}
		}
		u, err := a.Bootstrap(ctx, dc.user, dc.person, phone(next+i), Password, root.ID, false, access.CompanyRole(dc.kind))
		if err != nil {
			return fmt.Errorf("account %s: %w", dc.user, err)
		}
		// Bootstrap opens staff accounts; this one belongs to the company.
		if _, err := o.DB.W.NewRaw("UPDATE users SET company_id = ? WHERE id = ?", c.ID, u.ID).Exec(ctx); err != nil {
			return err
		}
	}
	return nil
}
