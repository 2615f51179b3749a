package httpapi

import (
	"fmt"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/fleet"
	"govfleet/internal/monitor"
)

// StreamPeriod is how often the live stream sends a batch of changes.
var StreamPeriod = 2 * time.Second

func (s *Server) monitorRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/api/live/config", Perm: access.MonitorRead, Tag: "实时监控", Summary: "地图配置（底图地址、参考地点、离线判定）", Out: monitor.Config{}, Handle: s.liveConfig},
		{Method: "GET", Path: "/api/live/vehicles", Perm: access.MonitorRead, Tag: "实时监控", Summary: "管辖范围内车辆的最新位置与状态（moving 行驶、parked 停车、offline 离线、alarm 报警）、当班驾驶员与当前订单", Query: []string{"unit_id", "vehicle_id", "q", "state"}, Out: liveOut{}, Handle: s.liveVehicles},
		{Method: "GET", Path: "/api/live/stream", Perm: access.MonitorRead, Tag: "实时监控", Summary: "位置更新推送（Server-Sent Events，每2秒一批）", Handle: s.liveStream},
		{Method: "POST", Path: "/api/live/vehicles/{id}/command", Perm: access.MonitorCommand, Tag: "实时监控", Summary: "向车载终端下发指令：locate 立即定位（0x8201）、track 临时跟踪（0x8202）、text 文本（0x8300）、interval 上报间隔（0x8103）、photo 立即拍照（0x8801）、attributes 查询终端属性（0x8107）", In: monitor.Command{}, Out: monitor.CommandResult{}, Handle: s.liveCommand},
		{Method: "GET", Path: "/api/live/vehicles/{id}/photos", Perm: access.MonitorRead, Tag: "实时监控", Summary: "车载终端拍摄的照片，最新在前（from/to 限定拍摄时间，最多20张）", Query: []string{"from", "to"}, Out: []fleet.TerminalPhoto{}, Handle: s.livePhotos},
		{Method: "GET", Path: "/api/live/photos/{id}", Perm: access.MonitorRead, Tag: "实时监控", Summary: "车载终端拍摄的照片（JPEG，thumb=1 为缩略图）", Query: []string{"thumb"}, Handle: s.livePhoto},
		{Method: "GET", Path: "/api/vehicles/{id}/track", Perm: access.TrackRead, Tag: "实时监控", Summary: "轨迹回放（须填写事由，最多7天，每次查看记入审计日志）", Query: []string{"from", "to", "reason"}, Out: monitor.Track{}, Handle: s.vehicleTrack},
	}
}

type liveOut struct {
	Items  []*monitor.LiveVehicle `json:"items"`
	Total  int                    `json:"total"`
	Counts map[string]int         `json:"counts"` // by state
	Now    time.Time              `json:"now"`
}

func (s *Server) liveConfig(r *Request) (any, error) {
	return s.Monitor.MapConfig(StreamPeriod), nil
}

func (s *Server) liveVehicles(r *Request) (any, error) {
	unit, err := queryID(r, "unit_id")
	if err != nil {
		return nil, err
	}
	vehicle, err := queryID(r, "vehicle_id")
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	vs, err := s.Monitor.Live(r.Context(), r.Actor(), monitor.Filter{UnitID: unit, VehicleID: vehicle, Q: q.Get("q"), State: q.Get("state")})
	if err != nil {
		return nil, err
	}
	out := liveOut{Items: vs, Total: len(vs), Counts: map[string]int{monitor.Moving: 0, monitor.Parked: 0, monitor.Offline: 0, monitor.Never: 0, monitor.Alarm: 0}, Now: time.Now().UTC()}
	if out.Items == nil {
		out.Items = []*monitor.LiveVehicle{}
	}
	for _, v := range vs {
		out.Counts[v.State]++
	}
	return out, nil
}

// liveStream pushes the positions of the caller's scope that changed, one
// "positions" event per period, until the client goes away or the session
// ends (startStream); a comment line every 25 s keeps proxies from closing
// the connection.
func (s *Server) liveStream(r *Request) (any, error) {
	fl, ctx, stop, err := s.startStream(r)
	if err != nil {
		return nil, err
	}
	defer stop()
	lastWrite := time.Now()
	err = s.Monitor.Stream(ctx, r.Actor(), StreamPeriod, func(ps []*monitor.Point) error {
		b, _ := jsonBytes(ps)
		if _, err := fmt.Fprintf(r.W, "event: positions\ndata: %s\n\n", b); err != nil {
			return err
		}
		fl.Flush()
		lastWrite = time.Now()
		return nil
	}, func() error {
		if time.Since(lastWrite) < 25*time.Second {
			return nil
		}
		lastWrite = time.Now()
		_, err := fmt.Fprint(r.W, ": ping\n\n")
		fl.Flush()
		return err
	})
	if err != nil && ctx.Err() == nil {
		fmt.Fprintf(r.W, "event: error\ndata: {}\n\n")
		fl.Flush()
	}
	return streamed{}, nil
}

func (s *Server) liveCommand(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	var in monitor.Command
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	return s.Monitor.SendCommand(r.Context(), r.Actor(), id, in)
}

func (s *Server) livePhotos(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	from, to, err := queryPeriod(r)
	if err != nil {
		return nil, err
	}
	return s.Fleet.VehiclePhotos(r.Context(), r.Actor(), id, from, to, 20)
}

func (s *Server) livePhoto(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	p, err := s.Fleet.OpenTerminalPhoto(r.Context(), r.Actor(), id, queryBool(r, "thumb"))
	if err != nil {
		return nil, err
	}
	return download{name: fmt.Sprintf("terminal-photo-%d.jpg", id), contentType: p.ContentType, data: p.Data}, nil
}

func (s *Server) vehicleTrack(r *Request) (any, error) {
	id, err := pathID(r)
	if err != nil {
		return nil, err
	}
	from, to, err := queryPeriod(r)
	if err != nil {
		return nil, err
	}
	return s.Monitor.Track(r.Context(), r.Actor(), monitor.TrackQuery{VehicleID: id, From: from, To: to, Reason: r.URL.Query().Get("reason")})
}
