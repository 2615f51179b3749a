package supervision

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/beijing"
)

type termEvent struct {
	ID         int64     `bun:"id" json:"id"`
	VehicleID  int64     `bun:"vehicle_id" json:"vehicle_id"`
	UnitID     int64     `bun:"unit_id" json:"unit_id"`
	UnitPath   string    `bun:"unit_path" json:"-"`
	Plate      string    `bun:"plate" json:"plate"`
	Phone      string    `bun:"terminal_phone" json:"terminal_phone"`
	Kind       string    `bun:"kind" json:"kind"`
	OpenedAt   time.Time `bun:"opened_at" json:"opened_at"`
	LastSeenAt time.Time `bun:"last_seen_at" json:"last_seen_at"`
	Evidence   string    `bun:"evidence" json:"evidence"`
	State      string    `bun:"state" json:"state"`
}

func termEvents(ctx context.Context, db bun.IDB, w Window, kinds ...string) ([]*termEvent, error) {
	var out []*termEvent
	err := db.NewSelect().TableExpr("terminal_events AS e").
		ColumnExpr("e.id, e.vehicle_id, e.unit_id, u.path AS unit_path, v.plate, e.terminal_phone, e.kind, e.opened_at, e.last_seen_at, e.evidence, e.state").
		Join("JOIN units AS u ON u.id = e.unit_id").
		Join("JOIN vehicles AS v ON v.id = e.vehicle_id").
		Where("e.kind IN (?) AND e.opened_at >= ? AND e.opened_at < ?", bun.In(kinds), w.From.UTC(), w.To.UTC()).
		Order("e.id").Scan(ctx, &out)
	return out, err
}

func eventFinding(rule string, e *termEvent, summary string) Finding {
	return Finding{Rule: rule, Key: key(rule, "event", e.ID), VehicleID: e.VehicleID, UnitID: e.UnitID, UnitPath: e.UnitPath, At: e.OpenedAt,
		Summary: summary, Evidence: map[string]any{"terminal_event": e}}
}

var eventNames = map[string]string{"offline": "终端离线", "power_cut": "主电源断开", "antenna_fault": "GNSS天线故障（疑似遮挡或拔除）", "silent_after_power_cut": "断电后终端失联"}

// TerminalOffline is a terminal offline too long, from the terminal
// health events; the duration is the event's recorded span.
type TerminalOffline struct{}

func (TerminalOffline) Info() Info {
	return Info{Code: "terminal_offline", Name: "终端长时间离线", Basis: "R-26",
		Desc:  "车载终端离线时长超过阈值",
		Specs: []Spec{{Key: "hours", Label: "离线超过", Unit: "小时", Default: 24, Min: 1, Max: 168, Stricter: -1}, seriousSpec(0)}}
}

func (TerminalOffline) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	es, err := termEvents(ctx, db, w, "offline")
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, e := range es {
		d := e.LastSeenAt.Sub(e.OpenedAt)
		if d < hours(p(e.UnitPath).V("hours")) {
			continue
		}
		out = append(out, eventFinding("terminal_offline", e, fmt.Sprintf("%s 终端自 %s 起离线约%.0f小时", e.Plate, bj(e.OpenedAt), d.Hours())))
	}
	return out, nil
}

// Tamper is a main power cut, a GNSS antenna fault or a power cut followed
// by silence: patterns of a terminal being disabled.
type Tamper struct{}

func (Tamper) Info() Info {
	return Info{Code: "tamper", Name: "终端断电或疑似人为破坏", Basis: "R-26",
		Desc:  "终端主电源断开、GNSS天线故障或断电后失联；短暂断电（如启动打火）不计",
		Specs: []Spec{{Key: "min_minutes", Label: "断电或故障持续至少", Unit: "分钟", Default: 10, Min: 0, Max: 240, Stricter: -1}, seriousSpec(1)}}
}

func (Tamper) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	es, err := termEvents(ctx, db, w, "power_cut", "antenna_fault", "silent_after_power_cut")
	if err != nil {
		return nil, err
	}
	var out []Finding
	for _, e := range es {
		d := e.LastSeenAt.Sub(e.OpenedAt)
		if e.Kind != "silent_after_power_cut" && d < minutes(p(e.UnitPath).V("min_minutes")) {
			continue
		}
		what := fmt.Sprintf("%s，持续约%d分钟", eventNames[e.Kind], int(d.Minutes()))
		if e.Kind == "silent_after_power_cut" {
			what = eventNames[e.Kind]
		}
		out = append(out, eventFinding("tamper", e, fmt.Sprintf("%s %s：%s", e.Plate, bj(e.OpenedAt), what)))
	}
	return out, nil
}

// FilingOverdue is an emergency use the unit itself opened and did not file
// within the deadline. Filings opened for a trip without an order
// are the no-order rule's.
type FilingOverdue struct{}

func (FilingOverdue) Info() Info {
	return Info{Code: "filing_overdue", Name: "应急用车逾期未备案", Basis: "R-14",
		Desc:  "单位登记的应急用车未在48小时内完成备案（由无单行程生成的备案归“无单出车”）",
		Specs: []Spec{seriousSpec(0)}}
}

func (FilingOverdue) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	var fs []*filing
	if err := filingsQuery(db).Where("f.source = 'unit' AND f.deadline_at >= ? AND f.deadline_at < ?", w.From.UTC(), w.To.UTC()).Order("f.id").Scan(ctx, &fs); err != nil {
		return nil, err
	}
	var out []Finding
	for _, f := range fs {
		if f.filedBy(f.DeadlineAt) {
			continue
		}
		what := "至今未备案"
		if f.FiledAt != nil {
			what = "于 " + bj(*f.FiledAt) + " 逾期备案"
		}
		out = append(out, Finding{Rule: "filing_overdue", Key: key("filing_overdue", "filing", f.ID), VehicleID: f.VehicleID, UnitID: f.UnitID, UnitPath: f.UnitPath,
			At: f.StartedAt, Summary: fmt.Sprintf("%s %s 应急用车，备案期限 %s，%s", f.Plate, bj(f.StartedAt), bj(f.DeadlineAt), what),
			Evidence: map[string]any{"filing": f}})
	}
	return out, nil
}

// month returns the Beijing month of the window's end (periodic findings
// are raised once per unit and month).
func month(w Window) (string, time.Time) {
	t := w.To.Add(-time.Nanosecond)
	return beijing.Month(t), beijing.MonthStart(t)
}

// Unconfirmed is master data not confirmed for six months: one
// finding per unit and month listing the vehicles and drivers, as of the
// window's end. It reads the registry's current confirmation dates.
type Unconfirmed struct{}

func (Unconfirmed) Info() Info {
	return Info{Code: "unconfirmed", Name: "基础信息超期未确认", Basis: "R-8",
		Desc:  "车辆或驾驶员信息超过规定月数未确认（每单位每月一条）",
		Specs: []Spec{{Key: "months", Label: "超过", Unit: "月", Default: 6, Min: 1, Max: 12, Stricter: -1}, seriousSpec(0)}}
}

func (Unconfirmed) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	m, start := month(w)
	asOf := w.To
	if start.Before(w.From) {
		return nil, nil // the month's check belongs to the window holding its start
	}
	type row struct {
		Kind     string     `bun:"kind"`
		ID       int64      `bun:"id"`
		Name     string     `bun:"name"`
		UnitID   int64      `bun:"unit_id"`
		UnitPath string     `bun:"unit_path"`
		UnitName string     `bun:"unit_name"`
		At       *time.Time `bun:"confirmed_at"`
	}
	var rows []row
	oldest := asOf.AddDate(0, -1, 0) // the loosest a level may allow
	if err := db.NewRaw(`SELECT 'vehicle' AS kind, v.id, v.plate AS name, v.unit_id, u.path AS unit_path, u.name AS unit_name, v.confirmed_at
		FROM vehicles AS v JOIN units AS u ON u.id = v.unit_id WHERE v.status <> 'disposed' AND (v.confirmed_at IS NULL OR v.confirmed_at < ?)
		UNION ALL SELECT 'driver', d.id, d.name, d.unit_id, u.path, u.name, d.confirmed_at
		FROM drivers AS d JOIN units AS u ON u.id = d.unit_id WHERE d.active AND (d.confirmed_at IS NULL OR d.confirmed_at < ?)
		ORDER BY 4, 1, 2`, oldest.UTC(), oldest.UTC()).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	byUnit := map[int64]*Finding{}
	var order []int64
	for _, r := range rows {
		limit := asOf.AddDate(0, -int(p(r.UnitPath).V("months")), 0)
		if r.At != nil && !r.At.Before(limit) {
			continue
		}
		f := byUnit[r.UnitID]
		if f == nil {
			f = &Finding{Rule: "unconfirmed", Key: key("unconfirmed", "unit", r.UnitID, m), UnitID: r.UnitID, UnitPath: r.UnitPath, At: start,
				Evidence: map[string]any{"unit": r.UnitName, "records": []map[string]any{}, "as_of": asOf}}
			byUnit[r.UnitID] = f
			order = append(order, r.UnitID)
		}
		f.Evidence["records"] = append(f.Evidence["records"].([]map[string]any), map[string]any{"kind": r.Kind, "id": r.ID, "name": r.Name, "confirmed_at": r.At})
	}
	var out []Finding
	for _, id := range order {
		f := byUnit[id]
		f.Summary = fmt.Sprintf("%s 有%d条车辆或驾驶员信息超期未确认", f.Evidence["unit"], len(f.Evidence["records"].([]map[string]any)))
		out = append(out, *f)
	}
	return out, nil
}

// OverQuota is a unit holding more vehicles than its quota, once per
// unit and month, as of the window's end (current registry counts).
type OverQuota struct{}

func (OverQuota) Info() Info {
	return Info{Code: "over_quota", Name: "超编制配备车辆", Basis: "R-6",
		Desc:  "单位实有车辆数超过车辆编制数（每单位每月一条）",
		Specs: []Spec{{Key: "allowance", Label: "允许超出", Unit: "辆", Default: 0, Min: 0, Max: 5, Stricter: -1}, seriousSpec(0)}}
}

func (OverQuota) Evaluate(ctx context.Context, db bun.IDB, w Window, p Resolver) ([]Finding, error) {
	m, start := month(w)
	if start.Before(w.From) {
		return nil, nil
	}
	var rows []struct {
		ID    int64  `bun:"id"`
		Name  string `bun:"name"`
		Path  string `bun:"path"`
		Quota int    `bun:"vehicle_quota"`
		Count int    `bun:"cnt"`
	}
	if err := db.NewRaw(`SELECT u.id, u.name, u.path, u.vehicle_quota, COUNT(v.id) AS cnt FROM units AS u
		JOIN vehicles AS v ON v.unit_id = u.id AND v.status <> 'disposed'
		WHERE u.kind = 'unit' AND u.active GROUP BY u.id, u.name, u.path, u.vehicle_quota
		HAVING COUNT(v.id) > u.vehicle_quota ORDER BY u.id`).Scan(ctx, &rows); err != nil {
		return nil, err
	}
	var out []Finding
	for _, r := range rows {
		if float64(r.Count-r.Quota) <= p(r.Path).V("allowance") {
			continue
		}
		out = append(out, Finding{Rule: "over_quota", Key: key("over_quota", "unit", r.ID, m), UnitID: r.ID, UnitPath: r.Path, At: start,
			Summary:  fmt.Sprintf("%s 车辆编制%d辆，实有%d辆，超编%d辆", r.Name, r.Quota, r.Count, r.Count-r.Quota),
			Evidence: map[string]any{"unit": r.Name, "quota": r.Quota, "count": r.Count}})
	}
	return out, nil
}
