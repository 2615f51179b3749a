// Package money is the one home of amounts: integer fen (分) end to end,
// written and read as yuan with exactly two decimals.
package money

import (
	"errors"
	"math/big"
	"strings"
)

// Yuan writes fen as yuan with two decimals: 0 → "0.00", -150 → "-1.50",
// 21980000 → "219800.00". No grouping, no currency sign: the form a
// spreadsheet cell and a message both take.
func Yuan(fen int64) string {
	neg := fen < 0
	u := uint64(fen)
	if neg {
		u = -u // exact for math.MinInt64 too
	}
	s := make([]byte, 0, 24)
	if neg {
		s = append(s, '-')
	}
	s = appendUint(s, u/100)
	s = append(s, '.', byte('0'+u%100/10), byte('0'+u%10))
	return string(s)
}

func appendUint(b []byte, u uint64) []byte {
	var d [20]byte
	i := len(d)
	for {
		i--
		d[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	return append(b, d[i:]...)
}

// Errors of Parse, for callers that word them per field.
var (
	ErrNotAmount  = errors.New("not an amount")
	ErrTooPrecise = errors.New("more than two decimals")
	ErrOutOfRange = errors.New("amount out of range")
)

// Parse reads an amount in yuan ("219800", "219,800.00", "¥1.5", "1.50元",
// "-3.20") as fen, exactly: no binary floating point on the way. More than
// two decimals is an error, not a rounding.
func Parse(s string) (int64, error) {
	s = strings.NewReplacer(",", "", "，", "", "¥", "", "￥", "", "元", "", " ", "").Replace(strings.TrimSpace(s))
	if s == "" || len(s) > 40 {
		return 0, ErrNotAmount
	}
	for i, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || (c == '-' || c == '+') && i == 0) {
			return 0, ErrNotAmount // no exponents, fractions or hex that big.Rat would take
		}
	}
	r, ok := new(big.Rat).SetString(s)
	if !ok {
		return 0, ErrNotAmount
	}
	r.Mul(r, big.NewRat(100, 1))
	if !r.IsInt() {
		return 0, ErrTooPrecise
	}
	if !r.Num().IsInt64() {
		return 0, ErrOutOfRange
	}
	return r.Num().Int64(), nil
}
