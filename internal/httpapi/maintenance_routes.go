package httpapi

import (
	"fmt"
	"strconv"
	"strings"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/maintenance"
)

// maintenanceRoutes are the repair and maintenance workflow's routes.
func (s *Server) maintenanceRoutes() []Route {
	m := s.Maintenance
	return []Route{
		{"GET", "/api/repair-jobs", access.RepairRead, "维修", "维修单（维修厂账号只见指派给本厂的；state 可为 open 表示未结案占用车辆的）", []string{"state", "vehicle_id", "unit_id", "q", "page", "page_size"}, nil, List[maintenance.Job]{}, s.listRepairJobs},
		{"POST", "/api/repair-jobs", access.RepairRequest, "维修", "驾驶员报修或申请保养（R-22）", nil, maintenance.RequestInput{}, maintenance.Job{}, create(m.Request)},
		{"GET", "/api/repair-jobs/{id}", access.RepairRead, "维修", "维修单详情：维修项目、照片、时间线", nil, nil, maintenance.Detail{}, get(m.Get)},
		{"POST", "/api/repair-jobs/{id}/photos", access.RepairRequest, "维修", "上传故障照片（multipart 字段 file；JPEG/PNG/WebP，不超过8 MB）", nil, nil, maintenance.Photo{}, s.repairPhotoUpload("problem")},
		{"POST", "/api/repair-jobs/{id}/invoices", access.RepairQuote, "维修", "维修厂上传发票照片（multipart 字段 file）", nil, nil, maintenance.Photo{}, s.repairPhotoUpload("invoice")},
		{"GET", "/api/repair-jobs/{id}/photos/{photo_id}", access.RepairRead, "维修", "维修单照片（thumb=1 为缩略图）", []string{"thumb"}, nil, nil, s.repairPhoto},
		{"POST", "/api/repair-jobs/{id}/estimate", access.RepairManage, "维修", "维修管理员估价（预算决定审批人）", nil, maintenance.EstimateInput{}, maintenance.Job{}, update(m.Estimate)},
		{"POST", "/api/repair-jobs/{id}/approve", access.RepairApprove, "维修", "按审批额度批准预算（车辆转为维修中）", nil, reasonIn{}, maintenance.Job{}, s.repairDecision(true)},
		{"POST", "/api/repair-jobs/{id}/reject", access.RepairApprove, "维修", "不予批准（须填原因）", nil, reasonIn{}, maintenance.Job{}, s.repairDecision(false)},
		{"GET", "/api/repair-jobs/{id}/shops", access.RepairManage, "维修", "合同覆盖该车辆的定点维修厂", nil, nil, []maintenance.Shop{}, get(m.Shops)},
		{"POST", "/api/repair-jobs/{id}/assign", access.RepairManage, "维修", "指派定点维修厂", nil, maintenance.AssignInput{}, maintenance.Job{}, update(m.Assign)},
		{"POST", "/api/repair-jobs/{id}/quote", access.RepairQuote, "维修", "维修厂上传维修项目（金额须等于数量×单价，合计须等于各项之和，否则整单拒收）", nil, maintenance.QuoteInput{}, maintenance.Job{}, update(m.Quote)},
		{"PUT", "/api/repair-jobs/{id}/items/{item_id}", access.RepairQuote, "维修", "维修厂修改有异议的项目", nil, maintenance.ItemInput{}, maintenance.Job{}, s.repairItem(false)},
		{"POST", "/api/repair-jobs/{id}/items/{item_id}/review", access.RepairManage, "维修", "逐项审核：确认或提出异议（须填原因）", nil, maintenance.ReviewInput{}, maintenance.Job{}, s.repairItem(true)},
		{"POST", "/api/repair-jobs/{id}/close", access.RepairManage, "维修", "结案：确认金额计入费用台账，车辆恢复原状态", nil, nil, maintenance.Job{}, get(m.Close)},
		{"GET", "/api/vehicles/{id}/repairs", access.RepairRead, "维修", "车辆维修记录与维修费用合计", nil, nil, maintenance.History{}, get(m.VehicleHistory)},
		{"GET", "/api/repair-thresholds/{id}", access.RepairRead, "维修", "某级（{id} 为市、区或单位）现行的维修审批额度", nil, nil, maintenance.Thresholds{}, get(m.GetThresholds)},
		{"PUT", "/api/repair-thresholds/{id}", access.RepairRules, "维修", "设置本级或下级的维修审批额度（不得高于上级）", nil, maintenance.ThresholdsInput{}, maintenance.Thresholds{}, update(m.SetThresholds)},
	}
}

func (s *Server) listRepairJobs(r *Request) (any, error) {
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	vid, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, err
	}
	uid, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	f := maintenance.Filter{State: r.URL.Query().Get("state"), VehicleID: vid, UnitID: uid, Q: strings.TrimSpace(r.URL.Query().Get("q"))}
	items, total, err := s.Maintenance.List(r.Context(), r.Actor(), f, p, size)
	if err != nil {
		return nil, err
	}
	return list(items, total, p, size), nil
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

func (s *Server) repairDecision(approve bool) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in reasonIn
		if r.ContentLength != 0 {
			if err := decode(r, &in); err != nil {
				return nil, err
			}
		}
		if approve {
			return s.Maintenance.Approve(r.Context(), r.Actor(), id, in.Reason)
		}
		return s.Maintenance.Reject(r.Context(), r.Actor(), id, in.Reason)
	}
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
