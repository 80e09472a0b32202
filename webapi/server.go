// Package webapi serves postdesk's HTTP API: JSON over net/http.ServeMux
// method patterns, for the web inbox and for the tools a team already runs.
//
// Every route is declared once, in a route table (routes), with what the
// OpenAPI document says about it and who may call it: the public health
// routes, any member's token, or an admin's of the property in the path.
// A token belongs to an address and acts as that member in each property
// she belongs to; another property's data is not found (404), and an
// agent calling an admin's route is refused (403).
//
// Ticket operations go through the desk (package desk), as the CLI's and
// email commands do, each with the calling member as its actor. Errors are
// RFC 9457 problem details, mapped from the desk's and the store's errors
// in one function (problem.go). A ticket carries an ETag; a change that
// sends If-Match with a stale one gets 412 (RFC 9110 §13.1.1).
package webapi

import (
	"context"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/hook"
	"github.com/postdesk/postdesk/store"
)

// Options configures a Server.
type Options struct {
	Store *store.Store
	Desk  *desk.Desk
	// Held runs held mail through the pipeline again (ingest.Pipeline).
	Held desk.HeldReleaser
	// Metrics serves /metrics; nil: not served.
	Metrics http.Handler
	// Ready reports whether the gateway takes mail (/readyz); nil: the
	// store is asked.
	Ready func(context.Context) error
	// Webhooks sends the test events of POST .../webhooks/{id}/test; nil:
	// a sender of its own on Store.
	Webhooks *hook.Sender
	// Session, when set, identifies a signed-in browser of the web inbox
	// (its address); it is asked on GET requests that carry no token.
	Session func(*http.Request) (email string, ok bool)
	// Now is the clock; nil means time.Now.
	Now    func() time.Time
	Logger *slog.Logger
	// MaxBodyBytes caps a request's body (uploads included); 0: 32 MiB.
	MaxBodyBytes int64
	// AnswerRecipients is the most addresses one answer may go to (the
	// setting answer-recipient-limit); 0: desk.DefaultRecipientsPerAnswer.
	AnswerRecipients int
}

// Server is the HTTP API.
type Server struct {
	st      *store.Store
	desk    *desk.Desk
	held    desk.HeldReleaser
	metrics http.Handler
	ready   func(context.Context) error
	session func(*http.Request) (string, bool)
	now     func() time.Time
	log     *slog.Logger
	maxBody int64
	hooks   *hook.Sender
	streams streamCount // live event streams open, per token (events.go)
	routes  []route
	mux     *http.ServeMux
	openapi []byte // the OpenAPI document of routes (openapi.go)

	answerRcpts int // see Options.AnswerRecipients
}

// New returns the API server with every route registered.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.MaxBodyBytes == 0 {
		o.MaxBodyBytes = 32 << 20
	}
	if o.Webhooks == nil {
		o.Webhooks = hook.New(hook.Options{Store: o.Store, Now: o.Now, Logger: o.Logger})
	}
	s := &Server{st: o.Store, desk: o.Desk, held: o.Held, metrics: o.Metrics, ready: o.Ready, session: o.Session, now: o.Now,
		log: o.Logger, maxBody: o.MaxBodyBytes, answerRcpts: o.AnswerRecipients, hooks: o.Webhooks, mux: http.NewServeMux()}
	for _, r := range s.table() {
		s.register(r)
	}
	s.mux.HandleFunc(unrouted, s.unrouted)
	doc, err := openAPI(s.Routes())
	if err != nil {
		panic(err) // a route table routing one route twice; ServeMux panics on it too
	}
	s.openapi = doc
	return s
}

// Handler is the API's handler.
func (s *Server) Handler() http.Handler { return s.mux }

// Routes lists the routes served, for the OpenAPI document and its test.
func (s *Server) Routes() []Route {
	out := make([]Route, 0, len(s.routes))
	for _, r := range s.routes {
		out = append(out, r.Route)
	}
	return out
}

// access says who may call a route.
type access int

const (
	public access = iota // no token: health checks, the OpenAPI document
	member               // any member's token; property routes: a member of it
	admin                // an admin of the property in the path
)

// Route is what the API documents about a route.
type Route struct {
	Method  string // GET, POST, PATCH, PUT, DELETE
	Path    string // a ServeMux pattern's path: /api/properties/{prop}/tickets
	Summary string
	Access  string // "public", "member" or "admin"
	// Query lists the query parameters.
	Query []Param
	// Request and Response are values of the body types, for the schema
	// (nil: no JSON body). Upload says the request may be multipart.
	Request  any
	Response any
	Upload   bool
	// Produces is the response's media type when it is not JSON.
	Produces string
	// Conflict says the route may answer 409: what it adds exists
	// already, or what it does was done already.
	Conflict bool
	// Limited says the route may answer 429 with Retry-After: the caller
	// holds as many of it at once as she may.
	Limited bool
}

// Param is a documented query parameter.
type Param struct {
	Name, Type, Doc string
}

// route is a Route and its handler.
type route struct {
	Route
	access access
	h      func(*call) error
}

// register adds a route to the mux behind authentication and the error
// mapping.
func (s *Server) register(r route) {
	r.Access = [...]string{"public", "member", "admin"}[r.access]
	s.routes = append(s.routes, r)
	s.mux.HandleFunc(r.Method+" "+r.Path, func(w http.ResponseWriter, req *http.Request) {
		s.serve(w, req, r)
	})
}

// unrouted is the pattern of every path under /api/ no route has: any
// method, so that it answers, as a problem, what ServeMux would answer in
// plain text. Every route's pattern is more specific, so it is asked only
// when no route matches the request's method and path.
const unrouted = "/api/"

// unrouted answers a request no route takes: 405 Method Not Allowed with
// Allow when routes take its path with other methods (RFC 9110 §15.5.6),
// else 404 Not Found; both as problem details (RFC 9457), as every other
// error of the API. A pattern that takes any method would otherwise hide
// the 405 ServeMux gives by itself.
func (s *Server) unrouted(w http.ResponseWriter, req *http.Request) {
	var allow []string // of the methods a route may have; a GET route answers HEAD too
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := &http.Request{Method: m, URL: req.URL, Host: req.Host, Header: http.Header{}}
		if _, pattern := s.mux.Handler(probe); pattern != "" && pattern != unrouted {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.problem(w, req, &apiError{status: http.StatusNotFound, title: "Not Found",
			detail: "the API has no route " + req.URL.Path})
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.problem(w, req, &apiError{status: http.StatusMethodNotAllowed, title: "Method Not Allowed",
		detail: req.Method + " is not a method of " + req.URL.Path + "; Allow lists those that are"})
}

// serve runs one request: it authenticates, resolves the property in the
// path, calls the handler and writes its error as a problem.
func (s *Server) serve(w http.ResponseWriter, req *http.Request, r route) {
	start := s.now()
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("panic in API handler", "route", r.Method+" "+r.Path, "panic", p, "stack", string(debug.Stack()))
			s.problem(w, req, errInternal)
		}
	}()
	req.Body = http.MaxBytesReader(w, req.Body, s.maxBody)
	c := &call{s: s, w: w, r: req}
	err := s.authorize(c, r.access)
	if err == nil {
		err = r.h(c)
	}
	if err != nil {
		s.problem(w, req, err)
	}
	s.log.Debug("api", "method", req.Method, "path", req.URL.Path, "route", r.Path, "err", err,
		"ms", s.now().Sub(start).Milliseconds())
}

// Serves reports whether one of the API's routes takes the request (by
// path; a wrong method is still the API's, answered 405), so that one
// address can serve the API beside the web inbox.
func (s *Server) Serves(r *http.Request) bool {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		return true
	}
	return strings.HasPrefix(r.URL.Path, "/api/")
}
