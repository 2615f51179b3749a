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
	BorrowerName string     `bun:"borrower_name"`
	BorrowerPath string     `bun:"borrower_path"`
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
		ColumnExpr("l.no, l.from_at, l.to_at, l.returned_at, lv.vehicle_id, b.name AS borrower_name, b.path AS borrower_path").
		Join("JOIN loan_vehicles AS lv ON lv.loan_id = l.id").Join("JOIN units AS b ON b.id = l.borrower_id").
		Where("l.state IN (?) AND l.from_at <= ? AND COALESCE(l.returned_at, l.to_at) >= ?", bun.In([]string{Approved, Returned}), to.UTC(), from.UTC())
	if vehicle != 0 {
		q = q.Where("lv.vehicle_id = ?", vehicle)
	}
	if err := q.OrderExpr("l.from_at").Scan(ctx, &ws); err != nil {
		return nil, store.Translate(err)
	}
	return ws, nil
}

// Covers reports whether a loan to a level inside the actor's scope
// covers vehicle for the whole of [from, to] (an instant when from equals
// to): the borrower's scope widens for exactly the lent vehicle and the
// loan's period. Booking's dispatch, the live map and track playback ask
// it for a vehicle outside the actor's subtree.
func Covers(ctx context.Context, db bun.IDB, a *access.Actor, vehicle int64, from, to time.Time) (bool, error) {
	ws, err := windows(ctx, db, vehicle, from, to)
	if err != nil {
		return false, err
	}
	for _, w := range ws {
		if a.Covers(w.BorrowerPath) && !w.From.After(from) && !w.end().Before(to) && w.end().After(w.From) {
			return true, nil
		}
	}
	return false, nil
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
// the whole of [from, to], and for each the loan's number.
func LentTo(ctx context.Context, db bun.IDB, a *access.Actor, from, to time.Time) (map[int64]string, error) {
	ws, err := windows(ctx, db, 0, from, to)
	if err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, w := range ws {
		if a.Covers(w.BorrowerPath) && !w.From.After(from) && !w.end().Before(to) && w.end().After(w.From) {
			out[w.VehicleID] = w.No
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
