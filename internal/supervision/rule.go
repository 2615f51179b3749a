// Package supervision finds violations in the platform's data and follows
// them as cases (issue 7, R-29(5), R-30).
//
// A Rule reads only data — trips, positions, orders, filings, the calendar,
// terminal events, the registry — over a time window and returns Findings,
// each with a stable evidence key; it never looks at the clock, so running
// it twice over the same window (or replaying last month with changed
// parameters) gives the same findings. The Engine stores findings once per
// (rule, evidence key) and opens or extends cases.
package supervision

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
)

// Window is the period a rule evaluates: findings whose deciding moment
// (a trip's end, a filing's deadline, a night's check time) lies in
// [From, To).
type Window struct{ From, To time.Time }

// Spec describes one numeric parameter of a rule: its hard bounds, its
// default, and which direction is stricter (a district may only move a
// value that way from the city's).
type Spec struct {
	Key      string  `json:"key"`
	Label    string  `json:"label"`
	Unit     string  `json:"unit"`
	Default  float64 `json:"default"`
	Min      float64 `json:"min"`
	Max      float64 `json:"max"`
	Stricter int     `json:"stricter"` // -1: lower is stricter; +1: higher is stricter
	Switch   bool    `json:"switch"`   // on (1) or off (0): shown as a switch
}

// Params are a rule's effective parameters at a level.
type Params struct {
	Values  map[string]float64 `json:"values"`
	Polygon [][2]float64       `json:"polygon,omitempty"` // area rule: [lat, lng] vertices (city level only)
}

// V returns the value of key (0 when absent).
func (p Params) V(key string) float64 { return p.Values[key] }

// Info describes a rule.
type Info struct {
	Code  string `json:"code"`
	Name  string `json:"name"`
	Basis string `json:"basis"` // the regulation it enforces, e.g. "R-14"
	Desc  string `json:"desc"`
	Specs []Spec `json:"specs"`
}

// Resolver gives the effective parameters for the unit with the given
// materialised path (the district's where it set them, else the city's,
// else the defaults).
type Resolver func(unitPath string) Params

// Finding is a rule's result: one violation with its evidence.
type Finding struct {
	Rule      string         `json:"rule"`
	Key       string         `json:"evidence_key"` // stable: e.g. "no_order:trip:123"
	VehicleID int64          `json:"vehicle_id"`   // 0 for unit-level findings
	UnitID    int64          `json:"unit_id"`
	UnitPath  string         `json:"-"`
	At        time.Time      `json:"at"`
	TripID    int64          `json:"trip_id"`
	Summary   string         `json:"summary"`
	Evidence  map[string]any `json:"evidence"`
}

// Day is the Beijing date of the finding.
func (f *Finding) Day() string { return beijing.Date(f.At) }

// Rule is one supervision rule.
type Rule interface {
	Info() Info
	// Evaluate returns the findings decided inside w. It reads db only.
	Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error)
}

// Common parameter: serious rules escalate their cases automatically to the
// level above and to discipline inspection (issue 7 part 3).
func seriousSpec(def float64) Spec {
	return Spec{Key: "serious", Label: "严重问题：自动升级并移送纪检", Default: def, Min: 0, Max: 1, Stricter: +1, Switch: true}
}

// Rules lists every rule, in display order.
var Rules = []Rule{
	NoOrder{}, OrderWindow{}, HolidaySealed{}, NightUse{}, AreaExit{}, Overnight{},
	Mileage{}, TerminalOffline{}, Tamper{}, FilingOverdue{}, Unconfirmed{}, OverQuota{},
	FuelAnomaly{}, RepairCost{},
}

// ByCode returns the rule with code c.
func ByCode(c string) Rule {
	for _, r := range Rules {
		if r.Info().Code == c {
			return r
		}
	}
	return nil
}

// Defaults returns the rule's default parameters.
func Defaults(r Rule) Params {
	p := Params{Values: map[string]float64{}}
	for _, s := range r.Info().Specs {
		p.Values[s.Key] = s.Default
	}
	if _, ok := r.(AreaExit); ok {
		p.Polygon = DefaultPolygon
	}
	return p
}

// Fixed resolves every unit to p (tests, replay of one level).
func Fixed(p Params) Resolver { return func(string) Params { return p } }

// sortFindings orders findings by key so that results compare stably.
func sortFindings(fs []Finding) {
	sort.Slice(fs, func(i, j int) bool {
		if fs[i].Rule != fs[j].Rule {
			return fs[i].Rule < fs[j].Rule
		}
		return fs[i].Key < fs[j].Key
	})
}

func key(rule string, parts ...any) string {
	s := make([]string, 0, len(parts)+1)
	s = append(s, rule)
	for _, p := range parts {
		s = append(s, fmt.Sprint(p))
	}
	return strings.Join(s, ":")
}

func bj(t time.Time) string { return t.In(beijing.Zone).Format("2006-01-02 15:04") }
