package httpapi

import (
	"context"

	"govfleet/internal/access"
	"govfleet/internal/loans"
	"govfleet/internal/savings"
	"govfleet/internal/sheet"
)

// loansRoutes are cross-level loans and their costs and savings
// (issue 21 parts 4 and 5).
func (s *Server) loansRoutes() []Route {
	loanQuery := []string{"side", "state", "page", "page_size"}
	stQuery := []string{"month", "state", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/loans", Perm: access.LoanRead, Tag: "车辆借调", Summary: "本级借出或借入的车辆借调单（side=lend|borrow，state=requested|approved|refused|returned）", Query: loanQuery, Out: List[loans.Loan]{}, Handle: paged(s.loanList)},
		{Method: "GET", Path: "/api/loans/export", Perm: access.LoanRead, Tag: "车辆借调", Summary: "导出车辆借调单（xlsx，筛选条件同列表）", Query: exportQuery(loanQuery), Handle: exportOf(s, "车辆借调单", loanFields, s.loanList)},
		{Method: "GET", Path: "/api/loans/options", Perm: access.LoanRead, Tag: "车辆借调", Summary: "借调申请可选的借出方（市级、各辖市区）与车型", Out: loans.Options{}, Handle: s.loanOptions},
		{Method: "POST", Path: "/api/loans", Perm: access.LoanRequest, Tag: "车辆借调", Summary: "本级（市级或区级）向另一级申请借调车辆：指定车辆，或车型与数量；带或不带驾驶员；借调期间", In: loans.RequestInput{}, Example: loanExample, Out: loans.Loan{}, Handle: create(s.Loans.Request)},
		{Method: "GET", Path: "/api/loans/offer", Perm: access.LoanRequest, Tag: "车辆借调", Summary: "申请指定车辆时可选的借出方车辆：借调期内空闲（不在维修、封存，无订单、无其他借调），可按车型、车牌筛选（lender_id、from、to、vehicle_type、plate）", Query: []string{"lender_id", "from", "to", "vehicle_type", "plate"}, Out: []loans.Vehicle{}, Handle: s.loanOffer},
		{Method: "GET", Path: "/api/loans/{id}/lendable", Perm: access.LoanApprove, Tag: "车辆借调", Summary: "借出方审批时可选的车辆：所借车型、借调期内空闲（不在维修、封存，无订单、无其他借调）", Out: []loans.Vehicle{}, Handle: get(s.Loans.Lendable)},
		{Method: "POST", Path: "/api/loans/{id}/approve", Perm: access.LoanApprove, Tag: "车辆借调", Summary: "借出方（两区之间也可由市级）批准借调；按车型申请的须选定车辆", In: loans.ApproveInput{}, Out: loans.Loan{}, Handle: update(s.Loans.Approve)},
		{Method: "POST", Path: "/api/loans/{id}/refuse", Perm: access.LoanApprove, Tag: "车辆借调", Summary: "借出方拒绝借调（须填原因）", In: reasonIn{}, Out: loans.Loan{}, Handle: reasoned(s.Loans.Refuse)},
		{Method: "POST", Path: "/api/loans/{id}/return", Perm: access.LoanRequest, Tag: "车辆借调", Summary: "归还借调车辆（可提前归还，借调期随即结束）", Out: loans.Loan{}, Handle: get(s.Loans.Return)},

		{Method: "GET", Path: "/api/rates", Perm: access.CostRead, Tag: "费用与节约", Summary: "收费标准与市场价：内部收费标准、有偿使用收费标准（异地、来访人员用车）与租赁市场参考价（按车型，分时段；kind=tariff|paid_use|market）", Query: []string{"kind"}, Out: []savings.Rate{}, Handle: s.rateList},
		{Method: "POST", Path: "/api/rates", Perm: access.RateWrite, Tag: "费用与节约", Summary: "市级新增收费标准或市场参考价（金额单位：分；同车型的日期须前后衔接，不得空档或重叠）", In: savings.RateInput{}, Example: rateExample, Out: savings.Rate{}, Handle: create(func(ctx context.Context, a *access.Actor, in savings.RateInput) (*savings.Rate, error) {
			return s.Savings.SaveRate(ctx, a, 0, in)
		})},
		{Method: "PUT", Path: "/api/rates/{id}", Perm: access.RateWrite, Tag: "费用与节约", Summary: "市级修改收费标准或市场参考价（如设定截止日期）", In: savings.RateInput{}, Out: savings.Rate{}, Handle: update(s.Savings.SaveRate)},
		{Method: "POST", Path: "/api/orders/{id}/cost", Perm: access.CostRead, Tag: "费用与节约", Summary: "核算一张跨单位用车订单的内部费用、替代的市场价与节约（即时计算并保存）", Out: savings.UseCost{}, Handle: get(s.Savings.OrderCost)},
		{Method: "GET", Path: "/api/settlements", Perm: access.CostRead, Tag: "费用与节约", Summary: "借出方与借入方的月度结算单（state=pending|confirmed|disputed）", Query: stQuery, Out: List[savings.Settlement]{}, Handle: paged(s.settlementList)},
		{Method: "GET", Path: "/api/settlements/export", Perm: access.CostRead, Tag: "费用与节约", Summary: "导出结算单（xlsx，筛选条件同列表）", Query: exportQuery(stQuery), Handle: exportOf(s, "结算单", settlementFields, s.settlementList)},
		{Method: "POST", Path: "/api/settlements/generate", Perm: access.SettlementWrite, Tag: "费用与节约", Summary: "生成某月结算单：核算本级范围内每次跨单位用车的费用，按借出方、借入方汇总（双方已确认的不再变动）", In: monthIn{}, Out: []savings.Settlement{}, Handle: s.generateSettlements},
		{Method: "GET", Path: "/api/settlements/{id}", Perm: access.CostRead, Tag: "费用与节约", Summary: "结算单", Out: savings.Settlement{}, Handle: get(s.Savings.Statement)},
		{Method: "GET", Path: "/api/settlements/{id}/statement.pdf", Perm: access.CostRead, Tag: "费用与节约", Summary: "打印结算单（PDF：双方、每次用车的天数、里程、内部费用、市场价与节约、合计、双方确认与签字栏）", Handle: fileOf(s.Savings.StatementPDF, "application/pdf")},
		{Method: "GET", Path: "/api/settlements/{id}/lines", Perm: access.CostRead, Tag: "费用与节约", Summary: "结算单明细：每次用车的天数、里程、内部费用、市场价与节约", Query: []string{"page", "page_size"}, Out: Lines[savings.UseCost]{}, Handle: linesPage(s.statementLines)},
		{Method: "GET", Path: "/api/settlements/{id}/lines/export", Perm: access.CostRead, Tag: "费用与节约", Summary: "导出结算单明细（xlsx）", Handle: exportOf(s, "结算单明细", lineFields, s.settlementLines)},
		{Method: "POST", Path: "/api/settlements/{id}/confirm", Perm: access.SettlementWrite, Tag: "费用与节约", Summary: "本方（借出方或借入方本级管理员）确认结算单；双方确认后结算单定稿", Out: savings.Settlement{}, Handle: get(s.Savings.Confirm)},
		{Method: "POST", Path: "/api/settlements/{id}/dispute", Perm: access.SettlementWrite, Tag: "费用与节约", Summary: "本方对结算单提出异议（须填理由）", In: reasonIn{}, Out: savings.Settlement{}, Handle: reasoned(s.Savings.Dispute)},
	}
}

var loanExample = map[string]any{"lender_id": 3, "vehicle_type": "business_van", "count": 2, "with_driver": true,
	"from": "2026-03-12T00:00:00Z", "to": "2026-03-14T10:00:00Z", "reason": "区两会会务保障"}

var rateExample = savings.RateInput{Kind: savings.Market, VehicleType: "minibus", DayFen: 162000, HalfDayFen: 90000, ValidFrom: "2026-01-01"}

type monthIn struct {
	Month string `json:"month" max:"7"`
}

func (s *Server) loanList(r *Request, p, size int) ([]*loans.Loan, int, error) {
	q := r.URL.Query()
	return s.Loans.List(r.Context(), r.Actor(), loans.Filter{Side: q.Get("side"), State: q.Get("state"), Page: p, Size: size})
}

func (s *Server) loanOffer(r *Request) (any, error) {
	lender, err := queryID(r, "lender_id")
	if err != nil {
		return nil, err
	}
	from, to, err := queryPeriod(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	return s.Loans.Offer(r.Context(), r.Actor(), loans.OfferFilter{LenderID: lender, VehicleType: q.Get("vehicle_type"), Plate: q.Get("plate"), From: from, To: to})
}

func (s *Server) loanOptions(r *Request) (any, error) { return s.Loans.Options(r.Context(), r.Actor()) }

func (s *Server) rateList(r *Request) (any, error) {
	return s.Savings.Rates(r.Context(), r.URL.Query().Get("kind"))
}

func (s *Server) settlementList(r *Request, p, size int) ([]*savings.Settlement, int, error) {
	q := r.URL.Query()
	return s.Savings.Settlements(r.Context(), r.Actor(), savings.SettlementFilter{Month: q.Get("month"), State: q.Get("state"), Page: p, Size: size})
}

func (s *Server) settlementLines(r *Request, p, size int) ([]*savings.UseCost, int, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, 0, err
	}
	return s.Savings.Lines(r.Context(), r.Actor(), id, p, size)
}

// Lines is one page of a statement's lines with their totals over every
// page, for a party to check them against the statement before confirming.
type Lines[T any] struct {
	List[T]
	Sum savings.Sum `json:"sum"`
}

// linesPage serves one page of a statement's lines with their totals over
// every page: read gets the statement's id (the path's) and the page.
func linesPage[T any](read func(r *Request, id int64, p, size int) ([]T, int, savings.Sum, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		p, size, err := page(r)
		if err != nil {
			return nil, err
		}
		items, n, sum, err := read(r, id, p, size)
		if err != nil {
			return nil, err
		}
		return Lines[T]{List: list(items, n, p, size), Sum: sum}, nil
	}
}

func (s *Server) statementLines(r *Request, id int64, p, size int) ([]*savings.UseCost, int, savings.Sum, error) {
	items, n, err := s.Savings.Lines(r.Context(), r.Actor(), id, p, size)
	if err != nil {
		return nil, 0, savings.Sum{}, err
	}
	sum, err := s.Savings.LinesSum(r.Context(), r.Actor(), id)
	return items, n, sum, err
}

func (s *Server) generateSettlements(r *Request) (any, error) {
	var in monthIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Savings.Generate(r.Context(), r.Actor(), in.Month)
}

var loanFields = []sheet.Field[*loans.Loan]{
	{Title: "借调单号", Width: 18, Value: func(l *loans.Loan) any { return l.No }},
	{Title: "借入方", Width: 16, Value: func(l *loans.Loan) any { return l.BorrowerName }},
	{Title: "借出方", Width: 16, Value: func(l *loans.Loan) any { return l.LenderName }},
	{Title: "车型", Width: 10, Value: func(l *loans.Loan) any { return l.TypeName }},
	sheet.F("数量", func(l *loans.Loan) any { return l.Count }),
	sheet.F("带驾驶员", func(l *loans.Loan) any { return l.WithDriver }),
	{Title: "车辆", Width: 30, Value: func(l *loans.Loan) any {
		out := ""
		for i, v := range l.Vehicles {
			if i > 0 {
				out += "、"
			}
			out += v.Plate
		}
		return out
	}},
	{Title: "开始", Width: 20, Value: func(l *loans.Loan) any { return l.From }},
	{Title: "结束", Width: 20, Value: func(l *loans.Loan) any { return l.To }},
	{Title: "事由", Width: 30, Value: func(l *loans.Loan) any { return l.Reason }},
	sheet.F("状态", func(l *loans.Loan) any { return l.StateName }),
	sheet.F("申请人", func(l *loans.Loan) any { return l.RequestedName }),
	sheet.F("审批人", func(l *loans.Loan) any { return l.DecidedName }),
	{Title: "审批意见", Width: 24, Value: func(l *loans.Loan) any { return l.DecisionNote }},
	{Title: "归还时间", Width: 20, Value: func(l *loans.Loan) any { return l.ReturnedAt }},
}

var settlementFields = []sheet.Field[*savings.Settlement]{
	sheet.F("月份", func(x *savings.Settlement) any { return x.Month }),
	{Title: "借出方", Width: 18, Value: func(x *savings.Settlement) any { return x.LenderName }},
	{Title: "借入方", Width: 18, Value: func(x *savings.Settlement) any { return x.BorrowerName }},
	sheet.F("用车次数", func(x *savings.Settlement) any { return x.Uses }),
	sheet.F("里程（公里）", func(x *savings.Settlement) any { return x.Km }),
	sheet.F("内部费用（元）", func(x *savings.Settlement) any { return sheet.Money(x.InternalFen) }),
	sheet.F("市场价（元）", func(x *savings.Settlement) any { return sheet.Money(x.MarketFen) }),
	sheet.F("节约（元）", func(x *savings.Settlement) any { return sheet.Money(x.SavingFen) }),
	sheet.F("状态", func(x *savings.Settlement) any { return x.StateName }),
	sheet.F("借出方确认人", func(x *savings.Settlement) any { return x.LenderConfirmedBy }),
	{Title: "借出方确认时间", Width: 20, Value: func(x *savings.Settlement) any { return x.LenderConfirmedAt }},
	sheet.F("借入方确认人", func(x *savings.Settlement) any { return x.BorrowerConfirmedBy }),
	{Title: "借入方确认时间", Width: 20, Value: func(x *savings.Settlement) any { return x.BorrowerConfirmedAt }},
	{Title: "异议", Width: 30, Value: func(x *savings.Settlement) any {
		if x.DisputeReason == "" {
			return ""
		}
		return x.DisputeName + "（" + x.DisputeBy + "）：" + x.DisputeReason
	}},
}

var lineFields = []sheet.Field[*savings.UseCost]{
	{Title: "订单号", Width: 20, Value: func(c *savings.UseCost) any { return c.OrderNo }},
	{Title: "借调单号", Width: 18, Value: func(c *savings.UseCost) any { return c.LoanNo }},
	sheet.F("车牌号", func(c *savings.UseCost) any { return c.Plate }),
	sheet.F("车型", func(c *savings.UseCost) any { return c.TypeName }),
	{Title: "用车时间", Width: 20, Value: func(c *savings.UseCost) any { return c.PickupAt }},
	sheet.F("天数", func(c *savings.UseCost) any { return c.Days }),
	sheet.F("半天数", func(c *savings.UseCost) any { return c.HalfDays }),
	sheet.F("计费时长", func(c *savings.UseCost) any { return c.DaysText }),
	sheet.F("里程（公里）", func(c *savings.UseCost) any { return c.Km }),
	sheet.F("里程来源", func(c *savings.UseCost) any { return c.KmSourceName }),
	sheet.F("内部费用（元）", func(c *savings.UseCost) any { return sheet.Money(c.InternalFen) }),
	sheet.F("市场价（元）", func(c *savings.UseCost) any { return sheet.Money(c.MarketFen) }),
	sheet.F("节约（元）", func(c *savings.UseCost) any { return sheet.Money(c.SavingFen) }),
}
