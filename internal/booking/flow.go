package booking

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/supervision"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actDispatchDelegation = audit.NewAction("dispatch.delegation", "派车长期授权")
	actEmergencyAttach    = audit.NewAction("emergency.attach", "紧急用车补报添加附件")
	actEmergencyEscalate  = audit.NewAction("emergency.escalate", "紧急用车逾期未补报")
	actEmergencyFile      = audit.NewAction("emergency.file", "紧急用车补报")
	actEmergencyOpen      = audit.NewAction("emergency.open", "无单出车待补报")
)

// Change is a change on the way reported by the driver (R-13(4)).
type Change struct {
	bun.BaseModel `bun:"table:order_changes"`

	ID             int64      `bun:"id,pk,autoincrement" json:"id"`
	OrderID        int64      `bun:"order_id" json:"order_id"`
	ReportedAt     time.Time  `bun:"reported_at" json:"reported_at"`
	ReportedBy     int64      `bun:"reported_by" json:"reported_by"`
	Destination    string     `bun:"destination" json:"destination"`
	ReturnAt       *time.Time `bun:"return_at" json:"return_at"`
	Note           string     `bun:"note" json:"note"`
	AcknowledgedBy *int64     `bun:"acknowledged_by" json:"acknowledged_by"`
	AcknowledgedAt *time.Time `bun:"acknowledged_at" json:"acknowledged_at"`
}

// Attachment is a file attached to an order (meeting notice, plan).
type Attachment struct {
	bun.BaseModel `bun:"table:order_attachments"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	OrderID     int64     `bun:"order_id" json:"order_id"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	Filename    string    `bun:"filename" json:"filename"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
}

// ActionNames are the Chinese names of the order actions, for messages and
// the timeline.
var ActionNames = map[string]string{
	"submit": "提交申请", "approve": "审批通过", "return": "退回", "resubmit": "重新提交", "cancel": "取消",
	"dispatch": "派车", "consent": "车管负责人同意", "refuse": "车管负责人不同意", "depart": "出车",
	"change": "途中变更", "ack_change": "调度确认变更", "finish": "任务结束", "back": "回场", "rate": "评价",
	"rental": "转租赁", "attach": "添加附件", "rental_end": "租赁用车结束",
}

// orderActions are the audit log's order actions, "order.<action>", by action.
var orderActions = audit.NewActions("order.", "用车订单：", ActionNames)

// from lists the states each action may start from.
var from = map[string][]string{
	"approve":    {Submitted},
	"return":     {Submitted},
	"resubmit":   {Returned},
	"cancel":     {Submitted, Returned, Approved, PendingConsent, Dispatched},
	"dispatch":   {Approved},
	"consent":    {PendingConsent},
	"refuse":     {PendingConsent},
	"depart":     {Dispatched},
	"change":     {Departed},
	"ack_change": {Departed, Finished, Back, Closed},
	"finish":     {Departed},
	"back":       {Finished},
	"rate":       {Back},
	"rental":     {Approved},
	"rental_end": {Rental},
}

// step is what an action does to a locked order.
type step struct {
	to    string           // new state ("" keeps it)
	note  string           // timeline note
	notes []notify.Message // notifications after commit
	audit string           // audit summary
}

// act runs one action on an order inside a transaction: it locks the
// order, checks that the action may start from the order's state, lets fn
// check the actor and change the order, then saves it and writes the
// timeline and the audit log. Notifications go out after the commit.
func (s *Service) act(ctx context.Context, a *access.Actor, id int64, action string, fn func(tx bun.Tx, o *Order) (step, error)) (*Order, error) {
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		// Lock the order: concurrent actions on it run one after another.
		res, err := tx.NewRaw("UPDATE orders SET updated_at = updated_at WHERE id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "订单不存在或已删除")
		}
		o, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !sees(a, o) {
			return errs.E(errs.Forbidden, "该订单不在您的管辖范围内")
		}
		if !slices.Contains(from[action], o.State) {
			return errs.E(errs.Conflict, "订单 %s 当前为「%s」，不能%s", o.No, o.StateName, ActionNames[action])
		}
		before := *o
		st, err := fn(tx, o)
		if err != nil {
			return err
		}
		if s.Partner != nil { // an order shared with a partner city
			if err := s.Partner.OrderStep(ctx, tx, a, action, o, &st.to, &st.notes); err != nil {
				return err
			}
		}
		prev := o.State
		if st.to != "" {
			o.State = st.to
		}
		o.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(o).ExcludeColumn("id", "no", "created_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, a, o.ID, action, prev, o.State, st.note); err != nil {
			return err
		}
		notes = st.notes
		summary := st.audit
		if summary == "" {
			summary = fmt.Sprintf("订单 %s %s", o.No, ActionNames[action])
			if st.note != "" {
				summary += "：" + st.note
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: orderActions[action], ObjectType: audit.Order, ObjectID: o.ID,
			ScopePath: o.UnitPath, Summary: summary, Before: before, After: o})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.load(ctx, s.DB.R, id)
}

func need(a *access.Actor, r access.Role, path, what string) error {
	if !a.HasRole(r) {
		info, _ := access.Info(r)
		return errs.E(errs.Forbidden, "只有%s可以%s", info.Name, what)
	}
	if !a.Covers(path) {
		return errs.E(errs.Forbidden, "该订单不在您的管辖范围内")
	}
	return nil
}

func required(s, field, msg string) error {
	if strings.TrimSpace(s) == "" {
		return (&errs.Fields{field: msg}).Err()
	}
	return nil
}

// Approve approves an order (R-13(2)). With a second level required, the
// first approval keeps it waiting for a different approver.
func (s *Service) Approve(ctx context.Context, a *access.Actor, id int64, comment string) (*Order, error) {
	return s.act(ctx, a, id, "approve", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Approver, o.UnitPath, "审批"); err != nil {
			return step{}, err
		}
		if o.ApplicantID == a.UserID {
			return step{}, errs.E(errs.Forbidden, "不能审批本人提交的申请")
		}
		n, err := tx.NewSelect().Model((*Event)(nil)).Where("order_id = ? AND action = 'approve' AND actor_id = ?", o.ID, a.UserID).Count(ctx)
		if err != nil {
			return step{}, err
		}
		if n > 0 {
			return step{}, errs.E(errs.Conflict, "您已审批过该订单，第二级审批须由另一位审核员完成")
		}
		o.ApprovalsDone++
		if o.ApprovalsDone < o.ApprovalsNeeded {
			others, err := notify.Recipients(ctx, tx, access.Approver, o.UnitPath)
			if err != nil {
				return step{}, err
			}
			return step{note: fmt.Sprintf("第%d级审批通过 %s", o.ApprovalsDone, comment),
				notes: []notify.Message{{Users: without(others, a.UserID), Kind: "approval", Title: "用车申请待第二级审批", Body: o.No + " " + o.Reason, Link: orderLink(o.ID)}}}, nil
		}
		dispatchers, err := notify.Recipients(ctx, tx, access.Dispatcher, o.UnitPath)
		if err != nil {
			return step{}, err
		}
		return step{to: Approved, note: comment, notes: []notify.Message{
			{Users: []int64{o.ApplicantID}, Kind: "order", Title: "用车申请已审批通过", Body: o.No + " " + o.Reason, Link: orderLink(o.ID)},
			{Users: dispatchers, Kind: "dispatch", Title: "新的订单待派车", Body: fmt.Sprintf("%s %s，%s", o.No, o.PickupPlace, o.PickupAt.In(beijing.Zone).Format("01-02 15:04")), Link: orderLink(o.ID)},
		}}, nil
	})
}

func without(ids []int64, id int64) []int64 {
	return slices.DeleteFunc(slices.Clone(ids), func(x int64) bool { return x == id })
}

// Return sends an order back to the applicant with a reason.
func (s *Service) Return(ctx context.Context, a *access.Actor, id int64, reason string) (*Order, error) {
	if err := required(reason, "reason", "请填写退回原因"); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "return", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Approver, o.UnitPath, "审批"); err != nil {
			return step{}, err
		}
		if o.ApplicantID == a.UserID {
			return step{}, errs.E(errs.Forbidden, "不能审批本人提交的申请")
		}
		o.ApprovalsDone, o.Note = 0, reason
		return step{to: Returned, note: reason, notes: []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: "用车申请被退回", Body: o.No + "：" + reason, Link: orderLink(o.ID)}}}, nil
	})
}

// Resubmit lets the applicant correct a returned order and submit it again.
func (s *Service) Resubmit(ctx context.Context, a *access.Actor, id int64, in Input) (*Order, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "resubmit", func(tx bun.Tx, o *Order) (step, error) {
		if o.ApplicantID != a.UserID {
			return step{}, errs.E(errs.Forbidden, "只有申请人本人可以修改并重新提交")
		}
		dests := "[]"
		if b, err := jsonMarshal(in.Destinations); err == nil {
			dests = b
		}
		o.Reason, o.Passengers, o.PassengerCount, o.ContactPhone = in.Reason, in.Passengers, in.PassengerCount, in.ContactPhone
		o.PickupPlace, o.DestinationsRaw, o.PickupAt, o.ReturnAt = in.PickupPlace, dests, in.PickupAt.UTC(), in.ReturnAt.UTC()
		o.OutOfCity, o.Category, o.ApprovalsDone, o.Note = in.OutOfCity, in.Category, 0, ""
		if err := needApprovers(ctx, tx, o.UnitPath, a.UserID, o.ApprovalsNeeded); err != nil {
			return step{}, err
		}
		approvers, err := notify.Recipients(ctx, tx, access.Approver, o.UnitPath)
		if err != nil {
			return step{}, err
		}
		return step{to: Submitted, notes: []notify.Message{{Users: approvers, Kind: "approval", Title: "用车申请已修改，待审批", Body: o.No + " " + o.Reason, Link: orderLink(o.ID)}}}, nil
	})
}

// Cancel cancels an order before departure: the applicant its own, a
// dispatcher any in its scope.
func (s *Service) Cancel(ctx context.Context, a *access.Actor, id int64, reason string) (*Order, error) {
	if err := required(reason, "reason", "请填写取消原因"); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "cancel", func(tx bun.Tx, o *Order) (step, error) {
		if o.ApplicantID != a.UserID {
			if err := need(a, access.Dispatcher, o.UnitPath, "取消他人的订单"); err != nil {
				return step{}, err
			}
		}
		o.Note = reason
		users := []int64{o.ApplicantID}
		if o.DriverUserID != nil {
			users = append(users, *o.DriverUserID)
		}
		return step{to: Cancelled, note: reason, notes: []notify.Message{{Users: without(users, a.UserID), Kind: "order", Title: "订单已取消", Body: o.No + "：" + reason, Link: orderLink(o.ID), SMS: o.State == Dispatched}}}, nil
	})
}

// ToRental hands an order that own vehicles cannot cover to the rental
// side; then, in the same transaction, records which company takes
// it (internal/rental).
func (s *Service) ToRental(ctx context.Context, a *access.Actor, id int64, reason string, then func(tx bun.Tx, o *Order) error) (*Order, error) {
	if err := required(reason, "reason", "请说明转租赁的原因（如本单位车辆无法满足）"); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "rental", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Dispatcher, o.UnitPath, "转租赁"); err != nil {
			return step{}, err
		}
		o.Note = reason
		if err := then(tx, o); err != nil {
			return step{}, err
		}
		return step{to: Rental, note: reason, notes: []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: "订单已转租赁车辆保障", Body: o.No, Link: orderLink(o.ID)}}}, nil
	})
}

// RentalDone ends a rented trip: fn records the company's usage in
// the same transaction; the order waits for the passenger's rating like
// one served by an own vehicle.
func (s *Service) RentalDone(ctx context.Context, a *access.Actor, id int64, text string, fn func(tx bun.Tx, o *Order) error) (*Order, error) {
	return s.act(ctx, a, id, "rental_end", func(tx bun.Tx, o *Order) (step, error) {
		if err := fn(tx, o); err != nil {
			return step{}, err
		}
		now := s.now()
		o.ReturnedAt = &now
		return step{to: Back, note: text,
			notes: []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "rate", Title: "租赁用车已结束，请评价服务", Body: o.No + " " + text, Link: orderLink(o.ID)}}}, nil
	})
}

// Depart starts the task (R-13(4)): the assigned driver, with the odometer.
func (s *Service) Depart(ctx context.Context, a *access.Actor, id int64, odometer int) (*Order, error) {
	return s.act(ctx, a, id, "depart", func(tx bun.Tx, o *Order) (step, error) {
		if err := isDriver(a, o); err != nil {
			return step{}, err
		}
		if odometer < 0 || odometer > 5000000 {
			return step{}, (&errs.Fields{"odometer": "请填写出车时的里程表读数（公里）"}).Err()
		}
		now := s.now()
		if err := s.possibleDeparture(ctx, tx, o, odometer, now); err != nil {
			return step{}, err
		}
		o.StartOdometer, o.DepartedAt = &odometer, &now
		return step{to: Departed, note: fmt.Sprintf("出车里程 %d 公里", odometer),
			notes: []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: "驾驶员已出车", Body: fmt.Sprintf("%s %s %s", o.No, o.Plate, o.DriverName), Link: orderLink(o.ID)}}}, nil
	})
}

// possibleDeparture refuses a departure no car could make (R-13(4)): too
// long before the pick-up time (the level's order_window parameter), while
// the car or the driver is still out on another order, or with an odometer
// reading below the car's last recorded one.
func (s *Service) possibleDeparture(ctx context.Context, tx bun.Tx, o *Order, odometer int, now time.Time) error {
	st, err := supervision.LoadSettings(ctx, tx)
	if err != nil {
		return err
	}
	early := time.Duration(st.Resolver(supervision.OrderWindow{})(o.UnitPath).V(supervision.DepartEarlyKey)) * time.Minute
	if now.Before(o.PickupAt.Add(-early)) {
		return errs.E(errs.Conflict, "报到时间为 %s，最早可在报到前%s出车，现在还不能出车", o.PickupAt.In(beijing.Zone).Format("01-02 15:04"), span(early))
	}
	var out []struct {
		No        string `bun:"no"`
		VehicleID *int64 `bun:"vehicle_id"`
	}
	if err := tx.NewSelect().Table("orders").Column("no", "vehicle_id").
		Where("state = ? AND id <> ? AND (vehicle_id = ? OR driver_id = ?)", Departed, o.ID, *o.VehicleID, *o.DriverID).Order("id").Scan(ctx, &out); err != nil {
		return err
	}
	for _, x := range out {
		if x.VehicleID != nil && *x.VehicleID == *o.VehicleID {
			return errs.E(errs.Conflict, "车辆 %s 正在执行订单 %s，须先结束该任务再出车", o.Plate, x.No)
		}
		return errs.E(errs.Conflict, "驾驶员 %s 正在执行订单 %s，须先结束该任务再出车", o.DriverName, x.No)
	}
	var last []struct {
		No      string `bun:"no"`
		Reading int    `bun:"reading"`
	}
	if err := tx.NewSelect().Table("orders").ColumnExpr("no, COALESCE(end_odometer, start_odometer) AS reading").
		Where("vehicle_id = ? AND id <> ? AND start_odometer IS NOT NULL", *o.VehicleID, o.ID).
		OrderExpr("COALESCE(departed_at, pickup_at) DESC, id DESC").Limit(1).Scan(ctx, &last); err != nil {
		return err
	}
	if len(last) > 0 && odometer < last[0].Reading {
		return (&errs.Fields{"odometer": fmt.Sprintf("里程表读数不能小于该车上次记录的 %d 公里（订单 %s），请核对", last[0].Reading, last[0].No)}).Err()
	}
	return nil
}

// span writes a duration of whole minutes as 小时/分钟.
func span(d time.Duration) string {
	h, m := int(d.Hours()), int(d.Minutes())%60
	switch {
	case h == 0:
		return fmt.Sprintf("%d分钟", m)
	case m == 0:
		return fmt.Sprintf("%d小时", h)
	}
	return fmt.Sprintf("%d小时%d分钟", h, m)
}

func isDriver(a *access.Actor, o *Order) error {
	if o.DriverUserID == nil || *o.DriverUserID != a.UserID {
		return errs.E(errs.Forbidden, "只有本订单的驾驶员可以执行此操作")
	}
	return nil
}

// ChangeInput is a change on the way.
type ChangeInput struct {
	Destination string     `json:"destination"`
	ReturnAt    *time.Time `json:"return_at"`
	Note        string     `json:"note" max:"500"`
}

// ReportChange records a change on the way; the dispatcher is notified and
// acknowledges it.
func (s *Service) ReportChange(ctx context.Context, a *access.Actor, id int64, in ChangeInput) (*Order, error) {
	in.Destination, in.Note = strings.TrimSpace(in.Destination), strings.TrimSpace(in.Note)
	if in.Destination == "" && in.ReturnAt == nil {
		return nil, (&errs.Fields{"destination": "请填写新的目的地或新的返回时间"}).Err()
	}
	return s.act(ctx, a, id, "change", func(tx bun.Tx, o *Order) (step, error) {
		if err := isDriver(a, o); err != nil {
			return step{}, err
		}
		if in.ReturnAt != nil && !in.ReturnAt.After(o.PickupAt) {
			return step{}, (&errs.Fields{"return_at": "新的返回时间须晚于报到时间"}).Err()
		}
		c := &Change{OrderID: o.ID, ReportedAt: s.now(), ReportedBy: a.UserID, Destination: in.Destination, ReturnAt: in.ReturnAt, Note: in.Note}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return step{}, err
		}
		var parts []string
		if in.Destination != "" {
			parts = append(parts, "新目的地："+in.Destination)
			o.Destinations = append(o.Destinations, in.Destination)
			b, _ := jsonMarshal(o.Destinations)
			o.DestinationsRaw = b
		}
		if in.ReturnAt != nil {
			parts = append(parts, "新返回时间："+in.ReturnAt.In(beijing.Zone).Format("01-02 15:04"))
			o.ReturnAt = in.ReturnAt.UTC()
		}
		if in.Note != "" {
			parts = append(parts, in.Note)
		}
		text := strings.Join(parts, "；")
		users := []int64{}
		if o.DispatcherID != nil {
			users = append(users, *o.DispatcherID)
		}
		return step{note: text, notes: []notify.Message{{Users: users, Kind: "change", Title: "途中变更待确认", Body: fmt.Sprintf("%s %s：%s", o.No, o.Plate, text), Link: orderLink(o.ID)}}}, nil
	})
}

// AckChange acknowledges the driver's change report.
func (s *Service) AckChange(ctx context.Context, a *access.Actor, id, changeID int64) (*Order, error) {
	return s.act(ctx, a, id, "ack_change", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Dispatcher, o.UnitPath, "确认途中变更"); err != nil {
			return step{}, err
		}
		now := s.now()
		res, err := tx.NewUpdate().Model((*Change)(nil)).Set("acknowledged_by = ?, acknowledged_at = ?", a.UserID, now).
			Where("id = ? AND order_id = ? AND acknowledged_at IS NULL", changeID, o.ID).Exec(ctx)
		if err != nil {
			return step{}, err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return step{}, errs.E(errs.Conflict, "该变更不存在或已确认")
		}
		var users []int64
		if o.DriverUserID != nil {
			users = append(users, *o.DriverUserID)
		}
		return step{notes: []notify.Message{{Users: users, Kind: "order", Title: "调度员已确认途中变更", Body: o.No, Link: orderLink(o.ID)}}}, nil
	})
}

// Finish ends the task with the odometer reading.
func (s *Service) Finish(ctx context.Context, a *access.Actor, id int64, odometer int) (*Order, error) {
	return s.act(ctx, a, id, "finish", func(tx bun.Tx, o *Order) (step, error) {
		if err := isDriver(a, o); err != nil {
			return step{}, err
		}
		if o.StartOdometer != nil && odometer < *o.StartOdometer {
			return step{}, (&errs.Fields{"odometer": fmt.Sprintf("结束里程不能小于出车里程（%d 公里）", *o.StartOdometer)}).Err()
		}
		if o.StartOdometer != nil && odometer-*o.StartOdometer > 3000 {
			return step{}, (&errs.Fields{"odometer": "本次行驶超过3000公里，请核对里程表读数"}).Err()
		}
		now := s.now()
		o.EndOdometer, o.FinishedAt = &odometer, &now
		users := []int64{}
		if o.DispatcherID != nil {
			users = append(users, *o.DispatcherID)
		}
		dist := 0
		if o.StartOdometer != nil {
			dist = odometer - *o.StartOdometer
		}
		return step{to: Finished, note: fmt.Sprintf("结束里程 %d 公里，本次 %d 公里", odometer, dist),
			notes: []notify.Message{{Users: users, Kind: "dispatch", Title: "任务结束待回场", Body: fmt.Sprintf("%s %s", o.No, o.Plate), Link: orderLink(o.ID)}}}, nil
	})
}

// ReturnToBase records that the vehicle is back at its parking place
// (R-13(5)); the passenger is asked to rate.
func (s *Service) ReturnToBase(ctx context.Context, a *access.Actor, id int64, parking string) (*Order, error) {
	if err := required(parking, "parking_place", "请填写停放地点"); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "back", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Dispatcher, o.UnitPath, "回场"); err != nil {
			return step{}, err
		}
		now := s.now()
		o.ReturnedAt, o.ParkingPlace = &now, strings.TrimSpace(parking)
		return step{to: Back, note: "停放于 " + o.ParkingPlace,
			notes: []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "rate", Title: "用车已结束，请评价驾驶员服务", Body: fmt.Sprintf("%s %s", o.No, o.DriverName), Link: orderLink(o.ID)}}}, nil
	})
}

// Rate lets the passenger rate the driver 1–5 (R-13(6)); the order closes.
func (s *Service) Rate(ctx context.Context, a *access.Actor, id int64, rating int, comment string) (*Order, error) {
	if rating < 1 || rating > 5 {
		return nil, (&errs.Fields{"rating": "评分须为1至5星"}).Err()
	}
	comment = strings.TrimSpace(comment)
	if len([]rune(comment)) > 300 {
		return nil, (&errs.Fields{"comment": "评价不能超过300字"}).Err()
	}
	return s.act(ctx, a, id, "rate", func(tx bun.Tx, o *Order) (step, error) {
		if o.ApplicantID != a.UserID {
			return step{}, errs.E(errs.Forbidden, "只有用车人可以评价")
		}
		now := s.now()
		o.Rating, o.RatingComment, o.RatedAt = &rating, comment, &now
		return step{to: Closed, note: fmt.Sprintf("%d星 %s", rating, comment)}, nil
	})
}
