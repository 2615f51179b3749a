package jt808

import "fmt"

// Message IDs handled by this package.
const (
	// terminal → platform
	MsgTerminalAck      uint16 = 0x0001 // 终端通用应答
	MsgHeartbeat        uint16 = 0x0002 // 终端心跳
	MsgLogout           uint16 = 0x0003 // 终端注销
	MsgRegister         uint16 = 0x0100 // 终端注册
	MsgAuth             uint16 = 0x0102 // 终端鉴权
	MsgParamsResponse   uint16 = 0x0104 // 查询终端参数应答
	MsgLocation         uint16 = 0x0200 // 位置信息汇报
	MsgLocationResponse uint16 = 0x0201 // 位置信息查询应答
	MsgLocationBatch    uint16 = 0x0704 // 定位数据批量上传

	// platform → terminal
	MsgPlatformAck      uint16 = 0x8001 // 平台通用应答
	MsgRegisterResponse uint16 = 0x8100 // 终端注册应答
	MsgSetParams        uint16 = 0x8103 // 设置终端参数
	MsgQueryParams      uint16 = 0x8104 // 查询终端参数
	MsgQueryLocation    uint16 = 0x8201 // 位置信息查询
	MsgTrackingControl  uint16 = 0x8202 // 临时位置跟踪控制
	MsgText             uint16 = 0x8300 // 文本信息下发
)

// Message is the body of one message type.
type Message interface {
	// MsgID returns the message ID of the type.
	MsgID() uint16
	// Decode parses body as the given edition into the receiver.
	Decode(body []byte, v Version) error
	// AppendBody appends the body encoded for the given edition to dst.
	AppendBody(dst []byte, v Version) ([]byte, error)
}

// NewMessage returns a new zero message for id, or nil if the package has
// no type for it.
func NewMessage(id uint16) Message {
	switch id {
	case MsgTerminalAck:
		return new(TerminalAck)
	case MsgHeartbeat:
		return new(Heartbeat)
	case MsgLogout:
		return new(Logout)
	case MsgRegister:
		return new(Register)
	case MsgAuth:
		return new(Auth)
	case MsgParamsResponse:
		return new(ParamsResponse)
	case MsgLocation:
		return new(Location)
	case MsgLocationResponse:
		return new(LocationResponse)
	case MsgLocationBatch:
		return new(LocationBatch)
	case MsgPlatformAck:
		return new(PlatformAck)
	case MsgRegisterResponse:
		return new(RegisterResponse)
	case MsgSetParams:
		return new(SetParams)
	case MsgQueryParams:
		return new(QueryParams)
	case MsgQueryLocation:
		return new(QueryLocation)
	case MsgTrackingControl:
		return new(TrackingControl)
	case MsgText:
		return new(Text)
	}
	return newExchange(id)
}

// DecodeMessage decodes the body of a packet according to its header's
// message ID and edition. For a 0x0100 registration without the 2019 flag it
// picks the 2011 or 2013 layout with DetectRegisterVersion. Sub-packaged
// bodies must be reassembled first (see Reassembler); encrypted bodies are
// reported as ErrEncrypted, an ID it has no type for as ErrUnknownMessage.
func DecodeMessage(h Header, body []byte) (Message, error) {
	// An unknown ID first, whatever else is wrong: the gateway answers it
	// "not supported" rather than counting a bad message.
	m := NewMessage(h.MsgID)
	if m == nil {
		return nil, fmt.Errorf("%w: 0x%04x", ErrUnknownMessage, h.MsgID)
	}
	if h.SubPackage {
		return nil, fmt.Errorf("%w: 0x%04x part %d of %d", ErrFragmented, h.MsgID, h.Index, h.Total)
	}
	if h.Encryption != 0 {
		return nil, fmt.Errorf("%w: 0x%04x encryption %d", ErrEncrypted, h.MsgID, h.Encryption)
	}
	v := h.Version
	if h.MsgID == MsgRegister {
		v = DetectRegisterVersion(body, v)
	}
	if err := m.Decode(body, v); err != nil {
		return nil, fmt.Errorf("decode 0x%04x (%s): %w", h.MsgID, v, err)
	}
	return m, nil
}

// EncodeBody returns the body of m encoded for edition v.
func EncodeBody(m Message, v Version) ([]byte, error) {
	return m.AppendBody(nil, v)
}

// EncodeMessage encodes m for h.Version and returns the complete frame; the
// header's MsgID is set from m.
func EncodeMessage(h Header, m Message) ([]byte, error) {
	body, err := m.AppendBody(nil, h.Version)
	if err != nil {
		return nil, fmt.Errorf("encode 0x%04x (%s): %w", m.MsgID(), h.Version, err)
	}
	h.MsgID = m.MsgID()
	return Encode(h, body)
}
