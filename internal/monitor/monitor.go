// Package monitor is real-time vehicle monitoring and track playback
// the vehicles of the caller's scope with their latest position,
// state, driver on duty and current order; live updates; and track views,
// each authorised, bounded and recorded in the audit log.
package monitor

import (
	"cmp"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/jt808"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actTerminalCommand = audit.NewAction("terminal.command", "向终端下发指令")
	actTrackRead       = audit.NewAction("track.read", "查看车辆轨迹")
)

// Service answers the live map and track playback.
type Service struct {
	DB     *store.DB
	Latest *telematics.Latest
	// Gateway sends commands to connected terminals (nil: none).
	Gateway Commander
	// OfflineAfter: a vehicle whose last report is older is offline
	// (default telematics.OfflineAfter, the one definition terminal health
	// and the statistics use too; tests shorten it).
	OfflineAfter time.Duration
	// TileURL is the map tile template (empty: no tiles, the offline
	// reference map).
	TileURL         string
	TileDatum       string // "gcj02": the tiles are GCJ-02 and the map shifts positions onto them
	TileAttribution string
	Geo             *geo.Geocoder // addresses of the track's start, end and stops
	Now             func() time.Time
}

// Commander sends a JT/T 808 command to a terminal; *gateway.Server
// implements it.
type Commander interface {
	Send(ctx context.Context, phone string, msg jt808.Message) (jt808.Message, error)
	Connected(phone string) bool
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) offlineAfter() time.Duration {
	if s.OfflineAfter > 0 {
		return s.OfflineAfter
	}
	return telematics.OfflineAfter
}

// States of a vehicle on the live map.
const (
	Moving  = "moving"  // 行驶
	Parked  = "parked"  // 停车
	Offline = "offline" // 离线: reported, silent longer than OfflineAfter
	Never   = "never"   // 未上报: the bound terminal never reported
	Alarm   = "alarm"   // 报警
)

// alarmMask are the alarm bits that make a vehicle show as alarming:
// emergency, overspeed, GNSS faults, main power low or cut, theft,
// illegal ignition or movement, collision and rollover.
const alarmMask = uint32(jt808.AlarmEmergency | jt808.AlarmOverspeed | jt808.AlarmGNSSModuleFault |
	jt808.AlarmGNSSAntennaDisconnected | jt808.AlarmGNSSAntennaShort | jt808.AlarmMainPowerLow | jt808.AlarmMainPowerCut |
	jt808.AlarmStolen | jt808.AlarmIllegalIgnition | jt808.AlarmIllegalMove | jt808.AlarmCollision | jt808.AlarmRollover)

// StateOf returns the state of a vehicle whose latest position is p (ok
// false: none) at now.
func (s *Service) StateOf(p telematics.Position, ok bool, now time.Time) string {
	switch {
	case !ok:
		return Never
	case now.Sub(p.At) > s.offlineAfter():
		return Offline
	case p.Alarm&alarmMask != 0:
		return Alarm
	case p.Speed >= 10: // 1 km/h
		return Moving
	}
	return Parked
}

// Point is a position as the map shows it.
type Point struct {
	VehicleID int64     `json:"vehicle_id"`
	Lat       float64   `json:"lat"` // WGS-84 degrees
	Lng       float64   `json:"lng"`
	Speed     float64   `json:"speed"` // km/h
	Heading   int32     `json:"heading"`
	At        time.Time `json:"at"`
	Alarm     uint32    `json:"alarm"`
	ACC       bool      `json:"acc"`
	State     string    `json:"state"`
}

func (s *Service) point(p telematics.Position, now time.Time) *Point {
	return &Point{VehicleID: p.VehicleID, Lat: p.Latitude(), Lng: p.Longitude(), Speed: float64(p.Speed) / 10, Heading: p.Heading,
		At: p.At, Alarm: p.Alarm, ACC: jt808.StatusFlags(p.Status).ACC(), State: s.StateOf(p, true, now)}
}

// LiveVehicle is a vehicle on the live map.
type LiveVehicle struct {
	ID        int64   `json:"id"`
	Plate     string  `json:"plate"`
	UnitID    int64   `json:"unit_id"`
	UnitName  string  `json:"unit_name"`
	Category  string  `json:"category"`
	Brand     string  `json:"brand"`
	Model     string  `json:"model"`
	Phone     string  `json:"terminal_phone"`
	State     string  `json:"state"`
	Position  *Point  `json:"position"` // nil: never reported
	Driver    string  `json:"driver"`   // driver on duty (current order), "" none
	DriverTel string  `json:"driver_phone"`
	Order     *OnDuty `json:"order"` // current order (dispatched or departed), nil none
	unitPath  string
}

// OnDuty is the order a vehicle is serving now.
type OnDuty struct {
	ID          int64     `json:"id"`
	No          string    `json:"no"`
	State       string    `json:"state"`
	Reason      string    `json:"reason"`
	Pickup      string    `json:"pickup_place"`
	Destination string    `json:"destinations"`
	PickupAt    time.Time `json:"pickup_at"`
	ReturnAt    time.Time `json:"return_at"`
}

// Filter narrows the live list.
type Filter struct {
	UnitID    int64
	VehicleID int64  // one vehicle (a page narrowed to it names it by its plate)
	Q         string // plate
	State     string
}

// scopePath returns the path the list covers: the actor's scope, or a
// unit inside it.
func scopePath(ctx context.Context, db bun.IDB, a *access.Actor, unitID int64) (string, error) {
	if unitID == 0 {
		return a.ScopePath, nil
	}
	var path string
	if err := db.NewSelect().Table("units").Column("path").Where("id = ?", unitID).Scan(ctx, &path); err != nil {
		return "", store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在或已删除"))
	}
	if !a.Covers(path) {
		return "", errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	return path, nil
}

// vehicles returns the tracked vehicles under path: those fitted with a
// terminal, not disposed and not exempt.
func (s *Service) vehicles(ctx context.Context, path, q string, id int64) ([]*LiveVehicle, error) {
	var out []*LiveVehicle
	sel := s.DB.R.NewSelect().TableExpr("vehicles AS v").
		ColumnExpr("v.id, v.plate, v.unit_id, u.name, u.path, v.category, v.brand, v.model, t.sim").
		Join("JOIN units AS u ON u.id = v.unit_id").
		Join("JOIN terminals AS t ON t.vehicle_id = v.id").
		Where("u.path LIKE ? AND v.status <> 'disposed' AND v.exempt = ?", path+"%", false).
		OrderExpr("v.plate")
	if q = strings.TrimSpace(q); q != "" {
		sel = sel.Where("v.plate LIKE ?", "%"+strings.ToUpper(q)+"%")
	}
	if id != 0 {
		sel = sel.Where("v.id = ?", id)
	}
	rows, err := sel.Rows(ctx)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		v := &LiveVehicle{}
		if err := rows.Scan(&v.ID, &v.Plate, &v.UnitID, &v.UnitName, &v.unitPath, &v.Category, &v.Brand, &v.Model, &v.Phone); err != nil {
			return nil, err
		}
		v.Phone = telematics.NormalizePhone(v.Phone)
		out = append(out, v)
	}
	return out, rows.Err()
}

// onDuty fills the current order and driver of vs: an order under way
// (departed), or one dispatched whose pick-up is within the hour and
// whose return time has not passed.
func (s *Service) onDuty(ctx context.Context, path string, vs []*LiveVehicle) error {
	byID := make(map[int64]*LiveVehicle, len(vs))
	for _, v := range vs {
		byID[v.ID] = v
	}
	rows, err := s.DB.R.QueryContext(ctx, `SELECT o.vehicle_id, o.id, o.no, o.state, o.reason, o.pickup_place, o.destinations, o.pickup_at, o.return_at,
		COALESCE(d.name, ''), COALESCE(d.phone, '')
		FROM orders o JOIN vehicles v ON v.id = o.vehicle_id JOIN units u ON u.id = v.unit_id LEFT JOIN drivers d ON d.id = o.driver_id
		WHERE u.path LIKE ? AND (o.state = ? OR o.state = ? AND o.pickup_at <= ? AND o.return_at >= ?) ORDER BY o.pickup_at`,
		path+"%", "departed", "dispatched", s.now().Add(time.Hour), s.now())
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var vid int64
		var o OnDuty
		var driver, tel string
		if err := rows.Scan(&vid, &o.ID, &o.No, &o.State, &o.Reason, &o.Pickup, &o.Destination, &o.PickupAt, &o.ReturnAt, &driver, &tel); err != nil {
			return err
		}
		v := byID[vid]
		// A departed order wins over one only dispatched.
		if v == nil || v.Order != nil && !(o.State == "departed" && v.Order.State != "departed") {
			continue
		}
		o.PickupAt, o.ReturnAt = o.PickupAt.UTC(), o.ReturnAt.UTC()
		o.Destination = destinations(o.Destination)
		v.Order, v.Driver, v.DriverTel = &o, driver, tel
	}
	return rows.Err()
}

// destinations turns the JSON array of places into "A、B".
func destinations(js string) string {
	s := strings.Trim(strings.TrimSpace(js), "[]")
	parts := strings.Split(s, ",")
	for i, p := range parts {
		parts[i] = strings.Trim(strings.TrimSpace(p), `"`)
	}
	return strings.Join(parts, "、")
}

// Live returns the tracked vehicles of the actor's scope (or of a unit in
// it) with their latest position and state.
func (s *Service) Live(ctx context.Context, a *access.Actor, f Filter) ([]*LiveVehicle, error) {
	path, err := scopePath(ctx, s.DB.R, a, f.UnitID)
	if err != nil {
		return nil, err
	}
	vs, err := s.vehicles(ctx, path, f.Q, f.VehicleID)
	if err != nil {
		return nil, err
	}
	if err := s.onDuty(ctx, path, vs); err != nil {
		return nil, err
	}
	if f.UnitID == 0 {
		if vs, err = s.withLent(ctx, a, f, vs); err != nil {
			return nil, err
		}
	}
	now := s.now()
	out := vs[:0]
	for _, v := range vs {
		p, ok := s.latest(v.ID)
		v.State = s.StateOf(p, ok, now)
		if ok {
			v.Position = s.point(p, now)
		}
		if f.State == "" || f.State == v.State {
			out = append(out, v)
		}
	}
	return out, nil
}

func (s *Service) latest(vehicleID int64) (telematics.Position, bool) {
	if s.Latest == nil {
		return telematics.Position{}, false
	}
	return s.Latest.ByVehicle(vehicleID)
}

// Stream watches the positions of the actor's scope: every period it
// calls send with the points that changed (a new report, or a state that
// changed, e.g. to offline) since the last call, until ctx ends; idle
// (may be nil) is called in the periods without changes. The set of
// vehicles in scope is refreshed every minute.
func (s *Service) Stream(ctx context.Context, a *access.Actor, period time.Duration, send func([]*Point) error, idle func() error) error {
	var (
		mu      sync.Mutex
		inScope map[int64]bool
		loaded  time.Time
	)
	load := func() error {
		vs, err := s.vehicles(ctx, a.ScopePath, "", 0)
		if err != nil {
			return err
		}
		m := make(map[int64]bool, len(vs))
		for _, v := range vs {
			m[v.ID] = true
		}
		if err := s.addLent(ctx, a, m); err != nil {
			return err
		}
		mu.Lock()
		inScope, loaded = m, time.Now()
		mu.Unlock()
		return nil
	}
	if err := load(); err != nil {
		return err
	}
	type seen struct {
		at    time.Time
		state string
	}
	last := map[int64]seen{}
	now := s.now()
	for id := range inScope {
		if p, ok := s.latest(id); ok {
			last[id] = seen{p.At, s.StateOf(p, true, now)}
		}
	}
	tk := time.NewTicker(period)
	defer tk.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tk.C:
		}
		if time.Since(loaded) > time.Minute {
			if err := load(); err != nil {
				return err
			}
		}
		now := s.now()
		var batch []*Point
		for id := range inScope {
			p, ok := s.latest(id)
			if !ok {
				continue
			}
			st := s.StateOf(p, true, now)
			if l, ok := last[id]; ok && l.at.Equal(p.At) && l.state == st {
				continue
			}
			last[id] = seen{p.At, st}
			batch = append(batch, s.point(p, now))
		}
		if len(batch) == 0 {
			if idle != nil {
				if err := idle(); err != nil {
					return err
				}
			}
			continue
		}
		if err := send(batch); err != nil {
			return err
		}
	}
}

// vehicleInScope returns the plate, unit path and terminal phone of a
// vehicle the actor may see.
func (s *Service) vehicleInScope(ctx context.Context, a *access.Actor, id int64) (plate, path, phone string, err error) {
	now := s.now()
	return s.vehicleDuring(ctx, a, id, now, now, "查看或操作")
}

// vehicleDuring is vehicleInScope over [from, to]: a vehicle outside the
// actor's subtree only while lent to its level (loans.Check, R-17).
func (s *Service) vehicleDuring(ctx context.Context, a *access.Actor, id int64, from, to time.Time, what string) (plate, path, phone string, err error) {
	var sim *string
	err = s.DB.R.QueryRowContext(ctx, `SELECT v.plate, u.path, t.sim FROM vehicles v JOIN units u ON u.id = v.unit_id
		LEFT JOIN terminals t ON t.vehicle_id = v.id WHERE v.id = ?`, id).Scan(&plate, &path, &sim)
	if err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return "", "", "", errs.E(errs.NotFound, "车辆不存在或已删除")
		}
		return "", "", "", store.Translate(err)
	}
	if !a.Covers(path) {
		if err := s.lentDuring(ctx, a, id, plate, from, to, what); err != nil {
			return "", "", "", err
		}
	}
	if sim != nil {
		phone = telematics.NormalizePhone(*sim)
	}
	return plate, path, phone, nil
}

// Config is what the map page needs to draw.
type Config struct {
	TileURL         string          `json:"tile_url"`   // "" = no tiles (offline reference map)
	TileDatum       string          `json:"tile_datum"` // "gcj02" or "wgs84"
	TileAttribution string          `json:"tile_attribution"`
	Center          [2]float64      `json:"center"`
	Zoom            int             `json:"zoom"`
	OfflineAfter    int             `json:"offline_after"`       // seconds
	Places          []Place         `json:"places"`              // without tiles: reference points
	Districts       json.RawMessage `json:"districts,omitempty"` // without tiles: GeoJSON of Changzhou's districts (internal/geo)
	StreamPeriod    int             `json:"stream_period"`       // seconds between live batches
}

// Place is a labelled reference point of the offline map.
type Place struct {
	Name   string     `json:"name"`
	LatLng [2]float64 `json:"latlng"`
}

// MapConfig returns the map's configuration.
func (s *Service) MapConfig(period time.Duration) Config {
	c := Config{TileURL: s.TileURL, TileAttribution: s.TileAttribution, TileDatum: cmp.Or(s.TileDatum, "wgs84"), Center: [2]float64{31.79, 119.96}, Zoom: 12,
		OfflineAfter: int(s.offlineAfter() / time.Second), StreamPeriod: int(period / time.Second)}
	if s.TileURL == "" {
		for _, p := range geo.Landmarks() {
			c.Places = append(c.Places, Place{Name: p.Name, LatLng: [2]float64{p.Lat, p.Lng}})
		}
		c.Districts = geo.BaseMap()
	}
	return c
}
