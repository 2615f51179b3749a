package money

import (
	"errors"
	"math"
	"testing"
)

func TestYuan(t *testing.T) {
	for _, c := range []struct {
		fen  int64
		want string
	}{
		{0, "0.00"}, {1, "0.01"}, {10, "0.10"}, {100, "1.00"}, {21980000, "219800.00"},
		{-1, "-0.01"}, {-150, "-1.50"}, {-100000, "-1000.00"},
		{math.MaxInt64, "92233720368547758.07"}, {math.MinInt64, "-92233720368547758.08"},
	} {
		if got := Yuan(c.fen); got != c.want {
			t.Errorf("Yuan(%d) = %q, want %q", c.fen, got, c.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int64
		err  error
	}{
		{"0", 0, nil}, {"0.00", 0, nil}, {"219800", 21980000, nil}, {"219,800.00", 21980000, nil},
		{"¥1.5", 150, nil}, {"1.50元", 150, nil}, {"-3.20", -320, nil}, {" 7.89 ", 789, nil}, {"0.1", 10, nil},
		{"", 0, ErrNotAmount}, {"abc", 0, ErrNotAmount}, {"1e3", 0, ErrNotAmount}, {"1/2", 0, ErrNotAmount},
		{"1-2", 0, ErrNotAmount}, {"1.234", 0, ErrTooPrecise}, {"99999999999999999999", 0, ErrOutOfRange},
	} {
		got, err := Parse(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.in, got, err, c.want, c.err)
		}
	}
	for _, fen := range []int64{0, 1, -1, 99, 12345678, -987654321} {
		if got, err := Parse(Yuan(fen)); err != nil || got != fen {
			t.Errorf("Parse(Yuan(%d)) = %d, %v", fen, got, err)
		}
	}
}
