package fuel_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/check"
	"govfleet/internal/company"
	"govfleet/internal/errs"
	"govfleet/internal/fuel"
	"govfleet/internal/store"
)

const head = "加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)\n"

// row is one CSV line; amount is litres × price rounded to the fen.
func row(plate, at string, litres float64, priceFen int64) string {
	ml := int64(litres*1000 + 0.5)
	amount := (ml*priceFen + 500) / 1000
	return fmt.Sprintf("1000113200%09d,%s,%s,测试加油站,92#汽油,%.2f,%d.%02d,%d.%02d\n", len(plate)*7919, plate, at, litres, priceFen/100, priceFen%100, amount/100, amount%100)
}

type veh struct {
	ID       int64  `bun:"id"`
	Plate    string `bun:"plate"`
	Category string `bun:"category"`
}

// vehicle picks a demo vehicle matching where (on vehicles AS v, units AS u).
func vehicle(t *testing.T, db *store.DB, where string, args ...any) veh {
	t.Helper()
	var v veh
	if err := db.R.NewSelect().TableExpr("vehicles AS v").Join("JOIN units AS u ON u.id = v.unit_id").Column("v.id", "v.plate", "v.category").
		Where("v.status NOT IN ('disposed', 'sealed')").Where(where, args...).Order("v.id").Limit(1).Scan(context.Background(), &v); err != nil {
		t.Fatalf("vehicle %s: %v", where, err)
	}
	return v
}

type fixture struct {
	w    *apptest.World
	svc  *fuel.Service
	fuel *access.Actor // co_fuel: the demo's fuel company, contracted for the whole city
}

func newFixture(t *testing.T, w *apptest.World) *fixture {
	db := w.DB
	return &fixture{w: w, svc: &fuel.Service{DB: db}, fuel: w.Actor(t, "co_fuel")}
}

func (f *fixture) imp(t *testing.T, a *access.Actor, month, csv string) (*fuel.ImportResult, error) {
	t.Helper()
	return f.svc.Import(context.Background(), a, fuel.ImportInput{Month: month, FileName: month + ".csv", Data: []byte(head + csv), Via: "console"})
}

// confirm imports csv with the token of its preview.
func (f *fixture) confirm(t *testing.T, month, csv, token string) (*fuel.ImportResult, error) {
	t.Helper()
	return f.svc.Import(context.Background(), f.fuel, fuel.ImportInput{Month: month, FileName: month + "-更正.csv", Data: []byte(head + csv), Via: "console", Confirm: token})
}

func (f *fixture) count(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	n, err := f.w.DB.R.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func (f *fixture) ledgerFen(t *testing.T, month string) (int, int64) {
	t.Helper()
	var out struct {
		N   int   `bun:"n"`
		Sum int64 `bun:"s"`
	}
	if err := f.w.DB.R.NewSelect().Table("cost_entries").ColumnExpr("COUNT(*) AS n, COALESCE(SUM(amount_fen), 0) AS s").
		Where("source = 'fuel_record' AND kind = 'fuel' AND month = ?", month).Scan(context.Background(), &out); err != nil {
		t.Fatal(err)
	}
	return out.N, out.Sum
}

// A month is imported all or nothing, once: the same file again writes
// nothing, a changed file replaces the month, a bad row writes nothing;
// the ledger holds exactly the current records.
func TestImportMonth(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		a := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other'")
		b := vehicle(t, db, "v.energy_type = 'petrol' AND v.id > ?", a.ID)
		const m = "2024-03"
		file := row(a.Plate, "2024-03-04 08:10", 40, 742) + row(b.Plate, "2024-03-05 17:45", 35.5, 742)
		res, err := f.imp(t, f.fuel, m, file)
		if err != nil {
			t.Fatal(err)
		}
		if res.Imported != 2 || res.Unchanged || res.Import.RowCount != 2 || res.Import.AmountFen != 29680+26341 {
			t.Fatalf("first import: %+v %+v", res, res.Import)
		}
		if n, sum := f.ledgerFen(t, m); n != 2 || sum != 29680+26341 {
			t.Fatalf("ledger after import: %d entries, %d fen", n, sum)
		}
		if n := f.count(t, "audit_log", "action = 'fuel.import' AND object_id = ?", fmt.Sprint(res.Import.ID)); n != 1 {
			t.Fatalf("audit entries: %d", n)
		}

		// The identical file again: nothing written.
		again, err := f.imp(t, f.fuel, m, file)
		if err != nil || !again.Unchanged || again.Import.ID != res.Import.ID {
			t.Fatalf("same file again: %+v %v", again, err)
		}
		if n := f.count(t, "fuel_records", "month = ?", m); n != 2 {
			t.Fatalf("records after identical re-import: %d", n)
		}
		if n := f.count(t, "fuel_imports", "month = ?", m); n != 1 {
			t.Fatalf("imports after identical re-import: %d", n)
		}

		// A corrected file replaces the month, once confirmed.
		file2 := file + row(a.Plate, "2024-03-20 12:00", 20, 750)
		pre, err := f.imp(t, f.fuel, m, file2)
		if err != nil || !pre.ConfirmRequired {
			t.Fatalf("re-import without confirmation: %+v %v", pre, err)
		}
		res2, err := f.confirm(t, m, file2, pre.Preview.Confirm)
		if err != nil || res2.Imported != 3 || res2.Replaced != 2 {
			t.Fatalf("replacing import: %+v %v", res2, err)
		}
		if n := f.count(t, "fuel_records", "month = ? AND replaced_at IS NULL", m); n != 3 {
			t.Fatalf("records after replace: %d", n)
		}
		if n, sum := f.ledgerFen(t, m); n != 3 || sum != 29680+26341+15000 {
			t.Fatalf("ledger after replace: %d entries, %d fen", n, sum)
		}
		if n := f.count(t, "fuel_imports", "month = ? AND replaced_at IS NULL", m); n != 1 {
			t.Fatalf("current imports: %d", n)
		}

		// One bad row among good ones: nothing written, every problem reported.
		bad := file2 + row(b.Plate, "2024-03-21 09:00", 30, 742) + "123,苏Z99999,2024-03-22 08:00,站,92#汽油,10.00,7.42,74.20\n" +
			"123," + b.Plate + ",2024-03-22 08:00,站,92#汽油,10.00,7.42,80.00\n"
		res3, err := f.imp(t, f.fuel, m, bad)
		if !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad file: %v", err)
		}
		if len(res3.Errors) != 2 || res3.Errors[0].Row != 6 || !strings.Contains(res3.Errors[0].Message, "未在平台登记") ||
			res3.Errors[1].Row != 7 || res3.Errors[1].Column != "金额(元)" || !strings.Contains(err.Error(), "未导入任何数据") {
			t.Fatalf("report: %+v", res3.Errors)
		}
		if n := f.count(t, "fuel_records", "month = ? AND replaced_at IS NULL", m); n != 3 {
			t.Fatalf("records after refused import: %d", n)
		}
		if n := f.count(t, "fuel_imports", "month = ?", m); n != 2 {
			t.Fatalf("imports after refused import: %d", n)
		}
		if n, _ := f.ledgerFen(t, m); n != 3 {
			t.Fatalf("ledger after refused import: %d", n)
		}

		// A file of another month's times is refused as a whole.
		if _, err := f.imp(t, f.fuel, "2024-04", file); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "不在导入月份2024-04内") {
			t.Fatalf("wrong month: %v", err)
		}
		if _, err := f.imp(t, f.fuel, "2099-01", file); !errs.Is(err, errs.Invalid) {
			t.Fatalf("future month: %v", err)
		}
		_ = ctx
	})
}

// A fuel company imports only vehicles its contracts cover; staff and
// supervisors do not import; readers see their scope, a company its own.
func TestImportScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		tn := vehicle(t, db, "u.path LIKE ? AND v.energy_type = 'petrol'", f.w.UnitPath(t, "天宁区")+"%")
		zl := vehicle(t, db, "u.path LIKE ? AND v.energy_type = 'petrol'", f.w.UnitPath(t, "钟楼区")+"%")
		local := newFuelCompany(t, f.w, "天宁区")

		res, err := f.imp(t, local, "2024-02", row(tn.Plate, "2024-02-03 09:00", 30, 700)+row(zl.Plate, "2024-02-03 10:00", 30, 700))
		if !errs.Is(err, errs.Forbidden) || len(res.Errors) != 1 || res.Errors[0].Row != 3 || !strings.Contains(res.Errors[0].Message, "不在贵公司合同覆盖范围内") {
			t.Fatalf("out-of-contract plate: %v %+v", err, res)
		}
		if n := f.count(t, "fuel_records", "month = '2024-02'"); n != 0 {
			t.Fatalf("written: %d", n)
		}
		if _, err := f.imp(t, local, "2024-02", row(tn.Plate, "2024-02-03 09:00", 30, 700)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.imp(t, f.fuel, "2024-02", row(zl.Plate, "2024-02-04 09:00", 30, 700)); err != nil {
			t.Fatal(err)
		}
		for _, who := range []string{"city_admin", "city_jw", "jgj_vm"} {
			if _, err := f.imp(t, f.w.Actor(t, who), "2024-02", row(tn.Plate, "2024-02-03 09:00", 30, 700)); !errs.Is(err, errs.Forbidden) {
				t.Fatalf("%s imports: %v", who, err)
			}
		}
		seen := func(a *access.Actor) []string {
			rs, _, err := f.svc.Records(ctx, a, fuel.Filter{Month: "2024-02", Page: 1, Size: 50})
			if err != nil {
				t.Fatal(err)
			}
			var ps []string
			for _, r := range rs {
				ps = append(ps, r.Plate)
			}
			return ps
		}
		cases := []struct {
			who  *access.Actor
			want []string
		}{
			{f.w.Actor(t, "city_jw"), []string{zl.Plate, tn.Plate}}, // supervisor: the city, read only
			{f.w.Actor(t, "tn_jw"), []string{tn.Plate}},
			{f.w.Actor(t, "zl_admin"), []string{zl.Plate}},
			{local, []string{tn.Plate}},  // its own records
			{f.fuel, []string{zl.Plate}}, // its own, though its contract covers 天宁区 too
		}
		for i, c := range cases {
			if got := seen(c.who); strings.Join(got, ",") != strings.Join(c.want, ",") {
				t.Errorf("case %d (%s): sees %v, want %v", i, c.who.Username, got, c.want)
			}
		}
		if _, _, err := f.svc.Records(ctx, f.w.Actor(t, "tn_jw"), fuel.Filter{UnitID: f.w.UnitID(t, "钟楼区"), Page: 1, Size: 10}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("unit filter outside scope: %v", err)
		}
	})
}

// The flags the supervision rules read, each true and false.
func TestFlags(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		// 2024 is before the demo's calendar: holidays set here.
		for _, d := range []string{"2024-05-01", "2024-05-02"} {
			if _, err := db.W.NewRaw("INSERT INTO calendar_days (day, kind, name, source, updated_at) VALUES (?, 'holiday', '劳动节', 'admin', ?)", d, time.Now().UTC()).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		car := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other' AND v.model = 'H5'")                       // tank 57 L (demo)
		car2 := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other' AND v.model = 'H5' AND v.id > ?", car.ID) // tank 57 L
		police := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'law_enforcement'")
		ev := vehicle(t, db, "v.energy_type = 'electric'")
		filed := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other' AND v.id > ?", car2.ID)
		sealed := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other' AND v.id > ?", filed.ID)
		if _, err := db.W.NewRaw("UPDATE vehicles SET status = 'sealed' WHERE id = ?", sealed.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		// An order filed for holiday use of `filed` on 1 May.
		if _, err := db.W.NewRaw(`UPDATE orders SET vehicle_id = ?, sealed_filing = '防汛值班', pickup_at = ?, return_at = ? WHERE id = (SELECT MIN(id) FROM orders)`,
			filed.ID, time.Date(2024, 4, 30, 23, 0, 0, 0, time.UTC), time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		fresh := vehicle(t, db, "v.energy_type = 'petrol' AND v.model IN ('H5', 'H9', '帕萨特', 'GL8') AND v.id > ?", sealed.ID) // tank ≥ 57 L
		// Baseline: three months of 50 L for car and car2, two for fresh.
		for _, m := range []string{"2024-01", "2024-02", "2024-03"} {
			file := row(car.Plate, m+"-10 09:00", 50, 700) + row(car2.Plate, m+"-10 09:00", 50, 700)
			if m != "2024-01" {
				file += row(fresh.Plate, m+"-10 09:00", 50, 700)
			}
			if _, err := f.imp(t, f.fuel, m, file); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.imp(t, f.fuel, "2024-04", row(car.Plate, "2024-04-10 09:00", 45, 700)+row(car.Plate, "2024-04-10 19:00", 40, 700)+
			row(car2.Plate, "2024-04-11 09:00", 40, 700)+row(car2.Plate, "2024-04-20 09:00", 30, 700)+
			row(ev.Plate, "2024-04-11 09:00", 5, 700)+row(fresh.Plate, "2024-04-11 09:00", 60, 700)+row(fresh.Plate, "2024-04-21 09:00", 60, 700)); err != nil {
			t.Fatal(err)
		}
		if _, err := f.imp(t, f.fuel, "2024-05", row(car.Plate, "2024-05-01 10:00", 30, 700)+row(police.Plate, "2024-05-01 10:00", 30, 700)+
			row(filed.Plate, "2024-05-01 08:00", 30, 700)+row(sealed.Plate, "2024-05-06 08:00", 30, 700)+row(car2.Plate, "2024-05-06 08:00", 30, 700)); err != nil {
			t.Fatal(err)
		}
		flags := func(plate, at string) string {
			var fl string
			if err := db.R.NewSelect().Table("fuel_records").Column("flags").Where("plate = ? AND at = ?", plate, apptest.BJ(at)).Scan(ctx, &fl); err != nil {
				t.Fatalf("%s %s: %v", plate, at, err)
			}
			return fl
		}
		cases := []struct {
			name, plate, at, want string
		}{
			{"two fills in a day beyond the tank, month 85 L over 1.5 × 50", car.Plate, "2024-04-10 19:00", "over_tank,above_baseline"},
			{"same day's first fill is flagged too", car.Plate, "2024-04-10 09:00", "over_tank,above_baseline"},
			{"70 L a month on a 50 L baseline, within the tank", car2.Plate, "2024-04-11 09:00", ""},
			{"fuel on an electric car", ev.Plate, "2024-04-11 09:00", "over_tank"},
			{"holiday, sealed car", car.Plate, "2024-05-01 10:00", "sealed,holiday"},
			{"holiday, law enforcement keeps running", police.Plate, "2024-05-01 10:00", "holiday"},
			{"holiday, on an order filed for it", filed.Plate, "2024-05-01 08:00", "holiday"},
			{"working day, vehicle sealed", sealed.Plate, "2024-05-06 08:00", "sealed"},
			{"working day, nothing", car2.Plate, "2024-05-06 08:00", ""},
			{"120 L on two months of 50 L: two months are no baseline", fresh.Plate, "2024-04-21 09:00", ""},
		}
		for _, c := range cases {
			if got := flags(c.plate, c.at); got != c.want {
				t.Errorf("%s: flags %q, want %q", c.name, got, c.want)
			}
		}
		// Flag filter of the list.
		rs, n, err := f.svc.Records(ctx, f.w.Actor(t, "city_jw"), fuel.Filter{Month: "2024-05", Flag: "sealed", Page: 1, Size: 10})
		if err != nil || n != 2 || len(rs) != 2 {
			t.Fatalf("sealed records: %d %v", n, err)
		}
	})
}

// Consumption divides the month's litres by the GPS mileage, and says
// nothing where there is none.
func TestConsumption(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		a := vehicle(t, db, "v.energy_type = 'petrol'")
		b := vehicle(t, db, "v.energy_type = 'petrol' AND v.id > ?", a.ID)
		if _, err := f.imp(t, f.fuel, "2024-06", row(a.Plate, "2024-06-03 09:00", 40, 700)+row(a.Plate, "2024-06-18 09:00", 40, 700)+
			row(b.Plate, "2024-06-05 09:00", 30, 700)); err != nil {
			t.Fatal(err)
		}
		var unit int64
		db.R.NewSelect().Table("vehicles").Column("unit_id").Where("id = ?", a.ID).Scan(ctx, &unit)
		for _, d := range []string{"2024-06-02", "2024-06-15", "2024-07-01"} { // July's day does not count
			if _, err := db.W.NewRaw("INSERT INTO vehicle_daily_mileage (vehicle_id, day, unit_id, distance_m, trips, driving_s) VALUES (?, ?, ?, 500000, 3, 20000)", a.ID, d, unit).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		cs, n, err := f.svc.Consumption(ctx, f.w.Actor(t, "city_cz"), fuel.ConsumptionFilter{Month: "2024-06", Page: 1, Size: 10})
		if err != nil || n != 2 {
			t.Fatalf("consumption: %d %v", n, err)
		}
		byPlate := map[string]*fuel.Consumption{}
		for _, c := range cs {
			byPlate[c.Plate] = c
		}
		ca, cb := byPlate[a.Plate], byPlate[b.Plate]
		if ca == nil || ca.Records != 2 || ca.LitresML != 80000 || ca.DistanceM == nil || *ca.DistanceM != 1000000 || ca.LPer100km == nil || *ca.LPer100km != 8 {
			t.Fatalf("with mileage: %+v", ca)
		}
		if cb == nil || cb.DistanceM != nil || cb.LPer100km != nil {
			t.Fatalf("without mileage: %+v", cb)
		}
	})
}

// newFuelCompany registers a fuel company contracted for the node called
// covers, with an account, and returns the account's actor.
func newFuelCompany(t *testing.T, w *apptest.World, covers string) *access.Actor {
	t.Helper()
	ctx := context.Background()
	city := w.Actor(t, "city_admin")
	str := func(s string) *string { return &s }
	first := "91320400" + fmt.Sprintf("%09d", len(covers)*1013)
	c, _ := check.CreditCodeCheckChar(first)
	co, err := w.Companies.Create(ctx, city, company.Input{Name: str(covers + "测试加油有限公司"), Kind: "fuel", CreditCode: str(first + string(c)), OwnerUnitID: w.UnitID(t, "常州市")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Companies.AddContract(ctx, city, co.ID, company.ContractInput{UnitID: w.UnitID(t, covers), StartsOn: str("2024-01-01")}); err != nil {
		t.Fatal(err)
	}
	created, err := w.Companies.CreateUser(ctx, city, co.ID, auth.UserInput{Username: "fuel_" + fmt.Sprint(co.ID), RealName: str("加油测试")})
	if err != nil {
		t.Fatal(err)
	}
	l, err := w.Auth.Login(ctx, created.User.Username, created.InitialPassword, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	p, err := w.Auth.Authenticate(ctx, l.Token, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return p.Actor
}

// A re-import that would replace the month's records first shows what it
// replaces, per vehicle, old against new; only the previewed file with its
// token replaces; the replaced batch is kept — its flagged records still
// listed, marked — and restoring it brings back its records, flags and
// ledger entries (issue 24 item 6).
func TestReimportPreviewConfirmRestore(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB
		f := newFixture(t, w)
		ctx := context.Background()
		a := vehicle(t, db, "v.energy_type = 'petrol' AND v.category = 'other'")
		b := vehicle(t, db, "v.energy_type = 'petrol' AND v.id > ?", a.ID)
		const m = "2024-05"
		current := func() int { return f.count(t, "fuel_records", "month = ? AND replaced_at IS NULL", m) }
		// 200 litres in a day: more than any car's tank.
		first := row(a.Plate, "2024-05-06 08:10", 200, 742) + row(a.Plate, "2024-05-07 09:00", 30, 742) + row(b.Plate, "2024-05-08 10:00", 40, 742)
		res, err := f.imp(t, f.fuel, m, first)
		if err != nil || res.Import.Flagged != 1 {
			t.Fatalf("first import: %+v %v", res, err)
		}
		firstID := res.Import.ID
		_, firstFen := f.ledgerFen(t, m)

		// A much smaller file: previewed, nothing written.
		small := row(b.Plate, "2024-05-08 10:00", 45, 742)
		pre, err := f.imp(t, f.fuel, m, small)
		if err != nil || !pre.ConfirmRequired || pre.Import != nil || pre.Preview == nil {
			t.Fatalf("preview: %+v %v", pre, err)
		}
		p := pre.Preview
		if p.Current.ID != firstID || p.Old.Records != 3 || p.Old.Flagged != 1 || p.New.Records != 1 || p.Old.AmountFen != firstFen || p.New.AmountFen != 33390 {
			t.Errorf("preview totals: old %+v new %+v", p.Old, p.New)
		}
		if len(p.Vehicles) != 2 || p.Vehicles[0].Plate != a.Plate || p.Vehicles[0].Old.Records != 2 || p.Vehicles[0].New.Records != 0 ||
			p.Vehicles[1].Plate != b.Plate || p.Vehicles[1].Old.LitresML != 40000 || p.Vehicles[1].New.LitresML != 45000 {
			t.Errorf("preview per vehicle: %+v %+v", p.Vehicles[0], p.Vehicles[len(p.Vehicles)-1])
		}
		if current() != 3 || f.count(t, "fuel_imports", "month = ?", m) != 1 {
			t.Fatalf("the preview wrote: %d records", current())
		}

		// Another file with the preview's token: refused, nothing written.
		other := row(b.Plate, "2024-05-09 10:00", 5, 742)
		if _, err := f.confirm(t, m, other, p.Confirm); !errs.Is(err, errs.Invalid) || !strings.Contains(err.Error(), "与预览的文件不一致") {
			t.Fatalf("another file confirmed: %v", err)
		}
		if current() != 3 {
			t.Fatalf("a refused confirmation wrote: %d", current())
		}

		// The previewed file with its token replaces; the old batch is kept.
		res2, err := f.confirm(t, m, small, p.Confirm)
		if err != nil || res2.Imported != 1 || res2.Replaced != 3 {
			t.Fatalf("confirmed: %+v %v", res2, err)
		}
		if n, fen := f.ledgerFen(t, m); current() != 1 || n != 1 || fen != 33390 {
			t.Fatalf("after replacing: %d current records, ledger %d entries %d fen", current(), n, fen)
		}
		// Its flag still shows in 加油记录, marked as of a replaced batch.
		flagged, _, err := f.svc.Records(ctx, w.Actor(t, "city_admin"), fuel.Filter{Month: m, Flag: "any", Page: 1, Size: 20})
		if err != nil || len(flagged) != 1 || flagged[0].Plate != a.Plate || flagged[0].ReplacedAt == nil || flagged[0].Flags != fuel.FlagOverTank {
			t.Fatalf("flagged records after replacing: %v %+v", err, flagged)
		}
		cons, _, err := f.svc.Consumption(ctx, w.Actor(t, "city_admin"), fuel.ConsumptionFilter{Month: m, Page: 1, Size: 20})
		if err != nil || len(cons) != 1 || cons[0].Plate != b.Plate {
			t.Fatalf("consumption counts only current records: %v %+v", err, cons)
		}

		// The right file with a token of an earlier state of the month is refused.
		sum := sha256.Sum256([]byte(head + first))
		if _, err := f.confirm(t, m, first, fmt.Sprintf("%x-%d", sum, firstID)); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a stale token: %v", err)
		}

		// Only the company restores, only a replaced batch.
		for _, who := range []string{"city_admin", "jgj_vm"} {
			if _, err := f.svc.Restore(ctx, w.Actor(t, who), firstID); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s restores: %v", who, err)
			}
		}
		if _, err := f.svc.Restore(ctx, f.fuel, res2.Import.ID); !errs.Is(err, errs.Conflict) {
			t.Errorf("restoring the current batch: %v", err)
		}
		// Restoring brings back the records, their flags and ledger entries;
		// the batch it replaces is kept in turn.
		rr, err := f.svc.Restore(ctx, f.fuel, firstID)
		if err != nil || rr.Restored != 3 || rr.Replaced != 1 {
			t.Fatalf("restore: %+v %v", rr, err)
		}
		if n, fen := f.ledgerFen(t, m); current() != 3 || n != 3 || fen != firstFen {
			t.Fatalf("after restoring: %d current records, ledger %d entries %d fen", current(), n, fen)
		}
		flagged, _, _ = f.svc.Records(ctx, w.Actor(t, "city_admin"), fuel.Filter{Month: m, Flag: "any", Page: 1, Size: 20})
		if len(flagged) != 1 || flagged[0].ReplacedAt != nil {
			t.Fatalf("flag after restoring: %+v", flagged)
		}
		imps, _, _ := f.svc.Imports(ctx, f.fuel, 1, 50)
		for _, i := range imps {
			if i.Month == m && (i.ID == firstID) != (i.ReplacedAt == nil) {
				t.Errorf("import %d (%s) replaced at %v", i.ID, i.FileName, i.ReplacedAt)
			}
		}
		if n := f.count(t, "audit_log", "action = 'fuel.restore' AND object_id = ?", fmt.Sprint(firstID)); n != 1 {
			t.Errorf("audit entries of the restore: %d", n)
		}
	})
}
