// Package notify is the in-app notification centre and its text messages:
// every domain's reminders and order steps reach people through it.
package notify

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Notification is a message in a user's in-app notification centre.
type Notification struct {
	bun.BaseModel `bun:"table:notifications"`

	ID        int64      `bun:"id,pk,autoincrement" json:"id"`
	UserID    int64      `bun:"user_id" json:"-"`
	Kind      string     `bun:"kind" json:"kind"`
	Title     string     `bun:"title" json:"title"`
	Body      string     `bun:"body" json:"body"`
	Link      string     `bun:"link" json:"link"`
	CreatedAt time.Time  `bun:"created_at" json:"created_at"`
	ReadAt    *time.Time `bun:"read_at" json:"read_at"`
}

// SMSSender sends a text message to a phone. The platform ships a logging
// implementation; a gateway of the operator plugs in here.
type SMSSender interface {
	Send(ctx context.Context, phone, text string) error
}

// LogSMS writes the messages it would send to the log.
type LogSMS struct{}

// Send logs the message.
func (LogSMS) Send(ctx context.Context, phone, text string) error {
	slog.InfoContext(ctx, "sms", "phone", phone, "text", text)
	return nil
}

// Notifier stores notifications and pushes them to the users' open
// consoles (server-sent events) within this process.
type Notifier struct {
	DB  *store.DB
	SMS SMSSender

	mu   sync.Mutex
	subs map[int64]map[chan *Notification]struct{}
}

// Message is one notification to users. SMS also texts it to them.
type Message struct {
	Users             []int64
	Kind, Title, Body string
	Link              string // the console page it opens
	SMS               bool
}

// Subscribe returns a channel of the user's new notifications and a
// function to stop.
func (n *Notifier) Subscribe(userID int64) (<-chan *Notification, func()) {
	ch := make(chan *Notification, 16)
	n.mu.Lock()
	if n.subs == nil {
		n.subs = map[int64]map[chan *Notification]struct{}{}
	}
	if n.subs[userID] == nil {
		n.subs[userID] = map[chan *Notification]struct{}{}
	}
	n.subs[userID][ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.subs[userID], ch)
		n.mu.Unlock()
	}
}

func (n *Notifier) push(userID int64, x *Notification) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for ch := range n.subs[userID] {
		select {
		case ch <- x:
		default: // a slow console misses the push; the list still has it
		}
	}
}

// Send stores and pushes messages, and texts those marked SMS. Call it
// once the transaction that caused them has committed. Failures are
// logged, never returned: the change has happened and a missed message
// must not undo it. A nil Notifier sends nothing.
func (n *Notifier) Send(ctx context.Context, msgs ...Message) {
	if n == nil {
		return
	}
	for _, m := range msgs {
		for _, uid := range dedup(m.Users) {
			x := &Notification{UserID: uid, Kind: m.Kind, Title: m.Title, Body: m.Body, Link: m.Link, CreatedAt: time.Now().UTC()}
			if _, err := n.DB.W.NewInsert().Model(x).Exec(ctx); err != nil {
				slog.Warn("notification not stored", "user", uid, "err", err)
				continue
			}
			n.push(uid, x)
			if m.SMS && n.SMS != nil {
				var phone string
				if err := n.DB.R.NewSelect().Table("users").Column("phone").Where("id = ?", uid).Scan(ctx, &phone); err == nil && phone != "" {
					if err := n.SMS.Send(ctx, phone, "【常州公务用车】"+m.Title+"："+m.Body); err != nil {
						slog.Warn("sms not sent", "user", uid, "err", err)
					}
				}
			}
		}
	}
}

func dedup(ids []int64) []int64 {
	seen := map[int64]bool{}
	var out []int64
	for _, id := range ids {
		if id != 0 && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// Recipients returns the active users holding role whose scope covers the
// node with the given path.
func Recipients(ctx context.Context, db bun.IDB, role access.Role, path string) ([]int64, error) {
	var ids []int64
	err := db.NewSelect().TableExpr("users AS u").Column("u.id").
		Join("JOIN user_roles AS r ON r.user_id = u.id").
		Join("JOIN units AS n ON n.id = u.scope_id").
		Where("u.active = ? AND r.role = ? AND ? LIKE n.path || '%'", true, string(role), path).
		Scan(ctx, &ids)
	return ids, err
}

// List returns the user's notifications, newest first.
func (n *Notifier) List(ctx context.Context, a *access.Actor, unreadOnly bool, page, size int) ([]*Notification, int, error) {
	out := []*Notification{}
	q := n.DB.R.NewSelect().Model(&out).Where("user_id = ?", a.UserID)
	if unreadOnly {
		q = q.Where("read_at IS NULL")
	}
	total, err := q.Order("id DESC").Limit(size).Offset((page - 1) * size).ScanAndCount(ctx)
	return out, total, store.Translate(err)
}

// MarkRead marks one (id > 0) or all of the user's notifications read.
func (n *Notifier) MarkRead(ctx context.Context, a *access.Actor, id int64) error {
	q := n.DB.W.NewUpdate().Model((*Notification)(nil)).Set("read_at = ?", time.Now().UTC()).Where("user_id = ? AND read_at IS NULL", a.UserID)
	if id > 0 {
		q = q.Where("id = ?", id)
	}
	res, err := q.Exec(ctx)
	if err != nil {
		return store.Translate(err)
	}
	if k, _ := res.RowsAffected(); id > 0 && k == 0 {
		return errs.E(errs.NotFound, "消息不存在或已读")
	}
	return nil
}
