// Package calendar is the working calendar of R-15: the statutory holidays
// and make-up working days (调休上班) of the State Council's yearly schedule,
// on which vehicles other than emergency and law-enforcement ones are
// sealed. Booking, supervision and fuel read it; the city administrator
// keeps it.
package calendar

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// actCalendarSet is the audit log's action of an edit of the calendar.
var actCalendarSet = audit.NewAction("calendar.set", "设置节假日安排")

// exemptFromSealing are the categories that keep running on holidays.
var exemptFromSealing = []string{"emergency", "law_enforcement"}

// RunsOnHolidays reports whether vehicles of category keep running on
// statutory holidays instead of being sealed.
func RunsOnHolidays(category string) bool { return slices.Contains(exemptFromSealing, category) }

// Day is an entry of the working calendar: a statutory holiday or a
// make-up working day (调休上班).
type Day struct {
	bun.BaseModel `bun:"table:calendar_days"`

	Day       string    `bun:"day,pk" json:"day"`
	Kind      string    `bun:"kind" json:"kind"` // holiday | workday
	Name      string    `bun:"name" json:"name"`
	Source    string    `bun:"source" json:"source"` // seed | admin
	UpdatedAt time.Time `bun:"updated_at" json:"updated_at"`
}

// Calendar is the working calendar.
type Calendar struct{ DB *store.DB }

// SeedYears fills the calendar for the given years from the State
// Council's published schedules as maintained by 6tail/lunar-go; days an
// administrator has edited are kept. It returns the number of days added.
func (c *Calendar) SeedYears(ctx context.Context, years ...int) (int, error) {
	n := 0
	err := c.DB.Tx(ctx, func(tx bun.Tx) error {
		for _, y := range years {
			for e := HolidayUtil.GetHolidaysByYear(y).Front(); e != nil; e = e.Next() {
				h := e.Value.(*HolidayUtil.Holiday)
				kind := "holiday"
				if h.IsWork() {
					kind = "workday"
				}
				d := &Day{Day: h.GetDay(), Kind: kind, Name: h.GetName(), Source: "seed", UpdatedAt: time.Now().UTC()}
				res, err := tx.NewInsert().Model(d).On("CONFLICT (day) DO NOTHING").Exec(ctx)
				if err != nil {
					return err
				}
				if k, _ := res.RowsAffected(); k > 0 {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}

// Year lists the calendar's entries of one year.
func (c *Calendar) Year(ctx context.Context, year int) ([]*Day, error) {
	out := []*Day{}
	err := c.DB.R.NewSelect().Model(&out).Where("day >= ? AND day <= ?", fmt.Sprintf("%d-01-01", year), fmt.Sprintf("%d-12-31", year)).Order("day").Scan(ctx)
	return out, store.Translate(err)
}

// Holidays returns the statutory holidays among the Beijing days touched
// by [from, to), read through db (a transaction or the pool). A make-up
// working day (调休上班) is a working day; ordinary weekends are not
// statutory holidays (R-15 seals vehicles on statutory holidays).
func Holidays(ctx context.Context, db bun.IDB, from, to time.Time) ([]*Day, error) {
	out := []*Day{}
	err := db.NewSelect().Model(&out).Where("kind = 'holiday' AND day >= ? AND day <= ?",
		beijing.Date(from), beijing.Date(to.Add(-time.Nanosecond))).Order("day").Scan(ctx)
	return out, store.Translate(err)
}

// HolidayDates is Holidays as a set of Beijing dates (2006-01-02).
func HolidayDates(ctx context.Context, db bun.IDB, from, to time.Time) (map[string]bool, error) {
	days, err := Holidays(ctx, db, from, to)
	set := make(map[string]bool, len(days))
	for _, d := range days {
		set[d.Day] = true
	}
	return set, err
}

// DayInput sets one calendar day.
type DayInput struct {
	Day  string `json:"day"`
	Kind string `json:"kind"` // holiday | workday | "" to remove the entry
	Name string `json:"name"`
}

// Set records or removes a day. Only the city's platform administrator
// keeps the calendar, for the whole city (the State Council publishes each
// year's schedule in November or December).
func (c *Calendar) Set(ctx context.Context, a *access.Actor, in DayInput) error {
	if a.ScopeKind != "city" {
		return errs.E(errs.Forbidden, "节假日安排由市级平台管理员统一维护")
	}
	if _, err := time.Parse(time.DateOnly, in.Day); err != nil {
		return (&errs.Fields{"day": "日期格式应为 YYYY-MM-DD"}).Err()
	}
	if in.Kind != "" && in.Kind != "holiday" && in.Kind != "workday" {
		return (&errs.Fields{"kind": "类型应为法定节假日或调休上班"}).Err()
	}
	return c.DB.Tx(ctx, func(tx bun.Tx) error {
		var before []*Day
		if err := tx.NewSelect().Model(&before).Where("day = ?", in.Day).Scan(ctx); err != nil {
			return err
		}
		if _, err := tx.NewDelete().Model((*Day)(nil)).Where("day = ?", in.Day).Exec(ctx); err != nil {
			return err
		}
		var after *Day
		summary := fmt.Sprintf("删除日历 %s", in.Day)
		if in.Kind != "" {
			after = &Day{Day: in.Day, Kind: in.Kind, Name: in.Name, Source: "admin", UpdatedAt: time.Now().UTC()}
			if _, err := tx.NewInsert().Model(after).Exec(ctx); err != nil {
				return err
			}
			summary = fmt.Sprintf("将 %s 设为%s%s", in.Day, map[string]string{"holiday": "法定节假日", "workday": "调休上班日"}[in.Kind], in.Name)
		}
		var b any
		if len(before) > 0 {
			b = before[0]
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: actCalendarSet, ObjectType: audit.Calendar, Summary: summary, Before: b, After: after})
	})
}
