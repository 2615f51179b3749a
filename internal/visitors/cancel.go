package visitors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/ridehail"
)

var actCancel = audit.NewAction("visitor.cancel", "取消来访用车")

// rideCancellable are the ride states a ride may be cancelled from on our
// side: before the trip starts (a started trip ends with the driver).
var rideCancellable = []string{ridehail.Created, ridehail.Accepted, ridehail.Arrived}

// orderCancellable are the states a visitor's order may be cancelled
// from (the order's own rule, booking.Service.Cancel, decides).
var orderCancellable = []string{booking.Approved, booking.PendingConsent, booking.Dispatched}

func cancellable(b *Booking) bool {
	if b.Kind == KindRide {
		return b.CancelledAt == nil && slices.Contains(rideCancellable, b.RideState)
	}
	return slices.Contains(orderCancellable, b.OrderState)
}

// CancelInput is why a booking is cancelled.
type CancelInput struct {
	Reason string `json:"reason" max:"200"`
}

// Cancel cancels a visitor's booking before it runs: by the visitor
// (their own), or on the console by the host unit's approver or dispatcher
// (visitor.cancel, the host unit in scope). A ride is cancelled at the
// provider first — nothing is written if it refuses or cannot be reached —
// then here with the provider's cancellation fee (charged once a driver
// accepted); its cancelled callback then is a duplicate, and a later status
// is refused as going backwards. A platform or rental vehicle's booking
// cancels its order (booking.Service.Cancel: its rules, audit and
// notifications). Audited; the visitor is told when staff cancelled, the
// host unit's approvers when the visitor did.
func (s *Service) Cancel(ctx context.Context, a *access.Actor, id int64, in CancelInput) (*Detail, error) {
	b, err := s.loadBooking(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	self := b.VisitorUser == a.UserID
	if !self && !(a.Has(access.VisitorCancel) && a.Covers(b.HostUnitPath)) {
		return nil, errs.E(errs.Forbidden, "只能取消本人或本单位接待的来访人员的用车")
	}
	in.Reason = strings.TrimSpace(in.Reason)
	var f errs.Fields
	f.Check(in.Reason == "", "reason", "请填写取消原因")
	f.Check(utf8.RuneCountInString(in.Reason) > 200, "reason", "取消原因不能超过200字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	if b.Kind != KindRide {
		if b.OrderID == nil {
			return nil, errs.E(errs.Conflict, "来访用车 %s 没有用车订单", b.No)
		}
		if _, err := s.Booking.Cancel(ctx, a, *b.OrderID, in.Reason); err != nil {
			return nil, err
		}
		return s.reload(ctx, id)
	}
	if !cancellable(b) {
		return nil, s.refuseCancel(ctx, a, b, errs.E(errs.Conflict, "网约车 %s 当前为「%s」，不能取消（行程开始前可取消）", b.No, b.StateName))
	}
	if s.Ride == nil {
		return nil, s.refuseCancel(ctx, a, b, errs.E(errs.Conflict, "平台未接入网约车服务，无法取消网约车 %s", b.No))
	}
	c, err := s.Ride.Cancel(ctx, b.ProviderAppID, in.Reason)
	if err != nil {
		out := errs.E(errs.Conflict, "网约车服务（%s）暂时无法连接，网约车 %s 未取消，请稍后再试", s.Ride.Name(), b.No)
		var re *ridehail.RemoteError
		if errors.As(err, &re) {
			out = errs.E(errs.Conflict, "网约车服务（%s）拒绝取消网约车 %s：%s", s.Ride.Name(), b.No, re.Message)
		}
		return nil, s.refuseCancel(ctx, a, b, out)
	}
	who := a.Name
	if self {
		who = "来访人员" + b.VisitorName
	}
	now := s.now()
	var fee *int64
	note, what := "", "无取消费"
	if c.FeeFen > 0 {
		fee = &c.FeeFen
		note = "取消费（司机已接单后取消）"
		what = "取消费 " + money.Yuan(c.FeeFen) + " 元"
	}
	var msgs []notify.Message
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		// The provider's cancelled callback may have come first (taken as the
		// provider's own cancel): ours still records who and why; a trip that
		// ran in between is not undone.
		q := tx.NewUpdate().Table("visitor_bookings").Set("ride_state = ?", ridehail.Cancelled).
			Set("cancelled_at = ?, cancelled_by = ?, cancel_reason = ?, updated_at = ?", now, who, in.Reason, now).
			Where("id = ? AND (cancelled_at IS NULL OR (cancelled_by = provider AND cancel_reason = ?)) AND ride_state IN (?)", b.ID, providerCancelReason, bun.In(append(rideCancellable, ridehail.Cancelled)))
		if fee != nil {
			q = q.Set("fee_fen = ?, fee_note = ?", *fee, note)
		}
		res, err := q.Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "网约车 %s 已取消或行程已开始", b.No)
		}
		link := fmt.Sprintf("/m/visitor/bookings/%d", b.ID)
		if self {
			users, err := notify.Recipients(ctx, tx, access.Approver, b.HostUnitPath)
			if err != nil {
				return err
			}
			msgs = append(msgs, notify.Message{Users: users, Kind: "visitor", Title: "来访人员取消网约车",
				Body: fmt.Sprintf("%s（%s %s）取消网约车 %s：%s；%s", b.VisitorName, b.HomeCity, b.HomeUnit, b.No, in.Reason, what), Link: "/visitors/bookings"})
		} else {
			msgs = append(msgs, notify.Message{Users: []int64{b.VisitorUser}, Kind: "visitor", Title: "您的网约车已被取消",
				Body: fmt.Sprintf("%s 由%s取消：%s；%s", b.No, b.HostUnitName, in.Reason, what), Link: link})
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCancel, ObjectType: audit.VisitorBooking, ObjectID: b.ID, ScopePath: b.HostUnitPath,
			Summary: fmt.Sprintf("%s取消网约车 %s（%s，原为「%s」）：%s；%s", who, b.No, s.Ride.Name(), b.StateName, in.Reason, what),
			Before:  map[string]any{"state": b.RideState}, After: map[string]any{"state": ridehail.Cancelled, "fee_fen": fee, "reason": in.Reason}})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msgs...)
	return s.reload(ctx, id)
}

// reload is a booking's detail after a change.
func (s *Service) reload(ctx context.Context, id int64) (*Detail, error) {
	b, err := s.loadBooking(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	return s.detail(ctx, b)
}

// refuseCancel records a refused cancel in the audit log on its own and
// returns the refusal.
func (s *Service) refuseCancel(ctx context.Context, a *access.Actor, b *Booking, refusal *errs.Error) error {
	_ = s.DB.Tx(context.WithoutCancel(ctx), func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actCancel, ObjectType: audit.VisitorBooking, ObjectID: b.ID, ScopePath: b.HostUnitPath,
			Summary: "取消来访用车被拒绝：" + refusal.Message})
	})
	return refusal
}

// providerCancelReason is the reason kept when the provider cancelled a
// ride on its own (its callback carries none).
const providerCancelReason = "网约车平台取消了订单"

// cancelledByProvider: the ride was cancelled by the provider on its own
// (Callback), not by the visitor or the host unit (Cancel).
func cancelledByProvider(b *Booking) bool {
	return b.CancelledAt != nil && b.CancelReason == providerCancelReason && b.CancelledBy == b.Provider
}

// cancelEvent is a cancelled ride's line on its timeline.
func cancelEvent(b *Booking) TimelineEvent {
	what, note := "取消用车", b.CancelledBy+"："+b.CancelReason
	if cancelledByProvider(b) {
		what, note = "平台取消", b.CancelReason+"（"+b.Provider+"）"
	}
	if b.FeeFen != nil {
		note += "；取消费 " + money.Yuan(*b.FeeFen) + " 元"
	}
	return TimelineEvent{At: *b.CancelledAt, What: what, Note: note}
}
