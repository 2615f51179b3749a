package httpapi_test

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/maintenance"
	"govfleet/internal/rental"
)

func init() {
	// A company's own registry, the rental lists and assessments are over
	// the caller's own scope or company.
	for _, k := range []string{"GET /api/rental/orders", "GET /api/rental/vehicles", "POST /api/rental/vehicles", "GET /api/rental/drivers",
		"POST /api/rental/drivers", "GET /api/rental/assessments", "GET /api/repair-jobs/vehicles"} {
		untargeted[k] = true
	}
}

// lifeActors are the city-level accounts that drive the fixtures' jobs and
// rental orders to the state a route needs.
type lifeActors struct {
	vm, dispatcher *access.Actor
	shop, rent     int64 // companies serving the whole city
}

func (e *env) life() *lifeActors {
	if e.lifeA == nil {
		root := e.w.UnitID(e.t, "常州市")
		e.lifeA = &lifeActors{vm: e.caller(root, access.VehicleManager).actor, dispatcher: e.caller(root, access.Dispatcher).actor,
			shop: e.newCompany(root, "repair").ID, rent: e.newCompany(root, "rental").ID}
	}
	return e.lifeA
}

// companyActor acts for a company serving the whole city.
func (e *env) companyActor(id int64, role access.Role) *access.Actor {
	return &access.Actor{UserID: e.city().UserID, Name: "企业", ScopeID: e.city().ScopeID, ScopePath: e.city().ScopePath,
		Roles: []access.Role{role}, CompanyID: id, Contracts: []string{e.city().ScopePath}}
}

// shopFor is the shop a fixture's job goes to: the caller's own company
// when it is a repair shop asking inside, else the city's shop.
func (e *env) shopFor(c caller, in bool) *access.Actor {
	if in && c.actor.HasRole(access.RepairShop) {
		return c.actor
	}
	return e.companyActor(e.life().shop, access.RepairShop)
}

// repairJob is a job for a new vehicle of unit, driven to state; budget
// sets the approval tier; shop quotes it (two items, the second disputed
// when state is "disputed").
func (e *env) repairJob(unit int64, state string, budget int64, shop *access.Actor) int64 {
	e.t.Helper()
	ctx, m, l := context.Background(), e.w.Maintenance, e.life()
	fail := func(err error) {
		if err != nil {
			e.t.Fatal(err)
		}
	}
	j, err := m.Request(ctx, l.vm, maintenance.RequestInput{VehicleID: e.newVehicle(unit), Kind: "repair", Problem: "发动机故障灯亮"})
	fail(err)
	steps := []struct {
		done string
		do   func() error
	}{
		{maintenance.Requested, func() error { return nil }},
		{maintenance.Estimated, func() error {
			_, err := m.Estimate(ctx, l.vm, j.ID, maintenance.EstimateInput{BudgetFen: budget})
			return err
		}},
		{maintenance.Approved, func() error { _, err := m.Approve(ctx, e.city(), j.ID, ""); return err }},
		{maintenance.Assigned, func() error {
			_, err := m.Assign(ctx, l.vm, j.ID, maintenance.AssignInput{ShopCompanyID: shop.CompanyID})
			return err
		}},
		{maintenance.Quoted, func() error {
			_, err := m.Quote(ctx, shop, j.ID, maintenance.QuoteInput{TotalFen: 30000, Items: []maintenance.ItemInput{
				{Kind: "part", Name: "火花塞", Quantity: 4, UnitPriceFen: 5000, AmountFen: 20000},
				{Kind: "labour", Name: "工时", Quantity: 1, UnitPriceFen: 10000, AmountFen: 10000}}})
			if err == nil {
				_, err = m.AddPhoto(ctx, shop, j.ID, "invoice", testPNG())
			}
			return err
		}},
		{"disputed", func() error {
			d, err := m.Get(ctx, l.vm, j.ID)
			if err == nil {
				_, err = m.Review(ctx, l.vm, j.ID, d.Items[1].ID, maintenance.ReviewInput{Reason: "工时偏高"})
			}
			return err
		}},
		{maintenance.Reviewed, func() error {
			d, err := m.Get(ctx, l.vm, j.ID)
			if err != nil {
				return err
			}
			for _, it := range d.Items {
				if _, err := m.Review(ctx, l.vm, j.ID, it.ID, maintenance.ReviewInput{Confirm: true}); err != nil {
					return err
				}
			}
			return nil
		}},
	}
	for _, s := range steps {
		if s.done == "disputed" && state != "disputed" {
			continue
		}
		fail(s.do())
		if s.done == state {
			break
		}
	}
	return j.ID
}

// item returns the id of the job's item number i.
func (e *env) item(job int64, i int) int64 {
	e.t.Helper()
	d, err := e.w.Maintenance.Get(context.Background(), e.life().vm, job)
	if err != nil {
		e.t.Fatal(err)
	}
	return d.Items[i].ID
}

// budgetFor is a budget inside the caller's approval tier.
func budgetFor(c caller) int64 {
	switch {
	case c.actor.HasRole(access.PlatformAdmin):
		return 2000000
	case c.actor.HasRole(access.UnitAdmin), c.actor.HasRole(access.Approver):
		return 500000
	}
	return 100000
}

// maintenanceFixtures adds the repair and rental routes to the matrix.
func (e *env) maintenanceFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	job := func(c caller, in bool, state string) int64 {
		return e.repairJob(place(in), state, 100000, e.shopFor(c, in))
	}
	p := func(id int64, rest string) string { return fmt.Sprintf("/api/repair-jobs/%d%s", id, rest) }
	items := maintenance.QuoteInput{TotalFen: 5000, Items: []maintenance.ItemInput{{Kind: "part", Name: "机油滤芯", Quantity: 1, UnitPriceFen: 5000, AmountFen: 5000}}}
	reason := map[string]string{"reason": "预算偏高"}
	fx := map[string]func(c caller, in bool) call{
		"GET /api/repair-jobs": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/repair-jobs?unit_id=%d", place(in)), nil}
		},
		"GET /api/repair-jobs/vehicles": func(c caller, in bool) call { return call{"GET", "/api/repair-jobs/vehicles?q=苏D", nil} },
		"POST /api/repair-jobs": func(c caller, in bool) call {
			return call{"POST", "/api/repair-jobs", maintenance.RequestInput{VehicleID: e.newVehicle(place(in)), Kind: "maintenance", Problem: "例行保养"}}
		},
		"GET /api/repair-jobs/{id}": func(c caller, in bool) call { return call{"GET", p(job(c, in, maintenance.Assigned), ""), nil} },
		"POST /api/repair-jobs/{id}/photos": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Requested), "/photos"), map[string]any{"file": testPNG()}}
		},
		"POST /api/repair-jobs/{id}/invoices": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Assigned), "/invoices"), map[string]any{"file": testPNG()}}
		},
		"GET /api/repair-jobs/{id}/photos/{photo_id}": func(c caller, in bool) call {
			id := job(c, in, maintenance.Assigned)
			ph, err := e.w.Maintenance.AddPhoto(context.Background(), e.life().vm, id, "problem", testPNG())
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", p(id, fmt.Sprintf("/photos/%d?thumb=1", ph.ID)), nil}
		},
		"POST /api/repair-jobs/{id}/estimate": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Requested), "/estimate"), maintenance.EstimateInput{BudgetFen: 150000}}
		},
		"POST /api/repair-jobs/{id}/approve": func(c caller, in bool) call {
			return call{"POST", p(e.repairJob(place(in), maintenance.Estimated, budgetFor(c), e.shopFor(c, in)), "/approve"), nil}
		},
		"POST /api/repair-jobs/{id}/reject": func(c caller, in bool) call {
			return call{"POST", p(e.repairJob(place(in), maintenance.Estimated, budgetFor(c), e.shopFor(c, in)), "/reject"), reason}
		},
		"GET /api/repair-jobs/{id}/shops": func(c caller, in bool) call { return call{"GET", p(job(c, in, maintenance.Approved), "/shops"), nil} },
		"POST /api/repair-jobs/{id}/assign": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Approved), "/assign"), maintenance.AssignInput{ShopCompanyID: e.life().shop}}
		},
		"POST /api/repair-jobs/{id}/quote": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Assigned), "/quote"), items}
		},
		"PUT /api/repair-jobs/{id}/items/{item_id}": func(c caller, in bool) call {
			id := job(c, in, "disputed")
			return call{"PUT", p(id, fmt.Sprintf("/items/%d", e.item(id, 1))), maintenance.ItemInput{Kind: "labour", Name: "工时", Quantity: 1, UnitPriceFen: 8000, AmountFen: 8000}}
		},
		"POST /api/repair-jobs/{id}/items/{item_id}/review": func(c caller, in bool) call {
			id := job(c, in, maintenance.Quoted)
			return call{"POST", p(id, fmt.Sprintf("/items/%d/review", e.item(id, 0))), maintenance.ReviewInput{Confirm: true}}
		},
		"POST /api/repair-jobs/{id}/close": func(c caller, in bool) call {
			return call{"POST", p(job(c, in, maintenance.Reviewed), "/close"), nil}
		},
		"GET /api/vehicles/{id}/repairs": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles/%d/repairs", e.newVehicle(place(in))), nil}
		},
		"GET /api/repair-thresholds/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/repair-thresholds/%d", place(in)), nil}
		},
		"PUT /api/repair-thresholds/{id}": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/repair-thresholds/%d", place(in)), maintenance.ThresholdsInput{Tier1Fen: 100000, Tier2Fen: 500000}}
		},
	}
	for k, v := range e.rentalFixtures(place) {
		fx[k] = v
	}
	return fx
}

// rentFor is the rental company a fixture's order goes to: the caller's
// own when it is a rental company asking inside, else the city's.
func (e *env) rentFor(c caller, in bool) *access.Actor {
	if in && c.actor.HasRole(access.RentalCompany) {
		return c.actor
	}
	return e.companyActor(e.life().rent, access.RentalCompany)
}

// rentalOrder hands a new approved order of unit to company and, with
// assign, puts one of the company's vehicles and drivers on it.
func (e *env) rentalOrder(unit int64, company *access.Actor, assign bool) int64 {
	e.t.Helper()
	ctx := context.Background()
	o, err := e.w.Rental.HandOver(ctx, e.life().dispatcher, e.order(unit, booking.Approved, e.newUser(unit, access.Applicant).ID, 0, 0),
		rental.HandOverInput{CompanyID: company.CompanyID, Reason: "本单位车辆不足"})
	if err != nil {
		e.t.Fatal(err)
	}
	var id int64
	if err := e.w.DB.R.NewSelect().Table("rental_orders").Column("id").Where("order_id = ?", o.ID).Scan(ctx, &id); err != nil {
		e.t.Fatal(err)
	}
	if assign {
		v, d := e.rentalPair(company)
		if _, err := e.w.Rental.Assign(ctx, company, id, rental.AssignInput{VehicleID: v, DriverID: d}); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

// rentalPair registers a vehicle and a driver of the company.
func (e *env) rentalPair(company *access.Actor) (int64, int64) {
	e.t.Helper()
	ctx, n := context.Background(), e.next()
	v, err := e.w.Rental.SaveVehicle(ctx, company, 0, rental.VehicleInput{Plate: fmt.Sprintf("苏D%05d", 10000+n), Model: "别克GL8", Seats: 7})
	if err != nil {
		e.t.Fatal(err)
	}
	d, err := e.w.Rental.SaveDriver(ctx, company, 0, rental.DriverInput{Name: "租赁司机", Phone: fmt.Sprintf("1380519%04d", n), LicenceClass: "C1"})
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID, d.ID
}

func (e *env) rentalFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	zl := e.w.UnitID(e.t, "钟楼区")
	level := func(in bool) int64 {
		if in {
			return e.tn
		}
		return zl
	}
	lastMonth := time.Now().In(beijing.Zone).AddDate(0, -1, -time.Now().In(beijing.Zone).Day()+1).Format("2006-01")
	now := time.Now().UTC()
	return map[string]func(c caller, in bool) call{
		"GET /api/orders/{id}/rental-companies": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/orders/%d/rental-companies", e.order(place(in), booking.Approved, e.newUser(place(in), access.Applicant).ID, 0, 0)), nil}
		},
		"GET /api/rental/orders": func(c caller, in bool) call { return call{"GET", "/api/rental/orders?month=" + lastMonth, nil} },
		"POST /api/rental/orders/{id}/assign": func(c caller, in bool) call {
			co := e.rentFor(c, in)
			v, d := e.rentalPair(co)
			return call{"POST", fmt.Sprintf("/api/rental/orders/%d/assign", e.rentalOrder(place(in), co, false)), rental.AssignInput{VehicleID: v, DriverID: d}}
		},
		"POST /api/rental/orders/{id}/usage": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/rental/orders/%d/usage", e.rentalOrder(place(in), e.rentFor(c, in), true)),
				rental.UsageInput{StartMileage: 1000, EndMileage: 1040, StartedAt: now.Add(-3 * time.Hour), EndedAt: now.Add(-time.Hour), FeeFen: 60000}}
		},
		"GET /api/rental/vehicles": func(c caller, in bool) call { return call{"GET", "/api/rental/vehicles", nil} },
		"POST /api/rental/vehicles": func(c caller, in bool) call {
			return call{"POST", "/api/rental/vehicles", rental.VehicleInput{Plate: fmt.Sprintf("苏D%05d", 20000+e.next()), Model: "丰田考斯特", Seats: 20}}
		},
		"PATCH /api/rental/vehicles/{id}": func(c caller, in bool) call {
			v, _ := e.rentalPair(e.rentFor(c, in))
			return call{"PATCH", fmt.Sprintf("/api/rental/vehicles/%d", v), rental.VehicleInput{Plate: fmt.Sprintf("苏D%05d", 30000+e.next()), Model: "别克GL8", Seats: 7}}
		},
		"GET /api/rental/drivers": func(c caller, in bool) call { return call{"GET", "/api/rental/drivers", nil} },
		"POST /api/rental/drivers": func(c caller, in bool) call {
			return call{"POST", "/api/rental/drivers", rental.DriverInput{Name: "新司机", Phone: fmt.Sprintf("1380%07d", e.next()), LicenceClass: "B1"}}
		},
		"PATCH /api/rental/drivers/{id}": func(c caller, in bool) call {
			_, d := e.rentalPair(e.rentFor(c, in))
			return call{"PATCH", fmt.Sprintf("/api/rental/drivers/%d", d), rental.DriverInput{Name: "改名司机", Phone: fmt.Sprintf("1370519%04d", e.next()), LicenceClass: "A1"}}
		},
		"GET /api/rental/assessments": func(c caller, in bool) call { return call{"GET", "/api/rental/assessments?month=" + lastMonth, nil} },
		"POST /api/rental/assessments": func(c caller, in bool) call {
			return call{"POST", "/api/rental/assessments", rental.SignInput{CompanyID: e.newCompany(level(in), "rental").ID, Month: lastMonth, Grade: "good", Comment: "服务规范"}}
		},
	}
}
