// Package savingsrate computes the savings rate (节支率, issue 23 part 4):
//
//	节支率 = (基数 − 实际费用) ÷ 基数
//
// per node (the city, a district, a unit) and year, where the actual cost
// is the cost ledger's kept totals of the node's subtree and the baseline
// is what the authority chose for its level and that year: last year's
// actual cost of the same months, the budget entered per node and year
// (pro-rated to the months counted), or the market-price equivalent of the
// trips served (integrated dispatch, MarketEquivalent). Both inputs are
// shown beside the rate; without a baseline, or with a zero one, there is
// no rate and the row says why.
package savingsrate

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/store"
)

// The bases a level may choose.
const (
	Previous = "previous" // 上年同期实际费用
	Budget   = "budget"   // 预算
	Market   = "market"   // 市场价格折算
)

// Bases lists the bases in display order with their names.
var Bases = []struct {
	Code string `json:"code"`
	Name string `json:"name"`
}{{Previous, "上年同期实际费用"}, {Budget, "年度预算"}, {Market, "服务行程的市场价格折算"}}

func basisName(code string) string {
	for _, b := range Bases {
		if b.Code == code {
			return b.Name
		}
	}
	return code
}

var (
	actBasis  = audit.NewAction("savings.basis", "设置节支率基数")
	actBudget = audit.NewAction("savings.budget", "录入用车预算")
)

// MarketEquivalent prices every trip served by the vehicles under a node
// (materialised path) in [from, to) at market reference prices, in fen
// (savings.MarketPrices, wired in internal/app). While nil, the market
// basis shows 尚未提供.
type MarketEquivalent interface {
	Equivalent(ctx context.Context, path string, from, to time.Time) (int64, error)
}

// MarketTrips is what a MarketEquivalent may also say: how many trips its
// figure prices, and how many it cannot (no market price for the day).
type MarketTrips interface {
	Trips(ctx context.Context, path string, from, to time.Time) (priced, missing int, err error)
}

// MarketVehicles is what a MarketEquivalent may also say: the vehicles
// that served the trips it prices. With it the market basis compares like
// with like: the market price of those trips against those vehicles' ledger
// costs, not the whole ledger (vehicles that served no trip, costs of no
// vehicle), which the baseline has no counterpart for.
type MarketVehicles interface {
	Vehicles(ctx context.Context, path string, from, to time.Time) ([]int64, error)
}

// Service computes the rate and keeps the bases and budgets.
type Service struct {
	DB     *store.DB
	Market MarketEquivalent // nil: not provided yet
	Now    func() time.Time // nil: time.Now
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Row is one node's savings rate with both its inputs.
type Row struct {
	UnitID      int64    `json:"unit_id"`
	Name        string   `json:"name"`
	Kind        string   `json:"kind"` // city | district | unit
	KindName    string   `json:"kind_name"`
	Basis       string   `json:"basis"`
	BasisName   string   `json:"basis_name"`
	Baseline    *int64   `json:"baseline"` // fen; nil: none
	Actual      int64    `json:"actual"`   // fen
	Saved       *int64   `json:"saved"`    // baseline − actual, fen
	Rate        *float64 `json:"rate"`     // percent, one decimal; nil: no rate
	Note        string   `json:"note"`     // why there is no rate, or how the baseline was taken
	Budget      *int64   `json:"budget"`   // the node's annual budget, fen, if entered
	HasChildren bool     `json:"has_children"`
}

// Result is a node's savings rate and its direct children's for a year.
type Result struct {
	Year       int     `json:"year"`
	Months     int     `json:"months"`      // the months counted: 12 for a past year, up to the current month for this one
	PeriodName string  `json:"period_name"` // 2026年1–11月
	Definition string  `json:"definition"`
	Basis      string  `json:"basis"` // the basis the node's level chose (or inherits)
	BasisName  string  `json:"basis_name"`
	BasisSetBy string  `json:"basis_set_by"` // the level node that chose it ("" default)
	MayChoose  bool    `json:"may_choose"`   // the caller may choose this level's basis and enter budgets
	Bases      any     `json:"bases"`
	Node       *Row    `json:"node"`
	Rows       []*Row  `json:"rows"` // direct active children
	Parents    []Crumb `json:"parents"`
}

// Crumb is a node on the way down from the caller's scope.
type Crumb struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// Definition is the rate's definition as every page shows it.
const Definition = "节支率 =（基数 − 实际费用）÷ 基数。实际费用取费用台账（燃油、维修保养、保险、年检、租赁等）统计期间的合计；基数由本级平台管理员按年度选定：上年同期实际费用、年度预算（按统计月数折算）或服务行程的市场价格折算。" +
	"市场价格折算：本级车辆统计期间完成的每次出车（含为其他单位出车），按用车时长计整天（24小时）、余下不超过4小时计半天、超过4小时计一天，乘以出车当日该车型的租赁市场参考价（日价、半日价）合计；" +
	"此时实际费用只取完成这些出车的车辆的台账费用（同一批车辆、同一期间），未出车车辆和不属于车辆的费用不计。基数为零或缺失时不计算节支率。"

type node struct {
	ID       int64  `bun:"id"`
	Name     string `bun:"name"`
	Kind     string `bun:"kind"`
	Path     string `bun:"path"`
	ParentID *int64 `bun:"parent_id"`
	Children int    `bun:"children"`
}

var kindNames = map[string]string{"city": "市级", "district": "区县", "unit": "单位"}

// Rate returns (baseline − actual) ÷ baseline in percent with one
// decimal, and the saving; no rate without a baseline or with a zero one.
func Rate(baseline *int64, actual int64) (rate *float64, saved *int64, note string) {
	if baseline == nil {
		return nil, nil, "无基数"
	}
	sv := *baseline - actual
	if *baseline <= 0 {
		return nil, &sv, "基数为零，不计算节支率"
	}
	// Rounded half away from zero to one decimal of a percent, in integers.
	num := sv * 1000
	q := num / *baseline
	if r := num % *baseline; 2*abs(r) >= *baseline {
		if num < 0 {
			q--
		} else {
			q++
		}
	}
	v := float64(q) / 10
	return &v, &sv, ""
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

// Compute returns the savings rate of nodeID (0: the actor's scope) and its
// direct children for year (0: this year).
func (s *Service) Compute(ctx context.Context, a *access.Actor, nodeID int64, year int) (*Result, error) {
	now := s.now().In(beijing.Zone)
	if year == 0 {
		year = now.Year()
	}
	if year < 2000 || year > now.Year() {
		return nil, (&errs.Fields{"year": fmt.Sprintf("年度应在2000至%d之间", now.Year())}).Err()
	}
	if nodeID == 0 {
		nodeID = a.ScopeID
	}
	var self node
	if err := s.DB.R.NewSelect().Table("units").Column("id", "name", "kind", "path", "parent_id").Where("id = ?", nodeID).Scan(ctx, &self); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
	}
	if !a.Covers(self.Path) {
		return nil, errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", self.Name)
	}
	months := 12
	if year == now.Year() {
		months = int(now.Month())
	}
	res := &Result{Year: year, Months: months, Definition: Definition, Bases: Bases, Rows: []*Row{}, Parents: []Crumb{},
		PeriodName: fmt.Sprintf("%d年1–%d月", year, months)}
	if months == 1 {
		res.PeriodName = fmt.Sprintf("%d年1月", year)
	}
	var kids []node
	if err := s.DB.R.NewSelect().TableExpr("units AS u").ColumnExpr("u.id, u.name, u.kind, u.path, u.parent_id").
		ColumnExpr("(SELECT COUNT(*) FROM units AS c WHERE c.parent_id = u.id AND c.active = ?) AS children", true).
		Where("u.parent_id = ? AND u.active = ?", nodeID, true).OrderExpr("u.sort, u.id").Scan(ctx, &kids); err != nil {
		return nil, store.Translate(err)
	}
	self.Children = len(kids)
	// The ledger's kept totals of this year's and last year's months, per unit path.
	cost := func(y int) (map[string]int64, error) {
		var ms []string
		for m := 1; m <= months; m++ {
			ms = append(ms, fmt.Sprintf("%04d-%02d", y, m))
		}
		var rows []struct {
			Path string `bun:"unit_path"`
			Fen  int64  `bun:"fen"`
		}
		err := s.DB.R.NewSelect().Table("cost_totals").ColumnExpr("unit_path, SUM(amount_fen) AS fen").
			Where("unit_path LIKE ? AND period IN (?)", self.Path+"%", bun.In(ms)).GroupExpr("unit_path").Scan(ctx, &rows)
		out := map[string]int64{}
		for _, r := range rows {
			out[r.Path] = r.Fen
		}
		return out, store.Translate(err)
	}
	// vehicleCost: the ledger's kept totals of this year's months of the
	// vehicles ids under path (the market basis's actual cost).
	vehicleCost := func(ids []int64, path string) (int64, error) {
		if len(ids) == 0 {
			return 0, nil
		}
		var ms []string
		for m := 1; m <= months; m++ {
			ms = append(ms, fmt.Sprintf("%04d-%02d", year, m))
		}
		var v int64
		err := s.DB.R.NewSelect().Table("cost_totals").ColumnExpr("COALESCE(SUM(amount_fen), 0)").
			Where("unit_path LIKE ? AND period IN (?) AND vehicle_id IN (?)", path+"%", bun.In(ms), bun.In(ids)).Scan(ctx, &v)
		return v, store.Translate(err)
	}
	cur, err := cost(year)
	if err != nil {
		return nil, err
	}
	prev, err := cost(year - 1)
	if err != nil {
		return nil, err
	}
	sum := func(m map[string]int64, path string) (int64, bool) {
		var t int64
		any := false
		for p, v := range m {
			if strings.HasPrefix(p, path) {
				t += v
				any = true
			}
		}
		return t, any
	}
	// Budgets of the nodes shown, and the bases chosen by the levels above.
	ids := []int64{self.ID}
	for _, k := range kids {
		ids = append(ids, k.ID)
	}
	var budgets []struct {
		UnitID int64 `bun:"unit_id"`
		Fen    int64 `bun:"amount_fen"`
	}
	if err := s.DB.R.NewSelect().Table("savings_budgets").Column("unit_id", "amount_fen").Where("year = ? AND unit_id IN (?)", year, bun.In(ids)).Scan(ctx, &budgets); err != nil {
		return nil, store.Translate(err)
	}
	budget := map[int64]int64{}
	for _, b := range budgets {
		budget[b.UnitID] = b.Fen
	}
	var chosen []struct {
		Path  string `bun:"path"`
		Name  string `bun:"name"`
		Basis string `bun:"basis"`
	}
	if err := s.DB.R.NewSelect().TableExpr("savings_bases AS b").ColumnExpr("u.path, u.name, b.basis").
		Join("JOIN units AS u ON u.id = b.unit_id").Where("b.year = ?", year).Scan(ctx, &chosen); err != nil {
		return nil, store.Translate(err)
	}
	// basisOf: the choice of the deepest level node at or above the path.
	basisOf := func(n node) (string, string) {
		best, by, depth := Previous, "", -1
		for _, c := range chosen {
			if strings.HasPrefix(n.Path, c.Path) && len(c.Path) > depth && (n.Kind != "unit" || c.Path != n.Path) {
				best, by, depth = c.Basis, c.Name, len(c.Path)
			}
		}
		return best, by
	}
	from := time.Date(year, 1, 1, 0, 0, 0, 0, beijing.Zone)
	to := from.AddDate(0, months, 0)
	row := func(n node) (*Row, error) {
		r := &Row{UnitID: n.ID, Name: n.Name, Kind: n.Kind, KindName: kindNames[n.Kind], HasChildren: n.Children > 0}
		r.Actual, _ = sum(cur, n.Path)
		r.Basis, _ = basisOf(n)
		r.BasisName = basisName(r.Basis)
		if b, ok := budget[n.ID]; ok {
			r.Budget = &b
		}
		note := ""
		switch r.Basis {
		case Previous:
			v, any := sum(prev, n.Path)
			if any {
				r.Baseline = &v
			} else {
				note = fmt.Sprintf("%d年同期无费用记录", year-1)
			}
		case Budget:
			if r.Budget != nil {
				v := *r.Budget * int64(months) / 12
				r.Baseline = &v
				if months < 12 {
					note = fmt.Sprintf("年度预算%s元按%d个月折算", money.Yuan(*r.Budget), months)
				}
			} else {
				note = fmt.Sprintf("未录入%d年预算", year)
			}
		case Market:
			if s.Market == nil {
				note = "市场价格折算尚未提供"
			} else {
				v, err := s.Market.Equivalent(ctx, n.Path, from.UTC(), to.UTC())
				if err != nil {
					return nil, err
				}
				r.Baseline = &v
				if c, ok := s.Market.(MarketTrips); ok {
					priced, missing, err := c.Trips(ctx, n.Path, from.UTC(), to.UTC())
					if err != nil {
						return nil, err
					}
					note = fmt.Sprintf("按%d次出车的市场参考价折算", priced)
					if missing > 0 {
						note += fmt.Sprintf("；另%d次出车的车型当日无市场参考价，未计入", missing)
					}
				}
				if mv, ok := s.Market.(MarketVehicles); ok {
					ids, err := mv.Vehicles(ctx, n.Path, from.UTC(), to.UTC())
					if err != nil {
						return nil, err
					}
					served, err := vehicleCost(ids, n.Path)
					if err != nil {
						return nil, err
					}
					note += fmt.Sprintf("；实际费用取出车的%d辆车的台账费用（台账合计%s元）", len(ids), money.Yuan(r.Actual))
					r.Actual = served
				}
			}
		}
		var why string
		r.Rate, r.Saved, why = Rate(r.Baseline, r.Actual)
		if r.Baseline == nil {
			why = note
		} else if why == "" {
			why = note
		}
		r.Note = why
		return r, nil
	}
	if res.Node, err = row(self); err != nil {
		return nil, err
	}
	res.Basis, res.BasisSetBy = basisOf(self)
	res.BasisName = basisName(res.Basis)
	for _, k := range kids {
		r, err := row(k)
		if err != nil {
			return nil, err
		}
		res.Rows = append(res.Rows, r)
	}
	res.MayChoose = a.Has(access.SavingsBaseline) && self.Kind != "unit" && a.Covers(self.Path)
	// The way down from the caller's scope, for drill-up.
	if self.ID != a.ScopeID {
		var up []Crumb
		if err := s.DB.R.NewSelect().Table("units").Column("id", "name").
			Where("? LIKE path || '%' AND path LIKE ? AND id <> ?", self.Path, a.ScopePath+"%", self.ID).OrderExpr("depth").Scan(ctx, &up); err != nil {
			return nil, store.Translate(err)
		}
		res.Parents = append(res.Parents, up...)
	}
	return res, nil
}

// level loads a node the actor may set the baseline of.
func level(ctx context.Context, tx bun.Tx, a *access.Actor, id int64) (node, error) {
	var n node
	if err := tx.NewSelect().Table("units").Column("id", "name", "kind", "path").Where("id = ?", id).Scan(ctx, &n); err != nil {
		return n, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
	}
	if !a.Covers(n.Path) {
		return n, errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", n.Name)
	}
	return n, nil
}

type basisRow struct {
	bun.BaseModel `bun:"table:savings_bases"`
	UnitID        int64     `bun:"unit_id"`
	Year          int       `bun:"year"`
	Basis         string    `bun:"basis"`
	UpdatedBy     int64     `bun:"updated_by"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

type budgetRow struct {
	bun.BaseModel `bun:"table:savings_budgets"`
	UnitID        int64     `bun:"unit_id"`
	Year          int       `bun:"year"`
	AmountFen     int64     `bun:"amount_fen"`
	UpdatedBy     int64     `bun:"updated_by"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// BasisInput chooses a level's basis for a year.
type BasisInput struct {
	UnitID int64  `json:"unit_id"`
	Year   int    `json:"year"`
	Basis  string `json:"basis" max:"20"`
}

// SetBasis chooses the basis of a level (the city or a district) for a year.
func (s *Service) SetBasis(ctx context.Context, a *access.Actor, in BasisInput) (any, error) {
	f := &errs.Fields{}
	f.Check(in.Basis != Previous && in.Basis != Budget && in.Basis != Market, "basis", "请选择基数：上年同期实际费用、年度预算或市场价格折算")
	f.Check(in.Year < 2000 || in.Year > s.now().In(beijing.Zone).Year()+1, "year", "年度无效")
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := level(ctx, tx, a, in.UnitID)
		if err != nil {
			return err
		}
		if n.Kind == "unit" {
			return (&errs.Fields{"unit_id": fmt.Sprintf("「%s」是单位，基数由所属层级（市或区县）选定", n.Name)}).Err()
		}
		if _, err := tx.NewDelete().Table("savings_bases").Where("unit_id = ? AND year = ?", n.ID, in.Year).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&basisRow{UnitID: n.ID, Year: in.Year, Basis: in.Basis, UpdatedBy: a.UserID, UpdatedAt: time.Now().UTC()}).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actBasis, ObjectType: audit.SavingsBaseline, ObjectID: n.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("%s %d年节支率基数：%s", n.Name, in.Year, basisName(in.Basis))})
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"basis": in.Basis, "basis_name": basisName(in.Basis)}, nil
}

// BudgetInput enters a node's budget for a year (yuan text); empty removes it.
type BudgetInput struct {
	UnitID int64  `json:"unit_id"`
	Year   int    `json:"year"`
	Amount string `json:"amount" max:"20"` // yuan, e.g. "1200000.00"
}

// SetBudget enters the budget of a node of the actor's scope for a year.
func (s *Service) SetBudget(ctx context.Context, a *access.Actor, in BudgetInput) (any, error) {
	f := &errs.Fields{}
	f.Check(in.Year < 2000 || in.Year > s.now().In(beijing.Zone).Year()+1, "year", "年度无效")
	var fen int64
	clear := strings.TrimSpace(in.Amount) == ""
	if !clear {
		v, err := money.Parse(strings.TrimSpace(in.Amount))
		if err != nil || v < 0 {
			f.Add("amount", "预算金额应为不小于0的元数，最多两位小数")
		}
		fen = v
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := level(ctx, tx, a, in.UnitID)
		if err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("savings_budgets").Where("unit_id = ? AND year = ?", n.ID, in.Year).Exec(ctx); err != nil {
			return err
		}
		summary := fmt.Sprintf("%s %d年用车预算：删除", n.Name, in.Year)
		if !clear {
			if _, err := tx.NewInsert().Model(&budgetRow{UnitID: n.ID, Year: in.Year, AmountFen: fen, UpdatedBy: a.UserID, UpdatedAt: time.Now().UTC()}).Exec(ctx); err != nil {
				return err
			}
			summary = fmt.Sprintf("%s %d年用车预算：%s元", n.Name, in.Year, money.Yuan(fen))
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actBudget, ObjectType: audit.SavingsBaseline, ObjectID: n.ID, ScopePath: n.Path, Summary: summary})
	})
	if err != nil {
		return nil, err
	}
	return map[string]any{"unit_id": in.UnitID, "year": in.Year, "amount": fen}, nil
}
