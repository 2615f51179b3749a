package booking

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/loans"
)

// Cross-level loans (R-17, internal/loans) in dispatch: the borrower's
// dispatcher reaches a lent vehicle for exactly the loan's period, and the
// lender no longer dispatches it then.

// lentScope checks that the actor may dispatch v on o: inside its subtree,
// or lent to its level for the whole of o's window (loans.Check names the
// loan's period when o lies outside it).
func lentScope(ctx context.Context, db bun.IDB, a *access.Actor, o *Order, v *vehicle) (bool, error) {
	if a.Covers(v.UnitPath) {
		return false, nil
	}
	if err := loans.Check(ctx, db, a, v.ID, v.Plate, o.PickupAt, o.ReturnAt, "调度"); err != nil {
		return false, err
	}
	return true, nil
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
