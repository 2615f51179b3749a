package storetest

import (
	"context"
	"os"
	"testing"
	"time"

	"govfleet/internal/beijing"
	"govfleet/internal/store"
)

func TestMain(m *testing.M) { Main(m) }

// A seed is of one Beijing day (issue 18: tests pass on any date): asked
// for again after a Beijing midnight, as in a run that crosses one, it is
// filled again and the copies are of the new one; on the same day it is not.
func TestSeedIsOfItsDay(t *testing.T) {
	at := time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC) // 23:59:59 in Beijing, New Year's Eve
	defer func(old func() time.Time) { clock = old }(clock)
	clock = func() time.Time { return at }
	fills := 0
	seed := NewSeed("day-"+randomName(), func(ctx context.Context, dsn, _ string) error {
		fills++
		db, err := store.Open(ctx, dsn)
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.W.ExecContext(ctx, "CREATE TABLE filled (day TEXT)")
		if err == nil {
			_, err = db.W.ExecContext(ctx, "INSERT INTO filled VALUES ('"+beijing.Date(at)+"')")
		}
		return err
	})
	kinds := map[string]func(t *testing.T) string{"sqlite": func(t *testing.T) string { path, _ := seed.SQLite(t); return path }}
	if os.Getenv("GOVFLEET_TEST_POSTGRES") != "" {
		kinds["postgres"] = func(t *testing.T) string { dsn, _ := seed.Postgres(t); return dsn }
	}
	for kind, copyOf := range kinds {
		t.Run(kind, func(t *testing.T) {
			at, fills = time.Date(2026, 12, 31, 15, 59, 59, 0, time.UTC), 0
			for _, step := range []struct {
				after time.Duration
				day   string
				fills int
			}{
				{0, "2026-12-31", 1},
				{500 * time.Millisecond, "2026-12-31", 1}, // the same day: the same seed
				{time.Second, "2027-01-01", 2},            // past midnight: filled again
				{time.Hour, "2027-01-01", 2},
			} {
				at = at.Add(step.after)
				dsn := copyOf(t)
				db := open(t, dsn)
				var day string
				if err := db.R.QueryRowContext(context.Background(), "SELECT day FROM filled").Scan(&day); err != nil {
					t.Fatal(err)
				}
				if day != step.day || fills != step.fills {
					t.Errorf("at %s Beijing: a copy of the seed of %s, %d fills; want %s, %d", beijing.Date(at), day, fills, step.day, step.fills)
				}
			}
		})
	}
}
