// Package audit is the append-only, hash-chained audit log.
// Every write and every sensitive read records who, when, from where, what,
// and the values before and after, in the same transaction as the change.
// Each row's hash is a MAC under a key kept outside the database and covers
// the previous row's hash, so an edited, deleted or re-chained row is
// detected by Verify; checkpoints of the head written outside the database
// catch a cut tail (chain.go).
package audit

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Entry is one row of the audit log.
type Entry struct {
	bun.BaseModel `bun:"table:audit_log"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	At         time.Time `bun:"at" json:"at"`
	ActorID    *int64    `bun:"actor_id" json:"actor_id"`
	ActorName  string    `bun:"actor_name" json:"actor_name"`
	IP         string    `bun:"ip" json:"ip"`
	Action     string    `bun:"action" json:"action"`
	ObjectType string    `bun:"object_type" json:"object_type"`
	ObjectID   string    `bun:"object_id" json:"object_id"`
	ScopePath  string    `bun:"scope_path" json:"-"`
	Summary    string    `bun:"summary" json:"summary"`
	Before     string    `bun:"before_json" json:"-"`
	After      string    `bun:"after_json" json:"-"`
	PrevHash   string    `bun:"prev_hash" json:"-"`
	Hash       string    `bun:"hash" json:"hash"`
	Alg        string    `bun:"alg" json:"-"` // how Hash was made: "" (unkeyed, before issue 19) or "hmac-sha256:<key id>"
}

// Event is what a service reports; Record turns it into an Entry.
type Event struct {
	Action     Action
	ObjectType ObjectType // zero when the event concerns no object (a failed login by an unknown name)
	ObjectID   int64
	ScopePath  string // path of the hierarchy node the event concerns
	Summary    string
	Before     any // nil, or a value marshalled to JSON
	After      any
}

// Action is a kind of event: its code, stored in the log (and covered by the
// hash chain), and its Chinese name, which the log viewer, its filter and
// its export show (R-27: the log is read by discipline inspection and
// audit). Only NewAction makes one, so every recorded action has a name.
type Action struct{ code, label string }

// Code is what the log stores, e.g. "unit.create".
func (a Action) Code() string { return a.code }

// Label is the Chinese name, e.g. 新增单位.
func (a Action) Label() string { return a.label }

// actions holds every declared action, in declaration order.
var actions []Action

// NewAction declares an action. Declare each once, as a package variable
// beside the code that records it (package initialisation is the only
// writer of the registry).
func NewAction(code, label string) Action {
	a := Action{code, label}
	actions = append(actions, a)
	return a
}

// NewActions declares a family of actions named by one table, e.g. the
// order actions "order.<verb>" named labelPrefix + the verb's name; it
// returns them by verb.
func NewActions(codePrefix, labelPrefix string, names map[string]string) map[string]Action {
	out := make(map[string]Action, len(names))
	for verb, name := range names {
		out[verb] = NewAction(codePrefix+verb, labelPrefix+name)
	}
	return out
}

// Actions returns every declared action.
func Actions() []Action { return slices.Clone(actions) }

// ObjectType is the kind of object an event concerns: its code, stored in
// the log, and its Chinese name.
type ObjectType struct{ code, label string }

// Code is what the log stores, e.g. "vehicle".
func (o ObjectType) Code() string { return o.code }

// Label is the Chinese name, e.g. 车辆.
func (o ObjectType) Label() string { return o.label }

// The object types the services record.
var (
	Unit            = ObjectType{"unit", "单位"}
	User            = ObjectType{"user", "账号"}
	APIToken        = ObjectType{"api_token", "API令牌"}
	APIKey          = ObjectType{"api_key", "API密钥"}
	Policy          = ObjectType{"policy", "安全策略"}
	Log             = ObjectType{"audit_log", "审计日志"}
	Vehicle         = ObjectType{"vehicle", "车辆"}
	Driver          = ObjectType{"driver", "驾驶员"}
	Terminal        = ObjectType{"terminal", "北斗终端"}
	TerminalEvent   = ObjectType{"terminal_event", "终端健康事件"}
	Order           = ObjectType{"order", "用车订单"}
	EmergencyFiling = ObjectType{"emergency_filing", "紧急用车补报"}
	Calendar        = ObjectType{"calendar", "节假日安排"}
	HolidayFiling   = ObjectType{"holiday_filing", "节假日用车备案"}
	Case            = ObjectType{"case", "问题线索"}
	Company         = ObjectType{"company", "合作企业"}
	FuelImport      = ObjectType{"fuel_import", "加油记录导入"}
	RepairJob       = ObjectType{"repair_job", "维修单"}
	RentalOrder     = ObjectType{"rental_order", "租赁用车单"}
	RentalVehicle   = ObjectType{"rental_vehicle", "租赁车辆"}
	RentalDriver    = ObjectType{"rental_driver", "租赁驾驶员"}
	// Cross-region bookings (R-18, issue 22).
	Partner           = ObjectType{"partner", "合作城市"}
	PartnerSettlement = ObjectType{"partner_settlement", "异地用车结算单"}
	// Issue 23 parts 4 and 5 (i23c).
	Notice          = ObjectType{"notice", "通知公告"}
	SavingsBaseline = ObjectType{"savings_baseline", "节支率基数"}
	Visitor         = ObjectType{"visitor", "来访人员"}
	VisitorBooking  = ObjectType{"visitor_booking", "来访用车"}
	// Cross-level loans and their costs (issue 21 parts 4 and 5).
	Loan       = ObjectType{"loan", "车辆借调单"}
	Rate       = ObjectType{"rate", "收费标准与市场价"}
	Settlement = ObjectType{"settlement", "结算单"}
	// Integrated dispatch (R-16, issue 21).
	SupportTask  = ObjectType{"support_task", "保障任务"}
	SupportTeam  = ObjectType{"support_team", "保障班组"}
	ExtractQuery = ObjectType{"extract_query", "数据提取查询"} // issue 23: saved data extractions
	AnnualReport = ObjectType{"annual_report", "年度报告"}   // issue 23: the annual report
)

// ObjectTypes lists every object type.
var ObjectTypes = []ObjectType{Unit, User, APIToken, APIKey, Policy, Log, Vehicle, Driver, Terminal, TerminalEvent, Order,
	EmergencyFiling, Calendar, HolidayFiling, Case, Company, FuelImport, RepairJob, RentalOrder, RentalVehicle, RentalDriver,
	Partner, PartnerSettlement,
	Notice, SavingsBaseline,
	Visitor, VisitorBooking,
	Loan, Rate, Settlement,
	SupportTask, SupportTeam,
	ExtractQuery, AnnualReport}

// The audit log's own reading, recorded in the log itself.
var (
	ReadLog        = NewAction("audit.read", "查阅审计日志")
	ExportLog      = NewAction("audit.export", "导出审计日志")
	VerifyLog      = NewAction("audit.verify", "校验审计日志")
	CheckpointsLog = NewAction("audit.checkpoints", "下载审计日志校验点")
)

// ActionLabels gives the Chinese name of every declared action by code (read
// after package initialisation).
var ActionLabels = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(actions))
	for _, a := range actions {
		m[a.code] = a.label
	}
	return m
})

// ObjectLabels gives the Chinese name of every object type by code.
var ObjectLabels = sync.OnceValue(func() map[string]string {
	m := make(map[string]string, len(ObjectTypes))
	for _, o := range ObjectTypes {
		m[o.code] = o.label
	}
	return m
})

// Record appends ev to the log inside tx. The actor may be nil for events
// the system itself causes (or an anonymous failed login: then actorName
// says who was tried).
func Record(ctx context.Context, tx bun.IDB, a *access.Actor, ev Event) error {
	if ev.Action.code == "" {
		return errs.Wrap(errors.New("event without a declared action"), "audit")
	}
	k := current()
	if k == nil {
		return errs.Wrap(errors.New("chain key not loaded (audit.LoadKeys or audit.SetKeys at start)"), "audit")
	}
	e := &Entry{
		At:         time.Now().UTC().Truncate(time.Microsecond),
		Action:     ev.Action.code,
		ObjectType: ev.ObjectType.code,
		ScopePath:  ev.ScopePath,
		Summary:    ev.Summary,
	}
	if ev.ObjectID != 0 {
		e.ObjectID = strconv.FormatInt(ev.ObjectID, 10)
	}
	if a != nil {
		if a.UserID != 0 {
			id := a.UserID
			e.ActorID = &id
		}
		e.ActorName = a.Name
		if a.Username != "" {
			e.ActorName = fmt.Sprintf("%s(%s)", a.Name, a.Username)
		}
		e.IP = a.IP
	}
	var err error
	if e.Before, err = marshal(ev.Before); err != nil {
		return err
	}
	if e.After, err = marshal(ev.After); err != nil {
		return err
	}
	// Take the chain head; the UPDATE locks the row until commit.
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := tx.NewRaw("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash").Scan(ctx, &head); err != nil {
		return errs.Wrap(err, "audit head")
	}
	e.PrevHash = head.Hash
	e.normalise()
	e.Alg = "hmac-sha256:" + k.id
	e.Hash = e.mac(k.key)
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return errs.Wrap(err, "audit insert")
	}
	if _, err := tx.NewRaw("UPDATE audit_head SET hash = ?, mac = ? WHERE id = 1", e.Hash, k.headMAC(head.Seq, e.Hash)).Exec(ctx); err != nil {
		return errs.Wrap(err, "audit head")
	}
	return nil
}

func marshal(v any) (string, error) {
	if v == nil {
		return "", nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", errs.Wrap(err, "audit marshal")
	}
	return string(b), nil
}

// View is an entry as the audit administrator sees it.
type View struct {
	*Entry
	ActionLabel string          `json:"action_label"`
	ObjectLabel string          `json:"object_label"` // the object type's name; the code when it has none
	BeforeJSON  json.RawMessage `json:"before"`
	AfterJSON   json.RawMessage `json:"after"`
}

func view(e *Entry) View {
	v := View{Entry: e, ActionLabel: cmp.Or(ActionLabels()[e.Action], e.Action), ObjectLabel: cmp.Or(ObjectLabels()[e.ObjectType], e.ObjectType)}
	if e.Before != "" {
		v.BeforeJSON = json.RawMessage(e.Before)
	}
	if e.After != "" {
		v.AfterJSON = json.RawMessage(e.After)
	}
	return v
}

// Filter selects entries.
type Filter struct {
	Q          string // matches summary, object id or actor name
	Actor      string
	Action     string
	ObjectType string
	From, To   time.Time
	Page, Size int
}

// Service reads and verifies the log.
type Service struct {
	DB *store.DB
	// Checkpoints is the file the head's signed checkpoints are appended
	// to and verified against (<data-dir>/audit-checkpoints.log); empty:
	// none.
	Checkpoints string
	mu          sync.Mutex // serialises Checkpoint
	lastSeq     int64      // the head of the last checkpoint written
}

func (s *Service) query(a *access.Actor, f Filter) *bun.SelectQuery {
	q := s.DB.R.NewSelect().Model((*Entry)(nil))
	// The log of a level covers its subtree; system events (no scope) are
	// seen by the city's audit administrator only.
	if a.ScopeKind == "city" {
		q = q.Where("scope_path = '' OR scope_path LIKE ?", a.ScopePath+"%")
	} else {
		q = q.Where("scope_path LIKE ?", a.ScopePath+"%")
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(summary LIKE ? OR object_id = ? OR actor_name LIKE ?)", like, f.Q, like)
	}
	if f.Actor != "" {
		q = q.Where("actor_name LIKE ?", "%"+f.Actor+"%")
	}
	if f.Action != "" {
		q = q.Where("action = ?", f.Action)
	}
	if f.ObjectType != "" {
		q = q.Where("object_type = ?", f.ObjectType)
	}
	if !f.From.IsZero() {
		q = q.Where("at >= ?", f.From.UTC())
	}
	if !f.To.IsZero() {
		q = q.Where("at < ?", f.To.UTC())
	}
	return q
}

// List returns a page of entries, newest first, and records the reading.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]View, int, error) {
	var rows []*Entry
	n, err := s.query(a, f).Order("id DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &rows)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	out := make([]View, len(rows))
	for i, e := range rows {
		out[i] = view(e)
	}
	return out, n, nil
}

// All returns every entry matching f (at most limit), oldest first, for export.
func (s *Service) All(ctx context.Context, a *access.Actor, f Filter, limit int) ([]View, error) {
	var rows []*Entry
	if err := s.query(a, f).Order("id ASC").Limit(limit).Scan(ctx, &rows); err != nil {
		return nil, store.Translate(err)
	}
	out := make([]View, len(rows))
	for i, e := range rows {
		out[i] = view(e)
	}
	return out, nil
}

// Note records ev in its own transaction (for sensitive reads).
func (s *Service) Note(ctx context.Context, a *access.Actor, ev Event) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error { return Record(ctx, tx, a, ev) })
}
