package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"

	"github.com/postdesk/postdesk/ticket"
)

// Hostile mail through real SMTP to a gateway on PostgreSQL, whose text
// holds neither NUL nor invalid UTF-8 (the store makes them U+FFFD) where
// SQLite keeps any bytes: each must be answered as on SQLite.

// TestPostgresReplyToEightBitMessageID: a reply whose In-Reply-To names a
// Message-ID sent with invalid UTF-8 (a Latin-1 é) joins that message's
// ticket, though PostgreSQL stores the id with U+FFFD (it opened a second
// ticket).
func TestPostgresReplyToEightBitMessageID(t *testing.T) {
	db := newPostgresDB(t)
	cliOn(t, db, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	cliOn(t, db, "member", "add", "--property", "acme", "--email", "alice@acme.test", "--name", "Alice", "--role", "agent")
	srv := startServerOn(t, db, t.TempDir())
	to := []string{"support@acme.test"}
	mustSend(t, srv.addr, "bob@example.org", to, "From: bob@example.org\r\nTo: support@acme.test\r\n"+
		"Subject: printer on fire\r\nMessage-ID: <caf\xe9.1@mua.example.org>\r\n\r\nIt burns.\r\n")
	mustSend(t, srv.addr, "bob@example.org", to, "From: bob@example.org\r\nTo: support@acme.test\r\n"+
		"Subject: and another thing\r\nMessage-ID: <caf\xe9.2@mua.example.org>\r\nIn-Reply-To: <caf\xe9.1@mua.example.org>\r\n"+
		"References: <caf\xe9.1@mua.example.org>\r\n\r\nStill burning.\r\n")
	var tickets []ticket.Ticket
	cliJSON(t, t.TempDir(), &tickets, "ticket", "list", "--database", db)
	if len(tickets) != 1 {
		t.Fatalf("%d tickets %+v, want the reply on the first one", len(tickets), tickets)
	}
}

// pgHostileMail is mail PostgreSQL is stricter about than SQLite: NUL and
// invalid UTF-8 in each header and body part, identifiers and addresses
// past its index row limit (random, so that they do not compress), a
// subject tag past int64, a Date past year 9999, many distinct words for
// the tsvector.
func pgHostileMail(i int) []string {
	long := func(n int) string {
		b := make([]byte, n)
		for j := range b {
			b[j] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[rand.IntN(62)]
		}
		return string(b)
	}
	var words strings.Builder
	for w := 0; w < 60000; w++ {
		fmt.Fprintf(&words, "w%d%s ", w, long(8))
		if w%50 == 49 {
			words.WriteString("\r\n")
		}
	}
	head := func(n int, extra string) string {
		return fmt.Sprintf("From: a@ex.test\r\nTo: support@acme.test\r\nMessage-ID: <h%d.%d@ex.test>\r\n%s", i, n, extra)
	}
	return []string{
		head(1, "Subject: bad\x00sub\xff\r\nReferences: <r\x00x@ex.test> <r\xff@ex.test> <r\xfe@ex.test>\r\n\r\nbo\x00dy\xff\r\n"),
		"From: \"B\x00b\xff\" <a@ex.test>\r\nTo: support@acme.test\r\nCc: c\xff@ex.test, c\xfe@ex.test, c\uFFFD@ex.test\r\n" +
			fmt.Sprintf("Message-ID: <h%d.2\xff@ex.test>\r\nSubject: s\r\n\r\nb\r\n", i),
		head(3, "Subject: att\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=BB\r\n\r\n--BB\r\n"+
			"Content-Type: text/plain; charset=utf-8\r\n\r\nhi \xff\x00\r\n--BB\r\nContent-Type: application/octet-stream; name=\"a\xff\x00b.bin\"\r\n"+
			"Content-Disposition: attachment; filename=\"a\xff\x00b.bin\"\r\n\r\nxxxx\r\n--BB--\r\n"),
		fmt.Sprintf("From: a@ex.test\r\nTo: support@acme.test\r\nMessage-ID: <%s.%d@ex.test>\r\nSubject: long id\r\n\r\nb\r\n", long(5000), i),
		head(5, "Subject: long refs\r\nIn-Reply-To: <"+long(5000)+"@ex.test>\r\nReferences: <"+long(5000)+"@ex.test>\r\n\r\nb\r\n"),
		head(6, "Subject: long addresses\r\nCc: "+long(3000)+"@ex.test\r\nReply-To: "+long(3000)+"@ex.test\r\n\r\nb\r\n"),
		"From: " + long(3000) + " <" + long(3000) + "@ex.test>\r\nTo: support@acme.test\r\n" + fmt.Sprintf("Message-ID: <h%d.7@ex.test>\r\n", i) + "Subject: " + long(5000) + "\r\n\r\nb\r\n",
		head(8, "Subject: Re: [#99999999999999999999999] [#9223372036854775807] tag\r\nDate: Mon, 1 Jan 99999 00:00:00 +0000\r\n\r\nb\r\n"),
		head(9, "Subject: words\r\n\r\n"+words.String()+"\r\n"),
	}
}

// TestPostgresHostileMailTwoGateways: hostile mail (pgHostileMail), each
// sent to two gateways on one PostgreSQL database at once, is answered 250
// or 5xx, never 4xx (a 451 would be retried forever); and hostile list,
// search and contact-page queries through the API are answered 2xx or 4xx,
// never 500 (a cursor's rank past int4 was).
func TestPostgresHostileMailTwoGateways(t *testing.T) {
	db := newPostgresDB(t)
	relay := smtptest.Start(t)
	a, b, _ := twoGateways(t, db, relay.URL())
	to := []string{"support@acme.test"}
	var wg sync.WaitGroup
	for i := 0; i < 3; i++ {
		for n, raw := range pgHostileMail(i) {
			for _, srv := range []*server{a, b} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := send(srv.addr, "a@ex.test", to, []byte(raw))
					var se *textproto.Error
					if err != nil && (!errors.As(err, &se) || se.Code < 500) {
						t.Errorf("hostile mail %d (copy %d) to %s: %v, want 250 or a 5xx", n, i, srv.addr, err)
					}
				}()
			}
		}
	}
	wg.Wait()
	var tickets []ticket.Ticket
	cliJSON(t, t.TempDir(), &tickets, "ticket", "list", "--database", db)
	if len(tickets) < len(pgHostileMail(0)) {
		t.Errorf("%d tickets, want at least %d", len(tickets), len(pgHostileMail(0)))
	}

	var tok struct{ Token string }
	cliJSON(t, t.TempDir(), &tok, "token", "create", "--member", "alice@acme.test", "--database", db)
	api := apiClient{t: t, base: a.apiURL(t), token: tok.Token}
	cursor := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	paths := []string{
		"/tickets?sort=priority&cursor=" + cursor("priority:99999999999:5"),
		"/tickets?sort=priority&cursor=" + cursor("priority:-2147483649:5"),
		"/tickets?sort=due&cursor=" + cursor("due:9223372036854775807:1"),
		"/tickets?cursor=" + cursor("activity:-9223372036854775808:9223372036854775807"),
		"/contacts/a@ex.test?cursor=1.99999999999.1",
		"/contacts/a@ex.test?cursor=9223372036854775807.2.9223372036854775807",
		"/tickets?tag=" + url.QueryEscape("a\x00") + "&requester=" + url.QueryEscape("\xff@x"),
	}
	for _, q := range []string{"a:*", "\\", "a & b | !c", "('x')", "é:* ü", "\u0301*", "ŉ*", "½*", "w1*", "\x00\xff", strings.Repeat("ab ", 200)} {
		paths = append(paths, "/tickets?q="+url.QueryEscape(q))
	}
	for _, p := range paths {
		if r := api.do("GET", "/api/properties/acme"+p, nil); r.Status >= 500 {
			t.Errorf("GET %s: %d %s", p, r.Status, r.Body)
		}
	}
}
