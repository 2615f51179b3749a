package fleet

import (
	"bytes"
	"context"
	"fmt"
	"math/big"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/xuri/excelize/v2"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// A column of an import template / export. Header is the Chinese heading
// (required columns carry "*" in templates and exports); Field the JSON
// field whose validation messages belong to the column.
type column struct {
	Header   string
	Field    string
	Required bool
	Note     string
	Example  string
}

func codeNames(codes []Code) string {
	var n []string
	for _, c := range codes {
		n = append(n, c.Name)
	}
	return strings.Join(n, "、")
}

var vehicleColumns = []column{
	{"车牌号", "plate", true, "普通号牌7位如苏D12345，新能源号牌8位如苏DD12345，警用号牌如苏D1234警", "苏D12345"},
	{"所属单位", "unit_id", true, "单位全称，须在导入范围内", "天宁区城市管理局"},
	{"车辆类别", "category", true, codeNames(Categories), "执法执勤用车"},
	{"品牌", "brand", true, "如红旗、大众、别克", "大众"},
	{"型号", "model", true, "如帕萨特、GL8", "帕萨特"},
	{"车辆识别代号", "vin", true, "17位，含校验位", "LSVAU2A38N2183590"},
	{"发动机号", "engine_no", false, "", "DKX123456"},
	{"车身颜色", "colour", false, "", "黑色"},
	{"核定座位数", "seats", true, "1至60", "5"},
	{"能源类型", "energy_type", true, codeNames(EnergyTypes), "汽油"},
	{"排量(毫升)", "displacement", false, "纯电动填0", "1984"},
	{"购置日期", "purchase_date", false, "年-月-日，如2022-05-18", "2022-05-18"},
	{"购置价格(元)", "purchase_price", false, "单位元，最多两位小数", "219800.00"},
	{"经费来源", "funding_source", false, codeNames(FundingSources), "财政预算"},
	{"准驾车型要求", "vehicle_class", true, codeNames(VehicleClasses), "小型汽车（C1）"},
	{"标识情况", "marking", false, codeNames(Markings) + "，默认未标识", "已标识"},
	{"停放地点", "parking_name", false, "", "天宁区城市管理局机关大院"},
	{"停放地点纬度", "parking_lat", false, "WGS-84，如31.7792", "31.7792"},
	{"停放地点经度", "parking_lng", false, "WGS-84，如119.9741", "119.9741"},
	{"停放半径(米)", "parking_radius", false, "0至5000", "200"},
	{"是否不纳入平台", "exempt", false, "是或否（国家安全、刑事侦查、特殊技术需要的车辆，R-12）", "否"},
	{"不纳入原因", "exempt_reason", false, codeNames(ExemptReasons), ""},
	{"状态", "status", false, "在库、使用中、维修保养、封存；默认在库", "在库"},
	{"登记文号", "doc_no", false, "购置或配备批复文号", "常机管〔2022〕15号"},
}

var driverColumns = []column{
	{"姓名", "name", true, "", "王建华"},
	{"身份证号", "id_card", true, "18位", "320402198507120016"},
	{"所属单位", "unit_id", true, "单位全称，须在导入范围内", "天宁区城市管理局"},
	{"手机号", "phone", false, "11位手机号", "13905191234"},
	{"驾驶证号", "licence_no", false, "不填则与身份证号相同", ""},
	{"准驾车型", "licence_class", true, "如C1、B1、A1A2", "C1"},
	{"驾驶证有效期至", "licence_expiry", true, "年-月-日", "2030-07-12"},
}

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

func header(cols []column, star bool) []any {
	h := make([]any, len(cols))
	for i, c := range cols {
		h[i] = c.Header
		if star && c.Required {
			h[i] = c.Header + "*"
		}
	}
	return h
}

// template builds an import template: the header, one example row, and a
// notes sheet.
func template(sheet string, cols []column) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetName("Sheet1", sheet)
	h := header(cols, true)
	x.SetSheetRow(sheet, "A1", &h)
	ex := make([]any, len(cols))
	for i, c := range cols {
		ex[i] = c.Example
	}
	x.SetSheetRow(sheet, "A2", &ex)
	last, _ := excelize.ColumnNumberToName(len(cols))
	x.SetColWidth(sheet, "A", last, 16)
	if st, err := x.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Fill: excelize.Fill{Type: "pattern", Color: []string{"DDEBF7"}, Pattern: 1}}); err == nil {
		x.SetCellStyle(sheet, "A1", last+"1", st)
	}
	notes := "填写说明"
	x.NewSheet(notes)
	x.SetSheetRow(notes, "A1", &[]any{"列名", "是否必填", "说明"})
	for i, c := range cols {
		req := "否"
		if c.Required {
			req = "是"
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		x.SetSheetRow(notes, cell, &[]any{c.Header, req, c.Note})
	}
	n := len(cols) + 3
	x.SetCellValue(notes, fmt.Sprintf("A%d", n), "第2行为示例，导入前请删除或改为真实数据。带*的列必填。导入时只要有一行有误，全部不导入，并逐行列出错误。")
	x.SetColWidth(notes, "A", "A", 18)
	x.SetColWidth(notes, "C", "C", 80)
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	return buf.Bytes(), nil
}

// VehicleTemplate is the vehicle import template.
func VehicleTemplate() ([]byte, error) { return template("车辆", vehicleColumns) }

// DriverTemplate is the driver import template.
func DriverTemplate() ([]byte, error) { return template("驾驶员", driverColumns) }

// RowError is one problem of an imported sheet.
type RowError struct {
	Row     int    `json:"row"`    // 1-based sheet row
	Column  string `json:"column"` // the column's heading
	Cell    string `json:"cell"`   // e.g. "A3"; empty for whole-row problems
	Message string `json:"message"`
}

// ImportResult reports an import: how many rows were written or, when any
// row is bad, every problem (and nothing written).
type ImportResult struct {
	Imported int        `json:"imported"`
	Errors   []RowError `json:"errors"`
}

// MaxImportRows caps one import.
const MaxImportRows = 5000

// sheetRows reads the first sheet: the header positions by column and the
// data rows (blank rows skipped) with their sheet row numbers.
type sheetRow struct {
	n     int
	cells map[string]string // by column heading
}

func readSheet(data []byte, cols []column) ([]sheetRow, map[string]int, error) {
	x, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, nil, (&errs.Fields{"file": "文件不是有效的Excel（.xlsx）文件"}).Err()
	}
	defer x.Close()
	sheets := x.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, (&errs.Fields{"file": "文件中没有工作表"}).Err()
	}
	rows, err := x.GetRows(sheets[0])
	if err != nil {
		return nil, nil, (&errs.Fields{"file": "无法读取工作表：" + err.Error()}).Err()
	}
	if len(rows) == 0 {
		return nil, nil, (&errs.Fields{"file": "工作表为空，请使用导入模板"}).Err()
	}
	pos := map[string]int{}
	for i, h := range rows[0] {
		h = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(h), "*"))
		if h != "" {
			pos[h] = i
		}
	}
	var missing []string
	for _, c := range cols {
		if _, ok := pos[c.Header]; !ok && c.Required {
			missing = append(missing, c.Header)
		}
	}
	if len(missing) > 0 {
		return nil, nil, (&errs.Fields{"file": "缺少必填列：" + strings.Join(missing, "、") + "，请使用导入模板"}).Err()
	}
	var out []sheetRow
	for i, r := range rows[1:] {
		cells := map[string]string{}
		blank := true
		for _, c := range cols {
			if p, ok := pos[c.Header]; ok && p < len(r) {
				v := strings.TrimSpace(r[p])
				cells[c.Header] = v
				if v != "" {
					blank = false
				}
			}
		}
		if !blank {
			out = append(out, sheetRow{n: i + 2, cells: cells})
		}
	}
	if len(out) == 0 {
		return nil, nil, (&errs.Fields{"file": "没有可导入的数据行"}).Err()
	}
	if len(out) > MaxImportRows {
		return nil, nil, (&errs.Fields{"file": fmt.Sprintf("一次最多导入%d行，请分批导入", MaxImportRows)}).Err()
	}
	return out, pos, nil
}

// rowErrs collects the errors of one row.
type rowErrs struct {
	row  int
	pos  map[string]int
	cols []column
	out  *[]RowError
	bad  bool
}

func (r *rowErrs) add(header, msg string) {
	cell := ""
	if p, ok := r.pos[header]; ok {
		cell, _ = excelize.CoordinatesToCellName(p+1, r.row)
	}
	*r.out = append(*r.out, RowError{Row: r.row, Column: header, Cell: cell, Message: msg})
	r.bad = true
}

// fields maps a validation error's per-field messages to the columns.
func (r *rowErrs) fields(err error) {
	e, ok := err.(*errs.Error)
	if !ok || len(e.Fields) == 0 {
		if ok {
			r.add("", e.Message)
		} else {
			r.add("", err.Error())
		}
		return
	}
	for _, c := range r.cols { // column order, for a stable report
		if m, ok := e.Fields[c.Field]; ok {
			r.add(c.Header, m)
		}
	}
	for f, m := range e.Fields {
		found := false
		for _, c := range r.cols {
			found = found || c.Field == f
		}
		if !found {
			r.add("", m)
		}
	}
}

func parseInt(r *rowErrs, header, v string) *int {
	if v == "" {
		return nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(v, ".0"))
	if err != nil {
		r.add(header, header+"须为整数")
		return nil
	}
	return &n
}

func parseFloat(r *rowErrs, header, v string) *float64 {
	if v == "" {
		return nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		r.add(header, header+"须为数字")
		return nil
	}
	return &f
}

// parseYuan converts an amount in yuan (at most two decimals) to fen exactly.
func parseYuan(r *rowErrs, header, v string) *int64 {
	if v == "" {
		return nil
	}
	v = strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "元", "").Replace(v)
	rat, ok := new(big.Rat).SetString(v)
	if !ok {
		r.add(header, header+"须为金额数字，如219800.00")
		return nil
	}
	rat.Mul(rat, big.NewRat(100, 1))
	if !rat.IsInt() || !rat.Num().IsInt64() {
		r.add(header, header+"最多两位小数")
		return nil
	}
	n := rat.Num().Int64()
	return &n
}

// parseDate accepts 2024-03-15, 2024/3/15, 2024年3月15日 and Excel serial dates.
func parseDate(r *rowErrs, header, v string) *string {
	if v == "" {
		return nil
	}
	for _, l := range []string{"2006-01-02", "2006-1-2", "2006/1/2", "2006/01/02", "2006年1月2日", "2006.1.2"} {
		if t, err := time.Parse(l, v); err == nil {
			s := t.Format(dateLayout)
			return &s
		}
	}
	if f, err := strconv.ParseFloat(v, 64); err == nil && f > 1 && f < 80000 {
		if t, err := excelize.ExcelDateToTime(f, false); err == nil {
			s := t.Format(dateLayout)
			return &s
		}
	}
	r.add(header, header+"格式应为“年-月-日”，如2022-05-18")
	return nil
}

func parseCode(r *rowErrs, header, v string, codes []Code) *string {
	if v == "" {
		return nil
	}
	c, ok := codeOf(codes, v)
	if !ok {
		r.add(header, fmt.Sprintf("%s“%s”无效，应为：%s", header, v, codeNames(codes)))
		return nil
	}
	return &c
}

func strp(s string) *string { return &s }

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

func (r *rowErrs) unit(units map[string]*unitRef, header, v string) *int64 {
	if v == "" {
		r.add(header, "请填写"+header)
		return nil
	}
	u, ok := units[v]
	if !ok {
		r.add(header, fmt.Sprintf("单位“%s”不存在或不在本次导入范围内", v))
		return nil
	}
	if !u.Active {
		r.add(header, fmt.Sprintf("单位“%s”已停用", v))
		return nil
	}
	return &u.ID
}

func importFailed(rows []RowError) error {
	f := errs.Fields{}
	for _, e := range rows {
		key := e.Cell
		if key == "" {
			key = fmt.Sprintf("row%d", e.Row)
		}
		msg := fmt.Sprintf("第%d行", e.Row)
		if e.Column != "" {
			msg += "「" + e.Column + "」"
		}
		f.Add(key, msg+"："+e.Message)
	}
	first := rows[0]
	return &errs.Error{Code: errs.Invalid, Fields: f,
		Message: fmt.Sprintf("导入失败，共%d处错误，未导入任何数据。第%d行「%s」：%s", len(rows), first.Row, first.Column, first.Message)}
}

// ImportVehicles imports vehicles from an .xlsx sheet into units under the
// node rootID (0: the actor's scope), all or nothing: when any row is bad,
// nothing is written and every problem is reported by row and column.
func (s *Service) ImportVehicles(ctx context.Context, a *access.Actor, rootID int64, data []byte) (*ImportResult, error) {
	root, err := scopeBase(ctx, s.DB.R, a, rootID)
	if err != nil {
		return nil, err
	}
	rows, pos, err := readSheet(data, vehicleColumns)
	if err != nil {
		return nil, err
	}
	units, err := importUnits(ctx, s.DB.R, root.Path)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Errors: []RowError{}}
	inputs := make([]VehicleInput, len(rows))
	plates, vins := map[string]int{}, map[string]int{}
	for i, row := range rows {
		r := &rowErrs{row: row.n, pos: pos, cols: vehicleColumns, out: &res.Errors}
		c := row.cells
		in := VehicleInput{Plate: strp(c["车牌号"]), Brand: strp(c["品牌"]), Model: strp(c["型号"]), VIN: strp(c["车辆识别代号"]),
			EngineNo: strp(c["发动机号"]), Colour: strp(c["车身颜色"]), ParkingName: strp(c["停放地点"]), DocNo: strp(c["登记文号"])}
		in.UnitID = r.unit(units, "所属单位", c["所属单位"])
		in.Category = parseCode(r, "车辆类别", c["车辆类别"], Categories)
		in.Seats = parseInt(r, "核定座位数", c["核定座位数"])
		in.EnergyType = parseCode(r, "能源类型", c["能源类型"], EnergyTypes)
		in.Displacement = parseInt(r, "排量(毫升)", c["排量(毫升)"])
		in.PurchaseDate = parseDate(r, "购置日期", c["购置日期"])
		in.PurchasePrice = parseYuan(r, "购置价格(元)", c["购置价格(元)"])
		in.FundingSource = parseCode(r, "经费来源", c["经费来源"], FundingSources)
		in.VehicleClass = parseCode(r, "准驾车型要求", c["准驾车型要求"], VehicleClasses)
		in.Marking = parseCode(r, "标识情况", c["标识情况"], Markings)
		in.ParkingLat = parseFloat(r, "停放地点纬度", c["停放地点纬度"])
		in.ParkingLng = parseFloat(r, "停放地点经度", c["停放地点经度"])
		in.ParkingRadius = parseInt(r, "停放半径(米)", c["停放半径(米)"])
		switch c["是否不纳入平台"] {
		case "", "否":
		case "是":
			in.Exempt = new(bool)
			*in.Exempt = true
		default:
			r.add("是否不纳入平台", "是否不纳入平台只能填“是”或“否”")
		}
		in.ExemptReason = parseCode(r, "不纳入原因", c["不纳入原因"], ExemptReasons)
		in.Status = parseCode(r, "状态", c["状态"], Statuses)
		if in.Status != nil && *in.Status == "disposed" {
			r.add("状态", "不能导入已处置的车辆")
		}
		// Validate the record as CreateVehicle will, without writing.
		v := &Vehicle{}
		if err := in.apply(v); err != nil {
			e := err.(*errs.Error)
			for _, col := range vehicleColumns { // a column already reported stays with its parse message
				if _, done := e.Fields[col.Field]; done && r.reported(col.Header) {
					delete(e.Fields, col.Field)
				}
			}
			if in.UnitID == nil {
				delete(e.Fields, "unit_id")
			}
			if len(e.Fields) > 0 {
				r.fields(e)
			}
		}
		if v.Plate != "" {
			if j, dup := plates[v.Plate]; dup {
				r.add("车牌号", fmt.Sprintf("车牌号%s与第%d行重复", v.Plate, j))
			}
			plates[v.Plate] = row.n
		}
		if v.VIN != "" {
			if j, dup := vins[v.VIN]; dup {
				r.add("车辆识别代号", fmt.Sprintf("车辆识别代号与第%d行重复", j))
			}
			vins[v.VIN] = row.n
		}
		inputs[i] = in
	}
	// Against the registry.
	if err := s.existing(ctx, "plate", plates, func(n int, v string) {
		(&rowErrs{row: n, pos: pos, out: &res.Errors}).add("车牌号", fmt.Sprintf("车牌号%s已登记", v))
	}); err != nil {
		return nil, err
	}
	if err := s.existing(ctx, "vin", vins, func(n int, v string) {
		(&rowErrs{row: n, pos: pos, out: &res.Errors}).add("车辆识别代号", fmt.Sprintf("车辆识别代号%s已登记", v))
	}); err != nil {
		return nil, err
	}
	if len(res.Errors) > 0 {
		sortRowErrors(res.Errors)
		return res, importFailed(res.Errors)
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var ps []string
		for _, in := range inputs {
			v, err := s.createVehicle(ctx, tx, a, in)
			if err != nil {
				return err
			}
			ps = append(ps, v.Plate)
		}
		res.Imported = len(ps)
		return audit.Record(ctx, tx, a, audit.Event{Action: "vehicle.import", ObjectType: "vehicle", ScopePath: root.Path,
			Summary: fmt.Sprintf("从Excel导入车辆%d辆", len(ps)), After: map[string]any{"plates": ps}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func (r *rowErrs) reported(header string) bool {
	for _, e := range *r.out {
		if e.Row == r.row && e.Column == header {
			return true
		}
	}
	return false
}

func sortRowErrors(rows []RowError) {
	// By row, then in column order.
	colOf := func(e RowError) int {
		if e.Cell == "" {
			return 0
		}
		c, _, _ := excelize.CellNameToCoordinates(e.Cell)
		return c
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if rows[i].Row != rows[j].Row {
			return rows[i].Row < rows[j].Row
		}
		return colOf(rows[i]) < colOf(rows[j])
	})
}

// existing reports the values of column col (vehicles) already registered.
func (s *Service) existing(ctx context.Context, col string, vals map[string]int, report func(row int, v string)) error {
	var keys []string
	for k := range vals {
		keys = append(keys, k)
	}
	for i := 0; i < len(keys); i += 500 {
		part := keys[i:min(i+500, len(keys))]
		var found []string
		if err := s.DB.R.NewSelect().Table("vehicles").Column(col).Where("? IN (?)", bun.Ident(col), bun.In(part)).Scan(ctx, &found); err != nil {
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
	rows, pos, err := readSheet(data, driverColumns)
	if err != nil {
		return nil, err
	}
	units, err := importUnits(ctx, s.DB.R, root.Path)
	if err != nil {
		return nil, err
	}
	res := &ImportResult{Errors: []RowError{}}
	inputs := make([]DriverInput, len(rows))
	cards := map[string]int{}
	for i, row := range rows {
		r := &rowErrs{row: row.n, pos: pos, cols: driverColumns, out: &res.Errors}
		c := row.cells
		in := DriverInput{Name: strp(c["姓名"]), IDCard: strp(c["身份证号"]), Phone: strp(c["手机号"]), LicenceNo: strp(c["驾驶证号"]),
			LicenceClass: strp(c["准驾车型"])}
		in.UnitID = r.unit(units, "所属单位", c["所属单位"])
		in.LicenceExpiry = parseDate(r, "驾驶证有效期至", c["驾驶证有效期至"])
		if in.LicenceExpiry == nil && !r.reported("驾驶证有效期至") {
			in.LicenceExpiry = strp("")
		}
		d := &Driver{}
		if err := in.apply(d); err != nil {
			e := err.(*errs.Error)
			for _, col := range driverColumns {
				if _, done := e.Fields[col.Field]; done && r.reported(col.Header) {
					delete(e.Fields, col.Field)
				}
			}
			if len(e.Fields) > 0 {
				r.fields(e)
			}
		}
		if d.IDCard != "" {
			if j, dup := cards[d.IDCard]; dup {
				r.add("身份证号", fmt.Sprintf("身份证号与第%d行重复", j))
			}
			cards[d.IDCard] = row.n
		}
		inputs[i] = in
	}
	var keys []string
	for k := range cards {
		keys = append(keys, k)
	}
	for i := 0; i < len(keys); i += 500 {
		var found []string
		if err := s.DB.R.NewSelect().Table("drivers").Column("id_card").Where("id_card IN (?)", bun.In(keys[i:min(i+500, len(keys))])).Scan(ctx, &found); err != nil {
			return nil, store.Translate(err)
		}
		for _, f := range found {
			(&rowErrs{row: cards[f], pos: pos, out: &res.Errors}).add("身份证号", "该身份证号的驾驶员已登记")
		}
	}
	if len(res.Errors) > 0 {
		sortRowErrors(res.Errors)
		return res, importFailed(res.Errors)
	}
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		var names []string
		for _, in := range inputs {
			d, err := s.createDriver(ctx, tx, a, in)
			if err != nil {
				return err
			}
			names = append(names, d.Name)
		}
		res.Imported = len(names)
		return audit.Record(ctx, tx, a, audit.Event{Action: "driver.import", ObjectType: "driver", ScopePath: root.Path,
			Summary: fmt.Sprintf("从Excel导入驾驶员%d名", len(names)), After: map[string]any{"names": names}})
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

func yuan(fen int64) string {
	if fen == 0 {
		return ""
	}
	return fmt.Sprintf("%d.%02d", fen/100, fen%100)
}

func fmtFloat(p *float64) any {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', -1, 64)
}

func yesNo(b bool) string {
	if b {
		return "是"
	}
	return "否"
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.In(beijing.Zone).Format("2006-01-02 15:04")
}

func intOrEmpty(n int) any {
	if n == 0 {
		return ""
	}
	return n
}

// writeSheet writes header and rows as text cells (so that plates, VINs
// and ID numbers keep their spelling).
func writeSheet(sheet string, head []any, rows [][]any) ([]byte, error) {
	x := excelize.NewFile()
	defer x.Close()
	x.SetSheetName("Sheet1", sheet)
	sw, err := x.NewStreamWriter(sheet)
	if err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	if err := sw.SetRow("A1", head); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		if err := sw.SetRow(cell, r); err != nil {
			return nil, errs.Wrap(err, "xlsx")
		}
	}
	if err := sw.Flush(); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	var buf bytes.Buffer
	if err := x.Write(&buf); err != nil {
		return nil, errs.Wrap(err, "xlsx")
	}
	return buf.Bytes(), nil
}

// ExportLimit caps an export.
const ExportLimit = 100000

// ExportVehicles writes the vehicles matching f as .xlsx: the import
// template's columns first (an export can be imported elsewhere), then the
// registry's flags.
func (s *Service) ExportVehicles(ctx context.Context, a *access.Actor, f VehicleFilter) ([]byte, int, error) {
	vs, err := s.AllVehicles(ctx, a, f, ExportLimit)
	if err != nil {
		return nil, 0, err
	}
	head := append(header(vehicleColumns, true), "终端ID", "资料是否完整", "缺少", "信息待确认", "最近确认时间", "确认人")
	rows := make([][]any, 0, len(vs))
	for _, v := range vs {
		exReason := name(ExemptReasons, v.ExemptReason)
		row := []any{v.Plate, v.UnitName, name(Categories, v.Category), v.Brand, v.Model, v.VIN, v.EngineNo, v.Colour, v.Seats,
			name(EnergyTypes, v.EnergyType), intOrEmpty(v.Displacement), v.PurchaseDate, yuan(v.PurchasePrice), name(FundingSources, v.FundingSource),
			name(VehicleClasses, v.VehicleClass), name(Markings, v.Marking), v.ParkingName, fmtFloat(v.ParkingLat), fmtFloat(v.ParkingLng),
			intOrEmpty(v.ParkingRadius), yesNo(v.Exempt), exReason, name(Statuses, v.Status), "",
			v.TerminalNo, yesNo(!v.Incomplete), strings.Join(v.Missing, "、"), yesNo(v.Stale), fmtTime(v.ConfirmedAt), v.ConfirmedByName}
		rows = append(rows, row)
	}
	b, err := writeSheet("车辆", head, rows)
	return b, len(vs), err
}

// ExportDrivers writes the drivers matching f as .xlsx (ID numbers masked
// for callers without fleet.write).
func (s *Service) ExportDrivers(ctx context.Context, a *access.Actor, f DriverFilter) ([]byte, int, error) {
	ds, err := s.AllDrivers(ctx, a, f, ExportLimit)
	if err != nil {
		return nil, 0, err
	}
	head := append(header(driverColumns, true), "驾驶证是否过期", "资料是否完整", "缺少", "信息待确认", "最近确认时间", "确认人")
	rows := make([][]any, 0, len(ds))
	for _, d := range ds {
		rows = append(rows, []any{d.Name, d.IDCard, d.UnitName, d.Phone, d.LicenceNo, d.LicenceClass, d.LicenceExpiry,
			yesNo(d.LicenceExpired), yesNo(!d.Incomplete), strings.Join(d.Missing, "、"), yesNo(d.Stale), fmtTime(d.ConfirmedAt), d.ConfirmedByName})
	}
	b, err := writeSheet("驾驶员", head, rows)
	return b, len(ds), err
}

var _ = check.NormalisePlate
