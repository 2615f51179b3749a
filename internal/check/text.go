package check

import (
	"fmt"
	"unicode"
)

// Text refuses control characters (Unicode category Cc: NUL and the rest
// of C0, DEL, C1) in free text. Multi-line text (reasons, notes, comments
// typed in a text area) may hold line feeds and tabs; nothing else may.
// The databases cannot keep some of them (NUL is dropped on the way in),
// and the rest hide or forge text in the audit log, exports and logs.
func Text(s string, multiline bool) error {
	for _, r := range s {
		if unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t')) {
			return fmt.Errorf("含有不允许的控制字符（U+%04X），请删除后重试", r)
		}
	}
	return nil
}
