package webapi

import (
	"net/http"
	"strconv"

	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/ticket"
)

// heldRoutes are the mail a property accepted but did not post (held),
// and what its outbound mail learned from bounces: the bounces themselves
// and the addresses no mail goes to (`held`, `bounce list`, `suppression`
// on the command line). The desk decides who may release, discard and
// clear (desk/held.go): any member reads and discards, admins release and
// clear.
func (s *Server) heldRoutes() []route {
	const p = "/api/properties/{prop}"
	return []route{
		{Route: Route{Method: "GET", Path: p + "/held", Summary: "Held mail, newest first: waiting for a judgement, or all of it",
			Query:    []Param{{Name: "all", Type: "boolean", Doc: "also the released and discarded mail"}},
			Response: []ticket.HeldMail{}}, access: member, h: s.listHeld},
		{Route: Route{Method: "GET", Path: p + "/held/{id}", Summary: "One held mail: why it was held, its envelope, the command lines at the top of its text",
			Response: heldView{}}, access: member, h: s.getHeld},
		{Route: Route{Method: "GET", Path: p + "/held/{id}/raw", Summary: "The held mail's bytes as received",
			Produces: "message/rfc822"}, access: member, h: s.heldRaw},
		{Route: Route{Method: "POST", Path: p + "/held/{id}/release", Summary: "Run held mail through the gateway again, the rule that held it letting it pass (admins: it may post as a member); 409 if it was held again", Conflict: true,
			Request: heldRelease{}, Response: heldReleased{}}, access: admin, h: s.releaseHeld},
		{Route: Route{Method: "POST", Path: p + "/held/{id}/discard", Summary: "Keep held mail out for good; its bytes stay for the record",
			Response: ticket.HeldMail{}}, access: member, h: s.discardHeld},
		{Route: Route{Method: "GET", Path: p + "/suppressions", Summary: "The addresses no mail goes to, and why",
			Response: []ticket.Suppression{}}, access: member, h: s.listSuppressions},
		{Route: Route{Method: "DELETE", Path: p + "/suppressions/{address}", Summary: "Let mail go to a suppressed address again (admins: it overrides a permanent failure or a complaint)"},
			access: admin, h: s.clearSuppression},
		{Route: Route{Method: "GET", Path: p + "/bounces", Summary: "Every bounce received: delivery reports (RFC 3464), abuse reports (RFC 5965), failure notices, verified or not",
			Response: []ticket.Bounce{}}, access: member, h: s.listBounces},
	}
}

func (s *Server) listHeld(c *call) error {
	all, err := boolQuery(c, "all")
	if err != nil {
		return err
	}
	l, err := s.st.Held(c.r.Context(), c.prop.ID, all)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

// heldView is one held mail and the command lines at the top of its text,
// which a release applies only with with_commands.
type heldView struct {
	ticket.HeldMail
	Commands []string `json:"commands"`
}

// heldMail is the held mail of the path's {id} in the path's property,
// with its raw bytes.
func (s *Server) heldMail(c *call) (ticket.HeldMail, []byte, error) {
	id, err := c.pathInt("id")
	if err != nil {
		return ticket.HeldMail{}, nil, err
	}
	return s.st.HeldRaw(c.r.Context(), c.prop.ID, id)
}

func (s *Server) getHeld(c *call) error {
	h, raw, err := s.heldMail(c)
	if err != nil {
		return err
	}
	commands, err := ingest.HeldCommands(raw)
	if err != nil {
		return err
	}
	return c.ok(heldView{HeldMail: h, Commands: nonNil(commands)})
}

func (s *Server) heldRaw(c *call) error {
	h, raw, err := s.heldMail(c)
	if err != nil {
		return err
	}
	return c.download(raw, "message/rfc822", "held-"+strconv.FormatInt(h.ID, 10)+".eml")
}

// heldRelease asks for a release.
type heldRelease struct {
	// WithCommands lets a member's mail apply the command lines it
	// carries (#cc, #close, ...); without it they are kept as a note.
	WithCommands bool `json:"with_commands,omitempty"`
}

// heldReleased is what a release did: the held mail as it now is, and
// the ticket it reached (0: none).
type heldReleased struct {
	Held   ticket.HeldMail `json:"held"`
	Ticket int64           `json:"ticket,omitempty"`
}

func (s *Server) releaseHeld(c *call) error {
	var in heldRelease
	if c.r.ContentLength != 0 {
		if err := c.readJSON(&in); err != nil {
			return err
		}
	}
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	if s.held == nil {
		return errInternal
	}
	n, err := s.desk.ReleaseHeld(c.r.Context(), c.prop, c.actor(), id, in.WithCommands, s.held.ReleaseFunc(c.prop))
	if err != nil {
		return err
	}
	h, err := s.st.HeldByID(c.r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	return c.ok(heldReleased{Held: h, Ticket: n})
}

func (s *Server) discardHeld(c *call) error {
	id, err := c.pathInt("id")
	if err != nil {
		return err
	}
	if err := s.desk.DiscardHeld(c.r.Context(), c.prop, c.actor(), id); err != nil {
		return err
	}
	h, err := s.st.HeldByID(c.r.Context(), c.prop.ID, id)
	if err != nil {
		return err
	}
	return c.ok(h)
}

func (s *Server) listSuppressions(c *call) error {
	l, err := s.st.Suppressions(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

func (s *Server) clearSuppression(c *call) error {
	if err := s.desk.ClearSuppression(c.r.Context(), c.prop, c.actor(), c.r.PathValue("address")); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listBounces(c *call) error {
	l, err := s.st.PropertyBounces(c.r.Context(), c.prop.ID)
	if err != nil {
		return err
	}
	return c.ok(nonNil(l))
}

// boolQuery reads a boolean query parameter (absent: false).
func boolQuery(c *call, name string) (bool, error) {
	v := c.r.URL.Query().Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, badRequest("%s %q: want true or false", name, v)
	}
	return b, nil
}
