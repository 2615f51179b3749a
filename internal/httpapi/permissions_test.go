package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/auth"
	"govfleet/internal/check"
	"govfleet/internal/httpapi"
	"govfleet/internal/org"
)

const testPassword = "Test#2026pw"

// env is one database with the demo, an API server over it, and two places
// in the hierarchy: "in" lies inside the test actors' scope (天宁区), "out"
// outside it (钟楼区).
type env struct {
	t       *testing.T
	w       *apptest.World
	srv     *httptest.Server
	api     *httpapi.Server
	inUnit  int64 // 天宁区城市管理局
	outUnit int64 // 钟楼区财政局
	tn      int64 // 天宁区
	seq     atomic.Int64
	pairs   map[int64]fleetPair // unit → booking vehicle and driver
	drivers map[int64]int64     // user → driver record
	cityA   *access.Actor
	lifeA   *lifeActors // maintenance and rental fixtures
}

// city is the city's platform administrator.
func (e *env) city() *access.Actor {
	if e.cityA == nil {
		e.cityA = e.w.Actor(e.t, "city_admin")
	}
	return e.cityA
}

// newEnv serves the API of w as govfleet does, with terminals that
// answer every command in place of the gateway.
func newEnv(t *testing.T, w *apptest.World) *env {
	w.Monitor.Gateway = fakeTerminals{}
	srv := httptest.NewServer(w.Handler())
	t.Cleanup(srv.Close)
	return &env{t: t, w: w, srv: srv, api: w.Server, inUnit: w.UnitID(t, "天宁区城市管理局"), outUnit: w.UnitID(t, "钟楼区财政局"), tn: w.UnitID(t, "天宁区")}
}

func (e *env) next() int64 { return e.seq.Add(1) }

// newUser creates an account with roles at scope (no forced change).
func (e *env) newUser(scope int64, roles ...access.Role) *auth.User {
	e.t.Helper()
	u, err := e.w.Auth.Bootstrap(context.Background(), fmt.Sprintf("u%d", e.next()), "测试用户", "", testPassword, scope, false, roles...)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// session logs a user in and returns its cookie value and CSRF token.
type session struct{ token, csrf string }

func (e *env) login(username, password string) session {
	e.t.Helper()
	l, err := e.w.Auth.Login(context.Background(), username, password, "127.0.0.1", "test")
	if err != nil {
		e.t.Fatalf("login %s: %v", username, err)
	}
	return session{l.Token, l.CSRFToken}
}

// newUnit creates a unit under parent as the city administrator.
func (e *env) newUnit(parent int64) int64 {
	e.t.Helper()
	u, err := e.w.Org.Create(context.Background(), e.city(), org.KindUnit, e.unitInput(parent))
	if err != nil {
		e.t.Fatal(err)
	}
	return u.ID
}

func (e *env) unitInput(parent int64) org.Input {
	n := e.next()
	name := fmt.Sprintf("测试单位%d", n)
	first := fmt.Sprintf("11320402%09d", n)
	c, _ := check.CreditCodeCheckChar(first)
	code := first + string(c)
	typ := "government"
	return org.Input{ParentID: &parent, Name: &name, CreditCode: &code, UnitType: &typ}
}

// do sends a request with the session (if any) and returns status and body.
func (e *env) do(s *session, method, path string, body any) (int, []byte) {
	e.t.Helper()
	var rd *bytes.Reader
	sb, signed := body.(signedBody) // a ride-hailing provider's callback (visitor_fixtures_test.go)
	if signed {
		rd = bytes.NewReader(sb.body)
	} else if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, method, e.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/json")
	if signed {
		for k, v := range sb.headers() {
			req.Header[k] = v
		}
	}
	if s != nil {
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: s.token})
		req.Header.Set("X-CSRF-Token", s.csrf)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.Header.Get("Content-Type") == "text/event-stream" {
		return resp.StatusCode, nil // a stream: the headers say it was allowed
	}
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	return resp.StatusCode, buf.Bytes()
}

// call is one request of the matrix.
type call struct {
	method, path string
	body         any
}

// caller is the account making a matrix request.
type caller struct {
	user  *auth.User
	actor *access.Actor
	sess  session
}

// caller makes a fresh account with role at scope and logs it in.
func (e *env) caller(scope int64, role access.Role) caller {
	e.t.Helper()
	u := e.newUser(scope, role)
	if access.IsCompanyRole(role) {
		e.makeCompanyUser(u, role)
	}
	s := e.login(u.Username, testPassword)
	p, err := e.w.Auth.Authenticate(context.Background(), s.token, "127.0.0.1")
	if err != nil {
		e.t.Fatal(err)
	}
	return caller{user: u, actor: p.Actor, sess: s}
}

// fixtures build, for every route, the request that targets something
// inside (in=true) or outside the caller's scope. Routes without a target
// ignore in. A route missing here fails the test.
func (e *env) fixtures() map[string]func(c caller, in bool) call {
	place := func(in bool) int64 {
		if in {
			return e.inUnit
		}
		return e.outUnit
	}
	target := func(in bool) int64 { return e.newUser(place(in), access.Applicant).ID }
	fx := map[string]func(c caller, in bool) call{
		"GET /api/openapi.json": func(c caller, in bool) call { return call{"GET", "/api/openapi.json", nil} },
		"POST /api/auth/login": func(c caller, in bool) call {
			return call{"POST", "/api/auth/login", map[string]string{"username": c.user.Username, "password": testPassword}}
		},
		"POST /api/auth/logout": func(c caller, in bool) call { return call{"POST", "/api/auth/logout", nil} },
		"GET /api/me":           func(c caller, in bool) call { return call{"GET", "/api/me", nil} },
		"POST /api/me/password": func(c caller, in bool) call {
			return call{"POST", "/api/me/password", map[string]string{"old_password": testPassword, "new_password": "New#2026pw"}}
		},
		"GET /api/me/tokens": func(c caller, in bool) call { return call{"GET", "/api/me/tokens", nil} },
		"POST /api/me/tokens": func(c caller, in bool) call {
			return call{"POST", "/api/me/tokens", map[string]string{"name": "脚本"}}
		},
		"DELETE /api/me/tokens/{id}": func(c caller, in bool) call {
			tok, err := e.w.Auth.CreateToken(context.Background(), c.actor, auth.TokenInput{Name: "待吊销"})
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"DELETE", fmt.Sprintf("/api/me/tokens/%d", tok.ID), nil}
		},
		"GET /api/credentials": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/credentials?scope_id=%d", place(in)), nil}
		},
		"GET /api/credentials/export": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/credentials/export?scope_id=%d", place(in)), nil}
		},
		"DELETE /api/credentials/tokens/{id}": func(c caller, in bool) call {
			owner := e.newUser(place(in), access.Applicant)
			tok, err := e.w.Auth.CreateToken(context.Background(), &access.Actor{UserID: owner.ID, Username: owner.Username}, auth.TokenInput{Name: "他人令牌"})
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"DELETE", fmt.Sprintf("/api/credentials/tokens/%d", tok.ID), nil}
		},
		// A key whose creating account lies at the place: the matrix tests
		// the scope; who may manage a company's accounts is
		// auth.TestAdministratorsRevokeCredentials'.
		"DELETE /api/credentials/keys/{id}": func(c caller, in bool) call {
			owner := e.newUser(place(in), access.Applicant)
			k, err := e.w.Auth.CreateKey(context.Background(), &access.Actor{UserID: owner.ID, Username: owner.Username, CompanyID: e.anyInsurer()}, "他人密钥")
			if err != nil {
				e.t.Fatal(err)
			}
			return call{"DELETE", fmt.Sprintf("/api/credentials/keys/%d", k.ID), nil}
		},
		"GET /api/meta":       func(c caller, in bool) call { return call{"GET", "/api/meta", nil} },
		"GET /api/units/tree": func(c caller, in bool) call { return call{"GET", "/api/units/tree", nil} },
		"GET /api/units": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/units?parent_id=%d", place(in)), nil}
		},
		"POST /api/units": func(c caller, in bool) call { return call{"POST", "/api/units", e.unitInput(place(in))} },
		"GET /api/units/{id}": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/units/%d", place(in)), nil}
		},
		"PATCH /api/units/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/units/%d", e.newUnit(place(in))), map[string]string{"contact_name": "新联系人"}}
		},
		"POST /api/units/{id}/move": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/units/%d/move", e.newUnit(place(in))), map[string]int64{"parent_id": e.newUnit(e.inUnit)}}
		},
		"POST /api/units/{id}/deactivate": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/units/%d/deactivate", e.newUnit(place(in))), nil}
		},
		"POST /api/units/{id}/activate": func(c caller, in bool) call {
			id := e.newUnit(place(in))
			if _, err := e.w.Org.SetActive(context.Background(), e.city(), id, false); err != nil {
				e.t.Fatal(err)
			}
			return call{"POST", fmt.Sprintf("/api/units/%d/activate", id), nil}
		},
		"GET /api/users": func(c caller, in bool) call {
			return call{"GET", fmt.Sprintf("/api/users?scope_id=%d", place(in)), nil}
		},
		"POST /api/users": func(c caller, in bool) call {
			roles := []access.Role{}
			if c.actor.Has(access.RolesAssign) {
				roles = []access.Role{access.Applicant}
			}
			return call{"POST", "/api/users", map[string]any{"username": fmt.Sprintf("new%d", e.next()), "real_name": "新用户", "scope_id": place(in), "roles": roles}}
		},
		"GET /api/users/{id}": func(c caller, in bool) call { return call{"GET", fmt.Sprintf("/api/users/%d", target(in)), nil} },
		"PATCH /api/users/{id}": func(c caller, in bool) call {
			return call{"PATCH", fmt.Sprintf("/api/users/%d", target(in)), map[string]string{"real_name": "改名"}}
		},
		"PUT /api/users/{id}/roles": func(c caller, in bool) call {
			return call{"PUT", fmt.Sprintf("/api/users/%d/roles", target(in)), map[string]any{"roles": []access.Role{access.Applicant, access.Driver}}}
		},
		"POST /api/users/{id}/lock": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/users/%d/lock", target(in)), nil}
		},
		"POST /api/users/{id}/unlock": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/users/%d/unlock", target(in)), nil}
		},
		"POST /api/users/{id}/reset-password": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/users/%d/reset-password", target(in)), nil}
		},
		"GET /api/password-resets": func(c caller, in bool) call { return call{"GET", "/api/password-resets", nil} },
		"POST /api/password-resets/{id}/approve": func(c caller, in bool) call {
			return call{"POST", fmt.Sprintf("/api/password-resets/%d/approve", e.resetRequest(target(in))), nil}
		},
		"POST /api/auth/reset-password": func(c caller, in bool) call {
			u := e.newUser(e.inUnit, access.Applicant)
			return call{"POST", "/api/auth/reset-password", map[string]string{"username": u.Username, "code": e.resetCode(u.ID), "new_password": "Reset#2026pw"}}
		},
		"GET /api/role-filings":      func(c caller, in bool) call { return call{"GET", "/api/role-filings", nil} },
		"GET /api/audit":             func(c caller, in bool) call { return call{"GET", "/api/audit?page_size=5", nil} },
		"GET /api/audit/export":      func(c caller, in bool) call { return call{"GET", "/api/audit/export?action=unit.create", nil} },
		"GET /api/audit/verify":      func(c caller, in bool) call { return call{"GET", "/api/audit/verify", nil} },
		"GET /api/audit/checkpoints": func(c caller, in bool) call { return call{"GET", "/api/audit/checkpoints", nil} },
		"GET /api/policy":            func(c caller, in bool) call { return call{"GET", "/api/policy", nil} },
		"PUT /api/policy": func(c caller, in bool) call {
			return call{"PUT", "/api/policy", auth.DefaultPolicy}
		},
	}
	for _, more := range []map[string]func(c caller, in bool) call{e.fleetFixtures(place), e.bookingFixtures(place), e.monitorFixtures(place),
		e.supervisionFixtures(place), e.companyFixtures(place), e.lifecycleFixtures(place), e.maintenanceFixtures(place), e.fuelFixtures(place), e.tripsFixtures(place), e.totpFixtures(place),
		e.partnerFixtures(place),
		e.noticeFixtures(place),
		e.visitorFixtures(place),
		e.loansFixtures(place),
		e.dispatchFixtures(place),
		e.statsFixtures(place),
		e.annualFixtures(place),
	} {
		for k, f := range more {
			fx[k] = f
		}
	}
	// A list's export is asked like the list, with the same filter.
	var exports []string
	for k, list := range maps.Clone(fx) {
		if !strings.HasPrefix(k, "GET ") || fx[k+"/export"] != nil {
			continue
		}
		fx[k+"/export"] = func(c caller, in bool) call {
			l := list(c, in)
			path, query, _ := strings.Cut(l.path, "?")
			return call{l.method, path + "/export?" + query, nil}
		}
		exports = append(exports, k)
	}
	// Once for the package's parallel tests, before any reads untargeted.
	exportsUntargeted.Do(func() {
		for _, k := range exports {
			untargeted[k+"/export"] = untargeted[k]
		}
	})
	return fx
}

// exportsUntargeted marks, once, the exports of untargeted lists untargeted.
var exportsUntargeted sync.Once

// untargeted routes act on the caller or the whole platform, not on a
// node of the hierarchy: for them inside and outside are the same.
var untargeted = map[string]bool{
	"GET /api/openapi.json": true, "POST /api/auth/login": true, "POST /api/auth/logout": true, "GET /api/me": true,
	"POST /api/me/password": true, "GET /api/me/tokens": true, "POST /api/me/tokens": true, "DELETE /api/me/tokens/{id}": true,
	"GET /api/meta": true, "GET /api/units/tree": true, "GET /api/role-filings": true, "GET /api/password-resets": true, "POST /api/auth/reset-password": true, "GET /api/audit": true,
	"GET /api/audit/export": true, "GET /api/audit/verify": true, "GET /api/audit/checkpoints": true, "GET /api/policy": true, "PUT /api/policy": true,
	"GET /api/stats/definitions": true, "GET /api/extract/datasets": true, "GET /api/extract/queries": true, "POST /api/extract/queries": true,
}

// spendsCaller are routes after which the caller's session or password is
// no longer what the matrix expects: they get a fresh caller each time.
var spendsCaller = map[string]bool{"POST /api/auth/logout": true, "POST /api/me/password": true}

// cityOnly are routes whose operation is reserved to the city level: the
// matrix's district-scoped callers are refused even with the permission.
var cityOnly = map[string]bool{"PUT /api/policy": true}

// dualOnly are the roles whose permission reaches only their peers under
// dual control (access.DualControl): the audit administrator's users.manage
// serves to approve a reset among the city's three administrators, so on the
// matrix's ordinary targets it is refused (manage_matrix_test.go covers it).
var dualOnly = map[access.Perm]access.Role{access.UsersManage: access.AuditAdmin}

// TestRoutePermissions walks the whole route table: every route × every
// role × a target inside or outside the caller's scope must be allowed
// (2xx) exactly when the role carries the route's permission and the
// target is inside the scope, and refused with 403 otherwise; without a
// session every non-public route answers 401.
//
// The routes are walked in permissionShards parts side by side, each part
// on both databases, each on a database copy and with callers of its own.
func TestRoutePermissions(t *testing.T) {
	t.Parallel() // the package's longest tests: beside each other and on both databases at once
	for shard := range permissionShards {
		t.Run(fmt.Sprintf("part%d", shard+1), func(t *testing.T) {
			t.Parallel()
			routePermissions(t, shard)
		})
	}
}

// permissionShards is how many parts TestRoutePermissions walks at once.
const permissionShards = 4

// routePermissions walks the routes of the route table whose index is
// shard modulo permissionShards.
func routePermissions(t *testing.T, shard int) {
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		fx := e.fixtures()
		known := append([]access.Perm{access.Public, access.Self}, access.Perms...)
		// One caller per role, placed in 天宁区 (level roles) or in its
		// 城市管理局 (unit roles).
		callers := map[access.Role]caller{}
		for _, ri := range access.Roles {
			scope := e.tn
			if !slices.Contains(ri.ScopeKinds, "district") {
				scope = e.inUnit
			}
			callers[ri.Code] = e.caller(scope, ri.Code)
			// A second approver beside the approver, as the routes walked
			// before leave there in an unsplit walk: an approver's own
			// order needs another approver (booking), whichever part walks
			// POST /api/orders.
			if ri.Code == access.Approver {
				e.newUser(scope, access.Approver)
			}
		}
		readers, err := fixturesReadingCaller()
		if err != nil {
			t.Fatal(err)
		}
		for i, rt := range e.api.Routes() {
			if i%permissionShards != shard {
				continue
			}
			key := rt.Method + " " + rt.Path
			if !slices.Contains(known, rt.Perm) {
				t.Errorf("%s declares no known permission (%q)", key, rt.Perm)
				continue
			}
			build, ok := fx[key]
			if !ok {
				t.Errorf("%s has no fixture in the permission test", key)
				continue
			}
			// A request that leaves its target as it found it — one
			// refused, or a read — leaves it for the route's next such
			// request (inside, outside) too, when the fixture builds the
			// same request whoever the caller: fewer fixtures to build.
			reads, listed := readers[key]
			if list, ok := strings.CutSuffix(key, "/export"); !listed && ok && fx[list] != nil {
				reads, listed = readers[list] // an export built from its list's fixture
			}
			shared := listed && !reads
			kept := map[bool]call{}
			request := func(who caller, in, leaves bool) call {
				if c, ok := kept[in]; ok && leaves {
					return c
				}
				c := build(who, in)
				if leaves && shared {
					kept[in] = c
				}
				return c
			}
			// Unauthenticated.
			anon := callers[access.Applicant]
			if !shared {
				anon = e.caller(e.inUnit, access.Applicant)
			}
			c := request(anon, true, rt.Perm != access.Public)
			if status, body := e.do(nil, c.method, c.path, c.body); rt.Perm == access.Public {
				if status >= 300 {
					t.Errorf("%s without session: %d %s", key, status, body)
				}
			} else if status != http.StatusUnauthorized {
				t.Errorf("%s without session: %d, want 401", key, status)
			}
			for _, ri := range access.Roles {
				for _, in := range []bool{true, false} {
					who := callers[ri.Code]
					if spendsCaller[key] {
						who = e.caller(who.user.ScopeID, ri.Code)
					}
					want := who.actor.Has(rt.Perm) && (in || untargeted[key]) && !cityOnly[key] &&
						!(dualOnly[rt.Perm] == ri.Code && !untargeted[key])
					c := request(who, in, !want || rt.Method == "GET")
					status, body := e.do(&who.sess, c.method, c.path, c.body)
					if want && status >= 300 {
						t.Errorf("%s as %s (in=%v): %d %s, want success", key, ri.Code, in, status, body)
					}
					if !want && status != http.StatusForbidden {
						t.Errorf("%s as %s (in=%v): %d %s, want 403", key, ri.Code, in, status, body)
					}
				}
			}
		}
	})
}

// fixturesReadingCaller says, for each fixture of the package's test files
// written as `"METHOD /path": func(c caller, in bool) call {…}` in a map
// literal, whether its function reads its caller. A fixture written
// otherwise is not in the map: the matrix takes it for one that reads it.
var fixturesReadingCaller = sync.OnceValues(func() (map[string]bool, error) {
	files, err := filepath.Glob("*_test.go")
	if err != nil {
		return nil, err
	}
	reads := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			return nil, err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			kv, ok := n.(*ast.KeyValueExpr)
			if !ok {
				return true
			}
			key, isKey := kv.Key.(*ast.BasicLit)
			fn, isFunc := kv.Value.(*ast.FuncLit)
			if !isKey || !isFunc || key.Kind != token.STRING || fn.Type.Params.NumFields() != 2 {
				return true
			}
			route, err := strconv.Unquote(key.Value)
			param := fn.Type.Params.List[0]
			if typ, ok := param.Type.(*ast.Ident); err != nil || !ok || typ.Name != "caller" || len(param.Names) == 0 {
				return true
			}
			c := param.Names[0].Name
			read := false
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id.Name == c {
					read = true
				}
				return !read
			})
			reads[route] = read
			return true
		})
	}
	return reads, nil
})
