package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// mailWithReplyTo is a first mail whose Reply-To names another address, as
// a contact form writes it, or a forger.
func mailWithReplyTo(from, replyTo, subject string) string {
	return strings.Replace(firstMail(from, subject), "\r\nTo: ", "\r\nReply-To: "+replyTo+"\r\nTo: ", 1)
}

// TestSpamMarksTheSender: marking a ticket as spam marks the address its
// mail came from (From), never the Reply-To it named: a forger naming an
// innocent customer in Reply-To cannot get her mail sent to Spam, and a
// marked spammer cannot escape the mark by naming another Reply-To.
func TestSpamMarksTheSender(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	const spammer, victim = "deals@spam.test", "carol@customer.test"
	mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, mailWithReplyTo(spammer, victim, "cheap pills"))
	relay.WaitFor(t, "alice@acme.test", 1)
	if tk := deskTicket(t, data, "ticket", "spam", "1", "--as", "alice@acme.test"); tk.Status != ticket.StatusSpam {
		t.Fatalf("after ticket spam: %s", tk.Status)
	}
	mustSend(t, srv.addr, victim, []string{"support@acme.test"}, firstMail(victim, "my order"))
	if v := acmeTicket(t, data, 2); v.Ticket.Status != ticket.StatusOpen {
		t.Errorf("the customer named in the forger's Reply-To wrote #2: %s, want open (only the sender is marked)", v.Ticket.Status)
	}
	for i, replyTo := range []string{"someone@else.test", "Deals+x@Spam.Test."} {
		mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, mailWithReplyTo(spammer, replyTo, fmt.Sprint("offer ", i)))
		if v := acmeTicket(t, data, 3+i); v.Ticket.Status != ticket.StatusSpam {
			t.Errorf("the spammer's mail with Reply-To %s opened #%d %s, want spam", replyTo, 3+i, v.Ticket.Status)
		}
	}
	for i, from := range []string{"Deals+more@SPAM.test", "deals@spam.test."} {
		mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, firstMail(from, fmt.Sprint("again ", i)))
		if v := acmeTicket(t, data, 5+i); v.Ticket.Status != ticket.StatusSpam {
			t.Errorf("the spammer's mail from %s opened #%d %s, want spam", from, 5+i, v.Ticket.Status)
		}
	}
}
