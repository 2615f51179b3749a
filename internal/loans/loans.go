// Package loans is cross-level vehicle loans (借调, R-17): a borrowing
// level (the city or a district) asks a lending level for vehicles for a
// period; the lending level — or the city, above two districts — approves
// and picks the vehicles, or refuses; the borrower dispatches them on its
// own orders within the period and returns them, early if it likes.
//
// The borrower's scope widens for exactly the lent vehicles and the loan's
// period: Covers is the one rule booking (dispatch), the live map and track
// playback ask when a vehicle lies outside the caller's subtree.
package loans

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// The audit log's actions of loans.
var (
	actRequest = audit.NewAction("loan.request", "申请借调车辆")
	actApprove = audit.NewAction("loan.approve", "批准借调车辆")
	actRefuse  = audit.NewAction("loan.refuse", "拒绝借调车辆")
	actReturn  = audit.NewAction("loan.return", "归还借调车辆")
)

// Loan states.
const (
	Requested = "requested" // 待审批
	Approved  = "approved"  // 借调中 (or not yet begun)
	Refused   = "refused"   // 已拒绝
	Returned  = "returned"  // 已归还
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{Requested: "待审批", Approved: "已批准", Refused: "已拒绝", Returned: "已归还"}

// VehicleType is a kind of vehicle as loans, tariffs and market prices
// count them; it follows from the approved seats (TypeOf).
type VehicleType struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// VehicleTypes lists the types in display order.
var VehicleTypes = []VehicleType{{"sedan", "轿车"}, {"business_van", "商务车"}, {"minibus", "中巴车"}, {"coach", "大客车"}}

// TypeOf returns the type of a vehicle with the given approved seats:
// up to 5 a sedan, 6–9 a business van, 10–19 a minibus, 20 and more a coach.
func TypeOf(seats int) string {
	switch {
	case seats <= 5:
		return "sedan"
	case seats <= 9:
		return "business_van"
	case seats <= 19:
		return "minibus"
	}
	return "coach"
}

// TypeName returns the Chinese name of a type code ("" unknown).
func TypeName(code string) string {
	for _, t := range VehicleTypes {
		if t.Code == code {
			return t.Name
		}
	}
	return ""
}

// typeSQL is TypeOf in SQL over a vehicles alias v.
const typeSQL = "CASE WHEN v.seats <= 5 THEN 'sedan' WHEN v.seats <= 9 THEN 'business_van' WHEN v.seats <= 19 THEN 'minibus' ELSE 'coach' END"

// MaxSpan is the longest a loan may last.
const MaxSpan = 92 * 24 * time.Hour

// Loan is a request for vehicles of another level.
type Loan struct {
	bun.BaseModel `bun:"table:loans"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	No            string     `bun:"no" json:"no"`
	BorrowerID    int64      `bun:"borrower_id" json:"borrower_id"`
	LenderID      int64      `bun:"lender_id" json:"lender_id"`
	VehicleType   string     `bun:"vehicle_type" json:"vehicle_type"`
	Count         int        `bun:"count" json:"count"`
	WithDriver    bool       `bun:"with_driver" json:"with_driver"`
	From          time.Time  `bun:"from_at" json:"from"`
	To            time.Time  `bun:"to_at" json:"to"`
	Reason        string     `bun:"reason" json:"reason"`
	State         string     `bun:"state" json:"state"`
	RequestedBy   int64      `bun:"requested_by" json:"-"`
	RequestedName string     `bun:"requested_name" json:"requested_name"`
	RequestedAt   time.Time  `bun:"requested_at" json:"requested_at"`
	DecidedBy     *int64     `bun:"decided_by" json:"-"`
	DecidedName   string     `bun:"decided_name" json:"decided_name"`
	DecidedAt     *time.Time `bun:"decided_at" json:"decided_at"`
	DecisionNote  string     `bun:"decision_note" json:"decision_note"`
	ReturnedAt    *time.Time `bun:"returned_at" json:"returned_at"`
	ReturnedName  string     `bun:"returned_name" json:"returned_name"`

	BorrowerName string     `bun:"borrower_name,scanonly" json:"borrower_name"`
	BorrowerPath string     `bun:"borrower_path,scanonly" json:"-"`
	LenderName   string     `bun:"lender_name,scanonly" json:"lender_name"`
	LenderPath   string     `bun:"lender_path,scanonly" json:"-"`
	StateName    string     `bun:"-" json:"state_name"`
	TypeName     string     `bun:"-" json:"vehicle_type_name"`
	Vehicles     []*Vehicle `bun:"-" json:"vehicles"`
	// What the caller may do: approve or refuse (the lending side), return (either side).
	CanDecide bool `bun:"-" json:"can_decide"`
	CanReturn bool `bun:"-" json:"can_return"`
}

// End is when the loan's window ends: its return, else its planned end.
func (l *Loan) End() time.Time {
	if l.ReturnedAt != nil && l.ReturnedAt.Before(l.To) {
		return *l.ReturnedAt
	}
	return l.To
}

// Vehicle is a vehicle of a loan.
type Vehicle struct {
	ID       int64  `bun:"id" json:"id"`
	LoanID   int64  `bun:"loan_id" json:"-"`
	Plate    string `bun:"plate" json:"plate"`
	Brand    string `bun:"brand" json:"brand"`
	Model    string `bun:"model" json:"model"`
	Seats    int    `bun:"seats" json:"seats"`
	Status   string `bun:"status" json:"-"`
	UnitName string `bun:"unit_name" json:"unit_name"`
	UnitPath string `bun:"unit_path" json:"-"`
	Drivers  int    `bun:"drivers" json:"drivers"` // matched drivers (a loan with drivers lends them too)
	Type     string `bun:"-" json:"type_name"`
}

// Service keeps the loans.
type Service struct {
	DB  *store.DB
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RequestInput asks for vehicles: named ones (VehicleIDs) or a type and a count.
type RequestInput struct {
	LenderID    int64     `json:"lender_id"`
	VehicleIDs  []int64   `json:"vehicle_ids"`
	VehicleType string    `json:"vehicle_type" max:"20"`
	Count       int       `json:"count"`
	WithDriver  bool      `json:"with_driver"`
	From        time.Time `json:"from"`
	To          time.Time `json:"to"`
	Reason      string    `json:"reason" max:"200"`
}

type node struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
	Path string `bun:"path"`
	Kind string `bun:"kind"`
}

func loadNode(ctx context.Context, db bun.IDB, id int64) (*node, error) {
	n := new(node)
	err := db.NewSelect().Table("units").Column("id", "name", "path", "kind").Where("id = ?", id).Scan(ctx, n)
	return n, err
}

// Request files a loan request of the caller's level (its scope node, the
// city or a district) with another level.
func (s *Service) Request(ctx context.Context, a *access.Actor, in RequestInput) (*Loan, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	var f errs.Fields
	f.Check(in.LenderID == 0, "lender_id", "请选择借出方")
	f.Check(in.LenderID == a.ScopeID, "lender_id", "借出方不能是本级")
	f.Check(in.Reason == "", "reason", "请填写借调事由")
	f.Check(utf8.RuneCountInString(in.Reason) > 200, "reason", "事由最多200字")
	f.Check(in.From.IsZero(), "from", "请选择借调开始时间")
	f.Check(in.To.IsZero(), "to", "请选择借调结束时间")
	if !in.From.IsZero() && !in.To.IsZero() {
		f.Check(!in.To.After(in.From), "to", "结束时间须晚于开始时间")
		f.Check(in.To.Sub(in.From) > MaxSpan, "to", "一次借调最长92天")
		f.Check(in.To.Before(s.now()), "to", "借调结束时间已过")
	}
	if len(in.VehicleIDs) == 0 {
		f.Check(TypeName(in.VehicleType) == "", "vehicle_type", "请选择车型，或指定车辆")
		f.Check(in.Count < 1 || in.Count > 50, "count", "数量须在1至50辆之间")
	} else {
		slices.Sort(in.VehicleIDs)
		in.VehicleIDs = slices.Compact(in.VehicleIDs)
		f.Check(len(in.VehicleIDs) > 50, "vehicle_ids", "一次最多借调50辆")
		in.VehicleType, in.Count = "", len(in.VehicleIDs)
	}
	if a.ScopeKind != "city" && a.ScopeKind != "district" {
		return nil, errs.E(errs.Forbidden, "车辆借调由市级或区级办理，单位用车请走用车申请")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	var out *Loan
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		lender, err := loadNode(ctx, tx, in.LenderID)
		if err != nil {
			return store.NotFoundAs(err, (&errs.Fields{"lender_id": "借出方不存在"}).Err())
		}
		if lender.Kind != "city" && lender.Kind != "district" {
			return (&errs.Fields{"lender_id": "借出方须为市级或区级"}).Err()
		}
		if a.Covers(lender.Path) {
			return (&errs.Fields{"lender_id": lender.Name + "在您的管辖范围内，可直接调度，无须借调"}).Err()
		}
		from, to := in.From.UTC().Truncate(time.Minute), in.To.UTC().Truncate(time.Minute)
		if len(in.VehicleIDs) > 0 {
			if _, err := checkVehicles(ctx, tx, in.VehicleIDs, lender.Path, "", from, to, 0); err != nil {
				return err
			}
		}
		now := s.now()
		l := &Loan{BorrowerID: a.ScopeID, LenderID: lender.ID, VehicleType: in.VehicleType, Count: in.Count, WithDriver: in.WithDriver,
			From: from, To: to, Reason: in.Reason, State: Requested, RequestedBy: a.UserID, RequestedName: a.Name, RequestedAt: now}
		if l.No, err = nextNo(ctx, tx, now); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(l).Exec(ctx); err != nil {
			return err
		}
		for _, v := range in.VehicleIDs {
			if _, err := tx.NewRaw("INSERT INTO loan_vehicles (loan_id, vehicle_id) VALUES (?, ?)", l.ID, v).Exec(ctx); err != nil {
				return err
			}
		}
		if out, err = get(ctx, tx, l.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRequest, ObjectType: audit.Loan, ObjectID: l.ID, ScopePath: out.BorrowerPath,
			Summary: fmt.Sprintf("%s 向%s申请借调%s，%s", l.No, lender.Name, out.what(), period(from, to)), After: out})
	})
	return out, err
}

// what says what a loan asks for: "商务车 2 辆（带驾驶员）" or the plates.
func (l *Loan) what() string {
	var b strings.Builder
	if l.VehicleType != "" && len(l.Vehicles) == 0 {
		fmt.Fprintf(&b, "%s %d 辆", TypeName(l.VehicleType), l.Count)
	} else {
		plates := make([]string, len(l.Vehicles))
		for i, v := range l.Vehicles {
			plates[i] = v.Plate
		}
		b.WriteString("车辆 " + strings.Join(plates, "、"))
	}
	if l.WithDriver {
		b.WriteString("（带驾驶员）")
	} else {
		b.WriteString("（不带驾驶员）")
	}
	return b.String()
}

func period(from, to time.Time) string {
	return from.In(beijing.Zone).Format("2006-01-02 15:04") + " 至 " + to.In(beijing.Zone).Format("2006-01-02 15:04")
}

// nextNo numbers loans per Beijing day: JD20260312001.
func nextNo(ctx context.Context, tx bun.IDB, now time.Time) (string, error) {
	prefix := "JD" + now.In(beijing.Zone).Format("20060102")
	n, err := tx.NewSelect().Table("loans").Where("no LIKE ?", prefix+"%").Count(ctx)
	return fmt.Sprintf("%s%03d", prefix, n+1), err
}

// checkVehicles checks that the vehicles lie under lenderPath, are of
// type typ (unless ""), are neither under repair, sealed nor disposed,
// and are neither lent nor booked in [from, to) (loan except excluded);
// each refusal names the vehicle and the conflicting loan or order.
func checkVehicles(ctx context.Context, tx bun.IDB, ids []int64, lenderPath, typ string, from, to time.Time, except int64) ([]*Vehicle, error) {
	var vs []*Vehicle
	if err := vehicles(tx).Where("v.id IN (?)", bun.In(ids)).Scan(ctx, &vs); err != nil {
		return nil, err
	}
	if len(vs) != len(ids) {
		return nil, (&errs.Fields{"vehicle_ids": "所选车辆不存在"}).Err()
	}
	for _, v := range vs {
		switch {
		case !strings.HasPrefix(v.UnitPath, lenderPath):
			return nil, errs.E(errs.Invalid, "车辆 %s 不属于借出方", v.Plate)
		case typ != "" && TypeOf(v.Seats) != typ:
			return nil, errs.E(errs.Invalid, "车辆 %s 是%s，不是所借的%s", v.Plate, TypeName(TypeOf(v.Seats)), TypeName(typ))
		case v.Status == "maintenance":
			return nil, errs.E(errs.Conflict, "车辆 %s 正在维修保养，不能借出", v.Plate)
		case v.Status == "sealed":
			return nil, errs.E(errs.Conflict, "车辆 %s 已封存，不能借出", v.Plate)
		case v.Status == "disposed":
			return nil, errs.E(errs.Conflict, "车辆 %s 已处置，不能借出", v.Plate)
		}
		var other []struct {
			No   string    `bun:"no"`
			From time.Time `bun:"from_at"`
			To   time.Time `bun:"to_at"`
		}
		if err := tx.NewSelect().TableExpr("loans AS l").ColumnExpr("l.no, l.from_at, l.to_at").
			Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").
			Where("lv.vehicle_id = ? AND l.id <> ? AND l.state IN (?) AND l.from_at < ? AND COALESCE(l.returned_at, l.to_at) > ?",
				v.ID, except, bun.In([]string{Requested, Approved, Returned}), to, from).
			Where("(l.returned_at IS NULL OR l.returned_at > l.from_at)").Limit(1).Scan(ctx, &other); err != nil {
			return nil, err
		}
		if len(other) > 0 {
			return nil, errs.E(errs.Conflict, "车辆 %s 在该时段已有借调（借调单 %s，%s），借调时间不能重叠", v.Plate, other[0].No, period(other[0].From, other[0].To))
		}
		var orders []string
		if err := tx.NewSelect().Table("orders").Column("no").
			Where("vehicle_id = ? AND state IN (?) AND pickup_at < ? AND return_at > ?", v.ID,
				bun.In([]string{"pending_consent", "dispatched", "departed", "finished"}), to, from).Limit(1).Scan(ctx, &orders); err != nil {
			return nil, err
		}
		if len(orders) > 0 {
			return nil, errs.E(errs.Conflict, "车辆 %s 在该时段已有订单 %s，不能借出", v.Plate, orders[0])
		}
	}
	return vs, nil
}

func vehicles(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id, v.plate, v.brand, v.model, v.seats, v.status, u.name AS unit_name, u.path AS unit_path").
		ColumnExpr("(SELECT COUNT(*) FROM driver_vehicles AS dv WHERE dv.vehicle_id = v.id) AS drivers").
		Join("JOIN units AS u ON u.id = v.unit_id")
}

// ApproveInput picks the vehicles of a loan asked by type and count.
type ApproveInput struct {
	VehicleIDs []int64 `json:"vehicle_ids"`
	Note       string  `json:"note" max:"200"`
}

// lockLoan loads a loan for a decision: the row locked (a no-op update),
// the caller's side checked.
func lockLoan(ctx context.Context, tx bun.Tx, id int64) (*Loan, error) {
	if _, err := tx.NewRaw("UPDATE loans SET state = state WHERE id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	return get(ctx, tx, id)
}

// Approve is the lending level (or a level above it: the city decides
// between two districts) granting a loan; for a loan by type and count it
// picks the vehicles.
func (s *Service) Approve(ctx context.Context, a *access.Actor, id int64, in ApproveInput) (*Loan, error) {
	var out *Loan
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		l, err := lockLoan(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(l.LenderPath) {
			return errs.E(errs.Forbidden, "只有借出方%s（或其上级）可以审批借调单 %s", l.LenderName, l.No)
		}
		if l.State != Requested {
			return errs.E(errs.Conflict, "借调单 %s %s，不能再审批", l.No, StateNames[l.State])
		}
		ids := make([]int64, len(l.Vehicles))
		for i, v := range l.Vehicles {
			ids[i] = v.ID
		}
		if len(ids) == 0 {
			slices.Sort(in.VehicleIDs)
			ids = slices.Compact(in.VehicleIDs)
			if len(ids) != l.Count {
				return (&errs.Fields{"vehicle_ids": fmt.Sprintf("请选择 %d 辆%s", l.Count, TypeName(l.VehicleType))}).Err()
			}
		}
		if _, err := checkVehicles(ctx, tx, ids, l.LenderPath, l.VehicleType, l.From, l.To, l.ID); err != nil {
			return err
		}
		if len(l.Vehicles) == 0 {
			for _, v := range ids {
				if _, err := tx.NewRaw("INSERT INTO loan_vehicles (loan_id, vehicle_id) VALUES (?, ?)", l.ID, v).Exec(ctx); err != nil {
					return err
				}
			}
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*Loan)(nil)).Set("state = ?", Approved).Set("decided_by = ?", a.UserID).Set("decided_name = ?", a.Name).
			Set("decided_at = ?", now).Set("decision_note = ?", strings.TrimSpace(in.Note)).Where("id = ?", l.ID).Exec(ctx); err != nil {
			return err
		}
		if out, err = get(ctx, tx, l.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actApprove, ObjectType: audit.Loan, ObjectID: l.ID, ScopePath: l.LenderPath,
			Summary: fmt.Sprintf("%s 批准%s借调%s，%s", l.No, l.BorrowerName, out.what(), period(l.From, l.To)), Before: l, After: out})
	})
	return out, err
}

// Refuse is the lending level (or above) refusing a loan, with a reason.
func (s *Service) Refuse(ctx context.Context, a *access.Actor, id int64, reason string) (*Loan, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, (&errs.Fields{"reason": "请填写拒绝的原因"}).Err()
	}
	var out *Loan
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		l, err := lockLoan(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(l.LenderPath) {
			return errs.E(errs.Forbidden, "只有借出方%s（或其上级）可以审批借调单 %s", l.LenderName, l.No)
		}
		if l.State != Requested {
			return errs.E(errs.Conflict, "借调单 %s %s，不能再审批", l.No, StateNames[l.State])
		}
		if _, err := tx.NewUpdate().Model((*Loan)(nil)).Set("state = ?", Refused).Set("decided_by = ?", a.UserID).Set("decided_name = ?", a.Name).
			Set("decided_at = ?", s.now()).Set("decision_note = ?", reason).Where("id = ?", l.ID).Exec(ctx); err != nil {
			return err
		}
		if out, err = get(ctx, tx, l.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRefuse, ObjectType: audit.Loan, ObjectID: l.ID, ScopePath: l.LenderPath,
			Summary: fmt.Sprintf("%s 拒绝%s的借调申请：%s", l.No, l.BorrowerName, reason), Before: l, After: out})
	})
	return out, err
}

// Return ends an approved loan now (early return) or records its return
// after its end; either side may return it. It is refused while the
// borrower still has orders on a lent vehicle after now (naming the order).
func (s *Service) Return(ctx context.Context, a *access.Actor, id int64) (*Loan, error) {
	var out *Loan
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		l, err := lockLoan(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(l.BorrowerPath) && !a.Covers(l.LenderPath) {
			return errs.E(errs.Forbidden, "借调单 %s 不在您的管辖范围内", l.No)
		}
		if l.State != Approved {
			return errs.E(errs.Conflict, "借调单 %s %s，不能归还", l.No, StateNames[l.State])
		}
		now := s.now()
		end := l.To
		if now.Before(end) {
			end = now
		}
		if end.Before(l.From) { // returned before it began: an empty window
			end = l.From
		}
		for _, v := range l.Vehicles {
			var orders []string
			if err := tx.NewSelect().TableExpr("orders AS o").Column("o.no").Join("JOIN units AS u ON u.id = o.unit_id").
				Where("o.vehicle_id = ? AND u.path LIKE ? AND o.state IN (?) AND o.return_at > ? AND o.pickup_at < ?", v.ID, l.BorrowerPath+"%",
					bun.In([]string{"pending_consent", "dispatched", "departed", "finished"}), end, l.To).Limit(1).Scan(ctx, &orders); err != nil {
				return err
			}
			if len(orders) > 0 {
				return errs.E(errs.Conflict, "车辆 %s 还有订单 %s 未结束，请先完成或改派后再归还", v.Plate, orders[0])
			}
		}
		if _, err := tx.NewUpdate().Model((*Loan)(nil)).Set("state = ?", Returned).Set("returned_at = ?", end).Set("returned_name = ?", a.Name).
			Where("id = ?", l.ID).Exec(ctx); err != nil {
			return err
		}
		if out, err = get(ctx, tx, l.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actReturn, ObjectType: audit.Loan, ObjectID: l.ID, ScopePath: l.BorrowerPath,
			Summary: fmt.Sprintf("%s %s归还%s借调的%s，借调期止于 %s", l.No, l.BorrowerName, l.LenderName, out.what(), end.In(beijing.Zone).Format("2006-01-02 15:04")),
			Before:  l, After: out})
	})
	return out, err
}

func listQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().ModelTableExpr("loans AS l").ColumnExpr("l.*").
		ColumnExpr("b.name AS borrower_name, b.path AS borrower_path, n.name AS lender_name, n.path AS lender_path").
		Join("JOIN units AS b ON b.id = l.borrower_id").Join("JOIN units AS n ON n.id = l.lender_id")
}

func get(ctx context.Context, db bun.IDB, id int64) (*Loan, error) {
	var ls []*Loan
	if err := listQuery(db).Where("l.id = ?", id).Scan(ctx, &ls); err != nil {
		return nil, err
	}
	if len(ls) == 0 {
		return nil, errs.E(errs.NotFound, "借调单不存在")
	}
	return ls[0], fill(ctx, db, nil, ls)
}

// fill adds the vehicles and names (and, for a, what it may do).
func fill(ctx context.Context, db bun.IDB, a *access.Actor, ls []*Loan) error {
	if len(ls) == 0 {
		return nil
	}
	ids := make([]int64, len(ls))
	byID := map[int64]*Loan{}
	for i, l := range ls {
		ids[i], byID[l.ID] = l.ID, l
		l.From, l.To = l.From.UTC(), l.To.UTC()
		l.Vehicles, l.StateName, l.TypeName = []*Vehicle{}, StateNames[l.State], TypeName(l.VehicleType)
		if a != nil {
			l.CanDecide = l.State == Requested && a.Covers(l.LenderPath) && a.HasRole(access.PlatformAdmin)
			l.CanReturn = l.State == Approved && (a.Covers(l.BorrowerPath) || a.Covers(l.LenderPath))
		}
	}
	var vs []*Vehicle
	if err := vehicles(db).ColumnExpr("lv.loan_id").Join("JOIN loan_vehicles AS lv ON lv.vehicle_id = v.id").
		Where("lv.loan_id IN (?)", bun.In(ids)).OrderExpr("v.plate").Scan(ctx, &vs); err != nil {
		return err
	}
	for _, v := range vs {
		v.Type = TypeName(TypeOf(v.Seats))
		byID[v.LoanID].Vehicles = append(byID[v.LoanID].Vehicles, v)
	}
	return nil
}

// Filter narrows the list of loans.
type Filter struct {
	Side  string // lend: the caller's level lends; borrow: it borrows; "": both
	State string
	Page  int
	Size  int
}

// List returns the loans whose borrower or lender lies in the caller's
// scope, or that lend one of its vehicles, newest first.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Loan, int, error) {
	q := listQuery(s.DB.R)
	p := a.ScopePath + "%"
	// A unit's staff (its vehicle manager) sees the loans of its own vehicles.
	const ownVehicle = "EXISTS (SELECT 1 FROM loan_vehicles AS lv JOIN vehicles AS v ON v.id = lv.vehicle_id JOIN units AS vu ON vu.id = v.unit_id WHERE lv.loan_id = l.id AND vu.path LIKE ?)"
	switch f.Side {
	case "lend":
		q = q.Where("(n.path LIKE ? OR "+ownVehicle+")", p, p)
	case "borrow":
		q = q.Where("b.path LIKE ?", p)
	default:
		q = q.Where("(n.path LIKE ? OR b.path LIKE ? OR "+ownVehicle+")", p, p, p)
	}
	if f.State != "" {
		q = q.Where("l.state = ?", f.State)
	}
	q = q.OrderExpr("l.requested_at DESC, l.id DESC")
	if f.Size > 0 {
		q = q.Limit(f.Size).Offset((max(f.Page, 1) - 1) * f.Size)
	}
	out := []*Loan{}
	n, err := q.ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	return out, n, store.Translate(fill(ctx, s.DB.R, a, out))
}

// Lendable lists the vehicles the approver of a loan by type picks from
// (lendable).
func (s *Service) Lendable(ctx context.Context, a *access.Actor, loanID int64) ([]*Vehicle, error) {
	l, err := get(ctx, s.DB.R, loanID)
	if err != nil {
		return nil, err
	}
	if !a.Covers(l.LenderPath) {
		return nil, errs.E(errs.Forbidden, "借调单 %s 不在您的管辖范围内", l.No)
	}
	return lendable(ctx, s.DB.R, l.LenderPath, l.VehicleType, "", l.From, l.To, l.ID)
}

// OfferFilter is what a borrower asks to name vehicles for a request.
type OfferFilter struct {
	LenderID    int64
	VehicleType string
	Plate       string
	From, To    time.Time
}

// Offer lists, for a borrower naming the vehicles of its request, the
// lending level's vehicles free for the period (of a type, a plate
// containing the text), at most 200.
func (s *Service) Offer(ctx context.Context, a *access.Actor, f OfferFilter) ([]*Vehicle, error) {
	var fs errs.Fields
	fs.Check(f.LenderID == 0, "lender_id", "请选择借出方")
	fs.Check(f.From.IsZero() || f.To.IsZero(), "from", "请先选择借调期间")
	fs.Check(!f.From.IsZero() && !f.To.After(f.From), "to", "结束时间须晚于开始时间")
	if err := fs.Err(); err != nil {
		return nil, err
	}
	if a.ScopeKind != "city" && a.ScopeKind != "district" {
		return nil, errs.E(errs.Forbidden, "车辆借调由市级或区级办理，单位用车请走用车申请")
	}
	lender, err := loadNode(ctx, s.DB.R, f.LenderID)
	if err != nil {
		return nil, store.NotFoundAs(err, (&errs.Fields{"lender_id": "借出方不存在"}).Err())
	}
	if lender.Kind != "city" && lender.Kind != "district" || a.Covers(lender.Path) {
		return nil, (&errs.Fields{"lender_id": lender.Name + "不是可借调的另一级"}).Err()
	}
	if f.VehicleType != "" && TypeName(f.VehicleType) == "" {
		return nil, (&errs.Fields{"vehicle_type": "车型不正确"}).Err()
	}
	return lendable(ctx, s.DB.R, lender.Path, f.VehicleType, f.Plate, f.From.UTC(), f.To.UTC(), 0)
}

// lendable lists the vehicles under lenderPath of type typ (all when "")
// with plate containing plate, free for [from, to): not under repair,
// sealed or disposed, without another loan (but loan except) or an order
// then; those with matched drivers first.
func lendable(ctx context.Context, db bun.IDB, lenderPath, typ, plate string, from, to time.Time, except int64) ([]*Vehicle, error) {
	var vs []*Vehicle
	q := vehicles(db).Where("u.path LIKE ? AND v.status NOT IN ('disposed', 'maintenance', 'sealed') AND v.exempt = ?", lenderPath+"%", false).
		Where("NOT EXISTS (SELECT 1 FROM loan_vehicles AS lv JOIN loans AS x ON x.id = lv.loan_id WHERE lv.vehicle_id = v.id AND x.id <> ? AND x.state IN (?) AND x.from_at < ? AND COALESCE(x.returned_at, x.to_at) > ?)",
			except, bun.In([]string{Requested, Approved, Returned}), to, from).
		Where("NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.vehicle_id = v.id AND o.state IN (?) AND o.pickup_at < ? AND o.return_at > ?)",
			bun.In([]string{"pending_consent", "dispatched", "departed", "finished"}), to, from)
	if typ != "" {
		q = q.Where(typeSQL+" = ?", typ)
	}
	if p := strings.NewReplacer("%", "", "_", "").Replace(strings.ToUpper(strings.TrimSpace(plate))); p != "" {
		q = q.Where("v.plate LIKE ?", "%"+p+"%")
	}
	if err := q.OrderExpr("CASE WHEN EXISTS (SELECT 1 FROM driver_vehicles AS dv WHERE dv.vehicle_id = v.id) THEN 0 ELSE 1 END, u.path, v.plate").Limit(200).Scan(ctx, &vs); err != nil {
		return nil, store.Translate(err)
	}
	for _, v := range vs {
		v.Type = TypeName(TypeOf(v.Seats))
	}
	if vs == nil {
		vs = []*Vehicle{}
	}
	return vs, nil
}

// Level is a level that may lend or borrow: the city or a district.
type Level struct {
	ID   int64  `bun:"id" json:"id"`
	Name string `bun:"name" json:"name"`
	Kind string `bun:"kind" json:"kind"`
	Own  bool   `bun:"-" json:"own"` // the caller's own scope: it lends, never borrows from itself
}

// Options are what a loan request form offers: the levels and the vehicle types.
type Options struct {
	Levels       []*Level      `json:"levels"`
	VehicleTypes []VehicleType `json:"vehicle_types"`
}

// Options lists the city and the districts, and the vehicle types.
func (s *Service) Options(ctx context.Context, a *access.Actor) (*Options, error) {
	out := &Options{Levels: []*Level{}, VehicleTypes: VehicleTypes}
	if err := s.DB.R.NewSelect().Table("units").Column("id", "name", "kind").Where("kind IN ('city', 'district') AND active").
		OrderExpr("depth, id").Scan(ctx, &out.Levels); err != nil {
		return nil, store.Translate(err)
	}
	for _, l := range out.Levels {
		l.Own = l.ID == a.ScopeID
	}
	return out, nil
}
