package fleet

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Terminal is a BeiDou positioning terminal as it identifies
// itself over JT/T 808: terminal ID and terminal phone number (SIM).
type Terminal struct {
	bun.BaseModel `bun:"table:terminals"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	UnitID      int64     `bun:"unit_id" json:"unit_id"`
	TerminalNo  string    `bun:"terminal_no" json:"terminal_no"`
	SIM         string    `bun:"sim" json:"sim"`
	Model       string    `bun:"model" json:"model"`
	Maker       string    `bun:"maker" json:"maker"`
	InstallDate string    `bun:"install_date" json:"install_date"`
	VehicleID   *int64    `bun:"vehicle_id" json:"vehicle_id"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at" json:"updated_at"`
	// Kept by the gateway's registrations (Directory): the hash of the code
	// the last accepted one issued, when, and the last refused one.
	AuthHash      string     `bun:"auth_hash" json:"-"`
	RegisteredAt  *time.Time `bun:"registered_at" json:"registered_at"`
	RefusedAt     *time.Time `bun:"refused_at" json:"refused_at"`
	RefusedReason string     `bun:"refused_reason" json:"refused_reason"`
	RefusedFrom   string     `bun:"refused_from" json:"refused_from"`

	UnitName string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath string `bun:"unit_path,scanonly" json:"-"`
	Plate    string `bun:"plate,scanonly" json:"plate"`
}

// Binding is one period during which a terminal was fitted to a vehicle.
type Binding struct {
	bun.BaseModel `bun:"table:terminal_bindings"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	TerminalID int64      `bun:"terminal_id" json:"terminal_id"`
	VehicleID  int64      `bun:"vehicle_id" json:"vehicle_id"`
	BoundAt    time.Time  `bun:"bound_at" json:"bound_at"`
	BoundBy    *int64     `bun:"bound_by" json:"-"`
	UnboundAt  *time.Time `bun:"unbound_at" json:"unbound_at"`
	UnboundBy  *int64     `bun:"unbound_by" json:"-"`

	Plate      string `bun:"plate,scanonly" json:"plate"`
	TerminalNo string `bun:"terminal_no,scanonly" json:"terminal_no"`
}

// TerminalInput registers a terminal.
type TerminalInput struct {
	UnitID      int64  `json:"unit_id"`
	TerminalNo  string `json:"terminal_no"`
	SIM         string `json:"sim"`
	Model       string `json:"model"`
	Maker       string `json:"maker"`
	InstallDate string `json:"install_date"`
}

var (
	terminalNoRe = regexp.MustCompile(`^[0-9A-Z]{1,30}$`)
	simRe        = regexp.MustCompile(`^[0-9]{1,20}$`)
)

func (s *Service) selectTerminals(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Terminal)(nil)).ModelTableExpr("terminals AS t").
		ColumnExpr("t.*").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path").
		ColumnExpr("v.plate AS plate").
		Join("JOIN units AS u ON u.id = t.unit_id").
		Join("LEFT JOIN vehicles AS v ON v.id = t.vehicle_id")
}

func (s *Service) terminalInScope(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Terminal, error) {
	t := new(Terminal)
	if err := s.selectTerminals(db).Where("t.id = ?", id).Scan(ctx, t); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "终端不存在或已删除"))
	}
	if !a.Covers(t.UnitPath) {
		return nil, outOfScope("终端" + t.TerminalNo)
	}
	return t, nil
}

// CreateTerminal registers a terminal held by a unit inside the scope.
func (s *Service) CreateTerminal(ctx context.Context, a *access.Actor, in TerminalInput) (*TerminalDetail, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		in.TerminalNo = strings.ToUpper(strings.TrimSpace(in.TerminalNo))
		in.SIM = strings.TrimSpace(in.SIM)
		in.Model, in.Maker, in.InstallDate = strings.TrimSpace(in.Model), strings.TrimSpace(in.Maker), strings.TrimSpace(in.InstallDate)
		var f errs.Fields
		u, err := ownerUnit(ctx, tx, a, in.UnitID, "unit_id")
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			for k, m := range err.(*errs.Error).Fields {
				f.Add(k, m)
			}
		}
		f.Check(in.TerminalNo == "", "terminal_no", "请填写终端ID")
		f.Check(in.TerminalNo != "" && !terminalNoRe.MatchString(in.TerminalNo), "terminal_no", "终端ID只能是数字和大写字母，最多30位")
		f.Check(in.SIM == "", "sim", "请填写终端手机号（SIM卡号）")
		f.Check(in.SIM != "" && !simRe.MatchString(in.SIM), "sim", "终端手机号（SIM卡号）只能是数字，最多20位")
		checkLen(&f, "model", "终端型号", in.Model, 30)
		checkLen(&f, "maker", "生产厂家", in.Maker, 40)
		checkDate(&f, "install_date", "安装日期", in.InstallDate, false)
		if err := f.Err(); err != nil {
			return err
		}
		now := s.now()
		t := &Terminal{UnitID: u.ID, TerminalNo: in.TerminalNo, SIM: in.SIM, Model: in.Model, Maker: in.Maker, InstallDate: in.InstallDate, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(t).Exec(ctx); err != nil {
			return store.Translate(err)
		}
		id = t.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actTerminalCreate, ObjectType: audit.Terminal, ObjectID: t.ID, ScopePath: u.Path,
			Summary: fmt.Sprintf("登记终端%s（SIM %s）", t.TerminalNo, t.SIM), After: t})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTerminal(ctx, a, id)
}

// TerminalDetail is a terminal with its binding history, newest first.
type TerminalDetail struct {
	*Terminal
	Bindings []*Binding `json:"bindings"`
	TerminalData
}

// GetTerminal returns a terminal inside the actor's scope.
func (s *Service) GetTerminal(ctx context.Context, a *access.Actor, id int64) (*TerminalDetail, error) {
	t, err := s.terminalInScope(ctx, s.DB.R, a, id)
	if err != nil {
		return nil, err
	}
	d := &TerminalDetail{Terminal: t, Bindings: []*Binding{}}
	if err := s.DB.R.NewSelect().Model(&d.Bindings).ModelTableExpr("terminal_bindings AS b").ColumnExpr("b.*").
		ColumnExpr("v.plate AS plate").Join("JOIN vehicles AS v ON v.id = b.vehicle_id").
		Where("b.terminal_id = ?", id).OrderExpr("b.id DESC").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if d.TerminalData, err = s.terminalData(ctx, id); err != nil {
		return nil, err
	}
	return d, nil
}

// Bind fits a terminal to a vehicle. A terminal is bound to at most one
// vehicle and a vehicle carries at most one terminal: either being bound
// already is a conflict (unbind first). Both must lie inside the scope.
func (s *Service) Bind(ctx context.Context, a *access.Actor, terminalID, vehicleID int64) (*TerminalDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, err := s.terminalInScope(ctx, tx, a, terminalID)
		if err != nil {
			return err
		}
		if vehicleID == 0 {
			return (&errs.Fields{"vehicle_id": "请选择要绑定的车辆"}).Err()
		}
		v, err := s.vehicleInScope(ctx, tx, a, vehicleID)
		if err != nil {
			if errs.Is(err, errs.NotFound) {
				return (&errs.Fields{"vehicle_id": "车辆不存在"}).Err()
			}
			return err
		}
		if t.VehicleID != nil {
			if *t.VehicleID == v.ID {
				return errs.E(errs.Conflict, "终端%s已绑定车辆%s", t.TerminalNo, v.Plate)
			}
			return errs.E(errs.Conflict, "终端%s已绑定车辆%s，请先解绑", t.TerminalNo, t.Plate)
		}
		if v.TerminalNo != "" {
			return errs.E(errs.Conflict, "车辆%s已绑定终端%s，请先解绑", v.Plate, v.TerminalNo)
		}
		if v.Status == "disposed" {
			return errs.E(errs.Invalid, "车辆%s已处置，不能绑定终端", v.Plate)
		}
		now := s.now()
		before := map[string]any{"vehicle_id": nil}
		t.VehicleID, t.UnitID, t.UpdatedAt = &v.ID, v.UnitID, now
		if _, err := tx.NewUpdate().Model(t).Column("vehicle_id", "unit_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return store.Translate(err)
		}
		b := &Binding{TerminalID: t.ID, VehicleID: v.ID, BoundAt: now, BoundBy: actorID(a)}
		if _, err := tx.NewInsert().Model(b).Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTerminalBind, ObjectType: audit.Terminal, ObjectID: t.ID, ScopePath: v.UnitPath,
			Summary: fmt.Sprintf("终端%s绑定车辆%s", t.TerminalNo, v.Plate), Before: before, After: map[string]any{"vehicle_id": v.ID, "plate": v.Plate}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTerminal(ctx, a, terminalID)
}

// Unbind removes a terminal from its vehicle (repair, replacement).
func (s *Service) Unbind(ctx context.Context, a *access.Actor, terminalID int64) (*TerminalDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		t, err := s.terminalInScope(ctx, tx, a, terminalID)
		if err != nil {
			return err
		}
		if t.VehicleID == nil {
			return errs.E(errs.Invalid, "终端%s未绑定车辆", t.TerminalNo)
		}
		now := s.now()
		before := map[string]any{"vehicle_id": *t.VehicleID, "plate": t.Plate}
		if _, err := tx.NewUpdate().Model((*Binding)(nil)).Set("unbound_at = ?", now).Set("unbound_by = ?", actorID(a)).
			Where("terminal_id = ? AND unbound_at IS NULL", t.ID).Exec(ctx); err != nil {
			return err
		}
		t.VehicleID, t.UpdatedAt = nil, now
		if _, err := tx.NewUpdate().Model(t).Column("vehicle_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actTerminalUnbind, ObjectType: audit.Terminal, ObjectID: t.ID, ScopePath: t.UnitPath,
			Summary: fmt.Sprintf("终端%s与车辆%s解绑", t.TerminalNo, t.Plate), Before: before, After: map[string]any{"vehicle_id": nil}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetTerminal(ctx, a, terminalID)
}

// TerminalFilter selects terminals.
type TerminalFilter struct {
	UnitID     int64
	Bound      string // "true", "false" or "" (all)
	Q          string // terminal ID, SIM or plate
	Page, Size int
}

// ListTerminals returns a page of terminals inside the actor's scope.
func (s *Service) ListTerminals(ctx context.Context, a *access.Actor, f TerminalFilter) ([]*Terminal, int, error) {
	base, err := scopeBase(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	q := s.selectTerminals(s.DB.R).Where("u.path LIKE ?", base.Path+"%")
	switch f.Bound {
	case "true":
		q = q.Where("t.vehicle_id IS NOT NULL")
	case "false":
		q = q.Where("t.vehicle_id IS NULL")
	}
	if strings.TrimSpace(f.Q) != "" {
		like := likeQ(strings.ToUpper(f.Q))
		q = q.Where("(t.terminal_no LIKE ? OR t.sim LIKE ? OR v.plate LIKE ?)", like, like, like)
	}
	var out []*Terminal
	n, err := q.OrderExpr("t.terminal_no").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	return out, n, nil
}
