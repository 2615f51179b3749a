// Package booking is the life of an official-vehicle order: apply,
// approve, dispatch with the vehicle manager's consent, depart, return to
// base, rate; emergency use filed afterwards; statutory holidays and
// the sealing of vehicles; and the notifications that move the work
// from one person to the next.
package booking

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
	"govfleet/internal/calendar"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Order states.
const (
	Submitted      = "submitted"       // 待审批
	Returned       = "returned"        // 已退回
	Approved       = "approved"        // 待派车
	PendingConsent = "pending_consent" // 待车管负责人同意
	Dispatched     = "dispatched"      // 已派车
	Departed       = "departed"        // 执行中
	Finished       = "finished"        // 任务结束，待回场
	Back           = "back"            // 已回场，待评价
	Closed         = "closed"          // 已完成
	Cancelled      = "cancelled"       // 已取消
	Rental         = "rental"          // 转租赁
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{
	Submitted: "待审批", Returned: "已退回", Approved: "待派车", PendingConsent: "待车管同意", Dispatched: "已派车",
	Departed: "执行中", Finished: "待回场", Back: "待评价", Closed: "已完成", Cancelled: "已取消", Rental: "转租赁",
}

// MaxSpan is the longest an order may last; overlap queries use it to
// bound their index range (an order overlapping t started after t-MaxSpan).
const MaxSpan = 15 * 24 * time.Hour

// holding are the states in which an order holds its vehicle and driver.
var holding = []string{PendingConsent, Dispatched, Departed, Finished}

// Order is a request for an official vehicle.
type Order struct {
	bun.BaseModel `bun:"table:orders"`

	ID              int64      `bun:"id,pk,autoincrement" json:"id"`
	No              string     `bun:"no" json:"no"`
	UnitID          int64      `bun:"unit_id" json:"unit_id"`
	ApplicantID     int64      `bun:"applicant_id" json:"applicant_id"`
	ApplicantName   string     `bun:"applicant_name" json:"applicant_name"`
	Reason          string     `bun:"reason" json:"reason"`
	Passengers      string     `bun:"passengers" json:"passengers"`
	PassengerCount  int        `bun:"passenger_count" json:"passenger_count"`
	ContactPhone    string     `bun:"contact_phone" json:"contact_phone"`
	PickupPlace     string     `bun:"pickup_place" json:"pickup_place"`
	DestinationsRaw string     `bun:"destinations" json:"-"`
	PickupAt        time.Time  `bun:"pickup_at" json:"pickup_at"`
	ReturnAt        time.Time  `bun:"return_at" json:"return_at"`
	OutOfCity       bool       `bun:"out_of_city" json:"out_of_city"`
	Category        string     `bun:"category" json:"category"`
	ApprovalsNeeded int        `bun:"approvals_needed" json:"approvals_needed"`
	ApprovalsDone   int        `bun:"approvals_done" json:"approvals_done"`
	State           string     `bun:"state" json:"state"`
	VehicleID       *int64     `bun:"vehicle_id" json:"vehicle_id"`
	DriverID        *int64     `bun:"driver_id" json:"driver_id"`
	DispatcherID    *int64     `bun:"dispatcher_id" json:"dispatcher_id"`
	Consent         string     `bun:"consent" json:"consent"`
	SealedFiling    string     `bun:"sealed_filing" json:"sealed_filing"`
	StartOdometer   *int       `bun:"start_odometer" json:"start_odometer"`
	EndOdometer     *int       `bun:"end_odometer" json:"end_odometer"`
	DepartedAt      *time.Time `bun:"departed_at" json:"departed_at"`
	FinishedAt      *time.Time `bun:"finished_at" json:"finished_at"`
	ReturnedAt      *time.Time `bun:"returned_at" json:"returned_at"`
	ParkingPlace    string     `bun:"parking_place" json:"parking_place"`
	Rating          *int       `bun:"rating" json:"rating"`
	RatingComment   string     `bun:"rating_comment" json:"rating_comment"`
	RatedAt         *time.Time `bun:"rated_at" json:"rated_at"`
	Note            string     `bun:"note" json:"note"`
	TaskID          *int64     `bun:"task_id" json:"task_id"` // a support task's order (R-16, internal/dispatch)
	CreatedAt       time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at" json:"updated_at"`

	UnitName     string   `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath     string   `bun:"unit_path,scanonly" json:"-"`
	Plate        string   `bun:"plate,scanonly" json:"plate"`
	VehicleDesc  string   `bun:"vehicle_desc,scanonly" json:"vehicle_desc"`
	VehiclePath  string   `bun:"vehicle_path,scanonly" json:"-"`
	DriverName   string   `bun:"driver_name,scanonly" json:"driver_name"`
	DriverPhone  string   `bun:"driver_phone,scanonly" json:"driver_phone"`
	DriverUserID *int64   `bun:"driver_user_id,scanonly" json:"-"`
	Destinations []string `bun:"-" json:"destinations"`
	StateName    string   `bun:"-" json:"state_name"`
	// PartnerRequest is the partner city asked for at submission.
	PartnerRequest int64 `bun:"-" json:"-"`
}

func (o *Order) fill() {
	o.Destinations = []string{}
	_ = json.Unmarshal([]byte(o.DestinationsRaw), &o.Destinations)
	o.StateName = StateNames[o.State]
}

// Event is a line of an order's timeline.
type Event struct {
	bun.BaseModel `bun:"table:order_events"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	OrderID   int64     `bun:"order_id" json:"order_id"`
	At        time.Time `bun:"at" json:"at"`
	ActorID   *int64    `bun:"actor_id" json:"actor_id"`
	ActorName string    `bun:"actor_name" json:"actor_name"`
	Action    string    `bun:"action" json:"action"`
	FromState string    `bun:"from_state" json:"from_state"`
	ToState   string    `bun:"to_state" json:"to_state"`
	Note      string    `bun:"note" json:"note"`
}

// Input is what an applicant fills in (R-13(1)).
type Input struct {
	Reason         string    `json:"reason" max:"500"`
	Passengers     string    `json:"passengers" max:"200"`
	PassengerCount int       `json:"passenger_count"`
	ContactPhone   string    `json:"contact_phone"`
	PickupPlace    string    `json:"pickup_place"`
	Destinations   []string  `json:"destinations"`
	PickupAt       time.Time `json:"pickup_at"`
	ReturnAt       time.Time `json:"return_at"`
	OutOfCity      bool      `json:"out_of_city"`
	Category       string    `json:"category"`
	// PartnerID applies for a vehicle of a partner city's platform (异地用车,
	// once approved, the request goes to that partner.
	PartnerID int64 `json:"partner_id,omitempty"`
}

// Categories of R-4 an order may ask for.
var Categories = []string{"confidential", "emergency", "law_enforcement", "special", "retiree", "other"}

// Service runs the booking workflow.
type Service struct {
	DB       *store.DB
	Calendar *calendar.Calendar // kept here for the console's calendar pages
	Notify   *notify.Notifier
	Now      func() time.Time
	Partner  Hook // cross-region bookings (R-18, internal/partner); nil: none
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) validate(ctx context.Context, in *Input) error {
	var f errs.Fields
	in.Reason = strings.TrimSpace(in.Reason)
	in.PickupPlace = strings.TrimSpace(in.PickupPlace)
	in.Passengers = strings.TrimSpace(in.Passengers)
	in.ContactPhone = check.NormalisePhone(in.ContactPhone)
	var dests []string
	for _, d := range in.Destinations {
		if d = strings.TrimSpace(d); d != "" {
			dests = append(dests, d)
		}
	}
	in.Destinations = dests
	f.Check(in.Reason == "", "reason", "请填写用车事由")
	f.Check(utf8.RuneCountInString(in.Reason) > 500, "reason", "用车事由不能超过500字")
	f.Check(in.PickupPlace == "", "pickup_place", "请填写报到地点")
	f.Check(len(in.Destinations) == 0, "destinations", "请至少填写一个目的地")
	f.Check(len(in.Destinations) > 10, "destinations", "目的地不能超过10个")
	f.Check(utf8.RuneCountInString(in.Passengers) > 200, "passengers", "用车人不能超过200字")
	f.Check(in.PassengerCount < 1, "passenger_count", "用车人数至少为1人")
	if in.ContactPhone != "" {
		if err := check.Phone(in.ContactPhone); err != nil {
			f.Add("contact_phone", "联系电话"+err.Error())
		}
	}
	now := s.now()
	switch {
	case in.PickupAt.IsZero():
		f.Add("pickup_at", "请选择报到时间")
	case in.PickupAt.Before(now.Add(-5 * time.Minute)):
		f.Add("pickup_at", "报到时间已过，请重新选择（紧急用车请事后补报）")
	case in.PickupAt.After(now.AddDate(0, 6, 0)):
		f.Add("pickup_at", "只能预约半年内的用车")
	}
	switch {
	case in.ReturnAt.IsZero():
		f.Add("return_at", "请选择预计返回时间")
	case !in.PickupAt.IsZero() && !in.ReturnAt.After(in.PickupAt):
		f.Add("return_at", "预计返回时间须晚于报到时间")
	case !in.PickupAt.IsZero() && in.ReturnAt.Sub(in.PickupAt) > MaxSpan:
		f.Add("return_at", "单次用车不能超过15天，请分段申请")
	}
	f.Check(in.Category != "" && !slices.Contains(Categories, in.Category), "category", "车辆类别取值无效")
	if in.PassengerCount >= 1 {
		var most int
		if err := s.DB.R.NewSelect().Table("vehicles").ColumnExpr("COALESCE(MAX(seats), 0)").Where("status <> 'disposed'").Scan(ctx, &most); err != nil {
			return store.Translate(err)
		}
		if most > 0 && in.PassengerCount > most-1 {
			f.Add("passenger_count", fmt.Sprintf("用车人数超过了平台上任何一辆车的载客量（最多%d人），请分车申请", most-1))
		}
	}
	return f.Err()
}

// selectOrders joins the names a user sees with an order.
func selectOrders(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Order)(nil)).ModelTableExpr("orders AS o").
		ColumnExpr("o.*").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path").
		ColumnExpr("v.plate AS plate, v.brand || ' ' || v.model AS vehicle_desc, vu.path AS vehicle_path").
		ColumnExpr("d.name AS driver_name, d.phone AS driver_phone, d.user_id AS driver_user_id").
		Join("JOIN units AS u ON u.id = o.unit_id").
		Join("LEFT JOIN vehicles AS v ON v.id = o.vehicle_id").
		Join("LEFT JOIN units AS vu ON vu.id = v.unit_id").
		Join("LEFT JOIN drivers AS d ON d.id = o.driver_id")
}

func (s *Service) load(ctx context.Context, db bun.IDB, id int64) (*Order, error) {
	o := new(Order)
	if err := selectOrders(db).Where("o.id = ?", id).Scan(ctx, o); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "订单不存在或已删除"))
	}
	o.fill()
	return o, nil
}

// sees reports whether the actor may see the order: its own, one it
// drives, or — for those who read their scope's orders and for a company
// (rental) under contract — one inside its scope or whose vehicle is
// inside its scope. An applicant or a driver does not open a colleague's
// order (issue 24).
func sees(a *access.Actor, o *Order) bool {
	return o.ApplicantID == a.UserID || (o.DriverUserID != nil && *o.DriverUserID == a.UserID) ||
		((a.Has(access.OrderRead) || a.CompanyID != 0) && (a.Covers(o.UnitPath) || (o.VehiclePath != "" && a.Covers(o.VehiclePath))))
}

// Get returns an order the actor may see, with its timeline.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Detail, error) {
	o, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, o) {
		return nil, errs.E(errs.Forbidden, "该订单不在您的管辖范围内")
	}
	d := &Detail{Order: o, Events: []*Event{}, Changes: []*Change{}, Attachments: []*Attachment{}}
	if err := s.DB.R.NewSelect().Model(&d.Events).Where("order_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if err := s.DB.R.NewSelect().Model(&d.Changes).Where("order_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if err := s.DB.R.NewSelect().Model(&d.Attachments).Where("order_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	fs, err := findFilings(ctx, s.DB.R, a, "hf.order_id", id)
	if err != nil {
		return nil, err
	}
	if len(fs) > 0 {
		d.HolidayFiling = fs[0]
	}
	return d, nil
}

// Detail is an order with its timeline, changes on the way and attachments.
type Detail struct {
	*Order
	Events        []*Event       `json:"events"`
	Changes       []*Change      `json:"changes"`
	Attachments   []*Attachment  `json:"attachments"`
	HolidayFiling *HolidayFiling `json:"holiday_filing"` // the use of a sealed vehicle filed with the authority
}

// Create submits an order for the actor's unit.
func (s *Service) Create(ctx context.Context, a *access.Actor, in Input) (*Order, error) {
	if err := s.validate(ctx, &in); err != nil {
		return nil, err
	}
	var id int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		needed := 1
		if in.OutOfCity {
			var rule struct {
				Second bool `bun:"second_approval_out_of_city"`
			}
			err := tx.NewSelect().Table("booking_rules").Column("second_approval_out_of_city").Where("unit_id = ?", a.ScopeID).Scan(ctx, &rule)
			if err != nil && !errs.Is(store.Translate(err), errs.NotFound) {
				return err
			}
			if rule.Second {
				needed = 2
			}
		}
		path, err := unitPath(ctx, tx, a.ScopeID)
		if err != nil {
			return err
		}
		if err := needApprovers(ctx, tx, path, a.UserID, needed); err != nil {
			return err
		}
		dests, _ := json.Marshal(in.Destinations)
		now := s.now()
		o := &Order{No: "pending-" + fmt.Sprint(now.UnixNano()), UnitID: a.ScopeID, ApplicantID: a.UserID, ApplicantName: a.Name,
			Reason: in.Reason, Passengers: in.Passengers, PassengerCount: in.PassengerCount, ContactPhone: in.ContactPhone,
			PickupPlace: in.PickupPlace, DestinationsRaw: string(dests), PickupAt: in.PickupAt.UTC(), ReturnAt: in.ReturnAt.UTC(),
			OutOfCity: in.OutOfCity, Category: in.Category, ApprovalsNeeded: needed, State: Submitted, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(o).Exec(ctx); err != nil {
			return err
		}
		o.No = fmt.Sprintf("YC%s%05d", now.In(beijing.Zone).Format("20060102"), o.ID%100000)
		if _, err := tx.NewUpdate().Model(o).Column("no").WherePK().Exec(ctx); err != nil {
			return err
		}
		id = o.ID
		if in.PartnerID != 0 {
			if s.Partner == nil {
				return errs.E(errs.Invalid, "本平台未开通跨区域协作")
			}
			if err := s.Partner.OrderStep(ctx, tx, a, "submit", &Order{ID: o.ID, No: o.No, UnitID: o.UnitID, PartnerRequest: in.PartnerID}, nil, nil); err != nil {
				return err
			}
		}
		if err := event(ctx, tx, a, o.ID, "submit", "", Submitted, ""); err != nil {
			return err
		}
		o.UnitPath = path
		ns, err := notify.Recipients(ctx, tx, access.Approver, path)
		if err != nil {
			return err
		}
		notes = append(notes, notify.Message{Users: ns, Kind: "approval", Title: "新的用车申请待审批", Body: fmt.Sprintf("%s：%s（%s）", a.Name, in.Reason, in.PickupAt.In(beijing.Zone).Format("01-02 15:04")), Link: orderLink(o.ID)})
		return audit.Record(ctx, tx, a, audit.Event{Action: orderActions["submit"], ObjectType: audit.Order, ObjectID: o.ID, ScopePath: path,
			Summary: fmt.Sprintf("提交用车申请 %s：%s", o.No, o.Reason), After: o})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.load(ctx, s.DB.R, id)
}

func unitPath(ctx context.Context, db bun.IDB, unitID int64) (string, error) {
	var p string
	err := db.NewSelect().Table("units").Column("path").Where("id = ?", unitID).Scan(ctx, &p)
	return p, err
}

func event(ctx context.Context, tx bun.IDB, a *access.Actor, orderID int64, action, from, to, note string) error {
	e := &Event{OrderID: orderID, At: time.Now().UTC(), Action: action, FromState: from, ToState: to, Note: note}
	if a != nil {
		id := a.UserID
		e.ActorID, e.ActorName = &id, a.Name
	}
	_, err := tx.NewInsert().Model(e).Exec(ctx)
	return err
}

// Filter selects orders.
type Filter struct {
	Mine       bool   // the actor's own applications
	Driving    bool   // the actor's driving tasks
	Inbox      bool   // waiting for the actor's approval
	UnitID     int64  // subtree of this node (0: the actor's scope)
	State      string // one state, or several separated by commas
	Sealed     bool   // only orders that use a vehicle sealed for a holiday (R-15 filings)
	VehicleID  int64
	DriverID   int64
	Applicant  string // part of the applicant's name
	Place      string // part of the pick-up place or a destination
	Q          string // part of the number, reason, applicant, plate or driver
	From, To   time.Time
	Page, Size int
}

// List returns a page of orders the actor may see, newest pick-up first
// (soonest first for driving tasks).
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Order, int, error) {
	q, err := s.query(ctx, a, f)
	if err != nil {
		return nil, 0, err
	}
	var out []*Order
	n, err := q.Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, o := range out {
		o.fill()
	}
	return out, n, nil
}

// like is a LIKE pattern finding text anywhere.
func like(text string) string {
	return "%" + strings.NewReplacer("%", "", "_", "").Replace(strings.TrimSpace(text)) + "%"
}

// query selects the orders of f, in the list's order.
func (s *Service) query(ctx context.Context, a *access.Actor, f Filter) (*bun.SelectQuery, error) {
	q := selectOrders(s.DB.R)
	switch {
	case f.Mine:
		q = q.Where("o.applicant_id = ?", a.UserID)
	case f.Driving:
		q = q.Where("d.user_id = ?", a.UserID)
	default:
		base := a.ScopePath
		if f.UnitID != 0 {
			p, err := unitPath(ctx, s.DB.R, f.UnitID)
			if err != nil {
				return nil, store.Translate(err)
			}
			if !a.Covers(p) {
				return nil, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
			}
			base = p
		}
		q = q.Where("u.path LIKE ?", base+"%")
	}
	if f.Inbox {
		q = q.Where("o.state = ? AND o.applicant_id <> ?", Submitted, a.UserID).
			Where("NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.action = 'approve' AND e.actor_id = ?)", a.UserID)
	}
	if f.State != "" {
		q = q.Where("o.state IN (?)", bun.In(strings.Split(f.State, ",")))
	}
	if f.Sealed {
		q = q.Where("o.sealed_filing <> ''")
	}
	if f.VehicleID != 0 {
		q = q.Where("o.vehicle_id = ?", f.VehicleID)
	}
	if f.DriverID != 0 {
		q = q.Where("o.driver_id = ?", f.DriverID)
	}
	if strings.TrimSpace(f.Applicant) != "" {
		q = q.Where("o.applicant_name LIKE ?", like(f.Applicant))
	}
	if strings.TrimSpace(f.Place) != "" {
		p := like(f.Place)
		q = q.Where("(o.pickup_place LIKE ? OR o.destinations LIKE ?)", p, p)
	}
	if strings.TrimSpace(f.Q) != "" {
		t := like(f.Q)
		q = q.Where("(o.no LIKE ? OR o.reason LIKE ? OR o.applicant_name LIKE ? OR v.plate LIKE ? OR d.name LIKE ?)", t, t, t, t, t)
	}
	if !f.From.IsZero() {
		q = q.Where("o.pickup_at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("o.pickup_at < ?", f.To.UTC())
	}
	if f.Driving || f.Inbox {
		return q.OrderExpr("o.pickup_at ASC, o.id ASC"), nil
	}
	return q.OrderExpr("o.pickup_at DESC, o.id DESC"), nil
}

// Counts are the numbers on the console's badges.
type Counts struct {
	Inbox          int `json:"inbox"`           // waiting for my approval
	ToDispatch     int `json:"to_dispatch"`     // approved, waiting for a dispatcher
	PendingConsent int `json:"pending_consent"` // waiting for a vehicle manager
	ToReturn       int `json:"to_return"`       // finished, waiting for the return to base
	Changes        int `json:"changes"`         // changes on the way not yet acknowledged
	MyTasks        int `json:"my_tasks"`        // driving tasks not finished
	ToRate         int `json:"to_rate"`         // my orders back at base, not rated
	OverdueFilings int `json:"overdue_filings"` // emergency filings past 48 hours
	UnreadMessages int `json:"unread_messages"`
}

// Counts returns the actor's to-do numbers.
func (s *Service) Counts(ctx context.Context, a *access.Actor) (Counts, error) {
	var c Counts
	count := func(dst *int, q *bun.SelectQuery) error {
		n, err := q.Count(ctx)
		*dst = n
		return err
	}
	scoped := func(states ...string) *bun.SelectQuery {
		return s.DB.R.NewSelect().TableExpr("orders AS o").Join("JOIN units AS u ON u.id = o.unit_id").
			Where("u.path LIKE ? AND o.state IN (?)", a.ScopePath+"%", bun.In(states))
	}
	var err error
	if a.HasRole(access.Approver) {
		err = count(&c.Inbox, scoped(Submitted).Where("o.applicant_id <> ?", a.UserID).
			Where("NOT EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.action = 'approve' AND e.actor_id = ?)", a.UserID))
	}
	if err == nil && a.HasRole(access.Dispatcher) {
		err = count(&c.ToDispatch, scoped(Approved))
		if err == nil {
			err = count(&c.ToReturn, scoped(Finished))
		}
		if err == nil {
			err = count(&c.Changes, s.DB.R.NewSelect().TableExpr("order_changes AS c").Join("JOIN orders AS o ON o.id = c.order_id").
				Join("JOIN units AS u ON u.id = o.unit_id").Where("u.path LIKE ? AND c.acknowledged_at IS NULL", a.ScopePath+"%"))
		}
	}
	if err == nil && a.HasRole(access.VehicleManager) {
		err = count(&c.PendingConsent, s.DB.R.NewSelect().TableExpr("orders AS o").Join("JOIN vehicles AS v ON v.id = o.vehicle_id").
			Join("JOIN units AS u ON u.id = v.unit_id").Where("u.path LIKE ? AND o.state = ?", a.ScopePath+"%", PendingConsent))
	}
	if err == nil && a.HasRole(access.Driver) {
		err = count(&c.MyTasks, s.DB.R.NewSelect().TableExpr("orders AS o").Join("JOIN drivers AS d ON d.id = o.driver_id").
			Where("d.user_id = ? AND o.state IN (?)", a.UserID, bun.In([]string{Dispatched, Departed})))
	}
	if err == nil {
		err = count(&c.ToRate, s.DB.R.NewSelect().Table("orders").Where("applicant_id = ? AND state = ?", a.UserID, Back))
	}
	if err == nil && (a.HasRole(access.VehicleManager) || a.HasRole(access.PlatformAdmin) || a.HasRole(access.UnitAdmin)) {
		err = count(&c.OverdueFilings, s.DB.R.NewSelect().TableExpr("emergency_filings AS f").Join("JOIN units AS u ON u.id = f.unit_id").
			Where("u.path LIKE ? AND f.state = 'open' AND f.deadline_at < ?", a.ScopePath+"%", s.now()))
	}
	if err == nil {
		err = count(&c.UnreadMessages, s.DB.R.NewSelect().Table("notifications").Where("user_id = ? AND read_at IS NULL", a.UserID))
	}
	return c, store.Translate(err)
}
