package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

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
		{Method: "GET", Path: "/api/fuel/imports", Perm: access.FuelRead, Tag: "加油", Summary: "导入记录（加油公司为本公司的，工作人员为本级签约公司的）", Query: []string{"page", "page_size"}, Out: List[fuel.Import]{}, Handle: s.fuelImports},
		{Method: "GET", Path: "/api/fuel/records", Perm: access.FuelRead, Tag: "加油", Summary: "加油记录（flag=any|over_tank|sealed|holiday|above_baseline）", Query: []string{"unit_id", "vehicle_id", "month", "plate", "flag", "page", "page_size"}, Out: List[fuel.Rec]{}, Handle: s.fuelRecords},
		{Method: "GET", Path: "/api/fuel/consumption", Perm: access.FuelRead, Tag: "加油", Summary: "各车辆月度油耗：加油量、金额、GPS里程与百公里油耗（无GPS里程时为空）", Query: []string{"month", "unit_id", "page", "page_size"}, Out: List[fuel.Consumption]{}, Handle: s.fuelConsumption},
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

func (s *Server) fuelImports(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	items, n, err := s.Fuel.Imports(r.Context(), r.Actor(), p, size)
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
}

func (s *Server) fuelRecords(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	veh, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, n, err := s.Fuel.Records(r.Context(), r.Actor(), fuel.Filter{UnitID: unit, VehicleID: veh, Month: q.Get("month"),
		Plate: q.Get("plate"), Flag: q.Get("flag"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
}

func (s *Server) fuelConsumption(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	items, n, err := s.Fuel.Consumption(r.Context(), r.Actor(), fuel.ConsumptionFilter{Month: r.URL.Query().Get("month"), UnitID: unit, Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
}
