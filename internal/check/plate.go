package check

import (
	"strings"
	"unicode"
)

// plateProvinces are the abbreviations of the 31 mainland provincial-level
// divisions that issue ordinary plates.
const plateProvinces = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"

// newEnergyLetters mark the power type on new-energy plates (GA 36-2018 and
// its 2021 extension): D A B C E battery-electric, F G H J K other
// new-energy (plug-in hybrid, range extender, fuel cell).
const newEnergyLetters = "DABCEFGHJK"

const (
	msgPlateLength = "位数不对：普通号牌为7位（如苏D12345），新能源号牌为8位（如苏DD12345、苏D12345D）"
	msgNewEnergy   = "新能源号牌格式不对：小型车为D、A、B、C、E、F、G、H、J、K之一＋1位字母或数字＋4位数字（如苏DD12345），大型车为5位数字＋上述字母之一（如苏D12345D）"
)

// NormalisePlate upper-cases letters, converts full-width characters and
// removes white space, dots, middle dots ("·" and look-alikes) and hyphens:
// "苏d·12345" → "苏D12345".
func NormalisePlate(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		r = halfWidth(r)
		switch {
		case unicode.IsSpace(r):
			continue
		case r == '.' || r == '-' || r == '·' || r == '•' || r == '・' || r == '∙' || r == '⋅' || r == '。':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Plate validates a plate number of a vehicle that can be registered as an
// official vehicle:
//
//   - ordinary plates, 7 characters: province abbreviation, issuing-authority
//     letter, 5 letters/digits without I and O (苏D12345, 苏DA8B21);
//   - new-energy plates, 8 characters (GA 36-2018): province, letter, then
//     for small vehicles one of D A B C E F G H J K, one letter/digit and 4
//     digits (苏DD12345, 苏DFA1234), for large vehicles 5 digits and one of
//     those letters (苏D12345D);
//   - police plates: province, letter, 4 letters/digits, "警" (苏D1234警).
//
// Coach (学), trailer (挂), embassy (使), consulate (领) and Hong Kong/Macao
// (港/澳) plates are rejected with a message saying they cannot be used for
// official vehicles.
func Plate(s string) error {
	n := NormalisePlate(s)
	if err := plate(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

func plate(s string) error {
	if s == "" {
		return errorf(msgEmpty)
	}
	rs := []rune(s)
	last := rs[len(rs)-1]
	switch {
	case rs[0] == '使':
		return errorf("使馆车辆号牌不能登记为公务用车")
	case last == '领':
		return errorf("领馆车辆号牌不能登记为公务用车")
	case last == '港' || last == '澳':
		return errorf("港澳入出境车辆号牌不能登记为公务用车")
	case last == '学':
		return errorf("教练车号牌（“学”字号牌）不能登记为公务用车")
	case last == '挂':
		return errorf("挂车号牌（“挂”字号牌）不能登记为公务用车")
	}
	if !strings.ContainsRune(plateProvinces, rs[0]) {
		return errorf("第1位%s不是省、自治区、直辖市简称（如“苏”）", showRune(rs[0]))
	}
	if len(rs) < 2 {
		return errorf(msgPlateLength)
	}
	if !isUpper(rs[1]) {
		return errorf("第2位应为发牌机关代号（大写字母，如“苏D”中的D）")
	}
	if last == '警' {
		if len(rs) != 7 {
			return errorf("警用号牌应为省份简称＋发牌机关代号＋4位号码＋“警”，如苏D1234警")
		}
		return plateSerial(rs[2:6], 3)
	}
	switch len(rs) {
	case 7:
		return plateSerial(rs[2:], 3)
	case 8:
		return newEnergySerial(rs[2:])
	}
	return errorf(msgPlateLength)
}

// plateSerial checks that every rune is a digit or a letter other than I and
// O; first is the 1-based position of serial[0] in the plate.
func plateSerial(serial []rune, first int) error {
	for i, r := range serial {
		if isDigit(r) || (isUpper(r) && r != 'I' && r != 'O') {
			continue
		}
		if r == 'I' || r == 'O' {
			return errorf("第%d位：号牌号码中不使用字母I和O（请确认是否为数字1或0）", first+i)
		}
		return errorf("第%d位%s无效，号牌号码只能是数字和大写字母", first+i, showRune(r))
	}
	return nil
}

func newEnergySerial(serial []rune) error {
	if err := plateSerial(serial, 3); err != nil {
		return err
	}
	isNE := func(r rune) bool { return strings.ContainsRune(newEnergyLetters, r) }
	allDigits := func(rs []rune) bool {
		for _, r := range rs {
			if !isDigit(r) {
				return false
			}
		}
		return true
	}
	// Small vehicles: letter, letter/digit, 4 digits.
	if isNE(serial[0]) && allDigits(serial[2:]) {
		return nil
	}
	// Large vehicles: 5 digits, letter.
	if allDigits(serial[:5]) && isNE(serial[5]) {
		return nil
	}
	return errorf(msgNewEnergy)
}
