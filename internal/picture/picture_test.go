package picture

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"

	"govfleet/internal/errs"
)

// pngHeader is a PNG that stops after its header: all DecodeConfig reads.
func pngHeader(w, h int, depth, colorType byte) []byte {
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], uint32(w))
	binary.BigEndian.PutUint32(ihdr[4:], uint32(h))
	ihdr[8], ihdr[9] = depth, colorType
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	_ = binary.Write(&b, binary.BigEndian, uint32(len(ihdr)))
	b.WriteString("IHDR")
	b.Write(ihdr)
	_ = binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

func fieldMsg(err error) string {
	if e, ok := err.(*errs.Error); ok {
		return e.Fields["photo"]
	}
	return ""
}

func TestCheck(t *testing.T) {
	var small bytes.Buffer
	_ = png.Encode(&small, image.NewGray(image.Rect(0, 0, 40, 30)))
	info, err := Check("photo", "照片", small.Bytes())
	if err != nil || info.ContentType != "image/png" || info.Width != 40 || info.Height != 30 {
		t.Fatalf("small PNG: %+v %v", info, err)
	}
	if _, _, err := Decode("photo", "照片", small.Bytes()); err != nil {
		t.Fatalf("small PNG decode: %v", err)
	}
	cases := []struct {
		name string
		data []byte
		want string // "" accepted
	}{
		{"8-bit gray at the cap", pngHeader(8000, 5000, 8, 0), ""},
		{"8-bit gray over the cap", pngHeader(8000, 5001, 8, 0), "照片尺寸过大（8000×5001像素），最大支持4000万像素"},
		{"16-bit RGBA held to 20 MP", pngHeader(5000, 5000, 16, 6), "照片尺寸过大（5000×5000像素），最大支持2097万像素"},
		{"8-bit RGBA 40 MP", pngHeader(8000, 5000, 8, 6), ""},
		{"not an image", []byte("%PDF-1.4 hello"), "照片只能上传JPEG、PNG或WebP格式的图片"},
		{"broken header", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "照片文件已损坏"},
	}
	for _, c := range cases {
		_, err := Check("photo", "照片", c.data)
		if got := fieldMsg(err); (c.want == "") != (err == nil) || !strings.HasPrefix(got, c.want) {
			t.Errorf("%s: got %v, want %q", c.name, err, c.want)
		}
	}
}

func TestProgressiveJPEG(t *testing.T) {
	var b bytes.Buffer
	_ = jpeg.Encode(&b, image.NewGray(image.Rect(0, 0, 16, 16)), nil)
	if progressiveJPEG(b.Bytes()) {
		t.Error("baseline JPEG taken for progressive")
	}
	prog := bytes.Replace(b.Bytes(), []byte{0xFF, 0xC0}, []byte{0xFF, 0xC2}, 1)
	if !progressiveJPEG(prog) {
		t.Error("SOF2 JPEG not taken for progressive")
	}
}
