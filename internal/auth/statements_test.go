package auth_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/demo"
)

// statements counts the statements a database handle runs.
type statements struct{ n atomic.Int64 }

func (c *statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }
func (c *statements) AfterQuery(context.Context, *bun.QueryEvent)                        { c.n.Add(1) }

// An authenticated request costs one statement: the session, the account,
// its roles, its company and its contracts, and the policy are read
// together (issue 18); a second records the session's activity, at most
// every 30 seconds. A change cannot add statements back unnoticed.
func TestAuthenticateStatements(t *testing.T) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		ctx := context.Background()
		c := &clock{time.Now()}
		w.Auth.Now = c.now
		count := &statements{}
		db := *w.DB
		db.R, db.W = db.R.WithQueryHook(count), db.W.WithQueryHook(count)
		counted := &auth.Service{DB: &db, Org: w.Auth.Org, Now: c.now}
		for _, name := range []string{"jgj_staff", "co_repair"} {
			l, err := w.Auth.Login(ctx, name, demo.Password, "", "")
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []struct {
				wait time.Duration
				want int64
			}{{0, 1}, {time.Minute, 2}, {time.Second, 1}} {
				c.t = c.t.Add(step.wait)
				count.n.Store(0)
				p, err := counted.Authenticate(ctx, l.Token, "")
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if got := count.n.Load(); got != step.want {
					t.Errorf("%s, %v after the last request: %d statements, want %d", name, step.wait, got, step.want)
				}
				if name == "co_repair" && (p.Actor.CompanyID == 0 || len(p.Actor.Contracts) == 0) {
					t.Errorf("co_repair: company %d, contracts %v", p.Actor.CompanyID, p.Actor.Contracts)
				}
			}
		}
	})
}
