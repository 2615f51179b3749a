package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/maintenance"
	"govfleet/internal/sheet"
)

// maintenanceRoutes are the repair and maintenance workflow's routes.
func (s *Server) maintenanceRoutes() []Route {
	m := s.Maintenance
	return []Route{
		{Method: "GET", Path: "/api/repair-jobs", Perm: access.RepairRead, Tag: "维修", Summary: "维修单（维修厂账号只见指派给本厂的；state 可为 open 表示未结案占用车辆的；mine=true 为本人报修的）", Query: []string{"state", "vehicle_id", "unit_id", "q", "mine", "page", "page_size"}, Out: List[maintenance.Job]{}, Handle: paged(s.listRepairJobs)},
		{Method: "GET", Path: "/api/repair-jobs/export", Perm: access.RepairRead, Tag: "维修", Summary: "导出维修单（xlsx，筛选条件同列表）", Query: exportQuery([]string{"state", "vehicle_id", "unit_id", "q", "mine", "page", "page_size"}), Handle: exportOf(s, "维修单", repairJobFields, s.listRepairJobs)},
		{Method: "POST", Path: "/api/repair-jobs", Perm: access.RepairRequest, Tag: "维修", Summary: "驾驶员报修或申请保养（R-22）", In: maintenance.RequestInput{}, Out: maintenance.Job{}, Handle: create(m.Request)},
		{Method: "GET", Path: "/api/repair-jobs/vehicles", Perm: access.RepairRequest, Tag: "维修", Summary: "可报修的车辆：管辖范围内的在册车辆（q 按车牌、品牌型号），报修人不必查阅车辆档案", Query: []string{"q", "page", "page_size"}, Out: List[fleet.Vehicle]{}, Handle: s.repairVehicles},
		{Method: "GET", Path: "/api/repair-jobs/{id}", Perm: access.RepairRead, Tag: "维修", Summary: "维修单详情：维修项目、照片、时间线", Out: maintenance.Detail{}, Handle: get(m.Get)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/photos", Perm: access.RepairRequest, Tag: "维修", Summary: "上传故障照片（multipart 字段 file；JPEG/PNG/WebP，不超过8 MB）", Out: maintenance.Photo{}, Handle: s.repairPhotoUpload("problem")},
		{Method: "POST", Path: "/api/repair-jobs/{id}/invoices", Perm: access.RepairQuote, Tag: "维修", Summary: "维修厂上传发票照片（multipart 字段 file）", Out: maintenance.Photo{}, Handle: s.repairPhotoUpload("invoice")},
		{Method: "GET", Path: "/api/repair-jobs/{id}/photos/{photo_id}", Perm: access.RepairRead, Tag: "维修", Summary: "维修单照片（thumb=1 为缩略图）", Query: []string{"thumb"}, Handle: s.repairPhoto},
		{Method: "POST", Path: "/api/repair-jobs/{id}/estimate", Perm: access.RepairManage, Tag: "维修", Summary: "维修管理员估价（预算决定审批人）", In: maintenance.EstimateInput{}, Out: maintenance.Job{}, Handle: update(m.Estimate)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/approve", Perm: access.RepairApprove, Tag: "维修", Summary: "按审批额度批准预算（车辆转为维修中）", In: reasonIn{}, Out: maintenance.Job{}, Handle: mayReason(s.Maintenance.Approve)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/reject", Perm: access.RepairApprove, Tag: "维修", Summary: "不予批准（须填原因）", In: reasonIn{}, Out: maintenance.Job{}, Handle: mayReason(s.Maintenance.Reject)},
		{Method: "GET", Path: "/api/repair-jobs/{id}/shops", Perm: access.RepairManage, Tag: "维修", Summary: "合同覆盖该车辆的定点维修厂", Out: []maintenance.Shop{}, Handle: get(m.Shops)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/assign", Perm: access.RepairManage, Tag: "维修", Summary: "指派定点维修厂", In: maintenance.AssignInput{}, Out: maintenance.Job{}, Handle: update(m.Assign)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/quote", Perm: access.RepairQuote, Tag: "维修", Summary: "维修厂上传维修项目（金额须等于数量×单价，合计须等于各项之和，否则整单拒收）", In: maintenance.QuoteInput{}, Out: maintenance.Job{}, Handle: update(m.Quote)},
		{Method: "PUT", Path: "/api/repair-jobs/{id}/items/{item_id}", Perm: access.RepairQuote, Tag: "维修", Summary: "维修厂修改有异议的项目", In: maintenance.ItemInput{}, Out: maintenance.Job{}, Handle: s.repairItem(false)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/items/{item_id}/review", Perm: access.RepairManage, Tag: "维修", Summary: "逐项审核：确认或提出异议（须填原因）", In: maintenance.ReviewInput{}, Out: maintenance.Job{}, Handle: s.repairItem(true)},
		{Method: "POST", Path: "/api/repair-jobs/{id}/close", Perm: access.RepairManage, Tag: "维修", Summary: "结案：确认金额计入费用台账，车辆恢复原状态", Out: maintenance.Job{}, Handle: get(m.Close)},
		{Method: "GET", Path: "/api/vehicles/{id}/repairs", Perm: access.RepairRead, Tag: "维修", Summary: "车辆维修记录与维修费用合计", Out: maintenance.History{}, Handle: get(m.VehicleHistory)},
		{Method: "GET", Path: "/api/repair-thresholds/{id}", Perm: access.RepairRead, Tag: "维修", Summary: "某级（{id} 为市、区或单位）现行的维修审批额度", Out: maintenance.Thresholds{}, Handle: get(m.GetThresholds)},
		{Method: "PUT", Path: "/api/repair-thresholds/{id}", Perm: access.RepairRules, Tag: "维修", Summary: "设置本级或下级的维修审批额度（不得高于上级）", In: maintenance.ThresholdsInput{}, Out: maintenance.Thresholds{}, Handle: update(m.SetThresholds)},
	}
}

func (s *Server) listRepairJobs(r *Request, p, size int) ([]*maintenance.Job, int, error) {
	vid, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, 0, err
	}
	uid, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	f := maintenance.Filter{State: r.URL.Query().Get("state"), VehicleID: vid, UnitID: uid, Q: strings.TrimSpace(r.URL.Query().Get("q")), Mine: queryBool(r, "mine")}
	return s.Maintenance.List(r.Context(), r.Actor(), f, p, size)
}

var repairJobFields = []sheet.Field[*maintenance.Job]{
	{Title: "维修单号", Width: 20, Value: func(j *maintenance.Job) any { return j.No }},
	sheet.F("类别", func(j *maintenance.Job) any { return j.KindName }),
	sheet.F("车牌号", func(j *maintenance.Job) any { return j.Plate }),
	sheet.F("品牌型号", func(j *maintenance.Job) any { return j.VehicleDesc }),
	{Title: "单位", Width: 22, Value: func(j *maintenance.Job) any { return j.UnitName }},
	{Title: "故障描述", Width: 30, Value: func(j *maintenance.Job) any { return j.Problem }},
	sheet.F("报修人", func(j *maintenance.Job) any { return j.RequestedName }),
	{Title: "报修时间", Width: 20, Value: func(j *maintenance.Job) any { return j.RequestedAt }},
	sheet.F("状态", func(j *maintenance.Job) any { return j.StateName }),
	sheet.F("预算（元）", func(j *maintenance.Job) any { return sheet.Money(j.BudgetFen) }),
	sheet.F("审批层级", func(j *maintenance.Job) any { return j.TierName }),
	{Title: "维修厂", Width: 26, Value: func(j *maintenance.Job) any { return j.ShopName }},
	sheet.F("报价（元）", func(j *maintenance.Job) any { return sheet.Money(j.QuotedFen) }),
	sheet.F("结算（元）", func(j *maintenance.Job) any {
		if j.FinalFen == nil {
			return nil
		}
		return sheet.Money(*j.FinalFen)
	}),
	{Title: "结案时间", Width: 20, Value: func(j *maintenance.Job) any { return j.ClosedAt }},
}

// repairVehicles lists the vehicles a driver or vehicle manager may report
// for repair: the registry's list of its scope, without the registry's
// permission (issue 24: a driver does not browse the registry).
func (s *Server) repairVehicles(r *Request) (any, error) {
	f := fleet.VehicleFilter{Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	var err error
	if f.Page, f.Size, err = page(r); err != nil {
		return nil, err
	}
	items, n, err := s.Fleet.ListVehicles(r.Context(), r.Actor(), f)
	if err != nil {
		return nil, err
	}
	return list(items, n, f.Page, f.Size), nil
}

func (s *Server) repairPhotoUpload(kind string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		data, _, err := upload(r, fleet.MaxPhotoBytes, "照片不能超过8 MB，请压缩后重新上传")
		if err != nil {
			return nil, err
		}
		p, err := s.Maintenance.AddPhoto(r.Context(), r.Actor(), id, kind, data)
		if err != nil {
			return nil, err
		}
		return created{p}, nil
	}
}

func (s *Server) repairPhoto(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	pid, err := photoID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.Maintenance.OpenPhoto(r.Context(), r.Actor(), id, pid, queryBool(r, "thumb"))
	if err != nil {
		return nil, err
	}
	return download{name: fmt.Sprintf("repair-%d-%d.%s", id, pid, strings.TrimPrefix(p.ContentType, "image/")), contentType: p.ContentType, data: p.Data}, nil
}

// repairItem revises (the shop) or reviews (the repair administrator) one item.
func (s *Server) repairItem(review bool) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		item, err := strconv.ParseInt(r.PathValue("item_id"), 10, 64)
		if err != nil || item <= 0 {
			return nil, errs.E(errs.NotFound, "维修项目不存在")
		}
		if review {
			var in maintenance.ReviewInput
			if err := decode(r, &in); err != nil {
				return nil, err
			}
			return s.Maintenance.Review(r.Context(), r.Actor(), id, item, in)
		}
		var in maintenance.ItemInput
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return s.Maintenance.Revise(r.Context(), r.Actor(), id, item, in)
	}
}
