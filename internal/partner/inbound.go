package partner

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/savings"
	"govfleet/internal/store"
)

// A booking's statuses in the order they happen; refused and cancelled end it.
var rank = map[string]int{"": -1, "requested": 0, "accepted": 1, "assigned": 2, "started": 3, "finished": 4, "fee": 5, "refused": 9, "cancelled": 9}

// StatusNames are the statuses' Chinese names.
var StatusNames = map[string]string{"": "未发出", "requested": "已发出", "accepted": "已受理", "assigned": "已派车", "started": "已出车",
	"finished": "已结束", "fee": "已计费", "refused": "被拒绝", "cancelled": "已取消"}

// Link is a booking shared with a partner.
type Link struct {
	bun.BaseModel `bun:"table:partner_bookings"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	PartnerID   int64      `bun:"partner_id" json:"partner_id"`
	Direction   string     `bun:"direction" json:"direction"`
	Ref         string     `bun:"ref" json:"ref"`
	OrderID     int64      `bun:"order_id" json:"order_id"`
	Status      string     `bun:"status" json:"status"`
	Plate       string     `bun:"plate" json:"plate"`
	VehicleType string     `bun:"vehicle_type" json:"vehicle_type"`
	DriverName  string     `bun:"driver_name" json:"driver_name"`
	DriverPhone string     `bun:"driver_phone" json:"driver_phone"`
	DistanceM   int64      `bun:"distance_m" json:"distance_m"`
	FeeFen      *int64     `bun:"fee_fen" json:"fee_fen"`
	MarketFen   *int64     `bun:"market_fen" json:"market_fen"` // the local rental market's price of an inbound trip (savings.PriceUse)
	SavingFen   *int64     `bun:"saving_fen" json:"saving_fen"`
	FeeNote     string     `bun:"fee_note" json:"fee_note"`
	FeeAt       *time.Time `bun:"fee_at" json:"fee_at"`
	Seq         int        `bun:"seq" json:"-"`
	CreatedAt   time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at" json:"updated_at"`

	PartnerName string    `bun:"partner_name,scanonly" json:"partner_name"`
	OrderNo     string    `bun:"order_no,scanonly" json:"order_no"`
	OrderState  string    `bun:"order_state,scanonly" json:"order_state"`
	Applicant   string    `bun:"applicant,scanonly" json:"applicant"`
	Reason      string    `bun:"reason,scanonly" json:"reason"`
	PickupAt    time.Time `bun:"pickup_at,scanonly" json:"pickup_at"`
	StatusName  string    `bun:"-" json:"status_name"`
	StateName   string    `bun:"-" json:"order_state_name"`
	Km          string    `bun:"-" json:"km"` // DistanceM in kilometres as statements write it (savings.Km)
}

func selectLinks(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Link)(nil)).ModelTableExpr("partner_bookings AS b").ColumnExpr("b.*").
		ColumnExpr("p.name AS partner_name, o.no AS order_no, o.state AS order_state, o.applicant_name AS applicant, o.reason, o.pickup_at").
		Join("JOIN partners AS p ON p.id = b.partner_id").Join("JOIN orders AS o ON o.id = b.order_id")
}

func (l *Link) fill() {
	l.StatusName = StatusNames[l.Status]
	l.StateName = booking.StateNames[l.OrderState]
	l.Km = savings.Km(l.DistanceM)
}

// Receive applies a message from partner p (already authenticated): once
// per key, in one transaction with what it changes. A repeated key is
// answered "duplicate" and changes nothing; a refused message changes
// nothing and is recorded.
func (s *Service) Receive(ctx context.Context, p *Partner, body []byte) (*Ack, error) {
	var m Message
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	err := dec.Decode(&m)
	if err != nil {
		err = errs.E(errs.Invalid, "消息格式错误：%v", err)
	} else if f := check.Lengths(&m); f != nil {
		err = errs.Fields(f).Err()
	}
	if err != nil {
		s.log(ctx, &p.ID, "in", "", "", "拒绝：来自「"+p.Name+"」的消息 — "+msgOf(err))
		return nil, err
	}
	ack, notes, err := s.receive(ctx, p, &m)
	if err != nil {
		s.log(ctx, &p.ID, "in", m.Kind, m.Key, fmt.Sprintf("拒绝：来自「%s」的%s（%s 第%d条）— %s", p.Name, kindName(m.Kind), m.Ref, m.Seq, msgOf(err)))
		return nil, err
	}
	if s.Notify != nil {
		s.Notify.Send(ctx, notes...)
	}
	return ack, nil
}

func (s *Service) receive(ctx context.Context, p *Partner, m *Message) (*Ack, []notify.Message, error) {
	if m.Key == "" || len(m.Key) > 100 {
		return nil, nil, errs.E(errs.Invalid, "消息须带1至100个字符的 key（幂等键）")
	}
	if len(m.Ref) > 100 {
		return nil, nil, errs.E(errs.Invalid, "ref 不能超过100个字符")
	}
	var notes []notify.Message
	ack := &Ack{Key: m.Key, Result: "applied"}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewRaw("INSERT INTO partner_inbox (partner_id, msg_key, kind, ref, received_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
			p.ID, m.Key, m.Kind, m.Ref, s.now()).Exec(ctx)
		if err != nil {
			return err
		}
		if _, err := tx.NewRaw("UPDATE partners SET last_in_at = ? WHERE id = ?", s.now(), p.ID).Exec(ctx); err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			ack.Result = "duplicate"
			return nil
		}
		_, cityPath, err := cityNode(ctx, tx)
		if err != nil {
			return err
		}
		who := p.Actor(cityPath)
		var summary string
		switch m.Kind {
		case "booking.request":
			notes, summary, err = s.applyRequest(ctx, tx, p, who, m)
		case "booking.cancel":
			notes, summary, err = s.applyCancel(ctx, tx, p, who, m)
		case "booking.status":
			notes, summary, err = s.applyStatus(ctx, tx, p, who, m)
		case "settlement.confirm":
			notes, summary, err = s.applySettlement(ctx, tx, p, m)
		default:
			err = errs.E(errs.Invalid, "未知的消息类型「%s」", m.Kind)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, who, audit.Event{Action: actReceive, ObjectType: audit.Partner, ObjectID: p.ID, ScopePath: cityPath,
			Summary: fmt.Sprintf("收到「%s」的%s（%s）：%s", p.Name, kindName(m.Kind), m.Ref, summary)})
	})
	return ack, notes, err
}

func (s *Service) link(ctx context.Context, db bun.IDB, partnerID int64, ref, direction string) (*Link, error) {
	l := new(Link)
	err := selectLinks(db).Where("b.partner_id = ? AND b.ref = ? AND b.direction = ?", partnerID, ref, direction).Scan(ctx, l)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "没有编号为「%s」的异地用车", ref))
	}
	return l, nil
}

func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n])
	}
	return s
}

// applyRequest: the partner's official asks for one of our vehicles.
func (s *Service) applyRequest(ctx context.Context, tx bun.Tx, p *Partner, who *access.Actor, m *Message) ([]notify.Message, string, error) {
	r := m.Request
	if r == nil || m.Ref == "" {
		return nil, "", errs.E(errs.Invalid, "用车请求须带 ref 与 request")
	}
	if n, err := tx.NewSelect().Table("partner_bookings").Where("partner_id = ? AND direction = 'in' AND ref = ?", p.ID, m.Ref).Count(ctx); err != nil {
		return nil, "", err
	} else if n > 0 {
		return nil, "", errs.E(errs.Conflict, "异地用车「%s」已收到过（以不同的消息键重发）", m.Ref)
	}
	if strings.TrimSpace(r.Applicant) == "" || strings.TrimSpace(r.Unit) == "" {
		return nil, "", errs.E(errs.Invalid, "用车请求须写明申请人与单位")
	}
	cityID, _, err := cityNode(ctx, tx)
	if err != nil {
		return nil, "", err
	}
	var dests []string
	for _, d := range r.Destinations {
		if d = clip(d, 200); d != "" {
			dests = append(dests, d)
		}
	}
	if len(dests) > 10 {
		dests = dests[:10]
	}
	note := fmt.Sprintf("%s %s %s", p.Name, clip(r.Unit, 100), clip(r.Applicant, 50))
	o, notes, err := s.Booking.CreateInbound(ctx, tx, who, booking.Inbound{UnitID: cityID, ApplicantID: p.CreatedBy,
		ApplicantName: clip(r.Applicant, 50) + "（" + p.Name + "）", Note: note,
		Input: booking.Input{Reason: clip(r.Reason, 500), Passengers: clip(r.Passengers, 200), PassengerCount: r.PassengerCount,
			ContactPhone: clip(r.Phone, 20), PickupPlace: clip(r.PickupPlace, 200), Destinations: dests, PickupAt: r.PickupAt, ReturnAt: r.ReturnAt}})
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	l := &Link{PartnerID: p.ID, Direction: "in", Ref: m.Ref, OrderID: o.ID, Status: "accepted", CreatedAt: now, UpdatedAt: now}
	if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
		return nil, "", err
	}
	err = s.enqueue(ctx, tx, p.ID, l.ID, Message{Kind: "booking.status", Ref: m.Ref,
		Status: &Status{Status: "accepted", Note: "已受理，订单 " + o.No + "，待调度派车", At: now}})
	return notes, "订单 " + o.No, err
}

// applyCancel: the requester cancels a booking we host.
func (s *Service) applyCancel(ctx context.Context, tx bun.Tx, p *Partner, who *access.Actor, m *Message) ([]notify.Message, string, error) {
	l, err := s.link(ctx, tx, p.ID, m.Ref, "in")
	if err != nil {
		return nil, "", err
	}
	reason := "对方取消"
	if m.Cancel != nil && strings.TrimSpace(m.Cancel.Reason) != "" {
		reason = clip(m.Cancel.Reason, 500)
	}
	if rank[l.Status] >= rank["started"] {
		return nil, "", errs.E(errs.Conflict, "订单 %s 当前「%s」，不能取消", l.OrderNo, StatusNames[l.Status])
	}
	o, notes, err := s.Booking.Remote(ctx, tx, who, l.OrderID, "partner_cancel", booking.Cancelled, reason)
	if err != nil {
		return nil, "", err
	}
	if _, err := tx.NewRaw("UPDATE partner_bookings SET status = 'cancelled', updated_at = ? WHERE id = ?", s.now(), l.ID).Exec(ctx); err != nil {
		return nil, "", err
	}
	if o.DriverUserID != nil {
		notes = append(notes, notify.Message{Users: []int64{*o.DriverUserID}, Kind: "order", Title: "订单已取消", Body: o.No + "：" + reason, Link: fmt.Sprintf("/orders/%d", o.ID), SMS: true})
	}
	disp, err := notify.Recipients(ctx, tx, access.Dispatcher, o.UnitPath)
	if err != nil {
		return nil, "", err
	}
	notes = append(notes[:0], notify.Message{Users: disp, Kind: "dispatch", Title: "合作城市取消了用车", Body: o.No + "：" + reason, Link: fmt.Sprintf("/orders/%d", o.ID)})
	return notes, "取消订单 " + o.No, nil
}

// applyStatus: the host reports a step of our official's booking.
func (s *Service) applyStatus(ctx context.Context, tx bun.Tx, p *Partner, who *access.Actor, m *Message) ([]notify.Message, string, error) {
	st := m.Status
	if st == nil {
		return nil, "", errs.E(errs.Invalid, "状态消息须带 status")
	}
	l, err := s.link(ctx, tx, p.ID, m.Ref, "out")
	if err != nil {
		return nil, "", err
	}
	next, ok := rank[st.Status]
	if !ok || st.Status == "" || st.Status == "requested" {
		return nil, "", errs.E(errs.Invalid, "未知的状态「%s」", st.Status)
	}
	cur := rank[l.Status]
	switch {
	case cur >= 9 || l.Status == "fee":
		return nil, "", errs.E(errs.Conflict, "异地用车 %s 已「%s」，不再接受「%s」", l.OrderNo, StatusNames[l.Status], StatusNames[st.Status])
	case (st.Status == "refused" || st.Status == "cancelled") && cur >= rank["started"]:
		return nil, "", errs.E(errs.Conflict, "异地用车 %s 已「%s」，不能再%s", l.OrderNo, StatusNames[l.Status], StatusNames[st.Status])
	case next < 9 && (next < cur || (next == cur && st.Status != "assigned")):
		return nil, "", errs.E(errs.Conflict, "状态倒退：异地用车 %s 已「%s」，收到「%s」", l.OrderNo, StatusNames[l.Status], StatusNames[st.Status])
	}
	note := clip(st.Note, 500)
	action, to := "", ""
	switch st.Status {
	case "accepted":
		action = "partner_accept"
	case "refused":
		action, to = "partner_refuse", booking.Cancelled
	case "cancelled":
		action, to = "partner_cancel", booking.Cancelled
	case "assigned":
		action = "partner_assign"
		l.Plate, l.VehicleType, l.DriverName, l.DriverPhone = clip(st.Plate, 20), clip(st.VehicleType, 20), clip(st.Driver, 50), clip(st.DriverPhone, 20)
		note = strings.TrimSpace(fmt.Sprintf("%s %s 驾驶员 %s %s %s", l.Plate, TypeName(l.VehicleType), l.DriverName, l.DriverPhone, note))
	case "started":
		action, to = "partner_start", booking.Departed
	case "finished":
		action, to = "partner_finish", booking.Back
		if st.DistanceM < 0 || st.DistanceM > 5_000_000_000 {
			return nil, "", errs.E(errs.Invalid, "里程无效")
		}
		l.DistanceM = st.DistanceM
		note = strings.TrimSpace(fmt.Sprintf("行驶 %.1f 公里 %s", float64(st.DistanceM)/1000, note))
	case "fee":
		action = "partner_fee"
		if st.FeeFen == nil || *st.FeeFen < 0 {
			return nil, "", errs.E(errs.Invalid, "计费消息须带不小于0的 fee_fen")
		}
		now := s.now()
		l.FeeFen, l.FeeAt, l.FeeNote = st.FeeFen, &now, note
		if st.DistanceM > 0 {
			l.DistanceM = st.DistanceM
		}
		note = strings.TrimSpace(fmt.Sprintf("费用 %s 元 %s", money.Yuan(*st.FeeFen), note))
	}
	o, notes, err := s.Booking.Remote(ctx, tx, who, l.OrderID, action, to, note)
	if err != nil {
		return nil, "", err
	}
	l.Status, l.UpdatedAt = st.Status, s.now()
	if _, err := tx.NewUpdate().Model(l).ExcludeColumn("seq").WherePK().Exec(ctx); err != nil {
		return nil, "", err
	}
	return notes, "订单 " + o.No + " " + StatusNames[st.Status], nil
}

// ---- the order hook ----

// OrderStep keeps a shared booking in step with its order (booking.Hook):
// an outbound order goes to the partner once approved and takes no local
// dispatch; an inbound order reports each step to the partner; closing an
// inbound trip computes its fee (refused when no paid-use tariff applies).
func (s *Service) OrderStep(ctx context.Context, tx bun.Tx, a *access.Actor, action string, o *booking.Order, to *string, notes *[]notify.Message) error {
	if action == "submit" {
		return s.apply(ctx, tx, o)
	}
	l := new(Link)
	if err := tx.NewSelect().Model(l).Where("order_id = ?", o.ID).Scan(ctx); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil
		}
		return err
	}
	p, err := s.get(ctx, tx, l.PartnerID)
	if err != nil {
		return err
	}
	if l.Direction == "out" {
		return s.outboundStep(ctx, tx, p, l, action, o, to, notes)
	}
	return s.inboundStep(ctx, tx, p, l, action, o, to, notes)
}

// apply links a new application to the partner city it asks a vehicle of.
func (s *Service) apply(ctx context.Context, tx bun.Tx, o *booking.Order) error {
	p, err := s.get(ctx, tx, o.PartnerRequest)
	if err != nil || !p.Active {
		return (&errs.Fields{"partner_id": "请选择已开通协作的合作城市"}).Err()
	}
	now := s.now()
	_, err = tx.NewInsert().Model(&Link{PartnerID: p.ID, Direction: "out", Ref: p.SelfCode + "-" + o.No, OrderID: o.ID, Status: "", CreatedAt: now, UpdatedAt: now}).
		Exec(ctx)
	return err
}

func (s *Service) outboundStep(ctx context.Context, tx bun.Tx, p *Partner, l *Link, action string, o *booking.Order, to *string, notes *[]notify.Message) error {
	switch action {
	case "approve":
		if *to != booking.Approved {
			return nil // a first of two approvals
		}
		if !p.Active {
			return errs.E(errs.Conflict, "合作城市「%s」已停用，不能发出异地用车请求", p.Name)
		}
		*to = booking.AtPartner
		var unit string
		if err := tx.NewSelect().Table("units").Column("name").Where("id = ?", o.UnitID).Scan(ctx, &unit); err != nil {
			return err
		}
		if _, err := tx.NewRaw("UPDATE partner_bookings SET status = 'requested', updated_at = ? WHERE id = ?", s.now(), l.ID).Exec(ctx); err != nil {
			return err
		}
		*notes = []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: "异地用车已审批通过，已发往" + p.Name,
			Body: o.No + " " + o.Reason, Link: fmt.Sprintf("/orders/%d", o.ID)}}
		return s.enqueue(ctx, tx, p.ID, l.ID, Message{Kind: "booking.request", Ref: l.Ref, Request: &Request{
			Applicant: o.ApplicantName, Unit: unit, Phone: o.ContactPhone, Passengers: o.Passengers, PassengerCount: o.PassengerCount,
			PickupPlace: o.PickupPlace, Destinations: o.Destinations, PickupAt: o.PickupAt, ReturnAt: o.ReturnAt, Reason: o.Reason}})
	case "cancel":
		if l.Status == "" {
			return nil // never sent
		}
		if rank[l.Status] >= rank["started"] {
			return errs.E(errs.Conflict, "「%s」已出车，异地用车 %s 不能取消", p.Name, o.No)
		}
		if _, err := tx.NewRaw("UPDATE partner_bookings SET status = 'cancelled', updated_at = ? WHERE id = ?", s.now(), l.ID).Exec(ctx); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, p.ID, l.ID, Message{Kind: "booking.cancel", Ref: l.Ref, Cancel: &Cancel{Reason: o.Note}})
	case "return", "resubmit", "rate", "attach":
		return nil
	}
	return errs.E(errs.Conflict, "异地用车订单 %s 由「%s」平台派车和执行，本平台不能%s", o.No, p.Name, booking.ActionNames[action])
}

func (s *Service) inboundStep(ctx context.Context, tx bun.Tx, p *Partner, l *Link, action string, o *booking.Order, to *string, notes *[]notify.Message) error {
	st := &Status{At: s.now()}
	switch action {
	case "dispatch", "consent":
		if *to != booking.Dispatched {
			return nil // waits for the vehicle manager's consent
		}
		var v struct {
			Plate string `bun:"plate"`
			Seats int    `bun:"seats"`
			Name  string `bun:"name"`
			Phone string `bun:"phone"`
		}
		if err := tx.NewRaw("SELECT v.plate, v.seats, d.name, d.phone FROM vehicles v, drivers d WHERE v.id = ? AND d.id = ?", o.VehicleID, o.DriverID).Scan(ctx, &v); err != nil {
			return err
		}
		st.Status, st.Plate, st.VehicleType, st.Driver, st.DriverPhone = "assigned", v.Plate, VehicleType(v.Seats), v.Name, v.Phone
		l.Plate, l.VehicleType, l.DriverName, l.DriverPhone = v.Plate, st.VehicleType, v.Name, v.Phone
	case "refuse", "change", "ack_change", "attach", "return", "resubmit", "rate":
		return nil
	case "depart":
		st.Status = "started"
	case "finish":
		st.Status = "finished"
		if o.StartOdometer != nil && o.EndOdometer != nil {
			st.DistanceM = int64(*o.EndOdometer-*o.StartOdometer) * 1000
		}
	case "back":
		fee, err := s.fee(ctx, tx, p, o)
		if err != nil {
			s.later(p.ID, "fee", fmt.Sprintf("拒绝：订单 %s 回场未能计费 — %s", o.No, msgOf(err)))
			return err
		}
		st.Status, st.FeeFen, st.DistanceM, st.Note = "fee", &fee.Fen, fee.DistanceM, fee.Note
		now := s.now()
		l.FeeFen, l.MarketFen, l.SavingFen, l.FeeNote, l.FeeAt, l.DistanceM = &fee.Fen, fee.MarketFen, fee.SavingFen, fee.Note, &now, fee.DistanceM
		*to = booking.Closed // the passenger rates at home, not here
		*notes = nil
	case "cancel":
		st.Status, st.Note = "cancelled", o.Note
		if rank[l.Status] < rank["assigned"] {
			st.Status = "refused"
		}
	default:
		return errs.E(errs.Conflict, "合作城市来单 %s 不能%s", o.No, booking.ActionNames[action])
	}
	l.Status, l.UpdatedAt = st.Status, s.now()
	if _, err := tx.NewUpdate().Model(l).ExcludeColumn("seq").WherePK().Exec(ctx); err != nil {
		return err
	}
	return s.enqueue(ctx, tx, p.ID, l.ID, Message{Kind: "booking.status", Ref: l.Ref, Status: st})
}

// ---- links as the console lists them ----

// LinkFilter selects shared bookings.
type LinkFilter struct {
	PartnerID  int64
	Direction  string
	Month      string // YYYY-MM of the pick-up (Beijing)
	Page, Size int
}

// Links lists shared bookings, newest first.
func (s *Service) Links(ctx context.Context, a *access.Actor, f LinkFilter) ([]*Link, int, error) {
	q := selectLinks(s.DB.R).Join("JOIN units AS u ON u.id = o.unit_id").Where("u.path LIKE ?", a.ScopePath+"%")
	if f.PartnerID != 0 {
		q = q.Where("b.partner_id = ?", f.PartnerID)
	}
	if f.Direction != "" {
		q = q.Where("b.direction = ?", f.Direction)
	}
	if f.Month != "" {
		m, err := beijing.ParseMonth(f.Month)
		if err != nil {
			return nil, 0, (&errs.Fields{"month": "月份格式应为 2026-01"}).Err()
		}
		q = q.Where("o.pickup_at >= ? AND o.pickup_at < ?", m, m.AddDate(0, 1, 0))
	}
	out := []*Link{}
	n, err := q.OrderExpr("o.pickup_at DESC, b.id DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	for _, l := range out {
		l.fill()
	}
	return out, n, store.Translate(err)
}

// ForOrder returns the shared booking of an order (nil when none).
func (s *Service) ForOrder(ctx context.Context, orderID int64) (*Link, error) {
	l := new(Link)
	if err := selectLinks(s.DB.R).Where("b.order_id = ?", orderID).Scan(ctx, l); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil, nil
		}
		return nil, store.Translate(err)
	}
	l.fill()
	return l, nil
}

var _ = slices.Contains[[]string]
