package webapi

import (
	"net/http"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// call is one request in hand: who calls, and, on a property's route, the
// property and the caller's membership of it.
type call struct {
	s *Server
	w http.ResponseWriter
	r *http.Request

	email   string             // the caller's address: her token's, or her session's
	token   store.Token        // the caller's token (zero for a session)
	members []store.Membership // every property of the token's address
	prop    ticket.Property    // the property in the path ({prop}), if any
	member  ticket.Member      // the caller in prop
}

// actor is the caller as the desk's operations see her.
func (c *call) actor() desk.Actor { return desk.AsMember(c.member) }

// isAdmin reports whether the caller is an admin of the path's property.
func (c *call) isAdmin() bool { return c.member.Role == ticket.RoleAdmin }
