package web

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// call is one request of a signed-in member: her session and properties
// and, on a property's page, the property and her membership of it.
type call struct {
	s       *Server
	w       http.ResponseWriter
	r       *http.Request
	sess    store.Session
	members []store.Membership
	prop    ticket.Property
	member  ticket.Member
}

// actor is the member as the desk's operations see her.
func (c *call) actor() desk.Actor { return desk.AsMember(c.member) }

// page wraps a handler that needs a signed-in member: without a session
// it sends the browser to the sign-in page, and back afterwards. Every
// POST must carry the session's CSRF token.
func (s *Server) page(fn func(*call) error) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w = &timed{ResponseWriter: w, start: time.Now()}
		defer func() {
			if p := recover(); p != nil {
				s.log.Error("panic in web handler", "path", r.URL.Path, "panic", p, "stack", string(debug.Stack()))
				s.fail(w, r, errInternal)
			}
		}()
		c := &call{s: s, w: w, r: r}
		sess, ok, err := s.session(r)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		if !ok {
			next := r.URL.RequestURI()
			if r.Method != http.MethodGet {
				next = "/"
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(next), http.StatusSeeOther)
			return
		}
		c.sess = sess
		if r.Method == http.MethodPost && !validCSRF(r, sess.CSRF) {
			s.fail(w, r, errForbidden("the form is stale or came from another site: reload the page and try again"))
			return
		}
		if c.members, err = s.st.Memberships(r.Context(), sess.Email); err != nil {
			s.fail(w, r, err)
			return
		}
		if err := fn(c); err != nil {
			s.fail(w, r, err)
		}
	}
}

// handle registers a page of a property (its path holds {prop}): a member
// of another property finds nothing there. A form posted to it is read up
// to maxFormBody (the routes that take files bound their bodies
// themselves, with maxBody).
func (s *Server) handle(pattern string, fn func(*call) error) {
	s.mux.Handle(pattern, maxBody(maxFormBody, s.propPage(fn)))
}

// maxFormBody bounds a form without files: the desk's longest text and
// room for the other fields. Without a bound, net/http reads a multipart
// body of any size, its files to temporary files on the gateway's disk.
const maxFormBody = desk.MaxText + 64<<10

// propPage is the handler of a property's page, for handle and for the
// routes that wrap it (a bound on the body).
func (s *Server) propPage(fn func(*call) error) http.HandlerFunc {
	return s.page(func(c *call) error {
		m, ok := membership(c.members, c.r.PathValue("prop"))
		if !ok {
			return errNotFound
		}
		c.prop, c.member = m.Property, m.Member
		return fn(c)
	})
}

// validCSRF checks a POST's CSRF token (form field "csrf", or the header
// X-CSRF-Token for the page's script) against the session's.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" {
		got = r.PostFormValue("csrf")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// pageError is an error shown as a page with its status.
type pageError struct {
	status int
	msg    string
}

func (e *pageError) Error() string { return e.msg }

var (
	errNotFound = &pageError{http.StatusNotFound, "Not found."}
	errInternal = &pageError{http.StatusInternalServerError, "Something failed on our side; the gateway's log says what."}
)

func errForbidden(msg string) error { return &pageError{http.StatusForbidden, msg} }

// fail shows an error as a page: the desk's refusals in their own words,
// anything else as a failure of ours (logged, not shown).
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	status, msg := http.StatusInternalServerError, errInternal.msg
	var pe *pageError
	switch {
	case errors.As(err, &pe):
		status, msg = pe.status, pe.msg
	case errors.Is(err, desk.ErrForbidden):
		status, msg = http.StatusForbidden, err.Error()
	case errors.Is(err, desk.ErrInvalid):
		status, msg = http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, desk.ErrExists):
		status, msg = http.StatusConflict, err.Error()
	case errors.Is(err, store.ErrNotFound):
		status, msg = http.StatusNotFound, err.Error()
	}
	if status >= 500 {
		s.log.Error("web request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	var b bytes.Buffer
	if err := s.pages["message"].ExecuteTemplate(&b, "layout", layoutData{Title: http.StatusText(status),
		Body: messagePage{Title: http.StatusText(status), Text: msg, Back: true}}); err != nil {
		http.Error(w, msg, status)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

// messagePage is a page that says one thing.
type messagePage struct {
	Title, Text string
	Back        bool // offer a link back
}

// formInt reads a positive integer form or path value.
func formInt(v string) (int64, bool) {
	n, err := strconv.ParseInt(strings.TrimPrefix(strings.TrimSpace(v), "#"), 10, 64)
	return n, err == nil && n > 0
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// timed adds the server's time of a page to its answer (Server-Timing,
// W3C Server Timing §3): "app;dur=12.3" in milliseconds, from the start of
// the page's handler to its first byte, for the browser's developer tools
// and `postdesk webload`.
type timed struct {
	http.ResponseWriter
	start time.Time
	done  bool
}

func (t *timed) WriteHeader(status int) {
	if !t.done {
		t.done = true
		ms := float64(time.Since(t.start).Microseconds()) / 1000
		t.Header().Set("Server-Timing", "app;dur="+strconv.FormatFloat(ms, 'f', 1, 64))
	}
	t.ResponseWriter.WriteHeader(status)
}

func (t *timed) Write(b []byte) (int, error) {
	if !t.done {
		t.WriteHeader(http.StatusOK)
	}
	return t.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (t *timed) Unwrap() http.ResponseWriter { return t.ResponseWriter }
