package desk

import (
	"fmt"

	"github.com/postdesk/postdesk/ticket"
)

// ActorKind says who acts: a member of the team, a contact (by mail), or
// postdesk itself (the scheduler, an import).
type ActorKind string

// The kinds of actor.
const (
	ActorMember  ActorKind = "member"
	ActorContact ActorKind = "contact"
	ActorSystem  ActorKind = "system"
)

// Actor is who does an operation. Every operation records its actor.
type Actor struct {
	Kind    ActorKind
	Member  ticket.Member  // ActorMember
	Contact ticket.Contact // ActorContact
	System  string         // ActorSystem: the part of postdesk ("scheduler")
}

// AsMember is a member acting.
func AsMember(m ticket.Member) Actor { return Actor{Kind: ActorMember, Member: m} }

// AsContact is a contact acting, through their mail.
func AsContact(c ticket.Contact) Actor { return Actor{Kind: ActorContact, Contact: c} }

// AsSystem is postdesk acting on its own: what names the part.
func AsSystem(what string) Actor { return Actor{Kind: ActorSystem, System: what} }

// String is what a ticket's log records as the actor: the member's or
// contact's address, or "postdesk (what)".
func (a Actor) String() string {
	switch a.Kind {
	case ActorMember:
		return a.Member.Email
	case ActorContact:
		return a.Contact.Email
	}
	return "postdesk (" + a.System + ")"
}

// IsMember reports whether the actor is a member of the team.
func (a Actor) IsMember() bool { return a.Kind == ActorMember }

// IsAdmin reports whether the actor is an admin, or postdesk itself.
func (a Actor) IsAdmin() bool {
	return a.Kind == ActorSystem || (a.Kind == ActorMember && a.Member.Role == ticket.RoleAdmin)
}

// team checks that the actor works the desk: a member, or postdesk.
func (a Actor) team(what string) error {
	if a.Kind == ActorContact {
		return forbidden("%s: only members of the team may %s", a, what)
	}
	return nil
}

// admin checks that the actor is an admin (or postdesk).
func (a Actor) admin(what string) error {
	if !a.IsAdmin() {
		return forbidden("%s: only admins may %s", a, what)
	}
	return nil
}

// check verifies that the actor belongs to prop.
func (a Actor) check(prop ticket.Property) error {
	switch {
	case a.Kind == ActorMember && a.Member.PropertyID != prop.ID:
		return forbidden("%s is not a member of %s", a.Member.Email, prop.Slug)
	case a.Kind == ActorContact && a.Contact.PropertyID != prop.ID:
		return forbidden("%s is not a contact of %s", a.Contact.Email, prop.Slug)
	case a.Kind != ActorMember && a.Kind != ActorContact && a.Kind != ActorSystem:
		return fmt.Errorf("desk: an operation without an actor")
	}
	return nil
}
