package supervision

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// paramRow is a rule's stored parameters at a level node.
type paramRow struct {
	bun.BaseModel `bun:"table:supervision_params,alias:sp"`

	Rule      string    `bun:"rule,pk"`
	UnitID    int64     `bun:"unit_id,pk"`
	Enabled   bool      `bun:"enabled"`
	Params    string    `bun:"params"`
	UpdatedBy *int64    `bun:"updated_by"`
	UpdatedAt time.Time `bun:"updated_at"`

	UnitPath string `bun:"unit_path,scanonly"`
	UnitKind string `bun:"unit_kind,scanonly"`
}

// level is one level's effective setting of a rule.
type level struct {
	enabled bool
	params  Params
}

// Settings are the stored parameters of every rule at every level.
type Settings struct {
	rows map[string]map[string]*paramRow // rule → level path → row
}

// LoadSettings reads the parameters of all rules.
func LoadSettings(ctx context.Context, db bun.IDB) (*Settings, error) {
	var rows []*paramRow
	if err := db.NewSelect().Model(&rows).ColumnExpr("sp.*").
		ColumnExpr("u.path AS unit_path, u.kind AS unit_kind").
		Join("JOIN units AS u ON u.id = sp.unit_id").Scan(ctx); err != nil {
		return nil, err
	}
	s := &Settings{rows: map[string]map[string]*paramRow{}}
	for _, r := range rows {
		if s.rows[r.Rule] == nil {
			s.rows[r.Rule] = map[string]*paramRow{}
		}
		s.rows[r.Rule][r.UnitPath] = r
	}
	return s, nil
}

// apply merges a stored row over l.
func apply(l level, r *paramRow) level {
	if r == nil {
		return l
	}
	var p Params
	if json.Unmarshal([]byte(r.Params), &p) == nil {
		vals := map[string]float64{}
		for k, v := range l.params.Values {
			vals[k] = v
		}
		for k, v := range p.Values {
			if _, ok := vals[k]; ok {
				vals[k] = v
			}
		}
		l.params.Values = vals
		if len(p.Polygon) >= 3 {
			l.params.Polygon = p.Polygon
		}
	}
	l.enabled = l.enabled && r.Enabled
	return l
}

// levelPaths returns the city and district paths above a unit path
// "/city/district/unit/" (the district's is "" for units under the city).
func levelPaths(path string) (city, district string) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) >= 1 && parts[0] != "" {
		city = "/" + parts[0] + "/"
	}
	if len(parts) >= 2 {
		district = city + parts[1] + "/"
	}
	return
}

// effective returns rule r's setting for a unit path.
func (s *Settings) effective(r Rule, path string) level {
	rows := s.rows[r.Info().Code]
	city, district := levelPaths(path)
	l := apply(level{enabled: true, params: Defaults(r)}, rows[city])
	if district != "" {
		if d := rows[district]; d != nil {
			polygon := l.params.Polygon
			l = apply(l, d)
			l.params.Polygon = polygon // the area is the city's
		}
	}
	return l
}

// Resolver returns the effective parameters of rule r.
func (s *Settings) Resolver(r Rule) Resolver {
	cache := map[string]Params{}
	return func(path string) Params {
		city, district := levelPaths(path)
		k := city + "|" + district
		if p, ok := cache[k]; ok {
			return p
		}
		p := s.effective(r, path).params
		cache[k] = p
		return p
	}
}

// Enabled reports whether rule r runs for units under path.
func (s *Settings) Enabled(r Rule, path string) bool { return s.effective(r, path).enabled }

// RuleSetting is a rule with its parameters at a level, for the rules page.
type RuleSetting struct {
	Info
	UnitID    int64              `json:"unit_id"`
	Enabled   bool               `json:"enabled"`
	Values    map[string]float64 `json:"values"`
	Polygon   [][2]float64       `json:"polygon,omitempty"`
	Bounds    map[string]float64 `json:"bounds"` // the level above's values a district may only tighten
	Own       bool               `json:"own"`    // set at this level (else inherited)
	UpdatedAt *time.Time         `json:"updated_at"`
}

// node is a hierarchy node.
type node struct {
	ID       int64  `bun:"id"`
	Path     string `bun:"path"`
	Kind     string `bun:"kind"`
	Name     string `bun:"name"`
	ParentID *int64 `bun:"parent_id"`
}

func loadNode(ctx context.Context, db bun.IDB, id int64) (*node, error) {
	var ns []*node
	if err := db.NewSelect().Table("units").Column("id", "path", "kind", "name", "parent_id").Where("id = ?", id).Scan(ctx, &ns); err != nil {
		return nil, err
	}
	if len(ns) == 0 {
		return nil, errs.E(errs.NotFound, "单位不存在或已删除")
	}
	return ns[0], nil
}

// levelNode resolves unitID (0: the actor's own scope) to a level node the
// actor covers.
func (s *Service) levelNode(ctx context.Context, a *access.Actor, unitID int64) (*node, error) {
	n, err := s.scopeNode(ctx, a, unitID)
	if err != nil {
		return nil, err
	}
	if n.Kind == "unit" {
		return nil, (&errs.Fields{"unit_id": "规则参数只能在市级或辖市(区)级设置"}).Err()
	}
	return n, nil
}

// RuleSettings lists every rule with its parameters in effect at node
// unitID (a unit sees its district's or the city's).
func (s *Service) RuleSettings(ctx context.Context, a *access.Actor, unitID int64) ([]*RuleSetting, error) {
	n, err := s.scopeNode(ctx, a, unitID)
	if err != nil {
		return nil, err
	}
	st, err := LoadSettings(ctx, s.DB.R)
	if err != nil {
		return nil, err
	}
	out := []*RuleSetting{}
	for _, r := range s.rules() {
		l := st.effective(r, n.Path)
		rs := &RuleSetting{Info: r.Info(), UnitID: n.ID, Enabled: l.enabled, Values: l.params.Values, Polygon: l.params.Polygon, Bounds: map[string]float64{}}
		if row := st.rows[r.Info().Code][n.Path]; row != nil {
			rs.Own, rs.UpdatedAt = true, &row.UpdatedAt
		}
		if n.Kind == "district" {
			city, _ := levelPaths(n.Path)
			rs.Bounds = st.effective(r, city).params.Values
		}
		out = append(out, rs)
	}
	return out, nil
}

// ParamsInput is a level's new setting of a rule.
type ParamsInput struct {
	UnitID  int64              `json:"unit_id"` // the level node (city or district); 0: the caller's scope
	Enabled bool               `json:"enabled"`
	Values  map[string]float64 `json:"values"`
	Polygon [][2]float64       `json:"polygon"` // area rule, city level only
}

// checkParams validates in for rule r at node n against the hard bounds
// and, for a district, the city's values (which it may only tighten).
func checkParams(r Rule, n *node, in ParamsInput, st *Settings) error {
	var f errs.Fields
	var cityL level
	if n.Kind == "district" {
		city, _ := levelPaths(n.Path)
		cityL = st.effective(r, city)
		f.Check(cityL.enabled && !in.Enabled, "enabled", "市级已启用该规则，辖市(区)不能停用")
		f.Check(len(in.Polygon) > 0, "polygon", "规定区域只能由市级设置")
	}
	if len(in.Polygon) > 0 && len(in.Polygon) < 3 {
		f.Add("polygon", "规定区域至少需要3个顶点")
	}
	for k := range in.Values {
		known := false
		for _, sp := range r.Info().Specs {
			known = known || sp.Key == k
		}
		f.Check(!known, "values."+k, "未知参数")
	}
	for _, sp := range r.Info().Specs {
		v, ok := in.Values[sp.Key]
		if !ok {
			continue
		}
		field := "values." + sp.Key
		if v < sp.Min || v > sp.Max {
			f.Add(field, fmt.Sprintf("%s须在%g至%g%s之间", sp.Label, sp.Min, sp.Max, sp.Unit))
			continue
		}
		if n.Kind != "district" {
			continue
		}
		c := cityL.params.V(sp.Key)
		switch {
		case sp.Stricter == 0 && v != c:
			f.Add(field, fmt.Sprintf("%s由市级统一设置（%g%s）", sp.Label, c, sp.Unit))
		case sp.Stricter < 0 && v > c:
			f.Add(field, fmt.Sprintf("%s不能宽于市级设置（不超过%g%s）", sp.Label, c, sp.Unit))
		case sp.Stricter > 0 && v < c:
			f.Add(field, fmt.Sprintf("%s不能宽于市级设置（不低于%g%s）", sp.Label, c, sp.Unit))
		}
	}
	return f.Err()
}

// SetParams stores a level's parameters of a rule (platform administrator
// of the level), audited.
func (s *Service) SetParams(ctx context.Context, a *access.Actor, code string, in ParamsInput) (*RuleSetting, error) {
	r := ByCode(code)
	if r == nil {
		return nil, errs.E(errs.NotFound, "规则不存在：%s", code)
	}
	n, err := s.levelNode(ctx, a, in.UnitID)
	if err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		st, err := LoadSettings(ctx, tx)
		if err != nil {
			return err
		}
		if err := checkParams(r, n, in, st); err != nil {
			return err
		}
		before := st.rows[code][n.Path]
		b, _ := json.Marshal(Params{Values: in.Values, Polygon: in.Polygon})
		row := &paramRow{Rule: code, UnitID: n.ID, Enabled: in.Enabled, Params: string(b), UpdatedBy: &a.UserID, UpdatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(row).On("CONFLICT (rule, unit_id) DO UPDATE").
			Set("enabled = EXCLUDED.enabled, params = EXCLUDED.params, updated_by = EXCLUDED.updated_by, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		var bv any
		if before != nil {
			bv = map[string]any{"enabled": before.Enabled, "params": json.RawMessage(before.Params)}
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actSupervisionParams, ObjectType: audit.Unit, ObjectID: n.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("修改%s监督规则“%s”的参数", n.Name, r.Info().Name), Before: bv,
			After: map[string]any{"rule": code, "enabled": in.Enabled, "params": json.RawMessage(b)}})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	all, err := s.RuleSettings(ctx, a, n.ID)
	if err != nil {
		return nil, err
	}
	for _, x := range all {
		if x.Code == code {
			return x, nil
		}
	}
	return nil, errs.E(errs.Internal, "rule vanished")
}
