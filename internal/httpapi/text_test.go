package httpapi_test

import (
	"reflect"
	"strings"
	"testing"

	"govfleet/internal/httpapi"
)

// Every decoded string is checked, by its JSON path; line feeds and tabs
// only in multi-line fields; files (byte slices) are not text.
func TestCheckText(t *testing.T) {
	t.Parallel()
	type item struct {
		Name string `json:"name"`
		Note string `json:"note"`
	}
	type embedded struct {
		Contact string `json:"contact"`
	}
	type body struct {
		embedded
		Title  *string           `json:"title"`
		Items  []item            `json:"items"`
		Attrs  map[string]string `json:"attrs"`
		File   []byte            `json:"file"`
		Reason string            `json:"exempt_reason"`
		Any    any               `json:"any"`
	}
	str := func(s string) *string { return &s }
	for _, tc := range []struct {
		name string
		in   body
		bad  string // field named, "" when accepted
	}{
		{"clean", body{Title: str("标题 😀"), Items: []item{{"甲", "两行\n\t备注"}}, File: []byte{0, 1, 2}, Reason: "原因\n第二行"}, ""},
		{"pointer", body{Title: str("ab\x00cd")}, "title"},
		{"nested", body{Items: []item{{"甲", ""}, {"乙\x1b", ""}}}, "items.1.name"},
		{"line feed in a name", body{Items: []item{{"甲\n乙", ""}}}, "items.0.name"},
		{"carriage return in a note", body{Items: []item{{"甲", "a\r\nb"}}}, "items.0.note"},
		{"embedded", body{embedded: embedded{"张\x00三"}}, "contact"},
		{"map value", body{Attrs: map[string]string{"颜色": "红\u0085"}}, "attrs.颜色"},
		{"interface", body{Any: map[string]any{"x": []any{"ok", "\x07"}}}, "any.x.1"},
		{"multi-line suffix", body{Reason: "原因\x00"}, "exempt_reason"},
	} {
		err := httpapi.CheckText(reflect.ValueOf(&tc.in), "")
		if tc.bad == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), "字段 "+tc.bad+" 含有不允许的控制字符") {
			t.Errorf("%s: %v, want field %s named", tc.name, err, tc.bad)
		}
	}
}
