package ridehail

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
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

// TestCancel: the HTTP provider cancels through the simulator's API
// (OAuth as the rest); free before a driver accepted, a cancellation fee
// after, refused once the trip started, the same answer when cancelled
// again; the cancelled callback follows, signed, with the fee.
func TestCancel(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []Callback
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if _, err := Verify(r.Header, []byte("cb"), body, time.Now()); err != nil {
			t.Errorf("callback: %v", err)
		}
		var cb Callback
		json.Unmarshal(body, &cb)
		mu.Lock()
		got = append(got, cb)
		mu.Unlock()
	}))
	defer hook.Close()
	sim := &Simulator{ClientID: "c", ClientSecret: "s", Secret: []byte("cb")}
	ss := httptest.NewServer(sim)
	defer ss.Close()
	p := &HTTP{Label: "模拟", BaseURL: ss.URL, ClientID: "c", ClientSecret: "s", Secret: []byte("cb")}
	apply := func(ref string) string {
		t.Helper()
		now := time.Now()
		id, err := p.Create(ctx, Application{Ref: ref, PassengerName: "甲", PassengerMobile: "13900000000", StartAt: now, EndAt: now.Add(time.Hour), AmountCapFen: 10000, CallbackURL: hook.URL})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	free := apply("FK-1")
	if c, err := p.Cancel(ctx, free, "行程取消"); err != nil || c.Status != Cancelled || c.FeeFen != 0 {
		t.Fatalf("cancel before a driver: %+v %v", c, err)
	}
	charged := apply("FK-2")
	sim.Advance(ctx, charged, -1) // accepted
	c, err := p.Cancel(ctx, charged, "不需要了")
	if err != nil || c.FeeFen != SimCancelFeeFen {
		t.Fatalf("cancel after the driver accepted: %+v %v", c, err)
	}
	if again, err := p.Cancel(ctx, charged, "再次"); err != nil || again != c {
		t.Fatalf("cancelled again: %+v %v", again, err)
	}
	started := apply("FK-3")
	for range 3 {
		sim.Advance(ctx, started, -1)
	}
	var re *RemoteError
	if _, err := p.Cancel(ctx, started, "晚了"); !errors.As(err, &re) || re.Status != http.StatusConflict {
		t.Fatalf("cancel of a started trip: %v", err)
	}
	if _, err := p.Cancel(ctx, "APP-NONE", "x"); !errors.As(err, &re) || re.Status != http.StatusNotFound {
		t.Fatalf("cancel of no application: %v", err)
	}
	sim.Wait()
	fees := map[string]*int64{}
	for _, cb := range got {
		if cb.Status == Cancelled {
			fees[cb.OutApplicationNo] = cb.FeeFen
		}
	}
	if len(fees) != 2 || fees["FK-1"] != nil || fees["FK-2"] == nil || *fees["FK-2"] != SimCancelFeeFen {
		t.Fatalf("cancelled callbacks: %+v", got)
	}
	orders, err := p.Orders(ctx, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
	if err != nil || len(orders) != 3 || orders[1].Status != Cancelled || orders[1].FeeFen != SimCancelFeeFen {
		t.Fatalf("the order query after the cancels: %+v %v", orders, err)
	}
}
