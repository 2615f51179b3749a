package httpapi_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/httpapi"
)

// openStream opens an event stream with the session and returns a channel
// that receives everything the stream sent once it ends.
func (e *env) openStream(s session, path string) <-chan string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", e.srv.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: s.token})
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		e.t.Fatalf("open %s: %v %v", path, resp.Status, err)
	}
	ended := make(chan string, 1)
	go func() {
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		ended <- string(b)
	}()
	return ended
}

// TestStreamsEndWithTheSession is issue 19's item 6: the live map and the
// notification streams end promptly when their session is logged out or
// the account is locked (the broadcast, with the periodic re-check set to
// an hour), and when the session disappears otherwise (the re-check).
func TestStreamsEndWithTheSession(t *testing.T) {
	e := newEnv(t, apptest.SQLite(t))
	ctx := context.Background()
	wait := func(what string, ended <-chan string) {
		t.Helper()
		select {
		case body := <-ended:
			if !strings.Contains(body, "event: ended") {
				t.Errorf("%s: stream ended without the ended event: %q", what, body)
			}
		case <-time.After(3 * time.Second):
			t.Errorf("%s: stream still open 3 s later", what)
		}
	}
	e.api.StreamRecheck = time.Hour
	for _, path := range []string{"/api/live/stream", "/api/notifications/stream"} {
		u := e.newUser(e.tn, access.VehicleManager)
		s := e.login(u.Username, testPassword)
		ended := e.openStream(s, path)
		if status, body := e.do(&s, "POST", "/api/auth/logout", nil); status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", status, body)
		}
		wait(path+" after logout", ended)

		u = e.newUser(e.tn, access.VehicleManager)
		ended = e.openStream(e.login(u.Username, testPassword), path)
		if _, err := e.w.Auth.SetLocked(ctx, e.city(), u.ID, true); err != nil {
			t.Fatal(err)
		}
		wait(path+" after the lock", ended)
	}
	// A session ended where no broadcast reaches (another instance): the
	// periodic re-check ends the stream.
	e.api.StreamRecheck = 50 * time.Millisecond
	u := e.newUser(e.tn, access.VehicleManager)
	ended := e.openStream(e.login(u.Username, testPassword), "/api/live/stream")
	if _, err := e.w.DB.W.NewRaw("DELETE FROM sessions WHERE user_id = ?", u.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	wait("after the session was deleted", ended)
}
