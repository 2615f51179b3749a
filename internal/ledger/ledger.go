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
// posts whenever its amount changes. A zero amount removes the entry. The
// kept totals (cost_totals) follow in the same transaction.
func Post(ctx context.Context, tx bun.IDB, e Entry) error {
	if !knownKind(e.Kind) || e.Source == "" || e.SourceID == 0 || e.UnitID == 0 || e.OccurredAt.IsZero() {
		return errs.E(errs.Internal, "ledger: incomplete entry %+v", e)
	}
	if e.VehicleID != nil && *e.VehicleID == 0 {
		e.VehicleID = nil
	}
	if err := Withdraw(ctx, tx, "source = ? AND source_id = ? AND kind = ?", e.Source, e.SourceID, e.Kind); err != nil {
		return err
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
	if _, err := tx.NewInsert().Model(&e).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	var vehicleID int64
	if e.VehicleID != nil {
		vehicleID = *e.VehicleID
	}
	return keep(ctx, tx, total{Period: e.Month, UnitPath: e.UnitPath, UnitID: e.UnitID, VehicleID: vehicleID, Kind: e.Kind, AmountFen: e.AmountFen, Entries: 1})
}

// total is a row of the kept totals: the entries of a period (a month
// YYYY-MM, or a year YYYY: each entry counts in both), unit, vehicle (0:
// none) and kind.
type total struct {
	bun.BaseModel `bun:"table:cost_totals,alias:cost_totals"`

	Period    string `bun:"period"`
	UnitPath  string `bun:"unit_path"`
	UnitID    int64  `bun:"unit_id"`
	VehicleID int64  `bun:"vehicle_id"`
	Kind      string `bun:"kind"`
	AmountFen int64  `bun:"amount_fen"`
	Entries   int64  `bun:"entries"`
}

// totalsOf groups cost entries into kept-total rows of a period: the
// first argument is the period (month, or SUBSTR(month, 1, 4) for the
// year), the second narrows the entries (empty: all).
const totalsOf = `SELECT %[1]s AS period, unit_path, unit_id, COALESCE(vehicle_id, 0) AS vehicle_id, kind, SUM(amount_fen) AS amount_fen, COUNT(*) AS entries
	FROM cost_entries %[2]s GROUP BY %[1]s, unit_path, unit_id, COALESCE(vehicle_id, 0), kind`

// keep adds t, a month's (negative amounts and counts to subtract), to
// the kept totals of its month and its year, and drops a row left without
// entries.
func keep(ctx context.Context, tx bun.IDB, t total) error {
	for _, period := range []string{t.Period, t.Period[:4]} {
		t.Period = period
		if _, err := tx.NewInsert().Model(&t).
			On("CONFLICT (period, unit_path, unit_id, vehicle_id, kind) DO UPDATE").
			Set("amount_fen = cost_totals.amount_fen + EXCLUDED.amount_fen").
			Set("entries = cost_totals.entries + EXCLUDED.entries").Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if err := bump(ctx, tx, period); err != nil {
			return err
		}
		if t.Entries < 0 {
			if _, err := tx.NewDelete().Model((*total)(nil)).Where("period = ? AND unit_path = ? AND unit_id = ? AND vehicle_id = ? AND kind = ? AND entries <= 0",
				t.Period, t.UnitPath, t.UnitID, t.VehicleID, t.Kind).Exec(ctx); err != nil {
				return store.Translate(err)
			}
		}
	}
	return nil
}

// Withdraw removes the cost entries matching where (a condition on
// cost_entries with its args) and takes them off the kept totals, inside
// the caller's transaction.
func Withdraw(ctx context.Context, tx bun.IDB, where string, args ...any) error {
	var gone []total
	if err := tx.NewRaw(fmt.Sprintf(totalsOf, "month", "WHERE "+where), args...).Scan(ctx, &gone); err != nil {
		return store.Translate(err)
	}
	if len(gone) == 0 {
		return nil
	}
	if _, err := tx.NewDelete().Model((*Entry)(nil)).Where(where, args...).Exec(ctx); err != nil {
		return store.Translate(err)
	}
	for _, t := range gone {
		t.AmountFen, t.Entries = -t.AmountFen, -t.Entries
		if err := keep(ctx, tx, t); err != nil {
			return err
		}
	}
	return nil
}

// Rebuild recomputes the kept totals from the entries, in one transaction
// (for writes that bypass Post, such as the demo's bulk load, and as a
// repair: govfleet ledger-rebuild).
func Rebuild(ctx context.Context, db *store.DB) error {
	return db.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*total)(nil)).Where("1 = 1").Exec(ctx); err != nil {
			return store.Translate(err)
		}
		if _, err := tx.NewRaw("INSERT INTO cost_totals (period, unit_path, unit_id, vehicle_id, kind, amount_fen, entries) " +
			fmt.Sprintf(totalsOf, "month", "") + " UNION ALL " + fmt.Sprintf(totalsOf, "SUBSTR(month, 1, 4)", "")).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		// Every period changes version, those without totals now too: a
		// summary kept from before the rebuild is never served again.
		if _, err := tx.NewRaw("UPDATE cost_versions SET version = version + 1").Exec(ctx); err != nil {
			return store.Translate(err)
		}
		_, err := tx.NewRaw(`INSERT INTO cost_versions (period, version) SELECT DISTINCT period, 1 FROM cost_totals
			WHERE period NOT IN (SELECT period FROM cost_versions)`).Exec(ctx)
		return store.Translate(err)
	})
}

// bump adds one to the version of a period (a month or a year) inside the
// writing transaction. In PostgreSQL the row stays locked until the commit,
// so a reader never sees the new version before the totals it stands for.
func bump(ctx context.Context, tx bun.IDB, period string) error {
	_, err := tx.NewRaw(`INSERT INTO cost_versions (period, version) VALUES (?, 1)
		ON CONFLICT (period) DO UPDATE SET version = cost_versions.version + 1`, period).Exec(ctx)
	return store.Translate(err)
}
