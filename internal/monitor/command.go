package monitor

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/gateway"
	"govfleet/internal/jt808"
	"govfleet/internal/telematics"
)

// Command is a command to a vehicle's terminal from the vehicle card.
type Command struct {
	Kind     string `json:"kind"`           // locate (0x8201) | track (0x8202) | text (0x8300) | interval (0x8103) | photo (0x8801) | attributes (0x8107)
	Minutes  int    `json:"minutes"`        // track: how long, 1–120
	Interval int    `json:"interval"`       // track: seconds between reports (default 10); interval: default reporting interval, 5–3600 s
	Text     string `json:"text" max:"200"` // text: to the driver, at most 200 characters
}

// CommandResult is the terminal's answer.
type CommandResult struct {
	OK       bool   `json:"ok"`
	Message  string `json:"message"`  // Chinese description of the answer
	Position *Point `json:"position"` // locate: the position answered
}

// kindNames say what was done to the terminal, in the audit summary.
var kindNames = map[string]string{"locate": "下发立即定位", "track": "下发临时跟踪", "text": "下发文本", "interval": "设置上报间隔",
	"photo": "下发立即拍照", "attributes": "查询终端属性"}

var ackText = map[uint8]string{0: "终端已执行", 1: "终端执行失败", 2: "终端报告消息有误", 3: "终端不支持该指令"}

// SendCommand sends c to the terminal of vehicle id (inside the scope),
// records it in the audit log and returns the answer.
func (s *Service) SendCommand(ctx context.Context, a *access.Actor, id int64, c Command) (*CommandResult, error) {
	plate, path, phone, err := s.vehicleInScope(ctx, a, id)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	var msg jt808.Message
	var detail string
	switch c.Kind {
	case "locate":
		msg = &jt808.QueryLocation{}
	case "track":
		if c.Interval == 0 {
			c.Interval = 10
		}
		f.Check(c.Minutes < 1 || c.Minutes > 120, "minutes", "跟踪时长须在1至120分钟之间")
		f.Check(c.Interval < 1 || c.Interval > 600, "interval", "跟踪间隔须在1至600秒之间")
		msg = &jt808.TrackingControl{Interval: uint16(c.Interval), Validity: uint32(c.Minutes * 60)}
		detail = fmt.Sprintf("每%d秒上报，持续%d分钟", c.Interval, c.Minutes)
	case "text":
		c.Text = strings.TrimSpace(c.Text)
		f.Check(c.Text == "", "text", "请填写要下发的文本")
		f.Check(utf8.RuneCountInString(c.Text) > 200, "text", "文本最多200字")
		msg = &jt808.Text{Flags: jt808.TextDisplay | jt808.TextTTS, Type: jt808.TextTypeNotice, Text: c.Text}
		detail = c.Text
	case "interval":
		f.Check(c.Interval < 5 || c.Interval > 3600, "interval", "上报间隔须在5至3600秒之间")
		msg = &jt808.SetParams{Params: []jt808.Param{jt808.DWordParam(jt808.ParamDefaultInterval, uint32(c.Interval))}}
		detail = fmt.Sprintf("%d秒", c.Interval)
	case "photo":
		// One 640×480 picture from channel 1, uploaded at once (0x0801).
		msg = &jt808.CameraShootNow{Channel: 1, Command: 1, Resolution: jt808.Res640x480, Quality: 5,
			Brightness: 128, Contrast: 64, Saturation: 64, Chroma: 128}
	case "attributes":
		msg = &jt808.QueryAttrs{}
	default:
		f.Add("kind", "指令类型应为 locate、track、text、interval、photo 或 attributes")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if phone == "" {
		return nil, errs.E(errs.Invalid, "车辆%s未安装终端", plate)
	}
	if s.Gateway == nil || !s.Gateway.Connected(phone) {
		return nil, errs.E(errs.Conflict, "车辆%s的终端不在线，无法下发指令", plate)
	}
	if err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		return audit.Record(ctx, tx, a, audit.Event{Action: actTerminalCommand, ObjectType: audit.Vehicle, ObjectID: id, ScopePath: path,
			Summary: strings.TrimSuffix(fmt.Sprintf("向%s终端%s：%s", plate, kindNames[c.Kind], detail), "："), After: c})
	}); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	ans, err := s.Gateway.Send(sctx, phone, msg)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, gateway.ErrNoAnswer) {
			return &CommandResult{Message: "终端未在规定时间内应答"}, nil
		}
		if errors.Is(err, gateway.ErrNotConnected) {
			return &CommandResult{Message: "终端已离线"}, nil
		}
		return nil, err
	}
	switch m := ans.(type) {
	case *jt808.TerminalAck:
		msg := ackText[m.Result]
		if c.Kind == "photo" && m.Result == jt808.ResultOK {
			msg = "终端已拍照，照片上传后显示在车辆信息中"
		}
		return &CommandResult{OK: m.Result == jt808.ResultOK, Message: msg}, nil
	case *jt808.Attributes:
		return &CommandResult{OK: true, Message: "终端已回报属性（固件版本 " + m.Firmware + "）"}, nil
	case *jt808.LocationResponse:
		p := telematics.FromLocation(phone, id, &m.Location, s.now())
		return &CommandResult{OK: true, Message: "终端已回报当前位置", Position: s.point(p, s.now())}, nil
	}
	return &CommandResult{OK: true, Message: fmt.Sprintf("终端应答 0x%04x", ans.MsgID())}, nil
}
