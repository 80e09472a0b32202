package main

import (
	"context"
	"flag"
	"fmt"
	"text/tabwriter"
	"time"
)

// auditList prints a property's audit log: the changes made to it outside
// its tickets (members, departments, topics, saved replies, fields, SLA
// policy, settings), newest first, each with who made it.
func auditList(ctx context.Context, e env) error {
	var limit *int
	c, err := openDesk(ctx, e, "audit list", false, 0, func(fs *flag.FlagSet) {
		limit = fs.Int("limit", 100, "how many entries, newest first (1 to 10000)")
	})
	if err != nil {
		return err
	}
	defer c.st.Close()
	if *limit < 1 || *limit > 10000 {
		return fmt.Errorf("--limit %d: want 1 to 10000", *limit)
	}
	log, err := c.st.AuditLog(ctx, c.prop.ID, *limit)
	if err != nil {
		return err
	}
	return c.print(e.stdout, nonNil(log), func(w *tabwriter.Writer) {
		fmt.Fprintln(w, "WHEN\tWHO\tWHAT\tDETAIL")
		for _, a := range log {
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", a.CreatedAt.Format(time.DateTime), cell(a.Actor), a.Action, cell(a.Detail))
		}
	})
}
