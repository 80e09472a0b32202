package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/desk"
)

// bounceList prints every bounce a property received: delivery reports,
// abuse reports and failure notices, verified or not, with or without a
// ticket. Nothing accepted is invisible.
func bounceList(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "bounce list", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	bounces, err := a.st.PropertyBounces(ctx, p.ID)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(bounces), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ID\tRECEIVED\tKIND\tVERIFIED\tRECIPIENT\tACTION\tSTATUS\tTICKET\tOUTBOX\tDIAGNOSTIC")
		for _, b := range bounces {
			fmt.Fprintf(w, "%d\t%s\t%s\t%v\t%s\t%s\t%s\t%s\t%s\t%.60s\n", b.ID, b.CreatedAt.Format(time.DateTime), b.Kind,
				b.Verified, cell(orDash(b.Recipient)), cell(orDash(b.Action)), cell(orDash(b.Status)), idOrDash(b.TicketID),
				idOrDash(b.OutboxID), cell(b.Diagnostic))
		}
	})
}

// suppressionList prints the addresses no mail goes to, and why.
func suppressionList(ctx context.Context, e env) error {
	a, p, err := openForProperty(ctx, e, "suppression list", nil)
	if err != nil {
		return err
	}
	defer a.st.Close()
	list, err := a.st.Suppressions(ctx, p.ID)
	if err != nil {
		return err
	}
	return a.print(e.stdout, nonNil(list), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "ADDRESS\tSINCE\tTICKET\tBOUNCE\tREASON")
		for _, s := range list {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", s.Address, s.CreatedAt.Format(time.DateTime), idOrDash(s.TicketID),
				idOrDash(s.BounceID), cell(s.Reason))
		}
	})
}

// suppressionClear lets mail go to an address again; the ticket whose
// bounce suppressed it logs that.
func suppressionClear(ctx context.Context, e env) error {
	var as *string
	a, p, err := openForProperty(ctx, e, "suppression clear", actorFlag(&as))
	if err != nil {
		return err
	}
	defer a.st.Close()
	if len(a.pos) != 1 {
		return fmt.Errorf("usage: postdesk suppression clear ADDRESS --as ADMIN-EMAIL [--property SLUG]")
	}
	actor, err := requiredActor(ctx, a, p, *as)
	if err != nil {
		return err
	}
	if err := desk.New(desk.Options{Store: a.st, Now: e.now}).ClearSuppression(ctx, p, actor, a.pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(terminal(e.stdout), "mail goes to %s again\n", a.pos[0])
	return nil
}

func idOrDash(id int64) string {
	if id == 0 {
		return "-"
	}
	return fmt.Sprint(id)
}
