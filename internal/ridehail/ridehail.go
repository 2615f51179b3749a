// Package ridehail is the platform's side of an enterprise ride-hailing
// service (T3 出行 style, R-19): a Provider creates an enterprise ride
// application (passenger, time window, cities, amount cap), its orders'
// status and fee come back as signed callbacks, and its order query serves
// the monthly reconciliation. HTTP speaks the shape such providers publish
// (OAuth2 client credentials, application, callbacks, order query);
// Simulator is a provider simulator (模拟) for the demo and the tests, run
// as its own process by `govfleet ridehail-sim`. No database here: the
// bookings live in internal/visitors.
package ridehail

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Ride states, in the only order a ride may move (Cancelled ends any
// state before Finished).
const (
	Created   = "created"   // 已下单，待司机接单
	Accepted  = "accepted"  // 司机已接单
	Arrived   = "arrived"   // 司机已到达
	Started   = "started"   // 行程中
	Finished  = "finished"  // 行程结束，待结算
	Paid      = "paid"      // 已结算（费用确定）
	Cancelled = "cancelled" // 已取消
)

// StateNames are the states' Chinese names.
var StateNames = map[string]string{
	Created: "待接单", Accepted: "司机已接单", Arrived: "司机已到达", Started: "行程中",
	Finished: "行程结束", Paid: "已结算", Cancelled: "已取消",
}

var rank = map[string]int{Created: 0, Accepted: 1, Arrived: 2, Started: 3, Finished: 4, Paid: 5, Cancelled: 6}

// Known reports whether s is a ride state.
func Known(s string) bool { _, ok := rank[s]; return ok }

// Forward reports whether a ride may move from state from to state to:
// only forwards, and to cancelled only before it finished.
func Forward(from, to string) bool {
	if to == Cancelled {
		return rank[from] < rank[Finished]
	}
	if from == Cancelled {
		return false
	}
	return rank[to] > rank[from]
}

// Application is an enterprise ride application: who rides, when, where
// and up to what amount. Ref is the platform's booking number, which the
// provider echoes on every order and callback.
type Application struct {
	Ref             string    `json:"out_application_no"`
	PassengerName   string    `json:"passenger_name"`
	PassengerMobile string    `json:"passenger_mobile"`
	StartAt         time.Time `json:"start_time"`
	EndAt           time.Time `json:"end_time"`
	Cities          []string  `json:"cities"`
	PickupPlace     string    `json:"pickup_place"`
	Destination     string    `json:"destination"`
	AmountCapFen    int64     `json:"amount_cap_fen"`
	CallbackURL     string    `json:"callback_url"`
}

// Order is one of the provider's orders, as its order query returns it.
type Order struct {
	OrderID          string     `json:"order_id"`
	ApplicationID    string     `json:"application_id"`
	OutApplicationNo string     `json:"out_application_no"`
	Status           string     `json:"status"`
	FeeFen           int64      `json:"fee_fen"`
	DriverName       string     `json:"driver_name"`
	CarPlate         string     `json:"car_plate"`
	FinishedAt       *time.Time `json:"finished_at"`
	CreatedAt        time.Time  `json:"created_at"`
}

// Cancellation is the provider's answer to a cancel: the order's state
// (cancelled) and the cancellation fee, charged when a driver was already
// on the way.
type Cancellation struct {
	ApplicationID string `json:"application_id"`
	Status        string `json:"status"`
	FeeFen        int64  `json:"cancel_fee_fen"`
}

// Callback is an order-status or fee callback of the provider.
type Callback struct {
	EventID          string     `json:"event_id"`
	ApplicationID    string     `json:"application_id"`
	OutApplicationNo string     `json:"out_application_no"`
	OrderID          string     `json:"order_id"`
	Status           string     `json:"status"`
	FeeFen           *int64     `json:"fee_fen,omitempty"`
	DriverName       string     `json:"driver_name,omitempty"`
	DriverPhone      string     `json:"driver_phone,omitempty"`
	CarPlate         string     `json:"car_plate,omitempty"`
	CarDesc          string     `json:"car_desc,omitempty"`
	At               time.Time  `json:"at"`
	FinishedAt       *time.Time `json:"finished_at,omitempty"`
}

// Provider is a ride-hailing provider. Its errors are ErrUnreachable (the
// provider did not answer) or a *RemoteError (it answered with a refusal).
type Provider interface {
	// Name is the provider's name for people (e.g. "T3出行（模拟）").
	Name() string
	// Create submits an application and returns the provider's id of it.
	Create(ctx context.Context, app Application) (string, error)
	// Cancel cancels an application (its order) before the trip starts
	// and returns the cancellation fee the provider charges (0 when no
	// driver was assigned yet). Cancelling one already cancelled answers
	// the same again.
	Cancel(ctx context.Context, applicationID, reason string) (Cancellation, error)
	// Orders returns the provider's orders created in [from, to).
	Orders(ctx context.Context, from, to time.Time) ([]Order, error)
	// CallbackSecret is the key the provider signs its callbacks with.
	CallbackSecret() []byte
}

// ErrUnreachable: the provider could not be reached.
var ErrUnreachable = errors.New("ride-hailing provider unreachable")

// RemoteError is a refusal by the provider.
type RemoteError struct {
	Status  int
	Code    string
	Message string
}

func (e *RemoteError) Error() string { return "ride-hailing provider: " + e.Code + ": " + e.Message }

// Signature headers of a callback.
const (
	HeaderTimestamp = "X-Ride-Timestamp"
	HeaderNonce     = "X-Ride-Nonce"
	HeaderSignature = "X-Ride-Signature"
)

// MaxSkew is how far a callback's timestamp may be from our clock.
const MaxSkew = 5 * time.Minute

// Sign is a callback's signature: hex(HMAC-SHA256(secret,
// timestamp + "\n" + nonce + "\n" + hex(SHA-256(body)))).
func Sign(secret []byte, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(timestamp + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	return hex.EncodeToString(m.Sum(nil))
}

// SignHeaders sets the signature headers of a callback sent at now.
func SignHeaders(h http.Header, secret []byte, nonce string, body []byte, now time.Time) {
	ts := strconv.FormatInt(now.Unix(), 10)
	h.Set(HeaderTimestamp, ts)
	h.Set(HeaderNonce, nonce)
	h.Set(HeaderSignature, Sign(secret, ts, nonce, body))
}

// Verify checks a callback's signature headers at now and returns its
// nonce; the caller refuses a nonce it has seen (a replay). The error is a
// Chinese sentence for the record.
func Verify(h http.Header, secret []byte, body []byte, now time.Time) (string, error) {
	ts, nonce, sig := h.Get(HeaderTimestamp), h.Get(HeaderNonce), h.Get(HeaderSignature)
	if ts == "" || nonce == "" || sig == "" {
		return "", errors.New("回调未签名（缺少时间戳、随机串或签名）")
	}
	if len(nonce) > 64 {
		return "", errors.New("回调随机串过长")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errors.New("回调时间戳格式错误")
	}
	if d := now.Sub(time.Unix(sec, 0)); d > MaxSkew || d < -MaxSkew {
		return "", errors.New("回调时间戳与平台时间相差超过5分钟（过期或重放）")
	}
	want := Sign(secret, ts, nonce, body)
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return "", errors.New("回调签名错误")
	}
	return nonce, nil
}

// The demo's provider: `govfleet ridehail-sim` listens here with these
// credentials by default, and `serve --demo` points to it unless told
// otherwise. They are the simulator's, for the demo only.
const (
	DemoAddr           = "127.0.0.1:7380"
	DemoClientID       = "govfleet-demo"
	DemoClientSecret   = "demo-client-secret"
	DemoCallbackSecret = "demo-callback-secret"
	DemoName           = "T3出行（模拟）"
)
