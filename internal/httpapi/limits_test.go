package httpapi_test

import (
	"encoding/json"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
)

// textField is a string somewhere in a request body type: the JSON key
// check.Lengths reports it under and how to reach it.
type textField struct {
	key  string
	path []int // field indexes; -1 steps into a slice's first element
}

// textFields lists every string of a request body type.
func textFields(t reflect.Type, key string, path []int, depth int) []textField {
	switch t.Kind() {
	case reflect.Pointer:
		return textFields(t.Elem(), key, path, depth)
	case reflect.String:
		return []textField{{key, slices.Clone(path)}}
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil
		}
		k := key
		if e := t.Elem(); e.Kind() == reflect.Struct || e.Kind() == reflect.Pointer && e.Elem().Kind() == reflect.Struct {
			k += "[0]"
		}
		return textFields(t.Elem(), k, append(path, -1), depth)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() || depth > 4 {
			return nil
		}
		var out []textField
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				out = append(out, textFields(f.Type, key, append(path, i), depth+1)...)
				continue
			}
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if key != "" {
				name = key + "." + name
			}
			out = append(out, textFields(f.Type, name, append(path, i), depth+1)...)
		}
		return out
	}
	return nil
}

// body returns a value of t with the field at path set to s.
func body(t reflect.Type, path []int, s string) any {
	root := reflect.New(t)
	v := root.Elem()
	for _, i := range path {
		for v.Kind() == reflect.Pointer {
			v.Set(reflect.New(v.Type().Elem()))
			v = v.Elem()
		}
		if i < 0 {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			v = v.Index(0)
		} else {
			v = v.Field(i)
		}
	}
	for v.Kind() == reflect.Pointer {
		v.Set(reflect.New(v.Type().Elem()))
		v = v.Elem()
	}
	v.SetString(s)
	return root.Interface()
}

// TestEveryTextFieldIsLimited posts, to every route that takes a JSON body,
// one body per string field (found by reflection on the route's In type)
// with that field 5,000 characters long: each must be refused with 400 and
// the field named (issue 19: an order's pick-up place took 100,000).
func TestEveryTextFieldIsLimited(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		callers := map[access.Role]caller{}
		callerFor := func(p access.Perm) *caller {
			for _, ri := range access.Roles {
				if p != access.Public && p != access.Self && !access.RoleHas(ri.Code, p) {
					continue
				}
				if _, ok := callers[ri.Code]; !ok {
					scope := e.tn
					if !slices.Contains(ri.ScopeKinds, "district") {
						scope = e.inUnit
					}
					callers[ri.Code] = e.caller(scope, ri.Code)
				}
				c := callers[ri.Code]
				return &c
			}
			return nil
		}
		long := strings.Repeat("长", 5000)
		ids := regexp.MustCompile(`\{[a-z_]+\}`)
		checked := 0
		for _, rt := range e.api.Routes() {
			if rt.In == nil || rt.Method == "GET" || rt.Perm == access.PartnerAPI { // partners' signed messages: TestPartnerExchange
				continue
			}
			c := callerFor(rt.Perm)
			if c == nil {
				t.Errorf("%s %s: no role holds %s", rt.Method, rt.Path, rt.Perm)
				continue
			}
			path := ids.ReplaceAllString(rt.Path, "1")
			for _, f := range textFields(reflect.TypeOf(rt.In), "", nil, 0) {
				status, b := e.do(&c.sess, rt.Method, path, body(reflect.TypeOf(rt.In), f.path, long))
				var ae apiError
				json.Unmarshal(b, &ae)
				if status != http.StatusBadRequest || !strings.Contains(ae.Error.Fields[f.key], "不能超过") {
					t.Errorf("%s %s with a 5,000-character %s: status %d, fields %v", rt.Method, rt.Path, f.key, status, ae.Error.Fields)
				}
				checked++
			}
		}
		if checked < 100 {
			t.Errorf("only %d text fields checked", checked)
		}
		t.Logf("%d text fields checked", checked)
	})
}
