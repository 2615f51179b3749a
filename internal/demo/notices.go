package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/access"
	"govfleet/internal/beijing"
	"govfleet/internal/fleet"
	"govfleet/internal/notices"
	"govfleet/internal/store"
)

// demoActor is a demo account as the services see it.
func demoActor(ctx context.Context, db *store.DB, username string) (*access.Actor, error) {
	a := &access.Actor{Username: username}
	err := db.R.NewSelect().TableExpr("users AS u").ColumnExpr("u.id, u.real_name, u.scope_id, n.path, n.kind").
		Join("JOIN units AS n ON n.id = u.scope_id").Where("u.username = ?", username).
		Scan(ctx, &a.UserID, &a.Name, &a.ScopeID, &a.ScopePath, &a.ScopeKind)
	if err != nil {
		return nil, fmt.Errorf("demo account %s: %w", username, err)
	}
	var roles []string
	if err := db.R.NewSelect().Table("user_roles").Column("role").Where("user_id = ?", a.UserID).Scan(ctx, &roles); err != nil {
		return nil, err
	}
	for _, r := range roles {
		a.Roles = append(a.Roles, access.Role(r))
	}
	return a, nil
}

// demoPDF is a one-page PDF with a line of text (the notice's attachment).
const demoPDF = "%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n" +
	"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]/Contents 4 0 R/Resources<</Font<</F1 5 0 R>>>>>>endobj\n" +
	"4 0 obj<</Length 58>>stream\nBT /F1 18 Tf 72 760 Td (Changzhou official vehicles) Tj ET\nendstream endobj\n" +
	"5 0 obj<</Type/Font/Subtype/Type1/BaseFont/Helvetica>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"

// seedNotices publishes a few notices (issue 23 part 8): one pinned with
// an attachment, one expired, one of a district, and last month's periodic
// report, with read receipts from some units and not others; and this
// year's budgets for the savings rate (seedBudgets).
func seedNotices(ctx context.Context, db *store.DB, blobs fleet.BlobStore, now time.Time) error {
	ns := &notices.Service{DB: db, Blobs: blobs}
	actors := map[string]*access.Actor{}
	for _, u := range []string{"city_admin", "tn_admin", "jgj_admin", "jgj_staff", "gaj_approver", "tn_cgj_approver"} {
		a, err := demoActor(ctx, db, u)
		if err != nil {
			return err
		}
		actors[u] = a
	}
	city, tn := actors["city_admin"], actors["tn_admin"]
	str := func(s string) *string { return &s }
	at := func(t time.Time) func() time.Time { return func() time.Time { return t } }
	publish := func(a *access.Actor, when time.Time, in notices.Input, pdf string) (*notices.Notice, error) {
		ns.Now = at(when)
		n, err := ns.Create(ctx, a, in)
		if err == nil && pdf != "" {
			_, err = ns.Attach(ctx, a, n.ID, pdf, []byte(demoPDF))
		}
		if err == nil {
			n, err = ns.Publish(ctx, a, n.ID)
		}
		return n, err
	}
	read := func(n *notices.Notice, when time.Time, users ...string) error {
		for i, u := range users {
			ns.Now = at(when.Add(time.Duration(i*37) * time.Minute))
			if _, err := ns.MarkRead(ctx, actors[u], n.ID); err != nil {
				return fmt.Errorf("demo notice read by %s: %w", u, err)
			}
		}
		return nil
	}
	pinned := true
	n1, err := publish(city, now.AddDate(0, 0, -12), notices.Input{Title: str("关于进一步规范公务用车管理的通知"), Pinned: &pinned,
		Body: str("各辖市（区）、市各有关单位：\n\n为贯彻落实《党政机关公务用车管理办法》，进一步规范公务用车申请、审批、派车和使用，现就有关事项通知如下。\n\n" +
			"一、严格执行用车审批制度，所有公务用车须通过平台申请、审批和派车，严禁无单出车。\n\n" +
			"二、加强车辆停放管理，非执行公务期间车辆应在指定地点停放，节假日按规定封存。\n\n" +
			"三、各单位车管负责人应及时处理平台提示的问题线索，按期说明整改情况。\n\n具体要求见附件。")}, "公务用车管理要求.pdf")
	if err != nil {
		return fmt.Errorf("demo notice: %w", err)
	}
	if err := read(n1, now.AddDate(0, 0, -11), "jgj_admin", "jgj_staff", "gaj_approver", "tn_cgj_approver"); err != nil {
		return err
	}
	// Expired: the holiday sealing notice of two months ago.
	exp := now.AddDate(0, 0, -20)
	n2, err := publish(city, now.AddDate(0, -2, 0), notices.Input{Title: str("关于国庆节期间公务用车封存的通知"), ExpiresAt: &exp,
		Body: str("各单位：\n\n国庆节期间，除应急、执法执勤等车辆外，其余公务用车一律封存。确需使用的，按规定报备。")}, "")
	if err != nil {
		return fmt.Errorf("demo notice: %w", err)
	}
	if err := read(n2, now.AddDate(0, -2, 1), "jgj_admin"); err != nil {
		return err
	}
	n3, err := publish(tn, now.AddDate(0, 0, -5), notices.Input{Title: str("关于开展公务用车使用情况自查的通知"),
		Body: str("区各单位：\n\n请于本月底前对照平台数据，自查本单位公务用车使用情况，重点检查无单出车、夜间停放和加油异常，自查报告报区机关事务管理部门。")}, "")
	if err != nil {
		return fmt.Errorf("demo notice: %w", err)
	}
	if err := read(n3, now.AddDate(0, 0, -4), "tn_cgj_approver"); err != nil {
		return err
	}
	// Last month's periodic report, drafted from the figures and published.
	ns.Now = at(beijing.MonthStart(now).Add(26 * time.Hour))
	last := beijing.Month(beijing.MonthStart(now).Add(-time.Hour))
	rep, err := ns.CreateReport(ctx, city, notices.ReportInput{Period: last})
	if err == nil {
		rep, err = ns.Publish(ctx, city, rep.ID)
	}
	if err != nil {
		return fmt.Errorf("demo report: %w", err)
	}
	if err := read(rep, beijing.MonthStart(now).Add(30*time.Hour), "jgj_admin", "gaj_approver"); err != nil {
		return err
	}
	return seedBudgets(ctx, db, city.UserID, now)
}

// seedBudgets enters this year's budget for the city, the districts and
// every unit with costs — about its costs of the year (extrapolated to
// twelve months), 92 %–116 % of them, so that some nodes save and some
// overspend — and the city measures this year against the budget, as a
// city would in its first year on the platform: the demo's ledger spans
// only the last twelve months, so last year's same months are no fair
// baseline (and last year, with a month or so on the ledger, gets no
// budget and no basis: its page says there is no baseline); and the
// demo's orders are a few per vehicle and year while its fuel and
// insurance are a whole fleet's, so the market price of the trips served
// would be no fair baseline either (docs/savings-rate.md, Demo).
func seedBudgets(ctx context.Context, db *store.DB, by int64, now time.Time) error {
	year := now.In(beijing.Zone).Year()
	months := int(now.In(beijing.Zone).Month())
	var nodes []struct {
		ID   int64  `bun:"id"`
		Path string `bun:"path"`
	}
	if err := db.R.NewSelect().Table("units").Column("id", "path").Where("active = ?", true).Order("id").Scan(ctx, &nodes); err != nil {
		return err
	}
	var cur []string
	for m := 1; m <= months; m++ {
		cur = append(cur, fmt.Sprintf("%04d-%02d", year, m))
	}
	stamp := now.UTC()
	return db.Tx(ctx, func(tx bun.Tx) error {
		for i, n := range nodes {
			var ytd int64
			if err := tx.NewSelect().Table("cost_totals").ColumnExpr("COALESCE(SUM(amount_fen), 0)").
				Where("unit_path LIKE ? AND period IN (?)", n.Path+"%", bun.In(cur)).Scan(ctx, &ytd); err != nil {
				return err
			}
			if ytd == 0 {
				continue
			}
			f := int64(92 + (i*37)%25)                                   // 92 % … 116 % of the costs
			amount := ytd * 12 / int64(months) * f / 100 / 10000 * 10000 // whole hundreds of yuan
			if _, err := tx.NewRaw("INSERT INTO savings_budgets (unit_id, year, amount_fen, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)",
				n.ID, year, amount, by, stamp).Exec(ctx); err != nil {
				return err
			}
		}
		var root int64
		if err := tx.NewSelect().Table("units").Column("id").Where("kind = 'city'").Scan(ctx, &root); err != nil {
			return err
		}
		_, err := tx.NewRaw("INSERT INTO savings_bases (unit_id, year, basis, updated_by, updated_at) VALUES (?, ?, 'budget', ?, ?)",
			root, year, by, stamp).Exec(ctx)
		return err
	})
}
