package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
)

// openDB opens the database of a data directory for assertions.
func openDB(t *testing.T, data string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// spam is a mail whose Reply-To names a victim who never wrote.
func spam(n int, replyTo string) []byte {
	return []byte(fmt.Sprintf("From: Deals <deals@spammer.test>\r\nReply-To: %s\r\nTo: support@acme.test\r\n"+
		"Subject: CHEAP PILLS %d visit pills.example\r\nMessage-ID: <spam-%d@spammer.test>\r\n\r\n"+
		"Buy now at http://pills.example/ and win a prize.\r\n", replyTo, n, n))
}

// TestAcknowledgementQuotesNothing: spam with a forged Reply-To gets its
// ticket, but the acknowledgement the victim receives carries neither the
// spam's subject nor any of its text.
func TestAcknowledgementQuotesNothing(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "deals@spammer.test", []string{"support@acme.test"}, string(spam(1, "victim@example.org")))
	ack := relay.WaitFor(t, "victim@example.org", 1)[0]
	env, err := enmime.ReadEnvelope(bytes.NewReader(ack.Raw))
	if err != nil {
		t.Fatal(err)
	}
	for what, s := range map[string]string{"subject": env.GetHeader("Subject"), "text": env.Text, "HTML": env.HTML} {
		for _, spammy := range []string{"PILLS", "pills.example", "prize", "Buy now"} {
			if strings.Contains(s, spammy) {
				t.Errorf("acknowledgement %s carries %q of the spam: %q", what, spammy, s)
			}
		}
	}
	if subj := env.GetHeader("Subject"); !strings.Contains(subj, "[#1]") {
		t.Errorf("acknowledgement subject %q lacks the ticket tag", subj)
	}
	tickets, err := openDB(t, data).Tickets(context.Background(), "acme", "")
	if err != nil || len(tickets) != 1 || !strings.Contains(tickets[0].Subject, "CHEAP PILLS") {
		t.Errorf("stored tickets %+v (%v), want the one spam ticket with its subject", tickets, err)
	}
}

// TestAckLimitCountsBaseAddress: forged Reply-Tos victim+1@, victim+2@ …
// are one address (RFC 5233) for the hourly limit of 10; and the property's
// ceiling bounds acknowledgements to everyone together.
func TestAckLimitCountsBaseAddress(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	relay := smtptest.Start(t)
	// All 38 mails come from one sender, whose new tickets past 20 would
	// be held (the limit counts the From, not the Reply-To): lifted here,
	// where the acknowledgement limits are under test.
	srv := startServer(t, data, "--relay", relay.URL(), "--ack-ceiling", "15", "--new-ticket-limit", "1000")
	for i := 1; i <= 14; i++ {
		mustSend(t, srv.addr, "deals@spammer.test", []string{"support@acme.test"}, string(spam(i, fmt.Sprintf("Victim+%d@Example.org", i))))
	}
	for i := 1; i <= 14; i++ {
		mustSend(t, srv.addr, "deals@spammer.test", []string{"support@acme.test"}, string(spam(100+i, fmt.Sprintf("victim+%d@example.org", i))))
	}
	for i := 1; i <= 10; i++ {
		mustSend(t, srv.addr, "deals@spammer.test", []string{"support@acme.test"}, string(spam(200+i, fmt.Sprintf("other%d@example.net", i))))
	}
	settle(t, relay, time.Second, 20*time.Second)
	victim, other := 0, 0
	for i := 1; i <= 14; i++ {
		victim += len(relay.To(fmt.Sprintf("victim+%d@example.org", i)))
	}
	for i := 1; i <= 10; i++ {
		other += len(relay.To(fmt.Sprintf("other%d@example.net", i)))
	}
	if victim != 10 {
		t.Errorf("victim+N@example.org received %d acknowledgements, want the limit of 10 for the base address", victim)
	}
	if total := relay.Count(); total != 15 || other != 5 {
		t.Errorf("%d acknowledgements in all, %d to the other senders; want the ceiling of 15 (10 + 5)", total, other)
	}
	tickets, err := openDB(t, data).Tickets(context.Background(), "acme", "")
	if err != nil || len(tickets) != 38 {
		t.Errorf("%d tickets stored (%v), want all 38 mails stored", len(tickets), err)
	}
}
