package booking

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/store"
)

// Cross-level loans (R-17, internal/loans) in dispatch: the borrower's
// dispatcher reaches a lent vehicle for exactly the loan's period, and the
// lender no longer dispatches it then.

// lentScope checks that the actor may dispatch v on o: inside its subtree
// (nil), or lent to its level for the whole of o's window — the loan
// (loans.Check names the loan's period when o lies outside it).
func lentScope(ctx context.Context, db bun.IDB, a *access.Actor, o *Order, v *vehicle) (*loans.Lease, error) {
	if a.Covers(v.UnitPath) {
		return nil, nil
	}
	if err := loans.Check(ctx, db, a, v.ID, v.Plate, o.PickupAt, o.ReturnAt, "调度"); err != nil {
		return nil, err
	}
	return loans.Covering(ctx, db, a, v.ID, o.PickupAt, o.ReturnAt)
}

// borrowed are the vehicles of lent lent without drivers: the borrower's
// own drivers drive them, vehicle → the borrowing level's path.
func borrowed(lent map[int64]*loans.Lease) map[int64]string {
	out := map[int64]string{}
	for id, l := range lent {
		if !l.WithDriver {
			out[id] = l.BorrowerPath
		}
	}
	return out
}

// loanDrivers says whose drivers drive a lent vehicle.
func loanDrivers(l *loans.Lease) string {
	if l.WithDriver {
		return "带驾驶员，由" + l.LenderName + "的随车驾驶员驾驶"
	}
	return "不带驾驶员，由" + l.BorrowerName + "的驾驶员驾驶"
}

// driverOfLoan checks the driver dispatched on a lent vehicle against the
// loan (loans.Lease.CheckDriver).
func driverOfLoan(ctx context.Context, db bun.IDB, l *loans.Lease, v *vehicle, driverID int64) error {
	var d struct {
		Name     string `bun:"name"`
		UnitName string `bun:"unit_name"`
		UnitPath string `bun:"unit_path"`
	}
	if err := db.NewSelect().TableExpr("drivers AS d").ColumnExpr("d.name, u.name AS unit_name, u.path AS unit_path").
		Join("JOIN units AS u ON u.id = d.unit_id").Where("d.id = ?", driverID).Scan(ctx, &d); err != nil {
		return store.NotFoundAs(err, (&errs.Fields{"driver_id": "驾驶员不存在"}).Err())
	}
	return l.CheckDriver(v.Plate, d.Name, d.UnitName, d.UnitPath)
}

// ownDrivers replaces, for the vehicles of byID lent without drivers
// (own), the matched drivers ds (the lender's) with the borrower's own:
// the ordering unit's first, then the others of the borrowing level, at
// most 30 — or only driver only when it is not 0.
func ownDrivers(ctx context.Context, db bun.IDB, o *Order, ds []*driver, byID map[int64]*VehicleCandidate, own map[int64]string, only int64) ([]*driver, error) {
	if len(own) == 0 {
		return ds, nil
	}
	out := ds[:0]
	for _, d := range ds {
		if _, ok := own[d.VehicleID]; !ok || byID[d.VehicleID] == nil {
			out = append(out, d)
		}
	}
	byPath := map[string][]*driver{}
	for id, path := range own {
		c := byID[id]
		if c == nil {
			continue
		}
		if _, ok := byPath[path]; !ok {
			q := db.NewSelect().TableExpr("drivers AS d").
				ColumnExpr("d.id, d.name, d.phone, d.licence_class, d.licence_expiry, d.user_id, d.active").
				Join("JOIN units AS u ON u.id = d.unit_id").Where("u.path LIKE ? AND d.active", path+"%")
			if only != 0 {
				q = q.Where("d.id = ?", only)
			}
			var got []*driver
			if err := q.OrderExpr("CASE WHEN d.unit_id = ? THEN 0 ELSE 1 END, d.name", o.UnitID).Limit(200).Scan(ctx, &got); err != nil {
				return nil, store.Translate(err)
			}
			byPath[path] = got
		}
		n := 0
		for _, d := range byPath[path] {
			if n < 30 && (only != 0 || check.LicenceAllows(d.LicenceClass, c.VehicleClass)) {
				x := *d
				x.VehicleID = id
				out, n = append(out, &x), n+1
			}
		}
	}
	return out, nil
}

// lentReasons adds to each candidate lent to another level during o's
// window why it cannot serve o (its borrower's own orders excepted).
func lentReasons(ctx context.Context, db bun.IDB, o *Order, cands []*VehicleCandidate) error {
	ids := make([]int64, len(cands))
	for i, c := range cands {
		ids[i] = c.ID
	}
	lent, err := loans.LentOut(ctx, db, ids, o.PickupAt, o.ReturnAt)
	if err != nil || len(lent) == 0 {
		return err
	}
	var unitPath string
	if err := db.NewSelect().Table("units").Column("path").Where("id = ?", o.UnitID).Scan(ctx, &unitPath); err != nil {
		return err
	}
	for _, c := range cands {
		if l, ok := lent[c.ID]; ok && !strings.HasPrefix(unitPath, l.BorrowerPath) {
			c.Reasons = append(c.Reasons, "已借调给"+l.BorrowerName+"（借调单 "+l.No+"）")
		}
	}
	return nil
}
