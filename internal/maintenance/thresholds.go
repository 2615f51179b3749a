package maintenance

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/store"
)

// Default thresholds where no level has set its own: up to 2,000 yuan the
// unit's vehicle manager approves, up to 10,000 the unit administrator or
// an approver, above that the platform administrator of the district or
// city.
const (
	DefaultTier1Fen = 200000
	DefaultTier2Fen = 1000000
)

var invoiceRule = map[bool]string{true: "须有发票照片", false: "不要求发票照片"}

var tierNames = map[int]string{1: "车管负责人审批", 2: "单位管理员或审核员审批", 3: "平台管理员审批"}

// tierRoles are the roles that approve each tier; a higher tier's roles
// approve the lower tiers too.
var tierRoles = map[int][]access.Role{1: {access.VehicleManager}, 2: {access.UnitAdmin, access.Approver}, 3: {access.PlatformAdmin}}

// Thresholds are the approval limits in force at a node.
type Thresholds struct {
	UnitID   int64 `json:"unit_id"`
	Tier1Fen int64 `json:"tier1_fen"`
	Tier2Fen int64 `json:"tier2_fen"`
	// InvoiceRequired: a job closes only once the shop has uploaded an
	// invoice photo.
	InvoiceRequired bool       `json:"invoice_required"`
	Own             bool       `json:"own"`       // the node has set its own
	MaxTier1        int64      `json:"max_tier1"` // the limits the level above allows
	MaxTier2        int64      `json:"max_tier2"`
	AboveInvoice    bool       `json:"above_invoice"` // the level above requires the invoice photo
	UpdatedAt       *time.Time `json:"updated_at"`
}

type thresholdRow struct {
	bun.BaseModel `bun:"table:repair_thresholds"`

	UnitID          int64     `bun:"unit_id,pk"`
	Tier1Fen        int64     `bun:"tier1_fen"`
	Tier2Fen        int64     `bun:"tier2_fen"`
	InvoiceRequired bool      `bun:"invoice_required"`
	UpdatedBy       *int64    `bun:"updated_by"`
	UpdatedAt       time.Time `bun:"updated_at"`
}

// rules are the limits in force at a node.
type rules struct {
	tier1, tier2 int64
	invoice      bool // the invoice photo is required to close
}

// limits returns the rules in force at the node with path: each threshold
// the smallest any node from the root down to it has set, and the invoice
// photo required unless every node that has set its rules waives it (a
// level only tightens what the level above allows), with the defaults on
// top.
func limits(ctx context.Context, db bun.IDB, path string) (rules, error) {
	var rows []thresholdRow
	err := db.NewSelect().Model(&rows).ModelTableExpr("repair_thresholds AS t").ColumnExpr("t.*").
		Join("JOIN units AS n ON n.id = t.unit_id").Where("? LIKE n.path || '%'", path).Scan(ctx)
	if err != nil {
		return rules{}, store.Translate(err)
	}
	r := rules{tier1: DefaultTier1Fen, tier2: DefaultTier2Fen, invoice: len(rows) == 0}
	for _, x := range rows {
		r.tier1, r.tier2, r.invoice = min(r.tier1, x.Tier1Fen), min(r.tier2, x.Tier2Fen), r.invoice || x.InvoiceRequired
	}
	return r, nil
}

func tierOf(budget, t1, t2 int64) int {
	switch {
	case budget <= t1:
		return 1
	case budget <= t2:
		return 2
	}
	return 3
}

// maxTier is the highest tier the actor approves.
func maxTier(a *access.Actor) int {
	for t := 3; t >= 1; t-- {
		for _, r := range tierRoles[t] {
			if a.HasRole(r) {
				return t
			}
		}
	}
	return 0
}

type node struct {
	ID       int64  `bun:"id"`
	Path     string `bun:"path"`
	ParentID *int64 `bun:"parent_id"`
}

func loadNode(ctx context.Context, db bun.IDB, id int64) (*node, error) {
	n := new(node)
	if err := db.NewSelect().Table("units").Column("id", "path", "parent_id").Where("id = ?", id).Scan(ctx, n); err != nil {
		return nil, errs.E(errs.NotFound, "单位不存在或已删除")
	}
	return n, nil
}

// parentPath is the path of the node's parent ("" for the root).
func (n *node) parentPath() string {
	p := strings.TrimSuffix(n.Path, "/")
	if i := strings.LastIndex(p, "/"); i > 0 {
		return p[:i+1]
	}
	return ""
}

// GetThresholds returns the thresholds in force at a node of the actor's scope.
func (s *Service) GetThresholds(ctx context.Context, a *access.Actor, unitID int64) (*Thresholds, error) {
	n, err := loadNode(ctx, s.DB.R, unitID)
	if err != nil {
		return nil, err
	}
	if !a.Covers(n.Path) {
		return nil, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	return s.thresholds(ctx, s.DB.R, n)
}

func (s *Service) thresholds(ctx context.Context, db bun.IDB, n *node) (*Thresholds, error) {
	t := &Thresholds{UnitID: n.ID, MaxTier1: DefaultTier1Fen, MaxTier2: DefaultTier2Fen}
	if pp := n.parentPath(); pp != "" {
		above, err := limits(ctx, db, pp)
		if err != nil {
			return nil, err
		}
		t.MaxTier1, t.MaxTier2, t.AboveInvoice = above.tier1, above.tier2, above.invoice
	}
	here, err := limits(ctx, db, n.Path)
	if err != nil {
		return nil, err
	}
	t.Tier1Fen, t.Tier2Fen, t.InvoiceRequired = here.tier1, here.tier2, here.invoice
	var own thresholdRow
	if err := db.NewSelect().Model(&own).Where("unit_id = ?", n.ID).Scan(ctx); err == nil {
		t.Own, t.UpdatedAt = true, &own.UpdatedAt
	}
	return t, nil
}

// ThresholdsInput sets a node's thresholds.
type ThresholdsInput struct {
	Tier1Fen int64 `json:"tier1_fen"`
	Tier2Fen int64 `json:"tier2_fen"`
	// InvoiceRequired: closing needs the invoice photo; absent keeps the
	// rule in force.
	InvoiceRequired *bool `json:"invoice_required"`
}

// SetThresholds sets the thresholds of a node of the actor's scope (its own
// level or one below), within what the level above allows.
func (s *Service) SetThresholds(ctx context.Context, a *access.Actor, unitID int64, in ThresholdsInput) (*Thresholds, error) {
	var out *Thresholds
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := loadNode(ctx, tx, unitID)
		if err != nil {
			return err
		}
		if a.CompanyID != 0 || !a.Covers(n.Path) {
			return errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		cur, err := s.thresholds(ctx, tx, n)
		if err != nil {
			return err
		}
		var f errs.Fields
		f.Check(in.Tier1Fen <= 0, "tier1_fen", "车管负责人审批额度须大于0")
		f.Check(in.Tier2Fen < in.Tier1Fen, "tier2_fen", "单位审批额度不能低于车管负责人审批额度")
		f.Check(in.Tier1Fen > cur.MaxTier1, "tier1_fen", fmt.Sprintf("不能高于上级设定的 %s 元", money.Yuan(cur.MaxTier1)))
		f.Check(in.Tier2Fen > cur.MaxTier2, "tier2_fen", fmt.Sprintf("不能高于上级设定的 %s 元", money.Yuan(cur.MaxTier2)))
		invoice := cur.InvoiceRequired
		if in.InvoiceRequired != nil {
			invoice = *in.InvoiceRequired
		}
		f.Check(!invoice && cur.AboveInvoice, "invoice_required", "上级要求结案须有发票照片，本级不能免除")
		if err := f.Err(); err != nil {
			return err
		}
		row := &thresholdRow{UnitID: n.ID, Tier1Fen: in.Tier1Fen, Tier2Fen: in.Tier2Fen, InvoiceRequired: invoice, UpdatedBy: &a.UserID, UpdatedAt: s.now()}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (unit_id) DO UPDATE").
			Set("tier1_fen = EXCLUDED.tier1_fen, tier2_fen = EXCLUDED.tier2_fen, invoice_required = EXCLUDED.invoice_required, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		if out, err = s.thresholds(ctx, tx, n); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRepairThresholds, ObjectType: audit.Unit, ObjectID: n.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("维修审批额度：%s 元以下车管负责人审批，%s 元以下单位审批；结案%s", money.Yuan(in.Tier1Fen), money.Yuan(in.Tier2Fen), invoiceRule[invoice]), Before: cur, After: out})
	})
	return out, err
}
