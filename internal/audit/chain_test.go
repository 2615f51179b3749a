package audit_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/audit"
	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

// chain is a small log: n events by one actor on a fresh database, with
// the checkpoints file in the test's directory.
func chain(t *testing.T, db *store.DB, n int) *audit.Service {
	t.Helper()
	s := &audit.Service{DB: db, Checkpoints: filepath.Join(t.TempDir(), audit.CheckpointFile)}
	add(t, s, n)
	return s
}

func add(t *testing.T, s *audit.Service, n int) {
	t.Helper()
	a := &access.Actor{UserID: 7, Name: "张三", Username: "zhangsan", IP: "10.0.0.1"}
	for i := 0; i < n; i++ {
		if err := s.Note(context.Background(), a, audit.Event{Action: audit.ReadLog, ObjectType: audit.Log, Summary: fmt.Sprintf("事件 %d", i),
			After: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
}

// rows reads the log in chain order.
func rows(t *testing.T, db *store.DB) []*audit.Entry {
	t.Helper()
	var es []*audit.Entry
	if err := db.R.NewSelect().Model(&es).Order("id ASC").Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	return es
}

// rechain rewrites the rows from id on as someone with the database but
// not the key can: each row edited by edit, its link and hash recomputed
// with the unkeyed hash, and the head moved to the new last row (its MAC
// left as it was: it cannot be made without the key).
func rechain(t *testing.T, db *store.DB, from int64, edit func(*audit.Entry)) {
	t.Helper()
	ctx := context.Background()
	prev := ""
	es := rows(t, db)
	for _, e := range es {
		if e.ID >= from {
			e.PrevHash = prev
			edit(e)
			e.Hash = audit.LegacyHash(e)
			if _, err := db.W.NewUpdate().Model(e).WherePK().Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		prev = e.Hash
	}
	setHead(t, db, int64(len(es)), prev, "")
}

// setHead sets the chain head; mac "" keeps the stored MAC.
func setHead(t *testing.T, db *store.DB, seq int64, hash, mac string) {
	t.Helper()
	q := "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1"
	args := []any{seq, hash}
	if mac != "" {
		q = "UPDATE audit_head SET seq = ?, hash = ?, mac = ? WHERE id = 1"
		args = append(args, mac)
	}
	if _, err := db.W.ExecContext(context.Background(), q, args...); err != nil {
		t.Fatal(err)
	}
}

func head(t *testing.T, db *store.DB) (seq int64, hash, mac string) {
	t.Helper()
	if err := db.R.QueryRowContext(context.Background(), "SELECT seq, hash, mac FROM audit_head WHERE id = 1").Scan(&seq, &hash, &mac); err != nil {
		t.Fatal(err)
	}
	return
}

func verify(t *testing.T, s *audit.Service) audit.VerifyResult {
	t.Helper()
	res, err := s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// problemIDs are the rows a verification names, in order (0: the chain).
func problemIDs(res audit.VerifyResult) []int64 {
	var ids []int64
	for _, p := range res.Problems {
		ids = append(ids, p.ID)
	}
	return ids
}

// Issue 19: a NUL (or invalid UTF-8) that reaches the log is hashed as the
// database stores it, so the row verifies; the other odd text is kept as is.
func TestOddTextVerifies(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		odd := "ab\x00cd|\xff\xfe|e\u0301|\u2028\u2029|😀|\u202eRTL|\u200b\ufeff|\r\n\t|\x7f\u0085|'\"\\%_"
		s := &audit.Service{DB: db}
		a := &access.Actor{UserID: 1, Name: "名\x00字", Username: "u\xff", IP: "::1"}
		if err := s.Note(context.Background(), a, audit.Event{Action: audit.ReadLog, ScopePath: "/1/\x00", Summary: odd,
			Before: map[string]string{"name": odd}, After: odd}); err != nil {
			t.Fatal(err)
		}
		e := rows(t, db)[0]
		want := "abcd|\ufffd\ufffd|e\u0301|\u2028\u2029|😀|\u202eRTL|\u200b\ufeff|\r\n\t|\x7f\u0085|'\"\\%_"
		if e.Summary != want || e.ActorName != "名字(u\ufffd)" || e.ScopePath != "/1/" {
			t.Errorf("stored %q %q %q", e.Summary, e.ActorName, e.ScopePath)
		}
		if res := verify(t, s); !res.OK || res.Keyed != 1 {
			t.Errorf("verify: %+v", res)
		}
	})
}

// Every broken row is listed, not just the first: edited rows, a tail
// re-chained without the key (as keyed rows or as unkeyed ones), a tail
// cut with the head set back; the list is capped, the count is not.
func TestVerifyListsEveryBrokenRow(t *testing.T) {
	cases := []struct {
		name   string
		rows   int
		tamper func(t *testing.T, db *store.DB)
		ids    []int64 // the problems' rows, in order (0: the chain)
		count  int
		trunc  bool
		msg    string
	}{
		{"two edited rows", 30, func(t *testing.T, db *store.DB) {
			mustExec(t, db, "UPDATE audit_log SET summary = 'nothing happened' WHERE id IN (10, 20)")
		}, []int64{10, 20}, 2, false, "审计日志校验发现 2 处问题：第 10 条记录的内容被篡改（校验码不符）；第 20 条记录的内容被篡改"},
		{"tail re-chained without the key", 30, func(t *testing.T, db *store.DB) {
			rechain(t, db, 25, func(e *audit.Entry) { e.Summary = "改写 " + e.Summary })
		}, []int64{25, 26, 27, 28, 29, 30, 0}, 7, true, "第 25 条记录的内容被篡改"},
		{"tail re-chained as unkeyed rows", 30, func(t *testing.T, db *store.DB) {
			rechain(t, db, 28, func(e *audit.Entry) { e.Alg = "" })
		}, []int64{28, 29, 30, 0}, 4, true, "第 28 条记录不带密钥校验码"},
		{"tail cut, head set back", 30, func(t *testing.T, db *store.DB) {
			last := rows(t, db)[19]
			mustExec(t, db, "DELETE FROM audit_log WHERE id > 20")
			setHead(t, db, 20, last.Hash, "")
		}, []int64{0}, 1, true, "链头（audit_head）的校验码不符"},
		{"long re-chain capped", 130, func(t *testing.T, db *store.DB) {
			rechain(t, db, 11, func(e *audit.Entry) {})
		}, nil, 121, true, "审计日志校验发现 121 处问题"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, db *store.DB) {
				s := chain(t, db, tc.rows)
				if res := verify(t, s); !res.OK || res.Checked != tc.rows || res.Keyed != tc.rows {
					t.Fatalf("before tampering: %+v", res)
				}
				dropGuard(t, db)
				tc.tamper(t, db)
				res := verify(t, s)
				ids := problemIDs(res)
				if tc.ids == nil { // capped: the first MaxProblems rows from 11
					if len(ids) != audit.MaxProblems || ids[0] != 11 || ids[audit.MaxProblems-1] != 110 {
						t.Errorf("listed %v", ids)
					}
				} else if fmt.Sprint(ids) != fmt.Sprint(tc.ids) {
					t.Errorf("problems %+v, want rows %v", res.Problems, tc.ids)
				}
				if res.OK || res.Count != tc.count || res.Truncated != tc.trunc || !strings.Contains(res.Message, tc.msg) {
					t.Errorf("verify = ok %v count %d truncated %v %q, want count %d truncated %v %q",
						res.OK, res.Count, res.Truncated, res.Message, tc.count, tc.trunc, tc.msg)
				}
			})
		})
	}
}

func mustExec(t *testing.T, db *store.DB, q string) {
	t.Helper()
	if _, err := db.W.ExecContext(context.Background(), q); err != nil {
		t.Fatal(err)
	}
}

// A tail cut below the latest checkpoint is detected even when the head is
// set back to a state it really had (MAC and all, as someone watching the
// database could save it); a forged checkpoint line is detected too.
func TestCheckpointsCatchTruncation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := chain(t, db, 20)
		seq, hash, mac := head(t, db) // the head of 20 rows, saved by the attacker
		add(t, s, 10)
		if err := s.Checkpoint(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Checkpoint(ctx); err != nil { // same head: not written twice
			t.Fatal(err)
		}
		b, err := os.ReadFile(s.Checkpoints)
		if err != nil || strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"seq":30`) {
			t.Fatalf("checkpoints file %q %v", b, err)
		}
		if fi, _ := os.Stat(s.Checkpoints); fi.Mode().Perm() != 0o600 {
			t.Errorf("checkpoints file mode %v", fi.Mode())
		}
		add(t, s, 5)
		if res := verify(t, s); !res.OK || res.Checkpoint != 30 || !strings.Contains(res.Message, "与校验点（第 30 条）一致") {
			t.Fatalf("intact: %+v", res)
		}
		dropGuard(t, db)
		mustExec(t, db, "DELETE FROM audit_log WHERE id > 20")
		setHead(t, db, seq, hash, mac)
		res := verify(t, s)
		if res.OK || !res.Truncated || res.Count != 1 || !strings.Contains(res.Message, "日志末尾被截断：校验点记录了 30 条，实有 20 条") {
			t.Errorf("cut below the checkpoint: %+v", res)
		}
		// Without the checkpoints the replayed head would pass: they are the anchor.
		if res := verify(t, &audit.Service{DB: db}); !res.OK {
			t.Errorf("without checkpoints: %+v", res)
		}
		// A checkpoint line made up or edited without the key.
		forged := strings.Replace(string(b), `"seq":30`, `"seq":3`, 1)
		if err := os.WriteFile(s.Checkpoints, []byte(forged), 0o600); err != nil {
			t.Fatal(err)
		}
		if res := verify(t, s); res.OK || !strings.Contains(res.Message, "校验点文件第 1 行的签名不符") {
			t.Errorf("forged checkpoint: %+v", res)
		}
	})
}

// Rows hashed the old way (unkeyed SHA-256, alg "") before the switch stay
// verifiable; keyed rows follow; re-chaining the keyed ones as unkeyed rows
// fails, and so does a key that is not the one the rows were made with.
func TestLegacyRowsStillVerify(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		prev := ""
		at := time.Date(2025, 6, 1, 8, 0, 0, 123456000, time.UTC)
		for i := 1; i <= 5; i++ { // as the release before issue 19 wrote them
			e := &audit.Entry{At: at.Add(time.Duration(i) * time.Minute), ActorName: "旧记录", Action: "auth.login", Summary: fmt.Sprintf("旧 %d", i), PrevHash: prev}
			e.Hash = audit.LegacyHash(e)
			if _, err := db.W.NewInsert().Model(e).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			prev = e.Hash
		}
		mustExec(t, db, fmt.Sprintf("UPDATE audit_head SET seq = 5, hash = '%s' WHERE id = 1", prev))
		s := &audit.Service{DB: db, Checkpoints: filepath.Join(t.TempDir(), audit.CheckpointFile)}
		if res := verify(t, s); !res.OK || res.Checked != 5 || res.Keyed != 0 {
			t.Fatalf("old chain: %+v", res)
		}
		if err := s.Checkpoint(ctx); err != nil { // the new release starts
			t.Fatal(err)
		}
		add(t, s, 3)
		if res := verify(t, s); !res.OK || res.Checked != 8 || res.Keyed != 3 || res.Checkpoint != 5 {
			t.Fatalf("after the switch: %+v", res)
		}
		// Verified with another key, the checkpoint, the keyed rows and the head fail.
		audit.SetKeys([]byte("another key of at least thirty-two bytes"))
		res := verify(t, s)
		audit.SetKeys(storetest.TestAuditKey)
		if fmt.Sprint(problemIDs(res)) != "[0 6 7 8 0]" || res.Count != 5 {
			t.Errorf("with another key: %+v", res)
		}
		// The keyed rows re-chained as unkeyed ones: they come after the
		// checkpoint, and the head's MAC fails…
		dropGuard(t, db)
		rechain(t, db, 6, func(e *audit.Entry) { e.Alg = "" })
		if res := verify(t, s); fmt.Sprint(problemIDs(res)) != "[6 7 8 0]" || !res.Truncated {
			t.Errorf("keyed rows re-chained unkeyed: %+v", res)
		}
		// …and with the head's MAC removed too, the rows still fail.
		mustExec(t, db, "UPDATE audit_head SET mac = '' WHERE id = 1")
		if res := verify(t, s); fmt.Sprint(problemIDs(res)) != "[6 7 8]" || !strings.Contains(res.Message, "第 6 条记录不带密钥校验码") {
			t.Errorf("keyed rows re-chained unkeyed, head MAC removed: %+v", res)
		}
	})
}

// The key file is made at first start (0600) and read back; a rotated
// file (a second line) MACs new rows with the new key and still verifies
// the old ones.
func TestKeyFileAndRotation(t *testing.T) {
	defer audit.SetKeys(storetest.TestAuditKey)
	db := storetest.SQLite(t)
	path := filepath.Join(t.TempDir(), "data", audit.KeyFile)
	if err := audit.LoadKeys(path, false); err == nil {
		t.Fatal("the verifier made up a missing key")
	}
	if err := audit.LoadKeys(path, true); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v %v", fi, err)
	}
	s := chain(t, db, 3)
	b, _ := os.ReadFile(path)
	rotated := string(b) + strings.Repeat("ab", 32) + "\n"
	if err := os.WriteFile(path, []byte(rotated), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := audit.LoadKeys(path, true); err != nil {
		t.Fatal(err)
	}
	add(t, s, 2)
	es := rows(t, db)
	if es[0].Alg == es[4].Alg {
		t.Errorf("rotation did not change the key: %s", es[4].Alg)
	}
	if res := verify(t, s); !res.OK || res.Keyed != 5 {
		t.Errorf("after rotation: %+v", res)
	}
}
