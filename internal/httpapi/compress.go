package httpapi

import (
	"compress/gzip"
	"net/http"
	"strings"
	"sync"
)

// compress gzips text-like responses (JSON, JavaScript, CSS, HTML, SVG, CSV)
// for clients that accept it. The live map's list of a city's 19,000
// vehicles is 7.3 MB of JSON and the console's scripts 1.4 MB, which a
// phone on a mobile network waits for (issue 5, Live map). Event streams,
// images and spreadsheets pass through as they are, and so do a request for
// a byte range, whose offsets count the uncompressed file, and a HEAD, whose
// Content-Length must be the GET's.
func compress(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Every answer may differ by Accept-Encoding: a shared cache must not
		// hand one client's copy to the next.
		w.Header().Add("Vary", "Accept-Encoding")
		if r.Method == http.MethodHead || r.Header.Get("Range") != "" || !acceptsGzip(r.Header.Get("Accept-Encoding")) {
			next.ServeHTTP(w, r)
			return
		}
		g := &gzipWriter{ResponseWriter: w}
		defer g.close()
		next.ServeHTTP(g, r)
	})
}

// acceptsGzip reports whether an Accept-Encoding header admits gzip.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			q := strings.ReplaceAll(params, " ", "")
			return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
		}
	}
	return false
}

// compressible reports whether a response of this type is worth gzipping.
func compressible(contentType string) bool {
	t, _, _ := strings.Cut(contentType, ";")
	t = strings.TrimSpace(strings.ToLower(t))
	switch t {
	case "application/json", "text/javascript", "application/javascript", "text/css", "text/html",
		"image/svg+xml", "text/csv", "text/plain":
		return true
	}
	return false
}

var gzipWriters = sync.Pool{New: func() any {
	zw, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return zw
}}

// gzipWriter decides at the status line whether to compress: by then the
// handler has set the content type.
type gzipWriter struct {
	http.ResponseWriter
	zw      *gzip.Writer
	decided bool
}

func (g *gzipWriter) WriteHeader(code int) {
	if g.decided {
		return
	}
	g.decided = true
	h := g.Header()
	if code >= 200 && code != http.StatusNoContent && code != http.StatusNotModified &&
		h.Get("Content-Encoding") == "" && compressible(h.Get("Content-Type")) {
		h.Del("Content-Length")
		h.Set("Content-Encoding", "gzip")
		g.zw = gzipWriters.Get().(*gzip.Writer)
		g.zw.Reset(g.ResponseWriter)
	}
	g.ResponseWriter.WriteHeader(code)
}

func (g *gzipWriter) Write(b []byte) (int, error) {
	if !g.decided {
		if g.Header().Get("Content-Type") == "" {
			g.Header().Set("Content-Type", http.DetectContentType(b))
		}
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		return g.zw.Write(b)
	}
	return g.ResponseWriter.Write(b)
}

// Flush sends what is compressed so far (the event streams are not
// compressed, but a handler may flush any response).
func (g *gzipWriter) Flush() {
	if !g.decided { // the status line goes out now: decide before it does
		g.WriteHeader(http.StatusOK)
	}
	if g.zw != nil {
		g.zw.Flush()
	}
	if f, ok := g.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// writeGzipped answers 200 with a body compressed before (the handler has
// set its content type).
func (g *gzipWriter) writeGzipped(body []byte) {
	g.decided = true
	g.Header().Set("Content-Encoding", "gzip")
	g.ResponseWriter.WriteHeader(http.StatusOK)
	g.ResponseWriter.Write(body)
}

func (g *gzipWriter) Unwrap() http.ResponseWriter { return g.ResponseWriter }

func (g *gzipWriter) close() {
	if g.zw != nil {
		g.zw.Close()
		g.zw.Reset(nil)
		gzipWriters.Put(g.zw)
		g.zw = nil
	}
}
