package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/fuel"
)

// The fuel company's system imports a month through the API with its
// signed key: a bad file is refused row by row and writes nothing,
// the good file is imported once (a retry with the idempotency key or the
// identical file writes nothing more), recorded as coming through the API;
// a replayed signature is refused; staff read the records.
func TestFuelSignedImport(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		ctx := context.Background()
		company := e.caller(e.tn, access.FuelCompany)
		key, err := e.w.Auth.CreateKey(ctx, company.actor, "加油卡管理系统")
		if err != nil {
			t.Fatal(err)
		}
		s := signer{e, key.KeyID, key.Secret}
		in, out := e.plateOf(e.newVehicle(e.inUnit)), e.plateOf(e.newVehicle(e.outUnit))
		file := func(rows ...string) []byte {
			return mustJSON(map[string]any{"month": "2025-09", "file_name": "2025-09.csv",
				"file": []byte("加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)\n" + strings.Join(rows, "\n"))})
		}
		good := fmt.Sprintf("1000113200000000001,%s,2025-09-10 08:00,中国石化常州延陵西路加油站,92#汽油,40.00,7.50,300.00", in)
		const path = "/api/fuel/imports"

		// Outside the contracts and an amount that does not add up: refused, row by row, nothing written.
		bad := s.do(signedReq{method: "POST", path: path, body: file(good,
			fmt.Sprintf("1000113200000000002,%s,2025-09-11 08:00,站,92#汽油,40.00,7.50,300.00", out),
			fmt.Sprintf("1000113200000000003,%s,2025-09-12 08:00,站,92#汽油,40.00,7.50,310.00", in))})
		var refusal struct {
			Error struct {
				Message string            `json:"message"`
				Fields  map[string]string `json:"fields"`
			} `json:"error"`
		}
		json.Unmarshal(bad.body, &refusal)
		if bad.status != 403 || !strings.Contains(refusal.Error.Fields["B3"], "不在贵公司合同覆盖范围内") || !strings.Contains(refusal.Error.Fields["H4"], "与加油量×单价") {
			t.Fatalf("bad file: %d %s", bad.status, bad.body)
		}
		if n := e.count("fuel_records", "month = '2025-09'"); n != 0 {
			t.Fatalf("refused file wrote %d records", n)
		}

		first := s.do(signedReq{method: "POST", path: path, body: file(good), idem: "fuel-2025-09-a"})
		var res fuel.ImportResult
		if err := json.Unmarshal(first.body, &res); err != nil || first.status != 200 || res.Imported != 1 || res.Import.Via != "api" {
			t.Fatalf("import: %d %s", first.status, first.body)
		}
		retry := s.do(signedReq{method: "POST", path: path, body: file(good), idem: "fuel-2025-09-a", at: time.Now().Add(time.Second)}) // signed anew
		if retry.status != 200 || !retry.replayed {
			t.Fatalf("idempotent retry: %d replayed=%v %s", retry.status, retry.replayed, retry.body)
		}
		again := s.do(signedReq{method: "POST", path: path, body: file(good), at: time.Now().Add(2 * time.Second)})
		if json.Unmarshal(again.body, &res); again.status != 200 || !res.Unchanged {
			t.Fatalf("identical file: %d %s", again.status, again.body)
		}
		replay := s.do(signedReq{method: "POST", path: path, body: file(good), sig: first.sig, ts: first.ts})
		if replay.status != 401 {
			t.Fatalf("replayed signature: %d %s", replay.status, replay.body)
		}
		if n := e.count("fuel_records", "month = '2025-09'"); n != 1 {
			t.Fatalf("records: %d, want 1", n)
		}
		if n := e.count("cost_entries", "source = 'fuel_record' AND month = '2025-09'"); n != 1 {
			t.Fatalf("ledger entries: %d, want 1", n)
		}
		// A supervisor of the district reads it.
		jw := e.caller(e.tn, access.SupervisorDiscipline)
		status, body := e.do(&jw.sess, "GET", "/api/fuel/records?month=2025-09", nil)
		if status != 200 || !strings.Contains(string(body), in) {
			t.Fatalf("records as supervisor: %d %s", status, body)
		}
	})
}
