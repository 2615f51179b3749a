package check

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
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

// DefaultMaxText is the longest text, in characters, a string field of a
// request may carry unless its field declares another limit with a `max`
// struct tag (`max:"500"` for a reason or a note).
const DefaultMaxText = 100

// Lengths checks every string in v (a request body: structs, pointers,
// slices and arrays are walked; each string element of a slice is held to
// its field's limit) against its field's limit and returns a message per
// over-long field, keyed by the JSON path ("reason", "items[2].name"), or
// nil. It is the one place text lengths are limited (issue 19): the API
// calls it on every JSON body it decodes.
func Lengths(v any) map[string]string {
	var out map[string]string
	lengths(reflect.ValueOf(v), "", DefaultMaxText, &out)
	return out
}

func lengths(v reflect.Value, path string, max int, out *map[string]string) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			lengths(v.Elem(), path, max, out)
		}
	case reflect.String:
		if n := utf8.RuneCountInString(v.String()); n > max {
			if *out == nil {
				*out = map[string]string{}
			}
			(*out)[path] = fmt.Sprintf("不能超过%d个字（现为%d个字）", max, n)
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return // []byte: a file, limited by the body's size
		}
		for i := range v.Len() {
			p := path
			if k := v.Type().Elem().Kind(); k == reflect.Struct || k == reflect.Pointer && v.Type().Elem().Elem().Kind() == reflect.Struct {
				p = fmt.Sprintf("%s[%d]", path, i)
			}
			lengths(v.Index(i), p, max, out)
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" { // promoted fields
				lengths(v.Field(i), path, DefaultMaxText, out)
				continue
			}
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if path != "" {
				name = path + "." + name
			}
			m := DefaultMaxText
			if s, ok := f.Tag.Lookup("max"); ok {
				if n, err := strconv.Atoi(s); err == nil && n > 0 {
					m = n
				}
			}
			lengths(v.Field(i), name, m, out)
		}
	}
}
