package jt808

import (
	"testing"
	"time"
)

// BenchmarkDecodeLocation measures frame → decoded 0x0200 (SmallChi Demo1
// frame, with escapes and two additional items).
func BenchmarkDecodeLocation(b *testing.B) {
	frame := readFrames(b, "0200_2013.hex")[0]
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		p, err := Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		m, err := DecodeMessage(p.Header, p.Body)
		if err != nil {
			b.Fatal(err)
		}
		if m.(*Location).Mileage == nil {
			b.Fatal("no mileage")
		}
	}
}

// BenchmarkEncodeAck measures building the 0x8001 frame answering a
// location report.
func BenchmarkEncodeAck(b *testing.B) {
	h := Header{MsgID: MsgLocation, Version: V2013, Phone: "013912345678", Serial: 0x7e}
	b.ReportAllocs()
	for b.Loop() {
		ack := PlatformAck{ReplySerial: h.Serial, ReplyID: h.MsgID, Result: ResultOK}
		if _, err := EncodeMessage(h.Reply(MsgPlatformAck, 1), &ack); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkEncodeLocation measures building a 0x0200 frame as the
// simulator sends it (mileage, fuel, speed, signal and satellites, no
// decode order): every simulated report pays it.
func BenchmarkEncodeLocation(b *testing.B) {
	h := Header{MsgID: MsgLocation, Version: V2013, Phone: "013912345678", Serial: 0x7e}
	mileage, fuel, speed := uint32(123456), uint16(456), uint16(600)
	signal, sats := uint8(25), uint8(12)
	l := Location{Status: StatusACC | StatusLocated, Lat: 31780000, Lon: 119950000, Speed: 600, Direction: 90,
		Time: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC), Mileage: &mileage, Fuel: &fuel, RecorderSpeed: &speed,
		SignalStrength: &signal, Satellites: &sats}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := EncodeMessage(h, &l); err != nil {
			b.Fatal(err)
		}
	}
}
