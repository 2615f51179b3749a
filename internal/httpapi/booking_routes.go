package httpapi

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/calendar"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/rental"
	"govfleet/internal/sheet"
)

// bookingRoutes are the booking workflow's routes.
func (s *Server) bookingRoutes() []Route {
	oq := []string{"unit_id", "state", "q", "from", "to", "sealed", "page", "page_size"}
	sq := []string{"unit_id", "state", "q", "from", "to", "sealed", "vehicle_id", "driver_id", "applicant", "place"}
	return []Route{
		{Method: "GET", Path: "/api/orders", Perm: access.OrderRead, Tag: "用车", Summary: "管辖范围内的订单查询（unit_id 含下级，state 可逗号分隔，sealed=true 为节假日封存期用车；applicant 申请人、place 报到地点或目的地、q 单号/事由/申请人/车牌/驾驶员）", Query: append(sq, "page", "page_size"), Out: List[booking.Order]{}, Handle: paged(s.orders(booking.Filter{}))},
		{Method: "GET", Path: "/api/orders/export", Perm: access.OrderRead, Tag: "用车", Summary: "导出管辖范围内的订单（xlsx，筛选条件同订单查询）", Query: sq, Handle: exportOf(s, "用车订单", orderFields, s.orders(booking.Filter{}))},
		{Method: "POST", Path: "/api/orders", Perm: access.OrderApply, Tag: "用车", Summary: "提交用车申请（R-13(1)）", In: booking.Input{}, Out: booking.Order{}, Handle: create(s.Booking.Create)},
		{Method: "GET", Path: "/api/my/orders", Perm: access.OrderApply, Tag: "用车", Summary: "我的用车申请", Query: oq[1:], Out: List[booking.Order]{}, Handle: paged(s.orders(booking.Filter{Mine: true}))},
		{Method: "GET", Path: "/api/my/orders/export", Perm: access.OrderApply, Tag: "用车", Summary: "导出我的用车申请（xlsx，筛选条件同列表）", Query: exportQuery(oq[1:]), Handle: exportOf(s, "我的用车申请", orderFields, s.orders(booking.Filter{Mine: true}))},
		{Method: "GET", Path: "/api/approvals", Perm: access.OrderApprove, Tag: "用车", Summary: "待我审批的申请", Query: []string{"q", "page", "page_size"}, Out: List[booking.Order]{}, Handle: paged(s.orders(booking.Filter{Inbox: true}))},
		{Method: "GET", Path: "/api/approvals/export", Perm: access.OrderApprove, Tag: "用车", Summary: "导出待审批申请（xlsx，筛选条件同列表）", Query: exportQuery([]string{"q"}), Handle: exportOf(s, "待审批申请", orderFields, s.orders(booking.Filter{Inbox: true}))},
		{Method: "GET", Path: "/api/driver/tasks", Perm: access.OrderDrive, Tag: "用车", Summary: "我的出车任务（state 默认为已派车、执行中）", Query: []string{"state", "page", "page_size"}, Out: List[booking.Order]{}, Handle: paged(s.orders(booking.Filter{Driving: true}))},
		{Method: "GET", Path: "/api/booking/gaps", Perm: access.OrgRead, Tag: "用车", Summary: "管辖范围内缺少审核员、调度员或车管负责人的单位（其订单无人处理）", Out: []booking.Gap{}, Handle: s.bookingGaps},
		{Method: "GET", Path: "/api/booking/counts", Perm: access.Self, Tag: "用车", Summary: "待办数量（审批、派车、同意、回场、任务、评价、逾期补报、未读消息）", Out: booking.Counts{}, Handle: s.bookingCounts},
		{Method: "GET", Path: "/api/orders/{id}", Perm: access.OrderView, Tag: "用车", Summary: "订单详情与时间线", Out: booking.Detail{}, Handle: get(s.Booking.Get)},
		{Method: "GET", Path: "/api/orders/{id}/dispatch-sheet.pdf", Perm: access.OrderView, Tag: "用车", Summary: "打印派车单（PDF：订单、车辆、驾驶员、审批与派车人及时间、签字栏）", Handle: fileOf(s.Booking.DispatchSheet, "application/pdf")},
		{Method: "PUT", Path: "/api/orders/{id}", Perm: access.OrderApply, Tag: "用车", Summary: "修改被退回的申请并重新提交", In: booking.Input{}, Out: booking.Order{}, Handle: update(s.Booking.Resubmit)},
		{Method: "POST", Path: "/api/orders/{id}/approve", Perm: access.OrderApprove, Tag: "用车", Summary: "审批通过（R-13(2)）", In: reasonIn{}, Out: booking.Order{}, Handle: mayReason(s.Booking.Approve)},
		{Method: "POST", Path: "/api/orders/{id}/return", Perm: access.OrderApprove, Tag: "用车", Summary: "退回申请（须填原因）", In: reasonIn{}, Out: booking.Order{}, Handle: mayReason(s.Booking.Return)},
		{Method: "POST", Path: "/api/orders/{id}/cancel", Perm: access.OrderApply, Tag: "用车", Summary: "出车前取消（申请人本人或调度员）", In: reasonIn{}, Out: booking.Order{}, Handle: mayReason(s.Booking.Cancel)},
		{Method: "GET", Path: "/api/orders/{id}/suggestions", Perm: access.OrderDispatch, Tag: "调度", Summary: "派车候选车辆与驾驶员：在调度员管辖范围内按车牌、单位（含下级）、类别、座位数、距用车单位距离（公里）查找，分页，排序同推荐（可派、本单位、未封存、本月用车少优先），含不适合的原因", Query: []string{"plate", "unit_id", "category", "seats", "max_km", "page", "page_size"}, Out: List[booking.VehicleCandidate]{}, Handle: s.suggest},
		{Method: "POST", Path: "/api/orders/{id}/dispatch", Perm: access.OrderDispatch, Tag: "调度", Summary: "派车：选派车辆与驾驶员（R-13(3)）", In: booking.DispatchInput{}, Out: booking.Order{}, Handle: update(s.Booking.Dispatch)},
		{Method: "POST", Path: "/api/orders/{id}/consent", Perm: access.OrderConsent, Tag: "调度", Summary: "车管负责人同意派车", Out: booking.Order{}, Handle: get(s.Booking.Consent)},
		{Method: "POST", Path: "/api/orders/{id}/refuse", Perm: access.OrderConsent, Tag: "调度", Summary: "车管负责人不同意派车（须填原因）", In: reasonIn{}, Out: booking.Order{}, Handle: mayReason(s.Booking.Refuse)},
		{Method: "POST", Path: "/api/orders/{id}/rental", Perm: access.OrderDispatch, Tag: "调度", Summary: "本单位车辆无法保障，转交合同租赁公司（R-21）", In: rental.HandOverInput{}, Out: booking.Order{}, Handle: update(s.Rental.HandOver)},
		{Method: "POST", Path: "/api/orders/{id}/depart", Perm: access.OrderDrive, Tag: "出车", Summary: "驾驶员出车（填出车里程）", In: odometerIn{}, Out: booking.Order{}, Handle: s.odometer("depart")},
		{Method: "POST", Path: "/api/orders/{id}/change", Perm: access.OrderDrive, Tag: "出车", Summary: "途中变更报告（R-13(4)）", In: booking.ChangeInput{}, Out: booking.Order{}, Handle: update(s.Booking.ReportChange)},
		{Method: "POST", Path: "/api/orders/{id}/finish", Perm: access.OrderDrive, Tag: "出车", Summary: "任务结束（填结束里程）", In: odometerIn{}, Out: booking.Order{}, Handle: s.odometer("finish")},
		{Method: "POST", Path: "/api/orders/{id}/changes/{change_id}/ack", Perm: access.OrderDispatch, Tag: "调度", Summary: "调度员确认途中变更", Out: booking.Order{}, Handle: s.ackChange},
		{Method: "POST", Path: "/api/orders/{id}/back", Perm: access.OrderDispatch, Tag: "调度", Summary: "回场：车辆停放指定地点（R-13(5)）", In: backIn{}, Out: booking.Order{}, Handle: s.back},
		{Method: "POST", Path: "/api/orders/{id}/rate", Perm: access.OrderApply, Tag: "用车", Summary: "用车人评价驾驶员 1–5 星（R-13(6)）", In: rateIn{}, Out: booking.Order{}, Handle: s.rate},
		{Method: "POST", Path: "/api/orders/{id}/attachments", Perm: access.OrderApply, Tag: "用车", Summary: "上传会议通知、方案等附件（multipart 字段 file；PDF、图片、Office，≤20 MB）", Out: booking.Attachment{}, Handle: attachWith(s, s.Booking.Attach)},
		{Method: "GET", Path: "/api/orders/{id}/attachments/{att_id}", Perm: access.OrderView, Tag: "用车", Summary: "下载附件", Handle: attachmentOf(s, s.Booking.OpenAttachment, func(a *booking.Attachment) (string, string) { return a.Filename, a.ContentType })},
		{Method: "GET", Path: "/api/dispatch/board", Perm: access.OrderDispatch, Tag: "调度", Summary: "调度看板：车辆与当日任务（date=YYYY-MM-DD，北京时间）", Query: []string{"date", "unit_id", "page", "page_size"}, Out: List[booking.BoardRow]{}, Handle: paged(s.board)},
		{Method: "GET", Path: "/api/dispatch/board/export", Perm: access.OrderDispatch, Tag: "调度", Summary: "导出调度看板（xlsx，筛选条件同列表）", Query: exportQuery([]string{"date", "unit_id", "page", "page_size"}), Handle: exportOf(s, "调度看板", boardFields, s.board)},
		{Method: "GET", Path: "/api/dispatch/delegations", Perm: access.OrderRead, Tag: "调度", Summary: "车管负责人的派车长期授权", Out: []booking.Delegation{}, Handle: s.delegations},
		{Method: "PUT", Path: "/api/dispatch/delegations/{id}", Perm: access.OrderConsent, Tag: "调度", Summary: "授予或撤销本单位车辆的派车长期授权（{id} 为单位编号）", In: delegationIn{}, Handle: s.setDelegation},
		{Method: "GET", Path: "/api/drivers/{id}/ratings", Perm: access.FleetRead, Tag: "驾驶员", Summary: "驾驶员评价记录与平均分", Out: booking.Ratings{}, Handle: get(s.Booking.DriverRatings)},
		{Method: "GET", Path: "/api/emergency-filings", Perm: access.OrderRead, Tag: "紧急用车", Summary: "紧急用车补报（state=open|filed|overdue|late；from/to 为用车开始的日期，北京时间，与行程与里程的日期相同；id 为某一条，消息中的链接）", Query: []string{"state", "vehicle_id", "from", "to", "id", "page", "page_size"}, Out: List[booking.Filing]{}, Handle: paged(s.emergencyFilings)},
		{Method: "GET", Path: "/api/emergency-filings/export", Perm: access.OrderRead, Tag: "紧急用车", Summary: "导出紧急用车补报（xlsx，筛选条件同列表）", Query: exportQuery([]string{"state", "vehicle_id", "from", "to", "id", "page", "page_size"}), Handle: exportOf(s, "紧急用车补报", filingFields, s.emergencyFilings)},
		{Method: "POST", Path: "/api/emergency-filings", Perm: access.EmergencyFile, Tag: "紧急用车", Summary: "补报紧急用车（R-14，48小时内）", In: booking.FilingInput{}, Out: booking.Filing{}, Handle: create(s.Booking.FileEmergency)},
		{Method: "POST", Path: "/api/emergency-filings/{id}/attachments", Perm: access.EmergencyFile, Tag: "紧急用车", Summary: "为补报添加领导同意、事件通知等附件（multipart 字段 file；PDF、图片、Office，≤20 MB）", Out: booking.FilingAttachment{}, Handle: attachWith(s, s.Booking.AttachFiling)},
		{Method: "GET", Path: "/api/emergency-filings/{id}/attachments/{att_id}", Perm: access.OrderRead, Tag: "紧急用车", Summary: "下载补报的附件", Handle: attachmentOf(s, s.Booking.OpenFilingAttachment, func(a *booking.FilingAttachment) (string, string) { return a.Filename, a.ContentType })},
		{Method: "POST", Path: "/api/emergency-filings/{id}/complete", Perm: access.EmergencyFile, Tag: "紧急用车", Summary: "补全待补报的无单出车", In: booking.FilingInput{}, Out: booking.Filing{}, Handle: update(s.Booking.CompleteFiling)},
		{Method: "GET", Path: "/api/holiday-filings", Perm: access.OrderRead, Tag: "节假日", Summary: "节假日封存车辆用车备案（R-15；state=pending|approved|returned）：单位看本单位的，主管部门看所辖单位的", Query: []string{"state", "page", "page_size"}, Out: List[booking.HolidayFiling]{}, Handle: paged(s.holidayFilings)},
		{Method: "GET", Path: "/api/holiday-filings/export", Perm: access.OrderRead, Tag: "节假日", Summary: "导出节假日用车备案（xlsx，筛选条件同列表）", Query: exportQuery([]string{"state", "page", "page_size"}), Handle: exportOf(s, "节假日用车备案", holidayFields, s.holidayFilings)},
		{Method: "POST", Path: "/api/holiday-filings/{id}/approve", Perm: access.HolidayReview, Tag: "节假日", Summary: "主管部门审核通过节假日用车备案", In: reasonIn{}, Out: booking.HolidayFiling{}, Handle: decided(s.Booking.ReviewHoliday, true)},
		{Method: "POST", Path: "/api/holiday-filings/{id}/return", Perm: access.HolidayReview, Tag: "节假日", Summary: "主管部门退回节假日用车备案（须填原因）", In: reasonIn{}, Out: booking.HolidayFiling{}, Handle: decided(s.Booking.ReviewHoliday, false)},
		{Method: "GET", Path: "/api/calendar", Perm: access.Self, Tag: "节假日", Summary: "某年的法定节假日与调休上班日（R-15）", Query: []string{"year"}, Out: []calendar.Day{}, Handle: s.calendar},
		{Method: "PUT", Path: "/api/calendar/{day}", Perm: access.CalendarWrite, Tag: "节假日", Summary: "设置某日为法定节假日或调休上班日（kind 为空则删除；市级平台管理员）", In: calendar.DayInput{}, Handle: s.setDay},
		{Method: "GET", Path: "/api/notifications", Perm: access.Self, Tag: "消息", Summary: "我的消息（unread=true 仅未读）", Query: []string{"unread", "page", "page_size"}, Out: List[notify.Notification]{}, Handle: s.notifications},
		{Method: "POST", Path: "/api/notifications/read", Perm: access.Self, Tag: "消息", Summary: "标为已读（id 为空则全部）", In: readIn{}, Handle: s.markRead},
		{Method: "GET", Path: "/api/notifications/stream", Perm: access.Self, Tag: "消息", Summary: "新消息推送（Server-Sent Events）", Handle: s.stream},
	}
}

type reasonIn struct {
	Reason string `json:"reason" max:"500"`
}

type odometerIn struct {
	Odometer int `json:"odometer"`
}

type backIn struct {
	ParkingPlace string `json:"parking_place"`
}

type rateIn struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment" max:"300"`
}

type delegationIn struct {
	On   bool   `json:"on"`
	Note string `json:"note" max:"500"`
}

type readIn struct {
	ID int64 `json:"id"`
}

// orderFilter reads the order search's filters.
func orderFilter(r *Request, f *booking.Filter) error {
	var err error
	for name, dst := range map[string]*int64{"unit_id": &f.UnitID, "vehicle_id": &f.VehicleID, "driver_id": &f.DriverID} {
		if *dst, err = queryID(r, name); err != nil {
			return err
		}
	}
	if f.From, f.To, err = queryPeriod(r); err != nil {
		return err
	}
	q := r.URL.Query()
	f.State, f.Q, f.Sealed, f.Applicant, f.Place = q.Get("state"), q.Get("q"), queryBool(r, "sealed"), q.Get("applicant"), q.Get("place")
	return nil
}

func (s *Server) orders(base booking.Filter) lister[*booking.Order] {
	return func(r *Request, p, size int) ([]*booking.Order, int, error) {
		f := base
		f.Page, f.Size = p, size
		if err := orderFilter(r, &f); err != nil {
			return nil, 0, err
		}
		if f.Driving && f.State == "" {
			f.State = booking.Dispatched + "," + booking.Departed
		}
		return s.Booking.List(r.Context(), r.Actor(), f)
	}
}

func (s *Server) holidayFilings(r *Request, p, size int) ([]*booking.HolidayFiling, int, error) {
	return s.Booking.HolidayFilings(r.Context(), r.Actor(), booking.HolidayFilter{State: r.URL.Query().Get("state"), Page: p, Size: size})
}

var holidayFields = []sheet.Field[*booking.HolidayFiling]{
	{Title: "订单号", Width: 22, Value: func(f *booking.HolidayFiling) any { return f.OrderNo }},
	{Title: "用车单位", Width: 22, Value: func(f *booking.HolidayFiling) any { return f.UnitName }},
	sheet.F("车牌号", func(f *booking.HolidayFiling) any { return f.Plate }),
	sheet.F("封存原因", func(f *booking.HolidayFiling) any { return f.Holiday }),
	{Title: "用车时间", Width: 20, Value: func(f *booking.HolidayFiling) any { return f.PickupAt }},
	{Title: "预计返回", Width: 20, Value: func(f *booking.HolidayFiling) any { return f.ReturnAt }},
	{Title: "备案事由", Width: 30, Value: func(f *booking.HolidayFiling) any { return f.Reason }},
	sheet.F("备案人", func(f *booking.HolidayFiling) any { return f.FiledByName }),
	{Title: "备案时间", Width: 20, Value: func(f *booking.HolidayFiling) any { return f.FiledAt }},
	{Title: "主管部门", Width: 22, Value: func(f *booking.HolidayFiling) any { return f.AuthorityName }},
	sheet.F("状态", func(f *booking.HolidayFiling) any { return f.StateName }),
	sheet.F("审核人", func(f *booking.HolidayFiling) any { return f.ReviewedByName }),
	{Title: "审核时间", Width: 20, Value: func(f *booking.HolidayFiling) any { return f.ReviewedAt }},
	{Title: "审核意见", Width: 30, Value: func(f *booking.HolidayFiling) any { return f.ReviewNote }},
}

func (s *Server) bookingGaps(r *Request) (any, error) {
	return s.Booking.Gaps(r.Context(), r.Actor())
}

// orderFields are the columns of an order list's export.
var orderFields = []sheet.Field[*booking.Order]{
	{Title: "订单号", Width: 22, Value: func(o *booking.Order) any { return o.No }},
	{Title: "用车单位", Width: 22, Value: func(o *booking.Order) any { return o.UnitName }},
	sheet.F("申请人", func(o *booking.Order) any { return o.ApplicantName }),
	{Title: "事由", Width: 30, Value: func(o *booking.Order) any { return o.Reason }},
	{Title: "用车人", Width: 20, Value: func(o *booking.Order) any { return o.Passengers }},
	sheet.F("人数", func(o *booking.Order) any { return o.PassengerCount }),
	{Title: "上车地点", Width: 20, Value: func(o *booking.Order) any { return o.PickupPlace }},
	{Title: "目的地", Width: 24, Value: func(o *booking.Order) any { return strings.Join(o.Destinations, "、") }},
	{Title: "用车时间", Width: 20, Value: func(o *booking.Order) any { return o.PickupAt }},
	{Title: "预计返回", Width: 20, Value: func(o *booking.Order) any { return o.ReturnAt }},
	sheet.F("出市", func(o *booking.Order) any { return o.OutOfCity }),
	sheet.F("状态", func(o *booking.Order) any { return o.StateName }),
	sheet.F("车牌号", func(o *booking.Order) any { return o.Plate }),
	{Title: "车辆", Width: 20, Value: func(o *booking.Order) any { return o.VehicleDesc }},
	sheet.F("驾驶员", func(o *booking.Order) any { return o.DriverName }),
	{Title: "出车时间", Width: 20, Value: func(o *booking.Order) any { return o.DepartedAt }},
	{Title: "任务结束", Width: 20, Value: func(o *booking.Order) any { return o.FinishedAt }},
	{Title: "回场时间", Width: 20, Value: func(o *booking.Order) any { return o.ReturnedAt }},
	sheet.F("出车里程（公里）", func(o *booking.Order) any { return o.StartOdometer }),
	sheet.F("结束里程（公里）", func(o *booking.Order) any { return o.EndOdometer }),
	sheet.F("本次里程（公里）", func(o *booking.Order) any {
		if o.StartOdometer == nil || o.EndOdometer == nil {
			return nil
		}
		return *o.EndOdometer - *o.StartOdometer
	}),
	{Title: "节假日用车备案", Width: 30, Value: func(o *booking.Order) any { return o.SealedFiling }},
	sheet.F("评价", func(o *booking.Order) any { return o.Rating }),
	{Title: "申请时间", Width: 20, Value: func(o *booking.Order) any { return o.CreatedAt }},
}

func (s *Server) bookingCounts(r *Request) (any, error) {
	return s.Booking.Counts(r.Context(), r.Actor())
}

func (s *Server) suggest(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	f := booking.CandidateFilter{Plate: r.URL.Query().Get("plate"), Category: r.URL.Query().Get("category"), Page: p, Size: size}
	if f.UnitID, err = queryID(r, "unit_id"); err != nil {
		return nil, err
	}
	if f.Seats, err = queryInt(r, "seats", 0); err != nil {
		return nil, err
	}
	km, err := queryInt(r, "max_km", 0)
	if err != nil {
		return nil, err
	}
	f.MaxKm = float64(km)
	items, total, err := s.Booking.Suggest(r.Context(), r.Actor(), id, f)
	if err != nil {
		return nil, err
	}
	return list(items, total, p, size), nil
}

func (s *Server) odometer(action string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in odometerIn
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		if action == "depart" {
			return s.Booking.Depart(r.Context(), r.Actor(), id, in.Odometer)
		}
		return s.Booking.Finish(r.Context(), r.Actor(), id, in.Odometer)
	}
}

func (s *Server) ackChange(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	cid, err := strconv.ParseInt(r.PathValue("change_id"), 10, 64)
	if err != nil {
		return nil, errs.E(errs.NotFound, "变更编号无效")
	}
	return s.Booking.AckChange(r.Context(), r.Actor(), id, cid)
}

func (s *Server) back(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in backIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Booking.ReturnToBase(r.Context(), r.Actor(), id, in.ParkingPlace)
}

func (s *Server) rate(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in rateIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Booking.Rate(r.Context(), r.Actor(), id, in.Rating, in.Comment)
}

// attachWith and attachmentOf serve an order's or an emergency filing's attachments, which the
// booking service keeps in the fleet's blob store.
func attachWith[T any](s *Server, fn func(context.Context, *access.Actor, booking.Blobs, int64, string, []byte) (T, error)) func(*Request) (any, error) {
	return attach(func(ctx context.Context, a *access.Actor, id int64, name string, data []byte) (T, error) {
		return fn(ctx, a, s.Fleet.Blobs, id, name, data)
	})
}

func attachmentOf[T any](s *Server, fn func(context.Context, *access.Actor, booking.Blobs, int64, int64) (T, []byte, error), file func(T) (string, string)) func(*Request) (any, error) {
	return attachedFile(func(ctx context.Context, a *access.Actor, id, aid int64) (T, []byte, error) {
		return fn(ctx, a, s.Fleet.Blobs, id, aid)
	}, file)
}

func (s *Server) board(r *Request, p, size int) ([]*booking.BoardRow, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	day := time.Now()
	if v := r.URL.Query().Get("date"); v != "" {
		if day, err = beijing.ParseDate(v); err != nil {
			return nil, 0, (&errs.Fields{"date": "日期格式应为 YYYY-MM-DD"}).Err()
		}
	}
	return s.Booking.Board(r.Context(), r.Actor(), day, unit, p, size)
}

// boardFields: a vehicle of the board and the day's orders, one line each.
var boardFields = []sheet.Field[*booking.BoardRow]{
	sheet.F("车牌号", func(b *booking.BoardRow) any { return b.Plate }),
	sheet.F("品牌型号", func(b *booking.BoardRow) any { return b.Brand + " " + b.Model }),
	sheet.F("座位数", func(b *booking.BoardRow) any { return b.Seats }),
	{Title: "所属单位", Width: 22, Value: func(b *booking.BoardRow) any { return b.UnitName }},
	sheet.F("当日任务数", func(b *booking.BoardRow) any { return len(b.Orders) }),
	{Title: "当日任务", Width: 60, Value: func(b *booking.BoardRow) any {
		var out []string
		for _, o := range b.Orders {
			out = append(out, fmt.Sprintf("%s %s–%s %s（%s，%s）", o.No, o.PickupAt.In(beijing.Zone).Format("15:04"), o.ReturnAt.In(beijing.Zone).Format("15:04"), o.StateName, o.Applicant, o.DriverName))
		}
		return strings.Join(out, "；")
	}},
}

func (s *Server) delegations(r *Request) (any, error) {
	return s.Booking.Delegations(r.Context(), r.Actor())
}

func (s *Server) setDelegation(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in delegationIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return noContent{}, s.Booking.SetDelegation(r.Context(), r.Actor(), id, in.On, in.Note)
}

func (s *Server) emergencyFilings(r *Request, p, size int) ([]*booking.Filing, int, error) {
	vid, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, 0, err
	}
	id, err := queryID(r, "id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Booking.Filings(r.Context(), r.Actor(), booking.FilingFilter{State: q.Get("state"), ID: id, VehicleID: vid, From: q.Get("from"), To: q.Get("to"), Page: p, Size: size})
}

var filingSources = map[string]string{"unit": "单位补报", "trip": "出车无订单"}

var filingFields = []sheet.Field[*booking.Filing]{
	sheet.F("车牌号", func(f *booking.Filing) any { return f.Plate }),
	{Title: "单位", Width: 22, Value: func(f *booking.Filing) any { return f.UnitName }},
	sheet.F("来源", func(f *booking.Filing) any { return filingSources[f.Source] }),
	{Title: "用车开始", Width: 20, Value: func(f *booking.Filing) any { return f.StartedAt }},
	{Title: "用车结束", Width: 20, Value: func(f *booking.Filing) any { return f.EndedAt }},
	sheet.F("驾驶员", func(f *booking.Filing) any { return f.DriverName }),
	sheet.F("同意领导", func(f *booking.Filing) any { return f.Leader }),
	{Title: "事由", Width: 30, Value: func(f *booking.Filing) any { return f.Reason }},
	sheet.F("状态", func(f *booking.Filing) any {
		switch {
		case f.Overdue:
			return "逾期未补报"
		case f.State == "open":
			return "待补报"
		case f.FiledLate:
			return "逾期补报"
		}
		return "已补报"
	}),
	{Title: "补报截止", Width: 20, Value: func(f *booking.Filing) any { return f.DeadlineAt }},
	{Title: "补报时间", Width: 20, Value: func(f *booking.Filing) any { return f.FiledAt }},
}

func (s *Server) calendar(r *Request) (any, error) {
	year, err := queryInt(r, "year", time.Now().In(beijing.Zone).Year())
	if err != nil {
		return nil, err
	}
	if year < 2000 || year > 2100 {
		return nil, (&errs.Fields{"year": "年份无效"}).Err()
	}
	return s.Booking.Calendar.Year(r.Context(), year)
}

func (s *Server) setDay(r *Request) (any, error) {
	var in calendar.DayInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	in.Day = r.PathValue("day")
	return noContent{}, s.Booking.Calendar.Set(r.Context(), r.Actor(), in)
}

func (s *Server) notifications(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	items, n, err := s.Booking.Notify.List(r.Context(), r.Actor(), queryBool(r, "unread"), p, size)
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
}

func (s *Server) markRead(r *Request) (any, error) {
	var in readIn
	if err := decodeOptional(r, &in); err != nil {
		return nil, err
	}
	return noContent{}, s.Booking.Notify.MarkRead(r.Context(), r.Actor(), in.ID)
}

// stream pushes the caller's new notifications as server-sent events until
// the client goes away or the session ends (startStream); a comment line
// every 25 s keeps proxies from closing the connection.
func (s *Server) stream(r *Request) (any, error) {
	ch, unsubscribe := s.Booking.Notify.Subscribe(r.Actor().UserID)
	defer unsubscribe()
	fl, ctx, stop, err := s.startStream(r)
	if err != nil {
		return nil, err
	}
	defer stop()
	tick := time.NewTicker(25 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return streamed{}, nil
		case <-tick.C:
			fmt.Fprint(r.W, ": ping\n\n")
		case n := <-ch:
			b, _ := jsonBytes(n)
			fmt.Fprintf(r.W, "event: notification\ndata: %s\n\n", b)
		}
		fl.Flush()
	}
}
