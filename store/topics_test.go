package store

import (
	"context"
	"errors"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestTopicsAndTemplatesPerProperty: topic and saved-reply names are
// unique within a property, not across properties; a ticket's topic is
// read back with its name, and cleared.
func TestTopicsAndTemplatesPerProperty(t *testing.T) {
	st := openTest(t)
	ctx := context.Background()
	props := addProperties(t, st, "a", "b")
	err := st.Update(ctx, func(tx *Tx) error {
		for _, p := range props {
			if _, err := tx.AddTopic(p.ID, "billing"); err != nil {
				return err
			}
			if err := tx.AddReplyTemplate(&ReplyTemplate{PropertyID: p.ID, Name: "hi", Body: "Hi", CreatedBy: "x@x.test"}); err != nil {
				return err
			}
		}
		if _, err := tx.AddTopic(props[0].ID, "billing"); !errors.Is(err, ErrExists) {
			t.Errorf("a topic twice: %v, want ErrExists", err)
		}
		if err := tx.AddReplyTemplate(&ReplyTemplate{PropertyID: props[0].ID, Name: "hi", Body: "x"}); !errors.Is(err, ErrExists) {
			t.Errorf("a saved reply twice: %v, want ErrExists", err)
		}
		tp, found, err := tx.TopicNamed(props[1].ID, "billing")
		if err != nil || !found {
			t.Fatalf("TopicNamed: %v, %v", found, err)
		}
		tk := &ticket.Ticket{PropertyID: props[1].ID, Subject: "s", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium}
		c, err := tx.Contact(props[1].ID, "c@y.test", "")
		if err != nil {
			return err
		}
		tk.RequesterID = c.ID
		if err := tx.CreateTicket(tk); err != nil {
			return err
		}
		if err := tx.SetTopic(tk.ID, tp.ID); err != nil {
			return err
		}
		if got, _, err := tx.TicketByID(props[1].ID, tk.ID); err != nil || got.Topic != "billing" || got.TopicID != tp.ID {
			t.Errorf("ticket's topic %q (%d), %v", got.Topic, got.TopicID, err)
		}
		if err := tx.SetTopic(tk.ID, 0); err != nil {
			return err
		}
		if got, _, err := tx.TicketByID(props[1].ID, tk.ID); err != nil || got.Topic != "" || got.TopicID != 0 {
			t.Errorf("ticket's topic after clearing: %q (%d), %v", got.Topic, got.TopicID, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range props {
		topics, err := st.PropertyTopics(ctx, p.ID)
		if err != nil || len(topics) != 1 {
			t.Errorf("%s: %d topics, %v", p.Slug, len(topics), err)
		}
		tmpls, err := st.PropertyReplyTemplates(ctx, p.ID)
		if err != nil || len(tmpls) != 1 {
			t.Errorf("%s: %d saved replies, %v", p.Slug, len(tmpls), err)
		}
	}
}

// addProperties adds a property for each slug (its address slug@x.test).
func addProperties(t *testing.T, st *Store, slugs ...string) []ticket.Property {
	t.Helper()
	var props []ticket.Property
	for _, slug := range slugs {
		p, err := st.AddProperty(context.Background(), ticket.Property{Slug: slug, Name: slug, Addresses: []string{slug + "@x.test"}, TagFormat: "[#%d]"})
		if err != nil {
			t.Fatal(err)
		}
		props = append(props, p)
	}
	return props
}
