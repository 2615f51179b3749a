package ledger

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Service reads the ledger.
type Service struct {
	DB *store.DB

	mu   sync.Mutex
	kept map[keptKey]*keptSummary
}

// A summary is kept per node and period with the period's version
// (cost_versions) it was computed at, and served while that version stands
// and for at most keepFor, which bounds how long a renamed unit or a changed
// plate shows under its old name. Costs themselves show at once: every
// ledger write changes the version.
const (
	keepFor  = time.Minute
	keepMost = 512
)

type keptKey struct {
	unitID int64
	period string
}

type keptSummary struct {
	path    string // the node's path when computed (a moved node is computed again)
	version int64
	at      time.Time
	sum     *Summary
}

// Row is the costs of one unit or vehicle, by kind, in fen.
type Row struct {
	ID     int64            `json:"id"`
	Name   string           `json:"name"` // unit name, or plate
	Unit   string           `json:"unit,omitempty"`
	ByKind map[string]int64 `json:"by_kind"`
	Total  int64            `json:"total"`
}

// Summary is a month's (or a year's) costs under a node.
type Summary struct {
	Period   string           `json:"period"` // YYYY-MM or YYYY
	UnitID   int64            `json:"unit_id"`
	UnitName string           `json:"unit_name"`
	Kinds    []Kind           `json:"kinds"`
	ByKind   map[string]int64 `json:"by_kind"`
	Total    int64            `json:"total"`
	Units    []*Row           `json:"units"`    // per unit that has costs
	Vehicles []*Row           `json:"vehicles"` // per vehicle, highest total first

	once      sync.Once
	json, gz  []byte
	encodeErr error
}

// Encoded is the summary as JSON, and that JSON gzipped, both made once: a
// kept summary is answered to everyone who reads it as the same bytes, and
// compressing a city's 57 KB for each of them cost more than the rest of
// the answer (docs/benchmarks.md).
func (s *Summary) Encoded() (jsonBytes, gzipped []byte, err error) {
	s.once.Do(func() {
		if s.json, s.encodeErr = json.Marshal(s); s.encodeErr != nil {
			return
		}
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(s.json)
		if s.encodeErr = zw.Close(); s.encodeErr == nil {
			s.gz = b.Bytes()
		}
	})
	return s.json, s.gz, s.encodeErr
}

// Summarise totals the costs of the period (a month YYYY-MM or a year
// YYYY, Beijing) under the node unitID (0: the actor's scope) by kind, unit
// and vehicle. The summary may be shared with other callers (see keepFor):
// read it, never change it.
func (s *Service) Summarise(ctx context.Context, a *access.Actor, unitID int64, period string) (*Summary, error) {
	if period == "" {
		period = beijing.Month(time.Now())
	}
	if _, e1 := time.Parse("2006-01", period); e1 != nil {
		if _, e2 := time.Parse("2006", period); e2 != nil {
			return nil, (&errs.Fields{"period": "期间格式应为 YYYY-MM（月）或 YYYY（年）"}).Err()
		}
	}
	if unitID == 0 {
		unitID = a.ScopeID
	}
	out := &Summary{Period: period, UnitID: unitID, Kinds: Kinds, ByKind: map[string]int64{}, Units: []*Row{}, Vehicles: []*Row{}}
	// The version is read with the node, before the totals: a summary is
	// never kept under a version newer than what it saw.
	var path string
	var version int64
	if err := s.DB.R.NewSelect().Table("units").Column("path", "name").
		ColumnExpr("COALESCE((SELECT version FROM cost_versions WHERE period = ?), 0)", period).
		Where("id = ?", unitID).Scan(ctx, &path, &out.UnitName, &version); err != nil {
		return nil, store.NotFoundAs(err, errs.E(errs.NotFound, "单位不存在或已删除"))
	}
	if !a.Covers(path) {
		return nil, errs.E(errs.Forbidden, "该单位不在您的管辖范围内")
	}
	key := keptKey{unitID, period}
	s.mu.Lock()
	k := s.kept[key]
	s.mu.Unlock()
	if k != nil && k.path == path && k.version == version && time.Since(k.at) < keepFor {
		return k.sum, nil
	}
	if err := s.summarise(ctx, out, path); err != nil {
		return nil, err
	}
	s.keep(key, &keptSummary{path: path, version: version, at: time.Now(), sum: out})
	return out, nil
}

// keep stores a computed summary, first dropping the expired ones when the
// store is full (and everything if that is not enough).
func (s *Service) keep(key keptKey, k *keptSummary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.kept == nil {
		s.kept = map[keptKey]*keptSummary{}
	}
	if len(s.kept) >= keepMost {
		for key, k := range s.kept {
			if time.Since(k.at) >= keepFor {
				delete(s.kept, key)
			}
		}
		if len(s.kept) >= keepMost {
			clear(s.kept)
		}
	}
	s.kept[key] = k
}

// summarise fills out from the kept totals of its period under path.
func (s *Service) summarise(ctx context.Context, out *Summary, path string) error {
	period := out.Period
	// From the kept totals (a row per period — month or year — unit,
	// vehicle and kind), not the entries: a city's month or year is a few
	// hundred rows, not tens of thousands; scanned without reflection
	// (docs/benchmarks.md, cost ledger).
	rows, err := s.DB.R.QueryContext(ctx, `SELECT e.unit_id, n.name, e.vehicle_id, COALESCE(v.plate, ''), e.kind, SUM(e.amount_fen)
		FROM cost_totals AS e JOIN units AS n ON n.id = e.unit_id LEFT JOIN vehicles AS v ON v.id = e.vehicle_id
		WHERE e.period = ? AND e.unit_path LIKE ?
		GROUP BY e.unit_id, n.name, e.vehicle_id, v.plate, e.kind`, period, path+"%")
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	var r struct {
		UnitID, VehicleID, Amount int64
		UnitName, Plate, Kind     string
	}
	units, vehicles := map[int64]*Row{}, map[int64]*Row{}
	for rows.Next() {
		if err := rows.Scan(&r.UnitID, &r.UnitName, &r.VehicleID, &r.Plate, &r.Kind, &r.Amount); err != nil {
			return store.Translate(err)
		}
		out.ByKind[r.Kind] += r.Amount
		out.Total += r.Amount
		u := units[r.UnitID]
		if u == nil {
			u = &Row{ID: r.UnitID, Name: r.UnitName, ByKind: map[string]int64{}}
			units[r.UnitID] = u
			out.Units = append(out.Units, u)
		}
		u.ByKind[r.Kind] += r.Amount
		u.Total += r.Amount
		if r.VehicleID != 0 {
			v := vehicles[r.VehicleID]
			if v == nil {
				v = &Row{ID: r.VehicleID, Name: r.Plate, Unit: r.UnitName, ByKind: map[string]int64{}}
				vehicles[r.VehicleID] = v
				out.Vehicles = append(out.Vehicles, v)
			}
			v.ByKind[r.Kind] += r.Amount
			v.Total += r.Amount
		}
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	sortRows(out.Units)
	sortRows(out.Vehicles)
	return nil
}

// sortRows puts the highest total first, then orders by name.
func sortRows(rs []*Row) {
	slices.SortFunc(rs, func(a, b *Row) int {
		if a.Total != b.Total {
			return cmp.Compare(b.Total, a.Total)
		}
		return strings.Compare(a.Name, b.Name)
	})
}
