package monitor

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/telematics"
)

// Track limits.
const (
	MaxTrackSpan   = 7 * 24 * time.Hour // one request covers at most 7 days
	MaxTrackPoints = 200000             // 7 days at one report per 3 s
	StopMin        = 3 * time.Minute    // speed 0 this long is a stop
)

// TrackQuery asks for a vehicle's track.
type TrackQuery struct {
	VehicleID int64
	From, To  time.Time
	Reason    string // why the track is viewed, recorded
}

// TrackPoint is one position of a track.
type TrackPoint struct {
	Lat     float64   `json:"lat"`
	Lng     float64   `json:"lng"`
	Speed   float64   `json:"speed"` // km/h
	Heading int32     `json:"heading"`
	At      time.Time `json:"at"`
	Alarm   uint32    `json:"alarm,omitempty"`
}

// InvalidPoint is a stored report that is not a valid fix (issue 20): it
// is not part of the track's line, distance or stops; playback shows it on
// request, marked, with the reason.
type InvalidPoint struct {
	TrackPoint
	Reason string `json:"reason"`
}

// TrackStop is a stop of at least StopMin.
type TrackStop struct {
	From    time.Time `json:"from"`
	To      time.Time `json:"to"`
	Minutes float64   `json:"minutes"`
	Lat     float64   `json:"lat"`
	Lng     float64   `json:"lng"`
	Place   string    `json:"place"` // address (internal/geo)
}

// Track is a vehicle's track over a period.
type Track struct {
	VehicleID int64          `json:"vehicle_id"`
	Plate     string         `json:"plate"`
	From      time.Time      `json:"from"`
	To        time.Time      `json:"to"`
	Points    []TrackPoint   `json:"points"`  // the valid fixes: the line
	Invalid   []InvalidPoint `json:"invalid"` // the other reports of the period
	Stops     []TrackStop    `json:"stops"`
	Distance  float64        `json:"distance"`  // metres along the points
	MaxSpeed  float64        `json:"max_speed"` // km/h
	Truncated bool           `json:"truncated"` // more than MaxTrackPoints
	// StartPlace and EndPlace are the first and last points' addresses.
	StartPlace string `json:"start_place"`
	EndPlace   string `json:"end_place"`
}

// Track returns a vehicle's track: the vehicle must lie inside the
// actor's scope, the period must be at most MaxTrackSpan and the reason is
// required; every view is recorded in the audit log (who, vehicle, period,
// reason) before the positions are read.
func (s *Service) Track(ctx context.Context, a *access.Actor, q TrackQuery) (*Track, error) {
	q.Reason = strings.TrimSpace(q.Reason)
	var f errs.Fields
	f.Check(q.Reason == "", "reason", "请填写查看轨迹的事由")
	f.Check(utf8.RuneCountInString(q.Reason) > 200, "reason", "事由最多200字")
	f.Check(q.From.IsZero(), "from", "请选择开始时间")
	f.Check(q.To.IsZero(), "to", "请选择结束时间")
	if !q.From.IsZero() && !q.To.IsZero() {
		f.Check(!q.To.After(q.From), "to", "结束时间须晚于开始时间")
		f.Check(q.To.Sub(q.From) > MaxTrackSpan, "to", "一次最多查看7天的轨迹")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	plate, path, _, err := s.vehicleDuring(ctx, a, q.VehicleID, q.From, q.To, "查看轨迹")
	if err != nil {
		return nil, err
	}
	from, to := q.From.UTC(), q.To.UTC()
	err = s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actTrackRead, ObjectType: audit.Vehicle, ObjectID: q.VehicleID, ScopePath: path,
			Summary: fmt.Sprintf("查看%s轨迹 %s 至 %s，事由：%s", plate, from.In(beijing.Zone).Format("2006-01-02 15:04"),
				to.In(beijing.Zone).Format("2006-01-02 15:04"), q.Reason),
			After: map[string]any{"vehicle_id": q.VehicleID, "plate": plate, "from": from, "to": to, "reason": q.Reason}})
	})
	if err != nil {
		return nil, err
	}
	ps, err := telematics.VehicleTrack(ctx, s.DB, q.VehicleID, from, to, MaxTrackPoints+1)
	if err != nil {
		return nil, err
	}
	t := &Track{VehicleID: q.VehicleID, Plate: plate, From: from, To: to, Points: make([]TrackPoint, 0, len(ps)), Invalid: []InvalidPoint{}, Stops: []TrackStop{}}
	if len(ps) > MaxTrackPoints {
		ps, t.Truncated = ps[:MaxTrackPoints], true
	}
	valid := ps[:0:0]
	for _, p := range ps {
		sp := float64(p.Speed) / 10
		pt := TrackPoint{Lat: p.Latitude(), Lng: p.Longitude(), Speed: sp, Heading: p.Heading, At: p.At, Alarm: p.Alarm}
		if p.Invalid != telematics.Valid {
			t.Invalid = append(t.Invalid, InvalidPoint{TrackPoint: pt, Reason: telematics.InvalidNames[p.Invalid]})
			continue
		}
		t.Points = append(t.Points, pt)
		t.MaxSpeed = max(t.MaxSpeed, sp)
		if n := len(valid); n > 0 {
			t.Distance += telematics.Haversine(valid[n-1].Lat, valid[n-1].Lng, p.Lat, p.Lng)
		}
		valid = append(valid, p)
	}
	ps = valid
	for _, st := range telematics.Stops(ps, StopMin) {
		t.Stops = append(t.Stops, TrackStop{From: st.From, To: st.To, Minutes: st.Duration().Minutes(),
			Lat: float64(st.Lat) / 1e6, Lng: float64(st.Lng) / 1e6})
	}
	if n := len(t.Points); n > 0 {
		pts := []geo.LatLng{{Lat: t.Points[0].Lat, Lng: t.Points[0].Lng}, {Lat: t.Points[n-1].Lat, Lng: t.Points[n-1].Lng}}
		for _, st := range t.Stops {
			pts = append(pts, geo.LatLng{Lat: st.Lat, Lng: st.Lng})
		}
		addrs := s.Geo.Addresses(ctx, pts)
		t.StartPlace, t.EndPlace = addrs[0], addrs[1]
		for i := range t.Stops {
			t.Stops[i].Place = addrs[2+i]
		}
	}
	return t, nil
}
