package rental

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Grades the authority gives a month.
var Grades = map[string]string{"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}

// Numbers are a company's performance in a month (R-29(2)): orders
// received, completed, started on time (within Grace of the pickup time),
// the passengers' ratings, complaints (ratings of 1 or 2 stars) and fees.
type Numbers struct {
	Orders     int   `bun:"orders" json:"orders"`
	Completed  int   `bun:"completed" json:"completed"`
	OnTime     int   `bun:"on_time" json:"on_time"`
	Rated      int   `bun:"rated" json:"rated"`
	RatingSum  int   `bun:"rating_sum" json:"rating_sum"`
	Complaints int   `bun:"complaints" json:"complaints"`
	FeeFen     int64 `bun:"fee_fen" json:"fee_fen"`
}

// Assessment is a company's month with the authority's sign-off, if given.
type Assessment struct {
	CompanyID   int64  `json:"company_id"`
	CompanyName string `json:"company_name"`
	Month       string `json:"month"`
	Numbers
	OnTimeRate float64  `json:"on_time_rate"` // percent of completed orders
	AvgRating  float64  `json:"avg_rating"`
	SignOff    *SignOff `json:"sign_off"`
}

// SignOff is the authority's signed assessment: the numbers as they were.
type SignOff struct {
	bun.BaseModel `bun:"table:rental_assessments"`

	ID        int64  `bun:"id,pk,autoincrement" json:"id"`
	CompanyID int64  `bun:"company_id" json:"company_id"`
	Month     string `bun:"month" json:"month"`
	Numbers
	Grade        string    `bun:"grade" json:"grade"`
	Comment      string    `bun:"comment" json:"comment"`
	SignedBy     int64     `bun:"signed_by" json:"signed_by"`
	SignedByName string    `bun:"signed_by_name" json:"signed_by_name"`
	SignedAt     time.Time `bun:"signed_at" json:"signed_at"`
	GradeName    string    `bun:"-" json:"grade_name"`
}

func (a *Assessment) rates() {
	if a.Completed > 0 {
		a.OnTimeRate = float64(a.OnTime*1000/a.Completed) / 10
	}
	if a.Rated > 0 {
		a.AvgRating = float64(a.RatingSum*100/a.Rated) / 100
	}
}

func numbers(ctx context.Context, db bun.IDB, month string, companyIDs []int64) (map[int64]Numbers, error) {
	var rows []struct {
		CompanyID int64 `bun:"company_id"`
		Numbers
	}
	err := db.NewSelect().TableExpr("rental_orders AS r").Join("JOIN orders AS o ON o.id = r.order_id").
		ColumnExpr("r.company_id, COUNT(*) AS orders").
		ColumnExpr("SUM(CASE WHEN r.state = 'completed' THEN 1 ELSE 0 END) AS completed").
		ColumnExpr("SUM(CASE WHEN r.on_time THEN 1 ELSE 0 END) AS on_time").
		ColumnExpr("SUM(CASE WHEN o.rating IS NOT NULL THEN 1 ELSE 0 END) AS rated").
		ColumnExpr("COALESCE(SUM(o.rating), 0) AS rating_sum").
		ColumnExpr("SUM(CASE WHEN o.rating <= 2 THEN 1 ELSE 0 END) AS complaints").
		ColumnExpr("COALESCE(SUM(r.fee_fen), 0) AS fee_fen").
		Where("r.month = ? AND r.company_id IN (?)", month, bun.In(companyIDs)).Group("r.company_id").Scan(ctx, &rows)
	out := map[int64]Numbers{}
	for _, r := range rows {
		out[r.CompanyID] = r.Numbers
	}
	return out, store.Translate(err)
}

func checkMonth(m string) error {
	if _, err := time.Parse("2006-01", m); err != nil {
		return (&errs.Fields{"month": "月份格式应为 YYYY-MM，例如 2026-10"}).Err()
	}
	return nil
}

type assessed struct {
	ID   int64  `bun:"id"`
	Name string `bun:"name"`
	Path string `bun:"path"`
}

// Assessments returns the month's numbers of the rental companies the
// actor's level contracts (a company account: its own), with sign-offs.
func (s *Service) Assessments(ctx context.Context, a *access.Actor, month string) ([]*Assessment, error) {
	if err := checkMonth(month); err != nil {
		return nil, err
	}
	var cs []assessed
	q := s.DB.R.NewSelect().TableExpr("companies AS c").ColumnExpr("c.id, c.name, n.path").
		Join("JOIN units AS n ON n.id = c.owner_unit_id").Where("c.kind = 'rental'")
	if a.CompanyID != 0 {
		q = q.Where("c.id = ?", a.CompanyID)
	} else {
		q = q.Where("n.path LIKE ?", a.ScopePath+"%")
	}
	if err := q.OrderExpr("c.name").Scan(ctx, &cs); err != nil {
		return nil, store.Translate(err)
	}
	out := []*Assessment{}
	if len(cs) == 0 {
		return out, nil
	}
	ids := make([]int64, len(cs))
	for i, c := range cs {
		ids[i] = c.ID
	}
	nums, err := numbers(ctx, s.DB.R, month, ids)
	if err != nil {
		return nil, err
	}
	var signs []*SignOff
	if err := s.DB.R.NewSelect().Model(&signs).Where("month = ? AND company_id IN (?)", month, bun.In(ids)).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	signed := map[int64]*SignOff{}
	for _, x := range signs {
		x.GradeName = Grades[x.Grade]
		signed[x.CompanyID] = x
	}
	for _, c := range cs {
		as := &Assessment{CompanyID: c.ID, CompanyName: c.Name, Month: month, Numbers: nums[c.ID], SignOff: signed[c.ID]}
		as.rates()
		out = append(out, as)
	}
	return out, nil
}

// SignInput is the authority's assessment of a company's month.
type SignInput struct {
	CompanyID int64  `json:"company_id"`
	Month     string `json:"month"`
	Grade     string `json:"grade"`
	Comment   string `json:"comment" max:"1000"`
}

// Sign signs off a finished month of a rental company the actor's level
// contracts (R-29(2)); the numbers are kept as signed. Once per month.
func (s *Service) Sign(ctx context.Context, a *access.Actor, in SignInput) (*SignOff, error) {
	in.Comment = strings.TrimSpace(in.Comment)
	var f errs.Fields
	if err := checkMonth(in.Month); err != nil {
		f.Add("month", "月份格式应为 YYYY-MM，例如 2026-10")
	} else if in.Month >= beijing.Month(s.now()) {
		f.Add("month", "只能考核已结束的月份")
	}
	f.Check(Grades[in.Grade] == "", "grade", "请选择考核等次（优秀、良好、合格、不合格）")
	f.Check(in.Comment == "", "comment", "请填写考核意见")
	f.Check(utf8.RuneCountInString(in.Comment) > 1000, "comment", "考核意见不能超过1000字")
	if err := f.Err(); err != nil {
		return nil, err
	}
	out := &SignOff{}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var c assessed
		if err := tx.NewSelect().TableExpr("companies AS c").ColumnExpr("c.id, c.name, n.path").Join("JOIN units AS n ON n.id = c.owner_unit_id").
			Where("c.id = ? AND c.kind = 'rental'", in.CompanyID).Scan(ctx, &c); err != nil {
			return (&errs.Fields{"company_id": "租赁公司不存在"}).Err()
		}
		if a.CompanyID != 0 || !a.HasRole(access.PlatformAdmin) || !a.Covers(c.Path) {
			return errs.E(errs.Forbidden, "只有签订合同的一级平台管理员可以考核该租赁公司")
		}
		nums, err := numbers(ctx, tx, in.Month, []int64{c.ID})
		if err != nil {
			return err
		}
		*out = SignOff{CompanyID: c.ID, Month: in.Month, Numbers: nums[c.ID], Grade: in.Grade, Comment: in.Comment,
			SignedBy: a.UserID, SignedByName: a.Name, SignedAt: s.now(), GradeName: Grades[in.Grade]}
		if _, err := tx.NewInsert().Model(out).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalAssess, ObjectType: audit.Company, ObjectID: c.ID, ScopePath: c.Path,
			Summary: fmt.Sprintf("%s %s 月度考核：%s，%s", c.Name, in.Month, Grades[in.Grade], in.Comment), After: out})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return out, nil
}
