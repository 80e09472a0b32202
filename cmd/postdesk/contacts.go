package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// contactView is what `contact show --json` prints.
type contactView struct {
	Contact ticket.Contact `json:"contact"`
	// MergedFrom is the address asked for when it is an alias of Contact.
	MergedFrom string                `json:"merged_from,omitempty"`
	Aliases    []string              `json:"aliases"` // addresses of contacts merged into this one
	Timeline   []store.TimelineEntry `json:"timeline"`
}

// contactShow prints a contact with their custom fields and timeline:
// every ticket and mail of theirs and every note on them, newest first.
func contactShow(ctx context.Context, e env) error {
	var limit *int
	c, err := openDesk(ctx, e, "contact show", false, 1, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 100, "show at most this many timeline entries")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if *limit <= 0 {
		return fmt.Errorf("--limit %d: want a positive number", *limit)
	}
	var v contactView
	if v.Contact, err = c.st.ContactByEmail(ctx, c.prop.ID, c.pos[0]); err != nil {
		return err
	}
	if v.Contact.MergedInto != 0 {
		v.MergedFrom = v.Contact.Email
		if v.Contact, err = c.st.ContactByID(ctx, v.Contact.MergedInto); err != nil {
			return err
		}
	}
	if v.Contact.Fields, err = c.st.FieldValues(ctx, c.prop.ID, ticket.FieldForContact, v.Contact.ID); err != nil {
		return err
	}
	if v.Aliases, err = c.st.Aliases(ctx, v.Contact.ID); err != nil {
		return err
	}
	if v.Timeline, err = c.st.Timeline(ctx, v.Contact.ID, *limit); err != nil {
		return err
	}
	v.Aliases, v.Timeline = nonNil(v.Aliases), nonNil(v.Timeline)
	if c.json {
		return c.print(e.stdout, v, nil)
	}
	writeContact(terminal(e.stdout), v)
	return nil
}

// writeContact prints a contact for a person.
func writeContact(w io.Writer, v contactView) {
	ct := v.Contact
	if v.MergedFrom != "" {
		fmt.Fprintf(w, "(%s was merged into %s)\n", cell(v.MergedFrom), cell(ct.Email))
	}
	fmt.Fprintf(w, "Contact %s  %s\nPhone: %s  Since: %s\n", cell(ct.Email), cell(orDash(ct.Name)), cell(orDash(ct.Phone)),
		ct.CreatedAt.Format(time.DateTime))
	if len(v.Aliases) > 0 {
		fmt.Fprintf(w, "Also writes from: %s\n", cell(strings.Join(v.Aliases, ", ")))
	}
	writeFields(w, ct.Fields)
	fmt.Fprintf(w, "\n--- timeline, newest first\n")
	for _, en := range v.Timeline {
		at := en.At.Format(time.DateTime)
		switch en.Kind {
		case "ticket":
			fmt.Fprintf(w, "%s  ticket   #%d %s (%s)\n", at, en.Ticket, cell(en.Subject), en.Status)
		case "message":
			fmt.Fprintf(w, "%s  mail     #%d message %d from %s: %s\n", at, en.Ticket, en.MessageID, cell(en.Author), cell(en.Subject))
		default:
			fmt.Fprintf(w, "%s  note     by %s: %s\n", at, cell(en.Author), cell(en.Text))
		}
	}
}

// contactEdit changes a contact's name or phone.
func contactEdit(ctx context.Context, e env) error {
	var edit desk.ContactEdit
	c, err := openDesk(ctx, e, "contact edit", true, 1, func(fs *flag.FlagSet) {
		fs.Func("name", "the contact's name (empty clears it)", func(v string) error { edit.Name = &v; return nil })
		fs.Func("phone", "the contact's phone number (empty clears it)", func(v string) error { edit.Phone = &v; return nil })
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if edit.Name == nil && edit.Phone == nil {
		return fmt.Errorf("nothing to change: give --name or --phone (an empty value clears it)")
	}
	ct, err := c.desk.EditContact(ctx, c.prop, c.actor, c.pos[0], edit)
	if err != nil {
		return err
	}
	return printContact(c, e, ct)
}

// contactNote records a note on a contact.
func contactNote(ctx context.Context, e env) error {
	var text *string
	c, err := openDesk(ctx, e, "contact note", true, 1, func(fs *flag.FlagSet) {
		text = fs.String("message", "", "the note")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if err := c.desk.NoteContact(ctx, c.prop, c.actor, c.pos[0], *text); err != nil {
		return err
	}
	ct, err := c.st.ContactByEmail(ctx, c.prop.ID, c.pos[0])
	if err != nil {
		return err
	}
	return printContact(c, e, ct)
}

// contactMerge merges one contact into another.
func contactMerge(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "contact merge", true, 2, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	ct, err := c.desk.MergeContacts(ctx, c.prop, c.actor, c.pos[0], c.pos[1])
	if err != nil {
		return err
	}
	return printContact(c, e, ct)
}

// contactField sets (or, with an empty value, clears) a contact's custom
// field.
func contactField(ctx context.Context, e env) error {
	c, err := openDesk(ctx, e, "contact field", true, 3, nil)
	if err != nil {
		return err
	}
	defer c.st.Close()
	ct, err := c.desk.SetContactField(ctx, c.prop, c.actor, c.pos[0], c.pos[1], c.pos[2])
	if err != nil {
		return err
	}
	return printContact(c, e, ct)
}

// printContact prints one contact after a change.
func printContact(c *deskCmd, e env, ct ticket.Contact) error {
	return c.print(e.stdout, ct, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "%s\t%s\t%s\n", cell(ct.Email), cell(orDash(ct.Name)), cell(orDash(ct.Phone)))
	})
}
