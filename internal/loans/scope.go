package loans

import (
	"context"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// window is a loan in force for a vehicle: approved (or returned after it
// began), borrower's path and its period, the return ending it early.
type window struct {
	No           string     `bun:"no"`
	WithDriver   bool       `bun:"with_driver"`
	BorrowerName string     `bun:"borrower_name"`
	BorrowerPath string     `bun:"borrower_path"`
	LenderName   string     `bun:"lender_name"`
	VehicleID    int64      `bun:"vehicle_id"`
	From         time.Time  `bun:"from_at"`
	To           time.Time  `bun:"to_at"`
	ReturnedAt   *time.Time `bun:"returned_at"`
}

func (w *window) end() time.Time {
	if w.ReturnedAt != nil && w.ReturnedAt.Before(w.To) {
		return *w.ReturnedAt
	}
	return w.To
}

// windows returns the loans of vehicle (0: any) whose period overlaps
// [from, to] (an instant when from equals to).
func windows(ctx context.Context, db bun.IDB, vehicle int64, from, to time.Time) ([]*window, error) {
	var ws []*window
	q := db.NewSelect().TableExpr("loans AS l").
		ColumnExpr("l.no, l.with_driver, l.from_at, l.to_at, l.returned_at, lv.vehicle_id, b.name AS borrower_name, b.path AS borrower_path, n.name AS lender_name").
		Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").Join("JOIN units AS b ON b.id = l.borrower_id").Join("JOIN units AS n ON n.id = l.lender_id").
		Where("l.state IN (?) AND l.from_at <= ? AND COALESCE(l.returned_at, l.to_at) >= ?", bun.In([]string{Approved, Returned}), to.UTC(), from.UTC())
	if vehicle != 0 {
		q = q.Where("lv.vehicle_id = ?", vehicle)
	}
	if err := q.OrderExpr("l.from_at").Scan(ctx, &ws); err != nil {
		return nil, store.Translate(err)
	}
	return ws, nil
}

// Lease is the loan under which a borrower dispatches a lent vehicle.
type Lease struct {
	No           string
	WithDriver   bool   // the lender's driver(s) come with the vehicle
	BorrowerName string // the borrowing level
	BorrowerPath string
	LenderName   string
}

func (w *window) lease() *Lease {
	return &Lease{No: w.No, WithDriver: w.WithDriver, BorrowerName: w.BorrowerName, BorrowerPath: w.BorrowerPath, LenderName: w.LenderName}
}

// covers: w is a loan to a level inside a's scope for the whole of [from, to].
func (w *window) covers(a *access.Actor, from, to time.Time) bool {
	return a.Covers(w.BorrowerPath) && !w.From.After(from) && !w.end().Before(to) && w.end().After(w.From)
}

// Covering returns the loan to a level inside the actor's scope that
// covers vehicle for the whole of [from, to] (an instant when from equals
// to), nil when none: the borrower's scope widens for exactly the lent
// vehicle and the loan's period. Booking's dispatch, the live map and
// track playback ask it (through Covers, Check) for a vehicle outside the
// actor's subtree; dispatch also reads whom the loan lets drive.
func Covering(ctx context.Context, db bun.IDB, a *access.Actor, vehicle int64, from, to time.Time) (*Lease, error) {
	ws, err := windows(ctx, db, vehicle, from, to)
	if err != nil {
		return nil, err
	}
	for _, w := range ws {
		if w.covers(a, from, to) {
			return w.lease(), nil
		}
	}
	return nil, nil
}

// Covers reports whether a loan covers vehicle for the actor (Covering).
func Covers(ctx context.Context, db bun.IDB, a *access.Actor, vehicle int64, from, to time.Time) (bool, error) {
	l, err := Covering(ctx, db, a, vehicle, from, to)
	return l != nil, err
}

// CheckDriver is R-17's rule of who drives a lent vehicle: a loan without
// drivers lends the vehicle alone — the borrower drives it with one of
// its own drivers (of the borrowing level's subtree), never the lender's;
// a loan with drivers lends the lender's driver(s) with it, not the
// borrower's. driverPath is the path of the driver's unit.
func (l *Lease) CheckDriver(plate, driver, driverUnit, driverPath string) error {
	own := strings.HasPrefix(driverPath, l.BorrowerPath)
	if !l.WithDriver && !own {
		return errs.E(errs.Conflict, "借调单 %s 借调车辆 %s 不带驾驶员，须由%s的驾驶员驾驶，驾驶员 %s 属于%s", l.No, plate, l.BorrowerName, driver, driverUnit)
	}
	if l.WithDriver && own {
		return errs.E(errs.Conflict, "借调单 %s 借调车辆 %s 带驾驶员，须由借出方%s的随车驾驶员驾驶，不能派%s的驾驶员 %s", l.No, plate, l.LenderName, l.BorrowerName, driver)
	}
	return nil
}

// Check is Covers as a refusal: nil when a loan covers the vehicle for
// [from, to], else a Forbidden error naming the plate — and, when the
// actor's level borrowed the vehicle for another period, that period (what
// is outside it stays out of reach). what is the refused act ("调度",
// "查看轨迹").
func Check(ctx context.Context, db bun.IDB, a *access.Actor, vehicle int64, plate string, from, to time.Time, what string) error {
	ok, err := Covers(ctx, db, a, vehicle, from, to)
	if err != nil || ok {
		return err
	}
	var ws []*window
	if err := db.NewSelect().TableExpr("loans AS l").
		ColumnExpr("l.no, l.from_at, l.to_at, l.returned_at, b.path AS borrower_path").
		Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").Join("JOIN units AS b ON b.id = l.borrower_id").
		Where("lv.vehicle_id = ? AND l.state IN (?)", vehicle, bun.In([]string{Approved, Returned})).OrderExpr("l.from_at DESC").Scan(ctx, &ws); err != nil {
		return store.Translate(err)
	}
	var periods []string
	for _, w := range ws {
		if a.Covers(w.BorrowerPath) && w.end().After(w.From) {
			periods = append(periods, period(w.From, w.end())+"（借调单 "+w.No+"）")
		}
	}
	if len(periods) > 0 {
		return errs.E(errs.Forbidden, "车辆 %s 是借调车辆，只能在借调期内%s：%s", plate, what, strings.Join(periods, "；"))
	}
	return errs.E(errs.Forbidden, "车辆 %s 不在您的管辖范围内，不能%s", plate, what)
}

// LentTo returns the vehicles lent to levels inside the actor's scope for
// the whole of [from, to], and for each its loan.
func LentTo(ctx context.Context, db bun.IDB, a *access.Actor, from, to time.Time) (map[int64]*Lease, error) {
	ws, err := windows(ctx, db, 0, from, to)
	if err != nil {
		return nil, err
	}
	out := map[int64]*Lease{}
	for _, w := range ws {
		if w.covers(a, from, to) {
			out[w.VehicleID] = w.lease()
		}
	}
	return out, nil
}

// Lent is a vehicle lent for part of a period.
type Lent struct {
	No           string
	BorrowerName string
	BorrowerPath string
}

// LentOut returns the vehicles among ids (all when nil) lent for any part
// of [from, to): a vehicle lent is dispatched by its borrower only.
func LentOut(ctx context.Context, db bun.IDB, ids []int64, from, to time.Time) (map[int64]Lent, error) {
	q := db.NewSelect().TableExpr("loans AS l").
		ColumnExpr("l.no, l.from_at, l.to_at, l.returned_at, lv.vehicle_id, b.name AS borrower_name, b.path AS borrower_path").
		Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").Join("JOIN units AS b ON b.id = l.borrower_id").
		Where("l.state IN (?) AND l.from_at < ? AND COALESCE(l.returned_at, l.to_at) > ?", bun.In([]string{Approved, Returned}), to.UTC(), from.UTC())
	if ids != nil {
		if len(ids) == 0 {
			return map[int64]Lent{}, nil
		}
		q = q.Where("lv.vehicle_id IN (?)", bun.In(ids))
	}
	var ws []*window
	if err := q.Scan(ctx, &ws); err != nil {
		return nil, store.Translate(err)
	}
	out := map[int64]Lent{}
	for _, w := range ws {
		if w.end().After(w.From) {
			out[w.VehicleID] = Lent{No: w.No, BorrowerName: w.BorrowerName, BorrowerPath: w.BorrowerPath}
		}
	}
	return out, nil
}
