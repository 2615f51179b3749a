package httpapi

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"time"

	"govfleet/internal/errs"
)

// startStream begins a server-sent event stream and returns its flusher
// and a context that ends with the request or, sooner, when the caller's
// session no longer holds (issue 19, item 6): re-checked every
// StreamRecheck (30 s by default) and at once when auth announces that the
// account's credentials changed (logout, lock, deactivation, reset). The
// stream then sends an "ended" event and the handler returns. stop must be
// called when the handler returns.
func (s *Server) startStream(r *Request) (fl http.Flusher, ctx context.Context, stop func(), err error) {
	fl, ok := r.W.(http.Flusher)
	if !ok {
		return nil, nil, nil, errs.E(errs.Internal, "不支持推送")
	}
	ctx, cancel := context.WithCancel(r.Context())
	changed, unsubscribe := s.Auth.Revoked.Subscribe(r.P.Actor.UserID)
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		defer unsubscribe()
		tick := time.NewTicker(cmp.Or(s.StreamRecheck, 30*time.Second))
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			case <-changed:
			}
			if err := s.Auth.Recheck(ctx, r.P); err != nil && ctx.Err() == nil {
				cancel()
				return
			}
		}
	}()
	h := r.W.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	r.W.WriteHeader(http.StatusOK)
	fmt.Fprint(r.W, ": connected\n\n")
	fl.Flush()
	return fl, ctx, func() {
		if r.Context().Err() == nil && ctx.Err() != nil { // the session ended, not the client
			fmt.Fprint(r.W, "event: ended\ndata: {}\n\n")
			fl.Flush()
		}
		cancel()
		<-ended
	}, nil
}
