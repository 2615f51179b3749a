// Package check validates the identifiers that govfleet's forms accept:
// unified social credit codes, mobile and landline numbers, resident ID
// numbers, vehicle plates, VINs and driving-licence classes.
//
// Every validator returns nil or an error whose Error() is a short
// Simplified-Chinese sentence meant for a clerk. The message never names the
// field: the caller prefixes the label ("车牌号：" + err.Error()).
//
// Validators accept only the canonical spelling (upper-case, half-width, no
// spaces or separators). Pass user input through the matching Normalise*
// function first and store the normalised value. If the caller forgets and
// the input is valid apart from its spelling, the validator says how it
// should be written, e.g. "格式不规范，应写作“苏D12345”".
//
// Error messages never reveal the expected check character: a clerk who
// mistyped another position would otherwise "fix" the check character and
// store a wrong identifier.
package check

import (
	"fmt"
	"strings"
	"unicode"
)

// Messages shared by several validators.
const (
	msgEmpty    = "不能为空"
	msgCheckSum = "校验码不正确，请逐位核对是否输入有误"
)

func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }

// nonCanonical is returned when s is valid once normalised but was not
// passed in its normalised form.
func nonCanonical(normalised string) error {
	return errorf("格式不规范，应写作“%s”", normalised)
}

// showRune renders r for a message: “X” when printable, otherwise a
// description, so control characters never end up in the UI.
func showRune(r rune) string {
	if r == ' ' || r == '\u3000' {
		return "空格"
	}
	if r == '\uFFFD' {
		return "无法识别的字符"
	}
	if !unicode.IsPrint(r) {
		return fmt.Sprintf("不可见字符（U+%04X）", r)
	}
	return "“" + string(r) + "”"
}

// halfWidth maps full-width ASCII variants (typed with a Chinese IME) and the
// ideographic space to their ASCII counterparts.
func halfWidth(r rune) rune {
	switch {
	case r == '\u3000':
		return ' '
	case r >= '\uFF01' && r <= '\uFF5E':
		return r - 0xFEE0
	}
	return r
}

// basicNormalise converts full-width characters, removes all white space and
// upper-cases ASCII letters.
func basicNormalise(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = halfWidth(r)
		if unicode.IsSpace(r) {
			continue
		}
		if r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

func isDigit(r rune) bool { return r >= '0' && r <= '9' }

func isUpper(r rune) bool { return r >= 'A' && r <= 'Z' }

func allDigits(s string) bool {
	for _, r := range s {
		if !isDigit(r) {
			return false
		}
	}
	return s != ""
}

// provinceCodes are the first two digits of GB/T 2260 division codes of
// provincial-level divisions (71 台湾, 81 香港, 82 澳门).
var provinceCodes = map[string]bool{
	"11": true, "12": true, "13": true, "14": true, "15": true,
	"21": true, "22": true, "23": true,
	"31": true, "32": true, "33": true, "34": true, "35": true, "36": true, "37": true,
	"41": true, "42": true, "43": true, "44": true, "45": true, "46": true,
	"50": true, "51": true, "52": true, "53": true, "54": true,
	"61": true, "62": true, "63": true, "64": true, "65": true,
	"71": true, "81": true, "82": true,
}
