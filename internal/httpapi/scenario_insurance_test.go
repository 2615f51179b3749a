package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/httpapi"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/money"
)

// signer sends requests signed with a company API key.
type signer struct {
	e           *env
	key, secret string
}

type signedReq struct {
	method, path string
	body         []byte
	at           time.Time // signing time; zero: now
	idem         string
	badSig       bool
	sig          string // reuse this signature, timestamp and nonce (replay)
	ts, nonce    string
	noNonce      bool // send no X-Nonce
}

type signedResp struct {
	status         int
	body           []byte
	replayed       bool
	sig, ts, nonce string
}

func (s signer) do(r signedReq) signedResp {
	s.e.t.Helper()
	at := r.at
	if at.IsZero() {
		at = time.Now()
	}
	ts := strconv.FormatInt(at.Unix(), 10)
	nonce := rand.Text()
	if r.noNonce {
		nonce = ""
	}
	sig := auth.Sign(s.secret, r.method, r.path, ts, nonce, r.body)
	if r.badSig {
		sig = auth.Sign(s.secret+"x", r.method, r.path, ts, nonce, r.body)
	}
	if r.sig != "" {
		sig, ts, nonce = r.sig, r.ts, r.nonce
	}
	req, _ := http.NewRequest(r.method, s.e.srv.URL+r.path, bytes.NewReader(r.body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Key-Id", s.key)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", sig)
	if r.idem != "" {
		req.Header.Set("Idempotency-Key", r.idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return signedResp{resp.StatusCode, buf.Bytes(), resp.Header.Get("Idempotent-Replayed") == "true", sig, ts, nonce}
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// count returns the rows of table matching where.
func (e *env) count(table, where string, args ...any) int {
	e.t.Helper()
	n, err := e.w.DB.R.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// The insurer's signed API: a good request writes; a bad signature, a
// stale timestamp, a replayed request, a vehicle outside the contracts or
// an idempotency key reused for another body write nothing; a retry with
// the same key and body returns the first answer without writing again.
func TestInsurerSignedAPI(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		db := w.DB
		e := newEnv(t, w)
		ctx := context.Background()
		insurer := e.caller(e.tn, access.Insurer)
		key, err := e.w.Auth.CreateKey(ctx, insurer.actor, "核心业务系统")
		if err != nil {
			t.Fatal(err)
		}
		s := signer{e, key.KeyID, key.Secret}
		in, out := e.newVehicle(e.inUnit), e.newVehicle(e.outUnit)
		policy := func(no string, vehicle int64, premium int64) []byte {
			return mustJSON(insurance.PolicyInput{PolicyNo: no, Kind: "commercial", Plate: e.plateOf(vehicle), StartsOn: "2026-03-01", EndsOn: "2027-02-28",
				PremiumFen: premium, Coverage: []insurance.Coverage{{Name: "机动车损失保险", AmountFen: 18000000}}})
		}
		const path = "/api/insurance/policies"
		policies := func() int { return e.count("insurance_policies", "company_id = ?", insurer.actor.CompanyID) }
		premiums := func() int64 {
			var sum int64
			if err := db.R.NewSelect().Table("cost_entries").ColumnExpr("COALESCE(SUM(amount_fen), 0)").Where("source = 'insurance_policy' AND vehicle_id = ?", in).Scan(ctx, &sum); err != nil {
				t.Fatal(err)
			}
			return sum
		}

		first := s.do(signedReq{method: "POST", path: path, body: policy("P-1", in, 468000), idem: "idem-1"})
		if first.status != http.StatusCreated {
			t.Fatalf("signed push: %d %s", first.status, first.body)
		}
		var got insurance.Policy
		json.Unmarshal(first.body, &got)
		if got.Plate != e.plateOf(in) || got.PremiumFen != 468000 || premiums() != 468000 {
			t.Errorf("pushed policy %+v, ledger %d", got, premiums())
		}

		refused := []struct {
			name   string
			req    signedReq
			status int
			msg    string
		}{
			{"bad signature", signedReq{method: "POST", path: path, body: policy("P-2", in, 1000), badSig: true}, 401, "签名校验失败"},
			{"stale timestamp", signedReq{method: "POST", path: path, body: policy("P-3", in, 1000), at: time.Now().Add(-6 * time.Minute)}, 401, "时间戳"},
			{"future timestamp", signedReq{method: "POST", path: path, body: policy("P-3", in, 1000), at: time.Now().Add(6 * time.Minute)}, 401, "时间戳"},
			{"replayed request", signedReq{method: "POST", path: path, body: policy("P-1", in, 468000), idem: "idem-1", sig: first.sig, ts: first.ts, nonce: first.nonce}, 401, "重复的请求"},
			{"no nonce", signedReq{method: "POST", path: path, body: policy("P-3", in, 1000), noNonce: true}, 401, "X-Nonce"},
			{"signature of another path", signedReq{method: "POST", path: "/api/insurance/claims", body: policy("P-4", in, 1000), sig: auth.Sign(key.Secret, "POST", path, strconv.FormatInt(time.Now().Unix(), 10), "n0nce-of-the-test", policy("P-4", in, 1000)), ts: strconv.FormatInt(time.Now().Unix(), 10), nonce: "n0nce-of-the-test"}, 401, "签名校验失败"},
			{"same idempotency key, other body", signedReq{method: "POST", path: path, body: policy("P-1", in, 999999), idem: "idem-1"}, 409, "内容不同"},
			{"vehicle outside the contracts", signedReq{method: "POST", path: path, body: policy("P-5", out, 1000), idem: "idem-5"}, 403, "不在贵公司保险合同"},
			{"malformed policy", signedReq{method: "POST", path: path, body: []byte(`{"policy_no":"P-6","kind":"life","plate":"` + e.plateOf(in) + `","premium_fen":-1}`), idem: "idem-6"}, 400, "险种"},
		}
		for _, c := range refused {
			r := s.do(c.req)
			if r.status != c.status || !strings.Contains(string(r.body), c.msg) {
				t.Errorf("%s: %d %s, want %d containing %q", c.name, r.status, r.body, c.status, c.msg)
			}
		}
		if n := policies(); n != 1 || premiums() != 468000 {
			t.Errorf("after refused requests: %d policies, premiums %d fen; want 1 and 468000", n, premiums())
		}

		// An identical retry signed in the same second as the first (its
		// own nonce) is no replay: it gets the first answer (issue 19).
		sec, _ := strconv.ParseInt(first.ts, 10, 64)
		if same := s.do(signedReq{method: "POST", path: path, body: policy("P-1", in, 468000), idem: "idem-1", at: time.Unix(sec, 0)}); same.status != http.StatusCreated || !same.replayed {
			t.Errorf("identical request in the same second: %d replayed=%v %s", same.status, same.replayed, same.body)
		}
		// A retry (signed afresh, a second later) with the same key and body gets the first
		// answer and writes nothing.
		retry := s.do(signedReq{method: "POST", path: path, body: policy("P-1", in, 468000), idem: "idem-1", at: time.Now().Add(time.Second)})
		if retry.status != http.StatusCreated || !retry.replayed || !bytes.Equal(retry.body, first.body) {
			t.Errorf("idempotent retry: %d replayed=%v %s", retry.status, retry.replayed, retry.body)
		}
		// A refused request keeps nothing: its key can carry a corrected request.
		if r := s.do(signedReq{method: "POST", path: path, body: policy("P-5", in, 2000), idem: "idem-5"}); r.status != http.StatusCreated {
			t.Errorf("corrected request under a released key: %d %s", r.status, r.body)
		}
		if n := policies(); n != 2 {
			t.Errorf("%d policies, want 2", n)
		}

		// A claim, then its payout: the payout offsets the premium in the ledger.
		claim := func(paid int64, status string) []byte {
			return mustJSON(insurance.ClaimInput{ClaimNo: "R-1", PolicyNo: "P-1", OccurredAt: time.Now().Add(-24 * time.Hour), Place: "延陵西路",
				Damage: "前保险杠刮擦", AmountFen: 356000, PaidFen: paid, Status: status})
		}
		for _, c := range []struct {
			paid   int64
			status string
		}{{0, "reported"}, {320000, "paid"}} {
			if r := s.do(signedReq{method: "POST", path: "/api/insurance/claims", body: claim(c.paid, c.status), idem: "claim-" + c.status}); r.status != http.StatusCreated {
				t.Fatalf("claim %s: %d %s", c.status, r.status, r.body)
			}
		}
		var net int64
		if err := db.R.NewSelect().Table("cost_entries").ColumnExpr("SUM(amount_fen)").Where("kind = 'insurance' AND vehicle_id = ?", in).Scan(ctx, &net); err != nil {
			t.Fatal(err)
		}
		if net != 468000+2000-320000 {
			t.Errorf("net insurance cost %d fen, want %d", net, 468000+2000-320000)
		}
		if n := e.count("insurance_claims", "claim_no = 'R-1' AND status = 'paid' AND paid_fen = 320000"); n != 1 {
			t.Errorf("claim not updated in place: %d", n)
		}
		// Audited as the company, through the key.
		var actor string
		if err := db.R.NewSelect().Table("audit_log").Column("actor_name").Where("action = 'insurance.claim'").OrderExpr("id DESC").Limit(1).Scan(ctx, &actor); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(actor, "测试企业") || !strings.Contains(actor, key.KeyID) {
			t.Errorf("claim audited as %q", actor)
		}
		// The insurer cannot record inspections, even signed.
		r := s.do(signedReq{method: "POST", path: fmt.Sprintf("/api/vehicles/%d/inspections", in), body: mustJSON(inspection.ResultInput{InspectedOn: "2026-05-01", Passed: true})})
		if r.status != http.StatusForbidden || e.count("inspections", "vehicle_id = ?", in) != 0 {
			t.Errorf("insurer records an inspection: %d %s", r.status, r.body)
		}
		// A revoked key signs nothing.
		if err := e.w.Auth.RevokeKey(ctx, insurer.actor, key.ID); err != nil {
			t.Fatal(err)
		}
		if r := s.do(signedReq{method: "GET", path: "/api/insurance/policies"}); r.status != http.StatusUnauthorized {
			t.Errorf("revoked key: %d %s", r.status, r.body)
		}
		// Kept responses and seen signatures are dropped after their time.
		if e.count("api_idempotency", "1 = 1") == 0 || e.count("api_signatures", "1 = 1") == 0 {
			t.Fatal("nothing kept to purge")
		}
		e.w.Auth.Now = func() time.Time { return time.Now().Add(auth.IdempotencyTTL + time.Hour) }
		defer func() { e.w.Auth.Now = nil }()
		if err := e.w.Auth.PurgeSigned(ctx); err != nil {
			t.Fatal(err)
		}
		if n, m := e.count("api_idempotency", "1 = 1"), e.count("api_signatures", "1 = 1"); n != 0 || m != 0 {
			t.Errorf("after purge: %d idempotency records, %d signatures", n, m)
		}
	})
}

// docs/insurer-client.sh pushes a policy and a claim against a server
// with the same signing as the platform checks.
func TestInsurerClientScript(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"bash", "openssl", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed", tool)
		}
	}
	e := newEnv(t, apptest.SQLite(t))
	insurer := e.caller(e.tn, access.Insurer)
	key, err := e.w.Auth.CreateKey(context.Background(), insurer.actor, "脚本")
	if err != nil {
		t.Fatal(err)
	}
	v := e.newVehicle(e.inUnit)
	cmd := exec.Command("bash", "../../docs/insurer-client.sh")
	cmd.Env = append(os.Environ(), "GOVFLEET_URL="+e.srv.URL, "KEY_ID="+key.KeyID, "SECRET="+key.Secret, "PLATE="+e.plateOf(v),
		"POLICY_NO=PDZA-SCRIPT-1", "CLAIM_NO=RDAA-SCRIPT-1")
	outp, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, outp)
	}
	if e.count("insurance_policies", "policy_no = 'PDZA-SCRIPT-1' AND vehicle_id = ?", v) != 1 ||
		e.count("insurance_claims", "claim_no = 'RDAA-SCRIPT-1' AND status = 'paid' AND paid_fen = 320000") != 1 {
		t.Errorf("script's policy and claim not stored:\n%s", outp)
	}
}

// The OpenAPI document shows the signing scheme and the insurer's examples.
func TestOpenAPISigning(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	status, body := e.do(nil, "GET", "/api/openapi.json", nil)
	if status != 200 {
		t.Fatal(status)
	}
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			SecuritySchemes map[string]map[string]any `json:"securitySchemes"`
		} `json:"components"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		t.Fatal(err)
	}
	if d, _ := doc.Components.SecuritySchemes["signature"]["description"].(string); !strings.Contains(d, "X-Signature") || !strings.Contains(d, "Idempotency-Key") {
		t.Errorf("signature scheme: %q", d)
	}
	for _, p := range []string{"/api/insurance/policies", "/api/insurance/claims"} {
		op := doc.Paths[p]["post"]
		ex, _ := json.Marshal(op["requestBody"])
		if !strings.Contains(string(ex), `"example"`) || op["security"] == nil {
			t.Errorf("%s: no example or signing security: %s", p, ex)
		}
	}
}

// The ledger's export carries the same totals as the page, in yuan.
func TestCostsExport(t *testing.T) {
	t.Parallel()
	e := newEnv(t, apptest.SQLite(t))
	s := e.login("jgj_vm", "Demo@2026")
	status, body := e.do(&s, "GET", "/api/costs?period=2026", nil)
	if status != 200 {
		t.Fatalf("costs: %d %s", status, body)
	}
	var sum struct {
		Total    int64 `json:"total"`
		Vehicles []struct {
			Name  string `json:"name"`
			Total int64  `json:"total"`
		} `json:"vehicles"`
	}
	json.Unmarshal(body, &sum)
	if sum.Total == 0 || len(sum.Vehicles) == 0 {
		t.Fatalf("demo ledger of 市机关事务管理局 in 2026 is empty: %s", body)
	}
	// The summary is kept encoded and gzipped (issue 24 item 11): a client
	// without gzip reads the same JSON as one with it (e.do's client asks
	// for gzip and unpacks it).
	req, _ := http.NewRequest("GET", e.srv.URL+"/api/costs?period=2026", nil)
	req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: s.token})
	resp, err := (&http.Client{Transport: &http.Transport{DisableCompression: true}}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Encoding") != "" || !bytes.Equal(bytes.TrimSpace(plain), bytes.TrimSpace(body)) {
		t.Errorf("without gzip (%q): %d bytes differ from the %d with it", resp.Header.Get("Content-Encoding"), len(plain), len(body))
	}
	status, data := e.do(&s, "GET", "/api/costs/export?period=2026", nil)
	if status != 200 {
		t.Fatalf("export: %d %s", status, data)
	}
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	rows, err := x.GetRows("按车辆")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(sum.Vehicles)+1 || rows[1][0] != sum.Vehicles[0].Name {
		t.Fatalf("vehicle sheet: %d rows, first %v", len(rows), rows[1])
	}
	last := rows[1][len(rows[1])-1]
	if want := money.Yuan(sum.Vehicles[0].Total); last != want { // yuan with two decimals, as a number
		t.Errorf("first vehicle's total %s in the sheet, %s on the page", last, want)
	}
}
