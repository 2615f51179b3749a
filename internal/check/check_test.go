package check

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// Messages repeated across tables.
const (
	wantEmpty    = "不能为空"
	wantCheckSum = "校验码不正确，请逐位核对是否输入有误"
	wantPhone    = "不是有效的电话号码（手机如13812345678；固定电话如0519-85681234、051985681234或85681234，分机号用“-”连接，如0519-85681234-123）"
	wantPlateLen = "位数不对：普通号牌为7位（如苏D12345），新能源号牌为8位（如苏DD12345、苏D12345D）"
	wantNE       = "新能源号牌格式不对：小型车为D、A、B、C、E、F、G、H、J、K之一＋1位字母或数字＋4位数字（如苏DD12345），大型车为5位数字＋上述字母之一（如苏D12345D）"
	wantLicCodes = "A1、A2、A3、B1、B2、C1、C2、C3、C4、C5、C6、D、E、F、M、N、P"
)

type tcase struct {
	in   string
	want string // "" means valid
}

func runCases(t *testing.T, name string, fn func(string) error, cases []tcase) {
	t.Helper()
	for _, c := range cases {
		err := fn(c.in)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != c.want {
			if c.want == "" {
				t.Errorf("%s(%q) = %q, want nil", name, c.in, got)
			} else {
				t.Errorf("%s(%q) = %q, want %q", name, c.in, got, c.want)
			}
		}
	}
}

func TestCreditCode(t *testing.T) {
	runCases(t, "CreditCode", CreditCode, []tcase{
		// Published codes of well-known companies.
		{"914403001922038216", ""}, // 华为技术有限公司
		{"91330100716105852F", ""}, // 阿里巴巴（中国）有限公司
		{"9144030071526726XG", ""}, // 深圳市腾讯计算机系统有限公司
		{"91110108551385082Q", ""}, // 小米科技有限责任公司
		// Check characters computed independently of this package.
		{"91320400MA1M9T3B02", ""}, // 常州 enterprise
		{"12320400466054321J", ""}, // 常州 事业单位
		{"11100000000013127D", ""}, // national-level 机关 (100000)
		{"51320400MJ5000012J", ""}, // 社会团体
		{"92320402MA1N8K9W31", ""}, // 个体工商户
		{"N2320412MF1234567M", ""}, // 村级集体经济组织
		{"31320000MD0123456M", ""}, // 律师执业机构
		{"Y1320400MC00123451", ""}, // 其他

		{"", wantEmpty},
		{"   ", wantEmpty},
		{"9132040MA1M9T3B02", "应为18位，实际为17位"},
		{"91320400MA1M9T3B021", "应为18位，实际为19位"},
		{" 91320400MA1M9T3B02 ", "格式不规范，应写作“91320400MA1M9T3B02”"},
		{"91320400ma1m9t3b02", "格式不规范，应写作“91320400MA1M9T3B02”"},
		{"９１３２０４００ＭＡ１Ｍ９Ｔ３Ｂ０２", "格式不规范，应写作“91320400MA1M9T3B02”"},
		{"91320400MA1M9T3BO2", "第17位“O”不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"},
		{"91320400MA1S9T3B02", "第12位“S”不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"},
		{"913204００MA1M9T3B0常", "第18位“常”不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"},
		{"B1320400MA1M9T3B02", "第1位登记管理部门代码“B”无效"},
		{"94320400MA1M9T3B02", "第2位机构类别代码“4”无效（登记管理部门为工商时只能是1、2、3）"},
		{"Y2320400MC00123451", "第2位机构类别代码“2”无效（登记管理部门为其他时只能是1）"},
		{"9132A400MA1M9T3B02", "第3至8位应为6位数字的行政区划代码"},
		{"91990400MA1M9T3B02", "第3至8位行政区划代码“990400”无效"},
		{"91320400MA1M9T3B03", wantCheckSum},
		{"11320400014137017Y", wantCheckSum}, // check character should be T
		{"914403001922038215", wantCheckSum},
	})
}

func TestCreditCodeCheckChar(t *testing.T) {
	for in, want := range map[string]byte{
		"91320400MA1M9T3B0": '2',
		"9144030071526726X": 'G',
		"91330100716105852": 'F',
		"11320400014137017": 'T',
	} {
		got, err := CreditCodeCheckChar(in)
		if err != nil || got != want {
			t.Errorf("CreditCodeCheckChar(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	runCases(t, "CreditCodeCheckChar", func(s string) error { _, err := CreditCodeCheckChar(s); return err }, []tcase{
		{"9132040", "应为17位，实际为7位"},
		{"91320400MA1M9T3B02", "应为17位，实际为18位"},
		{"91320400ma1m9t3b0", "字母应为大写"},
		{"913204OOMA1M9T3B0", "第7位“O”不是有效字符（只能是数字和除I、O、Z、S、V以外的大写字母）"},
	})
}

func TestMobile(t *testing.T) {
	runCases(t, "Mobile", Mobile, []tcase{
		{"13812345678", ""},
		{"19951912345", ""},
		{"16600001111", ""},
		{"", wantEmpty},
		{"1381234567", "手机号码应为11位数字，实际为10位"},
		{"138123456789", "手机号码应为11位数字，实际为12位"},
		{"138123456a8", "手机号码只能由11位数字组成"},
		{"0519-85681234", "手机号码只能由11位数字组成"},
		{"12812345678", "不是有效的手机号码（应以13至19开头）"},
		{"23812345678", "不是有效的手机号码（应以13至19开头）"},
		{"+86 138 1234 5678", "格式不规范，应写作“13812345678”"},
		{"138-1234-5678", "格式不规范，应写作“13812345678”"},
		{"１３８１２３４５６７８", "格式不规范，应写作“13812345678”"},
	})
}

func TestPhone(t *testing.T) {
	runCases(t, "Phone", Phone, []tcase{
		{"13812345678", ""},
		{"0519-85681234", ""},
		{"051985681234", ""},
		{"85681234", ""},
		{"8568123", ""},
		{"0519-8568123", ""},
		{"0519-85681234-123", ""},
		{"85681234-123", ""},
		{"051985681234-8001", ""},
		{"010-62345678", ""},
		{"01062345678", ""},
		{"021-62345678", ""},

		{"", wantEmpty},
		{"0519_85681234", "只能包含数字和连接符“-”"},
		{"0519-85681234转123", "只能包含数字和连接符“-”"},
		{"0519--85681234", wantPhone},
		{"-85681234", wantPhone},
		{"0519-85681234-123-4", wantPhone},
		{"0519", wantPhone},
		{"13812345678-1", wantPhone},
		{"0119-85681234", "区号“0119”无效"},
		{"0019-85681234", "区号“0019”无效"},
		{"02-85681234", "区号“02”无效"},
		{"0519-05681234", "本地号码应为7至8位数字，且不能以0或1开头"},
		{"0519-856812", "本地号码应为7至8位数字，且不能以0或1开头"},
		{"0519-856812345", "本地号码应为7至8位数字，且不能以0或1开头"},
		{"15681234", "手机号码应为11位数字，实际为8位"},
		{"12812345678", "不是有效的手机号码（应以13至19开头）"},
		{"0519-85681234-1234567", "分机号应为1至6位数字"},
		{"(0519)85681234", "格式不规范，应写作“0519-85681234”"},
		{"０５１９－８５６８１２３４", "格式不规范，应写作“0519-85681234”"},
		{"0519 8568 1234", "格式不规范，应写作“051985681234”"},
		{"+86 13812345678", "格式不规范，应写作“13812345678”"},
	})
}

func TestNormalisePhone(t *testing.T) {
	for in, want := range map[string]string{
		"+86 138 1234 5678": "13812345678",
		"0086-13812345678":  "13812345678",
		"138-1234-5678":     "13812345678",
		"（0519）85681234":    "0519-85681234",
		"(0519)-85681234":   "0519-85681234",
		"0519—85681234":     "0519-85681234",
		" 85681234 ":        "85681234",
	} {
		if got := NormalisePhone(in); got != want {
			t.Errorf("NormalisePhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func withNow(t *testing.T, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}

func TestIDCard(t *testing.T) {
	// 2025-06-01 17:00 UTC is already 2 June in China.
	withNow(t, time.Date(2025, 6, 1, 17, 0, 0, 0, time.UTC))
	runCases(t, "IDCard", IDCard, []tcase{
		{"320402198503152037", ""},
		{"320402198503152010", ""},
		{"320481199202290014", ""}, // 29 February of a leap year
		{"11010519491231002X", ""},
		{"11010519491231002x", ""}, // lower-case x accepted
		{"440306199912314561", ""},
		{"810000199001010019", ""}, // Hong Kong resident residence permit
		{"320402190001010032", ""},
		{"320402202506020012", ""}, // born "today" in China

		{"", wantEmpty},
		{"320402850315203", "15位旧号码已停止使用，请填写18位身份证号码"},
		{"32040219850315203", "应为18位，实际为17位"},
		{"3204021985031520A7", "前17位只能是数字"},
		{"32040219850315203Y", "最后一位只能是数字或X"},
		{"990402198503152031", "前6位地区码“990402”无效"},
		{"32040219850230203X", "第7至14位出生日期“19850230”不是有效日期"},
		{"320402198513152037", "第7至14位出生日期“19851315”不是有效日期"},
		{"320402189912312033", "第7至14位出生日期“18991231”早于1900年"},
		{"320402202506030026", "第7至14位出生日期“20250603”晚于今天"},
		{"320402198503152038", wantCheckSum},
		{"320402198503152073", wantCheckSum}, // transposed digits
		{" 320402198503152037", "格式不规范，应写作“320402198503152037”"},
		{"3204 0219 8503 1520 37", "格式不规范，应写作“320402198503152037”"},
	})
}

func TestIDCardCheckChar(t *testing.T) {
	for in, want := range map[string]byte{
		"32040219850315203": '7',
		"11010519491231002": 'X',
		"44030619991231456": '1',
	} {
		got, err := IDCardCheckChar(in)
		if err != nil || got != want {
			t.Errorf("IDCardCheckChar(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	runCases(t, "IDCardCheckChar", func(s string) error { _, err := IDCardCheckChar(s); return err }, []tcase{
		{"3204021985031520", "应为17位，实际为16位"},
		{"3204021985031520X", "前17位只能是数字"},
	})
}

func TestIDCardBirthAndSex(t *testing.T) {
	tests := []struct {
		in    string
		birth time.Time
		male  bool
	}{
		{"320402198503152037", time.Date(1985, 3, 15, 0, 0, 0, 0, time.UTC), true},
		{"11010519491231002x", time.Date(1949, 12, 31, 0, 0, 0, 0, time.UTC), false},
		{"440306199912314561", time.Date(1999, 12, 31, 0, 0, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		b, err := IDCardBirth(tt.in)
		if err != nil || !b.Equal(tt.birth) {
			t.Errorf("IDCardBirth(%q) = %v, %v; want %v", tt.in, b, err, tt.birth)
		}
		m, err := IDCardMale(tt.in)
		if err != nil || m != tt.male {
			t.Errorf("IDCardMale(%q) = %v, %v; want %v", tt.in, m, err, tt.male)
		}
	}
	if _, err := IDCardBirth("320402198503152038"); err == nil || err.Error() != wantCheckSum {
		t.Errorf("IDCardBirth(bad) error = %v", err)
	}
	if _, err := IDCardMale("32040219850315203"); err == nil || err.Error() != "应为18位，实际为17位" {
		t.Errorf("IDCardMale(short) error = %v", err)
	}
}

func TestPlate(t *testing.T) {
	runCases(t, "Plate", Plate, []tcase{
		{"苏D12345", ""},
		{"苏DA8B21", ""},
		{"京A00001", ""},
		{"苏DD12345", ""}, // small new-energy, battery-electric
		{"苏DF12345", ""}, // small new-energy, other new-energy
		{"苏DA12345", ""}, // extended letters (2021)
		{"苏DK12345", ""},
		{"苏DDA1234", ""}, // second serial char may be a letter
		{"苏D12345D", ""}, // large new-energy
		{"苏D12345F", ""},
		{"苏D1234警", ""},

		{"", wantEmpty},
		{" · ", wantEmpty},
		{"苏d·12345", "格式不规范，应写作“苏D12345”"},
		{"苏D 12345", "格式不规范，应写作“苏D12345”"},
		{"苏D.DF123", "格式不规范，应写作“苏DDF123”"},
		{"苏Ｄ１２３４５", "格式不规范，应写作“苏D12345”"},
		{"苏D1234学", "教练车号牌（“学”字号牌）不能登记为公务用车"},
		{"苏D1234挂", "挂车号牌（“挂”字号牌）不能登记为公务用车"},
		{"使014001", "使馆车辆号牌不能登记为公务用车"},
		{"沪A1234领", "领馆车辆号牌不能登记为公务用车"},
		{"粤Z1234港", "港澳入出境车辆号牌不能登记为公务用车"},
		{"粤Z1234澳", "港澳入出境车辆号牌不能登记为公务用车"},
		{"台A12345", "第1位“台”不是省、自治区、直辖市简称（如“苏”）"},
		{"WJ苏12345", "第1位“W”不是省、自治区、直辖市简称（如“苏”）"},
		{"D12345", "第1位“D”不是省、自治区、直辖市简称（如“苏”）"},
		{"苏", wantPlateLen},
		{"苏112345", "第2位应为发牌机关代号（大写字母，如“苏D”中的D）"},
		{"苏D1234", wantPlateLen},
		{"苏D123456789", wantPlateLen},
		{"苏DI2345", "第3位：号牌号码中不使用字母I和O（请确认是否为数字1或0）"},
		{"苏D12O45", "第5位：号牌号码中不使用字母I和O（请确认是否为数字1或0）"},
		{"苏D12警45", "第5位“警”无效，号牌号码只能是数字和大写字母"},
		{"苏D1234试", "第7位“试”无效，号牌号码只能是数字和大写字母"},
		{"苏DZ12345", wantNE},
		{"苏D1234A5", wantNE},
		{"苏DD1234A", wantNE},
		{"苏D12345Z", wantNE},
		{"苏DDO1234", "第4位：号牌号码中不使用字母I和O（请确认是否为数字1或0）"},
		{"苏D123警", "警用号牌应为省份简称＋发牌机关代号＋4位号码＋“警”，如苏D1234警"},
		{"苏D12345警", "警用号牌应为省份简称＋发牌机关代号＋4位号码＋“警”，如苏D1234警"},
	})
}

func TestNormalisePlate(t *testing.T) {
	for in, want := range map[string]string{
		"苏d·12345":   "苏D12345",
		" 苏D 12345 ": "苏D12345",
		"苏D.12345":   "苏D12345",
		"苏D-12345":   "苏D12345",
		"苏D•dd123":   "苏DDD123",
		"苏D・12345":   "苏D12345",
		"苏Ｄ　１２３４５":   "苏D12345",
		"苏d1234警":    "苏D1234警",
	} {
		if got := NormalisePlate(in); got != want {
			t.Errorf("NormalisePlate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestVIN(t *testing.T) {
	runCases(t, "VIN", VIN, []tcase{
		{"LSVAM4187C2184847", ""},
		{"1M8GDM9AXKP042788", ""}, // check character X
		{"LFV2A21K2M3000001", ""},
		{"LGBH52E04GY000001", ""},
		{"LSGKB54HXHV000123", ""},
		{"WDD2050461R000001", ""},

		{"", wantEmpty},
		{"LSVAM4187C218484", "应为17位，实际为16位"},
		{"LSVAM4187C21848470", "应为17位，实际为18位"},
		{"lsvam4187c2184847", "格式不规范，应写作“LSVAM4187C2184847”"},
		{"LSVAM 4187C2184847", "格式不规范，应写作“LSVAM4187C2184847”"},
		{"LSVAM4187C2184８47", "格式不规范，应写作“LSVAM4187C2184847”"},
		{"LSVAM4I87C2184847", "第7位：车辆识别代号中不使用字母I、O、Q（请确认是否为数字1或0）"},
		{"LSVAM4187C21Q4847", "第13位：车辆识别代号中不使用字母I、O、Q（请确认是否为数字1或0）"},
		{"LSVAM4187C21848-7", "第16位“-”无效，只能是数字和大写字母"},
		{"LSVAM4187Z2184847", "第10位年份代码不能是“Z”"},
		{"LSVAM418702184847", "第10位年份代码不能是“0”"},
		{"LSVAM4188C2184847", "第9位校验位不正确，请逐位核对是否输入有误"},
		{"LSVAM4187C2184874", "第9位校验位不正确，请逐位核对是否输入有误"},
	})
}

func TestVINCheckChar(t *testing.T) {
	for in, want := range map[string]byte{
		"LSVAM4187C2184847": '7',
		"LFV2A21K0M3000001": '2',
		"1M8GDM9A?KP042788": 'X', // position 9 is ignored
		"LSGKB54H0HV000123": 'X',
	} {
		got, err := VINCheckChar(in)
		if err != nil || got != want {
			t.Errorf("VINCheckChar(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	runCases(t, "VINCheckChar", func(s string) error { _, err := VINCheckChar(s); return err }, []tcase{
		{"LFV2A", "应为17位，实际为5位"},
		{"lfv2a21k0m3000001", "字母应为大写"},
		{"LFV2A21K0M300000O", "第17位：车辆识别代号中不使用字母I、O、Q（请确认是否为数字1或0）"},
	})
}

func TestLicenceClass(t *testing.T) {
	runCases(t, "LicenceClass", LicenceClass, []tcase{
		{"A1", ""}, {"A2", ""}, {"A3", ""}, {"B1", ""}, {"B2", ""},
		{"C1", ""}, {"C2", ""}, {"C3", ""}, {"C4", ""}, {"C5", ""}, {"C6", ""},
		{"D", ""}, {"E", ""}, {"F", ""}, {"M", ""}, {"N", ""}, {"P", ""},
		{"C1E", ""}, {"A2D", ""}, {"C1C6", ""}, {"B2E", ""},

		{"", wantEmpty},
		{"c1", "格式不规范，应写作“C1”"},
		{" C1 ", "格式不规范，应写作“C1”"},
		{"C1、E", "格式不规范，应写作“C1E”"},
		{"C7", "“C7”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"B3", "“B3”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"C", "“C”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"G", "“G”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"C1X", "“X”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"小型汽车", "“小”不是有效的准驾车型代号，应为" + wantLicCodes},
		{"C1C1", "准驾车型“C1”重复"},
	})
}

func TestLicenceAllows(t *testing.T) {
	tests := []struct {
		licence, vehicle string
		want             bool
	}{
		{"C1", VehicleSmall, true},
		{"C1", VehicleSmallAutomatic, true},
		{"C2", VehicleSmallAutomatic, true},
		{"C2", VehicleSmall, false},
		{"C5", VehicleSmallAutomatic, false},
		{"C6", VehicleSmall, false},
		{"A1", VehicleSmall, true},
		{"A2", VehicleSmall, true},
		{"A3", VehicleSmall, true},
		{"B1", VehicleSmall, true},
		{"B2", VehicleSmall, true},
		{"A1", VehicleLargeBus, true},
		{"A2", VehicleLargeBus, false},
		{"B1", VehicleLargeBus, false},
		{"A1", VehicleMediumBus, true},
		{"A2", VehicleMediumBus, true},
		{"B1", VehicleMediumBus, true},
		{"B2", VehicleMediumBus, false},
		{"A3", VehicleMediumBus, false},
		{"A1", VehicleLargeTruck, true},
		{"A2", VehicleLargeTruck, true},
		{"B2", VehicleLargeTruck, true},
		{"B1", VehicleLargeTruck, false},
		{"A1", VehicleCityBus, true},
		{"A3", VehicleCityBus, true},
		{"A2", VehicleCityBus, false},
		{"B1", VehicleCityBus, false},
		{"C1E", VehicleSmall, true},
		{"C1E", VehicleLargeTruck, false},
		{"DC2", VehicleSmallAutomatic, true},
		{"c1", VehicleSmall, true}, // licence is normalised
		{"A2", "C6", true},         // licence codes work as vehicle classes
		{"C1", "C6", false},
		{"A1", "C6", false},
		{"C3", "C4", true},
		{"D", "E", true},
		{"E", "D", false},
		{"A1", "A2", false},
		{"X1", VehicleSmall, false},
		{"", VehicleSmall, false},
		{"C1", "truck", false},
		{"C1", "", false},
	}
	for _, tt := range tests {
		if got := LicenceAllows(tt.licence, tt.vehicle); got != tt.want {
			t.Errorf("LicenceAllows(%q, %q) = %v, want %v", tt.licence, tt.vehicle, got, tt.want)
		}
	}
}

// The licence table must be transitively closed, since LicenceAllows looks
// only one level deep.
func TestLicenceTableClosed(t *testing.T) {
	for code, covers := range licenceCovers {
		for _, c := range strings.Fields(covers) {
			sub, ok := licenceCovers[c]
			if !ok {
				t.Fatalf("%s covers unknown class %s", code, c)
			}
			for _, cc := range strings.Fields(sub) {
				if !strings.Contains(" "+covers+" ", " "+cc+" ") {
					t.Errorf("%s covers %s which covers %s, but %s does not list %s", code, c, cc, code, cc)
				}
			}
		}
	}
}

// checkMessage asserts the properties every error message must have.
func checkMessage(t *testing.T, in string, err error) {
	t.Helper()
	msg := err.Error()
	if msg == "" || !utf8.ValidString(msg) {
		t.Fatalf("bad message %q for input %q", msg, in)
	}
}

func FuzzPlate(f *testing.F) {
	for _, s := range []string{"苏D12345", "苏DD12345", "苏D12345D", "苏D1234警", "苏d·12345", "使014001", "苏", "", "\xff", "苏D1234\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := Plate(s)
		if err != nil {
			checkMessage(t, s, err)
			return
		}
		if NormalisePlate(s) != s {
			t.Fatalf("Plate(%q) accepted a non-normalised plate", s)
		}
		if n := utf8.RuneCountInString(s); n != 7 && n != 8 {
			t.Fatalf("Plate(%q) accepted %d characters", s, n)
		}
	})
}

func FuzzVIN(f *testing.F) {
	for _, s := range []string{"LSVAM4187C2184847", "1M8GDM9AXKP042788", "lsvam4187c2184847", "", "\xff", "LSVAM4187C218484７"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := VINCheckChar(s); err == nil && c != 'X' && (c < '0' || c > '9') {
			t.Fatalf("VINCheckChar(%q) = %q", s, c)
		}
		err := VIN(s)
		if err != nil {
			checkMessage(t, s, err)
			return
		}
		if len(s) != 17 || NormaliseVIN(s) != s {
			t.Fatalf("VIN(%q) accepted a malformed VIN", s)
		}
		if c, err := VINCheckChar(s); err != nil || c != s[8] {
			t.Fatalf("VIN(%q) accepted but check char is %q, %v", s, c, err)
		}
	})
}

// FuzzOthers runs the remaining validators on arbitrary input: no panics,
// readable messages, and accepted input is already normalised.
func FuzzOthers(f *testing.F) {
	for _, s := range []string{"91320400MA1M9T3B02", "320402198503152037", "11010519491231002x", "0519-85681234-123", "(0519)85681234", "+86 138 1234 5678", "C1E", "A", "0", "-", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, v := range []struct {
			name string
			fn   func(string) error
			norm func(string) string
		}{
			{"CreditCode", CreditCode, NormaliseCreditCode},
			{"Mobile", Mobile, NormalisePhone},
			{"Phone", Phone, NormalisePhone},
			{"IDCard", IDCard, func(s string) string { return strings.ToLower(NormaliseIDCard(s)) }},
			{"LicenceClass", LicenceClass, NormaliseLicenceClass},
		} {
			err := v.fn(s)
			if err != nil {
				checkMessage(t, s, err)
				continue
			}
			want := s
			if v.name == "IDCard" {
				want = strings.ToLower(s) // lower-case x is accepted
			}
			if v.norm(s) != want {
				t.Fatalf("%s(%q) accepted a non-normalised value", v.name, s)
			}
		}
		if _, err := IDCardBirth(s); err != nil {
			checkMessage(t, s, err)
		}
		if _, err := IDCardMale(s); err != nil {
			checkMessage(t, s, err)
		}
		for _, fn := range []func(string) (byte, error){CreditCodeCheckChar, IDCardCheckChar, VINCheckChar} {
			if _, err := fn(s); err != nil {
				checkMessage(t, s, err)
			}
		}
		LicenceAllows(s, s)
		LicenceAllows(s, VehicleSmall)
	})
}

func TestText(t *testing.T) {
	for _, tc := range []struct {
		in        string
		multiline bool
		bad       string // "" when accepted
	}{
		{"常州市 公务用车 😀 e\u0301 \u200b", false, ""},
		{"ab\x00cd", false, "U+0000"},
		{"ab\x00cd", true, "U+0000"},
		{"两行\n文字\t制表", true, ""},
		{"两行\n文字", false, "U+000A"},
		{"制表\t", false, "U+0009"},
		{"回车\r\n", true, "U+000D"},
		{"删除\x7f", true, "U+007F"},
		{"C1\u0085", true, "U+0085"},
		{"转义\x1b[31m", false, "U+001B"},
	} {
		err := Text(tc.in, tc.multiline)
		if (err == nil) != (tc.bad == "") || err != nil && !strings.Contains(err.Error(), tc.bad) {
			t.Errorf("Text(%q, %v) = %v, want %q", tc.in, tc.multiline, err, tc.bad)
		}
	}
}
