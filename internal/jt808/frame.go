package jt808

import (
	"bufio"
	"bytes"
	"fmt"
)

// Framing (JT/T 808-2013 §4.4.1 / 2019 §4.4.1, as reproduced in
// AIPorto/GPS-Tracker-SDK G10LS_Protocol.md §1.4.2 and SmallChi/JT808
// README): a frame is 0x7e, header, body, check code, 0x7e. Inside the frame
// 0x7e is sent as 0x7d 0x02 and 0x7d as 0x7d 0x01. The check code is the XOR
// of every header and body byte, computed before escaping.
const (
	flagByte   = 0x7e
	escapeByte = 0x7d

	// MaxBodyLen is the largest body one packet can carry: the body length
	// is a 10-bit field of the header's body attributes.
	MaxBodyLen = 1<<10 - 1

	minHeaderLen = 12 // 2011/2013 header without sub-package fields
	maxHeaderLen = 21 // 2019 header with sub-package fields

	// MaxFrameLen is the largest possible escaped frame including both flag
	// bytes: a 21-byte header, a 1023-byte body and the check code, every
	// byte escaped. It is the default limit of Split.
	MaxFrameLen = 2*(maxHeaderLen+MaxBodyLen+1) + 2
)

// checksum returns the XOR of all bytes of b.
func checksum(b []byte) byte {
	var c byte
	for _, x := range b {
		c ^= x
	}
	return c
}

// unescape appends the unescaped form of src (the bytes between the flags)
// to dst.
func unescape(dst, src []byte) ([]byte, error) {
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c != escapeByte {
			dst = append(dst, c)
			continue
		}
		if i+1 >= len(src) {
			return dst, fmt.Errorf("%w: 0x7d at end of frame", ErrEscape)
		}
		i++
		switch src[i] {
		case 0x01:
			dst = append(dst, escapeByte)
		case 0x02:
			dst = append(dst, flagByte)
		default:
			return dst, fmt.Errorf("%w: 0x7d 0x%02x at offset %d", ErrEscape, src[i], i)
		}
	}
	return dst, nil
}

// escapedLen returns the length of b after escaping.
func escapedLen(b []byte) int {
	n := len(b)
	for _, c := range b {
		if c == flagByte || c == escapeByte {
			n++
		}
	}
	return n
}

// appendEscaped appends the escaped form of b to dst.
func appendEscaped(dst, b []byte) []byte {
	for _, c := range b {
		dst = appendEscapedByte(dst, c)
	}
	return dst
}

func appendEscapedByte(dst []byte, c byte) []byte {
	switch c {
	case flagByte:
		return append(dst, escapeByte, 0x02)
	case escapeByte:
		return append(dst, escapeByte, 0x01)
	}
	return append(dst, c)
}

// Split is a bufio.SplitFunc that returns one JT/T 808 frame per token,
// including both 0x7e flags and still escaped; pass the token to Decode.
// Bytes before a frame's opening flag are discarded. A frame longer than
// MaxFrameLen (escaped, with flags) stops the scan with ErrFrameTooLarge, so
// a peer that never sends a closing flag cannot make the caller buffer
// without bound. Data ending inside a frame is reported as ErrTruncated.
//
// Two adjacent flags (0x7e 0x7e) are read as the end of one frame followed
// by the start of the next, so an empty "frame" never becomes a token.
//
// When used with a bufio.Scanner, make the scanner's buffer at least as large
// as the frame limit (scanner.Buffer(buf, MaxFrameLen)).
func Split(data []byte, atEOF bool) (advance int, token []byte, err error) {
	return splitFrame(data, atEOF, MaxFrameLen)
}

// NewSplitFunc returns a split function like Split with a different frame
// size limit (escaped length including both flags). A limit below the
// smallest possible frame (15 bytes) or above MaxFrameLen is replaced by
// MaxFrameLen.
func NewSplitFunc(maxFrameLen int) bufio.SplitFunc {
	if maxFrameLen < minHeaderLen+3 || maxFrameLen > MaxFrameLen {
		maxFrameLen = MaxFrameLen
	}
	return func(data []byte, atEOF bool) (int, []byte, error) {
		return splitFrame(data, atEOF, maxFrameLen)
	}
}

func splitFrame(data []byte, atEOF bool, limit int) (int, []byte, error) {
	start := bytes.IndexByte(data, flagByte)
	if start < 0 {
		// No frame in sight: all of it is noise.
		return len(data), nil, nil
	}
	for {
		end := bytes.IndexByte(data[start+1:], flagByte)
		if end < 0 {
			if len(data)-start > limit {
				return 0, nil, fmt.Errorf("%w: no closing flag within %d bytes", ErrFrameTooLarge, limit)
			}
			if atEOF {
				if len(data)-start == 1 {
					return len(data), nil, nil // a lone flag: nothing lost
				}
				return len(data), nil, fmt.Errorf("%w: %d bytes of an unfinished frame at end of input", ErrTruncated, len(data)-start)
			}
			// Drop the noise before the frame and wait for more data.
			return start, nil, nil
		}
		end += start + 1
		if end == start+1 {
			// 0x7e 0x7e: the first flag closed something we did not see
			// open; the second one opens the next frame.
			start = end
			continue
		}
		if n := end + 1 - start; n > limit {
			return 0, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, limit)
		}
		return end + 1, data[start : end+1], nil
	}
}
