package check

import (
	"strings"
	"time"
	"unicode/utf8"

	"govfleet/internal/beijing"
)

var idCardWeights = [17]int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}

// idCardCheckChars maps (sum of weighted digits) mod 11 to the check
// character (ISO 7064 MOD 11-2).
const idCardCheckChars = "10X98765432"

// now is replaced in tests.
var now = time.Now

// NormaliseIDCard removes white space, converts full-width characters and
// upper-cases a trailing x.
func NormaliseIDCard(s string) string { return basicNormalise(s) }

// IDCard validates an 18-character resident identity number (GB 11643-1999):
// province part of the 6-digit region code, birth date (a real date, not
// before 1900 and not after today in China), 3-digit sequence and the ISO
// 7064 MOD 11-2 check character (0-9 or X; a lower-case x is accepted).
func IDCard(s string) error {
	n := NormaliseIDCard(s)
	if err := idCard(n); err != nil {
		return err
	}
	if n != s && n != strings.ToUpper(s) {
		return nonCanonical(n)
	}
	return nil
}

func idCard(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	n := utf8.RuneCountInString(s)
	if n == 15 && allDigits(s) {
		return errorf("15位旧号码已停止使用，请填写18位身份证号码")
	}
	if n != 18 {
		return errorf("应为18位，实际为%d位", n)
	}
	if !allDigits(s[:17]) {
		return errorf("前17位只能是数字")
	}
	if !isDigit(rune(s[17])) && s[17] != 'X' {
		return errorf("最后一位只能是数字或X")
	}
	if !provinceCodes[s[:2]] {
		return errorf("前6位地区码“%s”无效", s[:6])
	}
	if _, err := idCardBirth(s); err != nil {
		return err
	}
	if c, _ := IDCardCheckChar(s[:17]); c != s[17] {
		return errorf(msgCheckSum)
	}
	return nil
}

// idCardBirth parses and checks the birth date of an ID number whose first
// 17 characters are known to be digits.
func idCardBirth(s string) (time.Time, error) {
	ds := s[6:14]
	y := atoi(ds[:4])
	m := atoi(ds[4:6])
	d := atoi(ds[6:8])
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if m < 1 || m > 12 || t.Day() != d {
		return time.Time{}, errorf("第7至14位出生日期“%s”不是有效日期", ds)
	}
	if y < 1900 {
		return time.Time{}, errorf("第7至14位出生日期“%s”早于1900年", ds)
	}
	ty, tm, td := now().In(beijing.Zone).Date()
	if t.After(time.Date(ty, tm, td, 0, 0, 0, 0, time.UTC)) {
		return time.Time{}, errorf("第7至14位出生日期“%s”晚于今天", ds)
	}
	return t, nil
}

func atoi(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// IDCardCheckChar returns the check character (18th: '0'-'9' or 'X') for the
// first 17 digits of a resident identity number. It checks only that there
// are 17 digits.
func IDCardCheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != 17 {
		return 0, errorf("应为17位，实际为%d位", n)
	}
	if !allDigits(first17) {
		return 0, errorf("前17位只能是数字")
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += int(first17[i]-'0') * idCardWeights[i]
	}
	return idCardCheckChars[sum%11], nil
}

// IDCardBirth validates s like IDCard and returns the birth date as midnight
// UTC of that calendar day (only year, month and day are meaningful).
func IDCardBirth(s string) (time.Time, error) {
	if err := IDCard(s); err != nil {
		return time.Time{}, err
	}
	return idCardBirth(s)
}

// IDCardMale validates s like IDCard and reports whether the holder is male
// (odd 17th digit).
func IDCardMale(s string) (bool, error) {
	if err := IDCard(s); err != nil {
		return false, err
	}
	return (s[16]-'0')%2 == 1, nil
}
