package check

import (
	"strings"
	"unicode/utf8"
)

// creditCodeChars is the GB 32100-2015 character set in value order
// (0-9 then A-Y without I, O, S, V, Z); a character's index is its value.
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditAuthority describes one registration authority (登记管理部门, first
// character) and the organisation types (机构类别, second character) it
// issues, per GB 32100-2015 and its amendment (A, N).
type creditAuthority struct {
	name  string
	types string
}

var creditAuthorities = map[byte]creditAuthority{
	'1': {"机构编制", "1239"},
	'2': {"外交", "19"},
	'3': {"司法行政", "123459"},
	'4': {"文化", "19"},
	'5': {"民政", "1239"},
	'6': {"旅游", "129"},
	'7': {"宗教", "129"},
	'8': {"工会", "19"},
	'9': {"工商", "123"},
	'A': {"中央军委改革和编制办公室", "19"},
	'N': {"农业", "1239"},
	'Y': {"其他", "1"},
}

// NormaliseCreditCode removes white space, converts full-width characters and
// upper-cases letters.
func NormaliseCreditCode(s string) string { return basicNormalise(s) }

// CreditCode validates an 18-character unified social credit code
// (统一社会信用代码, GB 32100-2015): character set, registration authority
// (1st), organisation type for that authority (2nd), administrative division
// (3rd–8th, six digits of a known province or 100000 for national bodies)
// and the mod-31 check character (18th). The organisation code part
// (9th–17th) is only checked against the character set.
func CreditCode(s string) error {
	n := NormaliseCreditCode(s)
	if err := creditCode(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

func creditCode(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	if n := utf8.RuneCountInString(s); n != 18 {
		return errorf("应为18位，实际为%d位", n)
	}
	if err := creditCodeCharset(s); err != nil {
		return err
	}
	auth, ok := creditAuthorities[s[0]]
	if !ok {
		return errorf("第1位登记管理部门代码“%c”无效", s[0])
	}
	if strings.IndexByte(auth.types, s[1]) < 0 {
		return errorf("第2位机构类别代码“%c”无效（登记管理部门为%s时只能是%s）",
			s[1], auth.name, joinBytes(auth.types))
	}
	div := s[2:8]
	if !allDigits(div) {
		return errorf("第3至8位应为6位数字的行政区划代码")
	}
	if !provinceCodes[div[:2]] && div != "100000" {
		return errorf("第3至8位行政区划代码“%s”无效", div)
	}
	if c, _ := CreditCodeCheckChar(s[:17]); c != s[17] {
		return errorf(msgCheckSum)
	}
	return nil
}

// creditCodeCharset reports the first character outside the GB 32100 set.
func creditCodeCharset(s string) error {
	for i, r := range []rune(s) {
		if r < utf8.RuneSelf && strings.IndexByte(creditCodeChars, byte(r)) >= 0 {
			continue
		}
		if r >= 'a' && r <= 'z' {
			return errorf("字母应为大写")
		}
		return errorf("第%d位%s不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）", i+1, showRune(r))
	}
	return nil
}

// CreditCodeCheckChar returns the check character (18th) for the first 17
// characters of a unified social credit code. It checks only length and
// character set.
func CreditCodeCheckChar(first17 string) (byte, error) {
	if n := utf8.RuneCountInString(first17); n != 17 {
		return 0, errorf("应为17位，实际为%d位", n)
	}
	if err := creditCodeCharset(first17); err != nil {
		return 0, err
	}
	sum := 0
	for i := 0; i < 17; i++ {
		sum += strings.IndexByte(creditCodeChars, first17[i]) * creditCodeWeights[i]
	}
	return creditCodeChars[(31-sum%31)%31], nil
}

// joinBytes renders "123" as "1、2、3".
func joinBytes(s string) string {
	parts := make([]string, len(s))
	for i := range len(s) {
		parts[i] = s[i : i+1]
	}
	return strings.Join(parts, "、")
}
