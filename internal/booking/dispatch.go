package booking

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/calendar"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/loans"
	"govfleet/internal/notify"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// vehicle is what dispatch needs to know of a registry vehicle.
type vehicle struct {
	ID           int64  `bun:"id" json:"id"`
	Plate        string `bun:"plate" json:"plate"`
	Brand        string `bun:"brand" json:"brand"`
	Model        string `bun:"model" json:"model"`
	Category     string `bun:"category" json:"category"`
	Seats        int    `bun:"seats" json:"seats"`
	Status       string `bun:"status" json:"status"`
	VehicleClass string `bun:"vehicle_class" json:"-"`
	UnitID       int64  `bun:"unit_id" json:"unit_id"`
	UnitName     string `bun:"unit_name" json:"unit_name"`
	UnitPath     string `bun:"unit_path" json:"-"`

	DistanceKm *float64 `bun:"-" json:"distance_km"` // parking place from the ordering unit's, km (nil: not known)
}

// driver is what dispatch needs to know of a registry driver.
type driver struct {
	ID            int64  `bun:"id" json:"id"`
	Name          string `bun:"name" json:"name"`
	Phone         string `bun:"phone" json:"phone"`
	LicenceClass  string `bun:"licence_class" json:"licence_class"`
	LicenceExpiry string `bun:"licence_expiry" json:"licence_expiry"`
	UserID        *int64 `bun:"user_id" json:"-"`
	VehicleID     int64  `bun:"vehicle_id" json:"-"`
	Active        bool   `bun:"active" json:"-"`
}

// DriverCandidate is a driver matched to a candidate vehicle.
type DriverCandidate struct {
	driver
	Suitable bool     `json:"suitable"`
	Reasons  []string `json:"reasons"`
}

// VehicleCandidate is a vehicle the dispatcher may choose, with why it is
// not suitable when it is not (R-13(3)).
type VehicleCandidate struct {
	vehicle
	Suitable       bool               `json:"suitable"`
	Reasons        []string           `json:"reasons"`
	Sealed         string             `json:"sealed"` // the holiday it is sealed on, if any
	OwnUnit        bool               `json:"own_unit"`
	UsedThisMonth  int                `json:"used_this_month"`
	Drivers        []*DriverCandidate `json:"drivers"`
	Loan           string             `json:"loan"`             // lent to the dispatcher's level, the loan's number
	LoanDrivers    string             `json:"loan_drivers"`     // whose drivers drive it under the loan, a sentence
	LoanWithDriver bool               `json:"loan_with_driver"` // lent with the lender's drivers (else the borrower's drive it)
}

// window is the time an order needs a vehicle and a driver.
type window struct {
	from, to time.Time
	orderID  int64
}

func vehicleQuery(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id, v.plate, v.brand, v.model, v.category, v.seats, v.status, v.vehicle_class, v.unit_id").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Where("v.status <> 'disposed' AND v.exempt = ?", false)
}

// busyVehicles returns, for the vehicles among ids (all when nil) that
// hold another order overlapping w, that order's number.
func busy(ctx context.Context, db bun.IDB, column string, ids []int64, w window) (map[int64]string, error) {
	var rows []struct {
		ID int64  `bun:"id"`
		No string `bun:"no"`
	}
	q := db.NewSelect().Table("orders").ColumnExpr(column+" AS id, no").
		Where("state IN (?) AND pickup_at < ? AND pickup_at > ? AND return_at > ? AND id <> ?", bun.In(holding), w.to, w.from.Add(-MaxSpan), w.from, w.orderID).
		Where(column + " IS NOT NULL")
	if ids != nil {
		q = q.Where(column+" IN (?)", bun.In(ids))
	}
	if err := q.Scan(ctx, &rows); err != nil {
		return nil, err
	}
	out := map[int64]string{}
	for _, r := range rows {
		out[r.ID] = r.No
	}
	return out, nil
}

// assess fills the reasons a vehicle cannot serve order o.
func assess(o *Order, v *vehicle, busyNo string, holidays []*calendar.Day) *VehicleCandidate {
	c := &VehicleCandidate{vehicle: *v, Reasons: []string{}, OwnUnit: v.UnitID == o.UnitID, Drivers: []*DriverCandidate{}}
	switch v.Status {
	case "maintenance":
		c.Reasons = append(c.Reasons, "维修保养中")
	case "sealed":
		c.Sealed = "车辆已封存"
	}
	if v.Seats-1 < o.PassengerCount {
		c.Reasons = append(c.Reasons, fmt.Sprintf("座位不足（%d座，需载%d人）", v.Seats, o.PassengerCount))
	}
	if o.Category != "" && v.Category != o.Category {
		c.Reasons = append(c.Reasons, "车辆类别不符")
	}
	if busyNo != "" {
		c.Reasons = append(c.Reasons, "该时段已有任务（"+busyNo+"）")
	}
	if c.Sealed == "" && len(holidays) > 0 && !calendar.RunsOnHolidays(v.Category) {
		c.Sealed = fmt.Sprintf("%s %s 法定节假日封存", holidays[0].Day, holidays[0].Name)
	}
	return c
}

// assessDriver fills the reasons a driver cannot drive v for o.
func assessDriver(o *Order, v *vehicle, d *driver, busyNo string) *DriverCandidate {
	c := &DriverCandidate{driver: *d, Reasons: []string{}}
	if !d.Active {
		c.Reasons = append(c.Reasons, "驾驶员已停用")
	}
	if d.LicenceExpiry < beijing.Date(o.ReturnAt) {
		c.Reasons = append(c.Reasons, "驾驶证已过期或将在任务期间过期（"+d.LicenceExpiry+"）")
	}
	if !check.LicenceAllows(d.LicenceClass, v.VehicleClass) {
		c.Reasons = append(c.Reasons, "准驾车型"+d.LicenceClass+"不符")
	}
	if busyNo != "" {
		c.Reasons = append(c.Reasons, "该时段已有任务（"+busyNo+"）")
	}
	c.Suitable = len(c.Reasons) == 0
	return c
}

// CandidateFilter narrows and pages the dispatch candidates: the
// dispatcher searches the whole scope, not only the best-ranked few.
type CandidateFilter struct {
	Plate    string  // part of the plate
	UnitID   int64   // a unit or node of the scope: its subtree
	Category string  // vehicle category (fleet.Categories)
	Seats    int     // at least this many seats
	MaxKm    float64 // parked at most this far from the ordering unit (0: any)
	Page     int     // 1-based
	Size     int     // 0: all
}

// Suggest lists the vehicles of the dispatcher's scope matching f for an
// approved order, ranked as ever — suitable ones first, own unit first
// own vehicles first), then those not sealed, then the least used
// this month — one page of them with the number matching; each with its
// distance, its matched drivers and why it or they do not fit.
func (s *Service) Suggest(ctx context.Context, a *access.Actor, id int64, f CandidateFilter) ([]*VehicleCandidate, int, error) {
	o, err := s.load(ctx, s.DB.R, id)
	if err != nil {
		return nil, 0, err
	}
	if err := need(a, access.Dispatcher, o.UnitPath, "派车"); err != nil {
		return nil, 0, err
	}
	scope := a.ScopePath
	if f.UnitID != 0 {
		if err := s.DB.R.NewSelect().Table("units").Column("path").Where("id = ?", f.UnitID).Scan(ctx, &scope); err != nil {
			return nil, 0, store.NotFoundAs(err, (&errs.Fields{"unit_id": "单位不存在"}).Err())
		}
		if !a.Covers(scope) {
			return nil, 0, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
	}
	// Rank on the few columns ranking needs, scanned without reflection;
	// the page's plates, models and unit names are read afterwards (a
	// city has 20,000 vehicles).
	q := `SELECT v.id, v.unit_id, v.seats, v.category, v.status, v.parking_lat, v.parking_lng FROM vehicles AS v
		WHERE v.status <> 'disposed' AND v.exempt = ? AND (v.unit_id IN (SELECT id FROM units WHERE path LIKE ?)`
	args := []any{false, scope + "%"}
	lent, err := loans.LentTo(ctx, s.DB.R, a, o.PickupAt, o.ReturnAt)
	if err != nil {
		return nil, 0, err
	}
	if len(lent) > 0 && f.UnitID == 0 { // lent to the dispatcher's level for the order's window
		q += " OR v.id IN (" + strings.TrimSuffix(strings.Repeat("?,", len(lent)), ",") + ")"
		for id := range lent {
			args = append(args, id)
		}
	}
	q += ")"
	if p := strings.NewReplacer("%", "", "_", "").Replace(check.NormalisePlate(f.Plate)); p != "" {
		q += " AND v.plate LIKE ?"
		args = append(args, "%"+p+"%")
	}
	if f.Category != "" {
		q += " AND v.category = ?"
		args = append(args, f.Category)
	}
	if f.Seats > 0 {
		q += " AND v.seats >= ?"
		args = append(args, f.Seats)
	}
	origin, err := s.origin(ctx, o.UnitID)
	if err != nil {
		return nil, 0, err
	}
	rows, err := s.DB.R.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	defer rows.Close()
	var vs []*vehicle
	for rows.Next() {
		v := new(vehicle)
		var lat, lng sql.NullFloat64
		if err := rows.Scan(&v.ID, &v.UnitID, &v.Seats, &v.Category, &v.Status, &lat, &lng); err != nil {
			return nil, 0, store.Translate(err)
		}
		if origin != nil && lat.Valid && lng.Valid {
			km := math.Round(telematics.Haversine(micro(lat.Float64), micro(lng.Float64), micro(origin[0]), micro(origin[1]))/100) / 10
			v.DistanceKm = &km
		}
		if f.MaxKm > 0 && (v.DistanceKm == nil || *v.DistanceKm > f.MaxKm) {
			continue
		}
		vs = append(vs, v)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, store.Translate(err)
	}
	cands, err := s.candidates(ctx, s.DB.R, o, vs, f.Page, f.Size, borrowed(lent), 0)
	for _, c := range cands {
		if l := lent[c.ID]; l != nil {
			c.Loan, c.LoanDrivers, c.LoanWithDriver = l.No, loanDrivers(l), l.WithDriver
		}
	}
	return cands, len(vs), err
}

// origin is where distances are measured from: the pick-up place is free
// text, so the middle of the ordering unit's parking places (nil when
// none of its vehicles has one).
func (s *Service) origin(ctx context.Context, unitID int64) (*[2]float64, error) {
	var at struct {
		Lat *float64 `bun:"lat"`
		Lng *float64 `bun:"lng"`
	}
	if err := s.DB.R.NewSelect().Table("vehicles").ColumnExpr("AVG(parking_lat) AS lat, AVG(parking_lng) AS lng").
		Where("unit_id = ? AND status <> 'disposed' AND parking_lat IS NOT NULL AND parking_lng IS NOT NULL", unitID).Scan(ctx, &at); err != nil {
		return nil, store.Translate(err)
	}
	if at.Lat == nil || at.Lng == nil {
		return nil, nil
	}
	return &[2]float64{*at.Lat, *at.Lng}, nil
}

// micro converts degrees to the micro-degrees telematics.Haversine takes.
func micro(deg float64) int64 { return int64(math.Round(deg * 1e6)) }

// candidates assesses and ranks vs for o and fills in the drivers of
// page p of size n (n 0: all): the matched ones, or for a vehicle lent
// without drivers (own: vehicle → the borrowing level's path) the
// borrower's own — only driver when it is not 0 (the one dispatched).
func (s *Service) candidates(ctx context.Context, db bun.IDB, o *Order, vs []*vehicle, p, n int, own map[int64]string, only int64) ([]*VehicleCandidate, error) {
	w := window{from: o.PickupAt, to: o.ReturnAt, orderID: o.ID}
	holidays, err := calendar.Holidays(ctx, db, w.from, w.to)
	if err != nil {
		return nil, err
	}
	busyV, err := busy(ctx, db, "vehicle_id", nil, w)
	if err != nil {
		return nil, store.Translate(err)
	}
	cands := make([]*VehicleCandidate, 0, len(vs))
	for _, v := range vs {
		cands = append(cands, assess(o, v, busyV[v.ID], holidays))
	}
	if err := lentReasons(ctx, db, o, cands); err != nil {
		return nil, err
	}
	// Rank before loading drivers: only the shortlist needs them.
	monthStart := beijing.MonthStart(o.PickupAt)
	// Up to one row per vehicle of the city: scanned without reflection.
	rows, err := db.QueryContext(ctx, `SELECT vehicle_id, COUNT(*) FROM orders
		WHERE pickup_at >= ? AND pickup_at < ? AND vehicle_id IS NOT NULL AND state <> ? GROUP BY vehicle_id`,
		monthStart.UTC(), monthStart.AddDate(0, 1, 0).UTC(), Cancelled)
	if err != nil {
		return nil, store.Translate(err)
	}
	usage := map[int64]int{}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return nil, store.Translate(err)
		}
		usage[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	for _, c := range cands {
		c.UsedThisMonth = usage[c.ID]
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i], cands[j]
		if (len(a.Reasons) == 0) != (len(b.Reasons) == 0) {
			return len(a.Reasons) == 0
		}
		if a.OwnUnit != b.OwnUnit {
			return a.OwnUnit
		}
		if (a.Sealed == "") != (b.Sealed == "") {
			return a.Sealed == ""
		}
		if a.UsedThisMonth != b.UsedThisMonth {
			return a.UsedThisMonth < b.UsedThisMonth
		}
		return a.ID < b.ID
	})
	if n > 0 {
		cands = cands[min(len(cands), (max(p, 1)-1)*n):min(len(cands), max(p, 1)*n)]
	}
	if len(cands) == 0 {
		return cands, nil
	}
	ids := make([]int64, len(cands))
	byID := map[int64]*VehicleCandidate{}
	for i, c := range cands {
		ids[i] = c.ID
		byID[c.ID] = c
	}
	if cands[0].Plate == "" { // ranked on the light columns: read the rest
		var full []*vehicle
		if err := vehicleQuery(db).Where("v.id IN (?)", bun.In(ids)).Scan(ctx, &full); err != nil {
			return nil, store.Translate(err)
		}
		for _, v := range full {
			c := byID[v.ID]
			c.Plate, c.Brand, c.Model, c.VehicleClass, c.UnitName, c.UnitPath = v.Plate, v.Brand, v.Model, v.VehicleClass, v.UnitName, v.UnitPath
		}
	}
	var ds []*driver
	if err := db.NewSelect().TableExpr("driver_vehicles AS dv").
		ColumnExpr("d.id, d.name, d.phone, d.licence_class, d.licence_expiry, d.user_id, d.active, dv.vehicle_id").
		Join("JOIN drivers AS d ON d.id = dv.driver_id").
		Where("dv.vehicle_id IN (?)", bun.In(ids)).OrderExpr("d.name").Scan(ctx, &ds); err != nil {
		return nil, store.Translate(err)
	}
	if ds, err = ownDrivers(ctx, db, o, ds, byID, own, only); err != nil {
		return nil, err
	}
	var dids []int64
	for _, d := range ds {
		dids = append(dids, d.ID)
	}
	busyD := map[int64]string{}
	if len(dids) > 0 {
		if busyD, err = busy(ctx, db, "driver_id", dids, w); err != nil {
			return nil, store.Translate(err)
		}
	}
	for _, d := range ds {
		c := byID[d.VehicleID]
		dc := assessDriver(o, &c.vehicle, d, busyD[d.ID])
		c.Drivers = append(c.Drivers, dc)
	}
	for _, c := range cands {
		sort.SliceStable(c.Drivers, func(i, j int) bool { return c.Drivers[i].Suitable && !c.Drivers[j].Suitable })
		if len(c.Reasons) == 0 && !slices.ContainsFunc(c.Drivers, func(d *DriverCandidate) bool { return d.Suitable }) {
			c.Reasons = append(c.Reasons, "没有可用的匹配驾驶员")
		}
		c.Suitable = len(c.Reasons) == 0
	}
	// Vehicles that lost their last driver sink below the suitable ones.
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].Suitable && !cands[j].Suitable })
	return cands, nil
}

// DispatchInput assigns a vehicle and a driver.
type DispatchInput struct {
	VehicleID    int64  `json:"vehicle_id"`
	DriverID     int64  `json:"driver_id"`
	SealedFiling string `json:"sealed_filing" max:"500"` // why a sealed vehicle must run
}

// Dispatch assigns a vehicle and a driver (R-13(3)). The vehicle and the
// driver rows are locked first, so that of two dispatchers assigning the
// same vehicle for overlapping times exactly one succeeds. Without the
// vehicle manager's standing consent the order waits for it.
func (s *Service) Dispatch(ctx context.Context, a *access.Actor, id int64, in DispatchInput) (*Order, error) {
	if in.VehicleID == 0 || in.DriverID == 0 {
		return nil, (&errs.Fields{"vehicle_id": "请选择车辆和驾驶员"}).Err()
	}
	return s.act(ctx, a, id, "dispatch", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.Dispatcher, o.UnitPath, "派车"); err != nil {
			return step{}, err
		}
		for _, lock := range []string{"UPDATE vehicles SET updated_at = updated_at WHERE id = ?", "UPDATE drivers SET updated_at = updated_at WHERE id = ?"} {
			arg := in.VehicleID
			if strings.Contains(lock, "drivers") {
				arg = in.DriverID
			}
			if _, err := tx.NewRaw(lock, arg).Exec(ctx); err != nil {
				return step{}, err
			}
		}
		var vs []*vehicle
		if err := vehicleQuery(tx).Where("v.id = ?", in.VehicleID).Scan(ctx, &vs); err != nil {
			return step{}, err
		}
		if len(vs) == 0 {
			return step{}, (&errs.Fields{"vehicle_id": "车辆不存在、已处置或不纳入平台调度"}).Err()
		}
		v := vs[0]
		lease, err := lentScope(ctx, tx, a, o, v)
		if err != nil {
			return step{}, err
		}
		var own map[int64]string
		if lease != nil {
			if err := driverOfLoan(ctx, tx, lease, v, in.DriverID); err != nil {
				return step{}, err
			}
			own = borrowed(map[int64]*loans.Lease{v.ID: lease})
		}
		cands, err := s.candidates(ctx, tx, o, vs, 0, 0, own, in.DriverID)
		if err != nil {
			return step{}, err
		}
		c := cands[0]
		var dc *DriverCandidate
		for _, d := range c.Drivers {
			if d.ID == in.DriverID {
				dc = d
			}
		}
		if dc == nil {
			return step{}, (&errs.Fields{"driver_id": "该驾驶员未与车辆 " + v.Plate + " 匹配"}).Err()
		}
		var why []string
		for _, r := range c.Reasons {
			if r != "没有可用的匹配驾驶员" {
				why = append(why, r)
			}
		}
		if len(why) > 0 {
			return step{}, errs.E(errs.Conflict, "车辆 %s 不能派出：%s", v.Plate, strings.Join(why, "；"))
		}
		if !dc.Suitable {
			return step{}, errs.E(errs.Conflict, "驾驶员 %s 不能派出：%s", dc.Name, strings.Join(dc.Reasons, "；"))
		}
		in.SealedFiling = strings.TrimSpace(in.SealedFiling)
		if c.Sealed != "" && in.SealedFiling == "" {
			return step{}, (&errs.Fields{"sealed_filing": "该车辆" + c.Sealed + "，派车须填写备案事由（报主管部门备案）"}).Err()
		}
		o.VehicleID, o.DriverID, o.DispatcherID = &v.ID, &dc.ID, &a.UserID
		o.SealedFiling = ""
		if c.Sealed != "" {
			o.SealedFiling = in.SealedFiling
		}
		desc := fmt.Sprintf("%s %s %s，驾驶员 %s", v.Plate, v.Brand, v.Model, dc.Name)
		var filed []notify.Message
		if o.SealedFiling != "" {
			desc += "；封存期用车已报主管部门备案：" + o.SealedFiling
			m, err := fileHoliday(ctx, tx, a, o, v, c.Sealed, o.SealedFiling, s.now())
			if err != nil {
				return step{}, err
			}
			filed = append(filed, m)
		}
		delegated, err := tx.NewSelect().Table("dispatch_delegations").Where("unit_id = ? AND revoked_at IS NULL", v.UnitID).Exists(ctx)
		if err != nil {
			return step{}, err
		}
		if lease != nil { // the lending level approved the loan: no consent per order
			o.Consent = "loan"
			return step{to: Dispatched, note: desc + "（借调车辆，借出方已批准借调）", notes: append(filed, dispatchedNotes(o, dc, desc)...)}, nil
		}
		if !delegated {
			managers, err := notify.Recipients(ctx, tx, access.VehicleManager, v.UnitPath)
			if err != nil {
				return step{}, err
			}
			o.Consent = ""
			return step{to: PendingConsent, note: desc + "（待车管负责人同意）",
				notes: append(filed, notify.Message{Users: managers, Kind: "consent", Title: "派车待您同意", Body: o.No + " " + desc, Link: orderLink(o.ID)})}, nil
		}
		o.Consent = "delegation"
		return step{to: Dispatched, note: desc + "（车管负责人已长期授权）", notes: append(filed, dispatchedNotes(o, dc, desc)...)}, nil
	})
}

// orderLink is the console page of an order, where its notifications lead.
func orderLink(id int64) string { return fmt.Sprintf("/orders/%d", id) }

func dispatchedNotes(o *Order, d *DriverCandidate, desc string) []notify.Message {
	ns := []notify.Message{{Users: []int64{o.ApplicantID}, Kind: "order", Title: "已派车", Body: o.No + " " + desc, Link: orderLink(o.ID)}}
	if d.UserID != nil {
		ns = append(ns, notify.Message{Users: []int64{*d.UserID}, Kind: "task", Title: "新的出车任务",
			Body: fmt.Sprintf("%s %s报到，%s", o.PickupAt.In(beijing.Zone).Format("01-02 15:04"), o.PickupPlace, desc), Link: orderLink(o.ID), SMS: true})
	}
	return ns
}

// Consent is the vehicle manager agreeing to a dispatch (R-13(3)).
func (s *Service) Consent(ctx context.Context, a *access.Actor, id int64) (*Order, error) {
	return s.act(ctx, a, id, "consent", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.VehicleManager, o.VehiclePath, "同意派车"); err != nil {
			return step{}, err
		}
		o.Consent = "manager"
		var d driver
		if err := tx.NewSelect().Table("drivers").Column("id", "name", "user_id").Where("id = ?", *o.DriverID).Scan(ctx, &d); err != nil {
			return step{}, err
		}
		desc := fmt.Sprintf("%s，驾驶员 %s", o.Plate, o.DriverName)
		ns := dispatchedNotes(o, &DriverCandidate{driver: d}, desc)
		if o.DispatcherID != nil {
			ns = append(ns, notify.Message{Users: []int64{*o.DispatcherID}, Kind: "dispatch", Title: "车管负责人已同意派车", Body: o.No, Link: orderLink(o.ID)})
		}
		return step{to: Dispatched, notes: ns}, nil
	})
}

// Refuse is the vehicle manager refusing a dispatch; the order goes back
// to the dispatcher.
func (s *Service) Refuse(ctx context.Context, a *access.Actor, id int64, reason string) (*Order, error) {
	if err := required(reason, "reason", "请填写不同意的原因"); err != nil {
		return nil, err
	}
	return s.act(ctx, a, id, "refuse", func(tx bun.Tx, o *Order) (step, error) {
		if err := need(a, access.VehicleManager, o.VehiclePath, "审核派车"); err != nil {
			return step{}, err
		}
		var users []int64
		if o.DispatcherID != nil {
			users = append(users, *o.DispatcherID)
		}
		o.VehicleID, o.DriverID, o.DispatcherID, o.SealedFiling, o.Note = nil, nil, nil, "", reason
		return step{to: Approved, note: reason, notes: []notify.Message{{Users: users, Kind: "dispatch", Title: "车管负责人不同意派车，请重新派车", Body: o.No + "：" + reason, Link: orderLink(o.ID)}}}, nil
	})
}

// Delegation is a vehicle manager's standing consent for a unit's vehicles.
type Delegation struct {
	bun.BaseModel `bun:"table:dispatch_delegations"`

	ID            int64      `bun:"id,pk,autoincrement" json:"id"`
	UnitID        int64      `bun:"unit_id" json:"unit_id"`
	GrantedBy     int64      `bun:"granted_by" json:"granted_by"`
	GrantedByName string     `bun:"granted_by_name" json:"granted_by_name"`
	Note          string     `bun:"note" json:"note"`
	CreatedAt     time.Time  `bun:"created_at" json:"created_at"`
	RevokedAt     *time.Time `bun:"revoked_at" json:"revoked_at"`
	UnitName      string     `bun:"unit_name,scanonly" json:"unit_name"`
}

// SetDelegation grants (on=true) or revokes the standing consent of the
// vehicle manager for the vehicles of a unit in its scope.
func (s *Service) SetDelegation(ctx context.Context, a *access.Actor, unitID int64, on bool, noteText string) error {
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		path, err := unitPath(ctx, tx, unitID)
		if err != nil {
			return store.Translate(err)
		}
		if err := need(a, access.VehicleManager, path, "授权派车"); err != nil {
			return err
		}
		now := s.now()
		if _, err := tx.NewUpdate().Model((*Delegation)(nil)).Set("revoked_at = ?", now).Where("unit_id = ? AND revoked_at IS NULL", unitID).Exec(ctx); err != nil {
			return err
		}
		summary := "撤销派车长期授权"
		if on {
			d := &Delegation{UnitID: unitID, GrantedBy: a.UserID, GrantedByName: a.Name, Note: strings.TrimSpace(noteText), CreatedAt: now}
			if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
				return err
			}
			summary = "授予调度员派车长期授权（无须逐单同意）"
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actDispatchDelegation, ObjectType: audit.Unit, ObjectID: unitID, ScopePath: path, Summary: summary})
	})
}

// Delegations lists the live delegations in the actor's scope.
func (s *Service) Delegations(ctx context.Context, a *access.Actor) ([]*Delegation, error) {
	out := []*Delegation{}
	err := s.DB.R.NewSelect().Model(&out).ModelTableExpr("dispatch_delegations AS dd").ColumnExpr("dd.*, u.name AS unit_name").
		Join("JOIN units AS u ON u.id = dd.unit_id").
		Where("dd.revoked_at IS NULL AND u.path LIKE ?", a.ScopePath+"%").Order("dd.id").Scan(ctx)
	return out, store.Translate(err)
}

// BoardRow is a vehicle with its orders of one day.
type BoardRow struct {
	vehicle
	Orders []*BoardOrder `json:"orders"`
}

// BoardOrder is an order on the dispatch board.
type BoardOrder struct {
	ID         int64     `bun:"id" json:"id"`
	No         string    `bun:"no" json:"no"`
	State      string    `bun:"state" json:"state"`
	StateName  string    `bun:"-" json:"state_name"`
	PickupAt   time.Time `bun:"pickup_at" json:"pickup_at"`
	ReturnAt   time.Time `bun:"return_at" json:"return_at"`
	Pickup     string    `bun:"pickup_place" json:"pickup_place"`
	Applicant  string    `bun:"applicant_name" json:"applicant_name"`
	DriverName string    `bun:"driver_name" json:"driver_name"`
	VehicleID  int64     `bun:"vehicle_id" json:"-"`
}

// Board returns the vehicles of a unit subtree (the actor's scope by
// default) against one Beijing day, with their orders that day.
func (s *Service) Board(ctx context.Context, a *access.Actor, day time.Time, unitID int64, page, size int) ([]*BoardRow, int, error) {
	base := a.ScopePath
	if unitID != 0 {
		p, err := unitPath(ctx, s.DB.R, unitID)
		if err != nil {
			return nil, 0, store.Translate(err)
		}
		if !a.Covers(p) {
			return nil, 0, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
		}
		base = p
	}
	start := beijing.DayStart(day)
	end := start.AddDate(0, 0, 1)
	var vs []*vehicle
	total, err := vehicleQuery(s.DB.R).Where("u.path LIKE ?", base+"%").OrderExpr("u.depth, u.id, v.plate").
		Limit(size).Offset((page-1)*size).ScanAndCount(ctx, &vs)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	rows := make([]*BoardRow, len(vs))
	byID := map[int64]*BoardRow{}
	ids := make([]int64, len(vs))
	for i, v := range vs {
		rows[i] = &BoardRow{vehicle: *v, Orders: []*BoardOrder{}}
		byID[v.ID] = rows[i]
		ids[i] = v.ID
	}
	if len(ids) == 0 {
		return rows, total, nil
	}
	var os []*BoardOrder
	if err := s.DB.R.NewSelect().TableExpr("orders AS o").
		ColumnExpr("o.id, o.no, o.state, o.pickup_at, o.return_at, o.pickup_place, o.applicant_name, o.vehicle_id, d.name AS driver_name").
		Join("LEFT JOIN drivers AS d ON d.id = o.driver_id").
		Where("o.vehicle_id IN (?) AND o.pickup_at < ? AND o.pickup_at > ? AND o.return_at > ? AND o.state <> ?", bun.In(ids), end, start.Add(-MaxSpan), start, Cancelled).
		OrderExpr("o.pickup_at").Scan(ctx, &os); err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, o := range os {
		o.StateName = StateNames[o.State]
		byID[o.VehicleID].Orders = append(byID[o.VehicleID].Orders, o)
	}
	return rows, total, nil
}
