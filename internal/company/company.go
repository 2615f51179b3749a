// Package company is the register of outside organisations (issue 6 part
// 1): designated repair shops, the fuel company, the insurer, the
// inspection company and rental companies, the contracts that say which
// nodes of the hierarchy each serves, and their accounts. The platform
// administrator of the contracting level keeps them; every change is
// audited.
package company

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/org"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actCompanyCreate  = audit.NewAction("company.create", "登记合作企业")
	actCompanyUpdate  = audit.NewAction("company.update", "修改合作企业")
	actContractCreate = audit.NewAction("contract.create", "新增企业合同")
	actContractUpdate = audit.NewAction("contract.update", "修改企业合同")
)

func init() {
	store.RegisterUnique("companies", "name", "name", "该企业名称已登记")
	store.RegisterUnique("companies", "credit_code", "credit_code", "该统一社会信用代码已登记")
}

// Service keeps the companies, their contracts and accounts.
type Service struct {
	DB   *store.DB
	Org  *org.Service
	Auth *auth.Service
	Now  func() time.Time // for tests; time.Now when nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Company is an outside organisation.
type Company struct {
	bun.BaseModel `bun:"table:companies,alias:c"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	Name        string    `bun:"name" json:"name"`
	Kind        string    `bun:"kind" json:"kind"`
	CreditCode  string    `bun:"credit_code" json:"credit_code"`
	Contact     string    `bun:"contact" json:"contact"`
	Phone       string    `bun:"phone" json:"phone"`
	OwnerUnitID int64     `bun:"owner_unit_id" json:"owner_unit_id"`
	Active      bool      `bun:"active" json:"active"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`

	OwnerName string      `bun:"owner_name,scanonly" json:"owner_name"`
	OwnerPath string      `bun:"owner_path,scanonly" json:"-"`
	KindName  string      `bun:"-" json:"kind_name"`
	Contracts []*Contract `bun:"-" json:"contracts"`
}

func (c *Company) auditView() map[string]any {
	return map[string]any{"id": c.ID, "name": c.Name, "kind": c.Kind, "credit_code": c.CreditCode, "contact": c.Contact,
		"phone": c.Phone, "owner_unit_id": c.OwnerUnitID, "active": c.Active}
}

// Contract says a company serves a node and its subtree for a period.
type Contract struct {
	bun.BaseModel `bun:"table:company_contracts,alias:k"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	CompanyID int64     `bun:"company_id" json:"company_id"`
	UnitID    int64     `bun:"unit_id" json:"unit_id"`
	StartsOn  string    `bun:"starts_on" json:"starts_on"`
	EndsOn    *string   `bun:"ends_on" json:"ends_on"`
	Note      string    `bun:"note" json:"note"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`

	UnitName string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath string `bun:"unit_path,scanonly" json:"-"`
	Current  bool   `bun:"-" json:"current"` // in force today
}

func kindName(k string) string {
	for _, x := range access.CompanyKinds {
		if x.Kind == k {
			return x.Name
		}
	}
	return k
}

func (s *Service) selectCompanies(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Company)(nil)).ColumnExpr("c.*").
		ColumnExpr("n.name AS owner_name, n.path AS owner_path").
		Join("JOIN units AS n ON n.id = c.owner_unit_id")
}

// Filter selects companies.
type Filter struct {
	Kind       string
	Q          string
	Page, Size int
}

// List returns the companies contracted by a level inside the actor's scope.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Company, int, error) {
	q := s.selectCompanies(s.DB.R).Where("n.path LIKE ?", a.ScopePath+"%")
	if f.Kind != "" {
		q = q.Where("c.kind = ?", f.Kind)
	}
	if f.Q != "" {
		like := "%" + strings.ReplaceAll(f.Q, "%", "") + "%"
		q = q.Where("(c.name LIKE ? OR c.credit_code LIKE ? OR c.contact LIKE ?)", like, like, like)
	}
	out := []*Company{}
	n, err := q.OrderExpr("c.kind, c.id").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	return out, n, s.complete(ctx, s.DB.R, out...)
}

func (s *Service) complete(ctx context.Context, db bun.IDB, cs ...*Company) error {
	if len(cs) == 0 {
		return nil
	}
	ids := make([]int64, len(cs))
	byID := map[int64]*Company{}
	for i, c := range cs {
		ids[i], byID[c.ID] = c.ID, c
		c.KindName, c.Contracts = kindName(c.Kind), []*Contract{}
	}
	var ks []*Contract
	err := db.NewSelect().Model(&ks).ColumnExpr("k.*").ColumnExpr("n.name AS unit_name, n.path AS unit_path").
		Join("JOIN units AS n ON n.id = k.unit_id").Where("k.company_id IN (?)", bun.In(ids)).OrderExpr("k.starts_on, k.id").Scan(ctx)
	if err != nil {
		return store.Translate(err)
	}
	today := beijing.Date(s.now())
	for _, k := range ks {
		k.Current = k.StartsOn <= today && (k.EndsOn == nil || *k.EndsOn >= today)
		byID[k.CompanyID].Contracts = append(byID[k.CompanyID].Contracts, k)
	}
	return nil
}

func (s *Service) load(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Company, error) {
	c := new(Company)
	if err := s.selectCompanies(db).Where("c.id = ?", id).Scan(ctx, c); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "企业不存在或已删除"))
	}
	if !strings.HasPrefix(c.OwnerPath, a.ScopePath) || a.CompanyID != 0 && a.CompanyID != c.ID {
		return nil, errs.E(errs.Forbidden, "企业「%s」不在您的管辖范围内", c.Name)
	}
	return c, s.complete(ctx, db, c)
}

// Get returns a company contracted inside the actor's scope, with its contracts.
func (s *Service) Get(ctx context.Context, a *access.Actor, id int64) (*Company, error) {
	return s.load(ctx, s.DB.R, a, id)
}

// Input is what an administrator sets on a company. Kind and owner unit
// are set at registration only.
type Input struct {
	Name        *string `json:"name,omitempty"`
	Kind        string  `json:"kind,omitempty"`
	CreditCode  *string `json:"credit_code,omitempty"`
	Contact     *string `json:"contact,omitempty"`
	Phone       *string `json:"phone,omitempty"`
	OwnerUnitID int64   `json:"owner_unit_id,omitempty"`
	Active      *bool   `json:"active,omitempty"`
}

func (c *Company) apply(in Input) error {
	if in.Name != nil {
		c.Name = strings.TrimSpace(*in.Name)
	}
	if in.CreditCode != nil {
		c.CreditCode = check.NormaliseCreditCode(*in.CreditCode)
	}
	if in.Contact != nil {
		c.Contact = strings.TrimSpace(*in.Contact)
	}
	if in.Phone != nil {
		c.Phone = check.NormalisePhone(*in.Phone)
	}
	if in.Active != nil {
		c.Active = *in.Active
	}
	var f errs.Fields
	n := utf8.RuneCountInString(c.Name)
	f.Check(n < 2 || n > 60, "name", "请填写企业名称（2至60个字）")
	f.Check(access.CompanyRole(c.Kind) == "", "kind", "企业类别须为定点维修厂、加油公司、保险公司、检测机构或租赁公司")
	if err := check.CreditCode(c.CreditCode); err != nil {
		f.Add("credit_code", "统一社会信用代码"+err.Error())
	}
	f.Check(utf8.RuneCountInString(c.Contact) > 30, "contact", "联系人不能超过30个字")
	if c.Phone != "" {
		if err := check.Phone(c.Phone); err != nil {
			f.Add("phone", "联系电话"+err.Error())
		}
	}
	return f.Err()
}

// Create registers a company contracted by a city or district node inside
// the actor's scope.
func (s *Service) Create(ctx context.Context, a *access.Actor, in Input) (*Company, error) {
	c := &Company{Kind: in.Kind, OwnerUnitID: in.OwnerUnitID, Active: true, CreatedAt: s.now()}
	if err := c.apply(in); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		n, err := s.Org.Node(ctx, tx, in.OwnerUnitID)
		if errs.Is(err, errs.NotFound) {
			return (&errs.Fields{"owner_unit_id": "请选择签约的市级或辖市(区)"}).Err()
		} else if err != nil {
			return err
		}
		if n.Kind == org.KindUnit {
			return (&errs.Fields{"owner_unit_id": fmt.Sprintf("合作企业由市级或辖市(区)签约，「%s」是单位", n.Name)}).Err()
		}
		if !a.Covers(n.Path) {
			return errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", n.Name)
		}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCompanyCreate, ObjectType: audit.Company, ObjectID: c.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("登记%s「%s」", kindName(c.Kind), c.Name), After: c.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, c.ID)
}

// Update changes a company's name, code, contact or active flag.
// Deactivating it ends its accounts' access at their next request.
func (s *Service) Update(ctx context.Context, a *access.Actor, id int64, in Input) (*Company, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		c, err := s.load(ctx, tx, a, id)
		if err != nil {
			return err
		}
		before := c.auditView()
		in.Kind = ""
		if err := c.apply(in); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(c).Column("name", "credit_code", "contact", "phone", "active").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCompanyUpdate, ObjectType: audit.Company, ObjectID: c.ID, ScopePath: c.OwnerPath,
			Summary: fmt.Sprintf("修改%s「%s」", kindName(c.Kind), c.Name), Before: before, After: c.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, a, id)
}

// ContractInput describes a contract.
type ContractInput struct {
	UnitID   int64   `json:"unit_id,omitempty"`
	StartsOn *string `json:"starts_on,omitempty"`
	EndsOn   *string `json:"ends_on,omitempty"` // "" clears (open-ended)
	Note     *string `json:"note,omitempty" max:"200"`
}

func (k *Contract) apply(in ContractInput) error {
	if in.StartsOn != nil {
		k.StartsOn = strings.TrimSpace(*in.StartsOn)
	}
	if in.EndsOn != nil {
		k.EndsOn = nil
		if e := strings.TrimSpace(*in.EndsOn); e != "" {
			k.EndsOn = &e
		}
	}
	if in.Note != nil {
		k.Note = strings.TrimSpace(*in.Note)
	}
	var f errs.Fields
	_, err := time.Parse(time.DateOnly, k.StartsOn)
	f.Check(err != nil, "starts_on", "开始日期格式应为 YYYY-MM-DD")
	if k.EndsOn != nil {
		_, err := time.Parse(time.DateOnly, *k.EndsOn)
		f.Check(err != nil, "ends_on", "结束日期格式应为 YYYY-MM-DD")
		f.Check(err == nil && *k.EndsOn < k.StartsOn, "ends_on", "结束日期不能早于开始日期")
	}
	f.Check(utf8.RuneCountInString(k.Note) > 200, "note", "备注不能超过200个字")
	return f.Err()
}

// AddContract records that the company serves a node (and its subtree).
// The node lies inside both the actor's scope and the contracting level.
func (s *Service) AddContract(ctx context.Context, a *access.Actor, companyID int64, in ContractInput) (*Contract, error) {
	k := &Contract{CompanyID: companyID, UnitID: in.UnitID, CreatedAt: s.now()}
	if err := k.apply(in); err != nil {
		return nil, err
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		c, err := s.load(ctx, tx, a, companyID)
		if err != nil {
			return err
		}
		n, err := s.Org.Node(ctx, tx, in.UnitID)
		if errs.Is(err, errs.NotFound) {
			return (&errs.Fields{"unit_id": "请选择合同覆盖的单位或辖市(区)"}).Err()
		} else if err != nil {
			return err
		}
		if !a.Covers(n.Path) {
			return errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", n.Name)
		}
		if !strings.HasPrefix(n.Path, c.OwnerPath) {
			return (&errs.Fields{"unit_id": fmt.Sprintf("「%s」不属于签约方「%s」", n.Name, c.OwnerName)}).Err()
		}
		if _, err := tx.NewInsert().Model(k).Exec(ctx); err != nil {
			return err
		}
		k.UnitName = n.Name
		return audit.Record(ctx, tx, a, audit.Event{Action: actContractCreate, ObjectType: audit.Company, ObjectID: c.ID, ScopePath: n.Path,
			Summary: fmt.Sprintf("「%s」签约服务「%s」，%s 起", c.Name, n.Name, k.StartsOn), After: k})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// UpdateContract changes a contract's period or note (ending it early
// takes effect at the company's next request).
func (s *Service) UpdateContract(ctx context.Context, a *access.Actor, id int64, in ContractInput) (*Contract, error) {
	k := new(Contract)
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		err := tx.NewSelect().Model(k).ColumnExpr("k.*").ColumnExpr("n.name AS unit_name, n.path AS unit_path").
			Join("JOIN units AS n ON n.id = k.unit_id").Where("k.id = ?", id).Scan(ctx)
		if errs.Is(store.Translate(err), errs.NotFound) {
			return errs.E(errs.NotFound, "合同不存在或已删除")
		} else if err != nil {
			return err
		}
		c, err := s.load(ctx, tx, a, k.CompanyID)
		if err != nil {
			return err
		}
		if !a.Covers(k.UnitPath) {
			return errs.E(errs.Forbidden, "「%s」不在您的管辖范围内", k.UnitName)
		}
		before := *k
		in.UnitID = 0
		if err := k.apply(in); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(k).Column("starts_on", "ends_on", "note").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actContractUpdate, ObjectType: audit.Company, ObjectID: c.ID, ScopePath: k.UnitPath,
			Summary: fmt.Sprintf("修改「%s」服务「%s」的合同", c.Name, k.UnitName), Before: &before, After: k})
	})
	if err != nil {
		return nil, err
	}
	return k, nil
}

// Users lists the company's accounts.
func (s *Service) Users(ctx context.Context, a *access.Actor, id int64) ([]*auth.User, error) {
	c, err := s.Get(ctx, a, id)
	if err != nil {
		return nil, err
	}
	out, _, err := s.Auth.List(ctx, a, auth.UserFilter{ScopeID: c.OwnerUnitID, CompanyID: id, Page: 1, Size: 200})
	if out == nil {
		out = []*auth.User{}
	}
	return out, err
}

// CreateUser opens an account for the company with its kind's role and a
// one-time password.
func (s *Service) CreateUser(ctx context.Context, a *access.Actor, id int64, in auth.UserInput) (*auth.Created, error) {
	if _, err := s.Get(ctx, a, id); err != nil {
		return nil, err
	}
	return s.Auth.CreateCompanyUser(ctx, a, id, in)
}
