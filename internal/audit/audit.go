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
	"fmt"
	"strconv"
	"strings"
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
	Action     string // e.g. "unit.create"; labels in Labels
	ObjectType string
	ObjectID   int64
	ScopePath  string // path of the hierarchy node the event concerns
	Summary    string
	Before     any // nil, or a value marshalled to JSON
	After      any
}

// Labels gives the Chinese name of each action for the log viewer.
var Labels = map[string]string{
	"auth.login":          "登录",
	"auth.login_failed":   "登录失败",
	"auth.logout":         "退出登录",
	"auth.locked":         "账号因多次失败被锁定",
	"auth.login_refused":  "登录被拒绝（过于频繁、锁定中或系统繁忙）",
	"auth.password":       "修改密码",
	"token.create":        "创建API令牌",
	"token.revoke":        "吊销API令牌",
	"unit.create":         "新增单位",
	"unit.update":         "修改单位",
	"unit.move":           "调整上级",
	"unit.deactivate":     "停用单位",
	"unit.activate":       "启用单位",
	"user.create":         "新建账号",
	"user.update":         "修改账号",
	"user.roles":          "调整角色",
	"user.lock":           "锁定账号",
	"user.unlock":         "解锁账号",
	"user.reset_password": "重置密码",
	"policy.update":       "修改安全策略",
	"audit.read":          "查阅审计日志",
	"audit.export":        "导出审计日志",
	"audit.verify":        "校验审计日志",
	"vehicle.create":      "登记车辆",
	"vehicle.update":      "修改车辆",
	"vehicle.transfer":    "车辆划转",
	"vehicle.category":    "车辆类别变更",
	"vehicle.dispose":     "车辆处置",
	"vehicle.import":      "导入车辆",
	"vehicle.confirm":     "确认车辆信息",
	"vehicle.export":      "导出车辆",
	"driver.create":       "登记驾驶员",
	"driver.update":       "修改驾驶员",
	"driver.match":        "匹配驾驶员与车辆",
	"driver.import":       "导入驾驶员",
	"driver.confirm":      "确认驾驶员信息",
	"driver.export":       "导出驾驶员",
	"terminal.create":     "登记终端",
	"terminal.bind":       "绑定终端",
	"terminal.unbind":     "解绑终端",
	"photo.upload":        "上传照片",
	"photo.delete":        "删除照片",
	"supervision.params":  "修改监督规则参数",
	"case.open":           "监督立案",
	"case.explained":      "案件情况说明",
	"case.attach":         "上传案件说明材料",
	"case.verified":       "案件核实违规",
	"case.dismissed":      "案件排除",
	"case.escalated":      "案件升级",
}

// ObjectTypes gives the Chinese name of each object type the services record,
// for the log viewer, its filter and its export.
var ObjectTypes = map[string]string{
	"unit": "单位", "user": "账号", "api_token": "API令牌", "api_key": "API密钥", "policy": "安全策略",
	"audit_log": "审计日志", "vehicle": "车辆", "driver": "驾驶员", "terminal": "北斗终端",
	"terminal_event": "终端健康事件", "order": "用车订单", "emergency_filing": "紧急用车补报",
	"calendar": "节假日安排", "case": "问题线索", "company": "合作企业", "fuel_import": "加油记录导入",
	"repair_job": "维修单", "rental_order": "租赁用车单", "rental_vehicle": "租赁车辆", "rental_driver": "租赁驾驶员",
}

// Record appends ev to the log inside tx. The actor may be nil for events
// the system itself causes (or an anonymous failed login: then actorName
// says who was tried).
func Record(ctx context.Context, tx bun.IDB, a *access.Actor, ev Event) error {
	e := &Entry{
		At:         time.Now().UTC().Truncate(time.Microsecond),
		Action:     ev.Action,
		ObjectType: ev.ObjectType,
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
	v := View{Entry: e, ActionLabel: cmp.Or(Labels[e.Action], e.Action), ObjectLabel: cmp.Or(ObjectTypes[e.ObjectType], e.ObjectType)}
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
