package booking

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// An order moves only if someone holds the next step's role over its unit
// an approver for an application, a dispatcher for an approved
// order, a vehicle manager for a dispatch without standing consent.
// Submitting where no approver would ever see the order is refused, naming
// whom to ask; Gaps lists the units lacking a role for the administrators.

// holder is an active account holding a workflow role, with its scope.
type holder struct {
	ID   int64  `bun:"id"`
	Name string `bun:"real_name"`
	Role string `bun:"role"`
	Path string `bun:"path"`
}

// holders returns the active accounts holding one of roles whose scope
// covers path (all of them when path is empty).
func holders(ctx context.Context, db bun.IDB, path string, roles ...access.Role) ([]holder, error) {
	var out []holder
	q := db.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name, r.role, n.path").
		Join("JOIN user_roles AS r ON r.user_id = u.id").Join("JOIN units AS n ON n.id = u.scope_id").
		Where("u.active = ? AND r.role IN (?)", true, bun.In(roles)).OrderExpr("n.depth DESC, u.id")
	if path != "" {
		q = q.Where("? LIKE n.path || '%'", path)
	}
	err := q.Scan(ctx, &out)
	return out, err
}

// needApprovers refuses an application of the unit at path by applicant
// that fewer than n approvers other than the applicant could approve, with
// a message naming the administrators who can set one.
func needApprovers(ctx context.Context, db bun.IDB, path string, applicant int64, n int) error {
	hs, err := holders(ctx, db, path, access.Approver)
	if err != nil {
		return err
	}
	count := 0
	for _, h := range hs {
		if h.ID != applicant {
			count++
		}
	}
	if count >= n {
		return nil
	}
	what := "尚未设置审核员，用车申请无人审批，暂不能提交"
	if count == 0 && len(hs) > 0 {
		what = "除您本人外没有其他审核员（本人的申请不能自己审批），暂不能提交"
	}
	if count > 0 {
		what = "只有一位审核员，出市用车须两级审批，暂不能提交"
	}
	return errs.E(errs.Conflict, "本单位%s。请联系%s设置审核员", what, whomToAsk(ctx, db, path))
}

// whomToAsk names the nearest administrators who can grant workflow roles
// at path: the unit's administrators, else the platform administrators of
// its level.
func whomToAsk(ctx context.Context, db bun.IDB, path string) string {
	admins, err := holders(ctx, db, path, access.UnitAdmin, access.PlatformAdmin)
	if err != nil || len(admins) == 0 {
		return "上级主管部门"
	}
	var names []string
	for _, h := range admins {
		if h.Path == admins[0].Path && h.Role == admins[0].Role {
			names = append(names, h.Name)
		}
	}
	info, _ := access.Info(access.Role(admins[0].Role))
	return info.Name + strings.Join(names, "、")
}

// Gap is a unit lacking a workflow role: its orders would wait for no one.
type Gap struct {
	UnitID   int64    `json:"unit_id"`
	UnitName string   `json:"unit_name"`
	Parent   string   `json:"parent_name"`
	Missing  []string `json:"missing"`  // the roles' Chinese names
	Stranded int      `json:"stranded"` // orders waiting for a missing role now
	Ask      string   `json:"ask"`      // the administrators who can set the roles
}

// Gaps lists the active units of the actor's scope lacking a workflow role
// they need: an approver and a dispatcher where someone may apply, a
// vehicle manager where vehicles are dispatched without standing consent.
func (s *Service) Gaps(ctx context.Context, a *access.Actor) ([]*Gap, error) {
	db := s.DB.R
	var units []struct {
		ID     int64  `bun:"id"`
		Name   string `bun:"name"`
		Path   string `bun:"path"`
		Parent string `bun:"parent_name"`
	}
	if err := db.NewSelect().TableExpr("units AS u").ColumnExpr("u.id, u.name, u.path, COALESCE(p.name, '') AS parent_name").
		Join("LEFT JOIN units AS p ON p.id = u.parent_id").
		Where("u.kind = 'unit' AND u.active = ? AND u.path LIKE ?", true, a.ScopePath+"%").OrderExpr("u.path").Scan(ctx, &units); err != nil {
		return nil, store.Translate(err)
	}
	hs, err := holders(ctx, db, "", access.Approver, access.Dispatcher, access.VehicleManager)
	if err != nil {
		return nil, store.Translate(err)
	}
	covered := map[string]map[string]bool{} // role → scope paths
	for _, h := range hs {
		if covered[h.Role] == nil {
			covered[h.Role] = map[string]bool{}
		}
		covered[h.Role][h.Path] = true
	}
	covers := func(role access.Role, path string) bool {
		for p := path; p != ""; {
			if covered[string(role)][p] {
				return true
			}
			i := strings.LastIndex(strings.TrimSuffix(p, "/"), "/")
			if i < 0 {
				break
			}
			p = p[:i+1]
			if p == "/" {
				break
			}
		}
		return false
	}
	ids := func(q *bun.SelectQuery) (map[int64]bool, error) {
		var xs []int64
		if err := q.Scan(ctx, &xs); err != nil {
			return nil, store.Translate(err)
		}
		out := map[int64]bool{}
		for _, x := range xs {
			out[x] = true
		}
		return out, nil
	}
	applying, err := ids(db.NewSelect().TableExpr("users AS u").ColumnExpr("DISTINCT u.scope_id").
		Join("JOIN user_roles AS r ON r.user_id = u.id").Where("u.active = ? AND r.role = ?", true, string(access.Applicant)))
	if err != nil {
		return nil, err
	}
	fleet, err := ids(db.NewSelect().Table("vehicles").ColumnExpr("DISTINCT unit_id").Where("status <> 'disposed' AND exempt = ?", false))
	if err != nil {
		return nil, err
	}
	delegated, err := ids(db.NewSelect().Table("dispatch_delegations").ColumnExpr("DISTINCT unit_id").Where("revoked_at IS NULL"))
	if err != nil {
		return nil, err
	}
	out := []*Gap{}
	for _, u := range units {
		var missing []access.Role
		if applying[u.ID] && !covers(access.Approver, u.Path) {
			missing = append(missing, access.Approver)
		}
		if (applying[u.ID] || fleet[u.ID]) && !covers(access.Dispatcher, u.Path) {
			missing = append(missing, access.Dispatcher)
		}
		if fleet[u.ID] && !delegated[u.ID] && !covers(access.VehicleManager, u.Path) {
			missing = append(missing, access.VehicleManager)
		}
		if len(missing) == 0 {
			continue
		}
		g := &Gap{UnitID: u.ID, UnitName: u.Name, Parent: u.Parent, Missing: []string{}}
		for _, r := range missing {
			info, _ := access.Info(r)
			g.Missing = append(g.Missing, info.Name)
			// The orders waiting for the missing role: of the unit, or on its vehicles for consent.
			q := db.NewSelect().Table("orders").Where("unit_id = ? AND state = ?", u.ID, map[access.Role]string{access.Approver: Submitted, access.Dispatcher: Approved}[r])
			if r == access.VehicleManager {
				q = db.NewSelect().Table("orders").Where("state = ? AND vehicle_id IN (SELECT id FROM vehicles WHERE unit_id = ?)", PendingConsent, u.ID)
			}
			n, err := q.Count(ctx)
			if err != nil {
				return nil, store.Translate(err)
			}
			g.Stranded += n
		}
		g.Ask = whomToAsk(ctx, db, u.Path)
		out = append(out, g)
	}
	return out, nil
}
