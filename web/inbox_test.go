package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// inboxFixture is the web inbox over a real SQLite file: property acme
// (admin ann, agent bob; departments Support and Sales; topic billing)
// with five tickets opened through the desk, and property beta, of which
// ann is not a member. Sessions are made in the store, as signing in
// makes them.
type inboxFixture struct {
	t    *testing.T
	st   *store.Store
	desk *desk.Desk
	acme ticket.Property
	srv  *httptest.Server
	ann  ticket.Member
	bob  ticket.Member
}

// The fixture's tickets, numbered 1 to 5 in this order:
//
//	1 Kettle leaks   zoe  ann  high    vip      open
//	2 Invoice wrong  yan  —    medium  billing  open, Sales, topic billing
//	3 Toaster smoke  xi   bob  low              closed
//	4 Fridge noise   wu   bob  medium           snoozed
//	5 Oven cold      vi   ann  highest vip      open, overdue
func newInboxFixture(t *testing.T) *inboxFixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "web.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	f := &inboxFixture{t: t, st: st, desk: desk.New(desk.Options{Store: st, Keys: keys})}
	if f.acme, err = st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test"}); err != nil {
		t.Fatal(err)
	}
	if _, err = st.AddProperty(ctx, ticket.Property{Slug: "beta", Name: "Beta", Addresses: []string{"help@beta.test"},
		FromAddress: "help@beta.test"}); err != nil {
		t.Fatal(err)
	}
	if f.ann, err = st.AddMember(ctx, "acme", ticket.Member{Email: "ann@acme.test", Name: "Ann", Role: ticket.RoleAdmin}, "test"); err != nil {
		t.Fatal(err)
	}
	if f.bob, err = st.AddMember(ctx, "acme", ticket.Member{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, "beta", ticket.Member{Email: "bob@acme.test", Name: "Bob", Role: ticket.RoleAgent}, "test"); err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddDepartment(ctx, "acme", ticket.Department{Name: "Sales"}, "test"); err != nil {
		t.Fatal(err)
	}
	admin := desk.AsMember(f.ann)
	if err := f.desk.Run(ctx, f.acme, admin, func(o *desk.Op) error { _, err := o.AddTopic("billing"); return err }); err != nil {
		t.Fatal(err)
	}
	for _, n := range []desk.NewTicket{
		{Requester: "zoe@customer.test", Subject: "Kettle leaks", Text: "It leaks on the counter.", Priority: ticket.PriorityHigh, Tags: []string{"vip"}},
		{Requester: "yan@customer.test", Subject: "Invoice wrong", Text: "The invoice has a typo.", Unassigned: true, Department: "Sales", Topic: "billing"},
		{Requester: "xi@customer.test", Subject: "Toaster smoke", Text: "Smoke rises.", Assignee: "bob@acme.test", Priority: ticket.PriorityLow},
		{Requester: "wu@customer.test", Subject: "Fridge noise", Text: "A hum at night.", Assignee: "bob@acme.test"},
		{Requester: "vi@customer.test", Subject: "Oven cold", Text: "The oven stays cold, a zanzibar of a problem.", Priority: ticket.PriorityHighest, Tags: []string{"vip"}},
	} {
		f.create(n)
	}
	f.do(3, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, ticket.CloseReason("resolved")) })
	f.do(4, func(o *desk.Op, t *ticket.Ticket) error { return o.Snooze(t, time.Now().Add(48*time.Hour)) })
	f.do(5, func(o *desk.Op, t *ticket.Ticket) error { return o.Tx.SetOverdue(t.ID, time.Now()) })
	srv, err := New(Options{Store: st, Desk: f.desk})
	if err != nil {
		t.Fatal(err)
	}
	f.srv = httptest.NewServer(srv.Handler())
	t.Cleanup(f.srv.Close)
	return f
}

// create opens a ticket as ann, recorded as a phone call (no mail).
func (f *inboxFixture) create(n desk.NewTicket) {
	f.t.Helper()
	n.NewContact, n.NoMail = true, true
	err := f.desk.Run(context.Background(), f.acme, desk.AsMember(f.ann), func(o *desk.Op) error {
		_, _, err := o.Create(n)
		return err
	})
	if err != nil {
		f.t.Fatalf("create %q: %v", n.Subject, err)
	}
}

// do runs an operation on ticket n as ann.
func (f *inboxFixture) do(n int64, fn func(*desk.Op, *ticket.Ticket) error) {
	f.t.Helper()
	if _, err := f.desk.Do(context.Background(), f.acme, desk.AsMember(f.ann), n, fn); err != nil {
		f.t.Fatalf("ticket %d: %v", n, err)
	}
}

// get fetches a page as a member, with a session made for her.
func (f *inboxFixture) get(email, path string, header ...string) (int, http.Header, string) {
	f.t.Helper()
	_, secret, err := f.st.CreateSession(context.Background(), email, time.Hour)
	if err != nil {
		f.t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodGet, f.srv.URL+path, nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: secret})
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		f.t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

var rowNumber = regexp.MustCompile(`data-number="(\d+)"`)

// listed is the ticket numbers of an inbox page's rows, in order.
func listed(body string) []int64 {
	out := []int64{}
	for _, m := range rowNumber.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[1], 10, 64)
		out = append(out, n)
	}
	return out
}

var folderCount = regexp.MustCompile(`>(Open|Answered|Snoozing|Closed|Deleted|Spam) <span class="count">(\d+)</span>`)

// counts is the folder counts an inbox page shows.
func counts(body string) map[string]string {
	out := map[string]string{}
	for _, m := range folderCount.FindAllStringSubmatch(body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// TestInboxCounts: each folder shows its count, for the view shown; a
// ticket closed moves from Open's count to Closed's.
func TestInboxCounts(t *testing.T) {
	f := newInboxFixture(t)
	for _, c := range []struct {
		path string
		want string
	}{
		{"/p/acme/", "Open=3 Answered=0 Snoozing=1 Closed=1 Deleted=0 Spam=0"},
		{"/p/acme/?view=mine", "Open=2 Answered=0 Snoozing=0 Closed=0 Deleted=0 Spam=0"},
		{"/p/acme/?view=unassigned", "Open=1 Answered=0 Snoozing=0 Closed=0 Deleted=0 Spam=0"},
	} {
		status, _, body := f.get("ann@acme.test", c.path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d", c.path, status)
		}
		got := counts(body)
		var parts []string
		for _, name := range []string{"Open", "Answered", "Snoozing", "Closed", "Deleted", "Spam"} {
			parts = append(parts, name+"="+got[name])
		}
		if s := strings.Join(parts, " "); s != c.want {
			t.Errorf("GET %s: counts %s, want %s", c.path, s, c.want)
		}
	}
	f.do(1, func(o *desk.Op, t *ticket.Ticket) error { return o.Close(t, ticket.CloseReason("resolved")) })
	_, _, body := f.get("ann@acme.test", "/p/acme/")
	if got := counts(body); got["Open"] != "2" || got["Closed"] != "2" {
		t.Errorf("after closing #1: counts %v, want Open 2 and Closed 2", got)
	}
}

// TestInboxFilters: each folder, view, filter, search and sort lists the
// tickets it should, in order; a bad query is a 400 with its reason.
func TestInboxFilters(t *testing.T) {
	f := newInboxFixture(t)
	for _, c := range []struct {
		path   string
		want   []int64
		status int
	}{
		{"/p/acme/", []int64{5, 2, 1}, 200},
		{"/p/acme/?folder=closed", []int64{3}, 200},
		{"/p/acme/?folder=snoozed", []int64{4}, 200},
		{"/p/acme/?folder=spam", []int64{}, 200},
		{"/p/acme/?view=mine", []int64{5, 1}, 200},
		{"/p/acme/?view=unassigned", []int64{2}, 200},
		{"/p/acme/?department=Sales", []int64{2}, 200},
		{"/p/acme/?priority=high", []int64{1}, 200},
		{"/p/acme/?tag=vip", []int64{5, 1}, 200},
		{"/p/acme/?topic=billing", []int64{2}, 200},
		{"/p/acme/?overdue=1", []int64{5}, 200},
		{"/p/acme/?q=kettle", []int64{1}, 200},
		{"/p/acme/?q=zanzibar", []int64{5}, 200},
		{"/p/acme/?q=typo&view=unassigned", []int64{2}, 200},
		{"/p/acme/?sort=priority", []int64{5, 1, 2}, 200},
		{"/p/acme/?folder=all", nil, 400},
		{"/p/acme/?view=theirs", nil, 400},
		{"/p/acme/?priority=bogus", nil, 400},
		{"/p/acme/?department=Nowhere", nil, 400},
		{"/p/acme/?cursor=garbage", nil, 400},
	} {
		status, _, body := f.get("ann@acme.test", c.path)
		if status != c.status {
			t.Errorf("GET %s: status %d, want %d", c.path, status, c.status)
			continue
		}
		if c.status != 200 {
			if !strings.Contains(body, `class="error"`) {
				t.Errorf("GET %s: no error shown", c.path)
			}
			continue
		}
		if got := listed(body); !slices.Equal(got, c.want) {
			t.Errorf("GET %s: tickets %v, want %v", c.path, got, c.want)
		}
	}
	// The overdue ticket is marked; the others are not.
	_, _, body := f.get("ann@acme.test", "/p/acme/")
	if !strings.Contains(body, `class="ticket overdue" data-number="5"`) || strings.Count(body, "🔥</span>") != 1 {
		t.Errorf("overdue marks: want #5 alone with 🔥 in a row marked overdue")
	}
	if !strings.Contains(body, `href="/p/acme/tickets/1"`) {
		t.Errorf("rows do not link to their ticket page")
	}
}

// TestInboxPaging: Older walks the list 50 at a time with the store's
// cursor, Newer walks back; every ticket is listed once.
func TestInboxPaging(t *testing.T) {
	f := newInboxFixture(t)
	for i := range 100 {
		f.create(desk.NewTicket{Requester: fmt.Sprintf("c%d@customer.test", i), Subject: fmt.Sprintf("Bulk %d", i), Text: "bulk"})
	}
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">`)
	newer := regexp.MustCompile(`<a href="([^"]+)" rel="prev">`)
	path := "/p/acme/"
	var pages [][]int64
	var seen []int64
	for range 5 {
		_, _, body := f.get("ann@acme.test", path)
		got := listed(body)
		pages, seen = append(pages, got), append(seen, got...)
		m := older.FindStringSubmatch(body)
		if m == nil {
			break
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	if len(pages) != 3 || len(pages[0]) != 50 || len(pages[1]) != 50 || len(pages[2]) != 3 {
		t.Fatalf("pages of %v tickets, want 50, 50, 3", pageSizes(pages))
	}
	slices.Sort(seen)
	if len(slices.Compact(seen)) != 103 {
		t.Errorf("%d distinct tickets over the pages, want 103", len(seen))
	}
	// From the third page, Newer goes to the second, then the first.
	for _, want := range [][]int64{pages[1], pages[0]} {
		_, _, body := f.get("ann@acme.test", path)
		m := newer.FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no Newer link on %s", path)
		}
		path = strings.ReplaceAll(m[1], "&amp;", "&")
		_, _, body = f.get("ann@acme.test", path)
		if got := listed(body); !slices.Equal(got, want) {
			t.Errorf("Newer (%s): %v, want %v", path, got, want)
		}
	}
	if _, _, body := f.get("ann@acme.test", path); newer.MatchString(body) {
		t.Errorf("the first page has a Newer link")
	}
}

func pageSizes(pages [][]int64) []int {
	var out []int
	for _, p := range pages {
		out = append(out, len(p))
	}
	return out
}

// TestInboxOtherProperty: another property's inbox is not found; a member
// of two lands on her first and reaches the second.
func TestInboxOtherProperty(t *testing.T) {
	f := newInboxFixture(t)
	if status, _, _ := f.get("ann@acme.test", "/p/beta/"); status != http.StatusNotFound {
		t.Errorf("ann's GET /p/beta/: %d, want 404", status)
	}
	status, hd, _ := f.get("bob@acme.test", "/")
	if status != http.StatusSeeOther || hd.Get("Location") != "/p/acme/" {
		t.Errorf("bob's GET /: %d %s, want a redirect to /p/acme/", status, hd.Get("Location"))
	}
	status, _, body := f.get("bob@acme.test", "/p/beta/")
	if status != http.StatusOK || !strings.Contains(body, `<a href="/p/acme/">Acme</a>`) {
		t.Errorf("bob's GET /p/beta/: %d, want the inbox with a link to acme's", status)
	}
}

// TestInboxFragment: with X-Fragment: inbox the list comes alone, without
// the layout, for the live refresh; the page gives its server time.
func TestInboxFragment(t *testing.T) {
	f := newInboxFixture(t)
	status, hd, body := f.get("ann@acme.test", "/p/acme/?view=mine", "X-Fragment", "inbox")
	if status != http.StatusOK || strings.Contains(body, "<html") || !strings.HasPrefix(strings.TrimSpace(body), `<div id="inbox-list">`) {
		t.Fatalf("fragment: %d %.80q", status, body)
	}
	if got := listed(body); !slices.Equal(got, []int64{5, 1}) {
		t.Errorf("fragment lists %v, want [5 1]", got)
	}
	if !strings.HasPrefix(hd.Get("Server-Timing"), "app;dur=") {
		t.Errorf("Server-Timing: %q", hd.Get("Server-Timing"))
	}
}
