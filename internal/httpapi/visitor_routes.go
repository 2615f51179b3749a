package httpapi

import (
	"context"

	"govfleet/internal/access"
	"govfleet/internal/sheet"
	"govfleet/internal/visitors"
)

// visitorRoutes are the visiting officials' routes on the phone (R-19,
// issue 22 part 6), the host unit's verification, the console's lists, the
// ride-hailing provider's callback and the monthly reconciliation.
func (s *Server) visitorRoutes() []Route {
	vs := s.Visitors
	myBookings := func(ctx context.Context, a *access.Actor, _ int64) ([]*visitors.Booking, error) {
		return vs.MyBookings(ctx, a)
	}
	me := func(ctx context.Context, a *access.Actor, _ int64) (*visitors.Visitor, error) { return vs.Me(ctx, a) }
	tariffs := func(ctx context.Context, _ *access.Actor, _ int64) ([]visitors.Tariff, error) { return vs.Tariffs(ctx) }
	return []Route{
		{Method: "GET", Path: "/api/visitor/host-units", Perm: access.Public, Tag: "来访人员", Summary: "可选的接待单位（来访登记）", Out: []visitors.HostUnit{}, Handle: s.hostUnits},
		{Method: "POST", Path: "/api/visitor/code", Perm: access.Public, Tag: "来访人员", Summary: "发送注册短信验证码（每个手机号每分钟1次、每小时5次；每个地址每小时20次）", In: codeIn2{}, Example: codeIn2{Mobile: "13900000000"}, Handle: s.visitorCode},
		{Method: "POST", Path: "/api/visitor/register", Perm: access.Public, Tag: "来访人员", Summary: "来访人员注册：姓名、手机号（短信验证码）、来自城市与单位、接待单位、登录密码", In: visitors.RegisterInput{}, Out: visitors.Visitor{}, Handle: s.visitorRegister},
		{Method: "POST", Path: "/api/visitor/login", Perm: access.Public, Tag: "来访人员", Summary: "来访人员以手机号和密码登录", In: visitorLoginIn{}, Out: loginOut{}, Handle: s.visitorLogin},
		{Method: "GET", Path: "/api/visitor/me", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "本人的来访登记与核验状态", Out: visitors.Visitor{}, Handle: get0(me)},
		{Method: "GET", Path: "/api/visitor/tariffs", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "平台车辆有偿使用收费标准", Out: []visitors.Tariff{}, Handle: get0(tariffs)},
		{Method: "GET", Path: "/api/visitor/bookings", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "本人的来访用车", Out: []visitors.Booking{}, Handle: get0(myBookings)},
		{Method: "POST", Path: "/api/visitor/bookings", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "预约用车：平台车辆（有偿使用）、租赁车辆或网约车（须已核验）", In: visitors.BookInput{}, Out: visitors.Booking{}, Handle: create(vs.Book)},
		{Method: "GET", Path: "/api/visitor/bookings/{id}", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "本人的一次来访用车：状态、车辆与驾驶员、费用、进度", Out: visitors.Detail{}, Handle: get(vs.MyBooking)},
		{Method: "POST", Path: "/api/visitor/bookings/{id}/cancel", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "取消本人的来访用车（须写原因；网约车在行程开始前可取消，司机已接单的按服务商收取取消费）", In: visitors.CancelInput{}, Out: visitors.Detail{}, Handle: update(vs.Cancel)},
		{Method: "POST", Path: "/api/visitor/bookings/{id}/rate", Perm: access.VisitorSelf, Tag: "来访人员", Summary: "评价本人的来访用车", In: visitors.RateInput{}, Out: visitors.Detail{}, Handle: update(vs.Rate)},

		{Method: "GET", Path: "/api/visitors", Perm: access.VisitorRead, Tag: "跨区域协作", Summary: "来访人员登记（接待单位在本人管辖范围内）", Query: []string{"unit_id", "state", "q", "page", "page_size"}, Out: List[visitors.Visitor]{}, Handle: paged(s.listVisitors)},
		{Method: "GET", Path: "/api/visitors/export", Perm: access.VisitorRead, Tag: "跨区域协作", Summary: "导出来访人员登记（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "state", "q"}), Handle: exportOf(s, "来访人员", visitorFields, s.listVisitors)},
		{Method: "POST", Path: "/api/visitors/{id}/decide", Perm: access.VisitorVerify, Tag: "跨区域协作", Summary: "接待单位审核员核验来访人员：通过或不通过（须写原因）", In: visitors.DecideInput{}, Out: visitors.Visitor{}, Handle: update(vs.Decide)},
		{Method: "GET", Path: "/api/visitor-bookings", Perm: access.VisitorRead, Tag: "跨区域协作", Summary: "来访人员用车（平台车辆、租赁车辆、网约车）", Query: []string{"unit_id", "kind", "month", "q", "page", "page_size"}, Out: List[visitors.Booking]{}, Handle: paged(s.listVisitorBookings)},
		{Method: "POST", Path: "/api/visitor-bookings/{id}/cancel", Perm: access.VisitorCancel, Tag: "跨区域协作", Summary: "接待单位审核员或调度员取消来访人员的用车（须写原因）", In: visitors.CancelInput{}, Out: visitors.Detail{}, Handle: update(vs.Cancel)},
		{Method: "GET", Path: "/api/visitor-bookings/export", Perm: access.VisitorRead, Tag: "跨区域协作", Summary: "导出来访人员用车（xlsx，筛选条件同列表）", Query: []string{"unit_id", "kind", "month", "q"}, Handle: exportOf(s, "来访用车", visitorBookingFields, s.listVisitorBookings)},

		{Method: "POST", Path: "/api/ridehail/callback", Perm: access.Public, Tag: "网约车", Summary: "网约车服务商的订单状态与费用回调（签名：X-Ride-Timestamp、X-Ride-Nonce、X-Ride-Signature）", In: rideCallbackDoc{}, Out: visitors.CallbackResult{}, Handle: s.rideCallback},
		{Method: "GET", Path: "/api/ridehail/reconciliation", Perm: access.RideReconcile, Tag: "网约车", Summary: "网约车月度对账：平台记录与服务商订单逐笔比对，列出差异", Query: []string{"month", "only_diff"}, Out: visitors.Report{}, Handle: s.reconciliation},
		{Method: "GET", Path: "/api/ridehail/reconciliation/export", Perm: access.RideReconcile, Tag: "网约车", Summary: "导出网约车月度对账（xlsx）", Query: []string{"month", "only_diff"}, Handle: exportOf(s, "网约车对账", reconFields, s.reconRows)},
	}
}

// get0 serves a read of the caller's own things (no {id}).
func get0[T any](fn func(context.Context, *access.Actor, int64) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) { return fn(r.Context(), r.Actor(), 0) }
}

type codeIn2 struct {
	Mobile string `json:"mobile" max:"20"`
}

type visitorLoginIn struct {
	Mobile   string `json:"mobile" max:"20"`
	Password string `json:"password" max:"128"`
}

// rideCallbackDoc documents the callback's body (ridehail.Callback).
type rideCallbackDoc struct {
	EventID          string `json:"event_id" max:"64"`
	ApplicationID    string `json:"application_id" max:"64"`
	OutApplicationNo string `json:"out_application_no" max:"64"`
	OrderID          string `json:"order_id" max:"64"`
	Status           string `json:"status" max:"20"`
	FeeFen           *int64 `json:"fee_fen"`
	DriverName       string `json:"driver_name" max:"40"`
	DriverPhone      string `json:"driver_phone" max:"20"`
	CarPlate         string `json:"car_plate" max:"20"`
	CarDesc          string `json:"car_desc" max:"60"`
}

func (s *Server) hostUnits(r *Request) (any, error) { return s.Visitors.HostUnits(r.Context()) }

func (s *Server) visitorCode(r *Request) (any, error) {
	var in codeIn2
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := s.Visitors.SendCode(r.Context(), in.Mobile, clientIP(r.Request)); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) visitorRegister(r *Request) (any, error) {
	var in visitors.RegisterInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	v, err := s.Visitors.Register(r.Context(), clientIP(r.Request), in)
	if err != nil {
		return nil, err
	}
	return created{v}, nil
}

func (s *Server) visitorLogin(r *Request) (any, error) {
	var in visitorLoginIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	name, err := s.Visitors.UsernameOf(r.Context(), in.Mobile)
	if err != nil {
		return nil, err
	}
	l, err := s.Auth.Login(r.Context(), name, in.Password, clientIP(r.Request), r.UserAgent())
	return s.loggedIn(r, l, err)
}

func (s *Server) rideCallback(r *Request) (any, error) {
	body, err := readBody(r.Request)
	if err != nil {
		return nil, err
	}
	var doc rideCallbackDoc // its fields' lengths, before anything else
	if err := decode(r, &doc); err != nil {
		return nil, err
	}
	return s.Visitors.Callback(r.Context(), r.Header, body, clientIP(r.Request))
}

func (s *Server) listVisitors(r *Request, p, size int) ([]*visitors.Visitor, int, error) {
	q := r.URL.Query()
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	return s.Visitors.List(r.Context(), r.Actor(), visitors.Filter{UnitID: unit, State: q.Get("state"), Q: q.Get("q")}, p, size)
}

func (s *Server) listVisitorBookings(r *Request, p, size int) ([]*visitors.Booking, int, error) {
	q := r.URL.Query()
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	return s.Visitors.Bookings(r.Context(), r.Actor(), visitors.BookingFilter{UnitID: unit, Kind: q.Get("kind"), Month: q.Get("month"), Q: q.Get("q")}, p, size)
}

func (s *Server) reconciliation(r *Request) (any, error) {
	q := r.URL.Query()
	rep, err := s.Visitors.Reconcile(r.Context(), r.Actor(), q.Get("month"), q.Get("only_diff") == "true")
	if err != nil {
		return nil, err
	}
	rep.Total = len(rep.Rows)
	return rep, s.Visitors.RecordReconcile(r.Context(), r.Actor(), rep)
}

func (s *Server) reconRows(r *Request, _, _ int) ([]*visitors.ReconRow, int, error) {
	q := r.URL.Query()
	rep, err := s.Visitors.Reconcile(r.Context(), r.Actor(), q.Get("month"), q.Get("only_diff") == "true")
	if err != nil {
		return nil, 0, err
	}
	return rep.Rows, len(rep.Rows), nil
}

func fenOrNil(f *int64) any {
	if f == nil {
		return nil
	}
	return sheet.Money(*f)
}

var visitorFields = []sheet.Field[*visitors.Visitor]{
	sheet.F("姓名", func(v *visitors.Visitor) any { return v.Name }),
	{Title: "手机号", Width: 14, Value: func(v *visitors.Visitor) any { return v.Mobile }},
	sheet.F("来自城市", func(v *visitors.Visitor) any { return v.HomeCity }),
	{Title: "工作单位", Width: 24, Value: func(v *visitors.Visitor) any { return v.HomeUnit }},
	{Title: "接待单位", Width: 24, Value: func(v *visitors.Visitor) any { return v.HostUnitName }},
	{Title: "来访事由", Width: 24, Value: func(v *visitors.Visitor) any { return v.Purpose }},
	sheet.F("核验状态", func(v *visitors.Visitor) any { return v.StateName }),
	sheet.F("核验方式", func(v *visitors.Visitor) any { return v.VerifiedName }),
	sheet.F("核验人", func(v *visitors.Visitor) any { return v.DecidedName }),
	{Title: "原因", Width: 24, Value: func(v *visitors.Visitor) any { return v.Reason }},
	sheet.F("用车次数", func(v *visitors.Visitor) any { return v.Bookings }),
	{Title: "登记时间", Width: 20, Value: func(v *visitors.Visitor) any { return v.CreatedAt }},
}

var visitorBookingFields = []sheet.Field[*visitors.Booking]{
	{Title: "编号", Width: 20, Value: func(b *visitors.Booking) any { return b.No }},
	sheet.F("来访人员", func(b *visitors.Booking) any { return b.VisitorName }),
	sheet.F("来自城市", func(b *visitors.Booking) any { return b.HomeCity }),
	{Title: "工作单位", Width: 24, Value: func(b *visitors.Booking) any { return b.HomeUnit }},
	{Title: "接待单位", Width: 24, Value: func(b *visitors.Booking) any { return b.HostUnitName }},
	{Title: "用车方式", Width: 18, Value: func(b *visitors.Booking) any { return b.KindName }},
	{Title: "用车订单", Width: 18, Value: func(b *visitors.Booking) any { return b.OrderNo }},
	{Title: "用车时间", Width: 20, Value: func(b *visitors.Booking) any { return b.StartAt }},
	{Title: "上车地点", Width: 20, Value: func(b *visitors.Booking) any { return b.PickupPlace }},
	{Title: "目的地", Width: 20, Value: func(b *visitors.Booking) any { return b.Destination }},
	sheet.F("状态", func(b *visitors.Booking) any { return b.StateName }),
	sheet.F("车牌号", func(b *visitors.Booking) any { return b.CarPlate }),
	sheet.F("驾驶员", func(b *visitors.Booking) any { return b.DriverName }),
	sheet.F("费用（元）", func(b *visitors.Booking) any { return fenOrNil(b.FeeFen) }),
	sheet.F("市场价（元）", func(b *visitors.Booking) any { return fenOrNil(b.MarketFen) }),
	sheet.F("节约（元）", func(b *visitors.Booking) any { return fenOrNil(b.SavingFen) }),
	sheet.F("费用上限（元）", func(b *visitors.Booking) any { return fenOrNil(b.CapFen) }),
	sheet.F("评价", func(b *visitors.Booking) any { return b.Rating }),
}

var reconFields = []sheet.Field[*visitors.ReconRow]{
	{Title: "申请编号", Width: 20, Value: func(r *visitors.ReconRow) any { return r.No }},
	sheet.F("来访人员", func(r *visitors.ReconRow) any { return r.Visitor }),
	{Title: "接待单位", Width: 24, Value: func(r *visitors.ReconRow) any { return r.HostUnit }},
	sheet.F("平台状态", func(r *visitors.ReconRow) any { return r.OurState }),
	sheet.F("平台金额（元）", func(r *visitors.ReconRow) any { return fenOrNil(r.OurFeeFen) }),
	{Title: "服务商订单", Width: 16, Value: func(r *visitors.ReconRow) any { return r.TheirOrder }},
	sheet.F("服务商状态", func(r *visitors.ReconRow) any { return r.TheirState }),
	sheet.F("服务商金额（元）", func(r *visitors.ReconRow) any { return fenOrNil(r.TheirFeeFen) }),
	{Title: "差异", Width: 40, Value: func(r *visitors.ReconRow) any { return r.Difference }},
}
