package desk

import (
	"fmt"
	"slices"
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// SetPriority changes t's priority.
func (o *Op) SetPriority(t *ticket.Ticket, p ticket.Priority) error {
	if err := o.Actor.team("change a priority"); err != nil {
		return err
	}
	if p.Rank() == 0 {
		return invalid("unknown priority %q", p)
	}
	if t.Priority == p {
		return nil
	}
	if err := o.Tx.SetPriority(t.ID, p); err != nil {
		return err
	}
	old := t.Priority
	t.Priority = p
	if err := o.event(t, "priority", fmt.Sprintf("%s → %s", old, p)); err != nil {
		return err
	}
	return o.recalcClocks(t, old)
}

// maxTagLen bounds a tag, in bytes; MaxTags the tags of one ticket.
const (
	maxTagLen = 64
	MaxTags   = 50
)

// TagsFit checks that adding tags to t keeps it within MaxTags.
func TagsFit(t ticket.Ticket, tags []string) error {
	n := len(t.Tags)
	for _, tag := range tags {
		if !slices.Contains(t.Tags, tag) {
			n++
		}
	}
	if n > MaxTags {
		return invalid("%s would have %d tags; a ticket has at most %d", t.Ref(), n, MaxTags)
	}
	return nil
}

// ParseTag validates a tag: one word of letters, digits, '-', '_', '.' or
// '/', lower-cased.
func ParseTag(s string) (string, error) {
	tag := strings.ToLower(strings.TrimSpace(s))
	if tag == "" || len(tag) > maxTagLen {
		return "", invalid("a tag is one word of 1 to %d bytes", maxTagLen)
	}
	for _, r := range tag {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune("-_./", r) {
			return "", invalid("tag %q: one word of letters, digits and - _ . / only", s)
		}
	}
	return tag, nil
}

// AddTag tags t; a tag it has already is no change.
func (o *Op) AddTag(t *ticket.Ticket, tag string) error {
	if err := o.Actor.team("tag a ticket"); err != nil {
		return err
	}
	tag, err := ParseTag(tag)
	if err != nil || slices.Contains(t.Tags, tag) {
		return err
	}
	if err := TagsFit(*t, []string{tag}); err != nil {
		return err
	}
	t.Tags = append(t.Tags, tag)
	if err := o.Tx.SetTags(t.ID, t.Tags); err != nil {
		return err
	}
	return o.event(t, "tagged", tag)
}

// RemoveTag takes a tag off t; a tag it does not have is no change.
func (o *Op) RemoveTag(t *ticket.Ticket, tag string) error {
	if err := o.Actor.team("untag a ticket"); err != nil {
		return err
	}
	tag, err := ParseTag(tag)
	if err != nil || !slices.Contains(t.Tags, tag) {
		return err
	}
	t.Tags = slices.DeleteFunc(t.Tags, func(have string) bool { return have == tag })
	if err := o.Tx.SetTags(t.ID, t.Tags); err != nil {
		return err
	}
	return o.event(t, "untagged", tag)
}

// Assign gives t to member m, with an optional note for her. She is told,
// unless she assigned it to herself.
func (o *Op) Assign(t *ticket.Ticket, m ticket.Member, note string) error {
	if err := o.Actor.team("assign a ticket"); err != nil {
		return err
	}
	if m.PropertyID != o.Prop().ID {
		return invalid("%s is not a member of %s", m.Email, o.Prop().Slug)
	}
	if note = strings.TrimSpace(note); len(note) > maxContactNote { // it goes into the log and a mail
		return invalid("an assignment's note is at most %d bytes", maxContactNote)
	}
	if t.AssigneeID == m.ID {
		return nil
	}
	if err := o.Tx.SetAssignee(t.ID, m.ID); err != nil {
		return err
	}
	t.AssigneeID, t.Assignee = m.ID, m.Email
	detail := "assigned to " + m.Email
	if note != "" {
		detail += ": " + note
	}
	if err := o.event(t, "assigned", detail); err != nil {
		return err
	}
	if o.Actor.IsMember() && o.Actor.Member.ID == m.ID {
		return nil
	}
	body := fmt.Sprintf("%s assigned %s to you: %s", o.Actor, t.Ref(), t.Subject)
	if note != "" {
		body += "\n\nTheir note:\n" + note
	}
	return o.Queue.Notice(t.ID, m, "Assigned to you: "+threading.Tag(o.Prop().TagFormat, t.Number), body)
}
