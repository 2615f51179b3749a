package gateway

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	"govfleet/internal/jt808"
)

// FrameReader cuts a byte stream into JT/T 808 frames with jt808's split
// function. Unlike a bufio.Scanner it survives read timeouts (a partial
// frame stays buffered), counts the bytes that were not part of any frame,
// and starts with a small buffer that grows only up to the frame limit, so
// an idle connection costs little memory.
type FrameReader struct {
	// MaxNoise, when positive, is the number of bytes outside frames
	// tolerated between two frames; Next reports ErrNoise beyond it.
	MaxNoise int64

	r          io.Reader
	split      bufio.SplitFunc
	max        int
	buf        []byte
	start, end int
	noise      int64
	sinceFrame int64
}

// ErrNoise reports more bytes outside frames than FrameReader.MaxNoise.
var ErrNoise = errors.New("gateway: too many bytes outside JT/T 808 frames")

const initialReadBuffer = 256

// NewFrameReader reads frames of at most maxFrameLen escaped bytes
// (jt808.MaxFrameLen when 0 or out of range) from r.
func NewFrameReader(r io.Reader, maxFrameLen int) *FrameReader {
	if maxFrameLen <= 0 || maxFrameLen > jt808.MaxFrameLen {
		maxFrameLen = jt808.MaxFrameLen
	}
	return &FrameReader{r: r, split: jt808.NewSplitFunc(maxFrameLen), max: maxFrameLen}
}

// Next returns the next frame, still escaped, flags included. The slice is
// valid until the next call. A frame longer than the limit is reported as
// jt808.ErrFrameTooLarge; read errors (timeouts included) are returned as
// they are and Next may be called again after a timeout.
func (f *FrameReader) Next() ([]byte, error) {
	for {
		if f.end > f.start {
			adv, tok, err := f.split(f.buf[f.start:f.end], false)
			if err != nil {
				return nil, err
			}
			if tok != nil {
				f.noise += int64(adv - len(tok))
				f.start += adv
				f.sinceFrame = 0
				return tok, nil
			}
			f.noise += int64(adv)
			f.sinceFrame += int64(adv)
			f.start += adv
			if f.MaxNoise > 0 && f.sinceFrame > f.MaxNoise {
				return nil, fmt.Errorf("%w: %d bytes", ErrNoise, f.sinceFrame)
			}
		}
		if f.start == f.end {
			f.start, f.end = 0, 0
		} else if f.start > 0 {
			copy(f.buf, f.buf[f.start:f.end])
			f.end -= f.start
			f.start = 0
		}
		if f.end == len(f.buf) {
			// One byte more than the limit lets the split function see
			// that a frame is too long.
			n := min(max(2*len(f.buf), initialReadBuffer), f.max+1)
			if n == len(f.buf) {
				return nil, jt808.ErrFrameTooLarge
			}
			nb := make([]byte, n)
			copy(nb, f.buf[:f.end])
			f.buf = nb
		}
		n, err := f.r.Read(f.buf[f.end:])
		f.end += n
		if err != nil && n == 0 {
			return nil, err
		}
	}
}

// Noise returns the number of bytes skipped so far because they were
// outside any frame.
func (f *FrameReader) Noise() int64 { return f.noise }

// Buffered returns the number of bytes read but not yet returned.
func (f *FrameReader) Buffered() int { return f.end - f.start }
