package health

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/store"
	"govfleet/internal/telematics"
)

// The audit log's actions recorded here, with their Chinese names.
var (
	actTerminalEventRepair = audit.NewAction("terminal_event.repair", "终端故障报修")
	actTerminalEventFix    = audit.NewAction("terminal_event.fix", "终端故障已修复")
)

// Service runs the detectors and serves the events.
type Service struct {
	DB     *store.DB
	Geo    *geo.Geocoder // the places of the evidence's positions
	Params Params        // zero: DefaultParams
	// Lag: positions are read up to now-Lag (default 1 min), so that a
	// blind-area batch is read in time order.
	Lag time.Duration
	Now func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

func (s *Service) params() Params {
	if s.Params == (Params{}) {
		return DefaultParams
	}
	return s.Params
}

// Event is a row of terminal_events.
type Event struct {
	bun.BaseModel `bun:"table:terminal_events"`

	ID                int64           `bun:"id,pk,autoincrement" json:"id"`
	VehicleID         *int64          `bun:"vehicle_id" json:"vehicle_id"`
	UnitID            int64           `bun:"unit_id" json:"unit_id"`
	Phone             string          `bun:"terminal_phone" json:"terminal_phone"`
	Kind              string          `bun:"kind" json:"kind"`
	OpenedAt          time.Time       `bun:"opened_at" json:"opened_at"`
	LastSeenAt        time.Time       `bun:"last_seen_at" json:"last_seen_at"`
	ClearedAt         *time.Time      `bun:"cleared_at" json:"cleared_at"`
	EvidenceRaw       string          `bun:"evidence" json:"-"`
	Evidence          json.RawMessage `bun:"-" json:"evidence"`
	State             string          `bun:"state" json:"state"`
	RepairRequestedAt *time.Time      `bun:"repair_requested_at" json:"repair_requested_at"`
	RepairRequestedBy *int64          `bun:"repair_requested_by" json:"repair_requested_by"`
	FixedAt           *time.Time      `bun:"fixed_at" json:"fixed_at"`
	FixedBy           *int64          `bun:"fixed_by" json:"fixed_by"`
	Note              string          `bun:"note" json:"note"`
	CreatedAt         time.Time       `bun:"created_at" json:"created_at"`

	Plate           string `bun:"plate,scanonly" json:"plate"`
	UnitName        string `bun:"unit_name,scanonly" json:"unit_name"`
	UnitPath        string `bun:"unit_path,scanonly" json:"-"`
	RequestedByName string `bun:"requested_by_name,scanonly" json:"repair_requested_by_name"`
	FixedByName     string `bun:"fixed_by_name,scanonly" json:"fixed_by_name"`
	KindName        string `bun:"-" json:"kind_name"`
	StateName       string `bun:"-" json:"state_name"`
	// Places names the evidence's positions in words ("first", "last_report" → address).
	Places map[string]string `bun:"-" json:"places"`
}

func (e *Event) fill() {
	e.Evidence = json.RawMessage(e.EvidenceRaw)
	if len(e.Evidence) == 0 {
		e.Evidence = json.RawMessage("{}")
	}
	e.KindName, e.StateName = KindNames[e.Kind], StateNames[e.State]
}

// RunStats says what one run did.
type RunStats struct {
	Terminals int
	Positions int
	Opened    int // events raised
}

// Run reads the new positions of every terminal and checks its silence,
// at about a quarter of a core, and records the events, the terminals of up
// to batchTerminals reads in one transaction (store.InBatches). It is the
// minute job of serve.
func (s *Service) Run(ctx context.Context) (RunStats, error) {
	var st RunStats
	now := s.now()
	type terminal struct {
		Sim     string `bun:"sim"`
		Vehicle *int64 `bun:"vehicle_id"`
		Unit    int64  `bun:"unit_id"`
		Phone   string `bun:"-"`
	}
	var ts []terminal
	if err := s.DB.R.NewSelect().TableExpr("terminals AS t").ColumnExpr("t.sim, t.vehicle_id, COALESCE(v.unit_id, t.unit_id) AS unit_id").
		Join("LEFT JOIN vehicles AS v ON v.id = t.vehicle_id").OrderExpr("t.id").Scan(ctx, &ts); err != nil {
		return st, store.Translate(err)
	}
	lag := s.Lag
	if lag <= 0 {
		lag = time.Minute
	}
	// Two terminals whose SIM numbers differ by leading zeros report as one
	// phone: check it once, or one batch would hold it twice.
	var phones []terminal
	seen := make(map[string]bool, len(ts))
	for _, t := range ts {
		if t.Phone = telematics.NormalizePhone(t.Sim); !seen[t.Phone] {
			seen[t.Phone] = true
			phones = append(phones, t)
		}
	}
	err := store.InBatches(ctx, s.DB, &store.Pacer{Rest: 3}, phones, batchTerminals,
		func(t terminal) (*check, bool, error) {
			c, err := s.read(ctx, t.Phone, t.Vehicle, t.Unit, now.Add(-lag), now)
			if err != nil {
				return nil, false, fmt.Errorf("terminal %s: %w", t.Sim, err)
			}
			return c, c != nil && c.more, nil
		},
		func(tx bun.Tx, c *check) (int, error) {
			opened, err := s.write(ctx, tx, c, now)
			if err != nil {
				return opened, fmt.Errorf("terminal %s: %w", c.phone, err)
			}
			return opened, nil
		},
		func(batch []*check, opened int) {
			st.Opened += opened
			for _, c := range batch {
				st.Positions += c.read
			}
		})
	if err != nil {
		return st, err
	}
	st.Terminals = len(phones)
	return st, nil
}

var readLimit = 5000

// batchTerminals is the most terminals whose events and cursors Run
// records in one transaction: one commit (on SQLite one fsync) for many
// terminals instead of one for each, which at 19,000 terminals took most of
// the job's time and competed with the positions' own commits for the disk
// (issue 5, Performance; BenchmarkMinuteJob in internal/trips).
var batchTerminals = 100

// check is what one read of a terminal's positions found, to be recorded.
type check struct {
	phone   string
	vehicle *int64
	unit    int64
	state   State
	changes []Change
	to      time.Time // where the cursor moves
	read    int       // positions read
	more    bool      // the read stopped at readLimit
}

// read reads the positions of terminal phone after its cursor up to until
// (at most readLimit), feeds them to the detector and, when it read all,
// checks the terminal's silence at now. It returns nil when there is
// nothing to record: nothing read, nothing begun, so the cursor need not
// move (the next read is the same) — most terminals, most minutes.
func (s *Service) read(ctx context.Context, phone string, vehicle *int64, unit int64, until, now time.Time) (*check, error) {
	prm := s.params()
	c := &check{phone: phone, vehicle: vehicle, unit: unit}
	var from time.Time
	var raw string
	err := s.DB.R.QueryRowContext(ctx, "SELECT until, state FROM health_cursors WHERE terminal_phone = ?", phone).Scan(&from, &raw)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		from = until.Add(-24 * time.Hour)
	case err != nil:
		return nil, store.Translate(err)
	default:
		if err := json.Unmarshal([]byte(raw), &c.state); err != nil {
			return nil, fmt.Errorf("cursor state: %w", err)
		}
	}
	var ps []telematics.Position
	if until.After(from) {
		if ps, err = positions(ctx, s.DB, phone, from, until); err != nil {
			return nil, err
		}
	}
	for _, p := range ps {
		c.changes = append(c.changes, c.state.Feed(p, prm)...)
	}
	c.to, c.read, c.more = until, len(ps), len(ps) == readLimit
	if c.more {
		c.to = ps[len(ps)-1].At
	} else {
		c.changes = append(c.changes, c.state.Silence(now, prm)...)
	}
	if len(ps) == 0 && !slices.ContainsFunc(c.changes, func(c Change) bool { return c.New || c.Cleared }) {
		return nil, nil
	}
	return c, nil
}

// write records what c found — the events (it returns how many it raised)
// — and moves the cursor, in tx.
func (s *Service) write(ctx context.Context, tx bun.Tx, c *check, now time.Time) (opened int, err error) {
	if opened, err = s.apply(ctx, tx, c.phone, c.vehicle, c.unit, c.changes); err != nil {
		return opened, err
	}
	raw, _ := json.Marshal(c.state)
	_, err = tx.ExecContext(ctx, `INSERT INTO health_cursors (terminal_phone, until, state, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (terminal_phone) DO UPDATE SET until = excluded.until, state = excluded.state, updated_at = excluded.updated_at`,
		c.phone, c.to.UTC(), string(raw), now)
	return opened, err
}

// apply writes the changes: one row per episode, created when it begins,
// its last_seen_at moved while it goes on, cleared_at set when it ends.
// A fixed event is left alone.
func (s *Service) apply(ctx context.Context, tx bun.Tx, phone string, vehicle *int64, unit int64, changes []Change) (opened int, err error) {
	now := s.now()
	for _, c := range changes {
		key := "terminal_phone = ? AND kind = ? AND opened_at = ?"
		switch {
		case c.New:
			ev, _ := json.Marshal(c.Evidence)
			var cleared *time.Time
			if c.Cleared {
				cleared = &c.Seen
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO terminal_events (vehicle_id, unit_id, terminal_phone, kind, opened_at, last_seen_at, evidence, state, created_at, cleared_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (terminal_phone, kind, opened_at) DO NOTHING`,
				vehicle, unit, phone, c.Kind, c.OpenedAt.UTC(), c.Seen.UTC(), string(ev), Open, now, cleared)
			if err != nil {
				return opened, err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				opened++
			}
		case c.Evidence != nil:
			// Another jump (or take-over attempt) of the episode: keep the
			// first, count, show the last.
			var raw string
			if err := tx.QueryRowContext(ctx, "SELECT evidence FROM terminal_events WHERE "+key, phone, c.Kind, c.OpenedAt.UTC()).Scan(&raw); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue
				}
				return opened, err
			}
			ev := map[string]any{}
			json.Unmarshal([]byte(raw), &ev)
			n, _ := ev["count"].(float64)
			ev["count"], ev["last"] = max(n, 1)+1, c.Evidence
			b, _ := json.Marshal(ev)
			if _, err := tx.ExecContext(ctx, "UPDATE terminal_events SET last_seen_at = ?, evidence = ? WHERE state <> 'fixed' AND "+key,
				c.Seen.UTC(), string(b), phone, c.Kind, c.OpenedAt.UTC()); err != nil {
				return opened, err
			}
		case c.Cleared:
			if _, err := tx.ExecContext(ctx, "UPDATE terminal_events SET cleared_at = ? WHERE cleared_at IS NULL AND "+key,
				c.Seen.UTC(), phone, c.Kind, c.OpenedAt.UTC()); err != nil {
				return opened, err
			}
		default:
			if _, err := tx.ExecContext(ctx, "UPDATE terminal_events SET last_seen_at = ? WHERE state <> 'fixed' AND last_seen_at < ? AND "+key,
				c.Seen.UTC(), c.Seen.UTC(), phone, c.Kind, c.OpenedAt.UTC()); err != nil {
				return opened, err
			}
		}
	}
	return opened, nil
}

// Raise records what the gateway saw of terminal phone (normalised) at
// now: a take-over attempt (Clone) or a clock off (ClockOff). Another
// attempt within JumpEpisode of the last of a Clone event not yet fixed
// counts in it; a clock off while one is going on (not cleared) too.
func (s *Service) Raise(ctx context.Context, phone, kind string, evidence map[string]any) error {
	now := s.now()
	return s.DB.Tx(ctx, func(tx bun.Tx) error {
		var t struct {
			Vehicle *int64 `bun:"vehicle_id"`
			Unit    int64  `bun:"unit_id"`
		}
		// Terminals keep the SIM as typed, leading zeros too: few rows, a rare event.
		err := tx.NewSelect().TableExpr("terminals AS t").ColumnExpr("t.vehicle_id, COALESCE(v.unit_id, t.unit_id) AS unit_id").
			Join("LEFT JOIN vehicles AS v ON v.id = t.vehicle_id").Where("ltrim(t.sim, '0') = ?", phone).OrderExpr("t.id").Limit(1).Scan(ctx, &t)
		if err != nil {
			return store.Translate(err)
		}
		var opened time.Time
		err = tx.QueryRowContext(ctx, `SELECT opened_at FROM terminal_events WHERE terminal_phone = ? AND kind = ? AND state <> 'fixed'
			AND (cleared_at IS NULL OR kind = ? AND last_seen_at >= ?) ORDER BY opened_at DESC LIMIT 1`, phone, kind, Clone, now.Add(-s.params().JumpEpisode)).Scan(&opened)
		c := Change{Kind: kind, OpenedAt: opened, Seen: now, Evidence: evidence}
		switch {
		case errors.Is(err, sql.ErrNoRows):
			c.OpenedAt, c.New, c.Cleared = now, true, kind == Clone // an attempt is over when refused or done
		case err != nil:
			return err
		}
		_, err = s.apply(ctx, tx, phone, t.Vehicle, t.Unit, []Change{c})
		return err
	})
}

// Clear ends the episode of kind going on for terminal phone (a clock set
// right again).
func (s *Service) Clear(ctx context.Context, phone, kind string) error {
	_, err := s.DB.W.ExecContext(ctx, "UPDATE terminal_events SET cleared_at = ? WHERE terminal_phone = ? AND kind = ? AND cleared_at IS NULL",
		s.now(), phone, kind)
	return store.Translate(err)
}

func (s *Service) selectEvents(db bun.IDB) *bun.SelectQuery {
	return db.NewSelect().Model((*Event)(nil)).ModelTableExpr("terminal_events AS e").
		ColumnExpr("e.*, v.plate AS plate, u.name AS unit_name, u.path AS unit_path, ru.real_name AS requested_by_name, fu.real_name AS fixed_by_name").
		Join("JOIN units AS u ON u.id = e.unit_id").
		Join("LEFT JOIN vehicles AS v ON v.id = e.vehicle_id").
		Join("LEFT JOIN users AS ru ON ru.id = e.repair_requested_by").
		Join("LEFT JOIN users AS fu ON fu.id = e.fixed_by")
}

// Filter selects events.
type Filter struct {
	UnitID    int64 // a unit, district or the city: its whole subtree
	VehicleID int64
	Phone     string // a terminal's SIM (leading zeros ignored)
	Kind      string
	State     string // open | repair_requested | fixed | pending (not fixed)
	Page      int
	Size      int
}

// scope returns the path the list covers: the actor's scope, or the unit
// asked for inside it.
func (s *Service) scope(ctx context.Context, a *access.Actor, unit int64) (string, error) {
	if unit == 0 {
		return a.ScopePath, nil
	}
	var path string
	if err := s.DB.R.QueryRowContext(ctx, "SELECT path FROM units WHERE id = ?", unit).Scan(&path); err != nil {
		if errs.Is(store.Translate(err), errs.NotFound) {
			return "", (&errs.Fields{"unit_id": "单位不存在"}).Err()
		}
		return "", store.Translate(err)
	}
	if !a.Covers(path) {
		return "", errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	return path, nil
}

func (s *Service) filter(q *bun.SelectQuery, f Filter) (*bun.SelectQuery, error) {
	var fe errs.Fields
	fe.Check(f.Kind != "" && KindNames[f.Kind] == "", "kind", "事件类型取值无效")
	fe.Check(f.State != "" && f.State != "pending" && StateNames[f.State] == "", "state", "状态取值无效")
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if f.Kind != "" {
		q = q.Where("e.kind = ?", f.Kind)
	}
	switch f.State {
	case "":
	case "pending":
		q = q.Where("e.state <> ?", Fixed)
	default:
		q = q.Where("e.state = ?", f.State)
	}
	if f.VehicleID != 0 {
		q = q.Where("e.vehicle_id = ?", f.VehicleID)
	}
	if f.Phone != "" {
		q = q.Where("e.terminal_phone = ?", telematics.NormalizePhone(f.Phone))
	}
	return q, nil
}

// List returns the events of the actor's scope (or of f.UnitID's subtree
// inside it), those still to handle first, the latest first.
func (s *Service) List(ctx context.Context, a *access.Actor, f Filter) ([]*Event, int, error) {
	path, err := s.scope(ctx, a, f.UnitID)
	if err != nil {
		return nil, 0, err
	}
	q, err := s.filter(s.selectEvents(s.DB.R).Where("u.path LIKE ?", path+"%"), f)
	if err != nil {
		return nil, 0, err
	}
	if f.Size <= 0 {
		f.Size = 50
	}
	f.Page = max(f.Page, 1)
	out := []*Event{}
	n, err := q.OrderExpr("CASE WHEN e.state = 'fixed' THEN 1 ELSE 0 END, e.opened_at DESC").Limit(f.Size).Offset((f.Page-1)*f.Size).ScanAndCount(ctx, &out)
	if err != nil {
		return nil, 0, store.Translate(err)
	}
	for _, e := range out {
		e.fill()
	}
	s.place(ctx, out)
	return out, n, nil
}

// place names the positions in the events' evidence.
func (s *Service) place(ctx context.Context, es []*Event) {
	type at struct {
		e   *Event
		key string
	}
	var whose []at
	var pts []geo.LatLng
	for _, e := range es {
		e.Places = map[string]string{}
		var ev map[string]json.RawMessage
		if json.Unmarshal(e.Evidence, &ev) != nil {
			continue
		}
		for _, k := range []string{"first", "last_report"} {
			var p Sample
			if ev[k] != nil && json.Unmarshal(ev[k], &p) == nil && (p.Lat != 0 || p.Lng != 0) {
				whose, pts = append(whose, at{e, k}), append(pts, geo.LatLng{Lat: p.Lat, Lng: p.Lng})
			}
		}
	}
	for i, addr := range s.Geo.Addresses(ctx, pts) {
		whose[i].e.Places[whose[i].key] = addr
	}
}

// Count is the number of events of a kind in a state.
type Count struct {
	Kind  string `bun:"kind" json:"kind"`
	State string `bun:"state" json:"state"`
	N     int    `bun:"n" json:"n"`
}

// Counts returns the number of events by kind and state in the actor's
// scope (or unit's subtree).
func (s *Service) Counts(ctx context.Context, a *access.Actor, unit int64) ([]Count, error) {
	path, err := s.scope(ctx, a, unit)
	if err != nil {
		return nil, err
	}
	out := []Count{}
	err = s.DB.R.NewSelect().TableExpr("terminal_events AS e").ColumnExpr("e.kind, e.state, COUNT(*) AS n").
		Join("JOIN units AS u ON u.id = e.unit_id").Where("u.path LIKE ?", path+"%").
		GroupExpr("e.kind, e.state").OrderExpr("e.kind, e.state").Scan(ctx, &out)
	return out, store.Translate(err)
}

// Action is a step of an event's lifecycle.
type Action struct {
	Note string `json:"note" max:"500"`
}

// RequestRepair marks an open event as sent for repair.
func (s *Service) RequestRepair(ctx context.Context, a *access.Actor, id int64, in Action) (*Event, error) {
	return s.step(ctx, a, id, in, RepairRequested)
}

// MarkFixed closes an event; a note (what was done) is required.
func (s *Service) MarkFixed(ctx context.Context, a *access.Actor, id int64, in Action) (*Event, error) {
	return s.step(ctx, a, id, in, Fixed)
}

func (s *Service) step(ctx context.Context, a *access.Actor, id int64, in Action, to string) (*Event, error) {
	in.Note = strings.TrimSpace(in.Note)
	var f errs.Fields
	f.Check(to == Fixed && in.Note == "", "note", "请填写处理说明（如更换天线、重新接电）")
	f.Check(utf8.RuneCountInString(in.Note) > 500, "note", "说明最多500字")
	err := s.DB.Tx(ctx, func(tx bun.Tx) error {
		e := new(Event)
		if err := s.selectEvents(tx).Where("e.id = ?", id).Scan(ctx, e); err != nil {
			if errs.Is(store.Translate(err), errs.NotFound) {
				return errs.E(errs.NotFound, "终端事件不存在或已删除")
			}
			return err
		}
		if !a.Covers(e.UnitPath) {
			return errs.E(errs.Forbidden, "该终端事件不在您的管辖范围内")
		}
		if err := f.Err(); err != nil {
			return err
		}
		switch {
		case e.State == Fixed:
			return errs.E(errs.Conflict, "该事件已修复")
		case to == RepairRequested && e.State != Open:
			return errs.E(errs.Conflict, "该事件已报修")
		}
		before := *e
		now := s.now()
		cols := []string{"state", "note"}
		if to == RepairRequested {
			e.RepairRequestedAt, e.RepairRequestedBy = &now, &a.UserID
			cols = append(cols, "repair_requested_at", "repair_requested_by")
		} else {
			e.FixedAt, e.FixedBy = &now, &a.UserID
			cols = append(cols, "fixed_at", "fixed_by")
		}
		e.State = to
		if in.Note != "" {
			e.Note = in.Note
		}
		if _, err := tx.NewUpdate().Model(e).Column(cols...).WherePK().Exec(ctx); err != nil {
			return err
		}
		action, verb := actTerminalEventRepair, "报修"
		if to == Fixed {
			action, verb = actTerminalEventFix, "修复"
		}
		what := e.Plate
		if what == "" {
			what = "终端" + e.Phone
		}
		return audit.Record(ctx, tx, a, audit.Event{Action: action, ObjectType: audit.TerminalEvent, ObjectID: e.ID, ScopePath: e.UnitPath,
			Summary: fmt.Sprintf("%s %s%s：%s", what, KindNames[e.Kind], verb, in.Note), Before: before, After: e})
	})
	if err != nil {
		return nil, err
	}
	e := new(Event)
	if err := s.selectEvents(s.DB.R).Where("e.id = ?", id).Scan(ctx, e); err != nil {
		return nil, store.Translate(err)
	}
	e.fill()
	return e, nil
}

// positions returns the positions of terminal phone with from < at <= to
// in time order, at most readLimit.
func positions(ctx context.Context, db *store.DB, phone string, from, to time.Time) ([]telematics.Position, error) {
	rows, err := db.R.QueryContext(ctx, `SELECT at, lat, lng, speed, alarm, invalid FROM positions
		WHERE terminal_phone = ? AND at > ? AND at <= ? ORDER BY at LIMIT ?`, phone, from.UTC(), to.UTC(), readLimit)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []telematics.Position
	for rows.Next() {
		p := telematics.Position{Phone: phone}
		var alarm int64
		if err := rows.Scan(&p.At, &p.Lat, &p.Lng, &p.Speed, &alarm, &p.Invalid); err != nil {
			return nil, err
		}
		p.Alarm, p.At = uint32(alarm), p.At.UTC()
		out = append(out, p)
	}
	return out, rows.Err()
}
