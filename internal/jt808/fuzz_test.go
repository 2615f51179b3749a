package jt808

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"reflect"
	"testing"
	"time"
)

// goldenFrames returns every frame of the golden files (fuzz seeds).
func goldenFrames(f *testing.F) [][]byte {
	var out [][]byte
	for _, g := range goldens {
		out = append(out, readFrames(f, g.file)...)
	}
	return out
}

// FuzzDecode decodes arbitrary frames and checks that whatever decodes
// re-encodes to something that decodes to the same value.
func FuzzDecode(f *testing.F) {
	for _, fr := range goldenFrames(f) {
		f.Add(fr)
	}
	f.Add(rawFrame("0200 001C 013912345678 0001 00000000 00000003 01CDF225 07296BBE 000C 0000 0000 240230071000"))
	f.Add(rawFrame("0704 0005 013912345678 0001 FFFF 01 FFFF"))
	f.Add(rawFrame("0104 2004 013912345678 0001 0002 0001 0001 FF"))
	// Issue 20: counts larger than the data, a 0x0801 cut inside its location.
	f.Add(rawFrame("8800 0007 013912345678 0001 00000008 FF 0002"))
	f.Add(rawFrame("8003 0005 013912345678 0001 0120 FF 0002"))
	f.Add(rawFrame("0801 000C 013912345678 0001 00000008 00000001 00000000"))
	f.Add(rawFrame("0107 0008 013912345678 0001 0005 3730313131"))
	f.Fuzz(func(t *testing.T, frame []byte) {
		p, err := Decode(frame)
		if err != nil {
			return
		}
		re, err := Encode(p.Header, p.Body)
		if err != nil {
			t.Fatalf("Encode of a decoded packet failed: %v\nheader %+v", err, p.Header)
		}
		p2, err := Decode(re)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("packet round trip: %v\n got %+v\nwant %+v", err, p2, p)
		}

		var r Reassembler
		if _, _, err := r.Add(p, time.Time{}); err != nil && !errors.Is(err, ErrReassemblyLimit) {
			t.Fatalf("Reassembler rejected a decoded packet: %v", err)
		}

		m, err := DecodeMessage(p.Header, p.Body)
		if err != nil {
			return
		}
		v := p.Header.Version
		if p.Header.MsgID == MsgRegister {
			v = DetectRegisterVersion(p.Body, v)
		}
		body, err := m.AppendBody(nil, v)
		if err != nil {
			return // e.g. text that was not valid GBK cannot be sent back
		}
		m2 := NewMessage(p.Header.MsgID)
		if err := m2.Decode(body, v); err != nil {
			t.Fatalf("re-encoded body does not decode: %v\nmessage %+v\nbody %X", err, m, body)
		}
		if a, b := stripOrder(m), stripOrder(m2); !reflect.DeepEqual(a, b) {
			t.Fatalf("message round trip\n got %+v\nwant %+v", b, a)
		}
		body2, err := m2.AppendBody(nil, v)
		if err != nil || !bytes.Equal(body, body2) {
			t.Fatalf("encoding not stable: %v\n%X\n%X", err, body, body2)
		}
	})
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	b []byte
	n int
}

func (r *chunkReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), r.n)], r.b)
	r.b = r.b[n:]
	return n, nil
}

func scanAll(r io.Reader, split bufio.SplitFunc, limit int) ([][]byte, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 16), 4*limit)
	sc.Split(split)
	var out [][]byte
	for sc.Scan() {
		out = append(out, bytes.Clone(sc.Bytes()))
	}
	return out, sc.Err()
}

// FuzzSplit checks that the split function yields well-formed frames within
// the limit, and the same frames however the input is chunked.
func FuzzSplit(f *testing.F) {
	var all []byte
	for _, fr := range goldenFrames(f) {
		f.Add(fr, uint8(3))
		all = append(append(all, "\x00\x7e"...), fr...)
	}
	f.Add(all, uint8(0))
	f.Add([]byte("\x7e\x7e\x7e\x7d\x7e"), uint8(1))
	f.Add(append([]byte{0x7e}, make([]byte, 300)...), uint8(200))
	f.Fuzz(func(t *testing.T, data []byte, c uint8) {
		limit := 15 + int(c)*4
		split := NewSplitFunc(limit)
		whole, err1 := scanAll(bytes.NewReader(data), split, limit)
		chunked, err2 := scanAll(&chunkReader{b: data, n: 1 + int(c)%7}, split, limit)
		if !reflect.DeepEqual(whole, chunked) {
			t.Fatalf("chunking changed the frames:\n%X\n%X", whole, chunked)
		}
		for _, want := range []error{ErrFrameTooLarge, ErrTruncated} {
			if errors.Is(err1, want) != errors.Is(err2, want) {
				t.Fatalf("chunking changed the error: %v / %v", err1, err2)
			}
		}
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("chunking changed the error: %v / %v", err1, err2)
		}
		for _, fr := range whole {
			if len(fr) < 3 || len(fr) > limit || fr[0] != flagByte || fr[len(fr)-1] != flagByte ||
				bytes.IndexByte(fr[1:len(fr)-1], flagByte) >= 0 {
				t.Fatalf("bad frame %X (limit %d)", fr, limit)
			}
			Decode(fr) // must not panic
		}
	})
}
