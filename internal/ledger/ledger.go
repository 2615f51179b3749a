// Package ledger is the cost ledger (issue 6 part 7): every cost of the
// fleet — fuel, maintenance, insurance, inspection, rental, other — lands
// here per vehicle, unit and Beijing month in integer fen. The domains post
// inside their own transactions; statistics, cost per kilometre and the
// savings rate read from here.
package ledger

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Kind is a kind of cost.
type Kind struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Kinds of cost, in display order, with their Chinese names.
var Kinds = []Kind{
	{"fuel", "燃油费"}, {"maintenance", "维修保养费"}, {"insurance", "保险费"},
	{"inspection", "年检费"}, {"rental", "租赁费"}, {"other", "其他"},
}

func knownKind(k string) bool {
	return slices.ContainsFunc(Kinds, func(x Kind) bool { return x.Code == k })
}

// Entry is one cost. VehicleID 0 is a cost of the unit without a vehicle.
// The unit's path and the month are filled in by Post.
type Entry struct {
	bun.BaseModel `bun:"table:cost_entries"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	VehicleID  *int64    `bun:"vehicle_id" json:"vehicle_id"`
	UnitID     int64     `bun:"unit_id" json:"unit_id"`
	UnitPath   string    `bun:"unit_path" json:"-"`
	Month      string    `bun:"month" json:"month"`
	Kind       string    `bun:"kind" json:"kind"`
	AmountFen  int64     `bun:"amount_fen" json:"amount_fen"`
	Source     string    `bun:"source" json:"source"`
	SourceID   int64     `bun:"source_id" json:"source_id"`
	OccurredAt time.Time `bun:"occurred_at" json:"occurred_at"`
	Note       string    `bun:"note" json:"note"`
	CreatedAt  time.Time `bun:"created_at" json:"created_at"`
}

// Post records e inside the caller's transaction. Posting the same source,
// source id and kind again replaces the amount (and the rest), so a domain
// posts whenever its amount changes. A zero amount removes the entry.
func Post(ctx context.Context, tx bun.IDB, e Entry) error {
	if !knownKind(e.Kind) || e.Source == "" || e.SourceID == 0 || e.UnitID == 0 || e.OccurredAt.IsZero() {
		return errs.E(errs.Internal, "ledger: incomplete entry %+v", e)
	}
	if e.VehicleID != nil && *e.VehicleID == 0 {
		e.VehicleID = nil
	}
	if _, err := tx.NewDelete().Model((*Entry)(nil)).Where("source = ? AND source_id = ? AND kind = ?", e.Source, e.SourceID, e.Kind).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	if e.AmountFen == 0 {
		return nil
	}
	if err := tx.NewSelect().Table("units").Column("path").Where("id = ?", e.UnitID).Scan(ctx, &e.UnitPath); err != nil {
		return fmt.Errorf("ledger: unit %d: %w", e.UnitID, store.Translate(err))
	}
	e.ID = 0
	e.OccurredAt = e.OccurredAt.UTC()
	e.Month = beijing.Month(e.OccurredAt)
	e.CreatedAt = time.Now().UTC()
	_, err := tx.NewInsert().Model(&e).Exec(ctx)
	return store.Translate(err)
}
