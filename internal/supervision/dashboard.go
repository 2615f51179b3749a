package supervision

import (
	"context"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
)

// Count is one group of the dashboard.
type Count struct {
	Key    string `bun:"k" json:"key"`
	Name   string `bun:"name" json:"name"`
	Cases  int    `bun:"cases" json:"cases"`
	Active int    `bun:"active" json:"active"` // open or explained
}

// Dashboard is the supervisors' overview of a scope.
type Dashboard struct {
	UnitID     int64   `json:"unit_id"`
	Since      string  `json:"since"` // first month counted
	Findings   int     `json:"findings"`
	Cases      int     `json:"cases"`
	Active     int     `json:"active"`
	Serious    int     `json:"serious"`
	Discipline int     `json:"discipline"`
	ByRule     []Count `json:"by_rule"`
	ByUnit     []Count `json:"by_unit"`  // the 15 units with most cases
	ByMonth    []Count `json:"by_month"` // trend
	ByState    []Count `json:"by_state"`
}

// Dashboard counts the findings and cases of the last months under a node
// of the actor's scope.
func (s *Service) Dashboard(ctx context.Context, a *access.Actor, unitID int64, months int) (*Dashboard, error) {
	n, err := s.scopeNode(ctx, a, unitID)
	if err != nil {
		return nil, err
	}
	if months < 1 || months > 24 {
		months = 12
	}
	since := beijing.Month(beijing.MonthStart(time.Now()).AddDate(0, 1-months, 0))
	d := &Dashboard{UnitID: n.ID, Since: since, ByRule: []Count{}, ByUnit: []Count{}, ByMonth: []Count{}, ByState: []Count{}}
	like, from := n.Path+"%", since+"-01"
	db := s.DB.R
	if d.Findings, err = db.NewSelect().Table("findings").Where("unit_path LIKE ? AND day >= ?", like, from).Count(ctx); err != nil {
		return nil, err
	}
	var tot struct {
		Cases      int `bun:"cases"`
		Active     int `bun:"active"`
		Serious    int `bun:"serious"`
		Discipline int `bun:"discipline"`
	}
	base := func() string { return "FROM cases AS c WHERE c.unit_path LIKE ? AND c.day >= ?" }
	act := "SUM(CASE WHEN c.state IN ('open', 'explained') THEN 1 ELSE 0 END)"
	if err := db.NewRaw("SELECT COUNT(*) AS cases, COALESCE("+act+", 0) AS active, COALESCE(SUM(CASE WHEN c.serious THEN 1 ELSE 0 END), 0) AS serious, "+
		"COALESCE(SUM(CASE WHEN c.discipline THEN 1 ELSE 0 END), 0) AS discipline "+base(), like, from).Scan(ctx, &tot); err != nil {
		return nil, err
	}
	d.Cases, d.Active, d.Serious, d.Discipline = tot.Cases, tot.Active, tot.Serious, tot.Discipline
	if err := db.NewRaw("SELECT c.rule AS k, '' AS name, COUNT(*) AS cases, "+act+" AS active "+base()+" GROUP BY c.rule ORDER BY cases DESC, k", like, from).Scan(ctx, &d.ByRule); err != nil {
		return nil, err
	}
	for i := range d.ByRule {
		d.ByRule[i].Name = ruleName(d.ByRule[i].Key)
	}
	if err := db.NewRaw("SELECT CAST(c.unit_id AS TEXT) AS k, u.name AS name, COUNT(*) AS cases, "+act+" AS active "+
		"FROM cases AS c JOIN units AS u ON u.id = c.unit_id WHERE c.unit_path LIKE ? AND c.day >= ? GROUP BY c.unit_id, u.name ORDER BY cases DESC, u.name LIMIT 15", like, from).Scan(ctx, &d.ByUnit); err != nil {
		return nil, err
	}
	if err := db.NewRaw("SELECT SUBSTR(c.day, 1, 7) AS k, SUBSTR(c.day, 1, 7) AS name, COUNT(*) AS cases, "+act+" AS active "+base()+" GROUP BY SUBSTR(c.day, 1, 7) ORDER BY k", like, from).Scan(ctx, &d.ByMonth); err != nil {
		return nil, err
	}
	if err := db.NewRaw("SELECT c.state AS k, '' AS name, COUNT(*) AS cases, 0 AS active "+base()+" GROUP BY c.state ORDER BY k", like, from).Scan(ctx, &d.ByState); err != nil {
		return nil, err
	}
	for i := range d.ByState {
		d.ByState[i].Name = StateNames[d.ByState[i].Key]
	}
	return d, nil
}
