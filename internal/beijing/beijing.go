// Package beijing is the one home of China Standard Time: the zone every
// date the regulation speaks of is counted in (a "day" of R-14's 48 hours,
// a month of R-24's fuel records, a holiday of R-15), and the date and
// month forms the database keys and the UI use. Times are stored in UTC.
package beijing

import "time"

// Zone is China Standard Time: UTC+8, no daylight saving. A fixed zone,
// so nothing depends on the machine's tzdata.
var Zone = time.FixedZone("CST", 8*60*60)

// Date is t's Beijing calendar date as 2006-01-02.
func Date(t time.Time) string { return t.In(Zone).Format(time.DateOnly) }

// Month is t's Beijing month as 2006-01.
func Month(t time.Time) string { return t.In(Zone).Format("2006-01") }

// DayStart is the instant the Beijing day holding t begins.
func DayStart(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Zone)
}

// MonthStart is the instant the Beijing month holding t begins.
func MonthStart(t time.Time) time.Time {
	y, m, _ := t.In(Zone).Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, Zone)
}

// ParseDate reads a 2006-01-02 date as the start of that Beijing day.
func ParseDate(s string) (time.Time, error) { return time.ParseInLocation(time.DateOnly, s, Zone) }

// ParseMonth reads a 2006-01 month as the start of that Beijing month.
func ParseMonth(s string) (time.Time, error) { return time.ParseInLocation("2006-01", s, Zone) }
