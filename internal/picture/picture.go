// Package picture reads an uploaded image's header before anything decodes
// it, so that a small file declaring a huge canvas (a decompression bomb:
// 1.5 MB of PNG for 20,000×20,000 pixels) is refused at once instead of
// allocating gigabytes (issue 19, item 3). Every image upload path calls
// Check: the registry's and drivers' photos, repair and invoice photos, and
// the images among order and case attachments.
package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // registers JPEG headers
	_ "image/png"  // registers PNG headers
	"net/http"

	_ "golang.org/x/image/webp" // registers WebP headers

	"govfleet/internal/errs"
)

// MaxPixels is the largest canvas accepted: 40 megapixels, more than any
// phone or scanner photo of a vehicle, a receipt or a document needs.
const MaxPixels = 40_000_000

// MaxDecodedBytes bounds the memory a decoder may allocate for one image
// (estimated from the header's colour model), so a 16-bit PNG or a
// progressive JPEG is held to fewer pixels than an 8-bit baseline one.
const MaxDecodedBytes = 160 << 20

// Info is what the header says.
type Info struct {
	ContentType   string // image/jpeg, image/png or image/webp
	Width, Height int
}

// IsImage reports whether the sniffed content type is one Check reads.
func IsImage(contentType string) bool {
	switch contentType {
	case "image/jpeg", "image/png", "image/webp":
		return true
	}
	return false
}

// Check sniffs data (never trusting a file name), reads the image header
// and refuses an image whose canvas exceeds MaxPixels or whose decoding
// would take more than MaxDecodedBytes. Errors are field errors on field,
// whose messages start with label (e.g. "照片", "附件").
func Check(field, label string, data []byte) (*Info, error) {
	ct := http.DetectContentType(data)
	if !IsImage(ct) {
		return nil, (&errs.Fields{field: label + "只能上传JPEG、PNG或WebP格式的图片（文件内容不是图片）"}).Err()
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return nil, (&errs.Fields{field: label + msgDamaged}).Err()
	}
	w, h := cfg.Width, cfg.Height
	if w < 1 || h < 1 {
		return nil, (&errs.Fields{field: label + "尺寸无效"}).Err()
	}
	if limit := min(MaxPixels, MaxDecodedBytes/bytesPerPixel(ct, cfg.ColorModel, data)); int64(w)*int64(h) > limit {
		return nil, (&errs.Fields{field: fmt.Sprintf("%s尺寸过大（%d×%d像素），最大支持%d万像素，请缩小后重新上传", label, w, h, limit/10000)}).Err()
	}
	return &Info{ContentType: ct, Width: w, Height: h}, nil
}

// bytesPerPixel estimates what the standard decoders allocate per pixel:
// the image itself, plus for a progressive JPEG the coefficients kept per
// component (a 32-bit value per pixel and component).
func bytesPerPixel(ct string, m color.Model, data []byte) int64 {
	var n int64
	switch m {
	case color.GrayModel, color.AlphaModel:
		n = 1
	case color.Gray16Model, color.Alpha16Model:
		n = 2
	case color.YCbCrModel:
		n = 3 // 4:4:4 at worst
	case color.RGBAModel, color.NRGBAModel, color.CMYKModel, color.NYCbCrAModel:
		n = 4
	case color.RGBA64Model, color.NRGBA64Model:
		n = 8
	default:
		if _, ok := m.(color.Palette); ok {
			n = 1
		} else {
			n = 8
		}
	}
	if ct == "image/jpeg" && progressiveJPEG(data) {
		n += 4 * n
	}
	return n
}

// progressiveJPEG walks the JPEG markers up to the frame header and reports
// whether it is SOF2 (progressive), whose decoder keeps every coefficient.
func progressiveJPEG(data []byte) bool {
	for i := 2; i+4 <= len(data); {
		if data[i] != 0xFF {
			return false
		}
		m := data[i+1]
		switch {
		case m == 0xFF: // fill byte
			i++
			continue
		case m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC: // SOFn
			return m == 0xC2 || m == 0xC6 || m == 0xCA || m == 0xCE
		}
		i += 2 + (int(data[i+2])<<8 | int(data[i+3]))
	}
	return false
}

// Decode checks data like Check and only then decodes it.
func Decode(field, label string, data []byte) (image.Image, *Info, error) {
	info, err := Check(field, label, data)
	if err != nil {
		return nil, nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil, nil, (&errs.Fields{field: label + msgDamaged}).Err()
	}
	return img, info, nil
}

const msgDamaged = "文件已损坏，无法读取，请重新拍摄或导出后上传"
