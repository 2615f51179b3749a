package jt808

import "fmt"

// Multimedia types (多媒体类型) of 0x0800/0x0801.
const (
	MediaImage uint8 = 0 // 图像
	MediaAudio uint8 = 1 // 音频
	MediaVideo uint8 = 2 // 视频
)

// Multimedia formats (多媒体格式编码) of 0x0800/0x0801.
const (
	FormatJPEG uint8 = 0
	FormatTIF  uint8 = 1
	FormatMP3  uint8 = 2
	FormatWAV  uint8 = 3
	FormatWMV  uint8 = 4
)

// Multimedia event codes (事件项编码) of 0x0800/0x0801: what made the
// terminal take the picture.
const (
	EventPlatform  uint8 = 0 // 平台下发指令
	EventTimed     uint8 = 1 // 定时动作
	EventRobbery   uint8 = 2 // 抢劫报警触发
	EventCollision uint8 = 3 // 碰撞侧翻报警触发
	EventDoorOpen  uint8 = 4 // 门开拍照 (2013+)
	EventDoorClose uint8 = 5 // 门关拍照 (2013+)
	EventDoorSpeed uint8 = 6 // 车门由开变关，时速从小于20公里到超过20公里 (2013+)
	EventDistance  uint8 = 7 // 定距拍照 (2013+)
)

// MediaEvent is the multimedia event report 0x0800 (多媒体事件信息上传),
// sent before the data: media ID DWORD, type, format, event and channel
// BYTEs (SmallChi JT808_0x0800, yezhihao T0800.java).
type MediaEvent struct {
	MediaID uint32
	Type    uint8 // MediaImage …
	Format  uint8 // FormatJPEG …
	Event   uint8 // EventPlatform …
	Channel uint8
}

// MsgID implements Message.
func (*MediaEvent) MsgID() uint16 { return MsgMediaEvent }

// Decode implements Message.
func (m *MediaEvent) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.MediaID = r.u32()
	m.Type, m.Format, m.Event, m.Channel = r.u8(), r.u8(), r.u8(), r.u8()
	return r.end()
}

// AppendBody implements Message.
func (m *MediaEvent) AppendBody(dst []byte, _ Version) ([]byte, error) {
	return append(appendU32(dst, m.MediaID), m.Type, m.Format, m.Event, m.Channel), nil
}

// MediaUpload is the multimedia data upload 0x0801 (多媒体数据上传),
// usually sub-packaged: the 0x0800 fields, the basic location (the 28
// bytes of a 0x0200 body without additional items) where the picture was
// taken, then the data (yezhihao T0801.java).
type MediaUpload struct {
	MediaEvent
	Location Location // basic fields only
	Data     []byte
}

// MsgID implements Message.
func (*MediaUpload) MsgID() uint16 { return MsgMediaUpload }

// Decode implements Message. Data is copied out of the body.
func (m *MediaUpload) Decode(body []byte, v Version) error {
	r := reader{b: body}
	m.MediaID = r.u32()
	m.Type, m.Format, m.Event, m.Channel = r.u8(), r.u8(), r.u8(), r.u8()
	loc := r.take(locationBase)
	m.Data = append([]byte{}, r.rest()...)
	if r.err != nil {
		return r.err
	}
	m.Location = Location{}
	return m.Location.Decode(loc, v)
}

// AppendBody implements Message. The location must carry no additional
// items.
func (m *MediaUpload) AppendBody(dst []byte, v Version) ([]byte, error) {
	at := len(dst)
	dst, _ = m.MediaEvent.AppendBody(dst, v)
	n := len(dst)
	dst, err := m.Location.AppendBody(dst, v)
	if err != nil {
		return dst[:at], err
	}
	if len(dst)-n != locationBase {
		return dst[:at], fmt.Errorf("%w: the location of 0x0801 carries no additional items", ErrValue)
	}
	return append(dst, m.Data...), nil
}

// MediaResponse is the platform's answer 0x8800 (多媒体数据上传应答) to
// 0x0801: the media ID and the part indexes to send again; with none, the
// count is left out, meaning everything arrived (2013 table 83).
type MediaResponse struct {
	MediaID uint32
	Resend  []uint16
}

// MsgID implements Message.
func (*MediaResponse) MsgID() uint16 { return MsgMediaResponse }

// Decode implements Message. A count of 0 reads as no count.
func (m *MediaResponse) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.MediaID = r.u32()
	m.Resend = nil
	if r.left() > 0 {
		m.Resend = decodeWords(&r, int(r.u8()))
	}
	return r.end()
}

// AppendBody implements Message.
func (m *MediaResponse) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = appendU32(dst, m.MediaID)
	if len(m.Resend) == 0 {
		return dst, nil
	}
	if len(m.Resend) > 0xff {
		return dst, fmt.Errorf("%w: %d parts to resend, at most 255", ErrValue, len(m.Resend))
	}
	dst = append(dst, byte(len(m.Resend)))
	for _, p := range m.Resend {
		dst = appendU16(dst, p)
	}
	return dst, nil
}

// Resolutions of 0x8801.
const (
	Res320x240 uint8 = 1
	Res640x480 uint8 = 2
	Res800x600 uint8 = 3
)

// CameraShootNow is the camera command 0x8801 (摄像头立即拍摄命令):
// channel, command (0 stop, 0xffff record video, otherwise the number of
// pictures), interval in seconds, save flag (1 keep on the terminal, 0
// upload now), resolution, quality 1–10, brightness, contrast, saturation
// and chroma (yezhihao T8801.java).
type CameraShootNow struct {
	Channel    uint8
	Command    uint16
	Interval   uint16
	Save       uint8
	Resolution uint8
	Quality    uint8
	Brightness uint8
	Contrast   uint8
	Saturation uint8
	Chroma     uint8
}

// MsgID implements Message.
func (*CameraShootNow) MsgID() uint16 { return MsgCameraShootNow }

// Decode implements Message.
func (m *CameraShootNow) Decode(body []byte, _ Version) error {
	r := reader{b: body}
	m.Channel = r.u8()
	m.Command = r.u16()
	m.Interval = r.u16()
	m.Save, m.Resolution, m.Quality = r.u8(), r.u8(), r.u8()
	m.Brightness, m.Contrast, m.Saturation, m.Chroma = r.u8(), r.u8(), r.u8(), r.u8()
	return r.end()
}

// AppendBody implements Message.
func (m *CameraShootNow) AppendBody(dst []byte, _ Version) ([]byte, error) {
	dst = appendU16(appendU16(append(dst, m.Channel), m.Command), m.Interval)
	return append(dst, m.Save, m.Resolution, m.Quality, m.Brightness, m.Contrast, m.Saturation, m.Chroma), nil
}
