package desk

import (
	"context"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TicketView is one ticket with all it holds: what `postdesk ticket show`
// prints, the API's GET /api/properties/{prop}/tickets/{n} answers and the
// web inbox's ticket page shows. Its JSON names are the API's.
type TicketView struct {
	Ticket ticket.Ticket `json:"ticket"`
	// Participants are the requester and the Cc'd contacts: everyone an
	// agent's answer goes to.
	Participants []ticket.Contact `json:"participants"`
	Messages     []ticket.Message `json:"messages"`
	Events       []ticket.Event   `json:"events"`
	Bounces      []ticket.Bounce  `json:"bounces"`
	// MergedInto is the ticket this one was merged into, if it was.
	MergedInto *ticket.Ticket `json:"merged_into,omitempty"`
	// ETag is the ticket's entity tag (ETag): the API's header, the
	// web forms' condition.
	ETag string `json:"-"`
}

// ReadTicketHead reads ticket n of property prop with its custom fields,
// its participants and its ETag: enough to answer a conditional GET
// (RFC 9110 §13.1.2) before reading the rest with ReadRest.
func ReadTicketHead(ctx context.Context, st *store.Store, prop ticket.Property, n int64) (TicketView, error) {
	var v TicketView
	var err error
	if v.Ticket, err = st.Ticket(ctx, prop.Slug, n); err != nil {
		return v, err
	}
	if v.Ticket.Fields, err = st.FieldValues(ctx, prop.ID, ticket.FieldForTicket, v.Ticket.ID); err != nil {
		return v, err
	}
	if v.Participants, err = st.TicketParticipants(ctx, v.Ticket.ID); err != nil {
		return v, err
	}
	marks, err := st.TicketMarks(ctx, v.Ticket.ID)
	if err != nil {
		return v, err
	}
	v.ETag, err = ETag(v.Ticket, v.Participants, marks)
	return v, err
}

// ReadRest reads what ReadTicketHead left: the ticket merged into, the
// messages, the events and the bounces.
func (v *TicketView) ReadRest(ctx context.Context, st *store.Store) error {
	var err error
	if v.Ticket.MergedInto != 0 {
		into, err := st.TicketByID(ctx, v.Ticket.MergedInto)
		if err != nil {
			return err
		}
		v.MergedInto = &into
	}
	if v.Messages, err = st.Messages(ctx, v.Ticket.ID); err != nil {
		return err
	}
	if v.Events, err = st.Events(ctx, v.Ticket.ID); err != nil {
		return err
	}
	v.Bounces, err = st.Bounces(ctx, v.Ticket.ID)
	return err
}

// ReadTicket reads ticket n of property prop whole: ReadTicketHead, then
// ReadRest.
func ReadTicket(ctx context.Context, st *store.Store, prop ticket.Property, n int64) (TicketView, error) {
	v, err := ReadTicketHead(ctx, st, prop, n)
	if err != nil {
		return v, err
	}
	return v, v.ReadRest(ctx, st)
}
