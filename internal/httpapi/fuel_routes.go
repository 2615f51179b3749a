package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"

	"govfleet/internal/access"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/fuel"
	"govfleet/internal/sheet"
)

// fuelRoutes are the fuel company's imports and the staff's view of the
// records and consumption.
func (s *Server) fuelRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/fuel/import-template", Perm: access.FuelRead, Tag: "加油", Summary: "下载加油记录导入模板（format=xlsx|csv）", Query: []string{"format"}, Handle: s.fuelTemplate},
		{Method: "POST", Path: "/api/fuel/imports", Perm: access.FuelImport, Tag: "加油", Summary: "加油公司导入一个月的加油记录（.xlsx或.csv；multipart 字段 file、month、confirm，或 JSON {month, file_name, file: base64, confirm}）；任一行有误则全部不导入并逐行报错；将替换该月现有记录时先不写入，返回 confirm_required 与替换预览（按车辆的原有与新数据），同一文件带预览的 confirm 再次提交才替换（原批次保留，可恢复）；文件相同则不重复写入", Query: []string{"month"}, In: fuelImportIn{}, Example: fuelImportExample, Out: fuel.ImportResult{}, Signed: true, Handle: s.fuelImport},
		{Method: "POST", Path: "/api/fuel/imports/{id}/restore", Perm: access.FuelImport, Tag: "加油", Summary: "恢复被替换的导入批次：该批次重新成为该月的当前记录（含异常标记并重新计入费用台账），当时的记录被替换（保留，可再恢复）", Out: fuel.RestoreResult{}, Handle: s.fuelRestore},
		{Method: "GET", Path: "/api/fuel/imports", Perm: access.FuelRead, Tag: "加油", Summary: "导入记录（加油公司为本公司的，工作人员为本级签约公司的）", Query: []string{"page", "page_size"}, Out: List[fuel.Import]{}, Handle: paged(s.fuelImports)},
		{Method: "GET", Path: "/api/fuel/imports/export", Perm: access.FuelRead, Tag: "加油", Summary: "导出加油导入记录（xlsx，筛选条件同列表）", Query: exportQuery([]string{"page", "page_size"}), Handle: exportOf(s, "加油导入记录", fuelImportFields, s.fuelImports)},
		{Method: "GET", Path: "/api/fuel/records", Perm: access.FuelRead, Tag: "加油", Summary: "加油记录（flag=any|over_tank|sealed|holiday|above_baseline）", Query: []string{"unit_id", "vehicle_id", "month", "plate", "flag", "page", "page_size"}, Out: List[fuel.Rec]{}, Handle: paged(s.fuelRecords)},
		{Method: "GET", Path: "/api/fuel/records/export", Perm: access.FuelRead, Tag: "加油", Summary: "导出加油记录（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "vehicle_id", "month", "plate", "flag", "page", "page_size"}), Handle: exportOf(s, "加油记录", fuelRecordFields, s.fuelRecords)},
		{Method: "GET", Path: "/api/fuel/consumption", Perm: access.FuelRead, Tag: "加油", Summary: "各车辆月度油耗：加油量、金额、GPS里程与百公里油耗（无GPS里程时为空）", Query: []string{"month", "unit_id", "page", "page_size"}, Out: List[fuel.Consumption]{}, Handle: paged(s.fuelConsumption)},
		{Method: "GET", Path: "/api/fuel/consumption/export", Perm: access.FuelRead, Tag: "加油", Summary: "导出车辆油耗（xlsx，筛选条件同列表）", Query: exportQuery([]string{"month", "unit_id", "page", "page_size"}), Handle: exportOf(s, "车辆油耗", consumptionFields, s.fuelConsumption)},
	}
}

// fuelImportIn is the JSON form of an import (machine clients).
type fuelImportIn struct {
	Month    string `json:"month"`
	FileName string `json:"file_name" max:"255"`
	File     []byte `json:"file"`              // base64
	Confirm  string `json:"confirm" max:"100"` // the preview's confirm token, to replace the month's records
}

var fuelImportExample = fuelImportIn{Month: "2026-03", FileName: "2026-03.csv",
	File: []byte("加油卡号,车牌号,加油时间,加油站,油品,加油量(升),单价(元/升),金额(元)\n1000113200012345678,苏D12345,2026-03-15 08:30,中国石化常州延陵西路加油站,92#汽油,45.20,7.42,335.38\n")}

func (s *Server) fuelTemplate(r *Request) (any, error) {
	format := r.URL.Query().Get("format")
	data, err := fuel.Template(format)
	if err != nil {
		return nil, err
	}
	if format == "csv" {
		return download{name: "加油记录导入模板.csv", contentType: "text/csv; charset=utf-8", data: data}, nil
	}
	return download{name: "加油记录导入模板.xlsx", contentType: sheet.XLSXType, data: data}, nil
}

func (s *Server) fuelImport(r *Request) (any, error) {
	in, err := fuelUpload(r)
	if err != nil {
		return nil, err
	}
	if m := r.URL.Query().Get("month"); m != "" {
		in.Month = m
	}
	via := "console"
	if r.P.SessionID == "" {
		via = "api"
	}
	return s.Fuel.Import(r.Context(), r.Actor(), fuel.ImportInput{Month: in.Month, FileName: in.FileName, Data: in.File, Via: via, Confirm: in.Confirm})
}

func (s *Server) fuelRestore(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Fuel.Restore(r.Context(), r.Actor(), id)
}

// fuelUpload reads the file with its name: multipart/form-data (fields
// file and month) or JSON fuelImportIn.
func fuelUpload(r *Request) (fuelImportIn, error) {
	var in fuelImportIn
	tooBig := (&errs.Fields{"file": "导入文件不能超过10 MB"}).Err()
	limit := int64(maxImportBytes*4/3 + (1 << 20))
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(r.W, r.Body, limit)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return in, tooBig
			}
			return in, errs.E(errs.Invalid, "上传内容格式错误")
		}
		defer r.MultipartForm.RemoveAll()
		f, h, err := r.FormFile("file")
		if err != nil {
			return in, (&errs.Fields{"file": "请选择要上传的文件"}).Err()
		}
		defer f.Close()
		if in.File, err = io.ReadAll(io.LimitReader(f, maxImportBytes+1)); err != nil {
			return in, errs.Wrap(err, "upload")
		}
		in.Month, in.FileName, in.Confirm = r.FormValue("month"), h.Filename, r.FormValue("confirm")
		if f := check.Lengths(&in); f != nil {
			return in, errs.Fields(f).Err()
		}
	} else if err := decodeJSON(r, &in, limit); errs.Is(err, errs.TooLarge) {
		return in, tooBig
	} else if err != nil {
		return in, err
	}
	if len(in.File) > maxImportBytes {
		return in, tooBig
	}
	return in, formText(map[string]string{"month": in.Month, "file_name": in.FileName, "confirm": in.Confirm})
}

func (s *Server) fuelImports(r *Request, p, size int) ([]*fuel.Import, int, error) {
	return s.Fuel.Imports(r.Context(), r.Actor(), p, size)
}

var fuelImportFields = []sheet.Field[*fuel.Import]{
	{Title: "加油公司", Width: 26, Value: func(i *fuel.Import) any { return i.CompanyName }},
	sheet.F("月份", func(i *fuel.Import) any { return i.Month }),
	{Title: "文件名", Width: 30, Value: func(i *fuel.Import) any { return i.FileName }},
	sheet.F("记录数", func(i *fuel.Import) any { return i.RowCount }),
	sheet.F("加油量（升）", func(i *fuel.Import) any { return litres(i.LitresML) }),
	sheet.F("金额（元）", func(i *fuel.Import) any { return sheet.Money(i.AmountFen) }),
	sheet.F("异常记录", func(i *fuel.Import) any { return i.Flagged }),
	sheet.F("导入人", func(i *fuel.Import) any { return i.ImportedByName }),
	{Title: "导入时间", Width: 20, Value: func(i *fuel.Import) any { return i.CreatedAt }},
	{Title: "被替换时间", Width: 20, Value: func(i *fuel.Import) any { return i.ReplacedAt }},
}

// litres writes millilitres as litres with up to three decimals.
func litres(ml int64) float64 { return float64(ml) / 1000 }

func (s *Server) fuelRecords(r *Request, p, size int) ([]*fuel.Rec, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	veh, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Fuel.Records(r.Context(), r.Actor(), fuel.Filter{UnitID: unit, VehicleID: veh, Month: q.Get("month"),
		Plate: q.Get("plate"), Flag: q.Get("flag"), Page: p, Size: size})
}

var fuelRecordFields = []sheet.Field[*fuel.Rec]{
	{Title: "加油时间", Width: 20, Value: func(x *fuel.Rec) any { return x.At }},
	sheet.F("车牌号", func(x *fuel.Rec) any { return x.Plate }),
	{Title: "单位", Width: 22, Value: func(x *fuel.Rec) any { return x.UnitName }},
	{Title: "加油卡号", Width: 20, Value: func(x *fuel.Rec) any { return x.CardNo }},
	{Title: "加油站", Width: 24, Value: func(x *fuel.Rec) any { return x.Station }},
	sheet.F("油品", func(x *fuel.Rec) any { return x.FuelType }),
	sheet.F("加油量（升）", func(x *fuel.Rec) any { return litres(x.LitresML) }),
	sheet.F("单价（元/升）", func(x *fuel.Rec) any { return sheet.Money(x.UnitPriceFen) }),
	sheet.F("金额（元）", func(x *fuel.Rec) any { return sheet.Money(x.AmountFen) }),
	{Title: "异常", Width: 24, Value: func(x *fuel.Rec) any { return fuelFlagNames(x.Flags) }},
	{Title: "加油公司", Width: 24, Value: func(x *fuel.Rec) any { return x.CompanyName }},
}

// fuelFlagNames turns a record's flags ("over_tank,holiday") into their names.
func fuelFlagNames(flags string) string {
	var out []string
	for _, f := range fuel.FlagNames {
		if slices.Contains(strings.Split(flags, ","), f.Code) {
			out = append(out, f.Name)
		}
	}
	return strings.Join(out, "、")
}

func (s *Server) fuelConsumption(r *Request, p, size int) ([]*fuel.Consumption, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	return s.Fuel.Consumption(r.Context(), r.Actor(), fuel.ConsumptionFilter{Month: r.URL.Query().Get("month"), UnitID: unit, Page: p, Size: size})
}

var consumptionFields = []sheet.Field[*fuel.Consumption]{
	sheet.F("车牌号", func(c *fuel.Consumption) any { return c.Plate }),
	{Title: "单位", Width: 22, Value: func(c *fuel.Consumption) any { return c.UnitName }},
	sheet.F("加油次数", func(c *fuel.Consumption) any { return c.Records }),
	sheet.F("加油量（升）", func(c *fuel.Consumption) any { return litres(c.LitresML) }),
	sheet.F("金额（元）", func(c *fuel.Consumption) any { return sheet.Money(c.AmountFen) }),
	sheet.F("异常记录", func(c *fuel.Consumption) any { return c.Flagged }),
	sheet.F("GPS里程（公里）", func(c *fuel.Consumption) any {
		if c.DistanceM == nil {
			return "无GPS里程"
		}
		return float64(*c.DistanceM) / 1000
	}),
	sheet.F("百公里油耗（升）", func(c *fuel.Consumption) any { return c.LPer100km }),
}
