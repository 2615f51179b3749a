// Package audit is the append-only, hash-chained audit log.
// Every write and every sensitive read records who, when, from where, what,
// and the values before and after, in the same transaction as the change.
// Each row's hash covers the previous row's hash, so an edited or deleted
// row is detected by Verify.
package audit

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
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
	Case            = ObjectType{"case", "问题线索"}
	Company         = ObjectType{"company", "合作企业"}
	FuelImport      = ObjectType{"fuel_import", "加油记录导入"}
	RepairJob       = ObjectType{"repair_job", "维修单"}
	RentalOrder     = ObjectType{"rental_order", "租赁用车单"}
	RentalVehicle   = ObjectType{"rental_vehicle", "租赁车辆"}
	RentalDriver    = ObjectType{"rental_driver", "租赁驾驶员"}
)

// ObjectTypes lists every object type.
var ObjectTypes = []ObjectType{Unit, User, APIToken, APIKey, Policy, Log, Vehicle, Driver, Terminal, TerminalEvent, Order,
	EmergencyFiling, Calendar, Case, Company, FuelImport, RepairJob, RentalOrder, RentalVehicle, RentalDriver}

// The audit log's own reading, recorded in the log itself.
var (
	ReadLog   = NewAction("audit.read", "查阅审计日志")
	ExportLog = NewAction("audit.export", "导出审计日志")
	VerifyLog = NewAction("audit.verify", "校验审计日志")
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
	e.Hash = e.computeHash()
	if _, err := tx.NewInsert().Model(e).Exec(ctx); err != nil {
		return errs.Wrap(err, "audit insert")
	}
	if _, err := tx.NewRaw("UPDATE audit_head SET hash = ? WHERE id = 1", e.Hash).Exec(ctx); err != nil {
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

// computeHash covers every field but the row's own hash and the database id
// (ids of a PostgreSQL identity may skip; the chain order is the id order).
func (e *Entry) computeHash() string {
	h := sha256.New()
	actor := ""
	if e.ActorID != nil {
		actor = strconv.FormatInt(*e.ActorID, 10)
	}
	for _, f := range []string{e.PrevHash, e.At.UTC().Format(time.RFC3339Nano), actor, e.ActorName, e.IP,
		e.Action, e.ObjectType, e.ObjectID, e.ScopePath, e.Summary, e.Before, e.After} {
		fmt.Fprintf(h, "%d:%s\n", len(f), f)
	}
	return hex.EncodeToString(h.Sum(nil))
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
type Service struct{ DB *store.DB }

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

// VerifyResult reports the outcome of a chain check.
type VerifyResult struct {
	OK       bool   `json:"ok"`
	Checked  int    `json:"checked"`
	BrokenID *int64 `json:"broken_id"`
	Message  string `json:"message"`
}

// Verify walks the whole chain in id order and reports the first row whose
// hash or link does not match, and a head that does not match the last row
// (rows deleted at the end).
func (s *Service) Verify(ctx context.Context) (VerifyResult, error) {
	var res VerifyResult
	prev := ""
	var lastID int64
	const batch = 5000
	for {
		var rows []*Entry
		if err := s.DB.R.NewSelect().Model(&rows).Where("id > ?", lastID).Order("id ASC").Limit(batch).Scan(ctx); err != nil {
			return res, store.Translate(err)
		}
		for _, e := range rows {
			res.Checked++
			if e.PrevHash != prev || e.computeHash() != e.Hash {
				id := e.ID
				res.BrokenID = &id
				if e.PrevHash != prev {
					res.Message = fmt.Sprintf("第 %d 条记录之前的日志被删除或篡改（链接断开）", e.ID)
				} else {
					res.Message = fmt.Sprintf("第 %d 条记录的内容被篡改（哈希不符）", e.ID)
				}
				return res, nil
			}
			prev = e.Hash
			lastID = e.ID
		}
		if len(rows) < batch {
			break
		}
	}
	var head struct {
		Seq  int64  `bun:"seq"`
		Hash string `bun:"hash"`
	}
	if err := s.DB.R.NewRaw("SELECT seq, hash FROM audit_head WHERE id = 1").Scan(ctx, &head); err != nil {
		return res, store.Translate(err)
	}
	if head.Hash != prev || head.Seq != int64(res.Checked) {
		res.Message = fmt.Sprintf("日志末尾的记录被删除（应有 %d 条，实有 %d 条）", head.Seq, res.Checked)
		return res, nil
	}
	res.OK = true
	res.Message = fmt.Sprintf("审计日志完整，共校验 %d 条记录", res.Checked)
	return res, nil
}

// Note records ev in its own transaction (for sensitive reads).
func (s *Service) Note(ctx context.Context, a *access.Actor, ev Event) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error { return Record(ctx, tx, a, ev) })
}
