package main

import (
	"context"
	"flag"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"text/tabwriter"
	"time"
)

func heldList(ctx context.Context, e env) error {
	var all *bool
	a, p, err := openForProperty(ctx, e, "held list", func(fs *flag.FlagSet) {
		all = fs.Bool("all", false, "also list released and discarded mail")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	held, err := a.st.Held(ctx, p.ID, *all)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(held), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tRECEIVED\tSTATUS\tSENDER\tSUBJECT\tREASON")
		for _, h := range held {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%s\n", h.ID, h.CreatedAt.Format(time.DateTime), h.Status, cell(h.Sender), cell(h.Subject), cell(h.Reason))
		}
	})
}

func outboxList(ctx context.Context, e env) error {
	var status *string
	a, p, err := openForProperty(ctx, e, "outbox list", func(fs *flag.FlagSet) {
		status = fs.String("status", "", "only rows in this state: queued, sent or failed")
	})
	if err != nil {
		return err
	}
	defer a.st.Close()
	switch *status {
	case "", ticket.OutQueued, ticket.OutSent, ticket.OutFailed:
	default:
		return fmt.Errorf("--status: %q is not queued, sent or failed", *status)
	}
	rows, err := a.st.Outbox(ctx, p.ID, *status)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(rows), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tSTATUS\tKIND\tTO\tATTEMPTS\tNEXT\tLAST ERROR")
		for _, r := range rows {
			fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, r.Status, r.Kind, cell(r.Rcpt), r.Attempts,
				r.NextAttempt.Format(time.DateTime), cell(r.LastError))
		}
	})
}

// check verifies the database and exits non-zero when anything is wrong.
func check(ctx context.Context, e env) error {
	fs, l := flags("check", e)
	a, err := openAdmin(ctx, fs, l, e)
	if err != nil {
		return err
	}
	defer a.st.Close()
	r, err := a.st.Check(ctx)
	if err != nil {
		return err
	}
	if err := a.print(e.stdout, r, func(w *tabwriter.Writer) {
		fmt.Fprintf(w, "database\t%s\n", a.st.Where())
		fmt.Fprintf(w, "empty tickets\t%d\norphan messages\t%d\norphan outbox rows\t%d\nmissing attachment contents\t%d\n",
			r.EmptyTickets, r.OrphanMessages, r.OrphanOutbox, r.MissingBlobs)
		fmt.Fprintf(w, "integrity errors (%s)\t%d\n", a.st.IntegrityCheck(), r.IntegrityErrors)
		fmt.Fprintf(w, "ties across properties\t%d\nmerge loops\t%d\nstale tag index rows\t%d\n",
			r.CrossProperty, r.MergeLoops, r.StaleTagIndex)
	}); err != nil {
		return err
	}
	if !r.OK() {
		return fmt.Errorf("the database has problems")
	}
	return nil
}
