// Package notices is the authority's notices and announcements (通知公告,
// R-29(3)): the platform administrators of the city or a district draft a
// notice, publish it to their subtree or chosen nodes of it, pin it, let it
// expire, attach files; everyone working in a node that a notice reaches
// reads it, and the publisher sees per node who read it when and reminds
// the nodes that have not. The periodic report on the use of official and
// rental vehicles (report.go) is a notice drafted from the platform's
// figures.
package notices

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/attachment"
	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// States and kinds.
const (
	Draft     = "draft"
	Published = "published"

	KindNotice = "notice"
	KindReport = "report"
)

var (
	actCreate   = audit.NewAction("notice.create", "起草通知公告")
	actUpdate   = audit.NewAction("notice.update", "修改通知公告")
	actPublish  = audit.NewAction("notice.publish", "发布通知公告")
	actAttach   = audit.NewAction("notice.attach", "通知公告添加附件")
	actRemind   = audit.NewAction("notice.remind", "提醒未读单位")
	actWithdraw = audit.NewAction("notice.delete", "删除通知公告草稿")
)

// Blobs stores attachment bytes (the registry's content-addressed store).
type Blobs interface {
	Put(ctx context.Context, data []byte) (string, error)
	Get(ctx context.Context, key string) (io.ReadCloser, error)
}

// Service keeps the notices.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Blobs  Blobs
	// Now is the clock (tests); nil: time.Now.
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Notice is one notice or periodic report.
type Notice struct {
	bun.BaseModel `bun:"table:notices"`

	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	OwnerID     int64      `bun:"owner_id" json:"owner_id"`
	OwnerPath   string     `bun:"owner_path" json:"-"`
	Kind        string     `bun:"kind" json:"kind"`
	Title       string     `bun:"title" json:"title"`
	Body        string     `bun:"body" json:"body"`
	Pinned      bool       `bun:"pinned" json:"pinned"`
	ExpiresAt   *time.Time `bun:"expires_at" json:"expires_at"`
	State       string     `bun:"state" json:"state"`
	Period      string     `bun:"period" json:"period"`
	Figures     string     `bun:"figures" json:"-"`
	CreatedBy   int64      `bun:"created_by" json:"-"`
	AuthorName  string     `bun:"author_name" json:"author_name"`
	PublishedAt *time.Time `bun:"published_at" json:"published_at"`
	RemindedAt  *time.Time `bun:"reminded_at" json:"reminded_at"`
	CreatedAt   time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time  `bun:"updated_at" json:"updated_at"`

	OwnerName   string        `bun:"owner_name,scanonly" json:"owner_name"`
	ReadAt      *time.Time    `bun:"read_at,scanonly" json:"read_at"` // the caller's reading
	StateName   string        `bun:"-" json:"state_name"`             // 草稿 | 已发布 | 已过期
	KindName    string        `bun:"-" json:"kind_name"`              // 通知公告 | 定期报告
	Expired     bool          `bun:"-" json:"expired"`                // published and past its expiry
	Targets     []Target      `bun:"-" json:"targets"`                // the nodes it goes to
	Attachments []*Attachment `bun:"-" json:"attachments"`            // its files
	Receipts    *ReceiptCount `bun:"-" json:"receipts,omitempty"`     // for the publisher
	Report      *Figures      `bun:"-" json:"report,omitempty"`       // a periodic report's figures
	CanManage   bool          `bun:"-" json:"can_manage"`             // the caller may edit, publish and remind
}

// Target is a node a notice goes to (with its subtree).
type Target struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

// ReceiptCount is how many of the receiving nodes have read a notice.
type ReceiptCount struct {
	Nodes int `json:"nodes"`
	Read  int `json:"read"`
}

// Attachment is a file of a notice.
type Attachment struct {
	bun.BaseModel `bun:"table:notice_attachments"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	NoticeID    int64     `bun:"notice_id" json:"notice_id"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	Filename    string    `bun:"filename" json:"filename"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	CreatedBy   int64     `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
}

type reading struct {
	bun.BaseModel `bun:"table:notice_reads"`
	NoticeID      int64     `bun:"notice_id"`
	UserID        int64     `bun:"user_id"`
	UnitID        int64     `bun:"unit_id"`
	ReadAt        time.Time `bun:"read_at"`
}

type target struct {
	bun.BaseModel `bun:"table:notice_targets"`
	NoticeID      int64  `bun:"notice_id"`
	UnitID        int64  `bun:"unit_id"`
	UnitPath      string `bun:"unit_path"`
}

// Input is a notice's content as the publisher writes it. A nil field is
// left as it is on an edit.
type Input struct {
	Title     *string    `json:"title" max:"100"`
	Body      *string    `json:"body" max:"4000"` // longer documents go as attachments
	Pinned    *bool      `json:"pinned"`
	ExpiresAt *time.Time `json:"expires_at"` // with ClearExpiry false; null keeps it
	NoExpiry  bool       `json:"no_expiry"`  // true: the notice never expires
	// Targets: nodes inside the publisher's scope whose subtrees receive
	// the notice; empty on creation: the publisher's whole scope.
	Targets []int64 `json:"targets"`
}

// stateName says a notice's state in words.
func (n *Notice) fill(now time.Time) {
	n.Expired = n.State == Published && n.ExpiresAt != nil && !n.ExpiresAt.After(now)
	switch {
	case n.State == Draft:
		n.StateName = "草稿"
	case n.Expired:
		n.StateName = "已过期"
	default:
		n.StateName = "已发布"
	}
	n.KindName = "通知公告"
	if n.Kind == KindReport {
		n.KindName = "用车情况定期报告"
	}
	if n.Targets == nil {
		n.Targets = []Target{}
	}
	if n.Attachments == nil {
		n.Attachments = []*Attachment{}
	}
}

// mayManage: the actor publishes for a level (the city's or a district's
// platform administrator) and the notice is its level's or below.
func mayManage(a *access.Actor, n *Notice) bool {
	return a.Has(access.NoticePublish) && a.Covers(n.OwnerPath)
}

// reaches reports whether a published notice reaches the actor's node.
func (s *Service) reaches(ctx context.Context, a *access.Actor, id int64) (bool, error) {
	n, err := s.DB.R.NewSelect().Table("notice_targets").Where("notice_id = ? AND ? LIKE unit_path || '%'", id, a.ScopePath).Count(ctx)
	return n > 0, store.Translate(err)
}

func (s *Service) load(ctx context.Context, db bun.IDB, id int64) (*Notice, error) {
	n := new(Notice)
	err := db.NewSelect().Model(n).ColumnExpr("notice.*").ColumnExpr("u.name AS owner_name").
		Join("JOIN units AS u ON u.id = notice.owner_id").Where("notice.id = ?", id).Scan(ctx)
	if err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "通知公告不存在"))
	}
	return n, nil
}

// details adds the notice's targets and attachments.
func (s *Service) details(ctx context.Context, n *Notice) error {
	var ts []Target
	if err := s.DB.R.NewSelect().TableExpr("notice_targets AS t").ColumnExpr("u.id, u.name").
		Join("JOIN units AS u ON u.id = t.unit_id").Where("t.notice_id = ?", n.ID).OrderExpr("u.path").Scan(ctx, &ts); err != nil {
		return store.Translate(err)
	}
	n.Targets = ts
	n.Attachments = []*Attachment{}
	if err := s.DB.R.NewSelect().Model(&n.Attachments).Where("notice_id = ?", n.ID).Order("id").Scan(ctx); err != nil {
		return store.Translate(err)
	}
	if n.Kind == KindReport && n.Figures != "" {
		f, err := decodeFigures(n.Figures)
		if err != nil {
			return err
		}
		n.Report = f
	}
	return nil
}

// Get returns a notice the actor may read: one that reaches its node and is
// published and not expired, or one of its level or below that it manages.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Notice, error) {
	n, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	now := s.now()
	n.fill(now)
	n.CanManage = mayManage(a, n)
	if !n.CanManage {
		ok, err := s.reaches(ctx, a, id)
		if err != nil {
			return nil, err
		}
		if !ok || n.State != Published {
			return nil, errs.E(errs.Forbidden, "该通知公告未发给您所在的单位")
		}
		if n.Expired {
			return nil, errs.E(errs.NotFound, "通知公告「%s」已过期", n.Title)
		}
	}
	var at []time.Time
	if err := s.DB.R.NewSelect().Table("notice_reads").Column("read_at").Where("notice_id = ? AND user_id = ?", id, a.UserID).Scan(ctx, &at); err != nil {
		return nil, store.Translate(err)
	}
	if len(at) > 0 {
		n.ReadAt = &at[0]
	}
	if err := s.details(ctx, n); err != nil {
		return nil, err
	}
	if n.CanManage && n.State == Published {
		if n.Receipts, err = s.count(ctx, n.ID); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// Filter narrows a list of notices.
type Filter struct {
	Q      string // in the title
	Unread bool   // the caller's unread only (inbox)
	State  string // draft | published | expired (managed list)
	Kind   string // notice | report
}

// narrow adds the title and kind conditions both lists share.
func (f Filter) narrow(q *bun.SelectQuery) *bun.SelectQuery {
	if t := strings.TrimSpace(f.Q); t != "" {
		q = q.Where("notice.title LIKE ?", "%"+strings.ReplaceAll(t, "%", "")+"%")
	}
	if f.Kind != "" {
		q = q.Where("notice.kind = ?", f.Kind)
	}
	return q
}

// Inbox lists the published, unexpired notices that reach the actor's node:
// pinned first, then newest; each with the caller's reading.
func (s *Service) Inbox(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Notice, int, error) {
	out := []*Notice{}
	now := s.now()
	q := s.DB.R.NewSelect().Model(&out).ColumnExpr("notice.*").ColumnExpr("u.name AS owner_name").ColumnExpr("r.read_at").
		Join("JOIN units AS u ON u.id = notice.owner_id").
		Join("LEFT JOIN notice_reads AS r ON r.notice_id = notice.id AND r.user_id = ?", a.UserID).
		Where("notice.state = ?", Published).
		Where("(notice.expires_at IS NULL OR notice.expires_at > ?)", now).
		Where("EXISTS (SELECT 1 FROM notice_targets AS t WHERE t.notice_id = notice.id AND ? LIKE t.unit_path || '%')", a.ScopePath)
	if f.Unread {
		q = q.Where("r.read_at IS NULL")
	}
	n, err := f.narrow(q).OrderExpr("notice.pinned DESC, notice.published_at DESC, notice.id DESC").Limit(size).Offset((page - 1) * size).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, x := range out {
		x.fill(now)
	}
	return out, n, nil
}

// Unread counts the actor's unread notices (the workbench's badge).
func (s *Service) Unread(ctx context.Context, a *access.Actor) (int, error) {
	_, n, err := s.Inbox(ctx, a, Filter{Unread: true}, 1, 1)
	return n, err
}

// Managed lists the notices of the actor's level and below — drafts,
// published, expired — with how many receiving nodes have read each.
func (s *Service) Managed(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Notice, int, error) {
	out := []*Notice{}
	now := s.now()
	q := s.DB.R.NewSelect().Model(&out).ColumnExpr("notice.*").ColumnExpr("u.name AS owner_name").
		Join("JOIN units AS u ON u.id = notice.owner_id").
		Where("notice.owner_path LIKE ?", a.ScopePath+"%")
	switch f.State {
	case Draft:
		q = q.Where("notice.state = ?", Draft)
	case Published:
		q = q.Where("notice.state = ? AND (notice.expires_at IS NULL OR notice.expires_at > ?)", Published, now)
	case "expired":
		q = q.Where("notice.state = ? AND notice.expires_at <= ?", Published, now)
	case "":
	default:
		return nil, 0, (&errs.Fields{"state": "状态取值无效"}).Err()
	}
	n, err := f.narrow(q).OrderExpr("notice.pinned DESC, COALESCE(notice.published_at, notice.updated_at) DESC, notice.id DESC").Limit(size).Offset((page - 1) * size).ScanAndCount(ctx)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, x := range out {
		x.fill(now)
		x.CanManage = true
		if x.State == Published {
			if x.Receipts, err = s.count(ctx, x.ID); err != nil {
				return nil, 0, err
			}
		}
	}
	return out, n, nil
}

// targets checks the nodes a notice goes to: active, inside the actor's
// scope; none means the actor's scope node.
func (s *Service) targets(ctx context.Context, db bun.IDB, a *access.Actor, ids []int64) ([]target, error) {
	if len(ids) == 0 {
		ids = []int64{a.ScopeID}
	}
	if len(ids) > 500 {
		return nil, (&errs.Fields{"targets": "一次最多发给500个单位"}).Err()
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var rows []struct {
		ID     int64  `bun:"id"`
		Name   string `bun:"name"`
		Path   string `bun:"path"`
		Active bool   `bun:"active"`
	}
	if err := db.NewSelect().Table("units").Column("id", "name", "path", "active").Where("id IN (?)", bun.In(ids)).Scan(ctx, &rows); err != nil {
		return nil, store.Translate(err)
	}
	if len(rows) != len(ids) {
		return nil, (&errs.Fields{"targets": "所选单位不存在"}).Err()
	}
	out := make([]target, 0, len(rows))
	for _, r := range rows {
		if !a.Covers(r.Path) {
			return nil, errs.E(errs.Forbidden, "「%s」不在您的管辖范围内，不能向其发布通知", r.Name)
		}
		if !r.Active {
			return nil, (&errs.Fields{"targets": fmt.Sprintf("「%s」已停用", r.Name)}).Err()
		}
		out = append(out, target{UnitID: r.ID, UnitPath: r.Path})
	}
	return out, nil
}

func validate(n *Notice, in Input, f *errs.Fields) {
	if in.Title != nil {
		n.Title = strings.TrimSpace(*in.Title)
		if err := check.Text(n.Title, false); err != nil {
			f.Add("title", err.Error())
		}
	}
	if in.Body != nil {
		n.Body = plain(*in.Body)
		if err := check.Text(n.Body, true); err != nil {
			f.Add("body", err.Error())
		}
	}
	if in.Pinned != nil {
		n.Pinned = *in.Pinned
	}
	if in.NoExpiry {
		n.ExpiresAt = nil
	} else if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC()
		n.ExpiresAt = &t
	}
	f.Check(n.Title == "", "title", "请填写标题")
	f.Check(n.Body == "", "body", "请填写正文")
}

// plain keeps a notice's text as plain paragraphs: line ends normalised,
// trailing spaces and runs of blank lines dropped. The pages show it as
// text (never as HTML), so markup typed into it stays visible as typed.
func plain(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	var out []string
	blank := false
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			blank = len(out) > 0
			continue
		}
		if blank {
			out = append(out, "")
			blank = false
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}

// Paragraphs splits a notice's text into its paragraphs.
func Paragraphs(body string) []string {
	var out []string
	for _, p := range strings.Split(plain(body), "\n\n") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// Create drafts a notice for the actor's level.
func (s *Service) Create(ctx context.Context, a *access.Actor, in Input) (*Notice, error) {
	return s.create(ctx, a, KindNotice, "", "", in)
}

func (s *Service) create(ctx context.Context, a *access.Actor, kind, period, figures string, in Input) (*Notice, error) {
	if !a.Has(access.NoticePublish) {
		return nil, errs.E(errs.Forbidden, "只有市、区平台管理员可以发布通知公告")
	}
	now := s.now()
	n := &Notice{OwnerID: a.ScopeID, OwnerPath: a.ScopePath, Kind: kind, State: Draft, Period: period, Figures: figures,
		CreatedBy: a.UserID, AuthorName: a.Name, CreatedAt: now, UpdatedAt: now}
	f := &errs.Fields{}
	validate(n, in, f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		ts, err := s.targets(ctx, tx, a, in.Targets)
		if err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(n).Exec(ctx); err != nil {
			return err
		}
		if err := saveTargets(ctx, tx, n.ID, ts); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCreate, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("起草%s「%s」", kindName(kind), n.Title)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, n.ID)
}

func kindName(kind string) string {
	if kind == KindReport {
		return "用车情况定期报告"
	}
	return "通知公告"
}

func saveTargets(ctx context.Context, tx bun.Tx, id int64, ts []target) error {
	if _, err := tx.NewDelete().Table("notice_targets").Where("notice_id = ?", id).Exec(ctx); err != nil {
		return err
	}
	for i := range ts {
		ts[i].NoticeID = id
	}
	_, err := tx.NewInsert().Model(&ts).Exec(ctx)
	return err
}

// managed loads a notice the actor manages, locking it for the change.
func (s *Service) managed(ctx context.Context, tx bun.Tx, a *access.Actor, id int64) (*Notice, error) {
	if _, err := tx.NewUpdate().Table("notices").Set("updated_at = updated_at").Where("id = ?", id).Exec(ctx); err != nil {
		return nil, err
	}
	n, err := s.load(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if !mayManage(a, n) {
		return nil, errs.E(errs.Forbidden, "通知公告「%s」不是您所在层级发布的", n.Title)
	}
	return n, nil
}

// Update edits a notice: a draft freely; a published notice's text, pin
// and expiry too (its receipts stay), but not whom it went to.
func (s *Service) Update(ctx context.Context, a *access.Actor, id int64, in Input) (*Notice, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := s.managed(ctx, tx, a, id)
		if err != nil {
			return err
		}
		f := &errs.Fields{}
		validate(n, in, f)
		if err := f.Err(); err != nil {
			return err
		}
		if in.Targets != nil {
			if n.State != Draft {
				return (&errs.Fields{"targets": fmt.Sprintf("通知公告「%s」已发布，不能再改发送范围", n.Title)}).Err()
			}
			ts, err := s.targets(ctx, tx, a, in.Targets)
			if err != nil {
				return err
			}
			if err := saveTargets(ctx, tx, n.ID, ts); err != nil {
				return err
			}
		}
		n.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(n).Column("title", "body", "pinned", "expires_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actUpdate, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("修改%s「%s」", kindName(n.Kind), n.Title)})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// Delete removes a draft (a published notice stays: its receipts are history).
func (s *Service) Delete(ctx context.Context, a *access.Actor, id int64) (any, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := s.managed(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if n.State != Draft {
			return errs.E(errs.Conflict, "通知公告「%s」已发布，不能删除", n.Title)
		}
		for _, t := range []string{"notice_targets", "notice_attachments"} {
			if _, err := tx.NewDelete().Table(t).Where("notice_id = ?", id).Exec(ctx); err != nil {
				return err
			}
		}
		if _, err := tx.NewDelete().Table("notices").Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actWithdraw, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("删除草稿「%s」", n.Title)})
	})
	return nil, err
}

// Publish publishes a draft: from now on it reaches its nodes, whose staff
// are told in the message centre.
func (s *Service) Publish(ctx context.Context, a *access.Actor, id int64) (*Notice, error) {
	var n *Notice
	var users []int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var err error
		if n, err = s.managed(ctx, tx, a, id); err != nil {
			return err
		}
		if n.State != Draft {
			return errs.E(errs.Conflict, "通知公告「%s」已发布", n.Title)
		}
		now := s.now()
		if n.ExpiresAt != nil && !n.ExpiresAt.After(now) {
			return (&errs.Fields{"expires_at": "截止时间已过，请修改后再发布"}).Err()
		}
		n.State, n.PublishedAt, n.UpdatedAt = Published, &now, now
		if _, err := tx.NewUpdate().Model(n).Column("state", "published_at", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if users, err = readers(ctx, tx, id, ""); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actPublish, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("发布%s「%s」，送达%d人", kindName(n.Kind), n.Title, len(users))})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notify.Message{Users: users, Kind: "notice", Title: kindName(n.Kind), Body: n.Title, Link: Link(n.ID)})
	return s.Get(ctx, a, id)
}

// Link is the console page of a notice.
func Link(id int64) string { return fmt.Sprintf("/notices?id=%d", id) }

// readerRoles are the roles that read notices.
func readerRoles() []string {
	var out []string
	for _, r := range access.Roles {
		if access.RoleHas(r.Code, access.NoticeRead) {
			out = append(out, string(r.Code))
		}
	}
	return out
}

// readers are the active accounts that read notices and whose node a
// notice reaches; with unreadOnly "unread", those of nodes where nobody has
// read it yet.
func readers(ctx context.Context, db bun.IDB, id int64, unreadOnly string) ([]int64, error) {
	var ids []int64
	q := db.NewSelect().TableExpr("users AS u").Distinct().Column("u.id").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Where("u.active = ?", true).
		Where("EXISTS (SELECT 1 FROM user_roles AS r WHERE r.user_id = u.id AND r.role IN (?))", bun.In(readerRoles())).
		Where("EXISTS (SELECT 1 FROM notice_targets AS t WHERE t.notice_id = ? AND n.path LIKE t.unit_path || '%')", id)
	if unreadOnly != "" {
		q = q.Where("NOT EXISTS (SELECT 1 FROM notice_reads AS x WHERE x.notice_id = ? AND x.unit_id = n.id)", id)
	}
	err := q.Scan(ctx, &ids)
	return ids, err
}

// MarkRead records that the actor read a notice that reaches its node
// (the first reading counts; again changes nothing).
func (s *Service) MarkRead(ctx context.Context, a *access.Actor, id int64) (*Notice, error) {
	n, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	ok, err := s.reaches(ctx, a, id)
	if err != nil {
		return nil, err
	}
	if !ok || n.State != Published {
		return nil, errs.E(errs.Forbidden, "该通知公告未发给您所在的单位")
	}
	_, err = s.DB.W.NewInsert().Model(&reading{NoticeID: id, UserID: a.UserID, UnitID: a.ScopeID, ReadAt: s.now()}).On("CONFLICT (notice_id, user_id) DO NOTHING").Exec(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	return s.Get(ctx, a, id)
}

// Attach adds a file to a notice the actor manages.
func (s *Service) Attach(ctx context.Context, a *access.Actor, id int64, name string, data []byte) (*Attachment, error) {
	name, ct, err := attachment.Check(name, data) // PDF, images, Office by content, ≤ 20 MB
	if err != nil {
		return nil, err
	}
	n, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !mayManage(a, n) {
		return nil, errs.E(errs.Forbidden, "通知公告「%s」不是您所在层级发布的", n.Title)
	}
	key, err := s.Blobs.Put(ctx, data)
	if err != nil {
		return nil, errs.Wrap(err, "store attachment")
	}
	att := &Attachment{NoticeID: id, BlobKey: key, Filename: name, ContentType: ct, Size: int64(len(data)), CreatedBy: a.UserID, CreatedAt: s.now()}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(att).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actAttach, ObjectType: audit.Notice, ObjectID: id, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("通知公告「%s」添加附件「%s」", n.Title, name)})
	})
	if err != nil {
		return nil, err
	}
	return att, nil
}

// OpenAttachment returns a file of a notice the actor may read.
func (s *Service) OpenAttachment(ctx context.Context, a *access.Actor, id, attID int64) (*Attachment, []byte, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, nil, err
	}
	att := new(Attachment)
	if err := s.DB.R.NewSelect().Model(att).Where("id = ? AND notice_id = ?", attID, id).Scan(ctx); err != nil {
		return nil, nil, store.NotFoundAs(err, errs.E(errs.NotFound, "附件不存在"))
	}
	rc, err := s.Blobs.Get(ctx, att.BlobKey)
	if err != nil {
		return nil, nil, errs.Wrap(err, "open attachment")
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, nil, errs.Wrap(err, "read attachment")
	}
	return att, data, nil
}
