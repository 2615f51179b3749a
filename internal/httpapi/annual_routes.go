package httpapi

import (
	"govfleet/internal/access"
	"govfleet/internal/annual"
	"govfleet/internal/sheet"
)

// annualRoutes: the annual report (年报, R-10, R-11; issue 23 part 3) — years and deadlines, the
// reports of the scope, a report's figures, corrections, signature, return and acceptance, the work
// report, exports as Excel and PDF.
func (s *Server) annualRoutes() []Route {
	q := []string{"year", "state", "unit_id", "level", "keyword", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/annual-reports/years", Perm: access.AnnualRead, Tag: "年度报告", Summary: "已开启的报告年度及截止日期", Out: []*annual.Year{}, Handle: s.annualYears},
		{Method: "POST", Path: "/api/annual-reports/years", Perm: access.AnnualReview, Tag: "年度报告", Summary: "市级开启报告年度并设定截止日期（默认次年3月1日），为每个单位、辖市(区)和市级生成报告；再次提交可调整截止日期", In: annual.YearInput{}, Example: annual.YearInput{Year: 2025, Deadline: "2026-03-01"}, Out: annual.Year{}, Handle: create(s.Annual.OpenYear)},
		{Method: "GET", Path: "/api/annual-reports", Perm: access.AnnualRead, Tag: "年度报告", Summary: "管辖范围内的年度报告（状态、截止日期、逾期标记；state 可为 overdue 逾期）", Query: q, Out: List[*annual.Report]{}, Handle: paged(s.annualList)},
		{Method: "GET", Path: "/api/annual-reports/export", Perm: access.AnnualRead, Tag: "年度报告", Summary: "导出年度报告列表（xlsx，筛选条件同列表）", Query: exportQuery(q), Handle: exportOf(s, "年度报告", annualFields, s.annualList)},
		{Method: "GET", Path: "/api/annual-reports/{id}", Perm: access.AnnualRead, Tag: "年度报告", Summary: "年度报告：单位基本情况、车辆清单、年度使用与费用、大修、变动、事故，下级报告及时间线", Out: annual.Detail{}, Handle: get(s.Annual.Get)},
		{Method: "POST", Path: "/api/annual-reports/{id}/corrections", Perm: access.AnnualCorrect, Tag: "年度报告", Summary: "更正本单位车辆信息（写回车辆档案，留痕）", In: annual.CorrectionInput{}, Example: annual.CorrectionInput{VehicleID: 1, Field: "engine_no", Value: "L4B12345", Reason: "与行驶证核对"}, Out: annual.Detail{}, Handle: update(s.Annual.Correct)},
		{Method: "POST", Path: "/api/annual-reports/{id}/submit", Perm: access.AnnualSubmit, Tag: "年度报告", Summary: "签署并上报本级年度报告（辖市(区)、市级须下级全部接收）", In: annual.SubmitInput{}, Out: annual.Detail{}, Handle: update(s.Annual.Submit)},
		{Method: "POST", Path: "/api/annual-reports/{id}/return", Perm: access.AnnualReview, Tag: "年度报告", Summary: "上级退回年度报告（须填原因）", In: annual.ReasonInput{}, Out: annual.Detail{}, Handle: update(s.Annual.Return)},
		{Method: "POST", Path: "/api/annual-reports/{id}/accept", Perm: access.AnnualReview, Tag: "年度报告", Summary: "上级接收年度报告", Out: annual.Detail{}, Handle: get(s.Annual.Accept)},
		{Method: "PUT", Path: "/api/annual-reports/{id}/work-report", Perm: access.AnnualReview, Tag: "年度报告", Summary: "保存本级工作报告（规模、年度运行、变动情况）", In: annual.WorkReportInput{}, Out: annual.Detail{}, Handle: update(s.Annual.SaveWorkReport)},
		{Method: "GET", Path: "/api/annual-reports/{id}/report.xlsx", Perm: access.AnnualRead, Tag: "年度报告", Summary: "导出年度报告（xlsx，每张表一个工作表）", Handle: fileOf(s.Annual.Excel, sheet.XLSXType)},
		{Method: "GET", Path: "/api/annual-reports/{id}/report.pdf", Perm: access.AnnualRead, Tag: "年度报告", Summary: "打印年度报告（PDF）", Handle: fileOf(s.Annual.PDF, "application/pdf")},
	}
}

func (s *Server) annualYears(r *Request) (any, error) { return s.Annual.Years(r.Context()) }

func (s *Server) annualList(r *Request, p, size int) ([]*annual.Report, int, error) {
	year, err := queryInt(r, "year", 0)
	if err != nil {
		return nil, 0, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Annual.List(r.Context(), r.Actor(), annual.Filter{Year: year, State: q.Get("state"), UnitID: unit, Level: q.Get("level"), Keyword: q.Get("keyword")}, p, size)
}

var annualFields = []sheet.Field[*annual.Report]{
	sheet.F("年度", func(r *annual.Report) any { return r.Year }),
	{Title: "单位", Width: 26, Value: func(r *annual.Report) any { return r.UnitName }},
	sheet.F("层级", func(r *annual.Report) any { return r.Level }),
	{Title: "上级", Width: 20, Value: func(r *annual.Report) any { return r.Parent }},
	sheet.F("状态", func(r *annual.Report) any { return r.StateName }),
	sheet.F("截止日期", func(r *annual.Report) any { return r.Deadline }),
	sheet.F("逾期", func(r *annual.Report) any { return r.Overdue }),
	sheet.F("签署人", func(r *annual.Report) any { return r.SignedBy }),
	sheet.F("上报时间", func(r *annual.Report) any { return r.SubmittedAt }),
	{Title: "退回原因", Width: 30, Value: func(r *annual.Report) any { return r.ReturnReason }},
}
