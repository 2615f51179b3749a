package httpapi_test

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
)

// plateOf returns a vehicle's plate.
func (e *env) plateOf(vehicle int64) string {
	e.t.Helper()
	var plate string
	if err := e.w.DB.R.NewSelect().Table("vehicles").Column("plate").Where("id = ?", vehicle).Scan(context.Background(), &plate); err != nil {
		e.t.Fatal(err)
	}
	return plate
}

// insertPolicy writes a policy of company on vehicle straight into the
// table (as if pushed while a contract covered it) and returns its number
// and id.
func (e *env) insertPolicy(company, vehicle int64) (string, int64) {
	e.t.Helper()
	no := fmt.Sprintf("PDAA2026%08d", e.next())
	var unit, id int64
	ctx := context.Background()
	if err := e.w.DB.R.NewSelect().Table("vehicles").Column("unit_id").Where("id = ?", vehicle).Scan(ctx, &unit); err != nil {
		e.t.Fatal(err)
	}
	now := time.Now().UTC()
	err := e.w.DB.W.NewRaw(`INSERT INTO insurance_policies (company_id, vehicle_id, unit_id, policy_no, kind, starts_on, ends_on, premium_fen, coverage, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'compulsory', '2026-01-01', '2026-12-31', 95000, '[]', ?, ?) RETURNING id`, company, vehicle, unit, no, now, now).Scan(ctx, &id)
	if err != nil {
		e.t.Fatal(err)
	}
	return no, id
}

// anyInsurer is a company of kind insurer for records of staff callers.
func (e *env) anyInsurer() int64 { return e.newCompany(e.tn, "insurer").ID }

// lifecycleFixtures adds API keys, insurance, inspection and ledger routes.
func (e *env) lifecycleFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	vehicles := map[bool]int64{}
	vehicle := func(in bool) int64 {
		if vehicles[in] == 0 {
			vehicles[in] = e.newVehicle(place(in))
		}
		return vehicles[in]
	}
	// insurerOf is the caller's company when it is an insurer, else another.
	insurerOf := func(c caller) int64 {
		if c.actor.CompanyKind == "insurer" {
			return c.actor.CompanyID
		}
		return e.anyInsurer()
	}
	today := beijing.Date(time.Now())
	return map[string]func(c caller, in bool) call{
		"GET /api/company/keys": func(c caller, in bool) call { return call{"GET", "/api/company/keys", nil} },
		"POST /api/company/keys": func(c caller, in bool) call {
			return call{"POST", "/api/company/keys", map[string]string{"name": "业务系统"}}
		},
		"DELETE /api/company/keys/{id}": func(c caller, in bool) call {
			if c.actor.CompanyID == 0 {
				return call{"DELETE", "/api/company/keys/999999", nil}
			}
			k, err := e.w.Auth.CreateKey(context.Background(), c.actor, "待吊销")
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"DELETE", fmt.Sprintf("/api/company/keys/%d", k.ID), nil}
		},
		"POST /api/insurance/policies": func(c caller, in bool) call {
			return call{"POST", "/api/insurance/policies", insurance.PolicyInput{PolicyNo: fmt.Sprintf("PDZA2026%08d", e.next()), Kind: "compulsory",
				Plate: e.plateOf(vehicle(in)), StartsOn: "2026-03-01", EndsOn: "2027-02-28", PremiumFen: 95000}}
		},
		"POST /api/insurance/claims": func(c caller, in bool) call {
			no, _ := e.insertPolicy(insurerOf(c), vehicle(in))
			return call{"POST", "/api/insurance/claims", insurance.ClaimInput{ClaimNo: fmt.Sprintf("RDAA%08d", e.next()), PolicyNo: no,
				OccurredAt: time.Now().Add(-48 * time.Hour), Place: "延陵西路", Damage: "前保险杠刮擦", AmountFen: 120000, Status: "reported"}}
		},
		"GET /api/insurance/policies": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/insurance/policies?unit_id=%d", place(in)), nil}
		},
		"GET /api/insurance/policies/{id}": func(c caller, in bool) call {
			_, id := e.insertPolicy(insurerOf(c), vehicle(in))
			return call{"GET", fmt.Sprintf("/api/insurance/policies/%d", id), nil}
		},
		"GET /api/insurance/claims": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/insurance/claims?unit_id=%d", place(in)), nil}
		},
		"GET /api/insurance/claims/{id}": func(c caller, in bool) call {
			_, pid := e.insertPolicy(insurerOf(c), vehicle(in))
			var id int64
			now := time.Now().UTC()
			err := e.w.DB.W.NewRaw(`INSERT INTO insurance_claims (company_id, policy_id, vehicle_id, unit_id, claim_no, occurred_at, place, damage, amount_fen, status, created_at, updated_at)
				SELECT company_id, id, vehicle_id, unit_id, ?, ?, '青洋路', '左后门凹陷', 80000, 'assessing', ?, ? FROM insurance_policies WHERE id = ? RETURNING id`,
				fmt.Sprintf("RDAA%08d", e.next()), now, now, now, pid).Scan(context.Background(), &id)
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"GET", fmt.Sprintf("/api/insurance/claims/%d", id), nil}
		},
		"GET /api/inspections": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/inspections?unit_id=%d&within=30", place(in)), nil}
		},
		"GET /api/vehicles/{id}/inspection": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles/%d/inspection", vehicle(in)), nil}
		},
		"PUT /api/vehicles/{id}/inspection-due": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/vehicles/%d/inspection-due", vehicle(in)), inspection.DueInput{DueOn: "2027-05-01"}}
		},
		"POST /api/vehicles/{id}/inspections": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/vehicles/%d/inspections", vehicle(in)), inspection.ResultInput{InspectedOn: today, Passed: true, FeeFen: 30000}}
		},
		"GET /api/costs": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/costs?unit_id=%d&period=2026", place(in)), nil}
		},
		"GET /api/costs/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/costs/export?unit_id=%d&period=2026", place(in)), nil}
		},
	}
}
