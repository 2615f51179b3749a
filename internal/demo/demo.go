// Package demo fills an empty database with a realistic Changzhou platform:
// the city, its seven districts and county-level city, about sixty units of
// the R-3 types, and an account for every role. It only runs on an empty
// database (serve --demo).
package demo

import (
	"context"
	"fmt"
	"hash/fnv"
	"log/slog"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/auth"
	"govfleet/internal/check"
	"govfleet/internal/fleet"
	"govfleet/internal/ledger"
	"govfleet/internal/org"
)

// Password is the password of every demo account.
const Password = "Demo@2026"

type unitSpec struct {
	name, typ string
	staff     int
}

type districtSpec struct {
	name, abbr, region string
	units              []unitSpec
}

var cityUnits = []unitSpec{
	{"市委办公室", "party", 120}, {"市委组织部", "party", 95}, {"市委宣传部", "party", 80},
	{"市人大常委会办公室", "npc", 90}, {"市政府办公室", "government", 150},
	{"市发展和改革委员会", "government", 110}, {"市教育局", "government", 100}, {"市公安局", "government", 600},
	{"市民政局", "government", 70}, {"市司法局", "government", 85}, {"市财政局", "government", 130},
	{"市人力资源和社会保障局", "government", 105}, {"市自然资源和规划局", "government", 160},
	{"市生态环境局", "government", 90}, {"市住房和城乡建设局", "government", 120}, {"市交通运输局", "government", 115},
	{"市水利局", "government", 75}, {"市农业农村局", "government", 95}, {"市商务局", "government", 70},
	{"市文化广电和旅游局", "government", 80}, {"市卫生健康委员会", "government", 100}, {"市应急管理局", "government", 85},
	{"市审计局", "government", 65}, {"市市场监督管理局", "government", 140}, {"市城市管理局", "government", 150},
	{"市机关事务管理局", "government", 90}, {"市政协办公室", "cppcc", 85}, {"市纪委监委", "discipline", 160},
	{"市中级人民法院", "court", 320}, {"市人民检察院", "procuratorate", 210}, {"市总工会", "mass_org", 55},
	{"团市委", "mass_org", 30}, {"市妇联", "mass_org", 30}, {"市档案馆", "public_institution", 45},
	{"市住房公积金管理中心", "public_institution", 80},
}

var districts = []districtSpec{
	{"天宁区", "tn", "320402", []unitSpec{{"天宁区委办公室", "party", 60}, {"天宁区政府办公室", "government", 70}, {"天宁区纪委监委", "discipline", 50}, {"天宁区城市管理局", "government", 90}}},
	{"钟楼区", "zl", "320404", []unitSpec{{"钟楼区政府办公室", "government", 65}, {"钟楼区财政局", "government", 45}, {"钟楼区纪委监委", "discipline", 48}, {"钟楼区人民法院", "court", 110}}},
	{"新北区", "xb", "320411", []unitSpec{{"新北区政府办公室", "government", 75}, {"新北区应急管理局", "government", 40}, {"新北区人民检察院", "procuratorate", 80}, {"新北区总工会", "mass_org", 20}}},
	{"武进区", "wj", "320412", []unitSpec{{"武进区委办公室", "party", 70}, {"武进区政府办公室", "government", 85}, {"武进区财政局", "government", 60}, {"武进区交通运输局", "government", 75}}},
	{"金坛区", "jt", "320413", []unitSpec{{"金坛区政府办公室", "government", 55}, {"金坛区纪委监委", "discipline", 40}, {"金坛区水利局", "government", 45}, {"金坛区妇联", "mass_org", 15}}},
	{"溧阳市", "ly", "320481", []unitSpec{{"溧阳市委办公室", "party", 60}, {"溧阳市政府办公室", "government", 70}, {"溧阳市人民法院", "court", 100}, {"溧阳市城市管理局", "government", 80}}},
	{"常州经开区", "jk", "320491", []unitSpec{{"经开区党工委办公室", "party", 35}, {"经开区管委会办公室", "government", 45}, {"经开区财政局", "government", 30}, {"经开区社会事业局", "government", 40}}},
}

// creditCode makes a valid unified social credit code for a government body
// (authority 1 机构编制, type 1 机关; 2 for public institutions) in region,
// with an organisation code derived from the name.
func creditCode(name, region, typ string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	org8 := fmt.Sprintf("%08d", h.Sum32()%100000000)
	// GB 11714 organisation-code check character.
	w := []int{3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, c := range org8 {
		sum += int(c-'0') * w[i]
	}
	c9 := 11 - sum%11
	oc := byte('0' + c9)
	switch c9 {
	case 10:
		oc = 'X'
	case 11:
		oc = '0'
	}
	kind := "1"
	if typ == "public_institution" {
		kind = "2"
	}
	first17 := "1" + kind + region + org8 + string(oc)
	c, err := check.CreditCodeCheckChar(first17)
	if err != nil {
		panic(err)
	}
	return first17 + string(c)
}

func phone(i int) string { return fmt.Sprintf("1390519%04d", 1000+i) }

// seedTime is the time the demo's lifecycle records and orders are laid
// out around (tests set it).
var seedTime = time.Now

// Seed fills the database if it is empty and reports whether it did. The
// demo's vehicle and driver photos go to blobs (none when nil).
func Seed(ctx context.Context, o *org.Service, a *auth.Service, blobs fleet.BlobStore) (bool, error) {
	n, err := o.DB.R.NewSelect().Table("units").Count(ctx)
	if err != nil || n > 0 {
		return false, err
	}
	root, err := o.CreateRoot(ctx, "常州市", "")
	if err != nil {
		return false, err
	}
	// The demo builds everything as the city's platform administrator.
	cityAdmin, err := a.Bootstrap(ctx, "city_admin", "周建国", phone(0), Password, root.ID, false, access.PlatformAdmin)
	if err != nil {
		return false, err
	}
	// The demo's accounts log in with their password alone, so that the
	// README's walk-through works: two factors are required of no role (a
	// new install requires them of administrators and supervisors,
	// auth.DefaultPolicy; the security policy page says the demo turned
	// them off).
	pol := auth.DefaultPolicy
	pol.TOTPRoles = []access.Role{}
	if err := a.SeedPolicy(ctx, pol, "演示数据：不要求动态验证码（新安装默认要求管理员和监督人员使用）"); err != nil {
		return false, err
	}
	actor := &access.Actor{UserID: cityAdmin.ID, Username: cityAdmin.Username, Name: cityAdmin.RealName, ScopeID: root.ID,
		ScopePath: root.Path, ScopeKind: org.KindCity, Roles: []access.Role{access.PlatformAdmin}, IP: "127.0.0.1"}

	str := func(s string) *string { return &s }
	num := func(i int) *int { return &i }
	mk := func(parent int64, kind string, u unitSpec, region string, i int) (*org.Unit, error) {
		in := org.Input{ParentID: &parent, Name: str(u.name),
			ContactName:  str([]string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄"}[i%8] + []string{"主任", "科长", "处长"}[i%3]),
			ContactPhone: str(fmt.Sprintf("0519-8%07d", 6800000+i*37))}
		if kind == org.KindUnit { // quotas and markings belong to units
			in.UnitType = str(u.typ)
			in.CreditCode = str(creditCode(u.name, region, u.typ))
			in.StaffingCount = num(u.staff)
			in.VehicleQuota = num(max(1, u.staff/25))
			in.MarkingStatus = str([]string{"full", "full", "partial", "none"}[i%4])
		}
		return o.Create(ctx, actor, kind, in)
	}

	units := map[string]*org.Unit{}
	i := 0
	for _, u := range cityUnits {
		i++
		x, err := mk(root.ID, org.KindUnit, u, "320400", i)
		if err != nil {
			return false, fmt.Errorf("unit %s: %w", u.name, err)
		}
		units[u.name] = x
	}
	distNodes := map[string]*org.Unit{}
	for _, d := range districts {
		i++
		dn, err := mk(root.ID, org.KindDistrict, unitSpec{name: d.name}, d.region, i)
		if err != nil {
			return false, fmt.Errorf("district %s: %w", d.name, err)
		}
		distNodes[d.abbr] = dn
		for _, u := range d.units {
			i++
			x, err := mk(dn.ID, org.KindUnit, u, d.region, i)
			if err != nil {
				return false, fmt.Errorf("unit %s: %w", u.name, err)
			}
			units[u.name] = x
		}
	}

	type acct struct {
		user, name string
		scope      int64
		roles      []access.Role
	}
	jgj := units["市机关事务管理局"].ID
	accts := []acct{
		{"city_sys", "吴志强", root.ID, []access.Role{access.SysAdmin}},
		{"city_sec", "郑晓燕", root.ID, []access.Role{access.SecAdmin}},
		{"city_audit", "孙丽华", root.ID, []access.Role{access.AuditAdmin}},
		{"city_jw", "钱正义", root.ID, []access.Role{access.SupervisorDiscipline}},
		{"city_cz", "冯德明", root.ID, []access.Role{access.SupervisorFinance}},
		{"city_sj", "褚立新", root.ID, []access.Role{access.SupervisorAudit}},
		{"city_dispatcher", "卫国平", root.ID, []access.Role{access.Dispatcher}},
		{"jgj_admin", "蒋文静", jgj, []access.Role{access.UnitAdmin}},
		{"jgj_approver", "沈国华", jgj, []access.Role{access.Approver}},
		{"jgj_dispatcher", "韩永康", jgj, []access.Role{access.Dispatcher}},
		{"jgj_vm", "杨建军", jgj, []access.Role{access.VehicleManager}},
		{"jgj_driver", "朱师傅", jgj, []access.Role{access.Driver}},
		{"jgj_staff", "秦小敏", jgj, []access.Role{access.Applicant}},
		{"gaj_approver", "尤海峰", units["市公安局"].ID, []access.Role{access.Approver}},
		{"tn_cgj_approver", "许晓东", units["天宁区城市管理局"].ID, []access.Role{access.Approver, access.Applicant}},
		{"zl_czj_staff", "何佳慧", units["钟楼区财政局"].ID, []access.Role{access.Applicant}},
		{"zl_czj_approver", "邵明辉", units["钟楼区财政局"].ID, []access.Role{access.Approver}},
	}
	names := []string{"吕", "施", "张", "孔", "曹", "严", "华"}
	for k, d := range districts {
		accts = append(accts,
			acct{d.abbr + "_admin", names[k] + "志刚", distNodes[d.abbr].ID, []access.Role{access.PlatformAdmin}},
			acct{d.abbr + "_dispatcher", names[k] + "海燕", distNodes[d.abbr].ID, []access.Role{access.Dispatcher}},
			acct{d.abbr + "_jw", names[k] + "正清", distNodes[d.abbr].ID, []access.Role{access.SupervisorDiscipline}},
		)
	}
	for k, ac := range accts {
		if _, err := a.Bootstrap(ctx, ac.user, ac.name, phone(k+1), Password, ac.scope, false, ac.roles...); err != nil {
			return false, fmt.Errorf("account %s: %w", ac.user, err)
		}
	}
	slog.Info("demo data created", "units", len(units), "districts", len(districts), "accounts", len(accts)+1)
	if err := seedFleet(ctx, o, actor, units, blobs); err != nil {
		return false, err
	}
	if err := seedCompanies(ctx, o, a, actor, root, units, len(accts)+1); err != nil {
		return false, err
	}
	now := seedTime().UTC()
	if err := seedLifecycle(ctx, o.DB, now); err != nil {
		return false, fmt.Errorf("insurance and inspections: %w", err)
	}
	if err := seedBooking(ctx, o.DB, now); err != nil {
		return false, err
	}
	if err := seedFuel(ctx, o.DB, now); err != nil {
		return false, err
	}
	// The lifecycle's and the fuel's ledger entries were written in bulk,
	// not through ledger.Post: their kept totals from them.
	if err := ledger.Rebuild(ctx, o.DB); err != nil {
		return false, fmt.Errorf("cost totals: %w", err)
	}
	if err := seedMaintenance(ctx, o.DB, blobs, now); err != nil {
		return false, err
	}
	if err := seedRates(ctx, o.DB, now); err != nil { // 收费标准与市场价, before anything is priced (loans.go)
		return false, err
	}
	if err := seedPartners(ctx, o.DB, a, actor, jgj, now); err != nil { // partner cities (partner.go)
		return false, fmt.Errorf("partner cities: %w", err)
	}
	if err := seedVisitors(ctx, o.DB, now); err != nil {
		return false, err
	}
	if err := seedLoans(ctx, o.DB, now); err != nil {
		return false, err
	}
	if err := seedSupervision(ctx, o.DB, now); err != nil {
		return false, err
	}
	if err := seedNotices(ctx, o.DB, blobs, now); err != nil {
		return false, err
	}
	if err := seedDispatch(ctx, o.DB, now); err != nil {
		return false, err
	}
	if err := seedStatistics(ctx, o.DB, now); err != nil { // rolls up everything above
		return false, err
	}
	// Last: the reports submitted in the demo froze the year's figures, mileage included.
	return true, seedAnnual(ctx, o.DB, actor, root, distNodes["tn"], units, now)
}

// Accounts describes the demo accounts for the start-up banner and README.
var Accounts = [][2]string{
	{"city_admin", "市级平台管理员（常州市）"},
	{"city_sys / city_sec / city_audit", "市级系统 / 安全 / 审计管理员（三员）"},
	{"city_jw / city_cz / city_sj", "市纪委监委 / 财政 / 审计监督员（只读）"},
	{"city_dispatcher", "市级调度员"},
	{"tn_admin, zl_admin, xb_admin, wj_admin, jt_admin, ly_admin, jk_admin", "各辖市(区)平台管理员"},
	{"tn_dispatcher … / tn_jw …", "各辖市(区)调度员 / 纪检监察监督员"},
	{"jgj_admin", "市机关事务管理局 单位管理员"},
	{"jgj_approver / jgj_dispatcher / jgj_vm", "审核员 / 调度员 / 车管负责人"},
	{"jgj_driver / jgj_staff", "驾驶员 / 用车申请人"},
	{"co_repair / co_fuel", "定点维修厂 / 加油公司（企业账号）"},
	{"co_insurer / co_inspect", "保险公司 / 检测机构（企业账号）"},
	{"co_rental / co_rental2", "租赁公司（企业账号）"},
	{VisitorMobile, "来访人员 王海燕（南京）：手机端 /m 选「来访人员登录」，密码 " + VisitorPassword},
}
