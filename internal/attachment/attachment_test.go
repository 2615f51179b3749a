package attachment_test

import (
	"bytes"
	"strings"
	"testing"

	"govfleet/internal/attachment"
)

// TestCheck: a document's type comes from its content (the name only tells
// Office formats apart); empty, oversized and unknown files are refused
// with the field's Chinese message.
func TestCheck(t *testing.T) {
	for _, c := range []struct {
		name     string
		data     []byte
		wantName string
		wantType string
		wantErr  string
	}{
		{`C:\会议\通知.pdf`, []byte("%PDF-1.7 ..."), "通知.pdf", "application/pdf", ""},
		{"方案.docx", []byte("PK\x03\x04 ..."), "方案.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", ""},
		{"", []byte("%PDF-1.4"), "附件", "application/pdf", ""},
		{"方案.zip", []byte("PK\x03\x04 ..."), "", "", "附件只能是PDF"},
		{"x.pdf", nil, "", "", "请选择要上传的文件"},
		{"x.pdf", append([]byte("%PDF-"), bytes.Repeat([]byte{0}, attachment.Max)...), "", "", "附件不能超过20 MB"},
	} {
		name, ct, err := attachment.Check(c.name, c.data)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("%q: error %v, want %q", c.name, err, c.wantErr)
			}
			continue
		}
		if err != nil || name != c.wantName || ct != c.wantType {
			t.Errorf("%q: %q %q %v, want %q %q", c.name, name, ct, err, c.wantName, c.wantType)
		}
	}
}
