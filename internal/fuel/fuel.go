// Package fuel is the fuel company's monthly import of fuelling records
// and what they tell about the vehicles: consumption per vehicle and
// month against the GPS mileage, and flags on implausible records — more
// than the tank holds, fuelling while sealed or on a holiday, a month far
// above the vehicle's own baseline — that the supervision rules read for
// 私车公养. Records post to the cost ledger in the import's
// transaction.
package fuel

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/calendar"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/money"
	"govfleet/internal/sheet"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actFuelImport  = audit.NewAction("fuel.import", "导入加油记录")
	actFuelRestore = audit.NewAction("fuel.restore", "恢复被替换的加油记录")
)

func init() {
	store.RegisterUnique("fuel_imports", "company_id", "month", "该月份的加油记录正在被另一次导入替换，请稍后重试")
}

// Service is the fuel domain.
type Service struct {
	DB  *store.DB
	Now func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Flags of a record (fuel_records.flags, comma-separated).
const (
	FlagOverTank      = "over_tank"      // the day's litres exceed what the tank holds
	FlagSealed        = "sealed"         // the vehicle was sealed (status or holiday sealing, R-15)
	FlagHoliday       = "holiday"        // fuelled on a statutory holiday
	FlagAboveBaseline = "above_baseline" // the month's litres far above the vehicle's own baseline
)

// FlagNames are the flags' Chinese names, in display order.
var FlagNames = []struct {
	Code string `json:"code"`
	Name string `json:"name"`
}{{FlagOverTank, "超油箱容量"}, {FlagSealed, "封存期加油"}, {FlagHoliday, "节假日加油"}, {FlagAboveBaseline, "油耗远超基线"}}

// Thresholds of the flags.
const (
	// TankSlack: a tank takes about 10 % more than its nominal capacity
	// (filler neck, rounding of the nominal figure).
	TankSlack = 1.10
	// BaselineFactor: a month's litres above this multiple of the
	// vehicle's average month of the previous BaselineMonths is flagged,
	// once at least MinBaselineMonths of them have records.
	BaselineFactor    = 1.5
	BaselineMonths    = 6
	MinBaselineMonths = 3
)

// TankLitres is the tank capacity used for the flags: the registry's
// figure, else a default by energy type and vehicle class. An electric car
// has no tank: any fuel on it is over.
func TankLitres(recorded int, energy, class string) int {
	if recorded > 0 {
		return recorded
	}
	switch {
	case energy == "electric":
		return 0
	case class == "large_bus" || class == "city_bus":
		return 120
	case class == "large_truck":
		return 150
	case class == "medium_bus":
		return 80
	case energy == "phev":
		return 50
	}
	return 60
}

// Import is one accepted import (fuel_imports).
type Import struct {
	bun.BaseModel `bun:"table:fuel_imports"`

	ID             int64      `bun:"id,pk,autoincrement" json:"id"`
	CompanyID      int64      `bun:"company_id" json:"company_id"`
	CompanyName    string     `bun:"company_name,scanonly" json:"company_name"`
	Month          string     `bun:"month" json:"month"`
	FileName       string     `bun:"file_name" json:"file_name"`
	SHA256         string     `bun:"sha256" json:"sha256"`
	RowCount       int        `bun:"row_count" json:"rows"`
	LitresML       int64      `bun:"litres_ml" json:"litres_ml"`
	AmountFen      int64      `bun:"amount_fen" json:"amount_fen"`
	Flagged        int        `bun:"flagged" json:"flagged"`
	ImportedBy     int64      `bun:"imported_by" json:"imported_by"`
	ImportedByName string     `bun:"imported_by_name" json:"imported_by_name"`
	Via            string     `bun:"via" json:"via"`
	CreatedAt      time.Time  `bun:"created_at" json:"created_at"`
	ReplacedAt     *time.Time `bun:"replaced_at" json:"replaced_at"`
}

// Rec is a stored fuelling record (fuel_records).
type Rec struct {
	bun.BaseModel `bun:"table:fuel_records,alias:r"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	ImportID     int64      `bun:"import_id" json:"import_id"`
	CompanyID    int64      `bun:"company_id" json:"company_id"`
	VehicleID    *int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID       int64      `bun:"unit_id" json:"unit_id"`
	UnitPath     string     `bun:"unit_path" json:"-"`
	Month        string     `bun:"month" json:"month"`
	At           time.Time  `bun:"at" json:"at"`
	CardNo       string     `bun:"card_no" json:"card_no"`
	Plate        string     `bun:"plate" json:"plate"`
	Station      string     `bun:"station" json:"station"`
	FuelType     string     `bun:"fuel_type" json:"fuel_type"`
	LitresML     int64      `bun:"litres_ml" json:"litres_ml"`
	UnitPriceFen int64      `bun:"unit_price_fen" json:"unit_price_fen"`
	AmountFen    int64      `bun:"amount_fen" json:"amount_fen"`
	Flags        string     `bun:"flags" json:"flags"`
	RowNo        int        `bun:"row_no" json:"row_no"`
	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	ReplacedAt   *time.Time `bun:"replaced_at" json:"replaced_at"` // set: of a batch a later import replaced (kept, restorable)

	UnitName    string `bun:"unit_name,scanonly" json:"unit_name"`
	CompanyName string `bun:"company_name,scanonly" json:"company_name"`
}

// ImportInput is an uploaded file of one company's month.
type ImportInput struct {
	Month    string // YYYY-MM
	FileName string
	Data     []byte
	Via      string // console | api
	Confirm  string // the preview's Confirm token: replace the month's current import with this file
}

// ImportResult reports an import: the accepted import, or — when any row
// is bad — every problem (and nothing written), or — when the file would
// replace the month's current import — what it would replace, nothing
// written until the same file comes back with the preview's Confirm token.
type ImportResult struct {
	Import          *Import          `json:"import"`
	Imported        int              `json:"imported"`
	Replaced        int              `json:"replaced"`         // records of the month's previous import it replaced (kept, restorable)
	Unchanged       bool             `json:"unchanged"`        // the identical file was already the month's import: nothing written
	ConfirmRequired bool             `json:"confirm_required"` // nothing written: see Preview, send again with its confirm token
	Preview         *Replacement     `json:"preview"`
	Errors          []sheet.RowError `json:"errors"`
}

// Totals are a batch's (or a vehicle's part of it) records, litres,
// amount and flagged records.
type Totals struct {
	Records   int   `json:"records"`
	LitresML  int64 `json:"litres_ml"`
	AmountFen int64 `json:"amount_fen"`
	Flagged   int   `json:"flagged"`
}

func (t *Totals) add(r *Rec) {
	t.Records++
	t.LitresML += r.LitresML
	t.AmountFen += r.AmountFen
	if r.Flags != "" {
		t.Flagged++
	}
}

// VehicleChange is one vehicle's records in the current and the new batch.
type VehicleChange struct {
	Plate string `json:"plate"`
	Old   Totals `json:"old"`
	New   Totals `json:"new"`
}

// Replacement previews what a file would replace: the month's current
// import and, per vehicle, its old and new totals. Confirm is the token
// that confirms it: the SHA-256 of the previewed file and the import it
// replaces, so neither another file nor a changed month can be confirmed.
type Replacement struct {
	Month    string           `json:"month"`
	Current  *Import          `json:"current"`
	Old      Totals           `json:"old"`
	New      Totals           `json:"new"`
	Vehicles []*VehicleChange `json:"vehicles"` // vehicles whose totals change, largest change of amount first
	Confirm  string           `json:"confirm"`
}

// vehicle is what the import needs of a vehicle.
type vehicle struct {
	ID           int64  `bun:"id"`
	Plate        string `bun:"plate"`
	UnitID       int64  `bun:"unit_id"`
	Path         string `bun:"path"`
	Category     string `bun:"category"`
	Status       string `bun:"status"`
	EnergyType   string `bun:"energy_type"`
	VehicleClass string `bun:"vehicle_class"`
	TankLitres   int    `bun:"tank_litres"`
}

// monthRange parses YYYY-MM: the month's first instant and the next
// month's, Beijing.
func monthRange(m string) (time.Time, time.Time, error) {
	t, err := beijing.ParseMonth(m)
	if err != nil || len(m) != 7 {
		return time.Time{}, time.Time{}, (&errs.Fields{"month": "导入月份格式应为“年-月”，如2026-03"}).Err()
	}
	return t, t.AddDate(0, 1, 0), nil
}

// Import validates a month's file row by row and, when every row is good,
// replaces the company's records of that month with it in one transaction
// the records with their flags, the import's record, the cost
// ledger entries and the audit entry. Any bad row: nothing is written and
// every problem comes back by row and column. The identical file again:
// nothing is written (Unchanged). Only a fuel company's account imports,
// and only vehicles its contracts cover.
func (s *Service) Import(ctx context.Context, a *access.Actor, in ImportInput) (*ImportResult, error) {
	if a.CompanyID == 0 || a.CompanyKind != "fuel" {
		return nil, errs.E(errs.Forbidden, "只有加油公司的账号可以导入加油记录")
	}
	from, to, err := monthRange(in.Month)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !from.Before(now) {
		return nil, (&errs.Fields{"month": "导入月份不能晚于当前月份"}).Err()
	}
	in.FileName = strings.TrimSpace(in.FileName)
	if in.FileName == "" {
		in.FileName = "加油记录-" + in.Month
	}
	sh, err := readFile(in.Data)
	if err != nil {
		return nil, err
	}
	recs := parseRows(sh, from, to, now)
	res := &ImportResult{Errors: sh.Errors}

	// Against the registry and the company's contracts.
	plates := map[string]bool{}
	for i := range recs {
		recs[i].Plate = check.NormalisePlate(recs[i].Plate)
		plates[recs[i].Plate] = true
	}
	vs, err := vehiclesByPlate(ctx, s.DB.R, slices.Collect(mapKeys(plates)))
	if err != nil {
		return nil, err
	}
	outside := false
	for _, r := range recs {
		v := vs[r.Plate]
		switch {
		case r.Plate == "":
		case v == nil:
			sh.Add(r.Row, colPlate, fmt.Sprintf("车牌号%s未在平台登记", r.Plate))
		case !a.Covers(v.Path):
			sh.Add(r.Row, colPlate, fmt.Sprintf("车辆%s不在贵公司合同覆盖范围内", r.Plate))
			outside = true
		}
	}
	if err := sh.Failed(); err != nil {
		if outside { // writing for vehicles outside the contracts is forbidden, reported row by row all the same
			err.Code = errs.Forbidden
		}
		res.Errors = sh.Errors
		return res, err
	}

	sum := sha256.Sum256(in.Data)
	digest := hex.EncodeToString(sum[:])
	prev := new(Import)
	err = s.DB.R.NewSelect().Model(prev).Where("company_id = ? AND month = ? AND replaced_at IS NULL", a.CompanyID, in.Month).Scan(ctx)
	switch {
	case err == nil && prev.SHA256 == digest:
		return &ImportResult{Import: prev, Imported: 0, Unchanged: true, Errors: []sheet.RowError{}}, nil
	case err == nil:
	case errs.Is(store.Translate(err), errs.NotFound):
		prev = nil
	default:
		return nil, store.Translate(err)
	}

	rows := make([]*Rec, len(recs))
	for i, r := range recs {
		v := vs[r.Plate]
		rows[i] = &Rec{CompanyID: a.CompanyID, VehicleID: &v.ID, UnitID: v.UnitID, UnitPath: v.Path, Month: in.Month, At: r.At,
			CardNo: r.CardNo, Plate: r.Plate, Station: r.Station, FuelType: r.FuelType, LitresML: r.LitresML,
			UnitPriceFen: r.UnitPriceFen, AmountFen: r.AmountFen, RowNo: r.Row, CreatedAt: now}
	}
	if err := s.Flag(ctx, a.CompanyID, in.Month, rows); err != nil {
		return nil, err
	}
	token := digest
	if prev != nil {
		token = fmt.Sprintf("%s-%d", digest, prev.ID)
	}
	switch {
	case in.Confirm != "" && !strings.HasPrefix(in.Confirm, digest):
		return nil, (&errs.Fields{"confirm": "确认的文件与预览的文件不一致，未导入任何数据，请重新上传并核对替换内容"}).Err()
	case in.Confirm != "" && in.Confirm != token:
		return nil, errs.E(errs.Conflict, "预览之后该月份的加油记录已有变化，未导入任何数据，请重新上传并核对替换内容")
	case prev != nil && in.Confirm == "":
		p, err := s.preview(ctx, prev, rows)
		if err != nil {
			return nil, err
		}
		p.Confirm = token
		return &ImportResult{ConfirmRequired: true, Preview: p, Errors: []sheet.RowError{}}, nil
	}
	imp := &Import{CompanyID: a.CompanyID, Month: in.Month, FileName: in.FileName, SHA256: digest, RowCount: len(rows),
		ImportedBy: a.UserID, ImportedByName: a.Name, Via: in.Via, CreatedAt: now}
	var t Totals
	for _, r := range rows {
		t.add(r)
	}
	imp.LitresML, imp.AmountFen, imp.Flagged = t.LitresML, t.AmountFen, t.Flagged
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if prev != nil {
			n, err := retire(ctx, tx, prev.ID, now)
			if err != nil {
				return err
			}
			res.Replaced = n
		}
		if _, err := tx.NewInsert().Model(imp).Exec(ctx); err != nil {
			return err
		}
		for i := 0; i < len(rows); i += 500 {
			part := rows[i:min(i+500, len(rows))]
			for _, r := range part {
				r.ImportID = imp.ID
			}
			if _, err := tx.NewInsert().Model(&part).Exec(ctx); err != nil {
				return err
			}
		}
		if err := post(ctx, tx, rows); err != nil {
			return err
		}
		summary := fmt.Sprintf("导入%s加油记录%d条（%s），金额%s元，标记异常%d条", in.Month, len(rows), in.FileName, money.Yuan(imp.AmountFen), imp.Flagged)
		if prev != nil {
			summary += fmt.Sprintf("；替换该月原有记录%d条（原批次保留，可恢复）", res.Replaced)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actFuelImport, ObjectType: audit.FuelImport, ObjectID: imp.ID, ScopePath: a.ScopePath,
			Summary: summary, After: map[string]any{"month": in.Month, "file": in.FileName, "sha256": digest, "rows": len(rows), "via": in.Via}})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	res.Import, res.Imported = imp, len(rows)
	return res, nil
}

// preview compares the current import cur with the new rows, per vehicle.
func (s *Service) preview(ctx context.Context, cur *Import, rows []*Rec) (*Replacement, error) {
	var old []*Rec
	if err := s.DB.R.NewSelect().Model(&old).Column("plate", "litres_ml", "amount_fen", "flags").Where("import_id = ?", cur.ID).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	p := &Replacement{Month: cur.Month, Current: cur, Vehicles: []*VehicleChange{}}
	byPlate := map[string]*VehicleChange{}
	at := func(plate string) *VehicleChange {
		if byPlate[plate] == nil {
			byPlate[plate] = &VehicleChange{Plate: plate}
		}
		return byPlate[plate]
	}
	for _, r := range old {
		p.Old.add(r)
		at(r.Plate).Old.add(r)
	}
	for _, r := range rows {
		p.New.add(r)
		at(r.Plate).New.add(r)
	}
	for _, v := range byPlate {
		if v.Old != v.New {
			p.Vehicles = append(p.Vehicles, v)
		}
	}
	slices.SortFunc(p.Vehicles, func(a, b *VehicleChange) int {
		if c := cmp.Compare(abs(b.New.AmountFen-b.Old.AmountFen), abs(a.New.AmountFen-a.Old.AmountFen)); c != 0 {
			return c
		}
		return strings.Compare(a.Plate, b.Plate)
	})
	return p, nil
}

func abs(n int64) int64 {
	if n < 0 {
		return -n
	}
	return n
}

// retire marks import id and its records replaced at now and takes its
// records off the cost ledger; it reports the records. The records stay:
// their flags keep their evidence and the batch can be restored.
func retire(ctx context.Context, tx bun.Tx, id int64, now time.Time) (int, error) {
	n, err := tx.NewUpdate().Model((*Import)(nil)).Set("replaced_at = ?", now).Where("id = ? AND replaced_at IS NULL", id).Exec(ctx)
	if err != nil {
		return 0, err
	}
	if c, _ := n.RowsAffected(); c != 1 {
		return 0, errs.E(errs.Conflict, "该月份的加油记录刚被另一次导入替换，请刷新后重试")
	}
	if err := ledger.Withdraw(ctx, tx, "source = 'fuel_record' AND kind = 'fuel' AND source_id IN (SELECT id FROM fuel_records WHERE import_id = ?)", id); err != nil {
		return 0, err
	}
	recs, err := tx.NewUpdate().Model((*Rec)(nil)).Set("replaced_at = ?", now).Where("import_id = ?", id).Exec(ctx)
	if err != nil {
		return 0, err
	}
	c, _ := recs.RowsAffected()
	return int(c), nil
}

// post posts each record to the cost ledger.
func post(ctx context.Context, tx bun.Tx, rows []*Rec) error {
	for _, r := range rows {
		if err := ledger.Post(ctx, tx, ledger.Entry{VehicleID: r.VehicleID, UnitID: r.UnitID, Kind: "fuel", AmountFen: r.AmountFen,
			Source: "fuel_record", SourceID: r.ID, OccurredAt: r.At, Note: r.Station}); err != nil {
			return err
		}
	}
	return nil
}

// RestoreResult reports a restore: the import current again, its records,
// and the records of the import it replaced (kept, restorable in turn).
type RestoreResult struct {
	Import   *Import `json:"import"`
	Restored int     `json:"restored"`
	Replaced int     `json:"replaced"`
}

// Restore makes a replaced import of the company's the month's current one
// again, in one transaction: the month's current import is replaced (kept
// and restorable in turn), the restored records with their flags are
// current again and post to the cost ledger, and the audit log records it.
func (s *Service) Restore(ctx context.Context, a *access.Actor, id int64) (*RestoreResult, error) {
	if a.CompanyID == 0 || a.CompanyKind != "fuel" {
		return nil, errs.E(errs.Forbidden, "只有加油公司的账号可以恢复加油记录")
	}
	imp := new(Import)
	if err := s.DB.R.NewSelect().Model(imp).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "导入记录不存在"))
	}
	if imp.CompanyID != a.CompanyID {
		return nil, errs.E(errs.Forbidden, "该导入批次不是贵公司导入的")
	}
	if imp.ReplacedAt == nil {
		return nil, errs.E(errs.Conflict, "该批次已是%s的当前记录，无需恢复", imp.Month)
	}
	now := s.now()
	res := &RestoreResult{Import: imp}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var cur []*Import
		if err := tx.NewSelect().Model(&cur).Where("company_id = ? AND month = ? AND replaced_at IS NULL", a.CompanyID, imp.Month).Scan(ctx); err != nil {
			return err
		}
		for _, c := range cur {
			n, err := retire(ctx, tx, c.ID, now)
			if err != nil {
				return err
			}
			res.Replaced += n
		}
		n, err := tx.NewUpdate().Model((*Import)(nil)).Set("replaced_at = NULL").Where("id = ? AND replaced_at IS NOT NULL", imp.ID).Exec(ctx)
		if err != nil {
			return err
		}
		if c, _ := n.RowsAffected(); c != 1 {
			return errs.E(errs.Conflict, "该批次刚被恢复，请刷新后查看")
		}
		if _, err := tx.NewUpdate().Model((*Rec)(nil)).Set("replaced_at = NULL").Where("import_id = ?", imp.ID).Exec(ctx); err != nil {
			return err
		}
		var rows []*Rec
		if err := tx.NewSelect().Model(&rows).Where("import_id = ?", imp.ID).Scan(ctx); err != nil {
			return err
		}
		if err := post(ctx, tx, rows); err != nil {
			return err
		}
		res.Restored = len(rows)
		return audit.Record(ctx, tx, a, audit.Event{Action: actFuelRestore, ObjectType: audit.FuelImport, ObjectID: imp.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("恢复%s加油记录批次（%s，%d条，金额%s元），替换当时的记录%d条（保留，可恢复）", imp.Month, imp.FileName, len(rows), money.Yuan(imp.AmountFen), res.Replaced),
			After:   map[string]any{"month": imp.Month, "file": imp.FileName, "sha256": imp.SHA256, "rows": len(rows)}})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	imp.ReplacedAt = nil
	return res, nil
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func vehiclesByPlate(ctx context.Context, db bun.IDB, plates []string) (map[string]*vehicle, error) {
	out := map[string]*vehicle{}
	for i := 0; i < len(plates); i += 500 {
		var vs []*vehicle
		err := db.NewSelect().TableExpr("vehicles AS v").Join("JOIN units AS u ON u.id = v.unit_id").
			Column("v.id", "v.plate", "v.unit_id", "u.path", "v.category", "v.status", "v.energy_type", "v.vehicle_class", "v.tank_litres").
			Where("v.plate IN (?)", bun.In(plates[i:min(i+500, len(plates))])).Scan(ctx, &vs)
		if err != nil {
			return nil, store.Translate(err)
		}
		for _, v := range vs {
			out[v.Plate] = v
		}
	}
	return out, nil
}

// Flag sets the flags of company's new records of month (R-30 signals),
// for Import and the demo. Sealing and holidays come from the working
// calendar: on a statutory holiday every vehicle but the emergency
// and law enforcement ones is sealed, unless it runs on an order filed for
// it; a vehicle whose status is sealed is sealed any day.
func (s *Service) Flag(ctx context.Context, company int64, month string, rows []*Rec) error {
	from, to, err := monthRange(month)
	if err != nil {
		return err
	}
	byID := map[int64]*vehicle{}
	var ids []int64
	for _, r := range rows {
		if byID[*r.VehicleID] == nil {
			byID[*r.VehicleID] = &vehicle{}
			ids = append(ids, *r.VehicleID)
		}
	}
	for i := 0; i < len(ids); i += 500 {
		var vs []*vehicle
		if err := s.DB.R.NewSelect().Table("vehicles").Column("id", "plate", "unit_id", "category", "status", "energy_type", "vehicle_class", "tank_litres").
			Where("id IN (?)", bun.In(ids[i:min(i+500, len(ids))])).Scan(ctx, &vs); err != nil {
			return store.Translate(err)
		}
		for _, v := range vs {
			byID[v.ID] = v
		}
	}
	holiday, err := calendar.HolidayDates(ctx, s.DB.R, from, to)
	if err != nil {
		return err
	}
	// Orders filed to use a sealed vehicle in the month.
	type filed struct {
		VehicleID int64     `bun:"vehicle_id"`
		From      time.Time `bun:"pickup_at"`
		To        time.Time `bun:"return_at"`
	}
	var filings []filed
	// Baseline: litres per vehicle and month over the previous months and
	// this month's records of other companies.
	type monthly struct {
		VehicleID int64  `bun:"vehicle_id"`
		Month     string `bun:"month"`
		Litres    int64  `bun:"litres"`
	}
	var months []monthly
	first := from.AddDate(0, -BaselineMonths, 0).Format("2006-01")
	for i := 0; i < len(ids); i += 500 {
		part := ids[i:min(i+500, len(ids))]
		if len(holiday) > 0 {
			var f []filed
			if err := s.DB.R.NewSelect().Table("orders").Column("vehicle_id", "pickup_at", "return_at").
				Where("vehicle_id IN (?) AND sealed_filing <> '' AND pickup_at < ? AND return_at >= ?", bun.In(part), to, from).
				Scan(ctx, &f); err != nil {
				return store.Translate(err)
			}
			filings = append(filings, f...)
		}
		var m []monthly
		if err := s.DB.R.NewSelect().Table("fuel_records").ColumnExpr("vehicle_id, month, SUM(litres_ml) AS litres").
			Where("vehicle_id IN (?) AND month >= ? AND month <= ? AND replaced_at IS NULL AND NOT (company_id = ? AND month = ?)", bun.In(part), first, month, company, month).
			Group("vehicle_id", "month").Scan(ctx, &m); err != nil {
			return store.Translate(err)
		}
		months = append(months, m...)
	}

	day := beijing.Date
	dayTotal := map[string]int64{}  // vehicle|day
	monthTotal := map[int64]int64{} // this month
	for _, r := range rows {
		dayTotal[fmt.Sprint(*r.VehicleID, day(r.At))] += r.LitresML
		monthTotal[*r.VehicleID] += r.LitresML
	}
	past := map[int64][]int64{}
	for _, m := range months {
		if m.Month == month {
			monthTotal[m.VehicleID] += m.Litres
		} else {
			past[m.VehicleID] = append(past[m.VehicleID], m.Litres)
		}
	}
	for _, r := range rows {
		v := byID[*r.VehicleID]
		var f []string
		d := day(r.At)
		if float64(dayTotal[fmt.Sprint(v.ID, d)]) > float64(TankLitres(v.TankLitres, v.EnergyType, v.VehicleClass))*1000*TankSlack {
			f = append(f, FlagOverTank)
		}
		sealed := v.Status == "sealed"
		if holiday[d] && !calendar.RunsOnHolidays(v.Category) {
			dayStart, _ := beijing.ParseDate(d)
			covered := slices.ContainsFunc(filings, func(o filed) bool {
				return o.VehicleID == v.ID && o.From.Before(dayStart.AddDate(0, 0, 1)) && !o.To.Before(dayStart)
			})
			sealed = sealed || !covered
		}
		if sealed {
			f = append(f, FlagSealed)
		}
		if holiday[d] {
			f = append(f, FlagHoliday)
		}
		if p := past[v.ID]; len(p) >= MinBaselineMonths {
			var total int64
			for _, x := range p {
				total += x
			}
			if float64(monthTotal[v.ID]) > BaselineFactor*float64(total)/float64(len(p)) {
				f = append(f, FlagAboveBaseline)
			}
		}
		r.Flags = strings.Join(f, ",")
	}
	return nil
}
