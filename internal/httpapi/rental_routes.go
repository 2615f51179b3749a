package httpapi

import (
	"context"

	"govfleet/internal/access"
	"govfleet/internal/rental"
	"govfleet/internal/sheet"
)

// rentalRoutes are the rental companies' and the authority's routes (R-21,
// R-29(2)); the hand-over itself is POST /api/orders/{id}/rental.
func (s *Server) rentalRoutes() []Route {
	rs := s.Rental
	newVehicle := func(ctx context.Context, a *access.Actor, in rental.VehicleInput) (*rental.Vehicle, error) {
		return rs.SaveVehicle(ctx, a, 0, in)
	}
	newDriver := func(ctx context.Context, a *access.Actor, in rental.DriverInput) (*rental.Driver, error) {
		return rs.SaveDriver(ctx, a, 0, in)
	}
	return []Route{
		{Method: "GET", Path: "/api/orders/{id}/rental-companies", Perm: access.OrderDispatch, Tag: "调度", Summary: "合同覆盖该单位、可转租赁的租赁公司", Out: []rental.Company{}, Handle: get(rs.Companies)},
		{Method: "GET", Path: "/api/rental/orders", Perm: access.RentalRead, Tag: "租赁", Summary: "租赁订单（租赁公司账号只见本公司的）", Query: []string{"state", "month", "page", "page_size"}, Out: List[rental.Order]{}, Handle: paged(s.listRentalOrders)},
		{Method: "GET", Path: "/api/rental/orders/export", Perm: access.RentalRead, Tag: "租赁", Summary: "导出租赁用车（xlsx，筛选条件同列表）", Query: exportQuery([]string{"state", "month", "page", "page_size"}), Handle: exportOf(s, "租赁用车", rentalOrderFields, s.listRentalOrders)},
		{Method: "POST", Path: "/api/rental/orders/{id}/assign", Perm: access.RentalOperate, Tag: "租赁", Summary: "租赁公司安排车辆与驾驶员", In: rental.AssignInput{}, Out: rental.Order{}, Handle: update(rs.Assign)},
		{Method: "POST", Path: "/api/rental/orders/{id}/usage", Perm: access.RentalOperate, Tag: "租赁", Summary: "租赁公司登记用车：起止里程、时间、费用（计入费用台账）", In: rental.UsageInput{}, Out: rental.Order{}, Handle: update(rs.RecordUsage)},
		{Method: "GET", Path: "/api/rental/vehicles", Perm: access.RentalOperate, Tag: "租赁", Summary: "本公司登记的租赁车辆", Out: []rental.Vehicle{}, Handle: s.rentalList(true)},
		{Method: "POST", Path: "/api/rental/vehicles", Perm: access.RentalOperate, Tag: "租赁", Summary: "登记租赁车辆", In: rental.VehicleInput{}, Out: rental.Vehicle{}, Handle: create(newVehicle)},
		{Method: "PATCH", Path: "/api/rental/vehicles/{id}", Perm: access.RentalOperate, Tag: "租赁", Summary: "修改或停用租赁车辆", In: rental.VehicleInput{}, Out: rental.Vehicle{}, Handle: update(rs.SaveVehicle)},
		{Method: "GET", Path: "/api/rental/drivers", Perm: access.RentalOperate, Tag: "租赁", Summary: "本公司登记的驾驶员", Out: []rental.Driver{}, Handle: s.rentalList(false)},
		{Method: "POST", Path: "/api/rental/drivers", Perm: access.RentalOperate, Tag: "租赁", Summary: "登记驾驶员", In: rental.DriverInput{}, Out: rental.Driver{}, Handle: create(newDriver)},
		{Method: "PATCH", Path: "/api/rental/drivers/{id}", Perm: access.RentalOperate, Tag: "租赁", Summary: "修改或停用驾驶员", In: rental.DriverInput{}, Out: rental.Driver{}, Handle: update(rs.SaveDriver)},
		{Method: "GET", Path: "/api/rental/assessments", Perm: access.RentalRead, Tag: "租赁", Summary: "租赁公司月度考核：订单、准时率、评分、投诉（1–2星）、费用（R-29(2)）", Query: []string{"month"}, Out: []rental.Assessment{}, Handle: s.rentalAssessments},
		{Method: "POST", Path: "/api/rental/assessments", Perm: access.RentalAssess, Tag: "租赁", Summary: "签署租赁公司某月的考核（等次与意见）", In: rental.SignInput{}, Out: rental.SignOff{}, Handle: create(rs.Sign)},
	}
}

func (s *Server) listRentalOrders(r *Request, p, size int) ([]*rental.Order, int, error) {
	q := r.URL.Query()
	return s.Rental.List(r.Context(), r.Actor(), rental.Filter{State: q.Get("state"), Month: q.Get("month")}, p, size)
}

var rentalOrderFields = []sheet.Field[*rental.Order]{
	{Title: "订单号", Width: 22, Value: func(o *rental.Order) any { return o.OrderNo }},
	{Title: "用车单位", Width: 22, Value: func(o *rental.Order) any { return o.UnitName }},
	sheet.F("申请人", func(o *rental.Order) any { return o.ApplicantName }),
	{Title: "事由", Width: 30, Value: func(o *rental.Order) any { return o.Reason }},
	{Title: "用车时间", Width: 20, Value: func(o *rental.Order) any { return o.PickupAt }},
	{Title: "预计返回", Width: 20, Value: func(o *rental.Order) any { return o.ReturnAt }},
	{Title: "租赁公司", Width: 24, Value: func(o *rental.Order) any { return o.CompanyName }},
	sheet.F("状态", func(o *rental.Order) any { return o.StateName }),
	sheet.F("车牌号", func(o *rental.Order) any { return o.Plate }),
	sheet.F("驾驶员", func(o *rental.Order) any { return o.DriverName }),
	sheet.F("行驶里程（公里）", func(o *rental.Order) any {
		if o.StartMileage == nil || o.EndMileage == nil {
			return nil
		}
		return *o.EndMileage - *o.StartMileage
	}),
	sheet.F("费用（元）", func(o *rental.Order) any {
		if o.FeeFen == nil {
			return nil
		}
		return sheet.Money(*o.FeeFen)
	}),
	sheet.F("准时", func(o *rental.Order) any { return o.OnTime }),
	sheet.F("评价", func(o *rental.Order) any { return o.Rating }),
	sheet.F("结算月份", func(o *rental.Order) any { return o.Month }),
}

func (s *Server) rentalList(vehicles bool) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		if vehicles {
			return s.Rental.Vehicles(r.Context(), r.Actor())
		}
		return s.Rental.Drivers(r.Context(), r.Actor())
	}
}

func (s *Server) rentalAssessments(r *Request) (any, error) {
	return s.Rental.Assessments(r.Context(), r.Actor(), r.URL.Query().Get("month"))
}
