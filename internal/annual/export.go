package annual

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/ledger"
	"govfleet/internal/money"
	"govfleet/internal/pdf"
	"govfleet/internal/sheet"
)

// A table of the report, as the Excel export and the PDF share it: a heading, columns and rows
// of cells (money as sheet.Money, kilometres as float64).
type table struct {
	name    string
	columns []string
	widths  []float64
	right   []bool
	rows    [][]any
}

func (d *Detail) tables() []table {
	f := d.Figures
	km := func(x float64) float64 { return round1(x) }
	kinds := ledger.Kinds
	var out []table

	basics := table{name: "单位基本情况", columns: []string{"单位", "上级", "单位类型", "人员编制", "车辆编制", "实有车辆", "标识化"},
		widths: []float64{3, 2, 2, 1, 1, 1, 1}, right: []bool{false, false, false, true, true, true, false}}
	for _, u := range f.Units {
		basics.rows = append(basics.rows, []any{u.Name, u.Parent, u.Type, u.Staffing, u.Quota, u.Actual, u.Marking})
	}
	out = append(out, basics)

	if len(f.ByDistrict) > 0 && d.UnitKind != "unit" {
		cols := []string{"下级", "单位数", "车辆编制", "实有车辆", "行驶里程（公里）"}
		for _, k := range kinds {
			cols = append(cols, k.Name+"（元）")
		}
		cols = append(cols, "费用合计（元）", "购置", "划转", "处置")
		agg := table{name: "汇总", columns: cols}
		for i := range cols {
			agg.right = append(agg.right, i > 0)
		}
		agg.widths = append([]float64{3}, repeat(1, len(cols)-1)...)
		for _, t := range append(append([]Totals{}, f.ByDistrict...), f.Totals) {
			row := []any{t.Name, t.Units, t.Quota, t.Vehicles, km(t.KM)}
			for _, k := range kinds {
				row = append(row, sheet.Money(t.Costs[k.Code]))
			}
			row = append(row, sheet.Money(t.CostFen), t.Acquired, t.Moved, t.Disposed)
			agg.rows = append(agg.rows, row)
		}
		agg.rows[len(agg.rows)-1][0] = "合计"
		out = append(out, agg)
	}

	list := table{name: "车辆清单", columns: []string{"单位", "号牌", "品牌型号", "车架号", "发动机号", "排量（毫升）", "座位", "注册登记日期", "购置价格（元）", "经费来源", "使用性质", "类别", "状态"},
		widths: []float64{2.2, 1.4, 2, 2.6, 1.6, 1, 0.7, 1.5, 1.4, 1.3, 1.3, 1.6, 1.2}}
	list.right = []bool{false, false, false, false, false, true, true, false, true}
	for _, v := range f.Vehicles {
		list.rows = append(list.rows, []any{v.Unit, v.Plate, v.Model, v.VIN, v.EngineNo, v.Displacement, v.Seats, v.RegisteredOn, sheet.Money(v.PriceFen), v.FundingSource, v.Use, v.Category, v.Status})
	}
	out = append(out, list)

	useCols := []string{"号牌", "单位", "行驶里程（公里）"}
	for _, k := range kinds {
		useCols = append(useCols, k.Name+"（元）")
	}
	useCols = append(useCols, "合计（元）")
	use := table{name: "年度使用与费用", columns: useCols, widths: append([]float64{1.4, 2.4}, repeat(1.2, len(useCols)-2)...)}
	for i := range useCols {
		use.right = append(use.right, i > 1)
	}
	for _, v := range f.Vehicles {
		row := []any{v.Plate, v.Unit, km(v.KM)}
		var sum int64
		for _, k := range kinds {
			row = append(row, sheet.Money(v.Costs[k.Code]))
			sum += v.Costs[k.Code]
		}
		use.rows = append(use.rows, append(row, sheet.Money(sum)))
	}
	total := []any{"合计", fmt.Sprintf("%d 辆", f.Totals.Vehicles), km(f.Totals.KM)}
	for _, k := range kinds {
		total = append(total, sheet.Money(f.Totals.Costs[k.Code]))
	}
	use.rows = append(use.rows, append(total, sheet.Money(f.Totals.CostFen)))
	out = append(out, use)

	rep := table{name: "大修", columns: []string{"日期", "维修单号", "单位", "号牌", "原因", "金额（元）"}, widths: []float64{1.2, 1.6, 2, 1.3, 4, 1.2},
		right: []bool{false, false, false, false, false, true}}
	for _, r := range f.MajorRepairs {
		rep.rows = append(rep.rows, []any{r.Date, r.No, r.Unit, r.Plate, r.Reason, sheet.Money(r.AmountFen)})
	}
	out = append(out, rep)

	ch := table{name: "车辆变动", columns: []string{"日期", "变动", "号牌", "原单位", "新单位", "文号", "说明"}, widths: []float64{1.2, 1.1, 1.3, 2, 2, 1.5, 2.5}}
	for _, c := range f.Changes {
		ch.rows = append(ch.rows, []any{c.Date, c.Kind, c.Plate, c.From, c.To, c.DocNo, c.Note})
	}
	out = append(out, ch)

	inc := table{name: "损坏被盗事故", columns: []string{"日期", "类别", "单位", "号牌", "情况", "损失（元）"}, widths: []float64{1.2, 1.4, 2, 1.3, 4, 1.2},
		right: []bool{false, false, false, false, false, true}}
	for _, i := range f.Incidents {
		var amount any
		if i.AmountFen != 0 {
			amount = sheet.Money(i.AmountFen)
		}
		inc.rows = append(inc.rows, []any{i.Date, i.Kind, i.Unit, i.Plate, i.What, amount})
	}
	out = append(out, inc)
	return out
}

func repeat(x float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = x
	}
	return out
}

func (d *Detail) title() string {
	return fmt.Sprintf("%s %d 年度公务用车统计报告", d.UnitName, d.Year)
}

func (d *Detail) fileName(ext string) string {
	return fmt.Sprintf("%s-%d年度报告.%s", d.UnitName, d.Year, ext)
}

// Excel is the report as .xlsx: a sheet for the report's state and work report, then one per table.
func (s *Service) Excel(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	cover := sheet.Sheet{Name: "报告信息", Columns: []sheet.Column{{Title: "项目", Width: 16}, {Title: "内容", Width: 90}}}
	for _, kv := range d.cover() {
		cover.Rows = append(cover.Rows, []any{kv.Label, kv.Value})
	}
	sheets := []sheet.Sheet{cover}
	for _, t := range d.tables() {
		sh := sheet.Sheet{Name: t.name}
		for i, c := range t.columns {
			w := 14.0
			if i < len(t.widths) {
				w = 8 * t.widths[i]
			}
			sh.Columns = append(sh.Columns, sheet.Column{Title: c, Width: max(w, 8)})
		}
		sh.Rows = t.rows
		sheets = append(sheets, sh)
	}
	b, err := sheet.XLSX(sheets...)
	if err != nil {
		return nil, "", err
	}
	return b, d.fileName("xlsx"), nil
}

func (d *Detail) cover() []pdf.Field {
	t := func(at *time.Time) string {
		if at == nil {
			return ""
		}
		return at.In(beijing.Zone).Format("2006-01-02 15:04")
	}
	state := d.StateName
	if d.Overdue {
		state += "（已逾期）"
	}
	fs := []pdf.Field{
		{Label: "报告单位", Value: d.UnitName}, {Label: "层级", Value: d.Level},
		{Label: "年度", Value: strconv.Itoa(d.Year)}, {Label: "截止日期", Value: d.Deadline},
		{Label: "状态", Value: state}, {Label: "签署人", Value: strings.TrimSpace(d.SignedBy + " " + t(d.SignedAt))},
		{Label: "审核", Value: strings.TrimSpace(d.ReviewedBy + " " + t(d.ReviewedAt))}, {Label: "上报时间", Value: t(d.SubmittedAt)},
	}
	if d.ReturnReason != "" {
		fs = append(fs, pdf.Field{Label: "退回原因", Value: d.ReturnReason, Wide: true})
	}
	fs = append(fs, pdf.Field{Label: "车辆", Value: fmt.Sprintf("%d 辆，行驶 %s 公里，费用 %s 元", d.Figures.Totals.Vehicles,
		strconv.FormatFloat(round1(d.Figures.Totals.KM), 'f', -1, 64), money.Yuan(d.Figures.Totals.CostFen)), Wide: true})
	if d.UnitKind != "unit" {
		wr := d.WorkReport
		if wr == "" {
			wr = "（未撰写）"
		}
		fs = append(fs, pdf.Field{Label: "工作报告", Value: wr, Wide: true})
	}
	return fs
}

// PDF is the report as a printable document (landscape A4): the cover fields, the work report,
// every table (the city's and a district's without the vehicle-by-vehicle tables, which the Excel
// export holds), and the signature lines.
func (s *Service) PDF(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	d, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	doc := pdf.Doc{Title: d.title(), Issuer: d.UnitName, Number: fmt.Sprintf("截止日期：%s", d.Deadline), Landscape: true,
		Footer: "打印时间 " + s.now().In(beijing.Zone).Format("2006-01-02 15:04"), At: s.now()}
	for _, f := range d.cover() {
		if f.Label != "工作报告" {
			doc.Fields = append(doc.Fields, f)
		}
	}
	if d.UnitKind != "unit" {
		wr := d.WorkReport
		if wr == "" {
			wr = d.WorkDraft
		}
		doc.Sections = append(doc.Sections, pdf.Section{Heading: "工作报告", Paragraphs: strings.Split(wr, "\n")})
	}
	for _, t := range d.tables() {
		if d.UnitKind != "unit" && (t.name == "车辆清单" || t.name == "年度使用与费用") {
			continue
		}
		pt := &pdf.Table{Columns: t.columns, Widths: t.widths, Right: t.right}
		for _, r := range t.rows {
			cells := make([]string, len(r))
			for i, c := range r {
				cells[i] = cell(c)
			}
			pt.Rows = append(pt.Rows, cells)
		}
		doc.Sections = append(doc.Sections, pdf.Section{Heading: t.name, Table: pt})
	}
	doc.Signature = []string{"填报人", "单位负责人", "审核人"}
	b, err := pdf.Bytes(doc)
	if err != nil {
		return nil, "", err
	}
	return b, d.fileName("pdf"), nil
}

func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case sheet.Money:
		return money.Yuan(int64(v))
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return fmt.Sprint(v)
}
