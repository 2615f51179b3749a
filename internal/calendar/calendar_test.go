package calendar_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"govfleet/internal/app/apptest"
	"govfleet/internal/beijing"
	"govfleet/internal/calendar"
	"govfleet/internal/errs"
)

func day(s string) time.Time {
	t, err := beijing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return t
}

// The State Council's schedule seeds the calendar once; an administrator's
// edit outlives a reseed; the holidays of a period are its Beijing days.
func TestCalendar(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		db := w.DB // seeds this year and the next
		ctx := context.Background()
		cal := w.Booking.Calendar
		this := time.Now().In(beijing.Zone).Year()
		if n, err := cal.SeedYears(ctx, this); err != nil || n != 0 {
			t.Fatalf("reseed %d: %d, %v", this, n, err)
		}
		if n, err := cal.SeedYears(ctx, 2020); err != nil || n == 0 {
			t.Fatalf("seed 2020: %d, %v", n, err)
		}
		if _, err := cal.SeedYears(ctx, 2026); err != nil { // the year of the dates below, whatever the year now
			t.Fatal(err)
		}
		// National Day 2026: 1 October, not 30 September; [from, to).
		hs, err := calendar.Holidays(ctx, db.R, day("2026-09-30"), day("2026-10-02"))
		if err != nil || len(hs) != 1 || hs[0].Day != "2026-10-01" || hs[0].Name != "国庆节" {
			t.Fatalf("holidays 30 Sep–1 Oct: %+v, %v", hs, err)
		}
		// 2026-09-30 16:30 UTC is already 1 October in Beijing.
		late := time.Date(2026, 9, 30, 16, 30, 0, 0, time.UTC)
		if set, err := calendar.HolidayDates(ctx, db.R, late, late.Add(time.Minute)); err != nil || !set["2026-10-01"] || len(set) != 1 {
			t.Fatalf("holiday dates at %v: %v, %v", late, set, err)
		}

		if err := cal.Set(ctx, w.Actor(t, "jgj_vm"), calendar.DayInput{Day: "2026-10-01", Kind: "workday"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a unit's vehicle manager sets the city's calendar: %v", err)
		}
		admin := w.Actor(t, "city_admin")
		if err := cal.Set(ctx, admin, calendar.DayInput{Day: "2026-10-01", Kind: "day off"}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("unknown kind: %v", err)
		}
		if err := cal.Set(ctx, admin, calendar.DayInput{Day: "2026-10-01", Kind: "workday", Name: "防汛值守"}); err != nil {
			t.Fatal(err)
		}
		if _, err := cal.SeedYears(ctx, 2026); err != nil {
			t.Fatal(err)
		}
		if set, err := calendar.HolidayDates(ctx, db.R, day("2026-10-01"), day("2026-10-02")); err != nil || len(set) != 0 {
			t.Fatalf("the edited day is a holiday again: %v, %v", set, err)
		}
		year, err := cal.Year(ctx, 2026)
		i := slices.IndexFunc(year, func(d *calendar.Day) bool { return d.Day == "2026-10-01" })
		if err != nil || i < 0 || year[i].Kind != "workday" || year[i].Source != "admin" || year[0].Day[:4] != "2026" || year[len(year)-1].Day[:4] != "2026" {
			t.Fatalf("year 2026: %v", err)
		}
	})
}

func TestRunsOnHolidays(t *testing.T) {
	for cat, want := range map[string]bool{"emergency": true, "law_enforcement": true, "confidential": false, "other": false} {
		if calendar.RunsOnHolidays(cat) != want {
			t.Errorf("RunsOnHolidays(%q) = %v", cat, !want)
		}
	}
}
