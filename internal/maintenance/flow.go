package maintenance

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

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

// RequestInput is the driver's request.
type RequestInput struct {
	VehicleID int64  `json:"vehicle_id"`
	Kind      string `json:"kind"` // repair | maintenance
	Problem   string `json:"problem" max:"1000"`
}

// Request opens a job for a vehicle of the actor's scope. A
// vehicle has at most one unfinished job.
func (s *Service) Request(ctx context.Context, a *access.Actor, in RequestInput) (*Job, error) {
	in.Problem = strings.TrimSpace(in.Problem)
	var f errs.Fields
	f.Check(in.VehicleID == 0, "vehicle_id", "请选择车辆")
	f.Check(Kinds[in.Kind] == "", "kind", "请选择维修或保养")
	f.Check(in.Problem == "", "problem", "请描述故障或保养内容")
	f.Check(utf8.RuneCountInString(in.Problem) > 1000, "problem", "问题描述不能超过1000字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	var id int64
	var notes []note
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var v struct {
			UnitID int64  `bun:"unit_id"`
			Plate  string `bun:"plate"`
			Status string `bun:"status"`
			Path   string `bun:"path"`
		}
		if err := tx.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.unit_id, v.plate, v.status, u.path").
			Join("JOIN units AS u ON u.id = v.unit_id").Where("v.id = ?", in.VehicleID).Scan(ctx, &v); err != nil {
			return (&errs.Fields{"vehicle_id": "车辆不存在"}).Err()
		}
		if a.CompanyID != 0 || !a.Covers(v.Path) {
			return errs.E(errs.Forbidden, "该车辆不在您的管辖范围内")
		}
		if v.Status == "disposed" {
			return (&errs.Fields{"vehicle_id": "车辆已处置，不能报修"}).Err()
		}
		var busy string
		err := tx.NewSelect().Table("repair_jobs").Column("no").Where("vehicle_id = ? AND state NOT IN (?)", in.VehicleID, bun.In([]string{Rejected, Closed})).
			Limit(1).Scan(ctx, &busy)
		if err == nil {
			return errs.E(errs.Conflict, "车辆 %s 已有未完结的维修单 %s", v.Plate, busy)
		}
		now := s.now()
		j := &Job{No: randomNo(), VehicleID: in.VehicleID, UnitID: v.UnitID, Kind: in.Kind, Problem: in.Problem, State: Requested,
			RequestedBy: a.UserID, RequestedName: a.Name, RequestedAt: now, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(j).Exec(ctx); err != nil {
			return err
		}
		j.No = fmt.Sprintf("WX%s%05d", now.In(beijing.Zone).Format("20060102"), j.ID)
		if _, err := tx.NewUpdate().Model(j).Column("no").WherePK().Exec(ctx); err != nil {
			return err
		}
		id = j.ID
		if err := s.event(ctx, tx, a, j.ID, "request", "", Requested, in.Problem); err != nil {
			return err
		}
		managers, err := notify.Recipients(ctx, tx, access.VehicleManager, v.Path)
		if err != nil {
			return err
		}
		notes = []note{{users: without(managers, a.UserID), title: "新的" + Kinds[in.Kind] + "申请待估价", body: fmt.Sprintf("%s %s：%s", j.No, v.Plate, in.Problem)}}
		return audit.Record(ctx, tx, a, audit.Event{Action: repairActions["request"], ObjectType: audit.RepairJob, ObjectID: j.ID, ScopePath: v.Path,
			Summary: fmt.Sprintf("车辆 %s 申请%s：%s", v.Plate, Kinds[in.Kind], in.Problem), After: j})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	for _, n := range notes {
		s.Notify.Send(ctx, notify.Message{Users: n.users, Kind: "repair", Title: n.title, Body: n.body, Link: fmt.Sprintf("/repairs/%d", id)})
	}
	return s.load(ctx, s.DB.R, id)
}

func without(ids []int64, id int64) []int64 {
	return slices.DeleteFunc(slices.Clone(ids), func(x int64) bool { return x == id })
}

// EstimateInput is the repair administrator's budget.
type EstimateInput struct {
	BudgetFen int64  `json:"budget_fen"`
	Note      string `json:"note" max:"500"`
}

// Estimate sets the budget (again, until approved); the approvers of the
// tier the budget falls in are notified.
func (s *Service) Estimate(ctx context.Context, a *access.Actor, id int64, in EstimateInput) (*Job, error) {
	in.Note = strings.TrimSpace(in.Note)
	if in.BudgetFen <= 0 || in.BudgetFen > 100000000 {
		return nil, (&errs.Fields{"budget_fen": "请填写预算金额（大于0，不超过100万元）"}).Err()
	}
	return s.act(ctx, a, id, "estimate", func(tx bun.Tx, j *Job) (step, error) {
		if err := staff(a, access.RepairManage, j, "估价（维修管理员：车管负责人）"); err != nil {
			return step{}, err
		}
		r, err := limits(ctx, tx, j.UnitPath)
		if err != nil {
			return step{}, err
		}
		j.BudgetFen, j.EstimateNote, j.ApprovalTier = in.BudgetFen, in.Note, tierOf(in.BudgetFen, r.tier1, r.tier2)
		var users []int64
		for _, r := range tierRoles[j.ApprovalTier] {
			ids, err := notify.Recipients(ctx, tx, r, j.UnitPath)
			if err != nil {
				return step{}, err
			}
			users = append(users, ids...)
		}
		text := fmt.Sprintf("预算 %s 元，%s", money.Yuan(in.BudgetFen), tierNames[j.ApprovalTier])
		if in.Note != "" {
			text += "；" + in.Note
		}
		return step{to: Estimated, note: text, notes: []note{{users: users, title: "维修预算待审批", body: fmt.Sprintf("%s %s %s", j.No, j.Plate, text)}}}, nil
	})
}

// Approve approves the budget. The approver must hold a role of the tier
// the budget needs under the unit's thresholds, or of a higher one.
func (s *Service) Approve(ctx context.Context, a *access.Actor, id int64, comment string) (*Job, error) {
	return s.act(ctx, a, id, "approve", func(tx bun.Tx, j *Job) (step, error) {
		if err := s.canApprove(a, j); err != nil {
			return step{}, err
		}
		now := s.now()
		j.ApprovedBy, j.ApprovedAt, j.Note = &a.UserID, &now, ""
		// The vehicle is under maintenance until the job closes.
		var status string
		if err := tx.NewSelect().Table("vehicles").Column("status").Where("id = ?", j.VehicleID).Scan(ctx, &status); err != nil {
			return step{}, err
		}
		j.PrevStatus = status
		if _, err := tx.NewUpdate().Table("vehicles").Set("status = 'maintenance', updated_at = ?", now).Where("id = ?", j.VehicleID).Exec(ctx); err != nil {
			return step{}, err
		}
		managers, err := notify.Recipients(ctx, tx, access.VehicleManager, j.UnitPath)
		if err != nil {
			return step{}, err
		}
		text := fmt.Sprintf("预算 %s 元", money.Yuan(j.BudgetFen))
		if comment = strings.TrimSpace(comment); comment != "" {
			text += "；" + comment
		}
		return step{to: Approved, note: text, notes: []note{{users: append(managers, j.RequestedBy), title: "维修预算已批准，待指派维修厂", body: fmt.Sprintf("%s %s %s", j.No, j.Plate, text)}}}, nil
	})
}

func (s *Service) canApprove(a *access.Actor, j *Job) error {
	if err := staff(a, access.RepairApprove, j, "审批维修预算"); err != nil {
		return err
	}
	if maxTier(a) < j.ApprovalTier {
		return errs.E(errs.Forbidden, "预算 %s 元超出您的审批额度，须由%s", money.Yuan(j.BudgetFen), strings.TrimSuffix(tierNames[j.ApprovalTier], "审批")+"审批")
	}
	return nil
}

// Reject refuses the budget with a reason; the job ends.
func (s *Service) Reject(ctx context.Context, a *access.Actor, id int64, reason string) (*Job, error) {
	if reason = strings.TrimSpace(reason); reason == "" {
		return nil, (&errs.Fields{"reason": "请填写不予批准的原因"}).Err()
	}
	return s.act(ctx, a, id, "reject", func(tx bun.Tx, j *Job) (step, error) {
		if err := s.canApprove(a, j); err != nil {
			return step{}, err
		}
		j.Note = reason
		return step{to: Rejected, note: reason, notes: []note{{users: []int64{j.RequestedBy}, title: "维修申请未获批准", body: j.No + "：" + reason}}}, nil
	})
}

// Shop is a designated repair shop.
type Shop struct {
	ID    int64  `bun:"id" json:"id"`
	Name  string `bun:"name" json:"name"`
	Phone string `bun:"phone" json:"phone"`
}

// shopsCovering returns the active repair shops with a contract in force
// today covering the node with path (one shop when id is not 0).
func (s *Service) shopsCovering(ctx context.Context, db bun.IDB, path string, id int64) ([]*Shop, error) {
	today := beijing.Date(s.now())
	out := []*Shop{}
	q := db.NewSelect().TableExpr("companies AS c").ColumnExpr("DISTINCT c.id, c.name, c.phone").
		Join("JOIN company_contracts AS k ON k.company_id = c.id").
		Join("JOIN units AS n ON n.id = k.unit_id").
		Where("c.kind = 'repair' AND c.active = ? AND k.starts_on <= ? AND (k.ends_on IS NULL OR k.ends_on >= ?)", true, today, today).
		Where("? LIKE n.path || '%'", path)
	if id != 0 {
		q = q.Where("c.id = ?", id)
	}
	err := q.OrderExpr("c.name").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Shops lists the designated shops a job may go to.
func (s *Service) Shops(ctx context.Context, a *access.Actor, id int64) ([]*Shop, error) {
	j, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, err
	}
	if err := staff(a, access.RepairManage, j, "指派维修厂"); err != nil {
		return nil, err
	}
	return s.shopsCovering(ctx, s.DB.R, j.UnitPath, 0)
}

// AssignInput names the shop.
type AssignInput struct {
	ShopCompanyID int64 `json:"shop_company_id"`
}

// Assign sends the approved job to a designated repair shop whose contract
// covers the vehicle's unit today.
func (s *Service) Assign(ctx context.Context, a *access.Actor, id int64, in AssignInput) (*Job, error) {
	return s.act(ctx, a, id, "assign", func(tx bun.Tx, j *Job) (step, error) {
		if err := staff(a, access.RepairManage, j, "指派维修厂"); err != nil {
			return step{}, err
		}
		shops, err := s.shopsCovering(ctx, tx, j.UnitPath, in.ShopCompanyID)
		if err != nil {
			return step{}, err
		}
		if len(shops) == 0 {
			return step{}, (&errs.Fields{"shop_company_id": "该维修厂不是本单位的定点维修厂（无有效合同覆盖该车辆）"}).Err()
		}
		j.ShopCompanyID = &in.ShopCompanyID
		users, err := companyUsers(ctx, tx, in.ShopCompanyID)
		if err != nil {
			return step{}, err
		}
		return step{to: Assigned, note: shops[0].Name, notes: []note{{users: users, title: "新的维修任务", body: fmt.Sprintf("%s %s：%s", j.No, j.Plate, j.Problem)}}}, nil
	})
}

func companyUsers(ctx context.Context, db bun.IDB, company int64) ([]int64, error) {
	var ids []int64
	err := db.NewSelect().Table("users").Column("id").Where("company_id = ? AND active = ?", company, true).Scan(ctx, &ids)
	return ids, err
}

// ItemInput is one work item as the shop enters it.
type ItemInput struct {
	Kind         string `json:"kind"` // part | labour
	Name         string `json:"name"`
	Quantity     int64  `json:"quantity"`
	UnitPriceFen int64  `json:"unit_price_fen"`
	AmountFen    int64  `json:"amount_fen"`
}

// ItemKinds name the kinds of work item.
var ItemKinds = map[string]string{"part": "配件", "labour": "工时"}

// QuoteInput is the shop's list of work items with their total.
type QuoteInput struct {
	Items    []ItemInput `json:"items"`
	TotalFen int64       `json:"total_fen"`
}

// checkItem validates one item; each line must add up (amount = quantity ×
// unit price), in fen.
func checkItem(f *errs.Fields, prefix string, it *ItemInput) {
	it.Name = strings.TrimSpace(it.Name)
	f.Check(ItemKinds[it.Kind] == "", prefix+"kind", "类别须为配件或工时")
	f.Check(it.Name == "", prefix+"name", "请填写项目名称")
	f.Check(utf8.RuneCountInString(it.Name) > 100, prefix+"name", "项目名称不能超过100字")
	f.Check(it.Quantity < 1 || it.Quantity > 10000, prefix+"quantity", "数量须为1至10000的整数")
	f.Check(it.UnitPriceFen < 0 || it.UnitPriceFen > 100000000, prefix+"unit_price_fen", "单价须在0至100万元之间")
	if it.Quantity >= 1 && it.Quantity <= 10000 && it.UnitPriceFen >= 0 && it.UnitPriceFen <= 100000000 && it.AmountFen != it.Quantity*it.UnitPriceFen {
		f.Add(prefix+"amount_fen", fmt.Sprintf("金额与数量×单价不符：%d × %s = %s 元，填写的是 %s 元", it.Quantity, money.Yuan(it.UnitPriceFen), money.Yuan(it.Quantity*it.UnitPriceFen), money.Yuan(it.AmountFen)))
	}
}

// Quote records the shop's work items; amounts that do not add up (a
// line's amount against quantity × price, the total against the lines)
// refuse the whole upload and nothing is written.
func (s *Service) Quote(ctx context.Context, a *access.Actor, id int64, in QuoteInput) (*Job, error) {
	var f errs.Fields
	f.Check(len(in.Items) == 0, "items", "请至少填写一个维修项目")
	f.Check(len(in.Items) > 200, "items", "维修项目不能超过200项")
	var sum int64
	for i := range in.Items {
		checkItem(&f, fmt.Sprintf("items.%d.", i), &in.Items[i])
		sum += in.Items[i].AmountFen
	}
	if len(in.Items) > 0 && sum != in.TotalFen {
		f.Add("total_fen", fmt.Sprintf("合计金额与各项金额之和不符：各项之和为 %s 元，填写的合计为 %s 元", money.Yuan(sum), money.Yuan(in.TotalFen)))
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "quote", func(tx bun.Tx, j *Job) (step, error) {
		if err := shop(a, j); err != nil {
			return step{}, err
		}
		now := s.now()
		for _, it := range in.Items {
			row := &Item{JobID: j.ID, Kind: it.Kind, Name: it.Name, Quantity: it.Quantity, UnitPriceFen: it.UnitPriceFen, AmountFen: it.AmountFen,
				Review: "pending", CreatedAt: now, UpdatedAt: now}
			if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
				return step{}, err
			}
		}
		j.QuotedFen = sum
		managers, err := notify.Recipients(ctx, tx, access.VehicleManager, j.UnitPath)
		if err != nil {
			return step{}, err
		}
		text := fmt.Sprintf("%d 项，合计 %s 元", len(in.Items), money.Yuan(sum))
		return step{to: Quoted, note: text, notes: []note{{users: managers, title: "维修厂已上传维修项目，待审核", body: fmt.Sprintf("%s %s %s", j.No, j.Plate, text)}}}, nil
	})
}

// lockItem loads an item of the job.
func lockItem(ctx context.Context, tx bun.IDB, j *Job, itemID int64) (*Item, error) {
	it := new(Item)
	if err := tx.NewSelect().Model(it).Where("id = ? AND job_id = ?", itemID, j.ID).Scan(ctx); err != nil {
		return nil, errs.E(errs.NotFound, "维修项目不存在或已删除")
	}
	return it, nil
}

// requote sums the job's items into quoted_fen.
func requote(ctx context.Context, tx bun.IDB, j *Job) error {
	return tx.NewSelect().Table("repair_items").ColumnExpr("COALESCE(SUM(amount_fen), 0)").Where("job_id = ?", j.ID).Scan(ctx, &j.QuotedFen)
}

// Revise lets the shop correct a disputed item; it goes back to review.
func (s *Service) Revise(ctx context.Context, a *access.Actor, id, itemID int64, in ItemInput) (*Job, error) {
	var f errs.Fields
	checkItem(&f, "", &in)
	if err := f.Err(); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "revise", func(tx bun.Tx, j *Job) (step, error) {
		if err := shop(a, j); err != nil {
			return step{}, err
		}
		it, err := lockItem(ctx, tx, j, itemID)
		if err != nil {
			return step{}, err
		}
		if it.Review != "disputed" {
			return step{}, errs.E(errs.Conflict, "只能修改有异议的维修项目")
		}
		old := fmt.Sprintf("%s %d×%s=%s", it.Name, it.Quantity, money.Yuan(it.UnitPriceFen), money.Yuan(it.AmountFen))
		it.Kind, it.Name, it.Quantity, it.UnitPriceFen, it.AmountFen = in.Kind, in.Name, in.Quantity, in.UnitPriceFen, in.AmountFen
		it.Review, it.UpdatedAt = "pending", s.now()
		if _, err := tx.NewUpdate().Model(it).Column("kind", "name", "quantity", "unit_price_fen", "amount_fen", "review", "updated_at").WherePK().Exec(ctx); err != nil {
			return step{}, err
		}
		if err := requote(ctx, tx, j); err != nil {
			return step{}, err
		}
		managers, err := notify.Recipients(ctx, tx, access.VehicleManager, j.UnitPath)
		if err != nil {
			return step{}, err
		}
		text := fmt.Sprintf("%s 改为 %s %d×%s=%s 元", old, it.Name, it.Quantity, money.Yuan(it.UnitPriceFen), money.Yuan(it.AmountFen))
		return step{note: text, notes: []note{{users: managers, title: "维修厂已修改有异议的项目", body: j.No + " " + text}}}, nil
	})
}

// ReviewInput confirms an item or disputes it with a reason.
type ReviewInput struct {
	Confirm bool   `json:"confirm"`
	Reason  string `json:"reason" max:"500"`
}

// Review confirms or disputes one item. When every item is confirmed the
// job is reviewed and its confirmed amount fixed.
func (s *Service) Review(ctx context.Context, a *access.Actor, id, itemID int64, in ReviewInput) (*Job, error) {
	in.Reason = strings.TrimSpace(in.Reason)
	if !in.Confirm && in.Reason == "" {
		return nil, (&errs.Fields{"reason": "请填写异议原因"}).Err()
	}
	return s.act(ctx, a, id, "review", func(tx bun.Tx, j *Job) (step, error) {
		if err := staff(a, access.RepairManage, j, "审核维修项目（维修管理员：车管负责人）"); err != nil {
			return step{}, err
		}
		it, err := lockItem(ctx, tx, j, itemID)
		if err != nil {
			return step{}, err
		}
		if it.Review != "pending" {
			return step{}, errs.E(errs.Conflict, "该项目已审核（%s）", map[string]string{"confirmed": "已确认", "disputed": "有异议，待维修厂修改"}[it.Review])
		}
		now := s.now()
		it.ReviewedBy, it.ReviewedAt, it.DisputeReason = &a.UserID, &now, in.Reason
		it.Review = "disputed"
		if in.Confirm {
			it.Review = "confirmed"
		}
		if _, err := tx.NewUpdate().Model(it).Column("review", "dispute_reason", "reviewed_by", "reviewed_at").WherePK().Exec(ctx); err != nil {
			return step{}, err
		}
		if !in.Confirm {
			users, err := companyUsers(ctx, tx, *j.ShopCompanyID)
			if err != nil {
				return step{}, err
			}
			text := fmt.Sprintf("「%s」有异议：%s", it.Name, in.Reason)
			return step{note: text, notes: []note{{users: users, title: "维修项目有异议，请修改", body: j.No + " " + text}}}, nil
		}
		var left int
		if err := tx.NewSelect().Table("repair_items").ColumnExpr("COUNT(*)").Where("job_id = ? AND review <> 'confirmed'", j.ID).Scan(ctx, &left); err != nil {
			return step{}, err
		}
		text := fmt.Sprintf("确认「%s」%s 元", it.Name, money.Yuan(it.AmountFen))
		if left > 0 {
			return step{note: text}, nil
		}
		if err := requote(ctx, tx, j); err != nil {
			return step{}, err
		}
		final := j.QuotedFen
		j.FinalFen = &final
		return step{to: Reviewed, note: text + fmt.Sprintf("；全部项目已确认，合计 %s 元", money.Yuan(final))}, nil
	})
}

// Close ends a reviewed job: the confirmed amount goes to the cost ledger
// in the same transaction, and the vehicle returns to the status it had.
// Unless the unit's level waives it, the shop must have uploaded an
// invoice photo.
func (s *Service) Close(ctx context.Context, a *access.Actor, id int64) (*Job, error) {
	return s.act(ctx, a, id, "close", func(tx bun.Tx, j *Job) (step, error) {
		if err := staff(a, access.RepairManage, j, "结案（维修管理员：车管负责人）"); err != nil {
			return step{}, err
		}
		r, err := limits(ctx, tx, j.UnitPath)
		if err != nil {
			return step{}, err
		}
		if r.invoice {
			n, err := tx.NewSelect().Model((*Photo)(nil)).Where("job_id = ? AND kind = 'invoice'", j.ID).Count(ctx)
			if err != nil {
				return step{}, err
			}
			if n == 0 {
				return step{}, errs.E(errs.Conflict, "尚无发票照片，不能结案：请维修厂上传发票照片后再结案")
			}
		}
		now := s.now()
		j.ClosedAt = &now
		if err := ledger.Post(ctx, tx, ledger.Entry{VehicleID: &j.VehicleID, UnitID: j.UnitID, Kind: "maintenance", AmountFen: *j.FinalFen,
			Source: "repair_job", SourceID: j.ID, OccurredAt: now, Note: fmt.Sprintf("%s %s %s", j.No, j.Plate, Kinds[j.Kind])}); err != nil {
			return step{}, err
		}
		back := j.PrevStatus
		if back == "" || back == "maintenance" {
			back = "available"
		}
		if _, err := tx.NewUpdate().Table("vehicles").Set("status = ?, updated_at = ?", back, now).Where("id = ? AND status = 'maintenance'", j.VehicleID).Exec(ctx); err != nil {
			return step{}, err
		}
		return step{to: Closed, note: fmt.Sprintf("确认金额 %s 元计入费用台账", money.Yuan(*j.FinalFen)),
			notes: []note{{users: []int64{j.RequestedBy}, title: Kinds[j.Kind] + "已完成", body: fmt.Sprintf("%s %s 已结案", j.No, j.Plate)}}}, nil
	})
}
