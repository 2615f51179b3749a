// Package inspection keeps each vehicle's next annual inspection due date
// and the results the inspection company records. Thirty days
// before a due date the drivers matched to the vehicle and the unit's
// vehicle managers are reminded, in the app and by SMS, once per due date;
// vehicles past their date are flagged overdue.
package inspection

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actInspectionDue    = audit.NewAction("inspection.due", "设定年检日期")
	actInspectionRecord = audit.NewAction("inspection.record", "登记年检结果")
)

// RemindDays is how long before the due date the reminder goes out.
const RemindDays = 30

// Service keeps due dates and results.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Now    func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) today() string { return beijing.Date(s.now()) }

// NextDue applies the inspection cycle of non-commercial passenger cars
// (《机动车安全技术检验项目和方法》and the 2022 reform of the Ministry of
// Public Security): a car with at most 9 seats is due every two years in
// its first ten years (on-line inspections at six and ten, the sticker
// otherwise), every year up to fifteen years, then every six months; a
// larger bus every year in its first ten years, then every six months.
// It returns the first due date strictly after "after", counted from the
// registration date.
func NextDue(registered time.Time, seats int, after time.Time) time.Time {
	d := registered
	for i := 0; i < 200; i++ {
		age := d.Year() - registered.Year()
		switch {
		case seats <= 9 && age < 10:
			d = d.AddDate(2, 0, 0)
		case age < 15 && (seats <= 9 || age < 10):
			d = d.AddDate(1, 0, 0)
		default:
			d = d.AddDate(0, 6, 0)
		}
		if d.After(after) {
			return d
		}
	}
	return d
}

// FillDefaults gives every vehicle without a due date the rule's next date
// after today, from its purchase date (its registration date when
// unknown). It returns how many it set.
func (s *Service) FillDefaults(ctx context.Context) (int, error) {
	var rows []struct {
		ID           int64     `bun:"id"`
		Seats        int       `bun:"seats"`
		PurchaseDate string    `bun:"purchase_date"`
		CreatedAt    time.Time `bun:"created_at"`
	}
	err := s.DB.R.NewSelect().TableExpr("vehicles AS v").Column("v.id", "v.seats", "v.purchase_date", "v.created_at").
		Where("v.status <> 'disposed'").
		Where("NOT EXISTS (SELECT 1 FROM inspection_due AS d WHERE d.vehicle_id = v.id)").Scan(ctx, &rows)
	if err != nil {
		return 0, store.Translate(err)
	}
	now := s.now()
	today, _ := time.Parse(time.DateOnly, s.today())
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		for _, r := range rows {
			reg, err := time.Parse(time.DateOnly, r.PurchaseDate)
			if err != nil {
				reg, _ = time.Parse(time.DateOnly, beijing.Date(r.CreatedAt))
			}
			due := NextDue(reg, r.Seats, today.AddDate(0, 0, -1)).Format(time.DateOnly)
			if _, err := tx.NewRaw("INSERT INTO inspection_due (vehicle_id, due_on, source, updated_at) VALUES (?, ?, 'rule', ?) ON CONFLICT DO NOTHING", r.ID, due, now).Exec(ctx); err != nil {
				return err
			}
		}
		return nil
	})
	return len(rows), err
}

// Due is a vehicle's inspection state.
type Due struct {
	VehicleID    int64   `bun:"vehicle_id" json:"vehicle_id"`
	Plate        string  `bun:"plate" json:"plate"`
	Brand        string  `bun:"brand" json:"brand"`
	Model        string  `bun:"model" json:"model"`
	Seats        int     `bun:"seats" json:"seats"`
	PurchaseDate string  `bun:"purchase_date" json:"purchase_date"`
	UnitID       int64   `bun:"unit_id" json:"unit_id"`
	UnitName     string  `bun:"unit_name" json:"unit_name"`
	UnitPath     string  `bun:"unit_path" json:"-"`
	DueOn        *string `bun:"due_on" json:"due_on"` // nil until set or derived by the daily job
	Source       *string `bun:"source" json:"source"` // rule | manual | result
	LastOn       *string `bun:"last_on" json:"last_on"`
	LastPassed   *bool   `bun:"last_passed" json:"last_passed"`
	DaysLeft     *int    `bun:"-" json:"days_left"`
	Overdue      bool    `bun:"-" json:"overdue"`
}

// Filter selects vehicles.
type Filter struct {
	UnitID     int64
	Within     int    // due within this many days from today (overdue included); 0: any
	Overdue    bool   // only overdue vehicles
	Q          string // plate
	Page, Size int
}

func (s *Service) selectDue() *bun.SelectQuery {
	return s.DB.R.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id AS vehicle_id, v.plate, v.brand, v.model, v.seats, v.purchase_date, v.unit_id, n.name AS unit_name, n.path AS unit_path").
		ColumnExpr("d.due_on, d.source").
		ColumnExpr("(SELECT MAX(i.inspected_on) FROM inspections AS i WHERE i.vehicle_id = v.id) AS last_on").
		ColumnExpr("(SELECT i.passed FROM inspections AS i WHERE i.vehicle_id = v.id ORDER BY i.inspected_on DESC, i.id DESC LIMIT 1) AS last_passed").
		Join("JOIN units AS n ON n.id = v.unit_id").
		Join("LEFT JOIN inspection_due AS d ON d.vehicle_id = v.id").
		Where("v.status <> 'disposed'")
}

func (s *Service) complete(d *Due) {
	if d.DueOn == nil {
		return
	}
	t, _ := time.Parse(time.DateOnly, *d.DueOn)
	today, _ := time.Parse(time.DateOnly, s.today())
	n := int(t.Sub(today).Hours() / 24)
	d.DaysLeft, d.Overdue = &n, n < 0
}

// List returns the vehicles in the actor's scope (a company: its
// contracts) with their due dates, soonest first.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Due, int, error) {
	q := s.selectDue().WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range a.ScopePaths() {
			q = q.WhereOr("n.path LIKE ?", p+"%")
		}
		return q.WhereOr("1 = 0")
	})
	if f.UnitID != 0 {
		var path string
		if err := s.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", f.UnitID).Scan(ctx, &path); err != nil {
			return nil, 0, store.Translate(err)
		}
		if !a.Covers(path) && !slices.ContainsFunc(a.ScopePaths(), func(p string) bool { return strings.HasPrefix(p, path) }) {
			return nil, 0, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		q = q.Where("n.path LIKE ?", path+"%")
	}
	today := s.today()
	if f.Within > 0 {
		q = q.Where("d.due_on <= ?", beijing.Date(s.now().AddDate(0, 0, f.Within)))
	}
	if f.Overdue {
		q = q.Where("d.due_on < ?", today)
	}
	if f.Q != "" {
		q = q.Where("v.plate LIKE ?", "%"+strings.ReplaceAll(f.Q, "%", "")+"%")
	}
	out := []*Due{}
	n, err := q.OrderExpr("d.due_on IS NULL, d.due_on, v.plate").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, d := range out {
		s.complete(d)
	}
	return out, n, nil
}

func (s *Service) vehicle(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Due, error) {
	d := new(Due)
	if err := s.selectDue().Conn(db).Where("v.id = ?", id).Scan(ctx, d); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "车辆不存在或已删除"))
	}
	if !a.Covers(d.UnitPath) {
		return nil, errs.E(errs.Forbidden, "车辆 %s 不在您的管辖范围内", d.Plate)
	}
	s.complete(d)
	return d, nil
}

// Inspection is a recorded result.
type Inspection struct {
	bun.BaseModel `bun:"table:inspections,alias:i"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	VehicleID   int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID      int64     `bun:"unit_id" json:"unit_id"`
	CompanyID   int64     `bun:"company_id" json:"company_id"`
	InspectedOn string    `bun:"inspected_on" json:"inspected_on"`
	Passed      bool      `bun:"passed" json:"passed"`
	NextDueOn   string    `bun:"next_due_on" json:"next_due_on"`
	FeeFen      int64     `bun:"fee_fen" json:"fee_fen"`
	Note        string    `bun:"note" json:"note"`
	CreatedBy   int64     `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`

	CompanyName string `bun:"company_name,scanonly" json:"company_name"`
}

// Detail is a vehicle's due date and its inspections, newest first.
type Detail struct {
	Due         *Due          `json:"due"`
	Inspections []*Inspection `json:"inspections"`
}

// Get returns a vehicle's due date and history.
func (s *Service) Get(ctx context.Context, a *access.Actor, vehicleID int64) (*Detail, error) {
	d, err := s.vehicle(ctx, s.DB.R, a, vehicleID)
	if err != nil {
		return nil, err
	}
	out := &Detail{Due: d, Inspections: []*Inspection{}}
	err = s.DB.R.NewSelect().Model(&out.Inspections).ColumnExpr("i.*, c.name AS company_name").
		Join("JOIN companies AS c ON c.id = i.company_id").Where("i.vehicle_id = ?", vehicleID).
		OrderExpr("i.inspected_on DESC, i.id DESC").Scan(ctx)
	return out, store.Translate(err)
}

// DueInput sets a due date by hand.
type DueInput struct {
	DueOn string `json:"due_on"` // YYYY-MM-DD
}

// SetDue sets a vehicle's next due date (the vehicle manager corrects the
// rule's date from the registration certificate).
func (s *Service) SetDue(ctx context.Context, a *access.Actor, vehicleID int64, in DueInput) (*Detail, error) {
	if _, err := time.Parse(time.DateOnly, in.DueOn); err != nil {
		return nil, (&errs.Fields{"due_on": "下次年检日期格式应为 YYYY-MM-DD"}).Err()
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.vehicle(ctx, tx, a, vehicleID)
		if err != nil {
			return err
		}
		if err := setDue(ctx, tx, vehicleID, in.DueOn, "manual", s.now()); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actInspectionDue, ObjectType: audit.Vehicle, ObjectID: vehicleID, ScopePath: d.UnitPath,
			Summary: fmt.Sprintf("将 %s 的下次年检日期设为 %s", d.Plate, in.DueOn), Before: d.DueOn, After: in.DueOn})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, vehicleID)
}

func setDue(ctx context.Context, tx bun.IDB, vehicleID int64, due, source string, now time.Time) error {
	res, err := tx.NewRaw("UPDATE inspection_due SET due_on = ?, source = ?, updated_at = ? WHERE vehicle_id = ?", due, source, now, vehicleID).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.NewRaw("INSERT INTO inspection_due (vehicle_id, due_on, source, updated_at) VALUES (?, ?, ?, ?)", vehicleID, due, source, now).Exec(ctx)
	}
	return err
}

// ResultInput is a result as the inspection company records it.
type ResultInput struct {
	InspectedOn string `json:"inspected_on"`          // YYYY-MM-DD
	Passed      bool   `json:"passed"`                //
	NextDueOn   string `json:"next_due_on,omitempty"` // YYYY-MM-DD; default: the rule's next date (passed) or 30 days for the re-test (failed)
	FeeFen      int64  `json:"fee_fen"`
	Note        string `json:"note" max:"200"`
}

// Record stores a result of a vehicle the inspection company's contracts
// cover; the due date moves to the next one and the fee goes to the ledger.
func (s *Service) Record(ctx context.Context, a *access.Actor, vehicleID int64, in ResultInput) (*Detail, error) {
	if a.CompanyID == 0 || a.CompanyKind != "inspection" {
		return nil, errs.E(errs.Forbidden, "只有检测机构可以登记年检结果")
	}
	in.Note = strings.TrimSpace(in.Note)
	var f errs.Fields
	on, err := time.Parse(time.DateOnly, in.InspectedOn)
	f.Check(err != nil, "inspected_on", "检验日期格式应为 YYYY-MM-DD")
	f.Check(err == nil && in.InspectedOn > s.today(), "inspected_on", "检验日期不能晚于今天")
	if in.NextDueOn != "" {
		_, e := time.Parse(time.DateOnly, in.NextDueOn)
		f.Check(e != nil, "next_due_on", "下次年检日期格式应为 YYYY-MM-DD")
		f.Check(e == nil && in.NextDueOn <= in.InspectedOn, "next_due_on", "下次年检日期须晚于检验日期")
	}
	f.Check(in.FeeFen < 0 || in.FeeFen > 1e7, "fee_fen", "检验费（分）不能为负")
	f.Check(utf8.RuneCountInString(in.Note) > 200, "note", "备注不能超过200个字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.vehicle(ctx, tx, a, vehicleID)
		if err != nil {
			return err
		}
		if in.NextDueOn == "" {
			if in.Passed {
				reg, e := time.Parse(time.DateOnly, d.PurchaseDate)
				if e != nil {
					reg = on
				}
				in.NextDueOn = NextDue(reg, d.Seats, on).Format(time.DateOnly)
			} else {
				in.NextDueOn = on.AddDate(0, 0, 30).Format(time.DateOnly)
			}
		}
		now := s.now()
		i := &Inspection{VehicleID: vehicleID, UnitID: d.UnitID, CompanyID: a.CompanyID, InspectedOn: in.InspectedOn, Passed: in.Passed,
			NextDueOn: in.NextDueOn, FeeFen: in.FeeFen, Note: in.Note, CreatedBy: a.UserID, CreatedAt: now}
		if _, err := tx.NewInsert().Model(i).Exec(ctx); err != nil {
			return err
		}
		if err := setDue(ctx, tx, vehicleID, in.NextDueOn, "result", now); err != nil {
			return err
		}
		t, _ := beijing.ParseDate(in.InspectedOn)
		if err := ledger.Post(ctx, tx, ledger.Entry{VehicleID: &vehicleID, UnitID: d.UnitID, Kind: "inspection", AmountFen: in.FeeFen,
			Source: "inspection", SourceID: i.ID, OccurredAt: t, Note: "年检 " + in.InspectedOn}); err != nil {
			return err
		}
		verdict := "合格"
		if !in.Passed {
			verdict = "不合格"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actInspectionRecord, ObjectType: audit.Vehicle, ObjectID: vehicleID, ScopePath: d.UnitPath,
			Summary: fmt.Sprintf("%s %s 年检%s，下次 %s，检验费 %.2f 元", d.Plate, in.InspectedOn, verdict, in.NextDueOn, float64(in.FeeFen)/100), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, vehicleID)
}

// Remind reminds the drivers matched to each vehicle due within
// RemindDays (or overdue) and the vehicle managers over its unit, once per
// vehicle and due date, in the app and by SMS. It returns how many
// vehicles it reminded of.
func (s *Service) Remind(ctx context.Context) (int, error) {
	soon := beijing.Date(s.now().AddDate(0, 0, RemindDays))
	var due []*Due
	err := s.selectDue().Where("d.due_on <= ?", soon).
		Where("NOT EXISTS (SELECT 1 FROM lifecycle_reminders AS m WHERE m.kind = 'inspection' AND m.object_id = v.id AND m.due_on = d.due_on)").
		OrderExpr("v.id").Scan(ctx, &due)
	if err != nil {
		return 0, store.Translate(err)
	}
	sent := 0
	for _, d := range due {
		res, err := s.DB.W.NewRaw("INSERT INTO lifecycle_reminders (kind, object_id, due_on, sent_at) VALUES ('inspection', ?, ?, ?) ON CONFLICT DO NOTHING",
			d.VehicleID, *d.DueOn, s.now()).Exec(ctx)
		if err != nil {
			return sent, store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue
		}
		users, err := notify.Recipients(ctx, s.DB.R, access.VehicleManager, d.UnitPath)
		if err != nil {
			return sent, store.Translate(err)
		}
		var drivers []int64
		if err := s.DB.R.NewSelect().TableExpr("driver_vehicles AS dv").ColumnExpr("dr.user_id").
			Join("JOIN drivers AS dr ON dr.id = dv.driver_id").
			Where("dv.vehicle_id = ? AND dr.active = ? AND dr.user_id IS NOT NULL", d.VehicleID, true).Scan(ctx, &drivers); err != nil {
			return sent, store.Translate(err)
		}
		s.complete(d)
		when := fmt.Sprintf("将于 %s 到期", *d.DueOn)
		if d.Overdue {
			when = fmt.Sprintf("已于 %s 到期（逾期）", *d.DueOn)
		}
		s.Notify.Send(ctx, notify.Message{Users: append(users, drivers...), Kind: "inspection", Title: "车辆年检提醒",
			Body: fmt.Sprintf("%s（%s）的年检%s，请按时送检", d.Plate, d.UnitName, when),
			Link: fmt.Sprintf("/inspection?q=%s", d.Plate), SMS: true})
		sent++
	}
	return sent, nil
}
