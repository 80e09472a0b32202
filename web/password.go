package web

import (
	"errors"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/postdesk/postdesk/desk"
)

// Sign-in by password, for a member who set one (at /account or with
// `postdesk member password`). Failed tries are limited per address and
// per client address, the same for unknown addresses as for members', so
// that neither guessing nor the answers tell who is a member.
const (
	failsPerAddress = 10 // failed tries per address within failWindow
	failsPerClient  = 30 // failed tries per client IP within failWindow
	failWindow      = time.Hour
	maxTracked      = 10000 // addresses and clients remembered before old ones are dropped
)

// limiter counts failures per key within a window. It lives in the
// Server (one per inbox), in memory: a restart forgets it.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration) *limiter {
	return &limiter{max: max, window: window, fails: map[string][]time.Time{}}
}

// blocked reports whether key has failed max times within the window.
func (l *limiter) blocked(key string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.recent(key, now)) >= l.max
}

// fail records a failure of key.
func (l *limiter) fail(key string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fails) >= maxTracked {
		for k := range l.fails {
			if len(l.recent(k, now)) == 0 {
				delete(l.fails, k)
			}
		}
	}
	l.fails[key] = append(l.recent(key, now), now)
}

// recent returns key's failures within the window; l.mu is held.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= l.window {
		i++
	}
	if i == len(ts) {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts[i:]
	return ts[i:]
}

// clientIP is the address the request came from. A proxy's
// X-Forwarded-For is not trusted: behind one, its address is the client's.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// loginPassword signs a member in with her address and password.
func (s *Server) loginPassword(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	if !s.loginCSRF(r) {
		s.renderLogin(w, r, http.StatusForbidden, loginPage{Next: next, Error: "The form is stale: try again."})
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	ip, now := clientIP(r), s.now()
	if s.byAddress.blocked(email, now) || s.byClient.blocked(ip, now) {
		s.log.Warn("password sign-in limited", "email", email, "ip", ip)
		s.renderLogin(w, r, http.StatusTooManyRequests, loginPage{Next: next, Email: email,
			Error: "Too many failed tries: wait an hour, or sign in with a link by mail."})
		return
	}
	ok, err := s.desk.CheckPassword(r.Context(), email, r.PostFormValue("password"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !ok {
		s.byAddress.fail(email, now)
		s.byClient.fail(ip, now)
		s.log.Info("password sign-in failed", "email", email, "ip", ip)
		s.renderLogin(w, r, http.StatusUnauthorized, loginPage{Next: next, Email: email,
			Error: "Wrong address or password."})
		return
	}
	_, secret, err := s.st.CreateSession(r.Context(), email, s.ttl)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, r, sessionCookie, secret, s.ttl)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// accountPage is the signed-in member's own page.
type accountPage struct {
	Email, CSRF, Done, Error string
	Min                      int
}

// PageTitle names the account page.
func (accountPage) PageTitle() string { return "Account" }

func (s *Server) account(c *call) error {
	return c.render(http.StatusOK, "account", accountPage{Email: c.sess.Email, CSRF: c.sess.CSRF, Min: minPassword})
}

// setPassword sets the member's password and signs out her other
// sessions (desk.SetPassword), keeping this one.
func (s *Server) setPassword(c *call) error {
	pw, again := c.r.PostFormValue("password"), c.r.PostFormValue("again")
	page := accountPage{Email: c.sess.Email, CSRF: c.sess.CSRF, Min: minPassword}
	if pw != again {
		page.Error = "The two passwords differ."
		return c.render(http.StatusUnprocessableEntity, "account", page)
	}
	if err := s.desk.SetPassword(c.r.Context(), c.sess.Email, pw, c.sess.ID); err != nil {
		if page.Error = deskMessage(err); page.Error == "" {
			return err
		}
		return c.render(http.StatusUnprocessableEntity, "account", page)
	}
	page.Done = "Your password is set; your other sessions are signed out."
	return c.render(http.StatusOK, "account", page)
}

// minPassword is shown on the account page.
const minPassword = desk.PasswordMin

// deskMessage is the message of a desk's refusal of bad input, else "".
func deskMessage(err error) string {
	if errors.Is(err, desk.ErrInvalid) {
		return err.Error()
	}
	return ""
}
