package httpapi_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"govfleet/internal/httpapi"
)

func TestCompress(t *testing.T) {
	t.Parallel()
	big := strings.Repeat(`{"plate":"苏D10037","unit_name":"市委办公室"},`, 200)
	handler := func(contentType string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if contentType != "" {
				w.Header().Set("Content-Type", contentType)
			}
			if f, ok := w.(http.Flusher); ok && contentType != "" {
				f.Flush() // the status line before any byte, as the event streams do
			}
			io.WriteString(w, big[:len(big)/2])
			if f, ok := w.(http.Flusher); ok {
				f.Flush()
			}
			io.WriteString(w, big[len(big)/2:])
		})
	}
	for _, tc := range []struct {
		name, method, contentType, acceptEncoding, rangeHeader string
		gzipped                                                bool
	}{
		{"JSON to a browser", "GET", "application/json; charset=utf-8", "gzip, deflate, br", "", true},
		{"a script", "GET", "text/javascript; charset=utf-8", "gzip", "", true},
		{"no type set: sniffed as text", "GET", "", "gzip", "", true},
		{"a client without gzip", "GET", "application/json", "", "", false},
		{"gzip refused with q=0", "GET", "application/json", "br, gzip;q=0", "", false},
		{"the live stream", "GET", "text/event-stream", "gzip", "", false},
		{"a photo", "GET", "image/jpeg", "gzip", "", false},
		{"a spreadsheet", "GET", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "gzip", "", false},
		{"a byte range", "GET", "text/javascript", "gzip", "bytes=0-99", false},
		{"a HEAD, whose length must be the GET's", "HEAD", "text/javascript", "gzip", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := httptest.NewRequest(tc.method, "/api/live/vehicles", nil)
			if tc.acceptEncoding != "" {
				req.Header.Set("Accept-Encoding", tc.acceptEncoding)
			}
			if tc.rangeHeader != "" {
				req.Header.Set("Range", tc.rangeHeader)
			}
			rec := httptest.NewRecorder()
			httpapi.Compress(handler(tc.contentType)).ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			sent := rec.Result().Header // as the status line sent them
			if sent.Get("Vary") != "Accept-Encoding" {
				t.Errorf("Vary %q: a shared cache could serve this copy to any client", sent.Get("Vary"))
			}
			if got := sent.Get("Content-Encoding") == "gzip"; got != tc.gzipped {
				t.Fatalf("Content-Encoding %q, want gzip: %v", sent.Get("Content-Encoding"), tc.gzipped)
			}
			if tc.gzipped {
				if len(body) >= len(big)/4 {
					t.Errorf("compressed to %d bytes from %d", len(body), len(big))
				}
				zr, err := gzip.NewReader(bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				if body, err = io.ReadAll(zr); err != nil {
					t.Fatal(err)
				}
			}
			if string(body) != big {
				t.Errorf("body of %d bytes differs from the %d written", len(body), len(big))
			}
		})
	}
}
