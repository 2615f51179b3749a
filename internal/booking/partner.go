package booking

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
)

// Cross-region bookings (R-18, issue 22): an order may be shared with a
// partner city's platform (internal/partner). An outbound order — our
// official, the partner's vehicle — leaves the local flow once approved
// (AtPartner) and moves on the partner's reports; an inbound order — the
// partner's official, our vehicle — is dispatched like any other, and the
// partner hears of each step. The partner package sees every action of an
// order inside its transaction through Hook and applies the partner's
// reports through Remote.

// AtPartner is the state of an approved outbound order handled by the
// partner city's platform.
const AtPartner = "partner" // 异地办理中

// Hook is told of every order action inside its transaction, after the
// action's own checks and before the order is saved: it may change the
// new state (*to) and the notifications, and refuses the whole action by
// returning an error.
type Hook interface {
	OrderStep(ctx context.Context, tx bun.Tx, a *access.Actor, action string, o *Order, to *string, notes *[]notify.Message) error
}

func init() {
	StateNames[AtPartner] = "异地办理中"
	from["cancel"] = append(from["cancel"], AtPartner)
	for k, v := range map[string]string{
		"partner_send": "发往合作城市", "partner_accept": "合作城市受理", "partner_refuse": "合作城市拒绝",
		"partner_assign": "合作城市派车", "partner_start": "合作城市出车", "partner_finish": "合作城市任务结束",
		"partner_fee": "合作城市计费", "partner_cancel": "合作城市取消", "partner_request": "合作城市来单",
	} {
		ActionNames[k] = v
	}
}

// partnerActions are the audit actions of the partner's reports on an order.
var partnerActions = audit.NewActions("order.", "用车订单：", map[string]string{
	"partner_accept": "合作城市受理", "partner_refuse": "合作城市拒绝", "partner_assign": "合作城市派车",
	"partner_start": "合作城市出车", "partner_finish": "合作城市任务结束", "partner_fee": "合作城市计费",
	"partner_cancel": "合作城市取消", "partner_request": "合作城市来单",
})

// Remote applies a partner's report to an order inside tx: the order row
// is locked, its state moved to to ("" keeps it), the timeline and the
// audit log written with the partner as the actor. It returns the order
// and the message for the applicant, to send after the commit.
func (s *Service) Remote(ctx context.Context, tx bun.Tx, who *access.Actor, id int64, action, to, note string) (*Order, []notify.Message, error) {
	if _, err := tx.NewRaw("UPDATE orders SET updated_at = updated_at WHERE id = ?", id).Exec(ctx); err != nil {
		return nil, nil, err
	}
	o, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, nil, err
	}
	if o.State == Closed || o.State == Cancelled {
		if to != "" && to != o.State {
			return nil, nil, errs.E(errs.Conflict, "订单 %s 已「%s」，不能再%s", o.No, o.StateName, ActionNames[action])
		}
	}
	before := *o
	prev := o.State
	if to != "" {
		o.State = to
	}
	now := s.now()
	switch to {
	case Departed:
		o.DepartedAt = &now
	case Back:
		o.FinishedAt, o.ReturnedAt = &now, &now
	case Cancelled:
		o.Note = note
	}
	o.UpdatedAt = now
	if _, err := tx.NewUpdate().Model(o).ExcludeColumn("id", "no", "created_at").WherePK().Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := event(ctx, tx, nil, o.ID, action, prev, o.State, note); err != nil {
		return nil, nil, err
	}
	if _, err := tx.NewRaw("UPDATE order_events SET actor_name = ? WHERE id = (SELECT MAX(id) FROM order_events WHERE order_id = ?)", who.Name, o.ID).Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := audit.Record(ctx, tx, who, audit.Event{Action: partnerActions[action], ObjectType: audit.Order, ObjectID: o.ID, ScopePath: o.UnitPath,
		Summary: fmt.Sprintf("订单 %s %s：%s", o.No, ActionNames[action], note), Before: before, After: o}); err != nil {
		return nil, nil, err
	}
	o.fill()
	title := fmt.Sprintf("异地用车：%s", ActionNames[action])
	return o, []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: title, Body: o.No + " " + note, Link: orderLink(o.ID)}}, nil
}

// Inbound is a partner's request as it arrives.
type Inbound struct {
	UnitID        int64 // the city node whose dispatchers serve it
	ApplicantID   int64 // the account that registered the partner (answers for it locally)
	ApplicantName string
	Input
	Note string
}

// CreateInbound makes the order of a partner's request inside tx, approved
// (the partner's unit approved it at home) and waiting for the city's
// dispatchers; the notifications go out after the commit.
func (s *Service) CreateInbound(ctx context.Context, tx bun.Tx, who *access.Actor, in Inbound) (*Order, []notify.Message, error) {
	if err := s.validateInbound(&in.Input); err != nil {
		return nil, nil, err
	}
	path, err := unitPath(ctx, tx, in.UnitID)
	if err != nil {
		return nil, nil, err
	}
	dests, _ := json.Marshal(in.Destinations)
	now := s.now()
	o := &Order{No: "pending-" + fmt.Sprint(now.UnixNano()), UnitID: in.UnitID, ApplicantID: in.ApplicantID, ApplicantName: in.ApplicantName,
		Reason: in.Reason, Passengers: in.Passengers, PassengerCount: in.PassengerCount, ContactPhone: in.ContactPhone,
		PickupPlace: in.PickupPlace, DestinationsRaw: string(dests), PickupAt: in.PickupAt.UTC(), ReturnAt: in.ReturnAt.UTC(),
		Category: in.Category, ApprovalsNeeded: 1, ApprovalsDone: 1, State: Approved, Note: in.Note, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
		return nil, nil, err
	}
	o.No = fmt.Sprintf("YC%s%05d", now.In(beijing.Zone).Format("20060102"), o.ID%100000)
	if _, err := tx.NewUpdate().Model(o).Column("no").WherePK().Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := event(ctx, tx, nil, o.ID, "partner_request", "", Approved, in.Note); err != nil {
		return nil, nil, err
	}
	if _, err := tx.NewRaw("UPDATE order_events SET actor_name = ? WHERE order_id = ?", who.Name, o.ID).Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := audit.Record(ctx, tx, who, audit.Event{Action: partnerActions["partner_request"], ObjectType: audit.Order, ObjectID: o.ID, ScopePath: path,
		Summary: fmt.Sprintf("合作城市来单 %s：%s", o.No, in.Note), After: o}); err != nil {
		return nil, nil, err
	}
	dispatchers, err := notify.Recipients(ctx, tx, access.Dispatcher, path)
	if err != nil {
		return nil, nil, err
	}
	notes := []notify.Message{{Users: dispatchers, Kind: "dispatch", Title: "合作城市来单待派车",
		Body: fmt.Sprintf("%s %s，%s", o.No, in.Note, o.PickupAt.In(beijing.Zone).Format("01-02 15:04")), Link: orderLink(o.ID)}}
	return o, notes, nil
}

// validateInbound checks a partner's request: the partner's applicant was
// checked at home, here only what the order needs.
func (s *Service) validateInbound(in *Input) error {
	var f errs.Fields
	f.Check(in.Reason == "", "reason", "请填写用车事由")
	f.Check(in.PickupPlace == "", "pickup_place", "请填写报到地点")
	f.Check(len(in.Destinations) == 0, "destinations", "请至少填写一个目的地")
	f.Check(in.PassengerCount < 1, "passenger_count", "用车人数至少为1人")
	f.Check(in.PickupAt.IsZero(), "pickup_at", "请填写报到时间")
	f.Check(!in.ReturnAt.After(in.PickupAt), "return_at", "预计返回时间须晚于报到时间")
	f.Check(in.ReturnAt.Sub(in.PickupAt) > MaxSpan, "return_at", "单次用车不能超过15天")
	return f.Err()
}

// Load returns an order by id inside db (the partner package's reads in
// its transactions).
func (s *Service) Load(ctx context.Context, db bun.IDB, id int64) (*Order, error) {
	return s.load(ctx, db, id)
}

var _ = time.Now
