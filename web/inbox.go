package web

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// The inbox lists a property's tickets: one folder (a status) at a time,
// in a view (the member's own tickets, nobody's, everyone's), narrowed by
// the filters the API's list takes and searched with its q, through the
// same store call (store.ListTickets) as `ticket list` and GET
// /api/p/{prop}/tickets. Its query string is the whole state of the page,
// so a link, a reload and the live refresh (X-Fragment: inbox) show the
// same list.

// folders are the inbox's folders, in the order shown: each a status.
var folders = []struct{ status, label string }{
	{"open", "Open"}, {"answered", "Answered"}, {"snoozed", "Snoozing"},
	{"closed", "Closed"}, {"deleted", "Deleted"}, {"spam", "Spam"},
}

// views are the inbox's views: whose tickets it lists.
var views = []struct{ value, label string }{{"all", "All"}, {"mine", "Mine"}, {"unassigned", "Unassigned"}}

// maxBack caps the cursors of earlier pages an inbox URL carries for its
// "Newer" link; past it, Newer goes back to the first page.
const maxBack = 40

// inboxQuery is the state of an inbox page, read from its query string.
type inboxQuery struct {
	Folder, View, Q, Department, Tag, Topic, Priority, Sort string
	Overdue                                                 bool
	Cursor                                                  string
	Back                                                    []string // the cursors of the pages before this one, oldest first
}

// parseInboxQuery reads an inbox URL's query. Empty fields are absent (a
// form sends every field); values the store will check (names, search,
// cursor) are checked there.
func parseInboxQuery(q url.Values) (inboxQuery, error) {
	iq := inboxQuery{Folder: strings.ToLower(strings.TrimSpace(q.Get("folder"))), View: strings.ToLower(strings.TrimSpace(q.Get("view"))),
		Q: strings.TrimSpace(q.Get("q")), Department: strings.TrimSpace(q.Get("department")), Tag: strings.TrimSpace(q.Get("tag")),
		Topic: strings.TrimSpace(q.Get("topic")), Priority: strings.ToLower(strings.TrimSpace(q.Get("priority"))),
		Sort: strings.ToLower(strings.TrimSpace(q.Get("sort"))), Cursor: strings.TrimSpace(q.Get("cursor"))}
	if iq.Folder == "" {
		iq.Folder = "open"
	}
	if _, err := ticket.ParseStatus(iq.Folder); err != nil {
		return iq, fmt.Errorf("folder: %w", err)
	}
	switch iq.View {
	case "":
		iq.View = "all"
	case "all", "mine", "unassigned":
	default:
		return iq, fmt.Errorf("unknown view %q (want all, mine or unassigned)", iq.View)
	}
	if iq.Priority != "" {
		if _, err := ticket.ParsePriority(iq.Priority); err != nil {
			return iq, fmt.Errorf("priority: %w", err)
		}
	}
	if _, err := store.ParseSort(iq.Sort); err != nil {
		return iq, err
	}
	switch v := q.Get("overdue"); v {
	case "", "0", "false":
	case "1", "true", "on":
		iq.Overdue = true
	default:
		return iq, fmt.Errorf("overdue %q: want 1 or nothing", v)
	}
	if b := strings.TrimSpace(q.Get("back")); b != "" && iq.Cursor != "" {
		iq.Back = strings.Split(b, ",")
	}
	return iq, nil
}

// filter is the store's filter of the query, for a member of a property.
func (iq inboxQuery) filter(propertyID int64, member string) store.TicketFilter {
	f := store.TicketFilter{PropertyID: propertyID, Folder: iq.Folder, Department: iq.Department, Tag: iq.Tag,
		Topic: iq.Topic, Priority: ticket.Priority(iq.Priority), Overdue: iq.Overdue, Search: iq.Q, After: iq.Cursor, Limit: 50}
	f.Sort, _ = store.ParseSort(iq.Sort) // checked by parseInboxQuery
	switch iq.View {
	case "mine":
		f.Assignee = member
	case "unassigned":
		f.Unassigned = true
	}
	return f
}

// url is the inbox URL of the query with some fields changed.
func (iq inboxQuery) url(slug string, change func(*inboxQuery)) string {
	n := iq
	n.Back = append([]string(nil), iq.Back...)
	if change != nil {
		change(&n)
	}
	v := url.Values{}
	set := func(k, val string) {
		if val != "" {
			v.Set(k, val)
		}
	}
	set("folder", n.Folder)
	if n.View != "all" {
		set("view", n.View)
	}
	set("q", n.Q)
	set("department", n.Department)
	set("priority", n.Priority)
	set("tag", n.Tag)
	set("topic", n.Topic)
	if n.Sort != "activity" {
		set("sort", n.Sort)
	}
	if n.Overdue {
		v.Set("overdue", "1")
	}
	if n.Cursor != "" {
		set("cursor", n.Cursor)
		set("back", strings.Join(n.Back, ","))
	}
	return "/p/" + slug + "/?" + v.Encode()
}

// link is a folder or view of the inbox's navigation.
type link struct {
	Label   string
	URL     string
	Count   int64
	Current bool
}

// inboxRow is one ticket as a row of the list.
type inboxRow struct {
	ticket.Ticket
	URL     string
	Due     time.Time // the earlier due time (store.DueTime)
	Overdue bool      // marked overdue and not closed: shown with 🔥 in red
}

// inboxPage is the inbox's data.
type inboxPage struct {
	Query       inboxQuery
	Action      string // the form's action: the inbox's path
	Folders     []link
	Views       []link
	Departments []string
	Topics      []string
	Tags        []string
	Priorities  []ticket.Priority
	Sorts       []string
	Rows        []inboxRow
	Error       string // what is wrong with the query, shown in place of rows
	Older       string // the next page's URL, "" on the last
	Newer       string // the previous page's URL, "" on the first
}

// PageTitle names the inbox by its folder.
func (p inboxPage) PageTitle() string {
	for _, f := range p.Folders {
		if f.Current {
			return f.Label + " · Inbox"
		}
	}
	return "Inbox"
}

// inbox lists a property's tickets. With the header X-Fragment: inbox it
// answers the list alone (no layout), for the page's live refresh. Its
// server time, rendering included, is in the Server-Timing header the page
// wrapper adds (call.go).
func (s *Server) inbox(c *call) error {
	ctx := c.r.Context()
	slug := c.prop.Slug
	p := inboxPage{Action: "/p/" + slug + "/", Priorities: ticket.Priorities(),
		Sorts: []string{string(store.SortActivity), string(store.SortDue), string(store.SortPriority)}}
	status := http.StatusOK
	iq, qerr := parseInboxQuery(c.r.URL.Query())
	p.Query = iq
	if qerr != nil {
		status, p.Error = http.StatusBadRequest, qerr.Error()
	}
	if err := s.inboxChoices(c, &p); err != nil {
		return err
	}
	if qerr == nil {
		page, err := s.st.ListTickets(ctx, iq.filter(c.prop.ID, c.member.Email))
		switch {
		case errors.Is(err, store.ErrBadFilter) || errors.Is(err, store.ErrNotFound):
			status, p.Error = http.StatusBadRequest, err.Error()
		case err != nil:
			return err
		}
		for _, t := range page.Tickets {
			p.Rows = append(p.Rows, inboxRow{Ticket: t, URL: fmt.Sprintf("/p/%s/tickets/%d", slug, t.Number),
				Due: store.DueTime(t), Overdue: !t.OverdueAt.IsZero() && t.Status != ticket.StatusClosed})
		}
		p.pager(slug, page.Next)
	}
	if c.r.Header.Get("X-Fragment") == "inbox" {
		return c.fragment(status, "inbox", "list", p)
	}
	return c.render(status, "inbox", p)
}

// inboxChoices fills the folders with their counts, the views and the
// filters' choices: the property's departments, topics and tags.
func (s *Server) inboxChoices(c *call, p *inboxPage) error {
	ctx, iq, slug := c.r.Context(), p.Query, c.prop.Slug
	var assignee string
	if iq.View == "mine" {
		assignee = c.member.Email
	}
	counts, err := s.st.CountFolders(ctx, c.prop.ID, assignee, iq.View == "unassigned")
	if err != nil {
		return err
	}
	for _, f := range folders {
		p.Folders = append(p.Folders, link{Label: f.label, Count: counts[f.status], Current: iq.Folder == f.status,
			URL: iq.url(slug, func(n *inboxQuery) { n.Folder, n.Cursor, n.Back = f.status, "", nil })})
	}
	for _, v := range views {
		p.Views = append(p.Views, link{Label: v.label, Current: iq.View == v.value,
			URL: iq.url(slug, func(n *inboxQuery) { n.View, n.Cursor, n.Back = v.value, "", nil })})
	}
	deps, err := s.st.Departments(ctx, slug)
	if err != nil {
		return err
	}
	for _, d := range deps {
		p.Departments = append(p.Departments, d.Name)
	}
	if p.Topics, err = s.topicNames(ctx, c.prop.ID); err != nil {
		return err
	}
	p.Tags, err = s.st.PropertyTags(ctx, c.prop.ID, 200)
	return err
}

// pager sets the Older and Newer links: Older follows the store's cursor
// and remembers this page's; Newer goes back to the page before.
func (p *inboxPage) pager(slug, next string) {
	iq := p.Query
	if next != "" {
		p.Older = iq.url(slug, func(n *inboxQuery) {
			if n.Cursor != "" {
				n.Back = append(n.Back, n.Cursor)
			}
			if len(n.Back) > maxBack {
				n.Back = n.Back[len(n.Back)-maxBack:]
			}
			n.Cursor = next
		})
	}
	if iq.Cursor != "" {
		p.Newer = iq.url(slug, func(n *inboxQuery) {
			n.Cursor = ""
			if k := len(n.Back); k > 0 {
				n.Cursor, n.Back = n.Back[k-1], n.Back[:k-1]
			}
		})
	}
}

// fragment writes one template of a page without the layout.
func (c *call) fragment(status int, page, name string, data any) error {
	t, ok := c.s.pages[page]
	if !ok {
		return fmt.Errorf("no page %q", page)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, name, data); err != nil {
		return fmt.Errorf("render %s %s: %w", page, name, err)
	}
	c.w.Header().Set("Content-Type", "text/html; charset=utf-8")
	c.w.Header().Set("Cache-Control", "no-store")
	c.w.WriteHeader(status)
	_, err := c.w.Write(b.Bytes())
	return err
}

// DueISO is the due time for a <time> element.
func (r inboxRow) DueISO() string { return r.Due.UTC().Format(time.RFC3339) }

// UpdatedISO is the last activity's time for a <time> element.
func (r inboxRow) UpdatedISO() string { return r.UpdatedAt.UTC().Format(time.RFC3339) }
