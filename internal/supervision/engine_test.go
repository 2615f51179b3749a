package supervision

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/errs"
	"govfleet/internal/geo"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

func findingKeys(fs []Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Key+"|"+f.Summary)
	}
	return out
}

func TestRunIsIdempotentAndDeterministic(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		buildScenarios(t, db)
		s := &Service{DB: db}
		a, err := s.Evaluate(ctx, scenarioWindow)
		if err != nil {
			t.Fatal(err)
		}
		first, err := s.Run(ctx, scenarioWindow)
		if err != nil {
			t.Fatal(err)
		}
		if first.New != len(a) || first.Cases == 0 {
			t.Fatalf("first run: %+v, %d findings evaluated", first, len(a))
		}
		again, err := s.Run(ctx, scenarioWindow)
		if err != nil {
			t.Fatal(err)
		}
		if again.New != 0 || again.Cases != 0 {
			t.Errorf("second run raised again: %+v", again)
		}
		// Split windows find the same: deciding moments are in one window only.
		mid := bjt("2026-10-18 00:00")
		x, _ := s.Evaluate(ctx, Window{From: scenarioWindow.From, To: mid})
		y, _ := s.Evaluate(ctx, Window{From: mid, To: scenarioWindow.To})
		split := append(x, y...)
		sortFindings(split)
		b, _ := s.Evaluate(ctx, scenarioWindow)
		if !slices.Equal(findingKeys(a), findingKeys(b)) {
			t.Errorf("two evaluations differ")
		}
		// The periodic rules count once per month: in the split run only the
		// window holding the month's start raises them.
		var splitKeys []string
		for _, f := range split {
			splitKeys = append(splitKeys, f.Key)
		}
		for _, f := range a {
			if !slices.Contains(splitKeys, f.Key) {
				t.Errorf("split windows miss %s", f.Key)
			}
		}
		n, _ := db.R.NewSelect().Table("findings").Count(ctx)
		if n != len(a) {
			t.Errorf("stored %d findings, want %d", n, len(a))
		}
		// Serious rules go to the city and to discipline inspection at once.
		var cs []*Case
		if err := db.R.NewSelect().Model(&cs).Where("rule IN ('holiday_sealed', 'tamper')").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if len(cs) != 3 {
			t.Fatalf("serious cases: %d, want 3", len(cs))
		}
		for _, c := range cs {
			if !c.Serious || !c.Discipline || c.AuthorityPath != "/1/" {
				t.Errorf("serious case %d: serious=%v discipline=%v authority=%s", c.ID, c.Serious, c.Discipline, c.AuthorityPath)
			}
		}
	})
}

// actors of the bare scenario database.
func actor(path string, scope int64, roles ...access.Role) *access.Actor {
	return &access.Actor{UserID: 1, Name: "测试", ScopeID: scope, ScopePath: path, Roles: roles}
}

func TestCaseLifecycle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		buildScenarios(t, db)
		s := &Service{DB: db}
		if _, err := s.Run(ctx, scenarioWindow); err != nil {
			t.Fatal(err)
		}
		var c Case
		if err := db.R.NewSelect().Model(&c).Where("rule = 'no_order' AND day = '2026-10-17'").Scan(ctx); err != nil {
			t.Fatal(err)
		}
		if c.State != Open || c.AuthorityPath != "/1/2/" || c.Discipline {
			t.Fatalf("new case: %+v", c)
		}
		var other int64
		db.R.NewSelect().Table("units").Column("id").Where("kind = 'unit' AND id <> ?", c.UnitID).Limit(1).Scan(ctx, &other)
		unitVM := actor(c.UnitPath, c.UnitID, access.VehicleManager)
		otherVM := actor("/1/2/"+itoa(other)+"/", other, access.VehicleManager)
		district := actor("/1/2/", 2, access.PlatformAdmin)
		city := actor("/1/", 1, access.PlatformAdmin)
		jw := actor("/1/", 1, access.SupervisorDiscipline)

		if _, err := s.Explain(ctx, otherVM, c.ID, ExplainInput{Text: "不是我们的车"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("explain by another unit: %v, want forbidden", err)
		}
		if _, err := s.Explain(ctx, unitVM, c.ID, ExplainInput{Text: " "}); !errs.Is(err, errs.Invalid) {
			t.Errorf("empty explanation: %v", err)
		}
		d, err := s.Explain(ctx, unitVM, c.ID, ExplainInput{Text: "周六加班送材料，未及时补单"})
		if err != nil || d.State != Explained {
			t.Fatalf("explain: %v %+v", err, d)
		}
		if _, err := s.Escalate(ctx, district, c.ID, EscalateInput{To: "level", Reason: "涉及单位负责人，提交市级"}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Decide(ctx, district, c.ID, DecideInput{Verdict: Dismissed, Reason: "说明属实"}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("district decides an escalated case: %v, want forbidden", err)
		}
		if _, err := s.Escalate(ctx, city, c.ID, EscalateInput{To: "level", Reason: "再升级"}); !errs.Is(err, errs.Invalid) {
			t.Errorf("escalating above the city: %v", err)
		}
		if _, err := s.Escalate(ctx, city, c.ID, EscalateInput{To: "discipline", Reason: "疑似公车私用"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.CaseByID(ctx, jw, c.ID)
		if err != nil || !got.Discipline || len(got.FindingList) != 1 || !slices.Equal(got.Can, []string{}) {
			t.Fatalf("supervisor view: %v %+v", err, got)
		}
		// The trip's start and end in words beside their coordinates (internal/geo).
		var ev struct {
			Trip struct {
				Start      [2]float64 `json:"start"`
				StartPlace string     `json:"start_place"`
				EndPlace   string     `json:"end_place"`
			} `json:"trip"`
		}
		if err := json.Unmarshal(got.FindingList[0].EvidenceJSON, &ev); err != nil || ev.Trip.EndPlace == "" ||
			ev.Trip.StartPlace != geo.Offline(ev.Trip.Start[0], ev.Trip.Start[1]) {
			t.Errorf("trip evidence %s", got.FindingList[0].EvidenceJSON)
		}
		d, err = s.Decide(ctx, city, c.ID, DecideInput{Verdict: Verified, Reason: "核实为公车私用，责令整改"})
		if err != nil || d.State != Verified || d.ClosedAt == nil {
			t.Fatalf("verify: %v %+v", err, d)
		}
		if _, err := s.Explain(ctx, unitVM, c.ID, ExplainInput{Text: "补充"}); !errs.Is(err, errs.Conflict) {
			t.Errorf("explain a closed case: %v", err)
		}
		var actions []string
		for _, e := range d.Events {
			actions = append(actions, e.Action)
		}
		if want := []string{"opened", "explained", "escalated", "escalated", "verified"}; !slices.Equal(actions, want) {
			t.Errorf("timeline %v, want %v", actions, want)
		}
		n, _ := db.R.NewSelect().Table("audit_log").Where("object_type = 'case' AND object_id = ?", itoa(c.ID)).Count(ctx)
		if n != 5 { // opened + four steps
			t.Errorf("audit entries of the case: %d, want 5", n)
		}
		// A new finding of the same vehicle, rule and day joins a closed
		// case? No: it opens a new one.
		list, total, err := s.Cases(ctx, jw, CaseFilter{Rule: "no_order", Page: 1, Size: 50})
		if err != nil || total != 5 || len(list) != 5 {
			t.Errorf("list: %v total=%d", err, total)
		}
		if _, _, err := s.Cases(ctx, otherVM, CaseFilter{UnitID: c.UnitID, Page: 1, Size: 10}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("list another unit: %v", err)
		}
		dash, err := s.Dashboard(ctx, jw, 0, 24)
		if err != nil || dash.Cases == 0 || len(dash.ByRule) == 0 {
			t.Errorf("dashboard: %v %+v", err, dash)
		}
	})
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestParamsBoundsAndReplay(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		buildScenarios(t, db)
		s := &Service{DB: db}
		if _, err := s.Run(ctx, scenarioWindow); err != nil {
			t.Fatal(err)
		}
		city := actor("/1/", 1, access.PlatformAdmin)
		district := actor("/1/2/", 2, access.PlatformAdmin)
		if _, err := s.SetParams(ctx, city, "order_window", ParamsInput{UnitID: 1, Enabled: true, Values: map[string]float64{"tolerance_min": 40}}); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			in   ParamsInput
			ok   bool
		}{
			{"district tightens", ParamsInput{UnitID: 2, Enabled: true, Values: map[string]float64{"tolerance_min": 15}}, true},
			{"district loosens", ParamsInput{UnitID: 2, Enabled: true, Values: map[string]float64{"tolerance_min": 60}}, false},
			{"district disables", ParamsInput{UnitID: 2, Enabled: false}, false},
			{"outside hard bounds", ParamsInput{UnitID: 2, Enabled: true, Values: map[string]float64{"tolerance_min": 1}}, false},
			{"unknown parameter", ParamsInput{UnitID: 2, Enabled: true, Values: map[string]float64{"speed": 1}}, false},
		}
		for _, c := range cases {
			_, err := s.SetParams(ctx, district, "order_window", c.in)
			if (err == nil) != c.ok {
				t.Errorf("%s: %v", c.name, err)
			}
		}
		if _, err := s.SetParams(ctx, district, "order_window", ParamsInput{UnitID: 1, Enabled: true}); !errs.Is(err, errs.Forbidden) {
			t.Errorf("district sets the city's: %v", err)
		}
		st, _ := LoadSettings(ctx, db.R)
		if v := st.Resolver(OrderWindow{})("/1/2/99/").V("tolerance_min"); v != 15 {
			t.Errorf("effective tolerance under the district: %v, want 15", v)
		}
		n, _ := db.R.NewSelect().Table("audit_log").Where("action = 'supervision.params'").Count(ctx)
		if n != 2 {
			t.Errorf("audited parameter changes: %d, want 2", n)
		}
		// Replay: a 3-hour tolerance clears the 2-hour-late trip; 10 minutes
		// adds the 20-minute one. Nothing is written.
		before, _ := db.R.NewSelect().Table("findings").Count(ctx)
		r, err := s.Replay(ctx, city, "order_window", ReplayInput{UnitID: 1, From: scenarioWindow.From, To: scenarioWindow.To, Values: map[string]float64{"tolerance_min": 180}})
		if err != nil || len(r.Removed) != 1 || len(r.Added) != 0 || r.Stored != 1 {
			t.Errorf("replay looser: %v %+v", err, r)
		}
		r, err = s.Replay(ctx, district, "order_window", ReplayInput{UnitID: 2, From: scenarioWindow.From, To: scenarioWindow.To, Values: map[string]float64{"tolerance_min": 10}})
		if err != nil || len(r.Added) != 1 || r.Kept != 1 {
			t.Errorf("replay stricter: %v %+v", err, r)
		}
		after, _ := db.R.NewSelect().Table("findings").Count(ctx)
		if before != after {
			t.Errorf("replay wrote findings: %d → %d", before, after)
		}
	})
}

func TestGeometry(t *testing.T) {
	for _, c := range []struct {
		name string
		p    [2]float64
		in   bool
	}{
		{"city centre", [2]float64{31.78, 119.96}, true},
		{"Liyang", [2]float64{31.42, 119.48}, true},
		{"Jintan", [2]float64{31.72, 119.56}, true},
		{"Nanjing", nanjing, false},
		{"Wuxi", [2]float64{31.49, 120.31}, false},
		{"Shanghai", [2]float64{31.23, 121.47}, false},
	} {
		if got := inside(DefaultPolygon, c.p[0], c.p[1]); got != c.in {
			t.Errorf("%s inside=%v, want %v", c.name, got, c.in)
		}
	}
	night := func(a, b string) int {
		d, _ := nightOverlap(bjt(a), bjt(b), 22, 6)
		return int(d.Minutes())
	}
	for _, c := range []struct {
		a, b string
		min  int
	}{
		{"2026-10-22 20:00", "2026-10-22 21:59", 0},
		{"2026-10-22 21:30", "2026-10-22 22:30", 30},
		{"2026-10-22 23:00", "2026-10-23 07:00", 420},
		{"2026-10-23 05:00", "2026-10-23 06:30", 60},
	} {
		if got := night(c.a, c.b); got != c.min {
			t.Errorf("night %s–%s: %d min, want %d", c.a, c.b, got, c.min)
		}
	}
}

// TestBoxInside: the area rule skips a trip only when the box of its
// positions lies wholly inside the polygon, which need not be convex.
func TestBoxInside(t *testing.T) {
	// A U, [lat, lng]: the square 0–10 × 0–10 with a slot lng 4–6 cut from
	// lat 4 up to its top.
	u := [][2]float64{{0, 0}, {0, 10}, {10, 10}, {10, 6}, {4, 6}, {4, 4}, {10, 4}, {10, 0}}
	for _, c := range []struct {
		name                           string
		minLat, maxLat, minLng, maxLng float64
		want                           bool
	}{
		{"below the slot", 1, 3, 1, 9, true},
		{"in one arm", 5, 9, 1, 3, true},
		{"a point", 2, 2, 2, 2, true},
		{"corners in the arms, the slot's end in the box", 1, 6, 1, 9, false},
		{"corners in the arms, the slot's sides across the box", 5, 8, 1, 9, false},
		{"a corner in the slot", 5, 8, 1, 5, false},
		{"wholly outside", 11, 12, 11, 12, false},
		{"touching the boundary", 0, 3, 1, 3, false},
	} {
		if got := boxInside(u, c.minLat, c.maxLat, c.minLng, c.maxLng); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
	if !boxInside(DefaultPolygon, 31.70, 31.85, 119.90, 120.00) {
		t.Error("central Changzhou is not inside the city")
	}
	if boxInside(DefaultPolygon, 31.30, 31.80, 119.80, 119.95) {
		t.Error("a box reaching Yixing is inside the city")
	}
}
