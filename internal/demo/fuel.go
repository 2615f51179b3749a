package demo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
	"govfleet/internal/fuel"
	"govfleet/internal/store"
)

// Consumption of the demo's models, litres per 100 km.
var demoLPer100 = map[string]float64{"H5": 9, "H9": 11, "帕萨特": 8.5, "途观L": 9.5, "GL8": 11, "唐 DM-i": 6, "考斯特": 15, "全顺": 11, "朗逸": 7, "CS75": 8.5}

// Tank capacities of the demo's models (the registry's figure, litres).
var demoTanks = map[string]int{"H5": 57, "H9": 65, "帕萨特": 66, "途观L": 60, "GL8": 65, "唐 DM-i": 53, "考斯特": 95, "全顺": 80, "朗逸": 50, "CS75": 53}

var demoStations = []string{"中国石化常州延陵西路加油站", "中国石化常州关河东路加油站", "中国石油常州龙城大道加油站", "中国石化常州武进湖塘加油站",
	"中国石化常州新北通江路加油站", "中国石油常州金坛华城路加油站", "中国石化溧阳燕山路加油站", "中国石化常州钟楼劳动路加油站"}

// seedFuel fills a year of the fuel company's monthly imports for
// every vehicle burning fuel, flagged by the same rules as a real import,
// and their cost ledger entries; a few records are planted to be flagged:
// fuelling on a holiday while sealed, twice in a day beyond the
// tank, a month far above the vehicle's baseline. Set-based: the
// demo must start in seconds.
func seedFuel(ctx context.Context, db *store.DB, now time.Time) error {
	start := time.Now()
	var company struct {
		ID   int64  `bun:"id"`
		Name string `bun:"name"`
	}
	if err := db.R.NewSelect().Table("companies").Column("id", "name").Where("kind = 'fuel'").Order("id").Limit(1).Scan(ctx, &company); err != nil {
		return nil // no fuel company in the demo
	}
	var by struct {
		ID   int64  `bun:"id"`
		Name string `bun:"real_name"`
	}
	if err := db.R.NewSelect().Table("users").Column("id", "real_name").Where("company_id = ?", company.ID).Order("id").Limit(1).Scan(ctx, &by); err != nil {
		return nil
	}
	// The registry's tank capacities of the demo's models.
	for model, l := range demoTanks {
		if _, err := db.W.NewUpdate().Table("vehicles").Set("tank_litres = ?", l).Where("model = ?", model).Exec(ctx); err != nil {
			return err
		}
	}
	type veh struct {
		ID       int64  `bun:"id"`
		UnitID   int64  `bun:"unit_id"`
		Path     string `bun:"path"`
		Plate    string `bun:"plate"`
		Model    string `bun:"model"`
		Energy   string `bun:"energy_type"`
		Category string `bun:"category"`
		Tank     int    `bun:"tank_litres"`
	}
	var vs []*veh
	if err := db.R.NewSelect().TableExpr("vehicles AS v").Join("JOIN units AS u ON u.id = v.unit_id").
		Column("v.id", "v.unit_id", "u.path", "v.plate", "v.model", "v.energy_type", "v.category", "v.tank_litres").
		Where("v.energy_type <> 'electric' AND v.status <> 'disposed' AND v.exempt = ?", false).Order("v.id").Scan(ctx, &vs); err != nil {
		return err
	}
	// Planted (issue 7 part 5): a car sealed (封存) all year, with no
	// terminal and no order, fuelled once last month — a fuelling while
	// sealed that the supervision run at serve start finds whatever the
	// month's holidays.
	var sealed int64
	if err := db.R.NewSelect().TableExpr("vehicles AS v").Column("v.id").
		Where("v.energy_type <> 'electric' AND v.status = 'available' AND v.exempt = ? AND v.category NOT IN ('emergency', 'law_enforcement')", false).
		Where("NOT EXISTS (SELECT 1 FROM terminals AS t WHERE t.vehicle_id = v.id) AND NOT EXISTS (SELECT 1 FROM orders AS o WHERE o.vehicle_id = v.id)").
		OrderExpr("v.id DESC").Limit(1).Scan(ctx, &sealed); err == nil {
		if _, err := db.W.NewUpdate().Table("vehicles").Set("status = 'sealed'").Where("id = ?", sealed).Exec(ctx); err != nil {
			return err
		}
	}
	var holidays []string
	if err := db.R.NewSelect().Table("calendar_days").Column("day").Where("kind = 'holiday'").Order("day").Scan(ctx, &holidays); err != nil {
		return err
	}
	isHoliday := map[string]bool{}
	for _, d := range holidays {
		isHoliday[d] = true
	}
	r := rand.New(rand.NewPCG(2026, 24))
	svc := &fuel.Service{DB: db, Now: func() time.Time { return now }}
	cur := beijing.MonthStart(now)
	monthly := make([]float64, len(vs)) // km a month
	for i := range vs {
		monthly[i] = 600 + r.Float64()*1400
	}
	total := 0
	for k := 12; k >= 1; k-- {
		from := cur.AddDate(0, -k, 0)
		to := from.AddDate(0, 1, 0)
		month := from.Format("2006-01")
		days := int(to.Sub(from).Hours() / 24)
		var workdays, alldays []time.Time
		for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
			alldays = append(alldays, d)
			if !isHoliday[d.Format(time.DateOnly)] {
				workdays = append(workdays, d)
			}
		}
		price92 := int64(720 + r.IntN(60)) // fen per litre
		var rows []*fuel.Rec
		add := func(v *veh, at time.Time, litresML int64) {
			price, kind := price92, "92#汽油"
			switch {
			case v.Energy == "diesel":
				price, kind = price92-30, "0#柴油"
			case v.Model == "H9":
				price, kind = price92+55, "95#汽油"
			}
			id := v.ID
			rows = append(rows, &fuel.Rec{CompanyID: company.ID, VehicleID: &id, UnitID: v.UnitID, UnitPath: v.Path, Month: month, At: at.UTC(),
				CardNo: fmt.Sprintf("1000113200%09d", v.ID*7919%1000000000), Plate: v.Plate, Station: demoStations[int(v.ID)%len(demoStations)],
				FuelType: kind, LitresML: litresML, UnitPriceFen: price, AmountFen: (litresML*price + 500) / 1000, CreatedAt: now})
		}
		for i, v := range vs {
			if v.ID == sealed {
				if k == 1 {
					add(v, from.AddDate(0, 0, 11).Add(16*time.Hour+42*time.Minute), 41250)
				}
				continue
			}
			tank := v.Tank
			if tank == 0 {
				tank = 55
			}
			litres := monthly[i] * (0.8 + r.Float64()*0.4) * demoLPer100[v.Model] / 100
			if i%97 == 13 && k == 1 { // planted: last month far above the baseline
				litres *= 2.4
			}
			// Fills of 55–85 % of the tank, one a day at most, spread over the
			// month; on a working day unless the vehicle runs on holidays.
			var fills []float64
			for litres > 5 {
				l := min(litres, float64(tank)*(0.55+r.Float64()*0.3))
				litres -= l
				fills = append(fills, l)
			}
			ok := workdays
			if (v.Category == "emergency" || v.Category == "law_enforcement") && r.IntN(4) == 0 { // on duty through the holidays
				ok = alldays
			}
			slot := max(1, len(ok)/max(1, len(fills)))
			for j, l := range fills {
				d := ok[min(len(ok)-1, j*slot+r.IntN(slot))]
				add(v, d.Add(time.Duration(7*60+r.IntN(12*60))*time.Minute), int64(l*100)*10)
			}
			switch {
			case i%131 == 7 && k <= 3: // planted: twice in a day beyond the tank
				at := from.AddDate(0, 0, 3+r.IntN(days-5)).Add(18 * time.Hour)
				add(v, at, int64(tank)*800)
				add(v, at.Add(40*time.Minute), int64(tank)*700)
			case i%113 == 5 && v.Category != "emergency" && v.Category != "law_enforcement": // planted: on a holiday, while sealed
				for d := from; d.Before(to); d = d.AddDate(0, 0, 1) {
					if isHoliday[d.Format(time.DateOnly)] && d.Before(now) {
						add(v, d.Add(10*time.Hour+17*time.Minute), 38420)
						break
					}
				}
			}
		}
		if err := svc.Flag(ctx, company.ID, month, rows); err != nil {
			return fmt.Errorf("fuel %s: %w", month, err)
		}
		arrived := to.Add(50 * time.Hour) // two days after the month, or just now
		if arrived.After(now) {
			arrived = now
		}
		sum := sha256.Sum256([]byte(fmt.Sprint("demo fuel ", company.ID, month)))
		imp := &fuel.Import{CompanyID: company.ID, Month: month, FileName: fmt.Sprintf("%s加油记录-%s.xlsx", company.Name, month), SHA256: hex.EncodeToString(sum[:]),
			RowCount: len(rows), ImportedBy: by.ID, ImportedByName: by.Name, Via: "console", CreatedAt: arrived.UTC()}
		for i, rec := range rows {
			rec.RowNo = i + 2
			imp.LitresML += rec.LitresML
			imp.AmountFen += rec.AmountFen
			if rec.Flags != "" {
				imp.Flagged++
			}
		}
		err := db.Tx(ctx, func(tx bun.Tx) error {
			if _, err := tx.NewInsert().Model(imp).Exec(ctx); err != nil {
				return err
			}
			for _, rec := range rows {
				rec.ImportID = imp.ID
			}
			return insertBatches(ctx, tx, rows, 500)
		})
		if err != nil {
			return fmt.Errorf("fuel %s: %w", month, err)
		}
		total += len(rows)
	}
	// The cost ledger, as ledger.Post would write it, in one statement.
	if _, err := db.W.NewRaw(`INSERT INTO cost_entries (vehicle_id, unit_id, unit_path, month, kind, amount_fen, source, source_id, occurred_at, note, created_at)
		SELECT vehicle_id, unit_id, unit_path, month, 'fuel', amount_fen, 'fuel_record', id, at, station, created_at FROM fuel_records`).Exec(ctx); err != nil {
		return fmt.Errorf("fuel ledger: %w", err)
	}
	slog.Info("demo fuel records created", "records", total, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
