package jt808

import (
	"bufio"
	"bytes"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSplit(t *testing.T) {
	f1 := rawFrame("0002 0000 013912345678 0001")
	f2 := rawFrame("0002 0000 013912345678 0002")
	tests := []struct {
		name    string
		in      []byte
		split   bufio.SplitFunc
		want    [][]byte
		wantErr error
	}{
		{"noise only", []byte("hello"), Split, nil, nil},
		{"two frames with noise", append(append([]byte("xx"), f1...), append([]byte("yy"), f2...)...), Split, [][]byte{f1, f2}, nil},
		{"back to back", append(bytes.Clone(f1), f2...), Split, [][]byte{f1, f2}, nil},
		{"doubled flags", append(append([]byte{flagByte, flagByte}, f1...), flagByte), Split, [][]byte{f1}, nil},
		{"unfinished frame at EOF", append(bytes.Clone(f1), f2[:5]...), Split, [][]byte{f1}, ErrTruncated},
		{"no closing flag", append([]byte{flagByte}, bytes.Repeat([]byte{1}, MaxFrameLen+10)...), Split, nil, ErrFrameTooLarge},
		{"frame over custom limit", rawFrame("0001 000A 013912345678 0001" + strings.Repeat("00", 10)), NewSplitFunc(20), nil, ErrFrameTooLarge},
		{"frame within custom limit", f1, NewSplitFunc(len(f1)), [][]byte{f1}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc := bufio.NewScanner(bytes.NewReader(tt.in))
			sc.Buffer(make([]byte, 64), 2*MaxFrameLen)
			sc.Split(tt.split)
			var got [][]byte
			for sc.Scan() {
				got = append(got, bytes.Clone(sc.Bytes()))
			}
			if !errors.Is(sc.Err(), tt.wantErr) {
				t.Fatalf("Err() = %v, want %v", sc.Err(), tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("frames = %X, want %X", got, tt.want)
			}
		})
	}
}

func TestSplitBoundsBuffering(t *testing.T) {
	// Feeding an endless frame must fail once the limit is passed, not
	// keep asking for more data.
	data := append([]byte{flagByte}, make([]byte, 99)...)
	split := NewSplitFunc(100)
	if adv, tok, err := split(data, false); adv != 0 || tok != nil || err != nil {
		t.Fatalf("at limit: %d %v %v", adv, tok, err)
	}
	if _, _, err := split(append(data, 0), false); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("past limit: err = %v", err)
	}
}

func TestHeaderRoundTripAndReply(t *testing.T) {
	h := Header{MsgID: MsgLocation, Version: V2019, ProtocolVersion: 1, Phone: "13912345678", Serial: 7,
		Encryption: 0, SubPackage: true, Total: 3, Index: 2}
	f, err := Encode(h, []byte{0x7e, 0x7d})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	h.Phone = "00000000013912345678" // left-padded to 20 digits
	if !reflect.DeepEqual(p.Header, h) || !bytes.Equal(p.Body, []byte{0x7e, 0x7d}) {
		t.Fatalf("got %+v %X", p.Header, p.Body)
	}
	r := p.Header.Reply(MsgPlatformAck, 99)
	want := Header{MsgID: MsgPlatformAck, Version: V2019, ProtocolVersion: 1, Phone: h.Phone, Serial: 99}
	if r != want {
		t.Fatalf("Reply = %+v", r)
	}
}

func TestAppendEncodeAppends(t *testing.T) {
	h := Header{MsgID: MsgHeartbeat, Version: V2013, Phone: "013912345678", Serial: 1}
	one, _ := Encode(h, nil)
	both, err := AppendEncode(bytes.Clone(one), h, nil)
	if err != nil || !bytes.Equal(both, append(bytes.Clone(one), one...)) {
		t.Fatalf("AppendEncode = %X, %v", both, err)
	}
}

func TestDetectRegisterVersion(t *testing.T) {
	frames := readFrames(t, "0100_2011.hex")
	p, err := Decode(frames[0])
	if err != nil {
		t.Fatal(err)
	}
	if v := DetectRegisterVersion(p.Body, p.Header.Version); v != V2011 {
		t.Fatalf("2011 body detected as %s", v)
	}
	m, err := DecodeMessage(p.Header, p.Body)
	if err != nil {
		t.Fatal(err)
	}
	if r := m.(*Register); r.Model != "GT06N   " || r.Plate != "浙A12345" {
		t.Fatalf("decoded %+v", r)
	}
	if v := DetectRegisterVersion(make([]byte, 45), V2013); v != V2013 {
		t.Fatalf("45-byte body detected as %s", v)
	}
	if v := DetectRegisterVersion(make([]byte, 45), V2011); v != V2011 {
		t.Fatalf("explicit 2011 overridden by %s", v)
	}
	if v := DetectRegisterVersion(nil, V2019); v != V2019 {
		t.Fatalf("2019 header detected as %s", v)
	}
}

func TestLocationHelpers(t *testing.T) {
	var l Location
	l.SetPosition(-33.856784, -151.215297)
	if !l.Status.Has(StatusSouth|StatusWest) || l.Lat != 33856784 || l.Lon != 151215297 {
		t.Fatalf("SetPosition: %+v", l)
	}
	if math.Abs(l.Latitude()+33.856784) > 1e-9 || math.Abs(l.Longitude()+151.215297) > 1e-9 {
		t.Fatalf("Latitude/Longitude = %v %v", l.Latitude(), l.Longitude())
	}
	l.SetPosition(30.274085, 120.155070)
	if l.Status&(StatusSouth|StatusWest) != 0 || l.Latitude() != 30.274085 {
		t.Fatalf("SetPosition north/east: %+v", l)
	}
	l.Speed = 523
	if l.SpeedKmh() != 52.3 {
		t.Fatalf("SpeedKmh = %v", l.SpeedKmh())
	}

	s := StatusACC | StatusLocated | 3<<8
	if !s.ACC() || !s.Located() || s.Load() != 3 || StatusFlags(0).ACC() {
		t.Fatal("status helpers")
	}
	a := AlarmEmergency | AlarmOverspeed | AlarmMainPowerCut
	if !a.Emergency() || !a.Overspeed() || !a.MainPowerCut() || a.GNSSAntennaFault() {
		t.Fatal("alarm helpers")
	}
	if !AlarmGNSSAntennaDisconnected.GNSSAntennaFault() || !AlarmGNSSAntennaShort.GNSSAntennaFault() {
		t.Fatal("antenna bits 5 and 6")
	}
	if AlarmMainPowerCut != 1<<8 || AlarmGNSSAntennaDisconnected != 1<<5 || AlarmGNSSAntennaShort != 1<<6 {
		t.Fatal("alarm bit positions")
	}
}

func TestLocationTimeIsBeijing(t *testing.T) {
	// 00:30 on 1 Jan 2024 in Beijing is still 31 Dec 2023 in UTC.
	loc := Location{Time: time.Date(2023, 12, 31, 16, 30, 0, 0, time.UTC)}
	body, err := EncodeBody(&loc, V2013)
	if err != nil {
		t.Fatal(err)
	}
	if got := body[22:28]; !bytes.Equal(got, []byte{0x24, 0x01, 0x01, 0x00, 0x30, 0x00}) {
		t.Fatalf("BCD time = %X", got)
	}
	var back Location
	if err := back.Decode(body, V2013); err != nil {
		t.Fatal(err)
	}
	if !back.Time.Equal(loc.Time) || back.Time.Location() != time.UTC {
		t.Fatalf("decoded time %v", back.Time)
	}
	// A terminal without a clock sends all zeros.
	var zero Location
	if err := zero.Decode(make([]byte, locationBase), V2013); err != nil || !zero.Time.IsZero() {
		t.Fatalf("zero time: %v %v", zero.Time, err)
	}
}

func TestLocationItemsAscendingWhenBuilt(t *testing.T) {
	l := Location{
		Satellites: ptr[uint8](9),
		Extras:     []Extra{{ID: 0xe1, Data: []byte{1}}, {ID: 0x05, Data: []byte{2}}, {ID: 0xe1, Data: []byte{3}}},
		Mileage:    ptr[uint32](1),
		Overspeed:  &OverspeedInfo{LocationType: 1, AreaID: 0x01020304},
		AreaAlarm:  &AreaAlarmInfo{LocationType: 2, AreaID: 5, Direction: 1},
		RouteTime:  &RouteTimeInfo{RouteID: 6, Seconds: 7, Result: 1},
		IOStatus:   ptr[uint16](2),
	}
	body, err := EncodeBody(&l, V2013)
	if err != nil {
		t.Fatal(err)
	}
	want := mustHex("01 04 00000001  05 01 02  11 05 01 01020304  12 06 02 00000005 01  13 07 00000006 0007 01" +
		"  2A 02 0002  31 01 09  E1 01 01  E1 01 03")
	if got := body[locationBase:]; !bytes.Equal(got, want) {
		t.Fatalf("items = % X\nwant    % X", got, want)
	}
	var back Location
	if err := back.Decode(body, V2013); err != nil {
		t.Fatal(err)
	}
	back.order = nil
	l.Extras = []Extra{l.Extras[1], l.Extras[0], l.Extras[2]} // written in ascending ID order
	if !reflect.DeepEqual(back, l) {
		t.Fatalf("round trip:\n got %+v\nwant %+v", back, l)
	}

	// Clearing a decoded item drops it; setting a new one appends it.
	var edit Location
	if err := edit.Decode(body, V2013); err != nil {
		t.Fatal(err)
	}
	edit.Mileage = nil
	edit.Fuel = ptr[uint16](5)
	body2, _ := EncodeBody(&edit, V2013)
	if bytes.Contains(body2, mustHex("01 04 00000001")) || !bytes.HasSuffix(body2, mustHex("02 02 0005")) {
		t.Fatalf("after edit: % X", body2[locationBase:])
	}
}

func TestOverspeedWithoutArea(t *testing.T) {
	l := Location{Overspeed: &OverspeedInfo{}}
	body, _ := EncodeBody(&l, V2013)
	if !bytes.Equal(body[locationBase:], []byte{0x11, 1, 0}) {
		t.Fatalf("items = % X", body[locationBase:])
	}
	var back Location
	if err := back.Decode(append(body, 0x11, 5, 0, 0, 0, 0, 1), V2013); err != nil {
		t.Fatal(err)
	}
	// The second 0x11 (type 0 with an area ID) is not standard: kept raw.
	if back.Overspeed == nil || len(back.Extras) != 1 || back.Extras[0].ID != 0x11 {
		t.Fatalf("decoded %+v", back)
	}
}

func TestParamHelpers(t *testing.T) {
	p, err := StringParam(ParamPlate, "京A12345")
	if err != nil || p.Text() != "京A12345" || len(p.Value) != 8 {
		t.Fatalf("StringParam: %+v %v", p, err)
	}
	if v, ok := DWordParam(1, 0xdeadbeef).DWord(); !ok || v != 0xdeadbeef {
		t.Fatal("DWord")
	}
	if v, ok := WordParam(1, 0xbeef).Word(); !ok || v != 0xbeef {
		t.Fatal("Word")
	}
	if v, ok := ByteParam(1, 7).Byte(); !ok || v != 7 {
		t.Fatal("Byte")
	}
	if _, ok := ByteParam(1, 7).DWord(); ok {
		t.Fatal("DWord of a BYTE parameter")
	}
}

func TestTrackingStop(t *testing.T) {
	var m TrackingControl
	if err := m.Decode([]byte{0, 0}, V2013); err != nil || m != (TrackingControl{}) {
		t.Fatalf("stop without validity: %+v %v", m, err)
	}
	if err := m.Decode([]byte{0, 0, 0, 0, 0, 9}, V2013); err != nil || m.Validity != 9 {
		t.Fatalf("stop with validity: %+v %v", m, err)
	}
}

func TestRegisterResponseOnlySendsCodeOnSuccess(t *testing.T) {
	b, _ := EncodeBody(&RegisterResponse{ReplySerial: 1, Result: RegisterVehicleRegistered, AuthCode: "x"}, V2013)
	if !bytes.Equal(b, []byte{0, 1, 1}) {
		t.Fatalf("body = % X", b)
	}
}

func TestDecodeStringTrimsPadding(t *testing.T) {
	var a Auth
	if err := a.Decode([]byte("CODE\x00"), V2013); err != nil || a.Code != "CODE" {
		t.Fatalf("%q %v", a.Code, err)
	}
	// Invalid GBK does not fail the message.
	var txt Text
	if err := txt.Decode([]byte{0, 0xff, 'A'}, V2013); err != nil || txt.Text != "\uFFFDA" {
		t.Fatalf("%q %v", txt.Text, err)
	}
}

func TestEncodeFragments(t *testing.T) {
	h := Header{MsgID: MsgSetParams, Version: V2013, Phone: "013912345678", Serial: 0xfffe}
	body := bytes.Repeat([]byte{0x7e}, 2500)
	frames, err := EncodeFragments(h, body, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(frames) != 3 {
		t.Fatalf("%d frames", len(frames))
	}
	var ra Reassembler
	for i := len(frames) - 1; i >= 0; i-- { // out of order
		p, err := Decode(frames[i])
		if err != nil {
			t.Fatal(err)
		}
		if want := uint16(0xfffe) + uint16(i); p.Header.Serial != want || p.Header.Index != uint16(i+1) {
			t.Fatalf("part %d header %+v", i+1, p.Header)
		}
		full, ok, err := ra.Add(p, time.Time{})
		if err != nil || ok != (i == 0) {
			t.Fatalf("part %d: ok=%t err=%v", i+1, ok, err)
		}
		if ok && (!bytes.Equal(full.Body, body) || full.Header.Serial != 0xfffe || full.Header.SubPackage) {
			t.Fatalf("reassembled %+v, %d bytes", full.Header, len(full.Body))
		}
	}
}

func TestReassembler(t *testing.T) {
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	part := func(phone string, serial, total, index uint16, body string) Packet {
		return Packet{Header: Header{MsgID: MsgParamsResponse, Version: V2013, Phone: phone, Serial: serial,
			SubPackage: true, Total: total, Index: index}, Body: []byte(body)}
	}

	t.Run("passes whole packets through", func(t *testing.T) {
		var r Reassembler
		p := Packet{Header: Header{MsgID: MsgHeartbeat}}
		if got, ok, err := r.Add(p, t0); !ok || err != nil || !reflect.DeepEqual(got, p) {
			t.Fatal(got, ok, err)
		}
	})
	t.Run("interleaved messages and duplicates", func(t *testing.T) {
		var r Reassembler
		steps := []struct {
			p    Packet
			done string
		}{
			{part("A", 10, 3, 1, "a1"), ""},
			{part("B", 10, 2, 2, "b2"), ""},
			{part("A", 12, 3, 3, "a3"), ""},
			{part("A", 12, 3, 3, "XX"), ""}, // retransmission: ignored
			{part("B", 9, 2, 1, "b1"), "b1b2"},
			{part("A", 11, 3, 2, "a2"), "a1a2a3"},
		}
		for i, s := range steps {
			got, ok, err := r.Add(s.p, t0)
			if err != nil || ok != (s.done != "") || (ok && string(got.Body) != s.done) {
				t.Fatalf("step %d: %q %t %v", i, got.Body, ok, err)
			}
		}
		if r.Pending() != 0 || r.bytes != 0 {
			t.Fatalf("left %d pending, %d bytes", r.Pending(), r.bytes)
		}
	})
	t.Run("invalid parts", func(t *testing.T) {
		var r Reassembler
		for _, p := range []Packet{part("A", 1, 0, 0, ""), part("A", 1, 2, 0, ""), part("A", 1, 2, 3, "")} {
			if _, _, err := r.Add(p, t0); !errors.Is(err, ErrSubPackage) {
				t.Fatalf("%+v: %v", p.Header, err)
			}
		}
	})
	t.Run("limits", func(t *testing.T) {
		r := Reassembler{MaxParts: 4, MaxBytes: 10, MaxPending: 2}
		if _, _, err := r.Add(part("A", 1, 5, 1, ""), t0); !errors.Is(err, ErrReassemblyLimit) {
			t.Fatalf("too many parts: %v", err)
		}
		r.Add(part("A", 1, 2, 1, "12345"), t0)
		r.Add(part("B", 1, 2, 1, "1234"), t0)
		if _, _, err := r.Add(part("C", 1, 2, 1, "1"), t0); !errors.Is(err, ErrReassemblyLimit) {
			t.Fatalf("too many pending: %v", err)
		}
		if _, _, err := r.Add(part("B", 2, 2, 2, "12"), t0); !errors.Is(err, ErrReassemblyLimit) {
			t.Fatalf("too many bytes: %v", err)
		}
		if r.Pending() != 1 || r.bytes != 5 {
			t.Fatalf("after overflow: %d pending, %d bytes", r.Pending(), r.bytes)
		}
	})
	t.Run("expire", func(t *testing.T) {
		r := Reassembler{Timeout: time.Minute}
		r.Add(part("A", 100, 4, 2, "x"), t0.Add(10*time.Second))
		r.Add(part("B", 7, 3, 1, "x"), t0)
		r.Add(part("C", 1, 2, 1, "x"), t0.Add(2*time.Minute))
		got := r.Expire(t0.Add(90 * time.Second))
		want := []Incomplete{
			{Phone: "B", MsgID: MsgParamsResponse, FirstSerial: 7, Total: 3, Missing: []uint16{2, 3}},
			{Phone: "A", MsgID: MsgParamsResponse, FirstSerial: 99, Total: 4, Missing: []uint16{1, 3, 4}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Expire = %+v", got)
		}
		if r.Pending() != 1 || r.bytes != 1 {
			t.Fatalf("left %d pending, %d bytes", r.Pending(), r.bytes)
		}
	})
	t.Run("retries then drop", func(t *testing.T) {
		r := Reassembler{Timeout: time.Minute, Retries: 2}
		r.Add(part("A", 10, 3, 1, "x"), t0)
		if m := r.Missing(part("A", 10, 3, 1, "").Header); !reflect.DeepEqual(m, []uint16{2, 3}) {
			t.Fatalf("Missing = %v", m)
		}
		ask := Incomplete{Phone: "A", MsgID: MsgParamsResponse, FirstSerial: 10, Total: 3, Missing: []uint16{2, 3}, Retry: true}
		at := t0
		for i := 0; i < 2; i++ {
			at = at.Add(61 * time.Second)
			if got := r.Expire(at); !reflect.DeepEqual(got, []Incomplete{ask}) {
				t.Fatalf("retry %d: Expire = %+v", i+1, got)
			}
			if got := r.Expire(at.Add(30 * time.Second)); len(got) != 0 {
				t.Fatalf("retry %d restarts the clock: Expire = %+v", i+1, got)
			}
		}
		r.Add(part("A", 12, 3, 3, "z"), at)
		ask.Missing, ask.Retry = []uint16{2}, false
		if got := r.Expire(at.Add(61 * time.Second)); !reflect.DeepEqual(got, []Incomplete{ask}) || r.Pending() != 0 || r.bytes != 0 {
			t.Fatalf("drop: Expire = %+v, %d pending, %d bytes", got, r.Pending(), r.bytes)
		}
		if m := r.Missing(part("A", 10, 3, 1, "").Header); m != nil {
			t.Fatalf("Missing after drop = %v", m)
		}
	})
}
