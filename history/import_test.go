package history

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// fixture is a pipeline over a fresh SQLite file with one property.
type fixture struct {
	st   *store.Store
	p    *ingest.Pipeline
	prop ticket.Property
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(t.TempDir(), "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	prop, err := st.AddProperty(ctx, ticket.Property{Slug: "acme", Name: "Acme", Addresses: []string{"support@acme.test"},
		FromAddress: "support@acme.test", TagFormat: "[#%d]", AckEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{st: st, p: ingest.New(ingest.Options{Store: st, Keys: keys}), prop: prop}
}

func (f *fixture) importPath(t testing.TB, path string, o Options) Summary {
	t.Helper()
	o.Pipeline, o.Store, o.Property = f.p, f.st, f.prop
	sum, err := Import(context.Background(), path, o)
	if err != nil {
		t.Fatalf("Import(%s): %v", path, err)
	}
	return sum
}

// generated writes an mbox of n messages of about 2 KB, a fifth of them
// replies, and returns its path.
func generated(t testing.TB, n int) string {
	t.Helper()
	var b strings.Builder
	body := strings.Repeat("The quick brown fox jumps over the lazy dog, again and again and again.\n", 24)
	for i := range n {
		date := time.Date(2024, 1, 1, 9, i, 0, 0, time.UTC)
		fmt.Fprintf(&b, "From c%d@example.com %s\nFrom: c%d@example.com\nTo: support@acme.test\nDate: %s\nMessage-ID: <h%d@example.com>\n",
			i, date.Format(time.ANSIC), i, date.Format(time.RFC1123Z), i)
		if i%5 == 4 {
			fmt.Fprintf(&b, "In-Reply-To: <h%d@example.com>\n", i-1)
		}
		fmt.Fprintf(&b, "Subject: m%d\n\n%s\n", i, body)
	}
	path := filepath.Join(t.TempDir(), "gen.mbox")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func BenchmarkImport(b *testing.B) {
	path := generated(b, 10000)
	for b.Loop() {
		b.StopTimer()
		f := newFixture(b)
		b.StartTimer()
		sum := f.importPath(b, path, Options{})
		if sum.Result.Stored != 10000 {
			b.Fatalf("stored %d", sum.Result.Stored)
		}
	}
	b.ReportMetric(float64(10000*b.N)/b.Elapsed().Seconds(), "msg/s")
}

// TestImportHistory: an mbox imported as history keeps the mail's dates
// (the Date field, else the From line's; a ticket is as old as its oldest
// message, whatever the order of the archive), sends and tells no one although
// the property acknowledges and has an agent, rebuilds threads whatever the
// order (a parent after its reply joins it; an agent's answer joins as the
// agent's message, its #command not run), files the tickets closed, and
// a rerun stores nothing twice: from the checkpoint nothing is read, and
// from a copy of the file (no checkpoint) every message, the one without a
// Message-ID too, is recognised as already stored.
func TestImportHistory(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.st.AddMember(ctx, "acme", ticket.Member{Email: "alice@acme.test", Name: "Alice", Role: ticket.RoleAgent}, "test"); err != nil {
		t.Fatal(err)
	}
	mbox := "From bob@example.com Thu Mar  2 10:00:00 2023\n" +
		"From: Bob <bob@example.com>\nTo: support@acme.test\nDate: Thu, 02 Mar 2023 10:00:00 +0000\n" +
		"Message-ID: <reply@example.com>\nIn-Reply-To: <parent@example.com>\nReferences: <parent@example.com>\nSubject: Re: broken\n\nstill broken\n\n" +
		"From bob@example.com Wed Mar  1 09:00:00 2023\n" +
		"From: Bob <bob@example.com>\nTo: support@acme.test\nDate: Wed, 01 Mar 2023 09:00:00 +0000\n" +
		"Message-ID: <parent@example.com>\nSubject: broken\n\nit is broken\n>From the start.\n\n" +
		"From alice@acme.test Thu Mar  2 11:00:00 2023\n" +
		"From: Alice <alice@acme.test>\nTo: bob@example.com\nCc: support@acme.test\nDate: Thu, 02 Mar 2023 11:00:00 +0000\n" +
		"Message-ID: <answer@acme.test>\nIn-Reply-To: <reply@example.com>\nSubject: Re: broken\n\nfixed\n#close\n\n" +
		"From alice@acme.test Thu Mar  2 12:00:00 2023\n" +
		"From: Alice <alice@acme.test>\nTo: support@acme.test\nDate: Thu, 02 Mar 2023 12:00:00 +0000\n" +
		"Message-ID: <stray@acme.test>\nSubject: a note to no ticket\n\nhm\n\n" +
		"From carol@example.com Sun Jan  2 08:30:00 2022\n" +
		"From: carol@example.com\nTo: support@acme.test\nSubject: no id, no date\n\nhello\n"
	path := writeFile(t, mbox)
	sum := f.importPath(t, path, Options{Status: ticket.StatusClosed})
	if sum.Result.Stored != 4 || sum.Result.Held != 1 || sum.Result.Total() != 5 {
		t.Fatalf("first import: %+v, want 4 stored, the agent's mail to no ticket held", sum.Result)
	}
	for _, table := range []string{"outbox", "pending_notices"} {
		if n, err := f.st.Count(ctx, table); err != nil || n != 0 {
			t.Errorf("%s rows after an import = %d, %v; want none", table, n, err)
		}
	}
	tickets, err := f.st.Tickets(ctx, "acme", "")
	if err != nil || len(tickets) != 2 {
		t.Fatalf("tickets = %d, %v; want 2 (the reply and its parent in one)", len(tickets), err)
	}
	want := map[string]struct {
		msgs             int
		created, updated time.Time
	}{
		"broken":         {3, time.Date(2023, 3, 1, 9, 0, 0, 0, time.UTC), time.Date(2023, 3, 2, 11, 0, 0, 0, time.UTC)}, // the parent came after
		"no id, no date": {1, time.Date(2022, 1, 2, 8, 30, 0, 0, time.UTC), time.Date(2022, 1, 2, 8, 30, 0, 0, time.UTC)},
	}
	for _, tk := range tickets {
		w, ok := want[tk.Subject]
		if !ok {
			t.Fatalf("unexpected ticket %q", tk.Subject)
		}
		msgs, err := f.st.Messages(ctx, tk.ID)
		if err != nil || len(msgs) != w.msgs {
			t.Fatalf("ticket %q: %d messages, %v; want %d", tk.Subject, len(msgs), err, w.msgs)
		}
		if tk.Status != ticket.StatusClosed || !tk.CreatedAt.Equal(w.created) || !tk.UpdatedAt.Equal(w.updated) {
			t.Errorf("ticket %q: %s, created %v, updated %v; want closed, created %v, updated %v",
				tk.Subject, tk.Status, tk.CreatedAt, tk.UpdatedAt, w.created, w.updated)
		}
		for _, m := range msgs {
			if !m.CreatedAt.Equal(m.Date) || m.Date.Year() < 2022 || m.Date.Year() > 2023 {
				t.Errorf("message %s dated %v, filed %v; want its own date for both", m.MessageID, m.Date, m.CreatedAt)
			}
		}
		byID := map[string]ticket.Message{}
		for _, m := range msgs {
			byID[m.MessageID] = m
		}
		if tk.Subject != "broken" {
			continue
		}
		if th := byID["parent@example.com"].Thread; !strings.Contains(th, "referenced-by") {
			t.Errorf("the parent imported after its reply threaded by %q, want rule referenced-by", th)
		}
		if a := byID["answer@acme.test"]; a.Direction != ticket.Outbound || a.AuthorEmail != "alice@acme.test" || a.Kind != ticket.KindEmail {
			t.Errorf("the agent's archived answer = %s %s by %s, want outbound email by alice", a.Direction, a.Kind, a.AuthorEmail)
		}
	}

	if sum := f.importPath(t, path, Options{}); sum.Result.Total() != 0 || !sum.Resumed {
		t.Errorf("rerun: %+v (resumed %v), want nothing read", sum.Result, sum.Resumed)
	}
	copied := filepath.Join(t.TempDir(), "copy.mbox")
	if err := os.WriteFile(copied, []byte(mbox), 0o600); err != nil {
		t.Fatal(err)
	}
	if sum := f.importPath(t, copied, Options{}); sum.Result.Stored != 0 || sum.Result.Duplicates != 4 {
		t.Errorf("import of a copy: %+v, want 4 already there (and the held one held again)", sum.Result)
	}
	if n, _ := f.st.Count(ctx, "messages"); n != 4 {
		t.Errorf("messages after the reruns = %d, want 4", n)
	}
}

// TestImportResume: an import cancelled after some batches has committed
// those batches whole and nothing more; the rerun resumes after them, and
// every message is stored exactly once.
func TestImportResume(t *testing.T) {
	const n, batch = 1000, 50
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	path := generated(t, n)
	batches := 0
	o := Options{Pipeline: f.p, Store: f.st, Property: f.prop, BatchSize: batch, Progress: func(Progress) {
		if batches++; batches == 3 {
			cancel()
		}
	}}
	sum, err := Import(ctx, path, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled import: %v, want context.Canceled", err)
	}
	stored, _ := f.st.Count(context.Background(), "messages")
	if sum.Result.Stored != 3*batch || stored != 3*batch {
		t.Fatalf("cancelled after 3 batches: %d reported, %d in the store; want %d", sum.Result.Stored, stored, 3*batch)
	}
	sum = f.importPath(t, path, Options{BatchSize: batch})
	if !sum.Resumed || sum.Result.Stored != n-3*batch || sum.Result.Duplicates != 0 {
		t.Errorf("resumed import: %+v (resumed %v), want %d stored", sum.Result, sum.Resumed, n-3*batch)
	}
	counts, err := f.st.MessageIDCounts(context.Background(), "h")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if c := counts[fmt.Sprintf("h%d@example.com", i)]; c != 1 {
			t.Errorf("message h%d stored %d times, want once", i, c)
		}
	}
}

// TestSisimaiMailbox: the real mbox files of the sisimai corpus (bounces
// from many MTAs, and files of 0 to 3 bytes) import once: each message of
// an mbox is stored (a bounce is recorded as one), a rerun reads nothing,
// and a file that is no mbox is refused with the reason.
func TestSisimaiMailbox(t *testing.T) {
	dir := filepath.Join("..", "..", "shared", "corpora", "sisimai", "mailbox")
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Skipf("no sisimai corpus at %s: this test needs ../shared/corpora beside the checkout", dir)
	}
	f := newFixture(t)
	total := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		norm := bytes.ReplaceAll(append([]byte("\n\n"), raw...), []byte("\r\n"), []byte("\n"))
		want := bytes.Count(norm, []byte("\n\nFrom ")) // From lines at the start or after a blank line
		o := Options{Pipeline: f.p, Store: f.st, Property: f.prop}
		sum, err := Import(context.Background(), path, o)
		if len(bytes.TrimSpace(raw)) > 0 && !bytes.HasPrefix(raw, []byte("From ")) {
			if err == nil || !strings.Contains(err.Error(), "not an mbox") {
				t.Errorf("%s: %v, want a 'not an mbox' error", path, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if sum.Result.Stored != want || sum.Result.Total() != want {
			t.Errorf("%s: %+v, want %d stored", path, sum.Result, want)
		}
		total += want
		if again := f.importPath(t, path, Options{}); again.Result.Total() != 0 {
			t.Errorf("%s again: %+v, want nothing", path, again.Result)
		}
	}
	if total == 0 {
		t.Error("no message in the corpus's mbox files")
	}
	if n, _ := f.st.Count(context.Background(), "outbox"); n != 0 {
		t.Errorf("%d outbox rows after importing bounces, want none", n)
	}
}

// TestImportForwarded: archived mail that the property's forwarding mailbox
// forwarded (Outlook's "forward as attachment", From the mailbox) is filed
// under the sender of the message it carries, with the mailbox recorded,
// as it is when it arrives now.
func TestImportForwarded(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if err := f.st.AddForwarding(ctx, f.prop.ID, "acme.helpdesk@outlook.example"); err != nil {
		t.Fatal(err)
	}
	mbox := "From acme.helpdesk@outlook.example Mon Feb  6 10:00:00 2023\n" +
		"From: Acme Helpdesk <acme.helpdesk@outlook.example>\nTo: support@acme.test\nDate: Mon, 06 Feb 2023 10:00:00 +0000\n" +
		"Message-ID: <fw1@outlook.example>\nSubject: FW: my order\nMIME-Version: 1.0\n" +
		"Content-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nforwarded by rule\n" +
		"--b\nContent-Type: message/rfc822\n\nFrom: Dave <dave@example.com>\nTo: acme.helpdesk@outlook.example\nSubject: my order\n\nwhere is it\n--b--\n"
	if sum := f.importPath(t, writeFile(t, mbox), Options{}); sum.Result.Stored != 1 {
		t.Fatalf("import: %+v, want 1 stored", sum.Result)
	}
	tickets, err := f.st.Tickets(ctx, "acme", "")
	if err != nil || len(tickets) != 1 {
		t.Fatalf("tickets = %d, %v; want 1", len(tickets), err)
	}
	msgs, err := f.st.Messages(ctx, tickets[0].ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages = %d, %v; want 1", len(msgs), err)
	}
	if tickets[0].Requester != "dave@example.com" || !strings.HasPrefix(msgs[0].ForwardedBy, "acme.helpdesk@outlook.example") {
		t.Errorf("ticket of %s, message forwarded by %q; want dave@example.com's, forwarded by the mailbox", tickets[0].Requester, msgs[0].ForwardedBy)
	}
}
