package savings

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
	"govfleet/internal/money"
	"govfleet/internal/pdf"
	"govfleet/internal/store"
)

var actPrint = audit.NewAction("settlement.print", "打印结算单")

// Statement states.
const (
	Pending   = "pending"   // 待确认 (one side or none has confirmed)
	Confirmed = "confirmed" // 双方已确认
	Disputed  = "disputed"  // 有异议
)

// StateNames are the statement states' Chinese names.
var StateNames = map[string]string{Pending: "待确认", Confirmed: "双方已确认", Disputed: "有异议"}

// Settlement is the monthly statement between a lending and a borrowing side.
type Settlement struct {
	bun.BaseModel `bun:"table:settlements"`

	ID                  int64      `bun:"id,pk,autoincrement" json:"id"`
	Month               string     `bun:"month" json:"month"`
	LenderID            int64      `bun:"lender_id" json:"lender_id"`
	BorrowerID          int64      `bun:"borrower_id" json:"borrower_id"`
	Uses                int        `bun:"uses" json:"uses"`
	KmM                 int64      `bun:"km_m" json:"km_m"`
	InternalFen         int64      `bun:"internal_fen" json:"internal_fen"`
	MarketFen           int64      `bun:"market_fen" json:"market_fen"`
	SavingFen           int64      `bun:"saving_fen" json:"saving_fen"`
	State               string     `bun:"state" json:"state"`
	GeneratedAt         time.Time  `bun:"generated_at" json:"generated_at"`
	LenderConfirmedBy   string     `bun:"lender_confirmed_by" json:"lender_confirmed_by"`
	LenderConfirmedAt   *time.Time `bun:"lender_confirmed_at" json:"lender_confirmed_at"`
	BorrowerConfirmedBy string     `bun:"borrower_confirmed_by" json:"borrower_confirmed_by"`
	BorrowerConfirmedAt *time.Time `bun:"borrower_confirmed_at" json:"borrower_confirmed_at"`
	DisputeSide         string     `bun:"dispute_side" json:"dispute_side"`
	DisputeReason       string     `bun:"dispute_reason" json:"dispute_reason"`
	DisputeBy           string     `bun:"dispute_by" json:"dispute_by"`

	LenderName   string `bun:"lender_name,scanonly" json:"lender_name"`
	LenderPath   string `bun:"lender_path,scanonly" json:"-"`
	BorrowerName string `bun:"borrower_name,scanonly" json:"borrower_name"`
	BorrowerPath string `bun:"borrower_path,scanonly" json:"-"`
	StateName    string `bun:"-" json:"state_name"`
	DisputeName  string `bun:"-" json:"dispute_side_name"`
	Km           string `bun:"-" json:"km"` // KmM as statements write it (Km)
	// The side the caller confirms for ("lender", "borrower", "": neither).
	MySide string `bun:"-" json:"my_side"`
}

func (st *Settlement) fill(a *access.Actor) {
	st.StateName, st.Km = StateNames[st.State], Km(st.KmM)
	st.DisputeName = map[string]string{"lender": "借出方", "borrower": "借入方"}[st.DisputeSide]
	if a != nil {
		st.MySide = side(a, st)
	}
}

// side is the side an actor answers for: its scope node is the party.
func side(a *access.Actor, st *Settlement) string {
	switch a.ScopePath {
	case st.LenderPath:
		return "lender"
	case st.BorrowerPath:
		return "borrower"
	}
	return ""
}

func statements(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().ModelTableExpr("settlements AS s").ColumnExpr("s.*").
		ColumnExpr("n.name AS lender_name, n.path AS lender_path, b.name AS borrower_name, b.path AS borrower_path").
		Join("JOIN units AS n ON n.id = s.lender_id").Join("JOIN units AS b ON b.id = s.borrower_id")
}

// SettlementFilter narrows the statements.
type SettlementFilter struct {
	Month string
	State string
	Page  int
	Size  int
}

// Settlements lists the statements one of whose sides lies in the caller's scope.
func (s *Service) Settlements(ctx context.Context, a *access.Actor, f SettlementFilter) ([]*Settlement, int, error) {
	p := a.ScopePath + "%"
	q := statements(s.DB.R).Where("(n.path LIKE ? OR b.path LIKE ?)", p, p)
	if f.Month != "" {
		q = q.Where("s.month = ?", f.Month)
	}
	if f.State != "" {
		q = q.Where("s.state = ?", f.State)
	}
	q = q.OrderExpr("s.month DESC, n.path, b.path")
	if f.Size > 0 {
		q = q.Limit(f.Size).Offset((max(f.Page, 1) - 1) * f.Size)
	}
	out := []*Settlement{}
	n, err := q.ScanAndCount(ctx, &out)
	for _, st := range out {
		st.fill(a)
	}
	return out, n, store.Translate(err)
}

func (s *Service) statement(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Settlement, error) {
	var out []*Settlement
	if err := statements(db).Where("s.id = ?", id).Scan(ctx, &out); err != nil {
		return nil, store.Translate(err)
	}
	if len(out) == 0 {
		return nil, errs.E(errs.NotFound, "结算单不存在")
	}
	st := out[0]
	if !a.Covers(st.LenderPath) && !a.Covers(st.BorrowerPath) {
		return nil, errs.E(errs.Forbidden, "该结算单不在您的管辖范围内")
	}
	st.fill(a)
	return st, nil
}

// Statement returns one statement.
func (s *Service) Statement(ctx context.Context, a *access.Actor, id int64) (*Settlement, error) {
	return s.statement(ctx, s.DB.R, a, id)
}

// Sum totals the lines of a statement: how many, their km and what they
// were charged, the market price and the saving (for a partner city's
// statement, those of the trips that have a market price).
type Sum struct {
	Count     int    `json:"count"`
	KmM       int64  `json:"km_m"` // metres
	Km        string `json:"km"`   // KmM as statements write it (Km)
	Fen       int64  `json:"fen"`  // the charge: the internal cost, or the paid-use fee
	MarketFen int64  `json:"market_fen"`
	SavingFen int64  `json:"saving_fen"`
}

// lines narrows q over use_costs AS c to the uses of statement id: the lines
// the console shows, the sheet exports, the print lists and LinesSum totals
// (one selection, so they agree).
func lines(q *bun.SelectQuery, id int64) *bun.SelectQuery {
	return q.Join("JOIN orders AS o ON o.id = c.order_id").Join("JOIN vehicles AS v ON v.id = c.vehicle_id").
		Join("JOIN units AS n ON n.id = c.lender_id").Join("JOIN units AS b ON b.id = c.borrower_id").
		Join("LEFT JOIN loans AS l ON l.id = c.loan_id").
		Where("c.settlement_id = ?", id)
}

// Lines returns the uses of a statement (one page; size 0: all). The caller
// must see one side (as Statement): a party, or a level above one.
func (s *Service) Lines(ctx context.Context, a *access.Actor, id int64, page, size int) ([]*UseCost, int, error) {
	if _, err := s.statement(ctx, s.DB.R, a, id); err != nil {
		return nil, 0, err
	}
	out := []*UseCost{}
	q := lines(s.DB.R.NewSelect().Model(&out).ModelTableExpr("use_costs AS c"), id).ColumnExpr("c.*").
		ColumnExpr("o.no AS order_no, o.pickup_at, v.plate, n.name AS lender_name, b.name AS borrower_name, COALESCE(l.no, '') AS loan_no").
		OrderExpr("o.pickup_at, o.id")
	if size > 0 {
		q = q.Limit(size).Offset((max(page, 1) - 1) * size)
	}
	n, err := q.ScanAndCount(ctx)
	for _, c := range out {
		c.name()
	}
	return out, n, store.Translate(err)
}

// LinesSum totals every line of a statement (as Lines, every page), for a
// party to check them against the statement's figures.
func (s *Service) LinesSum(ctx context.Context, a *access.Actor, id int64) (Sum, error) {
	var sum Sum
	if _, err := s.statement(ctx, s.DB.R, a, id); err != nil {
		return sum, err
	}
	err := lines(s.DB.R.NewSelect().TableExpr("use_costs AS c"), id).ColumnExpr("COUNT(*) AS count, COALESCE(SUM(c.km_m), 0) AS km_m, COALESCE(SUM(c.internal_fen), 0) AS fen").
		ColumnExpr("COALESCE(SUM(c.market_fen), 0) AS market_fen, COALESCE(SUM(c.saving_fen), 0) AS saving_fen").
		Scan(ctx, &sum.Count, &sum.KmM, &sum.Fen, &sum.MarketFen, &sum.SavingFen)
	sum.Km = Km(sum.KmM)
	return sum, store.Translate(err)
}

// Generate computes the cost of every cross-unit use of a Beijing month
// one of whose sides lies in the caller's scope and writes the month's
// statements per pair of sides. A statement already confirmed by both is
// kept as it is; another is brought up to date, and a change of its
// figures clears the confirmations given.
func (s *Service) Generate(ctx context.Context, a *access.Actor, month string) ([]*Settlement, error) {
	start, err := beijing.ParseMonth(month)
	if err != nil {
		return nil, (&errs.Fields{"month": "请选择月份（年-月）"}).Err()
	}
	end := start.AddDate(0, 1, 0)
	if !start.Before(s.now()) {
		return nil, (&errs.Fields{"month": "该月尚未开始，不能结算"}).Err()
	}
	p := a.ScopePath + "%"
	var ids []int64
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var us []*use
		if err := usesQuery(tx).Where("o.pickup_at >= ? AND o.pickup_at < ?", start.UTC(), end.UTC()).
			Where("(ou.path LIKE ? OR vu.path LIKE ?)", p, p).OrderExpr("o.id").Scan(ctx, &us); err != nil {
			return err
		}
		type pair struct{ lender, borrower int64 }
		groups := map[pair][]*UseCost{}
		var order []pair
		now := s.now()
		for _, u := range us {
			c, err := cost(ctx, tx, u, now)
			if err != nil {
				return errs.E(errs.Conflict, "订单 %s 无法核算：%s", u.No, err.Error())
			}
			if !a.Covers(c.LenderPath) && !a.Covers(c.BorrowerPath) {
				continue
			}
			k := pair{c.LenderID, c.BorrowerID}
			if groups[k] == nil {
				order = append(order, k)
			}
			groups[k] = append(groups[k], c)
		}
		for _, k := range order {
			cs := groups[k]
			st := &Settlement{Month: month, LenderID: k.lender, BorrowerID: k.borrower, State: Pending, GeneratedAt: now}
			for _, c := range cs {
				st.Uses++
				st.KmM += c.KmM
				st.InternalFen += c.InternalFen
				st.MarketFen += c.MarketFen
				st.SavingFen += c.SavingFen
			}
			var old []*Settlement
			if err := tx.NewSelect().Model(&old).Where("month = ? AND lender_id = ? AND borrower_id = ?", month, k.lender, k.borrower).Scan(ctx); err != nil {
				return err
			}
			if len(old) > 0 {
				o := old[0]
				if o.State == Confirmed {
					continue
				}
				st.ID = o.ID
				if o.Uses == st.Uses && o.InternalFen == st.InternalFen && o.MarketFen == st.MarketFen && o.KmM == st.KmM {
					continue // unchanged: confirmations and disputes stand
				}
				if _, err := tx.NewUpdate().Model(st).Column("uses", "km_m", "internal_fen", "market_fen", "saving_fen", "state", "generated_at").
					Set("lender_confirmed_by = '', lender_confirmed_at = NULL, borrower_confirmed_by = '', borrower_confirmed_at = NULL").
					Set("dispute_side = '', dispute_reason = '', dispute_by = ''").WherePK().Exec(ctx); err != nil {
					return err
				}
			} else if _, err := tx.NewInsert().Model(st).Exec(ctx); err != nil {
				return err
			}
			// The statement's lines are this month's uses of the pair: a use that has left them (moved, cancelled)
			// no longer counts in its lines.
			if _, err := tx.NewRaw("UPDATE use_costs SET settlement_id = NULL WHERE settlement_id = ?", st.ID).Exec(ctx); err != nil {
				return err
			}
			for _, c := range cs {
				c.SettlementID = &st.ID
				if err := upsertCost(ctx, tx, c); err != nil {
					return err
				}
			}
			ids = append(ids, st.ID)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actGenerate, ObjectType: audit.Settlement, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("生成 %s 结算单：跨单位用车 %d 次，新增或更新结算单 %d 份", month, len(us), len(ids))})
	})
	if err != nil {
		return nil, err
	}
	out := []*Settlement{}
	for _, id := range ids {
		st, err := s.statement(ctx, s.DB.R, a, id)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

// Confirm records the caller's side's confirmation (the administrator of
// the lending or the borrowing party's own node); with both, the statement
// is confirmed. Confirming withdraws the side's own dispute.
func (s *Service) Confirm(ctx context.Context, a *access.Actor, id int64) (*Settlement, error) {
	return s.decide(ctx, a, id, "")
}

// Dispute records the caller's side's objection with its reason.
func (s *Service) Dispute(ctx context.Context, a *access.Actor, id int64, reason string) (*Settlement, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" {
		return nil, (&errs.Fields{"reason": "请填写异议的理由"}).Err()
	}
	if utf8.RuneCountInString(reason) > 200 {
		return nil, (&errs.Fields{"reason": "理由最多200字"}).Err()
	}
	return s.decide(ctx, a, id, reason)
}

func (s *Service) decide(ctx context.Context, a *access.Actor, id int64, dispute string) (*Settlement, error) {
	var out *Settlement
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		if _, err := tx.NewRaw("UPDATE settlements SET state = state WHERE id = ?", id).Exec(ctx); err != nil {
			return err
		}
		st, err := s.statement(ctx, tx, a, id)
		if err != nil {
			return err
		}
		sd := side(a, st)
		if sd == "" {
			return errs.E(errs.Forbidden, "只有借出方（%s）或借入方（%s）本级的管理员可以确认或提出异议", st.LenderName, st.BorrowerName)
		}
		if st.State == Confirmed {
			return errs.E(errs.Conflict, "%s %s与%s的结算单双方已确认，不能再更改", st.Month, st.LenderName, st.BorrowerName)
		}
		before := *st
		now := s.now()
		by := a.Name
		if sd == "lender" {
			st.LenderConfirmedBy, st.LenderConfirmedAt = by, &now
		} else {
			st.BorrowerConfirmedBy, st.BorrowerConfirmedAt = by, &now
		}
		action, summary := actConfirm, "确认"
		switch {
		case dispute != "":
			if sd == "lender" {
				st.LenderConfirmedBy, st.LenderConfirmedAt = "", nil
			} else {
				st.BorrowerConfirmedBy, st.BorrowerConfirmedAt = "", nil
			}
			st.State, st.DisputeSide, st.DisputeReason, st.DisputeBy = Disputed, sd, dispute, by
			action, summary = actDispute, "提出异议："+dispute
		case st.DisputeSide == sd || st.DisputeSide == "":
			st.DisputeSide, st.DisputeReason, st.DisputeBy = "", "", ""
			st.State = Pending
			if st.LenderConfirmedAt != nil && st.BorrowerConfirmedAt != nil {
				st.State = Confirmed
			}
		default:
			// the other side's dispute stands until it confirms
		}
		if _, err := tx.NewUpdate().Model(st).Column("state", "lender_confirmed_by", "lender_confirmed_at", "borrower_confirmed_by", "borrower_confirmed_at",
			"dispute_side", "dispute_reason", "dispute_by").WherePK().Exec(ctx); err != nil {
			return err
		}
		st.fill(a)
		out = st
		name := map[string]string{"lender": "借出方", "borrower": "借入方"}[sd]
		return audit.Record(ctx, tx, a, audit.Event{Action: action, ObjectType: audit.Settlement, ObjectID: st.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("%s %s 与 %s 结算单（内部费用 %s 元）：%s%s", st.Month, st.LenderName, st.BorrowerName, money.Yuan(st.InternalFen), name, summary),
			Before:  before, After: st})
	})
	return out, err
}

// StatementPDF is a statement as printed (issue 23 part 6, docs/printing.md): the parties and the
// month, every use with its time, km, internal cost, market price and saving, the totals, each side's
// confirmation and signature lines. The caller must see one side (as Statement); printing is audited.
func (s *Service) StatementPDF(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	st, err := s.Statement(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	ls, _, err := s.Lines(ctx, a, id, 0, 0)
	if err != nil {
		return nil, "", err
	}
	b, err := pdf.Bytes(StatementDoc(st, ls, s.now()))
	if err != nil {
		return nil, "", err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actPrint, ObjectType: audit.Settlement, ObjectID: st.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("打印 %s %s 与 %s 结算单（%d 次用车，内部费用 %s 元）", st.Month, st.LenderName, st.BorrowerName, st.Uses, money.Yuan(st.InternalFen))})
	})
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("统筹用车结算单-%s-%s-%s.pdf", st.Month, st.LenderName, st.BorrowerName), nil
}

// StatementDoc lays out a statement with its uses.
func StatementDoc(st *Settlement, lines []*UseCost, now time.Time) pdf.Doc {
	t := func(at time.Time) string { return at.In(beijing.Zone).Format("2006-01-02 15:04") }
	confirmed := func(by string, at *time.Time) string {
		if at == nil {
			return "未确认"
		}
		return by + "（" + t(*at) + "）"
	}
	tb := &pdf.Table{
		Columns: []string{"序号", "订单号", "借调单号", "车牌 / 车型", "用车时间", "计费时长", "里程（公里）", "内部费用（元）", "市场价（元）", "节约（元）"},
		Widths:  []float64{4, 13, 13, 14, 13, 9, 15, 11, 11, 10},
		Right:   []bool{false, false, false, false, false, false, true, true, true, true},
	}
	for i, l := range lines {
		loan := l.LoanNo
		if loan == "" {
			loan = "—"
		}
		tb.Rows = append(tb.Rows, []string{fmt.Sprint(i + 1), l.OrderNo, loan, l.Plate + " " + l.TypeName, t(l.PickupAt), l.DaysText,
			l.Km + "（" + l.KmSourceName + "）", money.Yuan(l.InternalFen), money.Yuan(l.MarketFen), money.Yuan(l.SavingFen)})
	}
	tb.Total = []string{"合计", fmt.Sprintf("%d 次", st.Uses), "", "", "", "", Km(st.KmM), money.Yuan(st.InternalFen), money.Yuan(st.MarketFen), money.Yuan(st.SavingFen)}
	doc := pdf.Doc{
		Title:  "公务用车跨单位使用结算单",
		Issuer: st.LenderName + " → " + st.BorrowerName,
		Number: "结算月份：" + st.Month,
		Fields: []pdf.Field{
			{Label: "借出方", Value: st.LenderName + "（车辆所属）"}, {Label: "借入方", Value: st.BorrowerName + "（用车）"},
			{Label: "用车次数", Value: fmt.Sprintf("%d 次", st.Uses)}, {Label: "里程", Value: Km(st.KmM) + " 公里"},
			{Label: "内部费用", Value: money.Yuan(st.InternalFen) + " 元"}, {Label: "市场价", Value: money.Yuan(st.MarketFen) + " 元"},
			{Label: "节约", Value: money.Yuan(st.SavingFen) + " 元"}, {Label: "状态", Value: st.StateName},
			{Label: "生成时间", Value: t(st.GeneratedAt), Wide: true},
		},
		Sections: []pdf.Section{{
			Heading: "用车明细",
			Table:   tb,
			Paragraphs: []string{"计费说明：用车时长按整天（24小时）计，余下不超过4小时计半天、超过4小时计一天；内部费用＝天数×日价＋半天数×半日价＋里程×每公里价，" +
				"里程取北斗轨迹里程（无轨迹时取里程表读数）；市场价按用车当日的租赁市场参考价；节约＝市场价－内部费用。"},
		}, {
			Heading: "双方确认",
			Fields: []pdf.Field{
				{Label: "借出方确认", Value: confirmed(st.LenderConfirmedBy, st.LenderConfirmedAt)},
				{Label: "借入方确认", Value: confirmed(st.BorrowerConfirmedBy, st.BorrowerConfirmedAt)},
			},
		}},
		Signature: []string{"借出方（" + st.LenderName + "）经办人", "借入方（" + st.BorrowerName + "）经办人"},
		Footer:    "打印时间 " + t(now),
		Landscape: true,
		At:        now,
	}
	if st.DisputeReason != "" {
		doc.Sections[1].Fields = append(doc.Sections[1].Fields, pdf.Field{Label: "异议", Value: st.DisputeName + "（" + st.DisputeBy + "）：" + st.DisputeReason, Wide: true})
	}
	return doc
}

// DaysText says a use's charged time on a statement: 1天 + 半天, 半天,
// 2天; "—" for none.
func DaysText(days, halfDays int) string {
	parts := dayParts(days, halfDays)
	if len(parts) == 0 {
		return "—"
	}
	return strings.Join(parts, " + ")
}

// dayParts is a charged time in words, whole days then the half day:
// [1天 半天]. DaysText (a statement's column) and Price.Note (a fee's
// note, 1天+半天) join them.
func dayParts(days, halfDays int) []string {
	var parts []string
	if days > 0 {
		parts = append(parts, fmt.Sprintf("%d天", days))
	}
	if halfDays > 0 {
		parts = append(parts, "半天")
	}
	return parts
}

// Km writes metres as kilometres with one decimal.
func Km(m int64) string { return fmt.Sprintf("%.1f", float64(m)/1000) }
