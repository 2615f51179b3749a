package jt808

import (
	"encoding/binary"
	"fmt"
	"strconv"
)

// Version is an edition of the JT/T 808 standard.
type Version uint16

// The supported editions. The zero Version is invalid.
const (
	V2011 Version = 2011
	V2013 Version = 2013
	V2019 Version = 2019
)

func (v Version) String() string {
	switch v {
	case V2011, V2013, V2019:
		return "JT/T 808-" + strconv.Itoa(int(v))
	}
	return "jt808.Version(" + strconv.Itoa(int(v)) + ")"
}

func (v Version) check() error {
	switch v {
	case V2011, V2013, V2019:
		return nil
	}
	return fmt.Errorf("%w: %d", ErrVersion, uint16(v))
}

// Body attribute bits (消息体属性, 2013 figure 2 / 2019 figure 2; see the
// hylexus xtream-codec "custom-protocol-sample-02" page and SmallChi/JT808
// README "JT808HeaderMessageBodyProperty").
const (
	attrLenMask     = 0x03ff // bits 0-9: body length
	attrEncShift    = 10     // bits 10-12: encryption, bit 10 = RSA
	attrEncMask     = 0x7 << attrEncShift
	attrSubPackage  = 1 << 13 // header carries total/index
	attrVersionFlag = 1 << 14 // 2019 only: header carries version + 10-byte phone
)

// EncryptionRSA is the Header.Encryption value of an RSA-encrypted body.
const EncryptionRSA = 1

// Header is a JT/T 808 message header (消息头).
type Header struct {
	// MsgID is the message ID (消息ID), e.g. 0x0200.
	MsgID uint16
	// Version is V2019 when the version flag (bit 14) is set and V2013
	// otherwise; 2011 terminals share the 2013 header and also decode as
	// V2013. On encode V2011 and V2013 produce the 2013 layout.
	Version Version
	// ProtocolVersion is the 2019 protocol version byte (协议版本号, 1 for
	// the first 2019 revision). It is not on the wire for 2011/2013.
	ProtocolVersion uint8
	// Encryption holds body attribute bits 10-12 (0: plain, 1: RSA).
	Encryption uint8
	// Phone is the terminal phone number (终端手机号) as BCD digits: 12 for
	// 2011/2013, 20 for 2019, leading zeros included. On encode shorter
	// values are left-padded with zeros.
	Phone string
	// Serial is the message serial number (消息流水号).
	Serial uint16
	// SubPackage is body attribute bit 13: the body is one part of a long
	// message, Index of Total (counted from 1).
	SubPackage bool
	Total      uint16
	Index      uint16
}

// Reply returns the header for a message answering h: same terminal and
// edition, the given ID and serial, no encryption, not sub-packaged.
func (h Header) Reply(msgID, serial uint16) Header {
	return Header{
		MsgID:           msgID,
		Version:         h.Version,
		ProtocolVersion: h.ProtocolVersion,
		Phone:           h.Phone,
		Serial:          serial,
	}
}

// phoneBytes returns the BCD length of the phone number for an edition.
func phoneBytes(v Version) int {
	if v == V2019 {
		return 10
	}
	return 6
}

// headerLen returns the encoded header length.
func (h *Header) headerLen() int {
	n := minHeaderLen
	if h.Version == V2019 {
		n = 17
	}
	if h.SubPackage {
		n += 4
	}
	return n
}

// decodeHeader parses the header at the start of b (unescaped, without the
// check code) and returns it with its length and the body length from the
// body attributes.
func decodeHeader(b []byte) (h Header, n, bodyLen int, err error) {
	if len(b) < 4 {
		return h, 0, 0, fmt.Errorf("%w: header needs at least 4 bytes, have %d", ErrTruncated, len(b))
	}
	h.MsgID = binary.BigEndian.Uint16(b)
	attr := binary.BigEndian.Uint16(b[2:])
	bodyLen = int(attr & attrLenMask)
	h.Encryption = uint8((attr & attrEncMask) >> attrEncShift)
	h.SubPackage = attr&attrSubPackage != 0
	h.Version = V2013
	if attr&attrVersionFlag != 0 {
		h.Version = V2019
	}
	n = h.headerLen()
	if len(b) < n {
		return h, 0, 0, fmt.Errorf("%w: %s header with sub-package=%t needs %d bytes, have %d", ErrTruncated, h.Version, h.SubPackage, n, len(b))
	}
	off := 4
	if h.Version == V2019 {
		h.ProtocolVersion = b[off]
		off++
	}
	pn := phoneBytes(h.Version)
	if h.Phone, err = decodeBCD(b[off : off+pn]); err != nil {
		return h, 0, 0, fmt.Errorf("phone number: %w", err)
	}
	off += pn
	h.Serial = binary.BigEndian.Uint16(b[off:])
	off += 2
	if h.SubPackage {
		h.Total = binary.BigEndian.Uint16(b[off:])
		h.Index = binary.BigEndian.Uint16(b[off+2:])
		if h.Total == 0 || h.Index == 0 || h.Index > h.Total {
			return h, 0, 0, fmt.Errorf("%w: part %d of %d", ErrSubPackage, h.Index, h.Total)
		}
	}
	return h, n, bodyLen, nil
}

// appendHeader appends the encoded header for a body of bodyLen bytes.
func appendHeader(dst []byte, h *Header, bodyLen int) ([]byte, error) {
	if err := h.Version.check(); err != nil {
		return dst, err
	}
	if bodyLen > MaxBodyLen {
		return dst, fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, bodyLen)
	}
	if h.Encryption > 7 {
		return dst, fmt.Errorf("%w: encryption %d does not fit in 3 bits", ErrValue, h.Encryption)
	}
	if h.SubPackage && (h.Total == 0 || h.Index == 0 || h.Index > h.Total) {
		return dst, fmt.Errorf("%w: index %d of %d", ErrSubPackage, h.Index, h.Total)
	}
	attr := uint16(bodyLen) | uint16(h.Encryption)<<attrEncShift
	if h.SubPackage {
		attr |= attrSubPackage
	}
	dst = binary.BigEndian.AppendUint16(dst, h.MsgID)
	if h.Version == V2019 {
		attr |= attrVersionFlag
		dst = binary.BigEndian.AppendUint16(dst, attr)
		dst = append(dst, h.ProtocolVersion)
	} else {
		dst = binary.BigEndian.AppendUint16(dst, attr)
	}
	dst, err := appendBCD(dst, h.Phone, phoneBytes(h.Version))
	if err != nil {
		return dst, fmt.Errorf("phone number: %w", err)
	}
	dst = binary.BigEndian.AppendUint16(dst, h.Serial)
	if h.SubPackage {
		dst = binary.BigEndian.AppendUint16(dst, h.Total)
		dst = binary.BigEndian.AppendUint16(dst, h.Index)
	}
	return dst, nil
}
