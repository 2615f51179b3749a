package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
)

// manages is the who-manages-whom matrix of docs/security.md, restated
// here on its own (not through access.CanManage): may an actor holding
// role ar manage an account holding role tr ("" none) that lies at the
// actor's own node (same) or strictly below it? dual says the request is
// one the city's three administrators may make or approve for one another
// two together (a password reset), atCity whether the actor is at the city.
func manages(ar, tr access.Role, same, atCity, dual bool) bool {
	three := []access.Role{access.SysAdmin, access.SecAdmin, access.AuditAdmin}
	users := []access.Role{"", access.Dispatcher, access.VehicleManager, access.Driver, access.Applicant, access.Visitor} // the people who use the platform (visitors: R-19)
	companies := []access.Role{access.RepairShop, access.FuelCompany, access.Insurer, access.InspectionCompany, access.RentalCompany}
	if slices.Contains(three, tr) {
		return ar == access.SecAdmin && !same || slices.Contains(three, ar) && same && atCity && dual
	}
	switch ar {
	case access.SecAdmin:
		return true
	case access.PlatformAdmin:
		return !same || slices.Contains(users, tr) || slices.Contains(companies, tr)
	case access.UnitAdmin:
		return slices.Contains(users, tr)
	case access.SysAdmin:
		return slices.Contains(users, tr) || slices.Contains(companies, tr) || tr == access.UnitAdmin || tr == access.Approver
	}
	return false
}

// TestManageMatrix walks every user-management route of the route table ×
// an actor of every role (at the city and at 天宁区; the unit administrator
// at 天宁区城市管理局) × an account of every role (and none) at every node
// its role allows (the city, 天宁区, its 城市管理局, 钟楼区, 钟楼区财政局):
// the request succeeds exactly when the actor's role carries the route's
// permission, the account lies in the actor's scope and the matrix says
// the actor manages it; otherwise 403.
func TestManageMatrix(t *testing.T) {
	t.Parallel() // the package's longest tests: beside each other and on both databases at once
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e, db := newEnv(t, w), w.DB
		ctx := context.Background()
		city := e.w.UnitID(t, "常州市")
		places := []int64{city, e.tn, e.inUnit, e.w.UnitID(t, "钟楼区"), e.outUnit}
		path := map[int64]string{}
		kind := map[int64]string{}
		for _, p := range places {
			u, err := e.w.Org.Node(ctx, nil, p)
			if err != nil {
				t.Fatal(err)
			}
			path[p], kind[p] = u.Path, u.Kind
		}
		companies := map[access.Role]int64{}
		for _, k := range access.CompanyKinds {
			companies[k.Role] = e.newCompany(e.tn, k.Kind).ID
		}
		type account struct {
			user *auth.User
			role access.Role
		}
		// The accounts acted on: every role (and none) at every node it may hold.
		var targets []account
		for _, r := range append([]access.Role{""}, roleCodes()...) {
			for _, p := range places {
				info, _ := access.Info(r)
				if r != "" && !slices.Contains(info.ScopeKinds, kind[p]) {
					continue
				}
				var u *auth.User
				if r == "" {
					u = e.newUser(p)
				} else {
					u = e.newUser(p, r)
				}
				if co := companies[r]; co != 0 {
					if _, err := db.W.NewRaw("UPDATE users SET company_id = ? WHERE id = ?", co, u.ID).Exec(ctx); err != nil {
						t.Fatal(err)
					}
				}
				u.Roles = []access.Role{}
				if r != "" {
					u.Roles = []access.Role{r}
				}
				targets = append(targets, account{u, r})
			}
		}
		// A reset request to approve, by the city's security administrator
		// (for the city's three administrators a request under dual
		// control): a fresh one after any allowed request on the account
		// (an allowed reset by the actor replaces the previous one, an
		// approval uses it), else the one a refused approval left pending.
		sec := e.w.Actor(t, "city_sec")
		pending := map[int64]int64{} // account → its reset request
		request := func(tgt account) int64 {
			if id, ok := pending[tgt.user.ID]; ok {
				return id
			}
			res, err := e.w.Auth.ResetPassword(ctx, sec, tgt.user.ID)
			if err != nil || res.Status != "pending" {
				t.Fatalf("reset request of %s: %+v, %v", tgt.user.Username, res, err)
			}
			pending[tgt.user.ID] = res.ID
			return res.ID
		}
		var routes []struct {
			key  string
			perm access.Perm
			dual bool
			req  func(tgt account) call
		}
		for _, rt := range e.api.Routes() {
			key := rt.Method + " " + rt.Path
			var req func(tgt account) call
			dual := false
			switch {
			case key == "POST /api/password-resets/{id}/approve":
				dual = true
				req = func(tgt account) call {
					return call{"POST", fmt.Sprintf("/api/password-resets/%d/approve", request(tgt)), nil}
				}
			case strings.HasPrefix(rt.Path, "/api/users/{id}") && rt.Method != "GET":
				dual = strings.HasSuffix(rt.Path, "/reset-password")
				req = func(tgt account) call {
					var body any
					switch rt.Method {
					case "PATCH": // deactivation: the strongest edit
						body = map[string]any{"active": false}
					case "PUT": // the account's own roles: the manage rule alone decides
						body = map[string]any{"roles": tgt.user.Roles}
					}
					return call{rt.Method, strings.Replace(rt.Path, "{id}", fmt.Sprint(tgt.user.ID), 1), body}
				}
			default:
				continue
			}
			routes = append(routes, struct {
				key  string
				perm access.Perm
				dual bool
				req  func(tgt account) call
			}{key, rt.Perm, dual, req})
		}
		if len(routes) != 7 {
			t.Fatalf("%d user-management routes, want 7 (PATCH, roles, lock, unlock, reset, TOTP reset, approve): add the new one here", len(routes))
		}
		allowed := 0
		for _, ri := range access.Roles {
			at := []int64{city, e.tn}
			if !slices.Contains(ri.ScopeKinds, "district") {
				at = []int64{e.inUnit}
			}
			for _, scope := range at {
				who := e.caller(scope, ri.Code)
				for _, rt := range routes {
					for _, tgt := range targets {
						tp := path[tgt.user.ScopeID]
						in := strings.HasPrefix(tp, path[scope])
						want := who.actor.Has(rt.perm) && in && manages(ri.Code, tgt.role, tp == path[scope], scope == city, rt.dual)
						c := rt.req(tgt)
						status, body := e.do(&who.sess, c.method, c.path, c.body)
						if want {
							allowed++
							delete(pending, tgt.user.ID)
						}
						if want && status >= 300 {
							t.Errorf("%s by %s@%s on %s@%s: %d %s, want success", rt.key, ri.Code, kind[scope], tgt.role, kind[tgt.user.ScopeID], status, body)
						}
						if !want && status != http.StatusForbidden {
							t.Errorf("%s by %s@%s on %s@%s: %d %s, want 403", rt.key, ri.Code, kind[scope], tgt.role, kind[tgt.user.ScopeID], status, body)
						}
					}
				}
			}
		}
		t.Logf("%d requests allowed", allowed)
	})
}

func roleCodes() []access.Role {
	var out []access.Role
	for _, ri := range access.Roles {
		out = append(out, ri.Code)
	}
	return out
}
