package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"

	"govfleet/internal/auth"
	"govfleet/internal/errs"
)

// readBody reads a request's body (at most 1 MiB) and puts it back for the
// handler: a signed request's signature covers it.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxJSONBody+1))
	if err != nil {
		return nil, errs.E(errs.Invalid, "读取请求内容失败")
	}
	if len(b) > MaxJSONBody {
		return nil, errTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// serveIdempotent runs a signed write carrying an Idempotency-Key:
// the first request runs and its response is kept; a retry with the same
// method, path and body gets the kept response (Idempotent-Replayed: true)
// without running again; another request under the same key is refused
// with 409. A failed request keeps nothing, so a corrected retry may use
// the key.
func (s *Server) serveIdempotent(r *Request, rt Route, idem string) {
	body, err := readBody(r.Request)
	if err != nil {
		writeError(r.W, r.Request, err)
		return
	}
	h := sha256.New()
	h.Write([]byte(r.Method + "\n" + r.URL.RequestURI() + "\n"))
	h.Write(body)
	ctx := r.Context()
	prev, err := s.Auth.BeginIdempotent(ctx, r.P.KeyID, idem, hex.EncodeToString(h.Sum(nil)))
	if err != nil {
		writeError(r.W, r.Request, err)
		return
	}
	if prev != nil {
		r.W.Header().Set("Idempotent-Replayed", "true")
		writeRaw(r.W, prev.Status, prev.Response)
		return
	}
	out, err := rt.Handle(r)
	if err != nil {
		_ = s.Auth.EndIdempotent(ctx, r.P.KeyID, idem, nil)
		writeError(r.W, r.Request, err)
		return
	}
	status, v := http.StatusOK, out
	switch x := out.(type) {
	case created:
		status, v = http.StatusCreated, x.v
	case noContent:
		status, v = http.StatusNoContent, nil
	}
	var buf bytes.Buffer
	if v != nil {
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			_ = s.Auth.EndIdempotent(ctx, r.P.KeyID, idem, nil)
			writeError(r.W, r.Request, errs.Wrap(err, "encode"))
			return
		}
	}
	if err := s.Auth.EndIdempotent(ctx, r.P.KeyID, idem, &auth.Idempotent{Status: status, Response: buf.Bytes()}); err != nil {
		writeError(r.W, r.Request, err)
		return
	}
	writeRaw(r.W, status, buf.Bytes())
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
	}
	w.WriteHeader(status)
	w.Write(body)
}
