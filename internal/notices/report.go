package notices

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/money"
	"govfleet/internal/pdf"
	"govfleet/internal/savings"
	"govfleet/internal/store"
)

// Period is a month (YYYY-MM) or a quarter (YYYY-Qn) in Beijing time.
type Period struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"` // 2026年11月, 2026年第四季度
	From, To time.Time `json:"-"`    // [From, To)
	Months   []string  `json:"-"`
}

// ParsePeriod reads a month (2026-11) or a quarter (2026-Q4).
func ParsePeriod(s string) (Period, error) {
	bad := (&errs.Fields{"period": "期间应为月份（如 2026-11）或季度（如 2026-Q4）"}).Err()
	s = strings.ToUpper(strings.TrimSpace(s))
	if y, q, ok := strings.Cut(s, "-Q"); ok {
		year, e1 := strconv.Atoi(y)
		n, e2 := strconv.Atoi(q)
		if e1 != nil || e2 != nil || n < 1 || n > 4 || year < 2000 || year > 2100 {
			return Period{}, bad
		}
		from := time.Date(year, time.Month(3*n-2), 1, 0, 0, 0, 0, beijing.Zone)
		p := Period{Code: s, Name: fmt.Sprintf("%d年第%s季度", year, []string{"一", "二", "三", "四"}[n-1]), From: from, To: from.AddDate(0, 3, 0)}
		for i := 0; i < 3; i++ {
			p.Months = append(p.Months, beijing.Month(from.AddDate(0, i, 0)))
		}
		return p, nil
	}
	from, err := beijing.ParseMonth(s)
	if err != nil || from.Year() < 2000 || from.Year() > 2100 {
		return Period{}, bad
	}
	return Period{Code: s, Name: fmt.Sprintf("%d年%d月", from.Year(), from.Month()), From: from, To: from.AddDate(0, 1, 0), Months: []string{s}}, nil
}

// KindCost is the ledger's cost of one kind.
type KindCost struct {
	Code string `json:"code"`
	Name string `json:"name"`
	Fen  int64  `json:"fen"`
}

// Measures are the figures of one node's subtree in a period, each with
// the one definition docs/notices.md gives.
type Measures struct {
	ID           int64            `json:"id"`
	Name         string           `json:"name"`
	Orders       int              `json:"orders"`        // orders picked up in the period, neither cancelled nor returned
	Served       int              `json:"served"`        // of those, finished, back at base or closed
	VehicleDays  int              `json:"vehicle_days"`  // (vehicle, Beijing day) with mileage driven
	DistanceM    int64            `json:"distance_m"`    // daily mileage from the terminals
	Trips        int              `json:"trips"`         // trips of those days
	RentalOrders int              `json:"rental_orders"` // rental hand-overs of the period's months
	RentalKm     int64            `json:"rental_km"`     // their recorded odometer distance
	RentalFen    int64            `json:"rental_fen"`    // their recorded fees
	CostFen      int64            `json:"cost_fen"`      // the cost ledger's kept totals of the period's months
	ByKind       map[string]int64 `json:"by_kind"`
	Findings     int              `json:"findings"`     // supervision findings of the period's days
	Cases        int              `json:"cases"`        // cases of the period's days
	CasesClosed  int              `json:"cases_closed"` // of those, verified or dismissed by the time of generation
}

// Figures are what a periodic report is drafted from: the node's totals
// and each of its direct active child nodes'.
type Figures struct {
	Period      string      `json:"period"`
	PeriodName  string      `json:"period_name"`
	From        string      `json:"from"` // first day
	To          string      `json:"to"`   // last day
	Kinds       []KindCost  `json:"kinds"`
	Total       *Measures   `json:"total"`
	Units       []*Measures `json:"units"`
	GeneratedAt time.Time   `json:"generated_at"`
}

func decodeFigures(s string) (*Figures, error) {
	f := new(Figures)
	if err := json.Unmarshal([]byte(s), f); err != nil {
		return nil, errs.Wrap(err, "report figures")
	}
	return f, nil
}

// Compute measures the node's subtree and each direct child's in the period.
func Compute(ctx context.Context, db bun.IDB, nodeID int64, p Period, now time.Time) (*Figures, error) {
	var nodes []struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
		Path string `bun:"path"`
	}
	if err := db.NewSelect().Table("units").Column("id", "name", "path").
		Where("id = ? OR (parent_id = ? AND active = ?)", nodeID, nodeID, true).OrderExpr("CASE WHEN id = ? THEN 0 ELSE 1 END, sort, id", nodeID).Scan(ctx, &nodes); err != nil {
		return nil, store.Translate(err)
	}
	if len(nodes) == 0 || nodes[0].ID != nodeID {
		return nil, errs.E(errs.NotFound, "单位不存在")
	}
	f := &Figures{Period: p.Code, PeriodName: p.Name, From: beijing.Date(p.From), To: beijing.Date(p.To.Add(-time.Hour * 24)), GeneratedAt: now, Units: []*Measures{}}
	for i, n := range nodes {
		m, err := measure(ctx, db, n.Path, p)
		if err != nil {
			return nil, err
		}
		m.ID, m.Name = n.ID, n.Name
		if i == 0 {
			f.Total = m
		} else {
			f.Units = append(f.Units, m)
		}
	}
	for _, k := range ledger.Kinds {
		f.Kinds = append(f.Kinds, KindCost{Code: k.Code, Name: k.Name, Fen: f.Total.ByKind[k.Code]})
	}
	return f, nil
}

func measure(ctx context.Context, db bun.IDB, path string, p Period) (*Measures, error) {
	m := &Measures{ByKind: map[string]int64{}}
	like := path + "%"
	from, last := beijing.Date(p.From), beijing.Date(p.To.Add(-24*time.Hour))
	err := db.NewSelect().TableExpr("orders AS o").Join("JOIN units AS u ON u.id = o.unit_id").
		ColumnExpr("COUNT(*), COALESCE(SUM(CASE WHEN o.state IN ('finished', 'back', 'closed') THEN 1 ELSE 0 END), 0)").
		Where("u.path LIKE ? AND o.pickup_at >= ? AND o.pickup_at < ? AND o.state NOT IN ('cancelled', 'returned')", like, p.From.UTC(), p.To.UTC()).
		Scan(ctx, &m.Orders, &m.Served)
	if err == nil {
		err = db.NewSelect().TableExpr("vehicle_daily_mileage AS d").Join("JOIN units AS u ON u.id = d.unit_id").
			ColumnExpr("COUNT(*), COALESCE(SUM(d.distance_m), 0), COALESCE(SUM(d.trips), 0)").
			Where("u.path LIKE ? AND d.day >= ? AND d.day <= ? AND d.distance_m > 0", like, from, last).
			Scan(ctx, &m.VehicleDays, &m.DistanceM, &m.Trips)
	}
	if err == nil {
		err = db.NewSelect().TableExpr("rental_orders AS r").Join("JOIN units AS u ON u.id = r.unit_id").
			ColumnExpr("COUNT(*), COALESCE(SUM(CASE WHEN r.end_mileage IS NOT NULL AND r.start_mileage IS NOT NULL THEN r.end_mileage - r.start_mileage ELSE 0 END), 0), COALESCE(SUM(COALESCE(r.fee_fen, 0)), 0)").
			Where("u.path LIKE ? AND r.month IN (?)", like, bun.In(p.Months)).
			Scan(ctx, &m.RentalOrders, &m.RentalKm, &m.RentalFen)
	}
	if err == nil {
		var rows []struct {
			Kind string `bun:"kind"`
			Fen  int64  `bun:"fen"`
		}
		err = db.NewSelect().Table("cost_totals").ColumnExpr("kind, SUM(amount_fen) AS fen").
			Where("unit_path LIKE ? AND period IN (?)", like, bun.In(p.Months)).GroupExpr("kind").Scan(ctx, &rows)
		for _, r := range rows {
			m.ByKind[r.Kind] += r.Fen
			m.CostFen += r.Fen
		}
	}
	if err == nil {
		err = db.NewSelect().Table("findings").ColumnExpr("COUNT(*)").
			Where("unit_path LIKE ? AND day >= ? AND day <= ?", like, from, last).Scan(ctx, &m.Findings)
	}
	if err == nil {
		err = db.NewSelect().Table("cases").
			ColumnExpr("COUNT(*), COALESCE(SUM(CASE WHEN state IN ('verified', 'dismissed') THEN 1 ELSE 0 END), 0)").
			Where("unit_path LIKE ? AND day >= ? AND day <= ?", like, from, last).Scan(ctx, &m.Cases, &m.CasesClosed)
	}
	return m, store.Translate(err)
}

// percent is a/b as a percentage with one decimal, "—" without b.
func percent(a, b int) string {
	if b == 0 {
		return "—"
	}
	return strconv.FormatFloat(float64(a*1000/b)/10, 'f', 1, 64) + "%"
}

// DraftText writes the report's text from its figures: the administrator
// edits it before publishing.
func DraftText(node string, f *Figures) string {
	t := f.Total
	var b strings.Builder
	fmt.Fprintf(&b, "现将%s%s公务用车和租赁用车使用情况通报如下（统计期间 %s 至 %s，数据来自平台）。\n\n", node, f.PeriodName, f.From, f.To)
	fmt.Fprintf(&b, "一、用车情况。本期共有用车订单%d单，已完成%d单（完成率%s）；车辆出车%d车日，行驶%s公里，行程%d次。\n\n",
		t.Orders, t.Served, percent(t.Served, t.Orders), t.VehicleDays, savings.Km(t.DistanceM), t.Trips)
	fmt.Fprintf(&b, "二、租赁用车。本期转租赁用车%d单，登记行驶%d公里，费用%s元。\n\n", t.RentalOrders, t.RentalKm, money.Yuan(t.RentalFen))
	var kinds []string
	for _, k := range f.Kinds {
		if k.Fen != 0 {
			kinds = append(kinds, fmt.Sprintf("%s%s元", k.Name, money.Yuan(k.Fen)))
		}
	}
	if len(kinds) == 0 {
		kinds = []string{"本期无费用记录"}
	}
	fmt.Fprintf(&b, "三、运行费用。本期计入费用台账合计%s元，其中%s。\n\n", money.Yuan(t.CostFen), strings.Join(kinds, "，"))
	fmt.Fprintf(&b, "四、监督检查。本期发现问题线索%d条，涉及问题%d件，已办结%d件（办结率%s）。\n\n", t.Findings, t.Cases, t.CasesClosed, percent(t.CasesClosed, t.Cases))
	var top *Measures
	for _, u := range f.Units {
		if top == nil || u.CostFen > top.CostFen {
			top = u
		}
	}
	if top != nil && top.CostFen > 0 {
		fmt.Fprintf(&b, "五、下级单位。本期费用最高的是%s（%s元，用车订单%d单）；各单位明细见附表。\n\n", top.Name, money.Yuan(top.CostFen), top.Orders)
	}
	b.WriteString("请各单位对照数据，规范公务用车管理，对问题线索及时说明整改。")
	return b.String()
}

// ReportInput asks for a periodic report of a month or a quarter.
type ReportInput struct {
	Period  string  `json:"period" max:"10"` // 2026-11 or 2026-Q4
	Targets []int64 `json:"targets"`
}

// CreateReport drafts the periodic report on the use of official and
// rental vehicles of the actor's level for a period: the figures as they
// are now, a text drafted from them, addressed like a notice. The
// administrator reviews and edits the text, then publishes it.
func (s *Service) CreateReport(ctx context.Context, a *access.Actor, in ReportInput) (*Notice, error) {
	if !a.Has(access.NoticePublish) {
		return nil, errs.E(errs.Forbidden, "只有市、区平台管理员可以发布用车情况报告")
	}
	p, err := ParsePeriod(in.Period)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !p.From.Before(now) {
		return nil, (&errs.Fields{"period": fmt.Sprintf("%s尚未开始", p.Name)}).Err()
	}
	f, err := Compute(ctx, s.DB.R, a.ScopeID, p, now)
	if err != nil {
		return nil, err
	}
	js, err := json.Marshal(f)
	if err != nil {
		return nil, errs.Wrap(err, "report figures")
	}
	var node string
	if err := s.DB.R.NewSelect().Table("units").Column("name").Where("id = ?", a.ScopeID).Scan(ctx, &node); err != nil {
		return nil, store.Translate(err)
	}
	title := fmt.Sprintf("%s%s公务用车和租赁用车使用情况报告", node, p.Name)
	body := DraftText(node, f)
	return s.create(ctx, a, KindReport, p.Code, string(js), Input{Title: &title, Body: &body, Targets: in.Targets})
}

// ReportRows are a report's figures as table rows: each child node, then
// the total (named 合计).
func ReportRows(f *Figures) []*Measures {
	rows := append([]*Measures{}, f.Units...)
	t := *f.Total
	t.Name = "合计"
	return append(rows, &t)
}

var actReportPrint = audit.NewAction("notice.report_print", "打印用车情况报告")

// ReportPDF is a periodic report as printed (A4 landscape, docs/printing.md): its title, issuer and
// date, the text, and the figures table of each child node and the total (the kinds of cost the
// period had). Whoever may open the report may print it; printing is audited.
func (s *Service) ReportPDF(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	n, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	if n.Report == nil {
		return nil, "", errs.E(errs.NotFound, "「%s」不是用车情况报告，没有数据表", n.Title)
	}
	b, err := pdf.Bytes(ReportDoc(n, s.now()))
	if err != nil {
		return nil, "", err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actReportPrint, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("打印「%s」", n.Title)})
	})
	if err != nil {
		return nil, "", err
	}
	return b, n.Title + ".pdf", nil
}

// ReportDoc lays out a periodic report.
func ReportDoc(n *Notice, now time.Time) pdf.Doc {
	f := n.Report
	date := "草稿"
	if n.PublishedAt != nil {
		date = n.PublishedAt.In(beijing.Zone).Format("2006年1月2日") + "发布"
	}
	var paras []string
	for _, p := range strings.Split(n.Body, "\n") {
		if p = strings.TrimSpace(p); p != "" {
			paras = append(paras, p)
		}
	}
	var kinds []KindCost // the kinds the period had: a column of zeros says nothing on paper
	for _, k := range f.Kinds {
		if k.Fen != 0 {
			kinds = append(kinds, k)
		}
	}
	tb := &pdf.Table{Columns: []string{"单位", "订单", "已完成", "出车车日", "里程（公里）", "租赁（单）"}, Widths: []float64{22, 7, 7, 8, 11, 8}}
	for _, k := range kinds {
		tb.Columns, tb.Widths = append(tb.Columns, k.Name), append(tb.Widths, 11)
	}
	tb.Columns, tb.Widths = append(tb.Columns, "费用合计", "问题线索", "办结"), append(tb.Widths, 12, 8, 8)
	tb.Right = make([]bool, len(tb.Columns))
	for i := 1; i < len(tb.Right); i++ {
		tb.Right[i] = true
	}
	row := func(m *Measures) []string {
		r := []string{m.Name, strconv.Itoa(m.Orders), strconv.Itoa(m.Served), strconv.Itoa(m.VehicleDays), savings.Km(m.DistanceM), strconv.Itoa(m.RentalOrders)}
		for _, k := range kinds {
			r = append(r, money.Yuan(m.ByKind[k.Code]))
		}
		return append(r, money.Yuan(m.CostFen), strconv.Itoa(m.Findings), fmt.Sprintf("%d / %d", m.CasesClosed, m.Cases))
	}
	for _, u := range f.Units {
		tb.Rows = append(tb.Rows, row(u))
	}
	total := *f.Total
	total.Name = "合计"
	tb.Total = row(&total)
	return pdf.Doc{
		Title:  n.Title,
		Issuer: n.OwnerName,
		Number: date,
		Sections: []pdf.Section{
			{Paragraphs: paras},
			{Heading: fmt.Sprintf("附表　%s各单位公务用车和租赁用车情况（%s 至 %s）", f.PeriodName, f.From, f.To), Table: tb,
				Paragraphs: []string{"费用单位：元。数据生成于 " + f.GeneratedAt.In(beijing.Zone).Format("2006-01-02 15:04") + "，来自平台。"}},
		},
		Footer:    "打印时间 " + now.In(beijing.Zone).Format("2006-01-02 15:04"),
		Landscape: true,
		At:        now,
	}
}
