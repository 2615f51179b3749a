package demo

import (
	"context"
	"fmt"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/annual"
	"govfleet/internal/beijing"
	"govfleet/internal/org"
	"govfleet/internal/store"
)

// seedAnnual fills the registry's 注册登记日期 and 使用性质 (a few vehicles left without, for the
// report to flag) and leaves last year's annual report part-way (issue 23 part 8): the city opened
// the year; the 市机关事务管理局 signed and the city accepted it; in 天宁区 two units submitted and
// were accepted, one submitted and was returned with a reason, one has not started; the city's
// work report is drafted from the figures.
func seedAnnual(ctx context.Context, db *store.DB, city *access.Actor, root, tn *org.Unit, units map[string]*org.Unit, now time.Time) error {
	if _, err := db.W.ExecContext(ctx, `UPDATE vehicles SET registered_on = purchase_date,
		use_nature = CASE WHEN category IN ('law_enforcement', 'emergency') THEN '执法执勤' ELSE '非营运' END
		WHERE id % 37 <> 5`); err != nil {
		return fmt.Errorf("registry dates: %w", err)
	}
	s := &annual.Service{DB: db, Now: func() time.Time { return now }}
	year := now.In(beijing.Zone).Year() - 1
	if _, err := s.OpenYear(ctx, city, annual.YearInput{Year: year, Deadline: fmt.Sprintf("%d-03-01", year+2)}); err != nil {
		return fmt.Errorf("annual year: %w", err)
	}
	actor := func(u *org.Unit, name string, role access.Role) *access.Actor {
		return &access.Actor{UserID: city.UserID, Name: name, ScopeID: u.ID, ScopePath: u.Path, ScopeKind: u.Kind, Roles: []access.Role{role}, IP: "127.0.0.1"}
	}
	report := func(u *org.Unit) (int64, error) {
		var id int64
		err := db.R.NewSelect().Table("annual_reports").Column("id").Where("year = ? AND unit_id = ?", year, u.ID).Scan(ctx, &id)
		return id, err
	}
	steps := []struct {
		unit, signer string
		parent       *org.Unit
		returned     string
	}{
		{"市机关事务管理局", "蒋文静", nil, ""},
		{"天宁区委办公室", "王主任", tn, ""},
		{"天宁区政府办公室", "李科长", tn, ""},
		{"天宁区城市管理局", "张处长", tn, "车辆清单中有车辆的购置价格与固定资产账不符，另有 2 辆车缺注册登记日期，请核对行驶证和资产账后重新上报"},
	}
	for _, st := range steps {
		u := units[st.unit]
		id, err := report(u)
		if err != nil {
			return fmt.Errorf("annual report of %s: %w", st.unit, err)
		}
		if _, err := s.Submit(ctx, actor(u, st.signer, access.UnitAdmin), id, annual.SubmitInput{Signature: st.signer}); err != nil {
			return fmt.Errorf("annual submit %s: %w", st.unit, err)
		}
		reviewer := city
		if st.parent != nil {
			reviewer = actor(st.parent, "吕志刚", access.PlatformAdmin)
		}
		if st.returned != "" {
			_, err = s.Return(ctx, reviewer, id, annual.ReasonInput{Reason: st.returned})
		} else {
			_, err = s.Accept(ctx, reviewer, id)
		}
		if err != nil {
			return fmt.Errorf("annual review %s: %w", st.unit, err)
		}
	}
	id, err := report(root)
	if err != nil {
		return err
	}
	d, err := s.Get(ctx, city, id)
	if err != nil {
		return err
	}
	_, err = s.SaveWorkReport(ctx, city, id, annual.WorkReportInput{Text: d.WorkDraft})
	return err
}
