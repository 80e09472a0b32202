package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

const mergeSecret = "e2e-merge-secret-key-0001"

// customerMail is a mail from Zoe to the property with the given headers
// (Message-ID first) and body.
func customerMail(from, to, subject, msgID, extra, body string) string {
	return fmt.Sprintf("From: Zoe <%s>\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n%sDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\n%s\r\n",
		from, to, subject, msgID, extra, body)
}

// showTicket returns what `ticket show N --json` prints.
func showTicket(t *testing.T, data string, n int) ticketView {
	t.Helper()
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", fmt.Sprint(n))
	return v
}

func hasMessage(v ticketView, text string) (ticket.Message, bool) {
	for _, m := range v.Messages {
		if strings.Contains(m.Text, text) {
			return m, true
		}
	}
	return ticket.Message{}, false
}

// TestMergeThenRepliesLandInTarget: after #1 is merged into #2, the
// customer's replies to #1, by its reply address, its subject tag, the
// Message-ID of her first mail and the Message-ID of our acknowledgement,
// all land in #2, and no new ticket opens.
func TestMergeThenRepliesLandInTarget(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--thread-keys", "7:"+mergeSecret)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Invoice is wrong", "m-a@customer.test", "", "The total is off."))
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Invoice 2041", "m-b@customer.test", "", "About invoice 2041 again."))
	one := showTicket(t, data, 1)

	if _, err := cliErr(data, "ticket", "merge", "1", "1", "--as", "alice@acme.test"); err == nil || !strings.Contains(err.Error(), "itself") {
		t.Errorf("merging #1 into itself: %v, want refused", err)
	}
	if tk := deskTicket(t, data, "ticket", "merge", "#1", "2", "--as", "alice@acme.test"); tk.Number != 2 {
		t.Errorf("merge printed #%d, want the target #2", tk.Number)
	}
	merged := showTicket(t, data, 1)
	if merged.MergedInto == nil || merged.MergedInto.Number != 2 || merged.Ticket.Status != ticket.StatusClosed || len(merged.Messages) != 0 {
		t.Errorf("#1 after the merge: merged into %d, %s, %d messages", merged.Ticket.MergedInto, merged.Ticket.Status, len(merged.Messages))
	}
	if _, err := cliErr(data, "ticket", "merge", "2", "1", "--as", "alice@acme.test"); err == nil || !strings.Contains(err.Error(), "merged into another") {
		t.Errorf("merging into the merged #1: %v, want refused", err)
	}

	keys, err := threading.NewKeys(7, map[uint8][]byte{7: []byte(mergeSecret)})
	if err != nil {
		t.Fatal(err)
	}
	tok := threading.Token{Kind: threading.KindContact, PropertyID: one.Ticket.PropertyID, TicketID: one.Ticket.ID, ID: one.Ticket.RequesterID}
	replyTo, err := keys.ReplyAddress("support@acme.test", tok)
	if err != nil {
		t.Fatal(err)
	}
	replies := []struct{ rule, to, subject, extra string }{
		{"token", replyTo, "Re: Invoice is wrong", ""},
		{"subject-tag", "support@acme.test", "Re: [#1] Invoice is wrong", ""},
		{"in-reply-to", "support@acme.test", "Re: Invoice is wrong", "In-Reply-To: <m-a@customer.test>\r\n"},
		{"in-reply-to", "support@acme.test", "Re: Invoice is wrong", "In-Reply-To: <" + keys.MessageID(tok, "1", "acme.test") + ">\r\n"},
	}
	for i, r := range replies {
		body := fmt.Sprintf("reply %d by %s", i, r.rule)
		mustSend(t, srv.addr, "zoe@customer.test", []string{r.to},
			customerMail("zoe@customer.test", r.to, r.subject, fmt.Sprintf("r%d@customer.test", i), r.extra, body))
		target := showTicket(t, data, 2)
		m, ok := hasMessage(target, body)
		if !ok {
			t.Errorf("%q did not land in #2", body)
			continue
		}
		if !strings.Contains(m.Thread, "rule="+r.rule+" ticket=#2") || !strings.Contains(m.Thread, "#1 merged into #2") {
			t.Errorf("%q threaded as %q, want rule %s to #2 through the merge", body, m.Thread, r.rule)
		}
	}
	if _, err := cliErr(data, "ticket", "show", "3"); err == nil {
		t.Error("a reply to the merged ticket opened #3")
	}
	var list []ticket.Ticket
	cliJSON(t, data, &list, "ticket", "list")
	if len(list) != 1 || list[0].Number != 2 {
		t.Errorf("the default list shows %d tickets, want only #2", len(list))
	}
	target := showTicket(t, data, 2)
	var log []string
	for _, ev := range target.Events {
		log = append(log, ev.Kind+" by "+ev.Actor+": "+ev.Detail)
	}
	if !strings.Contains(strings.Join(log, "\n"), "merged by alice@acme.test: merged #1 into this ticket") {
		t.Errorf("#2's log lacks the merge:\n%s", strings.Join(log, "\n"))
	}
	cli(t, data, "check")
}

// TestSplitE2E: a second matter in #1 is split into #2 for the same
// requester; a reply to the split message lands in #2.
func TestSplitE2E(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Invoice is wrong", "s-1@customer.test", "", "The total is off."))
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Re: Invoice is wrong", "s-2@customer.test",
			"In-Reply-To: <s-1@customer.test>\r\n", "Also, my password reset does not work."))
	v := showTicket(t, data, 1)
	if len(v.Messages) != 2 {
		t.Fatalf("#1 has %d messages, want 2", len(v.Messages))
	}
	second := v.Messages[1]
	nt := deskTicket(t, data, "ticket", "split", "1", fmt.Sprint(second.ID), "--as", "alice@acme.test")
	if nt.Number != 2 || nt.Requester != "zoe@customer.test" {
		t.Fatalf("split made %+v, want #2 for zoe", nt)
	}
	if _, err := cliErr(data, "ticket", "split", "1", fmt.Sprint(v.Messages[0].ID), "--as", "alice@acme.test"); err == nil ||
		!strings.Contains(err.Error(), "only message") {
		t.Errorf("splitting the only message: %v, want refused", err)
	}
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		customerMail("zoe@customer.test", "support@acme.test", "Re: password", "s-3@customer.test",
			"In-Reply-To: <s-2@customer.test>\r\n", "The reset link expired."))
	two := showTicket(t, data, 2)
	if _, ok := hasMessage(two, "reset link expired"); !ok || len(two.Messages) != 2 {
		t.Errorf("#2 has %d messages and not the reply to the split message", len(two.Messages))
	}
	if one := showTicket(t, data, 1); len(one.Messages) != 1 {
		t.Errorf("#1 has %d messages after the split, want 1", len(one.Messages))
	}
	var kinds []string
	for _, ev := range two.Events {
		kinds = append(kinds, ev.Kind+": "+ev.Detail)
	}
	if !strings.Contains(strings.Join(kinds, "\n"), "split from #1") {
		t.Errorf("#2's log lacks its origin:\n%s", strings.Join(kinds, "\n"))
	}
}
