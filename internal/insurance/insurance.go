// Package insurance keeps the policies and accident claims the insurer
// pushes through its signed API or console: compulsory (交强险) and
// commercial (商业险) policies with period, premium and coverage; claims with
// time, place, damage, amount and status. Premiums are costs in the
// ledger; payouts are posted there as negative insurance entries, so a
// vehicle's insurance line is what insuring it cost net of what claims
// returned. Vehicle managers are reminded 30 days before a policy expires.
package insurance

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/ledger"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actInsuranceClaim  = audit.NewAction("insurance.claim", "推送理赔")
	actInsurancePolicy = audit.NewAction("insurance.policy", "推送保单")
)

func init() {
	store.RegisterUnique("insurance_policies", "policy_no", "policy_no", "保单号重复")
	store.RegisterUnique("insurance_claims", "claim_no", "claim_no", "理赔案号重复")
}

// Service keeps policies and claims.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Now    func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// RemindDays is how long before expiry the vehicle managers are reminded.
const RemindDays = 30

// Kinds of policy.
var Kinds = map[string]string{"compulsory": "交强险", "commercial": "商业险"}

// ClaimStatuses in their usual order.
var ClaimStatuses = []struct {
	Code string `json:"code"`
	Name string `json:"name"`
}{{"reported", "已报案"}, {"assessing", "定损中"}, {"approved", "已核赔"}, {"paid", "已赔付"}, {"rejected", "拒赔"}, {"closed", "已结案"}}

func statusName(c string) string {
	for _, s := range ClaimStatuses {
		if s.Code == c {
			return s.Name
		}
	}
	return ""
}

// Coverage is one insured item (险种) and its sum insured.
type Coverage struct {
	Name      string `json:"name" example:"机动车损失保险"`
	AmountFen int64  `json:"amount_fen"`
}

// Policy is an insurance policy of a vehicle.
type Policy struct {
	bun.BaseModel `bun:"table:insurance_policies,alias:p"`

	ID           int64      `bun:"id,pk,autoincrement" json:"id"`
	CompanyID    int64      `bun:"company_id" json:"company_id"`
	VehicleID    int64      `bun:"vehicle_id" json:"vehicle_id"`
	UnitID       int64      `bun:"unit_id" json:"unit_id"`
	PolicyNo     string     `bun:"policy_no" json:"policy_no"`
	Kind         string     `bun:"kind" json:"kind"`
	StartsOn     string     `bun:"starts_on" json:"starts_on"`
	EndsOn       string     `bun:"ends_on" json:"ends_on"`
	PremiumFen   int64      `bun:"premium_fen" json:"premium_fen"`
	CoverageJSON string     `bun:"coverage" json:"-"`
	Coverage     []Coverage `bun:"-" json:"coverage"`
	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at" json:"updated_at"`

	Plate       string `bun:"plate,scanonly" json:"plate"`
	UnitName    string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath    string `bun:"unit_path,scanonly" json:"-"`
	CompanyName string `bun:"company_name,scanonly" json:"company_name"`
	KindName    string `bun:"-" json:"kind_name"`
	DaysLeft    int    `bun:"-" json:"days_left"` // days until ends_on (negative: expired)
	State       string `bun:"-" json:"state"`     // future | active | expiring | expired
}

// Claim is an accident claim under a policy.
type Claim struct {
	bun.BaseModel `bun:"table:insurance_claims,alias:c"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	CompanyID  int64      `bun:"company_id" json:"company_id"`
	PolicyID   int64      `bun:"policy_id" json:"policy_id"`
	VehicleID  int64      `bun:"vehicle_id" json:"vehicle_id"`
	UnitID     int64      `bun:"unit_id" json:"unit_id"`
	ClaimNo    string     `bun:"claim_no" json:"claim_no"`
	OccurredAt time.Time  `bun:"occurred_at" json:"occurred_at"`
	Place      string     `bun:"place" json:"place"`
	Damage     string     `bun:"damage" json:"damage"`
	AmountFen  int64      `bun:"amount_fen" json:"amount_fen"`
	PaidFen    int64      `bun:"paid_fen" json:"paid_fen"`
	PaidAt     *time.Time `bun:"paid_at" json:"paid_at"`
	Status     string     `bun:"status" json:"status"`
	CreatedAt  time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt  time.Time  `bun:"updated_at" json:"updated_at"`

	PolicyNo   string `bun:"policy_no,scanonly" json:"policy_no"`
	Plate      string `bun:"plate,scanonly" json:"plate"`
	UnitName   string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath   string `bun:"unit_path,scanonly" json:"-"`
	StatusName string `bun:"-" json:"status_name"`
}

func (s *Service) today() string { return beijing.Date(s.now()) }

func daysBetween(from, to string) int {
	a, _ := time.Parse(time.DateOnly, from)
	b, _ := time.Parse(time.DateOnly, to)
	return int(b.Sub(a).Hours() / 24)
}

func (s *Service) completePolicy(p *Policy) {
	p.KindName = Kinds[p.Kind]
	p.Coverage = []Coverage{}
	_ = json.Unmarshal([]byte(p.CoverageJSON), &p.Coverage)
	today := s.today()
	p.DaysLeft = daysBetween(today, p.EndsOn)
	switch {
	case p.StartsOn > today:
		p.State = "future"
	case p.EndsOn < today:
		p.State = "expired"
	case p.DaysLeft <= RemindDays:
		p.State = "expiring"
	default:
		p.State = "active"
	}
}

// vehicle is what a push needs of the vehicle it names.
type vehicle struct {
	ID       int64  `bun:"id"`
	Plate    string `bun:"plate"`
	UnitID   int64  `bun:"unit_id"`
	UnitPath string `bun:"unit_path"`
}

// findVehicle resolves a plate or VIN to a vehicle covered by the actor.
func findVehicle(ctx context.Context, db bun.IDB, a *access.Actor, plate, vin string) (*vehicle, error) {
	q := db.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.plate, v.unit_id, n.path AS unit_path").Join("JOIN units AS n ON n.id = v.unit_id")
	plate, vin = check.NormalisePlate(plate), check.NormaliseVIN(vin)
	what := ""
	switch {
	case plate != "":
		q, what = q.Where("v.plate = ?", plate), "号牌「"+plate+"」"
	case vin != "":
		q, what = q.Where("v.vin = ?", vin), "车架号「"+vin+"」"
	default:
		return nil, (&errs.Fields{"plate": "请填写号牌号码或车架号（vin）"}).Err()
	}
	v := new(vehicle)
	if err := q.Scan(ctx, v); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return nil, (&errs.Fields{"plate": "平台中没有" + what + "的车辆"}).Err()
		}
		return nil, store.Translate(err)
	}
	if !a.Covers(v.UnitPath) {
		return nil, errs.E(errs.Forbidden, "车辆 %s 不在贵公司保险合同的服务范围内", v.Plate)
	}
	return v, nil
}

// PolicyInput is a policy as the insurer pushes it; pushing the same
// policy number again replaces the policy.
type PolicyInput struct {
	PolicyNo   string     `json:"policy_no"`
	Kind       string     `json:"kind"` // compulsory | commercial
	Plate      string     `json:"plate,omitempty"`
	VIN        string     `json:"vin,omitempty"`
	StartsOn   string     `json:"starts_on"` // YYYY-MM-DD
	EndsOn     string     `json:"ends_on"`   // YYYY-MM-DD, last day covered
	PremiumFen int64      `json:"premium_fen"`
	Coverage   []Coverage `json:"coverage"`
}

func (in *PolicyInput) validate() error {
	in.PolicyNo = strings.TrimSpace(in.PolicyNo)
	var f errs.Fields
	f.Check(in.PolicyNo == "" || len(in.PolicyNo) > 40, "policy_no", "请填写保单号（不超过40个字符）")
	f.Check(Kinds[in.Kind] == "", "kind", "险种须为 compulsory（交强险）或 commercial（商业险）")
	_, e1 := time.Parse(time.DateOnly, in.StartsOn)
	_, e2 := time.Parse(time.DateOnly, in.EndsOn)
	f.Check(e1 != nil, "starts_on", "起保日期格式应为 YYYY-MM-DD")
	f.Check(e2 != nil, "ends_on", "终保日期格式应为 YYYY-MM-DD")
	f.Check(e1 == nil && e2 == nil && in.EndsOn < in.StartsOn, "ends_on", "终保日期不能早于起保日期")
	f.Check(in.PremiumFen <= 0 || in.PremiumFen > 1e9, "premium_fen", "保费（分）须为正整数")
	if in.Kind == "commercial" && len(in.Coverage) == 0 {
		f.Add("coverage", "商业险须列明承保险种")
	}
	for i, c := range in.Coverage {
		if strings.TrimSpace(c.Name) == "" || c.AmountFen < 0 {
			f.Add("coverage", fmt.Sprintf("第%d项险种须有名称，保额（分）不能为负", i+1))
			break
		}
	}
	return f.Err()
}

func startOfDay(d string) time.Time {
	t, _ := beijing.ParseDate(d)
	return t.UTC()
}

// PushPolicy records or replaces a policy of a vehicle the insurer's
// contracts cover; the premium goes to the ledger in the month it starts.
func (s *Service) PushPolicy(ctx context.Context, a *access.Actor, in PolicyInput) (*Policy, error) {
	if a.CompanyID == 0 || a.CompanyKind != "insurer" {
		return nil, errs.E(errs.Forbidden, "只有保险公司可以推送保单")
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := findVehicle(ctx, tx, a, in.Plate, in.VIN)
		if err != nil {
			return err
		}
		cov, _ := json.Marshal(in.Coverage)
		if in.Coverage == nil {
			cov = []byte("[]")
		}
		now := s.now()
		p := &Policy{CompanyID: a.CompanyID, VehicleID: v.ID, UnitID: v.UnitID, PolicyNo: in.PolicyNo, Kind: in.Kind, StartsOn: in.StartsOn,
			EndsOn: in.EndsOn, PremiumFen: in.PremiumFen, CoverageJSON: string(cov), CreatedAt: now, UpdatedAt: now}
		var old Policy
		err = tx.NewSelect().Model(&old).Where("company_id = ? AND policy_no = ?", a.CompanyID, in.PolicyNo).Scan(ctx)
		verb := "推送"
		switch {
		case err == nil:
			p.ID, p.CreatedAt, verb = old.ID, old.CreatedAt, "更新"
			_, err = tx.NewUpdate().Model(p).WherePK().Exec(ctx)
		case errs.Is(store.Translate(err), errs.NotFound):
			_, err = tx.NewInsert().Model(p).Exec(ctx)
		}
		if err != nil {
			return err
		}
		if err := ledger.Post(ctx, tx, ledger.Entry{VehicleID: &v.ID, UnitID: v.UnitID, Kind: "insurance", AmountFen: p.PremiumFen,
			Source: "insurance_policy", SourceID: p.ID, OccurredAt: startOfDay(p.StartsOn), Note: Kinds[p.Kind] + " " + p.PolicyNo}); err != nil {
			return err
		}
		id = p.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actInsurancePolicy, ObjectType: audit.Vehicle, ObjectID: v.ID, ScopePath: v.UnitPath,
			Summary: fmt.Sprintf("%s %s 保单 %s（%s 至 %s，保费 %.2f 元）", verb, v.Plate, p.PolicyNo, p.StartsOn, p.EndsOn, float64(p.PremiumFen)/100), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.Policy(ctx, a, id)
}

// ClaimInput is a claim as the insurer pushes it; pushing the same claim
// number again updates it (status, amounts).
type ClaimInput struct {
	ClaimNo    string    `json:"claim_no"`
	PolicyNo   string    `json:"policy_no"`
	OccurredAt time.Time `json:"occurred_at"`
	Place      string    `json:"place"`
	Damage     string    `json:"damage" max:"500"`
	AmountFen  int64     `json:"amount_fen"`
	PaidFen    int64     `json:"paid_fen"`
	Status     string    `json:"status"` // reported | assessing | approved | paid | rejected | closed
}

func (in *ClaimInput) validate(now time.Time) error {
	in.ClaimNo, in.Place, in.Damage = strings.TrimSpace(in.ClaimNo), strings.TrimSpace(in.Place), strings.TrimSpace(in.Damage)
	var f errs.Fields
	f.Check(in.ClaimNo == "" || len(in.ClaimNo) > 40, "claim_no", "请填写理赔案号（不超过40个字符）")
	f.Check(strings.TrimSpace(in.PolicyNo) == "", "policy_no", "请填写保单号")
	f.Check(in.OccurredAt.IsZero() || in.OccurredAt.After(now.Add(time.Hour)), "occurred_at", "请填写出险时间（RFC 3339，不能晚于现在）")
	f.Check(in.Place == "" || utf8.RuneCountInString(in.Place) > 100, "place", "请填写出险地点（不超过100个字）")
	f.Check(in.Damage == "" || utf8.RuneCountInString(in.Damage) > 500, "damage", "请填写损失情况（不超过500个字）")
	f.Check(in.AmountFen < 0 || in.AmountFen > 1e10, "amount_fen", "损失金额（分）不能为负")
	f.Check(in.PaidFen < 0 || in.PaidFen > in.AmountFen, "paid_fen", "赔付金额（分）不能为负，也不能超过损失金额")
	f.Check(statusName(in.Status) == "", "status", "状态须为 reported、assessing、approved、paid、rejected 或 closed")
	f.Check(in.Status == "paid" && in.PaidFen == 0, "paid_fen", "已赔付的案件须填写赔付金额")
	f.Check(in.Status == "rejected" && in.PaidFen != 0, "paid_fen", "拒赔的案件赔付金额应为0")
	return f.Err()
}

// PushClaim records or updates a claim under one of the insurer's
// policies; a payout goes to the ledger as a negative insurance cost.
func (s *Service) PushClaim(ctx context.Context, a *access.Actor, in ClaimInput) (*Claim, error) {
	if a.CompanyID == 0 || a.CompanyKind != "insurer" {
		return nil, errs.E(errs.Forbidden, "只有保险公司可以推送理赔")
	}
	now := s.now()
	if err := in.validate(now); err != nil {
		return nil, err
	}
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		var p Policy
		err := tx.NewSelect().Model(&p).ColumnExpr("p.*").ColumnExpr("v.plate, n.path AS unit_path").
			Join("JOIN vehicles AS v ON v.id = p.vehicle_id").Join("JOIN units AS n ON n.id = v.unit_id").
			Where("p.company_id = ? AND p.policy_no = ?", a.CompanyID, strings.TrimSpace(in.PolicyNo)).Scan(ctx)
		if errs.Is(store.Translate(err), errs.NotFound) {
			return (&errs.Fields{"policy_no": "贵公司没有保单号为「" + in.PolicyNo + "」的保单，请先推送保单"}).Err()
		} else if err != nil {
			return err
		}
		if !a.Covers(p.UnitPath) {
			return errs.E(errs.Forbidden, "车辆 %s 不在贵公司保险合同的服务范围内", p.Plate)
		}
		c := &Claim{CompanyID: a.CompanyID, PolicyID: p.ID, VehicleID: p.VehicleID, UnitID: p.UnitID, ClaimNo: in.ClaimNo, OccurredAt: in.OccurredAt.UTC(),
			Place: in.Place, Damage: in.Damage, AmountFen: in.AmountFen, PaidFen: in.PaidFen, Status: in.Status, CreatedAt: now, UpdatedAt: now}
		var old Claim
		err = tx.NewSelect().Model(&old).Where("company_id = ? AND claim_no = ?", a.CompanyID, in.ClaimNo).Scan(ctx)
		verb := "报案"
		switch {
		case err == nil:
			if old.PolicyID != p.ID {
				return (&errs.Fields{"policy_no": fmt.Sprintf("理赔案 %s 属于另一张保单，不能改挂", in.ClaimNo)}).Err()
			}
			c.ID, c.CreatedAt, c.PaidAt, verb = old.ID, old.CreatedAt, old.PaidAt, "更新"
			if c.PaidFen > 0 && c.PaidAt == nil {
				c.PaidAt = &now
			}
			_, err = tx.NewUpdate().Model(c).WherePK().Exec(ctx)
		case errs.Is(store.Translate(err), errs.NotFound):
			if c.PaidFen > 0 {
				c.PaidAt = &now
			}
			_, err = tx.NewInsert().Model(c).Exec(ctx)
		}
		if err != nil {
			return err
		}
		paidAt := now
		if c.PaidAt != nil {
			paidAt = *c.PaidAt
		}
		if err := ledger.Post(ctx, tx, ledger.Entry{VehicleID: &c.VehicleID, UnitID: c.UnitID, Kind: "insurance", AmountFen: -c.PaidFen,
			Source: "insurance_claim", SourceID: c.ID, OccurredAt: paidAt, Note: "理赔款冲减 " + c.ClaimNo}); err != nil {
			return err
		}
		id = c.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actInsuranceClaim, ObjectType: audit.Vehicle, ObjectID: c.VehicleID, ScopePath: p.UnitPath,
			Summary: fmt.Sprintf("%s %s 理赔案 %s：%s，损失 %.2f 元，赔付 %.2f 元", verb, p.Plate, c.ClaimNo, statusName(c.Status),
				float64(c.AmountFen)/100, float64(c.PaidFen)/100), After: in})
	})
	if err != nil {
		return nil, err
	}
	return s.Claim(ctx, a, id)
}

// Filter selects policies or claims.
type Filter struct {
	UnitID    int64  // subtree of this node
	VehicleID int64  //
	State     string // policies: active | expiring | expired
	Q         string // plate, policy or claim number
	Page      int
	Size      int
}

// scope limits q (with units aliased n) to what the actor sees: its
// subtree or contracts, and for the insurer its own records.
func scope(ctx context.Context, db bun.IDB, q *bun.SelectQuery, a *access.Actor, alias string, f Filter) (*bun.SelectQuery, error) {
	q = q.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		for _, p := range a.ScopePaths() {
			q = q.WhereOr("n.path LIKE ?", p+"%")
		}
		return q.WhereOr("1 = 0")
	})
	if a.CompanyID != 0 {
		q = q.Where(alias+".company_id = ?", a.CompanyID)
	}
	if f.UnitID != 0 {
		var path string
		if err := db.NewSelect().Table("units").Column("path").Where("id = ?", f.UnitID).Scan(ctx, &path); err != nil {
			return nil, store.Translate(err)
		}
		if !a.Covers(path) && !slices.ContainsFunc(a.ScopePaths(), func(p string) bool { return strings.HasPrefix(p, path) }) {
			return nil, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		q = q.Where("n.path LIKE ?", path+"%")
	}
	if f.VehicleID != 0 {
		q = q.Where(alias+".vehicle_id = ?", f.VehicleID)
	}
	return q, nil
}

func (s *Service) selectPolicies() *bun.SelectQuery {
	return s.DB.R.NewSelect().Model((*Policy)(nil)).ColumnExpr("p.*").
		ColumnExpr("v.plate, n.name AS unit_name, n.path AS unit_path, co.name AS company_name").
		Join("JOIN vehicles AS v ON v.id = p.vehicle_id").Join("JOIN units AS n ON n.id = p.unit_id").
		Join("JOIN companies AS co ON co.id = p.company_id")
}

// Policies lists the policies in the actor's scope, soonest expiry first.
func (s *Service) Policies(ctx context.Context, a *access.Actor, f Filter) ([]*Policy, int, error) {
	q, err := scope(ctx, s.DB.R, s.selectPolicies(), a, "p", f)
	if err != nil {
		return nil, 0, err
	}
	today := s.today()
	soon := beijing.Date(s.now().AddDate(0, 0, RemindDays))
	switch f.State {
	case "":
	case "active":
		q = q.Where("p.starts_on <= ? AND p.ends_on >= ?", today, today)
	case "expiring":
		q = q.Where("p.ends_on >= ? AND p.ends_on <= ?", today, soon).
			Where("NOT EXISTS (SELECT 1 FROM insurance_policies AS r WHERE r.vehicle_id = p.vehicle_id AND r.kind = p.kind AND r.ends_on > p.ends_on)")
	case "expired":
		q = q.Where("p.ends_on < ?", today)
	default:
		return nil, 0, (&errs.Fields{"state": "状态取值无效"}).Err()
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(v.plate LIKE ? OR p.policy_no LIKE ?)", like, like)
	}
	out := []*Policy{}
	n, err := q.OrderExpr("p.ends_on, p.id").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, p := range out {
		s.completePolicy(p)
	}
	return out, n, nil
}

// Policy returns one policy in the actor's scope.
func (s *Service) Policy(ctx context.Context, a *access.Actor, id int64) (*Policy, error) {
	p := new(Policy)
	if err := s.selectPolicies().Where("p.id = ?", id).Scan(ctx, p); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "保单不存在或已删除"))
	}
	if !a.Covers(p.UnitPath) || a.CompanyID != 0 && a.CompanyID != p.CompanyID {
		return nil, errs.E(errs.Forbidden, "该保单不在您的管辖范围内")
	}
	s.completePolicy(p)
	return p, nil
}

func (s *Service) selectClaims() *bun.SelectQuery {
	return s.DB.R.NewSelect().Model((*Claim)(nil)).ColumnExpr("c.*").
		ColumnExpr("p.policy_no, v.plate, n.name AS unit_name, n.path AS unit_path").
		Join("JOIN insurance_policies AS p ON p.id = c.policy_id").
		Join("JOIN vehicles AS v ON v.id = c.vehicle_id").Join("JOIN units AS n ON n.id = c.unit_id")
}

// Claims lists the claims in the actor's scope, newest first.
func (s *Service) Claims(ctx context.Context, a *access.Actor, f Filter) ([]*Claim, int, error) {
	q, err := scope(ctx, s.DB.R, s.selectClaims(), a, "c", f)
	if err != nil {
		return nil, 0, err
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(v.plate LIKE ? OR c.claim_no LIKE ? OR p.policy_no LIKE ?)", like, like, like)
	}
	out := []*Claim{}
	n, err := q.OrderExpr("c.occurred_at DESC, c.id DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, c := range out {
		c.StatusName = statusName(c.Status)
	}
	return out, n, nil
}

// Claim returns one claim in the actor's scope.
func (s *Service) Claim(ctx context.Context, a *access.Actor, id int64) (*Claim, error) {
	c := new(Claim)
	if err := s.selectClaims().Where("c.id = ?", id).Scan(ctx, c); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "理赔案不存在或已删除"))
	}
	if !a.Covers(c.UnitPath) || a.CompanyID != 0 && a.CompanyID != c.CompanyID {
		return nil, errs.E(errs.Forbidden, "该理赔案不在您的管辖范围内")
	}
	c.StatusName = statusName(c.Status)
	return c, nil
}

// RemindExpiring reminds the vehicle managers over each vehicle whose
// policy ends within RemindDays and has no later policy of its kind, once
// per policy and end date (in-app and SMS). It returns how many policies
// it reminded of.
func (s *Service) RemindExpiring(ctx context.Context) (int, error) {
	today := s.today()
	soon := beijing.Date(s.now().AddDate(0, 0, RemindDays))
	var due []*Policy
	err := s.DB.R.NewSelect().Model(&due).ColumnExpr("p.*").ColumnExpr("v.plate, n.name AS unit_name, n.path AS unit_path").
		Join("JOIN vehicles AS v ON v.id = p.vehicle_id").Join("JOIN units AS n ON n.id = p.unit_id").
		Where("p.ends_on >= ? AND p.ends_on <= ?", today, soon).
		Where("NOT EXISTS (SELECT 1 FROM insurance_policies AS r WHERE r.vehicle_id = p.vehicle_id AND r.kind = p.kind AND r.ends_on > p.ends_on)").
		Where("NOT EXISTS (SELECT 1 FROM lifecycle_reminders AS m WHERE m.kind = 'policy' AND m.object_id = p.id AND m.due_on = p.ends_on)").
		OrderExpr("p.id").Scan(ctx)
	if err != nil {
		return 0, store.Translate(err)
	}
	sent := 0
	for _, p := range due {
		res, err := s.DB.W.NewRaw("INSERT INTO lifecycle_reminders (kind, object_id, due_on, sent_at) VALUES ('policy', ?, ?, ?) ON CONFLICT DO NOTHING",
			p.ID, p.EndsOn, s.now()).Exec(ctx)
		if err != nil {
			return sent, store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			continue // another process reminded first
		}
		users, err := notify.Recipients(ctx, s.DB.R, access.VehicleManager, p.UnitPath)
		if err != nil {
			return sent, store.Translate(err)
		}
		s.Notify.Send(ctx, notify.Message{Users: users, Kind: "insurance", Title: "保险即将到期",
			Body: fmt.Sprintf("%s（%s）的%s（保单号 %s）将于 %s 到期，请及时续保", p.Plate, p.UnitName, Kinds[p.Kind], p.PolicyNo, p.EndsOn),
			Link: fmt.Sprintf("/insurance/policies?vehicle_id=%d", p.VehicleID), SMS: true})
		sent++
	}
	return sent, nil
}
