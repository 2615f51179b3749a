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
		{"GET", "/api/orders/{id}/rental-companies", access.OrderDispatch, "调度", "合同覆盖该单位、可转租赁的租赁公司", nil, nil, []rental.Company{}, get(rs.Companies)},
		{"GET", "/api/rental/orders", access.RentalRead, "租赁", "租赁订单（租赁公司账号只见本公司的）", []string{"state", "month", "page", "page_size"}, nil, List[rental.Order]{}, s.listRentalOrders},
		{"POST", "/api/rental/orders/{id}/assign", access.RentalOperate, "租赁", "租赁公司安排车辆与驾驶员", nil, rental.AssignInput{}, rental.Order{}, update(rs.Assign)},
		{"POST", "/api/rental/orders/{id}/usage", access.RentalOperate, "租赁", "租赁公司登记用车：起止里程、时间、费用（计入费用台账）", nil, rental.UsageInput{}, rental.Order{}, update(rs.RecordUsage)},
		{"GET", "/api/rental/vehicles", access.RentalOperate, "租赁", "本公司登记的租赁车辆", nil, nil, []rental.Vehicle{}, s.rentalList(true)},
		{"POST", "/api/rental/vehicles", access.RentalOperate, "租赁", "登记租赁车辆", nil, rental.VehicleInput{}, rental.Vehicle{}, create(newVehicle)},
		{"PATCH", "/api/rental/vehicles/{id}", access.RentalOperate, "租赁", "修改或停用租赁车辆", nil, rental.VehicleInput{}, rental.Vehicle{}, update(rs.SaveVehicle)},
		{"GET", "/api/rental/drivers", access.RentalOperate, "租赁", "本公司登记的驾驶员", nil, nil, []rental.Driver{}, s.rentalList(false)},
		{"POST", "/api/rental/drivers", access.RentalOperate, "租赁", "登记驾驶员", nil, rental.DriverInput{}, rental.Driver{}, create(newDriver)},
		{"PATCH", "/api/rental/drivers/{id}", access.RentalOperate, "租赁", "修改或停用驾驶员", nil, rental.DriverInput{}, rental.Driver{}, update(rs.SaveDriver)},
		{"GET", "/api/rental/assessments", access.RentalRead, "租赁", "租赁公司月度考核：订单、准时率、评分、投诉（1–2星）、费用（R-29(2)）", []string{"month"}, nil, []rental.Assessment{}, s.rentalAssessments},
		{"POST", "/api/rental/assessments", access.RentalAssess, "租赁", "签署租赁公司某月的考核（等次与意见）", nil, rental.SignInput{}, rental.SignOff{}, create(rs.Sign)},
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
