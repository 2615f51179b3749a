package notices_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/check"
	"govfleet/internal/errs"
	"govfleet/internal/notices"
	"govfleet/internal/org"
	"govfleet/internal/pdf"
	"govfleet/internal/storetest"
)

// TestMain removes the demo databases seeded for the package's tests.
func TestMain(m *testing.M) { storetest.Main(m) }

func str(s string) *string { return &s }

// seq numbers the test units.
var seq = storetest.Counter(1_000_000)

// newUnit creates a unit under parent as the city administrator.
func newUnit(t *testing.T, w *apptest.World, parent int64) (int64, string) {
	t.Helper()
	n := seq.Add(1)
	name := fmt.Sprintf("通知测试单位%d", n)
	first := fmt.Sprintf("11320402%09d", n%1000000000)
	c, _ := check.CreditCodeCheckChar(first)
	code := first + string(c)
	typ := "government"
	u, err := w.Org.Create(context.Background(), w.Actor(t, "city_admin"), org.KindUnit, org.Input{ParentID: &parent, Name: &name, CreditCode: &code, UnitType: &typ})
	if err != nil {
		t.Fatal(err)
	}
	return u.ID, u.Path
}

func ids(ns []*notices.Notice) map[int64]bool {
	out := map[int64]bool{}
	for _, n := range ns {
		out[n.ID] = true
	}
	return out
}

// TestPublishToSubtree: a district's notice reaches its subtree only, once
// published; a city notice to chosen units reaches those; nobody publishes
// outside its scope; the recipients are told in the message centre.
func TestPublishToSubtree(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		ns := w.Notices
		tn, city := w.Actor(t, "tn_admin"), w.Actor(t, "city_admin")
		inside, outside, jgj := w.Actor(t, "tn_cgj_approver"), w.Actor(t, "zl_czj_staff"), w.Actor(t, "jgj_staff")

		n, err := ns.Create(ctx, tn, notices.Input{Title: str("关于规范节假日用车的通知"), Body: str("各单位：\r\n\r\n\r\n请遵守规定。<script>alert(1)</script>  \n")})
		if err != nil {
			t.Fatal(err)
		}
		if n.State != notices.Draft || n.Body != "各单位：\n\n请遵守规定。<script>alert(1)</script>" || len(n.Targets) != 1 || n.Targets[0].Name != "天宁区" {
			t.Fatalf("draft %+v", n)
		}
		if got, _, _ := ns.Inbox(ctx, inside, notices.Filter{}, 1, 50); ids(got)[n.ID] {
			t.Fatal("a draft reached the units")
		}
		if _, err := ns.Get(ctx, inside, n.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("draft read by a unit: %v", err)
		}
		if _, err := ns.Publish(ctx, tn, n.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Publish(ctx, tn, n.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("published twice: %v", err)
		}
		got, _, err := ns.Inbox(ctx, inside, notices.Filter{}, 1, 50)
		if err != nil || !ids(got)[n.ID] {
			t.Fatalf("inside the subtree: %v %v", ids(got), err)
		}
		if got, _, _ := ns.Inbox(ctx, outside, notices.Filter{}, 1, 50); ids(got)[n.ID] {
			t.Fatal("a unit of another district sees the notice")
		}
		if _, err := ns.Get(ctx, outside, n.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("read outside: %v", err)
		}
		if _, err := ns.Update(ctx, w.Actor(t, "zl_admin"), n.ID, notices.Input{Pinned: new(bool)}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another district edits: %v", err)
		}
		var told int
		if told, err = w.DB.R.NewSelect().Table("notifications").Where("user_id = ? AND link = ?", inside.UserID, notices.Link(n.ID)).Count(ctx); err != nil || told != 1 {
			t.Fatalf("message centre: %d %v", told, err)
		}
		if c, _ := w.DB.R.NewSelect().Table("notifications").Where("user_id = ? AND link = ?", outside.UserID, notices.Link(n.ID)).Count(ctx); c != 0 {
			t.Fatal("told a unit outside")
		}

		// Outside the publisher's scope: refused, naming the node.
		_, err = ns.Create(ctx, tn, notices.Input{Title: str("越权"), Body: str("正文"), Targets: []int64{w.UnitID(t, "钟楼区财政局")}})
		if !errs.Is(err, errs.Forbidden) || !strings.Contains(err.Error(), "钟楼区财政局") {
			t.Fatalf("outside target: %v", err)
		}
		if _, err := ns.Create(ctx, inside, notices.Input{Title: str("单位发布"), Body: str("正文")}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a unit publishes: %v", err)
		}

		// The city to one chosen unit.
		c, err := ns.Create(ctx, city, notices.Input{Title: str("机关事务局专项通知"), Body: str("正文"), Targets: []int64{w.UnitID(t, "市机关事务管理局")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Publish(ctx, city, c.ID); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := ns.Inbox(ctx, jgj, notices.Filter{}, 1, 50); !ids(got)[c.ID] {
			t.Fatal("the chosen unit does not see it")
		}
		if got, _, _ := ns.Inbox(ctx, inside, notices.Filter{}, 1, 50); ids(got)[c.ID] {
			t.Fatal("a unit not chosen sees it")
		}
		// The district's administrator does not manage the city's notice.
		if got, _, _ := ns.Managed(ctx, tn, notices.Filter{}, 1, 100); ids(got)[c.ID] || !ids(got)[n.ID] {
			t.Fatalf("managed by the district: %v", ids(got))
		}
	})
}

// TestReadReceipts: a reading counts once for the reader's node; the
// publisher sees which nodes read, who first and when, and reminds the
// others.
func TestReadReceipts(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		ns := w.Notices
		tn, reader := w.Actor(t, "tn_admin"), w.Actor(t, "tn_cgj_approver")
		n, err := ns.Create(ctx, tn, notices.Input{Title: str("回执测试"), Body: str("正文")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.MarkRead(ctx, reader, n.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("read a draft: %v", err)
		}
		if _, err = ns.Publish(ctx, tn, n.ID); err != nil {
			t.Fatal(err)
		}
		before, total, err := ns.Receipts(ctx, tn, n.ID, notices.ReceiptFilter{}, 1, 500)
		if err != nil || total == 0 || total != len(before) {
			t.Fatalf("receipts %d %v", total, err)
		}
		for _, r := range before {
			if r.Read || r.Name == "天宁区" {
				t.Fatalf("before reading: %+v", r)
			}
		}
		for i := 0; i < 2; i++ {
			got, err := ns.MarkRead(ctx, reader, n.ID)
			if err != nil || got.ReadAt == nil {
				t.Fatalf("read: %+v %v", got, err)
			}
		}
		read, k, err := ns.Receipts(ctx, tn, n.ID, notices.ReceiptFilter{Read: "read"}, 1, 50)
		if err != nil || k != 1 || read[0].Name != "天宁区城市管理局" || read[0].Readers != 1 || read[0].FirstReader != "许晓东" || read[0].FirstReadAt == nil {
			t.Fatalf("read receipts %d %+v %v", k, read, err)
		}
		_, unread, _ := ns.Receipts(ctx, tn, n.ID, notices.ReceiptFilter{Read: "unread"}, 1, 50)
		if unread != total-1 {
			t.Fatalf("unread %d of %d", unread, total)
		}
		got, err := ns.Get(ctx, tn, n.ID)
		if err != nil || got.Receipts == nil || got.Receipts.Nodes != total || got.Receipts.Read != 1 {
			t.Fatalf("count %+v %v", got.Receipts, err)
		}
		if _, _, err := ns.Receipts(ctx, reader, n.ID, notices.ReceiptFilter{}, 1, 10); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a reader lists receipts: %v", err)
		}
		// Remind: the staff of unread nodes are told again, not the reader.
		rm, err := ns.Remind(ctx, tn, n.ID)
		if err != nil || rm.Nodes != total-1 {
			t.Fatalf("remind %+v %v", rm, err)
		}
		c, _ := w.DB.R.NewSelect().Table("notifications").Where("user_id = ? AND link = ?", reader.UserID, notices.Link(n.ID)).Count(ctx)
		if c != 1 {
			t.Fatalf("the reader was reminded (%d messages)", c)
		}
	})
}

// TestExpiry: a notice past its expiry leaves the units' lists and can no
// longer be opened by them; the publisher still sees it as expired; a
// draft whose expiry has passed is not published.
func TestExpiry(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		ns := w.Notices
		tn, reader := w.Actor(t, "tn_admin"), w.Actor(t, "tn_cgj_approver")
		past := time.Now().Add(-time.Hour)
		old, err := ns.Create(ctx, tn, notices.Input{Title: str("已过期草稿"), Body: str("正文"), ExpiresAt: &past})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Publish(ctx, tn, old.ID); err == nil || err.(*errs.Error).Fields["expires_at"] == "" {
			t.Fatalf("published past its expiry: %v", err)
		}
		soon := time.Now().Add(time.Hour)
		pin := true
		n, err := ns.Create(ctx, tn, notices.Input{Title: str("一小时后过期"), Body: str("正文"), ExpiresAt: &soon, Pinned: &pin})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Publish(ctx, tn, n.ID); err != nil {
			t.Fatal(err)
		}
		got, _, _ := ns.Inbox(ctx, reader, notices.Filter{}, 1, 50)
		if len(got) == 0 || got[0].ID != n.ID {
			t.Fatal("the pinned notice is not first")
		}
		ns.Now = func() time.Time { return time.Now().Add(2 * time.Hour) }
		defer func() { ns.Now = nil }()
		if got, _, _ := ns.Inbox(ctx, reader, notices.Filter{}, 1, 50); ids(got)[n.ID] {
			t.Fatal("an expired notice is still listed")
		}
		if _, err := ns.Get(ctx, reader, n.ID); !errs.Is(err, errs.NotFound) {
			t.Fatalf("expired opened: %v", err)
		}
		m, _, err := ns.Managed(ctx, tn, notices.Filter{State: "expired"}, 1, 50)
		if err != nil || !ids(m)[n.ID] {
			t.Fatalf("publisher's expired list %v %v", ids(m), err)
		}
		if x, _ := ns.Get(ctx, tn, n.ID); x.StateName != "已过期" {
			t.Fatalf("state %q", x.StateName)
		}
		if _, err := ns.Remind(ctx, tn, n.ID); !errs.Is(err, errs.Conflict) {
			t.Fatalf("reminded of an expired notice: %v", err)
		}
	})
}

// TestAttachments: the order attachments' rules; the recipients open them.
func TestAttachments(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		ns := w.Notices
		tn, reader, outside := w.Actor(t, "tn_admin"), w.Actor(t, "tn_cgj_approver"), w.Actor(t, "zl_czj_staff")
		n, err := ns.Create(ctx, tn, notices.Input{Title: str("附件测试"), Body: str("正文")})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ns.Attach(ctx, tn, n.ID, "a.exe", []byte("MZ\x90\x00")); err == nil {
			t.Fatal("an executable was accepted")
		}
		pdf := []byte("%PDF-1.4\n%测试\n")
		att, err := ns.Attach(ctx, tn, n.ID, "C:\\文件\\通知.pdf", pdf)
		if err != nil || att.Filename != "通知.pdf" || att.ContentType != "application/pdf" {
			t.Fatalf("attach %+v %v", att, err)
		}
		if _, err := ns.Attach(ctx, reader, n.ID, "b.pdf", pdf); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a reader attaches: %v", err)
		}
		if _, err := ns.Publish(ctx, tn, n.ID); err != nil {
			t.Fatal(err)
		}
		_, data, err := ns.OpenAttachment(ctx, reader, n.ID, att.ID)
		if err != nil || string(data) != string(pdf) {
			t.Fatalf("open %v", err)
		}
		if _, _, err := ns.OpenAttachment(ctx, outside, n.ID, att.ID); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("opened outside: %v", err)
		}
	})
}

// TestReportFigures: the periodic report's figures of a small fixture,
// against the hand-counted ones; the parent's table has the same row.
func TestReportFigures(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		db := w.DB.W
		tnID := w.UnitID(t, "天宁区")
		unit, path := newUnit(t, w, tnID)
		applicant := w.Actor(t, "jgj_staff").UserID
		var vehicle, company int64
		if err := w.DB.R.NewSelect().Table("vehicles").Column("id").Order("id").Limit(1).Scan(ctx, &vehicle); err != nil {
			t.Fatal(err)
		}
		if err := w.DB.R.NewSelect().Table("companies").Column("id").Where("kind = ?", "rental").Order("id").Limit(1).Scan(ctx, &company); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		order := func(no, state, at string) int64 {
			var id int64
			err := ins(db, "orders").Value("no", "?", fmt.Sprintf("T%d%s", unit, no)).Value("unit_id", "?", unit).Value("applicant_id", "?", applicant).
				Value("applicant_name", "?", "秦小敏").Value("reason", "?", "测试").Value("passenger_count", "?", 1).Value("pickup_place", "?", "机关").
				Value("destinations", "?", "[]").Value("pickup_at", "?", apptest.BJ(at)).Value("return_at", "?", apptest.BJ(at).Add(time.Hour)).Value("state", "?", state).
				Value("created_at", "?", now).Value("updated_at", "?", now).Returning("id").Scan(ctx, &id)
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		// March 2021 (Beijing): closed, finished, dispatched, rental count; cancelled and returned do not; April's does not.
		order("1", "closed", "2021-03-01 00:30") // 2021-02-28 16:30 UTC: March in Beijing
		order("2", "finished", "2021-03-15 09:00")
		order("3", "dispatched", "2021-03-31 23:30")
		order("4", "cancelled", "2021-03-10 09:00")
		order("5", "returned", "2021-03-10 10:00")
		order("6", "closed", "2021-04-01 00:10")
		rent := order("7", "rental", "2021-03-20 09:00")
		if _, err := ins(db, "rental_orders").Value("order_id", "?", rent).Value("company_id", "?", company).Value("unit_id", "?", unit).
			Value("state", "?", "completed").Value("start_mileage", "?", 100).Value("end_mileage", "?", 180).Value("fee_fen", "?", 50000).
			Value("month", "?", "2021-03").Value("created_at", "?", now).Value("updated_at", "?", now).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		for _, d := range []struct {
			day   string
			m     int64
			trips int
		}{{"2021-03-01", 12345, 2}, {"2021-03-31", 5000, 1}, {"2021-03-15", 0, 0}, {"2021-04-01", 7000, 1}, {"2021-02-28", 8000, 1}} {
			if _, err := ins(db, "vehicle_daily_mileage").Value("vehicle_id", "?", vehicle).Value("day", "?", d.day).Value("unit_id", "?", unit).
				Value("distance_m", "?", d.m).Value("trips", "?", d.trips).Value("driving_s", "?", 600).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct {
			period, kind string
			fen          int64
		}{{"2021-03", "fuel", 30000}, {"2021-03", "maintenance", 12050}, {"2021", "fuel", 99999}, {"2021-04", "fuel", 777}} {
			if _, err := ins(db, "cost_totals").Value("period", "?", c.period).Value("unit_path", "?", path).Value("unit_id", "?", unit).
				Value("vehicle_id", "?", 0).Value("kind", "?", c.kind).Value("amount_fen", "?", c.fen).Value("entries", "?", 1).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for i, day := range []string{"2021-03-02", "2021-03-31", "2021-04-01"} {
			if _, err := ins(db, "findings").Value("rule", "?", "no_order").Value("evidence_key", "?", fmt.Sprintf("test:%d:%d", unit, i)).
				Value("unit_id", "?", unit).Value("unit_path", "?", path).Value("at", "?", now).Value("day", "?", day).Value("summary", "?", "测试").
				Value("created_at", "?", now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range []struct{ day, state string }{{"2021-03-02", "verified"}, {"2021-03-31", "open"}, {"2021-04-02", "dismissed"}} {
			if _, err := ins(db, "cases").Value("rule", "?", "no_order").Value("unit_id", "?", unit).Value("unit_path", "?", path).
				Value("day", "?", c.day).Value("title", "?", "测试").Value("state", "?", c.state).Value("authority_id", "?", tnID).
				Value("authority_path", "?", w.UnitPath(t, "天宁区")).Value("opened_at", "?", now).Value("updated_at", "?", now).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}

		p, err := notices.ParsePeriod("2021-03")
		if err != nil {
			t.Fatal(err)
		}
		f, err := notices.Compute(ctx, w.DB.R, unit, p, now)
		if err != nil {
			t.Fatal(err)
		}
		m := f.Total
		want := notices.Measures{ID: unit, Name: m.Name, Orders: 4, Served: 2, VehicleDays: 2, DistanceM: 17345, Trips: 3, RentalOrders: 1, RentalKm: 80, RentalFen: 50000,
			CostFen: 42050, Findings: 2, Cases: 2, CasesClosed: 1}
		if fmt.Sprint(*m) != fmt.Sprint(withKinds(want, m.ByKind)) || m.ByKind["fuel"] != 30000 || m.ByKind["maintenance"] != 12050 {
			t.Fatalf("figures\n got %+v\nwant %+v", *m, want)
		}
		if f.From != "2021-03-01" || f.To != "2021-03-31" || f.PeriodName != "2021年3月" {
			t.Fatalf("period %s %s %s", f.From, f.To, f.PeriodName)
		}
		text := notices.DraftText("测试单位", f)
		for _, s := range []string{"用车订单4单，已完成2单（完成率50.0%）", "出车2车日，行驶17.3公里，行程3次", "费用500.00元", "合计420.50元，其中燃油费300.00元，维修保养费120.50元", "问题线索2条，涉及问题2件，已办结1件（办结率50.0%）"} {
			if !strings.Contains(text, s) {
				t.Errorf("draft lacks %q:\n%s", s, text)
			}
		}
		// The quarter holds March; the district's table has the unit's row.
		q, _ := notices.ParsePeriod("2021-q1")
		fq, err := notices.Compute(ctx, w.DB.R, tnID, q, now)
		if err != nil {
			t.Fatal(err)
		}
		var row *notices.Measures
		for _, u := range fq.Units {
			if u.ID == unit {
				row = u
			}
		}
		if row == nil || row.Orders != 4 || row.DistanceM != 17345+8000 || row.CostFen != 42050 || fq.PeriodName != "2021年第一季度" {
			t.Fatalf("quarter row %+v", row)
		}

		// As a notice: drafted, edited, published, exported from the stored figures.
		tn := w.Actor(t, "tn_admin")
		rep, err := w.Notices.CreateReport(ctx, tn, notices.ReportInput{Period: "2021-03"})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Kind != notices.KindReport || rep.Report == nil || rep.Report.Period != "2021-03" || !strings.Contains(rep.Title, "2021年3月") {
			t.Fatalf("report %+v", rep)
		}
		// Printed (PDF): the title, the text, and the table with the unit's row as computed above.
		b, name, err := w.Notices.ReportPDF(ctx, tn, rep.ID)
		if err != nil {
			t.Fatal(err)
		}
		var unitName string
		w.DB.R.NewSelect().Table("units").Column("name").Where("id = ?", unit).Scan(ctx, &unitName)
		text, err = pdf.Text(b)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{rep.Title, "一、用车情况", "附表", "2021-03-01 至 2021-03-31", "单位", "出车车日", "燃油费", "维修保养费", "费用合计",
			unitName, "17.3", "300.00", "120.50", "420.50", "1 / 2", "合计"} {
			if !strings.Contains(text, s) {
				t.Errorf("the printed report does not say %q:\n%s", s, text)
			}
		}
		if name != rep.Title+".pdf" {
			t.Errorf("file name %q", name)
		}
		if _, _, err := w.Notices.ReportPDF(ctx, w.Actor(t, "zl_admin"), rep.ID); !errs.Is(err, errs.Forbidden) {
			t.Errorf("another district printed the draft: %v", err)
		}
		if _, err := w.Notices.CreateReport(ctx, tn, notices.ReportInput{Period: "2099-01"}); err == nil {
			t.Fatal("a future period was drafted")
		}
		if _, err := w.Notices.CreateReport(ctx, w.Actor(t, "tn_cgj_approver"), notices.ReportInput{Period: "2021-03"}); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("a unit drafts a report: %v", err)
		}
	})
}

func withKinds(m notices.Measures, k map[string]int64) notices.Measures {
	m.ByKind = k
	return m
}

// insert is a plain INSERT of the columns given (a fixture's rows).
type insert struct {
	db    bun.IDB
	table string
	cols  []string
	vals  []any
	ret   string
}

func ins(db bun.IDB, table string) *insert { return &insert{db: db, table: table} }

func (i *insert) Value(col, _ string, v any) *insert {
	i.cols = append(i.cols, col)
	i.vals = append(i.vals, v)
	return i
}

func (i *insert) Returning(col string) *insert { i.ret = col; return i }

func (i *insert) query() string {
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", i.table, strings.Join(i.cols, ", "), strings.TrimSuffix(strings.Repeat("?, ", len(i.cols)), ", "))
	if i.ret != "" {
		q += " RETURNING " + i.ret
	}
	return q
}

func (i *insert) Exec(ctx context.Context) (sql.Result, error) {
	return i.db.NewRaw(i.query(), i.vals...).Exec(ctx)
}

func (i *insert) Scan(ctx context.Context, dest ...any) error {
	return i.db.NewRaw(i.query(), i.vals...).Scan(ctx, dest...)
}

// TestDemo: the demo's notices — one pinned with an attachment, one
// expired, a district's, last month's report — with read receipts from
// some units and not others.
func TestDemo(t *testing.T) {
	w := apptest.SQLite(t)
	ctx := context.Background()
	city := w.Actor(t, "city_admin")
	all, _, err := w.Notices.Managed(ctx, city, notices.Filter{}, 1, 50)
	if err != nil {
		t.Fatal(err)
	}
	var pinned, expired, report bool
	for _, n := range all {
		x, err := w.Notices.Get(ctx, city, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		pinned = pinned || (x.Pinned && len(x.Attachments) == 1 && x.Receipts.Read > 0 && x.Receipts.Read < x.Receipts.Nodes)
		expired = expired || x.Expired
		report = report || (x.Kind == notices.KindReport && x.State == notices.Published && x.Report != nil && x.Report.Total.Orders > 0)
	}
	if !pinned || !expired || !report || len(all) < 4 {
		t.Fatalf("demo notices: pinned %v expired %v report %v (%d)", pinned, expired, report, len(all))
	}
	res, err := w.SavingsRate.Compute(ctx, city, 0, 0)
	if err != nil || res.Node.Rate == nil || res.Node.Basis != "budget" {
		t.Fatalf("demo savings %+v %v", res.Node, err)
	}
}
