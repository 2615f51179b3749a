package httpapi_test

import (
	"context"
	"fmt"

	"govfleet/internal/access"
	"govfleet/internal/fuel"
)

func init() {
	// The template and the import history (a company's own, a level's
	// companies') target no node.
	untargeted["GET /api/fuel/import-template"] = true
	untargeted["GET /api/fuel/imports"] = true
}

// fuelFixtures adds the fuel routes: "in" is a vehicle or unit of 天宁区
// (where the matrix's fuel company is contracted), "out" one of 钟楼区.
func (e *env) fuelFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	plates := map[bool]string{}
	plate := func(in bool) string {
		if plates[in] == "" {
			var p string
			if err := e.w.DB.R.NewSelect().Table("vehicles").Column("plate").Where("id = ?", e.newVehicle(place(in))).Scan(context.Background(), &p); err != nil {
				e.t.Fatal(err)
			}
			plates[in] = p
		}
		return plates[in]
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/fuel/import-template": func(c caller, in bool) call { return call{"GET", "/api/fuel/import-template?format=csv", nil} },
		"POST /api/fuel/imports": func(c caller, in bool) call {
			n := e.next()
			csv := "加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)\n" +
				fmt.Sprintf("10001132%06d,%s,2025-06-%02d 08:%02d,测试加油站,92#汽油,40.00,7.50,300.00\n", n, plate(in), 1+n%28, n%60)
			return call{"POST", "/api/fuel/imports", map[string]any{"month": "2025-06", "file_name": "2025-06.csv", "file": []byte(csv)}}
		},
		"GET /api/fuel/imports": func(c caller, in bool) call { return call{"GET", "/api/fuel/imports", nil} },
		"POST /api/fuel/imports/{id}/restore": func(c caller, in bool) call {
			// Inside: a batch the caller's fuel company replaced; outside: the demo company's.
			by := e.w.Actor(e.t, "co_fuel")
			if in && c.actor.CompanyKind == "fuel" {
				by = c.actor
			}
			return call{"POST", fmt.Sprintf("/api/fuel/imports/%d/restore", e.replacedImport(by, plate(true))), nil}
		},
		"GET /api/fuel/records": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/fuel/records?unit_id=%d&month=2025-06", place(in)), nil}
		},
		"GET /api/fuel/consumption": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/fuel/consumption?unit_id=%d&month=2025-06", place(in)), nil}
		},
	}
}

// replacedImport imports a month's file as a, then replaces it with a
// second (confirmed), and returns the first, replaced batch.
func (e *env) replacedImport(a *access.Actor, plate string) int64 {
	e.t.Helper()
	ctx := context.Background()
	var first int64
	for i := 0; i < 2; i++ {
		n := e.next()
		csv := "加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)\n" +
			fmt.Sprintf("10001133%06d,%s,2025-07-%02d 09:%02d,测试加油站,92#汽油,40.00,7.50,300.00\n", n, plate, 1+n%28, n%60)
		in := fuel.ImportInput{Month: "2025-07", FileName: "2025-07.csv", Data: []byte(csv), Via: "console"}
		res, err := e.w.Fuel.Import(ctx, a, in)
		if err == nil && res.ConfirmRequired {
			in.Confirm = res.Preview.Confirm
			res, err = e.w.Fuel.Import(ctx, a, in)
		}
		if err != nil {
			e.t.Fatal(err)
		}
		if i == 0 {
			first = res.Import.ID
		}
	}
	return first
}
