package httpapi

import (
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/health"
	"govfleet/internal/trips"
)

// tripsRoutes: trips and daily mileage and terminal health.
// A trip's times and distance are read with the live map's permission;
// where it went is a track, seen through track playback (track.read, with
// a reason, audited).
func (s *Server) tripsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/vehicles/{id}/trips", Perm: access.MonitorRead, Tag: "行程与里程", Summary: "车辆的行程（点火与行驶）、每日里程（北京时间）与关联订单，from/to 为日期（默认最近7天，最多92天）", Query: []string{"from", "to"}, Out: trips.VehicleTrips{}, Handle: s.vehicleTrips},
		{Method: "GET", Path: "/api/terminal-events", Perm: access.MonitorRead, Tag: "终端健康", Summary: "终端健康事件（离线、主电源掉电、天线故障、断电后失联、位置跳变、持续无效定位、终端时钟偏差、疑似冒用/克隆终端），可按单位（含下级）、车辆、终端手机号、类型、状态（pending=未修复）筛选", Query: []string{"unit_id", "vehicle_id", "terminal_phone", "kind", "state", "page", "page_size"}, Out: List[health.Event]{}, Handle: s.terminalEvents},
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

func (s *Server) terminalEvents(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	vehicle, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, err
	}
	p, size, err := page(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	items, total, err := s.Health.List(r.Context(), r.Actor(), health.Filter{UnitID: unit, VehicleID: vehicle, Phone: q.Get("terminal_phone"), Kind: q.Get("kind"), State: q.Get("state"), Page: p, Size: size})
	if err != nil {
		return nil, err
	}
	return list(items, total, p, size), nil
}

func (s *Server) terminalEventCounts(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	return s.Health.Counts(r.Context(), r.Actor(), unit)
}
