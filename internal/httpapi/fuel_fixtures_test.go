package httpapi_test

import (
	"context"
	"fmt"
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
		"GET /api/fuel/records": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/fuel/records?unit_id=%d&month=2025-06", place(in)), nil}
		},
		"GET /api/fuel/consumption": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/fuel/consumption?unit_id=%d&month=2025-06", place(in)), nil}
		},
	}
}
