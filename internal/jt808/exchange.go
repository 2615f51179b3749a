package jt808

import (
	"fmt"
	"time"
)

// Message IDs of the exchanges added for issue 20: server time, the
// sub-package resend request, terminal attributes, multimedia and data
// pass-through.
const (
	// terminal → platform
	MsgServerTimeQuery uint16 = 0x0004 // 查询服务器时间请求 (2019)
	MsgAttributes      uint16 = 0x0107 // 查询终端属性应答
	MsgMediaEvent      uint16 = 0x0800 // 多媒体事件信息上传
	MsgMediaUpload     uint16 = 0x0801 // 多媒体数据上传
	MsgPassThrough     uint16 = 0x0900 // 数据上行透传

	// platform → terminal
	MsgResendRequest  uint16 = 0x8003 // 服务器补传分包请求
	MsgServerTime     uint16 = 0x8004 // 查询服务器时间应答 (2019)
	MsgQueryAttrs     uint16 = 0x8107 // 查询终端属性
	MsgMediaResponse  uint16 = 0x8800 // 多媒体数据上传应答
	MsgCameraShootNow uint16 = 0x8801 // 摄像头立即拍摄命令
)

// newExchange returns a new zero message for the IDs of this file, or nil.
func newExchange(id uint16) Message {
	switch id {
	case MsgServerTimeQuery:
		return new(ServerTimeQuery)
	case MsgAttributes:
		return new(Attributes)
	case MsgMediaEvent:
		return new(MediaEvent)
	case MsgMediaUpload:
		return new(MediaUpload)
	case MsgPassThrough:
		return new(PassThrough)
	case MsgResendRequest:
		return new(ResendRequest)
	case MsgServerTime:
		return new(ServerTime)
	case MsgQueryAttrs:
		return new(QueryAttrs)
	case MsgMediaResponse:
		return new(MediaResponse)
	case MsgCameraShootNow:
		return new(CameraShootNow)
	}
	return nil
}

// ---- server time (2019) ----

// ServerTimeQuery is the terminal's query of the server time 0x0004
// (查询服务器时间请求, 2019); its body is empty.
type ServerTimeQuery struct{}

// MsgID implements Message.
func (*ServerTimeQuery) MsgID() uint16 { return MsgServerTimeQuery }

// Decode implements Message.
func (*ServerTimeQuery) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*ServerTimeQuery) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// ServerTime is the answer 0x8004 (查询服务器时间应答): BCD[6] YYMMDDhhmmss
// in UTC — unlike every other time of the standard, which is Beijing time
// (2019 table 9; yezhihao T8004.java "UTC时间").
type ServerTime struct {
	Time time.Time // whole seconds, UTC
}

// MsgID implements Message.
func (*ServerTime) MsgID() uint16 { return MsgServerTime }

// Decode implements Message.
func (m *ServerTime) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	b := r.take(6)
	if err := r.end(); err != nil {
		return err
	}
	t, err := decodeTime(b)
	if err != nil {
		return err
	}
	// decodeTime reads Beijing wall time; this field is UTC wall time.
	if !t.IsZero() {
		t = t.Add(8 * time.Hour)
	}
	m.Time = t
	return nil
}

// AppendBody implements Message.
func (m *ServerTime) AppendBody(dst []byte, _ Version) ([]byte, error) {
	if m.Time.IsZero() {
		return appendTime(dst, m.Time)
	}
	// appendTime writes Beijing wall time: shift so UTC wall time comes out.
	return appendTime(dst, m.Time.UTC().Add(-8*time.Hour))
}

// ---- sub-package resend request ----

// ResendRequest is the platform's request 0x8003 (服务器补传分包请求) for
// the parts of a sub-packaged message that did not arrive: the serial of
// its first part and the part indexes (from 1) to send again. The count is
// a BYTE in 2011/2013 and a WORD in 2019 (yezhihao T8003.java).
type ResendRequest struct {
	FirstSerial uint16
	Parts       []uint16
}

// MsgID implements Message.
func (*ResendRequest) MsgID() uint16 { return MsgResendRequest }

// Decode implements Message.
func (m *ResendRequest) Decode(body []byte, v Version) error {
	if err := v.check(); err != nil {
		return err
	}
	r := reader{b: body}
	m.FirstSerial = r.u16()
	var n int
	if v == V2019 {
		n = int(r.u16())
	} else {
		n = int(r.u8())
	}
	m.Parts = decodeWords(&r, n)
	return r.end()
}

// AppendBody implements Message.
func (m *ResendRequest) AppendBody(dst []byte, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	dst = appendU16(dst, m.FirstSerial)
	if v == V2019 {
		if len(m.Parts) > 0xffff {
			return dst, fmt.Errorf("%w: %d parts", ErrValue, len(m.Parts))
		}
		dst = appendU16(dst, uint16(len(m.Parts)))
	} else {
		if len(m.Parts) > 0xff {
			return dst, fmt.Errorf("%w: %d parts, at most 255 in this edition", ErrValue, len(m.Parts))
		}
		dst = append(dst, byte(len(m.Parts)))
	}
	for _, p := range m.Parts {
		dst = appendU16(dst, p)
	}
	return dst, nil
}

// decodeWords reads n WORDs, bounding the allocation by the input.
func decodeWords(r *reader, n int) []uint16 {
	if n == 0 || r.err != nil {
		return nil
	}
	out := make([]uint16, 0, min(n, r.left()/2))
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, r.u16())
	}
	if r.err != nil {
		return nil
	}
	return out
}

// ---- terminal attributes ----

// QueryAttrs is the platform's query of the terminal attributes 0x8107
// (查询终端属性); its body is empty.
type QueryAttrs struct{}

// MsgID implements Message.
func (*QueryAttrs) MsgID() uint16 { return MsgQueryAttrs }

// Decode implements Message.
func (*QueryAttrs) Decode(body []byte, _ Version) error { return decodeEmpty(body) }

// AppendBody implements Message.
func (*QueryAttrs) AppendBody(dst []byte, _ Version) ([]byte, error) { return dst, nil }

// Terminal type bits of 0x0107 (2013 table 20).
const (
	TermPassenger    uint16 = 1 << 0 // 适用客运车辆
	TermDangerous    uint16 = 1 << 1 // 适用危险品车辆
	TermFreight      uint16 = 1 << 2 // 适用普通货运车辆
	TermTaxi         uint16 = 1 << 3 // 适用出租车辆
	TermVideo        uint16 = 1 << 6 // 支持硬盘录像
	TermSplitMachine uint16 = 1 << 7 // 0 一体机, 1 分体机
)

// GNSS module bits of 0x0107.
const (
	GNSSGPS     uint8 = 1 << 0
	GNSSBeidou  uint8 = 1 << 1
	GNSSGLONASS uint8 = 1 << 2
	GNSSGalileo uint8 = 1 << 3
)

// Communication module bits of 0x0107.
const (
	CommGPRS     uint8 = 1 << 0
	CommCDMA     uint8 = 1 << 1
	CommTDSCDMA  uint8 = 1 << 2
	CommWCDMA    uint8 = 1 << 3
	CommCDMA2000 uint8 = 1 << 4
	CommTDLTE    uint8 = 1 << 5
	CommOther    uint8 = 1 << 7
)

// Attributes is the terminal's answer 0x0107 (查询终端属性应答) to 0x8107:
// terminal type WORD, maker, model and terminal ID as in the registration
// of the edition (5/20/7 bytes, 2019 11/30/30), ICCID BCD[10], hardware
// and firmware versions (BYTE length + STRING), GNSS and communication
// module attributes (yezhihao T0107.java; 0x0107 first appeared in 2013,
// 2011 terminals that answer use the 2013 layout).
type Attributes struct {
	Type       uint16 // TermPassenger …
	Maker      string
	Model      string
	TerminalID string
	ICCID      string // 20 decimal digits
	Hardware   string
	Firmware   string
	GNSS       uint8 // GNSSGPS …
	Comm       uint8 // CommGPRS …
}

// MsgID implements Message.
func (*Attributes) MsgID() uint16 { return MsgAttributes }

// Decode implements Message. 0x0107 does not name the query it answers:
// the gateway pairs it with the 0x8107 it sent last.
func (m *Attributes) Decode(body []byte, v Version) error {
	if err := v.check(); err != nil {
		return err
	}
	makerN, modelN, idN := registerLens(v)
	if v == V2011 {
		makerN, modelN, idN = registerLens(V2013)
	}
	r := reader{b: body}
	m.Type = r.u16()
	m.Maker = r.fixedString(makerN)
	m.Model = r.fixedString(modelN)
	m.TerminalID = r.fixedString(idN)
	iccid := r.take(10)
	m.Hardware = decodeString(r.take(int(r.u8())))
	m.Firmware = decodeString(r.take(int(r.u8())))
	m.GNSS = r.u8()
	m.Comm = r.u8()
	if err := r.end(); err != nil {
		return err
	}
	var err error
	if m.ICCID, err = decodeBCD(iccid); err != nil {
		return fmt.Errorf("ICCID: %w", err)
	}
	return nil
}

// AppendBody implements Message.
func (m *Attributes) AppendBody(dst []byte, v Version) ([]byte, error) {
	if err := v.check(); err != nil {
		return dst, err
	}
	makerN, modelN, idN := registerLens(v)
	if v == V2011 {
		makerN, modelN, idN = registerLens(V2013)
	}
	dst = appendU16(dst, m.Type)
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
	if dst, err = appendBCD(dst, m.ICCID, 10); err != nil {
		return dst, fmt.Errorf("ICCID: %w", err)
	}
	for _, s := range []struct{ name, v string }{{"hardware version", m.Hardware}, {"firmware version", m.Firmware}} {
		at := len(dst)
		dst = append(dst, 0)
		if dst, err = appendString(dst, s.v); err != nil {
			return dst[:at], err
		}
		n := len(dst) - at - 1
		if n > 255 {
			return dst[:at], fmt.Errorf("%w: %s is %d bytes, max 255", ErrFieldTooLong, s.name, n)
		}
		dst[at] = byte(n)
	}
	return append(dst, m.GNSS, m.Comm), nil
}

// ---- data pass-through ----

// Pass-through types of 0x0900 (2013 table 93).
const (
	PassGNSS    uint8 = 0x00 // GNSS 模块详细定位数据
	PassICCard  uint8 = 0x0b // 道路运输证 IC 卡信息
	PassSerial1 uint8 = 0x41 // 串口 1 透传
	PassSerial2 uint8 = 0x42 // 串口 2 透传
	// 0xf0–0xff: 用户自定义透传
)

// PassThrough is the terminal's data pass-through 0x0900 (数据上行透传):
// a type BYTE and the data as it came.
type PassThrough struct {
	Type uint8
	Data []byte
}

// MsgID implements Message.
func (*PassThrough) MsgID() uint16 { return MsgPassThrough }

// Decode implements Message. Data is copied out of the body.
func (m *PassThrough) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.Type = r.u8()
	m.Data = append([]byte{}, r.rest()...)
	return r.end()
}

// AppendBody implements Message.
func (m *PassThrough) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(append(dst, m.Type), m.Data...), nil
}
