package booking

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/notify"
)

// CreateForVisitor writes, inside the caller's transaction tx, the order of
// a verified visiting official: an order of the node unitID (the
// city) waiting for its dispatcher (待派车) — the verification stands for
// the approval, so it skips 待审批. note says how it is to be served (a
// platform vehicle in paid use, or handed over to a rental company). The
// notifications to the dispatchers are returned, to be sent after the
// commit.
func (s *Service) CreateForVisitor(ctx context.Context, tx bun.Tx, a *access.Actor, unitID int64, in Input, note string) (*Order, []notify.Message, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, nil, err
	}
	path, err := unitPath(ctx, tx, unitID)
	if err != nil {
		return nil, nil, err
	}
	dests, _ := json.Marshal(in.Destinations)
	now := s.now()
	o := &Order{No: "pending-" + fmt.Sprint(now.UnixNano()), UnitID: unitID, ApplicantID: a.UserID, ApplicantName: a.Name,
		Reason: in.Reason, Passengers: in.Passengers, PassengerCount: in.PassengerCount, ContactPhone: in.ContactPhone,
		PickupPlace: in.PickupPlace, DestinationsRaw: string(dests), PickupAt: in.PickupAt.UTC(), ReturnAt: in.ReturnAt.UTC(),
		OutOfCity: in.OutOfCity, Category: in.Category, ApprovalsNeeded: 0, State: Approved, Note: note, CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
		return nil, nil, err
	}
	o.No = fmt.Sprintf("YC%s%05d", now.In(beijing.Zone).Format("20060102"), o.ID%100000)
	if _, err := tx.NewUpdate().Model(o).Column("no").WherePK().Exec(ctx); err != nil {
		return nil, nil, err
	}
	if err := event(ctx, tx, a, o.ID, "submit", "", Approved, note); err != nil {
		return nil, nil, err
	}
	ns, err := notify.Recipients(ctx, tx, access.Dispatcher, path)
	if err != nil {
		return nil, nil, err
	}
	msgs := []notify.Message{{Users: ns, Kind: "dispatch", Title: "来访人员用车待派车",
		Body: fmt.Sprintf("%s：%s（%s）", a.Name, note, in.PickupAt.In(beijing.Zone).Format("01-02 15:04")), Link: orderLink(o.ID)}}
	err = audit.Record(ctx, tx, a, audit.Event{Action: orderActions["submit"], ObjectType: audit.Order, ObjectID: o.ID, ScopePath: path,
		Summary: fmt.Sprintf("来访人员提交用车 %s：%s", o.No, note), After: o})
	if err != nil {
		return nil, nil, err
	}
	o.UnitPath = path
	o.fill()
	return o, msgs, nil
}
