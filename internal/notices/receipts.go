package notices

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Receipt is one receiving node of a published notice: whether anyone
// working there has read it, who first and when, and how many did.
type Receipt struct {
	UnitID      int64      `bun:"id" json:"unit_id"`
	Name        string     `bun:"name" json:"name"`
	Kind        string     `bun:"kind" json:"kind"`
	KindName    string     `bun:"-" json:"kind_name"` // 市级 | 区县 | 单位
	Parent      string     `bun:"parent_name" json:"parent_name"`
	Readers     int        `bun:"readers" json:"readers"`
	FirstReadAt *time.Time `bun:"first_read_at" json:"first_read_at"`
	FirstReader string     `bun:"first_reader" json:"first_reader"`
	Read        bool       `bun:"-" json:"read"`
}

// ReceiptFilter narrows the receipts: "read", "unread" or all.
type ReceiptFilter struct {
	Read string
	Q    string
}

// recipients selects the nodes a notice reaches — every active node in
// the subtree of one of its targets, but the publishing node itself — with
// their reading.
func recipients(db bun.IDB, n *Notice) *bun.SelectQuery {
	return db.NewSelect().TableExpr("units AS u").
		ColumnExpr("u.id, u.name, u.kind, COALESCE(p.name, '') AS parent_name").
		ColumnExpr("(SELECT COUNT(*) FROM notice_reads AS r WHERE r.notice_id = ? AND r.unit_id = u.id) AS readers", n.ID).
		ColumnExpr("(SELECT MIN(r.read_at) FROM notice_reads AS r WHERE r.notice_id = ? AND r.unit_id = u.id) AS first_read_at", n.ID).
		ColumnExpr("COALESCE((SELECT x.real_name FROM notice_reads AS r JOIN users AS x ON x.id = r.user_id WHERE r.notice_id = ? AND r.unit_id = u.id ORDER BY r.read_at, r.user_id LIMIT 1), '') AS first_reader", n.ID).
		Join("LEFT JOIN units AS p ON p.id = u.parent_id").
		Where("u.active = ? AND u.id <> ?", true, n.OwnerID).
		Where("EXISTS (SELECT 1 FROM notice_targets AS t WHERE t.notice_id = ? AND u.path LIKE t.unit_path || '%')", n.ID)
}

// count counts a published notice's receiving nodes and those that read it.
func (s *Service) count(ctx context.Context, id int64) (*ReceiptCount, error) {
	n := &Notice{ID: id}
	if err := s.DB.R.NewSelect().Table("notices").Column("owner_id").Where("id = ?", id).Scan(ctx, &n.OwnerID); err != nil {
		return nil, store.Translate(err)
	}
	c := &ReceiptCount{}
	err := s.DB.R.NewSelect().TableExpr("(?) AS x", recipients(s.DB.R, n)).
		ColumnExpr("COUNT(*), COALESCE(SUM(CASE WHEN x.readers > 0 THEN 1 ELSE 0 END), 0)").Scan(ctx, &c.Nodes, &c.Read)
	return c, store.Translate(err)
}

var kindNames = map[string]string{"city": "市级", "district": "区县", "unit": "单位"}

// Receipts lists the receiving nodes of a notice the actor manages, unread
// first, in the hierarchy's order.
func (s *Service) Receipts(ctx context.Context, a *access.Actor, id int64, f ReceiptFilter, page, size int) ([]*Receipt, int, error) {
	n, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, 0, err
	}
	if !mayManage(a, n) {
		return nil, 0, errs.E(errs.Forbidden, "通知公告「%s」不是您所在层级发布的", n.Title)
	}
	out := []*Receipt{}
	q := s.DB.R.NewSelect().TableExpr("(?) AS x", recipients(s.DB.R, n)).ColumnExpr("x.*")
	switch f.Read {
	case "read":
		q = q.Where("x.readers > 0")
	case "unread":
		q = q.Where("x.readers = 0")
	case "":
	default:
		return nil, 0, (&errs.Fields{"read": "取值应为 read 或 unread"}).Err()
	}
	if f.Q != "" {
		q = q.Where("x.name LIKE ?", "%"+f.Q+"%")
	}
	total, err := q.OrderExpr("CASE WHEN x.readers > 0 THEN 1 ELSE 0 END, x.name").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, r := range out {
		r.Read = r.Readers > 0
		r.KindName = kindNames[r.Kind]
		if r.FirstReadAt != nil {
			t := r.FirstReadAt.UTC()
			r.FirstReadAt = &t
		}
	}
	return out, total, nil
}

// Reminded says whom a reminder reached.
type Reminded struct {
	Nodes int `json:"nodes"`
	Users int `json:"users"`
}

// Remind tells the staff of the nodes that have not read a published
// notice, again, in the message centre.
func (s *Service) Remind(ctx context.Context, a *access.Actor, id int64) (*Reminded, error) {
	var n *Notice
	var users []int64
	r := &Reminded{}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var err error
		if n, err = s.managed(ctx, tx, a, id); err != nil {
			return err
		}
		n.fill(s.now())
		if n.State != Published || n.Expired {
			return errs.E(errs.Conflict, "通知公告「%s」%s，不能提醒", n.Title, n.StateName)
		}
		if err := tx.NewSelect().TableExpr("(?) AS x", recipients(tx, n)).ColumnExpr("COUNT(*)").Where("x.readers = 0").Scan(ctx, &r.Nodes); err != nil {
			return err
		}
		if users, err = readers(ctx, tx, id, "unread"); err != nil {
			return err
		}
		r.Users = len(users)
		now := s.now()
		if _, err := tx.NewUpdate().Table("notices").Set("reminded_at = ?", now).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRemind, ObjectType: audit.Notice, ObjectID: n.ID, ScopePath: n.OwnerPath,
			Summary: fmt.Sprintf("提醒「%s」的未读单位%d个（%d人）", n.Title, r.Nodes, r.Users)})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, notify.Message{Users: users, Kind: "notice", Title: "请阅读" + kindName(n.Kind), Body: n.Title, Link: Link(n.ID)})
	return r, nil
}
