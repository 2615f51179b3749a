package httpapi

import (
	"math"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/health"
	"govfleet/internal/sheet"
	"govfleet/internal/trips"
)

// tripsRoutes: trips and daily mileage and terminal health.
// A trip's times and distance are read with the live map's permission;
// where it went is a track, seen through track playback (track.read, with
// a reason, audited).
func (s *Server) tripsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/vehicles/{id}/trips", Perm: access.MonitorRead, Tag: "行程与里程", Summary: "车辆的行程（点火与行驶）、每日里程（北京时间）与关联订单，from/to 为日期（默认最近7天，最多92天）", Query: []string{"from", "to"}, Out: trips.VehicleTrips{}, Handle: s.vehicleTrips},
		{Method: "GET", Path: "/api/vehicles/{id}/trips/export", Perm: access.MonitorRead, Tag: "行程与里程", Summary: "导出车辆某时段的行程（xlsx，日期同列表）", Query: []string{"from", "to"}, Handle: exportOf(s, "行程", tripFields, s.tripList)},
		{Method: "GET", Path: "/api/terminal-events", Perm: access.MonitorRead, Tag: "终端健康", Summary: "终端健康事件（离线、主电源掉电、天线故障、断电后失联、位置跳变、持续无效定位、终端时钟偏差、疑似冒用/克隆终端），可按单位（含下级）、车辆、终端手机号、类型、状态（pending=未修复）筛选", Query: []string{"unit_id", "vehicle_id", "terminal_phone", "kind", "state", "page", "page_size"}, Out: List[health.Event]{}, Handle: paged(s.terminalEvents)},
		{Method: "GET", Path: "/api/terminal-events/export", Perm: access.MonitorRead, Tag: "终端健康", Summary: "导出终端健康事件（xlsx，筛选条件同列表）", Query: exportQuery([]string{"unit_id", "vehicle_id", "terminal_phone", "kind", "state", "page", "page_size"}), Handle: exportOf(s, "终端健康事件", terminalEventFields, s.terminalEvents)},
		{Method: "GET", Path: "/api/terminal-events/counts", Perm: access.MonitorRead, Tag: "终端健康", Summary: "终端健康事件按类型与状态计数", Query: []string{"unit_id"}, Out: []health.Count{}, Handle: s.terminalEventCounts},
		{Method: "POST", Path: "/api/terminal-events/{id}/repair", Perm: access.HealthWrite, Tag: "终端健康", Summary: "报修（待处理 → 已报修）", In: health.Action{}, Out: health.Event{}, Handle: update(s.Health.RequestRepair)},
		{Method: "POST", Path: "/api/terminal-events/{id}/fix", Perm: access.HealthWrite, Tag: "终端健康", Summary: "标记已修复（须填写处理说明）", In: health.Action{}, Out: health.Event{}, Handle: update(s.Health.MarkFixed)},
	}
}

func (s *Server) vehicleTrips(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	today := time.Now().In(beijing.Zone)
	from, to := q.Get("from"), q.Get("to")
	if to == "" {
		to = today.Format(time.DateOnly)
	}
	if from == "" {
		from = today.AddDate(0, 0, -6).Format(time.DateOnly)
	}
	return s.Trips.Vehicle(r.Context(), r.Actor(), trips.Query{VehicleID: id, From: from, To: to})
}

// tripList is a vehicle's trips over the period as a list (all of them:
// a period is at most trips.MaxQueryDays).
func (s *Server) tripList(r *Request, p, size int) ([]*trips.Trip, int, error) {
	v, err := s.vehicleTrips(r)
	if err != nil {
		return nil, 0, err
	}
	vt := v.(*trips.VehicleTrips)
	for _, t := range vt.Trips {
		t.Plate = vt.Plate
	}
	return vt.Trips, len(vt.Trips), nil
}

var tripFields = []sheet.Field[*trips.Trip]{
	sheet.F("车牌号", func(t *trips.Trip) any { return t.Plate }),
	{Title: "开始时间", Width: 20, Value: func(t *trips.Trip) any { return t.StartedAt }},
	{Title: "结束时间", Width: 20, Value: func(t *trips.Trip) any { return t.EndedAt }},
	sheet.F("时长（分钟）", func(t *trips.Trip) any { return math.Round(t.Minutes) }),
	sheet.F("里程（公里）", func(t *trips.Trip) any { return float64(t.DistanceM) / 1000 }),
	sheet.F("最高速度（公里/时）", func(t *trips.Trip) any { return t.MaxSpeedKmh }),
	{Title: "关联订单", Width: 22, Value: func(t *trips.Trip) any {
		switch {
		case t.OrderNo != "":
			return t.OrderNo
		case t.FilingID != nil && t.FilingState == "filed":
			return "无订单，已补报"
		case t.FilingID != nil:
			return "无订单，待补报"
		case t.State != "closed":
			return "行驶中"
		}
		return ""
	}},
}

func (s *Server) terminalEvents(r *Request, p, size int) ([]*health.Event, int, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, 0, err
	}
	vehicle, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, 0, err
	}
	q := r.URL.Query()
	return s.Health.List(r.Context(), r.Actor(), health.Filter{UnitID: unit, VehicleID: vehicle, Phone: q.Get("terminal_phone"), Kind: q.Get("kind"), State: q.Get("state"), Page: p, Size: size})
}

var terminalEventFields = []sheet.Field[*health.Event]{
	sheet.F("车牌号", func(e *health.Event) any { return e.Plate }),
	{Title: "单位", Width: 22, Value: func(e *health.Event) any { return e.UnitName }},
	{Title: "终端手机号", Width: 18, Value: func(e *health.Event) any { return e.Phone }},
	sheet.F("类型", func(e *health.Event) any { return e.KindName }),
	sheet.F("状态", func(e *health.Event) any { return e.StateName }),
	{Title: "发生时间", Width: 20, Value: func(e *health.Event) any { return e.OpenedAt }},
	{Title: "最近出现", Width: 20, Value: func(e *health.Event) any { return e.LastSeenAt }},
	{Title: "报修时间", Width: 20, Value: func(e *health.Event) any { return e.RepairRequestedAt }},
	sheet.F("报修人", func(e *health.Event) any { return e.RequestedByName }),
	{Title: "修复时间", Width: 20, Value: func(e *health.Event) any { return e.FixedAt }},
	sheet.F("修复人", func(e *health.Event) any { return e.FixedByName }),
	{Title: "处理说明", Width: 30, Value: func(e *health.Event) any { return e.Note }},
}

func (s *Server) terminalEventCounts(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Health.Counts(r.Context(), r.Actor(), unit)
}
