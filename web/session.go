package web

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
)

// Sign-in: a member asks for a link at /login; if her address is a
// member's, a one-time link (15 minutes) is mailed to her. Opening it
// shows a button that spends it: mail scanners that follow links do not
// sign anyone in. The pages before a session carry a CSRF token of their
// own, a random cookie repeated in the form (double submit), so that no
// other site can post them, nor sign a browser in to someone else's
// session.
const (
	sessionCookie = "postdesk_session"
	loginCookie   = "postdesk_login"
	linksPerHour  = 5 // per address, so that the form cannot mail-bomb a member
	// extendAfter: a session's end moves on with use, written at most
	// this often.
	extendAfter = time.Hour
)

func (s *Server) signInRoutes() {
	s.mux.HandleFunc("GET /login", s.loginForm)
	s.mux.Handle("POST /login", maxBody(maxFormBody, http.HandlerFunc(s.loginRequest)))
	s.mux.HandleFunc("GET /login/{secret}", s.loginConfirm)
	s.mux.Handle("POST /login/{secret}", maxBody(maxFormBody, http.HandlerFunc(s.loginUse)))
	s.mux.Handle("POST /login/password", maxBody(maxFormBody, http.HandlerFunc(s.loginPassword)))
	s.mux.Handle("POST /logout", maxBody(maxFormBody, s.page(s.logout)))
	s.mux.HandleFunc("GET /account", s.page(s.account))
	s.mux.Handle("POST /account/password", maxBody(maxFormBody, s.page(s.setPassword)))
}

// loginPage is the data of the sign-in pages.
type loginPage struct {
	Next, CSRF, Sent, Error string
	Email                   string // the address tried, kept in the password form
	Secret                  string // the link being confirmed
}

// PageTitle names the sign-in page.
func (loginPage) PageTitle() string { return "Sign in" }

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, loginPage{Next: safeNext(r.URL.Query().Get("next"))})
}

// loginRequest mails a sign-in link to a member. Its answer is the same
// whether or not the address is a member's, and so is its time: the
// handler only hands the address to Run, which looks it up and mails the
// link afterwards. The form tells no one who is a member.
func (s *Server) loginRequest(w http.ResponseWriter, r *http.Request) {
	if !s.loginCSRF(r) {
		s.renderLogin(w, r, http.StatusForbidden, loginPage{Error: "The form is stale: try again."})
		return
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	next := safeNext(r.PostFormValue("next"))
	select {
	case s.linkReqs <- linkRequest{email: email, next: next}:
	default:
		s.log.Warn("sign-in requests overflow: one dropped", "email", email, "queue", cap(s.linkReqs))
	}
	s.renderLogin(w, r, http.StatusOK, loginPage{Next: next, Sent: email})
}

// linkRequest is an address that asked for a sign-in link at the form.
type linkRequest struct{ email, next string }

// Run mails the sign-in links asked for at the form and, every hour,
// deletes expired sessions and links, until ctx ends. Without it running
// no link is mailed.
func (s *Server) Run(ctx context.Context) error {
	purge := time.NewTicker(time.Hour)
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case req := <-s.linkReqs:
			if err := s.mailLink(ctx, req.email, req.next); err != nil {
				s.log.Error("sign-in link not sent", "email", req.email, "err", err)
			}
		case <-purge.C:
			if err := s.st.PurgeSessions(ctx); err != nil {
				s.log.Warn("expired sessions not purged", "err", err)
			}
		}
	}
}

// mailLink sends a sign-in link to email if it is a member's address.
func (s *Server) mailLink(ctx context.Context, email, next string) error {
	members, err := s.st.Memberships(ctx, email)
	if err != nil || len(members) == 0 {
		return err
	}
	secret, ok, err := s.st.CreateLoginLink(ctx, email, desk.SignInLinkTTL, linksPerHour)
	if err != nil || !ok {
		if !ok {
			s.log.Warn("sign-in links limited", "email", email, "per_hour", linksPerHour)
		}
		return err
	}
	m := members[0]
	return s.desk.SendSignInLink(ctx, m.Property, m.Member, LoginURL(s.baseURL, secret, next))
}

// LoginURL is the address of a sign-in link of the inbox at base.
func LoginURL(base, secret, next string) string {
	u := strings.TrimRight(base, "/") + "/login/" + secret
	if next != "" && next != "/" {
		u += "?next=" + url.QueryEscape(next)
	}
	return u
}

func (s *Server) loginConfirm(w http.ResponseWriter, r *http.Request) {
	s.renderLogin(w, r, http.StatusOK, loginPage{Secret: r.PathValue("secret"), Next: safeNext(r.URL.Query().Get("next"))})
}

// loginUse spends a link and signs the browser in.
func (s *Server) loginUse(w http.ResponseWriter, r *http.Request) {
	if !s.loginCSRF(r) {
		s.renderLogin(w, r, http.StatusForbidden, loginPage{Secret: r.PathValue("secret"), Error: "The form is stale: try again."})
		return
	}
	_, secret, err := s.st.UseLoginLink(r.Context(), r.PathValue("secret"), s.ttl)
	if errors.Is(err, store.ErrLinkUsed) {
		s.renderLogin(w, r, http.StatusGone, loginPage{Error: "This link was used already or has expired: ask for a new one."})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, r, sessionCookie, secret, s.ttl)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(c *call) error {
	if err := s.st.EndSession(c.r.Context(), c.sess.ID); err != nil {
		return err
	}
	s.setCookie(c.w, c.r, sessionCookie, "", -1)
	http.Redirect(c.w, c.r, "/login", http.StatusSeeOther)
	return nil
}

// session returns the browser's live session, moving its end on with use.
func (s *Server) session(r *http.Request) (store.Session, bool, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return store.Session{}, false, nil
	}
	sess, ok, err := s.st.SessionBySecret(r.Context(), ck.Value)
	if err != nil || !ok {
		return sess, ok, err
	}
	if now := s.now(); now.Sub(sess.SeenAt) > extendAfter {
		if err := s.st.ExtendSession(r.Context(), sess.ID, now.Add(s.ttl)); err != nil {
			s.log.Warn("session not extended", "err", err)
		}
	}
	return sess, true, nil
}

// SessionEmail is the signed-in member's address of a request, for the
// API's reads and live stream (webapi.Options.Session).
func (s *Server) SessionEmail(r *http.Request) (string, bool) {
	sess, ok, err := s.session(r)
	if err != nil {
		s.log.Warn("session lookup failed", "err", err)
	}
	return sess.Email, ok && err == nil
}

// renderLogin renders a sign-in page with a fresh pre-session CSRF token.
func (s *Server) renderLogin(w http.ResponseWriter, r *http.Request, status int, p loginPage) {
	p.CSRF = strings.ToLower(rand.Text())
	s.setCookie(w, r, loginCookie, p.CSRF, time.Hour)
	c := &call{s: s, w: w, r: r}
	if err := c.render(status, "login", p); err != nil {
		s.fail(w, r, err)
	}
}

// loginCSRF checks the double-submitted token of a sign-in form.
func (s *Server) loginCSRF(r *http.Request) bool {
	ck, err := r.Cookie(loginCookie)
	got := r.PostFormValue("csrf")
	return err == nil && ck.Value != "" && subtle.ConstantTimeCompare([]byte(ck.Value), []byte(got)) == 1
}

// setCookie sets an HttpOnly, SameSite=Lax cookie for the whole site,
// Secure when the inbox is reached over TLS (directly, or by its public
// https address behind a proxy). maxAge < 0 deletes it.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge time.Duration) {
	ck := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil || strings.HasPrefix(s.baseURL, "https://")}
	if maxAge < 0 {
		ck.MaxAge = -1
	} else {
		ck.MaxAge = int(maxAge.Seconds())
	}
	http.SetCookie(w, ck)
}

// safeNext keeps a redirect target on this site: a path, never another
// host ("//evil.example", "https://…", "/\\evil").
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsFunc(next, unsafeInNext) {
		return "/"
	}
	return next
}

// unsafeInNext: a backslash, which browsers read as a slash, and control
// characters, which they drop from a URL (WHATWG URL: tab and newlines are
// removed), so that "/\t/evil.example" would become "//evil.example".
func unsafeInNext(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f }
