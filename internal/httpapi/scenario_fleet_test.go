package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"govfleet/internal/app/apptest"
	"net/http"
	"testing"
)

// The registry through the API as a clerk uses it: bad plates, VINs and
// images are refused with Chinese field messages and change nothing; a
// good vehicle is registered, photographed, listed and exported; another
// district does not see it.
func TestVehicleScenarios(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		db := w.DB
		e := newEnv(t, w)
		good := e.vehicleIn(e.inUnit)
		badPlate := e.vehicleIn(e.inUnit)
		*badPlate.Plate = "苏D1234"
		badVIN := e.vehicleIn(e.inUnit)
		*badVIN.VIN = "LSVAU2A30N2100000"
		before := e.w.Count(t, "vehicles")
		runSteps(t, e, []step{
			{"malformed plate", "tn_admin", "POST", "/api/vehicles", badPlate, http.StatusBadRequest, "plate", "车牌号", ""},
			{"VIN check digit", "tn_admin", "POST", "/api/vehicles", badVIN, http.StatusBadRequest, "vin", "校验", ""},
			{"unit outside scope", "tn_admin", "POST", "/api/vehicles", e.vehicleIn(e.outUnit), http.StatusForbidden, "", "管辖范围", ""},
			{"supervisor cannot register", "city_jw", "POST", "/api/vehicles", good, http.StatusForbidden, "", "没有权限", ""},
		})
		if n := e.w.Count(t, "vehicles"); n != before {
			t.Fatalf("refused registrations wrote vehicles: %d → %d", before, n)
		}
		runSteps(t, e, []step{{"register", "tn_admin", "POST", "/api/vehicles", good, http.StatusCreated, "", `"stale":false`, ""}})
		var id int64
		if err := db.R.NewSelect().Table("vehicles").Column("id").Where("plate = ?", *good.Plate).Scan(t.Context(), &id); err != nil {
			t.Fatal(err)
		}
		photos := fmt.Sprintf("/api/vehicles/%d/photos", id)
		runSteps(t, e, []step{
			{"text named as a photo", "tn_admin", "POST", photos, map[string]any{"file": []byte("not an image at all"), "kind": "front"}, http.StatusBadRequest, "file", "JPEG", ""},
			{"real PNG", "tn_admin", "POST", photos, map[string]any{"file": testPNG(), "kind": "front"}, http.StatusCreated, "", `"kind":"front"`, ""},
			{"listed as incomplete (side and rear missing)", "tn_admin", "GET", "/api/vehicles?incomplete=true&q=" + *good.Plate, nil, http.StatusOK, "", `"total":1`, ""},
			{"another district does not see it", "zl_admin", "GET", fmt.Sprintf("/api/vehicles/%d", id), nil, http.StatusForbidden, "", "管辖范围", ""},
			{"the city does", "city_jw", "GET", fmt.Sprintf("/api/vehicles/%d", id), nil, http.StatusOK, "", *good.Plate, ""},
			{"export", "tn_admin", "GET", "/api/vehicles/export?q=" + *good.Plate, nil, http.StatusOK, "", "PK", ""},
			{"quota summary", "city_admin", "GET", "/api/quota-summary", nil, http.StatusOK, "", "天宁区", ""},
		})
		// A spreadsheet with a bad row imports nothing and says where.
		bad := base64.StdEncoding.EncodeToString([]byte("PK not really a workbook"))
		runSteps(t, e, []step{{"broken spreadsheet", "tn_admin", "POST", fmt.Sprintf("/api/vehicles/import?unit_id=%d", e.inUnit), map[string]string{"file": bad}, http.StatusBadRequest, "", "xlsx", ""}})
		if n := e.w.Count(t, "vehicles"); n != before+1 {
			t.Errorf("vehicles %d, want %d", n, before+1)
		}
	})
}
