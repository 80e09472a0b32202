package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// subjects returns the subjects of the mails rcpt received that start with
// prefix.
func subjects(relay *smtptest.Relay, rcpt, prefix string) []string {
	var out []string
	for _, m := range relay.To(rcpt) {
		if s := m.Header("Subject"); strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

// mailsWith returns the mails rcpt received whose subject starts with prefix.
func mailsWith(relay *smtptest.Relay, rcpt, prefix string) []smtptest.Mail {
	var out []smtptest.Mail
	for _, m := range relay.To(rcpt) {
		if strings.HasPrefix(m.Header("Subject"), prefix) {
			out = append(out, m)
		}
	}
	return out
}

// waitSubjects waits until rcpt has n mails whose subject starts with prefix.
func waitSubjects(t *testing.T, relay *smtptest.Relay, rcpt, prefix string, n int) []smtptest.Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if got := mailsWith(relay, rcpt, prefix); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s received %d mails %q..., want %d", rcpt, len(mailsWith(relay, rcpt, prefix)), prefix, n)
	return nil
}

// TestFailedAcknowledgementsDoNotStormTheTeam: 40 customers' addresses all
// fail. Each member of the department gets one "delivery failed" notice at
// once and one digest of the other 39 when the window has passed, not 40
// mails.
func TestFailedAcknowledgementsDoNotStormTheTeam(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob")
	awayFromRoundRobin(t, data, "alice@acme.test", "bob@acme.test") // the tickets stay with the department: both are told of all 40
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "6s")
	const n = 40
	for i := 0; i < n; i++ {
		relay.Refuse(fmt.Sprintf("c%d@example.com", i), &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	}
	for i := 0; i < n; i++ {
		mustSend(t, srv.addr, fmt.Sprintf("c%d@example.com", i), []string{"support@acme.test"},
			fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: order %d\r\nMessage-ID: <storm-%d@example.com>\r\n\r\nwhere is it?\r\n", i, i, i))
	}
	assertFolded(t, relay, n)
}

// TestBouncedAcknowledgementsDoNotStormTheTeam: the acknowledgements to 40
// customers come back as delivery status notifications (RFC 3464) to their
// bounce addresses. Each member of the department gets one "delivery
// failed" notice and one digest, not 40 mails.
func TestBouncedAcknowledgementsDoNotStormTheTeam(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob")
	awayFromRoundRobin(t, data, "alice@acme.test", "bob@acme.test") // the tickets stay with the department: both are told of all 40
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "6s")
	const n = 40
	for i := 0; i < n; i++ {
		mustSend(t, srv.addr, fmt.Sprintf("c%d@example.com", i), []string{"support@acme.test"},
			fmt.Sprintf("From: c%d@example.com\r\nTo: support@acme.test\r\nSubject: order %d\r\nMessage-ID: <dsn-storm-%d@example.com>\r\n\r\nwhere is it?\r\n", i, i, i))
	}
	for i := 0; i < n; i++ {
		rcpt := fmt.Sprintf("c%d@example.com", i)
		ack := relay.WaitFor(t, rcpt, 1)[0]
		mustSend(t, srv.addr, "", []string{ack.From}, dsn(ack.From, rcpt, i))
	}
	assertFolded(t, relay, n)
}

// dsn is a delivery status notification (RFC 3464) reporting that mail to
// rcpt failed for good.
func dsn(to, rcpt string, i int) string {
	return fmt.Sprintf("From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\r\nTo: %s\r\n"+
		"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn-%d@mx.example.com>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n"+
		"--b\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n"+
		"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 no such user\r\n\r\n"+
		"--b--\r\n", to, i, rcpt)
}

// assertFolded checks that alice and bob each received n "delivery failed"
// notices as two mails: one at once, and the rest as one digest.
func assertFolded(t *testing.T, relay *smtptest.Relay, n int) {
	t.Helper()
	for _, member := range []string{"alice@acme.test", "bob@acme.test"} {
		first := waitSubjects(t, relay, member, "Delivery failed", 1)
		if got := subjects(relay, member, "Delivery failed"); len(got) != 1 {
			t.Errorf("%s received %d delivery-failed notices within the window, want 1: %q", member, len(got), got)
		}
		if tok := first[0].Header("Reply-To"); !strings.HasPrefix(tok, "\"Acme Support\" <support+") {
			t.Errorf("notice Reply-To %q: want a signed reply address", tok)
		}
	}
	for _, member := range []string{"alice@acme.test", "bob@acme.test"} {
		waitSubjects(t, relay, member, "Delivery failed", 2)
	}
	time.Sleep(time.Second)
	for _, member := range []string{"alice@acme.test", "bob@acme.test"} {
		got := subjects(relay, member, "Delivery failed")
		if len(got) != 2 || noticesIn(got[0])+noticesIn(got[1]) != n {
			t.Errorf("%s received %q, want 2 mails (a notice, then a digest) telling of %d failures", member, got, n)
		}
	}
}

// noticesIn is the number of notices a mail with this subject tells of:
// a digest says how many it folds.
func noticesIn(subject string) int {
	var n int
	if i := strings.LastIndex(subject, ": "); i >= 0 {
		if _, err := fmt.Sscanf(subject[i+2:], "%d notices", &n); err == nil {
			return n
		}
	}
	return 1
}

// TestNoNoticeAnswersAutomaticMailOrANotice: automatic mail in a member's
// name is held without a notice; a member's auto-responder answering the
// notice a forged mail caused (the loop of issue 8) is held quietly and
// causes no second notice.
func TestNoNoticeAnswersAutomaticMailOrANotice(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	// alice's auto-responder answers everything, without any auto header.
	relay.OnMail(func(m smtptest.Mail) {
		if len(m.To) != 1 || m.To[0] != "alice@acme.test" {
			return
		}
		rcpt, reply := replyFrom(t, m, "Alice <alice@acme.test>", "I am away until Monday.")
		send(srv.addr, "alice@acme.test", []string{rcpt}, reply)
	})
	auto := "From: Alice <alice@acme.test>\r\nTo: support@acme.test\r\nSubject: Out of the office\r\nAuto-Submitted: auto-replied\r\n" +
		"Message-ID: <ooo-1@acme.test>\r\n\r\nI am away.\r\n"
	mustSend(t, srv.addr, "alice@acme.test", []string{"support@acme.test"}, auto)
	forged := "From: Alice <alice@acme.test>\r\nTo: support@acme.test\r\nSubject: Refund approved\r\nMessage-ID: <forged-1@evil.example>\r\n\r\nApproved.\r\n"
	mustSend(t, srv.addr, "mallory@evil.example", []string{"support@acme.test"}, forged)
	settle(t, relay, 1500*time.Millisecond, 20*time.Second)
	if got := subjects(relay, "alice@acme.test", "Held:"); len(got) != 1 {
		t.Errorf("alice received %d held notices, want 1 (for the forged mail only): %q", len(got), got)
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	reasons := map[string]int{}
	for _, h := range held {
		reasons[h.Reason]++
	}
	if len(held) < 2 || reasons["mail from a member's address without that member's reply token"] != 2 {
		t.Errorf("held = %v, want both mails in alice's name held", reasons)
	}
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 0 {
		t.Errorf("%d tickets, want none: nothing of this was customer mail", len(tickets))
	}
}

// TestAgentOutOfOfficeIsANote: an agent's auto-reply to her copy, through
// her own token, is kept as an internal note: the customer gets nothing,
// the ticket stays open.
func TestAgentOutOfOfficeIsANote(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken lamp\r\nMessage-ID: <carol-l@example.com>\r\n\r\nIt flickers.\r\n")
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	relay.WaitFor(t, "carol@example.com", 1)
	rcpt, ooo := replyFrom(t, copy1, "Alice <alice@acme.test>", "I am out of the office until Monday.")
	ooo = []byte("Auto-Submitted: auto-replied\r\n" + string(ooo))
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(ooo))
	settle(t, relay, time.Second, 20*time.Second)
	if n := len(relay.To("carol@example.com")); n != 1 {
		t.Errorf("carol received %d mails, want only the acknowledgement", n)
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

// TestReplyToNoticeIsANote: an agent's reply to a "delivery failed"
// notice is an internal note on the ticket and reaches no customer.
func TestReplyToNoticeIsANote(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	relay.Refuse("dave@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nCc: dave@example.com\r\nSubject: Refund\r\nMessage-ID: <carol-f@example.com>\r\n\r\nRefund please.\r\n")
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "We are looking into it.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	relay.WaitFor(t, "carol@example.com", 2) // acknowledgement and answer
	notice := waitSubjects(t, relay, "alice@acme.test", "Delivery failed: dave@example.com", 1)[0]
	rcpt, answer := replyFrom(t, notice, "Alice <alice@acme.test>", "This customer is on our fraud list.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(answer))
	settle(t, relay, time.Second, 20*time.Second)
	for _, m := range relay.To("carol@example.com") {
		if strings.Contains(m.Body(), "fraud") {
			t.Errorf("the reply to the notice reached the customer:\n%s", m.Body())
		}
	}
	if n := len(relay.To("carol@example.com")); n != 2 {
		t.Errorf("carol received %d mails, want 2", n)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	last := v.Messages[len(v.Messages)-1]
	if last.Kind != ticket.KindNote || !strings.Contains(last.Text, "fraud list") || v.Ticket.Status != ticket.StatusAnswered {
		t.Errorf("after the reply to the notice: last message %s %q, status %s; want a note, status answered", last.Kind, last.Text, v.Ticket.Status)
	}
	if got := subjects(relay, "alice@acme.test", ""); len(got) != 2 {
		t.Errorf("alice received %q, want her copy and the one notice", got)
	}
}

// TestBouncedNoticeTellsNoOne (issue 8 item 4, no notice in answer to a
// notice): the "delivery failed" notice to alice bounces with a verified
// delivery status notification (RFC 3464) at the notice's own bounce
// address. The bounce is recorded and alice's address suppressed, but the
// team is told nothing: that notice would answer a notice.
func TestBouncedNoticeTellsNoOne(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob")
	awayFromRoundRobin(t, data, "alice@acme.test", "bob@acme.test") // the ticket stays with the department: both are told
	relay := smtptest.Start(t)
	relay.Refuse("carol@example.com", &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"})
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "1s")
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Lost parcel\r\nMessage-ID: <carol-p@example.com>\r\n\r\nWhere is it?\r\n")
	notice := waitSubjects(t, relay, "alice@acme.test", "Delivery failed: carol@example.com", 1)[0]
	waitSubjects(t, relay, "bob@acme.test", "Delivery failed: carol@example.com", 1)
	st := openTestStore(t, data)
	waitSent(t, st, "alice@acme.test", ticket.OutNotice)
	mustSend(t, srv.addr, "", []string{notice.From}, dsn(notice.From, "alice@acme.test", 1))
	settle(t, relay, 2500*time.Millisecond, 20*time.Second) // past the notice window
	if row := outboxRow(t, st, "alice@acme.test", ticket.OutNotice); row.Status != ticket.OutFailed {
		t.Errorf("alice's notice is %s after its bounce, want %s", row.Status, ticket.OutFailed)
	}
	if n, _ := st.Count(context.Background(), "suppressions"); n != 1 {
		t.Errorf("%d suppressions, want alice's", n)
	}
	if got := subjects(relay, "bob@acme.test", "Delivery failed"); len(got) != 1 {
		t.Errorf("bob received %q, want only the notice about carol: none answers the bounced notice", got)
	}
	if n, _ := st.Count(context.Background(), "pending_notices"); n != 0 {
		t.Errorf("%d notices pending, want none", n)
	}
	if ev := events(t, st); !strings.Contains(ev, "no more mail to alice@acme.test") {
		t.Errorf("events do not record alice's suppression:\n%s", ev)
	}
}
