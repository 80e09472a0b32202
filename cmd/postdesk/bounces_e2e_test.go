package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// dsnReport is an RFC 3464 delivery status notification reporting on the
// mail with Message-ID origID to rcpt.
func dsnReport(rcpt, action, status, origID string) []byte {
	return []byte(fmt.Sprintf("From: Mail Delivery System <MAILER-DAEMON@mx.example.net>\r\n"+
		"To: support@acme.test\r\nSubject: Undelivered Mail Returned to Sender\r\n"+
		"Message-ID: <dsn-%d@mx.example.net>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n\r\n"+
		"--b1\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n\r\n"+
		"--b1\r\nContent-Type: message/delivery-status\r\n\r\n"+
		"Reporting-MTA: dns; mx.example.net\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; 550 no such user\r\n\r\n"+
		"--b1\r\nContent-Type: text/rfc822-headers\r\n\r\n"+
		"From: Acme Support <support@acme.test>\r\nMessage-ID: %s\r\nSubject: hi\r\n\r\n"+
		"--b1--\r\n", time.Now().UnixNano(), rcpt, action, status, origID))
}

// openStore opens the test's database beside the running server.
func openTestStore(t *testing.T, data string) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(data, "postdesk.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// outboxRow returns the property's outbox row to rcpt of a kind.
func outboxRow(t *testing.T, st *store.Store, rcpt, kind string) store.OutboxRow {
	t.Helper()
	rows, err := st.Outbox(context.Background(), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Rcpt == rcpt && r.Kind == kind {
			return r
		}
	}
	t.Fatalf("no %s row to %s in the outbox", kind, rcpt)
	return store.OutboxRow{}
}

// events returns the event log of ticket 1 as one string.
func events(t *testing.T, st *store.Store) string {
	t.Helper()
	tk, err := st.Ticket(context.Background(), "acme", 1)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := st.Events(context.Background(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&b, "%s %s %s\n", e.Kind, e.Actor, e.Detail)
	}
	return b.String()
}

// waitSent waits until the worker has marked a row sent.
func waitSent(t *testing.T, st *store.Store, rcpt, kind string) store.OutboxRow {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if r := outboxRow(t, st, rcpt, kind); r.Status == ticket.OutSent {
			return r
		}
	}
	t.Fatalf("the %s to %s was not marked sent", kind, rcpt)
	return store.OutboxRow{}
}

// TestForgedDeliveryReports (issue 8 item 2): a null-sender delivery report
// citing the Message-ID of an acknowledgement and naming an agent, sent to
// the support address or to the customer's bounce address, suppresses
// nobody and fails no row; it is recorded on the ticket as unverified. A
// genuine report (the bounce address of the mail, naming its recipient)
// fails the row, suppresses the address, is an event on the ticket and tells
// the team; `suppression clear` lets mail go again.
func TestForgedDeliveryReports(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: hi\r\nMessage-ID: <c1@example.com>\r\n\r\nhello\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	ack := relay.WaitFor(t, "carol@example.com", 1)[0]
	relay.WaitFor(t, "alice@acme.test", 1) // her copy
	st := openTestStore(t, data)
	ackRow := waitSent(t, st, "carol@example.com", ticket.OutAck)
	ackID := ack.Header("Message-Id")

	// The attacks: to the support address, and to carol's bounce address.
	forged := dsnReport("alice@acme.test", "failed", "5.1.1", ackID)
	mustSend(t, srv.addr, "", []string{"support@acme.test"}, string(forged))
	forged = dsnReport("alice@acme.test", "failed", "5.1.1", ackID)
	mustSend(t, srv.addr, "", []string{ack.From}, string(forged))
	if n, _ := st.Count(context.Background(), "suppressions"); n != 0 {
		t.Errorf("%d suppressions after forged reports, want 0", n)
	}
	if r := outboxRow(t, st, "carol@example.com", ticket.OutAck); r.Status != ticket.OutSent {
		t.Errorf("the acknowledgement is %s after a report naming another recipient, want %s", r.Status, ticket.OutSent)
	}
	if ev := events(t, st); strings.Count(ev, "unverified delivery report, nothing changed") != 2 {
		t.Errorf("ticket events do not show two unverified reports:\n%s", ev)
	}
	var bounces []ticket.Bounce
	cliJSON(t, data, &bounces, "bounce", "list")
	if len(bounces) != 2 || bounces[0].Verified || bounces[1].Verified || bounces[0].OutboxID != ackRow.ID {
		t.Errorf("bounce list = %+v, want two unverified, the newest at the acknowledgement's bounce address", bounces)
	}
	// Alice still gets mail: carol's reply is copied to her.
	reply := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: Re: hi\r\nMessage-ID: <c2@example.com>\r\n" +
		"In-Reply-To: " + ackID + "\r\n\r\nanything?\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, reply)
	relay.WaitFor(t, "alice@acme.test", 2)

	// The genuine report: at the acknowledgement's bounce address, naming carol.
	mustSend(t, srv.addr, "", []string{ack.From}, string(dsnReport("Carol@Example.com", "failed", "5.1.1", ackID)))
	if r := outboxRow(t, st, "carol@example.com", ticket.OutAck); r.Status != ticket.OutFailed {
		t.Errorf("the acknowledgement is %s after its genuine bounce, want %s", r.Status, ticket.OutFailed)
	}
	notice := relay.WaitFor(t, "alice@acme.test", 3)[2]
	if !strings.Contains(notice.Header("Subject"), "Delivery failed: carol@example.com") {
		t.Errorf("the team was told %q, want the delivery failure", notice.Header("Subject"))
	}
	var sup []ticket.Suppression
	cliJSON(t, data, &sup, "suppression", "list")
	if len(sup) != 1 || sup[0].Address != "carol@example.com" || sup[0].TicketID == 0 {
		t.Fatalf("suppression list = %+v, want carol's address, caused on ticket 1", sup)
	}
	if ev := events(t, st); !strings.Contains(ev, "suppression carol@example.com no more mail to carol@example.com") {
		t.Errorf("the suppression is not an event on the ticket:\n%s", ev)
	}
	// Clearing it overrides a permanent failure: admins only, by the desk.
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--role", "admin")
	for _, as := range [][]string{nil, {"--as", "alice@acme.test"}} {
		if _, err := cliErr(data, append([]string{"suppression", "clear", "carol@example.com"}, as...)...); err == nil {
			t.Errorf("suppression clear %v was accepted", as)
		}
	}
	cli(t, data, "suppression", "clear", "carol@example.com", "--as", "boss@acme.test")
	cliJSON(t, data, &sup, "suppression", "list")
	if len(sup) != 0 || !strings.Contains(events(t, st), "suppression-cleared") {
		t.Errorf("after clear: suppressions %+v; events:\n%s", sup, events(t, st))
	}
	if _, err := cliErr(data, "suppression", "clear", "carol@example.com", "--as", "boss@acme.test"); err == nil || !strings.Contains(err.Error(), "not suppressed") {
		t.Errorf("clearing an address not suppressed: %v, want an error saying so", err)
	}
}

// TestAutomaticRepliesChangeNothing (issue 8 item 7): a Sieve vacation reply
// (RFC 5230: null sender, to the envelope sender, which is our bounce
// address; with or without In-Reply-To) and an Exchange out-of-office, answering an agent's reply, are
// threaded as automatic messages of the ticket: no bounce, no suppression,
// the ticket stays answered, nothing is sent to the customer.
func TestAutomaticRepliesChangeNothing(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <carol-1@example.com>\r\n\r\nIt stopped working.\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	rcpt, answer := replyFrom(t, copy1, "alice@acme.test", "Please send it in.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(answer))
	got := relay.WaitFor(t, "carol@example.com", 2)[1] // the acknowledgement, then alice's answer
	id := got.Header("Message-Id")
	vacation := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: Auto: Re: Broken blender\r\n" +
		"Message-ID: <vac-1@example.com>\r\nIn-Reply-To: " + id + "\r\nReferences: " + id + "\r\n" +
		"Auto-Submitted: auto-replied (vacation)\r\nPrecedence: bulk\r\n\r\nI am away until Monday.\r\n"
	mustSend(t, srv.addr, "", []string{got.From}, vacation)
	// A vacation reply without threading headers threads by the bounce address alone.
	bare := "From: carol@example.com\r\nTo: support@acme.test\r\nSubject: Out of office\r\n" +
		"Message-ID: <vac-2@example.com>\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n"
	mustSend(t, srv.addr, "", []string{got.From}, bare)
	ooo := "From: Carol <carol@example.com>\r\nTo: Acme Support <" + got.Header("Reply-To") + ">\r\n" +
		"Subject: Automatic reply: Re: Broken blender\r\nMessage-ID: <ooo-1@example.com>\r\nIn-Reply-To: " + id + "\r\n" +
		"Auto-Submitted: auto-replied\r\nX-Auto-Response-Suppress: All\r\n\r\nI am out of the office.\r\n"
	replyTo := strings.Trim(got.Header("Reply-To")[strings.LastIndex(got.Header("Reply-To"), "<")+1:], "<> ")
	mustSend(t, srv.addr, "carol@example.com", []string{replyTo}, ooo)
	st := openTestStore(t, data)
	ctx := context.Background()
	for _, table := range []string{"bounces", "suppressions", "held"} {
		if n, _ := st.Count(ctx, table); n != 0 {
			t.Errorf("%d rows in %s after automatic replies, want 0", n, table)
		}
	}
	tk, _ := st.Ticket(ctx, "acme", 1)
	if tk.Status != ticket.StatusAnswered {
		t.Errorf("ticket is %s after automatic replies, want %s", tk.Status, ticket.StatusAnswered)
	}
	msgs, _ := st.Messages(ctx, tk.ID)
	auto := 0
	for _, m := range msgs {
		if m.AutoReply {
			auto++
		}
	}
	if len(msgs) != 5 || auto != 3 {
		t.Errorf("ticket has %d messages, %d automatic; want 5, the three automatic replies among them", len(msgs), auto)
	}
	settle(t, relay, 300*time.Millisecond, 10*time.Second)
	if n := len(relay.To("carol@example.com")); n != 2 {
		t.Errorf("carol received %d mails, want 2 (automatic replies are never answered)", n)
	}
}

// TestNullSenderMailIsVisible (issue 9 item 4): a person's mail sent with
// the null sender, that is no delivery report, is a ticket and is not
// acknowledged; a failure notice linked to no ticket is listed by `bounce
// list`.
func TestNullSenderMailIsVisible(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	person := "From: Dave <dave@example.org>\r\nTo: support@acme.test\r\nSubject: Question about my invoice\r\n" +
		"Message-ID: <dave-1@example.org>\r\n\r\nWhy was I charged twice?\r\n"
	mustSend(t, srv.addr, "", []string{"support@acme.test"}, person)
	notice := "From: MAILER-DAEMON@mx.example.net\r\nTo: support@acme.test\r\nSubject: failure notice\r\n" +
		"Message-ID: <qmail-1@mx.example.net>\r\n\r\nHi. This is the qmail-send program.\r\n<nobody@example.net>:\r\nSorry, no mailbox here.\r\n"
	mustSend(t, srv.addr, "", []string{"support@acme.test"}, notice)
	relay.WaitFor(t, "alice@acme.test", 1) // the copy of dave's ticket
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 1 || tickets[0].Requester != "dave@example.org" {
		t.Fatalf("tickets = %+v, want one, dave's", tickets)
	}
	var bounces []ticket.Bounce
	cliJSON(t, data, &bounces, "bounce", "list")
	if len(bounces) != 1 || bounces[0].TicketID != 0 || bounces[0].Verified {
		t.Errorf("bounce list = %+v, want the failure notice, unverified and on no ticket", bounces)
	}
	if out := cli(t, data, "bounce", "list"); !strings.Contains(out, "other") {
		t.Errorf("bounce list:\n%s", out)
	}
	settle(t, relay, 300*time.Millisecond, 10*time.Second)
	if n := len(relay.To("dave@example.org")); n != 0 {
		t.Errorf("dave received %d mails, want no acknowledgement of null-sender mail", n)
	}
}

// TestSuppressionStopsQueuedMail: "no more mail goes there" includes mail
// already queued. Alice's answer to carol waits for a retry (the relay
// said 451) when the acknowledgement's verified bounce suppresses carol:
// the answer is failed then and there, and not sent when its retry comes.
func TestSuppressionStopsQueuedMail(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: carol@example.com\r\nTo: support@acme.test\r\nSubject: hi\r\nMessage-ID: <sq1@example.com>\r\n\r\nhello\r\n")
	ack := relay.WaitFor(t, "carol@example.com", 1)[0]
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	st := openTestStore(t, data)
	waitSent(t, st, "carol@example.com", ticket.OutAck)
	relay.Refuse("carol@example.com", &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"})
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "We are on it.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if r := outboxRow(t, st, "carol@example.com", ticket.OutReply); r.Attempts > 0 {
			break // deferred, due again in a minute
		}
		if time.Now().After(deadline) {
			t.Fatal("the answer to carol was never tried")
		}
	}
	mustSend(t, srv.addr, "", []string{ack.From}, string(dsnReport("carol@example.com", "failed", "5.1.1", ack.Header("Message-Id"))))
	if r := outboxRow(t, st, "carol@example.com", ticket.OutReply); r.Status != ticket.OutFailed || !strings.Contains(r.LastError, "suppressed") {
		t.Errorf("the queued answer to carol is %s (%q) after carol's address was suppressed, want %s, saying why",
			r.Status, r.LastError, ticket.OutFailed)
	}
	if ev := events(t, st); !strings.Contains(ev, "suppressed carol@example.com") {
		t.Errorf("the unsent answer is not an event on the ticket:\n%s", ev)
	}
}

// dsnRecipients is an RFC 3464 report with one per-recipient block naming
// original in Original-Recipient and final in Final-Recipient.
func dsnRecipients(original, final, origID string) []byte {
	return []byte("From: MAILER-DAEMON@mx.evil.test\r\nTo: support@acme.test\r\nSubject: Undelivered Mail\r\n" +
		fmt.Sprintf("Message-ID: <dsn-%d@mx.evil.test>\r\nMIME-Version: 1.0\r\n", time.Now().UnixNano()) +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=BB\r\n\r\n" +
		"--BB\r\nContent-Type: text/plain\r\n\r\nfailed\r\n" +
		"--BB\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.evil.test\r\n\r\n" +
		"Original-Recipient: rfc822; " + original + "\r\nFinal-Recipient: rfc822; " + final + "\r\n" +
		"Action: failed\r\nStatus: 5.1.1\r\n\r\n" +
		"--BB\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: " + origID + "\r\n\r\n--BB--\r\n")
}

// TestBounceRecordsVerifiedRecipient (security review, outbound item 3): a
// report at eve's own bounce address names eve in Original-Recipient and
// bob in Final-Recipient. It is verified against eve and suppresses eve, so
// the bounce list, the suppression and the team's notice name eve, never
// bob. An unverified report at the same address naming only bob is listed
// with bob, as claimed, and unverified.
func TestBounceRecordsVerifiedRecipient(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"},
		"From: eve@evil.test\r\nTo: support@acme.test\r\nSubject: eve's\r\nMessage-ID: <e1@evil.test>\r\n\r\nhello\r\n")
	ack := relay.WaitFor(t, "eve@evil.test", 1)[0]
	relay.WaitFor(t, "alice@acme.test", 1)
	st := openTestStore(t, data)
	waitSent(t, st, "eve@evil.test", ticket.OutAck)
	ackID := ack.Header("Message-Id")

	mustSend(t, srv.addr, "", []string{ack.From}, string(dsnRecipients("bob@example.com", "bob@example.com", ackID)))
	mustSend(t, srv.addr, "", []string{ack.From}, string(dsnRecipients("eve@evil.test", "bob@example.com", ackID)))
	notice := waitSubjects(t, relay, "alice@acme.test", "Delivery failed", 1)[0]

	var bounces []ticket.Bounce
	cliJSON(t, data, &bounces, "bounce", "list")
	if len(bounces) != 2 {
		t.Fatalf("bounce list = %+v, want two", bounces)
	}
	if b := bounces[0]; !b.Verified || b.Recipient != "eve@evil.test" || b.Status != "5.1.1" {
		t.Errorf("verified bounce = %+v, want eve@evil.test (the row's recipient), verified, 5.1.1", b)
	}
	if b := bounces[1]; b.Verified || b.Recipient != "bob@example.com" {
		t.Errorf("unverified bounce = %+v, want bob@example.com as claimed, unverified", b)
	}
	if out := cli(t, data, "bounce", "list"); !strings.Contains(out, "eve@evil.test") {
		t.Errorf("bounce list does not name eve:\n%s", out)
	}
	var sup []ticket.Suppression
	cliJSON(t, data, &sup, "suppression", "list")
	if len(sup) != 1 || sup[0].Address != "eve@evil.test" || strings.Contains(sup[0].Reason, "bob") {
		t.Errorf("suppressions = %+v, want eve's, for a bounce of eve", sup)
	}
	if body := notice.Body(); strings.Contains(body, "bob@example.com") || !strings.Contains(body, "eve@evil.test") {
		t.Errorf("the team's notice names the wrong recipient:\n%s", body)
	}
	if ev := events(t, st); !strings.Contains(ev, "delivery report: eve@evil.test: dsn failed 5.1.1") ||
		strings.Contains(ev, "bounced bob") {
		t.Errorf("ticket events:\n%s", ev)
	}
}
