package httpapi

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/sheet"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actDriverExport  = audit.NewAction("driver.export", "导出驾驶员")
	actVehicleExport = audit.NewAction("vehicle.export", "导出车辆")
)

// fleetRoutes are the vehicle and driver registry's routes (issue: registry).
func (s *Server) fleetRoutes() []Route {
	vq := []string{"unit_id", "category", "status", "q", "incomplete", "stale", "no_terminal", "over_quota", "sort", "page", "page_size"}
	dq := []string{"unit_id", "q", "licence_expired", "stale", "page", "page_size"}
	return []Route{
		{Method: "GET", Path: "/api/fleet/meta", Perm: access.FleetRead, Tag: "车辆", Summary: "车辆类别、状态、能源类型等代码表", Out: fleetMeta{}, Handle: s.fleetMeta},
		{Method: "GET", Path: "/api/vehicles", Perm: access.FleetRead, Tag: "车辆", Summary: "车辆列表（unit_id 含下级；sort=plate|purchase_date|unit，前缀-为倒序）", Query: vq, Out: List[fleet.Vehicle]{}, Handle: s.listVehicles},
		{Method: "POST", Path: "/api/vehicles", Perm: access.FleetWrite, Tag: "车辆", Summary: "登记车辆（同时记录购置登记）", In: fleet.VehicleInput{}, Out: fleet.VehicleDetail{}, Handle: create(s.Fleet.CreateVehicle)},
		{Method: "GET", Path: "/api/vehicles/export", Perm: access.FleetRead, Tag: "车辆", Summary: "导出车辆列表（xlsx，筛选条件同列表）", Query: vq[:8], Handle: s.exportVehicles},
		{Method: "GET", Path: "/api/vehicles/import-template", Perm: access.FleetRead, Tag: "车辆", Summary: "下载车辆导入模板（xlsx）", Handle: s.vehicleTemplate},
		{Method: "POST", Path: "/api/vehicles/import", Perm: access.FleetWrite, Tag: "车辆", Summary: "从xlsx导入车辆（multipart 字段 file，或 JSON {file: base64}）；任一行有误则全部不导入", Query: []string{"unit_id"}, In: importIn{}, Out: fleet.ImportResult{}, Handle: s.importVehicles},
		{Method: "GET", Path: "/api/vehicles/{id}", Perm: access.FleetRead, Tag: "车辆", Summary: "车辆详情：照片、终端、驾驶员、变更记录", Out: fleet.VehicleDetail{}, Handle: get(s.Fleet.GetVehicle)},
		{Method: "PATCH", Path: "/api/vehicles/{id}", Perm: access.FleetWrite, Tag: "车辆", Summary: "修改车辆基本信息", In: fleet.VehicleInput{}, Out: fleet.VehicleDetail{}, Handle: update(s.Fleet.UpdateVehicle)},
		{Method: "POST", Path: "/api/vehicles/{id}/transfer", Perm: access.FleetWrite, Tag: "车辆", Summary: "车辆划转（两个单位均须在管辖范围内）", In: fleet.ChangeInput{}, Out: fleet.VehicleDetail{}, Handle: s.changeVehicle("transfer")},
		{Method: "POST", Path: "/api/vehicles/{id}/category", Perm: access.FleetWrite, Tag: "车辆", Summary: "车辆类别变更", In: fleet.ChangeInput{}, Out: fleet.VehicleDetail{}, Handle: s.changeVehicle("category")},
		{Method: "POST", Path: "/api/vehicles/{id}/dispose", Perm: access.FleetWrite, Tag: "车辆", Summary: "车辆处置", In: fleet.ChangeInput{}, Out: fleet.VehicleDetail{}, Handle: s.changeVehicle("dispose")},
		{Method: "POST", Path: "/api/vehicles/{id}/photos", Perm: access.FleetWrite, Tag: "车辆", Summary: "上传车辆照片（multipart 字段 file、kind=front|side|rear|other；JPEG/PNG/WebP，不超过8 MB）", In: photoIn{}, Out: fleet.Photo{}, Handle: s.uploadPhoto("vehicle")},
		{Method: "GET", Path: "/api/vehicles/{id}/photos/{photo_id}", Perm: access.FleetRead, Tag: "车辆", Summary: "车辆照片（thumb=1 为缩略图）", Query: []string{"thumb"}, Handle: s.photo("vehicle")},
		{Method: "DELETE", Path: "/api/vehicles/{id}/photos/{photo_id}", Perm: access.FleetWrite, Tag: "车辆", Summary: "删除车辆照片", Handle: s.deleteVehiclePhoto},
		{Method: "GET", Path: "/api/units/{id}/vehicles-on", Perm: access.FleetRead, Tag: "车辆", Summary: "单位在某日持有的车辆（年报用）", Query: []string{"date"}, Out: fleet.HeldOn{}, Handle: s.vehiclesOn},
		{Method: "GET", Path: "/api/quota-summary", Perm: access.FleetRead, Tag: "车辆", Summary: "各辖市(区)与全市的车辆编制数、实有数、超编单位数", Query: []string{"scope_id"}, Out: fleet.QuotaSummary{}, Handle: s.quotaSummary},
		{Method: "POST", Path: "/api/confirmations", Perm: access.FleetConfirm, Tag: "车辆", Summary: "确认车辆、驾驶员信息准确（每半年至少一次）", In: fleet.ConfirmInput{}, Out: fleet.ConfirmResult{}, Handle: s.confirm},
		{Method: "GET", Path: "/api/confirmations/due", Perm: access.FleetRead, Tag: "车辆", Summary: "超过6个月未确认的车辆和驾驶员（按单位、辖市(区)汇总）", Query: []string{"scope_id"}, Out: fleet.Due{}, Handle: s.confirmationsDue},

		{Method: "GET", Path: "/api/drivers", Perm: access.FleetRead, Tag: "驾驶员", Summary: "驾驶员列表（无车辆管理权限者身份证号脱敏）", Query: dq, Out: List[fleet.Driver]{}, Handle: s.listDrivers},
		{Method: "POST", Path: "/api/drivers", Perm: access.FleetWrite, Tag: "驾驶员", Summary: "登记驾驶员", In: fleet.DriverInput{}, Out: fleet.DriverDetail{}, Handle: create(s.Fleet.CreateDriver)},
		{Method: "GET", Path: "/api/drivers/export", Perm: access.FleetRead, Tag: "驾驶员", Summary: "导出驾驶员列表（xlsx）", Query: dq[:4], Handle: s.exportDrivers},
		{Method: "GET", Path: "/api/drivers/import-template", Perm: access.FleetRead, Tag: "驾驶员", Summary: "下载驾驶员导入模板（xlsx）", Handle: s.driverTemplate},
		{Method: "POST", Path: "/api/drivers/import", Perm: access.FleetWrite, Tag: "驾驶员", Summary: "从xlsx导入驾驶员；任一行有误则全部不导入", Query: []string{"unit_id"}, In: importIn{}, Out: fleet.ImportResult{}, Handle: s.importDrivers},
		{Method: "GET", Path: "/api/drivers/{id}", Perm: access.FleetRead, Tag: "驾驶员", Summary: "驾驶员详情：照片、匹配车辆", Out: fleet.DriverDetail{}, Handle: get(s.Fleet.GetDriver)},
		{Method: "PATCH", Path: "/api/drivers/{id}", Perm: access.FleetWrite, Tag: "驾驶员", Summary: "修改驾驶员", In: fleet.DriverInput{}, Out: fleet.DriverDetail{}, Handle: update(s.Fleet.UpdateDriver)},
		{Method: "PUT", Path: "/api/drivers/{id}/vehicles", Perm: access.FleetWrite, Tag: "驾驶员", Summary: "设置驾驶员匹配的车辆（须符合准驾车型）", In: matchIn{}, Out: fleet.DriverDetail{}, Handle: s.matchVehicles},
		{Method: "POST", Path: "/api/drivers/{id}/photos", Perm: access.FleetWrite, Tag: "驾驶员", Summary: "上传驾驶员照片或驾驶证照片（kind=driver|licence）", In: photoIn{}, Out: fleet.Photo{}, Handle: s.uploadPhoto("driver")},
		{Method: "GET", Path: "/api/drivers/{id}/photos/{photo_id}", Perm: access.FleetRead, Tag: "驾驶员", Summary: "驾驶员照片（thumb=1 为缩略图）", Query: []string{"thumb"}, Handle: s.photo("driver")},

		{Method: "GET", Path: "/api/terminals", Perm: access.FleetRead, Tag: "终端", Summary: "北斗终端列表（bound=true|false）", Query: []string{"unit_id", "bound", "q", "page", "page_size"}, Out: List[fleet.Terminal]{}, Handle: paged(s.listTerminals)},
		{Method: "GET", Path: "/api/terminals/export", Perm: access.FleetRead, Tag: "终端", Summary: "导出北斗终端（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "bound", "q", "page", "page_size"}), Handle: exportOf(s, "北斗终端", terminalFields, s.listTerminals)},
		{Method: "POST", Path: "/api/terminals", Perm: access.FleetWrite, Tag: "终端", Summary: "登记北斗终端", In: fleet.TerminalInput{}, Out: fleet.TerminalDetail{}, Handle: create(s.Fleet.CreateTerminal)},
		{Method: "GET", Path: "/api/terminals/{id}", Perm: access.FleetRead, Tag: "终端", Summary: "终端详情与绑定历史", Out: fleet.TerminalDetail{}, Handle: get(s.Fleet.GetTerminal)},
		{Method: "POST", Path: "/api/terminals/{id}/bind", Perm: access.FleetWrite, Tag: "终端", Summary: "终端绑定车辆", In: bindIn{}, Out: fleet.TerminalDetail{}, Handle: s.bindTerminal},
		{Method: "POST", Path: "/api/terminals/{id}/unbind", Perm: access.FleetWrite, Tag: "终端", Summary: "终端解绑", Out: fleet.TerminalDetail{}, Handle: s.unbindTerminal},
	}
}

type fleetMeta struct {
	Categories     []fleet.Code `json:"categories"`
	Statuses       []fleet.Code `json:"statuses"`
	EnergyTypes    []fleet.Code `json:"energy_types"`
	ExemptReasons  []fleet.Code `json:"exempt_reasons"`
	Markings       []fleet.Code `json:"markings"`
	VehicleClasses []fleet.Code `json:"vehicle_classes"`
	FundingSources []fleet.Code `json:"funding_sources"`
	PhotoKinds     []fleet.Code `json:"vehicle_photo_kinds"`
	DriverPhotos   []fleet.Code `json:"driver_photo_kinds"`
	ChangeKinds    []fleet.Code `json:"change_kinds"`
}

func (s *Server) fleetMeta(r *Request) (any, error) {
	return fleetMeta{fleet.Categories, fleet.Statuses, fleet.EnergyTypes, fleet.ExemptReasons, fleet.Markings,
		fleet.VehicleClasses, fleet.FundingSources, fleet.VehiclePhotoKinds, fleet.DriverPhotoKinds, fleet.ChangeKinds}, nil
}

// importIn is the JSON alternative to a multipart upload (machine clients).
type importIn struct {
	File []byte `json:"file"` // base64
}

type photoIn struct {
	Kind string `json:"kind"`
	File []byte `json:"file"` // base64; or multipart field "file"
}

type matchIn struct {
	VehicleIDs []int64 `json:"vehicle_ids"`
}

type bindIn struct {
	VehicleID int64 `json:"vehicle_id"`
}

func queryBool(r *Request, name string) bool {
	v := r.URL.Query().Get(name)
	return v == "true" || v == "1"
}

// upload reads an uploaded file: multipart/form-data (field "file", its
// name returned as value "filename", other fields as values), or JSON
// {"file": base64, "kind": …}. Bodies larger than max (plus room for the
// form) are refused with msg; values with control characters too.
func upload(r *Request, max int64, msg string) ([]byte, map[string]string, error) {
	vals := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		r.Body = http.MaxBytesReader(r.W, r.Body, max*4/3+(1<<20))
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return nil, nil, (&errs.Fields{"file": msg}).Err()
			}
			return nil, nil, errs.E(errs.Invalid, "上传内容格式错误")
		}
		defer r.MultipartForm.RemoveAll()
		for k, v := range r.MultipartForm.Value {
			if len(v) > 0 {
				vals[k] = v[0]
			}
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			return nil, nil, (&errs.Fields{"file": "请选择要上传的文件"}).Err()
		}
		defer f.Close()
		vals["filename"] = h.Filename
		data, err := io.ReadAll(io.LimitReader(f, max+1))
		if err != nil {
			return nil, nil, errs.Wrap(err, "upload")
		}
		if int64(len(data)) > max {
			return nil, nil, (&errs.Fields{"file": msg}).Err()
		}
		return data, vals, formText(vals)
	}
	var in struct {
		File []byte `json:"file"`
		Kind string `json:"kind"`
	}
	if err := decodeJSON(r, &in, max*4/3+(1<<20)); errs.Is(err, errs.TooLarge) {
		return nil, nil, (&errs.Fields{"file": msg}).Err()
	} else if err != nil {
		return nil, nil, err
	}
	if int64(len(in.File)) > max {
		return nil, nil, (&errs.Fields{"file": msg}).Err()
	}
	vals["kind"] = in.Kind
	return in.File, vals, formText(vals)
}

func xlsx(name string, data []byte) download {
	return download{name: fmt.Sprintf("%s-%s.xlsx", name, time.Now().In(beijing.Zone).Format("20060102-1504")), contentType: sheet.XLSXType, data: data}
}

// ---- vehicles ----

func vehicleFilter(r *Request) (fleet.VehicleFilter, error) {
	q := r.URL.Query()
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return fleet.VehicleFilter{}, err
	}
	return fleet.VehicleFilter{UnitID: unit, Category: q.Get("category"), Status: q.Get("status"), Q: q.Get("q"),
		Incomplete: queryBool(r, "incomplete"), Stale: queryBool(r, "stale"), NoTerminal: queryBool(r, "no_terminal"),
		OverQuota: queryBool(r, "over_quota"), Sort: q.Get("sort")}, nil
}

func (s *Server) listVehicles(r *Request) (any, error) {
	f, err := vehicleFilter(r)
	if err != nil {
		return nil, err
	}
	if f.Page, f.Size, err = page(r); err != nil {
		return nil, err
	}
	items, n, err := s.Fleet.ListVehicles(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

// changeVehicle is the handler of a dated change (transfer, category,
// disposal). The service method is looked up at request time, so that
// building the route table does not need a wired Fleet service.
func (s *Server) changeVehicle(kind string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in fleet.ChangeInput
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		switch kind {
		case "transfer":
			return s.Fleet.Transfer(r.Context(), r.Actor(), id, in)
		case "category":
			return s.Fleet.ChangeCategory(r.Context(), r.Actor(), id, in)
		default:
			return s.Fleet.Dispose(r.Context(), r.Actor(), id, in)
		}
	}
}

func (s *Server) exportVehicles(r *Request) (any, error) {
	f, err := vehicleFilter(r)
	if err != nil {
		return nil, err
	}
	data, n, err := s.Fleet.ExportVehicles(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actVehicleExport, ObjectType: audit.Vehicle, ScopePath: r.Actor().ScopePath,
		Summary: fmt.Sprintf("导出车辆%d辆 %s", n, r.URL.RawQuery)}); err != nil {
		return nil, err
	}
	return xlsx("车辆", data), nil
}

func (s *Server) vehicleTemplate(r *Request) (any, error) {
	data, err := fleet.VehicleTemplate()
	if err != nil {
		return nil, err
	}
	return download{name: "车辆导入模板.xlsx", contentType: sheet.XLSXType, data: data}, nil
}

const maxImportBytes = 10 << 20

func (s *Server) importVehicles(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	data, _, err := upload(r, maxImportBytes, "导入文件不能超过10 MB")
	if err != nil {
		return nil, err
	}
	return s.Fleet.ImportVehicles(r.Context(), r.Actor(), unit, data)
}

func (s *Server) uploadPhoto(owner string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		data, vals, err := upload(r, fleet.MaxPhotoBytes, "照片不能超过8 MB，请压缩后重新上传")
		if err != nil {
			return nil, err
		}
		kind := vals["kind"]
		if kind == "" {
			kind = r.URL.Query().Get("kind")
		}
		var p *fleet.Photo
		if owner == "driver" {
			p, err = s.Fleet.AddDriverPhoto(r.Context(), r.Actor(), id, kind, data)
		} else {
			p, err = s.Fleet.AddVehiclePhoto(r.Context(), r.Actor(), id, kind, data)
		}
		if err != nil {
			return nil, err
		}
		return created{p}, nil
	}
}

func photoID(r *Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("photo_id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "照片不存在")
	}
	return id, nil
}

func (s *Server) photo(owner string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		pid, err := photoID(r)
		if err != nil {
			return nil, err
		}
		thumb := queryBool(r, "thumb")
		p, err := s.Fleet.OpenPhoto(r.Context(), r.Actor(), owner, id, pid, thumb)
		if err != nil {
			return nil, err
		}
		ext := strings.TrimPrefix(p.ContentType, "image/")
		return download{name: fmt.Sprintf("%s-%d-%d.%s", owner, id, pid, ext), contentType: p.ContentType, data: p.Data}, nil
	}
}

func (s *Server) deleteVehiclePhoto(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	pid, err := photoID(r)
	if err != nil {
		return nil, err
	}
	return noContent{}, s.Fleet.DeleteVehiclePhoto(r.Context(), r.Actor(), id, pid)
}

func (s *Server) vehiclesOn(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Fleet.VehiclesOn(r.Context(), r.Actor(), id, r.URL.Query().Get("date"))
}

func (s *Server) quotaSummary(r *Request) (any, error) {
	scope, err := queryID(r, "scope_id")
	if err != nil {
		return nil, err
	}
	return s.Fleet.QuotaSummary(r.Context(), r.Actor(), scope)
}

func (s *Server) confirm(r *Request) (any, error) {
	var in fleet.ConfirmInput
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Fleet.Confirm(r.Context(), r.Actor(), in)
}

func (s *Server) confirmationsDue(r *Request) (any, error) {
	scope, err := queryID(r, "scope_id")
	if err != nil {
		return nil, err
	}
	return s.Fleet.ConfirmationsDue(r.Context(), r.Actor(), scope)
}

// ---- drivers ----

func driverFilter(r *Request) (fleet.DriverFilter, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return fleet.DriverFilter{}, err
	}
	return fleet.DriverFilter{UnitID: unit, Q: r.URL.Query().Get("q"), LicenceExpired: queryBool(r, "licence_expired"), Stale: queryBool(r, "stale")}, nil
}

func (s *Server) listDrivers(r *Request) (any, error) {
	f, err := driverFilter(r)
	if err != nil {
		return nil, err
	}
	if f.Page, f.Size, err = page(r); err != nil {
		return nil, err
	}
	items, n, err := s.Fleet.ListDrivers(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

func (s *Server) matchVehicles(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in matchIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Fleet.MatchVehicles(r.Context(), r.Actor(), id, in.VehicleIDs)
}

func (s *Server) exportDrivers(r *Request) (any, error) {
	f, err := driverFilter(r)
	if err != nil {
		return nil, err
	}
	data, n, err := s.Fleet.ExportDrivers(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: actDriverExport, ObjectType: audit.Driver, ScopePath: r.Actor().ScopePath,
		Summary: fmt.Sprintf("导出驾驶员%d名 %s", n, r.URL.RawQuery)}); err != nil {
		return nil, err
	}
	return xlsx("驾驶员", data), nil
}

func (s *Server) driverTemplate(r *Request) (any, error) {
	data, err := fleet.DriverTemplate()
	if err != nil {
		return nil, err
	}
	return download{name: "驾驶员导入模板.xlsx", contentType: sheet.XLSXType, data: data}, nil
}

func (s *Server) importDrivers(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	data, _, err := upload(r, maxImportBytes, "导入文件不能超过10 MB")
	if err != nil {
		return nil, err
	}
	return s.Fleet.ImportDrivers(r.Context(), r.Actor(), unit, data)
}

// ---- terminals ----

func (s *Server) listTerminals(r *Request, p, size int) ([]*fleet.Terminal, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Fleet.ListTerminals(r.Context(), r.Actor(), fleet.TerminalFilter{UnitID: unit, Bound: q.Get("bound"), Q: q.Get("q"), Page: p, Size: size})
}

var terminalFields = []sheet.Field[*fleet.Terminal]{
	{Title: "终端编号", Width: 20, Value: func(t *fleet.Terminal) any { return t.TerminalNo }},
	{Title: "SIM卡号", Width: 18, Value: func(t *fleet.Terminal) any { return t.SIM }},
	sheet.F("型号", func(t *fleet.Terminal) any { return t.Model }),
	{Title: "厂家", Width: 22, Value: func(t *fleet.Terminal) any { return t.Maker }},
	sheet.F("安装日期", func(t *fleet.Terminal) any { return t.InstallDate }),
	{Title: "所属单位", Width: 22, Value: func(t *fleet.Terminal) any { return t.UnitName }},
	sheet.F("绑定车辆", func(t *fleet.Terminal) any { return t.Plate }),
}

func (s *Server) bindTerminal(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in bindIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Fleet.Bind(r.Context(), r.Actor(), id, in.VehicleID)
}

func (s *Server) unbindTerminal(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	return s.Fleet.Unbind(r.Context(), r.Actor(), id)
}
