package fleet

import (
	"context"
	"fmt"
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

// The audit log's actions recorded here, with their Chinese names.
var (
	actDriverConfirm   = audit.NewAction("driver.confirm", "确认驾驶员信息")
	actDriverCreate    = audit.NewAction("driver.create", "登记驾驶员")
	actDriverImport    = audit.NewAction("driver.import", "导入驾驶员")
	actDriverMatch     = audit.NewAction("driver.match", "匹配驾驶员与车辆")
	actDriverUpdate    = audit.NewAction("driver.update", "修改驾驶员")
	actPhotoDelete     = audit.NewAction("photo.delete", "删除照片")
	actPhotoUpload     = audit.NewAction("photo.upload", "上传照片")
	actTerminalBind    = audit.NewAction("terminal.bind", "绑定终端")
	actTerminalCreate  = audit.NewAction("terminal.create", "登记终端")
	actTerminalUnbind  = audit.NewAction("terminal.unbind", "解绑终端")
	actVehicleCategory = audit.NewAction("vehicle.category", "车辆类别变更")
	actVehicleConfirm  = audit.NewAction("vehicle.confirm", "确认车辆信息")
	actVehicleCreate   = audit.NewAction("vehicle.create", "登记车辆")
	actVehicleDispose  = audit.NewAction("vehicle.dispose", "车辆处置")
	ActVehicleImport   = audit.NewAction("vehicle.import", "导入车辆")
	actVehicleTransfer = audit.NewAction("vehicle.transfer", "车辆划转")
	actVehicleUpdate   = audit.NewAction("vehicle.update", "修改车辆")
)

// Vehicle is a registered official vehicle.
type Vehicle struct {
	bun.BaseModel `bun:"table:vehicles"`

	ID              int64      `bun:"id,pk,autoincrement" json:"id"`
	UnitID          int64      `bun:"unit_id" json:"unit_id"`
	Plate           string     `bun:"plate" json:"plate"`
	Category        string     `bun:"category" json:"category"`
	Brand           string     `bun:"brand" json:"brand"`
	Model           string     `bun:"model" json:"model"`
	VIN             string     `bun:"vin" json:"vin"`
	EngineNo        string     `bun:"engine_no" json:"engine_no"`
	Colour          string     `bun:"colour" json:"colour"`
	Seats           int        `bun:"seats" json:"seats"`
	EnergyType      string     `bun:"energy_type" json:"energy_type"`
	Displacement    int        `bun:"displacement" json:"displacement"`
	TankLitres      int        `bun:"tank_litres" json:"tank_litres"` // 0: not recorded (fuel uses a default, R-24)
	PurchaseDate    string     `bun:"purchase_date" json:"purchase_date"`
	PurchasePrice   int64      `bun:"purchase_price" json:"purchase_price"`
	FundingSource   string     `bun:"funding_source" json:"funding_source"`
	RegisteredOn    string     `bun:"registered_on" json:"registered_on"` // 注册登记日期 (issue 23: the annual report's list)
	UseNature       string     `bun:"use_nature" json:"use_nature"`       // 使用性质, e.g. 非营运
	VehicleClass    string     `bun:"vehicle_class" json:"vehicle_class"`
	ParkingName     string     `bun:"parking_name" json:"parking_name"`
	ParkingLat      *float64   `bun:"parking_lat" json:"parking_lat"`
	ParkingLng      *float64   `bun:"parking_lng" json:"parking_lng"`
	ParkingRadius   int        `bun:"parking_radius" json:"parking_radius"`
	Marking         string     `bun:"marking" json:"marking"`
	Exempt          bool       `bun:"exempt" json:"exempt"`
	ExemptReason    string     `bun:"exempt_reason" json:"exempt_reason"`
	Status          string     `bun:"status" json:"status"`
	Incomplete      bool       `bun:"incomplete" json:"incomplete"`
	MissingText     string     `bun:"missing" json:"-"`
	ConfirmedAt     *time.Time `bun:"confirmed_at" json:"confirmed_at"`
	ConfirmedBy     *int64     `bun:"confirmed_by" json:"confirmed_by"`
	ConfirmedByName string     `bun:"confirmed_by_name" json:"confirmed_by_name"`
	CreatedAt       time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt       time.Time  `bun:"updated_at" json:"updated_at"`

	// Filled for responses.
	UnitName      string   `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath      string   `bun:"unit_path,scanonly" json:"-"`
	UnitQuota     int      `bun:"unit_quota,scanonly" json:"-"`
	UnitCount     int      `bun:"unit_count,scanonly" json:"-"`
	TerminalNo    string   `bun:"terminal_no,scanonly" json:"terminal_no"`
	Missing       []string `bun:"-" json:"missing"`
	Stale         bool     `bun:"-" json:"stale"`
	NoTerminal    bool     `bun:"-" json:"no_terminal"`
	UnitOverQuota bool     `bun:"-" json:"unit_over_quota"`
}

// fill computes the flags shown in lists.
func (v *Vehicle) fill(staleBefore time.Time) {
	v.Missing = splitMissing(v.MissingText)
	v.Stale = v.Status != "disposed" && (v.ConfirmedAt == nil || v.ConfirmedAt.Before(staleBefore))
	v.NoTerminal = !v.Exempt && v.Status != "disposed" && v.TerminalNo == ""
	v.UnitOverQuota = v.UnitCount > v.UnitQuota
}

func splitMissing(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, "、")
}

// auditView is what the audit log keeps of a vehicle.
func (v *Vehicle) auditView() map[string]any {
	return map[string]any{"id": v.ID, "unit_id": v.UnitID, "plate": v.Plate, "category": v.Category, "brand": v.Brand,
		"model": v.Model, "vin": v.VIN, "engine_no": v.EngineNo, "colour": v.Colour, "seats": v.Seats,
		"energy_type": v.EnergyType, "displacement": v.Displacement, "purchase_date": v.PurchaseDate,
		"purchase_price": v.PurchasePrice, "funding_source": v.FundingSource, "registered_on": v.RegisteredOn, "use_nature": v.UseNature, "vehicle_class": v.VehicleClass,
		"parking_name": v.ParkingName, "parking_lat": v.ParkingLat, "parking_lng": v.ParkingLng, "parking_radius": v.ParkingRadius,
		"marking": v.Marking, "exempt": v.Exempt, "exempt_reason": v.ExemptReason, "status": v.Status}
}

// VehicleInput is what a client may set on a vehicle. Nil fields are left
// unchanged by Update. The unit and the category change through dated
// changes (Transfer, ChangeCategory); disposal through Dispose.
type VehicleInput struct {
	UnitID        *int64   `json:"unit_id,omitempty"`  // create only
	Category      *string  `json:"category,omitempty"` // create only
	Plate         *string  `json:"plate,omitempty"`
	Brand         *string  `json:"brand,omitempty"`
	Model         *string  `json:"model,omitempty"`
	VIN           *string  `json:"vin,omitempty"`
	EngineNo      *string  `json:"engine_no,omitempty"`
	Colour        *string  `json:"colour,omitempty"`
	Seats         *int     `json:"seats,omitempty"`
	EnergyType    *string  `json:"energy_type,omitempty"`
	Displacement  *int     `json:"displacement,omitempty"`
	TankLitres    *int     `json:"tank_litres,omitempty"` // 油箱容积(升), 0 when not known
	PurchaseDate  *string  `json:"purchase_date,omitempty"`
	PurchasePrice *int64   `json:"purchase_price,omitempty"` // fen
	FundingSource *string  `json:"funding_source,omitempty"`
	RegisteredOn  *string  `json:"registered_on,omitempty"` // YYYY-MM-DD
	UseNature     *string  `json:"use_nature,omitempty"`
	VehicleClass  *string  `json:"vehicle_class,omitempty"`
	ParkingName   *string  `json:"parking_name,omitempty"`
	ParkingLat    *float64 `json:"parking_lat,omitempty"`
	ParkingLng    *float64 `json:"parking_lng,omitempty"`
	ParkingRadius *int     `json:"parking_radius,omitempty"`
	Marking       *string  `json:"marking,omitempty"`
	Exempt        *bool    `json:"exempt,omitempty"`
	ExemptReason  *string  `json:"exempt_reason,omitempty" max:"200"`
	Status        *string  `json:"status,omitempty"`
	// Acquisition record (create only): date (default: purchase date, else
	// today) and document number.
	AcquiredDate *string `json:"acquired_date,omitempty"`
	DocNo        *string `json:"doc_no,omitempty"`
}

// apply copies the set fields of in onto v and validates the result.
func (in *VehicleInput) apply(v *Vehicle) error {
	for _, p := range []*string{in.Category, in.Brand, in.Model, in.EngineNo, in.Colour, in.EnergyType, in.PurchaseDate,
		in.FundingSource, in.RegisteredOn, in.UseNature, in.VehicleClass, in.ParkingName, in.Marking, in.ExemptReason, in.Status} {
		trim(p)
	}
	setS := func(dst *string, src *string) {
		if src != nil {
			*dst = *src
		}
	}
	if in.Plate != nil {
		v.Plate = check.NormalisePlate(*in.Plate)
	}
	if in.VIN != nil {
		v.VIN = check.NormaliseVIN(*in.VIN)
	}
	if in.EngineNo != nil {
		v.EngineNo = strings.ToUpper(strings.ReplaceAll(*in.EngineNo, " ", ""))
	}
	setS(&v.Category, in.Category)
	setS(&v.Brand, in.Brand)
	setS(&v.Model, in.Model)
	setS(&v.Colour, in.Colour)
	setS(&v.EnergyType, in.EnergyType)
	setS(&v.PurchaseDate, in.PurchaseDate)
	setS(&v.FundingSource, in.FundingSource)
	setS(&v.RegisteredOn, in.RegisteredOn)
	setS(&v.UseNature, in.UseNature)
	setS(&v.VehicleClass, in.VehicleClass)
	setS(&v.ParkingName, in.ParkingName)
	setS(&v.Marking, in.Marking)
	setS(&v.ExemptReason, in.ExemptReason)
	setS(&v.Status, in.Status)
	if in.Seats != nil {
		v.Seats = *in.Seats
	}
	if in.Displacement != nil {
		v.Displacement = *in.Displacement
	}
	if in.TankLitres != nil {
		v.TankLitres = *in.TankLitres
	}
	if in.PurchasePrice != nil {
		v.PurchasePrice = *in.PurchasePrice
	}
	if in.ParkingLat != nil {
		v.ParkingLat = in.ParkingLat
	}
	if in.ParkingLng != nil {
		v.ParkingLng = in.ParkingLng
	}
	if in.ParkingRadius != nil {
		v.ParkingRadius = *in.ParkingRadius
	}
	if in.Exempt != nil {
		v.Exempt = *in.Exempt
	}
	if !v.Exempt {
		v.ExemptReason = ""
	}
	if v.Marking == "" {
		v.Marking = "unmarked"
	}
	if v.Status == "" {
		v.Status = "available"
	}
	return v.validate()
}

func (v *Vehicle) validate() error {
	var f errs.Fields
	if v.Plate == "" {
		f.Add("plate", "请填写车牌号")
	} else if err := check.Plate(v.Plate); err != nil {
		f.Add("plate", "车牌号格式不正确："+err.Error())
	}
	f.Check(!known(Categories, v.Category), "category", "请选择车辆类别（机要通信、应急保障、执法执勤、特种专业技术、离退休干部服务、其他）")
	f.Check(v.Brand == "", "brand", "请填写品牌")
	checkLen(&f, "brand", "品牌", v.Brand, 30)
	f.Check(v.Model == "", "model", "请填写型号")
	checkLen(&f, "model", "型号", v.Model, 40)
	if v.VIN == "" {
		f.Add("vin", "请填写车辆识别代号（VIN）")
	} else if err := check.VIN(v.VIN); err != nil {
		msg := err.Error()
		if strings.Contains(msg, "校验位") {
			msg = "校验位不正确，请逐位核对是否输入有误"
		}
		f.Add("vin", "车辆识别代号"+msg)
	}
	checkLen(&f, "engine_no", "发动机号", v.EngineNo, 30)
	checkLen(&f, "colour", "车身颜色", v.Colour, 20)
	f.Check(v.Seats < 1 || v.Seats > 60, "seats", "核定座位数须为1至60的整数")
	f.Check(!known(EnergyTypes, v.EnergyType), "energy_type", "请选择能源类型")
	f.Check(v.Displacement < 0 || v.Displacement > 20000, "displacement", "排量须为0至20000毫升")
	f.Check(v.TankLitres < 0 || v.TankLitres > 500, "tank_litres", "油箱容积须为0至500升（0为未登记）")
	if v.EnergyType == "electric" || v.EnergyType == "fuel_cell" {
		f.Check(v.Displacement != 0, "displacement", "纯电动、燃料电池车辆的排量应为0")
	}
	checkDate(&f, "purchase_date", "购置日期", v.PurchaseDate, false)
	checkDate(&f, "registered_on", "注册登记日期", v.RegisteredOn, false)
	f.Check(v.PurchasePrice < 0, "purchase_price", "购置价格不能为负数")
	f.Check(v.PurchasePrice > 100_000_000_00, "purchase_price", "购置价格超出范围（不超过1亿元）")
	f.Check(v.FundingSource != "" && !known(FundingSources, v.FundingSource), "funding_source", "经费来源取值无效")
	f.Check(!known(VehicleClasses, v.VehicleClass), "vehicle_class", "请选择准驾车型要求（小型汽车、大型客车等）")
	checkLen(&f, "parking_name", "停放地点", v.ParkingName, 60)
	if (v.ParkingLat == nil) != (v.ParkingLng == nil) {
		f.Add("parking_lat", "停放地点的纬度和经度须同时填写")
	}
	if v.ParkingLat != nil && v.ParkingLng != nil {
		f.Check(*v.ParkingLat < 3.8 || *v.ParkingLat > 53.6, "parking_lat", "停放地点纬度须在3.8至53.6之间（WGS-84，中国境内）")
		f.Check(*v.ParkingLng < 73.5 || *v.ParkingLng > 135.1, "parking_lng", "停放地点经度须在73.5至135.1之间（WGS-84，中国境内）")
	}
	f.Check(v.ParkingRadius < 0 || v.ParkingRadius > 5000, "parking_radius", "停放范围半径须为0至5000米")
	f.Check(!known(Markings, v.Marking), "marking", "标识情况取值无效")
	if v.Exempt {
		f.Check(!known(ExemptReasons, v.ExemptReason), "exempt_reason", "请选择不纳入平台管理的原因（国家安全、刑事侦查、特殊技术需要）")
	}
	f.Check(!known(Statuses, v.Status), "status", "车辆状态取值无效")
	return f.Err()
}

// missing lists what a vehicle record still lacks to be complete (R-8:
// full base data plus full-body photos).
func vehicleMissing(v *Vehicle, kinds map[string]bool) []string {
	var m []string
	for _, k := range []string{"front", "side", "rear"} {
		if !kinds[k] {
			m = append(m, name(VehiclePhotoKinds, k))
		}
	}
	if v.EngineNo == "" {
		m = append(m, "发动机号")
	}
	if v.PurchaseDate == "" {
		m = append(m, "购置日期")
	}
	if v.ParkingName == "" || v.ParkingLat == nil {
		m = append(m, "停放地点")
	}
	return m
}

// refreshVehicle recomputes incomplete and missing from the record and its
// photos, inside tx.
func refreshVehicle(ctx context.Context, tx bun.IDB, v *Vehicle) error {
	have, err := photoKinds(ctx, tx, "vehicle", v.ID)
	if err != nil {
		return err
	}
	m := vehicleMissing(v, have)
	v.Incomplete = len(m) > 0
	v.MissingText = strings.Join(m, "、")
	_, err = tx.NewUpdate().Model(v).Column("incomplete", "missing").WherePK().Exec(ctx)
	return err
}

func (s *Service) selectVehicles(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Vehicle)(nil)).ModelTableExpr("vehicles AS v").
		ColumnExpr("v.*").
		ColumnExpr("u.name AS unit_name, u.path AS unit_path, u.vehicle_quota AS unit_quota, u.vehicle_count AS unit_count").
		ColumnExpr("t.terminal_no AS terminal_no").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Join("LEFT JOIN terminals AS t ON t.vehicle_id = v.id")
}

// loadVehicle reads a vehicle with its unit path regardless of scope.
func (s *Service) loadVehicle(ctx context.Context, db bun.IDB, id int64) (*Vehicle, error) {
	v := new(Vehicle)
	if err := s.selectVehicles(db).Where("v.id = ?", id).Scan(ctx, v); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "车辆不存在或已删除"))
	}
	v.fill(s.staleBefore())
	return v, nil
}

// vehicleInScope loads a vehicle the actor may act on.
func (s *Service) vehicleInScope(ctx context.Context, db bun.IDB, a *access.Actor, id int64) (*Vehicle, error) {
	v, err := s.loadVehicle(ctx, db, id)
	if err != nil {
		return nil, err
	}
	if !a.Covers(v.UnitPath) {
		return nil, outOfScope("车辆" + v.Plate)
	}
	return v, nil
}

// Change is a dated change of a vehicle's holding or category.
type Change struct {
	bun.BaseModel `bun:"table:vehicle_changes"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	VehicleID    int64     `bun:"vehicle_id" json:"vehicle_id"`
	Kind         string    `bun:"kind" json:"kind"` // acquire | transfer | category | dispose
	Date         string    `bun:"change_date" json:"date"`
	DocNo        string    `bun:"doc_no" json:"doc_no"`
	FromUnitID   *int64    `bun:"from_unit_id" json:"from_unit_id"`
	ToUnitID     *int64    `bun:"to_unit_id" json:"to_unit_id"`
	FromCategory string    `bun:"from_category" json:"from_category"`
	ToCategory   string    `bun:"to_category" json:"to_category"`
	Note         string    `bun:"note" json:"note"`
	CreatedBy    *int64    `bun:"created_by" json:"-"`
	CreatedAt    time.Time `bun:"created_at" json:"created_at"`

	FromUnitName string `bun:"from_unit_name,scanonly" json:"from_unit_name"`
	ToUnitName   string `bun:"to_unit_name,scanonly" json:"to_unit_name"`
	KindName     string `bun:"-" json:"kind_name"`
}

// ChangeKinds names the kinds of change.
var ChangeKinds = []Code{{"acquire", "购置登记"}, {"transfer", "划转"}, {"category", "类别变更"}, {"dispose", "处置"}}

func actorID(a *access.Actor) *int64 {
	if a == nil || a.UserID == 0 {
		return nil
	}
	id := a.UserID
	return &id
}

// CreateVehicle registers a vehicle in a unit inside the actor's scope and
// records its acquisition.
func (s *Service) CreateVehicle(ctx context.Context, a *access.Actor, in VehicleInput) (*VehicleDetail, error) {
	var id int64
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.createVehicle(ctx, tx, a, in)
		if err != nil {
			return err
		}
		id = v.ID
		return audit.Record(ctx, tx, a, audit.Event{Action: actVehicleCreate, ObjectType: audit.Vehicle, ObjectID: v.ID,
			ScopePath: v.UnitPath, Summary: fmt.Sprintf("登记车辆%s（%s %s）", v.Plate, v.Brand, v.Model), After: v.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetVehicle(ctx, a, id)
}

// createVehicle validates and inserts one vehicle inside tx (also used by
// the import); it does not audit.
func (s *Service) createVehicle(ctx context.Context, tx bun.IDB, a *access.Actor, in VehicleInput) (*Vehicle, error) {
	var unitID int64
	if in.UnitID != nil {
		unitID = *in.UnitID
	}
	now := s.now()
	v := &Vehicle{UnitID: unitID, CreatedAt: now, UpdatedAt: now}
	confirmedBy(a, now, &v.ConfirmedAt, &v.ConfirmedBy, &v.ConfirmedByName)
	verr := in.apply(v)
	var f errs.Fields
	if e, ok := verr.(*errs.Error); ok {
		f = e.Fields
	}
	f.Check(v.Status == "disposed", "status", "新登记的车辆不能是已处置状态")
	date := v.PurchaseDate
	if in.AcquiredDate != nil && strings.TrimSpace(*in.AcquiredDate) != "" {
		date = strings.TrimSpace(*in.AcquiredDate)
		checkDate(&f, "acquired_date", "登记日期", date, true)
	}
	if date == "" {
		date = s.today()
	}
	doc := ""
	if in.DocNo != nil {
		doc = strings.TrimSpace(*in.DocNo)
	}
	checkLen(&f, "doc_no", "文号", doc, 50)
	// Scope first: an out-of-scope unit is refused as forbidden even when the
	// rest is invalid, so that nothing about other units leaks.
	u, err := ownerUnit(ctx, tx, a, unitID, "unit_id")
	if err != nil {
		if errs.Is(err, errs.Invalid) {
			for k, m := range err.(*errs.Error).Fields {
				f.Add(k, m)
			}
		} else {
			return nil, err
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.NewInsert().Model(v).Exec(ctx); err != nil {
		return nil, store.Translate(err)
	}
	to := u.ID
	c := &Change{VehicleID: v.ID, Kind: "acquire", Date: date, DocNo: doc, ToUnitID: &to, ToCategory: v.Category, CreatedBy: actorID(a), CreatedAt: now}
	if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
		return nil, err
	}
	if err := refreshVehicle(ctx, tx, v); err != nil {
		return nil, err
	}
	if err := recount(ctx, tx, u.ID); err != nil {
		return nil, err
	}
	v.UnitPath, v.UnitName = u.Path, u.Name
	return v, nil
}

// UpdateVehicle changes a vehicle's base data.
func (s *Service) UpdateVehicle(ctx context.Context, a *access.Actor, id int64, in VehicleInput) (*VehicleDetail, error) {
	if in.UnitID != nil {
		return nil, errs.E(errs.Invalid, "变更所属单位请使用「划转」，并填写划转日期和文号")
	}
	if in.Category != nil {
		return nil, errs.E(errs.Invalid, "变更车辆类别请使用「类别变更」，并填写变更日期和文号")
	}
	if in.Status != nil && strings.TrimSpace(*in.Status) == "disposed" {
		return nil, errs.E(errs.Invalid, "车辆处置请使用「处置」，并填写处置日期和文号")
	}
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		if v.Status == "disposed" {
			return errs.E(errs.Invalid, "车辆%s已处置，不能修改", v.Plate)
		}
		before := v.auditView()
		if err := in.apply(v); err != nil {
			return err
		}
		v.UpdatedAt = s.now()
		if _, err := tx.NewUpdate().Model(v).ExcludeColumn("confirmed_at", "confirmed_by", "confirmed_by_name", "created_at", "unit_id", "category").WherePK().Exec(ctx); err != nil {
			return err
		}
		if err := refreshVehicle(ctx, tx, v); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actVehicleUpdate, ObjectType: audit.Vehicle, ObjectID: v.ID,
			ScopePath: v.UnitPath, Summary: fmt.Sprintf("修改车辆%s", v.Plate), Before: before, After: v.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetVehicle(ctx, a, id)
}

// ChangeInput is a dated change: transfer (UnitID), category change
// (Category) or disposal.
type ChangeInput struct {
	UnitID   int64  `json:"unit_id,omitempty"`
	Category string `json:"category,omitempty"`
	Date     string `json:"date"`
	DocNo    string `json:"doc_no"`
	Note     string `json:"note,omitempty" max:"500"`
}

func (s *Service) checkChange(ctx context.Context, tx bun.IDB, v *Vehicle, in *ChangeInput, f *errs.Fields) error {
	in.Date, in.DocNo, in.Note = strings.TrimSpace(in.Date), strings.TrimSpace(in.DocNo), strings.TrimSpace(in.Note)
	checkDate(f, "date", "变更日期", in.Date, true)
	if (*f)["date"] == "" && in.Date > s.today() {
		f.Add("date", "变更日期不能晚于今天")
	}
	f.Check(in.DocNo == "", "doc_no", "请填写文号（批复或登记文件编号）")
	checkLen(f, "doc_no", "文号", in.DocNo, 50)
	checkLen(f, "note", "备注", in.Note, 200)
	if v.Status == "disposed" {
		return errs.E(errs.Invalid, "车辆%s已处置，不能再变更", v.Plate)
	}
	if (*f)["date"] == "" && in.Date != "" {
		var last string
		if err := tx.NewSelect().Table("vehicle_changes").ColumnExpr("MAX(change_date)").Where("vehicle_id = ?", v.ID).Scan(ctx, &last); err != nil {
			return err
		}
		if in.Date < last {
			f.Add("date", fmt.Sprintf("变更日期不能早于该车最近一次变更（%s）", last))
		}
	}
	return nil
}

// Transfer moves a vehicle to another unit (划转) on a date; both units must
// lie inside the actor's scope. The quota counts of both units follow.
func (s *Service) Transfer(ctx context.Context, a *access.Actor, id int64, in ChangeInput) (*VehicleDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var f errs.Fields
		to, err := ownerUnit(ctx, tx, a, in.UnitID, "unit_id")
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				return err
			}
			for k, m := range err.(*errs.Error).Fields {
				f.Add(k, m)
			}
		}
		if err := s.checkChange(ctx, tx, v, &in, &f); err != nil {
			return err
		}
		if to != nil && to.ID == v.UnitID {
			f.Add("unit_id", "划入单位与当前所属单位相同")
		}
		if err := f.Err(); err != nil {
			return err
		}
		before := v.auditView()
		from := v.UnitID
		c := &Change{VehicleID: v.ID, Kind: "transfer", Date: in.Date, DocNo: in.DocNo, Note: in.Note, FromUnitID: &from, ToUnitID: &to.ID,
			FromCategory: v.Category, ToCategory: v.Category, CreatedBy: actorID(a), CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		v.UnitID, v.UpdatedAt = to.ID, s.now()
		if _, err := tx.NewUpdate().Model(v).Column("unit_id", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		// The terminal stays in the vehicle and follows it.
		if _, err := tx.NewUpdate().Table("terminals").Set("unit_id = ?", to.ID).Where("vehicle_id = ?", v.ID).Exec(ctx); err != nil {
			return err
		}
		if err := recount(ctx, tx, from, to.ID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actVehicleTransfer, ObjectType: audit.Vehicle, ObjectID: v.ID,
			ScopePath: to.Path, Summary: fmt.Sprintf("车辆%s由「%s」划转至「%s」（%s，文号%s）", v.Plate, v.UnitName, to.Name, in.Date, in.DocNo),
			Before: before, After: v.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetVehicle(ctx, a, id)
}

// ChangeCategory records a change of the vehicle's R-4 category.
func (s *Service) ChangeCategory(ctx context.Context, a *access.Actor, id int64, in ChangeInput) (*VehicleDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var f errs.Fields
		in.Category = strings.TrimSpace(in.Category)
		f.Check(!known(Categories, in.Category), "category", "请选择车辆类别")
		f.Check(in.Category == v.Category, "category", "新类别与当前类别相同")
		if err := s.checkChange(ctx, tx, v, &in, &f); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		before := v.auditView()
		unit := v.UnitID
		c := &Change{VehicleID: v.ID, Kind: "category", Date: in.Date, DocNo: in.DocNo, Note: in.Note, FromUnitID: &unit, ToUnitID: &unit,
			FromCategory: v.Category, ToCategory: in.Category, CreatedBy: actorID(a), CreatedAt: s.now()}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		v.Category, v.UpdatedAt = in.Category, s.now()
		if _, err := tx.NewUpdate().Model(v).Column("category", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actVehicleCategory, ObjectType: audit.Vehicle, ObjectID: v.ID,
			ScopePath: v.UnitPath, Summary: fmt.Sprintf("车辆%s类别由「%s」变更为「%s」（%s，文号%s）", v.Plate, name(Categories, c.FromCategory), name(Categories, c.ToCategory), in.Date, in.DocNo),
			Before: before, After: v.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetVehicle(ctx, a, id)
}

// Dispose records the disposal of a vehicle (报废、拍卖、划出等): it no
// longer counts toward the unit's actual vehicles, its terminal is unbound
// and its drivers unmatched.
func (s *Service) Dispose(ctx context.Context, a *access.Actor, id int64, in ChangeInput) (*VehicleDetail, error) {
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		v, err := s.vehicleInScope(ctx, tx, a, id)
		if err != nil {
			return err
		}
		var f errs.Fields
		if err := s.checkChange(ctx, tx, v, &in, &f); err != nil {
			return err
		}
		if err := f.Err(); err != nil {
			return err
		}
		before := v.auditView()
		unit := v.UnitID
		now := s.now()
		c := &Change{VehicleID: v.ID, Kind: "dispose", Date: in.Date, DocNo: in.DocNo, Note: in.Note, FromUnitID: &unit,
			FromCategory: v.Category, CreatedBy: actorID(a), CreatedAt: now}
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		v.Status, v.UpdatedAt = "disposed", now
		if _, err := tx.NewUpdate().Model(v).Column("status", "updated_at").WherePK().Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("terminal_bindings").Set("unbound_at = ?", now).Set("unbound_by = ?", actorID(a)).
			Where("vehicle_id = ? AND unbound_at IS NULL", v.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Table("terminals").Set("vehicle_id = NULL").Set("updated_at = ?", now).Where("vehicle_id = ?", v.ID).Exec(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Table("driver_vehicles").Where("vehicle_id = ?", v.ID).Exec(ctx); err != nil {
			return err
		}
		if err := recount(ctx, tx, unit); err != nil {
			return err
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actVehicleDispose, ObjectType: audit.Vehicle, ObjectID: v.ID,
			ScopePath: v.UnitPath, Summary: fmt.Sprintf("处置车辆%s（%s，文号%s）", v.Plate, in.Date, in.DocNo),
			Before: before, After: v.auditView()})
	})
	if err != nil {
		return nil, err
	}
	return s.GetVehicle(ctx, a, id)
}

// DriverRef is a driver matched to a vehicle.
type DriverRef struct {
	ID           int64  `bun:"id" json:"id"`
	Name         string `bun:"name" json:"name"`
	Phone        string `bun:"phone" json:"phone"`
	LicenceClass string `bun:"licence_class" json:"licence_class"`
}

// VehicleDetail is the vehicle page: the record, its photos, its current
// terminal, its drivers and its change history.
type VehicleDetail struct {
	*Vehicle
	Photos   []*Photo     `json:"photos"`
	Terminal *Terminal    `json:"terminal"`
	Drivers  []*DriverRef `json:"drivers"`
	Changes  []*Change    `json:"changes"`
}

// GetVehicle returns the vehicle page of a vehicle inside the actor's scope.
func (s *Service) GetVehicle(ctx context.Context, a *access.Actor, id int64) (*VehicleDetail, error) {
	db := s.DB.R
	v, err := s.vehicleInScope(ctx, db, a, id)
	if err != nil {
		return nil, err
	}
	d := &VehicleDetail{Vehicle: v, Photos: []*Photo{}, Drivers: []*DriverRef{}, Changes: []*Change{}}
	if d.Photos, err = s.photos(ctx, db, "vehicle", id); err != nil {
		return nil, err
	}
	var ts []*Terminal
	if err := s.selectTerminals(db).Where("t.vehicle_id = ?", id).Scan(ctx, &ts); err != nil {
		return nil, store.Translate(err)
	}
	if len(ts) > 0 {
		d.Terminal = ts[0]
	}
	if err := db.NewSelect().TableExpr("drivers AS d").ColumnExpr("d.id, d.name, d.phone, d.licence_class").
		Join("JOIN driver_vehicles AS dv ON dv.driver_id = d.id").Where("dv.vehicle_id = ?", id).OrderExpr("d.name").Scan(ctx, &d.Drivers); err != nil {
		return nil, store.Translate(err)
	}
	if err := db.NewSelect().Model(&d.Changes).ModelTableExpr("vehicle_changes AS c").ColumnExpr("c.*").
		ColumnExpr("fu.name AS from_unit_name, tu.name AS to_unit_name").
		Join("LEFT JOIN units AS fu ON fu.id = c.from_unit_id").Join("LEFT JOIN units AS tu ON tu.id = c.to_unit_id").
		Where("c.vehicle_id = ?", id).OrderExpr("c.change_date, c.id").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, c := range d.Changes {
		c.KindName = name(ChangeKinds, c.Kind)
	}
	if d.Drivers == nil {
		d.Drivers = []*DriverRef{}
	}
	return d, nil
}

// VehicleFilter selects vehicles for lists and exports.
type VehicleFilter struct {
	UnitID     int64 // subtree under this node (0: the actor's scope)
	Category   string
	Status     string
	Q          string // plate, VIN, brand or model
	Incomplete bool
	Stale      bool
	NoTerminal bool
	OverQuota  bool   // vehicles of over-quota units
	Sort       string // plate | purchase_date | unit, "-" prefix for descending
	Page, Size int
}

func (s *Service) vehicleQuery(ctx context.Context, a *access.Actor, f VehicleFilter) (*bun.SelectQuery, error) {
	base, err := scopeBase(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, err
	}
	q := s.selectVehicles(s.DB.R).Where("u.path LIKE ?", base.Path+"%")
	if f.Category != "" {
		q = q.Where("v.category = ?", f.Category)
	}
	if f.Status != "" {
		q = q.Where("v.status = ?", f.Status)
	}
	if strings.TrimSpace(f.Q) != "" {
		like := likeQ(strings.ToUpper(f.Q))
		raw := likeQ(f.Q)
		q = q.Where("(v.plate LIKE ? OR v.vin LIKE ? OR v.brand LIKE ? OR v.model LIKE ?)", like, like, raw, raw)
	}
	if f.Incomplete {
		q = q.Where("v.incomplete = ?", true)
	}
	if f.Stale {
		q = q.Where("v.status <> 'disposed' AND (v.confirmed_at IS NULL OR v.confirmed_at < ?)", s.staleBefore())
	}
	if f.NoTerminal {
		// NOT EXISTS rather than "t.id IS NULL" on the LEFT JOIN: PostgreSQL
		// estimates the anti-join right and keeps a hash plan (250 ms → ms).
		q = q.Where("v.exempt = ? AND v.status <> 'disposed' AND NOT EXISTS (SELECT 1 FROM terminals AS t2 WHERE t2.vehicle_id = v.id)", false)
	}
	if f.OverQuota {
		q = q.Where("u.vehicle_count > u.vehicle_quota")
	}
	desc := strings.HasPrefix(f.Sort, "-")
	dir := " ASC"
	if desc {
		dir = " DESC"
	}
	switch strings.TrimPrefix(f.Sort, "-") {
	case "", "plate":
		q = q.OrderExpr("v.plate" + dir)
	case "purchase_date":
		q = q.OrderExpr("v.purchase_date" + dir + ", v.plate")
	case "unit":
		q = q.OrderExpr("v.unit_id" + dir + ", v.plate") // by unit id: sorting on the path text is slow under PostgreSQL collations
	default:
		return nil, (&errs.Fields{"sort": "排序字段只能是 plate、purchase_date 或 unit"}).Err()
	}
	return q, nil
}

// ListVehicles returns a page of vehicles inside the actor's scope.
func (s *Service) ListVehicles(ctx context.Context, a *access.Actor, f VehicleFilter) ([]*Vehicle, int, error) {
	q, err := s.vehicleQuery(ctx, a, f)
	if err != nil {
		return nil, 0, err
	}
	var out []*Vehicle
	n, err := q.Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	sb := s.staleBefore()
	for _, v := range out {
		v.fill(sb)
	}
	return out, n, nil
}

// AllVehicles returns every vehicle matching f (at most limit), for export.
func (s *Service) AllVehicles(ctx context.Context, a *access.Actor, f VehicleFilter, limit int) ([]*Vehicle, error) {
	q, err := s.vehicleQuery(ctx, a, f)
	if err != nil {
		return nil, err
	}
	var out []*Vehicle
	if err := q.Limit(limit).Scan(ctx, &out); err != nil {
		return nil, store.Translate(err)
	}
	sb := s.staleBefore()
	for _, v := range out {
		v.fill(sb)
	}
	return out, nil
}

// HeldVehicle is a vehicle a unit held on a date, with its category then.
type HeldVehicle struct {
	ID       int64  `json:"id"`
	Plate    string `json:"plate"`
	Brand    string `json:"brand"`
	Model    string `json:"model"`
	Category string `json:"category"` // as on the date
	Since    string `json:"since"`    // date the unit got it
	Status   string `json:"status"`   // today's status
}

// HeldOn answers the annual report's question "what did unit X hold on
// date D" (R-11) from the dated changes: a vehicle was held by X on D when
// its last holding change (acquisition, transfer, disposal) dated on or
// before D brought it to X.
type HeldOn struct {
	UnitID   int64          `json:"unit_id"`
	UnitName string         `json:"unit_name"`
	Date     string         `json:"date"`
	Total    int            `json:"total"`
	Vehicles []*HeldVehicle `json:"vehicles"`
}

// VehiclesOn returns the vehicles unit id held on date (YYYY-MM-DD).
func (s *Service) VehiclesOn(ctx context.Context, a *access.Actor, unitID int64, date string) (*HeldOn, error) {
	var f errs.Fields
	checkDate(&f, "date", "查询日期", strings.TrimSpace(date), true)
	if err := f.Err(); err != nil {
		return nil, err
	}
	u, err := loadUnit(ctx, s.DB.R, unitID)
	if err != nil {
		return nil, err
	}
	if !a.Covers(u.Path) {
		return nil, outOfScope("单位「" + u.Name + "」")
	}
	var rows []struct {
		ID       int64  `bun:"id"`
		Plate    string `bun:"plate"`
		Brand    string `bun:"brand"`
		Model    string `bun:"model"`
		Status   string `bun:"status"`
		Since    string `bun:"since"`
		Category string `bun:"category"`
	}
	holding := "('acquire','transfer','dispose')"
	err = s.DB.R.NewRaw(`SELECT v.id, v.plate, v.brand, v.model, v.status, c.change_date AS since,
	  COALESCE((SELECT k.to_category FROM vehicle_changes AS k WHERE k.vehicle_id = v.id AND k.to_category <> '' AND k.change_date <= ?
	            ORDER BY k.change_date DESC, k.id DESC LIMIT 1), v.category) AS category
	FROM vehicle_changes AS c JOIN vehicles AS v ON v.id = c.vehicle_id
	WHERE c.to_unit_id = ? AND c.change_date <= ? AND c.kind IN `+holding+`
	  AND NOT EXISTS (SELECT 1 FROM vehicle_changes AS c2 WHERE c2.vehicle_id = c.vehicle_id AND c2.kind IN `+holding+`
	      AND c2.change_date <= ? AND (c2.change_date > c.change_date OR (c2.change_date = c.change_date AND c2.id > c.id)))
	ORDER BY v.plate`, date, unitID, date, date).Scan(ctx, &rows)
	if err != nil {
		return nil, store.Translate(err)
	}
	out := &HeldOn{UnitID: u.ID, UnitName: u.Name, Date: date, Vehicles: []*HeldVehicle{}}
	for _, r := range rows {
		out.Vehicles = append(out.Vehicles, &HeldVehicle{ID: r.ID, Plate: r.Plate, Brand: r.Brand, Model: r.Model, Category: r.Category, Since: r.Since, Status: r.Status})
	}
	out.Total = len(out.Vehicles)
	return out, nil
}

var _ = utf8.RuneCountInString
