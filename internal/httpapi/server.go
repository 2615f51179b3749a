// Package httpapi is the JSON API under /api and the embedded web console.
// Every route is declared once in routes.go with the permission it needs;
// the wrapper here authenticates, checks CSRF and the permission, and maps
// errors to HTTP statuses in one place. Handlers are thin: they parse the
// request and call a domain service, which checks the caller's scope.
package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"path"
	"reflect"
	"strconv"
	"strings"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/annual"
	"govfleet/internal/attachment"
	"govfleet/internal/audit"
	"govfleet/internal/auth"
	"govfleet/internal/booking"
	"govfleet/internal/check"
	"govfleet/internal/company"
	"govfleet/internal/dispatch"
	"govfleet/internal/errs"
	"govfleet/internal/fleet"
	"govfleet/internal/fuel"
	"govfleet/internal/health"
	"govfleet/internal/inspection"
	"govfleet/internal/insurance"
	"govfleet/internal/ledger"
	"govfleet/internal/loans"
	"govfleet/internal/maintenance"
	"govfleet/internal/monitor"
	"govfleet/internal/notices"
	"govfleet/internal/org"
	"govfleet/internal/partner"
	"govfleet/internal/rental"
	"govfleet/internal/savings"
	"govfleet/internal/savingsrate"
	"govfleet/internal/stats"
	"govfleet/internal/supervision"
	"govfleet/internal/trips"
	"govfleet/internal/visitors"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "govfleet_session"

// Server serves the API and the console.
type Server struct {
	Org         *org.Service
	Auth        *auth.Service
	Audit       *audit.Service
	Fleet       *fleet.Service
	Booking     *booking.Service
	Monitor     *monitor.Service     // live map, track playback, terminal commands
	Supervision *supervision.Service // findings, cases, rule parameters (issue 7)
	Web         fs.FS                // the built console (index.html at its root); nil: none
	Secure      bool                 // mark cookies Secure (behind HTTPS)
	// StreamRecheck is how often an open event stream re-checks its session
	// (0: every 30 s); logout and locks reach streams at once (startStream).
	StreamRecheck time.Duration
	Companies     *company.Service    // outside organisations (issue 6)
	Insurance     *insurance.Service  // policies and claims
	Inspection    *inspection.Service // annual inspections
	Ledger        *ledger.Service     // the cost ledger

	// The life cycle (issue 6).
	Maintenance *maintenance.Service // repair jobs
	Rental      *rental.Service      // rental companies' orders and assessments (R-21, R-29(2))
	Fuel        *fuel.Service        // fuel imports and consumption
	Trips       *trips.Service       // trips and daily mileage
	Health      *health.Service      // terminal-health events
	Partner     *partner.Service     // partner cities' platforms (R-18, issue 22)

	// Issue 23 parts 4 and 5 (i23c).
	Notices     *notices.Service     // notices, read receipts, the periodic report (R-29(3))
	SavingsRate *savingsrate.Service // the savings rate (节支率)
	Visitors    *visitors.Service    // visiting officials and their bookings

	// Cross-level loans and their costs (issue 21 parts 4 and 5).
	Loans    *loans.Service    // 车辆借调
	Savings  *savings.Service  // 收费标准与市场价, 跨单位用车费用, 结算单
	Dispatch *dispatch.Service // integrated dispatch: pools, support tasks, teams
	Stats    *stats.Service    // 统计分析 and data extraction (issue 23, R-10)
	Annual   *annual.Service   // the annual report (R-11, issue 23 part 3)

	BodyTimeout time.Duration // how long a request body may take to arrive; 0: BodyTimeout

	mux *http.ServeMux
}

// Handler returns the HTTP handler with every route mounted.
func (s *Server) Handler() http.Handler {
	s.mux = http.NewServeMux()
	for _, rt := range s.Routes() {
		s.mux.Handle(rt.Method+" "+rt.Path, s.wrap(rt))
	}
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	s.mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, r, errs.E(errs.NotFound, "接口不存在：%s %s", r.Method, r.URL.Path))
	})
	s.mux.Handle("/", s.console())
	imgSrc := ""
	if s.Monitor != nil {
		if o := tileOrigin(s.Monitor.TileURL); o != "" {
			imgSrc = " " + o // the map's tiles
		}
	}
	return s.bodyDeadline(securityHeaders(compress(s.mux), imgSrc))
}

// Server timeouts (issue 19). A request's headers must arrive within
// HeaderTimeout and its body within BodyTimeout of the handler starting
// (a client sending a byte every ten seconds is cut off); an idle
// keep-alive connection closes after IdleTimeout. There is no
// http.Server ReadTimeout or WriteTimeout: either would end the event
// streams (/api/live/stream, which read no body and write for hours) and
// long exports.
const (
	HeaderTimeout = 10 * time.Second
	BodyTimeout   = 2 * time.Minute // a 20 MB upload at about 1.5 Mbit/s
	IdleTimeout   = 2 * time.Minute
)

// HTTPServer returns the HTTP server of the API with its timeouts.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{Handler: s.Handler(), ReadHeaderTimeout: HeaderTimeout, IdleTimeout: IdleTimeout}
}

// bodyDeadline sets a read deadline of BodyTimeout (s.BodyTimeout when
// set) on requests with a body and lifts it once the whole body has been
// read, so that a slow handler after it is not cut off. A body that times
// out keeps the deadline: the server's reading of the rest after the
// handler fails too and the connection is closed.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody {
			d := s.BodyTimeout
			if d == 0 {
				d = BodyTimeout
			}
			rc := http.NewResponseController(w)
			if rc.SetReadDeadline(time.Now().Add(d)) == nil {
				r.Body = &deadlineBody{r.Body, rc}
			}
		}
		next.ServeHTTP(w, r)
	})
}

type deadlineBody struct {
	io.ReadCloser
	rc *http.ResponseController
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF {
		b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// Request is what a handler gets: the HTTP request, the response writer
// (for cookies and downloads) and the authenticated principal (nil on
// public routes).
type Request struct {
	*http.Request
	W http.ResponseWriter
	P *auth.Principal
}

// Actor is the caller.
func (r *Request) Actor() *access.Actor {
	if r.P == nil {
		return &access.Actor{IP: clientIP(r.Request)}
	}
	return r.P.Actor
}

// Responses other than a plain JSON 200.
type (
	created   struct{ v any }
	noContent struct{}
	streamed  struct{}                       // the handler wrote the response itself
	encoded   struct{ json, gzipped []byte } // a JSON 200 encoded before (a kept answer), and gzipped
	download  struct {
		name, contentType string
		data              []byte
	}
)

func (s *Server) authenticate(r *http.Request) (*auth.Principal, error) {
	ip := clientIP(r)
	if kid := r.Header.Get("X-Key-Id"); kid != "" { // a company's signed request
		body, err := readBody(r)
		if err != nil {
			return nil, err
		}
		return s.Auth.AuthenticateSigned(r.Context(), kid, r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce"), r.Header.Get("X-Signature"), r.Method, r.URL.RequestURI(), body, ip)
	}
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		return s.Auth.AuthenticateToken(r.Context(), strings.TrimPrefix(h, "Bearer "), ip)
	}
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return nil, errs.E(errs.Unauthenticated, "请先登录")
	}
	return s.Auth.Authenticate(r.Context(), c.Value, ip)
}

func (s *Server) wrap(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, hr *http.Request) {
		req := &Request{Request: hr, W: w}
		if rt.Perm == access.PartnerAPI && (hr.Header.Get("X-Partner-Id") != "" || !hasCredentials(hr)) { // a partner platform's signed request
			s.servePartner(w, hr, rt)
			return
		}
		if rt.Perm != access.Public {
			p, err := s.authenticate(hr)
			if err != nil {
				if errs.Is(err, errs.Unauthenticated) {
					s.clearCookie(w)
				}
				writeError(w, hr, err)
				return
			}
			req.P = p
			unsafe := hr.Method != http.MethodGet && hr.Method != http.MethodHead
			if unsafe && p.SessionID != "" && hr.Header.Get("X-CSRF-Token") != p.CSRFToken {
				writeError(w, hr, errs.E(errs.Forbidden, "页面已过期（安全令牌无效），请刷新页面后重试"))
				return
			}
			if rt.Interactive && p.SessionID == "" {
				writeError(w, hr, errs.E(errs.Forbidden, "API令牌和企业API密钥不能创建令牌、密钥、账号或修改密码，也不能绑定动态验证码，请登录平台后操作"))
				return
			}
			if p.MustChange && rt.Perm != access.Self {
				writeError(w, hr, errs.E(errs.PasswordChangeRequired, "首次登录或密码被重置后须先修改密码"))
				return
			}
			if p.MustEnrol && !rt.Enrol {
				writeError(w, hr, errs.E(errs.TOTPEnrolRequired, "安全策略要求您的账号使用动态验证码，请先完成绑定"))
				return
			}
			if !p.Actor.Has(rt.Perm) {
				writeError(w, hr, errs.E(errs.Forbidden, "您没有权限执行此操作"))
				return
			}
		}
		idem := ""
		if req.P != nil && req.P.KeyID != 0 && hr.Method != http.MethodGet && hr.Method != http.MethodHead {
			idem = hr.Header.Get("Idempotency-Key")
		}
		if idem != "" {
			s.serveIdempotent(req, rt, idem)
			return
		}
		out, err := rt.Handle(req)
		if err != nil {
			writeError(w, hr, err)
			return
		}
		switch v := out.(type) {
		case noContent:
			w.WriteHeader(http.StatusNoContent)
		case streamed:
		case encoded:
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			if g, ok := w.(*gzipWriter); ok {
				g.writeGzipped(v.gzipped)
			} else {
				w.Write(v.json)
			}
		case created:
			writeJSON(w, http.StatusCreated, v.v)
		case download:
			w.Header().Set("Content-Type", v.contentType)
			w.Header().Set("Content-Disposition", "attachment; filename*=UTF-8''"+urlEscape(v.name))
			w.Write(v.data)
		default:
			writeJSON(w, http.StatusOK, v)
		}
	})
}

func urlEscape(s string) string {
	var b strings.Builder
	for _, c := range []byte(s) {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteString("%" + strings.ToUpper(strconv.FormatInt(int64(c)|0x100, 16)[1:]))
		}
	}
	return b.String()
}

func jsonBytes(v any) ([]byte, error) { return json.Marshal(v) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

var statusOf = map[errs.Code]int{
	errs.Invalid:                http.StatusBadRequest,
	errs.NotFound:               http.StatusNotFound,
	errs.Conflict:               http.StatusConflict,
	errs.Forbidden:              http.StatusForbidden,
	errs.Unauthenticated:        http.StatusUnauthorized,
	errs.PasswordChangeRequired: http.StatusForbidden,
	errs.TOTPEnrolRequired:      http.StatusForbidden,
	errs.Locked:                 http.StatusLocked,
	errs.TooManyRequests:        http.StatusTooManyRequests,
	errs.TooLarge:               http.StatusRequestEntityTooLarge,
	errs.UnsupportedMedia:       http.StatusUnsupportedMediaType,
	errs.Internal:               http.StatusInternalServerError,
}

func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		e = errs.Wrap(err, "unexpected").(*errs.Error)
	}
	if e.Code == errs.Internal {
		slog.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	writeJSON(w, statusOf[e.Code], map[string]any{"error": e})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Server) setCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.Secure, SameSite: http.SameSiteLaxMode})
}

// tileOrigin returns the origin of a map tile URL template for the CSP
// ("https://t{s}.tianditu.gov.cn/…" → "https://*.tianditu.gov.cn"), or "".
func tileOrigin(tmpl string) string {
	scheme, rest, ok := strings.Cut(tmpl, "://")
	if !ok || scheme != "https" && scheme != "http" {
		return ""
	}
	host, _, _ := strings.Cut(rest, "/")
	if i := strings.LastIndex(host, "}"); i >= 0 {
		host = "*" + host[strings.Index(host[i:], ".")+i:]
	}
	if host == "" || strings.ContainsAny(host, " ;'{}") {
		return ""
	}
	return scheme + "://" + host
}

func securityHeaders(next http.Handler, imgSrc string) http.Handler {
	csp := "default-src 'self'; img-src 'self' data: blob:" + imgSrc + "; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; font-src 'self' data:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", csp)
		if strings.HasPrefix(r.URL.Path, "/api/") {
			h.Set("Cache-Control", "no-store")
		}
		next.ServeHTTP(w, r)
	})
}

// console serves the built web app; unknown paths get index.html so that
// the app's own router handles them.
func (s *Server) console() http.Handler {
	if s.Web == nil {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "web console not built: run `make web` (npm --prefix web ci && npm --prefix web run build)\n")
		})
	}
	files := http.FileServerFS(s.Web)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := strings.TrimPrefix(path.Clean(r.URL.Path), "/")
		if p != "" {
			if st, err := fs.Stat(s.Web, p); err == nil && !st.IsDir() {
				if strings.HasPrefix(p, "assets/") {
					w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
				}
				files.ServeHTTP(w, r)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeFileFS(w, r, s.Web, "index.html")
	})
}

// ---- handler adapters: most routes only parse and call a service ----

// get serves a read of the object named by the path's {id}.
func get[T any](fn func(context.Context, *access.Actor, int64) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		return fn(r.Context(), r.Actor(), id)
	}
}

// update serves a change of the object named by {id}, described by a JSON body.
func update[In, T any](fn func(context.Context, *access.Actor, int64, In) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in In
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return fn(r.Context(), r.Actor(), id, in)
	}
}

// put serves a setting described by a JSON body (200 with the result).
func put[In, T any](fn func(context.Context, *access.Actor, In) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		var in In
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return fn(r.Context(), r.Actor(), in)
	}
}

// reasoned serves an action on the object named by {id} that takes a
// reason (refuse, object, dispute): the body is {"reason": …}.
func reasoned[T any](fn func(context.Context, *access.Actor, int64, string) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in reasonIn
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		return fn(r.Context(), r.Actor(), id, in.Reason)
	}
}

// mayReason serves an action on the object named by {id} whose reason
// may be left out (an empty body): the service decides whether the action
// needs one (approve, return, cancel, refuse an order).
func mayReason[T any](fn func(context.Context, *access.Actor, int64, string) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		var in reasonIn
		if err := decodeOptional(r, &in); err != nil {
			return nil, err
		}
		return fn(r.Context(), r.Actor(), id, in.Reason)
	}
}

// decided serves a decision on the object named by {id} whose reason may
// be left out: yes or no as the route says (mayReason).
func decided[T any](fn func(context.Context, *access.Actor, int64, bool, string) (T, error), yes bool) func(*Request) (any, error) {
	return mayReason(func(ctx context.Context, a *access.Actor, id int64, reason string) (T, error) {
		return fn(ctx, a, id, yes, reason)
	})
}

// decodeOptional decodes a body that may be absent.
func decodeOptional(r *Request, v any) error {
	if r.ContentLength == 0 {
		return nil
	}
	return decode(r, v)
}

// attach serves the upload of a file (multipart field file, at most
// attachment.Max bytes, every attachment's limit) to the object named by
// {id} (201 Created with the attachment).
func attach[T any](fn func(context.Context, *access.Actor, int64, string, []byte) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		data, vals, err := upload(r, attachment.Max, fmt.Sprintf("附件不能超过%d MB", attachment.Max>>20))
		if err != nil {
			return nil, err
		}
		att, err := fn(r.Context(), r.Actor(), id, vals["filename"], data)
		if err != nil {
			return nil, err
		}
		return created{att}, nil
	}
}

// fileOf serves a file the service makes of the object named by {id} —
// a printed document (派车单, case report, statement, report PDF) or a
// workbook — under the name the service gives it, as content type ct. The
// route's permission is checked before; fn checks the caller's scope and
// writes the audit entry if the file has one.
func fileOf(fn func(ctx context.Context, a *access.Actor, id int64) ([]byte, string, error), ct string) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		data, name, err := fn(r.Context(), r.Actor(), id)
		if err != nil {
			return nil, err
		}
		return download{name: name, contentType: ct, data: data}, nil
	}
}

// attachedFile serves the download of the attachment {att_id} of the
// object named by {id}; file gives its name and content type.
func attachedFile[T any](fn func(context.Context, *access.Actor, int64, int64) (T, []byte, error), file func(T) (string, string)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		id, err := pathID(r)
		if err != nil {
			return nil, err
		}
		aid, err := strconv.ParseInt(r.PathValue("att_id"), 10, 64)
		if err != nil {
			return nil, errs.E(errs.NotFound, "附件编号无效")
		}
		att, data, err := fn(r.Context(), r.Actor(), id, aid)
		if err != nil {
			return nil, err
		}
		name, ct := file(att)
		return download{name: name, contentType: ct, data: data}, nil
	}
}

// create serves the creation of an object from a JSON body (201 Created).
func create[In, T any](fn func(context.Context, *access.Actor, In) (T, error)) func(*Request) (any, error) {
	return func(r *Request) (any, error) {
		var in In
		if err := decode(r, &in); err != nil {
			return nil, err
		}
		v, err := fn(r.Context(), r.Actor(), in)
		if err != nil {
			return nil, err
		}
		return created{v}, nil
	}
}

// ---- request parsing helpers ----

// MaxJSONBody is the largest JSON request body accepted.
const MaxJSONBody = 1 << 20

var errTooLarge = errs.E(errs.TooLarge, "请求内容过大（不能超过1 MB）")

// decode reads a JSON body into v: it must be sent as application/json (a
// form or text/plain body could come from another site's page: login CSRF),
// hold one JSON value and nothing after it, fit in MaxJSONBody, and every
// string in it must fit its field's limit (check.Lengths).
func decode(r *Request, v any) error { return decodeJSON(r, v, MaxJSONBody) }

// decodeJSON is decode with another size limit (a file sent in base64).
func decodeJSON(r *Request, v any, limit int64) error {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return errs.E(errs.UnsupportedMedia, "请求须为JSON（Content-Type: application/json）")
	}
	dec := json.NewDecoder(http.MaxBytesReader(r.W, r.Body, limit))
	err := dec.Decode(v)
	if err == nil {
		var tooBig *http.MaxBytesError
		if _, terr := dec.Token(); errors.As(terr, &tooBig) {
			err = terr
		} else if terr != io.EOF {
			err = errTrailing
		}
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
	case errors.As(err, &tooBig):
		return errTooLarge
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "请求内容为空")
	case errors.Is(err, errTrailing):
		return errs.E(errs.Invalid, "请求格式错误：JSON之后还有多余的内容")
	default:
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return (&errs.Fields{te.Field: "格式不正确"}).Err()
		}
		return errs.E(errs.Invalid, "请求格式错误，应为JSON")
	}
	// Control characters first (they could hide in a text that looks short), then lengths.
	if err := checkText(reflect.ValueOf(v), ""); err != nil {
		return err
	}
	if f := check.Lengths(v); f != nil {
		return errs.Fields(f).Err()
	}
	return nil
}

var errTrailing = errors.New("data after the JSON value")

func pathID(r *Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "编号无效：%s", r.PathValue("id"))
	}
	return id, nil
}

func queryInt(r *Request, name string, def int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, (&errs.Fields{name: "须为整数"}).Err()
	}
	return n, nil
}

func queryID(r *Request, name string) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, (&errs.Fields{name: "编号无效"}).Err()
	}
	return n, nil
}

func queryTime(r *Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, (&errs.Fields{name: "时间格式应为 RFC 3339，例如 2026-01-02T08:00:00+08:00"}).Err()
	}
	return t, nil
}

// queryPeriod reads the from and to of a period (each may be left out).
func queryPeriod(r *Request) (from, to time.Time, err error) {
	if from, err = queryTime(r, "from"); err != nil {
		return
	}
	to, err = queryTime(r, "to")
	return
}

// MaxPage is the highest page number a list accepts: 20 million rows at
// 200 a page, far beyond any list here; a larger number is a mistake or a
// probe (issue 19: page ≥ 2^31 came back as page 1).
const MaxPage = 100_000

// page reads page and page_size: 1-based, 20 by default, 200 at most.
func page(r *Request) (int, int, error) {
	p, err := queryInt(r, "page", 1)
	if err != nil {
		return 0, 0, err
	}
	size, err := queryInt(r, "page_size", 20)
	if err != nil {
		return 0, 0, err
	}
	if p < 1 {
		return 0, 0, (&errs.Fields{"page": "页码须从1开始"}).Err()
	}
	if p > MaxPage {
		return 0, 0, (&errs.Fields{"page": fmt.Sprintf("页码不能超过%d", MaxPage)}).Err()
	}
	if size < 1 || size > 200 {
		return 0, 0, (&errs.Fields{"page_size": "每页条数须在1至200之间"}).Err()
	}
	return p, size, nil
}

// List is the shape of every paged list.
type List[T any] struct {
	Items    []T `json:"items"`
	Total    int `json:"total"`
	Page     int `json:"page"`
	PageSize int `json:"page_size"`
}

func list[T any](items []T, total, p, size int) List[T] {
	if items == nil {
		items = []T{}
	}
	return List[T]{Items: items, Total: total, Page: p, PageSize: size}
}
