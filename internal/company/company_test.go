package company_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/company"
	"govfleet/internal/errs"
)

func str(s string) *string { return &s }

func code(n int) string {
	first := fmt.Sprintf("91320400%09d", n)
	c, _ := check.CreditCodeCheckChar(first)
	return first + string(c)
}

// login opens a session with the initial password and returns the actor and the session token.
func login(t *testing.T, w *apptest.World, c *auth.Created) (*access.Actor, string) {
	t.Helper()
	l, err := w.Auth.Login(context.Background(), c.User.Username, c.InitialPassword, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Auth.Authenticate(context.Background(), l.Token, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return p.Actor, l.Token
}

// A company's account sees exactly what its contracts in force today
// cover, not what its owner level covers; ended or future contracts and a
// deactivated company give nothing.
func TestCompanyActorCoversItsContracts(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		co, err := w.Companies.Create(ctx, city, company.Input{Name: str("常州测试保险有限公司"), Kind: "insurer", CreditCode: str(code(1)), OwnerUnitID: w.UnitID(t, "常州市")})
		if err != nil {
			t.Fatal(err)
		}
		// "Today" is the one the sessions (auth) and the contracts' list
		// (company) read their contracts in force by: the same instant, so a
		// Beijing midnight during the test cannot set them a day apart.
		now := time.Now()
		w.Auth.Now = func() time.Time { return now }
		w.Companies.Now = func() time.Time { return now }
		today := now.In(beijing.Zone)
		day := func(d int) *string { return str(today.AddDate(0, 0, d).Format(time.DateOnly)) }
		for _, k := range []company.ContractInput{
			{UnitID: w.UnitID(t, "天宁区"), StartsOn: day(-30)},                   // in force
			{UnitID: w.UnitID(t, "市公安局"), StartsOn: day(-30), EndsOn: day(0)},  // ends today: in force
			{UnitID: w.UnitID(t, "钟楼区"), StartsOn: day(-300), EndsOn: day(-1)}, // ended
			{UnitID: w.UnitID(t, "新北区"), StartsOn: day(1)},                     // not yet
		} {
			if _, err := w.Companies.AddContract(ctx, city, co.ID, k); err != nil {
				t.Fatal(err)
			}
		}
		created, err := w.Companies.CreateUser(ctx, city, co.ID, auth.UserInput{Username: "picc_test", RealName: str("魏测试")})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(created.User.Roles, []access.Role{access.Insurer}) || created.User.ScopeID != w.UnitID(t, "常州市") {
			t.Fatalf("company account: roles %v scope %d", created.User.Roles, created.User.ScopeID)
		}
		a, session := login(t, w, created)
		if a.CompanyID != co.ID || a.CompanyKind != "insurer" {
			t.Fatalf("actor company %d %q", a.CompanyID, a.CompanyKind)
		}
		want := []string{w.UnitPath(t, "天宁区"), w.UnitPath(t, "市公安局")}
		slices.Sort(want)
		if !slices.Equal(a.ScopePaths(), want) {
			t.Errorf("scope paths %v, want %v", a.ScopePaths(), want)
		}
		for _, c := range []struct {
			unit string
			want bool
		}{{"天宁区城市管理局", true}, {"市公安局", true}, {"钟楼区财政局", false}, {"新北区总工会", false}, {"市机关事务管理局", false}, {"常州市", false}} {
			if got := a.Covers(w.UnitPath(t, c.unit)); got != c.want {
				t.Errorf("covers %s = %v, want %v", c.unit, got, c.want)
			}
		}
		if !a.Has(access.InsuranceWrite) || a.Has(access.InspectionRecord) || a.Has(access.FleetRead) {
			t.Errorf("insurer permissions %v", a.Permissions())
		}
		// Deactivating the company ends its accounts' access.
		if _, err := w.Companies.Update(ctx, city, co.ID, company.Input{Active: new(bool)}); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.Login(ctx, created.User.Username, created.InitialPassword, "127.0.0.1", "test"); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("deactivated company's account logs in: %v", err)
		}
		if _, err := w.Auth.Authenticate(ctx, session, "127.0.0.1"); !errs.Is(err, errs.Unauthenticated) {
			t.Errorf("deactivated company's session still works: %v", err)
		}
	})
}

// Company roles go only to company accounts of the matching kind, and a
// company account holds no staff role; a district administrator registers
// companies of its own level only.
func TestCompanyRolesAndScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		ctx := context.Background()
		city := w.Actor(t, "city_admin")
		tn := w.Actor(t, "tn_admin")
		staff, err := w.Auth.Create(ctx, city, auth.UserInput{Username: "staff_x", RealName: str("员工"), ScopeID: new(w.UnitID(t, "天宁区城市管理局"))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Auth.SetRoles(ctx, city, staff.User.ID, []access.Role{access.Insurer}); !errs.Is(err, errs.Invalid) {
			t.Errorf("company role to a staff account: %v", err)
		}
		co, err := w.Companies.Create(ctx, tn, company.Input{Name: str("天宁测试维修有限公司"), Kind: "repair", CreditCode: str(code(2)), OwnerUnitID: w.UnitID(t, "天宁区")})
		if err != nil {
			t.Fatal(err)
		}
		acct, err := w.Companies.CreateUser(ctx, tn, co.ID, auth.UserInput{Username: "tn_repair", RealName: str("修理工")})
		if err != nil {
			t.Fatal(err)
		}
		for _, roles := range [][]access.Role{{access.RepairShop, access.Approver}, {access.Insurer}} {
			if _, err := w.Auth.SetRoles(ctx, tn, acct.User.ID, roles); !errs.Is(err, errs.Invalid) {
				t.Errorf("roles %v on a repair shop's account: %v", roles, err)
			}
		}
		for name, fn := range map[string]func() error{
			"company of the city": func() error {
				_, err := w.Companies.Create(ctx, tn, company.Input{Name: str("越权企业有限公司"), Kind: "fuel", CreditCode: str(code(3)), OwnerUnitID: w.UnitID(t, "常州市")})
				return err
			},
			"contract outside": func() error {
				_, err := w.Companies.AddContract(ctx, tn, co.ID, company.ContractInput{UnitID: w.UnitID(t, "钟楼区财政局"), StartsOn: str("2026-01-01")})
				return err
			},
			"city company": func() error {
				cc, err := w.Companies.Create(ctx, city, company.Input{Name: str("市级企业有限公司"), Kind: "fuel", CreditCode: str(code(4)), OwnerUnitID: w.UnitID(t, "常州市")})
				if err != nil {
					t.Fatal(err)
				}
				_, err = w.Companies.Get(ctx, tn, cc.ID)
				return err
			},
		} {
			if err := fn(); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s as tn_admin: %v, want forbidden", name, err)
			}
		}
		if _, err := w.Companies.AddContract(ctx, city, co.ID, company.ContractInput{UnitID: w.UnitID(t, "钟楼区财政局"), StartsOn: str("2026-01-01")}); !errs.Is(err, errs.Invalid) {
			t.Errorf("contract outside the owner level: %v", err)
		}
		var n int
		if err := db.R.NewSelect().Table("audit_log").ColumnExpr("count(*)").Where("action IN ('company.create', 'contract.create')").Scan(ctx, &n); err != nil || n < 3 {
			t.Errorf("audited company changes: %d %v", n, err)
		}
	})
}

// Every demo company has an account that logs in as the company.
func TestDemoCompanies(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		for user, kind := range map[string]string{"co_repair": "repair", "co_fuel": "fuel", "co_insurer": "insurer", "co_inspect": "inspection", "co_rental": "rental", "co_rental2": "rental"} {
			a := w.Actor(t, user)
			if a.CompanyID == 0 || a.CompanyKind != kind || len(a.Contracts) == 0 || !a.HasRole(access.CompanyRole(kind)) {
				t.Errorf("%s: company %d %q contracts %v roles %v", user, a.CompanyID, a.CompanyKind, a.Contracts, a.Roles)
			}
		}
	})
}
