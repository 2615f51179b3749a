package httpapi

import (
	"cmp"
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/ledger"
	"govfleet/internal/sheet"
)

// Request bodies shown in the OpenAPI document.
var (
	policyExample = insurance.PolicyInput{PolicyNo: "PDZA202632040000012345", Kind: "commercial", Plate: "苏D12345",
		StartsOn: "2026-03-01", EndsOn: "2027-02-28", PremiumFen: 468000, Coverage: []insurance.Coverage{
			{Name: "机动车损失保险", AmountFen: 18000000}, {Name: "第三者责任保险", AmountFen: 200000000}, {Name: "车上人员责任保险（司机）", AmountFen: 5000000}}}
	claimExample = map[string]any{"claim_no": "RDAA2026320400000789", "policy_no": "PDZA202632040000012345",
		"occurred_at": "2026-05-12T09:30:00+08:00", "place": "常州市天宁区延陵西路与和平北路路口", "damage": "前保险杠及左前大灯受损，无人员伤亡",
		"amount_fen": 356000, "paid_fen": 0, "status": "reported"}
	inspectionExample = inspection.ResultInput{InspectedOn: "2026-05-20", Passed: true, FeeFen: 30000, Note: "上线检验合格"}
)

// lifecycleRoutes are insurance, annual
// inspection and the cost ledger (issue 6 parts 4, 5, 7).
func (s *Server) lifecycleRoutes() []Route {
	return []Route{
		{Method: "POST", Path: "/api/insurance/policies", Perm: access.InsuranceWrite, Tag: "保险", Summary: "保险公司推送保单（同一保单号再次推送即更新）", In: insurance.PolicyInput{}, Example: policyExample, Out: insurance.Policy{}, Signed: true, Handle: create(s.Insurance.PushPolicy)},
		{Method: "POST", Path: "/api/insurance/claims", Perm: access.InsuranceWrite, Tag: "保险", Summary: "保险公司推送理赔（同一案号再次推送即更新状态与金额）", In: insurance.ClaimInput{}, Example: claimExample, Out: insurance.Claim{}, Signed: true, Handle: create(s.Insurance.PushClaim)},
		{Method: "GET", Path: "/api/insurance/policies", Perm: access.InsuranceRead, Tag: "保险", Summary: "保单列表（state=expiring 为30天内到期未续保）", Query: []string{"unit_id", "vehicle_id", "state", "q", "page", "page_size"}, Out: List[insurance.Policy]{}, Handle: paged(s.listPolicies)},
		{Method: "GET", Path: "/api/insurance/policies/export", Perm: access.InsuranceRead, Tag: "保险", Summary: "导出保险保单（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "vehicle_id", "state", "q", "page", "page_size"}), Handle: exportOf(s, "保险保单", policyFields, s.listPolicies)},
		{Method: "GET", Path: "/api/insurance/policies/{id}", Perm: access.InsuranceRead, Tag: "保险", Summary: "保单详情", Out: insurance.Policy{}, Handle: get(s.Insurance.Policy)},
		{Method: "GET", Path: "/api/insurance/claims", Perm: access.InsuranceRead, Tag: "保险", Summary: "理赔列表", Query: []string{"unit_id", "vehicle_id", "q", "page", "page_size"}, Out: List[insurance.Claim]{}, Handle: paged(s.listClaims)},
		{Method: "GET", Path: "/api/insurance/claims/export", Perm: access.InsuranceRead, Tag: "保险", Summary: "导出理赔记录（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "vehicle_id", "q", "page", "page_size"}), Handle: exportOf(s, "理赔记录", claimFields, s.listClaims)},
		{Method: "GET", Path: "/api/insurance/claims/{id}", Perm: access.InsuranceRead, Tag: "保险", Summary: "理赔详情", Out: insurance.Claim{}, Handle: get(s.Insurance.Claim)},

		{Method: "GET", Path: "/api/inspections", Perm: access.InspectionRead, Tag: "年检", Summary: "车辆年检到期情况（within=30 为30天内到期及逾期，overdue=1 仅逾期）", Query: []string{"unit_id", "within", "overdue", "q", "page", "page_size"}, Out: List[inspection.Due]{}, Handle: paged(s.listInspections)},
		{Method: "GET", Path: "/api/inspections/export", Perm: access.InspectionRead, Tag: "年检", Summary: "导出年检管理（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "within", "overdue", "q", "page", "page_size"}), Handle: exportOf(s, "年检管理", inspectionFields, s.listInspections)},
		{Method: "GET", Path: "/api/vehicles/{id}/inspection", Perm: access.InspectionRead, Tag: "年检", Summary: "车辆的年检日期与检验记录", Out: inspection.Detail{}, Handle: get(s.Inspection.Get)},
		{Method: "PUT", Path: "/api/vehicles/{id}/inspection-due", Perm: access.InspectionPlan, Tag: "年检", Summary: "设定下次年检日期", In: inspection.DueInput{}, Out: inspection.Detail{}, Handle: update(s.Inspection.SetDue)},
		{Method: "POST", Path: "/api/vehicles/{id}/inspections", Perm: access.InspectionRecord, Tag: "年检", Summary: "检测机构登记年检结果（检验费记入费用台账）", In: inspection.ResultInput{}, Example: inspectionExample, Out: inspection.Detail{}, Handle: s.recordInspection},

		{Method: "GET", Path: "/api/costs", Perm: access.CostRead, Tag: "费用台账", Summary: "费用台账：按单位、月份（或年份）、类别、车辆汇总（金额单位：分）", Query: []string{"unit_id", "period"}, Out: ledger.Summary{}, Handle: s.costs},
		{Method: "GET", Path: "/api/costs/export", Perm: access.CostRead, Tag: "费用台账", Summary: "导出费用台账（xlsx，金额单位：元）", Query: []string{"unit_id", "period"}, Handle: s.exportCosts},
	}
}

func (s *Server) insuranceFilter(r *Request, p, size int) (insurance.Filter, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return insurance.Filter{}, err
	}
	vehicle, err := queryID(r, "vehicle_id")
	if err != nil {
		return insurance.Filter{}, err
	}
	q := r.URL.Query()
	return insurance.Filter{UnitID: unit, VehicleID: vehicle, State: q.Get("state"), Q: q.Get("q"), Page: p, Size: size}, nil
}

func (s *Server) listPolicies(r *Request, p, size int) ([]*insurance.Policy, int, error) {
	f, err := s.insuranceFilter(r, p, size)
	if err != nil {
		return nil, 0, err
	}
	return s.Insurance.Policies(r.Context(), r.Actor(), f)
}

var policyStates = map[string]string{"future": "未生效", "active": "有效", "expiring": "即将到期", "expired": "已到期"}

var policyFields = []sheet.Field[*insurance.Policy]{
	{Title: "保单号", Width: 24, Value: func(p *insurance.Policy) any { return p.PolicyNo }},
	sheet.F("险种", func(p *insurance.Policy) any { return p.KindName }),
	sheet.F("车牌号", func(p *insurance.Policy) any { return p.Plate }),
	{Title: "单位", Width: 22, Value: func(p *insurance.Policy) any { return p.UnitName }},
	{Title: "保险公司", Width: 24, Value: func(p *insurance.Policy) any { return p.CompanyName }},
	sheet.F("起保日期", func(p *insurance.Policy) any { return p.StartsOn }),
	sheet.F("终保日期", func(p *insurance.Policy) any { return p.EndsOn }),
	sheet.F("保费（元）", func(p *insurance.Policy) any { return sheet.Money(p.PremiumFen) }),
	sheet.F("状态", func(p *insurance.Policy) any { return policyStates[p.State] }),
	sheet.F("剩余天数", func(p *insurance.Policy) any { return p.DaysLeft }),
}

func (s *Server) listClaims(r *Request, p, size int) ([]*insurance.Claim, int, error) {
	f, err := s.insuranceFilter(r, p, size)
	if err != nil {
		return nil, 0, err
	}
	return s.Insurance.Claims(r.Context(), r.Actor(), f)
}

var claimFields = []sheet.Field[*insurance.Claim]{
	{Title: "理赔编号", Width: 22, Value: func(c *insurance.Claim) any { return c.ClaimNo }},
	{Title: "保单号", Width: 22, Value: func(c *insurance.Claim) any { return c.PolicyNo }},
	sheet.F("车牌号", func(c *insurance.Claim) any { return c.Plate }),
	{Title: "单位", Width: 22, Value: func(c *insurance.Claim) any { return c.UnitName }},
	{Title: "出险时间", Width: 20, Value: func(c *insurance.Claim) any { return c.OccurredAt }},
	{Title: "出险地点", Width: 24, Value: func(c *insurance.Claim) any { return c.Place }},
	{Title: "损失情况", Width: 30, Value: func(c *insurance.Claim) any { return c.Damage }},
	sheet.F("定损金额（元）", func(c *insurance.Claim) any { return sheet.Money(c.AmountFen) }),
	sheet.F("赔付金额（元）", func(c *insurance.Claim) any { return sheet.Money(c.PaidFen) }),
	{Title: "赔付时间", Width: 20, Value: func(c *insurance.Claim) any { return c.PaidAt }},
	sheet.F("状态", func(c *insurance.Claim) any { return c.StatusName }),
}

func (s *Server) listInspections(r *Request, p, size int) ([]*inspection.Due, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	within, err := queryInt(r, "within", 0)
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	f := inspection.Filter{UnitID: unit, Within: within, Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true", Q: q.Get("q"), Page: p, Size: size}
	return s.Inspection.List(r.Context(), r.Actor(), f)
}

var inspectionFields = []sheet.Field[*inspection.Due]{
	sheet.F("车牌号", func(d *inspection.Due) any { return d.Plate }),
	sheet.F("品牌型号", func(d *inspection.Due) any { return d.Brand + " " + d.Model }),
	sheet.F("座位数", func(d *inspection.Due) any { return d.Seats }),
	{Title: "单位", Width: 22, Value: func(d *inspection.Due) any { return d.UnitName }},
	sheet.F("购置日期", func(d *inspection.Due) any { return d.PurchaseDate }),
	sheet.F("年检到期日", func(d *inspection.Due) any { return d.DueOn }),
	sheet.F("剩余天数", func(d *inspection.Due) any { return d.DaysLeft }),
	sheet.F("已逾期", func(d *inspection.Due) any { return d.Overdue }),
	sheet.F("上次检验", func(d *inspection.Due) any { return d.LastOn }),
	sheet.F("上次结果", func(d *inspection.Due) any {
		if d.LastPassed == nil {
			return ""
		}
		if *d.LastPassed {
			return "合格"
		}
		return "不合格"
	}),
}

func (s *Server) recordInspection(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in inspection.ResultInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	d, err := s.Inspection.Record(r.Context(), r.Actor(), id, in)
	if err != nil {
		return nil, err
	}
	return created{d}, nil
}

func (s *Server) exportCosts(r *Request) (any, error) {
	sum, err := s.costSummary(r)
	if err != nil {
		return nil, err
	}
	data, err := costsXLSX(sum)
	if err != nil {
		return nil, err
	}
	return download{name: fmt.Sprintf("费用台账-%s.xlsx", sum.Period), contentType: sheet.XLSXType, data: data}, nil
}

// costsXLSX writes a summary as two sheets, by unit and by vehicle, in yuan.
func costsXLSX(sum *ledger.Summary) ([]byte, error) {
	sheets := []sheet.Sheet{{Name: "按单位"}, {Name: "按车辆"}}
	for i, rows := range [][]*ledger.Row{sum.Units, sum.Vehicles} {
		sh := &sheets[i]
		sh.Columns = []sheet.Column{{Title: "单位", Width: 24}, {Title: "所属单位", Width: 24}}
		if i == 1 {
			sh.Columns[0].Title = "车牌"
		}
		for _, k := range sum.Kinds {
			sh.Columns = append(sh.Columns, sheet.Column{Title: k.Name + "（元）"})
		}
		sh.Columns = append(sh.Columns, sheet.Column{Title: "合计（元）"})
		for _, r := range rows {
			row := []any{r.Name, cmp.Or(r.Unit, r.Name)}
			for _, k := range sum.Kinds {
				row = append(row, sheet.Money(r.ByKind[k.Code]))
			}
			sh.Rows = append(sh.Rows, append(row, sheet.Money(r.Total)))
		}
	}
	return sheet.XLSX(sheets...)
}

// costs answers the summary as the bytes kept with it (issue 24 item 11):
// everyone reading a node's period gets the same encoding.
func (s *Server) costs(r *Request) (any, error) {
	sum, err := s.costSummary(r)
	if err != nil {
		return nil, err
	}
	j, gz, err := sum.Encoded()
	if err != nil {
		return nil, err
	}
	return encoded{j, gz}, nil
}

func (s *Server) costSummary(r *Request) (*ledger.Summary, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Ledger.Summarise(r.Context(), r.Actor(), unit, r.URL.Query().Get("period"))
}
