package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/postdesk/postdesk/store"
)

// apiQueryRun times the same lists and searches as queryRun, through a
// running gateway's HTTP API (GET /api/properties/{prop}/tickets): the
// store's query, the token check, JSON encoding and the loopback round
// trip. It prints p50 and p99 per query.
//
//	postdesk-load apiquery -url http://127.0.0.1:8025 -token TOKEN -property acme -runs 100
func apiQueryRun(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("postdesk-load apiquery", flag.ContinueOnError)
	base := fs.String("url", "http://127.0.0.1:8025", "the gateway's HTTP API")
	token := fs.String("token", "", "an API token of a member of the property (postdesk token create)")
	slug := fs.String("property", "acme", "property to list")
	runs := fs.Int("runs", 100, "runs of each query")
	limit := fs.Int("limit", 50, "tickets per page")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 1 || *token == "" {
		return fmt.Errorf("-token is required and -runs at least 1")
	}
	c := apiLister{base: *base + "/api/properties/" + url.PathEscape(*slug) + "/tickets", token: *token,
		limit: *limit, hc: &http.Client{Timeout: time.Minute}}
	deep := store.TicketFilter{}
	for range 20 {
		next, _, err := c.list(ctx, deep)
		if err != nil {
			return err
		}
		deep.After = next
	}
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(w, "query\tsort\ttickets\tp50 ms\tp99 ms\t")
	for _, q := range listQueries(deep.After) {
		times := make([]time.Duration, 0, *runs)
		var n int
		for i := 0; i <= *runs; i++ {
			t0 := time.Now()
			_, got, err := c.list(ctx, q.f)
			if err != nil {
				return fmt.Errorf("%s: %w", q.name, err)
			}
			if i > 0 { // the first run warms the cache
				times = append(times, time.Since(t0))
			}
			n = got
		}
		slices.Sort(times)
		fmt.Fprintf(w, "%s\t%s\t%d\t%.1f\t%.1f\t\n", q.name, orDefault(q.f.Sort), n,
			ms(times[len(times)/2]), ms(times[(len(times)*99+99)/100-1]))
	}
	return w.Flush()
}

// apiLister lists tickets through the API.
type apiLister struct {
	base, token string
	limit       int
	hc          *http.Client
}

// list fetches one page of f and returns its next cursor and its size.
func (c apiLister) list(ctx context.Context, f store.TicketFilter) (next string, n int, err error) {
	req, err := http.NewRequestWithContext(ctx, "GET", c.base+"?"+apiParams(f, c.limit).Encode(), nil)
	if err != nil {
		return "", 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return "", 0, fmt.Errorf("%s: %s", resp.Status, b)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
		Next  string            `json:"next"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		return "", 0, err
	}
	return page.Next, len(page.Items), nil
}

// apiParams is a ticket filter as the API's query parameters.
func apiParams(f store.TicketFilter, limit int) url.Values {
	v := url.Values{"limit": {strconv.Itoa(limit)}}
	set := func(k, s string) {
		if s != "" {
			v.Set(k, s)
		}
	}
	set("folder", f.Folder)
	set("assignee", f.Assignee)
	set("department", f.Department)
	set("priority", string(f.Priority))
	set("tag", f.Tag)
	set("topic", f.Topic)
	set("requester", f.Requester)
	set("q", f.Search)
	set("sort", string(f.Sort))
	set("cursor", f.After)
	if f.Unassigned {
		v.Set("unassigned", "true")
	}
	if f.Overdue {
		v.Set("overdue", "true")
	}
	return v
}
