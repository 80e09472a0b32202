package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// mailWith waits for a mail to rcpt whose body contains text, and returns
// it unread (Body can be read once).
func mailWith(t *testing.T, relay *smtptest.Relay, rcpt, text string) smtptest.Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for i, m := range relay.To(rcpt) {
			if strings.Contains(m.Body(), text) {
				return relay.To(rcpt)[i]
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s received no mail containing %q (got %d mails)", rcpt, text, len(relay.To(rcpt)))
	return smtptest.Mail{}
}

// participants returns the addresses ticket n's answers go to.
func participants(t *testing.T, data string, n int) []string {
	t.Helper()
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", fmt.Sprint(n))
	var out []string
	for _, c := range v.Participants {
		out = append(out, c.Email)
	}
	return out
}

// openCarolsTicket has Carol open #1 and returns Alice's copy of it.
func openCarolsTicket(t *testing.T, addr string, relay *smtptest.Relay) smtptest.Mail {
	t.Helper()
	first := "From: Carol <carol@customer.test>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <carol-1@customer.test>\r\n\r\nIt stopped working.\r\n"
	mustSend(t, addr, "carol@customer.test", []string{"support@acme.test"}, first)
	relay.WaitFor(t, "carol@customer.test", 1)
	return mailWith(t, relay, "alice@acme.test", "It stopped working.")
}

// TestBorrowedReplyToJoinsNothing: a stranger writes with Carol's address
// in Reply-To, a spy in Cc and Carol's ticket tag. The subject tag trusts
// From only, so the mail does not join #1; Alice's answer on #1 goes to
// Carol alone.
func TestBorrowedReplyToJoinsNothing(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	copy1 := openCarolsTicket(t, srv.addr, relay)
	attack := "From: \"Carol\" <evil@evil.test>\r\nReply-To: carol@customer.test\r\nTo: support@acme.test\r\n" +
		"Cc: spy@evil.test\r\nSubject: Re: [#1] Broken blender\r\nMessage-ID: <evil-1@evil.test>\r\n\r\nStranger's text.\r\n"
	mustSend(t, srv.addr, "evil@evil.test", []string{"support@acme.test"}, attack)
	if got := participants(t, data, 1); strings.Join(got, " ") != "carol@customer.test" {
		t.Errorf("#1's participants after the attack = %q, want only carol@customer.test", got)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if len(v.Messages) != 1 {
		t.Errorf("the stranger's mail joined #1 (%d messages, decision %q)", len(v.Messages), v.Messages[len(v.Messages)-1].Thread)
	}
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "Hello Carol, hold the button.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	answer := mailWith(t, relay, "carol@customer.test", "Hello Carol, hold the button.")
	if strings.Contains(answer.Body(), "Stranger's text.") {
		t.Errorf("Carol's answer quotes the stranger:\n%s", answer.Body())
	}
	time.Sleep(300 * time.Millisecond)
	for _, m := range relay.To("spy@evil.test") {
		if strings.Contains(m.Body(), "Hello Carol") {
			t.Errorf("the spy received the answer to Carol:\n%s", m.Body())
		}
	}
}

// TestForwardedAckProposesOnly: a stranger joins #1 with only the
// References of the acknowledgement Carol forwarded, plus a Cc. The mail is
// stored on #1 but adds no recipient: Alice's copy shows where an answer
// goes and what was proposed, the answer goes to Carol alone and quotes
// nobody else, and "#cc" adds the proposed address with one command.
func TestForwardedAckProposesOnly(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	openCarolsTicket(t, srv.addr, relay)
	ack := relay.To("carol@customer.test")[0]
	attack := fmt.Sprintf("From: Mallory <evil@evil.test>\r\nTo: support@acme.test\r\nCc: Spy <spy@evil.test>\r\n"+
		"Subject: Fwd: something\r\nMessage-ID: <evil-2@evil.test>\r\nReferences: %s\r\n\r\nStranger's text.\r\n", ack.Header("Message-Id"))
	mustSend(t, srv.addr, "evil@evil.test", []string{"support@acme.test"}, attack)
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if len(v.Messages) != 2 || !strings.HasPrefix(v.Messages[1].Thread, "rule=references") {
		t.Fatalf("the forwarded acknowledgement's References did not join #1: %d messages", len(v.Messages))
	}
	if got := participants(t, data, 1); strings.Join(got, " ") != "carol@customer.test" {
		t.Errorf("#1's participants after the attack = %q, want only carol@customer.test", got)
	}
	show := cli(t, data, "ticket", "show", "1")
	if !strings.Contains(show, "proposed") || !strings.Contains(show, "#cc spy@evil.test") {
		t.Errorf("ticket show does not show the proposed address and the command:\n%s", show)
	}
	copyBody := strings.ReplaceAll(mailWith(t, relay, "alice@acme.test", "Stranger's text.").Body(), "\r\n", "\n")
	for _, want := range []string{"Your answer goes to: carol@customer.test\n", "Not added", "#cc spy@evil.test"} {
		if !strings.Contains(copyBody, want) {
			t.Errorf("Alice's copy lacks %q:\n%s", want, copyBody)
		}
	}
	copy2 := mailWith(t, relay, "alice@acme.test", "Stranger's text.")
	rcpt, reply := replyFrom(t, copy2, "Alice <alice@acme.test>", "Who is this?")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	answer := mailWith(t, relay, "carol@customer.test", "Who is this?")
	if strings.Contains(answer.Body(), "Stranger's text.") {
		t.Errorf("Carol's answer quotes the stranger:\n%s", answer.Body())
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(relay.To("spy@evil.test")); n != 0 {
		t.Fatalf("the spy received %d mails before any member added it", n)
	}
	rcpt, reply = replyFrom(t, copy2, "Alice <alice@acme.test>", "#cc spy@evil.test\n\nWelcome aboard.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	if m := mailWith(t, relay, "spy@evil.test", "Welcome aboard."); strings.Contains(m.Body(), "#cc") {
		t.Errorf("the command reached the customer:\n%s", m.Body())
	}
	if got := participants(t, data, 1); strings.Join(got, " ") != "carol@customer.test spy@evil.test" {
		t.Errorf("#1's participants after #cc = %q", got)
	}
}
