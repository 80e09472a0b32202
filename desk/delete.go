package desk

import "github.com/postdesk/postdesk/ticket"

// Delete puts t in the Deleted folder: hidden from the default lists, kept
// whole. Only admins delete (a guide teams follow says to close as resolved
// or cancelled instead). A customer writing to a deleted ticket opens a new
// ticket linked to it (threading.CustomerReply).
func (o *Op) Delete(t *ticket.Ticket) error {
	if !o.Actor.IsAdmin() {
		return forbidden("%s: only admins may delete a ticket; close it as resolved or cancelled instead", o.Actor)
	}
	if t.MergedInto != 0 {
		return invalid("%s was merged into another ticket", t.Ref())
	}
	if t.Status == ticket.StatusDeleted {
		return nil
	}
	return o.SetStatus(t, ticket.StatusDeleted, "deleted by "+o.Actor.String())
}

// Undelete brings a deleted ticket back, open.
func (o *Op) Undelete(t *ticket.Ticket) error {
	if !o.Actor.IsAdmin() {
		return forbidden("%s: only admins may undelete a ticket", o.Actor)
	}
	if t.Status != ticket.StatusDeleted {
		return invalid("%s is not deleted", t.Ref())
	}
	return o.SetStatus(t, ticket.StatusOpen, "undeleted by "+o.Actor.String())
}

// Hidden reports whether tickets of status s are left out of a list that
// names no status: the Deleted and Spam folders are shown only when asked.
func Hidden(s ticket.Status) bool {
	return s == ticket.StatusDeleted || s == ticket.StatusSpam
}
