package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// ConfirmInput names the records a unit administrator confirms as current
// reviewed at least twice a year).
type ConfirmInput struct {
	VehicleIDs []int64 `json:"vehicle_ids"`
	DriverIDs  []int64 `json:"driver_ids"`
}

// ConfirmResult says how many records were confirmed and when.
type ConfirmResult struct {
	Vehicles    int       `json:"vehicles"`
	Drivers     int       `json:"drivers"`
	ConfirmedAt time.Time `json:"confirmed_at"`
}

// MaxConfirm is the most records one request confirms.
const MaxConfirm = 5000

// Confirm marks vehicles and drivers as reviewed now by the actor. Every
// record must lie inside the actor's scope, or nothing is confirmed.
func (s *Service) Confirm(ctx context.Context, a *access.Actor, in ConfirmInput) (*ConfirmResult, error) {
	vids, dids := uniqueIDs(in.VehicleIDs), uniqueIDs(in.DriverIDs)
	if len(vids)+len(dids) == 0 {
		return nil, errs.E(errs.Invalid, "请选择要确认的车辆或驾驶员")
	}
	if len(vids)+len(dids) > MaxConfirm {
		return nil, errs.E(errs.Invalid, "一次最多确认%d条记录", MaxConfirm)
	}
	now := s.now()
	res := &ConfirmResult{ConfirmedAt: now}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		for _, id := range vids {
			v, err := s.vehicleInScope(ctx, tx, a, id)
			if err != nil {
				return err
			}
			if v.Status == "disposed" {
				return errs.E(errs.Invalid, "车辆%s已处置，无需确认", v.Plate)
			}
			before := map[string]any{"confirmed_at": v.ConfirmedAt, "confirmed_by_name": v.ConfirmedByName}
			v.ConfirmedAt, v.ConfirmedBy, v.ConfirmedByName = &now, actorID(a), a.Name
			if _, err := tx.NewUpdate().Model(v).Column("confirmed_at", "confirmed_by", "confirmed_by_name").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, a, audit.Event{Action: actVehicleConfirm, ObjectType: audit.Vehicle, ObjectID: v.ID, ScopePath: v.UnitPath,
				Summary: fmt.Sprintf("确认车辆%s信息准确", v.Plate), Before: before, After: map[string]any{"confirmed_at": now, "confirmed_by_name": a.Name}}); err != nil {
				return err
			}
		}
		for _, id := range dids {
			d, err := s.driverInScope(ctx, tx, a, id)
			if err != nil {
				return err
			}
			before := map[string]any{"confirmed_at": d.ConfirmedAt, "confirmed_by_name": d.ConfirmedByName}
			d.ConfirmedAt, d.ConfirmedBy, d.ConfirmedByName = &now, actorID(a), a.Name
			if _, err := tx.NewUpdate().Model(d).Column("confirmed_at", "confirmed_by", "confirmed_by_name").WherePK().Exec(ctx); err != nil {
				return err
			}
			if err := audit.Record(ctx, tx, a, audit.Event{Action: actDriverConfirm, ObjectType: audit.Driver, ObjectID: d.ID, ScopePath: d.UnitPath,
				Summary: fmt.Sprintf("确认驾驶员%s信息准确", d.Name), Before: before, After: map[string]any{"confirmed_at": now, "confirmed_by_name": a.Name}}); err != nil {
				return err
			}
		}
		res.Vehicles, res.Drivers = len(vids), len(dids)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// DueUnit counts a unit's records awaiting confirmation.
type DueUnit struct {
	UnitID       int64  `bun:"unit_id" json:"unit_id"`
	UnitName     string `bun:"unit_name" json:"unit_name"`
	DistrictID   int64  `bun:"district_id" json:"district_id"`
	DistrictName string `bun:"district_name" json:"district_name"`
	Vehicles     int    `bun:"vehicles" json:"vehicles"`
	Drivers      int    `bun:"drivers" json:"drivers"`
}

// DueItem is one record awaiting confirmation.
type DueItem struct {
	Type        string     `bun:"type" json:"type"` // vehicle | driver
	ID          int64      `bun:"id" json:"id"`
	Label       string     `bun:"label" json:"label"` // plate or name
	UnitID      int64      `bun:"unit_id" json:"unit_id"`
	UnitName    string     `bun:"unit_name" json:"unit_name"`
	ConfirmedAt *time.Time `bun:"confirmed_at" json:"confirmed_at"`
}

// Due is the confirmation to-do list of a scope: per unit, per district
// and in total, plus the records themselves (the oldest first, at most
// DueItemsLimit).
type Due struct {
	ScopeID     int64      `json:"scope_id"`
	StaleBefore time.Time  `json:"stale_before"`
	Vehicles    int        `json:"vehicles"`
	Drivers     int        `json:"drivers"`
	Districts   []*DueUnit `json:"districts"` // UnitID/UnitName empty: totals per district (0: city-level units)
	Units       []*DueUnit `json:"units"`
	Items       []*DueItem `json:"items"`
}

// DueItemsLimit caps the records listed by Due.
const DueItemsLimit = 1000

// ConfirmationsDue lists the vehicles and drivers not confirmed within the
// last six months, inside the scope node (0: the actor's scope).
func (s *Service) ConfirmationsDue(ctx context.Context, a *access.Actor, scopeID int64) (*Due, error) {
	base, err := scopeBase(ctx, s.DB.R, a, scopeID)
	if err != nil {
		return nil, err
	}
	sb := s.staleBefore()
	out := &Due{ScopeID: base.ID, StaleBefore: sb, Districts: []*DueUnit{}, Units: []*DueUnit{}, Items: []*DueItem{}}
	err = s.DB.R.NewRaw(`SELECT u.id AS unit_id, u.name AS unit_name, COALESCE(u.district_id, 0) AS district_id, COALESCE(dn.name, '市级') AS district_name,
	    (SELECT COUNT(*) FROM vehicles AS v WHERE v.unit_id = u.id AND v.status <> 'disposed' AND (v.confirmed_at IS NULL OR v.confirmed_at < ?)) AS vehicles,
	    (SELECT COUNT(*) FROM drivers AS d WHERE d.unit_id = u.id AND d.active = ? AND (d.confirmed_at IS NULL OR d.confirmed_at < ?)) AS drivers
	  FROM units AS u LEFT JOIN units AS dn ON dn.id = u.district_id
	  WHERE u.kind = 'unit' AND u.path LIKE ?
	  ORDER BY u.path`, sb, true, sb, base.Path+"%").Scan(ctx, &out.Units)
	if err != nil {
		return nil, store.Translate(err)
	}
	byDistrict := map[int64]*DueUnit{}
	units := out.Units[:0]
	for _, u := range out.Units {
		if u.Vehicles+u.Drivers == 0 {
			continue
		}
		units = append(units, u)
		out.Vehicles += u.Vehicles
		out.Drivers += u.Drivers
		d := byDistrict[u.DistrictID]
		if d == nil {
			d = &DueUnit{DistrictID: u.DistrictID, DistrictName: u.DistrictName}
			byDistrict[u.DistrictID] = d
			out.Districts = append(out.Districts, d)
		}
		d.Vehicles += u.Vehicles
		d.Drivers += u.Drivers
	}
	out.Units = units
	err = s.DB.R.NewRaw(`SELECT * FROM (
	    SELECT 'vehicle' AS type, v.id, v.plate AS label, v.unit_id, u.name AS unit_name, v.confirmed_at
	      FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id
	     WHERE u.path LIKE ? AND v.status <> 'disposed' AND (v.confirmed_at IS NULL OR v.confirmed_at < ?)
	    UNION ALL
	    SELECT 'driver' AS type, d.id, d.name AS label, d.unit_id, u.name AS unit_name, d.confirmed_at
	      FROM drivers AS d JOIN units AS u ON u.id = d.unit_id
	     WHERE u.path LIKE ? AND d.active = ? AND (d.confirmed_at IS NULL OR d.confirmed_at < ?)
	  ) AS due ORDER BY CASE WHEN confirmed_at IS NULL THEN 0 ELSE 1 END, confirmed_at, type DESC, id LIMIT ?`,
		base.Path+"%", sb, base.Path+"%", true, sb, DueItemsLimit).Scan(ctx, &out.Items)
	if err != nil {
		return nil, store.Translate(err)
	}
	if out.Items == nil {
		out.Items = []*DueItem{}
	}
	return out, nil
}

// QuotaRow is the quota (编制) and actual count (实有) of a district, or of
// the city-level units (DistrictID 0), or the total.
type QuotaRow struct {
	DistrictID int64  `bun:"district_id" json:"district_id"`
	District   string `bun:"district" json:"district"`
	Units      int    `bun:"units" json:"units"`
	Quota      int    `bun:"quota" json:"quota"`
	Actual     int    `bun:"actual" json:"actual"`
	OverUnits  int    `bun:"over_units" json:"over_units"`
}

// QuotaSummary is R-6's quota view of a scope.
type QuotaSummary struct {
	ScopeID   int64       `json:"scope_id"`
	Districts []*QuotaRow `json:"districts"`
	Total     QuotaRow    `json:"total"`
}

// QuotaSummary totals quota, actual vehicles and over-quota units per
// district (city-level units as "市级") inside the scope node (0: the
// actor's scope). units.vehicle_count is kept by this package, so no
// vehicle is scanned.
func (s *Service) QuotaSummary(ctx context.Context, a *access.Actor, scopeID int64) (*QuotaSummary, error) {
	base, err := scopeBase(ctx, s.DB.R, a, scopeID)
	if err != nil {
		return nil, err
	}
	out := &QuotaSummary{ScopeID: base.ID, Districts: []*QuotaRow{}}
	err = s.DB.R.NewRaw(`SELECT COALESCE(u.district_id, 0) AS district_id, COALESCE(MAX(dn.name), '市级') AS district, COUNT(*) AS units,
	    SUM(u.vehicle_quota) AS quota, SUM(u.vehicle_count) AS actual,
	    SUM(CASE WHEN u.vehicle_count > u.vehicle_quota THEN 1 ELSE 0 END) AS over_units
	  FROM units AS u LEFT JOIN units AS dn ON dn.id = u.district_id
	  WHERE u.kind = 'unit' AND u.active = ? AND u.path LIKE ?
	  GROUP BY COALESCE(u.district_id, 0)
	  ORDER BY COALESCE(u.district_id, 0)`, true, base.Path+"%").Scan(ctx, &out.Districts)
	if err != nil {
		return nil, store.Translate(err)
	}
	if out.Districts == nil {
		out.Districts = []*QuotaRow{}
	}
	out.Total.District = "合计"
	for _, d := range out.Districts {
		out.Total.Units += d.Units
		out.Total.Quota += d.Quota
		out.Total.Actual += d.Actual
		out.Total.OverUnits += d.OverUnits
	}
	return out, nil
}

// confirmedBy marks a record registered now by a as confirmed: whoever
// enters a record vouches for it, so a new record is not flagged as
// unconfirmed; the six months run from its registration.
func confirmedBy(a *access.Actor, now time.Time, at **time.Time, by **int64, name *string) {
	if a == nil || a.UserID == 0 {
		return
	}
	t, id := now, a.UserID
	*at, *by, *name = &t, &id, a.Name
}
