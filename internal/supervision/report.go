package supervision

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/pdf"
)

// caseActionNames are the timeline's steps in words (the console's actionLabels).
var caseActionNames = map[string]string{
	"opened": "系统立案", "finding": "新增线索", "explained": "单位说明", "attached": "上传材料",
	"verified": "核实违规", "dismissed": "排除", "escalated": "升级",
}

// CaseReport is a case's printable report (issue 23 part 6): the rule and its basis, the vehicle
// and unit, the findings with their evidence summaries, the unit's explanation, the decision and
// the timeline, with signature lines for the reviewer and the unit.
func (s *Service) CaseReport(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	d, err := s.CaseByID(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	b, err := pdf.Bytes(CaseDoc(d, time.Now()))
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("监督案件报告-%d.pdf", d.ID), nil
}

// CaseDoc lays out a case's report.
func CaseDoc(d *CaseDetail, now time.Time) pdf.Doc {
	t := func(at time.Time) string { return at.In(beijing.Zone).Format("2006-01-02 15:04") }
	closed := ""
	if d.ClosedAt != nil {
		closed = t(*d.ClosedAt)
	}
	basis := ""
	if r := ByCode(d.Rule); r != nil {
		basis = r.Info().Desc
	}
	plate := d.Plate
	if plate == "" {
		plate = "（单位问题，不涉及车辆）"
	}
	status := StateNames[d.State]
	if d.Serious {
		status += "（严重问题）"
	}
	if d.Discipline {
		status += "，已移送纪检监察"
	}
	findings := &pdf.Table{Columns: []string{"时间", "问题线索（证据摘要）"}, Widths: []float64{1, 4}}
	for _, f := range d.FindingList {
		findings.Rows = append(findings.Rows, []string{t(f.At), f.Summary})
	}
	timeline := &pdf.Table{Columns: []string{"时间", "步骤", "办理人", "说明"}, Widths: []float64{1.2, 1, 1, 3}}
	for _, e := range d.Events {
		name := caseActionNames[e.Action]
		if name == "" {
			name = e.Action
		}
		timeline.Rows = append(timeline.Rows, []string{t(e.At), name, e.ActorName, e.Note})
	}
	return pdf.Doc{
		Title:  "公务用车监督案件报告",
		Issuer: d.AuthorityName,
		Number: fmt.Sprintf("案件编号：%d", d.ID),
		Fields: []pdf.Field{
			{Label: "问题类型", Value: d.RuleName}, {Label: "状态", Value: status},
			{Label: "规则说明", Value: basis, Wide: true},
			{Label: "车辆", Value: plate}, {Label: "单位", Value: d.UnitName},
			{Label: "发生日期", Value: d.Day}, {Label: "核查层级", Value: d.AuthorityName},
			{Label: "立案时间", Value: t(d.OpenedAt)}, {Label: "结案时间", Value: closed},
			{Label: "案件摘要", Value: d.Title, Wide: true},
		},
		Sections: []pdf.Section{
			{Heading: fmt.Sprintf("问题线索与证据（%d 条）", len(d.FindingList)), Table: findings},
			{Heading: "单位情况说明", Paragraphs: []string{orDash(d.Explanation)}},
			{Heading: "核查结论", Paragraphs: []string{orDash(d.Decision)}},
			{Heading: "处理时间线", Table: timeline},
		},
		Signature: []string{"核查人", "单位负责人"},
		Footer:    "打印时间 " + t(now),
		At:        now,
	}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}
