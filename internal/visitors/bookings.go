package visitors

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/ridehail"
	"govfleet/internal/store"
)

// Booking kinds.
const (
	KindPlatform = "platform" // a Changzhou platform vehicle, paid use (有偿使用)
	KindRental   = "rental"   // a rental vehicle of a contracted company (the hand-over flow)
	KindRide     = "ridehail" // a ride-hailing car (T3 出行 style)
)

// KindNames are the kinds' Chinese names.
var KindNames = map[string]string{KindPlatform: "平台车辆（有偿使用）", KindRental: "租赁车辆", KindRide: "网约车"}

// Booking is a visitor's booking, with what the visitor follows: the
// state, the car and the driver, the fee.
type Booking struct {
	bun.BaseModel `bun:"table:visitor_bookings"`

	ID              int64      `bun:"id,pk,autoincrement" json:"id"`
	No              string     `bun:"no" json:"no"`
	VisitorID       int64      `bun:"visitor_id" json:"-"`
	Kind            string     `bun:"kind" json:"kind"`
	OrderID         *int64     `bun:"order_id" json:"-"`
	VehicleType     string     `bun:"vehicle_type" json:"vehicle_type"`
	FeeFen          *int64     `bun:"fee_fen" json:"fee_fen"`
	MarketFen       *int64     `bun:"market_fen" json:"market_fen"` // a paid use: the market price it replaced (savings.PriceUse)
	SavingFen       *int64     `bun:"saving_fen" json:"saving_fen"`
	FeeNote         string     `bun:"fee_note" json:"fee_note"`
	Provider        string     `bun:"provider" json:"provider"`
	RideState       string     `bun:"ride_state" json:"-"`
	PickupPlace     string     `bun:"pickup_place" json:"pickup_place"`
	Destination     string     `bun:"destination" json:"destination"`
	Cities          string     `bun:"cities" json:"cities"`
	WindowStart     *time.Time `bun:"window_start" json:"window_start"`
	WindowEnd       *time.Time `bun:"window_end" json:"window_end"`
	CapFen          *int64     `bun:"cap_fen" json:"cap_fen"`
	ProviderAppID   string     `bun:"provider_app_id" json:"-"`
	ProviderOrderID string     `bun:"provider_order_id" json:"provider_order_id"`
	DriverName      string     `bun:"driver_name" json:"driver_name"`
	DriverPhone     string     `bun:"driver_phone" json:"driver_phone"`
	CarPlate        string     `bun:"car_plate" json:"car_plate"`
	CarDesc         string     `bun:"car_desc" json:"car_desc"`
	FinishedAt      *time.Time `bun:"finished_at" json:"finished_at"`
	Rating          *int       `bun:"rating" json:"rating"`
	RatingComment   string     `bun:"rating_comment" json:"rating_comment"`
	RatedAt         *time.Time `bun:"rated_at" json:"rated_at"`
	CancelledAt     *time.Time `bun:"cancelled_at" json:"cancelled_at"`
	CancelledBy     string     `bun:"cancelled_by" json:"cancelled_by"`
	CancelReason    string     `bun:"cancel_reason" json:"cancel_reason"`
	CreatedAt       time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at" json:"-"`

	VisitorName  string     `bun:"visitor_name,scanonly" json:"visitor_name"`
	VisitorUser  int64      `bun:"visitor_user,scanonly" json:"-"`
	HomeCity     string     `bun:"home_city,scanonly" json:"home_city"`
	HomeUnit     string     `bun:"home_unit,scanonly" json:"home_unit"`
	HostUnitName string     `bun:"host_unit_name,scanonly" json:"host_unit_name"`
	HostUnitPath string     `bun:"host_unit_path,scanonly" json:"-"`
	OrderNo      string     `bun:"order_no,scanonly" json:"order_no"`
	OrderState   string     `bun:"order_state,scanonly" json:"-"`
	OrderReason  string     `bun:"order_reason,scanonly" json:"reason"`
	OrderPickup  *time.Time `bun:"order_pickup,scanonly" json:"-"`
	OrderReturn  *time.Time `bun:"order_return,scanonly" json:"-"`
	OrderDest    string     `bun:"order_dest,scanonly" json:"-"`
	OrderPlace   string     `bun:"order_place,scanonly" json:"-"`
	Plate        string     `bun:"plate,scanonly" json:"-"`
	VehicleDesc  string     `bun:"vehicle_desc,scanonly" json:"-"`
	ODriver      string     `bun:"o_driver,scanonly" json:"-"`
	ODriverPhone string     `bun:"o_driver_phone,scanonly" json:"-"`
	ORating      *int       `bun:"o_rating,scanonly" json:"-"`
	RPlate       string     `bun:"r_plate,scanonly" json:"-"`
	RModel       string     `bun:"r_model,scanonly" json:"-"`
	RDriver      string     `bun:"r_driver,scanonly" json:"-"`
	RDriverPhone string     `bun:"r_driver_phone,scanonly" json:"-"`
	RFee         *int64     `bun:"r_fee,scanonly" json:"-"`
	RCompany     string     `bun:"r_company,scanonly" json:"-"`

	KindName  string     `bun:"-" json:"kind_name"`
	State     string     `bun:"-" json:"state"` // what the visitor sees: waiting, assigned, on the way, done, rate
	StateName string     `bun:"-" json:"state_name"`
	StartAt   *time.Time `bun:"-" json:"start_at"`
	EndAt     *time.Time `bun:"-" json:"end_at"`
	CanRate   bool       `bun:"-" json:"can_rate"`
	CanCancel bool       `bun:"-" json:"can_cancel"` // cancel.go
	Company   string     `bun:"-" json:"company"`    // the rental company
	Month     string     `bun:"-" json:"month"`
}

func (s *Service) selectBookings(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Booking)(nil)).ModelTableExpr("visitor_bookings AS b").ColumnExpr("b.*").
		ColumnExpr("v.name AS visitor_name, v.user_id AS visitor_user, v.home_city, v.home_unit").
		ColumnExpr("hu.name AS host_unit_name, hu.path AS host_unit_path").
		ColumnExpr("o.no AS order_no, o.state AS order_state, o.reason AS order_reason, o.pickup_at AS order_pickup, o.return_at AS order_return").
		ColumnExpr("o.destinations AS order_dest, o.pickup_place AS order_place, o.rating AS o_rating").
		ColumnExpr("veh.plate AS plate, veh.brand || ' ' || veh.model AS vehicle_desc, d.name AS o_driver, d.phone AS o_driver_phone").
		ColumnExpr("rv.plate AS r_plate, rv.model AS r_model, rd.name AS r_driver, rd.phone AS r_driver_phone, ro.fee_fen AS r_fee, rc.name AS r_company").
		Join("JOIN visitors AS v ON v.id = b.visitor_id").
		Join("JOIN units AS hu ON hu.id = v.host_unit_id").
		Join("LEFT JOIN orders AS o ON o.id = b.order_id").
		Join("LEFT JOIN vehicles AS veh ON veh.id = o.vehicle_id").
		Join("LEFT JOIN drivers AS d ON d.id = o.driver_id").
		Join("LEFT JOIN rental_orders AS ro ON ro.order_id = o.id").
		Join("LEFT JOIN rental_vehicles AS rv ON rv.id = ro.vehicle_id").
		Join("LEFT JOIN rental_drivers AS rd ON rd.id = ro.driver_id").
		Join("LEFT JOIN companies AS rc ON rc.id = ro.company_id")
}

// fill computes what the visitor sees from the order or the ride.
func (b *Booking) fill() {
	b.KindName = KindNames[b.Kind]
	if b.Kind == KindRide {
		b.State, b.StateName = b.RideState, ridehail.StateNames[b.RideState]
		b.StartAt, b.EndAt = b.WindowStart, b.WindowEnd
		b.CanRate = b.Rating == nil && (b.RideState == ridehail.Finished || b.RideState == ridehail.Paid)
	} else {
		b.State, b.StateName = b.OrderState, booking.StateNames[b.OrderState]
		b.StartAt, b.EndAt = b.OrderPickup, b.OrderReturn
		b.PickupPlace = b.OrderPlace
		b.Destination = strings.Trim(strings.NewReplacer(`","`, "、", `"`, "").Replace(b.OrderDest), "[]")
		b.Rating = b.ORating
		b.CanRate = b.OrderState == booking.Back
		if b.Plate != "" {
			b.CarPlate, b.CarDesc, b.DriverName, b.DriverPhone = b.Plate, b.VehicleDesc, b.ODriver, b.ODriverPhone
		} else if b.RPlate != "" || b.RDriver != "" {
			b.CarPlate, b.CarDesc, b.DriverName, b.DriverPhone = b.RPlate, b.RModel, b.RDriver, b.RDriverPhone
		}
		if b.Kind == KindRental && b.RFee != nil {
			b.FeeFen = b.RFee
		}
		b.Company = b.RCompany
		if b.OrderState == booking.Rental && b.RCompany != "" {
			b.StateName = "租赁公司安排中"
			if b.RPlate != "" {
				b.StateName = "租赁公司已派车"
			}
		}
	}
	if b.StartAt != nil {
		b.Month = beijing.Month(*b.StartAt)
	}
	b.CanCancel = cancellable(b)
}

// BookInput is a visitor's booking.
type BookInput struct {
	Kind           string    `json:"kind"`
	Reason         string    `json:"reason" max:"200"`
	PassengerCount int       `json:"passenger_count"`
	PickupPlace    string    `json:"pickup_place" max:"100"`
	Destination    string    `json:"destination" max:"100"`
	StartAt        time.Time `json:"start_at"`
	EndAt          time.Time `json:"end_at"`
	OutOfCity      bool      `json:"out_of_city"`
	Cities         string    `json:"cities" max:"100"` // ride-hailing: the cities it may run in
	CapFen         int64     `json:"cap_fen"`          // ride-hailing: the amount cap
}

// verified returns the caller's registration, refusing one that is not
// verified.
func (s *Service) verified(ctx context.Context, db bun.IDB, a *access.Actor) (*Visitor, error) {
	v, err := s.loadVisitor(ctx, db, "v.user_id = ?", a.UserID)
	if err != nil {
		return nil, errs.E(errs.Forbidden, "您还没有来访登记，不能预约用车")
	}
	switch v.State {
	case Pending:
		return nil, errs.E(errs.Forbidden, "您的来访登记正在等待「%s」核验，核验通过后才能预约用车", v.HostUnitName)
	case Refused:
		return nil, errs.E(errs.Forbidden, "您的来访登记核验未通过（%s），不能预约用车；如有疑问请联系「%s」", v.Reason, v.HostUnitName)
	}
	return v, nil
}

// city is the top node: the visitors' orders are the city's (R-19: the
// city dispatcher serves them).
func city(ctx context.Context, db bun.IDB) (int64, string, error) {
	var id int64
	var path string
	err := db.NewSelect().Table("units").Column("id", "path").Where("kind = 'city'").OrderExpr("id").Limit(1).Scan(ctx, &id, &path)
	return id, path, store.Translate(err)
}

// Book books a car for a verified visitor. A platform vehicle or a rental
// vehicle becomes an order of the city waiting for its dispatcher; a
// ride-hailing car becomes an application at the provider, created before
// anything is written (the provider refusing or unreachable: nothing is).
func (s *Service) Book(ctx context.Context, a *access.Actor, in BookInput) (*Booking, error) {
	v, err := s.verified(ctx, s.DB.R, a)
	if err != nil {
		s.recordRefusal(ctx, a, err)
		return nil, err
	}
	in.Reason, in.PickupPlace, in.Destination, in.Cities = strings.TrimSpace(in.Reason), strings.TrimSpace(in.PickupPlace), strings.TrimSpace(in.Destination), strings.TrimSpace(in.Cities)
	var f errs.Fields
	f.Check(!slices.Contains([]string{KindPlatform, KindRental, KindRide}, in.Kind), "kind", "请选择用车方式")
	f.Check(in.PickupPlace == "", "pickup_place", "请填写上车地点")
	f.Check(in.Destination == "", "destination", "请填写目的地")
	f.Check(in.StartAt.IsZero(), "start_at", "请选择用车时间")
	f.Check(!in.StartAt.IsZero() && !in.EndAt.After(in.StartAt), "end_at", "结束时间须晚于用车时间")
	f.Check(!in.StartAt.IsZero() && in.StartAt.Before(s.now().Add(-5*time.Minute)), "start_at", "用车时间已过，请重新选择")
	f.Check(utf8.RuneCountInString(in.Reason) > 200, "reason", "事由不能超过200字")
	if in.Kind == KindRide {
		lim := s.limits()
		f.Check(in.CapFen <= 0, "cap_fen", "请填写费用上限")
		if in.CapFen > lim.MaxCapFen {
			f.Add("cap_fen", fmt.Sprintf("费用上限不能超过%s元", money.Yuan(lim.MaxCapFen)))
		}
		f.Check(!in.StartAt.IsZero() && in.EndAt.Sub(in.StartAt) > 24*time.Hour, "end_at", "网约车用车时段不能超过24小时")
		if in.Cities == "" {
			in.Cities = "常州"
		}
	} else {
		f.Check(in.Reason == "", "reason", "请填写用车事由")
		f.Check(in.PassengerCount < 1, "passenger_count", "乘车人数至少为1人")
	}
	if err := f.Err(); err != nil {
		s.recordRefusal(ctx, a, err)
		return nil, err
	}
	if in.Kind == KindRide {
		return s.bookRide(ctx, a, v, in)
	}
	note := fmt.Sprintf("来访人员有偿使用平台车辆：%s（%s %s）", v.Name, v.HomeCity, v.HomeUnit)
	if in.Kind == KindRental {
		note = fmt.Sprintf("来访人员租赁用车，请转租赁公司：%s（%s %s）", v.Name, v.HomeCity, v.HomeUnit)
	}
	var id int64
	var msgs []notify.Message
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		cityID, _, err := city(ctx, tx)
		if err != nil {
			return err
		}
		o, m, err := s.Booking.CreateForVisitor(ctx, tx, a, cityID, booking.Input{Reason: in.Reason, Passengers: v.Name, PassengerCount: in.PassengerCount,
			ContactPhone: v.Mobile, PickupPlace: in.PickupPlace, Destinations: []string{in.Destination}, PickupAt: in.StartAt, ReturnAt: in.EndAt,
			OutOfCity: in.OutOfCity, Category: "other"}, note)
		if err != nil {
			return err
		}
		msgs = m
		b := &Booking{VisitorID: v.ID, Kind: in.Kind, OrderID: &o.ID, PickupPlace: in.PickupPlace, Destination: in.Destination}
		id, err = s.insertBooking(ctx, tx, a, v, b, o.No)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msgs...)
	return s.loadBooking(ctx, s.DB.R, id)
}

// recordRefusal writes a refused booking in the audit log on its own.
func (s *Service) recordRefusal(ctx context.Context, a *access.Actor, refusal error) {
	_ = s.DB.Tx(context.WithoutCancel(ctx), func(tx bun.Tx) error {
		var e *errs.Error
		msg := refusal.Error()
		if errors.As(refusal, &e) {
			msg = e.Message
			for _, m := range e.Fields {
				msg += "；" + m
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actBook, ObjectType: audit.VisitorBooking, ScopePath: a.ScopePath,
			Summary: "来访人员预约用车被拒绝：" + msg})
	})
}

func (s *Service) insertBooking(ctx context.Context, tx bun.Tx, a *access.Actor, v *Visitor, b *Booking, ref string) (int64, error) {
	now := s.now()
	b.No, b.CreatedAt, b.UpdatedAt = fmt.Sprintf("pending-%d", now.UnixNano()), now, now
	if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
		return 0, err
	}
	if b.No == "" || strings.HasPrefix(b.No, "pending-") {
		b.No = fmt.Sprintf("FK%s%05d", now.In(beijing.Zone).Format("20060102"), b.ID%100000)
		if _, err := tx.NewUpdate().Model(b).Column("no").WherePK().Exec(ctx); err != nil {
			return 0, err
		}
	}
	summary := fmt.Sprintf("来访人员%s预约%s %s", v.Name, KindNames[b.Kind], b.No)
	if ref != "" {
		summary += "（用车订单 " + ref + "）"
	}
	return b.ID, audit.Record(ctx, tx, a, audit.Event{Action: actBook, ObjectType: audit.VisitorBooking, ObjectID: b.ID, ScopePath: v.HostUnitPath,
		Summary: summary, After: map[string]any{"kind": b.Kind, "no": b.No, "cap_fen": b.CapFen}})
}

// bookRide creates the application at the provider, then writes the
// booking; the number is reserved first so the provider echoes it.
func (s *Service) bookRide(ctx context.Context, a *access.Actor, v *Visitor, in BookInput) (*Booking, error) {
	if s.Ride == nil {
		err := errs.E(errs.Conflict, "平台未接入网约车服务，请选择平台车辆或租赁车辆")
		s.recordRefusal(ctx, a, err)
		return nil, err
	}
	now := s.now()
	ref := fmt.Sprintf("FK%s%s", now.In(beijing.Zone).Format("20060102"), randHex(3))
	cities := strings.FieldsFunc(in.Cities, func(r rune) bool { return r == '、' || r == ',' || r == '，' || r == ' ' })
	appID, err := s.Ride.Create(ctx, ridehail.Application{Ref: ref, PassengerName: v.Name, PassengerMobile: v.Mobile,
		StartAt: in.StartAt.UTC(), EndAt: in.EndAt.UTC(), Cities: cities, PickupPlace: in.PickupPlace, Destination: in.Destination,
		AmountCapFen: in.CapFen, CallbackURL: s.CallbackURL})
	if err != nil {
		var re *ridehail.RemoteError
		out := errs.E(errs.Conflict, "网约车服务（%s）暂时无法连接，请稍后再试或改约平台车辆", s.Ride.Name())
		if errors.As(err, &re) {
			out = errs.E(errs.Conflict, "网约车服务（%s）拒绝了用车申请：%s", s.Ride.Name(), re.Message)
		}
		s.recordRefusal(ctx, a, out)
		return nil, out
	}
	ws, we, capFen := in.StartAt.UTC(), in.EndAt.UTC(), in.CapFen
	var id int64
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		b := &Booking{No: ref, VisitorID: v.ID, Kind: KindRide, Provider: s.Ride.Name(), RideState: ridehail.Created, PickupPlace: in.PickupPlace,
			Destination: in.Destination, Cities: strings.Join(cities, "、"), WindowStart: &ws, WindowEnd: &we, CapFen: &capFen, ProviderAppID: appID}
		b.CreatedAt, b.UpdatedAt = now, now
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return err
		}
		id = b.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actBook, ObjectType: audit.VisitorBooking, ObjectID: b.ID, ScopePath: v.HostUnitPath,
			Summary: fmt.Sprintf("来访人员%s预约网约车 %s（%s，上限 %s 元）", v.Name, ref, s.Ride.Name(), money.Yuan(capFen)),
			After:   map[string]any{"kind": b.Kind, "no": ref, "cap_fen": capFen, "application": appID}})
	})
	if err != nil {
		return nil, err
	}
	return s.loadBooking(ctx, s.DB.R, id)
}

func randHex(n int) string { return strings.ToUpper(fmt.Sprintf("%x", randBytes(n))) }

func (s *Service) loadBooking(ctx context.Context, db bun.IDB, id int64) (*Booking, error) {
	b := new(Booking)
	if err := s.selectBookings(db).Where("b.id = ?", id).Scan(ctx, b); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "来访用车不存在"))
	}
	b.fill()
	return b, nil
}

// MyBookings lists the caller's own bookings, newest first.
func (s *Service) MyBookings(ctx context.Context, a *access.Actor) ([]*Booking, error) {
	var out []*Booking
	if err := s.selectBookings(s.DB.R).Where("v.user_id = ?", a.UserID).OrderExpr("b.id DESC").Limit(200).Scan(ctx, &out); err != nil {
		return nil, store.Translate(err)
	}
	for _, b := range out {
		b.fill()
	}
	if out == nil {
		out = []*Booking{}
	}
	return out, nil
}

// Detail is a booking with its timeline.
type Detail struct {
	*Booking
	Events []TimelineEvent `json:"events"`
}

// TimelineEvent is a line of a booking's timeline.
type TimelineEvent struct {
	At   time.Time `json:"at"`
	What string    `json:"what"`
	Note string    `json:"note"`
}

// MyBooking returns one of the caller's own bookings with its timeline.
func (s *Service) MyBooking(ctx context.Context, a *access.Actor, id int64) (*Detail, error) {
	b, err := s.loadBooking(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if b.VisitorUser != a.UserID {
		return nil, errs.E(errs.Forbidden, "只能查看本人的来访用车")
	}
	if b.Kind == KindPlatform && b.FeeFen == nil && (b.OrderState == booking.Back || b.OrderState == booking.Closed) {
		if n, err := s.SettleFees(ctx, id); err != nil {
			return nil, err
		} else if n > 0 {
			if b, err = s.loadBooking(ctx, s.DB.R, id); err != nil {
				return nil, err
			}
		}
	}
	return s.detail(ctx, b)
}

func (s *Service) detail(ctx context.Context, b *Booking) (*Detail, error) {
	d := &Detail{Booking: b, Events: []TimelineEvent{}}
	if b.OrderID != nil {
		var evs []struct {
			At     time.Time `bun:"at"`
			Action string    `bun:"action"`
			Note   string    `bun:"note"`
		}
		if err := s.DB.R.NewSelect().Table("order_events").Column("at", "action", "note").Where("order_id = ?", *b.OrderID).OrderExpr("id").Scan(ctx, &evs); err != nil {
			return nil, store.Translate(err)
		}
		for _, e := range evs {
			d.Events = append(d.Events, TimelineEvent{At: e.At, What: booking.ActionNames[e.Action], Note: e.Note})
		}
		return d, nil
	}
	var evs []struct {
		At      time.Time `bun:"received_at"`
		Status  string    `bun:"status"`
		FeeFen  *int64    `bun:"fee_fen"`
		Verdict string    `bun:"verdict"`
	}
	if err := s.DB.R.NewSelect().Table("ride_callbacks").Column("received_at", "status", "fee_fen", "verdict").
		Where("booking_id = ? AND verdict = 'applied'", b.ID).OrderExpr("id").Scan(ctx, &evs); err != nil {
		return nil, store.Translate(err)
	}
	d.Events = append(d.Events, TimelineEvent{At: b.CreatedAt, What: "提交网约车用车申请", Note: b.Provider})
	for _, e := range evs {
		if e.Status == ridehail.Cancelled && b.CancelledAt != nil {
			continue // the cancel's own line says who and why
		}
		note := ""
		if e.FeeFen != nil {
			note = "费用 " + money.Yuan(*e.FeeFen) + " 元"
		}
		d.Events = append(d.Events, TimelineEvent{At: e.At, What: ridehail.StateNames[e.Status], Note: note})
	}
	if b.CancelledAt != nil {
		d.Events = append(d.Events, cancelEvent(b))
		sort.SliceStable(d.Events, func(i, j int) bool { return d.Events[i].At.Before(d.Events[j].At) })
	}
	if b.RatedAt != nil && b.Rating != nil {
		d.Events = append(d.Events, TimelineEvent{At: *b.RatedAt, What: "评价", Note: fmt.Sprintf("%d星 %s", *b.Rating, b.RatingComment)})
	}
	return d, nil
}

// RateInput is a visitor's rating.
type RateInput struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment" max:"300"`
}

// Rate rates one of the caller's bookings once it ran: a platform or
// rental vehicle's through its order (as an applicant rates), a ride on
// the booking.
func (s *Service) Rate(ctx context.Context, a *access.Actor, id int64, in RateInput) (*Detail, error) {
	b, err := s.loadBooking(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if b.VisitorUser != a.UserID {
		return nil, errs.E(errs.Forbidden, "只能评价本人的来访用车")
	}
	if b.OrderID != nil {
		if _, err := s.Booking.Rate(ctx, a, *b.OrderID, in.Rating, in.Comment); err != nil {
			return nil, err
		}
		return s.MyBooking(ctx, a, id)
	}
	in.Comment = strings.TrimSpace(in.Comment)
	var f errs.Fields
	f.Check(in.Rating < 1 || in.Rating > 5, "rating", "评分须为1至5星")
	f.Check(utf8.RuneCountInString(in.Comment) > 300, "comment", "评价不能超过300字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		now := s.now()
		res, err := tx.NewRaw("UPDATE visitor_bookings SET rating = ?, rating_comment = ?, rated_at = ?, updated_at = ? WHERE id = ? AND rating IS NULL AND ride_state IN (?)",
			in.Rating, in.Comment, now, now, id, bun.In([]string{ridehail.Finished, ridehail.Paid})).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "网约车 %s 当前为「%s」，不能评价（行程结束后可评价一次）", b.No, b.StateName)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRideRate, ObjectType: audit.VisitorBooking, ObjectID: id, ScopePath: b.HostUnitPath,
			Summary: fmt.Sprintf("来访人员%s评价网约车 %s：%d星 %s", b.VisitorName, b.No, in.Rating, in.Comment)})
	})
	if err != nil {
		return nil, err
	}
	return s.MyBooking(ctx, a, id)
}

// BookingFilter selects bookings for the console.
type BookingFilter struct {
	UnitID int64  // host units in this subtree (0: the caller's scope)
	Kind   string // platform | rental | ridehail
	Month  string // YYYY-MM of the booking's start (Beijing)
	Q      string // part of the number, visitor, home city or unit
}

// Bookings lists the bookings of visitors whose host unit lies in the
// caller's scope.
func (s *Service) Bookings(ctx context.Context, a *access.Actor, f BookingFilter, page, size int) ([]*Booking, int, error) {
	base, err := s.base(ctx, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	q := s.selectBookings(s.DB.R).Where("hu.path LIKE ?", base+"%")
	if f.Kind != "" {
		q = q.Where("b.kind = ?", f.Kind)
	}
	if f.Month != "" {
		from, err := beijing.ParseMonth(f.Month)
		if err != nil {
			return nil, 0, (&errs.Fields{"month": "月份格式应为 YYYY-MM"}).Err()
		}
		to := from.AddDate(0, 1, 0)
		q = q.Where("COALESCE(o.pickup_at, b.window_start) >= ? AND COALESCE(o.pickup_at, b.window_start) < ?", from.UTC(), to.UTC())
	}
	if t := strings.TrimSpace(f.Q); t != "" {
		t = "%" + strings.NewReplacer("%", "", "_", "").Replace(t) + "%"
		q = q.Where("(b.no LIKE ? OR v.name LIKE ? OR v.home_city LIKE ? OR v.home_unit LIKE ? OR o.no LIKE ?)", t, t, t, t, t)
	}
	var out []*Booking
	n, err := q.OrderExpr("b.id DESC").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, b := range out {
		b.fill()
	}
	return out, n, nil
}
