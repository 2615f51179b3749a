package jt808

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"govfleet/internal/beijing"
)

// readFrames reads a testdata .hex file: one frame per line, '#' comments.
func readFrames(t testing.TB, name string) [][]byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var frames [][]byte
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(line, " ", ""))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		frames = append(frames, b)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(frames) == 0 {
		t.Fatalf("%s: no frames", name)
	}
	return frames
}

func ptr[T any](v T) *T { return &v }

// bj returns a Beijing wall-clock time (as written on the wire) in UTC.
func bj(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, beijing.Zone).UTC()
}

// stripOrder clears the unexported decode order of the locations inside m,
// so decoded messages compare equal to literals.
func stripOrder(m Message) Message {
	switch m := m.(type) {
	case *Location:
		c := *m
		c.order = nil
		return &c
	case *LocationResponse:
		c := *m
		c.Location.order = nil
		return &c
	case *LocationBatch:
		c := *m
		c.Items = append([]Location(nil), m.Items...)
		for i := range c.Items {
			c.Items[i].order = nil
		}
		return &c
	case *MediaUpload:
		c := *m
		c.Location.order = nil
		return &c
	}
	return m
}

// Locations shared by several SmallChi frames.
var (
	smallChiLoc1 = Location{
		Alarm: 1, Status: 2, Lat: 12222222, Lon: 132444444, Altitude: 40, Speed: 60,
		Time: bj(2018, 7, 15, 10, 10, 10), Mileage: ptr[uint32](100), Fuel: ptr[uint16](55),
	}
	smallChiLoc2 = Location{
		Alarm: 2, Status: 1, Lat: 13333333, Lon: 132555555, Altitude: 41, Speed: 54, Direction: 120,
		Time: bj(2018, 7, 15, 10, 10, 30), Mileage: ptr[uint32](96), Fuel: ptr[uint16](66),
	}
	hzBase = Location{Lat: 30274085, Lon: 120155070, Altitude: 12}
)

// fleetParams is the 0x0104 body of the sub-packaged golden files.
var fleetParams = ParamsResponse{ReplySerial: 0x0010, Params: []Param{
	{ID: ParamHeartbeatInterval, Value: []byte{0, 0, 0, 30}},
	{ID: ParamMainServer, Value: []byte("jt808.govfleet.example.cn")},
	{ID: ParamServerTCPPort, Value: []byte{0, 0, 0x1d, 0xbb}},
	{ID: ParamDefaultInterval, Value: []byte{0, 0, 0, 30}},
	{ID: ParamMaxSpeed, Value: []byte{0, 0, 0, 120}},
	{ID: ParamOverspeedDuration, Value: []byte{0, 0, 0, 10}},
	{ID: ParamPlate, Value: []byte{0xd5, 0xe3, 'A', '1', '2', '3', '4', '5'}},
	{ID: ParamPlateColor, Value: []byte{1}},
}}

func h13(id uint16, phone string, serial uint16) Header {
	return Header{MsgID: id, Version: V2013, Phone: phone, Serial: serial}
}

func h19(id uint16, phone string, serial uint16) Header {
	return Header{MsgID: id, Version: V2019, ProtocolVersion: 1, Phone: phone, Serial: serial}
}

var goldens = []struct {
	file   string
	header Header  // header of the (first) frame
	body   Version // edition of the body if not the header's
	want   Message
}{
	{file: "0001_2013.hex", header: h13(MsgTerminalAck, "012345678900", 1203),
		want: &TerminalAck{ReplySerial: 1000, ReplyID: MsgHeartbeat, Result: ResultOK}},
	{file: "0002_2013.hex", header: h13(MsgHeartbeat, "040021679287", 43), want: &Heartbeat{}},
	{file: "0003_2013.hex", header: h13(MsgLogout, "012345678900", 1), want: &Logout{}},
	{file: "0100_2011.hex", header: h13(MsgRegister, "013912345678", 1), body: V2011,
		want: &Register{Province: 33, City: 100, Maker: "70111", Model: "GT06N   ", TerminalID: "A1B2C3D",
			PlateColor: PlateBlue, Plate: "浙A12345"}},
	{file: "0100_2013.hex", header: h13(MsgRegister, "000123456789", 10),
		want: &Register{Province: 40, City: 50, Maker: "12340", Model: "smallchi123000000000", TerminalID: "CHI1230",
			PlateColor: PlateBlue, Plate: "粤A12345"}},
	{file: "0100_2019.hex", header: h19(MsgRegister, "00000000022222222222", 1),
		want: &Register{Maker: "000Koike002", Model: "0000000000000000000000Koike002",
			TerminalID: "0000000000000000000000Koike002", PlateColor: PlateYellow, Plate: "粤A12346"}},
	{file: "0102_2011.hex", header: h13(MsgAuth, "013912345678", 2), body: V2011, want: &Auth{Code: "AUTH2011"}},
	{file: "0102_2013.hex", header: h13(MsgAuth, "012345678900", 12345), want: &Auth{Code: "456121111"}},
	{file: "0102_2019.hex", header: h19(MsgAuth, "00000000013912345678", 2),
		want: &Auth{Code: "45612", IMEI: "1234567890abcde", SoftwareVersion: "v2.0.0"}},
	{file: "0104_2013.hex", header: h13(MsgParamsResponse, "000123456789", 10),
		want: &ParamsResponse{ReplySerial: 20, Params: []Param{{ID: 0x0001, Value: []byte{0, 0, 0, 10}}}}},
	{file: "0104_2013_sub.hex", want: &fleetParams,
		header: Header{MsgID: MsgParamsResponse, Version: V2013, Phone: "013912345678", Serial: 0x20,
			SubPackage: true, Total: 3, Index: 1}},
	{file: "0104_2019_sub.hex", want: &fleetParams,
		header: Header{MsgID: MsgParamsResponse, Version: V2019, ProtocolVersion: 1, Phone: "00000000013912345678",
			Serial: 0xffff, SubPackage: true, Total: 2, Index: 1}},
	{file: "0200_2013.hex", header: h13(MsgLocation, "123456789012", 126),
		want: &Location{Alarm: 1, Status: 2, Lat: 12222222, Lon: 132444444, Altitude: 40, Speed: 60,
			Time: bj(2018, 10, 15, 10, 10, 10), Mileage: ptr[uint32](100), Fuel: ptr[uint16](125)}},
	{file: "0200_2013_device.hex", header: h13(MsgLocation, "040021682087", 0x1d0c),
		want: &Location{Status: 0x000c00c2, Lat: 22768750, Lon: 113792664, Altitude: 30, Direction: 224,
			Time:    bj(2018, 9, 16, 10, 35, 37),
			Mileage: ptr[uint32](0x54c7d), Fuel: ptr[uint16](0), RecorderSpeed: ptr[uint16](0),
			VehicleSignals: ptr[uint32](0), Analog: ptr[uint32](0),
			SignalStrength: ptr[uint8](29), Satellites: ptr[uint8](13)}},
	{file: "0200_2013_unknown.hex", header: h13(MsgLocation, "013912345678", 0x100),
		want: &Location{Alarm: AlarmEmergency | AlarmMainPowerCut, Status: StatusACC | StatusLocated | StatusGPS | StatusBeidou,
			Lat: 30274085, Lon: 120155070, Altitude: 12, Speed: 523, Direction: 90,
			Time:    time.Date(2024, 3, 14, 23, 10, 0, 0, time.UTC),
			Mileage: ptr[uint32](123456), Fuel: ptr[uint16](455), SignalStrength: ptr[uint8](28), Satellites: ptr[uint8](11),
			Extras: []Extra{
				{ID: 0x06, Data: []byte{0, 0, 0, 0x12, 1, 's', 'm', 'a', 'l', 'l', 'c', 'h', 'i'}},
				{ID: 0xe1, Data: []byte{1, 2, 3}},
				{ID: 0x30, Data: []byte{0x00, 0x1f}},
			}}},
	{file: "0200_2019.hex", header: h19(MsgLocation, "00000000013912344329", 0),
		want: &Location{Alarm: 111, Status: 22, Lat: 31234567, Lon: 121987654, Altitude: 123, Speed: 66, Direction: 3,
			Time: bj(2025, 1, 29, 22, 33, 44), Fuel: ptr[uint16](100), Mileage: ptr[uint32](12)}},
	{file: "0201_2013.hex", header: h13(MsgLocationResponse, "112233445566", 8888),
		want: &LocationResponse{ReplySerial: 12345, Location: smallChiLoc1}},
	{file: "0704_2013.hex", header: h13(MsgLocationBatch, "112233445566", 8888),
		want: &LocationBatch{Type: BatchNormal, Items: []Location{smallChiLoc1, smallChiLoc2}}},
	{file: "0704_2013_blind.hex", header: h13(MsgLocationBatch, "013912345678", 0x200),
		want: &LocationBatch{Type: BatchBlindArea, Items: []Location{
			{Status: 3, Lat: hzBase.Lat, Lon: hzBase.Lon, Altitude: 12, Time: bj(2024, 3, 15, 6, 59, 0)},
			{Status: 3, Lat: hzBase.Lat + 100, Lon: hzBase.Lon + 100, Altitude: 13, Speed: 215, Direction: 45,
				Time: bj(2024, 3, 15, 7, 0, 0), Mileage: ptr[uint32](123457)},
			{Alarm: AlarmMainPowerCut, Status: 2, Lat: hzBase.Lat + 200, Lon: hzBase.Lon + 200, Altitude: 14, Speed: 300,
				Direction: 46, Time: bj(2024, 3, 15, 7, 1, 0), Mileage: ptr[uint32](123458), Satellites: ptr[uint8](7)},
		}}},
	{file: "0704_2019.hex", header: h19(MsgLocationBatch, "00000000013912344329", 0),
		want: &LocationBatch{Type: BatchNormal, Items: []Location{
			{Alarm: 1, Status: 1, Lat: 31000562, Lon: 121451372, Altitude: 666, Speed: 33, Direction: 89,
				Time: bj(2024, 10, 29, 21, 39, 3)},
			{Alarm: 1, Status: 1, Lat: 31000563, Lon: 121451373, Altitude: 777, Speed: 67, Direction: 90,
				Time: bj(2024, 10, 29, 21, 39, 3)},
		}}},
	{file: "8001_2013.hex", header: h13(MsgPlatformAck, "012345678900", 10),
		want: &PlatformAck{ReplySerial: 100, ReplyID: MsgLocation, Result: ResultOK}},
	{file: "8100_2013.hex", header: h13(MsgRegisterResponse, "012345678900", 10),
		want: &RegisterResponse{ReplySerial: 100, Result: RegisterOK, AuthCode: "zssdaf23124sfdsc"}},
	{file: "8100_2013_fail.hex", header: h13(MsgRegisterResponse, "012345678900", 10),
		want: &RegisterResponse{ReplySerial: 100, Result: RegisterNoSuchTerminal}},
	{file: "8103_2013.hex", header: h13(MsgSetParams, "000123456789", 10),
		want: &SetParams{Params: []Param{DWordParam(ParamHeartbeatInterval, 10)}}},
	{file: "8104_2013.hex", header: h13(MsgQueryParams, "013912345678", 0x10), want: &QueryParams{}},
	{file: "8201_2013.hex", header: h13(MsgQueryLocation, "013912345678", 0x11), want: &QueryLocation{}},
	{file: "8202_2013.hex", header: h13(MsgTrackingControl, "013912345678", 0x12),
		want: &TrackingControl{Interval: 69, Validity: 123}},
	{file: "8300_2013.hex", header: h13(MsgText, "012345678900", 1), want: &Text{Flags: 5, Text: "smallchi 518"}},
	{file: "8300_2013_gbk.hex", header: h13(MsgText, "013912345678", 0x13),
		want: &Text{Flags: TextDisplay | TextTTS, Text: "请于18:00前还车至倉库"}},
	{file: "8300_2019.hex", header: h19(MsgText, "00000000012345678900", 1),
		want: &Text{Flags: 5, Type: TextTypeNotice, Text: "smallchi 518"}},

	// Issue 20: server time, resend request, attributes, multimedia, pass-through.
	{file: "0004_2019.hex", header: h19(MsgServerTimeQuery, "00000000013912345678", 7), want: &ServerTimeQuery{}},
	{file: "8004_2019.hex", header: h19(MsgServerTime, "00000000013912345678", 8),
		want: &ServerTime{Time: time.Date(2026, 12, 7, 1, 2, 3, 0, time.UTC)}},
	{file: "8003_2013.hex", header: h13(MsgResendRequest, "013912345678", 9),
		want: &ResendRequest{FirstSerial: 0x120, Parts: []uint16{2, 5}}},
	{file: "8003_2019.hex", header: h19(MsgResendRequest, "00000000013912345678", 9),
		want: &ResendRequest{FirstSerial: 0x120, Parts: []uint16{2, 5}}},
	{file: "8107_2013.hex", header: h13(MsgQueryAttrs, "013912345678", 0x14), want: &QueryAttrs{}},
	{file: "0107_2013.hex", header: h13(MsgAttributes, "013912345678", 0x30), want: &goldenAttrs},
	{file: "0107_2019.hex", header: h19(MsgAttributes, "00000000013912345678", 0x30),
		want: &Attributes{Type: TermPassenger | TermFreight, Maker: "70111000001", Model: "BD-808G-2019", TerminalID: "GVA1B2C3D",
			ICCID: "89860012345678901234", Hardware: "HW1.2", Firmware: "FW2.0.7", GNSS: GNSSGPS | GNSSBeidou, Comm: CommTDLTE}},
	{file: "0107_2013.hex", header: h13(MsgAttributes, "013912345678", 0x30), body: V2011, want: &goldenAttrs},
	{file: "0800_2013.hex", header: h13(MsgMediaEvent, "013912345678", 0x40),
		want: &MediaEvent{MediaID: 7, Type: MediaImage, Format: FormatJPEG, Event: EventRobbery, Channel: 1}},
	{file: "0801_2013_sub.hex", header: Header{MsgID: MsgMediaUpload, Version: V2013, Phone: "013912345678", Serial: 0x50,
		SubPackage: true, Total: 2, Index: 1}, want: goldenMedia(8, EventPlatform)},
	{file: "0801_2019.hex", header: h19(MsgMediaUpload, "00000000013912345678", 0x51), want: goldenMedia(9, EventCollision)},
	{file: "8800_2013.hex", header: h13(MsgMediaResponse, "013912345678", 0x15), want: &MediaResponse{MediaID: 8, Resend: []uint16{2, 3}}},
	{file: "8800_2013_done.hex", header: h13(MsgMediaResponse, "013912345678", 0x16), want: &MediaResponse{MediaID: 8}},
	{file: "8801_2013.hex", header: h13(MsgCameraShootNow, "013912345678", 0x17),
		want: &CameraShootNow{Channel: 1, Command: 1, Resolution: Res640x480, Quality: 5, Brightness: 128, Contrast: 64, Saturation: 64, Chroma: 128}},
	{file: "0900_2013.hex", header: h13(MsgPassThrough, "013912345678", 0x60),
		want: &PassThrough{Type: PassSerial1, Data: []byte{0x01, 0x03, 0x00, 0x7e, 0x00, 0x02}}},
}

// goldenAttrs is the 0x0107 of 0107_2013.hex (2011 terminals answer with the same layout).
var goldenAttrs = Attributes{Type: TermPassenger | TermFreight, Maker: "70111", Model: "BD-808G", TerminalID: "A1B2C3D",
	ICCID: "89860012345678901234", Hardware: "HW1.2", Firmware: "FW2.0.7", GNSS: GNSSGPS | GNSSBeidou, Comm: CommTDLTE}

// goldenMedia is the 0x0801 of the golden files: a 54-byte JPEG-like
// payload holding 0x7e and 0x7d, taken at a main power cut.
func goldenMedia(id uint32, event uint8) *MediaUpload {
	data := []byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0}
	for i := 0; i < 30; i++ {
		data = append(data, byte(i*7))
	}
	data = append(data, 0x7e, 0x7d, 0xff, 0xd9)
	return &MediaUpload{MediaEvent: MediaEvent{MediaID: id, Type: MediaImage, Format: FormatJPEG, Event: event, Channel: 1},
		Location: Location{Alarm: AlarmMainPowerCut, Status: 3, Lat: hzBase.Lat, Lon: hzBase.Lon, Altitude: 12, Time: bj(2024, 3, 15, 7, 1, 0)},
		Data:     data}
}

func TestGolden(t *testing.T) {
	for _, g := range goldens {
		t.Run(strings.TrimSuffix(g.file, ".hex"), func(t *testing.T) {
			frames := readFrames(t, g.file)
			var ra Reassembler
			var full Packet
			var parts []Packet
			for i, f := range frames {
				p, err := Decode(f)
				if err != nil {
					t.Fatalf("frame %d: Decode: %v", i+1, err)
				}
				// Frame level: header+body re-encode to the same bytes.
				if re, err := Encode(p.Header, p.Body); err != nil || !bytes.Equal(re, f) {
					t.Fatalf("frame %d: Encode(Decode(f)) = %X, %v\nwant %X", i+1, re, err, f)
				}
				parts = append(parts, p)
				var ok bool
				if full, ok, err = ra.Add(p, time.Unix(int64(i), 0)); err != nil {
					t.Fatalf("frame %d: Reassembler.Add: %v", i+1, err)
				} else if ok != (i == len(frames)-1) {
					t.Fatalf("frame %d of %d: complete = %t", i+1, len(frames), ok)
				}
			}
			if !reflect.DeepEqual(parts[0].Header, g.header) {
				t.Errorf("header\n got %+v\nwant %+v", parts[0].Header, g.header)
			}

			v := g.header.Version
			var m Message
			var err error
			if g.body == 0 {
				m, err = DecodeMessage(full.Header, full.Body)
			} else {
				v = g.body
				m = NewMessage(full.Header.MsgID)
				err = m.Decode(full.Body, v)
			}
			if err != nil {
				t.Fatalf("decode message: %v", err)
			}
			if got := stripOrder(m); !reflect.DeepEqual(got, g.want) {
				t.Errorf("message\n got %+v\nwant %+v", got, g.want)
			}

			// Message level: re-encoding the decoded value reproduces the
			// frames byte for byte.
			body, err := m.AppendBody(nil, v)
			if err != nil {
				t.Fatalf("AppendBody: %v", err)
			}
			if !bytes.Equal(body, full.Body) {
				t.Fatalf("AppendBody = %X\nwant      %X", body, full.Body)
			}
			var again [][]byte
			if len(frames) == 1 {
				f, err := EncodeMessage(full.Header, m)
				if g.body != 0 {
					f, err = Encode(full.Header, body)
				}
				if err != nil {
					t.Fatalf("encode: %v", err)
				}
				again = [][]byte{f}
			} else if again, err = EncodeFragments(full.Header, body, len(parts[0].Body)); err != nil {
				t.Fatalf("EncodeFragments: %v", err)
			}
			if len(again) != len(frames) {
				t.Fatalf("re-encoded into %d frames, want %d", len(again), len(frames))
			}
			for i := range frames {
				if !bytes.Equal(again[i], frames[i]) {
					t.Errorf("frame %d re-encoded\n got %X\nwant %X", i+1, again[i], frames[i])
				}
			}

			// The encoded form of the expected literal matches too (covers the
			// ascending-ID encoding of items without a decode order).
			if lit, err := g.want.AppendBody(nil, v); err != nil {
				t.Errorf("encode literal: %v", err)
			} else if isLocationMsg(g.want) && !sameItemsAscending(g.file) {
				// Items were not in ascending order on the wire; only the
				// decoded value (which remembers the order) must match.
			} else if !bytes.Equal(lit, full.Body) {
				t.Errorf("literal body\n got %X\nwant %X", lit, full.Body)
			}
		})
	}
}

func isLocationMsg(m Message) bool {
	switch m.(type) {
	case *Location, *LocationResponse, *LocationBatch:
		return true
	}
	return false
}

// sameItemsAscending reports whether the golden file's additional items are
// in ascending ID order on the wire.
func sameItemsAscending(file string) bool {
	return file != "0200_2019.hex" && file != "0200_2013_unknown.hex"
}

func TestGoldenSplit(t *testing.T) {
	// All golden frames concatenated, with noise and a doubled flag between
	// them, must come back out of a Scanner one by one.
	var stream []byte
	var want [][]byte
	for _, g := range goldens {
		for _, f := range readFrames(t, g.file) {
			stream = append(stream, "noise\x7e"...)
			stream = append(stream, f...)
			want = append(want, f)
		}
	}
	sc := bufio.NewScanner(&oneByteReader{b: stream})
	sc.Buffer(make([]byte, 16), MaxFrameLen)
	sc.Split(Split)
	var got [][]byte
	for sc.Scan() {
		got = append(got, bytes.Clone(sc.Bytes()))
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %d frames, want %d", len(got), len(want))
	}
}

// oneByteReader returns its data one byte per Read, to exercise the split
// function's "need more data" path at every offset.
type oneByteReader struct{ b []byte }

func (r *oneByteReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}
