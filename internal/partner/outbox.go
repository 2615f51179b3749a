package partner

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/uptrace/bun"

	"govfleet/internal/errs"
	"govfleet/internal/store"
)

// Message is the envelope of every message between platforms
// (POST /api/partner/v1/messages, docs/partner-api.md).
type Message struct {
	Key        string         `json:"key" max:"100"`           // idempotency key: the same key is applied once
	Kind       string         `json:"kind" max:"30"`           // booking.request | booking.status | booking.cancel | settlement.confirm
	Ref        string         `json:"ref,omitempty" max:"100"` // the booking both platforms name it by
	Seq        int            `json:"seq,omitempty"`           // 1, 2, … per booking and sender
	SentAt     time.Time      `json:"sent_at"`
	Request    *Request       `json:"request,omitempty"`
	Status     *Status        `json:"status,omitempty"`
	Cancel     *Cancel        `json:"cancel,omitempty"`
	Settlement *SettlementMsg `json:"settlement,omitempty"`
}

// Request is a booking asked of the host platform.
type Request struct {
	Applicant      string    `json:"applicant" max:"50"`
	Unit           string    `json:"unit" max:"100"`
	Phone          string    `json:"phone" max:"20"`
	Passengers     string    `json:"passengers" max:"200"`
	PassengerCount int       `json:"passenger_count"`
	PickupPlace    string    `json:"pickup_place" max:"200"`
	Destinations   []string  `json:"destinations"`
	PickupAt       time.Time `json:"pickup_at"`
	ReturnAt       time.Time `json:"return_at"`
	Reason         string    `json:"reason" max:"500"`
}

// Status is the host's report of a booking's progress.
type Status struct {
	Status      string    `json:"status" max:"20"` // accepted | refused | assigned | started | finished | fee | cancelled
	Note        string    `json:"note,omitempty" max:"500"`
	Plate       string    `json:"plate,omitempty" max:"20"`
	VehicleType string    `json:"vehicle_type,omitempty" max:"20"`
	Driver      string    `json:"driver,omitempty" max:"50"`
	DriverPhone string    `json:"driver_phone,omitempty" max:"20"`
	DistanceM   int64     `json:"distance_m,omitempty"`
	FeeFen      *int64    `json:"fee_fen,omitempty"`
	At          time.Time `json:"at"`
}

// Cancel is the requester's cancellation.
type Cancel struct {
	Reason string `json:"reason" max:"500"`
}

// SettlementMsg is a month's statement as its sender confirmed it, from the
// sender's side: In what the sender charges (the receiver's officials in
// the sender's vehicles), Out what it owes.
type SettlementMsg struct {
	Month    string `json:"month" max:"7"`
	InCount  int    `json:"in_count"`
	InFen    int64  `json:"in_fen"`
	OutCount int    `json:"out_count"`
	OutFen   int64  `json:"out_fen"`
	By       string `json:"by" max:"50"`
}

// Ack is the answer to a message.
type Ack struct {
	Key    string `json:"key"`
	Result string `json:"result"` // applied | duplicate
}

func newKey() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// enqueue writes a message for a partner inside tx: the booking's next
// seq, a new key. It is sent by Deliver after the commit.
func (s *Service) enqueue(ctx context.Context, tx bun.Tx, partnerID int64, bookingID int64, m Message) error {
	if bookingID != 0 {
		if err := tx.NewRaw("UPDATE partner_bookings SET seq = seq + 1, updated_at = ? WHERE id = ? RETURNING seq", s.now(), bookingID).Scan(ctx, &m.Seq); err != nil {
			return err
		}
	}
	m.Key, m.SentAt = newKey(), s.now()
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = tx.NewRaw("INSERT INTO partner_outbox (partner_id, msg_key, ref, seq, kind, body, state, attempts, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
		partnerID, m.Key, m.Ref, m.Seq, m.Kind, string(body), s.now(), s.now()).Exec(ctx)
	return err
}

type outRow struct {
	ID        int64  `bun:"id"`
	PartnerID int64  `bun:"partner_id"`
	Key       string `bun:"msg_key"`
	Ref       string `bun:"ref"`
	Seq       int    `bun:"seq"`
	Kind      string `bun:"kind"`
	Body      string `bun:"body"`
	Attempts  int    `bun:"attempts"`
}

// Backoff is the wait before the n-th retry (n ≥ 1): 2 s doubling, at most 10 minutes.
func Backoff(n int) time.Duration {
	d := 2 * time.Second
	for i := 1; i < n && d < 10*time.Minute; i++ {
		d *= 2
	}
	return min(d, 10*time.Minute)
}

// Deliver sends the messages that are due, oldest first; of a booking's
// messages only the earliest undelivered one goes (a later one waits for
// it). A message the partner refuses (4xx but 401/408/429) is set aside
// and recorded; anything else is retried with back-off. It returns how
// many were delivered.
func (s *Service) Deliver(ctx context.Context) (int, error) {
	s.flushLog(ctx)
	var rows []outRow
	err := s.DB.R.NewSelect().Table("partner_outbox").Column("id", "partner_id", "msg_key", "ref", "seq", "kind", "body", "attempts").
		Where("state = 'pending' AND next_at <= ?", s.now()).
		Where("NOT EXISTS (SELECT 1 FROM partner_outbox e WHERE e.partner_id = partner_outbox.partner_id AND e.ref = partner_outbox.ref AND e.ref <> '' AND e.state = 'pending' AND e.id < partner_outbox.id)").
		Order("id").Limit(100).Scan(ctx, &rows)
	if err != nil {
		return 0, store.Translate(err)
	}
	partners := map[int64]*Partner{}
	down := map[int64]bool{} // a partner that did not answer this round is not tried again in it
	sent := 0
	for _, r := range rows {
		if ctx.Err() != nil {
			break
		}
		if down[r.PartnerID] {
			continue
		}
		p := partners[r.PartnerID]
		if p == nil {
			if p, err = s.Get(ctx, r.PartnerID); err != nil {
				return sent, err
			}
			partners[r.PartnerID] = p
		}
		status, body, err := s.post(ctx, p, "/api/partner/v1/messages", []byte(r.Body), r.Key)
		now := s.now()
		switch {
		case err == nil && status < 300:
			if _, err := s.DB.W.NewRaw("UPDATE partner_outbox SET state = 'sent', sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?", now, r.ID).Exec(ctx); err != nil {
				return sent, store.Translate(err)
			}
			s.DB.W.NewRaw("UPDATE partners SET last_out_at = ?, reachable = TRUE, check_error = '' WHERE id = ?", now, p.ID).Exec(ctx)
			sent++
		case err == nil && status >= 400 && status < 500 && status != 401 && status != 408 && status != 429:
			msg := fmt.Sprintf("「%s」拒绝了消息（%s，第%d条）：%s", p.Name, kindName(r.Kind), r.Seq, errText(body, status))
			if _, err := s.DB.W.NewRaw("UPDATE partner_outbox SET state = 'rejected', attempts = attempts + 1, last_error = ? WHERE id = ?", msg, r.ID).Exec(ctx); err != nil {
				return sent, store.Translate(err)
			}
			s.DB.W.NewRaw("UPDATE partners SET last_out_at = ?, reachable = TRUE WHERE id = ?", now, p.ID).Exec(ctx)
			s.log(ctx, &p.ID, "out", r.Kind, r.Key, msg)
		default:
			msg := ""
			if err != nil {
				msg = fmt.Sprintf("无法连接「%s」：%v", p.Name, err)
				down[p.ID] = true
			} else {
				msg = fmt.Sprintf("「%s」暂时不能处理（HTTP %d）：%s", p.Name, status, errText(body, status))
			}
			next := now.Add(Backoff(r.Attempts + 1))
			if _, err := s.DB.W.NewRaw("UPDATE partner_outbox SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE id = ?", next, msg, r.ID).Exec(ctx); err != nil {
				return sent, store.Translate(err)
			}
			if err != nil {
				s.DB.W.NewRaw("UPDATE partners SET reachable = FALSE, check_error = ? WHERE id = ?", msg, p.ID).Exec(ctx)
			}
		}
	}
	return sent, nil
}

// Job delivers until nothing is due (the app's short loop).
func (s *Service) Job(ctx context.Context) {
	for range 20 {
		n, err := s.Deliver(ctx)
		if err != nil {
			slog.Warn("partner outbox", "err", err)
			return
		}
		if n == 0 {
			return
		}
	}
}

// post sends a signed request to a partner and returns the status and body.
func (s *Service) post(ctx context.Context, p *Partner, path string, body []byte, idem string) (int, []byte, error) {
	secret, err := s.open(p.OutboundSecret)
	if err != nil {
		return 0, nil, err
	}
	method := http.MethodPost
	if body == nil {
		method = http.MethodGet
	}
	req, err := http.NewRequestWithContext(ctx, method, p.BaseURL+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header = Sign(secret, p.SelfCode, method, path, body, s.now())
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	res, err := s.client().Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	return res.StatusCode, b, nil
}

func errText(body []byte, status int) string {
	var e struct {
		Error struct {
			Message string `json:"message"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		return e.Error.Message
	}
	return fmt.Sprintf("HTTP %d", status)
}

func msgOf(err error) string {
	var e *errs.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}

var kindNames = map[string]string{"booking.request": "用车请求", "booking.status": "状态变化", "booking.cancel": "取消", "settlement.confirm": "结算确认"}

func kindName(k string) string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return k
}

// Outgoing is a message of the outbox as the partner page lists it.
type Outgoing struct {
	ID        int64      `bun:"id" json:"id"`
	Partner   string     `bun:"partner" json:"partner"`
	Kind      string     `bun:"kind" json:"kind"`
	KindName  string     `bun:"-" json:"kind_name"`
	Ref       string     `bun:"ref" json:"ref"`
	Seq       int        `bun:"seq" json:"seq"`
	State     string     `bun:"state" json:"state"`
	Attempts  int        `bun:"attempts" json:"attempts"`
	NextAt    time.Time  `bun:"next_at" json:"next_at"`
	LastError string     `bun:"last_error" json:"last_error"`
	CreatedAt time.Time  `bun:"created_at" json:"created_at"`
	SentAt    *time.Time `bun:"sent_at" json:"sent_at"`
}

// Outbox lists a partner's latest outgoing messages, waiting ones first.
func (s *Service) Outbox(ctx context.Context, partnerID int64, limit int) ([]*Outgoing, error) {
	out := []*Outgoing{}
	err := s.DB.R.NewSelect().TableExpr("partner_outbox AS x").ColumnExpr("x.id, p.name AS partner, x.kind, x.ref, x.seq, x.state, x.attempts, x.next_at, x.last_error, x.created_at, x.sent_at").
		Join("JOIN partners AS p ON p.id = x.partner_id").Where("x.partner_id = ?", partnerID).
		OrderExpr("CASE x.state WHEN 'pending' THEN 0 ELSE 1 END, x.id DESC").Limit(limit).Scan(ctx, &out)
	for _, o := range out {
		o.KindName = kindName(o.Kind)
	}
	return out, store.Translate(err)
}

// Retry makes a partner's waiting messages due now (after its outage ended).
func (s *Service) Retry(ctx context.Context, partnerID int64) error {
	_, err := s.DB.W.NewRaw("UPDATE partner_outbox SET next_at = ? WHERE partner_id = ? AND state = 'pending'", s.now(), partnerID).Exec(ctx)
	return store.Translate(err)
}
