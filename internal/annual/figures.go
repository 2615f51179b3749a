package annual

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/fleet"
	"govfleet/internal/ledger"
	"govfleet/internal/org"
)

// MajorRepairFen is the amount from which a closed repair is a major repair (大修) listed with its
// reason in the report: 10,000 yuan.
const MajorRepairFen = 1_000_000

// Figures are what a report says about a node's subtree for a year, all generated from the
// platform (docs/annual-report.md defines each): the units, the vehicles with their use and costs,
// the major repairs, the registry's dated changes and the incidents.
type Figures struct {
	Year         int           `json:"year"`
	Node         string        `json:"node"`
	Units        []UnitRow     `json:"units"`
	Vehicles     []VehicleRow  `json:"vehicles"`
	Totals       Totals        `json:"totals"`
	ByDistrict   []Totals      `json:"by_district"` // the city's and a district's report: per district or unit below
	MajorRepairs []RepairRow   `json:"major_repairs"`
	Changes      []ChangeRow   `json:"changes"`
	Incidents    []IncidentRow `json:"incidents"`
}

// UnitRow is a unit's basics: type, staffing, vehicle quota and actual, marking.
type UnitRow struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Parent   string `json:"parent"`
	Type     string `json:"type"`
	Staffing int    `json:"staffing"`
	Quota    int    `json:"quota"`
	Actual   int    `json:"actual"` // vehicles of the report's list held by the unit
	Marking  string `json:"marking"`
}

// VehicleRow is a vehicle of the list with the year's use and costs (fen).
type VehicleRow struct {
	ID            int64            `json:"id"`
	Unit          string           `json:"unit"`
	Plate         string           `json:"plate"`
	Model         string           `json:"model"`
	VIN           string           `json:"vin"`
	EngineNo      string           `json:"engine_no"`
	Displacement  int              `json:"displacement"` // millilitres
	Seats         int              `json:"seats"`
	RegisteredOn  string           `json:"registered_on"`
	PriceFen      int64            `json:"price_fen"`
	FundingSource string           `json:"funding_source"`
	Use           string           `json:"use"`
	Category      string           `json:"category"`
	Status        string           `json:"status"`
	KM            float64          `json:"km"`
	Costs         map[string]int64 `json:"costs"` // by ledger kind
	Missing       []string         `json:"missing"`
}

// Totals sum a set of vehicles: their number, kilometres and costs by kind.
type Totals struct {
	Name     string           `json:"name"`
	Units    int              `json:"units"`
	Quota    int              `json:"quota"`
	Vehicles int              `json:"vehicles"`
	KM       float64          `json:"km"`
	Costs    map[string]int64 `json:"costs"`
	CostFen  int64            `json:"cost_fen"`
	Acquired int              `json:"acquired"`
	Moved    int              `json:"moved"`
	Disposed int              `json:"disposed"`
	Repairs  int              `json:"major_repairs"`
	Claims   int              `json:"incidents"`
}

// RepairRow is a major repair and its reason.
type RepairRow struct {
	Date      string `json:"date"`
	No        string `json:"no"`
	Unit      string `json:"unit"`
	Plate     string `json:"plate"`
	Reason    string `json:"reason"`
	AmountFen int64  `json:"amount_fen"`
}

// ChangeRow is a dated change of the registry in the year.
type ChangeRow struct {
	Date  string `json:"date"`
	Kind  string `json:"kind"`
	Plate string `json:"plate"`
	From  string `json:"from"`
	To    string `json:"to"`
	DocNo string `json:"doc_no"`
	Note  string `json:"note"`
}

// IncidentRow is a damage, theft or accident (an insurance claim) or a verified misuse (a
// supervision case).
type IncidentRow struct {
	Date      string `json:"date"`
	Kind      string `json:"kind"`
	Unit      string `json:"unit"`
	Plate     string `json:"plate"`
	What      string `json:"what"`
	AmountFen int64  `json:"amount_fen"`
}

// Compute generates the figures of the subtree at path for year from the registry, the daily
// mileage, the cost ledger's kept totals, repairs, claims and cases. groupDepth names the level
// the totals are broken down by (the children of the node).
func Compute(ctx context.Context, db bun.IDB, path, node string, year int) (*Figures, error) {
	from, to := fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)
	like := path + "%"
	f := &Figures{Year: year, Node: node, Units: []UnitRow{}, Vehicles: []VehicleRow{}, ByDistrict: []Totals{},
		MajorRepairs: []RepairRow{}, Changes: []ChangeRow{}, Incidents: []IncidentRow{}}

	// units: basics
	var units []struct {
		ID       int64  `bun:"id"`
		Name     string `bun:"name"`
		Parent   string `bun:"parent"`
		Path     string `bun:"path"`
		Type     string `bun:"unit_type"`
		Staffing int    `bun:"staffing_count"`
		Quota    int    `bun:"vehicle_quota"`
		Marking  string `bun:"marking_status"`
	}
	if err := db.NewSelect().TableExpr("units AS u").
		ColumnExpr("u.id, u.name, COALESCE(p.name, '') AS parent, u.path, u.unit_type, u.staffing_count, u.vehicle_quota, u.marking_status").
		Join("LEFT JOIN units AS p ON p.id = u.parent_id").
		Where("u.path LIKE ? AND u.kind = 'unit' AND u.active = ?", like, true).OrderExpr("u.path").Scan(ctx, &units); err != nil {
		return nil, err
	}
	unitIdx := map[int64]int{}
	unitPath := map[int64]string{}
	for _, u := range units {
		unitIdx[u.ID] = len(f.Units)
		unitPath[u.ID] = u.Path
		f.Units = append(f.Units, UnitRow{ID: u.ID, Name: u.Name, Parent: u.Parent, Type: org.NameOf(org.UnitTypes, u.Type), Staffing: u.Staffing,
			Quota: u.Quota, Marking: org.NameOf(org.MarkingStatuses, u.Marking)})
	}

	// vehicles held in the year: in the subtree now, not disposed before the year began
	var vs []struct {
		ID           int64  `bun:"id"`
		UnitID       int64  `bun:"unit_id"`
		Unit         string `bun:"unit_name"`
		Plate        string `bun:"plate"`
		Brand        string `bun:"brand"`
		Model        string `bun:"model"`
		VIN          string `bun:"vin"`
		EngineNo     string `bun:"engine_no"`
		Displacement int    `bun:"displacement"`
		Seats        int    `bun:"seats"`
		Registered   string `bun:"registered_on"`
		Price        int64  `bun:"purchase_price"`
		Funding      string `bun:"funding_source"`
		Use          string `bun:"use_nature"`
		Category     string `bun:"category"`
		Status       string `bun:"status"`
		PurchaseDate string `bun:"purchase_date"`
		DisposedOn   string `bun:"disposed_on"`
	}
	if err := db.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id, v.unit_id, u.name AS unit_name, v.plate, v.brand, v.model, v.vin, v.engine_no, v.displacement, v.seats, v.registered_on").
		ColumnExpr("v.purchase_price, v.funding_source, v.use_nature, v.category, v.status, v.purchase_date").
		ColumnExpr("COALESCE((SELECT MIN(c.change_date) FROM vehicle_changes AS c WHERE c.vehicle_id = v.id AND c.kind = 'dispose'), '') AS disposed_on").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Where("u.path LIKE ?", like).OrderExpr("u.path, v.plate").Scan(ctx, &vs); err != nil {
		return nil, err
	}
	vehicleIdx := map[int64]int{}
	for _, v := range vs {
		if v.DisposedOn != "" && v.DisposedOn < from {
			continue
		}
		if v.PurchaseDate != "" && v.PurchaseDate > to {
			continue
		}
		row := VehicleRow{ID: v.ID, Unit: v.Unit, Plate: v.Plate, Model: strings.TrimSpace(v.Brand + " " + v.Model), VIN: v.VIN, EngineNo: v.EngineNo,
			Displacement: v.Displacement, Seats: v.Seats, RegisteredOn: v.Registered, PriceFen: v.Price, FundingSource: orRaw(fleet.NameOf(fleet.FundingSources, v.Funding), v.Funding), Use: v.Use,
			Category: fleet.NameOf(fleet.Categories, v.Category), Status: fleet.NameOf(fleet.Statuses, v.Status), Costs: map[string]int64{}}
		if v.DisposedOn != "" {
			row.Status = "已处置（" + v.DisposedOn + "）"
		}
		for _, m := range []struct {
			empty bool
			name  string
		}{{v.EngineNo == "", "发动机号"}, {v.Registered == "", "注册登记日期"}, {v.Price == 0, "购置价格"}, {v.Funding == "", "经费来源"}, {v.Use == "", "使用性质"}} {
			if m.empty {
				row.Missing = append(row.Missing, m.name)
			}
		}
		vehicleIdx[v.ID] = len(f.Vehicles)
		f.Vehicles = append(f.Vehicles, row)
		if i, ok := unitIdx[v.UnitID]; ok {
			f.Units[i].Actual++
		}
	}

	// the year's kilometres from the daily mileage of the subtree's units
	var kms []struct {
		VehicleID int64 `bun:"vehicle_id"`
		Metres    int64 `bun:"m"`
	}
	if err := db.NewSelect().TableExpr("vehicle_daily_mileage AS d").ColumnExpr("d.vehicle_id, SUM(d.distance_m) AS m").
		Join("JOIN units AS u ON u.id = d.unit_id").
		Where("u.path LIKE ? AND d.day >= ? AND d.day <= ?", like, from, to).GroupExpr("d.vehicle_id").Scan(ctx, &kms); err != nil {
		return nil, err
	}
	for _, k := range kms {
		if i, ok := vehicleIdx[k.VehicleID]; ok {
			f.Vehicles[i].KM = float64(k.Metres) / 1000
		}
	}

	// the year's costs from the ledger's kept totals
	var costs []struct {
		VehicleID int64  `bun:"vehicle_id"`
		Kind      string `bun:"kind"`
		Fen       int64  `bun:"fen"`
	}
	if err := db.NewSelect().Table("cost_totals").ColumnExpr("vehicle_id, kind, SUM(amount_fen) AS fen").
		Where("period = ? AND unit_path LIKE ?", fmt.Sprint(year), like).GroupExpr("vehicle_id, kind").Scan(ctx, &costs); err != nil {
		return nil, err
	}
	unitCosts := map[string]int64{}
	for _, c := range costs {
		if i, ok := vehicleIdx[c.VehicleID]; ok {
			f.Vehicles[i].Costs[c.Kind] += c.Fen
		} else {
			unitCosts[c.Kind] += c.Fen // the unit's costs without a vehicle, or of a vehicle no longer in the list
		}
	}

	// major repairs and their reasons
	var repairs []struct {
		No       string    `bun:"no"`
		Reason   string    `bun:"reason"`
		Fen      int64     `bun:"amount_fen"`
		Unit     string    `bun:"unit"`
		Plate    string    `bun:"plate"`
		ClosedAt time.Time `bun:"closed_at"`
	}
	if err := db.NewSelect().TableExpr("repair_jobs AS j").
		ColumnExpr("j.no, j.problem AS reason, j.final_fen AS amount_fen, u.name AS unit, v.plate, j.closed_at").
		Join("JOIN units AS u ON u.id = j.unit_id").Join("JOIN vehicles AS v ON v.id = j.vehicle_id").
		Where("u.path LIKE ? AND j.state = 'closed' AND j.final_fen >= ? AND j.closed_at >= ? AND j.closed_at < ?", like, MajorRepairFen,
			yearStart(year), yearStart(year+1)).OrderExpr("j.closed_at").Scan(ctx, &repairs); err != nil {
		return nil, err
	}
	for _, r := range repairs {
		f.MajorRepairs = append(f.MajorRepairs, RepairRow{Date: beijing.Date(r.ClosedAt), No: r.No, Unit: r.Unit, Plate: r.Plate, Reason: r.Reason, AmountFen: r.Fen})
	}

	// the registry's dated changes (acquisitions, transfers, disposals) touching the subtree
	if err := db.NewSelect().TableExpr("vehicle_changes AS c").
		ColumnExpr("c.change_date AS date, c.kind, v.plate, COALESCE(fu.name, '') AS \"from\", COALESCE(tu.name, '') AS \"to\", c.doc_no, c.note").
		Join("JOIN vehicles AS v ON v.id = c.vehicle_id").Join("JOIN units AS vu ON vu.id = v.unit_id").
		Join("LEFT JOIN units AS fu ON fu.id = c.from_unit_id").Join("LEFT JOIN units AS tu ON tu.id = c.to_unit_id").
		Where("c.change_date >= ? AND c.change_date <= ? AND c.kind IN ('acquire', 'transfer', 'dispose')", from, to).
		Where("(vu.path LIKE ? OR fu.path LIKE ? OR tu.path LIKE ?)", like, like, like).
		OrderExpr("c.change_date, c.id").Scan(ctx, &f.Changes); err != nil {
		return nil, err
	}
	for i := range f.Changes {
		f.Changes[i].Kind = fleet.NameOf(fleet.ChangeKinds, f.Changes[i].Kind)
	}

	// incidents: insurance claims (damage, theft, accidents) and verified supervision cases
	var claims []struct {
		At     time.Time `bun:"occurred_at"`
		Unit   string    `bun:"unit"`
		Plate  string    `bun:"plate"`
		Place  string    `bun:"place"`
		Damage string    `bun:"damage"`
		Fen    int64     `bun:"amount_fen"`
	}
	if err := db.NewSelect().TableExpr("insurance_claims AS c").
		ColumnExpr("c.occurred_at, u.name AS unit, v.plate, c.place, c.damage, c.amount_fen").
		Join("JOIN units AS u ON u.id = c.unit_id").Join("JOIN vehicles AS v ON v.id = c.vehicle_id").
		Where("u.path LIKE ? AND c.occurred_at >= ? AND c.occurred_at < ?", like, yearStart(year), yearStart(year+1)).
		OrderExpr("c.occurred_at").Scan(ctx, &claims); err != nil {
		return nil, err
	}
	for _, c := range claims {
		kind := "事故损失"
		if strings.Contains(c.Damage, "盗") {
			kind = "被盗"
		} else if !strings.Contains(c.Damage, "碰") && !strings.Contains(c.Damage, "撞") && !strings.Contains(c.Damage, "事故") {
			kind = "损坏"
		}
		f.Incidents = append(f.Incidents, IncidentRow{Date: beijing.Date(c.At), Kind: kind, Unit: c.Unit, Plate: c.Plate, What: c.Place + "：" + c.Damage, AmountFen: c.Fen})
	}
	var cases []struct {
		Day   string `bun:"day"`
		Unit  string `bun:"unit"`
		Plate string `bun:"plate"`
		Title string `bun:"title"`
	}
	if err := db.NewSelect().TableExpr("cases AS c").ColumnExpr("c.day, u.name AS unit, COALESCE(v.plate, '') AS plate, c.title").
		Join("JOIN units AS u ON u.id = c.unit_id").Join("LEFT JOIN vehicles AS v ON v.id = c.vehicle_id").
		Where("c.unit_path LIKE ? AND c.state = 'verified' AND c.day >= ? AND c.day <= ?", like, from, to).
		OrderExpr("c.day, c.id").Scan(ctx, &cases); err != nil {
		return nil, err
	}
	for _, c := range cases {
		f.Incidents = append(f.Incidents, IncidentRow{Date: c.Day, Kind: "违规使用（核实）", Unit: c.Unit, Plate: c.Plate, What: c.Title})
	}
	sort.SliceStable(f.Incidents, func(i, j int) bool { return f.Incidents[i].Date < f.Incidents[j].Date })

	// totals: the whole, and per child of the node (district, or unit)
	f.Totals = total(node, f, func(string) bool { return true }, unitCosts)
	var children []struct {
		Name string `bun:"name"`
		Path string `bun:"path"`
	}
	if err := db.NewSelect().Table("units").Column("name", "path").Where("path LIKE ? AND path <> ? AND depth = (SELECT depth + 1 FROM units WHERE path = ?) AND active = ?", like, path, path, true).
		OrderExpr("sort, path").Scan(ctx, &children); err != nil {
		return nil, err
	}
	unitOf := map[string]string{} // unit name → path
	for _, u := range units {
		unitOf[u.Name] = u.Path
	}
	for _, c := range children {
		in := func(unit string) bool { return strings.HasPrefix(unitOf[unit], c.Path) }
		f.ByDistrict = append(f.ByDistrict, total(c.Name, f, in, nil))
	}
	return f, nil
}

// total sums the figures of the units for which in(unit name) holds.
func total(name string, f *Figures, in func(string) bool, unitCosts map[string]int64) Totals {
	t := Totals{Name: name, Costs: map[string]int64{}}
	for _, u := range f.Units {
		if in(u.Name) {
			t.Units++
			t.Quota += u.Quota
		}
	}
	for _, v := range f.Vehicles {
		if !in(v.Unit) {
			continue
		}
		t.Vehicles++
		t.KM += v.KM
		for k, fen := range v.Costs {
			t.Costs[k] += fen
		}
	}
	for k, fen := range unitCosts {
		t.Costs[k] += fen
	}
	for _, k := range ledger.Kinds {
		t.CostFen += t.Costs[k.Code]
	}
	for _, c := range f.Changes {
		if !in(unitName(c)) {
			continue
		}
		switch c.Kind {
		case fleet.NameOf(fleet.ChangeKinds, "acquire"):
			t.Acquired++
		case fleet.NameOf(fleet.ChangeKinds, "transfer"):
			t.Moved++
		case fleet.NameOf(fleet.ChangeKinds, "dispose"):
			t.Disposed++
		}
	}
	for _, r := range f.MajorRepairs {
		if in(r.Unit) {
			t.Repairs++
		}
	}
	for _, i := range f.Incidents {
		if in(i.Unit) {
			t.Claims++
		}
	}
	return t
}

// unitName is the unit a change counts for: where the vehicle went (acquired, transferred to),
// or where it left from (disposed).
func unitName(c ChangeRow) string {
	if c.To != "" {
		return c.To
	}
	return c.From
}

// yearStart is the first instant of a Beijing year.
func yearStart(year int) time.Time { return time.Date(year, 1, 1, 0, 0, 0, 0, beijing.Zone).UTC() }

func orRaw(name, raw string) string {
	if name == "" {
		return raw
	}
	return name
}
