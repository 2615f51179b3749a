package fleet

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/sheet"
	"govfleet/internal/store"
)

func codeNames(codes []Code) string {
	var n []string
	for _, c := range codes {
		n = append(n, c.Name)
	}
	return strings.Join(n, "、")
}

var vehicleColumns = []sheet.Column{
	{Title: "车牌号", Field: "plate", Required: true, Note: "普通号牌7位如苏D12345，新能源号牌8位如苏DD12345，警用号牌如苏D1234警", Example: "苏D12345"},
	{Title: "所属单位", Field: "unit_id", Required: true, Note: "单位全称，须在导入范围内", Example: "天宁区城市管理局"},
	{Title: "车辆类别", Field: "category", Required: true, Note: codeNames(Categories), Example: "执法执勤用车"},
	{Title: "品牌", Field: "brand", Required: true, Note: "如红旗、大众、别克", Example: "大众"},
	{Title: "型号", Field: "model", Required: true, Note: "如帕萨特、GL8", Example: "帕萨特"},
	{Title: "车辆识别代号", Field: "vin", Required: true, Note: "17位，含校验位", Example: "LSVAU2A38N2183590", Text: true},
	{Title: "发动机号", Field: "engine_no", Example: "DKX123456", Text: true},
	{Title: "车身颜色", Field: "colour", Example: "黑色"},
	{Title: "核定座位数", Field: "seats", Required: true, Note: "1至60", Example: "5"},
	{Title: "能源类型", Field: "energy_type", Required: true, Note: codeNames(EnergyTypes), Example: "汽油"},
	{Title: "排量(毫升)", Field: "displacement", Note: "纯电动填0", Example: "1984"},
	{Title: "购置日期", Field: "purchase_date", Note: "年-月-日，如2022-05-18", Example: "2022-05-18", Text: true},
	{Title: "购置价格(元)", Field: "purchase_price", Note: "单位元，最多两位小数", Example: "219800.00"},
	{Title: "经费来源", Field: "funding_source", Note: codeNames(FundingSources), Example: "财政预算"},
	{Title: "准驾车型要求", Field: "vehicle_class", Required: true, Note: codeNames(VehicleClasses), Example: "小型汽车（C1）"},
	{Title: "标识情况", Field: "marking", Note: codeNames(Markings) + "，默认未标识", Example: "已标识"},
	{Title: "停放地点", Field: "parking_name", Example: "天宁区城市管理局机关大院"},
	{Title: "停放地点纬度", Field: "parking_lat", Note: "WGS-84，如31.7792", Example: "31.7792"},
	{Title: "停放地点经度", Field: "parking_lng", Note: "WGS-84，如119.9741", Example: "119.9741"},
	{Title: "停放半径(米)", Field: "parking_radius", Note: "0至5000", Example: "200"},
	{Title: "是否不纳入平台", Field: "exempt", Note: "是或否（国家安全、刑事侦查、特殊技术需要的车辆，R-12）", Example: "否"},
	{Title: "不纳入原因", Field: "exempt_reason", Note: codeNames(ExemptReasons)},
	{Title: "状态", Field: "status", Note: "在库、使用中、维修保养、封存；默认在库", Example: "在库"},
	{Title: "登记文号", Field: "doc_no", Note: "购置或配备批复文号", Example: "常机管〔2022〕15号", Text: true},
}

var driverColumns = []sheet.Column{
	{Title: "姓名", Field: "name", Required: true, Example: "王建华"},
	{Title: "身份证号", Field: "id_card", Required: true, Note: "18位", Example: "320402198507120016", Text: true},
	{Title: "所属单位", Field: "unit_id", Required: true, Note: "单位全称，须在导入范围内", Example: "天宁区城市管理局"},
	{Title: "手机号", Field: "phone", Note: "11位手机号", Example: "13905191234", Text: true},
	{Title: "驾驶证号", Field: "licence_no", Note: "不填则与身份证号相同", Text: true},
	{Title: "准驾车型", Field: "licence_class", Required: true, Note: "如C1、B1、A1A2", Example: "C1"},
	{Title: "驾驶证有效期至", Field: "licence_expiry", Required: true, Note: "年-月-日", Example: "2030-07-12", Text: true},
}

// VehicleTemplate is the vehicle import template.
func VehicleTemplate() ([]byte, error) { return sheet.Template("车辆", vehicleColumns, templateNote) }

// DriverTemplate is the driver import template.
func DriverTemplate() ([]byte, error) {
	return sheet.Template("驾驶员", driverColumns, templateNote)
}

const templateNote = "第2行为示例，导入前请删除或改为真实数据。带*的列必填。导入时只要有一行有误，全部不导入，并逐行列出错误。"

// ImportResult reports an import: how many rows were written or, when any
// row is bad, every problem (and nothing written).
type ImportResult struct {
	Imported int              `json:"imported"`
	Errors   []sheet.RowError `json:"errors"`
}

// MaxImportRows caps one import.
const MaxImportRows = 5000

func readImport(data []byte, cols []sheet.Column) (*sheet.File, error) {
	return sheet.Read(data, sheet.Spec{Columns: cols, MaxRows: MaxImportRows})
}

func strp(s string) *string { return &s }

// code reads a cell of a list of codes (by name, short name or code).
func code(r *sheet.Row, column string, codes []Code) *string {
	return r.Enum(column, func(v string) (string, bool) { return codeOf(codes, v) }, codeNames(codes))
}

// importUnits maps unit names to the units inside the import's root.
func importUnits(ctx context.Context, db bun.IDB, root string) (map[string]*unitRef, error) {
	var us []*unitRef
	if err := db.NewSelect().Model(&us).Where("path LIKE ? AND kind = 'unit'", root+"%").Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	m := map[string]*unitRef{}
	for _, u := range us {
		m[u.Name] = u
	}
	return m, nil
}

// unit reads the 所属单位 cell: an active unit inside the import's root.
func unit(r *sheet.Row, units map[string]*unitRef) *int64 {
	const col = "所属单位"
	v := r.Value(col)
	if v == "" {
		if !r.Reported(col) {
			r.Add(col, "请填写"+col)
		}
		return nil
	}
	u, ok := units[v]
	if !ok {
		r.Add(col, fmt.Sprintf("单位“%s”不存在或不在本次导入范围内", v))
		return nil
	}
	if !u.Active {
		r.Add(col, fmt.Sprintf("单位“%s”已停用", v))
		return nil
	}
	return &u.ID
}

// ImportVehicles imports vehicles from an .xlsx sheet into units under the
// node rootID (0: the actor's scope), all or nothing: when any row is bad,
// nothing is written and every problem is reported by row and column.
func (s *Service) ImportVehicles(ctx context.Context, a *access.Actor, rootID int64, data []byte) (*ImportResult, error) {
	root, err := scopeBase(ctx, s.DB.R, a, rootID)
	if err != nil {
		return nil, err
	}
	f, err := readImport(data, vehicleColumns)
	if err != nil {
		return nil, err
	}
	units, err := importUnits(ctx, s.DB.R, root.Path)
	if err != nil {
		return nil, err
	}
	inputs := make([]VehicleInput, len(f.Rows))
	plates, vins := map[string]int{}, map[string]int{}
	for i, r := range f.Rows {
		c := r.Value
		in := VehicleInput{Plate: strp(c("车牌号")), Brand: strp(c("品牌")), Model: strp(c("型号")), VIN: strp(c("车辆识别代号")),
			EngineNo: strp(c("发动机号")), Colour: strp(c("车身颜色")), ParkingName: strp(c("停放地点")), DocNo: strp(c("登记文号"))}
		in.UnitID = unit(r, units)
		in.Category = code(r, "车辆类别", Categories)
		in.Seats = r.Int("核定座位数")
		in.EnergyType = code(r, "能源类型", EnergyTypes)
		in.Displacement = r.Int("排量(毫升)")
		in.PurchaseDate = r.Date("购置日期")
		in.PurchasePrice = r.Money("购置价格(元)")
		in.FundingSource = code(r, "经费来源", FundingSources)
		in.VehicleClass = code(r, "准驾车型要求", VehicleClasses)
		in.Marking = code(r, "标识情况", Markings)
		in.ParkingLat = r.Float("停放地点纬度")
		in.ParkingLng = r.Float("停放地点经度")
		in.ParkingRadius = r.Int("停放半径(米)")
		switch c("是否不纳入平台") {
		case "", "否":
		case "是":
			in.Exempt = new(bool)
			*in.Exempt = true
		default:
			r.Add("是否不纳入平台", "是否不纳入平台只能填“是”或“否”")
		}
		in.ExemptReason = code(r, "不纳入原因", ExemptReasons)
		in.Status = code(r, "状态", Statuses)
		if in.Status != nil && *in.Status == "disposed" {
			r.Add("状态", "不能导入已处置的车辆")
		}
		// Validate the record as CreateVehicle will, without writing.
		v := &Vehicle{}
		if err := in.apply(v); err != nil {
			r.Fields(err)
		}
		if v.Plate != "" {
			if j, dup := plates[v.Plate]; dup {
				r.Add("车牌号", fmt.Sprintf("车牌号%s与第%d行重复", v.Plate, j))
			}
			plates[v.Plate] = r.N
		}
		if v.VIN != "" {
			if j, dup := vins[v.VIN]; dup {
				r.Add("车辆识别代号", fmt.Sprintf("车辆识别代号与第%d行重复", j))
			}
			vins[v.VIN] = r.N
		}
		inputs[i] = in
	}
	// Against the registry.
	if err := existing(ctx, s.DB.R, "vehicles", "plate", plates, func(n int, v string) {
		f.Add(n, "车牌号", fmt.Sprintf("车牌号%s已登记", v))
	}); err != nil {
		return nil, err
	}
	if err := existing(ctx, s.DB.R, "vehicles", "vin", vins, func(n int, v string) {
		f.Add(n, "车辆识别代号", fmt.Sprintf("车辆识别代号%s已登记", v))
	}); err != nil {
		return nil, err
	}
	return commitImport(ctx, s.DB, f, inputs, func(tx bun.Tx, in VehicleInput) (string, error) {
		v, err := s.createVehicle(ctx, tx, a, in)
		if err != nil {
			return "", err
		}
		return v.Plate, nil
	}, func(tx bun.Tx, plates []string) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: ActVehicleImport, ObjectType: audit.Vehicle, ScopePath: root.Path,
			Summary: fmt.Sprintf("从Excel导入车辆%d辆", len(plates)), After: map[string]any{"plates": plates}})
	})
}

// commitImport ends an import: nothing is written when a row has an error (the
// errors are the answer); else every row is created, and the import recorded
// in the audit log, in one transaction. create returns what the audit log
// names the record by.
func commitImport[I any](ctx context.Context, db *store.DB, f *sheet.File, inputs []I,
	create func(bun.Tx, I) (string, error), record func(bun.Tx, []string) error) (*ImportResult, error) {
	res := &ImportResult{Errors: f.Errors}
	if e := f.Failed(); e != nil {
		return res, e
	}
	err := db.Tx(ctx, func(tx bun.Tx) error {
		names := make([]string, 0, len(inputs))
		for _, in := range inputs {
			name, err := create(tx, in)
			if err != nil {
				return err
			}
			names = append(names, name)
		}
		res.Imported = len(names)
		return record(tx, names)
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// existing reports the values of column col of table already registered.
func existing(ctx context.Context, db bun.IDB, table, col string, vals map[string]int, report func(row int, v string)) error {
	keys := slices.Collect(maps.Keys(vals))
	for i := 0; i < len(keys); i += 500 {
		part := keys[i:min(i+500, len(keys))]
		var found []string
		if err := db.NewSelect().Table(table).Column(col).Where("? IN (?)", bun.Ident(col), bun.In(part)).Scan(ctx, &found); err != nil {
			return store.Translate(err)
		}
		for _, f := range found {
			report(vals[f], f)
		}
	}
	return nil
}

// ImportDrivers imports drivers like ImportVehicles.
func (s *Service) ImportDrivers(ctx context.Context, a *access.Actor, rootID int64, data []byte) (*ImportResult, error) {
	root, err := scopeBase(ctx, s.DB.R, a, rootID)
	if err != nil {
		return nil, err
	}
	f, err := readImport(data, driverColumns)
	if err != nil {
		return nil, err
	}
	units, err := importUnits(ctx, s.DB.R, root.Path)
	if err != nil {
		return nil, err
	}
	inputs := make([]DriverInput, len(f.Rows))
	cards := map[string]int{}
	for i, r := range f.Rows {
		c := r.Value
		in := DriverInput{Name: strp(c("姓名")), IDCard: strp(c("身份证号")), Phone: strp(c("手机号")), LicenceNo: strp(c("驾驶证号")),
			LicenceClass: strp(c("准驾车型"))}
		in.UnitID = unit(r, units)
		in.LicenceExpiry = r.Date("驾驶证有效期至")
		if in.LicenceExpiry == nil && !r.Reported("驾驶证有效期至") {
			in.LicenceExpiry = strp("")
		}
		d := &Driver{}
		if err := in.apply(d); err != nil {
			r.Fields(err)
		}
		if d.IDCard != "" {
			if j, dup := cards[d.IDCard]; dup {
				r.Add("身份证号", fmt.Sprintf("身份证号与第%d行重复", j))
			}
			cards[d.IDCard] = r.N
		}
		inputs[i] = in
	}
	if err := existing(ctx, s.DB.R, "drivers", "id_card", cards, func(n int, _ string) {
		f.Add(n, "身份证号", "该身份证号的驾驶员已登记")
	}); err != nil {
		return nil, err
	}
	return commitImport(ctx, s.DB, f, inputs, func(tx bun.Tx, in DriverInput) (string, error) {
		d, err := s.createDriver(ctx, tx, a, in)
		if err != nil {
			return "", err
		}
		return d.Name, nil
	}, func(tx bun.Tx, names []string) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actDriverImport, ObjectType: audit.Driver, ScopePath: root.Path,
			Summary: fmt.Sprintf("从Excel导入驾驶员%d名", len(names)), After: map[string]any{"names": names}})
	})
}

// ExportLimit caps an export.
const ExportLimit = 100000

// columns adds the registry's flags to the import columns: an export can
// be imported elsewhere.
func columns(cols []sheet.Column, extra ...string) []sheet.Column {
	out := slices.Clone(cols)
	for _, t := range extra {
		out = append(out, sheet.Column{Title: t})
	}
	return out
}

// orEmpty leaves zero (not recorded) empty.
func orEmpty[T comparable](v T, w any) any {
	var zero T
	if v == zero {
		return ""
	}
	return w
}

// ExportVehicles writes the vehicles matching f as .xlsx: the import
// template's columns first (an export can be imported elsewhere), then the
// registry's flags.
func (s *Service) ExportVehicles(ctx context.Context, a *access.Actor, f VehicleFilter) ([]byte, int, error) {
	vs, err := s.AllVehicles(ctx, a, f, ExportLimit)
	if err != nil {
		return nil, 0, err
	}
	rows := make([][]any, 0, len(vs))
	for _, v := range vs {
		rows = append(rows, []any{v.Plate, v.UnitName, name(Categories, v.Category), v.Brand, v.Model, v.VIN, v.EngineNo, v.Colour, v.Seats,
			name(EnergyTypes, v.EnergyType), orEmpty(v.Displacement, v.Displacement), v.PurchaseDate, orEmpty(v.PurchasePrice, sheet.Money(v.PurchasePrice)),
			name(FundingSources, v.FundingSource), name(VehicleClasses, v.VehicleClass), name(Markings, v.Marking), v.ParkingName, v.ParkingLat, v.ParkingLng,
			orEmpty(v.ParkingRadius, v.ParkingRadius), v.Exempt, name(ExemptReasons, v.ExemptReason), name(Statuses, v.Status), "",
			v.TerminalNo, !v.Incomplete, strings.Join(v.Missing, "、"), v.Stale, v.ConfirmedAt, v.ConfirmedByName})
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: "车辆", Columns: columns(vehicleColumns, "终端ID", "资料是否完整", "缺少", "信息待确认", "最近确认时间", "确认人"), Rows: rows})
	return b, len(vs), err
}

// ExportDrivers writes the drivers matching f as .xlsx (ID numbers masked
// for callers without fleet.write).
func (s *Service) ExportDrivers(ctx context.Context, a *access.Actor, f DriverFilter) ([]byte, int, error) {
	ds, err := s.AllDrivers(ctx, a, f, ExportLimit)
	if err != nil {
		return nil, 0, err
	}
	rows := make([][]any, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, []any{d.Name, d.IDCard, d.UnitName, d.Phone, d.LicenceNo, d.LicenceClass, d.LicenceExpiry,
			d.LicenceExpired, !d.Incomplete, strings.Join(d.Missing, "、"), d.Stale, d.ConfirmedAt, d.ConfirmedByName})
	}
	b, err := sheet.XLSX(sheet.Sheet{Name: "驾驶员", Columns: columns(driverColumns, "驾驶证是否过期", "资料是否完整", "缺少", "信息待确认", "最近确认时间", "确认人"), Rows: rows})
	return b, len(ds), err
}
