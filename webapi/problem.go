package webapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
)

// Problem is an error as the API answers it: RFC 9457 problem details,
// served as application/problem+json.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
}

// apiError is an error the API itself raises, with its status.
type apiError struct {
	status int
	title  string
	detail string
}

func (e *apiError) Error() string { return e.detail }

// errInternal is what a failure of ours looks like from outside: nothing
// internal is told; the log has the cause.
var errInternal = &apiError{status: http.StatusInternalServerError, title: "Internal Server Error",
	detail: "the gateway failed to answer; its log says why"}

// problemOf maps an error to its problem: the one place errors become
// statuses. The desk's and the API's own errors carry words meant for the
// caller; anything else is internal and said no more about.
func problemOf(err error) Problem {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return Problem{Title: ae.title, Status: ae.status, Detail: ae.detail}
	case errors.As(err, &mbe):
		return Problem{Title: "Content Too Large", Status: http.StatusRequestEntityTooLarge,
			Detail: "the request body is larger than the gateway takes"}
	case errors.Is(err, desk.ErrForbidden):
		return Problem{Title: "Forbidden", Status: http.StatusForbidden, Detail: err.Error()}
	case errors.Is(err, store.ErrBadFilter):
		return Problem{Title: "Bad Request", Status: http.StatusBadRequest, Detail: err.Error()}
	case errors.Is(err, desk.ErrInvalid):
		return Problem{Title: "Unprocessable Content", Status: http.StatusUnprocessableEntity, Detail: err.Error()}
	case errors.Is(err, desk.ErrStale): // If-Match (RFC 9110 §13.1.1)
		return Problem{Title: "Precondition Failed", Status: http.StatusPreconditionFailed,
			Detail: "the ticket changed since the ETag given in If-Match was read; read it again"}
	case errors.Is(err, desk.ErrExists), errors.Is(err, ingest.ErrHeldAgain):
		return Problem{Title: "Conflict", Status: http.StatusConflict, Detail: err.Error()}
	case errors.Is(err, store.ErrNotFound):
		return Problem{Title: "Not Found", Status: http.StatusNotFound, Detail: err.Error()}
	case errors.Is(err, store.ErrClosed), errors.Is(err, context.DeadlineExceeded):
		return Problem{Title: "Service Unavailable", Status: http.StatusServiceUnavailable,
			Detail: "the gateway is stopping or busy; try again"}
	}
	return problemOf(errInternal)
}

// problem writes err as a problem, and logs it when it is ours.
func (s *Server) problem(w http.ResponseWriter, r *http.Request, err error) {
	p := problemOf(err)
	if p.Status >= 500 {
		s.log.Error("API request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	p.Type = "about:blank"
	p.Instance = r.URL.Path
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="postdesk"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
