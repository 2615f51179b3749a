package jt808

import (
	"encoding/binary"
	"fmt"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"govfleet/internal/beijing"
)

// reader reads big-endian fields from a body. The first read past the end
// records an ErrTruncated error; later reads return zero values, so a decoder
// can read all fields and check r.err once.
type reader struct {
	b   []byte
	off int
	err error
}

// take returns the next n bytes (aliasing the input) or nil.
func (r *reader) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.b)-r.off {
		r.err = fmt.Errorf("%w: need %d bytes at offset %d, %d left", ErrTruncated, n, r.off, len(r.b)-r.off)
		return nil
	}
	p := r.b[r.off : r.off+n : r.off+n]
	r.off += n
	return p
}

func (r *reader) u8() uint8 {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (r *reader) u16() uint16 {
	if p := r.take(2); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (r *reader) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (r *reader) left() int { return len(r.b) - r.off }

// rest returns all remaining bytes.
func (r *reader) rest() []byte { return r.take(r.left()) }

// fixedString reads a BYTE[n] string field.
func (r *reader) fixedString(n int) string {
	return decodeString(r.take(n))
}

// end returns the first error, or ErrTrailingData if bytes are left.
func (r *reader) end() error {
	if r.err == nil && r.off != len(r.b) {
		r.err = fmt.Errorf("%w: %d bytes at offset %d", ErrTrailingData, len(r.b)-r.off, r.off)
	}
	return r.err
}

func appendU16(dst []byte, v uint16) []byte { return binary.BigEndian.AppendUint16(dst, v) }
func appendU32(dst []byte, v uint32) []byte { return binary.BigEndian.AppendUint32(dst, v) }

// ---- strings (GBK on the wire) ----

func trimNUL(b []byte) []byte {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return b
}

func isASCII[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// decodeString converts a GBK field to UTF-8, dropping trailing 0x00 padding.
// Bytes that are not valid GBK become U+FFFD rather than failing the whole
// message: a garbled plate number should not hide the vehicle's position.
func decodeString(b []byte) string {
	b = trimNUL(b)
	if isASCII(b) {
		return string(b)
	}
	s, err := simplifiedchinese.GBK.NewDecoder().Bytes(b)
	if err != nil { // not expected: the GBK decoder substitutes U+FFFD
		return string(b)
	}
	return string(s)
}

// appendString appends s encoded as GBK.
func appendString(dst []byte, s string) ([]byte, error) {
	if isASCII(s) {
		return append(dst, s...), nil
	}
	g, err := simplifiedchinese.GBK.NewEncoder().String(s)
	if err != nil {
		return dst, fmt.Errorf("%w: %q cannot be encoded as GBK", ErrValue, s)
	}
	return append(dst, g...), nil
}

// appendFixedString appends s as a BYTE[n] field, padded with 0x00.
func appendFixedString(dst []byte, s string, n int, field string) ([]byte, error) {
	start := len(dst)
	dst, err := appendString(dst, s)
	if err != nil {
		return dst[:start], fmt.Errorf("%s: %w", field, err)
	}
	if l := len(dst) - start; l > n {
		return dst[:start], fmt.Errorf("%w: %s is %d bytes, the field holds %d", ErrFieldTooLong, field, l, n)
	}
	for len(dst)-start < n {
		dst = append(dst, 0)
	}
	return dst, nil
}

// ---- BCD ----

// decodeBCD returns the decimal digits of b, two per byte, high nibble first.
func decodeBCD(b []byte) (string, error) {
	var buf [32]byte
	if 2*len(b) > len(buf) {
		return "", fmt.Errorf("%w: %d bytes is too long", ErrBCD, len(b))
	}
	for i, c := range b {
		hi, lo := c>>4, c&0x0f
		if hi > 9 || lo > 9 {
			return "", fmt.Errorf("%w: byte 0x%02x at offset %d", ErrBCD, c, i)
		}
		buf[2*i], buf[2*i+1] = '0'+hi, '0'+lo
	}
	return string(buf[:2*len(b)]), nil
}

// appendBCD appends digits as n BCD bytes, left-padded with zeros.
func appendBCD(dst []byte, digits string, n int) ([]byte, error) {
	if len(digits) > 2*n {
		return dst, fmt.Errorf("%w: %d digits, at most %d fit", ErrValue, len(digits), 2*n)
	}
	for i := 0; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return dst, fmt.Errorf("%w: %q is not all decimal digits", ErrBCD, digits)
		}
	}
	pad := 2*n - len(digits)
	digit := func(k int) byte {
		if k < pad {
			return 0
		}
		return digits[k-pad] - '0'
	}
	for i := 0; i < n; i++ {
		dst = append(dst, digit(2*i)<<4|digit(2*i+1))
	}
	return dst, nil
}

// ---- BCD time ----

// decodeTime parses BCD[6] YYMMDDhhmmss (Beijing time: "GMT+8 时间，本标准中
// 之后涉及的时间均采用此时区", 2013 table 23) and returns it in UTC.
// All zeros, which terminals send before their clock is set, is the zero
// time.Time.
func decodeTime(b []byte) (time.Time, error) {
	if len(b) != 6 {
		return time.Time{}, fmt.Errorf("%w: time needs 6 bytes, have %d", ErrTruncated, len(b))
	}
	var f [6]int
	zero := true
	for i, c := range b {
		hi, lo := c>>4, c&0x0f
		if hi > 9 || lo > 9 {
			return time.Time{}, fmt.Errorf("%w: time byte 0x%02x at offset %d", ErrBCD, c, i)
		}
		f[i] = int(hi)*10 + int(lo)
		zero = zero && c == 0
	}
	if zero {
		return time.Time{}, nil
	}
	if f[1] < 1 || f[1] > 12 || f[2] < 1 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59 {
		return time.Time{}, fmt.Errorf("%w: time %x out of range", ErrValue, b)
	}
	t := time.Date(2000+f[0], time.Month(f[1]), f[2], f[3], f[4], f[5], 0, beijing.Zone)
	if t.Day() != f[2] { // e.g. 30 February
		return time.Time{}, fmt.Errorf("%w: time %x is not a calendar date", ErrValue, b)
	}
	return t.UTC(), nil
}

// appendTime appends t as BCD[6] Beijing time. The zero time encodes as all
// zeros.
func appendTime(dst []byte, t time.Time) ([]byte, error) {
	if t.IsZero() {
		return append(dst, 0, 0, 0, 0, 0, 0), nil
	}
	t = t.In(beijing.Zone)
	if t.Year() < 2000 || t.Year() > 2099 {
		return dst, fmt.Errorf("%w: year %d cannot be sent as two BCD digits", ErrValue, t.Year())
	}
	bcd := func(v int) byte { return byte(v/10)<<4 | byte(v%10) }
	return append(dst, bcd(t.Year()-2000), bcd(int(t.Month())), bcd(t.Day()),
		bcd(t.Hour()), bcd(t.Minute()), bcd(t.Second())), nil
}
