package fleet

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Driver is a registered driver.
type Driver struct {
	bun.BaseModel `bun:"table:drivers"`

	ID              int64      `bun:"id,pk,autoincrement" json:"id"`
	UnitID          int64      `bun:"unit_id" json:"unit_id"`
	Name            string     `bun:"name" json:"name"`
	IDCard          string     `bun:"id_card" json:"id_card"` // masked for readers without fleet.write
	Phone           string     `bun:"phone" json:"phone"`
	LicenceNo       string     `bun:"licence_no" json:"licence_no"`
	LicenceClass    string     `bun:"licence_class" json:"licence_class"`
	LicenceExpiry   string     `bun:"licence_expiry" json:"licence_expiry"`
	UserID          *int64     `bun:"user_id" json:"user_id"`
	Active          bool       `bun:"active" json:"active"`
	Incomplete      bool       `bun:"incomplete" json:"incomplete"`
	MissingText     string     `bun:"missing" json:"-"`
	ConfirmedAt     *time.Time `bun:"confirmed_at" json:"confirmed_at"`
	ConfirmedBy     *int64     `bun:"confirmed_by" json:"confirmed_by"`
	ConfirmedByName string     `bun:"confirmed_by_name" json:"confirmed_by_name"`
	CreatedAt       time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at" json:"updated_at"`

	UnitName       string   `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath       string   `bun:"unit_path,scanonly" json:"-"`
	Username       string   `bun:"username,scanonly" json:"username"`
	Missing        []string `bun:"-" json:"missing"`
	Stale          bool     `bun:"-" json:"stale"`
	LicenceExpired bool     `bun:"-" json:"licence_expired"`
}

func (d *Driver) fill(staleBefore time.Time, today string, full bool) {
	d.Missing = splitMissing(d.MissingText)
	d.Stale = d.Active && (d.ConfirmedAt == nil || d.ConfirmedAt.Before(staleBefore))
	d.LicenceExpired = d.LicenceExpiry < today
	if !full {
		d.IDCard = MaskIDCard(d.IDCard)
		d.LicenceNo = MaskIDCard(d.LicenceNo)
	}
}

// MaskIDCard keeps the first 4 and last 4 characters of an 18-character
// number: 3204**********1234.
func MaskIDCard(s string) string {
	if len(s) != 18 {
		return s
	}
	return s[:4] + strings.Repeat("*", 10) + s[14:]
}

func (d *Driver) auditView() map[string]any {
	return map[string]any{"id": d.ID, "unit_id": d.UnitID, "name": d.Name, "id_card": MaskIDCard(d.IDCard), "phone": d.Phone,
		"licence_no": MaskIDCard(d.LicenceNo), "licence_class": d.LicenceClass, "licence_expiry": d.LicenceExpiry, "user_id": d.UserID, "active": d.Active}
}

// DriverInput is what a client may set on a driver; nil fields are left
// unchanged by Update.
type DriverInput struct {
	UnitID        *int64  `json:"unit_id,omitempty"`
	Name          *string `json:"name,omitempty"`
	IDCard        *string `json:"id_card,omitempty"`
	Phone         *string `json:"phone,omitempty"`
	LicenceNo     *string `json:"licence_no,omitempty"` // defaults to the ID-card number (the usual case in China)
	LicenceClass  *string `json:"licence_class,omitempty"`
	LicenceExpiry *string `json:"licence_expiry,omitempty"`
	UserID        *int64  `json:"user_id,omitempty"` // 0 removes the link
	Active        *bool   `json:"active,omitempty"`
}

var licenceNoRe = regexp.MustCompile(`^[0-9A-Z]{6,30}$`)

func (in *DriverInput) apply(d *Driver) error {
	if in.Name != nil {
		d.Name = strings.TrimSpace(*in.Name)
	}
	if in.IDCard != nil {
		d.IDCard = check.NormaliseIDCard(*in.IDCard)
	}
	if in.Phone != nil {
		d.Phone = check.NormalisePhone(*in.Phone)
	}
	if in.LicenceNo != nil {
		d.LicenceNo = check.NormaliseIDCard(*in.LicenceNo)
	}
	if d.LicenceNo == "" {
		d.LicenceNo = d.IDCard
	}
	if in.LicenceClass != nil {
		d.LicenceClass = check.NormaliseLicenceClass(*in.LicenceClass)
	}
	if in.LicenceExpiry != nil {
		d.LicenceExpiry = strings.TrimSpace(*in.LicenceExpiry)
	}
	if in.Active != nil {
		d.Active = *in.Active
	}
	var f errs.Fields
	n := utf8.RuneCountInString(d.Name)
	f.Check(n == 0, "name", "请填写驾驶员姓名")
	f.Check(n > 20, "name", "姓名不能超过20个字")
	if d.IDCard == "" {
		f.Add("id_card", "请填写身份证号")
	} else if err := check.IDCard(d.IDCard); err != nil {
		f.Add("id_card", "身份证号"+err.Error())
	}
	if d.Phone != "" {
		if err := check.Mobile(d.Phone); err != nil {
			f.Add("phone", "手机号"+err.Error())
		}
	}
	f.Check(!licenceNoRe.MatchString(d.LicenceNo), "licence_no", "驾驶证号只能是6至30位数字或大写字母")
	if d.LicenceClass == "" {
		f.Add("licence_class", "请填写准驾车型")
	} else if err := check.LicenceClass(d.LicenceClass); err != nil {
		f.Add("licence_class", "准驾车型"+err.Error())
	}
	checkDate(&f, "licence_expiry", "驾驶证有效期", d.LicenceExpiry, true)
	return f.Err()
}

func driverMissing(d *Driver, kinds map[string]bool) []string {
	var m []string
	for _, k := range []string{"driver", "licence"} {
		if !kinds[k] {
			m = append(m, name(DriverPhotoKinds, k))
		}
	}
	if d.Phone == "" {
		m = append(m, "手机号")
	}
	return m
}

func refreshDriver(ctx context.Context, tx bun.IDB, d *Driver) error {
	have, err := photoKinds(ctx, tx, "driver", d.ID)
	if err != nil {
		return err
	}
	m := driverMissing(d, have)
	d.Incomplete = len(m) > 0
	d.MissingText = strings.Join(m, "、")
	_, err = tx.NewUpdate().Model(d).Column("incomplete", "missing").WherePK().Exec(ctx)
	return err
}

func (s *Service) selectDrivers(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Driver)(nil)).ModelTableExpr("drivers AS d").
		ColumnExpr("d.*").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path").
		ColumnExpr("us.username AS username").
		Join("JOIN units AS u ON u.id = d.unit_id").
		Join("LEFT JOIN users AS us ON us.id = d.user_id")
}

func (s *Service) loadDriver(ctx context.Context, db bun.IDB, id int64) (*Driver, error) {
	d := new(Driver)
	if err := s.selectDrivers(db).Where("d.id = ?", id).Scan(ctx, d); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "驾驶员不存在或已删除"))
	}
	return d, nil
}

func (s *Service) driverInScope(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Driver, error) {
	d, err := s.loadDriver(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(d.UnitPath) {
		return nil, outOfScope("驾驶员" + d.Name)
	}
	return d, nil
}

// checkUser validates the optional link to an account: it must exist and
// lie inside the actor's scope.
func checkUser(ctx context.Context, tx bun.IDB, a *access.Actor, id int64, f *errs.Fields) error {
	var rows []struct {
		Path string `bun:"path"`
	}
	if err := tx.NewSelect().TableExpr("users AS us").ColumnExpr("u.path").Join("JOIN units AS u ON u.id = us.scope_id").
		Where("us.id = ?", id).Scan(ctx, &rows); err != nil {
		return err
	}
	if len(rows) == 0 {
		f.Add("user_id", "关联的账号不存在")
		return nil
	}
	if !a.Covers(rows[0].Path) {
		return errs.E(errs.Forbidden, "关联的账号不在您的管辖范围内")
	}
	return nil
}

// CreateDriver registers a driver in a unit inside the actor's scope.
func (s *Service) CreateDriver(ctx context.Context, a *access.Actor, in DriverInput) (*DriverDetail, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.createDriver(ctx, tx, a, in)
		if err != nil {
			return err
		}
		id = d.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actDriverCreate, ObjectType: audit.Driver, ObjectID: d.ID,
			ScopePath: d.UnitPath, Summary: fmt.Sprintf("登记驾驶员%s", d.Name), After: d.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetDriver(ctx, a, id)
}

func (s *Service) createDriver(ctx context.Context, tx bun.IDB, a *access.Actor, in DriverInput) (*Driver, error) {
	var unitID int64
	if in.UnitID != nil {
		unitID = *in.UnitID
	}
	now := s.now()
	d := &Driver{UnitID: unitID, Active: true, CreatedAt: now, UpdatedAt: now}
	confirmedBy(a, now, &d.ConfirmedAt, &d.ConfirmedBy, &d.ConfirmedByName)
	var f errs.Fields
	if err := in.apply(d); err != nil {
		f = err.(*errs.Error).Fields
	}
	u, err := ownerUnit(ctx, tx, a, unitID, "unit_id")
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return nil, err
		}
		for k, m := range err.(*errs.Error).Fields {
			f.Add(k, m)
		}
	}
	if in.UserID != nil && *in.UserID != 0 {
		if err := checkUser(ctx, tx, a, *in.UserID, &f); err != nil {
			return nil, err
		}
		d.UserID = in.UserID
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	if err := refreshDriver(ctx, tx, d); err != nil {
		return nil, err
	}
	d.UnitPath, d.UnitName = u.Path, u.Name
	return d, nil
}

// UpdateDriver changes a driver's data; a new unit must lie inside the
// actor's scope too. A licence class that no longer allows a matched
// vehicle is refused.
func (s *Service) UpdateDriver(ctx context.Context, a *access.Actor, id int64, in DriverInput) (*DriverDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.driverInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		before := d.auditView()
		var f errs.Fields
		if in.UnitID != nil && *in.UnitID != d.UnitID {
			u, err := ownerUnit(ctx, tx, a, *in.UnitID, "unit_id")
			if err != nil {
				return err
			}
			d.UnitID, d.UnitPath = u.ID, u.Path
		}
		if err := in.apply(d); err != nil {
			f = err.(*errs.Error).Fields
		}
		if in.UserID != nil {
			if *in.UserID == 0 {
				d.UserID = nil
			} else {
				if err := checkUser(ctx, tx, a, *in.UserID, &f); err != nil {
					return err
				}
				d.UserID = in.UserID
			}
		}
		if err := f.Err(); err != nil {
			return err
		}
		if in.LicenceClass != nil {
			var vs []*Vehicle
			if err := tx.NewSelect().Model(&vs).Where("id IN (SELECT vehicle_id FROM driver_vehicles WHERE driver_id = ?)", d.ID).Scan(ctx); err != nil {
				return err
			}
			for _, v := range vs {
				if !check.LicenceAllows(d.LicenceClass, v.VehicleClass) {
					return (&errs.Fields{"licence_class": fmt.Sprintf("准驾车型%s不能驾驶已匹配的车辆%s（%s），请先解除匹配", d.LicenceClass, v.Plate, name(VehicleClasses, v.VehicleClass))}).Err()
				}
			}
		}
		d.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(d).ExcludeColumn("confirmed_at", "confirmed_by", "confirmed_by_name", "created_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := refreshDriver(ctx, tx, d); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actDriverUpdate, ObjectType: audit.Driver, ObjectID: d.ID,
			ScopePath: d.UnitPath, Summary: fmt.Sprintf("修改驾驶员%s", d.Name), Before: before, After: d.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetDriver(ctx, a, id)
}

// MatchedVehicle is a vehicle a driver is matched to.
type MatchedVehicle struct {
	ID           int64  `bun:"id" json:"id"`
	Plate        string `bun:"plate" json:"plate"`
	Brand        string `bun:"brand" json:"brand"`
	Model        string `bun:"model" json:"model"`
	VehicleClass string `bun:"vehicle_class" json:"vehicle_class"`
}

// DriverDetail is the driver page.
type DriverDetail struct {
	*Driver
	Photos   []*Photo          `json:"photos"`
	Vehicles []*MatchedVehicle `json:"vehicles"`
}

// GetDriver returns the driver page; the ID-card number is shown in full
// to holders of fleet.write only.
func (s *Service) GetDriver(ctx context.Context, a *access.Actor, id int64) (*DriverDetail, error) {
	db := s.DB.R
	d, err := s.driverInScope(ctx, db, a, id)
	if err != nil {
		return nil, err
	}
	d.fill(s.staleBefore(), s.today(), a.Has(access.FleetWrite))
	out := &DriverDetail{Driver: d, Vehicles: []*MatchedVehicle{}}
	if out.Photos, err = s.photos(ctx, db, "driver", id); err != nil {
		return nil, err
	}
	if err := db.NewSelect().TableExpr("vehicles AS v").ColumnExpr("v.id, v.plate, v.brand, v.model, v.vehicle_class").
		Join("JOIN driver_vehicles AS dv ON dv.vehicle_id = v.id").Where("dv.driver_id = ?", id).OrderExpr("v.plate").Scan(ctx, &out.Vehicles); err != nil {
		return nil, store.Translate(err)
	}
	if out.Vehicles == nil {
		out.Vehicles = []*MatchedVehicle{}
	}
	return out, nil
}

// MatchVehicles sets the vehicles a driver is matched to. Every
// vehicle must lie inside the actor's scope, be in service and be one the
// driver's licence class allows.
func (s *Service) MatchVehicles(ctx context.Context, a *access.Actor, id int64, vehicleIDs []int64) (*DriverDetail, error) {
	vehicleIDs = uniqueIDs(vehicleIDs)
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		d, err := s.driverInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var beforeIDs []int64
		if err := tx.NewSelect().Table("driver_vehicles").Column("vehicle_id").Where("driver_id = ?", id).Order("vehicle_id").Scan(ctx, &beforeIDs); err != nil {
			return err
		}
		var plates []string
		for _, vid := range vehicleIDs {
			v, err := s.vehicleInScope(ctx, tx, a, vid)
			if err != nil {
				if errs.Is(err, errs.NotFound) {
					return (&errs.Fields{"vehicle_ids": "车辆不存在或已删除"}).Err()
				}
				return err
			}
			if v.Status == "disposed" {
				return (&errs.Fields{"vehicle_ids": fmt.Sprintf("车辆%s已处置，不能匹配驾驶员", v.Plate)}).Err()
			}
			if !check.LicenceAllows(d.LicenceClass, v.VehicleClass) {
				return (&errs.Fields{"vehicle_ids": fmt.Sprintf("驾驶员%s的准驾车型为%s，不能驾驶车辆%s（%s）", d.Name, d.LicenceClass, v.Plate, name(VehicleClasses, v.VehicleClass))}).Err()
			}
			plates = append(plates, v.Plate)
		}
		if _, err := tx.NewDelete().Table("driver_vehicles").Where("driver_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		now := s.now()
		for _, vid := range vehicleIDs {
			if _, err := tx.NewRaw("INSERT INTO driver_vehicles (driver_id, vehicle_id, created_at) VALUES (?, ?, ?)", id, vid, now).Exec(ctx); err != nil {
				return err
			}
		}
		after := slices.Clone(vehicleIDs)
		slices.Sort(after)
		summary := fmt.Sprintf("驾驶员%s匹配车辆：%s", d.Name, strings.Join(plates, "、"))
		if len(plates) == 0 {
			summary = fmt.Sprintf("解除驾驶员%s的全部车辆匹配", d.Name)
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actDriverMatch, ObjectType: audit.Driver, ObjectID: d.ID, ScopePath: d.UnitPath,
			Summary: summary, Before: map[string]any{"vehicle_ids": beforeIDs}, After: map[string]any{"vehicle_ids": after}})
	})
	if err != nil {
		return nil, err
	}
	return s.GetDriver(ctx, a, id)
}

// DriverFilter selects drivers.
type DriverFilter struct {
	UnitID         int64
	Q              string // name, phone, ID-card number
	LicenceExpired bool
	Stale          bool
	Page, Size     int
}

func (s *Service) driverQuery(ctx context.Context, a *access.Actor, f DriverFilter) (*bun.SelectQuery, error) {
	base, err := scopeBase(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, err
	}
	q := s.selectDrivers(s.DB.R).Where("u.path LIKE ?", base.Path+"%")
	if strings.TrimSpace(f.Q) != "" {
		like := likeQ(f.Q)
		q = q.Where("(d.name LIKE ? OR d.phone LIKE ? OR d.id_card = ?)", like, like, check.NormaliseIDCard(f.Q))
	}
	if f.LicenceExpired {
		q = q.Where("d.licence_expiry < ?", s.today())
	}
	if f.Stale {
		q = q.Where("d.active = ? AND (d.confirmed_at IS NULL OR d.confirmed_at < ?)", true, s.staleBefore())
	}
	return q.OrderExpr("u.path, d.name, d.id"), nil
}

// ListDrivers returns a page of drivers inside the actor's scope.
func (s *Service) ListDrivers(ctx context.Context, a *access.Actor, f DriverFilter) ([]*Driver, int, error) {
	q, err := s.driverQuery(ctx, a, f)
	if err != nil {
		return nil, 0, err
	}
	var out []*Driver
	n, err := q.Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	sb, today, full := s.staleBefore(), s.today(), a.Has(access.FleetWrite)
	for _, d := range out {
		d.fill(sb, today, full)
	}
	return out, n, nil
}

// AllDrivers returns every driver matching f (at most limit), for export.
func (s *Service) AllDrivers(ctx context.Context, a *access.Actor, f DriverFilter, limit int) ([]*Driver, error) {
	q, err := s.driverQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	var out []*Driver
	if err := q.Limit(limit).Scan(ctx, &out); err != nil {
		return nil, store.Translate(err)
	}
	sb, today, full := s.staleBefore(), s.today(), a.Has(access.FleetWrite)
	for _, d := range out {
		d.fill(sb, today, full)
	}
	return out, nil
}
