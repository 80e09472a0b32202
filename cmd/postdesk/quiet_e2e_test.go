package main

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// heldNotices counts the notices about held mail rcpt received ("Held
// mail: …" to admins, "Held: …" to the member a mail names).
func heldNotices(relay *smtptest.Relay, rcpt string) []string {
	return subjects(relay, rcpt, "Held")
}

// TestNoNoticeAnswersHeldAutomaticMail (security review, outbound item 2):
// automatic mail held by any rule (a member's out-of-office without her
// token, our own mail come back, too many participants, the new-ticket
// limit) is held and nobody is told. A forged mail in the admin's name
// still causes notices; the admin's auto-responder answering them at
// their envelope sender (RFC 3834 §4, no In-Reply-To), and even a plain
// mail to a notice's bounce address, causes no further notice, however
// many windows pass.
func TestNoNoticeAnswersHeldAutomaticMail(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "1s", "--instance-id", "gw-test",
		"--participant-limit", "2", "--new-ticket-limit", "1")
	automatic := []struct{ from, raw string }{
		{"boss@acme.test", "From: Boss <boss@acme.test>\r\nTo: support@acme.test\r\nSubject: Out of office\r\n" +
			"Auto-Submitted: auto-replied\r\nMessage-ID: <ooo-1@acme.test>\r\n\r\nI am away.\r\n"},
		{"list@lists.example", "From: list@lists.example\r\nTo: support@acme.test\r\nSubject: digest\r\n" +
			"Precedence: bulk\r\nX-Postdesk-Loop: gw-test\r\nMessage-ID: <loop-1@lists.example>\r\n\r\nour mail, back\r\n"},
		{"robot@example.com", "From: robot@example.com\r\nTo: support@acme.test\r\nCc: a@x.example, b@x.example, c@x.example\r\n" +
			"Subject: report\r\nX-Autoreply: yes\r\nMessage-ID: <cc-1@example.com>\r\n\r\nthree Cc\r\n"},
		{"cron@example.com", "From: cron@example.com\r\nTo: support@acme.test\r\nSubject: job 1\r\n" +
			"Auto-Submitted: auto-generated\r\nMessage-ID: <cron-1@example.com>\r\n\r\nok\r\n"},
		{"cron@example.com", "From: cron@example.com\r\nTo: support@acme.test\r\nSubject: job 2\r\n" +
			"Auto-Submitted: auto-generated\r\nMessage-ID: <cron-2@example.com>\r\n\r\nok\r\n"},
	}
	for _, m := range automatic {
		mustSend(t, srv.addr, m.from, []string{"support@acme.test"}, m.raw)
	}
	settle(t, relay, 2500*time.Millisecond, 20*time.Second)
	for _, rcpt := range []string{"boss@acme.test", "alice@acme.test"} {
		if got := heldNotices(relay, rcpt); len(got) != 0 {
			t.Errorf("%s was told of held automatic mail: %q", rcpt, got)
		}
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	reasons := map[string]bool{}
	for _, h := range held {
		reasons[h.Reason] = true
	}
	for _, want := range []string{reasonNoTokenText, "our own mail came back (loop header)",
		"mail names more than 2 new participants", "sender over the limit of new tickets per hour"} {
		if !reasons[want] {
			t.Errorf("held reasons %v lack %q", reasons, want)
		}
	}

	// A person's forged mail in boss's name is still reported.
	mustSend(t, srv.addr, "mallory@evil.example", []string{"support@acme.test"},
		"From: Boss <boss@acme.test>\r\nTo: support@acme.test\r\nSubject: Refund approved\r\nMessage-ID: <forged-1@evil.example>\r\n\r\nApproved.\r\n")
	notices := waitSubjects(t, relay, "boss@acme.test", "Held", 2)
	settle(t, relay, 1500*time.Millisecond, 20*time.Second)
	before := len(heldNotices(relay, "boss@acme.test"))
	// Boss's auto-responder answers each notice at its envelope sender,
	// without In-Reply-To; then boss writes to those addresses by hand.
	for i, n := range notices {
		mustSend(t, srv.addr, "boss@acme.test", []string{n.From}, fmt.Sprintf("From: Boss <boss@acme.test>\r\nTo: %s\r\n"+
			"Subject: Automatic reply: %s\r\nAuto-Submitted: auto-replied\r\nMessage-ID: <ooo-n%d@acme.test>\r\n\r\nI am away.\r\n",
			n.From, n.Header("Subject"), i))
		mustSend(t, srv.addr, "boss@acme.test", []string{n.From}, fmt.Sprintf("From: Boss <boss@acme.test>\r\nTo: %s\r\n"+
			"Subject: thanks\r\nMessage-ID: <thanks-n%d@acme.test>\r\n\r\nNoted.\r\n", n.From, i))
	}
	settle(t, relay, 2500*time.Millisecond, 20*time.Second) // past the notice window
	if got := heldNotices(relay, "boss@acme.test"); len(got) != before {
		t.Errorf("boss received %q: mail to a notice's bounce address was answered by a notice", got[before:])
	}
	if got := heldNotices(relay, "alice@acme.test"); len(got) != 0 {
		t.Errorf("alice received %q, want no notice", got)
	}
}

// reasonNoTokenText is why mail in a member's name without her token is held.
const reasonNoTokenText = "mail from a member's address without that member's reply token"

// TestMemberAutoReplyToBounceAddressIsANote (security review, outbound
// item 2): alice's out-of-office answers her copy at its envelope sender,
// the copy's bounce address (RFC 3834 §4), not at its Reply-To. Like her
// auto-reply through her reply token, it becomes an internal note on the
// ticket: nothing is held, nobody is told or sent anything, the status
// stays open.
func TestMemberAutoReplyToBounceAddressIsANote(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "1s")
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken lamp\r\nMessage-ID: <carol-b@example.com>\r\n\r\nIt flickers.\r\n")
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	relay.WaitFor(t, "carol@example.com", 1)
	verp := copy1.From
	if !strings.HasPrefix(verp, "support+") {
		t.Fatalf("the copy's envelope sender %q is no bounce address", verp)
	}
	mustSend(t, srv.addr, "alice@acme.test", []string{verp}, "From: Alice <alice@acme.test>\r\nTo: "+verp+"\r\n"+
		"Subject: Automatic reply: "+copy1.Header("Subject")+"\r\nAuto-Submitted: auto-replied\r\n"+
		"Message-ID: <ooo-alice@acme.test>\r\n\r\nI am out of the office until Monday.\r\n")
	settle(t, relay, 2*time.Second, 20*time.Second)
	if got := heldNotices(relay, "alice@acme.test"); len(got) != 0 {
		t.Errorf("alice was told %q, want nothing", got)
	}
	if n := len(relay.To("carol@example.com")); n != 1 {
		t.Errorf("carol received %d mails, want only the acknowledgement", n)
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 0 {
		t.Errorf("held = %+v, want nothing held", held)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if v.Ticket.Status != ticket.StatusOpen {
		t.Errorf("status %s after the agent's auto-reply, want open", v.Ticket.Status)
	}
	if len(v.Messages) != 2 || v.Messages[1].Kind != ticket.KindNote || !strings.Contains(v.Messages[1].Text, "out of the office") {
		t.Errorf("messages: %+v, want the auto-reply as a note", v.Messages)
	}
}
