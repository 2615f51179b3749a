package supervision

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/attachment"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/notify"
	"govfleet/internal/picture"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names:
// the case steps ("case.<step>", by step) and the others.
var caseSteps = audit.NewActions("case.", "", map[string]string{
	"explained": "案件情况说明", "verified": "案件核实违规", "dismissed": "案件排除", "escalated": "案件升级"})

var (
	actCaseAttach        = audit.NewAction("case.attach", "上传案件说明材料")
	actCaseOpen          = audit.NewAction("case.open", "监督立案")
	actSupervisionParams = audit.NewAction("supervision.params", "修改监督规则参数")
)

// Case states (R-28, R-29(5)).
const (
	Open      = "open"      // 待单位说明
	Explained = "explained" // 单位已说明，待核查
	Verified  = "verified"  // 核实违规
	Dismissed = "dismissed" // 排除
)

// Case is the follow-up of one or more findings: one vehicle (or unit),
// one rule, one Beijing day.
type Case struct {
	bun.BaseModel `bun:"table:cases,alias:c"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	Rule          string     `bun:"rule" json:"rule"`
	VehicleID     *int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID        int64      `bun:"unit_id" json:"unit_id"`
	UnitPath      string     `bun:"unit_path" json:"-"`
	Day           string     `bun:"day" json:"day"`
	Title         string     `bun:"title" json:"title"`
	Serious       bool       `bun:"serious" json:"serious"`
	State         string     `bun:"state" json:"state"`
	AuthorityID   int64      `bun:"authority_id" json:"authority_id"`
	AuthorityPath string     `bun:"authority_path" json:"-"`
	Discipline    bool       `bun:"discipline" json:"discipline"`
	Explanation   string     `bun:"explanation" json:"explanation"`
	Decision      string     `bun:"decision" json:"decision"`
	Findings      int        `bun:"findings" json:"findings"`
	OpenedAt      time.Time  `bun:"opened_at" json:"opened_at"`
	UpdatedAt     time.Time  `bun:"updated_at" json:"updated_at"`
	ClosedAt      *time.Time `bun:"closed_at" json:"closed_at"`

	RuleName      string `bun:"-" json:"rule_name"`
	Plate         string `bun:"plate,scanonly" json:"plate"`
	UnitName      string `bun:"unit_name,scanonly" json:"unit_name"`
	AuthorityName string `bun:"authority_name,scanonly" json:"authority_name"`
}

// CaseEvent is a step of a case's timeline.
type CaseEvent struct {
	bun.BaseModel `bun:"table:case_events"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	CaseID    int64     `bun:"case_id" json:"-"`
	At        time.Time `bun:"at" json:"at"`
	ActorID   *int64    `bun:"actor_id" json:"actor_id"`
	ActorName string    `bun:"actor_name" json:"actor_name"`
	Action    string    `bun:"action" json:"action"`
	Note      string    `bun:"note" json:"note"`
}

// CaseAttachment is a file the unit attached to its explanation.
type CaseAttachment struct {
	bun.BaseModel `bun:"table:case_attachments"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	CaseID      int64     `bun:"case_id" json:"-"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	Filename    string    `bun:"filename" json:"filename"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	CreatedBy   *int64    `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
}

var StateNames = map[string]string{Open: "待单位说明", Explained: "待核查", Verified: "核实违规", Dismissed: "已排除"}

// caseNote is a notification to send after the transaction commits.
type caseNote struct {
	role        access.Role
	path        string // recipients cover this node
	exact       bool   // recipients' scope is exactly this node
	title, body string
	caseID      int64
}

func (s *Service) send(ctx context.Context, notes []caseNote) {
	if s.Notify == nil {
		return
	}
	for _, n := range notes {
		var ids []int64
		q := s.DB.R.NewSelect().TableExpr("users AS u").Column("u.id").
			Join("JOIN user_roles AS r ON r.user_id = u.id").
			Join("JOIN units AS n ON n.id = u.scope_id").
			Where("u.active = ? AND r.role = ?", true, string(n.role))
		if n.exact {
			q = q.Where("n.path = ?", n.path)
		} else {
			q = q.Where("? LIKE n.path || '%'", n.path)
		}
		if err := q.Scan(ctx, &ids); err != nil {
			continue
		}
		s.Notify.Send(ctx, notify.Message{Users: ids, Kind: "case", Title: n.title, Body: n.body, Link: fmt.Sprintf("/supervision/cases/%d", n.caseID)})
	}
}

func event(ctx context.Context, tx bun.IDB, a *access.Actor, caseID int64, action, note string) error {
	e := &CaseEvent{CaseID: caseID, At: time.Now().UTC(), Action: action, Note: note, ActorName: "系统"}
	if a != nil {
		e.ActorID, e.ActorName = &a.UserID, a.Name
	}
	_, err := tx.NewInsert().Model(e).Exec(ctx)
	return err
}

// fileFinding puts a new finding into the open case of its vehicle (or
// unit), rule and day, or opens one. The authority is the level above the
// unit (its district, or the city); a serious rule's case goes at once to
// the level above that and to discipline inspection.
func (s *Service) fileFinding(ctx context.Context, tx bun.IDB, f *storedFinding, serious bool) (int64, bool, []caseNote, error) {
	var ids []int64
	q := tx.NewSelect().Table("cases").Column("id").Where("rule = ? AND day = ? AND unit_id = ? AND state IN (?)", f.Rule, f.Day, f.UnitID, bun.In([]string{Open, Explained}))
	if f.VehicleID != nil {
		q = q.Where("vehicle_id = ?", *f.VehicleID)
	} else {
		q = q.Where("vehicle_id IS NULL")
	}
	if err := q.Limit(1).Scan(ctx, &ids); err != nil {
		return 0, false, nil, err
	}
	if len(ids) > 0 {
		if _, err := tx.NewUpdate().Table("cases").Set("findings = findings + 1, updated_at = ?", time.Now().UTC()).Where("id = ?", ids[0]).Exec(ctx); err != nil {
			return 0, false, nil, err
		}
		return ids[0], false, nil, event(ctx, tx, nil, ids[0], "finding", f.Summary)
	}
	authPath, authID := parentPath(f.UnitPath)
	if authID == 0 {
		authPath, authID = f.UnitPath, f.UnitID
	}
	r := ByCode(f.Rule)
	now := time.Now().UTC()
	c := &Case{Rule: f.Rule, VehicleID: f.VehicleID, UnitID: f.UnitID, UnitPath: f.UnitPath, Day: f.Day, Title: r.Info().Name + "：" + f.Summary,
		Serious: serious, State: Open, AuthorityID: authID, AuthorityPath: authPath, Findings: 1, OpenedAt: now, UpdatedAt: now}
	if utf8.RuneCountInString(c.Title) > 120 {
		c.Title = string([]rune(c.Title)[:120]) + "…"
	}
	if serious {
		if up, upID := parentPath(authPath); upID != 0 {
			c.AuthorityPath, c.AuthorityID = up, upID
		}
		c.Discipline = true
	}
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		return 0, false, nil, err
	}
	if err := event(ctx, tx, nil, c.ID, "opened", f.Summary); err != nil {
		return 0, false, nil, err
	}
	notes := []caseNote{
		{role: access.VehicleManager, path: f.UnitPath, exact: true, title: "监督问题待说明", body: c.Title, caseID: c.ID},
		{role: access.UnitAdmin, path: f.UnitPath, exact: true, title: "监督问题待说明", body: c.Title, caseID: c.ID},
		{role: access.PlatformAdmin, path: c.AuthorityPath, exact: true, title: "新的监督问题", body: c.Title, caseID: c.ID},
	}
	if serious {
		if err := event(ctx, tx, nil, c.ID, "escalated", "严重问题自动升级并移送纪检监察"); err != nil {
			return 0, false, nil, err
		}
		notes = append(notes, caseNote{role: access.SupervisorDiscipline, path: f.UnitPath, title: "严重问题移送纪检监察", body: c.Title, caseID: c.ID})
	}
	if err := audit.Record(ctx, tx, nil, audit.Event{Action: actCaseOpen, ObjectType: audit.Case, ObjectID: c.ID, ScopePath: c.UnitPath,
		Summary: "系统立案：" + c.Title, After: c}); err != nil {
		return 0, false, nil, err
	}
	return c.ID, true, notes, nil
}

// ---- reading ----

// CaseFilter narrows the case list.
type CaseFilter struct {
	UnitID     int64
	Rule       string
	State      string // a state, or "active" (open or explained)
	Month      string // YYYY-MM of the day
	Discipline bool   // only cases referred to discipline inspection
	Page, Size int
}

// scopeNode resolves unitID (0: the actor's scope) to a node inside the scope.
func (s *Service) scopeNode(ctx context.Context, a *access.Actor, unitID int64) (*node, error) {
	if unitID == 0 {
		unitID = a.ScopeID
	}
	n, err := loadNode(ctx, s.DB.R, unitID)
	if err != nil {
		return nil, err
	}
	if !a.Covers(n.Path) {
		return nil, errs.E(errs.Forbidden, "不在您的管辖范围内")
	}
	return n, nil
}

func casesQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Case)(nil)).ColumnExpr("c.*").
		ColumnExpr("COALESCE(v.plate, '') AS plate, u.name AS unit_name, au.name AS authority_name").
		Join("LEFT JOIN vehicles AS v ON v.id = c.vehicle_id").
		Join("JOIN units AS u ON u.id = c.unit_id").
		Join("JOIN units AS au ON au.id = c.authority_id")
}

func (c *Case) fill() { c.RuleName = ruleName(c.Rule) }

func ruleName(code string) string {
	if r := ByCode(code); r != nil {
		return r.Info().Name
	}
	return code
}

// Cases lists the cases under a node of the actor's scope, newest first.
func (s *Service) Cases(ctx context.Context, a *access.Actor, f CaseFilter) ([]*Case, int, error) {
	n, err := s.scopeNode(ctx, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	out := []*Case{}
	q := casesQuery(s.DB.R).Where("c.unit_path LIKE ?", n.Path+"%")
	if f.Rule != "" {
		q = q.Where("c.rule = ?", f.Rule)
	}
	switch f.State {
	case "":
	case "active":
		q = q.Where("c.state IN (?)", bun.In([]string{Open, Explained}))
	default:
		q = q.Where("c.state = ?", f.State)
	}
	if f.Month != "" {
		q = q.Where("c.day LIKE ?", f.Month+"%")
	}
	if f.Discipline {
		q = q.Where("c.discipline")
	}
	total, err := q.OrderExpr("c.serious DESC, c.id DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	for _, c := range out {
		c.fill()
	}
	return out, total, store.Translate(err)
}

// CaseDetail is a case with its findings, timeline and attachments, and
// what the caller may do with it.
type CaseDetail struct {
	*Case
	FindingList []*storedFinding  `json:"finding_list"`
	Events      []*CaseEvent      `json:"events"`
	Attachments []*CaseAttachment `json:"attachments"`
	Can         []string          `json:"can"` // explain | decide | escalate
}

func (s *Service) loadCase(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Case, error) {
	var cs []*Case
	if err := casesQuery(db).Where("c.id = ?", id).Scan(ctx, &cs); err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return nil, errs.E(errs.NotFound, "案件不存在或已删除")
	}
	if !a.Covers(cs[0].UnitPath) {
		return nil, errs.E(errs.Forbidden, "不在您的管辖范围内")
	}
	cs[0].fill()
	return cs[0], nil
}

// CaseByID returns a case of the actor's scope.
func (s *Service) CaseByID(ctx context.Context, a *access.Actor, id int64) (*CaseDetail, error) {
	c, err := s.loadCase(ctx, s.DB.R, a, id)
	if err != nil {
		return nil, err
	}
	d := &CaseDetail{Case: c, FindingList: []*storedFinding{}, Events: []*CaseEvent{}, Attachments: []*CaseAttachment{}, Can: []string{}}
	if err := s.DB.R.NewSelect().Model(&d.FindingList).Where("case_id = ?", id).Order("at", "id").Scan(ctx); err != nil {
		return nil, err
	}
	s.placeEvidence(ctx, d.FindingList)
	if err := s.DB.R.NewSelect().Model(&d.Events).Where("case_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	if err := s.DB.R.NewSelect().Model(&d.Attachments).Where("case_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	active := c.State == Open || c.State == Explained
	if active && a.Has(access.CaseExplain) {
		d.Can = append(d.Can, "explain")
	}
	if active && a.Has(access.CaseDecide) && a.Covers(c.AuthorityPath) {
		d.Can = append(d.Can, "decide", "escalate")
	}
	return d, nil
}

// ---- the steps ----

// ExplainInput is the unit's explanation.
type ExplainInput struct {
	Text string `json:"text" max:"2000"`
}

// step runs fn on the case inside a transaction after the scope check,
// records the event and the audit entry, and sends the notes.
func (s *Service) step(ctx context.Context, a *access.Actor, id int64, action, label string, fn func(tx bun.Tx, c *Case) (string, []caseNote, error)) (*CaseDetail, error) {
	var notes []caseNote
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		c, err := s.loadCase(ctx, tx, a, id)
		if err != nil {
			return err
		}
		before := *c
		note, ns, err := fn(tx, c)
		if err != nil {
			return err
		}
		c.UpdatedAt = time.Now().UTC()
		if _, err := tx.NewUpdate().Model(c).Column("state", "authority_id", "authority_path", "discipline", "explanation", "decision", "updated_at", "closed_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, a, c.ID, action, note); err != nil {
			return err
		}
		notes = ns
		return audit.Record(ctx, tx, a, audit.Event{Action: caseSteps[action], ObjectType: audit.Case, ObjectID: c.ID, ScopePath: c.UnitPath,
			Summary: fmt.Sprintf("%s案件 %d（%s）：%s", label, c.ID, c.RuleName, note), Before: map[string]any{"state": before.State, "authority_id": before.AuthorityID},
			After: map[string]any{"state": c.State, "authority_id": c.AuthorityID, "discipline": c.Discipline}})
	})
	if err != nil {
		return nil, err
	}
	s.send(ctx, notes)
	return s.CaseByID(ctx, a, id)
}

func active(c *Case) error {
	if c.State != Open && c.State != Explained {
		return errs.E(errs.Conflict, "案件已%s，不能再处理", StateNames[c.State])
	}
	return nil
}

func reason(text, field, msg string) (string, error) {
	text = strings.TrimSpace(text)
	var f errs.Fields
	f.Check(text == "", field, msg)
	f.Check(utf8.RuneCountInString(text) > 2000, field, "最多2000字")
	return text, f.Err()
}

// Explain records the unit's explanation (unit administrator or vehicle
// manager of the case's unit).
func (s *Service) Explain(ctx context.Context, a *access.Actor, id int64, in ExplainInput) (*CaseDetail, error) {
	return s.step(ctx, a, id, "explained", "说明", func(tx bun.Tx, c *Case) (string, []caseNote, error) {
		text, err := reason(in.Text, "text", "请填写情况说明")
		if err != nil {
			return "", nil, err
		}
		if err := active(c); err != nil {
			return "", nil, err
		}
		c.State, c.Explanation = Explained, text
		return text, []caseNote{{role: access.PlatformAdmin, path: c.AuthorityPath, exact: true, title: "单位已说明，待核查", body: c.Title, caseID: c.ID}}, nil
	})
}

// DecideInput is the authority's verdict.
type DecideInput struct {
	Verdict string `json:"verdict"` // verified | dismissed
	Reason  string `json:"reason" max:"500"`
}

func (s *Service) authority(a *access.Actor, c *Case) error {
	if !a.Covers(c.AuthorityPath) {
		return errs.E(errs.Forbidden, "该案件由%s核查，不在您的管辖范围内", c.AuthorityName)
	}
	return nil
}

// Decide verifies or dismisses a case with a reason (platform administrator
// of the case's authority level).
func (s *Service) Decide(ctx context.Context, a *access.Actor, id int64, in DecideInput) (*CaseDetail, error) {
	return s.step(ctx, a, id, in.Verdict, "核查", func(tx bun.Tx, c *Case) (string, []caseNote, error) {
		if err := s.authority(a, c); err != nil {
			return "", nil, err
		}
		var f errs.Fields
		f.Check(in.Verdict != Verified && in.Verdict != Dismissed, "verdict", "核查结论应为 verified（核实违规）或 dismissed（排除）")
		text, err := reason(in.Reason, "reason", "请填写核查理由")
		if err != nil {
			return "", nil, err
		}
		if err := f.Err(); err != nil {
			return "", nil, err
		}
		if err := active(c); err != nil {
			return "", nil, err
		}
		now := time.Now().UTC()
		c.State, c.Decision, c.ClosedAt = in.Verdict, text, &now
		note := StateNames[in.Verdict] + "：" + text
		ns := []caseNote{{role: access.UnitAdmin, path: c.UnitPath, exact: true, title: "监督问题" + StateNames[in.Verdict], body: c.Title, caseID: c.ID},
			{role: access.VehicleManager, path: c.UnitPath, exact: true, title: "监督问题" + StateNames[in.Verdict], body: c.Title, caseID: c.ID}}
		return note, ns, nil
	})
}

// EscalateInput sends a case up.
type EscalateInput struct {
	To     string `json:"to"` // level (the level above) | discipline (discipline inspection)
	Reason string `json:"reason" max:"500"`
}

// Escalate hands the case to the level above, or refers it to discipline
// inspection (platform administrator of the authority level).
func (s *Service) Escalate(ctx context.Context, a *access.Actor, id int64, in EscalateInput) (*CaseDetail, error) {
	return s.step(ctx, a, id, "escalated", "升级", func(tx bun.Tx, c *Case) (string, []caseNote, error) {
		if err := s.authority(a, c); err != nil {
			return "", nil, err
		}
		text, err := reason(in.Reason, "reason", "请填写升级理由")
		if err != nil {
			return "", nil, err
		}
		if err := active(c); err != nil {
			return "", nil, err
		}
		switch in.To {
		case "level":
			up, upID := parentPath(c.AuthorityPath)
			if upID == 0 {
				return "", nil, (&errs.Fields{"to": "已是市级核查，无更高层级"}).Err()
			}
			c.AuthorityPath, c.AuthorityID = up, upID
			return "提交上级核查：" + text, []caseNote{{role: access.PlatformAdmin, path: up, exact: true, title: "下级提交的监督问题", body: c.Title, caseID: c.ID}}, nil
		case "discipline":
			if c.Discipline {
				return "", nil, (&errs.Fields{"to": "案件已移送纪检监察"}).Err()
			}
			c.Discipline = true
			return "移送纪检监察：" + text, []caseNote{{role: access.SupervisorDiscipline, path: c.UnitPath, title: "移送纪检监察的监督问题", body: c.Title, caseID: c.ID}}, nil
		}
		return "", nil, (&errs.Fields{"to": "升级去向应为 level（上级）或 discipline（纪检监察）"}).Err()
	})
}

var attachTypes = map[string]bool{"application/pdf": true, "image/jpeg": true, "image/png": true, "application/zip": true}

var attachExt = map[string]string{"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png", "application/zip": ".zip"}

// Attach adds a file to the unit's explanation (same people as Explain).
func (s *Service) Attach(ctx context.Context, a *access.Actor, id int64, name string, data []byte) (*CaseAttachment, error) {
	name = filepath.Base(strings.TrimSpace(name))
	var f errs.Fields
	f.Check(len(data) == 0, "file", "请选择要上传的文件")
	f.Check(len(data) > attachment.Max, "file", "附件不能超过20 MB")
	ct := http.DetectContentType(data)
	if i := strings.Index(ct, ";"); i > 0 {
		ct = ct[:i]
	}
	f.Check(len(data) > 0 && !attachTypes[ct], "file", "附件须为PDF、JPEG、PNG或ZIP（Office文档请打包为ZIP）")
	if len(data) > 0 && len(data) <= attachment.Max && picture.IsImage(ct) { // a bomb is refused by its header
		if _, err := picture.Check("file", "附件图片", data); err != nil {
			return nil, err
		}
	}
	if name == "" || name == "." {
		name = "说明材料" + attachExt[ct]
	}
	f.Check(utf8.RuneCountInString(name) > 100, "filename", "文件名最多100字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	if s.Blobs == nil {
		return nil, errs.E(errs.Internal, "未配置附件存储")
	}
	var att *CaseAttachment
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		c, err := s.loadCase(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if err := active(c); err != nil {
			return err
		}
		k, err := s.Blobs.Put(ctx, data)
		if err != nil {
			return err
		}
		att = &CaseAttachment{CaseID: id, BlobKey: k, Filename: name, ContentType: ct, Size: int64(len(data)), CreatedBy: &a.UserID, CreatedAt: time.Now().UTC()}
		if _, err := tx.NewInsert().Model(att).Exec(ctx); err != nil {
			return err
		}
		if err := event(ctx, tx, a, id, "attached", name); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCaseAttach, ObjectType: audit.Case, ObjectID: id, ScopePath: c.UnitPath,
			Summary: fmt.Sprintf("为案件 %d 上传说明材料 %s", id, name), After: att})
	})
	return att, err
}

// OpenAttachment returns an attachment of a case of the actor's scope.
func (s *Service) OpenAttachment(ctx context.Context, a *access.Actor, id, attID int64) (*CaseAttachment, []byte, error) {
	if _, err := s.loadCase(ctx, s.DB.R, a, id); err != nil {
		return nil, nil, err
	}
	att := &CaseAttachment{}
	if err := s.DB.R.NewSelect().Model(att).Where("id = ? AND case_id = ?", attID, id).Scan(ctx); err != nil {
		return nil, nil, store.Translate(err)
	}
	rc, err := s.Blobs.Get(ctx, att.BlobKey)
	if err != nil {
		return nil, nil, err
	}
	defer rc.Close()
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	return att, buf.Bytes(), err
}

// placeEvidence gives the findings' evidence with its positions in words
// (internal/geo): an object with lat and lng gets "place", a [lat, lng]
// pair under a key k (a trip's start and end, the first point outside the
// area) gets k+"_place" beside it.
func (s *Service) placeEvidence(ctx context.Context, fs []*storedFinding) {
	type at struct {
		m   map[string]any
		key string
	}
	var whose []at
	var pts []geo.LatLng
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			lat, okLat := v["lat"].(float64)
			lng, okLng := v["lng"].(float64)
			if okLat && okLng {
				whose, pts = append(whose, at{v, "place"}), append(pts, geo.LatLng{Lat: lat, Lng: lng})
			}
			for k, x := range v {
				if p, ok := x.([]any); ok && len(p) == 2 {
					lat, okLat := p[0].(float64)
					lng, okLng := p[1].(float64)
					if okLat && okLng {
						whose, pts = append(whose, at{v, k + "_place"}), append(pts, geo.LatLng{Lat: lat, Lng: lng})
						continue
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	evs := make([]any, len(fs))
	for i, f := range fs {
		if json.Unmarshal([]byte(f.Evidence), &evs[i]) == nil {
			walk(evs[i])
		}
	}
	for i, addr := range s.Geo.Addresses(ctx, pts) {
		whose[i].m[whose[i].key] = addr
	}
	for i, f := range fs {
		f.EvidenceJSON = json.RawMessage(f.Evidence)
		if b, err := json.Marshal(evs[i]); err == nil && evs[i] != nil {
			f.EvidenceJSON = b
		}
	}
}
