package supervision

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/geo"
	"govfleet/internal/notify"
	"govfleet/internal/store"
)

// Service runs the rules and keeps findings and cases.
type Service struct {
	DB     *store.DB
	Notify *notify.Notifier
	Blobs  fleet.BlobStore
	Rules  []Rule        // nil: all of Rules
	Geo    *geo.Geocoder // the places of the evidence's positions
}

func (s *Service) rules() []Rule {
	if s.Rules != nil {
		return s.Rules
	}
	return Rules
}

// RunResult counts what a run did.
type RunResult struct {
	Findings int `json:"findings"` // returned by the rules
	New      int `json:"new"`      // stored now (the rest were known)
	Cases    int `json:"cases"`    // cases opened
}

// Evaluate runs every enabled rule over w and returns the findings,
// sorted, without writing.
func (s *Service) Evaluate(ctx context.Context, w Window) ([]Finding, error) {
	st, err := LoadSettings(ctx, s.DB.R)
	if err != nil {
		return nil, err
	}
	var out []Finding
	ctx = withTripCache(ctx)
	for _, r := range s.rules() {
		fs, err := r.Evaluate(ctx, s.DB.R, w, st.Resolver(r))
		if err != nil {
			return nil, fmt.Errorf("rule %s: %w", r.Info().Code, err)
		}
		for _, f := range fs {
			if st.Enabled(r, f.UnitPath) {
				out = append(out, f)
			}
		}
	}
	sortFindings(out)
	return out, nil
}

// Run evaluates every rule over w and stores the new findings, each opening
// a case or joining the open case of the same vehicle, rule and day. A
// finding already stored (same rule and evidence key) is skipped, so runs
// may overlap freely.
func (s *Service) Run(ctx context.Context, w Window) (RunResult, error) {
	fs, err := s.Evaluate(ctx, w)
	if err != nil {
		return RunResult{}, err
	}
	res := RunResult{Findings: len(fs)}
	st, err := LoadSettings(ctx, s.DB.R)
	if err != nil {
		return res, err
	}
	var notes []caseNote
	for len(fs) > 0 {
		n := min(len(fs), 500)
		batch := fs[:n]
		fs = fs[n:]
		err := s.DB.Tx(ctx, func(tx bun.Tx) error {
			for i := range batch {
				f := &batch[i]
				isNew, opened, nt, err := s.store(ctx, tx, f, st.Resolver(ByCode(f.Rule))(f.UnitPath).V("serious") >= 1)
				if err != nil {
					return err
				}
				if isNew {
					res.New++
				}
				if opened {
					res.Cases++
					notes = append(notes, nt...)
				}
			}
			return nil
		})
		if err != nil {
			return res, err
		}
	}
	s.send(ctx, notes)
	return res, nil
}

// TripsClosed is for the trips builder: after closing trips that ended in
// [from, to), it runs the rules over that period (findings decided later,
// such as an unfiled no-order trip, come with the scheduled run).
func (s *Service) TripsClosed(ctx context.Context, from, to time.Time) error {
	_, err := s.Run(ctx, Window{From: from, To: to})
	return err
}

// Job is the scheduled run: the last three days, so that late data and
// deadlines passing are picked up; known findings are skipped.
func (s *Service) Job(ctx context.Context, now time.Time, span time.Duration) {
	res, err := s.Run(ctx, Window{From: now.Add(-span), To: now})
	if err != nil {
		slog.Warn("supervision run", "err", err)
		return
	}
	if res.New > 0 {
		slog.Info("supervision findings", "new", res.New, "cases", res.Cases)
	}
}

// storedFinding is a row of findings.
type storedFinding struct {
	bun.BaseModel `bun:"table:findings"`

	ID          int64     `bun:"id,pk,autoincrement" json:"id"`
	Rule        string    `bun:"rule" json:"rule"`
	EvidenceKey string    `bun:"evidence_key" json:"evidence_key"`
	VehicleID   *int64    `bun:"vehicle_id" json:"vehicle_id"`
	UnitID      int64     `bun:"unit_id" json:"unit_id"`
	UnitPath    string    `bun:"unit_path" json:"-"`
	At          time.Time `bun:"at" json:"at"`
	Day         string    `bun:"day" json:"day"`
	Summary     string    `bun:"summary" json:"summary"`
	Evidence    string    `bun:"evidence" json:"-"`
	TripID      *int64    `bun:"trip_id" json:"trip_id"`
	CaseID      *int64    `bun:"case_id" json:"case_id"`
	CreatedAt   time.Time `bun:"created_at" json:"created_at"`

	EvidenceJSON json.RawMessage `bun:"-" json:"evidence"`
}

func nz(v int64) *int64 {
	if v == 0 {
		return nil
	}
	return &v
}

// store inserts f unless known and files it into a case. It reports
// whether f was new, whether a case was opened, and the notes to send.
func (s *Service) store(ctx context.Context, tx bun.IDB, f *Finding, serious bool) (bool, bool, []caseNote, error) {
	ev, err := json.Marshal(f.Evidence)
	if err != nil {
		return false, false, nil, err
	}
	now := time.Now().UTC()
	row := &storedFinding{Rule: f.Rule, EvidenceKey: f.Key, VehicleID: nz(f.VehicleID), UnitID: f.UnitID, UnitPath: f.UnitPath,
		At: f.At.UTC(), Day: f.Day(), Summary: f.Summary, Evidence: string(ev), TripID: nz(f.TripID), CreatedAt: now}
	res, err := tx.NewInsert().Model(row).On("CONFLICT (rule, evidence_key) DO NOTHING").Returning("id").Exec(ctx)
	if err != nil {
		return false, false, nil, err
	}
	if k, _ := res.RowsAffected(); k == 0 {
		return false, false, nil, nil
	}
	if row.ID == 0 { // SQLite without RETURNING on conflict-skip paths
		if err := tx.NewSelect().Table("findings").Column("id").Where("rule = ? AND evidence_key = ?", f.Rule, f.Key).Scan(ctx, &row.ID); err != nil {
			return false, false, nil, err
		}
	}
	c, opened, notes, err := s.fileFinding(ctx, tx, row, serious)
	if err != nil {
		return false, false, nil, err
	}
	if _, err := tx.NewUpdate().Table("findings").Set("case_id = ?", c).Where("id = ?", row.ID).Exec(ctx); err != nil {
		return false, false, nil, err
	}
	return true, opened, notes, nil
}

// parentPath returns the path of the node above path ("" at the top) and
// that node's id.
func parentPath(path string) (string, int64) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) < 2 {
		return "", 0
	}
	parts = parts[:len(parts)-1]
	id, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return "/" + strings.Join(parts, "/") + "/", id
}

// ReplayInput asks what a rule with changed parameters would have found.
type ReplayInput struct {
	UnitID  int64              `json:"unit_id"` // the level whose units are replayed; 0: the caller's scope
	From    time.Time          `json:"from"`
	To      time.Time          `json:"to"`
	Values  map[string]float64 `json:"values"`
	Polygon [][2]float64       `json:"polygon"`
}

// ReplayResult compares the rule's findings under the proposed parameters
// with the findings stored for the same window.
type ReplayResult struct {
	Rule    string    `json:"rule"`
	Current int       `json:"current"` // findings the stored parameters give
	Stored  int       `json:"stored"`  // of those, stored (raised) findings
	Kept    int       `json:"kept"`
	Added   []Finding `json:"added"`   // found only with the proposed parameters
	Removed []Finding `json:"removed"` // stored, no longer found with the proposed parameters
}

// Replay evaluates rule code over a past window with the proposed
// parameters for the units under the level, without writing anything, and
// returns the difference with the stored findings.
func (s *Service) Replay(ctx context.Context, a *access.Actor, code string, in ReplayInput) (*ReplayResult, error) {
	r := ByCode(code)
	if r == nil {
		return nil, errs.E(errs.NotFound, "规则不存在：%s", code)
	}
	n, err := s.levelNode(ctx, a, in.UnitID)
	if err != nil {
		return nil, err
	}
	var f errs.Fields
	f.Check(in.From.IsZero(), "from", "请选择开始时间")
	f.Check(in.To.IsZero(), "to", "请选择结束时间")
	f.Check(!in.From.IsZero() && !in.To.After(in.From), "to", "结束时间须晚于开始时间")
	f.Check(in.To.Sub(in.From) > 93*24*time.Hour, "to", "一次最多回放3个月")
	if err := f.Err(); err != nil {
		return nil, err
	}
	st, err := LoadSettings(ctx, s.DB.R)
	if err != nil {
		return nil, err
	}
	pin := ParamsInput{UnitID: n.ID, Enabled: true, Values: in.Values, Polygon: in.Polygon}
	if err := checkParams(r, n, pin, st); err != nil {
		return nil, err
	}
	w := Window{From: in.From, To: in.To}
	current := st.Resolver(r)
	proposed := func(path string) Params {
		p := current(path)
		if !strings.HasPrefix(path, n.Path) {
			return p
		}
		vals := map[string]float64{}
		for k, v := range p.Values {
			vals[k] = v
		}
		for k, v := range in.Values {
			vals[k] = v
		}
		q := Params{Values: vals, Polygon: p.Polygon}
		if len(in.Polygon) >= 3 {
			q.Polygon = in.Polygon
		}
		return q
	}
	inScope := func(fs []Finding) map[string]Finding {
		out := map[string]Finding{}
		for _, f := range fs {
			if strings.HasPrefix(f.UnitPath, n.Path) {
				out[f.Key] = f
			}
		}
		return out
	}
	ctx = withTripCache(ctx)
	cur, err := r.Evaluate(ctx, s.DB.R, w, current)
	if err != nil {
		return nil, err
	}
	prop, err := r.Evaluate(ctx, s.DB.R, w, proposed)
	if err != nil {
		return nil, err
	}
	curM, propM := inScope(cur), inScope(prop)
	keys := make([]string, 0, len(curM))
	for k := range curM {
		keys = append(keys, k)
	}
	stored := map[string]bool{}
	for len(keys) > 0 {
		k := min(len(keys), 500)
		var got []string
		if err := s.DB.R.NewSelect().Table("findings").Column("evidence_key").Where("rule = ? AND evidence_key IN (?)", code, bun.In(keys[:k])).Scan(ctx, &got); err != nil {
			return nil, err
		}
		for _, g := range got {
			stored[g] = true
		}
		keys = keys[k:]
	}
	res := &ReplayResult{Rule: code, Current: len(curM), Stored: len(stored), Added: []Finding{}, Removed: []Finding{}}
	for k, f := range propM {
		if stored[k] {
			res.Kept++
		} else {
			res.Added = append(res.Added, f)
		}
	}
	for k := range stored {
		if _, ok := propM[k]; !ok {
			res.Removed = append(res.Removed, curM[k])
		}
	}
	sortFindings(res.Added)
	sortFindings(res.Removed)
	return res, nil
}
