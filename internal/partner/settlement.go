package partner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/money"
	"govfleet/internal/notify"
	"govfleet/internal/pdf"
	"govfleet/internal/savings"
	"govfleet/internal/sheet"
	"govfleet/internal/store"
)

var actPrint = audit.NewAction("partner.print", "打印异地用车结算单")

// Settlement is a month's statement with one partner: In what it owes us
// (its officials in our vehicles), Out what we owe it.
type Settlement struct {
	bun.BaseModel `bun:"table:partner_settlements"`

	ID                 int64      `bun:"id,pk,autoincrement" json:"id"`
	PartnerID          int64      `bun:"partner_id" json:"partner_id"`
	Month              string     `bun:"month" json:"month"`
	InCount            int        `bun:"in_count" json:"in_count"`
	InFen              int64      `bun:"in_fen" json:"in_fen"`
	OutCount           int        `bun:"out_count" json:"out_count"`
	OutFen             int64      `bun:"out_fen" json:"out_fen"`
	MarketFen          int64      `bun:"market_fen" json:"market_fen"` // what the inbound trips priced at the market reference prices would have cost (savings.PriceUse)
	SavingFen          int64      `bun:"saving_fen" json:"saving_fen"` // the sum of their savings (market − fee, each trip with a market price)
	ConfirmedAt        *time.Time `bun:"confirmed_at" json:"confirmed_at"`
	ConfirmedByName    string     `bun:"confirmed_by_name" json:"confirmed_by_name"`
	PartnerConfirmedAt *time.Time `bun:"partner_confirmed_at" json:"partner_confirmed_at"`
	PartnerInFen       *int64     `bun:"partner_in_fen" json:"partner_in_fen"`
	PartnerOutFen      *int64     `bun:"partner_out_fen" json:"partner_out_fen"`
	CreatedAt          time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt          time.Time  `bun:"updated_at" json:"updated_at"`

	PartnerName string  `bun:"partner_name,scanonly" json:"partner_name"`
	StateName   string  `bun:"-" json:"state_name"`
	Lines       []*Link `bun:"-" json:"lines,omitempty"`
}

func (st *Settlement) fill() {
	switch {
	case st.ConfirmedAt != nil && st.PartnerConfirmedAt != nil:
		st.StateName = "双方已确认"
	case st.ConfirmedAt != nil:
		st.StateName = "本方已确认，待对方确认"
	case st.PartnerConfirmedAt != nil:
		st.StateName = "对方已确认，待本方确认"
	default:
		st.StateName = "待确认"
	}
}

func selectSettlements(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Settlement)(nil)).ModelTableExpr("partner_settlements AS st").ColumnExpr("st.*, p.name AS partner_name").
		Join("JOIN partners AS p ON p.id = st.partner_id")
}

// needParty refuses a caller who is not a party to the partner statements: they are
// between the city and its partner cities, so only callers of the city's level (its
// platform administrators, and its supervisors) read them — a district's are not parties.
func needParty(a *access.Actor) error {
	if a == nil || a.ScopeKind != "city" {
		return errs.E(errs.Forbidden, "异地用车结算单是本市与合作城市之间的结算，只有市级平台管理员和市级监督人员可以查看")
	}
	return nil
}

// monthLinks are a partner's charged bookings of a month (by the time of the fee):
// the lines of its statement, whether shown, exported or printed.
func monthLinks(ctx context.Context, db bun.IDB, partnerID int64, month string) ([]*Link, error) {
	m, err := beijing.ParseMonth(month)
	if err != nil {
		return nil, (&errs.Fields{"month": "月份格式应为 2026-01"}).Err()
	}
	out := []*Link{}
	err = selectLinks(db).Where("b.partner_id = ? AND b.fee_fen IS NOT NULL AND b.fee_at >= ? AND b.fee_at < ?", partnerID, m.UTC(), m.AddDate(0, 1, 0).UTC()).
		OrderExpr("b.direction, b.fee_at, b.id").Scan(ctx, &out)
	for _, l := range out {
		l.fill()
	}
	return out, store.Translate(err)
}

// compute (re)computes a statement inside tx unless already confirmed by us.
func (s *Service) compute(ctx context.Context, tx bun.Tx, partnerID int64, month string) (*Settlement, error) {
	lines, err := monthLinks(ctx, tx, partnerID, month)
	if err != nil {
		return nil, err
	}
	st := new(Settlement)
	err = tx.NewSelect().Model(st).Where("partner_id = ? AND month = ?", partnerID, month).Scan(ctx)
	if err != nil && !errs.Is(store.Translate(err), errs.NotFound) {
		return nil, err
	}
	if st.ConfirmedAt != nil {
		return st, nil
	}
	st.PartnerID, st.Month = partnerID, month
	in, out := Tally(lines, "in"), Tally(lines, "out")
	st.InCount, st.InFen, st.MarketFen, st.SavingFen = in.Count, in.Fen, in.MarketFen, in.SavingFen
	st.OutCount, st.OutFen = out.Count, out.Fen
	now := s.now()
	st.UpdatedAt = now
	if st.ID == 0 {
		st.CreatedAt = now
		_, err = tx.NewInsert().Model(st).Exec(ctx)
	} else {
		_, err = tx.NewUpdate().Model(st).Column("in_count", "in_fen", "out_count", "out_fen", "market_fen", "saving_fen", "updated_at").WherePK().Exec(ctx)
	}
	return st, err
}

// Generate computes a partner's statement of a month (the city's platform
// administrator); a statement we confirmed is kept as confirmed.
func (s *Service) Generate(ctx context.Context, a *access.Actor, partnerID int64, month string) (*Settlement, error) {
	if err := needCity(a); err != nil {
		return nil, err
	}
	if _, err := beijing.ParseMonth(month); err != nil {
		return nil, (&errs.Fields{"month": "月份格式应为 2026-01"}).Err()
	}
	if month >= beijing.Month(s.now()) {
		return nil, (&errs.Fields{"month": "只能为已结束的月份生成结算单"}).Err()
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		p, err := s.get(ctx, tx, partnerID)
		if err != nil {
			return err
		}
		st, err := s.compute(ctx, tx, partnerID, month)
		if err != nil {
			return err
		}
		id = st.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actSettle, ObjectType: audit.PartnerSettlement, ObjectID: st.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("生成与「%s」%s的结算单：对方应付 %s 元（%d单），本方应付 %s 元（%d单）", p.Name, month, money.Yuan(st.InFen), st.InCount, money.Yuan(st.OutFen), st.OutCount)})
	})
	if err != nil {
		return nil, err
	}
	return s.Settlement(ctx, a, id)
}

// Tally totals the lines of one direction ("in": the partner's officials in our vehicles,
// "out": ours in its vehicles) as the statement counts them: every fee, and the market
// price and saving of the trips that have one — the statement's totals, its printed
// totals and the totals over its lines on screen.
func Tally(lines []*Link, dir string) savings.Sum {
	var t savings.Sum
	for _, l := range lines {
		if l.Direction != dir {
			continue
		}
		t.Count++
		t.KmM += l.DistanceM
		if l.FeeFen != nil {
			t.Fen += *l.FeeFen
		}
		if l.MarketFen != nil && l.SavingFen != nil {
			t.MarketFen += *l.MarketFen
			t.SavingFen += *l.SavingFen
		}
	}
	t.Km = savings.Km(t.KmM)
	return t
}

// Settlements lists statements, newest month first (callers of the city's level).
func (s *Service) Settlements(ctx context.Context, a *access.Actor, partnerID int64, month string, page, size int) ([]*Settlement, int, error) {
	if err := needParty(a); err != nil {
		return nil, 0, err
	}
	q := selectSettlements(s.DB.R)
	if partnerID != 0 {
		q = q.Where("st.partner_id = ?", partnerID)
	}
	if month != "" {
		q = q.Where("st.month = ?", month)
	}
	out := []*Settlement{}
	n, err := q.OrderExpr("st.month DESC, p.name").Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &out)
	for _, st := range out {
		st.fill()
	}
	return out, n, store.Translate(err)
}

// Settlement returns a statement with its lines (callers of the city's level).
func (s *Service) Settlement(ctx context.Context, a *access.Actor, id int64) (*Settlement, error) {
	if err := needParty(a); err != nil {
		return nil, err
	}
	st := new(Settlement)
	if err := selectSettlements(s.DB.R).Where("st.id = ?", id).Scan(ctx, st); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "结算单不存在"))
	}
	st.fill()
	var err error
	st.Lines, err = monthLinks(ctx, s.DB.R, st.PartnerID, st.Month)
	return st, err
}

// Lines are one page (size 0: all) of a statement's lines of one direction, with their
// totals over every page: the lines the statement's sheet and its print show, for a party
// to see what it confirms.
func (s *Service) Lines(ctx context.Context, a *access.Actor, id int64, dir string, page, size int) ([]*Link, int, savings.Sum, error) {
	if dir != "in" && dir != "out" {
		return nil, 0, savings.Sum{}, (&errs.Fields{"direction": "请选择方向：对方应付（来单）或本方应付（外出）"}).Err()
	}
	st, err := s.Settlement(ctx, a, id)
	if err != nil {
		return nil, 0, savings.Sum{}, err
	}
	out := []*Link{}
	for _, l := range st.Lines {
		if l.Direction == dir {
			out = append(out, l)
		}
	}
	n := len(out)
	if size > 0 {
		from := min((max(page, 1)-1)*size, n)
		out = out[from:min(from+size, n)]
	}
	return out, n, Tally(st.Lines, dir), nil
}

// Confirm confirms our side of a statement and tells the partner, who
// checks the figures against its own.
func (s *Service) Confirm(ctx context.Context, a *access.Actor, id int64) (*Settlement, error) {
	if err := needCity(a); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		st := new(Settlement)
		if err := tx.NewSelect().Model(st).Where("id = ?", id).Scan(ctx); err != nil {
			return store.NotFoundAs(err, errs.E(errs.NotFound, "结算单不存在"))
		}
		p, err := s.get(ctx, tx, st.PartnerID)
		if err != nil {
			return err
		}
		if st.ConfirmedAt != nil {
			return errs.E(errs.Conflict, "与「%s」%s的结算单已由%s确认", p.Name, st.Month, st.ConfirmedByName)
		}
		if st, err = s.compute(ctx, tx, st.PartnerID, st.Month); err != nil {
			return err
		}
		if st.PartnerConfirmedAt != nil && (*st.PartnerInFen != st.OutFen || *st.PartnerOutFen != st.InFen) {
			return errs.E(errs.Conflict, "与「%s」%s的结算金额不一致：对方确认其应收 %s 元、应付 %s 元，本方计算应付 %s 元、应收 %s 元，请核对后重新生成",
				p.Name, st.Month, money.Yuan(*st.PartnerInFen), money.Yuan(*st.PartnerOutFen), money.Yuan(st.OutFen), money.Yuan(st.InFen))
		}
		now := s.now()
		st.ConfirmedAt, st.ConfirmedByName = &now, a.Name
		if _, err := tx.NewUpdate().Model(st).Column("confirmed_at", "confirmed_by_name").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, p.ID, 0, Message{Kind: "settlement.confirm", Ref: "settlement-" + st.Month, Settlement: &SettlementMsg{
			Month: st.Month, InCount: st.InCount, InFen: st.InFen, OutCount: st.OutCount, OutFen: st.OutFen, By: a.Name}}); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actConfirm, ObjectType: audit.PartnerSettlement, ObjectID: st.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("确认与「%s」%s的结算单：对方应付 %s 元，本方应付 %s 元", p.Name, st.Month, money.Yuan(st.InFen), money.Yuan(st.OutFen))})
	})
	if err != nil {
		return nil, err
	}
	return s.Settlement(ctx, a, id)
}

// applySettlement records the partner's confirmation; figures that do not
// match ours are refused.
func (s *Service) applySettlement(ctx context.Context, tx bun.Tx, p *Partner, m *Message) ([]notify.Message, string, error) {
	sm := m.Settlement
	if sm == nil {
		return nil, "", errs.E(errs.Invalid, "结算确认须带 settlement")
	}
	if _, err := beijing.ParseMonth(sm.Month); err != nil {
		return nil, "", errs.E(errs.Invalid, "月份格式应为 2026-01")
	}
	st, err := s.compute(ctx, tx, p.ID, sm.Month)
	if err != nil {
		return nil, "", err
	}
	if sm.InFen != st.OutFen || sm.OutFen != st.InFen {
		return nil, "", errs.E(errs.Conflict, "%s结算金额不一致：贵方应收 %s 元、应付 %s 元，本平台计算应付 %s 元、应收 %s 元",
			sm.Month, money.Yuan(sm.InFen), money.Yuan(sm.OutFen), money.Yuan(st.OutFen), money.Yuan(st.InFen))
	}
	now := s.now()
	st.PartnerConfirmedAt, st.PartnerInFen, st.PartnerOutFen = &now, &sm.InFen, &sm.OutFen
	if _, err := tx.NewUpdate().Model(st).Column("partner_confirmed_at", "partner_in_fen", "partner_out_fen").WherePK().Exec(ctx); err != nil {
		return nil, "", err
	}
	_, cityPath, err := cityNode(ctx, tx)
	if err != nil {
		return nil, "", err
	}
	admins, err := notify.Recipients(ctx, tx, access.PlatformAdmin, cityPath)
	if err != nil {
		return nil, "", err
	}
	var city []int64
	for _, id := range admins { // the city's own administrators, not the districts'
		var scope string
		if tx.NewSelect().TableExpr("users AS us").ColumnExpr("un.path").Join("JOIN units AS un ON un.id = us.scope_id").Where("us.id = ?", id).Scan(ctx, &scope) == nil && scope == cityPath {
			city = append(city, id)
		}
	}
	return []notify.Message{{Users: city, Kind: "partner", Title: p.Name + "已确认" + sm.Month + "结算单", Body: "确认人：" + clip(sm.By, 50),
		Link: fmt.Sprintf("/partner/settlements?id=%d", st.ID)}}, sm.Month + "结算确认", nil
}

// SettlementXLSX is a statement as a workbook: the totals, then every trip.
func (s *Service) SettlementXLSX(ctx context.Context, a *access.Actor, id int64) (string, []byte, error) {
	st, err := s.Settlement(ctx, a, id)
	if err != nil {
		return "", nil, err
	}
	cols := []sheet.Column{{Title: "方向"}, {Title: "编号"}, {Title: "订单号"}, {Title: "用车人"}, {Title: "事由"}, {Title: "报到时间"},
		{Title: "车牌号"}, {Title: "车型"}, {Title: "驾驶员"}, {Title: "里程（公里）"}, {Title: "费用（元）"}, {Title: "市场价（元）"}, {Title: "节约（元）"}, {Title: "计费说明"}}
	rows := [][]any{}
	for _, l := range st.Lines {
		dir := "对方人员用本市车辆（对方应付）"
		if l.Direction == "out" {
			dir = "本市人员用对方车辆（本方应付）"
		}
		rows = append(rows, []any{dir, l.Ref, l.OrderNo, l.Applicant, l.Reason, l.PickupAt, l.Plate, TypeName(l.VehicleType), l.DriverName,
			savings.Km(l.DistanceM), sheet.Money(*l.FeeFen), moneyOrDash(l.MarketFen), moneyOrDash(l.SavingFen), l.FeeNote})
	}
	confirmed := func(t *time.Time, by string) string {
		if t == nil {
			return "未确认"
		}
		return strings.TrimSpace(t.In(beijing.Zone).Format("2006-01-02 15:04") + " " + by)
	}
	notes := []string{
		fmt.Sprintf("对方应付：%s 元（%d单）；本方应付：%s 元（%d单）；轧差：%s 元", money.Yuan(st.InFen), st.InCount, money.Yuan(st.OutFen), st.OutCount, money.Yuan(st.InFen-st.OutFen)),
		fmt.Sprintf("本方确认：%s；对方确认：%s", confirmed(st.ConfirmedAt, st.ConfirmedByName), confirmed(st.PartnerConfirmedAt, "")),
	}
	if st.MarketFen > 0 {
		notes = append(notes, fmt.Sprintf("对方人员用本市车辆按租赁市场参考价计 %s 元，节约 %s 元", money.Yuan(st.MarketFen), money.Yuan(st.SavingFen)))
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: st.PartnerName + st.Month, Columns: cols, Rows: rows, Notes: notes})
	return fmt.Sprintf("异地用车结算单-%s-%s.xlsx", st.PartnerName, st.Month), b, err
}

// moneyOrDash is an amount for a sheet, "—" for none (an outbound trip, or
// no market reference price that day).
func moneyOrDash(fen *int64) any {
	if fen == nil {
		return "—"
	}
	return sheet.Money(*fen)
}

// SettlementPDF is a statement as printed (issue 23 part 6, docs/printing.md): the totals both ways,
// every trip with its charge, km, fee, market price and saving, both sides' confirmations and
// signature lines. Printing is audited.
func (s *Service) SettlementPDF(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error) {
	st, err := s.Settlement(ctx, a, id)
	if err != nil {
		return nil, "", err
	}
	b, err := pdf.Bytes(SettlementDoc(st, s.now()))
	if err != nil {
		return nil, "", err
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actPrint, ObjectType: audit.PartnerSettlement, ObjectID: st.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("打印与「%s」%s的结算单：对方应付 %s 元，本方应付 %s 元", st.PartnerName, st.Month, money.Yuan(st.InFen), money.Yuan(st.OutFen))})
	})
	if err != nil {
		return nil, "", err
	}
	return b, fmt.Sprintf("异地用车结算单-%s-%s.pdf", st.PartnerName, st.Month), nil
}

// SettlementDoc lays out a statement with its lines: the trips of the partner's officials in our
// vehicles (what it owes), then ours in its vehicles (what we owe).
func SettlementDoc(st *Settlement, now time.Time) pdf.Doc {
	t := func(at time.Time) string { return at.In(beijing.Zone).Format("2006-01-02 15:04") }
	confirmed := func(at *time.Time, by string) string {
		if at == nil {
			return "未确认"
		}
		return strings.TrimSpace(by + "（" + t(*at) + "）")
	}
	table := func(dir string) *pdf.Table {
		tb := &pdf.Table{
			Columns: []string{"序号", "订单号", "用车人", "报到时间", "车牌", "驾驶员", "计费说明", "里程（公里）", "费用（元）", "市场价（元）", "节约（元）"},
			Widths:  []float64{6, 17, 9, 16, 11, 9, 26, 13, 11, 12, 10},
			Right:   []bool{false, false, false, false, false, false, false, true, true, true, true},
		}
		for _, l := range st.Lines {
			if l.Direction != dir {
				continue
			}
			f := int64(0)
			if l.FeeFen != nil {
				f = *l.FeeFen
			}
			mk, sv := "—", "—"
			if l.MarketFen != nil && l.SavingFen != nil { // as Tally counts them
				mk, sv = money.Yuan(*l.MarketFen), money.Yuan(*l.SavingFen)
			}
			tb.Rows = append(tb.Rows, []string{fmt.Sprint(len(tb.Rows) + 1), l.OrderNo, l.Applicant, t(l.PickupAt), l.Plate,
				l.DriverName, l.FeeNote, savings.Km(l.DistanceM), money.Yuan(f), mk, sv})
		}
		sum := Tally(st.Lines, dir)
		mk, sv := "—", "—"
		if sum.MarketFen > 0 {
			mk, sv = money.Yuan(sum.MarketFen), money.Yuan(sum.SavingFen)
		}
		tb.Total = []string{"合计", fmt.Sprintf("%d 单", sum.Count), "", "", "", "", "", sum.Km, money.Yuan(sum.Fen), mk, sv}
		return tb
	}
	totals := []pdf.Field{
		{Label: "合作城市", Value: st.PartnerName}, {Label: "状态", Value: st.StateName},
		{Label: "对方应付", Value: fmt.Sprintf("%s 元（%d 单）", money.Yuan(st.InFen), st.InCount)},
		{Label: "本方应付", Value: fmt.Sprintf("%s 元（%d 单）", money.Yuan(st.OutFen), st.OutCount)},
		{Label: "轧差", Value: money.Yuan(st.InFen-st.OutFen) + " 元（对方应付减本方应付）", Wide: true},
	}
	if st.MarketFen > 0 {
		totals = append(totals, pdf.Field{Label: "市场价折算", Value: fmt.Sprintf("%s 元，节约 %s 元（对方人员用车按本地租车市场价）", money.Yuan(st.MarketFen), money.Yuan(st.SavingFen)), Wide: true})
	}
	return pdf.Doc{
		Title:  "公务用车异地有偿使用结算单",
		Issuer: "合作城市：" + st.PartnerName,
		Number: "结算月份：" + st.Month,
		Fields: totals,
		Sections: []pdf.Section{
			{Heading: "对方人员使用本市车辆（对方应付）", Table: table("in")},
			{Heading: "本市人员使用对方车辆（本方应付）", Table: table("out")},
			{Heading: "双方确认", Fields: []pdf.Field{
				{Label: "本方确认", Value: confirmed(st.ConfirmedAt, st.ConfirmedByName)},
				{Label: "对方确认", Value: confirmed(st.PartnerConfirmedAt, "")},
			}},
		},
		Signature: []string{"本方经办人", "对方（" + st.PartnerName + "）经办人"},
		Footer:    "打印时间 " + t(now),
		Landscape: true,
		At:        now,
	}
}
