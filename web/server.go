// Package web serves the web inbox agents work in: pages made with
// html/template, embedded with their stylesheet and a little plain
// JavaScript (no build step), on the HTTP address of the API.
//
// A member signs in with a one-time link mailed to her (session.go); her
// browser then holds a session cookie (HttpOnly, SameSite=Lax, Secure when
// served over TLS) and every form carries the session's CSRF token, checked
// on every POST. Pages live under /p/{prop}/ for each property she belongs
// to; another property's pages are not found. Every change a page makes is
// a desk operation with the member as its actor, as the CLI's, the API's
// and email commands' are. Live updates come from the API's event stream
// (GET /api/events), which accepts the session on GET.
package web

import (
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Options configures the web inbox.
type Options struct {
	Store *store.Store
	Desk  *desk.Desk
	// Held runs held mail through the pipeline again when an admin
	// releases it (*ingest.Pipeline); nil: releasing fails.
	Held desk.HeldReleaser
	// Webhooks sends an endpoint's test event (*hook.Sender); nil: the
	// admin page offers no test.
	Webhooks *hook.Sender
	// BaseURL is the inbox's address as members reach it, for the links
	// mailed to them (https://desk.example.com).
	BaseURL string
	// SessionTTL is how long a session lasts unused; 0: 14 days.
	SessionTTL time.Duration
	Now        func() time.Time
	Logger     *slog.Logger
	// AnswerRecipients caps the recipients of an answer, as the API's
	// (desk.Op.Reply); 0: the desk's default.
	AnswerRecipients int
}

// Server is the web inbox.
type Server struct {
	st      *store.Store
	desk    *desk.Desk
	held    desk.HeldReleaser
	hooks   *hook.Sender
	baseURL string
	ttl     time.Duration
	now     func() time.Time
	log     *slog.Logger
	pages   map[string]*template.Template
	mux     *http.ServeMux

	answerRcpts int
	// Failed password sign-ins, per address and per client IP.
	byAddress, byClient *limiter
	linkReqs            chan linkRequest // to Run
}

// New returns the web inbox with its pages parsed and its routes set.
func New(o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.SessionTTL == 0 {
		o.SessionTTL = 14 * 24 * time.Hour
	}
	s := &Server{st: o.Store, desk: o.Desk, held: o.Held, hooks: o.Webhooks, baseURL: o.BaseURL, ttl: o.SessionTTL, now: o.Now, log: o.Logger,
		mux: http.NewServeMux(), answerRcpts: o.AnswerRecipients, byAddress: newLimiter(failsPerAddress, failWindow),
		byClient: newLimiter(failsPerClient, failWindow), linkReqs: make(chan linkRequest, 256)}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, err := fs.Sub(staticFiles, "static")
	if err != nil {
		return nil, err
	}
	s.mux.Handle("GET /static/", http.StripPrefix("/static/", cacheFor(time.Hour, http.FileServerFS(static))))
	s.routes()
	return s, nil
}

// Handler is the web inbox's handler, with the headers every page gets.
func (s *Server) Handler() http.Handler { return secureHeaders(s.mux) }

// routes registers every page. Each group lives beside its handlers.
func (s *Server) routes() {
	s.mux.HandleFunc("GET /{$}", s.page(s.home))
	s.signInRoutes()
	s.handle("GET /p/{prop}/{$}", s.inbox)
	s.handle("GET /p/{prop}/tickets", s.inbox)
	s.composeRoutes()
	s.contactRoutes()
	s.adminRoutes()
	s.ticketRoutes()
}

// secureHeaders sets the headers every answer of the inbox carries: no
// framing (clickjacking), no sniffing, no referrer leaving the site, and a
// content security policy that runs only the inbox's own script and style.
// Mail content is sanitised before it is shown (see the ticket page); the
// policy is the second wall.
func secureHeaders(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hd := w.Header()
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.ServeHTTP(w, r)
	})
}

// cacheFor lets browsers keep static files for a while.
func cacheFor(d time.Duration, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age="+itoa(int64(d.Seconds())))
		h.ServeHTTP(w, r)
	})
}

// home sends a member to her first property's inbox.
func (s *Server) home(c *call) error {
	if len(c.members) == 0 {
		return c.render(http.StatusForbidden, "message", messagePage{Title: "No property",
			Text: c.sess.Email + " is not a member of any property."})
	}
	http.Redirect(c.w, c.r, "/p/"+c.members[0].Property.Slug+"/", http.StatusSeeOther)
	return nil
}

// membership finds the caller's membership of a property by slug.
func membership(ms []store.Membership, slug string) (store.Membership, bool) {
	for _, m := range ms {
		if m.Property.Slug == slug {
			return m, true
		}
	}
	return store.Membership{}, false
}

// isAdmin reports whether the caller is an admin of the page's property.
func (c *call) isAdmin() bool { return c.member.Role == ticket.RoleAdmin }
