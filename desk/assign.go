package desk

import (
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// OpenWork lists the statuses that count as a member's open work against
// her capacity: open, answered (waiting for the customer, still hers) and
// snoozed (it comes back to her). Closed, deleted and spam tickets do not.
var OpenWork = []ticket.Status{ticket.StatusOpen, ticket.StatusAnswered, ticket.StatusSnoozed}

// route gives a new ticket without an assignee to the next member of its
// department by round-robin (store.Tx.NextInRotation: available, below
// capacity, after the one given the last ticket), and moves the rotation
// on in the same transaction. With nobody eligible the ticket stays with
// its department, whose members get the copies. Imported history, spam,
// a ticket opened by automatic mail (o.Automatic) and a ticket opened by
// hand as unassigned on purpose are not routed.
func (o *Op) route(t *ticket.Ticket) error {
	if o.Queue.Silent || o.handedOff || o.Automatic || t.AssigneeID != 0 || t.DepartmentID == 0 || t.Status == ticket.StatusSpam {
		return nil
	}
	m, found, err := o.Tx.NextInRotation(t.DepartmentID, OpenWork)
	if err != nil || !found {
		return err
	}
	if err := o.Tx.SetAssignee(t.ID, m.ID); err != nil {
		return err
	}
	if err := o.Tx.SetRotation(t.DepartmentID, m.ID); err != nil {
		return err
	}
	t.AssigneeID, t.Assignee = m.ID, m.Email
	return o.event(t, "assigned", "assigned to "+m.Email+" by round-robin")
}

// assignOnAnswer gives an unassigned ticket to the member who answers it,
// unless the property turned that off (ticket.Property.AssignOnAnswer) or
// the same operation handed it off (an agent answering with "#assign
// Sales" gives it to Sales, not to herself).
func (o *Op) assignOnAnswer(t *ticket.Ticket) error {
	if t.AssigneeID != 0 || o.handedOff || !o.Actor.IsMember() || !o.Prop().AssignOnAnswer {
		return nil
	}
	m := o.Actor.Member
	if err := o.Tx.SetAssignee(t.ID, m.ID); err != nil {
		return err
	}
	t.AssigneeID, t.Assignee = m.ID, m.Email
	return o.event(t, "assigned", "assigned to "+m.Email+" on answering")
}

// AssignDepartment moves t to a department, unassigning its member: the
// department's members are told (never the member who moved it), with the
// optional note.
func (o *Op) AssignDepartment(t *ticket.Ticket, name, note string) error {
	if err := o.Actor.team("assign a ticket"); err != nil {
		return err
	}
	d, found, err := o.Tx.DepartmentByName(o.Prop().ID, name)
	if err != nil {
		return err
	}
	if !found {
		return invalid("%s has no department %q", o.Prop().Slug, name)
	}
	if t.DepartmentID == d.ID && t.AssigneeID == 0 {
		o.handedOff = true
		return nil
	}
	if err := o.Tx.SetDepartment(t.ID, d.ID); err != nil {
		return err
	}
	if err := o.Tx.SetAssignee(t.ID, 0); err != nil {
		return err
	}
	t.DepartmentID, t.Department, t.AssigneeID, t.Assignee = d.ID, d.Name, 0, ""
	o.handedOff = true
	detail := "assigned to department " + d.Name
	if note = strings.TrimSpace(note); note != "" {
		detail += ": " + note
	}
	if err := o.event(t, "assigned", detail); err != nil {
		return err
	}
	members, err := o.Tx.DepartmentMembers(d.ID)
	if err != nil {
		return err
	}
	body := fmt.Sprintf("%s assigned %s to %s: %s", o.Actor, t.Ref(), d.Name, t.Subject)
	if note != "" {
		body += "\n\nTheir note:\n" + note
	}
	for _, m := range members {
		if o.Actor.IsMember() && o.Actor.Member.ID == m.ID {
			continue
		}
		subject := "Assigned to " + d.Name + ": " + threading.Tag(o.Prop().TagFormat, t.Number)
		if err := o.Queue.Notice(t.ID, m, subject, body); err != nil {
			return err
		}
	}
	return nil
}

// Unassign takes t from its member; it stays with its department.
func (o *Op) Unassign(t *ticket.Ticket) error {
	if err := o.Actor.team("unassign a ticket"); err != nil {
		return err
	}
	o.handedOff = true
	if t.AssigneeID == 0 {
		return nil
	}
	if err := o.Tx.SetAssignee(t.ID, 0); err != nil {
		return err
	}
	was := t.Assignee
	t.AssigneeID, t.Assignee = 0, ""
	return o.event(t, "assigned", "unassigned (was "+was+")")
}
