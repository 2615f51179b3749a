// Package maintenance is the repair and maintenance of official vehicles
// a driver requests, the repair administrator (the vehicle manager
// of the unit or of a level above) estimates a budget, the approver the
// budget needs under the unit's thresholds approves, a designated repair
// shop with a contract covering the vehicle quotes its work items through
// its own account, the repair administrator reviews them item by item and
// closes the job, whose confirmed amount goes to the cost ledger. The
// vehicle shows as under maintenance from approval to close.
package maintenance

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actRepairThresholds = audit.NewAction("repair.thresholds", "设置维修审批额度")
)

// Job states.
const (
	Requested = "requested" // 待估价
	Estimated = "estimated" // 待审批
	Approved  = "approved"  // 待指派维修厂
	Rejected  = "rejected"  // 未批准
	Assigned  = "assigned"  // 待维修厂报价
	Quoted    = "quoted"    // 维修中，待审核
	Reviewed  = "reviewed"  // 已审核，待结案
	Closed    = "closed"    // 已结案
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{
	Requested: "待估价", Estimated: "待审批", Approved: "待指派维修厂", Rejected: "未批准",
	Assigned: "待维修厂报价", Quoted: "维修中·待审核", Reviewed: "已审核·待结案", Closed: "已结案",
}

// Kinds of job.
var Kinds = map[string]string{"repair": "维修", "maintenance": "保养"}

// ActionNames name the actions for the timeline and messages.
var ActionNames = map[string]string{
	"request": "报修", "estimate": "估价", "approve": "审批通过", "reject": "不予批准", "assign": "指派维修厂",
	"quote": "上传维修项目", "revise": "修改维修项目", "review": "审核维修项目", "close": "结案", "photo": "上传照片",
}

// from lists the states each action may start from.
var from = map[string][]string{
	"estimate": {Requested, Estimated},
	"approve":  {Estimated},
	"reject":   {Estimated},
	"assign":   {Approved},
	"quote":    {Assigned},
	"revise":   {Quoted},
	"review":   {Quoted},
	"close":    {Reviewed},
	"photo":    {Requested, Estimated, Approved, Assigned, Quoted, Reviewed},
}

// open are the states in which a job holds its vehicle.
var open = []string{Approved, Assigned, Quoted, Reviewed}

// repairActions are the audit log's job actions, "repair.<action>", by action.
var repairActions = audit.NewActions("repair.", "维修：", ActionNames)

// Service runs the maintenance workflow.
type Service struct {
	DB     *store.DB
	Fleet  *fleet.Service // photos go through the registry's image checks and blob store
	Notify *notify.Notifier
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Job is a repair or maintenance job.
type Job struct {
	bun.BaseModel `bun:"table:repair_jobs"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	No            string     `bun:"no" json:"no"`
	VehicleID     int64      `bun:"vehicle_id" json:"vehicle_id"`
	UnitID        int64      `bun:"unit_id" json:"unit_id"`
	Kind          string     `bun:"kind" json:"kind"`
	Problem       string     `bun:"problem" json:"problem"`
	State         string     `bun:"state" json:"state"`
	RequestedBy   int64      `bun:"requested_by" json:"requested_by"`
	RequestedName string     `bun:"requested_name" json:"requested_name"`
	RequestedAt   time.Time  `bun:"requested_at" json:"requested_at"`
	BudgetFen     int64      `bun:"budget_fen" json:"budget_fen"`
	EstimateNote  string     `bun:"estimate_note" json:"estimate_note"`
	ApprovalTier  int        `bun:"approval_tier" json:"approval_tier"`
	ApprovedBy    *int64     `bun:"approved_by" json:"approved_by"`
	ApprovedAt    *time.Time `bun:"approved_at" json:"approved_at"`
	ShopCompanyID *int64     `bun:"shop_company_id" json:"shop_company_id"`
	QuotedFen     int64      `bun:"quoted_fen" json:"quoted_fen"`
	FinalFen      *int64     `bun:"final_fen" json:"final_fen"`
	PrevStatus    string     `bun:"prev_status" json:"-"`
	Note          string     `bun:"note" json:"note"`
	ClosedAt      *time.Time `bun:"closed_at" json:"closed_at"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at" json:"updated_at"`

	Plate       string `bun:"plate,scanonly" json:"plate"`
	VehicleDesc string `bun:"vehicle_desc,scanonly" json:"vehicle_desc"`
	UnitName    string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath    string `bun:"unit_path,scanonly" json:"-"`
	ShopName    string `bun:"shop_name,scanonly" json:"shop_name"`
	StateName   string `bun:"-" json:"state_name"`
	KindName    string `bun:"-" json:"kind_name"`
	TierName    string `bun:"-" json:"tier_name"`
}

func (j *Job) fill() {
	j.StateName, j.KindName = StateNames[j.State], Kinds[j.Kind]
	if j.ApprovalTier > 0 {
		j.TierName = tierNames[j.ApprovalTier]
	}
}

// Item is a work item of the shop's quote.
type Item struct {
	bun.BaseModel `bun:"table:repair_items"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	JobID         int64      `bun:"job_id" json:"job_id"`
	Kind          string     `bun:"kind" json:"kind"`
	Name          string     `bun:"name" json:"name"`
	Quantity      int64      `bun:"quantity" json:"quantity"`
	UnitPriceFen  int64      `bun:"unit_price_fen" json:"unit_price_fen"`
	AmountFen     int64      `bun:"amount_fen" json:"amount_fen"`
	Review        string     `bun:"review" json:"review"`
	DisputeReason string     `bun:"dispute_reason" json:"dispute_reason"`
	ReviewedBy    *int64     `bun:"reviewed_by" json:"reviewed_by"`
	ReviewedAt    *time.Time `bun:"reviewed_at" json:"reviewed_at"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt     time.Time  `bun:"updated_at" json:"updated_at"`
}

// Photo is a photo of the problem or of an invoice.
type Photo struct {
	bun.BaseModel `bun:"table:repair_photos"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	JobID       int64     `bun:"job_id" json:"job_id"`
	Kind        string    `bun:"kind" json:"kind"`
	BlobKey     string    `bun:"blob_key" json:"-"`
	ThumbKey    string    `bun:"thumb_key" json:"-"`
	ContentType string    `bun:"content_type" json:"content_type"`
	Size        int64     `bun:"size" json:"size"`
	CreatedBy   *int64    `bun:"created_by" json:"-"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`

	URL      string `bun:"-" json:"url"`
	ThumbURL string `bun:"-" json:"thumb_url"`
}

func (p *Photo) fill() {
	p.URL = fmt.Sprintf("/api/repair-jobs/%d/photos/%d", p.JobID, p.ID)
	p.ThumbURL = p.URL + "?thumb=1"
}

// Event is a line of a job's timeline.
type Event struct {
	bun.BaseModel `bun:"table:repair_events"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	JobID     int64     `bun:"job_id" json:"job_id"`
	At        time.Time `bun:"at" json:"at"`
	ActorID   *int64    `bun:"actor_id" json:"actor_id"`
	ActorName string    `bun:"actor_name" json:"actor_name"`
	Action    string    `bun:"action" json:"action"`
	FromState string    `bun:"from_state" json:"from_state"`
	ToState   string    `bun:"to_state" json:"to_state"`
	Note      string    `bun:"note" json:"note"`

	ActionName string `bun:"-" json:"action_name"`
}

// Detail is a job with its items, photos and timeline.
type Detail struct {
	*Job
	Items  []*Item  `json:"items"`
	Photos []*Photo `json:"photos"`
	Events []*Event `json:"events"`
	// InvoiceRequired: the unit's rules require an invoice photo to close.
	InvoiceRequired bool `json:"invoice_required"`
}

func selectJobs(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Job)(nil)).ModelTableExpr("repair_jobs AS j").
		ColumnExpr("j.*").
		ColumnExpr("v.plate AS plate, v.brand || ' ' || v.model AS vehicle_desc").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path, c.name AS shop_name").
		Join("JOIN vehicles AS v ON v.id = j.vehicle_id").
		Join("JOIN units AS u ON u.id = j.unit_id").
		Join("LEFT JOIN companies AS c ON c.id = j.shop_company_id")
}

func (s *Service) load(ctx context.Context, db bun.IDB, id int64) (*Job, error) {
	j := new(Job)
	if err := selectJobs(db).Where("j.id = ?", id).Scan(ctx, j); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "维修单不存在或已删除"))
	}
	j.fill()
	return j, nil
}

// sees reports whether the actor may see the job: staff whose scope covers
// the unit, the requester, or the shop it is assigned to (whose contracts
// cover the unit).
func sees(a *access.Actor, j *Job) bool {
	if a.CompanyID != 0 {
		return j.ShopCompanyID != nil && *j.ShopCompanyID == a.CompanyID && a.Covers(j.UnitPath)
	}
	return j.RequestedBy == a.UserID || a.Covers(j.UnitPath)
}

// staff checks that a staff actor holds p and covers the job's unit.
func staff(a *access.Actor, p access.Perm, j *Job, what string) error {
	if a.CompanyID != 0 || !a.Has(p) {
		return errs.E(errs.Forbidden, "您没有权限%s", what)
	}
	if !a.Covers(j.UnitPath) {
		return errs.E(errs.Forbidden, "该维修单不在您的管辖范围内")
	}
	return nil
}

// shop checks that the actor is the shop the job is assigned to.
func shop(a *access.Actor, j *Job) error {
	if a.CompanyID == 0 || j.ShopCompanyID == nil || *j.ShopCompanyID != a.CompanyID || !a.Has(access.RepairQuote) {
		return errs.E(errs.Forbidden, "只有指派的维修厂可以上传或修改维修项目")
	}
	return nil
}

// note is a notification to send after commit.
type note struct {
	users       []int64
	title, body string
}

// step is what an action does to a locked job.
type step struct {
	to    string
	note  string
	notes []note
}

// act runs one action on a job in a transaction: lock, load, check that
// the actor sees it and that the action may start from its state, let fn
// check the actor and change the job, save it, write the timeline and the
// audit log; notifications go out after the commit.
func (s *Service) act(ctx context.Context, a *access.Actor, id int64, action string, fn func(tx bun.Tx, j *Job) (step, error)) (*Job, error) {
	var notes []note
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		res, err := tx.NewRaw("UPDATE repair_jobs SET updated_at = updated_at WHERE id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.E(errs.NotFound, "维修单不存在或已删除")
		}
		j, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if !sees(a, j) {
			return errs.E(errs.Forbidden, "该维修单不在您的管辖范围内")
		}
		if !slices.Contains(from[action], j.State) {
			return errs.E(errs.Conflict, "维修单 %s 当前为「%s」，不能%s", j.No, j.StateName, ActionNames[action])
		}
		before := *j
		st, err := fn(tx, j)
		if err != nil {
			return err
		}
		prev := j.State
		if st.to != "" {
			j.State = st.to
		}
		j.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(j).ExcludeColumn("id", "no", "created_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := s.event(ctx, tx, a, j.ID, action, prev, j.State, st.note); err != nil {
			return err
		}
		notes = st.notes
		summary := fmt.Sprintf("维修单 %s（%s）%s", j.No, j.Plate, ActionNames[action])
		if st.note != "" {
			summary += "：" + st.note
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: repairActions[action], ObjectType: audit.RepairJob, ObjectID: j.ID,
			ScopePath: j.UnitPath, Summary: summary, Before: before, After: j})
	})
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		s.Notify.Send(ctx, notify.Message{Users: n.users, Kind: "repair", Title: n.title, Body: n.body, Link: fmt.Sprintf("/repairs/%d", id)})
	}
	return s.load(ctx, s.DB.R, id)
}

func (s *Service) event(ctx context.Context, tx bun.IDB, a *access.Actor, jobID int64, action, from, to, text string) error {
	e := &Event{JobID: jobID, At: s.now(), Action: action, FromState: from, ToState: to, Note: text}
	if a != nil {
		id := a.UserID
		e.ActorID, e.ActorName = &id, a.Name
	}
	_, err := tx.NewInsert().Model(e).Exec(ctx)
	return err
}

// Get returns a job with its items, photos and timeline.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Detail, error) {
	j, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if !sees(a, j) {
		return nil, errs.E(errs.Forbidden, "该维修单不在您的管辖范围内")
	}
	d := &Detail{Job: j, Items: []*Item{}, Photos: []*Photo{}, Events: []*Event{}}
	if err := s.DB.R.NewSelect().Model(&d.Items).Where("job_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if err := s.DB.R.NewSelect().Model(&d.Photos).Where("job_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, p := range d.Photos {
		p.fill()
	}
	if err := s.DB.R.NewSelect().Model(&d.Events).Where("job_id = ?", id).Order("id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, e := range d.Events {
		e.ActionName = ActionNames[e.Action]
	}
	r, err := limits(ctx, s.DB.R, j.UnitPath)
	if err != nil {
		return nil, err
	}
	d.InvoiceRequired = r.invoice
	return d, nil
}

// Filter selects jobs.
type Filter struct {
	State     string // one state, or "open" for every state holding the vehicle
	VehicleID int64
	UnitID    int64 // subtree of this node
	Q         string
	Mine      bool // only the jobs the actor requested
}

// List returns the jobs the actor sees, newest first: a shop those
// assigned to it, staff those of its scope.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter, page, size int) ([]*Job, int, error) {
	out := []*Job{}
	q := selectJobs(s.DB.R)
	if a.CompanyID != 0 {
		q = q.Where("j.shop_company_id = ?", a.CompanyID)
	}
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range a.ScopePaths() {
			q = q.WhereOr("u.path LIKE ?", p+"%")
		}
		return q.WhereOr("1 = 0")
	})
	switch f.State {
	case "":
	case "open":
		q = q.Where("j.state IN (?)", bun.In(open))
	default:
		q = q.Where("j.state = ?", f.State)
	}
	if f.VehicleID != 0 {
		q = q.Where("j.vehicle_id = ?", f.VehicleID)
	}
	if f.Mine {
		q = q.Where("j.requested_by = ?", a.UserID)
	}
	if f.UnitID != 0 {
		var path string
		if err := s.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", f.UnitID).Scan(ctx, &path); err != nil {
			return nil, 0, errs.E(errs.NotFound, "单位不存在")
		}
		if !a.Covers(path) {
			return nil, 0, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		q = q.Where("u.path LIKE ?", path+"%")
	}
	if f.Q != "" {
		q = q.Where("(j.no LIKE ? OR v.plate LIKE ? OR j.problem LIKE ?)", "%"+f.Q+"%", "%"+f.Q+"%", "%"+f.Q+"%")
	}
	n, err := q.Order("j.id DESC").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, j := range out {
		j.fill()
	}
	return out, n, nil
}

// History is a vehicle's repair history and cost.
type History struct {
	VehicleID int64  `json:"vehicle_id"`
	Plate     string `json:"plate"`
	Jobs      []*Job `json:"jobs"`
	Closed    int    `json:"closed"`
	TotalFen  int64  `json:"total_fen"` // confirmed amounts of the closed jobs
}

// VehicleHistory returns every job of a vehicle inside the actor's scope
// (a shop: those it did on a vehicle its contracts cover).
func (s *Service) VehicleHistory(ctx context.Context, a *access.Actor, vehicleID int64) (*History, error) {
	var v struct {
		Plate string `bun:"plate"`
		Path  string `bun:"path"`
	}
	if err := s.DB.R.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.plate, u.path").Join("JOIN units AS u ON u.id = v.unit_id").
		Where("v.id = ?", vehicleID).Scan(ctx, &v); err != nil {
		return nil, errs.E(errs.NotFound, "车辆不存在或已删除")
	}
	if !a.Covers(v.Path) {
		return nil, errs.E(errs.Forbidden, "该车辆不在您的管辖范围内")
	}
	h := &History{VehicleID: vehicleID, Plate: v.Plate, Jobs: []*Job{}}
	q := selectJobs(s.DB.R).Where("j.vehicle_id = ?", vehicleID)
	if a.CompanyID != 0 { // a shop: the jobs it did
		q = q.Where("j.shop_company_id = ?", a.CompanyID)
	}
	if err := q.Order("j.requested_at DESC").Scan(ctx, &h.Jobs); err != nil {
		return nil, store.Translate(err)
	}
	for _, j := range h.Jobs {
		j.fill()
		if j.State == Closed && j.FinalFen != nil {
			h.Closed++
			h.TotalFen += *j.FinalFen
		}
	}
	return h, nil
}

func randomNo() string {
	b := make([]byte, 8)
	rand.Read(b)
	return "tmp-" + hex.EncodeToString(b)
}
