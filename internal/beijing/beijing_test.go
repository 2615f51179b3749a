package beijing

import (
	"testing"
	"time"
)

func TestDates(t *testing.T) {
	// 2026-12-31 16:30 UTC is already 2027-01-01 00:30 in Beijing.
	at := time.Date(2026, 12, 31, 16, 30, 0, 0, time.UTC)
	if Date(at) != "2027-01-01" || Month(at) != "2027-01" {
		t.Fatalf("Date/Month = %s/%s", Date(at), Month(at))
	}
	if got := DayStart(at).UTC(); !got.Equal(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("DayStart = %v", got)
	}
	if got := MonthStart(at).UTC(); !got.Equal(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Fatalf("MonthStart = %v", got)
	}
	d, err := ParseDate("2027-01-01")
	if err != nil || !d.Equal(DayStart(at)) {
		t.Fatalf("ParseDate = %v, %v", d, err)
	}
	m, err := ParseMonth("2027-01")
	if err != nil || !m.Equal(MonthStart(at)) {
		t.Fatalf("ParseMonth = %v, %v", m, err)
	}
}
