package main

import (
	"fmt"
	"github.com/postdesk/postdesk/internal/smtptest"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

var clientSeq atomic.Int64

// replyFrom builds the reply a mail client makes to m: To its Reply-To,
// In-Reply-To its Message-ID, References its References plus its
// Message-ID, the body followed by the quoted original.
func replyFrom(t *testing.T, m smtptest.Mail, from, body string) (rcpt string, raw []byte) {
	t.Helper()
	to, err := mail.ParseAddress(m.Header("Reply-To"))
	if err != nil {
		t.Fatalf("Reply-To %q: %v", m.Header("Reply-To"), err)
	}
	id := m.Header("Message-Id")
	refs := strings.TrimSpace(m.Header("References") + " " + id)
	var quoted strings.Builder
	for _, line := range strings.Split(m.Body(), "\n") {
		quoted.WriteString("> " + strings.TrimRight(line, "\r") + "\r\n")
	}
	msg := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <client-%d@mua.test>\r\n"+
		"In-Reply-To: %s\r\nReferences: %s\r\nDate: %s\r\n\r\n%s\r\n\r\nOn Sat, 21 Nov 2026, Somebody wrote:\r\n%s",
		from, to.Address, m.Header("Subject"), clientSeq.Add(1), id, refs, time.Now().Format(time.RFC1123Z),
		strings.ReplaceAll(body, "\n", "\r\n"), quoted.String())
	return to.Address, []byte(msg)
}

// TestAgentWorksFromMailClient: customer mail → the agent gets a copy at
// the relay → the agent replies from their mail client with commands → the
// customer receives the reply without the commands or the quote → the
// customer replies → the same ticket, open again. Nobody receives their own
// message.
func TestAgentWorksFromMailClient(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <carol-1@example.com>\r\n\r\nIt stopped working.\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	ack := relay.WaitFor(t, "carol@example.com", 1)[0]
	if ack.Header("Auto-Submitted") != "auto-replied" || !strings.Contains(ack.Header("Subject"), "[#1]") {
		t.Errorf("acknowledgement: Auto-Submitted %q, Subject %q", ack.Header("Auto-Submitted"), ack.Header("Subject"))
	}
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	if !strings.Contains(copy1.Body(), "It stopped working.") {
		t.Errorf("the agent's copy lacks the customer's text:\n%s", copy1.Body())
	}

	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "#priority high\n#tag vip\n\nHello Carol, please hold the button for 5 seconds.\n\n-- \nAlice, Acme")
	if err := send(srv.addr, "alice@acme.test", []string{rcpt}, reply); err != nil {
		t.Fatalf("agent reply: %v", err)
	}
	answer := relay.WaitFor(t, "carol@example.com", 2)[1]
	body := answer.Body()
	if !strings.Contains(body, "Hello Carol, please hold the button") {
		t.Errorf("the customer's mail lacks the agent's words:\n%s", body)
	}
	for _, leak := range []string{"#priority", "#tag", "Alice, Acme", "It stopped working.\r\n> "} {
		if strings.Contains(body, leak) {
			t.Errorf("the customer's mail contains %q:\n%s", leak, body)
		}
	}
	if from := answer.Header("From"); !strings.Contains(from, "Alice") || !strings.Contains(from, "support@acme.test") {
		t.Errorf("From = %q, want the agent's name at the property address", from)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if v.Ticket.Priority != ticket.PriorityHigh || strings.Join(v.Ticket.Tags, ",") != "vip" || v.Ticket.Status != ticket.StatusAnswered {
		t.Errorf("after the agent's commands: priority %s, tags %v, status %s", v.Ticket.Priority, v.Ticket.Tags, v.Ticket.Status)
	}

	rcpt, again := replyFrom(t, answer, "Carol <carol@example.com>", "That fixed it, thanks!")
	mustSend(t, srv.addr, "carol@example.com", []string{rcpt}, string(again))
	copy2 := relay.WaitFor(t, "alice@acme.test", 2)[1]
	if !strings.Contains(copy2.Body(), "That fixed it") {
		t.Errorf("the agent's second copy lacks the customer's reply:\n%s", copy2.Body())
	}
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 1 || tickets[0].Status != ticket.StatusOpen {
		t.Fatalf("tickets after the customer's reply: %+v, want #1 open", tickets)
	}
	time.Sleep(300 * time.Millisecond) // let any stray mail arrive
	if n := len(relay.To("carol@example.com")); n != 2 {
		t.Errorf("the customer received %d mails, want 2 (acknowledgement, reply): none of her own", n)
	}
	if n := len(relay.To("alice@acme.test")); n != 2 {
		t.Errorf("the agent received %d mails, want 2 copies of the customer's mail: none of her own", n)
	}
}

// TestForgedAgentMailIsHeld: a mail with the agent's From but no token
// issued to the agent is not posted and not sent to the customer; the agent
// is told at their real address.
func TestForgedAgentMailIsHeld(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob")
	awayFromRoundRobin(t, data, "alice@acme.test", "bob@acme.test") // the ticket stays with the department: both get copies
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: Refund\r\nMessage-ID: <carol-r@example.com>\r\n\r\nI want a refund.\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	copyToBob := relay.WaitFor(t, "bob@acme.test", 1)[0]
	relay.WaitFor(t, "carol@example.com", 1)
	// Mallory forges Alice's From, replying through Bob's reply address:
	// a token, but not Alice's.
	rcpt, forged := replyFrom(t, copyToBob, "Alice <alice@acme.test>", "#close\n\nRefund approved, send your bank details to mallory@evil.example")
	mustSend(t, srv.addr, "mallory@evil.example", []string{rcpt}, string(forged))
	// And once more with no token at all.
	plain := "From: Alice <alice@acme.test>\r\nTo: support@acme.test\r\nSubject: Re: [#1] Refund\r\nMessage-ID: <forged-2@evil.example>\r\n\r\n#close\r\n\r\nApproved.\r\n"
	mustSend(t, srv.addr, "mallory@evil.example", []string{"support@acme.test"}, plain)
	// Alice, in the department, got the customer's copy; then the notice of
	// the first forged mail (the second waits for the hourly digest) and,
	// as the only member of a property without admins, its held-mail notice.
	got := relay.WaitFor(t, "alice@acme.test", 3)
	for _, notice := range got[1:] {
		if !strings.Contains(notice.Header("Subject"), "Held") {
			t.Errorf("notice to the agent: subject %q", notice.Header("Subject"))
		}
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(relay.To("carol@example.com")); n != 1 {
		t.Errorf("the customer received %d mails, want only the acknowledgement", n)
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 2 || held[0].Sender != "alice@acme.test" {
		t.Errorf("held list = %+v, want both forged mails", held)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if v.Ticket.Status != ticket.StatusOpen || len(v.Messages) != 1 {
		t.Errorf("the forged mail changed the ticket: status %s, %d messages", v.Ticket.Status, len(v.Messages))
	}
}
