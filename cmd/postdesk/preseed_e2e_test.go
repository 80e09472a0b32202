package main

import (
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// TestPreseededIDCapturesNoConversation: Eve writes into her own mail an id
// she expects a later customer's mail to name (a public list post's
// Message-ID as her own, the same id in her References only, or Bob's own
// future Message-ID in her References). Bob's mail, which names it, must not
// join Eve's ticket: none of these ids is one we signed, and Bob takes no
// part in Eve's ticket. It opens Bob's own ticket, linked to Eve's, Bob is
// acknowledged, the decision records why, and nothing of Bob's, nor Alice's
// answer to him, reaches Eve. Sent as raw bytes over SMTP, delivered through
// the test relay.
func TestPreseededIDCapturesNoConversation(t *testing.T) {
	bobText := "My licence key ABC-123 stopped working, account bob-77."
	tests := []struct {
		name     string
		eve, bob string
		decision string // Bob's message's decision
	}{
		{"Eve's own Message-ID is the list post's",
			"From: eve@evil.test\r\nTo: support@acme.test\r\nSubject: Re: release 2.0 question\r\n" +
				"Message-ID: <root1@lists.example.org>\r\n\r\nhi\r\n",
			"From: Bob <bob@example.com>\r\nTo: list@lists.example.org\r\nCc: support@acme.test\r\n" +
				"Subject: Re: release 2.0 question\r\nMessage-ID: <bob-1@example.com>\r\n" +
				"In-Reply-To: <root1@lists.example.org>\r\nReferences: <root1@lists.example.org>\r\n\r\n" + bobText + "\r\n",
			`rule=new candidates=root1@lists.example.org choice="in-reply-to root1@lists.example.org names #1; ` +
				`sender not a participant of #1: new ticket linked to it"`},
		{"Eve references the list post (ghost parent)",
			"From: eve@evil.test\r\nTo: support@acme.test\r\nSubject: Re: other\r\n" +
				"Message-ID: <eve-2@evil.test>\r\nReferences: <root2@lists.example.org>\r\n\r\nhi\r\n",
			"From: Bob <bob@example.com>\r\nTo: support@acme.test\r\nSubject: Re: other\r\n" +
				"Message-ID: <bob-2@example.com>\r\nIn-Reply-To: <root2@lists.example.org>\r\n\r\n" + bobText + "\r\n",
			`rule=new candidates=root2@lists.example.org choice="ghost-reference root2@lists.example.org names #1; ` +
				`sender not a participant of #1: new ticket linked to it"`},
		{"Eve references Bob's future Message-ID (referenced-by)",
			"From: eve@evil.test\r\nTo: support@acme.test\r\nSubject: hello\r\n" +
				"Message-ID: <eve-3@evil.test>\r\nReferences: <20261121.1234@mail.customer.test>\r\n\r\nhi\r\n",
			"From: Bob <bob@example.com>\r\nTo: support@acme.test\r\nSubject: password reset\r\n" +
				"Message-ID: <20261121.1234@mail.customer.test>\r\n\r\n" + bobText + "\r\n",
			`rule=new choice="referenced-by 20261121.1234@mail.customer.test names #1; ` +
				`sender not a participant of #1: new ticket linked to it"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			setupAcme(t, data)
			relay := smtptest.Start(t)
			srv := startServer(t, data, "--relay", relay.URL())
			sendRaw(t, srv.addr, "eve@evil.test", []string{"support@acme.test"}, tt.eve)
			relay.WaitFor(t, "eve@evil.test", 1) // Eve's acknowledgement
			sendRaw(t, srv.addr, "bob@example.com", []string{"support@acme.test"}, tt.bob)

			ack := relay.WaitFor(t, "bob@example.com", 1)[0]
			if !strings.Contains(ack.Header("Subject"), "[#2]") {
				t.Errorf("Bob's acknowledgement: Subject %q, want his own ticket [#2]", ack.Header("Subject"))
			}
			var eve, bob ticketView
			cliJSON(t, data, &eve, "ticket", "show", "1")
			cliJSON(t, data, &bob, "ticket", "show", "2")
			if len(eve.Messages) != 1 {
				t.Errorf("Eve's #1 holds %d messages, want her own only", len(eve.Messages))
			}
			if len(bob.Messages) != 1 || bob.Messages[0].Thread != tt.decision {
				t.Fatalf("Bob's #2: %d messages, decision %q; want 1, %q", len(bob.Messages), threadOf(bob), tt.decision)
			}
			if bob.Ticket.LinkedID != eve.Ticket.ID {
				t.Errorf("Bob's #2 is linked to ticket id %d, want Eve's #1 (id %d)", bob.Ticket.LinkedID, eve.Ticket.ID)
			}
			if !hasEvent(eve.Events, "linked", "#2") || !hasEvent(bob.Events, "created", "#1") {
				t.Errorf("the link is not recorded on both tickets: #1 %v, #2 %v", eve.Events, bob.Events)
			}

			// Alice answers Bob from her copy of his mail.
			var copyOfBob smtptest.Mail
			for _, m := range relay.WaitFor(t, "alice@acme.test", 2) {
				if strings.Contains(m.Body(), "ABC-123") {
					copyOfBob = m
				}
			}
			if copyOfBob.Raw == nil {
				t.Fatal("Alice received no copy of Bob's mail")
			}
			rcpt, answer := replyFrom(t, copyOfBob, "Alice <alice@acme.test>", "Bob, your new licence key is XYZ-999.")
			sendRaw(t, srv.addr, "alice@acme.test", []string{rcpt}, string(answer))
			got := relay.WaitFor(t, "bob@example.com", 2)[1]
			if !strings.Contains(got.Body(), "XYZ-999") {
				t.Errorf("Bob's second mail is not Alice's answer:\n%s", got.Body())
			}
			waitOutbox(t, data)
			for _, m := range relay.To("eve@evil.test") {
				if body := m.Body(); strings.Contains(body, "ABC-123") || strings.Contains(body, "XYZ-999") {
					t.Errorf("Eve received Bob's conversation (Subject %q):\n%s", m.Header("Subject"), body)
				}
			}
			if n := len(relay.To("eve@evil.test")); n != 1 {
				t.Errorf("Eve received %d mails, want her acknowledgement only", n)
			}
		})
	}
}

// sendRaw sends msg as its bytes over a raw SMTP dialogue.
func sendRaw(t *testing.T, addr, from string, rcpts []string, msg string) {
	t.Helper()
	c, err := dialSMTP(addr, 20*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.send(from, rcpts, []byte(msg)); err != nil {
		t.Fatalf("send from %s: %v", from, err)
	}
}

func threadOf(v ticketView) string {
	if len(v.Messages) == 0 {
		return ""
	}
	return v.Messages[0].Thread
}

// hasEvent reports whether events hold one of kind whose detail names ref.
func hasEvent(events []ticket.Event, kind, ref string) bool {
	for _, e := range events {
		if e.Kind == kind && strings.Contains(e.Detail, ref) {
			return true
		}
	}
	return false
}
