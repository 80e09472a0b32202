package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// listFlags are the flags of `ticket list`.
type listFlags struct {
	folder, status, assignee, department, priority, tag, topic, requester, search, sort, after *string
	mine, unassigned, overdue                                                                  *bool
	limit                                                                                      *int
}

func (l *listFlags) define(fs *flag.FlagSet) {
	l.folder = fs.String("folder", "", "open, answered, snoozed, closed, deleted, spam or all (default: all, which leaves out deleted, spam and merged tickets)")
	l.status = fs.String("status", "", "the same as --folder")
	l.mine = fs.Bool("mine", false, "only tickets assigned to the member --as names")
	l.assignee = fs.String("assignee", "", "only tickets assigned to this member (address)")
	l.unassigned = fs.Bool("unassigned", false, "only tickets assigned to no one")
	l.department = fs.String("department", "", "only tickets of this department (name)")
	l.priority = fs.String("priority", "", "only tickets of this priority (lowest, low, medium, high, highest)")
	l.tag = fs.String("tag", "", "only tickets with this tag")
	l.topic = fs.String("topic", "", "only tickets of this topic")
	l.overdue = fs.Bool("overdue", false, "only overdue tickets that are not closed")
	l.requester = fs.String("requester", "", "only tickets of this requester (address)")
	l.search = fs.String("search", "", "only tickets whose mail or requester holds every word (accents and case ignored; foo* for a prefix)")
	l.sort = fs.String("sort", "activity", "activity (newest first), due (soonest first) or priority (highest first)")
	l.limit = fs.Int("limit", 50, "tickets per page (at most 500)")
	l.after = fs.String("after", "", "the cursor the previous page printed, for the next page")
}

// filter checks the flags together and makes the store's filter.
func (l *listFlags) filter(c *deskCmd) (store.TicketFilter, error) {
	f := store.TicketFilter{PropertyID: c.prop.ID, Assignee: *l.assignee, Unassigned: *l.unassigned,
		Department: *l.department, Tag: *l.tag, Topic: *l.topic, Overdue: *l.overdue, Requester: *l.requester,
		Search: *l.search, Limit: *l.limit, After: *l.after}
	folder, name := *l.folder, "--folder"
	if *l.status != "" {
		if folder != "" {
			return f, errors.New("--status and --folder are the same filter: give one")
		}
		folder, name = *l.status, "--status"
	}
	if folder != "" && !strings.EqualFold(folder, store.FolderAll) {
		st, err := ticket.ParseStatus(folder)
		if err != nil {
			return f, fmt.Errorf("%s: %w (or all)", name, err)
		}
		folder = string(st)
	}
	f.Folder = folder
	if *l.mine {
		if *l.assignee != "" {
			return f, errors.New("--mine and --assignee: give one")
		}
		if c.actor.Member.Email == "" {
			return f, errors.New("--mine needs --as EMAIL: whose tickets")
		}
		f.Assignee = c.actor.Member.Email
	}
	if f.Unassigned && f.Assignee != "" {
		return f, errors.New("--unassigned and an assignee exclude each other")
	}
	if *l.priority != "" {
		p, err := ticket.ParsePriority(*l.priority)
		if err != nil {
			return f, fmt.Errorf("--priority: %w", err)
		}
		f.Priority = p
	}
	if *l.limit < 1 || *l.limit > 500 {
		return f, fmt.Errorf("--limit: %d is not between 1 and 500", *l.limit)
	}
	var err error
	if f.Sort, err = store.ParseSort(*l.sort); err != nil {
		return f, fmt.Errorf("--sort: %w", err)
	}
	return f, nil
}

func ticketList(ctx context.Context, e env) error {
	var l listFlags
	c, err := openDesk(ctx, e, "ticket list", false, anyArgs, l.define)
	if err != nil {
		return err
	}
	defer c.st.Close()
	if len(c.pos) > 0 {
		return c.usage()
	}
	f, err := l.filter(c)
	if err != nil {
		return err
	}
	page, err := c.st.ListTickets(ctx, f)
	if err != nil {
		return err
	}
	if c.json { // the tickets, as before pages; the cursor on standard error
		if page.Next != "" {
			fmt.Fprintf(e.stderr, "next page: --after %s\n", page.Next)
		}
		return c.print(e.stdout, nonNil(page.Tickets), nil)
	}
	now := e.now()
	err = c.print(e.stdout, nil, func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "TICKET\tSTATUS\tPRIORITY\tREQUESTER\tASSIGNEE\tUPDATED\tDUE\tSUBJECT")
		for _, t := range page.Tickets {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.Ref(), statusCell(t), t.Priority, cell(t.Requester),
				cell(orDash(t.Assignee)), t.UpdatedAt.Format(time.DateTime), dueCell(t, now), cell(t.Subject))
		}
	})
	if err == nil && page.Next != "" {
		_, err = fmt.Fprintf(e.stdout, "next page: --after %s\n", page.Next)
	}
	return err
}

// dueCell shows when a ticket is due, "OVERDUE" when the scheduler marked
// it so (and it is not closed), "late" when the due time has passed.
func dueCell(t ticket.Ticket, now time.Time) string {
	due := store.DueTime(t)
	switch {
	case !t.OverdueAt.IsZero() && t.Status != ticket.StatusClosed:
		return "OVERDUE " + orDash(formatTime(due))
	case due.IsZero():
		return "-"
	case t.Status != ticket.StatusClosed && due.Before(now):
		return formatTime(due) + " late"
	}
	return formatTime(due)
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateTime)
}

// ticketView is what `ticket show --json` prints.
type ticketView = desk.TicketView

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
	v, err := desk.ReadTicket(ctx, a.st, p, n)
	if err != nil {
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
