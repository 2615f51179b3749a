package check

import (
	"strings"
)

// licenceCovers lists, for each driving-licence class, the other classes it
// allows (机动车驾驶证申领和使用规定, 公安部令第162号, 附件1 准驾车型及代号;
// C6 轻型牵引挂车 since 2022-04-01). The table is already transitively
// closed.
var licenceCovers = map[string]string{
	"A1": "A3 B1 B2 C1 C2 C3 C4 M",
	"A2": "B1 B2 C1 C2 C3 C4 C6 M",
	"A3": "C1 C2 C3 C4",
	"B1": "C1 C2 C3 C4 M",
	"B2": "C1 C2 C3 C4 M",
	"C1": "C2 C3 C4",
	"C2": "",
	"C3": "C4",
	"C4": "",
	"C5": "",
	"C6": "",
	"D":  "E F",
	"E":  "F",
	"F":  "",
	"M":  "",
	"N":  "",
	"P":  "",
}

const msgLicenceCodes = "A1、A2、A3、B1、B2、C1、C2、C3、C4、C5、C6、D、E、F、M、N、P"

// Vehicle classes understood by LicenceAllows, with the licence class each
// one requires.
const (
	VehicleSmall          = "small"           // 小型汽车, C1
	VehicleSmallAutomatic = "small_automatic" // 小型自动挡汽车, C2
	VehicleLargeBus       = "large_bus"       // 大型客车, A1
	VehicleMediumBus      = "medium_bus"      // 中型客车, B1
	VehicleLargeTruck     = "large_truck"     // 大型货车, B2
	VehicleCityBus        = "city_bus"        // 城市公交车, A3
)

var vehicleClassLicence = map[string]string{
	VehicleSmall:          "C1",
	VehicleSmallAutomatic: "C2",
	VehicleLargeBus:       "A1",
	VehicleMediumBus:      "B1",
	VehicleLargeTruck:     "B2",
	VehicleCityBus:        "A3",
}

// NormaliseLicenceClass removes white space and the separators people type
// between classes ("C1、E", "C1,E", "C1/E"), converts full-width characters
// and upper-cases letters: " c1、e " → "C1E".
func NormaliseLicenceClass(s string) string {
	var b strings.Builder
	for _, r := range basicNormalise(s) {
		switch r {
		case ',', '、', '/', '+', ';', '，', '；':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// LicenceClass validates the 准驾车型 printed on a driving licence: one class
// code (A1 A2 A3 B1 B2 C1 C2 C3 C4 C5 C6 D E F M N P) or several written
// together as on the licence ("C1E", "A2D", "C1C6"), each at most once.
func LicenceClass(s string) error {
	n := NormaliseLicenceClass(s)
	if _, err := parseLicence(n); err != nil {
		return err
	}
	if n != s {
		return nonCanonical(n)
	}
	return nil
}

// parseLicence splits a canonical licence class string into its codes.
func parseLicence(s string) ([]string, error) {
	if s == "" {
		return nil, errorf(msgEmpty)
	}
	var codes []string
	for i := 0; i < len(s); {
		l := 1
		if c := s[i]; c == 'A' || c == 'B' || c == 'C' {
			l = 2
		}
		if i+l > len(s) {
			return nil, errorf("“%s”不是有效的准驾车型代号，应为%s", s[i:], msgLicenceCodes)
		}
		code := s[i : i+l]
		if _, ok := licenceCovers[code]; !ok {
			rs := []rune(s[i:])
			bad := string(rs[:min(l, len(rs))])
			return nil, errorf("“%s”不是有效的准驾车型代号，应为%s", bad, msgLicenceCodes)
		}
		for _, c := range codes {
			if c == code {
				return nil, errorf("准驾车型“%s”重复", code)
			}
		}
		codes = append(codes, code)
		i += l
	}
	return codes, nil
}

// LicenceAllows reports whether a driver holding licence (as accepted by
// LicenceClass, e.g. "B2" or "C1E") may drive a vehicle of vehicleClass,
// which is one of the Vehicle* constants ("small", "small_automatic",
// "large_bus", "medium_bus", "large_truck", "city_bus") or a licence class
// code ("C1", "A2", …). Invalid or unknown input yields false.
//
// licence is normalised with NormaliseLicenceClass first.
func LicenceAllows(licence, vehicleClass string) bool {
	codes, err := parseLicence(NormaliseLicenceClass(licence))
	if err != nil {
		return false
	}
	need, ok := vehicleClassLicence[vehicleClass]
	if !ok {
		if _, isCode := licenceCovers[vehicleClass]; !isCode {
			return false
		}
		need = vehicleClass
	}
	for _, c := range codes {
		if c == need || strings.Contains(" "+licenceCovers[c]+" ", " "+need+" ") {
			return true
		}
	}
	return false
}
