package httpapi_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/loans"
	"govfleet/internal/money"
	"govfleet/internal/partner"
	"govfleet/internal/pdf"
	"govfleet/internal/savings"
)

// partnerReq is a request of a partner platform to /api/partner/v1.
type partnerReq struct {
	code, secret string
	path         string
	body         []byte
	at           time.Time
	nonce        string // "": a new one
	noSig        bool
}

func (e *env) partnerDo(r partnerReq) (int, string, string) {
	e.t.Helper()
	if r.at.IsZero() {
		r.at = time.Now()
	}
	if r.nonce == "" {
		r.nonce = rand.Text()
	}
	ts := strconv.FormatInt(r.at.Unix(), 10)
	h := http.Header{}
	h.Set("X-Partner-Id", r.code)
	h.Set("X-Timestamp", ts)
	h.Set("X-Nonce", r.nonce)
	h.Set("X-Signature", partner.Signature(r.secret, "POST", r.path, ts, r.nonce, r.body))
	req, _ := http.NewRequest("POST", e.srv.URL+r.path, bytes.NewReader(r.body))
	if !r.noSig {
		req.Header = h
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	var b bytes.Buffer
	b.ReadFrom(res.Body)
	return res.StatusCode, b.String(), r.nonce
}

// Issue 22: a platform paired with itself (one partner row whose
// keys sign and verify both ways, its base URL this test server) plays an
// outbound booking that comes back in as an inbound one, through the real
// signed API, on both databases. Bad input is refused with a clear
// message, recorded, and changes nothing: unsigned, unknown partner,
// wrong signature, expired, replayed, status going backwards, a fee with
// no tariff; a repeated message key is applied once.
func TestPartnerExchange(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		e := newEnv(t, w)
		ctx := context.Background()
		ps := w.Partner
		city := e.city()
		secret := partner.NewSecret()
		created, err := ps.Create(ctx, city, partner.Input{Name: "回环城市", Code: "loop", SelfCode: "loop", BaseURL: e.srv.URL,
			InboundSecret: secret, OutboundSecret: secret})
		if err != nil {
			t.Fatal(err)
		}
		pid := created.ID
		if p, err := ps.Check(ctx, pid); err != nil || !p.Reachable {
			t.Fatalf("check: %+v %v", p, err)
		}
		logs := func() int { return e.count("partner_log", "1 = 1") }

		// An applicant of 天宁区城市管理局 applies for a vehicle of the partner city.
		unit := e.inUnit
		applicant := e.caller(unit, access.Applicant)
		approver := e.caller(unit, access.Approver)
		e.caller(unit, access.Approver) // a second approver, so that nobody approves alone
		// The trip runs on an ordinary working day, so that its car is not
		// sealed for a holiday whatever the date: the bookings' clock
		// runs from 09:00 that day, picked up half an hour later.
		day, since := apptest.Workday(1, 9), time.Now()
		w.Booking.Now = func() time.Time { return day.Add(time.Since(since)) }
		o, err := w.Booking.Create(ctx, applicant.actor, booking.Input{Reason: "赴回环城市开会", PassengerCount: 1, PickupPlace: "回环站",
			Destinations: []string{"回环市政府"}, PickupAt: day.Add(30 * time.Minute), ReturnAt: day.Add(3 * time.Hour), OutOfCity: true, PartnerID: pid})
		if err != nil {
			t.Fatal(err)
		}
		// The local dispatcher cannot dispatch it; the approval sends it.
		if o, err = w.Booking.Approve(ctx, approver.actor, o.ID, ""); err != nil || o.State != booking.AtPartner {
			t.Fatalf("approve: %+v %v", o, err)
		}
		if n := e.count("partner_outbox", "partner_id = ? AND state = 'pending'", pid); n != 1 {
			t.Fatalf("%d messages waiting, want the request", n)
		}
		deliver := func() {
			t.Helper()
			for range 5 {
				if _, err := ps.Deliver(ctx); err != nil {
					t.Fatal(err)
				}
			}
		}
		deliver()
		out, err := ps.ForOrder(ctx, o.ID)
		if err != nil || out == nil || out.Status != "accepted" {
			t.Fatalf("outbound after delivery: %+v %v", out, err)
		}
		var in partner.Link
		if err := w.DB.R.NewSelect().Model(&in).Where("partner_id = ? AND direction = 'in' AND ref = ?", pid, out.Ref).Scan(ctx); err != nil {
			t.Fatal(err)
		}
		// The inbound order: the city's dispatcher dispatches it like any order.
		disp := w.Actor(t, "city_dispatcher")
		drv := e.caller(unit, access.Driver)
		driver := e.driverOf(drv, unit)
		vehicle := e.pair(unit).vehicle
		if _, err := w.Booking.Dispatch(ctx, disp, in.OrderID, booking.DispatchInput{VehicleID: vehicle, DriverID: driver}); err != nil {
			t.Fatal(err)
		}
		if h, _ := w.Booking.Load(ctx, w.DB.R, in.OrderID); h.State == booking.PendingConsent {
			if _, err := w.Booking.Consent(ctx, e.caller(unit, access.VehicleManager).actor, in.OrderID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := w.Booking.Depart(ctx, drv.actor, in.OrderID, 1000); err != nil {
			t.Fatal(err)
		}
		deliver()
		if out, _ = ps.ForOrder(ctx, o.ID); out.Status != "started" || out.Plate != e.plateOf(vehicle) {
			t.Fatalf("outbound after departure: %+v", out)
		}
		events := func() int { return e.count("order_events", "order_id = ?", o.ID) }
		before, logsBefore := events(), logs()

		// Bad input, each refused with its message and recorded.
		msg := func(key, status string) []byte {
			return mustJSON(partner.Message{Key: key, Kind: "booking.status", Ref: out.Ref, Seq: 99, SentAt: time.Now(), Status: &partner.Status{Status: status, At: time.Now()}})
		}
		const path = "/api/partner/v1/messages"
		_, _, used := e.partnerDo(partnerReq{code: "loop", secret: secret, path: path, body: msg("k-ok-1", "started")}) // a "started" again: refused, but its nonce is now used
		for _, c := range []struct {
			name   string
			req    partnerReq
			status int
			text   string
		}{
			{"unsigned", partnerReq{path: path, body: msg("k1", "finished"), noSig: true}, 401, "签名"},
			{"unknown partner", partnerReq{code: "nobody", secret: secret, path: path, body: msg("k2", "finished")}, 401, "未登记的合作平台"},
			{"wrong signature", partnerReq{code: "loop", secret: partner.NewSecret(), path: path, body: msg("k3", "finished")}, 401, "签名校验失败"},
			{"expired", partnerReq{code: "loop", secret: secret, path: path, body: msg("k4", "finished"), at: time.Now().Add(-10 * time.Minute)}, 401, "已过期"},
			{"replayed", partnerReq{code: "loop", secret: secret, path: path, body: msg("k-ok-1", "started"), nonce: used}, 401, "重放"},
			{"status going backwards", partnerReq{code: "loop", secret: secret, path: path, body: msg("k5", "accepted")}, 409, "状态倒退"},
			{"unknown booking", partnerReq{code: "loop", secret: secret, path: path, body: mustJSON(partner.Message{Key: "k6", Kind: "booking.status", Ref: "loop-none", Status: &partner.Status{Status: "finished"}})}, 404, "loop-none"},
			{"text too long", partnerReq{code: "loop", secret: secret, path: path, body: mustJSON(partner.Message{Key: "k8", Kind: "booking.status", Ref: out.Ref, Status: &partner.Status{Status: "finished", Note: strings.Repeat("长", 5000)}})}, 400, "不能超过"},
			{"unknown kind", partnerReq{code: "loop", secret: secret, path: path, body: mustJSON(partner.Message{Key: "k7", Kind: "booking.teleport", Ref: out.Ref})}, 400, "未知的消息类型"},
		} {
			status, body, _ := e.partnerDo(c.req)
			if status != c.status || !strings.Contains(body, c.text) {
				t.Errorf("%s: %d %s, want %d containing %q", c.name, status, body, c.status, c.text)
			}
		}
		if n := events(); n != before {
			t.Errorf("refused messages wrote %d timeline lines", n-before)
		}
		if n := logs() - logsBefore; n < 10 {
			t.Errorf("%d refusals recorded, want every one (10)", n)
		}

		// The driver finishes; the return to base computes the fee — not
		// without a paid-use tariff for the vehicle's type: refused,
		// nothing written, recorded.
		if _, err := w.Booking.Finish(ctx, drv.actor, in.OrderID, 1086); err != nil {
			t.Fatal(err)
		}
		var seats int
		if err := w.DB.R.NewSelect().Table("vehicles").Column("seats").Where("id = ?", vehicle).Scan(ctx, &seats); err != nil {
			t.Fatal(err)
		}
		vt := loans.TypeOf(seats)
		if _, err := w.DB.W.ExecContext(ctx, "DELETE FROM rates WHERE kind IN ('paid_use', 'market') AND vehicle_type = ?", vt); err != nil {
			t.Fatal(err)
		}
		pending := e.count("partner_outbox", "partner_id = ?", pid)
		if _, err := w.Booking.ReturnToBase(ctx, disp, in.OrderID, "市政府车库"); err == nil || !strings.Contains(err.Error(), "适用的有偿使用收费标准") || !strings.Contains(err.Error(), "不能计费回场") {
			t.Errorf("return without a tariff: %v", err)
		}
		if h, _ := w.Booking.Load(ctx, w.DB.R, in.OrderID); h.State != booking.Finished || e.count("partner_outbox", "partner_id = ?", pid) != pending {
			t.Errorf("refused return wrote: order %s", h.State)
		}
		deliver() // writes the refusals kept in memory
		if e.count("partner_log", "kind = 'fee' AND message LIKE ?", "%适用的有偿使用收费标准%") != 1 {
			t.Error("the fee refusal is not recorded")
		}
		// The city adds the paid-use tariff (300 a day, 180 a half day, 1.20 a km) and the market price (500, 300).
		for _, r := range []savings.RateInput{
			{Kind: savings.PaidUse, VehicleType: vt, DayFen: 30000, HalfDayFen: 18000, KmFen: 120, ValidFrom: "2020-01-01"},
			{Kind: savings.Market, VehicleType: vt, DayFen: 50000, HalfDayFen: 30000, ValidFrom: "2020-01-01"},
		} {
			if _, err := w.Savings.SaveRate(ctx, city, 0, r); err != nil {
				t.Fatal(err)
			}
		}
		if h, err := w.Booking.ReturnToBase(ctx, disp, in.OrderID, "市政府车库"); err != nil || h.State != booking.Closed {
			t.Fatalf("return: %+v %v", h, err)
		}
		deliver()
		out, _ = ps.ForOrder(ctx, o.ID)
		hosted, _ := ps.ForOrder(ctx, in.OrderID)
		// 86 km by the odometer (no GPS trips), within four hours: half a
		// day + 86 × 1.20 = 180 + 103.20 = 283.20; the market's half day
		// 300.00; saving 16.80 (the host's figures, not sent).
		if out.Status != "fee" || out.FeeFen == nil || *out.FeeFen != 28320 || hosted.FeeFen == nil || *hosted.FeeFen != *out.FeeFen {
			t.Errorf("fee: outbound %+v, hosted %+v", out, hosted)
		}
		if hosted.MarketFen == nil || *hosted.MarketFen != 30000 || hosted.SavingFen == nil || *hosted.SavingFen != 1680 || !strings.Contains(hosted.FeeNote, "节约 16.80 元") {
			t.Errorf("the hosted trip's market price and saving: %+v", hosted)
		}
		if got, _ := w.Booking.Load(ctx, w.DB.R, o.ID); got.State != booking.Back {
			t.Errorf("outbound order %s, want back (to be rated)", got.State)
		}

		// A message delivered again under its key is answered, not applied.
		var key string
		if err := w.DB.R.NewSelect().Table("partner_outbox").Column("body").Where("partner_id = ? AND kind = 'booking.status' AND body LIKE ?", pid, "%\"fee\"%").Scan(ctx, &key); err != nil {
			t.Fatal(err)
		}
		before = events()
		if status, body, _ := e.partnerDo(partnerReq{code: "loop", secret: secret, path: path, body: []byte(key)}); status != 200 || !strings.Contains(body, "duplicate") {
			t.Errorf("redelivery: %d %s", status, body)
		}
		if events() != before {
			t.Error("a redelivered message was applied again")
		}

		// Visitor verification against the home platform (here: itself).
		var staff struct {
			Name  string `bun:"real_name"`
			Phone string `bun:"phone"`
		}
		if err := w.DB.R.NewSelect().Table("users").Column("real_name", "phone").Where("username = 'jgj_staff'").Scan(ctx, &staff); err != nil {
			t.Fatal(err)
		}
		if ok, err := ps.VerifyVisitor(ctx, pid, staff.Name, staff.Phone, "市机关事务管理局"); err != nil || !ok {
			t.Errorf("verify a known official: %v %v", ok, err)
		}
		if ok, err := ps.VerifyVisitor(ctx, pid, staff.Name, "13800000000", "市机关事务管理局"); err != nil || ok {
			t.Errorf("verify with another mobile: %v %v", ok, err)
		}

		// Either side cancels: the traveller before the partner dispatched
		// (the host's order is cancelled), the host's dispatcher (refused at home).
		for _, side := range []string{"origin", "host"} {
			o2, err := w.Booking.Create(ctx, applicant.actor, booking.Input{Reason: "取消测试 " + side, PassengerCount: 1, PickupPlace: "回环站",
				Destinations: []string{"回环市政府"}, PickupAt: day.Add(26 * time.Hour), ReturnAt: day.Add(28 * time.Hour), OutOfCity: true, PartnerID: pid})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := w.Booking.Approve(ctx, approver.actor, o2.ID, ""); err != nil {
				t.Fatal(err)
			}
			deliver()
			l2, _ := ps.ForOrder(ctx, o2.ID)
			var h2 partner.Link
			if err := w.DB.R.NewSelect().Model(&h2).Where("partner_id = ? AND direction = 'in' AND ref = ?", pid, l2.Ref).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			if side == "origin" {
				_, err = w.Booking.Cancel(ctx, applicant.actor, o2.ID, "会议改期")
			} else {
				_, err = w.Booking.Cancel(ctx, disp, h2.OrderID, "无车可派")
			}
			if err != nil {
				t.Fatal(err)
			}
			deliver()
			mine, _ := w.Booking.Load(ctx, w.DB.R, o2.ID)
			theirs, _ := w.Booking.Load(ctx, w.DB.R, h2.OrderID)
			if mine.State != booking.Cancelled || theirs.State != booking.Cancelled {
				t.Errorf("%s cancels: origin %s, host %s", side, mine.State, theirs.State)
			}
		}

		// Settlement: last month's statement (the fees moved there), confirmed
		// here and — the partner being this platform — by the partner.
		// The month under way is the service's, pinned to the test's instant
		// for these statements: a month's last Beijing midnight in between
		// cannot make it last month.
		now := time.Now()
		ps.Now = func() time.Time { return now }
		last := beijing.MonthStart(now).AddDate(0, -1, 0).Add(48 * time.Hour)
		if _, err := w.DB.W.ExecContext(ctx, "UPDATE partner_bookings SET fee_at = ? WHERE partner_id = ?", last.UTC(), pid); err != nil {
			t.Fatal(err)
		}
		st, err := ps.Generate(ctx, city, pid, beijing.Month(last))
		if err != nil || st.InCount != 1 || st.OutCount != 1 || st.InFen != *out.FeeFen || st.MarketFen != 30000 || st.SavingFen != 1680 {
			t.Fatalf("statement: %+v %v", st, err)
		}
		if _, err := ps.Generate(ctx, city, pid, beijing.Month(now)); err == nil {
			t.Error("a statement of the month under way")
		}
		if _, err := ps.Generate(ctx, e.caller(e.tn, access.PlatformAdmin).actor, pid, beijing.Month(last)); err == nil {
			t.Error("a district administrator generated a statement")
		}
		ps.Now = nil
		if st, err = ps.Confirm(ctx, city, st.ID); err != nil || st.ConfirmedAt == nil {
			t.Fatalf("confirm: %+v %v", st, err)
		}
		deliver()
		if st, _ = ps.Settlement(ctx, city, st.ID); st.PartnerConfirmedAt == nil || st.StateName != "双方已确认" || len(st.Lines) != 2 {
			t.Errorf("after the partner's confirmation: %+v", st)
		}
		if name, data, err := ps.SettlementXLSX(ctx, city, st.ID); err != nil || len(data) == 0 || !strings.Contains(name, "回环城市") {
			t.Errorf("xlsx: %s %d %v", name, len(data), err)
		}
		// On screen: each direction's lines, the ones printed and exported, and their totals the statement's.
		cityC := e.caller(city.ScopeID, access.PlatformAdmin)
		for _, d := range []struct {
			dir              string
			count            int
			fen, market, sav int64
		}{{"in", st.InCount, st.InFen, st.MarketFen, st.SavingFen}, {"out", st.OutCount, st.OutFen, 0, 0}} {
			var page struct {
				Items []struct {
					OrderNo string `json:"order_no"`
					Km      string `json:"km"`
				} `json:"items"`
				Total int         `json:"total"`
				Sum   savings.Sum `json:"sum"`
			}
			e.expect(&cityC.sess, "GET", fmt.Sprintf("/api/partner-settlements/%d/lines?direction=%s", st.ID, d.dir), nil, 200, "", &page)
			if page.Total != d.count || len(page.Items) != d.count || page.Sum.Count != d.count || page.Sum.Fen != d.fen ||
				page.Sum.MarketFen != d.market || page.Sum.SavingFen != d.sav || page.Items[0].Km == "" {
				t.Errorf("lines %s: %+v, the statement %+v", d.dir, page, st)
			}
		}
		lines := fmt.Sprintf("/api/partner-settlements/%d/lines", st.ID)
		e.expect(&cityC.sess, "GET", lines+"?direction=both", nil, 400, "请选择方向", nil)
		// Only the city's level reads the city's statements: a district's administrator and
		// supervisor are not parties; the city's supervisor is.
		for _, who := range []caller{e.caller(e.tn, access.PlatformAdmin), e.caller(e.tn, access.SupervisorFinance)} {
			for _, path := range []string{lines + "?direction=in", fmt.Sprintf("/api/partner-settlements/%d", st.ID), fmt.Sprintf("/api/partner-settlements/%d/xlsx", st.ID),
				fmt.Sprintf("/api/partner-settlements/%d/statement.pdf", st.ID), "/api/partner-settlements", "/api/partner-settlements/export"} {
				e.expect(&who.sess, "GET", path, nil, 403, "只有市级平台管理员和市级监督人员可以查看", nil)
			}
		}
		cz := e.caller(city.ScopeID, access.SupervisorFinance)
		e.expect(&cz.sess, "GET", lines+"?direction=in", nil, 200, `"sum"`, nil)
		// Printed (PDF): both directions' fees as the statement says, both confirmations.
		if b, name, err := ps.SettlementPDF(ctx, city, st.ID); err != nil || !strings.Contains(name, "回环城市") {
			t.Errorf("pdf: %s %v", name, err)
		} else if text, err := pdf.Text(b); err != nil {
			t.Error(err)
		} else {
			for _, want := range []string{"公务用车异地有偿使用结算单", "回环城市", "双方已确认", money.Yuan(st.InFen) + " 元（1 单）", money.Yuan(st.OutFen) + " 元（1 单）",
				st.Lines[0].OrderNo, st.Lines[1].OrderNo, "本方确认" + st.ConfirmedByName} {
				if !strings.Contains(text, want) {
					t.Errorf("the printed statement does not say %q:\n%s", want, text)
				}
			}
		}
		if n := e.count("partner_outbox", "partner_id = ? AND state <> 'sent'", pid); n != 0 {
			t.Errorf("%d messages not delivered", n)
		}
		var rows []*partner.Partner
		if rows, err = ps.List(ctx, city); err != nil || len(rows) == 0 {
			t.Fatal(err)
		}
	})
}
