package httpapi

import (
	"encoding/json"
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
)

// fleetRoutes are the vehicle and driver registry's routes (issue: registry).
func (s *Server) fleetRoutes() []Route {
	vq := []string{"unit_id", "category", "status", "q", "incomplete", "stale", "no_terminal", "over_quota", "sort", "page", "page_size"}
	dq := []string{"unit_id", "q", "licence_expired", "stale", "page", "page_size"}
	return []Route{
		{"GET", "/api/fleet/meta", access.FleetRead, "车辆", "车辆类别、状态、能源类型等代码表", nil, nil, fleetMeta{}, s.fleetMeta},
		{"GET", "/api/vehicles", access.FleetRead, "车辆", "车辆列表（unit_id 含下级；sort=plate|purchase_date|unit，前缀-为倒序）", vq, nil, List[fleet.Vehicle]{}, s.listVehicles},
		{"POST", "/api/vehicles", access.FleetWrite, "车辆", "登记车辆（同时记录购置登记）", nil, fleet.VehicleInput{}, fleet.VehicleDetail{}, create(s.Fleet.CreateVehicle)},
		{"GET", "/api/vehicles/export", access.FleetRead, "车辆", "导出车辆列表（xlsx，筛选条件同列表）", vq[:8], nil, nil, s.exportVehicles},
		{"GET", "/api/vehicles/import-template", access.FleetRead, "车辆", "下载车辆导入模板（xlsx）", nil, nil, nil, s.vehicleTemplate},
		{"POST", "/api/vehicles/import", access.FleetWrite, "车辆", "从xlsx导入车辆（multipart 字段 file，或 JSON {file: base64}）；任一行有误则全部不导入", []string{"unit_id"}, importIn{}, fleet.ImportResult{}, s.importVehicles},
		{"GET", "/api/vehicles/{id}", access.FleetRead, "车辆", "车辆详情：照片、终端、驾驶员、变更记录", nil, nil, fleet.VehicleDetail{}, get(s.Fleet.GetVehicle)},
		{"PATCH", "/api/vehicles/{id}", access.FleetWrite, "车辆", "修改车辆基本信息", nil, fleet.VehicleInput{}, fleet.VehicleDetail{}, update(s.Fleet.UpdateVehicle)},
		{"POST", "/api/vehicles/{id}/transfer", access.FleetWrite, "车辆", "车辆划转（两个单位均须在管辖范围内）", nil, fleet.ChangeInput{}, fleet.VehicleDetail{}, s.changeVehicle("transfer")},
		{"POST", "/api/vehicles/{id}/category", access.FleetWrite, "车辆", "车辆类别变更", nil, fleet.ChangeInput{}, fleet.VehicleDetail{}, s.changeVehicle("category")},
		{"POST", "/api/vehicles/{id}/dispose", access.FleetWrite, "车辆", "车辆处置", nil, fleet.ChangeInput{}, fleet.VehicleDetail{}, s.changeVehicle("dispose")},
		{"POST", "/api/vehicles/{id}/photos", access.FleetWrite, "车辆", "上传车辆照片（multipart 字段 file、kind=front|side|rear|other；JPEG/PNG/WebP，不超过8 MB）", nil, photoIn{}, fleet.Photo{}, s.uploadPhoto("vehicle")},
		{"GET", "/api/vehicles/{id}/photos/{photo_id}", access.FleetRead, "车辆", "车辆照片（thumb=1 为缩略图）", []string{"thumb"}, nil, nil, s.photo("vehicle")},
		{"DELETE", "/api/vehicles/{id}/photos/{photo_id}", access.FleetWrite, "车辆", "删除车辆照片", nil, nil, nil, s.deleteVehiclePhoto},
		{"GET", "/api/units/{id}/vehicles-on", access.FleetRead, "车辆", "单位在某日持有的车辆（年报用）", []string{"date"}, nil, fleet.HeldOn{}, s.vehiclesOn},
		{"GET", "/api/quota-summary", access.FleetRead, "车辆", "各辖市(区)与全市的车辆编制数、实有数、超编单位数", []string{"scope_id"}, nil, fleet.QuotaSummary{}, s.quotaSummary},
		{"POST", "/api/confirmations", access.FleetConfirm, "车辆", "确认车辆、驾驶员信息准确（每半年至少一次）", nil, fleet.ConfirmInput{}, fleet.ConfirmResult{}, s.confirm},
		{"GET", "/api/confirmations/due", access.FleetRead, "车辆", "超过6个月未确认的车辆和驾驶员（按单位、辖市(区)汇总）", []string{"scope_id"}, nil, fleet.Due{}, s.confirmationsDue},

		{"GET", "/api/drivers", access.FleetRead, "驾驶员", "驾驶员列表（无车辆管理权限者身份证号脱敏）", dq, nil, List[fleet.Driver]{}, s.listDrivers},
		{"POST", "/api/drivers", access.FleetWrite, "驾驶员", "登记驾驶员", nil, fleet.DriverInput{}, fleet.DriverDetail{}, create(s.Fleet.CreateDriver)},
		{"GET", "/api/drivers/export", access.FleetRead, "驾驶员", "导出驾驶员列表（xlsx）", dq[:4], nil, nil, s.exportDrivers},
		{"GET", "/api/drivers/import-template", access.FleetRead, "驾驶员", "下载驾驶员导入模板（xlsx）", nil, nil, nil, s.driverTemplate},
		{"POST", "/api/drivers/import", access.FleetWrite, "驾驶员", "从xlsx导入驾驶员；任一行有误则全部不导入", []string{"unit_id"}, importIn{}, fleet.ImportResult{}, s.importDrivers},
		{"GET", "/api/drivers/{id}", access.FleetRead, "驾驶员", "驾驶员详情：照片、匹配车辆", nil, nil, fleet.DriverDetail{}, get(s.Fleet.GetDriver)},
		{"PATCH", "/api/drivers/{id}", access.FleetWrite, "驾驶员", "修改驾驶员", nil, fleet.DriverInput{}, fleet.DriverDetail{}, update(s.Fleet.UpdateDriver)},
		{"PUT", "/api/drivers/{id}/vehicles", access.FleetWrite, "驾驶员", "设置驾驶员匹配的车辆（须符合准驾车型）", nil, matchIn{}, fleet.DriverDetail{}, s.matchVehicles},
		{"POST", "/api/drivers/{id}/photos", access.FleetWrite, "驾驶员", "上传驾驶员照片或驾驶证照片（kind=driver|licence）", nil, photoIn{}, fleet.Photo{}, s.uploadPhoto("driver")},
		{"GET", "/api/drivers/{id}/photos/{photo_id}", access.FleetRead, "驾驶员", "驾驶员照片（thumb=1 为缩略图）", []string{"thumb"}, nil, nil, s.photo("driver")},

		{"GET", "/api/terminals", access.FleetRead, "终端", "北斗终端列表（bound=true|false）", []string{"unit_id", "bound", "q", "page", "page_size"}, nil, List[fleet.Terminal]{}, s.listTerminals},
		{"POST", "/api/terminals", access.FleetWrite, "终端", "登记北斗终端", nil, fleet.TerminalInput{}, fleet.TerminalDetail{}, create(s.Fleet.CreateTerminal)},
		{"GET", "/api/terminals/{id}", access.FleetRead, "终端", "终端详情与绑定历史", nil, nil, fleet.TerminalDetail{}, get(s.Fleet.GetTerminal)},
		{"POST", "/api/terminals/{id}/bind", access.FleetWrite, "终端", "终端绑定车辆", nil, bindIn{}, fleet.TerminalDetail{}, s.bindTerminal},
		{"POST", "/api/terminals/{id}/unbind", access.FleetWrite, "终端", "终端解绑", nil, nil, fleet.TerminalDetail{}, s.unbindTerminal},
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

// upload reads an uploaded file: multipart/form-data (field "file", other
// fields returned as values), or JSON {"file": base64, …}. Bodies larger
// than max (plus room for the form) are refused with msg.
func upload(r *Request, max int64, msg string) ([]byte, map[string]string, error) {
	vals := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	body := http.MaxBytesReader(r.W, r.Body, max*4/3+(1<<20))
	if ct == "multipart/form-data" {
		r.Body = body
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
		f, _, err := r.FormFile("file")
		if err != nil {
			return nil, nil, (&errs.Fields{"file": "请选择要上传的文件"}).Err()
		}
		defer f.Close()
		data, err := io.ReadAll(io.LimitReader(f, max+1))
		if err != nil {
			return nil, nil, errs.Wrap(err, "upload")
		}
		if int64(len(data)) > max {
			return nil, nil, (&errs.Fields{"file": msg}).Err()
		}
		return data, vals, nil
	}
	var in struct {
		File []byte `json:"file"`
		Kind string `json:"kind"`
	}
	if err := json.NewDecoder(body).Decode(&in); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, nil, (&errs.Fields{"file": msg}).Err()
		}
		return nil, nil, errs.E(errs.Invalid, "请以 multipart/form-data 上传文件（字段 file）")
	}
	if int64(len(in.File)) > max {
		return nil, nil, (&errs.Fields{"file": msg}).Err()
	}
	vals["kind"] = in.Kind
	return in.File, vals, nil
}

func xlsx(name string, data []byte) download {
	return download{name: fmt.Sprintf("%s-%s.xlsx", name, time.Now().In(beijing.Zone).Format("20060102-1504")), contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: data}
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
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: "vehicle.export", ObjectType: "vehicle", ScopePath: r.Actor().ScopePath,
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
	return download{name: "车辆导入模板.xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: data}, nil
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
	if err := s.Audit.Note(r.Context(), r.Actor(), audit.Event{Action: "driver.export", ObjectType: "driver", ScopePath: r.Actor().ScopePath,
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
	return download{name: "驾驶员导入模板.xlsx", contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", data: data}, nil
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

func (s *Server) listTerminals(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, n, err := s.Fleet.ListTerminals(r.Context(), r.Actor(), fleet.TerminalFilter{UnitID: unit, Bound: q.Get("bound"), Q: q.Get("q"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, n, p, size), nil
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
