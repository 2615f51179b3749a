package supervision

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/money"
)

// fuelRec is a flagged fuel record as evidence.
type fuelRec struct {
	ID        int64     `bun:"id" json:"id"`
	VehicleID int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID    int64     `bun:"unit_id" json:"unit_id"`
	UnitPath  string    `bun:"unit_path" json:"-"`
	Month     string    `bun:"month" json:"month"`
	At        time.Time `bun:"at" json:"at"`
	Plate     string    `bun:"plate" json:"plate"`
	CardNo    string    `bun:"card_no" json:"card_no"`
	Station   string    `bun:"station" json:"station"`
	LitresML  int64     `bun:"litres_ml" json:"litres_ml"`
	AmountFen int64     `bun:"amount_fen" json:"amount_fen"`
	Flags     string    `bun:"flags" json:"flags"`
}

func (r *fuelRec) has(flag string) bool { return slices.Contains(strings.Split(r.Flags, ","), flag) }

func litres(ml int64) string { return fmt.Sprintf("%.1f升", float64(ml)/1000) }

// FuelAnomaly is a fuelling the fuel company's import flagged (R-30 私车公养,
// while the vehicle was sealed (its status, or a statutory holiday
// without a filing, R-15), more in a day than the tank holds, or a month far
// above the vehicle's own baseline. The flags are computed at import; a
// record is decided when its import arrives (the current import of the
// month), so the monthly import is seen by the scheduled run. Keys name the
// vehicle and the time, day or month, not the record, so a re-import of
// the month raises nothing twice: one finding per sealed fuelling, per
// vehicle-day beyond the tank, per vehicle-month above the baseline.
type FuelAnomaly struct{}

func (FuelAnomaly) Info() Info {
	return Info{Code: "fuel_anomaly", Name: "加油异常（疑似私车公养）", Basis: "R-30",
		Desc: "封存期间或节假日无备案加油、单日加油超过油箱容量、当月油量远超本车基线（每车每月一条）",
		Specs: []Spec{
			{Key: "sealed", Label: "计入封存或节假日无备案加油", Default: 1, Min: 0, Max: 1, Stricter: +1, Switch: true},
			{Key: "over_tank", Label: "计入单日加油超油箱容量", Default: 1, Min: 0, Max: 1, Stricter: +1, Switch: true},
			{Key: "above_baseline", Label: "计入当月油量远超基线", Default: 1, Min: 0, Max: 1, Stricter: +1, Switch: true},
			seriousSpec(0)}}
}

func (FuelAnomaly) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var rs []*fuelRec
	if err := db.NewSelect().TableExpr("fuel_records AS r").
		ColumnExpr("r.id, r.vehicle_id, r.unit_id, r.unit_path, r.month, r.at, r.plate, r.card_no, r.station, r.litres_ml, r.amount_fen, r.flags").
		Join("JOIN fuel_imports AS i ON i.id = r.import_id").
		Where("i.replaced_at IS NULL AND i.created_at >= ? AND i.created_at < ?", w.From.UTC(), w.To.UTC()).
		Where("r.vehicle_id IS NOT NULL AND r.flags <> ''").
		Order("r.vehicle_id", "r.at", "r.id").Scan(ctx, &rs); err != nil {
		return nil, err
	}
	var out []Finding
	group := map[string]int{} // key → index in out
	add := func(k string, r *fuelRec, summary func(recs []*fuelRec) string) {
		i, ok := group[k]
		if !ok {
			i = len(out)
			group[k] = i
			out = append(out, Finding{Rule: "fuel_anomaly", Key: k, VehicleID: r.VehicleID, UnitID: r.UnitID, UnitPath: r.UnitPath, At: r.At,
				Evidence: map[string]any{"fuel_records": []*fuelRec{}}})
		}
		f := &out[i]
		recs := append(f.Evidence["fuel_records"].([]*fuelRec), r)
		f.Evidence["fuel_records"] = recs
		f.Summary = summary(recs)
	}
	for _, r := range rs {
		v := p(r.UnitPath)
		day := beijing.Date(r.At)
		if r.has("sealed") && v.V("sealed") >= 1 {
			why := "车辆封存期间"
			if r.has("holiday") {
				why = "节假日封存期间（无备案）"
			}
			add(key("fuel_anomaly", "sealed", r.VehicleID, r.At.Unix()), r, func([]*fuelRec) string {
				return fmt.Sprintf("%s %s %s在%s加油%s", r.Plate, bj(r.At), why, r.Station, litres(r.LitresML))
			})
		}
		if r.has("over_tank") && v.V("over_tank") >= 1 {
			add(key("fuel_anomaly", "over_tank", r.VehicleID, day), r, func(recs []*fuelRec) string {
				return fmt.Sprintf("%s %s 加油%d次共%s，超过油箱容量", r.Plate, day, len(recs), litres(sumML(recs)))
			})
		}
		if r.has("above_baseline") && v.V("above_baseline") >= 1 {
			add(key("fuel_anomaly", "above_baseline", r.VehicleID, r.Month), r, func(recs []*fuelRec) string {
				return fmt.Sprintf("%s %s 加油%d次共%s，远超本车以往月均油量", r.Plate, r.Month, len(recs), litres(sumML(recs)))
			})
		}
	}
	return out, nil
}

func sumML(rs []*fuelRec) int64 {
	var n int64
	for _, r := range rs {
		n += r.LitresML
	}
	return n
}

// repairJob is a closed repair job as evidence.
type repairJob struct {
	ID        int64     `bun:"id" json:"id"`
	No        string    `bun:"no" json:"no"`
	VehicleID int64     `bun:"vehicle_id" json:"vehicle_id"`
	Plate     string    `bun:"plate" json:"plate"`
	Category  string    `bun:"category" json:"category"`
	UnitID    int64     `bun:"unit_id" json:"unit_id"`
	UnitPath  string    `bun:"unit_path" json:"-"`
	Kind      string    `bun:"kind" json:"kind"`
	Problem   string    `bun:"problem" json:"problem"`
	BudgetFen int64     `bun:"budget_fen" json:"budget_fen"`
	FinalFen  int64     `bun:"final_fen" json:"final_fen"`
	ClosedAt  time.Time `bun:"closed_at" json:"closed_at"`
}

// RepairCost is a repair whose cost runs away: a closed job
// whose final amount exceeds its approved budget by more than a percentage,
// or a vehicle whose closed repairs of the twelve months up to a job's
// closing exceed a multiple of the median of the vehicles of its category
// that had repairs in those months (compared only when enough of them had).
// A job is decided at its closing; the vehicle finding is raised once per
// vehicle and month.
type RepairCost struct{}

func (RepairCost) Info() Info {
	return Info{Code: "repair_cost", Name: "维修费用异常", Basis: "R-30",
		Desc: "维修结算金额超出审批预算比例，或单车12个月维修费用超过同类车辆中位数的倍数（每车每月一条）",
		Specs: []Spec{
			{Key: "over_budget_pct", Label: "结算超出预算", Unit: "%", Default: 20, Min: 0, Max: 100, Stricter: -1},
			{Key: "median_multiple", Label: "12个月维修费超过同类车辆中位数", Unit: "倍", Default: 3, Min: 1.5, Max: 10, Stricter: -1},
			{Key: "min_vehicles", Label: "同类有维修车辆至少", Unit: "辆", Default: 5, Min: 3, Max: 50, Stricter: -1},
			seriousSpec(0)}}
}

func (RepairCost) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var js []*repairJob
	if err := db.NewSelect().TableExpr("repair_jobs AS j").
		ColumnExpr("j.id, j.no, j.vehicle_id, v.plate, v.category, j.unit_id, u.path AS unit_path, j.kind, j.problem, j.budget_fen, j.final_fen, j.closed_at").
		Join("JOIN vehicles AS v ON v.id = j.vehicle_id").
		Join("JOIN units AS u ON u.id = j.unit_id").
		Where("j.state = 'closed' AND j.final_fen IS NOT NULL AND j.closed_at > ? AND j.closed_at < ?", w.From.AddDate(-1, 0, 0).UTC(), w.To.UTC()).
		Order("j.closed_at", "j.id").Scan(ctx, &js); err != nil {
		return nil, err
	}
	var out []Finding
	seen := map[string]bool{}
	for _, j := range js {
		if j.ClosedAt.Before(w.From) {
			continue
		}
		v := p(j.UnitPath)
		if j.BudgetFen > 0 && float64(j.FinalFen) > float64(j.BudgetFen)*(1+v.V("over_budget_pct")/100) {
			out = append(out, Finding{Rule: "repair_cost", Key: key("repair_cost", "job", j.ID), VehicleID: j.VehicleID, UnitID: j.UnitID, UnitPath: j.UnitPath,
				At: j.ClosedAt, Summary: fmt.Sprintf("%s 维修单%s 结算%s元，超出审批预算%s元的%.0f%%", j.Plate, j.No, money.Yuan(j.FinalFen), money.Yuan(j.BudgetFen),
					float64(j.FinalFen-j.BudgetFen)*100/float64(j.BudgetFen)),
				Evidence: map[string]any{"repair_job": j}})
		}
		// The vehicle's twelve months up to this closing against its category.
		m := beijing.Month(j.ClosedAt)
		k := key("repair_cost", "vehicle", j.VehicleID, m)
		if seen[k] {
			continue
		}
		since := j.ClosedAt.AddDate(-1, 0, 0)
		per := map[int64]int64{}
		var own []*repairJob
		for _, o := range js {
			if o.Category != j.Category || !o.ClosedAt.After(since) || o.ClosedAt.After(j.ClosedAt) {
				continue
			}
			per[o.VehicleID] += o.FinalFen
			if o.VehicleID == j.VehicleID {
				own = append(own, o)
			}
		}
		if float64(len(per)) < v.V("min_vehicles") {
			continue
		}
		sums := make([]int64, 0, len(per))
		for _, s := range per {
			sums = append(sums, s)
		}
		slices.Sort(sums)
		med := float64(sums[len(sums)/2])
		if len(sums)%2 == 0 {
			med = float64(sums[len(sums)/2-1]+sums[len(sums)/2]) / 2
		}
		if med <= 0 || float64(per[j.VehicleID]) <= v.V("median_multiple")*med {
			continue
		}
		seen[k] = true
		out = append(out, Finding{Rule: "repair_cost", Key: k, VehicleID: j.VehicleID, UnitID: j.UnitID, UnitPath: j.UnitPath, At: j.ClosedAt,
			Summary: fmt.Sprintf("%s 近12个月维修%d次共%s元，为同类%d辆车中位数%s元的%.1f倍", j.Plate, len(own), money.Yuan(per[j.VehicleID]), len(per),
				money.Yuan(int64(med)), float64(per[j.VehicleID])/med),
			Evidence: map[string]any{"repair_jobs": own, "total_fen": per[j.VehicleID], "category": j.Category, "vehicles": len(per), "median_fen": int64(med),
				"since": since, "until": j.ClosedAt}})
	}
	return out, nil
}
