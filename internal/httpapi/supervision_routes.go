package httpapi

import (
	"strconv"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/supervision"
)

// supervisionRoutes: the supervisors' dashboard, cases and their steps,
// rule parameters and replay (issue 7, R-29(5), R-30).
func (s *Server) supervisionRoutes() []Route {
	return []Route{
		{"GET", "/api/supervision/dashboard", access.SupervisionRead, "监督", "监督总览：管辖范围内问题线索与案件按规则、单位、月份统计", []string{"unit_id", "months"}, nil, supervision.Dashboard{}, s.supDashboard},
		{"GET", "/api/supervision/cases", access.SupervisionRead, "监督", "案件列表（state: open 待说明、explained 待核查、verified 核实违规、dismissed 已排除、active 未结）", []string{"unit_id", "rule", "state", "month", "discipline", "page", "page_size"}, nil, List[*supervision.Case]{}, s.supCases},
		{"GET", "/api/supervision/cases/{id}", access.SupervisionRead, "监督", "案件详情：问题线索及证据、处理时间线、说明材料、可执行的操作", nil, nil, supervision.CaseDetail{}, get(s.Supervision.CaseByID)},
		{"POST", "/api/supervision/cases/{id}/explain", access.CaseExplain, "监督", "单位情况说明", nil, supervision.ExplainInput{}, supervision.CaseDetail{}, update(s.Supervision.Explain)},
		{"POST", "/api/supervision/cases/{id}/attachments", access.CaseExplain, "监督", "上传说明材料（multipart 字段 file；PDF、JPEG、PNG、ZIP，≤20 MB）", nil, nil, supervision.CaseAttachment{}, s.supAttach},
		{"GET", "/api/supervision/cases/{id}/attachments/{att_id}", access.SupervisionRead, "监督", "下载说明材料", nil, nil, nil, s.supAttachment},
		{"POST", "/api/supervision/cases/{id}/decide", access.CaseDecide, "监督", "核查结论：verified 核实违规 / dismissed 排除（须填理由）", nil, supervision.DecideInput{}, supervision.CaseDetail{}, update(s.Supervision.Decide)},
		{"POST", "/api/supervision/cases/{id}/escalate", access.CaseDecide, "监督", "升级：level 提交上级核查 / discipline 移送纪检监察", nil, supervision.EscalateInput{}, supervision.CaseDetail{}, update(s.Supervision.Escalate)},
		{"GET", "/api/supervision/rules", access.SupervisionRead, "监督", "监督规则及其在某层级（市、辖市(区)）的参数", []string{"unit_id"}, nil, []*supervision.RuleSetting{}, s.supRules},
		{"PUT", "/api/supervision/rules/{code}", access.SupervisionRules, "监督", "设置某层级的规则参数（市级定默认与上限，辖市(区)只能收紧）", nil, supervision.ParamsInput{}, supervision.RuleSetting{}, s.supSetRule},
		{"POST", "/api/supervision/rules/{code}/replay", access.SupervisionRules, "监督", "以新参数回放历史时段，与已立问题线索对比（不写入）", nil, supervision.ReplayInput{}, supervision.ReplayResult{}, s.supReplay},
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

func (s *Server) supCases(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, total, err := s.Supervision.Cases(r.Context(), r.Actor(), supervision.CaseFilter{UnitID: unit, Rule: q.Get("rule"), State: q.Get("state"),
		Month: q.Get("month"), Discipline: queryBool(r, "discipline"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, total, p, size), nil
}

func (s *Server) supAttach(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	data, vals, err := upload(r, supervision.MaxAttachment, "附件不能超过20 MB")
	if err != nil {
		return nil, err
	}
	name := vals["filename"]
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			name = fh[0].Filename
		}
	}
	att, err := s.Supervision.Attach(r.Context(), r.Actor(), id, name, data)
	if err != nil {
		return nil, err
	}
	return created{att}, nil
}

func (s *Server) supAttachment(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	aid, err := strconv.ParseInt(r.PathValue("att_id"), 10, 64)
	if err != nil {
		return nil, errs.E(errs.NotFound, "附件编号无效")
	}
	att, data, err := s.Supervision.OpenAttachment(r.Context(), r.Actor(), id, aid)
	if err != nil {
		return nil, err
	}
	return download{name: att.Filename, contentType: att.ContentType, data: data}, nil
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
