package main

import (
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

const deskMail = "From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Invoice is wrong\r\n" +
	"Message-ID: <desk-1@customer.test>\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\n\r\nThe total is off by 10.\r\n"

// deskTicket runs a desk command and returns the ticket it prints.
func deskTicket(t *testing.T, data string, args ...string) ticket.Ticket {
	t.Helper()
	var tk ticket.Ticket
	cliJSON(t, data, &tk, args...)
	return tk
}

// TestDeskCommandsChangeTickets: the CLI's ticket commands change a ticket
// as the member --as names, record her in the ticket's log, and refuse to
// act without her.
func TestDeskCommandsChangeTickets(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "bob@acme.test", "--name", "Bob", "--role", "agent")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, deskMail)

	if _, err := cliErr(data, "ticket", "priority", "1", "high"); err == nil || !strings.Contains(err.Error(), "--as") {
		t.Errorf("a change without --as: %v, want an error naming --as", err)
	}
	if _, err := cliErr(data, "ticket", "priority", "1", "high", "--as", "zoe@customer.test"); err == nil ||
		!strings.Contains(err.Error(), "not a member") {
		t.Errorf("a change as a customer: %v, want refused", err)
	}
	as := []string{"--as", "alice@acme.test"}
	if tk := deskTicket(t, data, append([]string{"ticket", "priority", "#1", "urgent"}, as...)...); tk.Priority != ticket.PriorityHighest {
		t.Errorf("priority urgent: %s, want highest", tk.Priority)
	}
	tk := deskTicket(t, data, append([]string{"ticket", "tag", "1", "billing", "VIP"}, as...)...)
	if strings.Join(tk.Tags, ",") != "billing,vip" {
		t.Errorf("tags %q, want billing,vip", tk.Tags)
	}
	if tk = deskTicket(t, data, append([]string{"ticket", "tag", "1", "--remove", "vip"}, as...)...); strings.Join(tk.Tags, ",") != "billing" {
		t.Errorf("tags after removing vip: %q", tk.Tags)
	}
	if tk = deskTicket(t, data, append([]string{"ticket", "assign", "1", "bob@acme.test", "--note", "call her back"}, as...)...); tk.Assignee != "bob@acme.test" {
		t.Errorf("assignee %q, want bob", tk.Assignee)
	}
	if tk = deskTicket(t, data, append([]string{"ticket", "snooze", "1", "--for", "2h"}, as...)...); tk.Status != ticket.StatusSnoozed ||
		tk.SnoozedUntil.Before(time.Now().Add(time.Hour)) {
		t.Errorf("after snooze --for 2h: %s until %s", tk.Status, tk.SnoozedUntil)
	}
	tk = deskTicket(t, data, append([]string{"ticket", "close", "1", "--reason", "cancelled"}, as...)...)
	if tk.Status != ticket.StatusClosed || tk.ClosedReason != ticket.ClosedCancelled || tk.ClosedBy != "alice@acme.test" || !tk.SnoozedUntil.IsZero() {
		t.Errorf("after close --reason cancelled: %+v", tk)
	}
	if tk = deskTicket(t, data, append([]string{"ticket", "reopen", "1"}, as...)...); tk.Status != ticket.StatusOpen || tk.ClosedReason != "" {
		t.Errorf("after reopen: %s, reason %q", tk.Status, tk.ClosedReason)
	}

	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	var log []string
	for _, ev := range v.Events {
		if ev.Kind != "created" {
			log = append(log, ev.Kind+" by "+ev.Actor+": "+ev.Detail)
		}
	}
	want := []string{
		"priority by alice@acme.test: medium → highest",
		"tagged by alice@acme.test: billing",
		"tagged by alice@acme.test: vip",
		"untagged by alice@acme.test: vip",
		"assigned by alice@acme.test: assigned to bob@acme.test: call her back",
	}
	got := strings.Join(log, "\n")
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("log lacks %q:\n%s", w, got)
		}
	}
	// Bob is told, with Alice's note; Alice is not.
	deadline := time.Now().Add(15 * time.Second)
	for len(relay.To("bob@acme.test")) < 2 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	var notice *smtptest.Mail
	for _, m := range relay.To("bob@acme.test") {
		if strings.HasPrefix(m.Header("Subject"), "Assigned to you") {
			notice = &m
		}
	}
	if notice == nil || !strings.Contains(notice.Body(), "call her back") {
		t.Errorf("bob got no assignment notice with the note (%d mails)", len(relay.To("bob@acme.test")))
	}
}
