package jt808

import (
	"bytes"
	"fmt"
)

// Result codes of the general responses 0x0001 and 0x8001.
const (
	ResultOK           uint8 = 0 // 成功/确认
	ResultFailure      uint8 = 1 // 失败
	ResultBadMessage   uint8 = 2 // 消息有误
	ResultUnsupported  uint8 = 3 // 不支持
	ResultAlarmHandled uint8 = 4 // 报警处理确认 (0x8001 only)
)

// ---- general responses ----

// TerminalAck is the terminal general response 0x0001 (终端通用应答).
type TerminalAck struct {
	ReplySerial uint16 // serial of the platform message answered
	ReplyID     uint16 // ID of the platform message answered
	Result      uint8  // ResultOK … ResultUnsupported
}

// PlatformAck is the platform general response 0x8001 (平台通用应答).
type PlatformAck struct {
	ReplySerial uint16 // serial of the terminal message answered
	ReplyID     uint16 // ID of the terminal message answered
	Result      uint8  // ResultOK … ResultAlarmHandled
}

func decodeAck(body []byte) (serial, id uint16, result uint8, err error) {
	r := reader{b: body}
	serial, id, result = r.u16(), r.u16(), r.u8()
	return serial, id, result, r.end()
}

// MsgID implements Message.
func (*TerminalAck) MsgID() uint16 { return MsgTerminalAck }

// Decode implements Message.
func (m *TerminalAck) Decode(body []byte, _ Version) (err error) {
	m.ReplySerial, m.ReplyID, m.Result, err = decodeAck(body)
	return err
}

// AppendBody implements Message.
func (m *TerminalAck) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(appendU16(appendU16(dst, m.ReplySerial), m.ReplyID), m.Result), nil
}

// MsgID implements Message.
func (*PlatformAck) MsgID() uint16 { return MsgPlatformAck }

// Decode implements Message.
func (m *PlatformAck) Decode(body []byte, _ Version) (err error) {
	m.ReplySerial, m.ReplyID, m.Result, err = decodeAck(body)
	return err
}

// AppendBody implements Message.
func (m *PlatformAck) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(appendU16(appendU16(dst, m.ReplySerial), m.ReplyID), m.Result), nil
}

// ---- messages with an empty body ----

// Heartbeat is the terminal heartbeat 0x0002 (终端心跳); its body is empty.
type Heartbeat struct{}

// Logout is the terminal logout 0x0003 (终端注销); its body is empty.
type Logout struct{}

// QueryParams is the platform's query of all terminal parameters 0x8104
// (查询终端参数); its body is empty.
type QueryParams struct{}

// QueryLocation is the platform's location query 0x8201 (位置信息查询); its
// body is empty.
type QueryLocation struct{}

func decodeEmpty(body []byte) error {
	if len(body) != 0 {
		return fmt.Errorf("%w: the body must be empty, has %d bytes", ErrTrailingData, len(body))
	}
	return nil
}

// MsgID implements Message.
func (*Heartbeat) MsgID() uint16 { return MsgHeartbeat }

// Decode implements Message.
func (*Heartbeat) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*Heartbeat) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// MsgID implements Message.
func (*Logout) MsgID() uint16 { return MsgLogout }

// Decode implements Message.
func (*Logout) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*Logout) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// MsgID implements Message.
func (*QueryParams) MsgID() uint16 { return MsgQueryParams }

// Decode implements Message.
func (*QueryParams) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*QueryParams) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// MsgID implements Message.
func (*QueryLocation) MsgID() uint16 { return MsgQueryLocation }

// Decode implements Message.
func (*QueryLocation) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*QueryLocation) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// ---- registration ----

// Plate colours (车牌颜色, JT/T 415-2006 5.4.12 / JT/T 697.7-2014).
const (
	PlateNone   uint8 = 0 // 未上牌: Plate holds the VIN
	PlateBlue   uint8 = 1
	PlateYellow uint8 = 2
	PlateBlack  uint8 = 3
	PlateWhite  uint8 = 4
	PlateGreen  uint8 = 5
	PlateOther  uint8 = 9
)

// Register is the terminal registration 0x0100 (终端注册). The fixed field
// lengths depend on the edition (yezhihao/jt808-server T0100.java,
// toggery B0100.java, G10LS_Protocol.md table 6-1):
//
//	field        2011  2013  2019
//	maker ID        5     5    11
//	model           8    20    30
//	terminal ID     7     7    30
type Register struct {
	Province   uint16 // 省域ID: first two digits of the GB/T 2260 code
	City       uint16 // 市县域ID: last four digits of the GB/T 2260 code
	Maker      string // 制造商ID
	Model      string // 终端型号
	TerminalID string // 终端ID
	PlateColor uint8  // PlateNone … PlateOther
	Plate      string // plate number, or VIN when PlateColor is PlateNone
}

func registerLens(v Version) (maker, model, id int) {
	switch v {
	case V2011:
		return 5, 8, 7
	case V2019:
		return 11, 30, 30
	}
	return 5, 20, 7
}

// register2013Min is the smallest 2013 registration body: 2+2+5+20+7+1.
const register2013Min = 37

// DetectRegisterVersion guesses the edition of a registration body sent
// with a header of edition hv. 2019 is known from the header, and V2011 is
// trusted as given (the caller knows better than the wire). 2011 and 2013
// share a header, so for V2013 a body shorter than the smallest 2013 body
// (37 bytes) is taken as 2011, as yezhihao/jt808-server does
// (T0100.getProtocolVersion). A 2011 terminal registering with a long VIN
// instead of a plate number is misread as 2013; when the edition is known,
// set Header.Version to V2011 before calling DecodeMessage.
func DetectRegisterVersion(body []byte, hv Version) Version {
	if hv == V2019 || hv == V2011 {
		return hv
	}
	if len(body) < register2013Min {
		return V2011
	}
	return V2013
}

// MsgID implements Message.
func (*Register) MsgID() uint16 { return MsgRegister }

// Decode implements Message.
func (m *Register) Decode(body []byte, v Version) error {
	if err := v.check(); err != nil {
		return err
	}
	makerN, modelN, idN := registerLens(v)
	r := reader{b: body}
	m.Province = r.u16()
	m.City = r.u16()
	m.Maker = r.fixedString(makerN)
	m.Model = r.fixedString(modelN)
	m.TerminalID = r.fixedString(idN)
	m.PlateColor = r.u8()
	m.Plate = decodeString(r.rest())
	return r.end()
}

// AppendBody implements Message.
func (m *Register) AppendBody(dst []byte, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	makerN, modelN, idN := registerLens(v)
	dst = appendU16(appendU16(dst, m.Province), m.City)
	var err error
	if dst, err = appendFixedString(dst, m.Maker, makerN, "maker ID"); err != nil {
		return dst, err
	}
	if dst, err = appendFixedString(dst, m.Model, modelN, "terminal model"); err != nil {
		return dst, err
	}
	if dst, err = appendFixedString(dst, m.TerminalID, idN, "terminal ID"); err != nil {
		return dst, err
	}
	dst = append(dst, m.PlateColor)
	return appendString(dst, m.Plate)
}

// Registration results of 0x8100.
const (
	RegisterOK                uint8 = 0 // 成功
	RegisterVehicleRegistered uint8 = 1 // 车辆已被注册
	RegisterNoSuchVehicle     uint8 = 2 // 数据库中无该车辆
	RegisterTerminalTaken     uint8 = 3 // 终端已被注册
	RegisterNoSuchTerminal    uint8 = 4 // 数据库中无该终端
)

// RegisterResponse is the registration response 0x8100 (终端注册应答).
type RegisterResponse struct {
	ReplySerial uint16 // serial of the 0x0100 answered
	Result      uint8  // RegisterOK … RegisterNoSuchTerminal
	// AuthCode (鉴权码) is only on the wire when Result is RegisterOK.
	AuthCode string
}

// MsgID implements Message.
func (*RegisterResponse) MsgID() uint16 { return MsgRegisterResponse }

// Decode implements Message. Bytes after the result of a failed
// registration are ignored.
func (m *RegisterResponse) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.ReplySerial = r.u16()
	m.Result = r.u8()
	rest := r.rest()
	m.AuthCode = ""
	if m.Result == RegisterOK {
		m.AuthCode = decodeString(rest)
	}
	return r.err
}

// AppendBody implements Message. AuthCode is written only on success.
func (m *RegisterResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = append(appendU16(dst, m.ReplySerial), m.Result)
	if m.Result != RegisterOK {
		return dst, nil
	}
	return appendString(dst, m.AuthCode)
}

// Auth is the terminal authentication 0x0102 (终端鉴权). In 2011/2013 the
// body is just the auth code; 2019 prefixes the code with its length and
// adds IMEI BYTE[15] and software version BYTE[20] (yezhihao T0102.java,
// SmallChi JT808_0x0102Test.Test2019_1).
type Auth struct {
	Code            string // 鉴权码
	IMEI            string // 2019 only
	SoftwareVersion string // 2019 only
}

// MsgID implements Message.
func (*Auth) MsgID() uint16 { return MsgAuth }

// Decode implements Message.
func (m *Auth) Decode(body []byte, v Version) error {
	if err := v.check(); err != nil {
		return err
	}
	*m = Auth{}
	r := reader{b: body}
	if v != V2019 {
		m.Code = decodeString(r.rest())
		return r.end()
	}
	n := int(r.u8())
	m.Code = decodeString(r.take(n))
	m.IMEI = r.fixedString(15)
	m.SoftwareVersion = r.fixedString(20)
	return r.end()
}

// AppendBody implements Message.
func (m *Auth) AppendBody(dst []byte, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	if v != V2019 {
		return appendString(dst, m.Code)
	}
	at := len(dst)
	dst = append(dst, 0)
	dst, err := appendString(dst, m.Code)
	if err != nil {
		return dst, err
	}
	n := len(dst) - at - 1
	if n > 255 {
		return dst[:at], fmt.Errorf("%w: auth code is %d bytes, max 255", ErrFieldTooLong, n)
	}
	dst[at] = byte(n)
	if dst, err = appendFixedString(dst, m.IMEI, 15, "IMEI"); err != nil {
		return dst, err
	}
	return appendFixedString(dst, m.SoftwareVersion, 20, "software version")
}

// ---- parameters ----

// Param is one terminal parameter item (参数项): DWORD ID, BYTE length,
// value. Values are kept raw because their type depends on the ID; use the
// typed constructors and accessors.
type Param struct {
	ID    uint32
	Value []byte
}

// Some parameter IDs (2013 table 12).
const (
	ParamHeartbeatInterval uint32 = 0x0001 // DWORD, seconds
	ParamMainServerAPN     uint32 = 0x0010 // STRING
	ParamMainServer        uint32 = 0x0013 // STRING, IP or domain
	ParamBackupServer      uint32 = 0x0017 // STRING
	ParamServerTCPPort     uint32 = 0x0018 // DWORD
	ParamReportStrategy    uint32 = 0x0020 // DWORD: 0 time, 1 distance, 2 both
	ParamSleepInterval     uint32 = 0x0027 // DWORD, seconds
	ParamEmergencyInterval uint32 = 0x0028 // DWORD, seconds
	ParamDefaultInterval   uint32 = 0x0029 // DWORD, seconds
	ParamDefaultDistance   uint32 = 0x002c // DWORD, metres
	ParamMaxSpeed          uint32 = 0x0055 // DWORD, km/h
	ParamOverspeedDuration uint32 = 0x0056 // DWORD, seconds
	ParamOdometer          uint32 = 0x0080 // DWORD, 1/10 km
	ParamProvince          uint32 = 0x0081 // WORD
	ParamCity              uint32 = 0x0082 // WORD
	ParamPlate             uint32 = 0x0083 // STRING
	ParamPlateColor        uint32 = 0x0084 // BYTE
)

// ByteParam returns a BYTE parameter.
func ByteParam(id uint32, v uint8) Param { return Param{ID: id, Value: []byte{v}} }

// WordParam returns a WORD parameter.
func WordParam(id uint32, v uint16) Param { return Param{ID: id, Value: appendU16(nil, v)} }

// DWordParam returns a DWORD parameter.
func DWordParam(id uint32, v uint32) Param { return Param{ID: id, Value: appendU32(nil, v)} }

// StringParam returns a STRING parameter, GBK-encoded.
func StringParam(id uint32, s string) (Param, error) {
	b, err := appendString(nil, s)
	return Param{ID: id, Value: b}, err
}

// Byte returns a BYTE value; ok is false if the value is not 1 byte.
func (p Param) Byte() (v uint8, ok bool) {
	if len(p.Value) != 1 {
		return 0, false
	}
	return p.Value[0], true
}

// Word returns a WORD value; ok is false if the value is not 2 bytes.
func (p Param) Word() (v uint16, ok bool) {
	if len(p.Value) != 2 {
		return 0, false
	}
	return uint16(p.Value[0])<<8 | uint16(p.Value[1]), true
}

// DWord returns a DWORD value; ok is false if the value is not 4 bytes.
func (p Param) DWord() (v uint32, ok bool) {
	if len(p.Value) != 4 {
		return 0, false
	}
	return uint32(p.Value[0])<<24 | uint32(p.Value[1])<<16 | uint32(p.Value[2])<<8 | uint32(p.Value[3]), true
}

// Text returns a STRING value converted from GBK.
func (p Param) Text() string { return decodeString(p.Value) }

// decodeParams reads count parameter items; the values are copied out of
// the body.
func decodeParams(r *reader, count int) ([]Param, error) {
	if r.err != nil {
		return nil, r.err
	}
	if count == 0 {
		return nil, nil
	}
	own := bytes.Clone(r.b[r.off:])
	sub := reader{b: own}
	// Each item takes at least 5 bytes: never trust count for the capacity.
	params := make([]Param, 0, min(count, sub.left()/5))
	for i := 0; i < count; i++ {
		id := sub.u32()
		n := int(sub.u8())
		v := sub.take(n)
		if sub.err != nil {
			r.err = fmt.Errorf("parameter %d of %d: %w", i+1, count, sub.err)
			return nil, r.err
		}
		params = append(params, Param{ID: id, Value: v})
	}
	r.off += sub.off
	return params, nil
}

func appendParams(dst []byte, params []Param) ([]byte, error) {
	if len(params) > 255 {
		return dst, fmt.Errorf("%w: %d parameters, at most 255 per message", ErrValue, len(params))
	}
	dst = append(dst, byte(len(params)))
	for _, p := range params {
		if len(p.Value) > 255 {
			return dst, fmt.Errorf("%w: parameter 0x%04x is %d bytes, max 255", ErrFieldTooLong, p.ID, len(p.Value))
		}
		dst = append(append(appendU32(dst, p.ID), byte(len(p.Value))), p.Value...)
	}
	return dst, nil
}

// SetParams is the platform's set terminal parameters 0x8103 (设置终端参数).
// Repeated IDs are allowed (multi-valued parameters).
type SetParams struct {
	Params []Param
}

// MsgID implements Message.
func (*SetParams) MsgID() uint16 { return MsgSetParams }

// Decode implements Message.
func (m *SetParams) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	n := int(r.u8())
	var err error
	if m.Params, err = decodeParams(&r, n); err != nil {
		return err
	}
	return r.end()
}

// AppendBody implements Message.
func (m *SetParams) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return appendParams(dst, m.Params)
}

// ParamsResponse is the terminal's answer 0x0104 (查询终端参数应答) to
// 0x8104 / 0x8106.
type ParamsResponse struct {
	ReplySerial uint16
	Params      []Param
}

// MsgID implements Message.
func (*ParamsResponse) MsgID() uint16 { return MsgParamsResponse }

// Decode implements Message.
func (m *ParamsResponse) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.ReplySerial = r.u16()
	n := int(r.u8())
	var err error
	if m.Params, err = decodeParams(&r, n); err != nil {
		return err
	}
	return r.end()
}

// AppendBody implements Message.
func (m *ParamsResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return appendParams(appendU16(dst, m.ReplySerial), m.Params)
}

// ---- location query / batch ----

// LocationResponse is the location query response 0x0201 (位置信息查询应答).
type LocationResponse struct {
	ReplySerial uint16 // serial of the 0x8201 answered
	Location    Location
}

// MsgID implements Message.
func (*LocationResponse) MsgID() uint16 { return MsgLocationResponse }

// Decode implements Message.
func (m *LocationResponse) Decode(body []byte, v Version) error {
	r := reader{b: body}
	m.ReplySerial = r.u16()
	rest := r.rest()
	if r.err != nil {
		return r.err
	}
	return m.Location.Decode(rest, v)
}

// AppendBody implements Message.
func (m *LocationResponse) AppendBody(dst []byte, v Version) ([]byte, error) {
	return m.Location.AppendBody(appendU16(dst, m.ReplySerial), v)
}

// Location data types of 0x0704.
const (
	BatchNormal    uint8 = 0 // 正常位置批量汇报
	BatchBlindArea uint8 = 1 // 盲区补报: positions stored while offline
)

// LocationBatch is the batch location upload 0x0704 (定位数据批量上传): item
// count WORD, type BYTE, then per item a WORD length and a 0x0200 body.
type LocationBatch struct {
	Type  uint8 // BatchNormal or BatchBlindArea
	Items []Location
}

// MsgID implements Message.
func (*LocationBatch) MsgID() uint16 { return MsgLocationBatch }

// Decode implements Message. The item count must match the items present.
func (m *LocationBatch) Decode(body []byte, v Version) error {
	r := reader{b: body}
	count := int(r.u16())
	m.Type = r.u8()
	if r.err != nil {
		return r.err
	}
	// An item is at least 2+28 bytes: bound the allocation by the input.
	m.Items = make([]Location, 0, min(count, r.left()/(2+locationBase)))
	for i := 0; i < count; i++ {
		n := int(r.u16())
		data := r.take(n)
		if r.err != nil {
			return fmt.Errorf("item %d of %d: %w", i+1, count, r.err)
		}
		m.Items = append(m.Items, Location{})
		if err := m.Items[i].Decode(data, v); err != nil {
			return fmt.Errorf("item %d of %d: %w", i+1, count, err)
		}
	}
	return r.end()
}

// AppendBody implements Message.
func (m *LocationBatch) AppendBody(dst []byte, v Version) ([]byte, error) {
	if len(m.Items) > 0xffff {
		return dst, fmt.Errorf("%w: %d items", ErrValue, len(m.Items))
	}
	dst = append(appendU16(dst, uint16(len(m.Items))), m.Type)
	for i := range m.Items {
		at := len(dst)
		dst = append(dst, 0, 0)
		var err error
		if dst, err = m.Items[i].AppendBody(dst, v); err != nil {
			return dst, fmt.Errorf("item %d: %w", i+1, err)
		}
		n := len(dst) - at - 2
		if n > 0xffff {
			return dst, fmt.Errorf("%w: item %d is %d bytes", ErrFieldTooLong, i+1, n)
		}
		dst[at], dst[at+1] = byte(n>>8), byte(n)
	}
	return dst, nil
}

// ---- tracking, text ----

// TrackingControl is the temporary location tracking control 0x8202
// (临时位置跟踪控制). An Interval of 0 stops tracking.
type TrackingControl struct {
	Interval uint16 // seconds between reports; 0 stops tracking
	Validity uint32 // seconds the tracking lasts
}

// MsgID implements Message.
func (*TrackingControl) MsgID() uint16 { return MsgTrackingControl }

// Decode implements Message. A stop command (interval 0) may omit the
// validity, as the standard allows; it then decodes as 0.
func (m *TrackingControl) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.Interval = r.u16()
	m.Validity = 0
	if m.Interval != 0 || r.left() > 0 {
		m.Validity = r.u32()
	}
	return r.end()
}

// AppendBody implements Message. Both fields are always written.
func (m *TrackingControl) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return appendU32(appendU16(dst, m.Interval), m.Validity), nil
}

// Text flag bits of 0x8300 (2013 table 38).
const (
	TextEmergency uint8 = 1 << 0 // 紧急 (2019: bits 0-1 are the priority)
	TextDisplay   uint8 = 1 << 2 // 终端显示器显示
	TextTTS       uint8 = 1 << 3 // 终端 TTS 播读
	TextAdScreen  uint8 = 1 << 4 // 广告屏显示
	TextCANFault  uint8 = 1 << 5 // 0 中心导航信息, 1 CAN 故障码信息
)

// Text types of 0x8300 in 2019.
const (
	TextTypeNotice  uint8 = 1 // 通知
	TextTypeService uint8 = 2 // 服务
)

// Text is the text message 0x8300 (文本信息下发): flag BYTE, in 2019 a text
// type BYTE, then the GBK text (at most 1024 bytes). See toggery B8300.java
// and SmallChi JT808_0x8300Test.
type Text struct {
	Flags uint8
	Type  uint8 // 2019 only
	Text  string
}

// maxText is the largest text the standard allows.
const maxText = 1024

// MsgID implements Message.
func (*Text) MsgID() uint16 { return MsgText }

// Decode implements Message.
func (m *Text) Decode(body []byte, v Version) error {
	if err := v.check(); err != nil {
		return err
	}
	r := reader{b: body}
	m.Flags = r.u8()
	m.Type = 0
	if v == V2019 {
		m.Type = r.u8()
	}
	m.Text = decodeString(r.rest())
	return r.end()
}

// AppendBody implements Message.
func (m *Text) AppendBody(dst []byte, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	dst = append(dst, m.Flags)
	if v == V2019 {
		dst = append(dst, m.Type)
	}
	at := len(dst)
	dst, err := appendString(dst, m.Text)
	if err != nil {
		return dst, err
	}
	if n := len(dst) - at; n > maxText {
		return dst[:at], fmt.Errorf("%w: text is %d bytes, max %d", ErrFieldTooLong, n, maxText)
	}
	return dst, nil
}
