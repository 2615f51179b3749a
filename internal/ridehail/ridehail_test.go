package ridehail

import (
	"net/http"
	"testing"
	"time"
)

func TestForward(t *testing.T) {
	for _, tc := range []struct {
		from, to string
		ok       bool
	}{
		{Created, Accepted, true}, {Accepted, Created, false}, {Started, Started, false}, {Finished, Paid, true},
		{Paid, Finished, false}, {Started, Cancelled, true}, {Finished, Cancelled, false}, {Cancelled, Accepted, false},
	} {
		if got := Forward(tc.from, tc.to); got != tc.ok {
			t.Errorf("%s → %s: %v, want %v", tc.from, tc.to, got, tc.ok)
		}
	}
}

func TestVerify(t *testing.T) {
	secret, body, now := []byte("k"), []byte(`{"event_id":"e"}`), time.Now()
	h := http.Header{}
	SignHeaders(h, secret, "n1", body, now)
	if n, err := Verify(h, secret, body, now); err != nil || n != "n1" {
		t.Fatalf("signed: %q %v", n, err)
	}
	for name, tc := range map[string]struct {
		h    http.Header
		body []byte
		at   time.Time
	}{
		"unsigned":     {http.Header{}, body, now},
		"other body":   {h, []byte(`{}`), now},
		"late":         {h, body, now.Add(6 * time.Minute)},
		"wrong secret": {func() http.Header { x := http.Header{}; SignHeaders(x, []byte("x"), "n2", body, now); return x }(), body, now},
	} {
		if _, err := Verify(tc.h, secret, tc.body, tc.at); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
