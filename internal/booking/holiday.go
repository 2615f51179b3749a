package booking

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Holiday use: on statutory holidays vehicles are sealed, except
// emergency and law-enforcement ones; any other use must be filed with the
// authority. Dispatching a sealed vehicle files the use with the
// administration of the unit's level above — its district, or the city for
// units directly under it — which approves it or returns it with a reason;
// the unit sees the outcome on the order and in its messages.

// Holiday filing states.
const (
	FilingPending  = "pending"
	FilingApproved = "approved"
	FilingReturned = "returned"
)

// FilingStates are the filing states' Chinese names.
var FilingStates = map[string]string{FilingPending: "待审核", FilingApproved: "已通过", FilingReturned: "已退回"}

var (
	actHolidayFile    = audit.NewAction("holiday.file", "节假日用车报备")
	actHolidayApprove = audit.NewAction("holiday.approve", "节假日用车备案审核通过")
	actHolidayReturn  = audit.NewAction("holiday.return", "节假日用车备案退回")
)

// HolidayFiling is the use of a sealed vehicle filed with the authority.
type HolidayFiling struct {
	bun.BaseModel `bun:"table:holiday_filings,alias:hf"`

	ID             int64      `bun:"id,pk,autoincrement" json:"id"`
	OrderID        int64      `bun:"order_id" json:"order_id"`
	UnitID         int64      `bun:"unit_id" json:"unit_id"`
	AuthorityID    int64      `bun:"authority_id" json:"authority_id"`
	VehicleID      int64      `bun:"vehicle_id" json:"vehicle_id"`
	Holiday        string     `bun:"holiday" json:"holiday"` // why the vehicle is sealed then
	Reason         string     `bun:"reason" json:"reason"`
	State          string     `bun:"state" json:"state"`
	FiledBy        *int64     `bun:"filed_by" json:"-"`
	FiledByName    string     `bun:"filed_by_name" json:"filed_by_name"`
	FiledAt        time.Time  `bun:"filed_at" json:"filed_at"`
	ReviewedBy     *int64     `bun:"reviewed_by" json:"-"`
	ReviewedByName string     `bun:"reviewed_by_name" json:"reviewed_by_name"`
	ReviewedAt     *time.Time `bun:"reviewed_at" json:"reviewed_at"`
	ReviewNote     string     `bun:"review_note" json:"review_note"`

	OrderNo       string    `bun:"order_no,scanonly" json:"order_no"`
	PickupAt      time.Time `bun:"pickup_at,scanonly" json:"pickup_at"`
	ReturnAt      time.Time `bun:"return_at,scanonly" json:"return_at"`
	ApplicantID   int64     `bun:"applicant_id,scanonly" json:"-"`
	UnitName      string    `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath      string    `bun:"unit_path,scanonly" json:"-"`
	AuthorityName string    `bun:"authority_name,scanonly" json:"authority_name"`
	AuthorityPath string    `bun:"authority_path,scanonly" json:"-"`
	Plate         string    `bun:"plate,scanonly" json:"plate"`
	StateName     string    `bun:"-" json:"state_name"`
	Reviewable    bool      `bun:"-" json:"reviewable"` // the caller may review it now
}

func selectFilings(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*HolidayFiling)(nil)).ColumnExpr("hf.*").
		ColumnExpr("o.no AS order_no, o.pickup_at, o.return_at, o.applicant_id, u.name AS unit_name, u.path AS unit_path").
		ColumnExpr("au.name AS authority_name, au.path AS authority_path, v.plate").
		Join("JOIN orders AS o ON o.id = hf.order_id").Join("JOIN units AS u ON u.id = hf.unit_id").
		Join("JOIN units AS au ON au.id = hf.authority_id").Join("JOIN vehicles AS v ON v.id = hf.vehicle_id")
}

func (f *HolidayFiling) fill(a *access.Actor) {
	f.StateName = FilingStates[f.State]
	f.Reviewable = f.State == FilingPending && a != nil && a.Has(access.HolidayReview) && a.Covers(f.AuthorityPath)
}

// authority returns the level node a unit files with: its district, else
// the city (the first node of its path).
func authority(ctx context.Context, db bun.IDB, unitID int64) (int64, error) {
	var u struct {
		Path       string `bun:"path"`
		DistrictID *int64 `bun:"district_id"`
	}
	if err := db.NewSelect().Table("units").Column("path", "district_id").Where("id = ?", unitID).Scan(ctx, &u); err != nil {
		return 0, err
	}
	if u.DistrictID != nil && *u.DistrictID != unitID {
		return *u.DistrictID, nil
	}
	return strconv.ParseInt(strings.Split(strings.Trim(u.Path, "/"), "/")[0], 10, 64)
}

// fileHoliday files (or files again, after a return or a new dispatch) the
// use of the sealed vehicle v by order o, inside the dispatch's
// transaction; the authority's platform administrators are told.
func fileHoliday(ctx context.Context, tx bun.Tx, a *access.Actor, o *Order, v *vehicle, sealed, reason string, now time.Time) (notify.Message, error) {
	auth, err := authority(ctx, tx, o.UnitID)
	if err != nil {
		return notify.Message{}, err
	}
	f := &HolidayFiling{OrderID: o.ID, UnitID: o.UnitID, AuthorityID: auth, VehicleID: v.ID, Holiday: sealed, Reason: reason, State: FilingPending,
		FiledBy: &a.UserID, FiledByName: a.Name, FiledAt: now}
	if _, err := tx.NewInsert().Model(f).On("CONFLICT (order_id) DO UPDATE").
		Set("authority_id = EXCLUDED.authority_id, vehicle_id = EXCLUDED.vehicle_id, holiday = EXCLUDED.holiday, reason = EXCLUDED.reason").
		Set("state = EXCLUDED.state, filed_by = EXCLUDED.filed_by, filed_by_name = EXCLUDED.filed_by_name, filed_at = EXCLUDED.filed_at").
		Set("reviewed_by = NULL, reviewed_by_name = '', reviewed_at = NULL, review_note = ''").Returning("id").Exec(ctx); err != nil {
		return notify.Message{}, err
	}
	var admins []int64
	if err := tx.NewSelect().TableExpr("users AS u").Column("u.id").Join("JOIN user_roles AS r ON r.user_id = u.id").
		Where("u.active = ? AND u.scope_id = ? AND r.role = ?", true, auth, string(access.PlatformAdmin)).Scan(ctx, &admins); err != nil {
		return notify.Message{}, err
	}
	if err := audit.Record(ctx, tx, a, audit.Event{Action: actHolidayFile, ObjectType: audit.HolidayFiling, ObjectID: f.ID, ScopePath: o.UnitPath,
		Summary: fmt.Sprintf("订单 %s 使用封存车辆 %s（%s）报主管部门备案：%s", o.No, v.Plate, sealed, reason), After: f}); err != nil {
		return notify.Message{}, err
	}
	return notify.Message{Users: admins, Kind: "holiday", Title: "节假日用车备案待审核",
		Body: fmt.Sprintf("%s %s（%s）：%s", o.UnitName, v.Plate, sealed, reason), Link: "/holiday-filings"}, nil
}

// HolidayFilter selects holiday filings.
type HolidayFilter struct {
	State      string // pending | approved | returned; "" all
	Page, Size int
}

// HolidayFilings lists the filings of units in the actor's scope, the
// newest first.
func (s *Service) HolidayFilings(ctx context.Context, a *access.Actor, f HolidayFilter) ([]*HolidayFiling, int, error) {
	q := selectFilings(s.DB.R).Where("u.path LIKE ?", a.ScopePath+"%")
	if f.State != "" {
		if _, ok := FilingStates[f.State]; !ok {
			return nil, 0, (&errs.Fields{"state": "状态取值无效"}).Err()
		}
		q = q.Where("hf.state = ?", f.State)
	}
	out := []*HolidayFiling{}
	n, err := q.OrderExpr("hf.filed_at DESC, hf.id DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, x := range out {
		x.fill(a)
	}
	return out, n, nil
}

// findFilings returns the filings whose column (hf.id, hf.order_id) is id.
func findFilings(ctx context.Context, db bun.IDB, a *access.Actor, column string, id int64) ([]*HolidayFiling, error) {
	fs := []*HolidayFiling{}
	if err := selectFilings(db).Where("? = ?", bun.Ident(column), id).Scan(ctx, &fs); err != nil {
		return nil, store.Translate(err)
	}
	for _, f := range fs {
		f.fill(a)
	}
	return fs, nil
}

// ReviewHoliday is the authority approving (approve) or returning a filing
// with a reason; the dispatcher who filed it and the applicant are told.
func (s *Service) ReviewHoliday(ctx context.Context, a *access.Actor, id int64, approve bool, note string) (*HolidayFiling, error) {
	note = strings.TrimSpace(note)
	if !approve && note == "" {
		return nil, (&errs.Fields{"reason": "请填写退回原因"}).Err()
	}
	var msg notify.Message
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		fs, err := findFilings(ctx, tx, a, "hf.id", id)
		if err != nil {
			return err
		}
		if len(fs) == 0 {
			return errs.E(errs.NotFound, "备案不存在或已删除")
		}
		f := fs[0]
		if !a.Has(access.HolidayReview) || !a.Covers(f.AuthorityPath) {
			return errs.E(errs.Forbidden, "该备案应由%s审核", f.AuthorityName)
		}
		before := *f
		state, action, verb := FilingApproved, actHolidayApprove, "审核通过"
		if !approve {
			state, action, verb = FilingReturned, actHolidayReturn, "退回"
		}
		now := s.now()
		res, err := tx.NewUpdate().Model((*HolidayFiling)(nil)).
			Set("state = ?, reviewed_by = ?, reviewed_by_name = ?, reviewed_at = ?, review_note = ?", state, a.UserID, a.Name, now, note).
			Where("id = ? AND state = ?", id, FilingPending).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.Conflict, "该备案已%s，不能重复审核", FilingStates[f.State])
		}
		f.State, f.ReviewedBy, f.ReviewedByName, f.ReviewedAt, f.ReviewNote = state, &a.UserID, a.Name, &now, note
		users := []int64{f.ApplicantID}
		if f.FiledBy != nil {
			users = append(users, *f.FiledBy)
		}
		body := fmt.Sprintf("订单 %s %s（%s）", f.OrderNo, f.Plate, f.Holiday)
		if note != "" {
			body += "：" + note
		}
		msg = notify.Message{Users: without(users, a.UserID), Kind: "holiday", Title: "节假日用车备案已" + verb, Body: body, Link: orderLink(f.OrderID)}
		return audit.Record(ctx, tx, a, audit.Event{Action: action, ObjectType: audit.HolidayFiling, ObjectID: f.ID, ScopePath: f.UnitPath,
			Summary: fmt.Sprintf("%s 订单 %s 节假日用车备案%s %s", f.UnitName, f.OrderNo, verb, note), Before: before, After: f})
	})
	if err != nil {
		return nil, err
	}
	s.Notify.Send(ctx, msg)
	fs, err := findFilings(ctx, s.DB.R, a, "hf.id", id)
	if err != nil {
		return nil, err
	}
	return fs[0], nil
}
