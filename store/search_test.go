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

// TestSearch: words match whatever their case and accents, in subjects,
// texts, authors' names and the requester's name and address; a word with
// * is a prefix; every word must match; hostile strings are text, never an
// FTS5 syntax error; a search combines with filters.
func TestSearch(t *testing.T) {
	st, p := openListFixture(t)
	for _, tt := range []struct {
		search string
		f      TicketFilter
		want   []int64
	}{
		{search: "nao", want: []int64{1}}, // body "Não consigo", 5 is deleted
		{search: "não", f: TicketFilter{Folder: "deleted"}, want: []int64{5}},
		{search: "NAO", f: TicketFilter{Folder: "all"}, want: []int64{1}},
		{search: "cafe", want: []int64{2}}, // subject "Café com leite"
		{search: "CAFÉ", want: []int64{2}},
		{search: "jose alvares", want: []int64{3}}, // author's name
		{search: "zoe", want: []int64{7}},          // requester's contact name
		{search: "cy@x.test", want: []int64{7}},    // requester's address
		{search: "ana", want: []int64{2, 1}},       // author and requester
		{search: "consi*", want: []int64{1}},
		{search: "consi", want: []int64{}},                  // a word, not a prefix
		{search: "CAFÉ*", want: []int64{2}},                 // a prefix without its accent
		{search: "alv* jose", want: []int64{3}},             // a prefix before a word
		{search: "con* entr*", want: []int64{1}},            // two prefixes, both must match
		{search: "jose@customer.test*", want: []int64{}},    // every token must match
		{search: "x.test", want: []int64{7, 4, 3, 2, 1, 8}}, // every address, cut at the dot (5, 6: deleted, spam)
		{search: "a & !b | c:*", want: []int64{}},           // PostgreSQL's tsquery operators are text too
		{search: "quote please", want: []int64{3}},          // in any order:
		{search: "please quote", want: []int64{3}},
		{search: "nao consigo", want: []int64{1}},
		{search: "nao cafe", want: []int64{}}, // every word must match
		{search: `"nao`, want: []int64{1}},
		{search: `nao" OR "cafe`, want: []int64{}}, // OR is a word here
		{search: "AND(", want: []int64{}},
		{search: "NEAR(nao", want: []int64{}},
		{search: "subject:cafe", want: []int64{}},
		{search: "-nao", want: []int64{1}},
		{search: "^nao", want: []int64{1}},
		{search: "nao\x00", want: []int64{1}},
		{search: "invoice", f: TicketFilter{Folder: "closed"}, want: []int64{4}},
		{search: "invoice", f: TicketFilter{Folder: "open"}, want: []int64{}},
		{search: "ana", f: TicketFilter{Assignee: "bob@p.test"}, want: []int64{2}},
		{search: "ana", f: TicketFilter{Sort: SortDue}, want: []int64{1, 2}},
	} {
		tt.f.PropertyID, tt.f.Search = p.ID, tt.search
		page, err := st.ListTickets(context.Background(), tt.f)
		if err != nil {
			t.Errorf("search %q: %v", tt.search, err)
			continue
		}
		if got := numbers(page.Tickets); !slices.Equal(got, tt.want) {
			t.Errorf("search %q (%+v): %v, want %v", tt.search, tt.f, got, tt.want)
		}
	}
}

// TestSearchIndexedInTheTransaction: a message is found as soon as the
// transaction that stored it commits, and a renamed contact by its new
// name only.
func TestSearchIndexedInTheTransaction(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	search := func(q string) []int64 {
		t.Helper()
		page, err := st.ListTickets(ctx, TicketFilter{PropertyID: p.ID, Search: q})
		if err != nil {
			t.Fatal(err)
		}
		return numbers(page.Tickets)
	}
	err := st.Update(ctx, func(tx *Tx) error {
		m := ticket.Message{PropertyID: p.ID, TicketID: 8, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorEmail: "dee@x.test", MessageID: "late@x.test", Subject: "Re: Hello", Text: "açúcar mascavo"}
		if err := tx.InsertMessage(&m, nil); err != nil {
			return err
		}
		_, err := tx.exec(`UPDATE contacts SET name = 'Dolores' WHERE email = 'dee@x.test'`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := search("acucar"); !slices.Equal(got, []int64{8}) {
		t.Errorf("search right after the commit: %v, want [8]", got)
	}
	if got := search("dolores"); !slices.Equal(got, []int64{8}) {
		t.Errorf("renamed contact: %v, want [8]", got)
	}
	if got := search("dee"); !slices.Equal(got, []int64{8}) { // the address still holds "dee"
		t.Errorf("old name in the address: %v, want [8]", got)
	}
}

// TestSearchQueuedRowsChangedBeforeCommit: rows inserted and then changed
// or deleted in one transaction are indexed as they are at its end (on
// SQLite the index is written at commit, migration 0024; on PostgreSQL it
// is a generated column), nothing of a transaction that failed is, and on
// SQLite the index stays consistent with its content tables (FTS5's
// integrity-check) and its queue is empty.
func TestSearchQueuedRowsChangedBeforeCommit(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	err := st.Update(ctx, func(tx *Tx) error {
		c, err := tx.Contact(p.ID, "quinn@x.test", "Quinn Early")
		if err != nil {
			return err
		}
		if _, err := tx.exec(`UPDATE contacts SET name = 'Quinn Later' WHERE id = ?`, c.ID); err != nil {
			return err
		}
		gone := ticket.Message{PropertyID: p.ID, TicketID: 8, Direction: ticket.Inbound, Kind: ticket.KindEmail,
			AuthorEmail: "dee@x.test", MessageID: "gone@x.test", Subject: "Re: Hello", Text: "ephemeral words"}
		if err := tx.InsertMessage(&gone, nil); err != nil {
			return err
		}
		_, err = tx.exec(`DELETE FROM messages WHERE id = ?`, gone.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	failed := errors.New("fails after writing")
	if err := st.Update(ctx, func(tx *Tx) error {
		if _, err := tx.Contact(p.ID, "rolled@x.test", "Rolled Back"); err != nil {
			return err
		}
		return failed
	}); !errors.Is(err, failed) {
		t.Fatalf("failing transaction: %v", err)
	}
	for _, q := range []string{"later", "early", "ephemeral", "rolled"} {
		n, m := indexedMatches(t, st, q)
		if want := map[string]int{"later": 1}[q]; n+m != want {
			t.Errorf("%q: %d contacts and %d messages in the index, want %d", q, n, m, want)
		}
	}
	if onPostgres() {
		return
	}
	for _, table := range []string{"message_fts", "contact_fts"} {
		if _, err := st.w.Exec(`INSERT INTO ` + table + `(` + table + `) VALUES ('integrity-check')`); err != nil {
			t.Errorf("%s: %v", table, err)
		}
	}
	var pending int
	if err := st.r.QueryRow(`SELECT COUNT(*) FROM fts_pending`).Scan(&pending); err != nil || pending != 0 {
		t.Errorf("%d rows left queued (%v)", pending, err)
	}
}

// indexedMatches counts the contacts and messages the search index finds
// for one word, in the store's dialect.
func indexedMatches(t *testing.T, st *Store, word string) (contacts, messages int) {
	t.Helper()
	q := `SELECT (SELECT COUNT(*) FROM contact_fts WHERE contact_fts MATCH ?1),
		(SELECT COUNT(*) FROM message_fts WHERE message_fts MATCH ?1)`
	if onPostgres() {
		q = `SELECT (SELECT COUNT(*) FROM contacts WHERE search_vector @@ plainto_tsquery('simple', search_text(?1))),
			(SELECT COUNT(*) FROM messages WHERE search_vector @@ plainto_tsquery('simple', search_text(?1)))`
	}
	if err := st.r.QueryRow(st.dialect.rebind(q), word).Scan(&contacts, &messages); err != nil {
		t.Fatal(err)
	}
	return contacts, messages
}

// undoSearchStep undoes migration 0022 in each dialect, keeping the rows,
// as if they had been written before it.
var undoSearchStep = map[dialect][]string{
	sqlite: {`DROP TABLE message_fts`, `DROP TABLE contact_fts`, `DROP TABLE ticket_tags`,
		`DROP TRIGGER message_fts_insert`, `DROP TRIGGER message_fts_delete`, `DROP TRIGGER message_fts_update`,
		`DROP TRIGGER contact_fts_insert`, `DROP TRIGGER contact_fts_delete`, `DROP TRIGGER contact_fts_update`},
	postgres: {`ALTER TABLE messages DROP COLUMN search_vector`, `ALTER TABLE contacts DROP COLUMN search_vector`,
		`DROP FUNCTION search_text(text)`, `DROP FUNCTION search_unaccent(text)`, `DROP EXTENSION unaccent`, `DROP TABLE ticket_tags`},
}

// TestSearchBackfill: a database that had mail and tags before migration
// 0022 finds them after it.
func TestSearchBackfill(t *testing.T) {
	opts := testOptions(t)
	ctx := context.Background()
	st, err := Open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.AddProperty(ctx, ticket.Property{Slug: "p", Name: "P", Addresses: []string{"help@p.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	st.testExec(t, `INSERT INTO topics (property_id, name, created_at) VALUES (?, 'billing', 0)`, p.ID)
	if _, err := st.AddDepartment(ctx, "p", ticket.Department{Name: "Sales"}, "test"); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		for _, f := range listFixture[2:4] { // no assignees: no members in this store
			f.assignee = ""
			if err := storeListTicket(tx, p.ID, f); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range append(undoSearchStep[st.dialect],
		`DROP INDEX tickets_activity`, `DROP INDEX tickets_due`, `DROP INDEX tickets_rank`, `DROP INDEX tickets_assignee`, `DROP INDEX tickets_department`, `DROP INDEX tickets_topic`, `DROP INDEX tickets_requester`, `DROP INDEX tickets_overdue`,
		`DELETE FROM schema_migrations WHERE version = 22`,
	) {
		st.testExec(t, q)
	}
	st.Close()
	if st, err = Open(ctx, opts); err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tt := range []struct {
		f    TicketFilter
		want []int64
	}{
		{TicketFilter{Search: "jose"}, []int64{1}},
		{TicketFilter{Search: "invoice"}, []int64{2}},
		{TicketFilter{Search: "bo"}, []int64{2, 1}}, // the requester's name
		{TicketFilter{Tag: "vip"}, []int64{2, 1}},
		{TicketFilter{Tag: "billing-x"}, []int64{1}},
	} {
		tt.f.PropertyID = p.ID
		page, err := st.ListTickets(ctx, tt.f)
		if err != nil || !slices.Equal(numbers(page.Tickets), tt.want) {
			t.Errorf("after the migration, %+v: %v, %v; want %v", tt.f, numbers(page.Tickets), err, tt.want)
		}
	}
}

// FuzzSearchQuery: whatever a person types, SearchQuery refuses it with
// ErrBadFilter or gives a search term that the dialect (FTS5, or
// PostgreSQL's text search) runs without error.
func FuzzSearchQuery(f *testing.F) {
	for _, s := range []string{`"`, `AND(`, `*`, "\x00", `nao*`, `NEAR(a b)`, `a:b`, `^x`, `-x`, `"""`, `é*`,
		`foo"*`, `a OR b`, `{a b}:c`, `x* *y`, "\xff\xfe", `"a" + "b"`, `col:"x"`, `a & !b | c:*`, `'x' <-> y`,
		`ŉ*`, `ʹ*`, `ǅ ﬁ*`, `\x*`, `a:* b*`} {
		f.Add(s)
	}
	st, err := Open(context.Background(), testOptions(f))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	f.Fuzz(func(t *testing.T, s string) {
		if _, err := SearchQuery(s); err != nil && !errors.Is(err, ErrBadFilter) {
			t.Fatalf("SearchQuery(%q): %v, not ErrBadFilter", s, err)
		}
		q, err := parseSearch(s)
		if err != nil {
			return
		}
		term, args := st.dialect.searchTerm(q, 1)
		var n int
		if err := st.r.QueryRow(st.dialect.rebind(`SELECT COUNT(*) FROM tickets t WHERE `+term), args...).Scan(&n); err != nil {
			t.Fatalf("search %q: %v", s, err)
		}
	})
}

// TestSearchWindow: a word in more than SearchWindow messages lists the
// tickets of its newest SearchWindow matches only.
func TestSearchWindow(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	err := st.Update(ctx, func(tx *Tx) error {
		for i := range SearchWindow + 1 {
			tk := ticket.Ticket{PropertyID: p.ID, Subject: "mass", Status: ticket.StatusOpen, Priority: ticket.PriorityMedium, RequesterID: 1}
			if err := tx.CreateTicket(&tk); err != nil {
				return err
			}
			m := ticket.Message{PropertyID: p.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
				MessageID: fmt.Sprintf("mass%d@x.test", i), Subject: "mass", Text: "everywhere"}
			if err := tx.InsertMessage(&m, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int64]bool{}
	f := TicketFilter{PropertyID: p.ID, Search: "everywhere", Limit: 500}
	for {
		page, err := st.ListTickets(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		for _, tk := range page.Tickets {
			seen[tk.Number] = true
		}
		if f.After = page.Next; f.After == "" {
			break
		}
	}
	first := int64(len(listFixture) + 1) // the oldest of the mass tickets
	if len(seen) != SearchWindow || seen[first] || !seen[first+1] || !seen[first+SearchWindow] {
		t.Errorf("%d tickets found (oldest %v, second %v, newest %v); want the newest %d",
			len(seen), seen[first], seen[first+1], seen[first+SearchWindow], SearchWindow)
	}
}

// TestSearchWindowPerProperty: the window of newest matches (SearchWindow
// messages, SearchContacts contacts) is counted within the property
// searched. Another property's newer mail with the same word, or its newer
// contacts of the same name, must not push this property's matches out:
// one property's traffic would otherwise decide what another's search
// finds (and tell it that the other received such mail).
func TestSearchWindowPerProperty(t *testing.T) {
	st, p := openListFixture(t)
	ctx := context.Background()
	q, err := st.AddProperty(ctx, ticket.Property{Slug: "q", Name: "Q", Addresses: []string{"help@q.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		if err := storeListTicket(tx, q.ID, listTicket{status: "closed", prio: "medium", requester: "flood@y.test",
			subject: "invoice", body: "invoice", author: "Flood"}); err != nil {
			return err
		}
		var tk ticket.Ticket
		if err := tx.queryRow(`SELECT id FROM tickets WHERE property_id = ?`, q.ID).Scan(&tk.ID); err != nil {
			return err
		}
		for i := range SearchWindow {
			m := ticket.Message{PropertyID: q.ID, TicketID: tk.ID, Direction: ticket.Inbound, Kind: ticket.KindEmail,
				AuthorEmail: "flood@y.test", MessageID: fmt.Sprintf("flood%d@y.test", i), Subject: "invoice", Text: "invoice"}
			if err := tx.InsertMessage(&m, nil); err != nil {
				return err
			}
		}
		for i := range SearchContacts {
			if _, err := tx.Contact(q.ID, fmt.Sprintf("zoe%d@y.test", i), "Zoe"); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !onPostgres() { // SQLite's plan; PostgreSQL's window is checked by the searches below
		plan := strings.Join(explainList(t, st, ctx, TicketFilter{PropertyID: p.ID, Search: "nao", Sort: SortActivity}), "\n")
		for _, walk := range []string{"SCAN f VIRTUAL TABLE INDEX 192:M4\nSEARCH m USING INTEGER PRIMARY KEY (rowid=?)",
			"SCAN g VIRTUAL TABLE INDEX 192:M2\nSEARCH c USING INTEGER PRIMARY KEY (rowid=?)"} {
			if !strings.Contains(plan, walk) { // the index first, newest first (192: no sort), each row by its key
				t.Errorf("search plan lacks\n%s\nin\n%s", walk, plan)
			}
		}
	}
	for _, tt := range []struct {
		search string
		f      TicketFilter
		want   []int64
	}{
		{search: "invoice", f: TicketFilter{Folder: "closed"}, want: []int64{4}},
		{search: "zoe", want: []int64{7}},
	} {
		tt.f.PropertyID, tt.f.Search = p.ID, tt.search
		page, err := st.ListTickets(ctx, tt.f)
		if err != nil {
			t.Fatalf("search %q: %v", tt.search, err)
		}
		if got := numbers(page.Tickets); !slices.Equal(got, tt.want) {
			t.Errorf("search %q in p after q's newer matches: %v, want %v", tt.search, got, tt.want)
		}
	}
}

// TestSearchPlannedPerCall: on PostgreSQL a search is planned for its
// words at every call, never kept as a prepared statement, whose generic
// plan (after five runs) would be that of an unknown word.
func TestSearchPlannedPerCall(t *testing.T) {
	if !onPostgres() {
		t.Skip("PostgreSQL's plan cache; SQLite plans every statement for its arguments alone")
	}
	st, p := openListFixture(t)
	st.r.SetMaxOpenConns(1) // one session, whose prepared statements are listed below
	for range 7 {
		if _, err := st.ListTickets(context.Background(), TicketFilter{PropertyID: p.ID, Search: "nao"}); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := st.r.QueryRow(`SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE '%search_vector%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d prepared statements of searches; want none", n)
	}
}
