package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// listOriginal is a customer's mail as it reaches the support address
// directly; listCopy is the same mail as a mailing list that also has the
// support address as a member delivers it: trace fields, RFC 2369/2919
// list fields, Precedence, Sender, a munged Reply-To and DKIM of the list
// added, the author's fields and body untouched.
const listOriginal = "Received: from mail.customer.test by mx.acme.test; Sat, 21 Nov 2026 10:00:01 +0000\r\n" +
	"From: Zoe Smith <zoe@customer.test>\r\nTo: support@acme.test\r\nCc: users@lists.example.org\r\n" +
	"Subject: Export fails with error 500\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n" +
	"Message-ID: <CAF=zoe.export.500@mail.customer.test>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n\r\n" +
	"Hello,\r\n\r\nexporting the March report fails with error 500 since this morning.\r\n\r\nZoe\r\n"

func listCopy() string {
	header, body, _ := strings.Cut(listOriginal, "\r\n\r\n")
	header = strings.Replace(header, "Received: from mail.customer.test by mx.acme.test; Sat, 21 Nov 2026 10:00:01 +0000\r\n", "", 1)
	return "Received: from lists.example.org by mx.acme.test; Sat, 21 Nov 2026 10:00:09 +0000\r\n" +
		"Received: from mail.customer.test by lists.example.org; Sat, 21 Nov 2026 10:00:02 +0000\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256; d=lists.example.org; s=l1; h=from:subject; bh=x; b=y\r\n" +
		"Sender: \"users\" <users-bounces@lists.example.org>\r\nReply-To: users@lists.example.org\r\n" +
		"List-Id: Product users <users.lists.example.org>\r\nList-Unsubscribe: <mailto:users-leave@lists.example.org>\r\n" +
		"List-Post: <mailto:users@lists.example.org>\r\nList-Archive: <https://lists.example.org/users/>\r\n" +
		"Precedence: list\r\nX-BeenThere: users@lists.example.org\r\nX-Mailman-Version: 3.3.9\r\n" +
		header + "\r\n\r\n" + body
}

// TestSameMailThroughList: the same Message-ID and body arriving again
// through a mailing list in two properties is one ticket in each, the
// second arrival recorded on it, and the agents get one copy.
func TestSameMailThroughList(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "property", "add", "--slug", "globex", "--name", "Globex", "--address", "help@globex.test")
	cli(t, data, "member", "add", "--property", "globex", "--email", "gary@globex.test", "--name", "Gary", "--role", "agent")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	rcpts := []string{"support@acme.test", "help@globex.test"}
	mustSend(t, srv.addr, "zoe@customer.test", rcpts, listOriginal)
	mustSend(t, srv.addr, "users-bounces@lists.example.org", rcpts, listCopy())
	settle(t, relay, time.Second, 15*time.Second)
	for _, agent := range []string{"alice@acme.test", "gary@globex.test"} {
		if n := len(relay.To(agent)); n != 1 {
			t.Errorf("%s received %d copies, want 1", agent, n)
		}
	}
	st := openDB(t, data)
	ctx := context.Background()
	for _, slug := range []string{"acme", "globex"} {
		tickets, err := st.Tickets(ctx, slug, "")
		if err != nil || len(tickets) != 1 {
			t.Fatalf("%s: %d tickets (%v), want 1", slug, len(tickets), err)
		}
		msgs, _ := st.Messages(ctx, tickets[0].ID)
		events, _ := st.Events(ctx, tickets[0].ID)
		again := 0
		for _, e := range events {
			if e.Kind == "arrived-again" && strings.Contains(e.Detail, "users.lists.example.org") {
				again++
			}
		}
		if len(msgs) != 1 || again != 1 {
			t.Errorf("%s: %d messages and %d arrived-again events naming the list, want 1 and 1; events %+v", slug, len(msgs), again, events)
		}
	}
}
