package jt808

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

// rawFrame builds a frame around unescaped header+body bytes (given as hex)
// with a correct check code, so tests can feed malformed headers and bodies
// past the framing checks.
func rawFrame(hexData string) []byte {
	d, err := hex.DecodeString(strings.ReplaceAll(hexData, " ", ""))
	if err != nil {
		panic(err)
	}
	d = append(d, checksum(d))
	return append(appendEscaped([]byte{flagByte}, d), flagByte)
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestDecodeBadFrames(t *testing.T) {
	good := rawFrame("0002 0000 013912345678 0001")
	badSum := bytes.Clone(good)
	badSum[len(badSum)-2] ^= 0xff
	huge := append([]byte{flagByte}, bytes.Repeat([]byte{0x30}, MaxFrameLen)...)
	huge = append(huge, flagByte)

	tests := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrFrame},
		{"single flag", []byte{flagByte}, ErrFrame},
		{"no closing flag", good[:len(good)-1], ErrFrame},
		{"no opening flag", good[1:], ErrFrame},
		{"flag inside", append(append(bytes.Clone(good[:5]), flagByte), good[5:]...), ErrFrame},
		{"bad escape", mustHex("7e 0002 0000 7d03 0139123456780001 00 7e"), ErrEscape},
		{"escape at end", mustHex("7e 0002 0000 013912345678 0001 7d 7e"), ErrEscape},
		{"bad check code", badSum, ErrChecksum},
		{"truncated header", rawFrame("0002 0000 0139"), ErrTruncated},
		{"truncated 2013 header", rawFrame("0002 0000 013912345678 00"), ErrTruncated},
		{"truncated 2019 header", rawFrame("0002 4000 01 0000000001391234567 8"), ErrTruncated},
		{"sub-package fields missing", rawFrame("0002 2000 013912345678 0001 0002"), ErrTruncated},
		{"body shorter than header says", rawFrame("0001 0005 013912345678 0001 000100"), ErrBodyLength},
		{"body longer than header says", rawFrame("0002 0000 013912345678 0001 00"), ErrBodyLength},
		{"sub-package index 0", rawFrame("0002 2000 013912345678 0001 0002 0000"), ErrSubPackage},
		{"sub-package index past total", rawFrame("0002 2000 013912345678 0001 0002 0003"), ErrSubPackage},
		{"bad BCD phone", rawFrame("0002 0000 01391234567A 0001"), ErrBCD},
		{"oversized frame", huge, ErrFrameTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(tt.frame)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode() error = %v, want %v", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "jt808: ") && !strings.Contains(err.Error(), ": jt808: ") {
				t.Errorf("error %q does not say where it comes from", err)
			}
		})
	}
	if _, err := Decode(good); err != nil {
		t.Fatalf("control frame: %v", err)
	}
}

func TestDecodeBadBodies(t *testing.T) {
	loc := "00000000 00000003 01CDF225 07296BBE 000C 0000 0000 240315071000"
	tests := []struct {
		name string
		id   uint16
		v    Version
		body string
		want error
	}{
		{"location too short", MsgLocation, V2013, loc[:len(loc)-2], ErrTruncated},
		{"location bad BCD time", MsgLocation, V2013, strings.Replace(loc, "240315071000", "24031507100A", 1), ErrBCD},
		{"location month 13", MsgLocation, V2013, strings.Replace(loc, "240315071000", "241315071000", 1), ErrValue},
		{"location 30 February", MsgLocation, V2013, strings.Replace(loc, "240315071000", "240230071000", 1), ErrValue},
		{"location item longer than body", MsgLocation, V2013, loc + "01 04 0000", ErrTruncated},
		{"location dangling item ID", MsgLocation, V2013, loc + "01", ErrTruncated},
		{"batch count exceeds items", MsgLocationBatch, V2013, "0003 01 001C" + loc, ErrTruncated},
		{"batch trailing bytes", MsgLocationBatch, V2013, "0001 01 001C" + loc + "00", ErrTrailingData},
		{"batch item length past end", MsgLocationBatch, V2013, "0001 01 FFFF" + loc, ErrTruncated},
		{"batch bad item", MsgLocationBatch, V2013, "0001 01 001B" + loc[:len(loc)-2], ErrTruncated},
		{"answer without location", MsgLocationResponse, V2013, "0001", ErrTruncated},
		{"params count exceeds items", MsgParamsResponse, V2013, "0001 05 00000001 04 0000000A", ErrTruncated},
		{"param value past end", MsgSetParams, V2013, "01 00000001 FF 00", ErrTruncated},
		{"set params trailing", MsgSetParams, V2013, "01 00000001 01 00 99", ErrTrailingData},
		{"ack too short", MsgTerminalAck, V2013, "0001 0002", ErrTruncated},
		{"ack too long", MsgPlatformAck, V2013, "0001 0002 00 00", ErrTrailingData},
		{"heartbeat with body", MsgHeartbeat, V2013, "00", ErrTrailingData},
		{"register 2013 too short", MsgRegister, V2013, "0000 0000 3132333435", ErrTruncated},
		{"register 2019 too short", MsgRegister, V2019, "0000 0000" + strings.Repeat("30", 40), ErrTruncated},
		{"auth 2019 code length past end", MsgAuth, V2019, "C8 3132", ErrTruncated},
		{"auth 2019 IMEI missing", MsgAuth, V2019, "02 3132", ErrTruncated},
		{"register answer too short", MsgRegisterResponse, V2013, "0001", ErrTruncated},
		{"tracking truncated validity", MsgTrackingControl, V2013, "0045 0000", ErrTruncated},
		{"text without flag", MsgText, V2013, "", ErrTruncated},
		{"text 2019 without type", MsgText, V2019, "05", ErrTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := Header{MsgID: tt.id, Version: tt.v, Phone: "013912345678"}
			_, err := DecodeMessage(h, mustHex(tt.body))
			if !errors.Is(err, tt.want) {
				t.Fatalf("DecodeMessage() error = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), "decode 0x") {
				t.Errorf("error %q does not name the message", err)
			}
		})
	}
}

func TestDecodeMessageRefusals(t *testing.T) {
	h := Header{MsgID: MsgLocation, Version: V2013, Phone: "013912345678"}
	tests := []struct {
		name string
		h    Header
		want error
	}{
		{"unknown ID", Header{MsgID: 0x0901, Version: V2013}, ErrUnknownMessage},
		{"encrypted", func() Header { h := h; h.Encryption = EncryptionRSA; return h }(), ErrEncrypted},
		{"sub-package", func() Header { h := h; h.SubPackage, h.Total, h.Index = true, 2, 1; return h }(), ErrFragmented},
		{"no version", Header{MsgID: MsgText}, ErrVersion},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := DecodeMessage(tt.h, []byte{1, 2, 3}); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	h := Header{MsgID: MsgText, Version: V2013, Phone: "13912345678"}
	tests := []struct {
		name string
		do   func() error
		want error
	}{
		{"body too large", func() error { _, err := Encode(h, make([]byte, MaxBodyLen+1)); return err }, ErrBodyTooLarge},
		{"phone not digits", func() error { h := h; h.Phone = "1391234567X"; _, err := Encode(h, nil); return err }, ErrBCD},
		{"phone too long", func() error { h := h; h.Phone = "1234567890123"; _, err := Encode(h, nil); return err }, ErrValue},
		{"no version", func() error { h := h; h.Version = 0; _, err := Encode(h, nil); return err }, ErrVersion},
		{"encryption out of range", func() error { h := h; h.Encryption = 8; _, err := Encode(h, nil); return err }, ErrValue},
		{"sub-package index 0", func() error {
			h := h
			h.SubPackage, h.Total = true, 2
			_, err := Encode(h, nil)
			return err
		}, ErrSubPackage},
		{"maker too long", func() error {
			_, err := EncodeMessage(h, &Register{Maker: "123456"})
			return err
		}, ErrFieldTooLong},
		{"text not GBK", func() error { _, err := EncodeMessage(h, &Text{Text: "车辆🚗"}); return err }, ErrValue},
		{"text too long", func() error {
			_, err := EncodeBody(&Text{Text: strings.Repeat("车", 513)}, V2013)
			return err
		}, ErrFieldTooLong},
		{"location year 1999", func() error {
			_, err := EncodeMessage(h, &Location{Time: time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC)})
			return err
		}, ErrValue},
		{"extra item too long", func() error {
			_, err := EncodeBody(&Location{Extras: []Extra{{ID: 0xe1, Data: make([]byte, 256)}}}, V2013)
			return err
		}, ErrFieldTooLong},
		{"too many params", func() error {
			_, err := EncodeBody(&SetParams{Params: make([]Param, 256)}, V2013)
			return err
		}, ErrValue},
		{"auth code too long", func() error {
			_, err := EncodeBody(&Auth{Code: strings.Repeat("a", 256)}, V2019)
			return err
		}, ErrFieldTooLong},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.do(); !errors.Is(err, tt.want) {
				t.Fatalf("error = %v, want %v", err, tt.want)
			}
		})
	}
}
