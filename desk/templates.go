package desk

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// Placeholders are what a saved reply may say in {{...}}, and what each
// becomes. A name the contact has not given falls back to her address.
var Placeholders = []string{
	"customer.name",       // the requester's name, else her address
	"customer.first_name", // the first word of the requester's name, else her address
	"customer.email",      // the requester's address
	"ticket.number",       // the ticket's number, without '#'
	"ticket.subject",      // the ticket's subject
	"agent.name",          // the replying member's name, else her address
	"agent.first_name",    // the first word of the replying member's name, else her address
	"agent.email",         // the replying member's address
	"property.name",       // the property's name
}

// maxTemplate bounds a saved reply's text, in bytes.
const maxTemplate = 64 << 10

// templatePart is a piece of a saved reply: literal text, or a placeholder.
type templatePart struct {
	text        string
	placeholder bool
}

// ParseTemplate splits a saved reply into text and placeholders. Every
// "{{" must close with "}}" around one known placeholder (spaces inside
// allowed: "{{ ticket.number }}"); anything else is an error naming it.
// Filling in is plain substitution: a template runs no code.
func ParseTemplate(body string) ([]templatePart, error) {
	if !utf8.ValidString(body) {
		return nil, invalid("the text is not UTF-8")
	}
	var parts []templatePart
	for {
		open := strings.Index(body, "{{")
		if open < 0 {
			break
		}
		end := strings.Index(body[open:], "}}")
		if end < 0 {
			return nil, invalid("{{ at byte %d is not closed by }}", open)
		}
		name := strings.TrimSpace(body[open+2 : open+end])
		if !knownPlaceholder(name) {
			return nil, invalid("unknown placeholder {{%s}} (known: {{%s}})", name, strings.Join(Placeholders, "}}, {{"))
		}
		parts = append(parts, templatePart{text: body[:open]}, templatePart{text: name, placeholder: true})
		body = body[open+end+2:]
	}
	return append(parts, templatePart{text: body}), nil
}

func knownPlaceholder(name string) bool {
	for _, p := range Placeholders {
		if p == name {
			return true
		}
	}
	return false
}

// ParseTemplateName validates a saved reply's name: one word, as a tag.
func ParseTemplateName(s string) (string, error) {
	name, err := ParseTag(s)
	if err != nil {
		return "", invalid("a saved reply's name is one word of letters, digits and - _ . / (at most %d bytes)", maxTagLen)
	}
	return name, nil
}

// AddReplyTemplate saves a reply for the property's members. Any member
// may; a name in use, an empty text or an unknown placeholder is refused.
func (o *Op) AddReplyTemplate(name, body string) (store.ReplyTemplate, error) {
	if !o.Actor.IsMember() && o.Actor.Kind != ActorSystem {
		return store.ReplyTemplate{}, forbidden("%s: only members may save replies", o.Actor)
	}
	name, err := ParseTemplateName(name)
	if err != nil {
		return store.ReplyTemplate{}, err
	}
	body = strings.TrimSpace(strings.ReplaceAll(body, "\r\n", "\n"))
	switch {
	case body == "":
		return store.ReplyTemplate{}, invalid("the saved reply's text is empty")
	case len(body) > maxTemplate:
		return store.ReplyTemplate{}, invalid("the saved reply is longer than %d bytes", maxTemplate)
	}
	if _, err := ParseTemplate(body); err != nil {
		return store.ReplyTemplate{}, err
	}
	r := store.ReplyTemplate{PropertyID: o.Prop().ID, Name: name, Body: body, CreatedBy: o.Actor.String()}
	if err := o.Tx.AddReplyTemplate(&r); err != nil {
		return r, err
	}
	return r, o.audit("saved reply added", name)
}

// RenderTemplate fills in the property's saved reply of this name for an
// answer to t by the acting member.
func (o *Op) RenderTemplate(t ticket.Ticket, name string) (string, error) {
	key, err := ParseTemplateName(name)
	if err != nil {
		return "", err
	}
	r, found, err := o.Tx.ReplyTemplateNamed(o.Prop().ID, key)
	if err != nil {
		return "", err
	}
	if !found {
		return "", &opError{ErrNotFound, "no saved reply " + quote(key) + " in " + o.Prop().Slug + " (postdesk reply-template list)"}
	}
	parts, err := ParseTemplate(r.Body)
	if err != nil {
		return "", err
	}
	cs, err := o.Tx.Participants(t.ID)
	if err != nil {
		return "", err
	}
	var requester ticket.Contact
	for _, c := range cs {
		if c.ID == t.RequesterID {
			requester = c
		}
	}
	values := map[string]string{
		"customer.name":       orAddress(requester.Name, requester.Email),
		"customer.first_name": orAddress(firstWord(requester.Name), requester.Email),
		"customer.email":      requester.Email,
		"ticket.number":       strconv.FormatInt(t.Number, 10),
		"ticket.subject":      t.Subject,
		"agent.name":          orAddress(o.Actor.Member.Name, o.Actor.Member.Email),
		"agent.first_name":    orAddress(firstWord(o.Actor.Member.Name), o.Actor.Member.Email),
		"agent.email":         o.Actor.Member.Email,
		"property.name":       o.Prop().Name,
	}
	var b strings.Builder
	for _, p := range parts {
		if p.placeholder {
			b.WriteString(values[p.text])
		} else {
			b.WriteString(p.text)
		}
	}
	return b.String(), nil
}

func firstWord(s string) string {
	f := strings.Fields(s)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

func orAddress(name, addr string) string {
	if strings.TrimSpace(name) != "" {
		return strings.TrimSpace(name)
	}
	return addr
}
