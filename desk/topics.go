package desk

import (
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// maxTopicLen bounds a topic's name, in characters.
const maxTopicLen = 64

// ParseTopic validates a topic's name: 1 to 64 letters, digits, spaces or
// "-_./&", lower-cased, inner spaces folded to one. Topics compare by this
// form, so "Billing" and "billing " are one topic.
func ParseTopic(s string) (string, error) {
	name := strings.ToLower(strings.Join(strings.Fields(s), " "))
	if name == "" || len([]rune(name)) > maxTopicLen {
		return "", invalid("a topic is 1 to %d characters", maxTopicLen)
	}
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) && !strings.ContainsRune(" -_./&", r) {
			return "", invalid("topic %q: letters, digits, spaces and - _ . / & only", s)
		}
	}
	return name, nil
}

// AddTopic adds a topic to the property's list. Only admins may.
func (o *Op) AddTopic(name string) (store.Topic, error) {
	if err := o.Actor.admin("add a topic"); err != nil {
		return store.Topic{}, err
	}
	name, err := ParseTopic(name)
	if err != nil {
		return store.Topic{}, err
	}
	tp, err := o.Tx.AddTopic(o.Prop().ID, name)
	if err != nil {
		return tp, err
	}
	return tp, o.audit("topic added", name)
}

// FindTopic returns the property's topic of this name, or an ErrNotFound
// error listing the topics there are.
func (o *Op) FindTopic(name string) (store.Topic, error) {
	return FindTopic(o.Tx, o.Prop(), name)
}

// FindTopic returns prop's topic of this name, or an ErrNotFound error
// listing the topics there are. Ingest checks a #topic command with it
// before it applies any.
func FindTopic(tx *store.Tx, prop ticket.Property, name string) (store.Topic, error) {
	name, err := ParseTopic(name)
	if err != nil {
		return store.Topic{}, err
	}
	tp, found, err := tx.TopicNamed(prop.ID, name)
	if err != nil || found {
		return tp, err
	}
	all, err := tx.Topics(prop.ID)
	if err != nil {
		return tp, err
	}
	names := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
	}
	known := "there are none yet (postdesk topic add NAME)"
	if len(names) > 0 {
		known = "known: " + strings.Join(names, ", ")
	}
	return tp, &opError{ErrNotFound, "no topic " + quote(name) + " in " + prop.Slug + "; " + known}
}

func quote(s string) string { return `"` + s + `"` }

// SetTopic gives t the topic of this name, or none for "". A ticket has at
// most one topic.
func (o *Op) SetTopic(t *ticket.Ticket, name string) error {
	if err := o.Actor.team("set a ticket's topic"); err != nil {
		return err
	}
	var tp store.Topic
	if name != "" {
		var err error
		if tp, err = o.FindTopic(name); err != nil {
			return err
		}
	}
	if t.TopicID == tp.ID {
		return nil
	}
	if err := o.Tx.SetTopic(t.ID, tp.ID); err != nil {
		return err
	}
	detail := orNone(t.Topic) + " → " + orNone(tp.Name)
	t.TopicID, t.Topic = tp.ID, tp.Name
	return o.event(t, "topic", detail)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}
