package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// listTicket is one ticket of the list fixture. Times are unix ms.
type listTicket struct {
	status, prio, assignee, dept, topic, requester, reqName string
	tags                                                    []string
	overdue, updated, frDue, frAt, resDue                   int64
	subject, body, author                                   string
}

// listFixture: eight tickets numbered 1 to 8 in this order, with ties of
// updated_at (1 and 2 at 1000, 3 and 4 at 2000) so that pages break
// inside a tie. Due keys: 8: 1000, 4: 4000, 1: 5000, 7: 5500 (resolution
// before first response), 2: 8000 (first response met), 3: none.
var listFixture = []listTicket{
	{status: "open", prio: "medium", assignee: "alice@p.test", dept: "Support", topic: "billing", requester: "ana@x.test", reqName: "Ana",
		tags: []string{"vip"}, updated: 1000, frDue: 5000, resDue: 9000, subject: "Login", body: "Não consigo entrar na conta", author: "Ana"},
	{status: "answered", prio: "high", assignee: "bob@p.test", dept: "Support", requester: "ana@x.test", reqName: "Ana",
		overdue: 1, updated: 1000, frDue: 3000, frAt: 2500, resDue: 8000, subject: "Café com leite", body: "pedido 42", author: "Ana"},
	{status: "snoozed", prio: "low", dept: "Sales", requester: "bo@x.test", reqName: "Bo",
		tags: []string{"vip", "billing-x"}, updated: 2000, subject: "Quote", body: "a quote please", author: "José Álvares"},
	{status: "closed", prio: "highest", assignee: "alice@p.test", dept: "Sales", requester: "bo@x.test", reqName: "Bo",
		tags: []string{"vip"}, overdue: 1, updated: 2000, resDue: 4000, subject: "Invoice", body: "wrong invoice", author: "Bo"},
	{status: "deleted", prio: "medium", dept: "Support", requester: "ana@x.test", reqName: "Ana",
		updated: 3000, subject: "Old", body: "não", author: "Ana"},
	{status: "spam", prio: "lowest", dept: "Support", requester: "spam@x.test", reqName: "Spammer",
		updated: 3500, subject: "Buy", body: "buy now", author: "Spammer"},
	{status: "open", prio: "highest", dept: "Support", topic: "billing", requester: "cy@x.test", reqName: "Zoë Cyrus",
		overdue: 1, updated: 4000, frDue: 6000, resDue: 5500, subject: "Down", body: "the site is down", author: "Cy"},
	{status: "open", prio: "lowest", assignee: "bob@p.test", dept: "Sales", requester: "dee@x.test", reqName: "Dee",
		updated: 500, frDue: 1000, subject: "Hello", body: "hello there", author: "Dee"},
}

// openListFixture stores listFixture in a fresh store.
func openListFixture(t *testing.T) (*Store, ticket.Property) {
	t.Helper()
	st := openTest(t)
	ctx := context.Background()
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"help@p.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"alice@p.test", "bob@p.test"} {
		if _, err := st.AddMember(ctx, "p", ticket.Member{Email: m, Name: m[:3], Role: ticket.RoleAgent}, "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.AddDepartment(ctx, "p", ticket.Department{Name: "Sales"}, "test"); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO topics (property_id, name, created_at) VALUES (?, 'billing', 0)`, p.ID); err != nil {
			return err
		}
		for _, f := range listFixture {
			if err := storeListTicket(tx, p.ID, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return st, p
}

func storeListTicket(tx *Tx, propertyID int64, f listTicket) error {
	c, err := tx.Contact(propertyID, f.requester, f.reqName)
	if err != nil {
		return err
	}
	tk := ticket.Ticket{PropertyID: propertyID, Subject: f.subject, Status: ticket.Status(f.status),
		Priority: ticket.Priority(f.prio), RequesterID: c.ID}
	if err := tx.CreateTicket(&tk); err != nil {
		return err
	}
	if err := tx.SetTags(tk.ID, f.tags); err != nil {
		return err
	}
	m := ticket.Message{PropertyID: propertyID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
		AuthorID: c.ID, AuthorEmail: c.Email, AuthorName: f.author, MessageID: fmt.Sprintf("m%d@x.test", tk.Number),
		Subject: f.subject, Text: f.body}
	if err := tx.InsertMessage(&m, nil); err != nil {
		return err
	}
	_, err = tx.exec(`UPDATE tickets SET
		assignee_id = (SELECT id FROM members WHERE property_id = ?1 AND email = ?2),
		department_id = (SELECT id FROM departments WHERE property_id = ?1 AND name = ?3),
		topic_id = (SELECT id FROM topics WHERE property_id = ?1 AND name = ?4),
		overdue_at = ?5, updated_at = ?6, first_response_due = ?7, first_response_at = ?8, resolution_due = ?9
		WHERE id = ?10`, propertyID, f.assignee, f.dept, f.topic, f.overdue, f.updated, f.frDue, f.frAt, f.resDue, tk.ID)
	return err
}

func numbers(ts []ticket.Ticket) []int64 {
	out := []int64{}
	for _, t := range ts {
		out = append(out, t.Number)
	}
	return out
}

// TestListTicketFilters: each filter alone and a few together, in the
// default order (newest activity first, ties by id).
func TestListTicketFilters(t *testing.T) {
	st, p := openListFixture(t)
	for _, tt := range []struct {
		name string
		f    TicketFilter
		want []int64
	}{
		{"default folder: all but deleted and spam", TicketFilter{}, []int64{7, 4, 3, 2, 1, 8}},
		{"folder all", TicketFilter{Folder: "all"}, []int64{7, 4, 3, 2, 1, 8}},
		{"folder open", TicketFilter{Folder: "open"}, []int64{7, 1, 8}},
		{"folder answered", TicketFilter{Folder: "answered"}, []int64{2}},
		{"folder snoozed", TicketFilter{Folder: "snoozed"}, []int64{3}},
		{"folder closed", TicketFilter{Folder: "closed"}, []int64{4}},
		{"folder deleted", TicketFilter{Folder: "deleted"}, []int64{5}},
		{"folder spam", TicketFilter{Folder: "Spam"}, []int64{6}},
		{"assignee alice", TicketFilter{Assignee: "alice@p.test"}, []int64{4, 1}},
		{"assignee (mine) bob, any case", TicketFilter{Assignee: "Bob@P.test"}, []int64{2, 8}},
		{"unassigned", TicketFilter{Unassigned: true}, []int64{7, 3}},
		{"department Support", TicketFilter{Department: "Support"}, []int64{7, 2, 1}},
		{"department Sales", TicketFilter{Department: "Sales"}, []int64{4, 3, 8}},
		{"priority highest", TicketFilter{Priority: ticket.PriorityHighest}, []int64{7, 4}},
		{"priority lowest", TicketFilter{Priority: ticket.PriorityLowest}, []int64{8}},
		{"tag vip", TicketFilter{Tag: "VIP"}, []int64{4, 3, 1}},
		{"tag billing-x", TicketFilter{Tag: "billing-x"}, []int64{3}},
		{"tag nobody has", TicketFilter{Tag: "none"}, []int64{}},
		{"topic billing", TicketFilter{Topic: "billing"}, []int64{7, 1}},
		{"overdue, not closed", TicketFilter{Overdue: true}, []int64{7, 2}},
		{"requester ana", TicketFilter{Requester: "ANA@x.test"}, []int64{2, 1}},
		{"requester bo", TicketFilter{Requester: "bo@x.test"}, []int64{4, 3}},
		{"open and bob's", TicketFilter{Folder: "open", Assignee: "bob@p.test"}, []int64{8}},
		{"vip in Sales", TicketFilter{Tag: "vip", Department: "Sales"}, []int64{4, 3}},
		{"overdue and unassigned in open", TicketFilter{Overdue: true, Unassigned: true, Folder: "open"}, []int64{7}},
	} {
		tt.f.PropertyID = p.ID
		page, err := st.ListTickets(context.Background(), tt.f)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := numbers(page.Tickets); !slices.Equal(got, tt.want) || page.Next != "" {
			t.Errorf("%s: %v (next %q), want %v", tt.name, got, page.Next, tt.want)
		}
	}
}

// TestListTicketSortsAndPages: each order, and every page size walks it
// whole by cursor, page breaks inside ties included, each ticket once.
func TestListTicketSortsAndPages(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	for _, tt := range []struct {
		sort Sort
		want []int64
	}{
		{SortActivity, []int64{7, 4, 3, 2, 1, 8}},
		{SortDue, []int64{8, 4, 1, 7, 2, 3}},
		{SortPriority, []int64{7, 4, 2, 1, 3, 8}},
	} {
		for _, limit := range []int{1, 2, 3, 4, 5, 6, 100} {
			var got []int64
			f := TicketFilter{PropertyID: p.ID, Sort: tt.sort, Limit: limit}
			for pages := 0; ; pages++ {
				page, err := st.ListTickets(ctx, f)
				if err != nil {
					t.Fatalf("%s limit %d: %v", tt.sort, limit, err)
				}
				if len(page.Tickets) > limit || pages > len(tt.want) {
					t.Fatalf("%s limit %d: a page of %d", tt.sort, limit, len(page.Tickets))
				}
				got = append(got, numbers(page.Tickets)...)
				if page.Next == "" {
					break
				}
				f.After = page.Next
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s by %d: %v, want %v", tt.sort, limit, got, tt.want)
			}
		}
	}
}

// TestListTicketBadFilters: a wrong cursor, sort or folder is ErrBadFilter,
// an unknown name ErrNotFound, each with words saying which.
func TestListTicketBadFilters(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	first, err := st.ListTickets(ctx, TicketFilter{PropertyID: p.ID, Limit: 2})
	if err != nil || first.Next == "" {
		t.Fatalf("first page: %v, next %q", err, first.Next)
	}
	for _, tt := range []struct {
		f    TicketFilter
		want error
		says string
	}{
		{TicketFilter{After: "garbage!"}, ErrBadFilter, "cursor"},
		{TicketFilter{After: first.Next, Sort: SortDue}, ErrBadFilter, "cursor"},
		{TicketFilter{Sort: "size"}, ErrBadFilter, "sort"},
		{TicketFilter{Folder: "inbox"}, ErrBadFilter, "inbox"},
		{TicketFilter{Assignee: "eve@p.test"}, ErrNotFound, "assignee"},
		{TicketFilter{Department: "Nope"}, ErrNotFound, "department"},
		{TicketFilter{Topic: "nope"}, ErrNotFound, "topic"},
		{TicketFilter{Requester: "who@x.test"}, ErrNotFound, "requester"},
		{TicketFilter{Search: `" * ()`}, ErrBadFilter, "no word"},
		{TicketFilter{Search: strings.Repeat("a ", 17)}, ErrBadFilter, "16 words"},
	} {
		tt.f.PropertyID = p.ID
		_, err := st.ListTickets(ctx, tt.f)
		if !errors.Is(err, tt.want) || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("%+v: %v, want %v saying %q", tt.f, err, tt.want, tt.says)
		}
	}
}

// TestListTicketPlans checks with EXPLAIN QUERY PLAN that every filter in
// every order, on a first page and after a cursor, finds its tickets
// through an index: no scan of tickets, and a filter that keeps few
// tickets never walks a whole property's order index testing each one.
func TestListTicketPlans(t *testing.T) {
	sqliteOnly(t) // PostgreSQL plans from statistics; TestListTicketFilters and TestListLargeFilters check its pages
	st, p := openListFixture(t)
	ctx := context.Background()
	filters := map[string]TicketFilter{
		"all": {}, "folder": {Folder: "open"}, "assignee": {Assignee: "alice@p.test"}, "unassigned": {Unassigned: true},
		"department": {Department: "Sales"}, "priority": {Priority: ticket.PriorityHigh}, "tag": {Tag: "vip"},
		"topic": {Topic: "billing"}, "overdue": {Overdue: true}, "requester": {Requester: "ana@x.test"},
		"search": {Search: "nao"}, "folder+assignee": {Folder: "open", Assignee: "bob@p.test"},
		"folder+overdue": {Folder: "open", Overdue: true}, "search+tag": {Search: "nao", Tag: "vip"},
	}
	walks := []string{"tickets_activity (property_id=?)", "tickets_due (property_id=?)", "tickets_rank (property_id=?)",
		"sqlite_autoindex_tickets_1 (property_id=?)"}
	for name, f := range filters {
		for _, sort := range []Sort{SortActivity, SortDue, SortPriority} {
			for _, after := range []string{"", encodeCursor(sort, make([]int64, len(orders[sort].keys)))} {
				f.PropertyID, f.Sort, f.After = p.ID, sort, after
				plan := explainList(t, st, ctx, f)
				what := fmt.Sprintf("%s by %s (cursor %v)", name, sort, after != "")
				for _, step := range plan {
					partial := step == "SCAN t USING INDEX tickets_overdue" // holds only overdue tickets
					page := step == "SCAN k"                                // the page the subquery chose
					if strings.HasPrefix(step, "SCAN ") && !strings.Contains(step, "VIRTUAL TABLE") && !partial && !page {
						t.Errorf("%s scans a table: %s\n%s", what, step, strings.Join(plan, "\n"))
					}
					for _, w := range walks {
						if name != "all" && name != "folder" && name != "unassigned" && name != "priority" &&
							strings.HasSuffix(step, w) {
							t.Errorf("%s walks the property: %s\n%s", what, step, strings.Join(plan, "\n"))
						}
					}
				}
			}
		}
	}
}

func explainList(t *testing.T, st *Store, ctx context.Context, f TicketFilter) []string {
	t.Helper()
	q, args, err := st.listQuery(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return queryPlan(t, st, "list", q, args...)
}

// TestListLargeFilters: filters keeping more than sortLimit tickets walk
// their order's index instead of sorting their tickets, and list the same
// tickets in the same order, page after page.
func TestListLargeFilters(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	type row struct{ id, due, rank int64 }
	var rows []row
	err := st.Update(ctx, func(tx *Tx) error {
		for i := range sortLimit + 100 {
			prio := ticket.Priorities()[i%5]
			tk := ticket.Ticket{PropertyID: p.ID, Subject: "mass", Status: ticket.StatusOpen, Priority: prio, RequesterID: 1}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			if err := tx.SetTags(tk.ID, []string{"mass"}); err != nil {
				return err
			}
			due := int64(1000 + i%37*10) // ties
			_, err := tx.exec(`UPDATE tickets SET resolution_due = ?, assignee_id = (SELECT id FROM members WHERE email = 'alice@p.test')
				WHERE id = ?`, due, tk.ID)
			if err != nil {
				return err
			}
			rows = append(rows, row{tk.ID, due, int64(prio.Rank())})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	byDue := slices.Clone(rows)
	slices.SortFunc(byDue, func(a, b row) int {
		if a.due != b.due {
			return int(a.due - b.due)
		}
		return int(a.id - b.id)
	})
	byRank := slices.Clone(rows)
	slices.SortFunc(byRank, func(a, b row) int {
		if a.rank != b.rank {
			return int(b.rank - a.rank)
		}
		return int(b.id - a.id)
	})
	ids := func(rs []row) []int64 {
		var out []int64
		for _, r := range rs {
			out = append(out, r.id)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		f    TicketFilter
		want []int64
	}{
		{"tag by due", TicketFilter{Tag: "mass", Sort: SortDue}, ids(byDue)},
		{"tag and assignee by priority", TicketFilter{Tag: "mass", Assignee: "alice@p.test", Sort: SortPriority}, ids(byRank)},
	} {
		tt.f.PropertyID, tt.f.Limit = p.ID, 500
		if !onPostgres() { // PostgreSQL plans from statistics; its pages are checked below
			plan := strings.Join(explainList(t, st, ctx, tt.f), "\n")
			if !strings.Contains(plan, "USING INDEX tickets_due") && !strings.Contains(plan, "USING INDEX tickets_rank") {
				t.Errorf("%s does not walk its order's index:\n%s", tt.name, plan)
			}
		}
		var got []int64
		for {
			page, err := st.ListTickets(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			for _, tk := range page.Tickets {
				got = append(got, tk.ID)
			}
			if tt.f.After = page.Next; tt.f.After == "" {
				break
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: %d tickets, want %d in order (first %v, want %v)", tt.name, len(got), len(tt.want), got[:min(5, len(got))], tt.want[:5])
		}
	}
}
