package fleet_test

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
	"time"

	"govfleet/internal/errs"

	"govfleet/internal/fleet"
)

// pngBomb builds, row by row, a grayscale PNG of w×h zero pixels: a few
// hundred kilobytes of file for w·h bytes of canvas.
func pngBomb(t testing.TB, w, h int) []byte {
	t.Helper()
	var out bytes.Buffer
	out.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		_ = binary.Write(&out, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		crc.Write([]byte(typ))
		crc.Write(data)
		out.WriteString(typ)
		out.Write(data)
		_ = binary.Write(&out, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = 8, 0 // 8-bit grayscale
	chunk("IHDR", ihdr)
	var idat bytes.Buffer
	zw := zlib.NewWriter(&idat)
	row := make([]byte, w+1) // filter byte 0, then zeros
	for range h {
		_, _ = zw.Write(row)
	}
	_ = zw.Close()
	chunk("IDAT", idat.Bytes())
	chunk("IEND", nil)
	return out.Bytes()
}

// TestImageBombRefusedByHeader is issue 19's item 3: a 20,000×20,000 PNG
// (the vehicle photo and repair photo paths both go through checkImage) is
// refused from its header (its time is logged, not asserted: the machine may
// be busy), and the heap grows by less than 200 MB (it grew to 1.6 GB when
// the image was decoded first).
func TestImageBombRefusedByHeader(t *testing.T) {
	bomb := pngBomb(t, 20000, 20000)
	if len(bomb) > fleet.MaxPhotoBytes {
		t.Fatalf("bomb is %d bytes, over the byte cap: it would not test the pixel cap", len(bomb))
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	err := fleet.CheckImage(bomb)
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	growth := int64(after.TotalAlloc - before.TotalAlloc) // every byte allocated, freed or not
	t.Logf("bomb %d bytes: refused in %v, allocated %.1f MB", len(bomb), took, float64(growth)/(1<<20))
	var e *errs.Error
	if !errors.As(err, &e) || e.Fields["file"] == "" || !strings.Contains(e.Fields["file"], "尺寸过大（20000×20000像素）") {
		t.Fatalf("bomb not refused by its header: %v", err)
	}
	if growth > 200<<20 {
		t.Errorf("heap grew by %d MB, want under 200 MB", growth>>20)
	}
}
