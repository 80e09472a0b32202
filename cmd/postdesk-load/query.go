package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/store"
)

// queryRun times the ticket lists of a filled store (postdesk-load fill):
// each filter and order's first page, a later page by cursor, and
// searches from common to unique words, each run -runs times after one
// warm-up; it prints p50 and p95 per query and the tickets the first page
// held.
//
//	postdesk-load query -data DIR -property acme -runs 50
func queryRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load query", flag.ContinueOnError)
	data := fs.String("data", "postdesk-data", "postdesk data directory")
	slug := fs.String("property", "acme", "property to list")
	runs := fs.Int("runs", 50, "runs of each query")
	limit := fs.Int("limit", 50, "tickets per page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 {
		return fmt.Errorf("-runs: at least 1")
	}
	st, prop, err := openProperty(ctx, *data, *slug)
	if err != nil {
		return err
	}
	defer st.Close()
	// A page deep in the default list: the cursor after 20 pages.
	deep := store.TicketFilter{PropertyID: prop.ID, Limit: *limit}
	for range 20 {
		page, err := st.ListTickets(ctx, deep)
		if err != nil {
			return err
		}
		deep.After = page.Next
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "query\tsort\ttickets\tp50 ms\tp95 ms\t")
	for _, q := range listQueries(deep.After) {
		f := q.f
		f.PropertyID, f.Limit = prop.ID, *limit
		times := make([]time.Duration, 0, *runs)
		var n int
		for i := 0; i <= *runs; i++ {
			t0 := time.Now()
			page, err := st.ListTickets(ctx, f)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			if i > 0 { // the first run warms the cache
				times = append(times, time.Since(t0))
			}
			n = len(page.Tickets)
		}
		slices.Sort(times)
		fmt.Fprintf(w, "%s\t%s\t%d\t%.1f\t%.1f\t\n", q.name, orDefault(f.Sort), n,
			ms(times[len(times)/2]), ms(times[(len(times)*95+99)/100-1]))
	}
	return w.Flush()
}

type namedQuery struct {
	name string
	f    store.TicketFilter
}

// listQueries are the lists queryRun times: every filter, each order,
// and searches (against the vocabulary of fill).
func listQueries(deepCursor string) []namedQuery {
	var qs []namedQuery
	for _, s := range []store.Sort{store.SortActivity, store.SortDue, store.SortPriority} {
		qs = append(qs,
			namedQuery{"all", store.TicketFilter{Sort: s}},
			namedQuery{"folder open", store.TicketFilter{Folder: "open", Sort: s}},
			namedQuery{"folder closed", store.TicketFilter{Folder: "closed", Sort: s}},
			namedQuery{"folder spam", store.TicketFilter{Folder: "spam", Sort: s}},
			namedQuery{"mine (fill1)", store.TicketFilter{Assignee: "fill1@agents.test", Sort: s}},
			namedQuery{"mine, open", store.TicketFilter{Assignee: "fill1@agents.test", Folder: "open", Sort: s}},
			namedQuery{"unassigned", store.TicketFilter{Unassigned: true, Sort: s}},
			namedQuery{"unassigned, open", store.TicketFilter{Unassigned: true, Folder: "open", Sort: s}},
			namedQuery{"department", store.TicketFilter{Department: "Fill 1", Sort: s}},
			namedQuery{"priority highest", store.TicketFilter{Priority: "highest", Sort: s}},
			namedQuery{"tag vip", store.TicketFilter{Tag: "vip", Sort: s}},
			namedQuery{"topic", store.TicketFilter{Topic: "topic-1", Sort: s}},
			namedQuery{"overdue", store.TicketFilter{Overdue: true, Sort: s}},
			namedQuery{"requester", store.TicketFilter{Requester: "jose.alvares0@exemplo.com.br", Sort: s}},
		)
	}
	qs = append(qs, namedQuery{"page 21 by cursor", store.TicketFilter{After: deepCursor}})
	for _, s := range []string{"pedido 1000042", "goncalves", "jose alvares", "xicara", "acucar", "reemb*", "cafe nao", "nao"} {
		qs = append(qs, namedQuery{"search " + s, store.TicketFilter{Search: s}})
	}
	qs = append(qs, namedQuery{"search xicara, open", store.TicketFilter{Search: "xicara", Folder: "open"}},
		namedQuery{"search acucar, mine", store.TicketFilter{Search: "acucar", Assignee: "fill1@agents.test"}})
	return qs
}

func orDefault(s store.Sort) store.Sort {
	if s == "" {
		return store.SortActivity
	}
	return s
}
