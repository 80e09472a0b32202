package main

import (
	"context"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
)

// ccMail is a customer's mail to support with n Cc addresses.
func ccMail(n int, subject string) []byte {
	cc := make([]string, n)
	for i := range cc {
		cc[i] = fmt.Sprintf("friend%d@crowd.test", i)
	}
	return []byte(fmt.Sprintf("From: Carol <carol@customer.test>\r\nTo: support@acme.test\r\nCc: %s\r\nSubject: %s\r\n"+
		"Message-ID: <%s@customer.test>\r\n\r\nHello all.\r\n", strings.Join(cc, ",\r\n "), subject, strings.ReplaceAll(subject, " ", "-")))
}

func countRows(t *testing.T, data, table string) int64 {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := st.Count(context.Background(), table)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFanOutHeld: a mail with 100 Cc addresses, over the default limit of
// 20 participants per mail, is held for review: no ticket, no contact, and
// nothing is sent but the held-mail notice to the property's admins.
func TestFanOutHeld(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@customer.test", []string{"support@acme.test"}, string(ccMail(100, "crowd one")))
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 || !strings.Contains(held[0].Reason, "more than 20 new participants") {
		t.Fatalf("held list = %+v, want the mail held for naming more than 20 participants", held)
	}
	if n := countRows(t, data, "contacts"); n != 0 {
		t.Errorf("%d contacts created for a held mail, want 0", n)
	}
	if n := countRows(t, data, "tickets"); n != 0 {
		t.Errorf("%d tickets, want 0", n)
	}
	time.Sleep(300 * time.Millisecond)
	told := len(mailsWith(relay, "alice@acme.test", "Held mail:"))
	if n := relay.Count(); n != told || told > 1 {
		t.Errorf("the relay received %d mails, want none but the held-mail notice to the admins (alice, the only member)", n)
	}
}

// TestAnswerRecipientLimit: with participant-limit 20 and
// answer-recipient-limit 10, a mail with 15 Cc makes 16 participants, and
// an agent's answer to them is not sent: it is kept as a note and the agent
// is told. A mail with 21 Cc is held under participant-limit 20 but not
// under 30.
func TestAnswerRecipientLimit(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--answer-recipient-limit", "10")
	mustSend(t, srv.addr, "carol@customer.test", []string{"support@acme.test"}, string(ccMail(15, "crowd two")))
	if got := participants(t, data, 1); len(got) != 16 {
		t.Fatalf("#1 has %d participants, want 16", len(got))
	}
	copy1 := mailWith(t, relay, "alice@acme.test", "Hello all.")
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "Hello everybody.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	notice := mailWith(t, relay, "alice@acme.test", "more than the limit of 10 per answer")
	if !strings.Contains(notice.Header("Subject"), "Not sent") {
		t.Errorf("notice subject %q", notice.Header("Subject"))
	}
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 15; i++ {
		if n := len(relay.To(fmt.Sprintf("friend%d@crowd.test", i))); n != 0 {
			t.Fatalf("friend%d received %d mails, want 0", i, n)
		}
	}
	if n := len(relay.To("carol@customer.test")); n != 1 {
		t.Errorf("carol received %d mails, want only the acknowledgement", n)
	}
	mustSend(t, srv.addr, "carol@customer.test", []string{"support@acme.test"}, string(ccMail(21, "crowd three")))
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 {
		t.Errorf("21 Cc under participant-limit 20: %d held, want 1", len(held))
	}
	srv.stop(t)
	srv = startServer(t, data, "--relay", relay.URL(), "--participant-limit", "30")
	mustSend(t, srv.addr, "carol@customer.test", []string{"support@acme.test"}, string(ccMail(21, "crowd four")))
	if got := participants(t, data, 2); len(got) != 22 {
		t.Errorf("21 Cc under participant-limit 30: #2 has %d participants, want 22", len(got))
	}
}
