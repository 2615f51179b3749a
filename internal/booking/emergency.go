package booking

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/attachment"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// FilingDeadline is how long after an emergency use began its paperwork
// may be filed.
const FilingDeadline = 48 * time.Hour

// Filing is the after-the-fact paperwork of an emergency use.
type Filing struct {
	bun.BaseModel `bun:"table:emergency_filings"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	UnitID      int64      `bun:"unit_id" json:"unit_id"`
	VehicleID   int64      `bun:"vehicle_id" json:"vehicle_id"`
	DriverID    *int64     `bun:"driver_id" json:"driver_id"`
	Leader      string     `bun:"leader" json:"leader"`
	Reason      string     `bun:"reason" json:"reason"`
	StartedAt   time.Time  `bun:"started_at" json:"started_at"`
	EndedAt     *time.Time `bun:"ended_at" json:"ended_at"`
	DeadlineAt  time.Time  `bun:"deadline_at" json:"deadline_at"`
	Source      string     `bun:"source" json:"source"` // unit | trip
	SourceRef   string     `bun:"source_ref,nullzero" json:"source_ref"`
	State       string     `bun:"state" json:"state"` // open | filed
	FiledAt     *time.Time `bun:"filed_at" json:"filed_at"`
	FiledBy     *int64     `bun:"filed_by" json:"filed_by"`
	FiledLate   bool       `bun:"filed_late" json:"filed_late"`
	EscalatedAt *time.Time `bun:"escalated_at" json:"escalated_at"`
	CreatedAt   time.Time  `bun:"created_at" json:"created_at"`

	UnitName    string              `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath    string              `bun:"unit_path,scanonly" json:"-"`
	Plate       string              `bun:"plate,scanonly" json:"plate"`
	DriverName  string              `bun:"driver_name,scanonly" json:"driver_name"`
	Overdue     bool                `bun:"-" json:"overdue"`
	Attachments []*FilingAttachment `bun:"-" json:"attachments"`
}

// FilingAttachment is a document of an emergency filing: the leader's
// approval, the incident's notice.
type FilingAttachment struct {
	bun.BaseModel `bun:"table:emergency_attachments"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	FilingID    int64     `bun:"filing_id" json:"filing_id"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	Filename    string    `bun:"filename" json:"filename"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	CreatedBy   int64     `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
}

// FilingInput is what the unit files.
type FilingInput struct {
	VehicleID int64      `json:"vehicle_id"`
	DriverID  *int64     `json:"driver_id"`
	Leader    string     `json:"leader" max:"50"`
	Reason    string     `json:"reason" max:"500"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at"`
}

// filingLink opens the filing in the console's 紧急用车补报 list.
func filingLink(id int64) string { return fmt.Sprintf("/emergency?id=%d", id) }

// filedNote tells the unit's vehicle managers (but not the one who filed)
// that an emergency use has been filed, whoever filed it.
func filedNote(ctx context.Context, tx bun.IDB, a *access.Actor, fl *Filing, plate, path string) ([]notify.Message, error) {
	managers, err := notify.Recipients(ctx, tx, access.VehicleManager, path)
	if err != nil {
		return nil, err
	}
	body := fmt.Sprintf("%s 补报 %s %s 开始的紧急用车：%s（%s同意）", a.Name, plate, fl.StartedAt.In(beijing.Zone).Format("01-02 15:04"), fl.Reason, fl.Leader)
	if fl.FiledLate {
		body += "，已超过48小时"
	}
	return []notify.Message{{Users: without(managers, a.UserID), Kind: "filing", Title: "紧急用车已补报", Body: body, Link: filingLink(fl.ID)}}, nil
}

var filers = []access.Role{access.VehicleManager, access.Dispatcher, access.UnitAdmin}

func mayFile(a *access.Actor) error {
	for _, r := range filers {
		if a.HasRole(r) {
			return nil
		}
	}
	return errs.E(errs.Forbidden, "只有车管负责人、调度员或单位管理员可以补报紧急用车")
}

func (s *Service) selectFilings(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Filing)(nil)).ModelTableExpr("emergency_filings AS f").
		ColumnExpr("f.*, u.name AS unit_name, u.path AS unit_path, v.plate AS plate, d.name AS driver_name").
		Join("JOIN units AS u ON u.id = f.unit_id").
		Join("JOIN vehicles AS v ON v.id = f.vehicle_id").
		Join("LEFT JOIN drivers AS d ON d.id = f.driver_id")
}

// fill sets what the filings' rows do not hold: overdue, attachments.
func (s *Service) fill(ctx context.Context, fs ...*Filing) error {
	ids := make([]int64, len(fs))
	by := map[int64]*Filing{}
	for i, f := range fs {
		f.Overdue = f.State == "open" && s.now().After(f.DeadlineAt)
		f.Attachments = []*FilingAttachment{}
		ids[i], by[f.ID] = f.ID, f
	}
	if len(ids) == 0 {
		return nil
	}
	var atts []*FilingAttachment
	if err := s.DB.R.NewSelect().Model(&atts).Where("filing_id IN (?)", bun.In(ids)).Order("id").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	for _, x := range atts {
		by[x.FilingID].Attachments = append(by[x.FilingID].Attachments, x)
	}
	return nil
}

func (s *Service) checkFiling(f *errs.Fields, in *FilingInput) {
	in.Leader, in.Reason = strings.TrimSpace(in.Leader), strings.TrimSpace(in.Reason)
	f.Check(in.Leader == "", "leader", "请填写同意用车的主管领导")
	f.Check(in.Reason == "", "reason", "请填写紧急用车事由（抢险救灾、处置突发事件等）")
	f.Check(in.StartedAt.IsZero(), "started_at", "请填写用车开始时间")
	f.Check(in.StartedAt.After(s.now()), "started_at", "用车开始时间不能晚于现在（紧急用车为事后补报）")
	if in.EndedAt != nil {
		f.Check(in.EndedAt.Before(in.StartedAt), "ended_at", "结束时间不能早于开始时间")
	}
}

// FileEmergency records an offline emergency use afterwards. A
// filing made more than 48 hours after the use began is marked late.
func (s *Service) FileEmergency(ctx context.Context, a *access.Actor, in FilingInput) (*Filing, error) {
	if err := mayFile(a); err != nil {
		return nil, err
	}
	var f errs.Fields
	s.checkFiling(&f, &in)
	f.Check(in.VehicleID == 0, "vehicle_id", "请选择车辆")
	if err := f.Err(); err != nil {
		return nil, err
	}
	var id int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var vs []*vehicle
		if err := vehicleQuery(tx).Where("v.id = ?", in.VehicleID).Scan(ctx, &vs); err != nil {
			return err
		}
		if len(vs) == 0 {
			return (&errs.Fields{"vehicle_id": "车辆不存在"}).Err()
		}
		v := vs[0]
		if !a.Covers(v.UnitPath) {
			return errs.E(errs.Forbidden, "车辆 %s 不在您的管辖范围内", v.Plate)
		}
		now := s.now()
		fl := &Filing{UnitID: v.UnitID, VehicleID: v.ID, DriverID: in.DriverID, Leader: in.Leader, Reason: in.Reason,
			StartedAt: in.StartedAt.UTC(), EndedAt: in.EndedAt, DeadlineAt: in.StartedAt.UTC().Add(FilingDeadline), Source: "unit",
			State: "filed", FiledAt: &now, FiledBy: &a.UserID, CreatedAt: now}
		fl.FiledLate = now.After(fl.DeadlineAt)
		if _, err := tx.NewInsert().Model(fl).Exec(ctx); err != nil {
			return err
		}
		id = fl.ID
		var err error
		if notes, err = filedNote(ctx, tx, a, fl, v.Plate, v.UnitPath); err != nil {
			return err
		}
		summary := fmt.Sprintf("补报紧急用车 %s：%s（%s同意）", v.Plate, in.Reason, in.Leader)
		if fl.FiledLate {
			summary += "，已超过48小时"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actEmergencyFile, ObjectType: audit.EmergencyFiling, ObjectID: fl.ID, ScopePath: v.UnitPath, Summary: summary, After: fl})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.filing(ctx, id)
}

func (s *Service) filing(ctx context.Context, id int64) (*Filing, error) {
	f := new(Filing)
	if err := s.selectFilings(s.DB.R).Where("f.id = ?", id).Scan(ctx, f); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "紧急用车补报不存在或已删除"))
	}
	if err := s.fill(ctx, f); err != nil {
		return nil, err
	}
	return f, nil
}

// AttachFiling adds a document to an emergency filing of the actor's
// scope, under the rules of an order's attachments; whoever may file
// may add one, before or after the filing is complete.
func (s *Service) AttachFiling(ctx context.Context, a *access.Actor, blobs Blobs, id int64, name string, data []byte) (*FilingAttachment, error) {
	if err := mayFile(a); err != nil {
		return nil, err
	}
	name, ct, err := attachment.Check(name, data)
	if err != nil {
		return nil, err
	}
	fl, err := s.filing(ctx, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(fl.UnitPath) {
		return nil, errs.E(errs.Forbidden, "该补报不在您的管辖范围内")
	}
	key, err := blobs.Put(ctx, data)
	if err != nil {
		return nil, errs.Wrap(err, "store attachment")
	}
	att := &FilingAttachment{FilingID: id, BlobKey: key, Filename: name, ContentType: ct, Size: int64(len(data)), CreatedBy: a.UserID, CreatedAt: s.now()}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(att).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actEmergencyAttach, ObjectType: audit.EmergencyFiling, ObjectID: id, ScopePath: fl.UnitPath,
			Summary: fmt.Sprintf("紧急用车补报（%s %s）添加附件「%s」", fl.Plate, fl.StartedAt.In(beijing.Zone).Format("01-02 15:04"), name)})
	})
	if err != nil {
		return nil, err
	}
	return att, nil
}

// OpenFilingAttachment returns a document of a filing of the actor's scope.
func (s *Service) OpenFilingAttachment(ctx context.Context, a *access.Actor, blobs Blobs, id, attID int64) (*FilingAttachment, []byte, error) {
	fl, err := s.filing(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if !a.Covers(fl.UnitPath) {
		return nil, nil, errs.E(errs.Forbidden, "该补报不在您的管辖范围内")
	}
	att := new(FilingAttachment)
	if err := s.DB.R.NewSelect().Model(att).Where("id = ? AND filing_id = ?", attID, id).Scan(ctx); err != nil {
		return nil, nil, store.NotFoundAs(err, errs.E(errs.NotFound, "附件不存在"))
	}
	data, err := readBlob(ctx, blobs, att.BlobKey)
	if err != nil {
		return nil, nil, err
	}
	return att, data, nil
}

// OpenForTrip is the entry point for telematics: a trip seen without an
// order opens a filing the unit must complete within 48 hours of the
// trip's start. ref identifies the trip; opening the same trip twice is a
// no-op. It returns the filing.
func (s *Service) OpenForTrip(ctx context.Context, vehicleID int64, startedAt time.Time, endedAt *time.Time, ref string) (*Filing, error) {
	var id int64
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var existing []int64
		if err := tx.NewSelect().Table("emergency_filings").Column("id").Where("source_ref = ?", ref).Scan(ctx, &existing); err != nil {
			return err
		}
		if len(existing) > 0 {
			id = existing[0]
			return nil
		}
		var vs []*vehicle
		if err := vehicleQuery(tx).Where("v.id = ?", vehicleID).Scan(ctx, &vs); err != nil {
			return err
		}
		if len(vs) == 0 {
			return errs.E(errs.NotFound, "车辆不存在或已删除")
		}
		v := vs[0]
		now := s.now()
		fl := &Filing{UnitID: v.UnitID, VehicleID: v.ID, StartedAt: startedAt.UTC(), EndedAt: endedAt, DeadlineAt: startedAt.UTC().Add(FilingDeadline),
			Source: "trip", SourceRef: ref, State: "open", CreatedAt: now}
		if _, err := tx.NewInsert().Model(fl).Exec(ctx); err != nil {
			return err
		}
		id = fl.ID
		managers, err := notify.Recipients(ctx, tx, access.VehicleManager, v.UnitPath)
		if err != nil {
			return err
		}
		notes = []notify.Message{{Users: managers, Kind: "filing", Title: "发现无单出车，请在48小时内补报", Link: filingLink(fl.ID),
			Body: fmt.Sprintf("%s %s 出车无订单，补报截止 %s", v.Plate, startedAt.In(beijing.Zone).Format("01-02 15:04"), fl.DeadlineAt.In(beijing.Zone).Format("01-02 15:04"))}}
		return audit.Record(ctx, tx, nil, audit.Event{Action: actEmergencyOpen, ObjectType: audit.EmergencyFiling, ObjectID: fl.ID, ScopePath: v.UnitPath,
			Summary: fmt.Sprintf("%s 无单出车，待单位补报（%s）", v.Plate, ref), After: fl})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.filing(ctx, id)
}

// CompleteFiling completes an open filing with the leader and reason.
func (s *Service) CompleteFiling(ctx context.Context, a *access.Actor, id int64, in FilingInput) (*Filing, error) {
	if err := mayFile(a); err != nil {
		return nil, err
	}
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		fl := new(Filing)
		if err := s.selectFilings(tx).Where("f.id = ?", id).Scan(ctx, fl); err != nil {
			return err
		}
		if !a.Covers(fl.UnitPath) {
			return errs.E(errs.Forbidden, "该补报不在您的管辖范围内")
		}
		if fl.State != "open" {
			return errs.E(errs.Conflict, "该紧急用车已补报")
		}
		in.StartedAt = fl.StartedAt
		var f errs.Fields
		s.checkFiling(&f, &in)
		if err := f.Err(); err != nil {
			return err
		}
		before := *fl
		now := s.now()
		fl.Leader, fl.Reason, fl.DriverID, fl.State, fl.FiledAt, fl.FiledBy = in.Leader, in.Reason, in.DriverID, "filed", &now, &a.UserID
		if in.EndedAt != nil {
			fl.EndedAt = in.EndedAt
		}
		fl.FiledLate = now.After(fl.DeadlineAt)
		if _, err := tx.NewUpdate().Model(fl).Column("leader", "reason", "driver_id", "ended_at", "state", "filed_at", "filed_by", "filed_late").WherePK().Exec(ctx); err != nil {
			return err
		}
		var err error
		if notes, err = filedNote(ctx, tx, a, fl, fl.Plate, fl.UnitPath); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actEmergencyFile, ObjectType: audit.EmergencyFiling, ObjectID: fl.ID, ScopePath: fl.UnitPath,
			Summary: fmt.Sprintf("补报紧急用车 %s：%s（%s同意）", fl.Plate, in.Reason, in.Leader), Before: before, After: fl})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notes...)
	return s.filing(ctx, id)
}

// FilingFilter selects filings.
type FilingFilter struct {
	State     string // open | filed | overdue | late
	ID        int64  // one filing (a message's link)
	VehicleID int64
	// From, To (YYYY-MM-DD, inclusive) select the filings by the Beijing
	// day their use began — the day 行程与里程 counts a trip on, so that a
	// vehicle's filings of trips without an order and its trips without an
	// order are the same over the same days (issue 24).
	From, To   string
	Page, Size int
}

// Filings lists the filings in the actor's scope, the most urgent first.
func (s *Service) Filings(ctx context.Context, a *access.Actor, f FilingFilter) ([]*Filing, int, error) {
	q := s.selectFilings(s.DB.R).Where("u.path LIKE ?", a.ScopePath+"%")
	if f.ID != 0 {
		q = q.Where("f.id = ?", f.ID)
	}
	switch f.State {
	case "open", "filed":
		q = q.Where("f.state = ?", f.State)
	case "overdue":
		q = q.Where("f.state = 'open' AND f.deadline_at < ?", s.now())
	case "late":
		q = q.Where("f.filed_late = ?", true)
	case "":
	default:
		return nil, 0, (&errs.Fields{"state": "状态取值无效"}).Err()
	}
	if f.VehicleID != 0 {
		q = q.Where("f.vehicle_id = ?", f.VehicleID)
	}
	var bad errs.Fields
	for _, d := range []struct {
		field, v, op string
		days         int
	}{{"from", f.From, ">=", 0}, {"to", f.To, "<", 1}} {
		if d.v == "" {
			continue
		}
		day, err := beijing.ParseDate(d.v)
		if err != nil {
			bad.Add(d.field, "日期格式应为 YYYY-MM-DD")
			continue
		}
		q = q.Where("f.started_at "+d.op+" ?", day.AddDate(0, 0, d.days).UTC())
	}
	if err := bad.Err(); err != nil {
		return nil, 0, err
	}
	var out []*Filing
	n, err := q.OrderExpr("CASE WHEN f.state = 'open' THEN 0 ELSE 1 END, f.deadline_at").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	if err := s.fill(ctx, out...); err != nil {
		return nil, 0, err
	}
	return out, n, nil
}

// EscalateOverdue escalates the open filings past their deadline:
// the unit's vehicle managers and the platform administrators of the level
// above are told, once. It returns how many it escalated.
func (s *Service) EscalateOverdue(ctx context.Context) (int, error) {
	var due []*Filing
	now := s.now()
	if err := s.selectFilings(s.DB.R).Where("f.state = 'open' AND f.deadline_at < ? AND f.escalated_at IS NULL", now).Scan(ctx, &due); err != nil {
		return 0, store.Translate(err)
	}
	n := 0
	for _, f := range due {
		var notes []notify.Message
		err := s.DB.Tx(ctx, func(tx bun.Tx) error {
			res, err := tx.NewUpdate().Model((*Filing)(nil)).Set("escalated_at = ?", now).Where("id = ? AND escalated_at IS NULL", f.ID).Exec(ctx)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k == 0 {
				return nil
			}
			managers, err := notify.Recipients(ctx, tx, access.VehicleManager, f.UnitPath)
			if err != nil {
				return err
			}
			// The level above: platform administrators whose scope covers the
			// unit's parent level (the district, or the city).
			admins, err := notify.Recipients(ctx, tx, access.PlatformAdmin, f.UnitPath)
			if err != nil {
				return err
			}
			body := fmt.Sprintf("%s（%s）%s 开始的紧急用车超过48小时未补报", f.Plate, f.UnitName, f.StartedAt.In(beijing.Zone).Format("01-02 15:04"))
			notes = []notify.Message{{Users: append(managers, admins...), Kind: "filing", Title: "紧急用车逾期未补报", Body: body, Link: filingLink(f.ID), SMS: true}}
			n++
			return audit.Record(ctx, tx, nil, audit.Event{Action: actEmergencyEscalate, ObjectType: audit.EmergencyFiling, ObjectID: f.ID, ScopePath: f.UnitPath, Summary: body})
		})
		if err != nil {
			return n, err
		}
		s.Notify.Send(ctx, notes...)
	}
	return n, nil
}
