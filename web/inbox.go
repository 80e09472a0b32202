package web

import (
	"net/http"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// inboxPage is a list of tickets.
type inboxPage struct {
	Folder  string
	Tickets []ticket.Ticket
	Next    string
}

// PageTitle names the inbox.
func (p inboxPage) PageTitle() string { return "Inbox" }

// inbox lists a property's tickets.
func (s *Server) inbox(c *call) error {
	q := c.r.URL.Query()
	f := store.TicketFilter{PropertyID: c.prop.ID, Folder: q.Get("folder"), After: q.Get("cursor"), Limit: 50}
	page, err := s.st.ListTickets(c.r.Context(), f)
	if err != nil {
		return err
	}
	return c.render(http.StatusOK, "inbox", inboxPage{Folder: f.Folder, Tickets: page.Tickets, Next: page.Next})
}
