package httpapi_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"govfleet/internal/access"
	"govfleet/internal/app/apptest"
	"govfleet/internal/httpapi"
)

// raw sends body as is with the content type and returns status and body.
func (e *env) raw(method, path, contentType string, body []byte) (int, string) {
	e.t.Helper()
	req, _ := http.NewRequest(method, e.srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	buf.ReadFrom(resp.Body)
	if c := resp.Header.Get("Set-Cookie"); resp.StatusCode != http.StatusOK && strings.Contains(c, httpapi.SessionCookie+"=") && !strings.Contains(c, "Max-Age=0") {
		e.t.Errorf("%s %s: refused (%d) but set a session cookie", method, path, resp.StatusCode)
	}
	return resp.StatusCode, buf.String()
}

// TestJSONBodies: a JSON body must be sent as application/json (a form or
// text/plain login could be posted by another site: login CSRF), fit in
// 1 MiB (413 with 请求内容过大), and hold nothing after the JSON value.
func TestJSONBodies(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		u := e.newUser(e.inUnit, access.Applicant)
		login := fmt.Sprintf(`{"username":%q,"password":%q}`, u.Username, testPassword)
		for _, tc := range []struct {
			name, contentType, body string
			status                  int
			want                    string
		}{
			{"json", "application/json", login, 200, u.Username},
			{"json with charset", "application/json; charset=utf-8", login, 200, u.Username},
			{"text/plain", "text/plain", login, 415, "application/json"},
			{"form", "application/x-www-form-urlencoded", login, 415, "application/json"},
			{"no content type", "", login, 415, "application/json"},
			{"trailing JSON", "application/json", login + `{"username":"x"}`, 400, "多余的内容"},
			{"trailing garbage", "application/json", login + "x", 400, "多余的内容"},
			{"trailing white space", "application/json", login + " \n", 200, u.Username},
			{"over 1 MiB", "application/json", `{"username":"` + strings.Repeat("a", 1<<20) + `"}`, 413, "请求内容过大"},
			{"over 1 MiB after the value", "application/json", login + strings.Repeat(" ", 1<<20), 413, "请求内容过大"},
		} {
			status, body := e.raw("POST", "/api/auth/login", tc.contentType, []byte(tc.body))
			if status != tc.status || !strings.Contains(body, tc.want) {
				t.Errorf("%s: %d %.200s, want %d with %q", tc.name, status, body, tc.status, tc.want)
			}
		}
	})
}

// TestServerTimeouts: the server cuts off a body sent a byte at a time
// (BodyTimeout) but keeps an event stream open well past it, and has no
// ReadTimeout or WriteTimeout that would end streams. Mostly waiting: beside
// the other tests.
func TestServerTimeouts(t *testing.T) {
	t.Parallel()
	apptest.Each(t, func(t *testing.T, w *apptest.World) {
		t.Parallel()
		e := newEnv(t, w)
		srv := e.api.HTTPServer()
		if srv.ReadHeaderTimeout <= 0 || srv.ReadHeaderTimeout > time.Minute || srv.ReadTimeout != 0 || srv.WriteTimeout != 0 || srv.IdleTimeout <= 0 {
			t.Errorf("timeouts: header %v, read %v, write %v, idle %v", srv.ReadHeaderTimeout, srv.ReadTimeout, srv.WriteTimeout, srv.IdleTimeout)
		}
		e.api.BodyTimeout = 500 * time.Millisecond
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go srv.Serve(ln)
		t.Cleanup(func() { srv.Close() })

		// A body trickling in, one byte per 200 ms.
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		fmt.Fprintf(c, "POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n")
		done := make(chan struct{})
		go func() {
			defer close(done)
			for range 100 {
				if _, err := c.Write([]byte(" ")); err != nil {
					return
				}
				time.Sleep(200 * time.Millisecond)
			}
		}()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = bufio.NewReader(c).ReadString('\n') // a response or the connection closed
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Error("a body sent a byte every 200 ms was still being read after 5 s (body timeout 500 ms)")
		}
		c.Close()
		<-done

		// An event stream outlives the body timeout.
		s := e.login(e.newUser(e.inUnit, access.Dispatcher).Username, testPassword)
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/api/live/stream", nil)
		req.AddCookie(&http.Cookie{Name: httpapi.SessionCookie, Value: s.token})
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("stream: %d", resp.StatusCode)
		}
		rd := bufio.NewReader(resp.Body)
		rd.ReadString('\n') // ": connected"
		time.Sleep(1500 * time.Millisecond)
		go func() { time.Sleep(2 * time.Second); resp.Body.Close() }()
		if _, err := rd.ReadString('\n'); err != nil && !strings.Contains(err.Error(), "closed") {
			t.Errorf("stream ended after the body timeout: %v", err)
		}
	})
}
