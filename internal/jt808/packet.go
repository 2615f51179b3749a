package jt808

import (
	"bytes"
	"fmt"
	"slices"
)

// Packet is one decoded frame: its header and raw (unescaped) body.
type Packet struct {
	Header Header
	Body   []byte
}

// Decode decodes one frame as returned by Split: 0x7e, escaped header, body
// and check code, 0x7e. It unescapes, verifies the check code, parses the
// header and checks the body length against the header. The returned Body
// does not alias frame.
func Decode(frame []byte) (Packet, error) {
	if len(frame) < 2 || frame[0] != flagByte || frame[len(frame)-1] != flagByte {
		return Packet{}, fmt.Errorf("%w: frame must start and end with 0x7e", ErrFrame)
	}
	if len(frame) > MaxFrameLen {
		return Packet{}, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, len(frame), MaxFrameLen)
	}
	inner := frame[1 : len(frame)-1]
	if i := bytes.IndexByte(inner, flagByte); i >= 0 {
		return Packet{}, fmt.Errorf("%w: 0x7e inside frame at offset %d", ErrFrame, i+1)
	}
	buf, err := unescape(make([]byte, 0, len(inner)), inner)
	if err != nil {
		return Packet{}, err
	}
	if len(buf) < minHeaderLen+1 {
		return Packet{}, fmt.Errorf("%w: %d bytes after unescaping, a frame needs at least %d", ErrTruncated, len(buf), minHeaderLen+1)
	}
	data, cs := buf[:len(buf)-1], buf[len(buf)-1]
	if sum := checksum(data); sum != cs {
		return Packet{}, fmt.Errorf("%w: frame says 0x%02x, computed 0x%02x", ErrChecksum, cs, sum)
	}
	h, n, bodyLen, err := decodeHeader(data)
	if err != nil {
		return Packet{}, err
	}
	if got := len(data) - n; got != bodyLen {
		return Packet{}, fmt.Errorf("%w: header says %d bytes, frame has %d", ErrBodyLength, bodyLen, got)
	}
	return Packet{Header: h, Body: data[n:len(data):len(data)]}, nil
}

// Encode returns the frame for header h and body: header with the body
// length filled in, check code, escaping and flags. The body must not exceed
// MaxBodyLen bytes; see EncodeFragments.
func Encode(h Header, body []byte) ([]byte, error) {
	return AppendEncode(nil, h, body)
}

// AppendEncode is like Encode but appends the frame to dst.
func AppendEncode(dst []byte, h Header, body []byte) ([]byte, error) {
	var hb [maxHeaderLen]byte
	hdr, err := appendHeader(hb[:0], &h, len(body))
	if err != nil {
		return dst, err
	}
	cs := checksum(hdr) ^ checksum(body)
	n := 2 + escapedLen(hdr) + escapedLen(body) + 1
	if cs == flagByte || cs == escapeByte {
		n++
	}
	dst = slices.Grow(dst, n)
	dst = append(dst, flagByte)
	dst = appendEscaped(dst, hdr)
	dst = appendEscaped(dst, body)
	dst = appendEscapedByte(dst, cs)
	return append(dst, flagByte), nil
}

// EncodeFragments splits body into parts of at most partLen bytes (at most
// MaxBodyLen; 0 means MaxBodyLen) and returns one frame per part. Part i
// (from 1) is sent with serial h.Serial+i-1, as the standard requires
// consecutive serial numbers for the parts of one message.
func EncodeFragments(h Header, body []byte, partLen int) ([][]byte, error) {
	if partLen <= 0 || partLen > MaxBodyLen {
		partLen = MaxBodyLen
	}
	total := (len(body) + partLen - 1) / partLen
	if total == 0 {
		total = 1
	}
	if total > 0xffff {
		return nil, fmt.Errorf("%w: %d parts", ErrBodyTooLarge, total)
	}
	frames := make([][]byte, 0, total)
	h.SubPackage, h.Total = true, uint16(total)
	first := h.Serial
	for i := 0; i < total; i++ {
		part := body[i*partLen : min(len(body), (i+1)*partLen)]
		h.Index, h.Serial = uint16(i+1), first+uint16(i)
		f, err := Encode(h, part)
		if err != nil {
			return nil, err
		}
		frames = append(frames, f)
	}
	return frames, nil
}
