package rental

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/booking"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Rental order states.
const (
	Handed    = "handed"    // 待安排车辆
	Assigned  = "assigned"  // 已安排
	Completed = "completed" // 已完成
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{Handed: "待安排车辆", Assigned: "已安排车辆", Completed: "已完成"}

// Order is an order handed to a rental company, with the trip's details
// the company needs and what it did.
type Order struct {
	bun.BaseModel `bun:"table:rental_orders"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	OrderID      int64      `bun:"order_id" json:"order_id"`
	CompanyID    int64      `bun:"company_id" json:"company_id"`
	UnitID       int64      `bun:"unit_id" json:"unit_id"`
	State        string     `bun:"state" json:"state"`
	VehicleID    *int64     `bun:"vehicle_id" json:"vehicle_id"`
	DriverID     *int64     `bun:"driver_id" json:"driver_id"`
	StartMileage *int       `bun:"start_mileage" json:"start_mileage"`
	EndMileage   *int       `bun:"end_mileage" json:"end_mileage"`
	StartedAt    *time.Time `bun:"started_at" json:"started_at"`
	EndedAt      *time.Time `bun:"ended_at" json:"ended_at"`
	FeeFen       *int64     `bun:"fee_fen" json:"fee_fen"`
	OnTime       *bool      `bun:"on_time" json:"on_time"`
	Month        string     `bun:"month" json:"month"`
	HandedBy     *int64     `bun:"handed_by" json:"-"`
	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at" json:"updated_at"`

	OrderNo        string    `bun:"order_no,scanonly" json:"order_no"`
	OrderState     string    `bun:"order_state,scanonly" json:"order_state"`
	Reason         string    `bun:"reason,scanonly" json:"reason"`
	ApplicantName  string    `bun:"applicant_name,scanonly" json:"applicant_name"`
	ContactPhone   string    `bun:"contact_phone,scanonly" json:"contact_phone"`
	PassengerCount int       `bun:"passenger_count,scanonly" json:"passenger_count"`
	PickupPlace    string    `bun:"pickup_place,scanonly" json:"pickup_place"`
	Destinations   string    `bun:"destinations,scanonly" json:"destinations"`
	PickupAt       time.Time `bun:"pickup_at,scanonly" json:"pickup_at"`
	ReturnAt       time.Time `bun:"return_at,scanonly" json:"return_at"`
	Rating         *int      `bun:"rating,scanonly" json:"rating"`
	RatingComment  string    `bun:"rating_comment,scanonly" json:"rating_comment"`
	UnitName       string    `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath       string    `bun:"unit_path,scanonly" json:"-"`
	CompanyName    string    `bun:"company_name,scanonly" json:"company_name"`
	Plate          string    `bun:"plate,scanonly" json:"plate"`
	VehicleModel   string    `bun:"vehicle_model,scanonly" json:"vehicle_model"`
	DriverName     string    `bun:"driver_name,scanonly" json:"driver_name"`
	DriverPhone    string    `bun:"driver_phone,scanonly" json:"driver_phone"`
	StateName      string    `bun:"-" json:"state_name"`
}

func selectOrders(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Order)(nil)).ModelTableExpr("rental_orders AS r").
		ColumnExpr("r.*").
		ColumnExpr("o.no AS order_no, o.state AS order_state, o.reason, o.applicant_name, o.contact_phone, o.passenger_count, o.pickup_place, o.destinations, o.pickup_at, o.return_at, o.rating, o.rating_comment").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path, c.name AS company_name").
		ColumnExpr("v.plate, v.model AS vehicle_model, d.name AS driver_name, d.phone AS driver_phone").
		Join("JOIN orders AS o ON o.id = r.order_id").
		Join("JOIN units AS u ON u.id = r.unit_id").
		Join("JOIN companies AS c ON c.id = r.company_id").
		Join("LEFT JOIN rental_vehicles AS v ON v.id = r.vehicle_id").
		Join("LEFT JOIN rental_drivers AS d ON d.id = r.driver_id")
}

func (s *Service) load(ctx context.Context, db bun.IDB, id int64) (*Order, error) {
	r := new(Order)
	if err := selectOrders(db).Where("r.id = ?", id).Scan(ctx, r); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "租赁订单不存在或已删除"))
	}
	r.StateName = StateNames[r.State]
	return r, nil
}

// sees: the company its own orders (inside its contracts), staff those of
// its scope.
func sees(a *access.Actor, r *Order) bool {
	if a.CompanyID != 0 {
		return r.CompanyID == a.CompanyID && a.Covers(r.UnitPath)
	}
	return a.Covers(r.UnitPath)
}

// Company is a rental company that may take an order.
type Company struct {
	ID    int64  `bun:"id" json:"id"`
	Name  string `bun:"name" json:"name"`
	Phone string `bun:"phone" json:"phone"`
}

// companiesCovering returns the active rental companies with a contract in
// force today covering the node with path (one when id is not 0).
func (s *Service) companiesCovering(ctx context.Context, db bun.IDB, path string, id int64) ([]*Company, error) {
	today := beijing.Date(s.now())
	out := []*Company{}
	q := db.NewSelect().TableExpr("companies AS c").ColumnExpr("DISTINCT c.id, c.name, c.phone").
		Join("JOIN company_contracts AS k ON k.company_id = c.id").
		Join("JOIN units AS n ON n.id = k.unit_id").
		Where("c.kind = 'rental' AND c.active = ? AND k.starts_on <= ? AND (k.ends_on IS NULL OR k.ends_on >= ?)", true, today, today).
		Where("? LIKE n.path || '%'", path)
	if id != 0 {
		q = q.Where("c.id = ?", id)
	}
	err := q.OrderExpr("c.name").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Companies lists the rental companies an order may be handed to.
func (s *Service) Companies(ctx context.Context, a *access.Actor, orderID int64) ([]*Company, error) {
	d, err := s.Booking.Get(ctx, a, orderID)
	if err != nil {
		return nil, err
	}
	if !a.HasRole(access.Dispatcher) || !a.Covers(d.UnitPath) {
		return nil, errs.E(errs.Forbidden, "只有调度员可以转租赁")
	}
	return s.companiesCovering(ctx, s.DB.R, d.UnitPath, 0)
}

// HandOverInput names the company and why own vehicles cannot serve.
type HandOverInput struct {
	CompanyID int64  `json:"company_id"`
	Reason    string `json:"reason" max:"500"`
}

// HandOver hands an approved order to a rental company whose contract
// covers the ordering unit (R-21: own vehicles first, then rental).
func (s *Service) HandOver(ctx context.Context, a *access.Actor, orderID int64, in HandOverInput) (*booking.Order, error) {
	if in.CompanyID == 0 {
		return nil, (&errs.Fields{"company_id": "请选择租赁公司"}).Err()
	}
	var users []int64
	var name string
	o, err := s.Booking.ToRental(ctx, a, orderID, strings.TrimSpace(in.Reason), func(tx bun.Tx, o *booking.Order) error {
		cs, err := s.companiesCovering(ctx, tx, o.UnitPath, in.CompanyID)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return (&errs.Fields{"company_id": "该公司不是本单位的合同租赁公司（无有效合同覆盖该单位）"}).Err()
		}
		name = cs[0].Name
		now := s.now()
		r := &Order{OrderID: o.ID, CompanyID: in.CompanyID, UnitID: o.UnitID, State: Handed, Month: beijing.Month(o.PickupAt),
			HandedBy: &a.UserID, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(r).Exec(ctx); err != nil {
			return err
		}
		if err := tx.NewSelect().Table("users").Column("id").Where("company_id = ? AND active = ?", in.CompanyID, true).Scan(ctx, &users); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalHandover, ObjectType: audit.RentalOrder, ObjectID: r.ID, ScopePath: o.UnitPath,
			Summary: fmt.Sprintf("订单 %s 转租赁公司 %s", o.No, name), After: r})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notify.Message{Users: users, Kind: "rental", Title: "新的租赁用车订单",
		Body: fmt.Sprintf("%s %s %s", o.No, o.PickupPlace, o.PickupAt.In(beijing.Zone).Format("01-02 15:04")), Link: "/rental-orders"})
	return o, nil
}

// Filter selects rental orders.
type Filter struct {
	State string
	Month string
}

// List returns the rental orders the actor sees, newest pickup first.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Order, int, error) {
	out := []*Order{}
	q := selectOrders(s.DB.R)
	if a.CompanyID != 0 {
		q = q.Where("r.company_id = ?", a.CompanyID)
	}
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range a.ScopePaths() {
			q = q.WhereOr("u.path LIKE ?", p+"%")
		}
		return q.WhereOr("1 = 0")
	})
	if f.State != "" {
		q = q.Where("r.state = ?", f.State)
	}
	if f.Month != "" {
		q = q.Where("r.month = ?", f.Month)
	}
	n, err := q.Order("o.pickup_at DESC").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, r := range out {
		r.StateName = StateNames[r.State]
	}
	return out, n, nil
}

// AssignInput names the company's vehicle and driver for an order.
type AssignInput struct {
	VehicleID int64 `json:"vehicle_id"`
	DriverID  int64 `json:"driver_id"`
}

// Assign puts one of the company's active vehicles and drivers on the
// order (again, until the trip is recorded); the passenger is told who
// comes.
func (s *Service) Assign(ctx context.Context, a *access.Actor, id int64, in AssignInput) (*Order, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	var r *Order
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var err error
		if r, err = s.lock(ctx, tx, a, id); err != nil {
			return err
		}
		if r.State == Completed {
			return errs.E(errs.Conflict, "订单 %s 已完成，不能再安排车辆", r.OrderNo)
		}
		var f errs.Fields
		var v Vehicle
		var d Driver
		if tx.NewSelect().Model(&v).Where("id = ? AND company_id = ? AND active = ?", in.VehicleID, a.CompanyID, true).Scan(ctx) != nil {
			f.Add("vehicle_id", "请选择本公司在用的车辆")
		} else if v.Seats-1 < r.PassengerCount {
			f.Add("vehicle_id", fmt.Sprintf("座位不足（%d座，需载%d人）", v.Seats, r.PassengerCount))
		}
		if tx.NewSelect().Model(&d).Where("id = ? AND company_id = ? AND active = ?", in.DriverID, a.CompanyID, true).Scan(ctx) != nil {
			f.Add("driver_id", "请选择本公司在岗的驾驶员")
		}
		if err := f.Err(); err != nil {
			return err
		}
		before := *r
		r.VehicleID, r.DriverID, r.State, r.UpdatedAt = &v.ID, &d.ID, Assigned, s.now()
		if _, err := tx.NewUpdate().Model(r).Column("vehicle_id", "driver_id", "state", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		r.Plate, r.VehicleModel, r.DriverName, r.DriverPhone = v.Plate, v.Model, d.Name, d.Phone
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalAssign, ObjectType: audit.RentalOrder, ObjectID: r.ID, ScopePath: r.UnitPath,
			Summary: fmt.Sprintf("订单 %s 安排租赁车辆 %s，驾驶员 %s %s", r.OrderNo, v.Plate, d.Name, d.Phone), Before: before, After: r})
	})
	if err != nil {
		return nil, err
	}
	var applicant int64
	if err := s.DB.R.NewSelect().Table("orders").Column("applicant_id").Where("id = ?", r.OrderID).Scan(ctx, &applicant); err == nil {
		s.Notify.Send(ctx, notify.Message{Users: []int64{applicant}, Kind: "order", Title: "租赁车辆已安排",
			Body: fmt.Sprintf("%s %s，驾驶员 %s %s", r.OrderNo, r.Plate, r.DriverName, r.DriverPhone), Link: fmt.Sprintf("/orders/%d", r.OrderID), SMS: true})
	}
	return s.load(ctx, s.DB.R, id)
}

// lock locks and loads a rental order of the actor's company.
func (s *Service) lock(ctx context.Context, tx bun.IDB, a *access.Actor, id int64) (*Order, error) {
	if _, err := tx.NewRaw("UPDATE rental_orders SET updated_at = updated_at WHERE id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	r, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, r) {
		return nil, errs.E(errs.Forbidden, "该租赁订单不属于本公司")
	}
	return r, nil
}

// UsageInput is what the company records after the trip.
type UsageInput struct {
	StartMileage int       `json:"start_mileage"` // km
	EndMileage   int       `json:"end_mileage"`
	StartedAt    time.Time `json:"started_at"`
	EndedAt      time.Time `json:"ended_at"`
	FeeFen       int64     `json:"fee_fen"`
}

// RecordUsage records the trip's mileage, times and fee; the fee
// goes to the cost ledger and the order waits for the passenger's rating,
// all in one transaction.
func (s *Service) RecordUsage(ctx context.Context, a *access.Actor, id int64, in UsageInput) (*Order, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	var f errs.Fields
	f.Check(in.StartMileage < 0 || in.StartMileage > 5000000, "start_mileage", "请填写出车时的里程表读数（公里）")
	f.Check(in.EndMileage < in.StartMileage, "end_mileage", "结束里程不能小于出车里程")
	f.Check(in.EndMileage-in.StartMileage > 5000, "end_mileage", "本次行驶超过5000公里，请核对里程表读数")
	f.Check(in.StartedAt.IsZero(), "started_at", "请填写出车时间")
	f.Check(!in.EndedAt.After(in.StartedAt), "ended_at", "结束时间须晚于出车时间")
	f.Check(in.EndedAt.After(s.now().Add(5*time.Minute)), "ended_at", "结束时间不能晚于现在")
	f.Check(in.FeeFen < 0 || in.FeeFen > 10000000, "fee_fen", "费用须在0至10万元之间")
	if err := f.Err(); err != nil {
		return nil, err
	}
	r, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, r) {
		return nil, errs.E(errs.Forbidden, "该租赁订单不属于本公司")
	}
	text := fmt.Sprintf("租赁车辆 %s 行驶 %d 公里，费用 %d.%02d 元", r.Plate, in.EndMileage-in.StartMileage, in.FeeFen/100, in.FeeFen%100)
	_, err = s.Booking.RentalDone(ctx, a, r.OrderID, text, func(tx bun.Tx, o *booking.Order) error {
		r, err := s.lock(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if r.State != Assigned {
			return errs.E(errs.Conflict, "订单 %s 当前为「%s」，不能登记用车", r.OrderNo, r.StateName)
		}
		before := *r
		onTime := !in.StartedAt.After(o.PickupAt.Add(Grace))
		started, ended := in.StartedAt.UTC(), in.EndedAt.UTC()
		r.StartMileage, r.EndMileage, r.StartedAt, r.EndedAt, r.FeeFen, r.OnTime = &in.StartMileage, &in.EndMileage, &started, &ended, &in.FeeFen, &onTime
		r.State, r.UpdatedAt = Completed, s.now()
		if _, err := tx.NewUpdate().Model(r).Column("start_mileage", "end_mileage", "started_at", "ended_at", "fee_fen", "on_time", "state", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := ledger.Post(ctx, tx, ledger.Entry{UnitID: r.UnitID, Kind: "rental", AmountFen: in.FeeFen, Source: "rental_order", SourceID: r.ID,
			OccurredAt: ended, Note: fmt.Sprintf("%s %s %s", r.OrderNo, r.CompanyName, r.Plate)}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalUsage, ObjectType: audit.RentalOrder, ObjectID: r.ID, ScopePath: r.UnitPath,
			Summary: "订单 " + r.OrderNo + " " + text, Before: before, After: r})
	})
	if err != nil {
		return nil, err
	}
	return s.load(ctx, s.DB.R, id)
}
