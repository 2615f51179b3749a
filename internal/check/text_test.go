package check

import (
	"reflect"
	"strings"
	"testing"
)

func TestLengths(t *testing.T) {
	type item struct {
		Name string `json:"name"`
	}
	type inner struct {
		Address string `json:"address,omitempty"`
	}
	type in struct {
		inner
		Reason *string  `json:"reason" max:"5"`
		Places []string `json:"places"`
		Items  []item   `json:"items"`
		File   []byte   `json:"file"`
		Skip   string   `json:"-"`
	}
	long := strings.Repeat("字", DefaultMaxText+1)
	five, six := "一二三四五", "一二三四五六"
	for _, tc := range []struct {
		name string
		in   in
		want []string
	}{
		{"empty", in{}, nil},
		{"at the limits", in{Reason: &five, Places: []string{strings.Repeat("字", DefaultMaxText)}, File: []byte(long + long)}, nil},
		{"tagged field", in{Reason: &six}, []string{"reason"}},
		{"slice element", in{Places: []string{"a", long}}, []string{"places"}},
		{"struct in a slice", in{Items: []item{{"a"}, {long}}}, []string{"items[1].name"}},
		{"embedded struct", in{inner: inner{Address: long}}, []string{"address"}},
		{"ignored field", in{Skip: long}, nil},
	} {
		got := Lengths(&tc.in)
		var keys []string
		for k, msg := range got {
			keys = append(keys, k)
			if !strings.HasPrefix(msg, "不能超过") {
				t.Errorf("%s: message %q", tc.name, msg)
			}
		}
		if !reflect.DeepEqual(keys, tc.want) {
			t.Errorf("%s: fields %v, want %v", tc.name, keys, tc.want)
		}
	}
	if got := Lengths(&in{Reason: &six})["reason"]; got != "不能超过5个字（现为6个字）" {
		t.Errorf("message %q", got)
	}
}
