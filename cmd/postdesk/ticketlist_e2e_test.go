package main

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// searchMails are three customers' mails in real MIME: a quoted-printable
// UTF-8 body and an encoded-word subject (RFC 2047), an encoded-word
// display name, and plain ASCII.
var searchMails = []struct{ from, raw string }{
	{"zoe@customer.test", "From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\n" +
		"Subject: =?UTF-8?Q?Caf=C3=A9_frio?=\r\nMessage-ID: <s1@customer.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n" +
		"N=C3=A3o consigo entrar na minha conta.\r\n"},
	{"jose@customer.test", "From: =?UTF-8?Q?Jos=C3=A9_=C3=81lvares?= <jose@customer.test>\r\nTo: support@acme.test\r\n" +
		"Subject: Invoice\r\nMessage-ID: <s2@customer.test>\r\nDate: Sat, 21 Nov 2026 10:01:00 +0000\r\n\r\nThe total is wrong.\r\n"},
	{"dee@customer.test", "From: Dee <dee@customer.test>\r\nTo: support@acme.test\r\n" +
		"Subject: Hello\r\nMessage-ID: <s3@customer.test>\r\nDate: Sat, 21 Nov 2026 10:02:00 +0000\r\n\r\nHi there.\r\n"},
}

// listNumbers runs `ticket list --json` with args and returns the ticket
// numbers in its order.
func listNumbers(t *testing.T, data string, args ...string) []int64 {
	t.Helper()
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, append([]string{"ticket", "list"}, args...)...)
	out := []int64{}
	for _, tk := range tickets {
		out = append(out, tk.Number)
	}
	return out
}

// TestTicketListSearchAndFilters: a mail is found by search as soon as
// its 250 came (accents and case ignored: "nao" finds "Não", "cafe" the
// encoded subject "Café", "alvares" the encoded name), and every filter,
// order and page of `ticket list` works through the real binary.
func TestTicketListSearchAndFilters(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob", "--role", "agent")
	for _, m := range []string{"alice@acme.test", "bob@acme.test"} { // no round-robin: tickets stay unassigned
		cli(t, data, "member", "set", m, "--available=false")
	}
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	for i, m := range searchMails {
		mustSend(t, srv.addr, m.from, []string{"support@acme.test"}, m.raw)
		if i == 0 { // right after the 250, no wait
			if got := listNumbers(t, data, "--search", "nao"); !slices.Equal(got, []int64{1}) {
				t.Fatalf("--search nao right after delivery: %v, want [1]", got)
			}
		}
	}
	as := []string{"--as", "alice@acme.test"}
	cli(t, data, append([]string{"ticket", "priority", "1", "high"}, as...)...)
	cli(t, data, append([]string{"ticket", "tag", "2", "vip"}, as...)...)
	cli(t, data, append([]string{"ticket", "assign", "3", "bob@acme.test"}, as...)...)
	cli(t, data, append([]string{"ticket", "close", "3"}, as...)...)
	// Activity order now: 3 (closed last), 2, 1.
	for _, tt := range []struct {
		args []string
		want []int64
	}{
		{nil, []int64{3, 2, 1}},
		{[]string{"--search", "NAO"}, []int64{1}},
		{[]string{"--search", "cafe"}, []int64{1}},
		{[]string{"--search", "café frio"}, []int64{1}},
		{[]string{"--search", "alvares"}, []int64{2}},
		{[]string{"--search", "jose@customer.test"}, []int64{2}},
		{[]string{"--search", "consi*"}, []int64{1}},
		{[]string{"--search", "cafe invoice"}, []int64{}},
		{[]string{"--search", "AND( nao"}, []int64{}},
		{[]string{"--search", "total", "--folder", "open"}, []int64{2}},
		{[]string{"--folder", "closed"}, []int64{3}},
		{[]string{"--status", "closed"}, []int64{3}},
		{[]string{"--folder", "open"}, []int64{2, 1}},
		{[]string{"--folder", "all"}, []int64{3, 2, 1}},
		{[]string{"--mine", "--as", "bob@acme.test"}, []int64{3}},
		{[]string{"--assignee", "bob@acme.test"}, []int64{3}},
		{[]string{"--unassigned"}, []int64{2, 1}},
		{[]string{"--department", "Support"}, []int64{3, 2, 1}},
		{[]string{"--priority", "high"}, []int64{1}},
		{[]string{"--tag", "vip"}, []int64{2}},
		{[]string{"--requester", "zoe@customer.test"}, []int64{1}},
		{[]string{"--overdue"}, []int64{}},
		{[]string{"--sort", "priority"}, []int64{1, 3, 2}},
		{[]string{"--sort", "due"}, []int64{1, 2, 3}}, // no due times (no SLA policy): all tie, by id
	} {
		if got := listNumbers(t, data, tt.args...); !slices.Equal(got, tt.want) {
			t.Errorf("ticket list %s: %v, want %v", strings.Join(tt.args, " "), got, tt.want)
		}
	}

	// Pages of one, by the cursor each page prints.
	var got []string
	next := regexp.MustCompile(`next page: --after (\S+)`)
	args := []string{"ticket", "list", "--limit", "1"}
	for range 4 {
		out := cli(t, data, args...)
		if row := regexp.MustCompile(`(?m)^#\d+`).FindString(out); row != "" {
			got = append(got, row)
		}
		m := next.FindStringSubmatch(out)
		if m == nil {
			break
		}
		args = []string{"ticket", "list", "--limit", "1", "--after", m[1]}
	}
	if strings.Join(got, " ") != "#3 #2 #1" {
		t.Errorf("pages of one: %v, want #3 #2 #1", got)
	}

	for _, tt := range []struct {
		args []string
		says string
	}{
		{[]string{"--search", `" *`}, "no word to look for"},
		{[]string{"--mine"}, "--mine needs --as"},
		{[]string{"--sort", "size"}, "--sort"},
		{[]string{"--folder", "inbox"}, `--folder: unknown status "inbox"`},
		{[]string{"--status", "sideways"}, `--status: unknown status "sideways"`},
		{[]string{"--assignee", "eve@acme.test"}, `assignee "eve@acme.test": not found`},
		{[]string{"--after", "bogus"}, "cursor"},
		{[]string{"--limit", "0"}, "--limit"},
	} {
		if _, err := cliErr(data, append([]string{"ticket", "list"}, tt.args...)...); err == nil || !strings.Contains(err.Error(), tt.says) {
			t.Errorf("ticket list %s: %v, want an error saying %q", strings.Join(tt.args, " "), err, tt.says)
		}
	}
}

// TestDueCell: the DUE column of `ticket list`.
func TestDueCell(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	due := now.Add(time.Hour)
	for _, tt := range []struct {
		t    ticket.Ticket
		want string
	}{
		{ticket.Ticket{}, "-"},
		{ticket.Ticket{ResolutionDue: due}, due.Format(time.DateTime)},
		{ticket.Ticket{FirstResponseDue: now.Add(-time.Minute), ResolutionDue: due}, now.Add(-time.Minute).Format(time.DateTime) + " late"},
		{ticket.Ticket{FirstResponseDue: now.Add(-time.Minute), FirstResponseAt: now, ResolutionDue: due}, due.Format(time.DateTime)},
		{ticket.Ticket{ResolutionDue: due, OverdueAt: now}, "OVERDUE " + due.Format(time.DateTime)},
		{ticket.Ticket{ResolutionDue: now.Add(-time.Hour), OverdueAt: now, Status: ticket.StatusClosed}, now.Add(-time.Hour).Format(time.DateTime)},
	} {
		if got := dueCell(tt.t, now); got != tt.want {
			t.Errorf("dueCell(%s) = %q, want %q", fmt.Sprint(tt.t.FirstResponseDue, tt.t.ResolutionDue, tt.t.OverdueAt), got, tt.want)
		}
	}
}
