package jt808

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"slices"
	"time"
)

// AlarmFlags is the alarm word (报警标志) of a location report, JT/T
// 808-2013 table 24, as transcribed in public codecs (e.g. the "Jtt808T18"
// javadoc and yezhihao/jt808-server).
type AlarmFlags uint32

// Alarm bits.
const (
	AlarmEmergency               AlarmFlags = 1 << 0  // 紧急报警
	AlarmOverspeed               AlarmFlags = 1 << 1  // 超速报警
	AlarmFatigue                 AlarmFlags = 1 << 2  // 疲劳驾驶
	AlarmDanger                  AlarmFlags = 1 << 3  // 危险预警
	AlarmGNSSModuleFault         AlarmFlags = 1 << 4  // GNSS 模块发生故障
	AlarmGNSSAntennaDisconnected AlarmFlags = 1 << 5  // GNSS 天线未接或被剪断
	AlarmGNSSAntennaShort        AlarmFlags = 1 << 6  // GNSS 天线短路
	AlarmMainPowerLow            AlarmFlags = 1 << 7  // 终端主电源欠压
	AlarmMainPowerCut            AlarmFlags = 1 << 8  // 终端主电源掉电
	AlarmDisplayFault            AlarmFlags = 1 << 9  // 终端 LCD 或显示器故障
	AlarmTTSFault                AlarmFlags = 1 << 10 // TTS 模块故障
	AlarmCameraFault             AlarmFlags = 1 << 11 // 摄像头故障
	AlarmICCardFault             AlarmFlags = 1 << 12 // 道路运输证 IC 卡模块故障
	AlarmOverspeedWarning        AlarmFlags = 1 << 13 // 超速预警
	AlarmFatigueWarning          AlarmFlags = 1 << 14 // 疲劳驾驶预警
	AlarmDrivingTimeout          AlarmFlags = 1 << 18 // 当天累计驾驶超时
	AlarmParkingTimeout          AlarmFlags = 1 << 19 // 超时停车
	AlarmArea                    AlarmFlags = 1 << 20 // 进出区域
	AlarmRoute                   AlarmFlags = 1 << 21 // 进出路线
	AlarmRouteTime               AlarmFlags = 1 << 22 // 路段行驶时间不足/过长
	AlarmRouteDeviation          AlarmFlags = 1 << 23 // 路线偏离报警
	AlarmVSSFault                AlarmFlags = 1 << 24 // 车辆 VSS 故障
	AlarmFuelAbnormal            AlarmFlags = 1 << 25 // 车辆油量异常
	AlarmStolen                  AlarmFlags = 1 << 26 // 车辆被盗
	AlarmIllegalIgnition         AlarmFlags = 1 << 27 // 车辆非法点火
	AlarmIllegalMove             AlarmFlags = 1 << 28 // 车辆非法位移
	AlarmCollision               AlarmFlags = 1 << 29 // 碰撞预警
	AlarmRollover                AlarmFlags = 1 << 30 // 侧翻预警
	AlarmIllegalDoorOpen         AlarmFlags = 1 << 31 // 非法开门报警
)

// Has reports whether all bits of mask are set.
func (a AlarmFlags) Has(mask AlarmFlags) bool { return a&mask == mask }

// Emergency reports the emergency (SOS) alarm, bit 0.
func (a AlarmFlags) Emergency() bool { return a&AlarmEmergency != 0 }

// Overspeed reports the overspeed alarm, bit 1.
func (a AlarmFlags) Overspeed() bool { return a&AlarmOverspeed != 0 }

// GNSSAntennaFault reports an antenna that is disconnected or cut (bit 5)
// or short-circuited (bit 6).
func (a AlarmFlags) GNSSAntennaFault() bool {
	return a&(AlarmGNSSAntennaDisconnected|AlarmGNSSAntennaShort) != 0
}

// MainPowerCut reports that the terminal lost its main power, bit 8.
func (a AlarmFlags) MainPowerCut() bool { return a&AlarmMainPowerCut != 0 }

// StatusFlags is the status word (状态) of a location report, JT/T
// 808-2013 table 25.
type StatusFlags uint32

// Status bits.
const (
	StatusACC          StatusFlags = 1 << 0  // ACC on
	StatusLocated      StatusFlags = 1 << 1  // position fixed
	StatusSouth        StatusFlags = 1 << 2  // latitude is south
	StatusWest         StatusFlags = 1 << 3  // longitude is west
	StatusOutOfService StatusFlags = 1 << 4  // 停运状态
	StatusEncrypted    StatusFlags = 1 << 5  // lat/lon encrypted by a privacy plug-in
	StatusFuelCut      StatusFlags = 1 << 10 // 车辆油路断开
	StatusCircuitCut   StatusFlags = 1 << 11 // 车辆电路断开
	StatusDoorLocked   StatusFlags = 1 << 12 // 车门加锁
	StatusGPS          StatusFlags = 1 << 18 // fix uses GPS
	StatusBeidou       StatusFlags = 1 << 19 // fix uses BeiDou
	StatusGLONASS      StatusFlags = 1 << 20 // fix uses GLONASS
	StatusGalileo      StatusFlags = 1 << 21 // fix uses Galileo
)

// Has reports whether all bits of mask are set.
func (s StatusFlags) Has(mask StatusFlags) bool { return s&mask == mask }

// ACC reports whether the ignition (ACC) is on, bit 0.
func (s StatusFlags) ACC() bool { return s&StatusACC != 0 }

// Located reports whether the terminal has a position fix, bit 1.
func (s StatusFlags) Located() bool { return s&StatusLocated != 0 }

// Load returns bits 8-9: 0 empty, 1 half loaded, 3 full (2 is reserved).
func (s StatusFlags) Load() uint8 { return uint8(s>>8) & 3 }

// Additional item IDs (位置附加信息 ID, 2013 table 27).
const (
	ItemMileage        uint8 = 0x01 // DWORD, 1/10 km
	ItemFuel           uint8 = 0x02 // WORD, 1/10 L
	ItemRecorderSpeed  uint8 = 0x03 // WORD, 1/10 km/h (行驶记录功能获取的速度)
	ItemAlarmEventID   uint8 = 0x04 // WORD, 需要人工确认报警事件的 ID
	ItemOverspeed      uint8 = 0x11 // 超速报警附加信息, 1 or 5 bytes
	ItemAreaAlarm      uint8 = 0x12 // 进出区域/路线报警附加信息, 6 bytes
	ItemRouteTime      uint8 = 0x13 // 路段行驶时间不足/过长报警附加信息, 7 bytes
	ItemVehicleSignals uint8 = 0x25 // DWORD, 扩展车辆信号状态位
	ItemIOStatus       uint8 = 0x2a // WORD, IO 状态位
	ItemAnalog         uint8 = 0x2b // DWORD, AD0 bits 0-15, AD1 bits 16-31
	ItemSignalStrength uint8 = 0x30 // BYTE, wireless network signal strength
	ItemSatellites     uint8 = 0x31 // BYTE, GNSS satellites in use
)

// knownItems lists the item IDs decoded into Location fields, ascending.
var knownItems = [...]uint8{
	ItemMileage, ItemFuel, ItemRecorderSpeed, ItemAlarmEventID,
	ItemOverspeed, ItemAreaAlarm, ItemRouteTime,
	ItemVehicleSignals, ItemIOStatus, ItemAnalog, ItemSignalStrength, ItemSatellites,
}

// OverspeedInfo is additional item 0x11.
type OverspeedInfo struct {
	// LocationType: 0 none, 1 circle, 2 rectangle, 3 polygon, 4 road section.
	LocationType uint8
	// AreaID is the area or road section; absent on the wire when
	// LocationType is 0.
	AreaID uint32
}

// AreaAlarmInfo is additional item 0x12.
type AreaAlarmInfo struct {
	LocationType uint8  // 1 circle, 2 rectangle, 3 polygon, 4 road section
	AreaID       uint32 // area or route ID
	Direction    uint8  // 0 entering, 1 leaving
}

// RouteTimeInfo is additional item 0x13.
type RouteTimeInfo struct {
	RouteID uint32 // road section ID
	Seconds uint16 // driving time on the section
	Result  uint8  // 0 too short, 1 too long
}

// Extra is an additional item kept as raw bytes: an ID this package does not
// decode, or a known ID whose length is not the standard one.
type Extra struct {
	ID   uint8
	Data []byte
}

// Location is the location report body 0x0200 (位置信息汇报), also embedded
// in 0x0201 and 0x0704. The layout is the same in all editions. Items this
// type has no field for (the 2019 tyre pressure 0x05 and carriage
// temperature 0x06, vendor items 0xE0-0xFF, ADAS/DSM alarm items of the
// provincial extensions, ...) are kept in Extras and re-encoded verbatim.
type Location struct {
	Alarm     AlarmFlags
	Status    StatusFlags
	Lat       uint32    // latitude in 1e-6 degrees; Status bit 2 marks south
	Lon       uint32    // longitude in 1e-6 degrees; Status bit 3 marks west
	Altitude  uint16    // metres
	Speed     uint16    // 1/10 km/h
	Direction uint16    // degrees clockwise from north, 0-359
	Time      time.Time // UTC; the wire carries Beijing time

	// Additional items decoded into fields; nil when absent.
	Mileage        *uint32        // 0x01, 1/10 km
	Fuel           *uint16        // 0x02, 1/10 L
	RecorderSpeed  *uint16        // 0x03, 1/10 km/h
	AlarmEventID   *uint16        // 0x04
	Overspeed      *OverspeedInfo // 0x11
	AreaAlarm      *AreaAlarmInfo // 0x12
	RouteTime      *RouteTimeInfo // 0x13
	VehicleSignals *uint32        // 0x25
	IOStatus       *uint16        // 0x2A
	Analog         *uint32        // 0x2B
	SignalStrength *uint8         // 0x30
	Satellites     *uint8         // 0x31

	// Extras holds every other additional item verbatim, in wire order.
	Extras []Extra

	// order records the items in the order they were decoded, so that
	// re-encoding a decoded report reproduces it byte for byte: the item ID,
	// plus orderRaw if the item went to Extras. Items set or added
	// afterwards are written after them in ascending ID order.
	order []uint16
}

// orderRaw marks an order entry whose item was kept in Extras.
const orderRaw = 1 << 8

// MsgID implements Message.
func (*Location) MsgID() uint16 { return MsgLocation }

// Latitude returns the latitude in degrees, negative in the southern
// hemisphere.
func (l *Location) Latitude() float64 {
	d := float64(l.Lat) / 1e6
	if l.Status&StatusSouth != 0 {
		d = -d
	}
	return d
}

// Longitude returns the longitude in degrees, negative west of Greenwich.
func (l *Location) Longitude() float64 {
	d := float64(l.Lon) / 1e6
	if l.Status&StatusWest != 0 {
		d = -d
	}
	return d
}

// SetPosition sets Lat, Lon and the south/west status bits from degrees.
func (l *Location) SetPosition(lat, lon float64) {
	l.Status &^= StatusSouth | StatusWest
	if lat < 0 {
		l.Status |= StatusSouth
	}
	if lon < 0 {
		l.Status |= StatusWest
	}
	l.Lat = uint32(math.Round(math.Abs(lat) * 1e6))
	l.Lon = uint32(math.Round(math.Abs(lon) * 1e6))
}

// SpeedKmh returns the speed in km/h.
func (l *Location) SpeedKmh() float64 { return float64(l.Speed) / 10 }

// locationBase is the size of the basic location information.
const locationBase = 28

// itemStore backs the pointer fields of one decoded Location, so decoding
// costs one allocation however many items there are.
type itemStore struct {
	mileage, signals, analog uint32
	fuel, recSpeed, eventID  uint16
	io                       uint16
	csq, sats                uint8
	over                     OverspeedInfo
	area                     AreaAlarmInfo
	route                    RouteTimeInfo
	order                    [16]uint16
}

// Decode implements Message. Unknown items and known items with a
// non-standard length are kept in Extras; a second occurrence of a known
// item is kept there as well.
func (l *Location) Decode(body []byte, _ Version) error {
	*l = Location{}
	r := reader{b: body}
	l.Alarm = AlarmFlags(r.u32())
	l.Status = StatusFlags(r.u32())
	l.Lat = r.u32()
	l.Lon = r.u32()
	l.Altitude = r.u16()
	l.Speed = r.u16()
	l.Direction = r.u16()
	t := r.take(6)
	if r.err != nil {
		return fmt.Errorf("basic location: %w", r.err)
	}
	var err error
	if l.Time, err = decodeTime(t); err != nil {
		return err
	}
	var st *itemStore
	var own []byte // copy of the item area holding the Extras' bytes
	ownBase := 0
	for r.left() > 0 {
		at := r.off
		id := r.u8()
		n := int(r.u8())
		data := r.take(n)
		if r.err != nil {
			return fmt.Errorf("additional item 0x%02x at offset %d: %w", id, at, r.err)
		}
		if st == nil {
			st = new(itemStore)
			l.order = st.order[:0]
		}
		if l.setKnown(id, data, st) {
			l.order = append(l.order, uint16(id))
			continue
		}
		l.order = append(l.order, uint16(id)|orderRaw)
		if own == nil {
			own = bytes.Clone(body[at:])
			ownBase = at
		}
		o := r.off - n - ownBase
		l.Extras = append(l.Extras, Extra{ID: id, Data: own[o : o+n : o+n]})
	}
	return nil
}

// setKnown stores a known item in its field if the field is still unset and
// data has the standard length.
func (l *Location) setKnown(id uint8, d []byte, st *itemStore) bool {
	be16 := binary.BigEndian.Uint16
	be32 := binary.BigEndian.Uint32
	switch {
	case id == ItemMileage && len(d) == 4 && l.Mileage == nil:
		st.mileage = be32(d)
		l.Mileage = &st.mileage
	case id == ItemFuel && len(d) == 2 && l.Fuel == nil:
		st.fuel = be16(d)
		l.Fuel = &st.fuel
	case id == ItemRecorderSpeed && len(d) == 2 && l.RecorderSpeed == nil:
		st.recSpeed = be16(d)
		l.RecorderSpeed = &st.recSpeed
	case id == ItemAlarmEventID && len(d) == 2 && l.AlarmEventID == nil:
		st.eventID = be16(d)
		l.AlarmEventID = &st.eventID
	case id == ItemOverspeed && l.Overspeed == nil && (len(d) == 1 && d[0] == 0 || len(d) == 5 && d[0] != 0):
		st.over.LocationType = d[0]
		if len(d) == 5 {
			st.over.AreaID = be32(d[1:])
		}
		l.Overspeed = &st.over
	case id == ItemAreaAlarm && len(d) == 6 && l.AreaAlarm == nil:
		st.area = AreaAlarmInfo{LocationType: d[0], AreaID: be32(d[1:]), Direction: d[5]}
		l.AreaAlarm = &st.area
	case id == ItemRouteTime && len(d) == 7 && l.RouteTime == nil:
		st.route = RouteTimeInfo{RouteID: be32(d), Seconds: be16(d[4:]), Result: d[6]}
		l.RouteTime = &st.route
	case id == ItemVehicleSignals && len(d) == 4 && l.VehicleSignals == nil:
		st.signals = be32(d)
		l.VehicleSignals = &st.signals
	case id == ItemIOStatus && len(d) == 2 && l.IOStatus == nil:
		st.io = be16(d)
		l.IOStatus = &st.io
	case id == ItemAnalog && len(d) == 4 && l.Analog == nil:
		st.analog = be32(d)
		l.Analog = &st.analog
	case id == ItemSignalStrength && len(d) == 1 && l.SignalStrength == nil:
		st.csq = d[0]
		l.SignalStrength = &st.csq
	case id == ItemSatellites && len(d) == 1 && l.Satellites == nil:
		st.sats = d[0]
		l.Satellites = &st.sats
	default:
		return false
	}
	return true
}

// appendKnown appends item id from its field if the field is set.
func (l *Location) appendKnown(dst []byte, id uint8) ([]byte, bool) {
	switch id {
	case ItemMileage:
		if l.Mileage != nil {
			return appendU32(append(dst, id, 4), *l.Mileage), true
		}
	case ItemFuel:
		if l.Fuel != nil {
			return appendU16(append(dst, id, 2), *l.Fuel), true
		}
	case ItemRecorderSpeed:
		if l.RecorderSpeed != nil {
			return appendU16(append(dst, id, 2), *l.RecorderSpeed), true
		}
	case ItemAlarmEventID:
		if l.AlarmEventID != nil {
			return appendU16(append(dst, id, 2), *l.AlarmEventID), true
		}
	case ItemOverspeed:
		if o := l.Overspeed; o != nil {
			if o.LocationType == 0 {
				return append(dst, id, 1, 0), true
			}
			return appendU32(append(dst, id, 5, o.LocationType), o.AreaID), true
		}
	case ItemAreaAlarm:
		if a := l.AreaAlarm; a != nil {
			return append(appendU32(append(dst, id, 6, a.LocationType), a.AreaID), a.Direction), true
		}
	case ItemRouteTime:
		if rt := l.RouteTime; rt != nil {
			return append(appendU16(appendU32(append(dst, id, 7), rt.RouteID), rt.Seconds), rt.Result), true
		}
	case ItemVehicleSignals:
		if l.VehicleSignals != nil {
			return appendU32(append(dst, id, 4), *l.VehicleSignals), true
		}
	case ItemIOStatus:
		if l.IOStatus != nil {
			return appendU16(append(dst, id, 2), *l.IOStatus), true
		}
	case ItemAnalog:
		if l.Analog != nil {
			return appendU32(append(dst, id, 4), *l.Analog), true
		}
	case ItemSignalStrength:
		if l.SignalStrength != nil {
			return append(dst, id, 1, *l.SignalStrength), true
		}
	case ItemSatellites:
		if l.Satellites != nil {
			return append(dst, id, 1, *l.Satellites), true
		}
	}
	return dst, false
}

// AppendBody implements Message. Items are written in the order they were
// decoded; items without a decoded position follow in ascending ID order
// (Extras with equal IDs keep their relative order).
func (l *Location) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = appendU32(dst, uint32(l.Alarm))
	dst = appendU32(dst, uint32(l.Status))
	dst = appendU32(dst, l.Lat)
	dst = appendU32(dst, l.Lon)
	dst = appendU16(dst, l.Altitude)
	dst = appendU16(dst, l.Speed)
	dst = appendU16(dst, l.Direction)
	dst, err := appendTime(dst, l.Time)
	if err != nil {
		return dst, err
	}
	for _, e := range l.Extras {
		if len(e.Data) > 255 {
			return dst, fmt.Errorf("%w: additional item 0x%02x is %d bytes, max 255", ErrFieldTooLong, e.ID, len(e.Data))
		}
	}

	return l.appendItems(dst), nil
}

func knownIndex(id uint8) int {
	for i, k := range knownItems {
		if k == id {
			return i
		}
	}
	return -1
}

// appendItems appends the additional items: first in decode order, then
// whatever is left in ascending ID order.
func (l *Location) appendItems(dst []byte) []byte {
	var doneKnown [len(knownItems)]bool
	doneExtra := make([]bool, len(l.Extras))
	for _, o := range l.order {
		id := uint8(o)
		if o&orderRaw != 0 {
			dst, _ = l.appendExtra(dst, id, doneExtra)
			continue
		}
		// A decoded field; skipped if it has been cleared since.
		if k := knownIndex(id); k >= 0 && !doneKnown[k] {
			dst, _ = l.appendKnown(dst, id)
			doneKnown[k] = true
		}
	}
	// What is left, by ID: a decoded field before raw items of its ID, raw
	// items of one ID in their order.
	type item struct {
		id    uint8
		extra int // index in Extras, or -1: the decoded field
	}
	var buf [len(knownItems) + 4]item // no allocation for a few raw items
	left := buf[:0]
	for k, id := range knownItems {
		if !doneKnown[k] {
			left = append(left, item{id, -1})
		}
	}
	for j, e := range l.Extras {
		if !doneExtra[j] {
			left = append(left, item{e.ID, j})
		}
	}
	slices.SortStableFunc(left, func(a, b item) int { return cmp.Compare(a.id, b.id) })
	for _, it := range left {
		if it.extra < 0 {
			dst, _ = l.appendKnown(dst, it.id)
		} else {
			dst = l.Extras[it.extra].appendTo(dst)
		}
	}
	return dst
}

// appendExtra appends the first Extra with the given ID not yet written.
func (l *Location) appendExtra(dst []byte, id uint8, done []bool) ([]byte, bool) {
	for j, e := range l.Extras {
		if !done[j] && e.ID == id {
			done[j] = true
			return e.appendTo(dst), true
		}
	}
	return dst, false
}

// appendTo appends the raw item: ID, length, data.
func (e Extra) appendTo(dst []byte) []byte {
	return append(append(dst, e.ID, byte(len(e.Data))), e.Data...)
}
