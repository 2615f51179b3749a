package store_test

import (
	"context"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"govfleet/internal/store"
	"govfleet/internal/storetest"
)

// The migration that makes one tariff table (issue 22 part 5) moves the
// partners' and the visitors' paid-use tariffs into the rates as kind
// paid_use — the partners' tariff most partners used, the visitors' for
// the types it lacks — and the partners' market day prices into the
// market reference prices where a type has none, then drops the old
// tables, on both databases.
func TestMigrateTariffsIntoRates(t *testing.T) {
	ctx := context.Background()
	entries, err := fs.ReadDir(store.MigrationFiles, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	changes := map[string][]byte{}
	found := false
	for _, e := range entries {
		if strings.Contains(e.Name(), "_t22.") {
			found = true
		}
		if found {
			changes[e.Name()] = nil // the migrations from this one on
		}
	}
	for _, pg := range []bool{false, true} {
		name := map[bool]string{false: "sqlite", true: "postgres"}[pg]
		t.Run(name, func(t *testing.T) {
			db := storetest.Empty(t, pg)
			if _, err := db.MigrateFiles(ctx, withFiles(t, changes)); err != nil {
				t.Fatal(err)
			}
			now := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.W.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%s: %v", q, err)
				}
			}
			exec("INSERT INTO units (id, kind, name, level, path, depth, created_at, updated_at) VALUES (1, 'city', '测试市', 'city', '/1/', 0, ?, ?)", now, now)
			exec("INSERT INTO users (id, username, real_name, scope_id, password_hash, created_at, updated_at) VALUES (1, 'admin', '管理员', 1, 'x', ?, ?)", now, now)
			exec("INSERT INTO partner_tariffs (id, name, created_at, updated_at) VALUES (1, '甲标准', ?, ?), (2, '乙标准', ?, ?)", now, now, now, now)
			exec(`INSERT INTO partner_tariff_rates (tariff_id, vehicle_type, day_fen, half_day_fen, km_fen, market_day_fen) VALUES
				(1, 'sedan', 99900, 50000, 100, 0), (2, 'sedan', 30000, 18000, 120, 46000), (2, 'mpv', 45000, 27000, 180, 69000)`)
			for i, tariff := range []int{1, 2, 2} {
				exec(`INSERT INTO partners (code, name, base_url, self_code, inbound_secret, outbound_secret, tariff_id, created_by, created_at, updated_at)
					VALUES (?, ?, 'https://x.example', 'cz', 's', 's', ?, 1, ?, ?)`, []string{"a", "b", "c"}[i], []string{"甲市", "乙市", "丙市"}[i], tariff, now, now)
			}
			if _, err := db.MigrateFiles(ctx, store.MigrationFiles); err != nil {
				t.Fatal(err)
			}
			var got []string
			if err := db.R.NewRaw(`SELECT kind || ' ' || vehicle_type || ' ' || CAST(day_fen AS TEXT) || '/' || CAST(half_day_fen AS TEXT) || '/' || CAST(km_fen AS TEXT)
				|| ' ' || valid_from || ' ' || COALESCE(valid_to, '长期') FROM rates ORDER BY kind, vehicle_type`).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			want := []string{
				// the market half day in the tariff's proportion: 46,000 × 18,000 / 30,000; 69,000 × 27,000 / 45,000
				"market business_van 69000/41400/0 2000-01-01 长期",
				"market sedan 46000/27600/0 2000-01-01 长期",
				"paid_use business_van 45000/27000/180 2000-01-01 长期", // 乙标准, used by two partners
				"paid_use coach 52000/30000/300 2000-01-01 长期",        // the visitors' 中型客车 (10 seats and more)
				"paid_use minibus 52000/30000/300 2000-01-01 长期",
				"paid_use sedan 30000/18000/120 2000-01-01 长期",
			}
			if !slices.Equal(got, want) {
				t.Errorf("rates after the migration:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
			var updated []time.Time
			if err := db.R.NewRaw("SELECT updated_at FROM rates").Scan(ctx, &updated); err != nil {
				t.Errorf("rates' times do not read back: %v", err)
			}
			for _, table := range []string{"partner_tariffs", "partner_tariff_rates", "paid_use_tariffs"} {
				if _, err := db.R.ExecContext(ctx, "SELECT 1 FROM "+table); err == nil {
					t.Errorf("%s is still there", table)
				}
			}
			if _, err := db.R.ExecContext(ctx, "SELECT tariff_id FROM partners"); err == nil {
				t.Error("partners.tariff_id is still there")
			}
		})
	}
}
