package fleet

import (
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/jt808"
	"govfleet/internal/picture"
	"govfleet/internal/store"
)

// Limits on what a terminal may store (issue 20).
const (
	// MaxTerminalPhotoBytes is the largest picture kept from a terminal
	// (a 640×480 JPEG is 30–80 KB); the gateway bounds reassembly too.
	MaxTerminalPhotoBytes = 256 << 10
	// MaxPassThroughBytes is what is kept of one pass-through message.
	MaxPassThroughBytes = 4096
)

// TerminalAttributes is a terminal's latest answer to the attributes
// query (0x8107 → 0x0107).
type TerminalAttributes struct {
	bun.BaseModel `bun:"table:terminal_attributes"`

	TerminalID   int64     `bun:"terminal_id,pk" json:"-"`
	TerminalType int       `bun:"terminal_type" json:"-"`
	Maker        string    `bun:"maker" json:"maker"`
	Model        string    `bun:"model" json:"model"`
	DeviceID     string    `bun:"device_id" json:"device_id"`
	ICCID        string    `bun:"iccid" json:"iccid"`
	Hardware     string    `bun:"hardware" json:"hardware"`
	Firmware     string    `bun:"firmware" json:"firmware"`
	GNSS         int       `bun:"gnss" json:"-"`
	Comm         int       `bun:"comm" json:"-"`
	ReceivedAt   time.Time `bun:"received_at" json:"received_at"`

	TypeName  string `bun:"-" json:"type_name"`  // e.g. 适用普通货运车辆、一体机
	GNSSNames string `bun:"-" json:"gnss_names"` // e.g. GPS、北斗
	CommNames string `bun:"-" json:"comm_names"` // e.g. TD-LTE
}

var (
	terminalTypeBits = []bitName{{1 << 0, "客运车辆"}, {1 << 1, "危险品车辆"}, {1 << 2, "普通货运车辆"}, {1 << 3, "出租车辆"}, {1 << 6, "支持硬盘录像"}}
	gnssBits         = []bitName{{1 << 0, "GPS"}, {1 << 1, "北斗"}, {1 << 2, "GLONASS"}, {1 << 3, "Galileo"}}
	commBits         = []bitName{{1 << 0, "GPRS"}, {1 << 1, "CDMA"}, {1 << 2, "TD-SCDMA"}, {1 << 3, "WCDMA"}, {1 << 4, "CDMA2000"}, {1 << 5, "TD-LTE"}, {1 << 7, "其他"}}
)

type bitName struct {
	bit  int
	name string
}

func bitNames(v int, names []bitName) string {
	var out []string
	for _, b := range names {
		if v&b.bit != 0 {
			out = append(out, b.name)
		}
	}
	return strings.Join(out, "、")
}

func (t *TerminalAttributes) fill() {
	kind := "一体机"
	if t.TerminalType&(1<<7) != 0 {
		kind = "分体机"
	}
	if uses := bitNames(t.TerminalType, terminalTypeBits); uses != "" {
		kind = "适用" + uses + "，" + kind
	}
	t.TypeName = kind
	t.GNSSNames = bitNames(t.GNSS, gnssBits)
	t.CommNames = bitNames(t.Comm, commBits)
}

// PassThrough is one data pass-through message (0x0900) of a terminal.
type PassThrough struct {
	bun.BaseModel `bun:"table:terminal_pass_through"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	TerminalID int64     `bun:"terminal_id" json:"-"`
	Kind       int       `bun:"kind" json:"-"`
	Data       []byte    `bun:"data" json:"-"`
	Size       int       `bun:"size" json:"size"`
	ReceivedAt time.Time `bun:"received_at" json:"received_at"`

	KindName string `bun:"-" json:"kind_name"`
	Hex      string `bun:"-" json:"hex"` // the bytes kept, "7E 01 …"
}

func (p *PassThrough) fill() {
	switch {
	case p.Kind == int(jt808.PassGNSS):
		p.KindName = "GNSS 模块详细定位数据"
	case p.Kind == int(jt808.PassICCard):
		p.KindName = "道路运输证 IC 卡信息"
	case p.Kind == int(jt808.PassSerial1):
		p.KindName = "串口 1 透传"
	case p.Kind == int(jt808.PassSerial2):
		p.KindName = "串口 2 透传"
	case p.Kind >= 0xf0:
		p.KindName = fmt.Sprintf("用户自定义透传（类型 %02X）", p.Kind)
	default:
		p.KindName = fmt.Sprintf("其他透传（类型 %02X）", p.Kind)
	}
	p.Hex = strings.ToUpper(hex.EncodeToString(p.Data))
	var b strings.Builder
	for i := 0; i < len(p.Hex); i += 2 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p.Hex[i : i+2])
	}
	p.Hex = b.String()
}

// TerminalPhoto is a picture a terminal took and uploaded (0x0801).
type TerminalPhoto struct {
	bun.BaseModel `bun:"table:terminal_photos"`

	ID         int64     `bun:"id,pk,autoincrement" json:"id"`
	TerminalID int64     `bun:"terminal_id" json:"-"`
	VehicleID  *int64    `bun:"vehicle_id" json:"vehicle_id"`
	MediaID    int64     `bun:"media_id" json:"-"`
	Event      int       `bun:"event" json:"-"`
	Channel    int       `bun:"channel" json:"channel"`
	BlobKey    string    `bun:"blob_key" json:"-"`
	ThumbKey   string    `bun:"thumb_key" json:"-"`
	Size       int       `bun:"size" json:"size"`
	Width      int       `bun:"width" json:"width"`
	Height     int       `bun:"height" json:"height"`
	Lat        *float64  `bun:"lat" json:"lat"`
	Lng        *float64  `bun:"lng" json:"lng"`
	Alarm      int64     `bun:"alarm" json:"-"`
	TakenAt    time.Time `bun:"taken_at" json:"taken_at"`
	ReceivedAt time.Time `bun:"received_at" json:"received_at"`

	EventName string `bun:"-" json:"event_name"` // 平台指令拍照, 抢劫报警拍照, …
	URL       string `bun:"-" json:"url"`
	ThumbURL  string `bun:"-" json:"thumb_url"`
}

var photoEvents = map[int]string{0: "平台指令拍照", 1: "定时拍照", 2: "抢劫报警拍照", 3: "碰撞侧翻报警拍照", 4: "车门打开拍照", 5: "车门关闭拍照", 6: "车门关闭起步拍照", 7: "定距拍照"}

func (p *TerminalPhoto) fill() {
	p.EventName = photoEvents[p.Event]
	if p.EventName == "" {
		p.EventName = "终端拍照"
	}
	p.URL = fmt.Sprintf("/api/live/photos/%d", p.ID)
	p.ThumbURL = p.URL + "?thumb=1"
}

// TerminalData is what a terminal sent about itself, on its page.
type TerminalData struct {
	Attributes  *TerminalAttributes `json:"attributes"`   // nil until the terminal answered 0x8107
	PassThrough []*PassThrough      `json:"pass_through"` // newest first, at most 50
}

func (s *Service) terminalData(ctx context.Context, id int64) (TerminalData, error) {
	d := TerminalData{PassThrough: []*PassThrough{}}
	a := new(TerminalAttributes)
	if err := s.DB.R.NewSelect().Model(a).Where("terminal_id = ?", id).Scan(ctx); err == nil {
		a.fill()
		d.Attributes = a
	} else if err = store.Translate(err); !errs.Is(err, errs.NotFound) {
		return d, err
	}
	if err := s.DB.R.NewSelect().Model(&d.PassThrough).Where("terminal_id = ?", id).OrderExpr("id DESC").Limit(50).Scan(ctx); err != nil {
		return d, store.Translate(err)
	}
	for _, p := range d.PassThrough {
		p.fill()
	}
	return d, nil
}

// VehiclePhotos returns the latest pictures (at most limit, newest first)
// the terminals of a vehicle inside the scope took; from/to, when not
// zero, keep those taken in that window.
func (s *Service) VehiclePhotos(ctx context.Context, a *access.Actor, vehicleID int64, from, to time.Time, limit int) ([]*TerminalPhoto, error) {
	if _, err := s.vehicleInScope(ctx, s.DB.R, a, vehicleID); err != nil {
		return nil, err
	}
	out := []*TerminalPhoto{}
	q := s.DB.R.NewSelect().Model(&out).Where("vehicle_id = ?", vehicleID)
	if !from.IsZero() {
		q = q.Where("taken_at >= ?", from.UTC())
	}
	if !to.IsZero() {
		q = q.Where("taken_at <= ?", to.UTC())
	}
	if err := q.OrderExpr("taken_at DESC, id DESC").Limit(limit).Scan(ctx); err != nil {
		return nil, store.Translate(err)
	}
	for _, p := range out {
		p.fill()
	}
	return out, nil
}

// OpenTerminalPhoto returns a terminal picture (or its thumbnail); its
// vehicle must lie inside the scope.
func (s *Service) OpenTerminalPhoto(ctx context.Context, a *access.Actor, id int64, thumb bool) (*PhotoData, error) {
	p := new(TerminalPhoto)
	if err := s.DB.R.NewSelect().Model(p).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "照片不存在"))
	}
	if p.VehicleID == nil {
		return nil, errs.E(errs.NotFound, "照片不存在")
	}
	if _, err := s.vehicleInScope(ctx, s.DB.R, a, *p.VehicleID); err != nil {
		return nil, err
	}
	key := p.BlobKey
	if thumb {
		key = p.ThumbKey
	}
	rc, err := s.Blobs.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, errs.Wrap(err, "blob read")
	}
	return &PhotoData{ContentType: "image/jpeg", Data: data}, nil
}

// Recorder stores what terminals send over JT/T 808 besides positions; it
// implements gateway.Recorder. A terminal is found by its phone (SIM) in
// the registry; data of a phone not registered is refused.
type Recorder struct {
	Fleet *Service
}

type recTerminal struct {
	ID        int64
	VehicleID *int64
}

func (r *Recorder) terminal(ctx context.Context, phone string) (*recTerminal, error) {
	vs := phoneVariants(phone)
	q := "SELECT id, vehicle_id FROM terminals WHERE sim IN (?" + strings.Repeat(", ?", len(vs)-1) + ") ORDER BY id LIMIT 1"
	var t recTerminal
	if err := r.Fleet.DB.R.QueryRowContext(ctx, q, vs...).Scan(&t.ID, &t.VehicleID); err != nil {
		err = store.Translate(err)
		if errs.Is(err, errs.NotFound) {
			return nil, errs.E(errs.Invalid, "终端 %s 未登记", phone)
		}
		return nil, fmt.Errorf("terminal %s: %w", phone, err)
	}
	return &t, nil
}

// Attributes stores a terminal's attributes, replacing the earlier answer.
func (r *Recorder) Attributes(ctx context.Context, phone string, a *jt808.Attributes) error {
	t, err := r.terminal(ctx, phone)
	if err != nil {
		return err
	}
	row := &TerminalAttributes{TerminalID: t.ID, TerminalType: int(a.Type), Maker: a.Maker, Model: a.Model, DeviceID: a.TerminalID,
		ICCID: a.ICCID, Hardware: a.Hardware, Firmware: a.Firmware, GNSS: int(a.GNSS), Comm: int(a.Comm), ReceivedAt: r.Fleet.now()}
	_, err = r.Fleet.DB.W.NewInsert().Model(row).
		On("CONFLICT (terminal_id) DO UPDATE").
		Set("terminal_type = EXCLUDED.terminal_type, maker = EXCLUDED.maker, model = EXCLUDED.model, device_id = EXCLUDED.device_id").
		Set("iccid = EXCLUDED.iccid, hardware = EXCLUDED.hardware, firmware = EXCLUDED.firmware").
		Set("gnss = EXCLUDED.gnss, comm = EXCLUDED.comm, received_at = EXCLUDED.received_at").
		Exec(ctx)
	return store.Translate(err)
}

// Media stores a picture: a JPEG of at most MaxTerminalPhotoBytes, checked
// like an upload, with its thumbnail, the event that made the terminal
// take it and the location it carried. Sound and video are refused.
func (r *Recorder) Media(ctx context.Context, phone string, vehicleID int64, m *jt808.MediaUpload) error {
	t, err := r.terminal(ctx, phone)
	if err != nil {
		return err
	}
	if m.Type != jt808.MediaImage || m.Format != jt808.FormatJPEG {
		return errs.E(errs.Invalid, "只接收 JPEG 图片（类型 %d、格式 %d）", m.Type, m.Format)
	}
	if len(m.Data) > MaxTerminalPhotoBytes {
		return errs.E(errs.Invalid, "图片 %d 字节，超过 %d 字节", len(m.Data), MaxTerminalPhotoBytes)
	}
	img, info, err := picture.Decode("file", "图片", m.Data)
	if err != nil {
		return err
	}
	if info.ContentType != "image/jpeg" {
		return errs.E(errs.Invalid, "图片不是 JPEG")
	}
	thumb, err := thumbnail(img)
	if err != nil {
		return err
	}
	f := r.Fleet
	key, err := f.Blobs.Put(ctx, m.Data)
	if err != nil {
		return err
	}
	thumbKey, err := f.Blobs.Put(ctx, thumb)
	if err != nil {
		return err
	}
	now := f.now()
	p := &TerminalPhoto{TerminalID: t.ID, VehicleID: t.VehicleID, MediaID: int64(m.MediaID), Event: int(m.Event), Channel: int(m.Channel),
		BlobKey: key, ThumbKey: thumbKey, Size: len(m.Data), Width: info.Width, Height: info.Height,
		Alarm: int64(m.Location.Alarm), TakenAt: m.Location.Time, ReceivedAt: now}
	if vehicleID != 0 {
		p.VehicleID = &vehicleID
	}
	if m.Location.Status.Located() {
		lat, lng := m.Location.Latitude(), m.Location.Longitude()
		p.Lat, p.Lng = &lat, &lng
	}
	// A terminal clock that is unset or ahead of the server would misplace
	// the picture among the vehicle's events: then when it arrived counts.
	// (An earlier time is kept: pictures taken offline arrive late.)
	if p.TakenAt.IsZero() || p.TakenAt.After(now.Add(5*time.Minute)) {
		p.TakenAt = now
	}
	_, err = f.DB.W.NewInsert().Model(p).Exec(ctx)
	return store.Translate(err)
}

// PassThrough stores a pass-through message raw with its type, the first
// MaxPassThroughBytes of it.
func (r *Recorder) PassThrough(ctx context.Context, phone string, _ int64, p *jt808.PassThrough) error {
	t, err := r.terminal(ctx, phone)
	if err != nil {
		return err
	}
	data := p.Data[:min(len(p.Data), MaxPassThroughBytes)]
	row := &PassThrough{TerminalID: t.ID, Kind: int(p.Type), Data: data, Size: len(p.Data), ReceivedAt: r.Fleet.now()}
	_, err = r.Fleet.DB.W.NewInsert().Model(row).Exec(ctx)
	return store.Translate(err)
}
