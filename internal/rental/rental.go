// Package rental is the rental side of official-vehicle use (R-21,
// R-29(2)): rental companies keep a registry of their vehicles and
// drivers, receive the orders own vehicles could not cover from the
// dispatcher, assign a vehicle and driver, record the usage (mileage,
// times, fee — the fee goes to the cost ledger), and the authority signs
// off each company's monthly performance assessment.
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
	"govfleet/internal/booking"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actRentalAssess   = audit.NewAction("rental.assess", "签署租赁公司月度考核")
	actRentalAssign   = audit.NewAction("rental.assign", "安排租赁车辆")
	actRentalDriver   = audit.NewAction("rental.driver", "登记租赁驾驶员")
	actRentalHandover = audit.NewAction("rental.handover", "转租赁公司")
	actRentalUsage    = audit.NewAction("rental.usage", "登记租赁用车")
	actRentalVehicle  = audit.NewAction("rental.vehicle", "登记租赁车辆")
)

func init() {
	store.RegisterUnique("rental_vehicles", "plate", "plate", "该号牌的租赁车辆已登记")
	store.RegisterUnique("rental_drivers", "company_id", "phone", "该手机号的驾驶员已登记")
	store.RegisterUnique("rental_assessments", "company_id", "month", "该公司本月的考核已签署")
}

// Grace is how late a rental vehicle may start after the pickup time and
// still count as on time.
const Grace = 10 * time.Minute

// Service runs the rental side.
type Service struct {
	DB      *store.DB
	Booking *booking.Service
	Notify  *notify.Notifier
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// company checks that the actor is a rental company's account.
func company(a *access.Actor) error {
	if a.CompanyID == 0 || !a.Has(access.RentalOperate) {
		return errs.E(errs.Forbidden, "只有租赁公司账号可以执行此操作")
	}
	return nil
}

// Vehicle is a rental company's vehicle.
type Vehicle struct {
	bun.BaseModel `bun:"table:rental_vehicles"`

	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	CompanyID int64     `bun:"company_id" json:"company_id"`
	Plate     string    `bun:"plate" json:"plate"`
	Model     string    `bun:"model" json:"model"`
	Seats     int       `bun:"seats" json:"seats"`
	Active    bool      `bun:"active" json:"active"`
	CreatedAt time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// Driver is a rental company's driver.
type Driver struct {
	bun.BaseModel `bun:"table:rental_drivers"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	CompanyID    int64     `bun:"company_id" json:"company_id"`
	Name         string    `bun:"name" json:"name"`
	Phone        string    `bun:"phone" json:"phone"`
	LicenceClass string    `bun:"licence_class" json:"licence_class"`
	Active       bool      `bun:"active" json:"active"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time `bun:"updated_at" json:"updated_at"`
}

// VehicleInput registers or changes a vehicle.
type VehicleInput struct {
	Plate  string `json:"plate"`
	Model  string `json:"model"`
	Seats  int    `json:"seats"`
	Active *bool  `json:"active"`
}

// DriverInput registers or changes a driver.
type DriverInput struct {
	Name         string `json:"name"`
	Phone        string `json:"phone"`
	LicenceClass string `json:"licence_class"`
	Active       *bool  `json:"active"`
}

// Vehicles lists the company's vehicles.
func (s *Service) Vehicles(ctx context.Context, a *access.Actor) ([]*Vehicle, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	out := []*Vehicle{}
	err := s.DB.R.NewSelect().Model(&out).Where("company_id = ?", a.CompanyID).Order("plate").Scan(ctx)
	return out, store.Translate(err)
}

// Drivers lists the company's drivers.
func (s *Service) Drivers(ctx context.Context, a *access.Actor) ([]*Driver, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	out := []*Driver{}
	err := s.DB.R.NewSelect().Model(&out).Where("company_id = ?", a.CompanyID).Order("name").Scan(ctx)
	return out, store.Translate(err)
}

func checkVehicle(in *VehicleInput) error {
	in.Plate, in.Model = check.NormalisePlate(in.Plate), strings.TrimSpace(in.Model)
	var f errs.Fields
	if err := check.Plate(in.Plate); err != nil {
		f.Add("plate", "号牌"+err.Error())
	}
	f.Check(in.Model == "" || utf8.RuneCountInString(in.Model) > 50, "model", "请填写品牌型号（不超过50字）")
	f.Check(in.Seats < 2 || in.Seats > 60, "seats", "座位数须在2至60之间")
	return f.Err()
}

func checkDriver(in *DriverInput) error {
	in.Name, in.Phone, in.LicenceClass = strings.TrimSpace(in.Name), check.NormalisePhone(in.Phone), check.NormaliseLicenceClass(in.LicenceClass)
	var f errs.Fields
	f.Check(in.Name == "" || utf8.RuneCountInString(in.Name) > 30, "name", "请填写驾驶员姓名（不超过30字）")
	if err := check.Mobile(in.Phone); err != nil {
		f.Add("phone", "手机号"+err.Error())
	}
	if err := check.LicenceClass(in.LicenceClass); err != nil {
		f.Add("licence_class", "准驾车型"+err.Error())
	}
	return f.Err()
}

// SaveVehicle registers a vehicle (id 0) or changes one of the company's.
func (s *Service) SaveVehicle(ctx context.Context, a *access.Actor, id int64, in VehicleInput) (*Vehicle, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	if err := checkVehicle(&in); err != nil {
		return nil, err
	}
	v := &Vehicle{}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		now := s.now()
		var before *Vehicle
		if id != 0 {
			if err := tx.NewSelect().Model(v).Where("id = ?", id).Scan(ctx); err != nil {
				return errs.E(errs.NotFound, "租赁车辆不存在或已删除")
			}
			if v.CompanyID != a.CompanyID {
				return errs.E(errs.Forbidden, "该租赁车辆不属于本公司")
			}
			b := *v
			before = &b
		} else {
			v.CompanyID, v.Active, v.CreatedAt = a.CompanyID, true, now
		}
		v.Plate, v.Model, v.Seats, v.UpdatedAt = in.Plate, in.Model, in.Seats, now
		if in.Active != nil {
			v.Active = *in.Active
		}
		var err error
		if id != 0 {
			_, err = tx.NewUpdate().Model(v).WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(v).Exec(ctx)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalVehicle, ObjectType: audit.RentalVehicle, ObjectID: v.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("租赁车辆 %s %s %d座", v.Plate, v.Model, v.Seats), Before: before, After: v})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return v, nil
}

// SaveDriver registers a driver (id 0) or changes one of the company's.
func (s *Service) SaveDriver(ctx context.Context, a *access.Actor, id int64, in DriverInput) (*Driver, error) {
	if err := company(a); err != nil {
		return nil, err
	}
	if err := checkDriver(&in); err != nil {
		return nil, err
	}
	d := &Driver{}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		now := s.now()
		var before *Driver
		if id != 0 {
			if err := tx.NewSelect().Model(d).Where("id = ?", id).Scan(ctx); err != nil {
				return errs.E(errs.NotFound, "租赁驾驶员不存在或已删除")
			}
			if d.CompanyID != a.CompanyID {
				return errs.E(errs.Forbidden, "该租赁驾驶员不属于本公司")
			}
			b := *d
			before = &b
		} else {
			d.CompanyID, d.Active, d.CreatedAt = a.CompanyID, true, now
		}
		d.Name, d.Phone, d.LicenceClass, d.UpdatedAt = in.Name, in.Phone, in.LicenceClass, now
		if in.Active != nil {
			d.Active = *in.Active
		}
		var err error
		if id != 0 {
			_, err = tx.NewUpdate().Model(d).WherePK().Exec(ctx)
		} else {
			_, err = tx.NewInsert().Model(d).Exec(ctx)
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actRentalDriver, ObjectType: audit.RentalDriver, ObjectID: d.ID, ScopePath: a.ScopePath,
			Summary: fmt.Sprintf("租赁驾驶员 %s %s 准驾%s", d.Name, d.Phone, d.LicenceClass), Before: before, After: d})
	})
	if err != nil {
		return nil, store.Translate(err)
	}
	return d, nil
}
