package visitors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/ridehail"
	"govfleet/internal/store"
)

// CallbackResult is the answer to a provider's callback.
type CallbackResult struct {
	Result string `json:"result"` // applied | duplicate
}

// refusedCallback is a callback refused inside its transaction, recorded
// after the rollback.
type refusedCallback struct {
	err       error
	bookingID *int64
	cb        ridehail.Callback
}

func (r *refusedCallback) Error() string { return r.err.Error() }

// Callback applies a provider's order-status or fee callback. It must be
// signed with the provider's callback secret, fresh (±5 minutes) and never
// seen (its nonce); an event already applied is answered again without
// change (idempotent); a status going backwards, an unknown application or
// a fee above the application's cap is refused. Every callback, applied or
// refused, is kept in ride_callbacks with the reason.
func (s *Service) Callback(ctx context.Context, h http.Header, body []byte, ip string) (*CallbackResult, error) {
	now := s.now()
	if s.Ride == nil {
		return nil, s.refuseCallback(ctx, body, ip, nil, ridehail.Callback{}, "", errs.E(errs.NotFound, "平台未接入网约车服务"))
	}
	nonce, err := ridehail.Verify(h, s.Ride.CallbackSecret(), body, now)
	if err != nil {
		return nil, s.refuseCallback(ctx, body, ip, nil, ridehail.Callback{}, "", errs.E(errs.Unauthenticated, "回调被拒绝：%s", err.Error()))
	}
	var cb ridehail.Callback
	if err := json.Unmarshal(body, &cb); err != nil || cb.EventID == "" || len(cb.EventID) > 64 || !ridehail.Known(cb.Status) {
		return nil, s.refuseCallback(ctx, body, ip, nil, cb, nonce, errs.E(errs.Invalid, "回调内容无效：须有事件编号和已知的订单状态"))
	}
	var result string
	var msgs []notify.Message
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("INSERT INTO ride_nonces (nonce, seen_at) VALUES (?, ?)", nonce, now).Exec(ctx); err != nil {
			if store.IsUniqueViolation(err) {
				return &refusedCallback{err: errs.E(errs.Conflict, "回调被拒绝：随机串已使用过（重放）"), cb: cb}
			}
			return err
		}
		b := new(Booking)
		err := s.selectBookings(tx).Where("b.kind = ? AND (b.provider_app_id = ? OR b.no = ?)", KindRide, cb.ApplicationID, cb.OutApplicationNo).Limit(1).Scan(ctx, b)
		if errs.Is(store.Translate(err), errs.NotFound) {
			return &refusedCallback{err: errs.E(errs.NotFound, "回调被拒绝：没有用车申请 %s", cb.OutApplicationNo), cb: cb}
		} else if err != nil {
			return err
		}
		b.fill()
		n, err := tx.NewSelect().Table("ride_callbacks").Where("booking_id = ? AND event_id = ? AND verdict = 'applied'", b.ID, cb.EventID).Count(ctx)
		if err != nil {
			return err
		}
		// The same state again without a fee or with the fee we have (a
		// cancel of ours, then the provider's cancelled callback): nothing new.
		if n > 0 || (cb.Status == b.RideState && (cb.FeeFen == nil || (b.FeeFen != nil && *cb.FeeFen == *b.FeeFen))) {
			result = "duplicate"
			return s.insertCallback(ctx, tx, &b.ID, cb, nonce, "duplicate", "重复的回调，已处理过", body, ip)
		}
		if !ridehail.Forward(b.RideState, cb.Status) && !(cb.Status == b.RideState && cb.FeeFen != nil && b.FeeFen == nil) {
			return &refusedCallback{bookingID: &b.ID, cb: cb, err: errs.E(errs.Conflict, "回调被拒绝：网约车 %s 已是「%s」，不能回到「%s」",
				b.No, ridehail.StateNames[b.RideState], ridehail.StateNames[cb.Status])}
		}
		if cb.FeeFen != nil && (*cb.FeeFen < 0 || (b.CapFen != nil && *cb.FeeFen > *b.CapFen)) {
			return &refusedCallback{bookingID: &b.ID, cb: cb, err: errs.E(errs.Conflict, "回调被拒绝：网约车 %s 的费用 %s 元超过申请的上限 %s 元",
				b.No, money.Yuan(*cb.FeeFen), money.Yuan(*b.CapFen))}
		}
		q := tx.NewUpdate().Table("visitor_bookings").Set("ride_state = ?", cb.Status).Set("updated_at = ?", now).Where("id = ?", b.ID)
		if cb.OrderID != "" {
			q = q.Set("provider_order_id = ?", cb.OrderID)
		}
		if cb.DriverName != "" {
			q = q.Set("driver_name = ?, driver_phone = ?, car_plate = ?, car_desc = ?", cb.DriverName, cb.DriverPhone, cb.CarPlate, cb.CarDesc)
		}
		if cb.FeeFen != nil {
			q = q.Set("fee_fen = ?", *cb.FeeFen)
		}
		if cb.FinishedAt != nil {
			q = q.Set("finished_at = ?", cb.FinishedAt.UTC())
		}
		// Cancelled by the provider on its own (ours would have made this a
		// duplicate): recorded as the provider's cancel, and people are told.
		byProvider := cb.Status == ridehail.Cancelled && b.CancelledAt == nil
		if byProvider {
			q = q.Set("cancelled_at = ?, cancelled_by = ?, cancel_reason = ?", now, b.Provider, providerCancelReason)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		result = "applied"
		if err := s.insertCallback(ctx, tx, &b.ID, cb, nonce, "applied", "", body, ip); err != nil {
			return err
		}
		switch cb.Status {
		case ridehail.Accepted:
			msgs = append(msgs, notify.Message{Users: []int64{b.VisitorUser}, Kind: "visitor", Title: "网约车司机已接单",
				Body: fmt.Sprintf("%s %s %s", cb.DriverName, cb.CarPlate, cb.CarDesc), Link: fmt.Sprintf("/m/visitor/bookings/%d", b.ID)})
		case ridehail.Cancelled:
			if !byProvider {
				break
			}
			what := "无取消费"
			if cb.FeeFen != nil && *cb.FeeFen > 0 {
				what = "取消费 " + money.Yuan(*cb.FeeFen) + " 元"
			}
			users, err := notify.Recipients(ctx, tx, access.Approver, b.HostUnitPath)
			if err != nil {
				return err
			}
			msgs = append(msgs, notify.Message{Users: []int64{b.VisitorUser}, Kind: "visitor", Title: "网约车平台取消了您的网约车",
				Body: fmt.Sprintf("%s 已被%s取消（%s），如仍需用车请重新申请或联系%s", b.No, b.Provider, what, b.HostUnitName), Link: fmt.Sprintf("/m/visitor/bookings/%d", b.ID)},
				notify.Message{Users: users, Kind: "visitor", Title: "网约车平台取消来访人员网约车",
					Body: fmt.Sprintf("%s（%s %s）的网约车 %s 已被%s取消（%s），请与来访人员联系", b.VisitorName, b.HomeCity, b.HomeUnit, b.No, b.Provider, what), Link: "/visitors/bookings"})
		case ridehail.Paid:
			msgs = append(msgs, notify.Message{Users: []int64{b.VisitorUser}, Kind: "visitor", Title: "网约车行程已结算，请评价",
				Body: fmt.Sprintf("%s 费用 %s 元", b.No, money.Yuan(*cb.FeeFen)), Link: fmt.Sprintf("/m/visitor/bookings/%d", b.ID)})
		}
		summary := fmt.Sprintf("网约车 %s：%s → %s", b.No, ridehail.StateNames[b.RideState], ridehail.StateNames[cb.Status])
		if byProvider {
			summary += "（网约车平台取消）"
		}
		if cb.FeeFen != nil {
			summary += "，费用 " + money.Yuan(*cb.FeeFen) + " 元"
		}
		return audit.Record(ctx, tx, &access.Actor{IP: ip, Name: s.Ride.Name()}, audit.Event{Action: actRideUpdate, ObjectType: audit.VisitorBooking,
			ObjectID: b.ID, ScopePath: b.HostUnitPath, Summary: summary, Before: map[string]any{"state": b.RideState}, After: map[string]any{"state": cb.Status, "fee_fen": cb.FeeFen}})
	})
	var rc *refusedCallback
	if errors.As(err, &rc) {
		return nil, s.refuseCallback(ctx, body, ip, rc.bookingID, rc.cb, nonce, rc.err)
	}
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msgs...)
	return &CallbackResult{Result: result}, nil
}

func (s *Service) insertCallback(ctx context.Context, tx bun.IDB, bookingID *int64, cb ridehail.Callback, nonce, verdict, msg string, body []byte, ip string) error {
	if len(body) > 8000 {
		body = body[:8000]
	}
	_, err := tx.NewRaw(`INSERT INTO ride_callbacks (booking_id, event_id, nonce, status, fee_fen, verdict, message, body, ip, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, bookingID, truncate(cb.EventID, 64), nonce, truncate(cb.Status, 20), cb.FeeFen, verdict, msg, string(body), ip, s.now()).Exec(ctx)
	return err
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// refuseCallback records a refused callback (on its own) and returns the
// refusal.
func (s *Service) refuseCallback(ctx context.Context, body []byte, ip string, bookingID *int64, cb ridehail.Callback, nonce string, refusal error) error {
	var e *errs.Error
	msg := refusal.Error()
	if errors.As(refusal, &e) {
		msg = e.Message
	}
	err := s.DB.Tx(context.WithoutCancel(ctx), func(tx bun.Tx) error {
		return s.insertCallback(ctx, tx, bookingID, cb, nonce, "refused", msg, body, ip)
	})
	if err != nil {
		return err
	}
	return refusal
}

// ---- reconciliation ----

// ReconRow is one line of the monthly reconciliation: an application as
// the platform and the provider have it.
type ReconRow struct {
	No          string `json:"no"`
	Visitor     string `json:"visitor"`
	HostUnit    string `json:"host_unit"`
	OurState    string `json:"our_state"`
	OurFeeFen   *int64 `json:"our_fee_fen"`
	TheirOrder  string `json:"their_order"`
	TheirState  string `json:"their_state"`
	TheirFeeFen *int64 `json:"their_fee_fen"`
	Difference  string `json:"difference"` // "" when both agree
}

// Report is a month's reconciliation with the provider.
type Report struct {
	Month       string      `json:"month"`
	Provider    string      `json:"provider"`
	Reachable   bool        `json:"reachable"`
	Message     string      `json:"message"`
	Rows        []*ReconRow `json:"rows"`
	Ours        int         `json:"ours"`
	Theirs      int         `json:"theirs"`
	OurFenSum   int64       `json:"our_fee_fen"`
	TheirFenSum int64       `json:"their_fee_fen"`
	Differences int         `json:"differences"`
	Total       int         `json:"total"` // rows listed
}

// Reconcile compares a month's ride-hailing bookings (created in the
// month, host unit in the caller's scope) with the provider's order query
// and lists every difference: missing on either side, a status or a fee
// that differs. The provider unreachable: the platform's records alone,
// and the report says so.
func (s *Service) Reconcile(ctx context.Context, a *access.Actor, month string, onlyDiff bool) (*Report, error) {
	if month == "" {
		month = beijing.Month(s.now().AddDate(0, -1, 0))
	}
	from, err := beijing.ParseMonth(month)
	if err != nil {
		return nil, (&errs.Fields{"month": "月份格式应为 YYYY-MM"}).Err()
	}
	to := from.AddDate(0, 1, 0)
	r := &Report{Month: month, Rows: []*ReconRow{}}
	var all []*Booking
	if err := s.selectBookings(s.DB.R).Where("b.kind = ? AND b.created_at >= ? AND b.created_at < ?", KindRide, from.UTC(), to.UTC()).OrderExpr("b.created_at, b.id").Scan(ctx, &all); err != nil {
		return nil, store.Translate(err)
	}
	byRef := map[string]*ReconRow{}
	outside := map[string]bool{}
	for _, b := range all {
		b.fill()
		if !a.Covers(b.HostUnitPath) {
			outside[b.No] = true
			continue
		}
		row := &ReconRow{No: b.No, Visitor: b.VisitorName, HostUnit: b.HostUnitName, OurState: b.StateName, OurFeeFen: b.FeeFen, TheirState: "—"}
		byRef[b.No] = row
		r.Rows = append(r.Rows, row)
		r.Ours++
		if b.FeeFen != nil {
			r.OurFenSum += *b.FeeFen
		}
	}
	if s.Ride == nil {
		r.Message = "平台未接入网约车服务"
		return r, nil
	}
	r.Provider = s.Ride.Name()
	theirs, err := s.Ride.Orders(ctx, from.UTC(), to.UTC())
	if err != nil {
		r.Message = fmt.Sprintf("网约车服务（%s）暂时无法连接，以下仅为平台记录，未与服务商核对", r.Provider)
		var re *ridehail.RemoteError
		if errors.As(err, &re) {
			r.Message = fmt.Sprintf("网约车服务（%s）拒绝了订单查询：%s；以下仅为平台记录，未与服务商核对", r.Provider, re.Message)
		}
		for _, row := range r.Rows {
			row.Difference = "未核对"
		}
		r.Differences = len(r.Rows)
		return r, nil
	}
	r.Reachable = true
	for _, o := range theirs {
		if outside[o.OutApplicationNo] {
			continue
		}
		r.Theirs++
		fee := o.FeeFen
		if o.Status == ridehail.Paid || fee > 0 {
			r.TheirFenSum += fee
		}
		row := byRef[o.OutApplicationNo]
		if row == nil {
			row = &ReconRow{No: o.OutApplicationNo, OurState: "—", Difference: "平台无此申请"}
			if row.No == "" {
				row.No = o.ApplicationID
			}
			r.Rows = append(r.Rows, row)
			byRef[row.No] = row
		}
		row.TheirOrder, row.TheirState = o.OrderID, ridehail.StateNames[o.Status]
		if o.Status == ridehail.Paid || fee > 0 {
			row.TheirFeeFen = &fee
		}
	}
	for _, row := range r.Rows {
		switch {
		case row.Difference != "":
		case row.TheirOrder == "":
			row.Difference = "服务商无此订单"
		case row.OurState != row.TheirState:
			row.Difference = fmt.Sprintf("状态不一致（平台「%s」，服务商「%s」）", row.OurState, row.TheirState)
		case !sameFee(row.OurFeeFen, row.TheirFeeFen):
			row.Difference = fmt.Sprintf("金额不一致（平台 %s 元，服务商 %s 元）", yuanOrDash(row.OurFeeFen), yuanOrDash(row.TheirFeeFen))
		}
		if row.Difference != "" {
			r.Differences++
		}
	}
	sort.SliceStable(r.Rows, func(i, j int) bool { return r.Rows[i].No < r.Rows[j].No })
	if onlyDiff {
		var d []*ReconRow
		for _, row := range r.Rows {
			if row.Difference != "" {
				d = append(d, row)
			}
		}
		r.Rows = append([]*ReconRow{}, d...)
	}
	return r, nil
}

func sameFee(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}

func yuanOrDash(f *int64) string {
	if f == nil {
		return "—"
	}
	return money.Yuan(*f)
}

// RecordReconcile writes a reconciliation's reading in the audit log.
func (s *Service) RecordReconcile(ctx context.Context, a *access.Actor, r *Report) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actReconcile, ObjectType: audit.VisitorBooking, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("网约车 %s 月度对账：平台 %d 笔，服务商 %d 笔，差异 %d 笔", r.Month, r.Ours, r.Theirs, r.Differences)})
	})
}
