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
		{Method: "GET", Path: "/api/insurance/policies", Perm: access.InsuranceRead, Tag: "保险", Summary: "保单列表（state=expiring 为30天内到期未续保）", Query: []string{"unit_id", "vehicle_id", "state", "q", "page", "page_size"}, Out: List[insurance.Policy]{}, Handle: s.listPolicies},
		{Method: "GET", Path: "/api/insurance/policies/{id}", Perm: access.InsuranceRead, Tag: "保险", Summary: "保单详情", Out: insurance.Policy{}, Handle: get(s.Insurance.Policy)},
		{Method: "GET", Path: "/api/insurance/claims", Perm: access.InsuranceRead, Tag: "保险", Summary: "理赔列表", Query: []string{"unit_id", "vehicle_id", "q", "page", "page_size"}, Out: List[insurance.Claim]{}, Handle: s.listClaims},
		{Method: "GET", Path: "/api/insurance/claims/{id}", Perm: access.InsuranceRead, Tag: "保险", Summary: "理赔详情", Out: insurance.Claim{}, Handle: get(s.Insurance.Claim)},

		{Method: "GET", Path: "/api/inspections", Perm: access.InspectionRead, Tag: "年检", Summary: "车辆年检到期情况（within=30 为30天内到期及逾期，overdue=1 仅逾期）", Query: []string{"unit_id", "within", "overdue", "q", "page", "page_size"}, Out: List[inspection.Due]{}, Handle: s.listInspections},
		{Method: "GET", Path: "/api/vehicles/{id}/inspection", Perm: access.InspectionRead, Tag: "年检", Summary: "车辆的年检日期与检验记录", Out: inspection.Detail{}, Handle: get(s.Inspection.Get)},
		{Method: "PUT", Path: "/api/vehicles/{id}/inspection-due", Perm: access.InspectionPlan, Tag: "年检", Summary: "设定下次年检日期", In: inspection.DueInput{}, Out: inspection.Detail{}, Handle: update(s.Inspection.SetDue)},
		{Method: "POST", Path: "/api/vehicles/{id}/inspections", Perm: access.InspectionRecord, Tag: "年检", Summary: "检测机构登记年检结果（检验费记入费用台账）", In: inspection.ResultInput{}, Example: inspectionExample, Out: inspection.Detail{}, Handle: s.recordInspection},

		{Method: "GET", Path: "/api/costs", Perm: access.CostRead, Tag: "费用台账", Summary: "费用台账：按单位、月份（或年份）、类别、车辆汇总（金额单位：分）", Query: []string{"unit_id", "period"}, Out: ledger.Summary{}, Handle: s.costs},
		{Method: "GET", Path: "/api/costs/export", Perm: access.CostRead, Tag: "费用台账", Summary: "导出费用台账（xlsx，金额单位：元）", Query: []string{"unit_id", "period"}, Handle: s.exportCosts},
	}
}

func (s *Server) insuranceFilter(r *Request) (insurance.Filter, error) {
	p, size, err := page(r)
	if err != nil {
		return insurance.Filter{}, err
	}
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

func (s *Server) listPolicies(r *Request) (any, error) {
	f, err := s.insuranceFilter(r)
	if err != nil {
		return nil, err
	}
	items, n, err := s.Insurance.Policies(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

func (s *Server) listClaims(r *Request) (any, error) {
	f, err := s.insuranceFilter(r)
	if err != nil {
		return nil, err
	}
	items, n, err := s.Insurance.Claims(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

func (s *Server) listInspections(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	within, err := queryInt(r, "within", 0)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	f := inspection.Filter{UnitID: unit, Within: within, Overdue: q.Get("overdue") == "1" || q.Get("overdue") == "true", Q: q.Get("q"), Page: p, Size: size}
	items, n, err := s.Inspection.List(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
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
	sum, err := s.costs(r)
	if err != nil {
		return nil, err
	}
	data, err := costsXLSX(sum.(*ledger.Summary))
	if err != nil {
		return nil, err
	}
	return download{name: fmt.Sprintf("费用台账-%s.xlsx", sum.(*ledger.Summary).Period), contentType: sheet.XLSXType, data: data}, nil
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

func (s *Server) costs(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Ledger.Summarise(r.Context(), r.Actor(), unit, r.URL.Query().Get("period"))
}
