package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/check"
	"govfleet/internal/fleet"
)

func init() {
	// Templates and code tables concern no node of the hierarchy.
	untargeted["GET /api/vehicles/import-template"] = true
	untargeted["GET /api/drivers/import-template"] = true
	untargeted["GET /api/fleet/meta"] = true
}

// testPNG is a small valid PNG.
func testPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := 0; x < 40; x++ {
		img.Set(x, x%30, color.RGBA{200, 30, 30, 255})
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// vehicleIn is a valid new vehicle in unit (plate and VIN unique per call).
func (e *env) vehicleIn(unit int64) fleet.VehicleInput {
	n := e.next()
	plate := fmt.Sprintf("苏E%05d", 10000+n)
	first := fmt.Sprintf("LSVAU2A3%dN2%06d", 0, 100000+n)
	c, err := check.VINCheckChar(first)
	if err != nil {
		e.t.Fatal(err)
	}
	vin := first[:8] + string(c) + first[9:]
	s := func(v string) *string { return &v }
	seats := 5
	return fleet.VehicleInput{UnitID: &unit, Plate: &plate, VIN: &vin, Category: s("other"), Brand: s("大众"), Model: s("帕萨特"),
		Seats: &seats, EnergyType: s("petrol"), VehicleClass: s("small"), PurchaseDate: s("2020-06-01")}
}

func (e *env) newVehicle(unit int64) int64 {
	e.t.Helper()
	v, err := e.w.Fleet.CreateVehicle(context.Background(), e.city(), e.vehicleIn(unit))
	if err != nil {
		e.t.Fatal(err)
	}
	return v.ID
}

func (e *env) driverIn(unit int64) fleet.DriverInput {
	n := e.next()
	// Unique per call: the birth date walks forward one day per thousand.
	birth := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, int(n/1000))
	first := fmt.Sprintf("320402%s%03d", birth.Format("20060102"), n%1000)
	c, _ := check.IDCardCheckChar(first)
	s := func(v string) *string { return &v }
	return fleet.DriverInput{UnitID: &unit, Name: s("测试司机"), IDCard: s(first + string(c)), LicenceClass: s("C1"), LicenceExpiry: s("2031-01-01")}
}

func (e *env) newDriver(unit int64) int64 {
	e.t.Helper()
	d, err := e.w.Fleet.CreateDriver(context.Background(), e.city(), e.driverIn(unit))
	if err != nil {
		e.t.Fatal(err)
	}
	return d.ID
}

func (e *env) terminalIn(unit int64) fleet.TerminalInput {
	n := e.next()
	return fleet.TerminalInput{UnitID: unit, TerminalNo: fmt.Sprintf("TT%06d", n), SIM: fmt.Sprintf("0139052%05d", n), Model: "BD-T808", Maker: "北斗星通"}
}

func (e *env) newTerminal(unit int64) int64 {
	e.t.Helper()
	t, err := e.w.Fleet.CreateTerminal(context.Background(), e.city(), e.terminalIn(unit))
	if err != nil {
		e.t.Fatal(err)
	}
	return t.ID
}

// fleetFixtures adds the registry's routes to the permission matrix; place
// gives the unit inside (true) or outside (false) the callers' scope.
func (e *env) fleetFixtures(place func(in bool) int64) map[string]func(c caller, in bool) call {
	ctx := context.Background()
	vehicle := func(in bool) int64 { return e.newVehicle(place(in)) }
	driver := func(in bool) int64 { return e.newDriver(place(in)) }
	photo := func(owner string, in bool) (int64, int64) {
		if owner == "driver" {
			id := driver(in)
			p, err := e.w.Fleet.AddDriverPhoto(ctx, e.city(), id, "driver", testPNG())
			if err != nil {
				e.t.Fatal(err)
			}
			return id, p.ID
		}
		id := vehicle(in)
		p, err := e.w.Fleet.AddVehiclePhoto(ctx, e.city(), id, "front", testPNG())
		if err != nil {
			e.t.Fatal(err)
		}
		return id, p.ID
	}
	vehicleXLSX := func(in bool) []byte {
		data, err := fleet.VehicleTemplate()
		if err != nil {
			e.t.Fatal(err)
		}
		// The template's example row names 天宁区城市管理局 (inside); a fresh
		// plate and VIN keep it importable again and again.
		return rewriteExample(e, data, e.vehicleIn(place(in)))
	}
	return map[string]func(c caller, in bool) call{
		"GET /api/fleet/meta": func(c caller, in bool) call { return call{"GET", "/api/fleet/meta", nil} },
		"GET /api/vehicles": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles?unit_id=%d&stale=true&sort=-plate", place(in)), nil}
		},
		"POST /api/vehicles": func(c caller, in bool) call { return call{"POST", "/api/vehicles", e.vehicleIn(place(in))} },
		"GET /api/vehicles/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles/export?unit_id=%d", place(in)), nil}
		},
		"GET /api/vehicles/import-template": func(c caller, in bool) call { return call{"GET", "/api/vehicles/import-template", nil} },
		"POST /api/vehicles/import": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/vehicles/import?unit_id=%d", place(in)), map[string]any{"file": vehicleXLSX(in)}}
		},
		"GET /api/vehicles/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/vehicles/%d", vehicle(in)), nil}
		},
		"PATCH /api/vehicles/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/vehicles/%d", vehicle(in)), map[string]any{"colour": "黑色", "engine_no": "EA888123"}}
		},
		"POST /api/vehicles/{id}/transfer": func(c caller, in bool) call {
			// A new unit under the place: inside the scope of every caller
			// that covers the place.
			return call{"POST", fmt.Sprintf("/api/vehicles/%d/transfer", vehicle(in)), map[string]any{"unit_id": e.newUnit(place(in)), "date": "2026-01-05", "doc_no": "常机管调〔2026〕1号"}}
		},
		"POST /api/vehicles/{id}/category": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/vehicles/%d/category", vehicle(in)), map[string]any{"category": "emergency", "date": "2026-01-05", "doc_no": "常机管〔2026〕2号"}}
		},
		"POST /api/vehicles/{id}/dispose": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/vehicles/%d/dispose", vehicle(in)), map[string]any{"date": "2026-01-05", "doc_no": "常机管处〔2026〕3号"}}
		},
		"POST /api/vehicles/{id}/photos": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/vehicles/%d/photos", vehicle(in)), map[string]any{"kind": "side", "file": testPNG()}}
		},
		"GET /api/vehicles/{id}/photos/{photo_id}": func(c caller, in bool) call {
			id, pid := photo("vehicle", in)
			return call{"GET", fmt.Sprintf("/api/vehicles/%d/photos/%d?thumb=1", id, pid), nil}
		},
		"DELETE /api/vehicles/{id}/photos/{photo_id}": func(c caller, in bool) call {
			id, pid := photo("vehicle", in)
			return call{"DELETE", fmt.Sprintf("/api/vehicles/%d/photos/%d", id, pid), nil}
		},
		"GET /api/units/{id}/vehicles-on": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/units/%d/vehicles-on?date=2026-01-01", place(in)), nil}
		},
		"GET /api/quota-summary": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/quota-summary?scope_id=%d", place(in)), nil}
		},
		"POST /api/confirmations": func(c caller, in bool) call {
			return call{"POST", "/api/confirmations", map[string]any{"vehicle_ids": []int64{vehicle(in)}, "driver_ids": []int64{driver(in)}}}
		},
		"GET /api/confirmations/due": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/confirmations/due?scope_id=%d", place(in)), nil}
		},
		"GET /api/drivers": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/drivers?unit_id=%d&licence_expired=true", place(in)), nil}
		},
		"POST /api/drivers": func(c caller, in bool) call { return call{"POST", "/api/drivers", e.driverIn(place(in))} },
		"GET /api/drivers/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/drivers/export?unit_id=%d", place(in)), nil}
		},
		"GET /api/drivers/import-template": func(c caller, in bool) call { return call{"GET", "/api/drivers/import-template", nil} },
		"POST /api/drivers/import": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/drivers/import?unit_id=%d", place(in)), map[string]any{"file": driverXLSX(e, e.driverIn(place(in)))}}
		},
		"GET /api/drivers/{id}": func(c caller, in bool) call { return call{"GET", fmt.Sprintf("/api/drivers/%d", driver(in)), nil} },
		"PATCH /api/drivers/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/drivers/%d", driver(in)), map[string]any{"phone": "13905190000"}}
		},
		"PUT /api/drivers/{id}/vehicles": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/drivers/%d/vehicles", driver(in)), map[string]any{"vehicle_ids": []int64{vehicle(in)}}}
		},
		"POST /api/drivers/{id}/photos": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/drivers/%d/photos", driver(in)), map[string]any{"kind": "licence", "file": testPNG()}}
		},
		"GET /api/drivers/{id}/photos/{photo_id}": func(c caller, in bool) call {
			id, pid := photo("driver", in)
			return call{"GET", fmt.Sprintf("/api/drivers/%d/photos/%d", id, pid), nil}
		},
		"GET /api/terminals": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/terminals?unit_id=%d&bound=false", place(in)), nil}
		},
		"POST /api/terminals": func(c caller, in bool) call { return call{"POST", "/api/terminals", e.terminalIn(place(in))} },
		"GET /api/terminals/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/terminals/%d", e.newTerminal(place(in))), nil}
		},
		"POST /api/terminals/{id}/bind": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/terminals/%d/bind", e.newTerminal(place(in))), map[string]any{"vehicle_id": vehicle(in)}}
		},
		"POST /api/terminals/{id}/unbind": func(c caller, in bool) call {
			tid := e.newTerminal(place(in))
			if _, err := e.w.Fleet.Bind(ctx, e.city(), tid, vehicle(in)); err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", fmt.Sprintf("/api/terminals/%d/unbind", tid), nil}
		},
	}
}

var _ = access.FleetRead
