package desk

import (
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// AssignTo gives t to the property's member of address email (Assign),
// with an optional note: what the API's and the web inbox's forms name by
// address. An address of no member is refused in words for the caller.
func (o *Op) AssignTo(t *ticket.Ticket, email, note string) error {
	email = strings.TrimSpace(email)
	m, found, err := o.Tx.MemberByEmail(o.Prop().ID, email)
	if err != nil {
		return err
	}
	if !found {
		return invalid("assignee %s is not a member of %s", email, o.Prop().Slug)
	}
	return o.Assign(t, m, note)
}
