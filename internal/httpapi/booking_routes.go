package httpapi

import (
	"fmt"
	"strconv"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/rental"
)

// bookingRoutes are the booking workflow's routes.
func (s *Server) bookingRoutes() []Route {
	oq := []string{"unit_id", "state", "q", "from", "to", "sealed", "page", "page_size"}
	return []Route{
		{"GET", "/api/orders", access.OrderRead, "用车", "管辖范围内的订单（unit_id 含下级，state 可逗号分隔，sealed=true 为节假日封存期用车备案）", oq, nil, List[booking.Order]{}, s.listOrders(booking.Filter{})},
		{"POST", "/api/orders", access.OrderApply, "用车", "提交用车申请（R-13(1)）", nil, booking.Input{}, booking.Order{}, create(s.Booking.Create)},
		{"GET", "/api/my/orders", access.OrderApply, "用车", "我的用车申请", oq[1:], nil, List[booking.Order]{}, s.listOrders(booking.Filter{Mine: true})},
		{"GET", "/api/approvals", access.OrderApprove, "用车", "待我审批的申请", []string{"q", "page", "page_size"}, nil, List[booking.Order]{}, s.listOrders(booking.Filter{Inbox: true})},
		{"GET", "/api/driver/tasks", access.OrderDrive, "用车", "我的出车任务（state 默认为已派车、执行中）", []string{"state", "page", "page_size"}, nil, List[booking.Order]{}, s.listOrders(booking.Filter{Driving: true})},
		{"GET", "/api/booking/counts", access.Self, "用车", "待办数量（审批、派车、同意、回场、任务、评价、逾期补报、未读消息）", nil, nil, booking.Counts{}, s.bookingCounts},
		{"GET", "/api/orders/{id}", access.OrderRead, "用车", "订单详情与时间线", nil, nil, booking.Detail{}, get(s.Booking.Get)},
		{"PUT", "/api/orders/{id}", access.OrderApply, "用车", "修改被退回的申请并重新提交", nil, booking.Input{}, booking.Order{}, update(s.Booking.Resubmit)},
		{"POST", "/api/orders/{id}/approve", access.OrderApprove, "用车", "审批通过（R-13(2)）", nil, reasonIn{}, booking.Order{}, s.orderAction("approve")},
		{"POST", "/api/orders/{id}/return", access.OrderApprove, "用车", "退回申请（须填原因）", nil, reasonIn{}, booking.Order{}, s.orderAction("return")},
		{"POST", "/api/orders/{id}/cancel", access.OrderApply, "用车", "出车前取消（申请人本人或调度员）", nil, reasonIn{}, booking.Order{}, s.orderAction("cancel")},
		{"GET", "/api/orders/{id}/suggestions", access.OrderDispatch, "调度", "推荐车辆与驾驶员（含不适合的原因）", []string{"limit"}, nil, []booking.VehicleCandidate{}, s.suggest},
		{"POST", "/api/orders/{id}/dispatch", access.OrderDispatch, "调度", "派车：选派车辆与驾驶员（R-13(3)）", nil, booking.DispatchInput{}, booking.Order{}, update(s.Booking.Dispatch)},
		{"POST", "/api/orders/{id}/consent", access.OrderConsent, "调度", "车管负责人同意派车", nil, nil, booking.Order{}, s.orderAction("consent")},
		{"POST", "/api/orders/{id}/refuse", access.OrderConsent, "调度", "车管负责人不同意派车（须填原因）", nil, reasonIn{}, booking.Order{}, s.orderAction("refuse")},
		{"POST", "/api/orders/{id}/rental", access.OrderDispatch, "调度", "本单位车辆无法保障，转交合同租赁公司（R-21）", nil, rental.HandOverInput{}, booking.Order{}, update(s.Rental.HandOver)},
		{"POST", "/api/orders/{id}/depart", access.OrderDrive, "出车", "驾驶员出车（填出车里程）", nil, odometerIn{}, booking.Order{}, s.odometer("depart")},
		{"POST", "/api/orders/{id}/change", access.OrderDrive, "出车", "途中变更报告（R-13(4)）", nil, booking.ChangeInput{}, booking.Order{}, update(s.Booking.ReportChange)},
		{"POST", "/api/orders/{id}/finish", access.OrderDrive, "出车", "任务结束（填结束里程）", nil, odometerIn{}, booking.Order{}, s.odometer("finish")},
		{"POST", "/api/orders/{id}/changes/{change_id}/ack", access.OrderDispatch, "调度", "调度员确认途中变更", nil, nil, booking.Order{}, s.ackChange},
		{"POST", "/api/orders/{id}/back", access.OrderDispatch, "调度", "回场：车辆停放指定地点（R-13(5)）", nil, backIn{}, booking.Order{}, s.back},
		{"POST", "/api/orders/{id}/rate", access.OrderApply, "用车", "用车人评价驾驶员 1–5 星（R-13(6)）", nil, rateIn{}, booking.Order{}, s.rate},
		{"POST", "/api/orders/{id}/attachments", access.OrderApply, "用车", "上传会议通知、方案等附件（multipart 字段 file；PDF、图片、Office，≤20 MB）", nil, nil, booking.Attachment{}, s.attach},
		{"GET", "/api/orders/{id}/attachments/{att_id}", access.OrderRead, "用车", "下载附件", nil, nil, nil, s.attachment},
		{"GET", "/api/dispatch/board", access.OrderDispatch, "调度", "调度看板：车辆与当日任务（date=YYYY-MM-DD，北京时间）", []string{"date", "unit_id", "page", "page_size"}, nil, List[booking.BoardRow]{}, s.board},
		{"GET", "/api/dispatch/delegations", access.OrderRead, "调度", "车管负责人的派车长期授权", nil, nil, []booking.Delegation{}, s.delegations},
		{"PUT", "/api/dispatch/delegations/{id}", access.OrderConsent, "调度", "授予或撤销本单位车辆的派车长期授权（{id} 为单位编号）", nil, delegationIn{}, nil, s.setDelegation},
		{"GET", "/api/drivers/{id}/ratings", access.FleetRead, "驾驶员", "驾驶员评价记录与平均分", nil, nil, booking.Ratings{}, get(s.Booking.DriverRatings)},
		{"GET", "/api/emergency-filings", access.OrderRead, "紧急用车", "紧急用车补报（state=open|filed|overdue|late）", []string{"state", "page", "page_size"}, nil, List[booking.Filing]{}, s.emergencyFilings},
		{"POST", "/api/emergency-filings", access.EmergencyFile, "紧急用车", "补报紧急用车（R-14，48小时内）", nil, booking.FilingInput{}, booking.Filing{}, create(s.Booking.FileEmergency)},
		{"POST", "/api/emergency-filings/{id}/complete", access.EmergencyFile, "紧急用车", "补全待补报的无单出车", nil, booking.FilingInput{}, booking.Filing{}, update(s.Booking.CompleteFiling)},
		{"GET", "/api/calendar", access.Self, "节假日", "某年的法定节假日与调休上班日（R-15）", []string{"year"}, nil, []booking.Day{}, s.calendar},
		{"PUT", "/api/calendar/{day}", access.CalendarWrite, "节假日", "设置某日为法定节假日或调休上班日（kind 为空则删除；市级平台管理员）", nil, booking.DayInput{}, nil, s.setDay},
		{"GET", "/api/notifications", access.Self, "消息", "我的消息（unread=true 仅未读）", []string{"unread", "page", "page_size"}, nil, List[booking.Notification]{}, s.notifications},
		{"POST", "/api/notifications/read", access.Self, "消息", "标为已读（id 为空则全部）", nil, readIn{}, nil, s.markRead},
		{"GET", "/api/notifications/stream", access.Self, "消息", "新消息推送（Server-Sent Events）", nil, nil, nil, s.stream},
	}
}

type reasonIn struct {
	Reason string `json:"reason"`
}

type odometerIn struct {
	Odometer int `json:"odometer"`
}

type backIn struct {
	ParkingPlace string `json:"parking_place"`
}

type rateIn struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment"`
}

type delegationIn struct {
	On   bool   `json:"on"`
	Note string `json:"note"`
}

type readIn struct {
	ID int64 `json:"id"`
}

func (s *Server) listOrders(base booking.Filter) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		f := base
		var err error
		if f.Page, f.Size, err = page(r); err != nil {
			return nil, err
		}
		if f.UnitID, err = queryID(r, "unit_id"); err != nil {
			return nil, err
		}
		if f.From, err = queryTime(r, "from"); err != nil {
			return nil, err
		}
		if f.To, err = queryTime(r, "to"); err != nil {
			return nil, err
		}
		q := r.URL.Query()
		f.State, f.Q, f.Sealed = q.Get("state"), q.Get("q"), queryBool(r, "sealed")
		if f.Driving && f.State == "" {
			f.State = booking.Dispatched + "," + booking.Departed
		}
		items, n, err := s.Booking.List(r.Context(), r.Actor(), f)
		if err != nil {
			return nil, err
		}
		return list(items, n, f.Page, f.Size), nil
	}
}

func (s *Server) bookingCounts(r *Request) (any, error) {
	return s.Booking.Counts(r.Context(), r.Actor())
}

// orderAction handles the actions whose body is at most a reason.
func (s *Server) orderAction(action string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in reasonIn
		if r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				return nil, err
			}
		}
		ctx, a, b := r.Context(), r.Actor(), s.Booking
		switch action {
		case "approve":
			return b.Approve(ctx, a, id, in.Reason)
		case "return":
			return b.Return(ctx, a, id, in.Reason)
		case "cancel":
			return b.Cancel(ctx, a, id, in.Reason)
		case "consent":
			return b.Consent(ctx, a, id)
		case "refuse":
			return b.Refuse(ctx, a, id, in.Reason)
		}
		return nil, errs.E(errs.NotFound, "未知操作 %s", action)
	}
}

func (s *Server) suggest(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	limit, err := queryInt(r, "limit", 100)
	if err != nil {
		return nil, err
	}
	return s.Booking.Suggest(r.Context(), r.Actor(), id, min(max(limit, 1), 500))
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

func (s *Server) attach(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	data, vals, err := upload(r, booking.MaxAttachment, "附件不能超过20 MB")
	if err != nil {
		return nil, err
	}
	name := vals["filename"]
	if r.MultipartForm != nil {
		if fh := r.MultipartForm.File["file"]; len(fh) > 0 {
			name = fh[0].Filename
		}
	}
	att, err := s.Booking.Attach(r.Context(), r.Actor(), s.Fleet.Blobs, id, name, data)
	if err != nil {
		return nil, err
	}
	return created{att}, nil
}

func (s *Server) attachment(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	aid, err := strconv.ParseInt(r.PathValue("att_id"), 10, 64)
	if err != nil {
		return nil, errs.E(errs.NotFound, "附件编号无效")
	}
	att, data, err := s.Booking.OpenAttachment(r.Context(), r.Actor(), s.Fleet.Blobs, id, aid)
	if err != nil {
		return nil, err
	}
	return download{name: att.Filename, contentType: att.ContentType, data: data}, nil
}

func (s *Server) board(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	day := time.Now()
	if v := r.URL.Query().Get("date"); v != "" {
		if day, err = time.ParseInLocation(time.DateOnly, v, booking.Beijing); err != nil {
			return nil, (&errs.Fields{"date": "日期格式应为 YYYY-MM-DD"}).Err()
		}
	}
	rows, n, err := s.Booking.Board(r.Context(), r.Actor(), day, unit, p, size)
	if err != nil {
		return nil, err
	}
	return list(rows, n, p, size), nil
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

func (s *Server) emergencyFilings(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	items, n, err := s.Booking.Filings(r.Context(), r.Actor(), booking.FilingFilter{State: r.URL.Query().Get("state"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
}

func (s *Server) calendar(r *Request) (any, error) {
	year, err := queryInt(r, "year", time.Now().In(booking.Beijing).Year())
	if err != nil {
		return nil, err
	}
	if year < 2000 || year > 2100 {
		return nil, (&errs.Fields{"year": "年份无效"}).Err()
	}
	return s.Booking.Calendar.Year(r.Context(), year)
}

func (s *Server) setDay(r *Request) (any, error) {
	var in booking.DayInput
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
	if r.ContentLength != 0 {
		if err := decode(r, &in); err != nil {
			return nil, err
		}
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
