package webapi

import (
	"context"
	"net/http"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// propertyRoutes are the routes about properties themselves.
func (s *Server) propertyRoutes() []route {
	return []route{
		{Route: Route{Method: "GET", Path: "/api/properties", Summary: "The properties the caller is a member of, with her role in each",
			Response: []membershipView{}}, access: member, h: s.listProperties},
		{Route: Route{Method: "GET", Path: "/api/properties/{prop}", Summary: "A property: its addresses and settings",
			Response: ticket.Property{}}, access: member, h: s.getProperty},
	}
}

// membershipView is a property and the caller's role in it.
type membershipView struct {
	Property ticket.Property `json:"property"`
	Role     ticket.Role     `json:"role"`
}

func (s *Server) listProperties(c *call) error {
	out := make([]membershipView, 0, len(c.members))
	for _, m := range c.members {
		out = append(out, membershipView{Property: m.Property, Role: m.Member.Role})
	}
	return c.ok(out)
}

func (s *Server) getProperty(c *call) error { return c.ok(c.prop) }

// healthRoutes answer load balancers and orchestrators.
func (s *Server) healthRoutes() []route {
	return []route{
		{Route: Route{Method: "GET", Path: "/healthz", Summary: "The process is up", Produces: "text/plain"},
			access: public, h: func(c *call) error { return c.text(http.StatusOK, "ok\n") }},
		{Route: Route{Method: "GET", Path: "/readyz", Summary: "The gateway takes mail: its database answers", Produces: "text/plain"},
			access: public, h: s.readyz},
	}
}

// readyTimeout bounds a readiness check: a database that takes longer to
// commit is not ready, and probes must not pile up behind a lock.
const readyTimeout = 2 * time.Second

// metricsRoutes serve the metrics (Options.Metrics), if there are any.
func (s *Server) metricsRoutes() []route {
	if s.metrics == nil {
		return nil
	}
	return []route{
		{Route: Route{Method: "GET", Path: "/metrics", Summary: "Metrics in the Prometheus text format (README: Metrics and health)",
			Produces: "text/plain; version=0.0.4"}, access: public,
			h: func(c *call) error { s.metrics.ServeHTTP(c.w, c.r); return nil }},
	}
}

func (s *Server) readyz(c *call) error {
	check := s.ready
	if check == nil {
		check = s.st.Ping
	}
	ctx, cancel := context.WithTimeout(c.r.Context(), readyTimeout)
	defer cancel()
	if err := check(ctx); err != nil {
		s.log.Warn("not ready", "err", err)
		return c.text(http.StatusServiceUnavailable, "not ready: "+err.Error()+"\n")
	}
	return c.text(http.StatusOK, "ready\n")
}

// text answers a line of plain text.
func (c *call) text(status int, s string) error {
	c.w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	c.w.WriteHeader(status)
	_, err := c.w.Write([]byte(s))
	return err
}
