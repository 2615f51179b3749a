// Package annual is the annual report (年报, R-10, R-11; issue 23 part 3) as a workflow: for a
// year the city opens, every unit, district and the city has a report generated from the platform
// (figures.go); the unit administrator reviews it, corrects the registry where it is wrong (dated and
// audited), signs and submits; the platform administrator of the level above returns it with a
// reason or accepts it; a district, once its units are accepted, submits its aggregate to the city,
// which accepts it and finalises its own report with a work report drafted from the figures.
// Deadlines per year with reminders and overdue flags; exports as Excel and PDF (export.go).
package annual

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// States of a report.
const (
	Draft     = "draft"     // 待填报: generated, being reviewed and corrected
	Submitted = "submitted" // 已上报: signed and sent to the level above (the city's: 已定稿)
	Returned  = "returned"  // 已退回: sent back with a reason
	Accepted  = "accepted"  // 已接收: the level above took it
)

// StateNames are the states in words.
var StateNames = map[string]string{Draft: "待填报", Submitted: "已上报", Returned: "已退回", Accepted: "已接收"}

var (
	actOpen       = audit.NewAction("annual.open", "开启年度报告")
	actCorrect    = audit.NewAction("annual.correct", "年度报告更正车辆信息")
	actSubmit     = audit.NewAction("annual.submit", "签署并上报年度报告")
	actReturn     = audit.NewAction("annual.return", "退回年度报告")
	actAccept     = audit.NewAction("annual.accept", "接收年度报告")
	actWorkReport = audit.NewAction("annual.work_report", "修改年度工作报告")
)

// Service runs the annual report.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Year is a report year opened by the city, with its deadline.
type Year struct {
	bun.BaseModel `bun:"table:annual_years"`

	Year      int       `bun:"year,pk" json:"year"`
	Deadline  string    `bun:"deadline" json:"deadline"`
	SetBy     string    `bun:"set_by_name" json:"set_by"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// Report is one node's report for a year.
type Report struct {
	bun.BaseModel `bun:"table:annual_reports,alias:r"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	Year         int        `bun:"year" json:"year"`
	UnitID       int64      `bun:"unit_id" json:"unit_id"`
	UnitPath     string     `bun:"unit_path" json:"-"`
	State        string     `bun:"state" json:"state"`
	ReturnReason string     `bun:"return_reason" json:"return_reason"`
	SignedBy     string     `bun:"signed_by" json:"signed_by"`
	SignedAt     *time.Time `bun:"signed_at" json:"signed_at"`
	SubmittedAt  *time.Time `bun:"submitted_at" json:"submitted_at"`
	ReviewedBy   string     `bun:"reviewed_by" json:"reviewed_by"`
	ReviewedAt   *time.Time `bun:"reviewed_at" json:"reviewed_at"`
	WorkReport   string     `bun:"work_report" json:"work_report"`
	Snapshot     string     `bun:"snapshot" json:"-"`
	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at" json:"updated_at"`

	UnitName  string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitKind  string `bun:"unit_kind,scanonly" json:"unit_kind"`
	Parent    string `bun:"parent_name,scanonly" json:"parent_name"`
	Deadline  string `bun:"deadline,scanonly" json:"deadline"`
	StateName string `bun:"-" json:"state_name"`
	Overdue   bool   `bun:"-" json:"overdue"`
	Level     string `bun:"-" json:"level"` // 单位 | 辖市(区) | 市级
}

func (r *Report) fill(today string) {
	r.StateName = StateNames[r.State]
	if r.UnitKind == "city" && r.State == Submitted {
		r.StateName = "已定稿"
	}
	r.Overdue = (r.State == Draft || r.State == Returned) && r.Deadline != "" && today > r.Deadline
	r.Level = map[string]string{"unit": "单位", "district": "辖市(区)", "city": "市级"}[r.UnitKind]
}

// parentPath is the path of the node above p ("" for the city).
func parentPath(p string) string {
	t := strings.TrimSuffix(p, "/")
	i := strings.LastIndex(t, "/")
	if i <= 0 {
		return ""
	}
	return t[:i+1]
}

func reports(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Report)(nil)).
		ColumnExpr("r.id, r.year, r.unit_id, r.unit_path, r.state, r.return_reason, r.signed_by, r.signed_at, r.submitted_at").
		ColumnExpr("r.reviewed_by, r.reviewed_at, r.work_report, r.created_at, r.updated_at").
		ColumnExpr("u.name AS unit_name, u.kind AS unit_kind, COALESCE(p.name, '') AS parent_name, y.deadline").
		Join("JOIN units AS u ON u.id = r.unit_id").Join("LEFT JOIN units AS p ON p.id = u.parent_id").
		Join("JOIN annual_years AS y ON y.year = r.year")
}

// Filter narrows the list of reports.
type Filter struct {
	Year    int
	State   string // a state, or "overdue"
	UnitID  int64  // the node whose subtree to list
	Level   string // unit | district | city
	Keyword string
}

// List returns the reports of the actor's scope (and the node below the filter's), by level and
// path, with their states, deadlines and overdue flags.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Report, int, error) {
	q := reports(s.DB.R).Where("r.unit_path LIKE ?", a.ScopePath+"%")
	if f.Year != 0 {
		q = q.Where("r.year = ?", f.Year)
	}
	if f.UnitID != 0 {
		var p string
		if err := s.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", f.UnitID).Scan(ctx, &p); err != nil {
			return nil, 0, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在"))
		}
		if !a.Covers(p) {
			return nil, 0, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		q = q.Where("r.unit_path LIKE ?", p+"%")
	}
	today := beijing.Date(s.now())
	switch f.State {
	case "":
	case "overdue":
		q = q.Where("r.state IN (?, ?) AND y.deadline < ?", Draft, Returned, today)
	default:
		q = q.Where("r.state = ?", f.State)
	}
	if f.Level != "" {
		q = q.Where("u.kind = ?", f.Level)
	}
	if f.Keyword != "" {
		q = q.Where("u.name LIKE ?", "%"+f.Keyword+"%")
	}
	var out []*Report
	q = q.OrderExpr("r.year DESC, u.depth, CASE WHEN u.kind = 'unit' THEN 1 ELSE 0 END, u.sort, r.unit_path")
	if size > 0 {
		q = q.Limit(size).Offset((page - 1) * size)
	}
	n, err := q.ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, r := range out {
		r.fill(today)
	}
	if out == nil {
		out = []*Report{}
	}
	return out, n, nil
}

// Years lists the opened years, newest first.
func (s *Service) Years(ctx context.Context) ([]*Year, error) {
	out := []*Year{}
	err := s.DB.R.NewSelect().Model(&out).Order("year DESC").Scan(ctx)
	return out, store.Translate(err)
}

// YearInput opens a year or moves its deadline.
type YearInput struct {
	Year     int    `json:"year"`
	Deadline string `json:"deadline"` // YYYY-MM-DD; empty: 1 March of the following year
}

// OpenYear opens a report year (the city's platform administrator): a report for every active
// node, in state 待填报, and the deadline; opening it again moves the deadline and adds the
// reports of nodes created since.
func (s *Service) OpenYear(ctx context.Context, a *access.Actor, in YearInput) (*Year, error) {
	var f errs.Fields
	now := s.now()
	thisYear := now.In(beijing.Zone).Year()
	f.Check(in.Year < 2000 || in.Year > thisYear, "year", fmt.Sprintf("请选择已结束或当前的年度（2000–%d）", thisYear))
	if in.Deadline == "" {
		in.Deadline = fmt.Sprintf("%d-03-01", in.Year+1)
	}
	if d, err := beijing.ParseDate(in.Deadline); err != nil {
		f.Add("deadline", "截止日期格式应为 YYYY-MM-DD")
	} else {
		f.Check(d.Before(time.Date(in.Year+1, 1, 1, 0, 0, 0, 0, beijing.Zone)), "deadline", "截止日期应在报告年度结束之后")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if a.ScopeKind != "city" {
		return nil, errs.E(errs.Forbidden, "年度报告由市级平台管理员开启并设定截止日期")
	}
	y := &Year{Year: in.Year, Deadline: in.Deadline, SetBy: a.Name, CreatedAt: now, UpdatedAt: now}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(y).On("CONFLICT (year) DO UPDATE").Set("deadline = EXCLUDED.deadline, set_by_name = EXCLUDED.set_by_name, updated_at = EXCLUDED.updated_at").Exec(ctx); err != nil {
			return err
		}
		res, err := tx.NewRaw(`INSERT INTO annual_reports (year, unit_id, unit_path, state, created_at, updated_at)
			SELECT ?, u.id, u.path, 'draft', ?, ? FROM units AS u
			WHERE u.active = ? AND NOT EXISTS (SELECT 1 FROM annual_reports AS r WHERE r.year = ? AND r.unit_id = u.id)`,
			in.Year, now, now, true, in.Year).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ := res.RowsAffected()
		return audit.Record(ctx, tx, a, audit.Event{Action: actOpen, ObjectType: audit.AnnualReport, ObjectID: int64(in.Year), ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("%d 年度报告，截止 %s，新建报告 %d 份", in.Year, in.Deadline, n), After: y})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return y, nil
}

// Detail is a report with its figures (live while it is being prepared, as signed once
// submitted), the reports of the level below, its timeline and what the actor may do.
type Detail struct {
	*Report
	Figures  *Figures  `json:"figures"`
	Live     bool      `json:"live"` // the figures are generated now (not yet signed)
	Children []*Report `json:"children"`
	Events   []*Event  `json:"events"`
	Can      []string  `json:"can"` // correct | submit | return | accept | work_report
	// WorkDraft is the work report drafted from the figures, offered while none is saved.
	WorkDraft string `json:"work_draft"`
}

// Event is a step of a report's timeline.
type Event struct {
	bun.BaseModel `bun:"table:annual_report_events"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	ReportID  int64     `bun:"report_id" json:"-"`
	At        time.Time `bun:"at" json:"at"`
	ActorName string    `bun:"actor_name" json:"actor_name"`
	Action    string    `bun:"action" json:"action"`
	Note      string    `bun:"note" json:"note"`
}

// ActionNames are the timeline's steps in words.
var ActionNames = map[string]string{"correct": "更正车辆信息", "submit": "签署上报", "return": "退回", "accept": "接收", "work_report": "修改工作报告", "remind": "提醒", "finalise": "定稿"}

func (s *Service) load(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Report, error) {
	r := new(Report)
	if err := reports(db).Where("r.id = ?", id).Scan(ctx, r); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "年度报告不存在"))
	}
	if !a.Covers(r.UnitPath) {
		return nil, errs.E(errs.Forbidden, "%s 的年度报告不在您的管辖范围内", r.UnitName)
	}
	r.fill(beijing.Date(s.now()))
	return r, nil
}

// Get returns a report with its figures, the level below's reports and the timeline.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Detail, error) {
	r, err := s.load(ctx, s.DB.R, a, id)
	if err != nil {
		return nil, err
	}
	d := &Detail{Report: r, Children: []*Report{}, Events: []*Event{}, Can: []string{}}
	var snap string
	if err := s.DB.R.NewSelect().Table("annual_reports").Column("snapshot").Where("id = ?", id).Scan(ctx, &snap); err != nil {
		return nil, store.Translate(err)
	}
	if snap != "" && r.State != Draft && r.State != Returned {
		d.Figures = new(Figures)
		if err := json.Unmarshal([]byte(snap), d.Figures); err != nil {
			return nil, fmt.Errorf("annual: snapshot of report %d: %w", id, err)
		}
	} else {
		if d.Figures, err = Compute(ctx, s.DB.R, r.UnitPath, r.UnitName, r.Year); err != nil {
			return nil, store.Translate(err)
		}
		d.Live = true
	}
	if r.UnitKind != "unit" {
		d.WorkDraft = DraftWorkReport(d.Figures)
	}
	today := beijing.Date(s.now())
	if err := reports(s.DB.R).Where("r.year = ? AND p.id = ?", r.Year, r.UnitID).OrderExpr("u.sort, r.unit_path").Scan(ctx, &d.Children); err != nil {
		return nil, store.Translate(err)
	}
	for _, c := range d.Children {
		c.fill(today)
	}
	if err := s.DB.R.NewSelect().Model(&d.Events).Where("report_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	own := a.ScopePath == r.UnitPath
	open := r.State == Draft || r.State == Returned
	if own && open && a.Has(access.AnnualSubmit) {
		d.Can = append(d.Can, "submit")
	}
	if own && open && r.UnitKind == "unit" && a.Has(access.AnnualCorrect) {
		d.Can = append(d.Can, "correct")
	}
	if own && open && r.UnitKind != "unit" && a.Has(access.AnnualReview) {
		d.Can = append(d.Can, "work_report")
	}
	if a.ScopePath == parentPath(r.UnitPath) && r.State == Submitted && a.Has(access.AnnualReview) {
		d.Can = append(d.Can, "return", "accept")
	}
	return d, nil
}

func event(ctx context.Context, tx bun.IDB, a *access.Actor, id int64, action, note string, at time.Time) error {
	name := "系统"
	if a != nil {
		name = a.Name
	}
	_, err := tx.NewInsert().Model(&Event{ReportID: id, At: at, ActorName: name, Action: action, Note: note}).Exec(ctx)
	return err
}

// act runs a step on a report in one transaction: locks the row, checks the actor may take it from
// the current state, runs it, writes the timeline and the audit log; notifications after commit.
func (s *Service) act(ctx context.Context, a *access.Actor, id int64, action string, step func(tx bun.Tx, r *Report) (summary string, notes []notify.Message, err error)) (*Detail, error) {
	var notes []notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewUpdate().Table("annual_reports").Set("updated_at = updated_at").Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		r, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		before := r.State
		if err := tx.NewSelect().Table("annual_reports").Column("snapshot").Where("id = ?", id).Scan(ctx, &r.Snapshot); err != nil {
			return err
		}
		summary, ns, err := step(tx, r)
		if err != nil {
			return err
		}
		notes = ns
		r.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(r).Column("state", "return_reason", "signed_by", "signed_at", "submitted_at", "reviewed_by", "reviewed_at", "work_report", "snapshot", "updated_at").
			WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, a, id, action, summary, s.now()); err != nil {
			return err
		}
		acts := map[string]audit.Action{"correct": actCorrect, "submit": actSubmit, "return": actReturn, "accept": actAccept, "work_report": actWorkReport, "finalise": actSubmit}
		return audit.Record(ctx, tx, a, audit.Event{Action: acts[action], ObjectType: audit.AnnualReport, ObjectID: id, ScopePath: r.UnitPath,
			Summary: fmt.Sprintf("%s %d 年度报告：%s", r.UnitName, r.Year, summary), Before: map[string]string{"state": before}, After: map[string]string{"state": r.State}})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	if s.Notify != nil {
		for _, n := range notes {
			s.Notify.Send(ctx, n)
		}
	}
	return s.Get(ctx, a, id)
}

func link(id int64) string { return fmt.Sprintf("/statistics/annual/%d", id) }

// recipients are the administrators of a node exactly: its unit administrators for a unit, its
// platform administrators for a district or the city.
func recipients(ctx context.Context, db bun.IDB, path, kind string) []int64 {
	role := access.PlatformAdmin
	if kind == "unit" {
		role = access.UnitAdmin
	}
	var ids []int64
	_ = db.NewSelect().TableExpr("users AS u").Column("u.id").
		Join("JOIN user_roles AS ur ON ur.user_id = u.id").Join("JOIN units AS n ON n.id = u.scope_id").
		Where("u.active = ? AND ur.role = ? AND n.path = ?", true, string(role), path).Scan(ctx, &ids)
	return ids
}

// SubmitInput is the signature of the one who submits.
type SubmitInput struct {
	Signature string `json:"signature" max:"30"` // the signer's name as signed; must be the actor's name
	Note      string `json:"note" max:"500"`
}

// Submit signs and submits the actor's own node's report: a unit's to its district (or to the
// city for a unit directly under it), a district's aggregate to the city once every report below
// it is accepted; the city's own report is finalised (已定稿) once every district's is accepted.
// The figures are kept as signed.
func (s *Service) Submit(ctx context.Context, a *access.Actor, id int64, in SubmitInput) (*Detail, error) {
	var f errs.Fields
	f.Check(strings.TrimSpace(in.Signature) == "", "signature", "请签名（填写您的姓名）")
	f.Check(strings.TrimSpace(in.Signature) != "" && strings.TrimSpace(in.Signature) != a.Name, "signature", "签名须与您的姓名（"+a.Name+"）一致")
	if err := f.Err(); err != nil {
		return nil, err
	}
	action := "submit"
	return s.act(ctx, a, id, action, func(tx bun.Tx, r *Report) (string, []notify.Message, error) {
		if a.ScopePath != r.UnitPath {
			return "", nil, errs.E(errs.Forbidden, "只能签署上报本单位（本级）的年度报告，%s 的报告由其管理员上报", r.UnitName)
		}
		if r.State != Draft && r.State != Returned {
			return "", nil, errs.E(errs.Conflict, "%s %d 年度报告%s，不能再次上报", r.UnitName, r.Year, r.StateName)
		}
		if r.UnitKind != "unit" {
			var waiting []string
			if err := tx.NewSelect().TableExpr("annual_reports AS r").ColumnExpr("u.name").Join("JOIN units AS u ON u.id = r.unit_id").
				Where("r.year = ? AND u.parent_id = ? AND r.state <> ?", r.Year, r.UnitID, Accepted).OrderExpr("u.sort, u.path").Limit(6).Scan(ctx, &waiting); err != nil {
				return "", nil, err
			}
			if len(waiting) > 0 {
				more := ""
				if len(waiting) > 5 {
					waiting, more = waiting[:5], " 等"
				}
				return "", nil, errs.E(errs.Conflict, "下级年度报告尚未全部接收：%s%s", strings.Join(waiting, "、"), more)
			}
			if strings.TrimSpace(r.WorkReport) == "" {
				return "", nil, errs.E(errs.Invalid, "请先起草并保存工作报告")
			}
		}
		fig, err := Compute(ctx, tx, r.UnitPath, r.UnitName, r.Year)
		if err != nil {
			return "", nil, err
		}
		b, err := json.Marshal(fig)
		if err != nil {
			return "", nil, err
		}
		now := s.now()
		r.Snapshot, r.State, r.SignedBy, r.SignedAt, r.SubmittedAt, r.ReturnReason = string(b), Submitted, in.Signature, &now, &now, ""
		summary := fmt.Sprintf("%s 签署上报（车辆 %d 辆）", in.Signature, len(fig.Vehicles))
		if in.Note != "" {
			summary += "：" + in.Note
		}
		var notes []notify.Message
		if pp := parentPath(r.UnitPath); pp != "" {
			var kind string
			_ = tx.NewSelect().Table("units").Column("kind").Where("path = ?", pp).Scan(ctx, &kind)
			notes = append(notes, notify.Message{Users: recipients(ctx, tx, pp, kind), Kind: "annual", Title: "年度报告待审核",
				Body: fmt.Sprintf("%s 已上报 %d 年度报告", r.UnitName, r.Year), Link: link(r.ID)})
		} else {
			summary = fmt.Sprintf("%s 签署定稿（车辆 %d 辆）", in.Signature, len(fig.Vehicles))
		}
		return summary, notes, nil
	})
}

// ReasonInput carries a return's reason.
type ReasonInput struct {
	Reason string `json:"reason" max:"500"`
}

// Return sends a submitted report back to its node with a reason (the level above's platform
// administrator); the report is live again for correction and a new signature.
func (s *Service) Return(ctx context.Context, a *access.Actor, id int64, in ReasonInput) (*Detail, error) {
	reason := strings.TrimSpace(in.Reason)
	if reason == "" {
		return nil, errs.Fields{"reason": "请填写退回原因"}.Err()
	}
	return s.act(ctx, a, id, "return", func(tx bun.Tx, r *Report) (string, []notify.Message, error) {
		if err := s.reviewer(a, r); err != nil {
			return "", nil, err
		}
		now := s.now()
		r.State, r.ReturnReason, r.ReviewedBy, r.ReviewedAt, r.Snapshot = Returned, reason, a.Name, &now, ""
		return "退回：" + reason, []notify.Message{{Users: recipients(ctx, tx, r.UnitPath, r.UnitKind), Kind: "annual", Title: "年度报告被退回",
			Body: fmt.Sprintf("%d 年度报告被退回：%s", r.Year, reason), Link: link(r.ID)}}, nil
	})
}

// Accept takes a submitted report of the level below.
func (s *Service) Accept(ctx context.Context, a *access.Actor, id int64) (*Detail, error) {
	return s.act(ctx, a, id, "accept", func(tx bun.Tx, r *Report) (string, []notify.Message, error) {
		if err := s.reviewer(a, r); err != nil {
			return "", nil, err
		}
		now := s.now()
		r.State, r.ReviewedBy, r.ReviewedAt = Accepted, a.Name, &now
		return a.Name + " 接收", []notify.Message{{Users: recipients(ctx, tx, r.UnitPath, r.UnitKind), Kind: "annual", Title: "年度报告已接收",
			Body: fmt.Sprintf("%d 年度报告已被上级接收", r.Year), Link: link(r.ID)}}, nil
	})
}

func (s *Service) reviewer(a *access.Actor, r *Report) error {
	if a.ScopePath != parentPath(r.UnitPath) {
		return errs.E(errs.Forbidden, "%s 的年度报告由其上一级审核", r.UnitName)
	}
	if r.State != Submitted {
		return errs.E(errs.Conflict, "%s %d 年度报告%s，不在待审核状态", r.UnitName, r.Year, r.StateName)
	}
	return nil
}

// WorkReportInput is the text of a district's or the city's work report.
type WorkReportInput struct {
	Text string `json:"text" max:"4000"`
}

// SaveWorkReport saves the work report of the actor's own district or city report.
func (s *Service) SaveWorkReport(ctx context.Context, a *access.Actor, id int64, in WorkReportInput) (*Detail, error) {
	text := strings.TrimSpace(in.Text)
	if text == "" {
		return nil, errs.Fields{"text": "请填写工作报告"}.Err()
	}
	return s.act(ctx, a, id, "work_report", func(tx bun.Tx, r *Report) (string, []notify.Message, error) {
		if a.ScopePath != r.UnitPath || r.UnitKind == "unit" {
			return "", nil, errs.E(errs.Forbidden, "工作报告由本级平台管理员撰写")
		}
		if r.State != Draft && r.State != Returned {
			return "", nil, errs.E(errs.Conflict, "%s %d 年度报告%s，不能再修改工作报告", r.UnitName, r.Year, r.StateName)
		}
		r.WorkReport = text
		return fmt.Sprintf("工作报告 %d 字", len([]rune(text))), nil, nil
	})
}

// DraftWorkReport drafts the work report of a district or the city from its figures: scale,
// the year's operation and changes. The administrator edits it before saving.
func DraftWorkReport(f *Figures) string {
	t := f.Totals
	var b strings.Builder
	fmt.Fprintf(&b, "一、总体规模\n截至 %d 年底，%s纳入平台管理的单位 %d 家，核定车辆编制 %d 辆，实有公务用车 %d 辆", f.Year, f.Node, t.Units, t.Quota, t.Vehicles)
	if t.Quota > 0 {
		fmt.Fprintf(&b, "，实有数占编制数的 %.1f%%", float64(t.Vehicles)*100/float64(t.Quota))
	}
	b.WriteString("。\n")
	if len(f.ByDistrict) > 0 {
		var parts []string
		for _, d := range f.ByDistrict {
			if d.Vehicles > 0 {
				parts = append(parts, fmt.Sprintf("%s %d 辆", d.Name, d.Vehicles))
			}
		}
		if len(parts) > 0 {
			b.WriteString("分布：" + strings.Join(parts, "，") + "。\n")
		}
	}
	fmt.Fprintf(&b, "二、年度运行\n全年行驶 %s 公里，运行费用合计 %s 元，其中", strconv.FormatFloat(round1(t.KM), 'f', -1, 64), money.Yuan(t.CostFen))
	var parts []string
	for _, k := range costKinds() {
		if t.Costs[k.Code] != 0 {
			parts = append(parts, fmt.Sprintf("%s %s 元", k.Name, money.Yuan(t.Costs[k.Code])))
		}
	}
	if len(parts) == 0 {
		parts = []string{"无费用记录"}
	}
	b.WriteString(strings.Join(parts, "，") + "。")
	if t.Vehicles > 0 {
		fmt.Fprintf(&b, "车均行驶 %s 公里，车均费用 %s 元。", strconv.FormatFloat(round1(t.KM/float64(t.Vehicles)), 'f', -1, 64), money.Yuan(t.CostFen/int64(t.Vehicles)))
	}
	fmt.Fprintf(&b, "大修 %d 次；发生事故、损坏、被盗及核实的违规使用 %d 起。\n", t.Repairs, t.Claims)
	fmt.Fprintf(&b, "三、变动情况\n全年购置登记 %d 辆，划转 %d 辆，处置 %d 辆。\n", t.Acquired, t.Moved, t.Disposed)
	b.WriteString("四、工作开展与下一步打算\n（请补充：管理体制机制完善、制度标准出台、管理手段创新等情况。）")
	return b.String()
}

func round1(x float64) float64 { return float64(int64(x*10+0.5)) / 10 }

func costKinds() []ledger.Kind { return ledger.Kinds }
