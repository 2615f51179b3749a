// Package org is the hierarchy of the city's platform:
// the city, its districts and county-level cities, and the units under
// them. Nodes are never deleted, only deactivated, because history points to
// them.
package org

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actUnitActivate   = audit.NewAction("unit.activate", "启用单位")
	actUnitCreate     = audit.NewAction("unit.create", "新增单位")
	actUnitDeactivate = audit.NewAction("unit.deactivate", "停用单位")
	actUnitMove       = audit.NewAction("unit.move", "调整上级")
	actUnitUpdate     = audit.NewAction("unit.update", "修改单位")
)

// Node kinds.
const (
	KindCity     = "city"     // 市级: the city platform's root
	KindDistrict = "district" // 辖市(区)
	KindUnit     = "unit"     // 单位
)

// Code is a coded value with its Chinese name.
type Code struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// Kinds, UnitTypes and MarkingStatuses in display order.
var (
	Kinds = []Code{{KindCity, "市级"}, {KindDistrict, "辖市(区)"}, {KindUnit, "单位"}}

	UnitTypes = []Code{
		{"party", "党委机关"}, {"npc", "人大机关"}, {"government", "行政机关"}, {"cppcc", "政协机关"},
		{"discipline", "纪检监察机关"}, {"court", "审判机关"}, {"procuratorate", "检察机关"},
		{"mass_org", "群团机关"}, {"public_institution", "参公管理事业单位"},
	}

	MarkingStatuses = []Code{{"none", "未标识"}, {"partial", "部分标识"}, {"full", "全部标识"}}
)

func known(codes []Code, c string) bool {
	for _, x := range codes {
		if x.Code == c {
			return true
		}
	}
	return false
}

// NameOf is the Chinese name of code c in a code table ("" when unknown), for documents (the
// annual report).
func NameOf(codes []Code, c string) string {
	for _, x := range codes {
		if x.Code == c {
			return x.Name
		}
	}
	return ""
}

func init() {
	store.RegisterUnique("units", "name", "name", "单位名称已存在")
	store.RegisterUnique("units", "credit_code", "credit_code", "统一社会信用代码已被其他单位使用")
}

// Unit is a node of the hierarchy.
type Unit struct {
	bun.BaseModel `bun:"table:units"`

	ID            int64     `bun:"id,pk,autoincrement" json:"id"`
	ParentID      *int64    `bun:"parent_id" json:"parent_id"`
	Kind          string    `bun:"kind" json:"kind"`
	Name          string    `bun:"name" json:"name"`
	CreditCode    string    `bun:"credit_code,nullzero" json:"credit_code"`
	UnitType      string    `bun:"unit_type" json:"unit_type"`
	Level         string    `bun:"level" json:"level"`
	DistrictID    *int64    `bun:"district_id" json:"district_id"`
	Path          string    `bun:"path" json:"-"`
	Depth         int       `bun:"depth" json:"-"`
	StaffingCount int       `bun:"staffing_count" json:"staffing_count"`
	VehicleQuota  int       `bun:"vehicle_quota" json:"vehicle_quota"`
	VehicleCount  int       `bun:"vehicle_count" json:"vehicle_count"`
	MarkingStatus string    `bun:"marking_status" json:"marking_status"`
	ContactName   string    `bun:"contact_name" json:"contact_name"`
	ContactPhone  string    `bun:"contact_phone" json:"contact_phone"`
	Address       string    `bun:"address" json:"address"`
	Sort          int       `bun:"sort" json:"-"`
	Active        bool      `bun:"active" json:"active"`
	CreatedAt     time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at" json:"updated_at"`

	// Filled for responses.
	ParentName   string `bun:"parent_name,scanonly" json:"parent_name"`
	DistrictName string `bun:"district_name,scanonly" json:"district_name"`
	OverQuota    bool   `bun:"-" json:"over_quota"`
	OverUnits    int    `bun:"-" json:"over_units"` // city and districts: units over quota beneath
	OverBy       int    `bun:"-" json:"over_by"`    // 超编车辆数: Excess, summed over the units beneath for a level
}

// Excess is the one definition of 超编车辆数 (R-6, issue 23): a unit's
// vehicles beyond its quota, 0 within it. A level's (the city's, a
// district's) is the sum of its units' excess — never its total vehicles
// minus its total quota, which hides one unit's excess behind another's
// vacancies (the 常州市 node tagged 超编 beside "超 0 辆"). A node is 超编
// exactly when its excess is above 0. ExcessSQL says the same in SQL over
// units.
func Excess(vehicles, quota int) int { return max(0, vehicles-quota) }

// ExcessSQL is Excess of a units row (alias u), for SUM.
const ExcessSQL = "CASE WHEN u.vehicle_count > u.vehicle_quota THEN u.vehicle_count - u.vehicle_quota ELSE 0 END"

func (u *Unit) fill() {
	if u.Kind == KindUnit {
		u.OverBy = Excess(u.VehicleCount, u.VehicleQuota)
	}
	u.OverQuota = u.OverBy > 0
}

// totals fills the city's and districts' staffing, quota and vehicle counts
// with the sums over the active units beneath them, so that a level
// shows its totals and how many of its units are over quota.
func (s *Service) totals(ctx context.Context, nodes ...*Unit) error {
	for _, u := range nodes {
		if u.Kind == KindUnit {
			continue
		}
		var t struct {
			Staff, Quota, Count, Over, By int
		}
		err := s.DB.R.NewSelect().TableExpr("units AS u").
			ColumnExpr("COALESCE(SUM(staffing_count), 0) AS staff, COALESCE(SUM(vehicle_quota), 0) AS quota").
			ColumnExpr("COALESCE(SUM(vehicle_count), 0) AS count").
			ColumnExpr("COALESCE(SUM(CASE WHEN vehicle_count > vehicle_quota THEN 1 ELSE 0 END), 0) AS over").
			ColumnExpr("COALESCE(SUM("+ExcessSQL+"), 0) AS over_by").
			Where("path LIKE ? AND kind = 'unit' AND active = ?", u.Path+"%", true).Scan(ctx, &t.Staff, &t.Quota, &t.Count, &t.Over, &t.By)
		if err != nil {
			return store.Translate(err)
		}
		u.StaffingCount, u.VehicleQuota, u.VehicleCount, u.OverUnits, u.OverBy = t.Staff, t.Quota, t.Count, t.Over, t.By
		u.OverQuota = u.OverBy > 0
	}
	return nil
}

// Input is what a client may set on a unit. Nil fields are left unchanged
// by Update.
type Input struct {
	ParentID      *int64  `json:"parent_id,omitempty"`
	Name          *string `json:"name,omitempty"`
	CreditCode    *string `json:"credit_code,omitempty"`
	UnitType      *string `json:"unit_type,omitempty"`
	StaffingCount *int    `json:"staffing_count,omitempty"`
	VehicleQuota  *int    `json:"vehicle_quota,omitempty"`
	MarkingStatus *string `json:"marking_status,omitempty"`
	ContactName   *string `json:"contact_name,omitempty"`
	ContactPhone  *string `json:"contact_phone,omitempty"`
	Address       *string `json:"address,omitempty" max:"120"`
}

// apply copies the set fields of in onto u and validates the result.
func (in *Input) apply(u *Unit) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&u.Name, in.Name)
	set(&u.UnitType, in.UnitType)
	set(&u.MarkingStatus, in.MarkingStatus)
	set(&u.ContactName, in.ContactName)
	if in.ContactPhone != nil {
		u.ContactPhone = check.NormalisePhone(*in.ContactPhone)
	}
	set(&u.Address, in.Address)
	if in.CreditCode != nil {
		u.CreditCode = check.NormaliseCreditCode(*in.CreditCode)
	}
	if in.StaffingCount != nil {
		u.StaffingCount = *in.StaffingCount
	}
	if in.VehicleQuota != nil {
		u.VehicleQuota = *in.VehicleQuota
	}

	var f errs.Fields
	n := utf8.RuneCountInString(u.Name)
	f.Check(n == 0, "name", "请填写单位名称")
	f.Check(n > 60, "name", "单位名称不能超过60个字")
	if u.Kind == KindUnit {
		if u.CreditCode == "" {
			f.Add("credit_code", "请填写统一社会信用代码")
		}
		f.Check(!known(UnitTypes, u.UnitType), "unit_type", "请选择单位类型")
	}
	if u.CreditCode != "" {
		if err := check.CreditCode(u.CreditCode); err != nil {
			f.Add("credit_code", "统一社会信用代码"+err.Error())
		}
	}
	f.Check(u.StaffingCount < 0 || u.StaffingCount > 1000000, "staffing_count", "人员编制数须为0至1000000的整数")
	f.Check(u.VehicleQuota < 0 || u.VehicleQuota > 100000, "vehicle_quota", "车辆编制数须为0至100000的整数")
	if u.MarkingStatus == "" {
		u.MarkingStatus = "none"
	}
	f.Check(!known(MarkingStatuses, u.MarkingStatus), "marking_status", "标识化情况取值无效")
	f.Check(utf8.RuneCountInString(u.ContactName) > 30, "contact_name", "联系人不能超过30个字")
	if u.ContactPhone != "" {
		if err := check.Phone(u.ContactPhone); err != nil {
			f.Add("contact_phone", "联系电话"+err.Error())
		}
	}
	f.Check(utf8.RuneCountInString(u.Address) > 120, "address", "地址不能超过120个字")
	return f.Err()
}

// Service manages the hierarchy.
type Service struct{ DB *store.DB }

func (s *Service) selectUnits(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Unit)(nil)).
		ColumnExpr("u.*").
		ColumnExpr("p.name AS parent_name").
		ColumnExpr("d.name AS district_name").
		ModelTableExpr("units AS u").
		Join("LEFT JOIN units AS p ON p.id = u.parent_id").
		Join("LEFT JOIN units AS d ON d.id = u.district_id")
}

// load reads one node regardless of scope.
func load(ctx context.Context, db bun.IDB, id int64) (*Unit, error) {
	u := new(Unit)
	err := db.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在或已删除"))
	}
	return u, nil
}

// Node returns the node with id without a scope check (for other services
// that check scope themselves, e.g. the user service).
func (s *Service) Node(ctx context.Context, db bun.IDB, id int64) (*Unit, error) {
	if db == nil {
		db = s.DB.R
	}
	return load(ctx, db, id)
}

// outOfScope is the error for a node the actor may not see or touch.
func outOfScope() error { return errs.E(errs.Forbidden, "该单位不在您的管辖范围内") }

// Get returns a node inside the actor's scope.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Unit, error) {
	u := new(Unit)
	err := s.selectUnits(s.DB.R).Where("u.id = ?", id).Scan(ctx, u)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在或已删除"))
	}
	if !a.Covers(u.Path) {
		return nil, outOfScope()
	}
	u.fill()
	return u, s.totals(ctx, u)
}

// Filter selects units for List.
type Filter struct {
	ParentID  int64 // subtree under this node (0: the actor's scope)
	Q         string
	UnitType  string
	Kind      string
	Active    string // "true" (default), "false", "all"
	OverQuota bool
	Page      int
	Size      int
}

// List returns a page of nodes inside the actor's scope.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Unit, int, error) {
	base := a.ScopePath
	if f.ParentID != 0 {
		p, err := load(ctx, s.DB.R, f.ParentID)
		if err != nil {
			return nil, 0, err
		}
		if !a.Covers(p.Path) {
			return nil, 0, outOfScope()
		}
		base = p.Path
	}
	q := s.selectUnits(s.DB.R).Where("u.path LIKE ?", base+"%")
	if f.ParentID != 0 {
		q = q.Where("u.id <> ?", f.ParentID)
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(u.name LIKE ? OR u.credit_code LIKE ?)", like, like)
	}
	if f.UnitType != "" {
		q = q.Where("u.unit_type = ?", f.UnitType)
	}
	if f.Kind != "" {
		q = q.Where("u.kind = ?", f.Kind)
	}
	switch f.Active {
	case "false":
		q = q.Where("u.active = ?", false)
	case "all":
	default:
		q = q.Where("u.active = ?", true)
	}
	if f.OverQuota {
		q = q.Where("u.kind = 'unit' AND u.vehicle_count > u.vehicle_quota")
	}
	var out []*Unit
	n, err := q.OrderExpr("u.depth, CASE WHEN u.kind = 'district' THEN 0 ELSE 1 END, u.sort, u.id").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, u := range out {
		u.fill()
	}
	return out, n, s.totals(ctx, out...)
}

// TreeNode is a node with its children, for the hierarchy tree.
type TreeNode struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	Kind      string      `json:"kind"`
	UnitType  string      `json:"unit_type"`
	Level     string      `json:"level"`
	Active    bool        `json:"active"`
	OverQuota bool        `json:"over_quota"`
	Children  []*TreeNode `json:"children"`
}

// Tree returns the hierarchy rooted at the actor's scope, inactive nodes
// included (the UI greys them).
func (s *Service) Tree(ctx context.Context, a *access.Actor) ([]*TreeNode, error) {
	var rows []*Unit
	if err := s.DB.R.NewSelect().Model(&rows).Where("path LIKE ?", a.ScopePath+"%").OrderExpr("depth, CASE WHEN kind = 'district' THEN 0 ELSE 1 END, sort, id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	byID := map[int64]*TreeNode{}
	var roots []*TreeNode
	for _, u := range rows {
		u.fill()
		n := &TreeNode{ID: u.ID, Name: u.Name, Kind: u.Kind, UnitType: u.UnitType, Level: u.Level, Active: u.Active, OverQuota: u.OverQuota, Children: []*TreeNode{}}
		byID[u.ID] = n
		if u.ParentID != nil && byID[*u.ParentID] != nil {
			byID[*u.ParentID].Children = append(byID[*u.ParentID].Children, n)
		} else {
			roots = append(roots, n)
		}
	}
	return roots, nil
}

// placement computes kind-dependent fields of u under parent p.
func placement(u *Unit, p *Unit) error {
	if !p.Active {
		return errs.E(errs.Invalid, "上级单位「%s」已停用，不能在其下设置单位", p.Name)
	}
	if u.Kind == KindDistrict && p.Kind != KindCity {
		return errs.E(errs.Invalid, "辖市(区)只能设在市级之下")
	}
	u.ParentID = &p.ID
	u.Depth = p.Depth + 1
	switch p.Kind {
	case KindCity:
		u.Level = "city"
		u.DistrictID = nil
	case KindDistrict:
		u.Level = "district"
		id := p.ID
		u.DistrictID = &id
	default:
		u.Level = p.Level
		u.DistrictID = p.DistrictID
	}
	if u.Kind == KindDistrict {
		u.Level = "district"
		u.DistrictID = nil
	}
	return nil
}

// Create adds a unit (or, for the city's administrators, a district) under
// in.ParentID, which must lie inside the actor's scope.
func (s *Service) Create(ctx context.Context, a *access.Actor, kind string, in Input) (*Unit, error) {
	if kind != KindUnit && kind != KindDistrict {
		return nil, errs.E(errs.Invalid, "节点类型无效")
	}
	if in.ParentID == nil {
		return nil, (&errs.Fields{"parent_id": "请选择上级单位"}).Err()
	}
	var created *Unit
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		p, err := load(ctx, tx, *in.ParentID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return (&errs.Fields{"parent_id": "上级单位不存在"}).Err()
			}
			return err
		}
		if !a.Covers(p.Path) {
			return errs.E(errs.Forbidden, "上级单位「%s」不在您的管辖范围内", p.Name)
		}
		now := time.Now().UTC()
		u := &Unit{Kind: kind, Active: true, CreatedAt: now, UpdatedAt: now, Path: "/pending/"}
		if err := in.apply(u); err != nil {
			return err
		}
		if err := placement(u, p); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(u).Exec(ctx); err != nil {
			return err
		}
		u.Path = fmt.Sprintf("%s%d/", p.Path, u.ID)
		if _, err := tx.NewUpdate().Model(u).Column("path").WherePK().Exec(ctx); err != nil {
			return err
		}
		u.fill()
		created = u
		return audit.Record(ctx, tx, a, audit.Event{Action: actUnitCreate, ObjectType: audit.Unit, ObjectID: u.ID,
			ScopePath: u.Path, Summary: fmt.Sprintf("在「%s」下新增单位「%s」", p.Name, u.Name), After: u})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, created.ID)
}

// Update changes a node's data (not its place: see Move).
func (s *Service) Update(ctx context.Context, a *access.Actor, id int64, in Input) (*Unit, error) {
	if in.ParentID != nil {
		return nil, errs.E(errs.Invalid, "调整上级单位请使用「移动」")
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(u.Path) {
			return outOfScope()
		}
		before := *u
		if err := in.apply(u); err != nil {
			return err
		}
		u.UpdatedAt = time.Now().UTC()
		if _, err := tx.NewUpdate().Model(u).WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUnitUpdate, ObjectType: audit.Unit, ObjectID: u.ID,
			ScopePath: u.Path, Summary: fmt.Sprintf("修改单位「%s」", u.Name), Before: before, After: u})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// Move puts a unit under another parent; its whole subtree follows. Both
// the unit and the new parent must lie inside the actor's scope.
func (s *Service) Move(ctx context.Context, a *access.Actor, id, parentID int64) (*Unit, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(u.Path) || u.Path == a.ScopePath {
			return outOfScope()
		}
		if u.Kind != KindUnit {
			return errs.E(errs.Invalid, "只能移动单位，市级与辖市(区)节点不能移动")
		}
		p, err := load(ctx, tx, parentID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return (&errs.Fields{"parent_id": "目标上级单位不存在"}).Err()
			}
			return err
		}
		if !a.Covers(p.Path) {
			return errs.E(errs.Forbidden, "目标上级「%s」不在您的管辖范围内", p.Name)
		}
		if strings.HasPrefix(p.Path, u.Path) {
			return (&errs.Fields{"parent_id": "不能移动到本单位或其下级单位之下"}).Err()
		}
		before := *u
		oldPath := u.Path
		if err := placement(u, p); err != nil {
			return err
		}
		u.Path = fmt.Sprintf("%s%d/", p.Path, u.ID)
		u.UpdatedAt = time.Now().UTC()
		if _, err := tx.NewUpdate().Model(u).WherePK().Exec(ctx); err != nil {
			return err
		}
		// Re-root the descendants: path prefix, depth, level and district.
		var desc []*Unit
		if err := tx.NewSelect().Model(&desc).Where("path LIKE ? AND id <> ?", oldPath+"%", u.ID).OrderExpr("depth").Scan(ctx); err != nil {
			return err
		}
		for _, d := range desc {
			d.Path = u.Path + strings.TrimPrefix(d.Path, oldPath)
			d.Depth += u.Depth - before.Depth
			d.Level, d.DistrictID = u.Level, u.DistrictID
			if _, err := tx.NewUpdate().Model(d).Column("path", "depth", "level", "district_id").WherePK().Exec(ctx); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUnitMove, ObjectType: audit.Unit, ObjectID: u.ID,
			ScopePath: u.Path, Summary: fmt.Sprintf("将单位「%s」移至「%s」之下", u.Name, p.Name), Before: before, After: u})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// SetActive deactivates or re-activates a unit. A unit with active
// sub-units or active accounts cannot be deactivated.
func (s *Service) SetActive(ctx context.Context, a *access.Actor, id int64, active bool) (*Unit, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		u, err := load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !a.Covers(u.Path) || u.Path == a.ScopePath {
			return outOfScope()
		}
		if u.Kind == KindCity {
			return errs.E(errs.Invalid, "市级节点不能停用")
		}
		if u.Active == active {
			return nil
		}
		if !active {
			n, err := tx.NewSelect().Model((*Unit)(nil)).Where("parent_id = ? AND active = ?", u.ID, true).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errs.E(errs.Conflict, "「%s」下还有 %d 个在用的下级单位，请先停用或移走", u.Name, n)
			}
			n, err = tx.NewSelect().Table("users").Where("scope_id = ? AND active = ?", u.ID, true).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				return errs.E(errs.Conflict, "「%s」还有 %d 个在用账号，请先停用这些账号", u.Name, n)
			}
		} else if u.ParentID != nil {
			p, err := load(ctx, tx, *u.ParentID)
			if err != nil {
				return err
			}
			if !p.Active {
				return errs.E(errs.Invalid, "上级单位「%s」已停用，请先启用上级", p.Name)
			}
		}
		before := *u
		u.Active = active
		u.UpdatedAt = time.Now().UTC()
		if _, err := tx.NewUpdate().Model(u).Column("active", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		action, verb := actUnitActivate, "启用"
		if !active {
			action, verb = actUnitDeactivate, "停用"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: action, ObjectType: audit.Unit, ObjectID: u.ID,
			ScopePath: u.Path, Summary: fmt.Sprintf("%s单位「%s」", verb, u.Name), Before: before, After: u})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// CreateRoot creates the city node when the database is empty (bootstrap
// and demo); it returns the existing root otherwise.
func (s *Service) CreateRoot(ctx context.Context, name, creditCode string) (*Unit, error) {
	var root *Unit
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var rows []*Unit
		if err := tx.NewSelect().Model(&rows).Where("parent_id IS NULL").Limit(1).Scan(ctx); err != nil {
			return err
		}
		if len(rows) > 0 {
			root = rows[0]
			return nil
		}
		now := time.Now().UTC()
		root = &Unit{Kind: KindCity, Name: name, CreditCode: creditCode, Level: "city", MarkingStatus: "none", Active: true, CreatedAt: now, UpdatedAt: now, Path: "/pending/"}
		if _, err := tx.NewInsert().Model(root).Exec(ctx); err != nil {
			return err
		}
		root.Path = fmt.Sprintf("/%d/", root.ID)
		_, err := tx.NewUpdate().Model(root).Column("path").WherePK().Exec(ctx)
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, nil, audit.Event{Action: actUnitCreate, ObjectType: audit.Unit, ObjectID: root.ID,
			ScopePath: root.Path, Summary: fmt.Sprintf("初始化市级平台「%s」", name), After: root})
	})
	return root, err
}
