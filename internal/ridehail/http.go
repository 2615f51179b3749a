package ridehail

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// HTTP is a Provider speaking an enterprise ride-hailing API over HTTP:
//
//	POST {base}/oauth/token                 grant_type=client_credentials, client_id, client_secret (form)
//	                                        → {"access_token","token_type":"Bearer","expires_in"}
//	POST {base}/v1/enterprise/applications  Application (JSON, Bearer) → {"application_id"}
//	POST {base}/v1/enterprise/applications/{id}/cancel  {"reason"} (JSON, Bearer)
//	                                        → {"application_id","status":"cancelled","cancel_fee_fen"}
//	GET  {base}/v1/enterprise/orders?start=RFC3339&end=RFC3339&page=N&page_size=100
//	                                        → {"orders":[Order…],"total"}
//
// Errors come back as {"code","message"} with a 4xx/5xx status. Callbacks
// go to the application's callback_url, signed with the callback secret
// (Sign). The token is kept until a minute before it expires.
type HTTP struct {
	Label        string // the provider's name for people
	BaseURL      string
	ClientID     string
	ClientSecret string
	Secret       []byte // the callbacks' signing key
	Client       *http.Client

	mu      sync.Mutex
	token   string
	expires time.Time
}

// Name implements Provider.
func (p *HTTP) Name() string { return p.Label }

// CallbackSecret implements Provider.
func (p *HTTP) CallbackSecret() []byte { return p.Secret }

func (p *HTTP) client() *http.Client {
	if p.Client != nil {
		return p.Client
	}
	return &http.Client{Timeout: 10 * time.Second}
}

func (p *HTTP) url(path string) string { return strings.TrimRight(p.BaseURL, "/") + path }

// do sends a request and decodes a 2xx JSON answer into out.
func (p *HTTP) do(req *http.Request, out any) error {
	resp, err := p.client().Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	if resp.StatusCode >= 300 {
		var e struct{ Code, Message string }
		_ = json.Unmarshal(body, &e)
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(body))
		}
		return &RemoteError{Status: resp.StatusCode, Code: e.Code, Message: e.Message}
	}
	return json.Unmarshal(body, out)
}

// bearer returns a valid access token (client credentials grant).
func (p *HTTP) bearer(ctx context.Context) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" && time.Now().Before(p.expires) {
		return p.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.ClientID}, "client_secret": {p.ClientSecret}}
	req, err := http.NewRequestWithContext(ctx, "POST", p.url("/oauth/token"), strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := p.do(req, &tok); err != nil {
		return "", err
	}
	p.token, p.expires = tok.AccessToken, time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second-time.Minute)
	return p.token, nil
}

// authed sends a request with the bearer token; a 401 drops the token and
// tries once more.
func (p *HTTP) authed(ctx context.Context, method, path string, body []byte, out any) error {
	for try := 0; ; try++ {
		tok, err := p.bearer(ctx)
		if err != nil {
			return err
		}
		req, err := http.NewRequestWithContext(ctx, method, p.url(path), bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer "+tok)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		err = p.do(req, out)
		if re, ok := err.(*RemoteError); ok && re.Status == http.StatusUnauthorized && try == 0 {
			p.mu.Lock()
			p.token = ""
			p.mu.Unlock()
			continue
		}
		return err
	}
}

// Create implements Provider.
func (p *HTTP) Create(ctx context.Context, app Application) (string, error) {
	body, _ := json.Marshal(app)
	var out struct {
		ApplicationID string `json:"application_id"`
	}
	if err := p.authed(ctx, "POST", "/v1/enterprise/applications", body, &out); err != nil {
		return "", err
	}
	return out.ApplicationID, nil
}

// Cancel implements Provider.
func (p *HTTP) Cancel(ctx context.Context, applicationID, reason string) (Cancellation, error) {
	body, _ := json.Marshal(map[string]string{"reason": reason})
	var out Cancellation
	err := p.authed(ctx, "POST", "/v1/enterprise/applications/"+url.PathEscape(applicationID)+"/cancel", body, &out)
	return out, err
}

// Orders implements Provider: every page of the order query.
func (p *HTTP) Orders(ctx context.Context, from, to time.Time) ([]Order, error) {
	var all []Order
	for page := 1; ; page++ {
		q := url.Values{"start": {from.UTC().Format(time.RFC3339)}, "end": {to.UTC().Format(time.RFC3339)},
			"page": {strconv.Itoa(page)}, "page_size": {"100"}}
		var out struct {
			Orders []Order `json:"orders"`
			Total  int     `json:"total"`
		}
		if err := p.authed(ctx, "GET", "/v1/enterprise/orders?"+q.Encode(), nil, &out); err != nil {
			return nil, err
		}
		all = append(all, out.Orders...)
		if len(out.Orders) == 0 || len(all) >= out.Total {
			return all, nil
		}
	}
}
