package desk

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

func TestParseTemplate(t *testing.T) {
	tests := []struct{ in, err string }{
		{"Hello {{customer.first_name}}, ticket {{ ticket.number }}.", ""},
		{"no placeholders at all", ""},
		{"a lone } or { is text, {x} too", ""},
		{"{{customer.age}}", "unknown placeholder {{customer.age}}"},
		{"{{ .Customer }}", "unknown placeholder"},
		{`{{printf "%s" 1}}`, "unknown placeholder"},
		{"Hello {{customer.name", "not closed"},
		{"{{}}", "unknown placeholder {{}}"},
		{"bad \xff byte", "not UTF-8"},
	}
	for _, tt := range tests {
		_, err := ParseTemplate(tt.in)
		if (tt.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseTemplate(%q) = %v, want %q", tt.in, err, tt.err)
		}
	}
}

// FuzzParseTemplate: the parser never panics, and what it accepts it
// splits without losing or adding text.
func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"Hi {{customer.name}}", "{{", "}}{{ticket.number}}{{", "{{{{agent.name}}}}", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		parts, err := ParseTemplate(s)
		if err != nil {
			return
		}
		var b strings.Builder
		for _, p := range parts {
			if p.placeholder {
				if !knownPlaceholder(p.text) {
					t.Fatalf("ParseTemplate(%q) accepted placeholder %q", s, p.text)
				}
				b.WriteString("{{" + p.text + "}}")
			} else {
				b.WriteString(p.text)
			}
		}
		if strings.Count(s, "{{") != strings.Count(b.String(), "{{") || len(b.String()) > len(s) {
			t.Fatalf("ParseTemplate(%q) rebuilt as %q", s, b.String())
		}
	})
}

// TestReplyTemplates: any member may save a reply; a bad one is refused
// when added; replying with it fills in the placeholders from the ticket,
// its requester and the replying member.
func TestReplyTemplates(t *testing.T) {
	f := newComposeFixture(t)
	tk := f.create(t, NewTicket{Requester: "zoe@customer.test", NewContact: true, Name: "Zoe Smith", Subject: "Order late", Text: "Hi"})
	anon := f.create(t, NewTicket{Requester: "yan@customer.test", NewContact: true, Subject: "Other", Text: "Hi"})
	body := "Hello {{customer.first_name}} ({{customer.name}}, {{ customer.email }}),\n" +
		"about #{{ticket.number}} \"{{ticket.subject}}\": {{agent.first_name}} / {{agent.name}} <{{agent.email}}> of {{property.name}}"
	err := f.run(AsMember(f.bob), func(o *Op) error {
		if _, err := o.AddReplyTemplate("late", body); err != nil {
			return err
		}
		if _, err := o.AddReplyTemplate("Late", "again"); !errors.Is(err, store.ErrExists) {
			t.Errorf("a second template named late: %v, want ErrExists", err)
		}
		if _, err := o.AddReplyTemplate("bad", "Hi {{customer.age}}"); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown placeholder: %v, want ErrInvalid", err)
		}
		if _, err := o.AddReplyTemplate("two words", "x"); !errors.Is(err, ErrInvalid) {
			t.Errorf("a name of two words: %v, want ErrInvalid", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		tk   ticket.Ticket
		as   ticket.Member
		want string
	}{
		{tk, f.alice, "Hello Zoe (Zoe Smith, zoe@customer.test),\nabout #1 \"Order late\": Alice / Alice Liddell <alice@acme.test> of Acme Support"},
		{anon, f.carol, "Hello yan@customer.test (yan@customer.test, yan@customer.test),\nabout #2 \"Other\": carol.admin@acme.test / carol.admin@acme.test <carol.admin@acme.test> of Acme Support"},
	}
	for _, tt := range tests {
		var got string
		err := f.run(AsMember(tt.as), func(o *Op) error {
			var err error
			got, err = o.RenderTemplate(tt.tk, "LATE")
			return err
		})
		if err != nil || got != tt.want {
			t.Errorf("RenderTemplate(late) on %s as %s = %q, %v\nwant %q", tt.tk.Ref(), tt.as.Email, got, err, tt.want)
		}
	}
	err = f.run(AsMember(f.alice), func(o *Op) error {
		_, err := o.RenderTemplate(tk, "nosuch")
		return err
	})
	if !errors.Is(err, ErrNotFound) {
		t.Errorf("an unknown template: %v, want ErrNotFound", err)
	}
}

// TestTopics: only admins add topics; a ticket takes one topic of the
// list, recorded in its log, or none.
func TestTopics(t *testing.T) {
	f := newComposeFixture(t)
	add := func(m ticket.Member, name string) error {
		return f.run(AsMember(m), func(o *Op) error { _, err := o.AddTopic(name); return err })
	}
	if err := add(f.alice, "Billing"); !errors.Is(err, ErrForbidden) {
		t.Errorf("an agent adds a topic: %v, want ErrForbidden", err)
	}
	if err := add(f.carol, "  Billing "); err != nil {
		t.Fatalf("an admin adds a topic: %v", err)
	}
	if err := add(f.carol, "billing"); !errors.Is(err, store.ErrExists) {
		t.Errorf("the same topic again: %v, want ErrExists", err)
	}
	if err := add(f.carol, "bad<topic>"); !errors.Is(err, ErrInvalid) {
		t.Errorf("a topic with <>: %v, want ErrInvalid", err)
	}
	tk := f.create(t, NewTicket{Requester: "zoe@customer.test", NewContact: true, Subject: "S", Text: "T", Topic: "BILLING"})
	if tk.Topic != "billing" {
		t.Errorf("created with topic %q, want billing", tk.Topic)
	}
	set := func(name string) (ticket.Ticket, error) {
		return f.d.Do(context.Background(), f.prop, AsMember(f.alice), tk.Number, func(o *Op, t *ticket.Ticket) error { return o.SetTopic(t, name) })
	}
	if _, err := set("weather"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "known: billing") {
		t.Errorf("an unknown topic: %v, want ErrNotFound listing billing", err)
	}
	if got, err := set(""); err != nil || got.Topic != "" || got.TopicID != 0 {
		t.Errorf("no topic: %q, %v", got.Topic, err)
	}
	events, err := f.st.Events(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var log []string
	for _, e := range events {
		if e.Kind == "topic" {
			log = append(log, e.Actor+": "+e.Detail)
		}
	}
	if got, want := strings.Join(log, "\n"), "alice@acme.test: (none) → billing\nalice@acme.test: billing → (none)"; got != want {
		t.Errorf("topic events:\n%s\nwant:\n%s", got, want)
	}
}
