package httpapi

import (
	"context"

	"govfleet/internal/access"
	"govfleet/internal/rental"
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
		{Method: "GET", Path: "/api/rental/orders", Perm: access.RentalRead, Tag: "租赁", Summary: "租赁订单（租赁公司账号只见本公司的）", Query: []string{"state", "month", "page", "page_size"}, Out: List[rental.Order]{}, Handle: s.listRentalOrders},
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

func (s *Server) listRentalOrders(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, total, err := s.Rental.List(r.Context(), r.Actor(), rental.Filter{State: q.Get("state"), Month: q.Get("month")}, p, size)
	if err != nil {
		return nil, err
	}
	return list(items, total, p, size), nil
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
