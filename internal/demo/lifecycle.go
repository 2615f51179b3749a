package demo

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/ledger"
	"govfleet/internal/store"
)

func date(s string) time.Time {
	t, _ := time.Parse(time.DateOnly, s)
	return t
}

// seedLifecycle gives the demo fleet its insurance and inspections (issue
// 6 part 9): a compulsory and a commercial policy per vehicle with the
// premiums in the ledger, about two dozen expiring within 30 days, a few
// claims in every state, inspection results of the past months with their
// fees, and due dates of which some are coming up and some overdue.
func seedLifecycle(ctx context.Context, db *store.DB, now time.Time) error {
	r := rand.New(rand.NewPCG(2026, 6))
	var ids struct {
		Insurer    int64 `bun:"insurer"`
		Inspection int64 `bun:"inspection"`
	}
	if err := db.R.NewSelect().ColumnExpr("(SELECT id FROM companies WHERE kind = 'insurer') AS insurer").
		ColumnExpr("(SELECT MIN(id) FROM companies WHERE kind = 'inspection') AS inspection").Scan(ctx, &ids); err != nil {
		return err
	}
	var vs []struct {
		ID           int64  `bun:"id"`
		UnitID       int64  `bun:"unit_id"`
		UnitPath     string `bun:"unit_path"`
		Plate        string `bun:"plate"`
		Seats        int    `bun:"seats"`
		PurchaseDate string `bun:"purchase_date"`
	}
	if err := db.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.unit_id, n.path AS unit_path, v.plate, v.seats, v.purchase_date").
		Join("JOIN units AS n ON n.id = v.unit_id").Where("v.status <> 'disposed'").OrderExpr("v.id").Scan(ctx, &vs); err != nil {
		return err
	}
	var inspector int64
	if err := db.R.NewSelect().Table("users").Column("id").Where("username = 'co_inspect'").Scan(ctx, &inspector); err != nil {
		return err
	}
	today := time.Date(now.In(beijing.Zone).Year(), now.In(beijing.Zone).Month(), now.In(beijing.Zone).Day(), 0, 0, 0, 0, time.UTC)
	day := func(t time.Time) string { return t.Format(time.DateOnly) }
	at := func(t time.Time) time.Time {
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, beijing.Zone).UTC()
	}
	var policies []*insurance.Policy
	var claims []*insurance.Claim
	var results []*inspection.Inspection
	var costs []*ledger.Entry
	paths := map[int64]string{}
	claimPolicy := map[*insurance.Claim]*insurance.Policy{}
	cost := func(v int64, unit int64, path, kind string, fen int64, src string, id int64, when time.Time, note string) {
		vid := v
		costs = append(costs, &ledger.Entry{VehicleID: &vid, UnitID: unit, UnitPath: path, Month: beijing.Month(when), Kind: kind, AmountFen: fen,
			Source: src, SourceID: id, OccurredAt: when, Note: note, CreatedAt: now})
	}
	type due struct {
		bun.BaseModel `bun:"table:inspection_due"`
		VehicleID     int64     `bun:"vehicle_id"`
		DueOn         string    `bun:"due_on"`
		Source        string    `bun:"source"`
		UpdatedAt     time.Time `bun:"updated_at"`
	}
	var dues []*due
	for i, v := range vs {
		start := today.AddDate(0, 0, -r.IntN(330))
		if i%25 == 7 { // ends within 30 days, not yet renewed
			start = today.AddDate(0, 0, -340-r.IntN(20))
		}
		end := start.AddDate(1, 0, -1)
		comp := int64(95000)
		if v.Seats > 6 {
			comp = 110000
		}
		for k, kind := range []string{"compulsory", "commercial"} {
			p := &insurance.Policy{CompanyID: ids.Insurer, VehicleID: v.ID, UnitID: v.UnitID, Kind: kind,
				PolicyNo: fmt.Sprintf("%s%s3204%08d", map[string]string{"compulsory": "PDZA", "commercial": "PDAA"}[kind], start.Format("2006"), 2*i+k+1),
				StartsOn: day(start), EndsOn: day(end), PremiumFen: comp, CoverageJSON: "[]", CreatedAt: at(start), UpdatedAt: at(start)}
			if kind == "commercial" {
				p.PremiumFen = 300000 + int64(r.IntN(30))*10000
				p.CoverageJSON = `[{"name":"机动车损失保险","amount_fen":` + fmt.Sprint(15000000+r.IntN(20)*1000000) + `},{"name":"第三者责任保险","amount_fen":200000000},{"name":"车上人员责任保险（司机）","amount_fen":5000000}]`
			}
			policies = append(policies, p)
			paths[v.ID] = v.UnitPath
		}
		// Claims under commercial policies, in every state.
		if i%40 == 11 {
			st := insurance.ClaimStatuses[len(claims)%len(insurance.ClaimStatuses)].Code
			occurred := at(start).Add(time.Duration(24*(10+r.IntN(200))) * time.Hour).Add(9 * time.Hour)
			if occurred.After(now) {
				occurred = now.Add(-72 * time.Hour)
			}
			c := &insurance.Claim{CompanyID: ids.Insurer, VehicleID: v.ID, UnitID: v.UnitID,
				ClaimNo: fmt.Sprintf("RDAA%s3204%06d", occurred.Format("2006"), len(claims)+1), OccurredAt: occurred,
				Place:     []string{"常州市天宁区延陵西路", "常州市钟楼区南大街", "常州市新北区通江中路", "常州市武进区人民中路", "G42沪蓉高速常州段"}[r.IntN(5)],
				Damage:    []string{"前保险杠刮擦", "左后门凹陷", "倒车时撞到立柱，后保险杠破裂", "追尾，前大灯及引擎盖受损", "挡风玻璃被飞石击裂"}[r.IntN(5)],
				AmountFen: int64(80000 + r.IntN(40)*10000), Status: st, CreatedAt: occurred, UpdatedAt: occurred}
			if st == "paid" || st == "closed" {
				c.PaidFen = c.AmountFen * 9 / 10
				paid := occurred.Add(15 * 24 * time.Hour)
				c.PaidAt = &paid
			}
			claims = append(claims, c)
			claimPolicy[c] = policies[len(policies)-1]
		}
		// Due dates: by the rule, with results of the past months for some
		// and a few coming up or overdue.
		reg, err := time.Parse(time.DateOnly, v.PurchaseDate)
		if err != nil {
			reg = today.AddDate(-3, 0, 0)
		}
		next := inspection.NextDue(reg, v.Seats, today.AddDate(0, 0, -1))
		switch {
		case i%20 == 3:
			// Inspected in the past months; the next date is the cycle's after today.
			on := today.AddDate(0, 0, -20-r.IntN(150))
			x := &inspection.Inspection{VehicleID: v.ID, UnitID: v.UnitID, CompanyID: ids.Inspection, InspectedOn: day(on),
				Passed: true, NextDueOn: day(next), FeeFen: 30000, CreatedBy: inspector, CreatedAt: at(on).Add(10 * time.Hour)}
			results = append(results, x)
		case i%30 == 5:
			next = today.AddDate(0, 0, 3+r.IntN(26)) // within 30 days
		case i%45 == 8:
			next = today.AddDate(0, 0, -3-r.IntN(40)) // overdue
		}
		dues = append(dues, &due{VehicleID: v.ID, DueOn: day(next), Source: "rule", UpdatedAt: now})
	}
	return db.Tx(ctx, func(tx bun.Tx) error {
		if err := insertBatches(ctx, tx, policies, 300); err != nil {
			return fmt.Errorf("policies: %w", err)
		}
		for c, p := range claimPolicy {
			c.PolicyID = p.ID
		}
		if err := insertBatches(ctx, tx, claims, 300); err != nil {
			return fmt.Errorf("claims: %w", err)
		}
		if err := insertBatches(ctx, tx, results, 300); err != nil {
			return fmt.Errorf("inspections: %w", err)
		}
		// The ledger, from the rows' ids.
		for _, p := range policies {
			cost(p.VehicleID, p.UnitID, paths[p.VehicleID], "insurance", p.PremiumFen, "insurance_policy", p.ID, p.CreatedAt, insurance.Kinds[p.Kind]+" "+p.PolicyNo)
		}
		for _, c := range claims {
			if c.PaidAt != nil {
				cost(c.VehicleID, c.UnitID, paths[c.VehicleID], "insurance", -c.PaidFen, "insurance_claim", c.ID, *c.PaidAt, "理赔款冲减 "+c.ClaimNo)
			}
		}
		for _, x := range results {
			cost(x.VehicleID, x.UnitID, paths[x.VehicleID], "inspection", x.FeeFen, "inspection", x.ID, at(date(x.InspectedOn)), "年检 "+x.InspectedOn)
		}
		if err := insertBatches(ctx, tx, costs, 300); err != nil {
			return fmt.Errorf("costs: %w", err)
		}
		return insertBatches(ctx, tx, dues, 300)
	})
}
