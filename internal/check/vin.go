package check

import (
	"strings"
	"unicode/utf8"
)

var vinWeights = [17]int{8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2}

// vinValue transliterates a VIN character (GB 16735 / ISO 3779 appendix);
// it returns -1 for characters a VIN cannot contain (I, O, Q and anything
// that is not a digit or an upper-case letter).
func vinValue(r rune) int {
	switch {
	case isDigit(r):
		return int(r - '0')
	case r == 'I' || r == 'O' || r == 'Q':
		return -1
	case r >= 'A' && r <= 'H':
		return int(r-'A') + 1
	case r >= 'J' && r <= 'R':
		return int(r-'J') + 1
	case r >= 'S' && r <= 'Z':
		return int(r-'S') + 2
	}
	return -1
}

// NormaliseVIN removes white space, converts full-width characters and
// upper-cases letters.
func NormaliseVIN(s string) string { return basicNormalise(s) }

// VIN validates a 17-character vehicle identification number (GB 16735 /
// ISO 3779): digits and upper-case letters without I, O and Q, a model-year
// code at position 10 (not 0, U or Z) and the check character at position 9
// (weighted sum mod 11, 10 written as X), which is mandatory in China.
func VIN(s string) error {
	n := NormaliseVIN(s)
	if err := vin(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

func vin(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	if n := utf8.RuneCountInString(s); n != 17 {
		return errorf("应为17位，实际为%d位", n)
	}
	if err := vinCharset(s, -1); err != nil {
		return err
	}
	if strings.IndexByte("0UZ", s[9]) >= 0 {
		return errorf("第10位年份代码不能是“%c”", s[9])
	}
	if c, _ := VINCheckChar(s); c != s[8] {
		return errorf("第9位校验位不正确，请逐位核对是否输入有误")
	}
	return nil
}

// vinCharset reports the first invalid character, skipping index skip.
func vinCharset(s string, skip int) error {
	for i, r := range []rune(s) {
		if i == skip || vinValue(r) >= 0 {
			continue
		}
		switch {
		case r >= 'a' && r <= 'z':
			return errorf("字母应为大写")
		case r == 'I' || r == 'O' || r == 'Q':
			return errorf("第%d位：车辆识别代号中不使用字母I、O、Q（请确认是否为数字1或0）", i+1)
		}
		return errorf("第%d位%s无效，只能是数字和大写字母", i+1, showRune(r))
	}
	return nil
}

// VINCheckChar returns the check character that belongs at position 9 of a
// 17-character VIN; whatever is at position 9 is ignored.
func VINCheckChar(vin17 string) (byte, error) {
	if n := utf8.RuneCountInString(vin17); n != 17 {
		return 0, errorf("应为17位，实际为%d位", n)
	}
	if err := vinCharset(vin17, 8); err != nil {
		return 0, err
	}
	sum := 0
	for i, r := range []rune(vin17) {
		if i != 8 {
			sum += vinValue(r) * vinWeights[i]
		}
	}
	if c := sum % 11; c < 10 {
		return byte('0' + c), nil
	}
	return 'X', nil
}
