package httpapi

import (
	"fmt"
	"strconv"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notices"
	"govfleet/internal/savings"
	"govfleet/internal/savingsrate"
	"govfleet/internal/sheet"
)

// noticeRoutes are the notices and announcements (通知公告, R-29(3)), the
// periodic report on vehicle use, and the savings rate (节支率) — issue 23
// parts 4 and 5.
func (s *Server) noticeRoutes() []Route {
	ns := s.Notices
	inboxQ := []string{"q", "unread", "kind", "page", "page_size"}
	managedQ := []string{"q", "state", "kind", "page", "page_size"}
	receiptQ := []string{"read", "q", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/notices", Perm: access.NoticeRead, Tag: "通知公告", Summary: "发给本单位的通知公告（已发布、未过期；置顶在前）", Query: inboxQ, Out: List[notices.Notice]{}, Handle: paged(s.noticeInbox)},
		{Method: "GET", Path: "/api/notices/export", Perm: access.NoticeRead, Tag: "通知公告", Summary: "导出发给本单位的通知公告（xlsx，筛选条件同列表）", Query: exportQuery(inboxQ), Handle: exportOf(s, "通知公告", noticeFields, s.noticeInbox)},
		{Method: "GET", Path: "/api/notices/unread", Perm: access.NoticeRead, Tag: "通知公告", Summary: "本人未读的通知公告数", Out: countOut{}, Handle: s.noticeUnread},
		{Method: "GET", Path: "/api/notices/managed", Perm: access.NoticePublish, Tag: "通知公告", Summary: "本级及下级发布的通知公告（草稿、已发布、已过期）及阅读情况", Query: managedQ, Out: List[notices.Notice]{}, Handle: paged(s.noticeManaged)},
		{Method: "GET", Path: "/api/notices/managed/export", Perm: access.NoticePublish, Tag: "通知公告", Summary: "导出本级发布的通知公告（xlsx，筛选条件同列表）", Query: exportQuery(managedQ), Handle: exportOf(s, "通知公告发布", managedFields, s.noticeManaged)},
		{Method: "POST", Path: "/api/notices", Perm: access.NoticePublish, Tag: "通知公告", Summary: "起草通知公告（发送范围：本级或所选下级单位）", In: notices.Input{}, Example: noticeExample, Out: notices.Notice{}, Handle: create(ns.Create)},
		{Method: "POST", Path: "/api/notices/reports", Perm: access.NoticePublish, Tag: "通知公告", Summary: "按月或季度生成公务用车和租赁用车使用情况报告草稿（数据来自平台，正文可编辑）", In: notices.ReportInput{}, Example: notices.ReportInput{Period: "2026-11"}, Out: notices.Notice{}, Handle: create(ns.CreateReport)},
		{Method: "GET", Path: "/api/notices/{id}", Perm: access.NoticeRead, Tag: "通知公告", Summary: "通知公告详情（附件；发布者另见阅读统计）", Out: notices.Notice{}, Handle: get(ns.Get)},
		{Method: "PATCH", Path: "/api/notices/{id}", Perm: access.NoticePublish, Tag: "通知公告", Summary: "修改通知公告（已发布的不能改发送范围）", In: notices.Input{}, Out: notices.Notice{}, Handle: update(ns.Update)},
		{Method: "DELETE", Path: "/api/notices/{id}", Perm: access.NoticePublish, Tag: "通知公告", Summary: "删除草稿", Handle: s.deleteNotice},
		{Method: "POST", Path: "/api/notices/{id}/publish", Perm: access.NoticePublish, Tag: "通知公告", Summary: "发布（接收单位人员收到消息提醒）", Out: notices.Notice{}, Handle: get(ns.Publish)},
		{Method: "POST", Path: "/api/notices/{id}/read", Perm: access.NoticeRead, Tag: "通知公告", Summary: "确认已阅读（计入本单位的阅读回执）", Out: notices.Notice{}, Handle: get(ns.MarkRead)},
		{Method: "POST", Path: "/api/notices/{id}/remind", Perm: access.NoticePublish, Tag: "通知公告", Summary: "提醒尚未阅读的单位", Out: notices.Reminded{}, Handle: get(ns.Remind)},
		{Method: "GET", Path: "/api/notices/{id}/receipts", Perm: access.NoticePublish, Tag: "通知公告", Summary: "阅读回执：各接收单位是否已读、首读人与时间", Query: receiptQ, Out: List[notices.Receipt]{}, Handle: paged(s.noticeReceipts)},
		{Method: "GET", Path: "/api/notices/{id}/receipts/export", Perm: access.NoticePublish, Tag: "通知公告", Summary: "导出阅读回执（xlsx，筛选条件同列表）", Query: exportQuery(receiptQ), Handle: exportOf(s, "阅读回执", receiptFields, s.noticeReceipts)},
		{Method: "POST", Path: "/api/notices/{id}/attachments", Perm: access.NoticePublish, Tag: "通知公告", Summary: "上传附件（multipart 字段 file；PDF、图片、Office，≤20 MB）", Out: notices.Attachment{}, Handle: attach(s.Notices.Attach)},
		{Method: "GET", Path: "/api/notices/{id}/attachments/{att_id}", Perm: access.NoticeRead, Tag: "通知公告", Summary: "下载附件", Handle: attachedFile(s.Notices.OpenAttachment, func(a *notices.Attachment) (string, string) { return a.Filename, a.ContentType })},
		{Method: "GET", Path: "/api/notices/{id}/report.pdf", Perm: access.NoticeRead, Tag: "通知公告", Summary: "打印用车情况报告（PDF：正文与各单位数据附表）", Handle: fileOf(s.Notices.ReportPDF, "application/pdf")},
		{Method: "GET", Path: "/api/notices/{id}/report/export", Perm: access.NoticeRead, Tag: "通知公告", Summary: "导出用车情况报告的数据（xlsx：各单位订单、车日、里程、费用、问题线索）", Handle: s.exportReport},

		{Method: "GET", Path: "/api/savings", Perm: access.CostRead, Tag: "统计分析", Summary: "节支率：本级及直属下级的基数、实际费用与节支率（定义随结果返回）", Query: []string{"unit_id", "year"}, Out: savingsrate.Result{}, Handle: s.savings},
		{Method: "GET", Path: "/api/savings/export", Perm: access.CostRead, Tag: "统计分析", Summary: "导出节支率（xlsx，金额单位：元）", Query: []string{"unit_id", "year"}, Handle: s.exportSavings},
		{Method: "PUT", Path: "/api/savings/basis", Perm: access.SavingsBaseline, Tag: "统计分析", Summary: "选定本级某年度节支率的基数（上年同期、预算或市场价格折算）", In: savingsrate.BasisInput{}, Example: savingsrate.BasisInput{UnitID: 1, Year: 2026, Basis: savingsrate.Budget}, Handle: put(s.SavingsRate.SetBasis)},
		{Method: "PUT", Path: "/api/savings/budgets", Perm: access.SavingsBaseline, Tag: "统计分析", Summary: "录入某单位某年度的用车预算（元；留空删除）", In: savingsrate.BudgetInput{}, Example: savingsrate.BudgetInput{UnitID: 1, Year: 2026, Amount: "1200000.00"}, Handle: put(s.SavingsRate.SetBudget)},
	}
}

var noticeExample = map[string]any{"title": "关于规范节假日公务用车的通知", "body": "各单位：\n\n节假日期间……", "pinned": true, "targets": []int64{}}

type countOut struct {
	Count int `json:"count"`
}

func noticeFilter(r *Request) notices.Filter {
	q := r.URL.Query()
	return notices.Filter{Q: q.Get("q"), Unread: queryBool(r, "unread"), State: q.Get("state"), Kind: q.Get("kind")}
}

func (s *Server) noticeInbox(r *Request, p, size int) ([]*notices.Notice, int, error) {
	return s.Notices.Inbox(r.Context(), r.Actor(), noticeFilter(r), p, size)
}

func (s *Server) noticeManaged(r *Request, p, size int) ([]*notices.Notice, int, error) {
	return s.Notices.Managed(r.Context(), r.Actor(), noticeFilter(r), p, size)
}

func (s *Server) noticeReceipts(r *Request, p, size int) ([]*notices.Receipt, int, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Notices.Receipts(r.Context(), r.Actor(), id, notices.ReceiptFilter{Read: q.Get("read"), Q: q.Get("q")}, p, size)
}

func (s *Server) noticeUnread(r *Request) (any, error) {
	n, err := s.Notices.Unread(r.Context(), r.Actor())
	return countOut{n}, err
}

func (s *Server) deleteNotice(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	if _, err := s.Notices.Delete(r.Context(), r.Actor(), id); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func when(n *notices.Notice) any {
	if n.PublishedAt == nil {
		return nil
	}
	return *n.PublishedAt
}

var noticeFields = []sheet.Field[*notices.Notice]{
	{Title: "标题", Width: 40, Value: func(n *notices.Notice) any { return n.Title }},
	sheet.F("类别", func(n *notices.Notice) any { return n.KindName }),
	{Title: "发布单位", Width: 20, Value: func(n *notices.Notice) any { return n.OwnerName }},
	sheet.F("置顶", func(n *notices.Notice) any { return n.Pinned }),
	{Title: "发布时间", Width: 20, Value: when},
	{Title: "截止时间", Width: 20, Value: func(n *notices.Notice) any { return n.ExpiresAt }},
	{Title: "本人阅读时间", Width: 20, Value: func(n *notices.Notice) any { return n.ReadAt }},
}

var managedFields = []sheet.Field[*notices.Notice]{
	{Title: "标题", Width: 40, Value: func(n *notices.Notice) any { return n.Title }},
	sheet.F("类别", func(n *notices.Notice) any { return n.KindName }),
	{Title: "发布单位", Width: 20, Value: func(n *notices.Notice) any { return n.OwnerName }},
	sheet.F("状态", func(n *notices.Notice) any { return n.StateName }),
	sheet.F("置顶", func(n *notices.Notice) any { return n.Pinned }),
	{Title: "发布时间", Width: 20, Value: when},
	{Title: "截止时间", Width: 20, Value: func(n *notices.Notice) any { return n.ExpiresAt }},
	sheet.F("接收单位数", func(n *notices.Notice) any {
		if n.Receipts == nil {
			return nil
		}
		return n.Receipts.Nodes
	}),
	sheet.F("已读单位数", func(n *notices.Notice) any {
		if n.Receipts == nil {
			return nil
		}
		return n.Receipts.Read
	}),
	sheet.F("起草人", func(n *notices.Notice) any { return n.AuthorName }),
}

var receiptFields = []sheet.Field[*notices.Receipt]{
	{Title: "接收单位", Width: 28, Value: func(x *notices.Receipt) any { return x.Name }},
	sheet.F("层级", func(x *notices.Receipt) any { return x.KindName }),
	{Title: "上级", Width: 20, Value: func(x *notices.Receipt) any { return x.Parent }},
	sheet.F("是否已读", func(x *notices.Receipt) any {
		if x.Read {
			return "已读"
		}
		return "未读"
	}),
	sheet.F("阅读人数", func(x *notices.Receipt) any { return x.Readers }),
	sheet.F("首读人", func(x *notices.Receipt) any { return x.FirstReader }),
	{Title: "首读时间", Width: 20, Value: func(x *notices.Receipt) any { return x.FirstReadAt }},
}

var actReportExport = audit.NewAction("notice.report_export", "导出用车情况报告数据")

// exportReport writes a periodic report's figures: one row per child node
// and the total.
func (s *Server) exportReport(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	n, err := s.Notices.Get(r.Context(), r.Actor(), id)
	if err != nil {
		return nil, err
	}
	if n.Report == nil {
		return nil, errs.E(errs.NotFound, "「%s」不是用车情况报告，没有数据表", n.Title)
	}
	fields := []sheet.Field[*notices.Measures]{
		{Title: "单位", Width: 28, Value: func(m *notices.Measures) any { return m.Name }},
		sheet.F("用车订单（单）", func(m *notices.Measures) any { return m.Orders }),
		sheet.F("已完成（单）", func(m *notices.Measures) any { return m.Served }),
		sheet.F("出车车日", func(m *notices.Measures) any { return m.VehicleDays }),
		sheet.F("行驶里程（公里）", func(m *notices.Measures) any { f, _ := strconv.ParseFloat(savings.Km(m.DistanceM), 64); return f }),
		sheet.F("行程（次）", func(m *notices.Measures) any { return m.Trips }),
		sheet.F("租赁用车（单）", func(m *notices.Measures) any { return m.RentalOrders }),
		sheet.F("租赁里程（公里）", func(m *notices.Measures) any { return m.RentalKm }),
		sheet.F("租赁费用（元）", func(m *notices.Measures) any { return sheet.Money(m.RentalFen) }),
	}
	for _, k := range n.Report.Kinds {
		code := k.Code
		fields = append(fields, sheet.F(k.Name+"（元）", func(m *notices.Measures) any { return sheet.Money(m.ByKind[code]) }))
	}
	fields = append(fields,
		sheet.F("费用合计（元）", func(m *notices.Measures) any { return sheet.Money(m.CostFen) }),
		sheet.F("问题线索（条）", func(m *notices.Measures) any { return m.Findings }),
		sheet.F("问题（件）", func(m *notices.Measures) any { return m.Cases }),
		sheet.F("已办结（件）", func(m *notices.Measures) any { return m.CasesClosed }),
	)
	data, err := sheet.Table(n.Report.PeriodName+"用车情况", fields, notices.ReportRows(n.Report))
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actReportExport, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: r.Actor().ScopePath,
		Summary: fmt.Sprintf("导出「%s」的数据", n.Title)}); err != nil {
		return nil, err
	}
	return xlsx(n.Report.PeriodName+"用车情况报告", data), nil
}

func (s *Server) savingsResult(r *Request) (*savingsrate.Result, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	year, err := queryInt(r, "year", 0)
	if err != nil {
		return nil, err
	}
	return s.SavingsRate.Compute(r.Context(), r.Actor(), unit, year)
}

func (s *Server) savings(r *Request) (any, error) { return s.savingsResult(r) }

var actSavingsExport = audit.NewAction("savings.export", "导出节支率")

func (s *Server) exportSavings(r *Request) (any, error) {
	res, err := s.savingsResult(r)
	if err != nil {
		return nil, err
	}
	fen := func(v *int64) any {
		if v == nil {
			return nil
		}
		return sheet.Money(*v)
	}
	fields := []sheet.Field[*savingsrate.Row]{
		{Title: "单位", Width: 28, Value: func(x *savingsrate.Row) any { return x.Name }},
		sheet.F("层级", func(x *savingsrate.Row) any { return x.KindName }),
		{Title: "基数口径", Width: 22, Value: func(x *savingsrate.Row) any { return x.BasisName }},
		sheet.F("基数（元）", func(x *savingsrate.Row) any { return fen(x.Baseline) }),
		sheet.F("实际费用（元）", func(x *savingsrate.Row) any { return sheet.Money(x.Actual) }),
		sheet.F("节支额（元）", func(x *savingsrate.Row) any { return fen(x.Saved) }),
		sheet.F("节支率（%）", func(x *savingsrate.Row) any {
			if x.Rate == nil {
				return nil
			}
			return *x.Rate
		}),
		sheet.F("年度预算（元）", func(x *savingsrate.Row) any { return fen(x.Budget) }),
		{Title: "说明", Width: 30, Value: func(x *savingsrate.Row) any { return x.Note }},
	}
	rows := append([]*savingsrate.Row{res.Node}, res.Rows...)
	data, err := sheet.Table(fmt.Sprintf("节支率%s", res.PeriodName), fields, rows)
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actSavingsExport, ScopePath: r.Actor().ScopePath,
		Summary: fmt.Sprintf("导出%s %s节支率（%s）", res.Node.Name, res.PeriodName, money.Yuan(res.Node.Actual))}); err != nil {
		return nil, err
	}
	return xlsx("节支率", data), nil
}
