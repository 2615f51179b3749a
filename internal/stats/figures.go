package stats

import (
	"context"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/ledger"
	"govfleet/internal/org"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// Definition is a figure's name and what it counts, shown beside the number
// (the help icon) and in docs/statistics.md.
type Definition struct {
	Key  string `json:"key"`
	Name string `json:"name"`
	Text string `json:"text"`
}

// Definitions of every figure, once. The dashboards, the detail pages they
// drill into and docs/statistics.md say the same.
var Definitions = []Definition{
	{"vehicles", "车辆实有数", "单位登记在册、未处置的车辆数（含不纳入平台监控的豁免车辆）；上级为所辖单位之和。与「组织机构」「编制与实有」的车辆实有数相同。"},
	{"quota", "编制数", "单位核定的车辆编制数；上级为所辖单位之和。"},
	{"excess", "超编车辆数", "每个单位实有数超出编制数的部分（未超编为0）；辖市(区)和全市为所辖各单位超编车辆数之和，不以总实有数减总编制数计算，因此一个单位的空编不抵消另一个单位的超编。超编车辆数大于0即为超编。"},
	{"orders", "出车订单数", "已出车的用车订单（执行中、待回场、待评价、已完成），按报到时间（北京时间）计入当日；单位、辖市(区)和全市计其（及下级）提出的订单，车辆计其承担的订单。与「用车订单查询」按同一单位（或车辆）、报到日期和这四种状态筛选的数量相同。"},
	{"vehicle_days", "出车车日", "有行驶里程或出车订单的车辆·日数（一辆车一天计1车日）。"},
	{"available_days", "可用车日", "车辆实有数 × 统计期天数（当月计至今日）。"},
	{"utilisation", "车辆使用率", "出车车日 ÷ 可用车日。"},
	{"km", "行驶里程", "北斗终端定位计算的行驶里程（公里），跨零点的行程按各段所在日期分别计入，与「行程与里程」每日里程相同。"},
	{"hours", "行驶时长", "点火或行驶状态的累计时长（小时），与「行程与里程」相同。"},
	{"costs", "费用", "费用台账按类别的金额（元）：燃油、维修保养、保险（扣除理赔）、年检、租赁、其他，与「费用台账」同期同单位合计相同。"},
	{"cost_per_vehicle", "车均费用", "费用 ÷ 车辆实有数（元/辆）。"},
	{"cost_per_100km", "百公里费用", "费用 ÷ 行驶里程 × 100（元/百公里）；无里程时不计算。"},
	{"online_rate", "终端在线率", "已装北斗终端、纳入平台的未处置车辆中，最近一次有效定位在30分钟内的比例。离线：上报过但30分钟内无有效定位；未上报：从未上报。与「实时监控」「终端健康」的离线定义相同。"},
	{"findings", "监督发现数", "监督规则当月（北京时间，按违规发生日）发现的问题数。"},
	{"cases", "案件数", "当月（按违规发生日）立案的案件数，与「监督案件」按月份筛选的数量相同。"},
	{"case_closure", "案件办结率", "当月案件中已核实违规或已排除的比例。"},
	{"mom", "环比", "(本期 − 上月) ÷ 上月；上月为0时不计算。"},
	{"yoy", "同比", "(本期 − 上年同月) ÷ 上年同月；上年同月为0时不计算。"},
}

// DefinitionOf returns the definition of key.
func DefinitionOf(key string) Definition {
	for _, d := range Definitions {
		if d.Key == key {
			return d
		}
	}
	return Definition{Key: key}
}

// Utilisation is vehicle-days used ÷ available (vehicles × days), 0 without
// any available.
func Utilisation(used, vehicles int64, days int) float64 {
	avail := vehicles * int64(days)
	if avail <= 0 {
		return 0
	}
	return round(float64(used)/float64(avail), 4)
}

// Change is (now − before) ÷ before, nil when before is 0 (环比, 同比).
func Change(now, before float64) *float64 {
	if before == 0 {
		return nil
	}
	c := round((now-before)/before, 4)
	return &c
}

// PerHundredKm is cost (fen) per 100 km driven (distance in metres), in fen;
// nil without distance.
func PerHundredKm(fen, distanceM int64) *int64 {
	if distanceM <= 0 {
		return nil
	}
	v := int64(math.Round(float64(fen) * 100_000 / float64(distanceM)))
	return &v
}

func round(v float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(v*p) / p
}

// Count is a labelled number.
type Count struct {
	Key   string `json:"key"`
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// Use is the use of a node (or a vehicle) over a period.
type Use struct {
	Period        string   `json:"period"`
	Orders        int64    `json:"orders"`
	VehicleDays   int64    `json:"vehicle_days"`
	AvailableDays int64    `json:"available_days"`
	Utilisation   float64  `json:"utilisation"`
	DistanceKm    float64  `json:"km"`
	Hours         float64  `json:"hours"`
	CostFen       int64    `json:"cost_fen"`
	Per100KmFen   *int64   `json:"cost_per_100km_fen"`
	distanceM     int64    `json:"-"`
	drivingS      int64    `json:"-"`
	_             struct{} `json:"-"`
}

func (u *Use) add(m *nodeMonth) {
	u.Orders += m.Orders
	u.VehicleDays += m.VehicleDays
	u.AvailableDays += m.AvailableDays
	u.distanceM += m.DistanceM
	u.drivingS += m.DrivingS
}

func (u *Use) finish() {
	u.DistanceKm = round(float64(u.distanceM)/1000, 1)
	u.Hours = round(float64(u.drivingS)/3600, 1)
	if u.AvailableDays > 0 {
		u.Utilisation = round(float64(u.VehicleDays)/float64(u.AvailableDays), 4)
	}
	u.Per100KmFen = PerHundredKm(u.CostFen, u.distanceM)
}

// Child is a node beneath (a district, a unit, or a vehicle of a unit) with
// its figures for the month: the drill-down.
type Child struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Kind     string `json:"kind"` // district | unit | vehicle
	Vehicles int64  `json:"vehicles"`
	Quota    int64  `json:"quota"`
	Excess   int64  `json:"excess"`
	Use
	Online int64 `json:"online"`
	Bound  int64 `json:"bound"`
	path   string
}

// Terminals is the online rate of a node's terminals now.
type Terminals struct {
	Bound   int64   `json:"bound"`
	Online  int64   `json:"online"`
	Offline int64   `json:"offline"`
	Never   int64   `json:"never"`
	Rate    float64 `json:"rate"`
}

// Supervision is the month's findings and cases of a node.
type Supervision struct {
	Findings int64   `json:"findings"`
	Cases    int64   `json:"cases"`
	Closed   int64   `json:"closed"`
	Closure  float64 `json:"closure"`
}

// Compare is a figure this month, last month and a year ago.
type Compare struct {
	Key      string   `json:"key"`
	Name     string   `json:"name"`
	Value    float64  `json:"value"`
	Previous float64  `json:"previous"`
	LastYear float64  `json:"last_year"`
	MoM      *float64 `json:"mom"`
	YoY      *float64 `json:"yoy"`
}

// Dashboard is the figures of a node (the city, a district or a unit) for a
// month: everything a 统计分析 page draws.
type Dashboard struct {
	Node struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		Kind string `json:"kind"`
	} `json:"node"`
	Parents    []Count      `json:"parents"` // the path above, for the breadcrumb (value: id)
	Month      string       `json:"month"`
	Vehicles   int64        `json:"vehicles"`
	Quota      int64        `json:"quota"`
	Excess     int64        `json:"excess"`
	Category   []Count      `json:"by_category"`
	Energy     []Count      `json:"by_energy"`
	Age        []Count      `json:"by_age"`
	Level      []Count      `json:"by_level"`
	Months     []*Use       `json:"months"` // the 12 months up to Month
	Current    *Use         `json:"current"`
	Costs      []Count      `json:"costs"`      // the month's costs by kind (fen)
	YearCosts  []Count      `json:"year_costs"` // the year to Month by kind (fen)
	Children   []*Child     `json:"children"`
	Terminals  Terminals    `json:"terminals"`
	Supervise  Supervision  `json:"supervision"`
	Compare    []Compare    `json:"compare"`
	Defs       []Definition `json:"definitions"`
	PerVehicle int64        `json:"cost_per_vehicle_fen"`
}

// node is a unit row the dashboard reads.
type node struct {
	ID       int64  `bun:"id"`
	ParentID *int64 `bun:"parent_id"`
	Name     string `bun:"name"`
	Kind     string `bun:"kind"`
	Level    string `bun:"level"`
	Path     string `bun:"path"`
	Quota    int64  `bun:"vehicle_quota"`
	Count    int64  `bun:"vehicle_count"`
	Active   bool   `bun:"active"`
}

// Node reads the node id (0: the actor's scope) if the actor covers it.
func (s *Service) node(ctx context.Context, a *access.Actor, id int64) (*node, error) {
	if id == 0 {
		id = a.ScopeID
	}
	n := new(node)
	if err := s.DB.R.NewSelect().Table("units").Column("id", "parent_id", "name", "kind", "level", "path", "vehicle_quota", "vehicle_count", "active").
		Where("id = ?", id).Scan(ctx, n); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
	}
	if !a.Covers(n.Path) {
		return nil, errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", n.Name)
	}
	return n, nil
}

// ParseMonth reads YYYY-MM ("": the current Beijing month).
func ParseMonth(m string, now time.Time) (string, error) {
	if m == "" {
		return beijing.Month(now), nil
	}
	if _, err := beijing.ParseMonth(m); err != nil {
		return "", errs.E(errs.Invalid, "月份格式应为 YYYY-MM")
	}
	return m, nil
}

func monthAdd(m string, n int) string {
	t, _ := beijing.ParseMonth(m)
	return beijing.Month(t.AddDate(0, n, 0))
}

// Dashboard reads the figures of node unitID (0: the actor's scope) for
// month (YYYY-MM, "": this month) from the roll-ups, the registry's kept
// counts and the live positions — never positions, trips or orders.
func (s *Service) Dashboard(ctx context.Context, a *access.Actor, unitID int64, month string) (*Dashboard, error) {
	n, err := s.node(ctx, a, unitID)
	if err != nil {
		return nil, err
	}
	if month, err = ParseMonth(month, s.now()); err != nil {
		return nil, err
	}
	d := &Dashboard{Month: month, Defs: Definitions, Children: []*Child{}}
	d.Node.ID, d.Node.Name, d.Node.Kind = n.ID, n.Name, n.Kind
	like := n.Path + "%"
	db := s.DB.R
	// The path above, for the breadcrumb, as far as the actor sees.
	if ids := pathIDs(n.Path); len(ids) > 1 {
		var ps []node
		if err := db.NewSelect().Table("units").Column("id", "name", "path").Where("id IN (?)", bun.In(ids[:len(ids)-1])).Order("depth").Scan(ctx, &ps); err != nil {
			return nil, store.Translate(err)
		}
		for _, p := range ps {
			if a.Covers(p.Path) {
				d.Parents = append(d.Parents, Count{Key: "unit", Name: p.Name, Value: p.ID})
			}
		}
	}

	// The registry: units' kept counts (quota, actual, excess — org's one
	// definition) and the vehicles by category, energy, age and level.
	var units []node
	if err := db.NewSelect().Table("units").Column("id", "parent_id", "name", "kind", "level", "path", "vehicle_quota", "vehicle_count", "active").
		Where("path LIKE ?", like).Order("path").Scan(ctx, &units); err != nil {
		return nil, store.Translate(err)
	}
	children := map[int64]*Child{}
	var childList []*Child
	for i := range units {
		u := &units[i]
		if u.ParentID != nil && *u.ParentID == n.ID && u.Active {
			c := &Child{ID: u.ID, Name: u.Name, Kind: u.Kind, path: u.Path}
			children[u.ID] = c
			childList = append(childList, c)
		}
	}
	for _, u := range units {
		if u.Kind != org.KindUnit || !u.Active {
			continue
		}
		ex := int64(org.Excess(int(u.Count), int(u.Quota)))
		d.Vehicles += u.Count
		d.Quota += u.Quota
		d.Excess += ex
		if c := children[childID(u.Path, n.Path)]; c != nil {
			c.Vehicles += u.Count
			c.Quota += u.Quota
			c.Excess += ex
		}
	}
	if n.Kind == org.KindUnit {
		d.Vehicles, d.Quota, d.Excess = n.Count, n.Quota, int64(org.Excess(int(n.Count), int(n.Quota)))
	}
	reg, err := s.registry(ctx, like)
	if err != nil {
		return nil, err
	}
	vs := reg.groups
	cat, en, age, lvl := map[string]int64{}, map[string]int64{}, map[string]int64{}, map[string]int64{}
	year, _ := strconv.Atoi(month[:4])
	for _, v := range vs {
		cat[v.Category] += v.N
		en[v.Energy] += v.N
		lvl[v.Level] += v.N
		age[ageBand(v.Year, year)] += v.N
	}
	d.Category = codes(fleet.Categories, cat)
	d.Energy = codes(fleet.EnergyTypes, en)
	d.Age = codes(ageBands, age)
	d.Level = codes([]fleet.Code{{Code: "city", Name: "市级单位"}, {Code: "district", Name: "辖市(区)单位"}}, lvl)

	// Use and costs: the node roll-ups of the node's path (the unit months
	// and cost roll-ups of every unit at or below it) for the 12 months to
	// month and a year ago, and those of its children's paths for the month:
	// a row per month (and kind) looked up by key.
	first, lastYear := monthAdd(month, -11), monthAdd(month, -12)
	months := make([]string, 13)
	byMonth := map[string]*Use{}
	for i := range months {
		months[i] = monthAdd(lastYear, i)
		byMonth[months[i]] = &Use{Period: months[i]}
	}
	for i := 0; i < 12; i++ {
		d.Months = append(d.Months, byMonth[monthAdd(first, i)])
	}
	prevYear := byMonth[lastYear]
	var ns []*nodeMonth
	if err := db.NewSelect().Model(&ns).Where("month IN (?) AND node_path = ?", bun.In(months), n.Path).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, m := range ns {
		byMonth[m.Month].add(m)
	}
	var cs []*nodeCost
	if err := db.NewSelect().Model(&cs).Where("month IN (?) AND node_path = ?", bun.In(months), n.Path).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	monthKinds, yearKinds := map[string]int64{}, map[string]int64{}
	for _, c := range cs {
		byMonth[c.Month].CostFen += c.AmountFen
		if c.Month == month {
			monthKinds[c.Kind] += c.AmountFen
		}
		if c.Month != lastYear && c.Month[:4] == month[:4] {
			yearKinds[c.Kind] += c.AmountFen
		}
	}
	if len(children) > 0 && n.Kind != org.KindUnit {
		byPath := map[string]*Child{}
		paths := make([]string, 0, len(childList))
		for _, c := range childList {
			byPath[c.path] = c
			paths = append(paths, c.path)
		}
		var ms []*nodeMonth
		if err := db.NewSelect().Model(&ms).Where("month = ? AND node_path IN (?)", month, bun.In(paths)).Scan(ctx); err != nil {
			return nil, store.Translate(err)
		}
		for _, m := range ms {
			byPath[m.NodePath].add(m)
		}
		var cs []*nodeCost
		if err := db.NewSelect().Model(&cs).Where("month = ? AND node_path IN (?)", month, bun.In(paths)).Scan(ctx); err != nil {
			return nil, store.Translate(err)
		}
		for _, c := range cs {
			byPath[c.NodePath].CostFen += c.AmountFen
		}
	}
	kinds := make([]fleet.Code, len(ledger.Kinds))
	for i, k := range ledger.Kinds {
		kinds[i] = fleet.Code{Code: k.Code, Name: k.Name}
	}
	d.Costs, d.YearCosts = codes(kinds, monthKinds), codes(kinds, yearKinds)
	for _, u := range d.Months {
		u.finish()
	}
	prevYear.finish()
	d.Current = byMonth[month]
	if d.Vehicles > 0 {
		d.PerVehicle = d.Current.CostFen / d.Vehicles
	}

	// A unit's children are its vehicles, from the day roll-ups and the
	// ledger's kept totals per vehicle.
	if n.Kind == org.KindUnit {
		if childList, err = s.vehicleChildren(ctx, n, month); err != nil {
			return nil, err
		}
	}
	for _, c := range childList {
		c.finish()
	}
	d.Children = childList
	if d.Children == nil {
		d.Children = []*Child{}
	}

	// Terminals now: the live map's latest positions.
	if err := s.terminals(ctx, like, n.Kind == org.KindUnit, d, children); err != nil {
		return nil, err
	}

	// Supervision: the month's findings and cases.
	from, to := month+"-01", month+"-31"
	cnt, err := db.NewSelect().Table("findings").Where("unit_path LIKE ? AND day >= ? AND day <= ?", like, from, to).Count(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	d.Supervise.Findings = int64(cnt)
	if err := db.NewRaw(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN state IN ('verified', 'dismissed') THEN 1 ELSE 0 END), 0)
		FROM cases WHERE unit_path LIKE ? AND day >= ? AND day <= ?`, like, from, to).Scan(ctx, &d.Supervise.Cases, &d.Supervise.Closed); err != nil {
		return nil, store.Translate(err)
	}
	if d.Supervise.Cases > 0 {
		d.Supervise.Closure = round(float64(d.Supervise.Closed)/float64(d.Supervise.Cases), 4)
	}

	// Month on month, year on year.
	prev := byMonth[monthAdd(month, -1)]
	cur := d.Current
	for _, c := range []struct {
		key            string
		now, pre, year float64
	}{
		{"orders", float64(cur.Orders), float64(prev.Orders), float64(prevYear.Orders)},
		{"vehicle_days", float64(cur.VehicleDays), float64(prev.VehicleDays), float64(prevYear.VehicleDays)},
		{"km", cur.DistanceKm, prev.DistanceKm, prevYear.DistanceKm},
		{"hours", cur.Hours, prev.Hours, prevYear.Hours},
		{"utilisation", cur.Utilisation, prev.Utilisation, prevYear.Utilisation},
		{"costs", float64(cur.CostFen) / 100, float64(prev.CostFen) / 100, float64(prevYear.CostFen) / 100},
	} {
		d.Compare = append(d.Compare, Compare{Key: c.key, Name: DefinitionOf(c.key).Name, Value: c.now, Previous: c.pre, LastYear: c.year,
			MoM: Change(c.now, c.pre), YoY: Change(c.now, c.year)})
	}
	return d, nil
}

// vehicleChildren are a unit's vehicles with their month's use and costs.
func (s *Service) vehicleChildren(ctx context.Context, n *node, month string) ([]*Child, error) {
	db := s.DB.R
	var vs []struct {
		ID    int64  `bun:"id"`
		Plate string `bun:"plate"`
	}
	if err := db.NewSelect().Table("vehicles").Column("id", "plate").Where("unit_id = ? AND status <> 'disposed'", n.ID).Order("plate").Scan(ctx, &vs); err != nil {
		return nil, store.Translate(err)
	}
	out := make([]*Child, 0, len(vs))
	byID := map[int64]*Child{}
	days := daysOf(month, s.now())
	for _, v := range vs {
		c := &Child{ID: v.ID, Name: v.Plate, Kind: "vehicle", Vehicles: 1}
		c.AvailableDays = int64(days)
		out = append(out, c)
		byID[v.ID] = c
	}
	var ds []*Day
	if err := db.NewSelect().Model(&ds).Where("unit_id = ? AND day >= ? AND day <= ?", n.ID, month+"-01", month+"-31").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, r := range ds {
		c := byID[r.VehicleID]
		if c == nil {
			continue
		}
		c.Orders += r.Orders
		c.VehicleDays++
		c.distanceM += r.DistanceM
		c.drivingS += r.DrivingS
	}
	var cs []struct {
		VehicleID int64 `bun:"vehicle_id"`
		Fen       int64 `bun:"amount_fen"`
	}
	if err := db.NewSelect().Table("cost_totals").ColumnExpr("vehicle_id, SUM(amount_fen) AS amount_fen").
		Where("period = ? AND unit_id = ?", month, n.ID).GroupExpr("vehicle_id").Scan(ctx, &cs); err != nil {
		return nil, store.Translate(err)
	}
	for _, c := range cs {
		if ch := byID[c.VehicleID]; ch != nil {
			ch.CostFen += c.Fen
		}
	}
	return out, nil
}

// terminals counts the node's bound terminals by connectivity
// (telematics.Connectivity over the live map's latest positions): the
// vehicles the live map shows.
func (s *Service) terminals(ctx context.Context, like string, perVehicle bool, d *Dashboard, children map[int64]*Child) error {
	reg, err := s.registry(ctx, like)
	if err != nil {
		return err
	}
	vs := reg.bound
	now := s.now()
	byVehicle := map[int64]*Child{}
	if perVehicle {
		for _, c := range d.Children {
			byVehicle[c.ID] = c
		}
	}
	t := &d.Terminals
	for _, v := range vs {
		var p telematics.Position
		ok := false
		if s.Latest != nil {
			p, ok = s.Latest.ByVehicle(v.ID)
		}
		c := byVehicle[v.ID]
		if !perVehicle {
			c = children[v.child]
		}
		t.Bound++
		if c != nil {
			c.Bound++
		}
		switch telematics.Connectivity(p, ok, now) {
		case telematics.Online:
			t.Online++
			if c != nil {
				c.Online++
			}
		case telematics.Offline:
			t.Offline++
		default:
			t.Never++
		}
	}
	if t.Bound > 0 {
		t.Rate = round(float64(t.Online)/float64(t.Bound), 4)
	}
	return nil
}

// RegistryTTL is how long a node's registry breakdown (vehicles by
// category, energy, purchase year and level) and its list of vehicles with
// a bound terminal are kept between dashboards: the registry changes
// seldom, and at 20,000 vehicles these two reads are most of a city
// dashboard. Whether each terminal is online is computed at every opening.
// A kept one older than that (up to twice as old) is still served while it
// is read again in the background, so that no opening waits for it.
const RegistryTTL = time.Minute

type regGroup struct {
	Category string `bun:"category"`
	Energy   string `bun:"energy_type"`
	Year     string `bun:"year"`
	Level    string `bun:"level"`
	N        int64  `bun:"n"`
}

type boundVehicle struct {
	ID    int64  `bun:"id"`
	Path  string `bun:"path"`
	child int64  // the node's child (childID) the vehicle's unit is at or under
}

type registry struct {
	at       time.Time
	groups   []regGroup
	bound    []boundVehicle
	renewing bool // being read again in the background (regMu)
}

// registry is the registry breakdown and the tracked vehicles of the nodes
// whose path is like: kept for RegistryTTL, then served up to as long again
// while read again in the background, else read now.
func (s *Service) registry(ctx context.Context, like string) (*registry, error) {
	s.regMu.Lock()
	r := s.reg[like]
	age := time.Duration(0)
	if r != nil {
		age = time.Since(r.at)
	}
	renew := r != nil && age >= RegistryTTL && age < 2*RegistryTTL && !r.renewing
	if renew {
		r.renewing = true
	}
	s.regMu.Unlock()
	switch {
	case renew:
		go func() {
			if _, err := s.readRegistry(context.Background(), like); err != nil {
				s.regMu.Lock()
				r.renewing = false
				s.regMu.Unlock()
			}
		}()
		return r, nil
	case r != nil && age < 2*RegistryTTL:
		return r, nil
	}
	return s.readRegistry(ctx, like)
}

// readRegistry reads the registry breakdown and the tracked vehicles of
// the nodes whose path is like, and keeps them.
func (s *Service) readRegistry(ctx context.Context, like string) (*registry, error) {
	r := &registry{at: time.Now()}
	db := s.DB.R
	if err := db.NewSelect().TableExpr("vehicles AS v").Join("JOIN units AS u ON u.id = v.unit_id").
		ColumnExpr("v.category, v.energy_type, SUBSTR(v.purchase_date, 1, 4) AS year, u.level, COUNT(*) AS n").
		Where("u.path LIKE ? AND v.status <> 'disposed'", like).
		GroupExpr("v.category, v.energy_type, SUBSTR(v.purchase_date, 1, 4), u.level").Scan(ctx, &r.groups); err != nil {
		return nil, store.Translate(err)
	}
	if err := db.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, u.path").
		Join("JOIN units AS u ON u.id = v.unit_id").Join("JOIN terminals AS t ON t.vehicle_id = v.id").
		Where("u.path LIKE ? AND v.status <> 'disposed' AND v.exempt = ?", like, false).Scan(ctx, &r.bound); err != nil {
		return nil, store.Translate(err)
	}
	for i := range r.bound {
		r.bound[i].child = childID(r.bound[i].Path, strings.TrimSuffix(like, "%"))
	}
	s.regMu.Lock()
	if s.reg == nil || len(s.reg) > 1000 {
		s.reg = map[string]*registry{}
	}
	s.reg[like] = r
	s.regMu.Unlock()
	return r, nil
}

// childID is the id of the child of the node at parent that path lies at
// or under (/1/3/ under /1/ → 3), 0 for the node itself.
func childID(path, parent string) int64 {
	rest, ok := strings.CutPrefix(path, parent)
	if !ok {
		return 0
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	id, _ := strconv.ParseInt(rest, 10, 64)
	return id
}

// pathIDs are the ids of a materialised path (/1/37/41/ → 1, 37, 41).
func pathIDs(path string) []int64 {
	var out []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

var ageBands = []fleet.Code{{Code: "0-3", Name: "3年以内"}, {Code: "3-5", Name: "3至5年"}, {Code: "5-8", Name: "5至8年"},
	{Code: "8-15", Name: "8至15年"}, {Code: "15+", Name: "15年以上"}, {Code: "unknown", Name: "购置日期不详"}}

// ageBand is the band of a vehicle bought in year (text) at year now: the
// whole years between the purchase year and the statistics' year.
func ageBand(bought string, now int) string {
	y, err := strconv.Atoi(bought)
	if err != nil || y < 1950 {
		return "unknown"
	}
	switch age := now - y; {
	case age < 3:
		return "0-3"
	case age < 5:
		return "3-5"
	case age < 8:
		return "5-8"
	case age < 15:
		return "8-15"
	}
	return "15+"
}

// codes lists the counts in the table's order under their names; codes the
// table lacks follow under their own name.
func codes(table []fleet.Code, m map[string]int64) []Count {
	out := []Count{}
	for _, c := range table {
		out = append(out, Count{Key: c.Code, Name: c.Name, Value: m[c.Code]})
	}
	var extra []string
	for k := range m {
		if !slices.ContainsFunc(table, func(c fleet.Code) bool { return c.Code == k }) {
			extra = append(extra, k)
		}
	}
	sort.Strings(extra)
	for _, k := range extra {
		out = append(out, Count{Key: k, Name: "其他", Value: m[k]})
	}
	return out
}
