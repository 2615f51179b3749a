package supervision_test

import (
	"strings"
	"testing"
	"time"

	"govfleet/internal/pdf"
	"govfleet/internal/supervision"
)

// A case's report says its rule, vehicle, unit, evidence and timeline.
func TestCaseReportSays(t *testing.T) {
	at := time.Date(2026, 3, 2, 14, 5, 0, 0, time.UTC)
	c := &supervision.Case{ID: 42, Rule: "no_order", Plate: "苏D88888", UnitName: "市机关事务管理局", AuthorityName: "常州市", Day: "2026-03-02",
		Title: "无派车单出车 苏D88888", State: supervision.Verified, OpenedAt: at, Explanation: "驾驶员私自用车，已批评教育", Decision: "情况属实"}
	d := &supervision.CaseDetail{Case: c, Events: []*supervision.CaseEvent{{At: at, Action: "opened", ActorName: "系统", Note: "行程 12.3 公里无派车单"},
		{At: at.Add(time.Hour), Action: "verified", ActorName: "钱正义", Note: "情况属实"}}}
	b, err := pdf.Bytes(supervision.CaseDoc(d, at))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := pdf.Text(b)
	for _, s := range []string{"公务用车监督案件报告", "案件编号：42", "苏D88888", "市机关事务管理局", "驾驶员私自用车，已批评教育", "情况属实", "钱正义", "系统立案", "核实违规", "核查人 签字："} {
		if !strings.Contains(text, s) {
			t.Errorf("the report does not say %q:\n%s", s, text)
		}
	}
}
