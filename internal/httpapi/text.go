package httpapi

import (
	"cmp"
	"reflect"
	"strconv"
	"strings"

	"govfleet/internal/check"
	"govfleet/internal/errs"
)

// multiLine says whether the JSON field called name is free text typed in
// a text area of the console (reasons, notes, comments, the text sent to a
// terminal): line feeds and tabs belong there and nowhere else.
func multiLine(name string) bool {
	switch name {
	case "reason", "note", "problem", "comment", "text", "sealed_filing", "findings", "explanation",
		"body": // a notice's text (issue 23)
		return true
	}
	return strings.HasSuffix(name, "_reason") || strings.HasSuffix(name, "_note") || strings.HasSuffix(name, "_comment")
}

// checkText refuses control characters in every string of a decoded body
// (issue 19: a NUL is dropped by the database but was hashed into the
// audit chain), naming the field by its JSON path as field messages do
// ("items.0.name"). Byte slices (base64 files) are not text.
func checkText(v reflect.Value, path string) error {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return checkText(v.Elem(), path)
		}
	case reflect.String:
		name := path[strings.LastIndexByte(path, '.')+1:]
		if err := check.Text(v.String(), multiLine(name)); err != nil {
			field := cmp.Or(path, "（字段名）")
			return (&errs.Fields{field: "字段 " + field + " " + err.Error()}).Err()
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if !f.IsExported() && !f.Anonymous || name == "-" {
				continue
			}
			p := join(path, cmp.Or(name, f.Name))
			if f.Anonymous && tag == "" {
				p = path // an embedded struct's fields are the outer object's
			}
			if err := checkText(v.Field(i), p); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil
		}
		for i := range v.Len() {
			if err := checkText(v.Index(i), join(path, strconv.Itoa(i))); err != nil {
				return err
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			k := it.Key()
			if k.Kind() == reflect.String {
				if err := checkText(k, path); err != nil {
					return err
				}
			}
			if err := checkText(it.Value(), join(path, k.String())); err != nil {
				return err
			}
		}
	}
	return nil
}

func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// formText refuses control characters in the values of a form (multipart
// uploads bypass the JSON decoder), a file's name included.
func formText(vals map[string]string) error {
	return checkText(reflect.ValueOf(vals), "")
}
