package httpapi

import (
	"govfleet/internal/access"
	"govfleet/internal/sheet"
	"govfleet/internal/supervision"
)

// supervisionRoutes: the supervisors' dashboard, cases and their steps,
// rule parameters and replay (issue 7, R-29(5), R-30).
func (s *Server) supervisionRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/supervision/dashboard", Perm: access.SupervisionRead, Tag: "监督", Summary: "监督总览：管辖范围内问题线索与案件按规则、单位、月份统计", Query: []string{"unit_id", "months"}, Out: supervision.Dashboard{}, Handle: s.supDashboard},
		{Method: "GET", Path: "/api/supervision/cases", Perm: access.SupervisionRead, Tag: "监督", Summary: "案件列表（state: open 待说明、explained 待核查、verified 核实违规、dismissed 已排除、active 未结）", Query: []string{"unit_id", "rule", "state", "month", "discipline", "page", "page_size"}, Out: List[*supervision.Case]{}, Handle: paged(s.supCases)},
		{Method: "GET", Path: "/api/supervision/cases/export", Perm: access.SupervisionRead, Tag: "监督", Summary: "导出问题线索（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "rule", "state", "month", "discipline", "page", "page_size"}), Handle: exportOf(s, "问题线索", caseFields, s.supCases)},
		{Method: "GET", Path: "/api/supervision/cases/{id}", Perm: access.SupervisionRead, Tag: "监督", Summary: "案件详情：问题线索及证据、处理时间线、说明材料、可执行的操作", Out: supervision.CaseDetail{}, Handle: get(s.Supervision.CaseByID)},
		{Method: "GET", Path: "/api/supervision/cases/{id}/report.pdf", Perm: access.SupervisionRead, Tag: "监督", Summary: "打印案件报告（PDF：规则、车辆、证据摘要、说明、结论、时间线、签字栏）", Handle: fileOf(s.Supervision.CaseReport, "application/pdf")},
		{Method: "POST", Path: "/api/supervision/cases/{id}/explain", Perm: access.CaseExplain, Tag: "监督", Summary: "单位情况说明", In: supervision.ExplainInput{}, Out: supervision.CaseDetail{}, Handle: update(s.Supervision.Explain)},
		{Method: "POST", Path: "/api/supervision/cases/{id}/attachments", Perm: access.CaseExplain, Tag: "监督", Summary: "上传说明材料（multipart 字段 file；PDF、JPEG、PNG、ZIP，≤20 MB）", Out: supervision.CaseAttachment{}, Handle: attach(s.Supervision.Attach)},
		{Method: "GET", Path: "/api/supervision/cases/{id}/attachments/{att_id}", Perm: access.SupervisionRead, Tag: "监督", Summary: "下载说明材料", Handle: attachedFile(s.Supervision.OpenAttachment, func(a *supervision.CaseAttachment) (string, string) { return a.Filename, a.ContentType })},
		{Method: "POST", Path: "/api/supervision/cases/{id}/decide", Perm: access.CaseDecide, Tag: "监督", Summary: "核查结论：verified 核实违规 / dismissed 排除（须填理由）", In: supervision.DecideInput{}, Out: supervision.CaseDetail{}, Handle: update(s.Supervision.Decide)},
		{Method: "POST", Path: "/api/supervision/cases/{id}/escalate", Perm: access.CaseDecide, Tag: "监督", Summary: "升级：level 提交上级核查 / discipline 移送纪检监察", In: supervision.EscalateInput{}, Out: supervision.CaseDetail{}, Handle: update(s.Supervision.Escalate)},
		{Method: "GET", Path: "/api/supervision/rules", Perm: access.SupervisionRead, Tag: "监督", Summary: "监督规则及其在某层级（市、辖市(区)）的参数", Query: []string{"unit_id"}, Out: []*supervision.RuleSetting{}, Handle: s.supRules},
		{Method: "PUT", Path: "/api/supervision/rules/{code}", Perm: access.SupervisionRules, Tag: "监督", Summary: "设置某层级的规则参数（市级定默认与上限，辖市(区)只能收紧）", In: supervision.ParamsInput{}, Out: supervision.RuleSetting{}, Handle: s.supSetRule},
		{Method: "POST", Path: "/api/supervision/rules/{code}/replay", Perm: access.SupervisionRules, Tag: "监督", Summary: "以新参数回放历史时段，与已立问题线索对比（不写入）", In: supervision.ReplayInput{}, Out: supervision.ReplayResult{}, Handle: s.supReplay},
	}
}

func (s *Server) supDashboard(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	months, err := queryInt(r, "months", 12)
	if err != nil {
		return nil, err
	}
	return s.Supervision.Dashboard(r.Context(), r.Actor(), unit, months)
}

func (s *Server) supCases(r *Request, p, size int) ([]*supervision.Case, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Supervision.Cases(r.Context(), r.Actor(), supervision.CaseFilter{UnitID: unit, Rule: q.Get("rule"), State: q.Get("state"),
		Month: q.Get("month"), Discipline: queryBool(r, "discipline"), Page: p, Size: size})
}

var caseFields = []sheet.Field[*supervision.Case]{
	sheet.F("日期", func(c *supervision.Case) any { return c.Day }),
	{Title: "规则", Width: 22, Value: func(c *supervision.Case) any { return c.RuleName }},
	{Title: "问题", Width: 40, Value: func(c *supervision.Case) any { return c.Title }},
	sheet.F("车牌号", func(c *supervision.Case) any { return c.Plate }),
	{Title: "单位", Width: 22, Value: func(c *supervision.Case) any { return c.UnitName }},
	sheet.F("严重问题", func(c *supervision.Case) any { return c.Serious }),
	sheet.F("移送纪检监察", func(c *supervision.Case) any { return c.Discipline }),
	sheet.F("状态", func(c *supervision.Case) any { return supervision.StateNames[c.State] }),
	{Title: "核查机关", Width: 22, Value: func(c *supervision.Case) any { return c.AuthorityName }},
	sheet.F("线索数", func(c *supervision.Case) any { return c.Findings }),
	{Title: "单位说明", Width: 30, Value: func(c *supervision.Case) any { return c.Explanation }},
	{Title: "核查结论", Width: 30, Value: func(c *supervision.Case) any { return c.Decision }},
	{Title: "立案时间", Width: 20, Value: func(c *supervision.Case) any { return c.OpenedAt }},
	{Title: "办结时间", Width: 20, Value: func(c *supervision.Case) any { return c.ClosedAt }},
}

func (s *Server) supRules(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Supervision.RuleSettings(r.Context(), r.Actor(), unit)
}

func (s *Server) supSetRule(r *Request) (any, error) {
	var in supervision.ParamsInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Supervision.SetParams(r.Context(), r.Actor(), r.PathValue("code"), in)
}

func (s *Server) supReplay(r *Request) (any, error) {
	var in supervision.ReplayInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Supervision.Replay(r.Context(), r.Actor(), r.PathValue("code"), in)
}
