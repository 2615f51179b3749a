package httpapi_test

import (
	"context"
	"net/url"
)

// resetRequest has the city's security administrator ask for a password
// reset of account id (the test server has no SMS: the request waits for a
// second administrator) and returns the request.
func (e *env) resetRequest(id int64) int64 {
	e.t.Helper()
	res, err := e.w.Auth.ResetPassword(context.Background(), e.w.Actor(e.t, "city_sec"), id)
	if err != nil || res.Status != "pending" {
		e.t.Fatalf("reset request of %d: %+v, %v", id, res, err)
	}
	return res.ID
}

// resetCode resets account id's password by request and approval and
// returns the one-time code of the link the approval shows.
func (e *env) resetCode(id int64) string {
	e.t.Helper()
	res, err := e.w.Auth.ApproveReset(context.Background(), e.city(), e.resetRequest(id))
	if err != nil || res.Status != "link" {
		e.t.Fatalf("approve reset of %d: %+v, %v", id, res, err)
	}
	u, err := url.Parse(res.Link)
	if err != nil || u.Query().Get("code") == "" {
		e.t.Fatalf("reset link %q", res.Link)
	}
	return u.Query().Get("code")
}
