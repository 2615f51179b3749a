package audit_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/audit"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

// The chain detects an edited row, a row deleted in the middle and rows
// deleted at the end (R-27, R-28: the log must be trustworthy).
func TestVerifyDetectsTampering(t *testing.T) {
	tamper := []struct {
		name   string
		sql    string
		broken bool // a row is named as the break
		msg    string
	}{
		{"intact", "", false, "审计日志完整"},
		{"edited summary", "UPDATE audit_log SET summary = 'nothing happened' WHERE id = 10", true, "第 10 条记录的内容被篡改"},
		{"edited actor", "UPDATE audit_log SET actor_name = 'someone else' WHERE id = 20", true, "第 20 条记录的内容被篡改"},
		{"deleted middle row", "DELETE FROM audit_log WHERE id = 15", true, "第 16 条记录之前的日志被删除"},
		{"deleted last row", "DELETE FROM audit_log WHERE id = (SELECT MAX(id) FROM audit_log)", false, "日志末尾的记录被删除"},
	}
	for _, tc := range tamper {
		t.Run(tc.name, func(t *testing.T) {
			apptest.Each(t, func(t *testing.T, w *apptest.World) {
				db := w.DB
				ctx := context.Background()
				if tc.sql != "" {
					// The application cannot change the log…
					if _, err := db.W.ExecContext(ctx, tc.sql); err == nil || !strings.Contains(err.Error(), "append-only") {
						t.Fatalf("tampering through the database was not refused: %v", err)
					}
					// …so the tamperer first removes the guard, as a DBA could.
					dropGuard(t, db)
					if _, err := db.W.ExecContext(ctx, tc.sql); err != nil {
						t.Fatal(err)
					}
				}
				res, err := w.Audit.Verify(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if res.OK != (tc.sql == "") || (res.BrokenID != nil) != tc.broken || !strings.Contains(res.Message, tc.msg) {
					t.Errorf("verify = %+v, want ok=%v broken=%v message %q", res, tc.sql == "", tc.broken, tc.msg)
				}
			})
		})
	}
}

func dropGuard(t *testing.T, db *store.DB) {
	t.Helper()
	stmts := []string{"DROP TRIGGER audit_log_no_update", "DROP TRIGGER audit_log_no_delete"}
	if db.Postgres {
		stmts = []string{"DROP TRIGGER audit_log_no_change ON audit_log"}
	}
	for _, s := range stmts {
		if _, err := db.W.ExecContext(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
}

// Entries are scoped: a district's audit administrator sees its subtree only.
func TestListScope(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		city := w.Actor(t, "city_audit")
		all, nAll, err := w.Audit.List(ctx, city, audit.Filter{Page: 1, Size: 200})
		if err != nil || nAll < 100 {
			t.Fatalf("city audit admin sees %d entries (%v)", nAll, err)
		}
		if all[0].ID < all[len(all)-1].ID {
			t.Error("not newest first")
		}
		// Build a district-scoped actor by hand (demo has none) and compare.
		tn := *city
		tn.ScopePath = w.UnitPath(t, "天宁区")
		tn.ScopeKind = "district"
		items, n, err := w.Audit.List(ctx, &tn, audit.Filter{Page: 1, Size: 200})
		if err != nil || n == 0 || n >= nAll {
			t.Fatalf("district sees %d of %d (%v)", n, nAll, err)
		}
		for _, e := range items {
			if !strings.HasPrefix(e.ScopePath, tn.ScopePath) {
				t.Errorf("district sees entry %d of scope %s", e.ID, e.ScopePath)
			}
		}
		_, n, _ = w.Audit.List(ctx, city, audit.Filter{Action: "unit.create", Q: "天宁区城市管理局", Page: 1, Size: 20})
		if n != 1 {
			t.Errorf("filter by action and text: %d entries, want 1", n)
		}
	})
}

// Concurrent writers never fork the chain: each append waits for the head.
func TestConcurrentAppendsKeepTheChain(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		a := w.Actor(t, "city_admin")
		before := w.Count(t, "audit_log")
		const n = 24
		errc := make(chan error, n)
		for i := 0; i < n; i++ {
			go func(i int) {
				errc <- w.Audit.Note(ctx, a, audit.Event{Action: audit.ReadLog, Summary: fmt.Sprintf("并发 %d", i)})
			}(i)
		}
		for i := 0; i < n; i++ {
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
		}
		if got := w.Count(t, "audit_log"); got != before+n {
			t.Fatalf("%d rows appended, want %d", got-before, n)
		}
		res, err := w.Audit.Verify(ctx)
		if err != nil || !res.OK {
			t.Fatalf("chain after concurrent appends: %+v %v", res, err)
		}
	})
}

// An event without a declared action (the zero Action) is refused and
// writes nothing; a declared one is stored under its code and shown with
// its name.
func TestRecordNeedsADeclaredAction(t *testing.T) {
	db := storetest.SQLite(t)
	s := &audit.Service{DB: db}
	ctx := context.Background()
	if err := s.Note(ctx, nil, audit.Event{Summary: "无操作"}); err == nil {
		t.Fatal("an event without an action was recorded")
	}
	city := &access.Actor{ScopeKind: "city"}
	if _, n, err := s.List(ctx, city, audit.Filter{Page: 1, Size: 10}); err != nil || n != 0 {
		t.Fatalf("log after a refused event: %d rows, %v", n, err)
	}
	if err := s.Note(ctx, nil, audit.Event{Action: audit.VerifyLog, ObjectType: audit.Log, Summary: "校验"}); err != nil {
		t.Fatal(err)
	}
	rows, n, err := s.List(ctx, city, audit.Filter{Page: 1, Size: 10})
	if err != nil || n != 1 || rows[0].Action != "audit.verify" || rows[0].ActionLabel != "校验审计日志" ||
		rows[0].ObjectType != "audit_log" || rows[0].ObjectLabel != "审计日志" {
		t.Fatalf("recorded: %d %v %+v", n, err, rows)
	}
}
