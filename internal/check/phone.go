package check

import (
	"strings"
	"unicode"
)

const msgPhoneFormat = "不是有效的电话号码（手机如13812345678；固定电话如0519-85681234、051985681234或85681234，分机号用“-”连接，如0519-85681234-123）"

// NormalisePhone tidies a mobile or landline number as typed: full-width
// characters become ASCII, white space is removed, dashes are unified to
// "-", "(0519)85681234" becomes "0519-85681234", and a mobile number written
// with a +86/0086 prefix or with separators ("138-1234-5678") is reduced to
// its 11 digits.
func NormalisePhone(s string) string {
	var b strings.Builder
	for _, r := range s {
		r = halfWidth(r)
		switch {
		case unicode.IsSpace(r):
			continue
		case r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\u2013' || r == '\u2014' || r == '\u2212':
			r = '-'
		}
		b.WriteRune(r)
	}
	t := b.String()

	// (0519)85681234 → 0519-85681234
	if strings.HasPrefix(t, "(") {
		if i := strings.IndexByte(t, ')'); i > 1 && allDigits(t[1:i]) && i+1 < len(t) {
			t = t[1:i] + "-" + strings.TrimPrefix(t[i+1:], "-")
		}
	}

	rest := t
	for _, p := range []string{"+86", "0086"} {
		if strings.HasPrefix(rest, p) {
			rest = strings.TrimPrefix(strings.TrimPrefix(rest, p), "-")
			break
		}
	}
	if d := strings.ReplaceAll(rest, "-", ""); len(d) == 11 && d[0] == '1' && allDigits(d) {
		return d
	}
	return t
}

// Mobile validates a mainland mobile number: 11 digits, 1[3-9]xxxxxxxxx.
func Mobile(s string) error {
	n := NormalisePhone(s)
	if err := mobile(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

func mobile(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	if !allDigits(s) {
		return errorf("手机号码只能由11位数字组成")
	}
	if len(s) != 11 {
		return errorf("手机号码应为11位数字，实际为%d位", len(s))
	}
	if s[0] != '1' || s[1] < '3' {
		return errorf("不是有效的手机号码（应以13至19开头）")
	}
	return nil
}

// Phone accepts a mobile number or a landline number: "0519-85681234",
// "051985681234", "85681234", each optionally followed by an extension
// "-123" (1 to 6 digits). Area codes are 010, 02X or 0 plus three digits
// (first 3-9); local numbers have 7 or 8 digits and do not start with 0 or 1.
func Phone(s string) error {
	n := NormalisePhone(s)
	if err := phone(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

func phone(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	for _, r := range s {
		if !isDigit(r) && r != '-' {
			return errorf("只能包含数字和连接符“-”")
		}
	}
	parts := strings.Split(s, "-")
	for _, p := range parts {
		if p == "" {
			return errorf(msgPhoneFormat)
		}
	}
	if len(parts) > 3 {
		return errorf(msgPhoneFormat)
	}
	if s[0] == '1' {
		if len(parts) > 1 {
			return errorf(msgPhoneFormat)
		}
		return mobile(s)
	}

	var area, local, ext string
	switch {
	case len(parts) == 3:
		area, local, ext = parts[0], parts[1], parts[2]
		if area[0] != '0' {
			return errorf(msgPhoneFormat)
		}
	case len(parts) == 2 && parts[0][0] == '0' && len(parts[0]) <= 4:
		area, local = parts[0], parts[1] // 0519-85681234
	case len(parts) == 2:
		local, ext = parts[0], parts[1] // 85681234-123 or 051985681234-123
	default:
		local = parts[0]
	}
	if area == "" && local[0] == '0' {
		// Area code written without separator: its length follows from the
		// second digit (010/02X are three digits, the rest four).
		if len(local) < 2 {
			return errorf(msgPhoneFormat)
		}
		l := 4
		if local[1] == '1' || local[1] == '2' {
			l = 3
		}
		if len(local) <= l {
			return errorf(msgPhoneFormat)
		}
		area, local = local[:l], local[l:]
	}
	if area != "" && !validAreaCode(area) {
		return errorf("区号“%s”无效", area)
	}
	if len(local) < 7 || len(local) > 8 || local[0] == '0' || local[0] == '1' {
		return errorf("本地号码应为7至8位数字，且不能以0或1开头")
	}
	if ext != "" && len(ext) > 6 {
		return errorf("分机号应为1至6位数字")
	}
	return nil
}

// validAreaCode reports whether a is shaped like a mainland long-distance
// area code: 010, 020-029, or 0[3-9]XX.
func validAreaCode(a string) bool {
	if len(a) < 3 || a[0] != '0' {
		return false
	}
	switch a[1] {
	case '1':
		return a == "010"
	case '2':
		return len(a) == 3
	case '0':
		return false
	}
	return len(a) == 4
}
