package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// mailWithReplyTo is a first mail whose Reply-To names another address, as
// a contact form writes it, or a forger.
func mailWithReplyTo(from, replyTo, subject string) string {
	return strings.Replace(firstMail(from, subject), "\r\nTo: ", "\r\nReply-To: "+replyTo+"\r\nTo: ", 1)
}

// TestSpamMarksTheSender: marking a ticket as spam marks the address its
// mail came from (From), never the Reply-To it named. A forger naming an
// innocent customer in Reply-To cannot get her mail sent to Spam; a marked
// spammer cannot escape the mark by naming a Reply-To, nor by +detail,
// letter case or a trailing dot; and spam through a contact form (its own
// From, the customer in Reply-To) does not send every later form mail to
// Spam.
func TestSpamMarksTheSender(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	const spammer, victim, form = "deals@spam.test", "carol@customer.test", "form@acme-site.test"
	n := 0
	open := func(from, mail string, want ticket.Status, why string) {
		t.Helper()
		n++
		mustSend(t, srv.addr, from, []string{"support@acme.test"}, mail)
		if v := acmeTicket(t, data, n); v.Ticket.Status != want {
			t.Errorf("%s: #%d %s, want %s", why, n, v.Ticket.Status, want)
		}
	}
	spam := func() {
		t.Helper()
		if tk := deskTicket(t, data, "ticket", "spam", fmt.Sprint(n), "--as", "alice@acme.test"); tk.Status != ticket.StatusSpam {
			t.Fatalf("after ticket spam %d: %s", n, tk.Status)
		}
	}
	open(spammer, mailWithReplyTo(spammer, victim, "cheap pills"), ticket.StatusOpen, "the forger's mail naming carol in Reply-To")
	spam()
	open(victim, firstMail(victim, "my order"), ticket.StatusOpen, "carol's own mail after the forger's was marked")

	open(spammer, firstMail(spammer, "more pills"), ticket.StatusOpen, "the spammer's own mail")
	spam()
	for i, replyTo := range []string{"someone@else.test", victim} {
		open(spammer, mailWithReplyTo(spammer, replyTo, fmt.Sprint("offer ", i)), ticket.StatusSpam, "the marked spammer naming Reply-To "+replyTo)
	}
	for i, from := range []string{"Deals+more@SPAM.test", "deals@spam.test."} {
		open(spammer, firstMail(from, fmt.Sprint("again ", i)), ticket.StatusSpam, "the marked spammer writing as "+from)
	}

	open(form, mailWithReplyTo(form, "bot@spam.test", "form: pills"), ticket.StatusOpen, "spam through the contact form")
	spam()
	open(form, mailWithReplyTo(form, "dora@customer.test", "form: my order"), ticket.StatusOpen, "dora's mail through the contact form")
}

// TestMergedTicketKeepsStrangersOut: after zoe's #1 is merged into yann's
// #2, a stranger naming #1 by its subject tag or by the Message-ID of
// zoe's mail (unsigned) joins neither ticket: threading follows the merge
// and applies #2's participant rules, so both open a new ticket.
func TestMergedTicketKeepsStrangersOut(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Invoice is wrong", "z-1@customer.test", "", "The total is off."))
	mustSend(t, srv.addr, "yann@customer.test", []string{"support@acme.test"},
		customerMail("yann@customer.test", "support@acme.test", "Invoice 2041", "y-1@customer.test", "", "Same invoice."))
	deskTicket(t, data, "ticket", "merge", "1", "2", "--as", "alice@acme.test")
	for i, extra := range []struct{ subject, headers string }{
		{"Re: [#1] Invoice is wrong", ""},
		{"Re: Invoice is wrong", "In-Reply-To: <z-1@customer.test>\r\nReferences: <z-1@customer.test>\r\n"},
	} {
		body := fmt.Sprint("mallory's mail ", i)
		mustSend(t, srv.addr, "mallory@evil.test", []string{"support@acme.test"},
			customerMail("mallory@evil.test", "support@acme.test", extra.subject, fmt.Sprintf("m-%d@evil.test", i), extra.headers, body))
		if _, in := hasMessage(showTicket(t, data, 2), body); in {
			t.Errorf("%q (%s) joined #2, whose participants mallory is not one of", body, extra.subject)
		}
		if v := showTicket(t, data, 3+i); v.Ticket.Requester != "mallory@evil.test" {
			t.Errorf("#%d's requester %q, want mallory's own new ticket", 3+i, v.Ticket.Requester)
		}
	}
}

// TestOppositeMergesMakeNoLoop: "merge 1 into 2" and "merge 2 into 1" run
// at once, from two processes; one wins, the other is refused, and no
// ticket ends merged into one that is merged itself.
func TestOppositeMergesMakeNoLoop(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	for i := range 2 {
		mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
			customerMail("zoe@customer.test", "support@acme.test", fmt.Sprint("matter ", i), fmt.Sprintf("o-%d@customer.test", i), "", "Text."))
	}
	errs := make(chan error, 2)
	for _, args := range [][2]string{{"1", "2"}, {"2", "1"}} {
		go func() {
			_, err := cliErr(data, "ticket", "merge", args[0], args[1], "--as", "alice@acme.test")
			errs <- err
		}()
	}
	failed := 0
	for range 2 {
		if err := <-errs; err != nil {
			failed++
		}
	}
	one, two := showTicket(t, data, 1), showTicket(t, data, 2)
	if failed != 1 || (one.Ticket.MergedInto != 0) == (two.Ticket.MergedInto != 0) {
		t.Errorf("opposite merges: %d failed; #1 merged into %d, #2 merged into %d; want exactly one merge",
			failed, one.Ticket.MergedInto, two.Ticket.MergedInto)
	}
	cli(t, data, "check")
}

// TestNoticeReplyFollowsMerge: bob's reply to a mention notice about #1,
// sent after #1 was merged into #2, is a note on #2, where the
// conversation went, not on the merged #1 that no list shows.
func TestNoticeReplyFollowsMerge(t *testing.T) {
	data, srv, relay := composeSetup(t)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Invoice 2041", "n-2@customer.test", "", "Again."))
	cli(t, data, "ticket", "note", "1", "--as", "alice@acme.test", "--message", "@bob can you call her?")
	notice := waitMail(t, relay, "bob@acme.test", "Mentioned:")
	deskTicket(t, data, "ticket", "merge", "1", "2", "--as", "alice@acme.test")
	rcpt, raw := replyFrom(t, notice, "Bob Stone <bob@acme.test>", "Called her, all sorted.")
	mustSend(t, srv.addr, "bob@acme.test", []string{rcpt}, string(raw))
	m, ok := hasMessage(showTicket(t, data, 2), "all sorted")
	if !ok || m.Kind != ticket.KindNote {
		t.Errorf("bob's reply to the notice about merged #1: on #2 %v (kind %q), want a note on #2", ok, m.Kind)
	}
}

// TestAgentMailCannotAnswerDeletedOrSpam: an agent's reply by mail to a
// ticket an admin deleted, or one marked as spam, does what `ticket reply`
// refuses to do on the desk: nothing. It is kept as an internal note,
// nothing goes to the customer, the ticket stays deleted (only admins
// undelete) or in Spam, and the agent is told why.
func TestAgentMailCannotAnswerDeletedOrSpam(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	const zoe, spammer = "zoe@customer.test", "deals@spam.test"
	mustSend(t, srv.addr, zoe, []string{"support@acme.test"}, firstMail(zoe, "old matter"))
	copy1 := waitMail(t, relay, "alice@acme.test", "old matter")
	mustSend(t, srv.addr, spammer, []string{"support@acme.test"}, firstMail(spammer, "cheap pills"))
	copy2 := waitMail(t, relay, "alice@acme.test", "cheap pills")
	deskTicket(t, data, "ticket", "delete", "1", "--as", "boss@acme.test")
	deskTicket(t, data, "ticket", "spam", "2", "--as", "alice@acme.test")
	acks := len(relay.To(zoe)) + len(relay.To(spammer))

	for i, c := range []struct {
		copy smtptest.Mail
		want ticket.Status
	}{{copy1, ticket.StatusDeleted}, {copy2, ticket.StatusSpam}} {
		body := fmt.Sprint("Here is your answer ", i)
		rcpt, raw := replyFrom(t, c.copy, "Alice <alice@acme.test>", body)
		mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(raw))
		v := acmeTicket(t, data, 1+i)
		m, ok := hasMessage(v, body)
		if v.Ticket.Status != c.want || !ok || m.Kind != ticket.KindNote {
			t.Errorf("alice's reply to #%d (%s): now %s, stored %v as %q; want %s, kept as a note",
				1+i, c.want, v.Ticket.Status, ok, m.Kind, c.want)
		}
	}
	waitMail(t, relay, "alice@acme.test", "Not sent")
	settle(t, relay, time.Second, 15*time.Second)
	if n := len(relay.To(zoe)) + len(relay.To(spammer)); n != acks {
		t.Errorf("the customers got %d mails after the replies, want none", n-acks)
	}
}

// TestAutomaticMailIsNotRouted: a stranger's automatic mail (RFC 3834
// Auto-Submitted) that opens a ticket is not given to an agent by
// round-robin: nobody asked anything, and each would take a place of her
// capacity, so a flood of them would leave a real customer's ticket with
// nobody. The real customer's ticket goes to alice.
func TestAutomaticMailIsNotRouted(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data)
	cli(t, data, "member", "set", "alice@acme.test", "--capacity", "1", "--as", "boss@acme.test")
	srv := startServer(t, data)
	auto := strings.Replace(firstMail("robot@stranger.test", "Out of office"), "\r\nTo: ", "\r\nAuto-Submitted: auto-replied\r\nTo: ", 1)
	mustSend(t, srv.addr, "robot@stranger.test", []string{"support@acme.test"}, auto)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, firstMail("zoe@customer.test", "my order"))
	if a, z := acmeTicket(t, data, 1).Ticket.Assignee, acmeTicket(t, data, 2).Ticket.Assignee; a != "" || z != "alice@acme.test" {
		t.Errorf("the automatic mail's #1 went to %q, the customer's #2 to %q; want nobody and alice", a, z)
	}
}

// TestMentionsOnlyFromMembersNotes: a customer's mail naming @alice and
// @bob, and alice's out-of-office (Auto-Submitted) through her reply
// address naming @bob, notify nobody: only a member's own note mentions.
func TestMentionsOnlyFromMembersNotes(t *testing.T) {
	data, srv, relay := composeSetup(t)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Hello @alice", "men-1@customer.test", "", "@alice @bob @carol please look."))
	copy1 := waitMail(t, relay, "alice@acme.test", "Hello")
	rcpt, raw := replyFrom(t, copy1, "Alice <alice@acme.test>", "I am away; ask @bob or @carol.")
	ooo := strings.Replace(string(raw), "\r\nTo: ", "\r\nAuto-Submitted: auto-replied\r\nTo: ", 1)
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, ooo)
	if m, ok := hasMessage(showTicket(t, data, 1), "I am away"); !ok || m.Kind != ticket.KindNote {
		t.Fatalf("alice's out-of-office on #1: %v, kind %q; want a note", ok, m.Kind)
	}
	settle(t, relay, time.Second, 15*time.Second)
	for _, m := range []string{"alice@acme.test", "bob@acme.test", "carol@acme.test"} {
		if got := mailsWith(relay, m, "Mentioned:"); len(got) != 0 {
			t.Errorf("%s got %d mention notices", m, len(got))
		}
	}
}
