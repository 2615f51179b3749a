// Package attachment is what every attachment shares, whichever record it
// is added to: the size limit and the check of a document's type by its
// content (PDF, images, Office files; R-13(1): meeting notices and plans).
// Orders and emergency filings (booking), notices and the upload handlers
// use it, so none of them imports another domain for it.
package attachment

import (
	"bytes"
	"net/http"
	"path/filepath"
	"strings"

	"govfleet/internal/errs"
	"govfleet/internal/picture"
)

// Max is the largest attachment accepted: an order's, an emergency
// filing's, a notice's or a supervision case's explanation. The upload
// handlers (internal/httpapi attach) stop reading there too.
const Max = 20 << 20

// sniff decides an attachment's type from its content (R-13(1): meeting
// notices and plans as PDF, images or Office files); the file name only
// tells old Office formats apart, whose containers look alike.
func sniff(name string, data []byte) (string, error) {
	ext := strings.ToLower(filepath.Ext(name))
	switch {
	case bytes.HasPrefix(data, []byte("%PDF-")):
		return "application/pdf", nil
	case bytes.HasPrefix(data, []byte("PK\x03\x04")):
		types := map[string]string{
			".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
			".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
		}
		if t, ok := types[ext]; ok {
			return t, nil
		}
	case bytes.HasPrefix(data, []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}):
		types := map[string]string{".doc": "application/msword", ".xls": "application/vnd.ms-excel", ".ppt": "application/vnd.ms-powerpoint"}
		if t, ok := types[ext]; ok {
			return t, nil
		}
	default:
		if picture.IsImage(http.DetectContentType(data)) { // a bomb is refused by its header
			info, err := picture.Check("file", "附件图片", data)
			if err != nil {
				return "", err
			}
			return info.ContentType, nil
		}
	}
	return "", (&errs.Fields{"file": "附件只能是PDF、图片（JPEG/PNG/WebP）或Office文档（Word、Excel、PowerPoint）"}).Err()
}

// Check checks a document attachment (an order's, an emergency filing's,
// a notice's): not empty, not above Max, of a type its content shows. It
// returns the file's base name and its content type.
func Check(name string, data []byte) (string, string, error) {
	if len(data) == 0 {
		return "", "", (&errs.Fields{"file": "请选择要上传的文件"}).Err()
	}
	if len(data) > Max {
		return "", "", (&errs.Fields{"file": "附件不能超过20 MB"}).Err()
	}
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	if name == "." || name == "/" || name == "" {
		name = "附件"
	}
	ct, err := sniff(name, data)
	return name, ct, err
}
