package ridehail

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Simulator is a ride-hailing provider simulator (模拟), not a provider: it
// answers the API HTTP speaks, assigns a made-up driver and car to every
// application and moves its order forward — every Step by itself, or one
// step per POST /sim/applications/{id}/advance (the tests) — sending the
// signed callbacks a provider would. Two more controls serve the tests:
// POST /sim/orders/{id}/fee?fen=N changes an order's fee on the provider's
// side without a callback (a reconciliation difference), and
// POST /sim/orders (JSON Order) adds an order the platform never heard of.
// A cancel before the trip starts is answered at once and its callback
// follows a moment later, as providers notify it; once a driver accepted,
// the cancel costs SimCancelFeeFen (at most the application's cap).
type Simulator struct {
	ClientID, ClientSecret string
	Secret                 []byte        // signs the callbacks
	Step                   time.Duration // 0: orders move only when told
	Client                 *http.Client
	Now                    func() time.Time // for tests; time.Now when nil

	mu      sync.Mutex
	pending sync.WaitGroup // cancel callbacks being sent
	tokens  map[string]time.Time
	apps    map[string]*simApp
	order   []string // application ids in creation order
	seq     int
}

func (s *Simulator) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

type simApp struct {
	Application
	ID    string
	Order Order
	Phone string
	Car   string
}

var simDrivers = []struct{ name, phone, plate, car string }{
	{"周师傅", "13961100001", "苏D·T3A01", "东风启辰 D60EV 白色"},
	{"钱师傅", "13961100002", "苏D·T3B27", "东风风神 E70 银色"},
	{"孙师傅", "13961100003", "苏D·T3C58", "吉利几何A 蓝色"},
}

// SimCancelFeeFen is the simulator's cancellation fee once a driver has
// accepted the order (5.00 元, the order of what providers charge).
const SimCancelFeeFen = 500

func (s *Simulator) init() {
	if s.apps == nil {
		s.apps, s.tokens = map[string]*simApp{}, map[string]time.Time{}
	}
}

// Run moves the orders forward every Step until ctx ends (no-op when Step
// is 0).
func (s *Simulator) Run(ctx context.Context) {
	if s.Step <= 0 {
		return
	}
	t := time.NewTicker(s.Step)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			s.mu.Lock()
			var ids []string
			for _, id := range s.order {
				if a := s.apps[id]; a.Order.Status != Paid && a.Order.Status != Cancelled {
					ids = append(ids, id)
				}
			}
			s.mu.Unlock()
			for _, id := range ids {
				if _, err := s.Advance(ctx, id, -1); err != nil {
					slog.Warn("ridehail-sim: callback", "application", id, "err", err)
				}
			}
		}
	}
}

func simError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]string{"code": code, "message": msg})
}

func simJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	json.NewEncoder(w).Encode(v)
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// ServeHTTP implements the provider's API and the simulator's controls.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.init()
	s.mu.Unlock()
	switch {
	case r.Method == "POST" && r.URL.Path == "/oauth/token":
		s.token(w, r)
	case r.Method == "POST" && r.URL.Path == "/v1/enterprise/applications":
		if s.authorised(w, r) {
			s.create(w, r)
		}
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/v1/enterprise/applications/") && strings.HasSuffix(r.URL.Path, "/cancel"):
		if s.authorised(w, r) {
			s.cancel(w, r, strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/v1/enterprise/applications/"), "/cancel"))
		}
	case r.Method == "GET" && r.URL.Path == "/v1/enterprise/orders":
		if s.authorised(w, r) {
			s.orders(w, r)
		}
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/sim/applications/") && strings.HasSuffix(r.URL.Path, "/advance"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/sim/applications/"), "/advance")
		fee := int64(-1)
		if f := r.URL.Query().Get("fee"); f != "" {
			fee, _ = strconv.ParseInt(f, 10, 64)
		}
		st, err := s.Advance(r.Context(), id, fee)
		if err != nil {
			simError(w, http.StatusBadGateway, "callback_failed", err.Error())
			return
		}
		simJSON(w, map[string]any{"status": st})
	case r.Method == "POST" && strings.HasPrefix(r.URL.Path, "/sim/orders/") && strings.HasSuffix(r.URL.Path, "/fee"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/sim/orders/"), "/fee")
		fen, _ := strconv.ParseInt(r.URL.Query().Get("fen"), 10, 64)
		s.mu.Lock()
		found := false
		for _, a := range s.apps {
			if a.Order.OrderID == id {
				a.Order.FeeFen, found = fen, true
			}
		}
		s.mu.Unlock()
		if !found {
			simError(w, http.StatusNotFound, "not_found", "订单不存在")
			return
		}
		simJSON(w, map[string]any{"ok": true})
	case r.Method == "POST" && r.URL.Path == "/sim/orders":
		var o Order
		if err := json.NewDecoder(r.Body).Decode(&o); err != nil {
			simError(w, http.StatusBadRequest, "invalid", err.Error())
			return
		}
		s.mu.Lock()
		s.seq++
		id := fmt.Sprintf("APP-X%06d", s.seq)
		o.ApplicationID = id
		s.apps[id] = &simApp{ID: id, Order: o}
		s.order = append(s.order, id)
		s.mu.Unlock()
		simJSON(w, o)
	default:
		simError(w, http.StatusNotFound, "not_found", "no such endpoint")
	}
}

func (s *Simulator) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "client_credentials" {
		simError(w, http.StatusBadRequest, "unsupported_grant_type", "grant_type must be client_credentials")
		return
	}
	if r.PostForm.Get("client_id") != s.ClientID || r.PostForm.Get("client_secret") != s.ClientSecret {
		simError(w, http.StatusUnauthorized, "invalid_client", "client authentication failed")
		return
	}
	tok := randomHex(16)
	s.mu.Lock()
	s.tokens[tok] = s.now().Add(2 * time.Hour)
	s.mu.Unlock()
	simJSON(w, map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 7200})
}

func (s *Simulator) authorised(w http.ResponseWriter, r *http.Request) bool {
	tok := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	s.mu.Lock()
	exp, ok := s.tokens[tok]
	s.mu.Unlock()
	if !ok || s.now().After(exp) {
		simError(w, http.StatusUnauthorized, "invalid_token", "access token missing or expired")
		return false
	}
	return true
}

func (s *Simulator) create(w http.ResponseWriter, r *http.Request) {
	var app Application
	if err := json.NewDecoder(r.Body).Decode(&app); err != nil {
		simError(w, http.StatusBadRequest, "invalid", "application is not JSON")
		return
	}
	switch {
	case app.Ref == "" || app.PassengerName == "" || app.PassengerMobile == "":
		simError(w, http.StatusBadRequest, "invalid", "out_application_no, passenger_name and passenger_mobile are required")
		return
	case !app.EndAt.After(app.StartAt):
		simError(w, http.StatusBadRequest, "invalid", "end_time must be after start_time")
		return
	case app.AmountCapFen <= 0:
		simError(w, http.StatusBadRequest, "invalid", "amount_cap_fen must be positive")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.apps {
		if a.Ref == app.Ref { // the same application sent again: the same answer
			simJSON(w, map[string]string{"application_id": a.ID})
			return
		}
	}
	s.seq++
	id := fmt.Sprintf("APP-%06d", s.seq)
	d := simDrivers[s.seq%len(simDrivers)]
	now := s.now()
	s.apps[id] = &simApp{Application: app, ID: id, Phone: d.phone, Car: d.car, Order: Order{
		OrderID: fmt.Sprintf("T3-%06d", s.seq), ApplicationID: id, OutApplicationNo: app.Ref, Status: Created,
		DriverName: d.name, CarPlate: d.plate, CreatedAt: now}}
	s.order = append(s.order, id)
	simJSON(w, map[string]string{"application_id": id})
}

// cancel cancels an application's order before its trip started: free
// while no driver accepted it, SimCancelFeeFen after. The cancelled
// callback goes out after the answer (Wait waits for it).
func (s *Simulator) cancel(w http.ResponseWriter, r *http.Request, id string) {
	var in struct {
		Reason string `json:"reason"`
	}
	_ = json.NewDecoder(r.Body).Decode(&in)
	s.mu.Lock()
	a := s.apps[id]
	if a == nil {
		s.mu.Unlock()
		simError(w, http.StatusNotFound, "not_found", "用车申请不存在")
		return
	}
	switch a.Order.Status {
	case Cancelled: // cancelled before: the same answer, no new callback
		out := Cancellation{ApplicationID: id, Status: Cancelled, FeeFen: a.Order.FeeFen}
		s.mu.Unlock()
		simJSON(w, out)
		return
	case Started, Finished, Paid:
		st := a.Order.Status
		s.mu.Unlock()
		simError(w, http.StatusConflict, "cannot_cancel", "订单"+StateNames[st]+"，不能取消")
		return
	}
	var fee int64
	if a.Order.Status == Accepted || a.Order.Status == Arrived {
		fee = min(SimCancelFeeFen, a.AmountCapFen)
	}
	a.Order.Status, a.Order.FeeFen = Cancelled, fee
	cb := Callback{EventID: randomHex(12), ApplicationID: a.ID, OutApplicationNo: a.Ref, OrderID: a.Order.OrderID, Status: Cancelled, At: s.now()}
	if fee > 0 {
		cb.FeeFen = &fee
	}
	url := a.CallbackURL
	s.pending.Add(1)
	s.mu.Unlock()
	simJSON(w, Cancellation{ApplicationID: id, Status: Cancelled, FeeFen: fee})
	go func() {
		defer s.pending.Done()
		time.Sleep(100 * time.Millisecond)
		if err := s.send(context.Background(), url, cb); err != nil {
			slog.Warn("ridehail-sim: cancel callback", "application", id, "err", err)
		}
	}()
}

// Wait waits until the cancel callbacks under way were sent.
func (s *Simulator) Wait() { s.pending.Wait() }

func (s *Simulator) orders(w http.ResponseWriter, r *http.Request) {
	from, _ := time.Parse(time.RFC3339, r.URL.Query().Get("start"))
	to, _ := time.Parse(time.RFC3339, r.URL.Query().Get("end"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
	if page < 1 {
		page = 1
	}
	if size < 1 || size > 100 {
		size = 100
	}
	s.mu.Lock()
	var all []Order
	for _, id := range s.order {
		o := s.apps[id].Order
		if !o.CreatedAt.Before(from) && o.CreatedAt.Before(to) {
			all = append(all, o)
		}
	}
	s.mu.Unlock()
	slices.SortStableFunc(all, func(a, b Order) int { return a.CreatedAt.Compare(b.CreatedAt) })
	lo, hi := min((page-1)*size, len(all)), min(page*size, len(all))
	simJSON(w, map[string]any{"orders": all[lo:hi], "total": len(all)})
}

// next is the state after st.
var next = map[string]string{Created: Accepted, Accepted: Arrived, Arrived: Started, Started: Finished, Finished: Paid}

// Advance moves an application's order one state forward and sends its
// callback; fee ≥ 0 sets the fee of the paid step (else one is made up
// from the window). It returns the new state.
func (s *Simulator) Advance(ctx context.Context, id string, fee int64) (string, error) {
	s.mu.Lock()
	s.init()
	a := s.apps[id]
	if a == nil {
		s.mu.Unlock()
		return "", fmt.Errorf("no application %s", id)
	}
	to, ok := next[a.Order.Status]
	if !ok {
		s.mu.Unlock()
		return a.Order.Status, nil
	}
	now := s.now()
	a.Order.Status = to
	cb := Callback{EventID: randomHex(12), ApplicationID: a.ID, OutApplicationNo: a.Ref, OrderID: a.Order.OrderID, Status: to, At: now}
	if to == Accepted {
		cb.DriverName, cb.DriverPhone, cb.CarPlate, cb.CarDesc = a.Order.DriverName, a.Phone, a.Order.CarPlate, a.Car
	}
	if to == Finished {
		a.Order.FinishedAt = &now
		cb.FinishedAt = &now
	}
	if to == Paid {
		if fee < 0 {
			fee = 1800 + int64(len(a.Destination))*150 // a plausible city fare, in fen
			if fee > a.AmountCapFen {
				fee = a.AmountCapFen
			}
		}
		a.Order.FeeFen = fee
		cb.FeeFen = &fee
	}
	url := a.CallbackURL
	s.mu.Unlock()
	return to, s.send(ctx, url, cb)
}

// send posts a signed callback.
func (s *Simulator) send(ctx context.Context, url string, cb Callback) error {
	if url == "" {
		return nil
	}
	body, _ := json.Marshal(cb)
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	SignHeaders(req.Header, s.Secret, randomHex(12), body, s.now())
	c := s.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		return fmt.Errorf("callback answered %d: %s", resp.StatusCode, buf.String())
	}
	return nil
}
