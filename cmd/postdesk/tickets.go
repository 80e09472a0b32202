package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

func ticketList(ctx context.Context, e env) error {
	var status *string
	a, p, err := openForProperty(ctx, e, "ticket list", func(fs *flag.FlagSet) {
		status = fs.String("status", "", "only tickets with this status (default: all but deleted and spam)")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	var st ticket.Status
	if *status != "" {
		if st, err = ticket.ParseStatus(*status); err != nil {
			return fmt.Errorf("--status: %w", err)
		}
	}
	tickets, err := a.st.Tickets(ctx, p.Slug, st)
	if err != nil {
		return err
	}
	if st == "" {
		tickets = slices.DeleteFunc(tickets, func(t ticket.Ticket) bool { return desk.Hidden(t.Status) })
	}
	return a.print(e.stdout, nonNil(tickets), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "TICKET\tSTATUS\tPRIORITY\tREQUESTER\tASSIGNEE\tUPDATED\tSUBJECT")
		for _, t := range tickets {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Ref(), statusCell(t), t.Priority, cell(t.Requester),
				cell(orDash(t.Assignee)), t.UpdatedAt.Format(time.DateTime), cell(t.Subject))
		}
	})
}

// ticketView is what `ticket show --json` prints.
type ticketView struct {
	Ticket       ticket.Ticket    `json:"ticket"`
	Participants []ticket.Contact `json:"participants"` // everyone an agent's answer goes to
	Messages     []ticket.Message `json:"messages"`
	Events       []ticket.Event   `json:"events"`
	Bounces      []store.Bounce   `json:"bounces"`
	// MergedInto is the ticket this one was merged into, if it was.
	MergedInto *ticket.Ticket `json:"merged_into,omitempty"`
}

func ticketShow(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "ticket show", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk ticket show N [--property SLUG]")
	}
	n, err := strconv.ParseInt(strings.TrimPrefix(a.pos[0], "#"), 10, 64)
	if err != nil {
		return fmt.Errorf("ticket number: %q is not a number", a.pos[0])
	}
	var v ticketView
	if v.Ticket, err = a.st.Ticket(ctx, p.Slug, n); err != nil {
		return err
	}
	if v.Ticket.Fields, err = a.st.FieldValues(ctx, p.ID, ticket.FieldForTicket, v.Ticket.ID); err != nil {
		return err
	}
	if v.Ticket.MergedInto != 0 {
		into, err := a.st.TicketByID(ctx, v.Ticket.MergedInto)
		if err != nil {
			return err
		}
		v.MergedInto = &into
	}
	if v.Participants, err = a.st.TicketParticipants(ctx, v.Ticket.ID); err != nil {
		return err
	}
	if v.Messages, err = a.st.Messages(ctx, v.Ticket.ID); err != nil {
		return err
	}
	if v.Events, err = a.st.Events(ctx, v.Ticket.ID); err != nil {
		return err
	}
	if v.Bounces, err = a.st.Bounces(ctx, v.Ticket.ID); err != nil {
		return err
	}
	if a.json {
		return a.print(e.stdout, v, nil)
	}
	writeTicket(terminal(e.stdout), v)
	return nil
}

// writeTicket prints a ticket for a person: its fields, every message with
// its author, attachments and threading decision, and the event log.
func writeTicket(w io.Writer, v ticketView) {
	t := v.Ticket
	fmt.Fprintf(w, "Ticket %s  %s\n", t.Ref(), cell(t.Subject))
	fmt.Fprintf(w, "Status: %s  Priority: %s  Requester: %s  Assignee: %s  Department: %s\n",
		t.Status, t.Priority, cell(t.Requester), cell(orDash(t.Assignee)), cell(orDash(t.Department)))
	if t.LinkedID != 0 {
		fmt.Fprintf(w, "Continues: ticket id %d\n", t.LinkedID)
	}
	if v.MergedInto != nil {
		fmt.Fprintf(w, "Merged into: %s (its conversation goes on there)\n", v.MergedInto.Ref())
	}
	writeFields(w, t.Fields)
	fmt.Fprintf(w, "Created: %s  Updated: %s\n", t.CreatedAt.Format(time.DateTime), t.UpdatedAt.Format(time.DateTime))
	if line := slaLine(t); line != "" {
		fmt.Fprintln(w, line)
	}
	emails := make([]string, len(v.Participants))
	for i, c := range v.Participants {
		emails[i] = c.Email
	}
	fmt.Fprintf(w, "Answers go to: %s\n", orDash(strings.Join(emails, ", ")))
	for _, m := range v.Messages {
		fmt.Fprintf(w, "\n--- message %d · %s %s · %s <%s> · %s\n", m.ID, m.Direction, m.Kind, cell(m.AuthorName),
			cell(m.AuthorEmail), m.CreatedAt.Format(time.DateTime))
		fmt.Fprintf(w, "Subject: %s\nMessage-ID: <%s>%s\n", cell(m.Subject), cell(m.MessageID), map[bool]string{true: " (synthetic)"}[m.Synthetic])
		if m.OriginalTo != "" {
			fmt.Fprintf(w, "First sent to: %s\n", cell(m.OriginalTo))
		}
		if m.ForwardedBy != "" {
			fmt.Fprintf(w, "Forwarded by: %s\n", cell(m.ForwardedBy))
		}
		if m.Thread != "" {
			fmt.Fprintf(w, "Threading: %s\n", cell(m.Thread))
		}
		for _, warning := range m.Warnings {
			fmt.Fprintf(w, "Warning: %s\n", cell(warning))
		}
		for _, at := range m.Attachments {
			kind := "attachment"
			if at.Inline {
				kind = "inline"
			}
			fmt.Fprintf(w, "%s: %s (%s, %d bytes, sha256 %s…)%s\n", kind, cell(at.Filename), cell(at.ContentType), at.Size,
				at.SHA256[:12], cid(at.ContentID))
		}
		fmt.Fprintf(w, "\n%s\n", strings.TrimRight(bodyText(m), "\n"))
	}
	if len(v.Bounces) > 0 {
		fmt.Fprintf(w, "\n--- bounces\n")
		for _, b := range v.Bounces {
			fmt.Fprintf(w, "%s  %-4s %s %s %s %s  %s\n", b.CreatedAt.Format(time.DateTime), b.Kind,
				map[bool]string{true: "verified", false: "unverified"}[b.Verified], cell(orDash(b.Recipient)),
				cell(orDash(b.Action)), cell(orDash(b.Status)), cell(b.Diagnostic))
		}
	}
	fmt.Fprintf(w, "\n--- events\n")
	for _, ev := range v.Events {
		fmt.Fprintf(w, "%s  %-10s %s  %s\n", ev.CreatedAt.Format(time.DateTime), ev.Kind, cell(ev.Actor), cell(ev.Detail))
	}
}

func bodyText(m ticket.Message) string {
	switch {
	case m.Text != "":
		return m.Text
	case m.HTML != "":
		return "(HTML only, " + strconv.Itoa(len(m.HTML)) + " bytes)"
	}
	return "(no text)"
}

func cid(id string) string {
	if id == "" {
		return ""
	}
	return " cid:" + id
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func messageRaw(ctx context.Context, e env) error {
	fs, l := flags("message raw", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk message raw ID")
	}
	id, err := strconv.ParseInt(a.pos[0], 10, 64)
	if err != nil {
		return fmt.Errorf("message id: %q is not a number", a.pos[0])
	}
	raw, err := a.st.RawMessage(ctx, id)
	if err != nil {
		return err
	}
	_, err = e.stdout.Write(raw)
	return err
}
