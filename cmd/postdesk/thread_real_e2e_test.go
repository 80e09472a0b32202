package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// sendAll delivers mails over SMTP, in the order given.
func sendAll(t *testing.T, addr string, mails ...string) {
	t.Helper()
	for i, m := range mails {
		from := "unknown@example.com"
		for _, line := range strings.Split(m, "\r\n") {
			if rest, ok := strings.CutPrefix(line, "From: "); ok {
				from = strings.Trim(rest[strings.LastIndexByte(rest, ' ')+1:], "<>")
			}
		}
		if err := send(addr, from, []string{"support@acme.test"}, []byte(m)); err != nil {
			t.Fatalf("mail %d: %v", i+1, err)
		}
	}
}

// TestBogusInReplyToNeverThreads: git-send-email writes "In-Reply-To: <yes>"
// when its prompt is answered "yes". 13 patch mails from 13 senders that
// carry it open 13 tickets, and each records that the id was ignored.
func TestBogusInReplyToNeverThreads(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	var mails []string
	for i := 1; i <= 13; i++ {
		mails = append(mails, fmt.Sprintf("From: Dev %d <dev%d@example.org>\r\nTo: support@acme.test\r\n"+
			"Subject: [PATCH %d/1] fix thing %d\r\nMessage-ID: <20231004-%d-1-dev%d@example.org>\r\n"+
			"In-Reply-To: <yes>\r\nReferences: <yes>\r\n\r\nPatch %d.\r\n", i, i, i, i, i, i, i))
	}
	sendAll(t, srv.addr, mails...)
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 13 {
		t.Fatalf("13 mails from 13 senders sharing In-Reply-To <yes> opened %d tickets, want 13", len(tickets))
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "13")
	if got := v.Messages[0].Thread; !strings.HasPrefix(got, "rule=new") || !strings.Contains(got, "ignored=yes") {
		t.Errorf("decision of the 13th = %q, want rule=new recording ignored=yes", got)
	}
}

// TestLateParentJoinsItsReplies: a reply delivered before its parent opens
// a ticket; the parent, which carries no In-Reply-To or References, then
// joins it because the stored reply references its Message-ID. Among one
// customer's mails that holds in any order. A reply by another customer
// (Dan) that arrives first opens his own ticket; Carol's mails, whose ids
// we did not sign, do not join it, since she takes no part in it: they
// open #2, linked to #1, and her late parent joins her #2.
func TestLateParentJoinsItsReplies(t *testing.T) {
	parent := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <parent@example.com>\r\n\r\nIt broke.\r\n"
	reply := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Broken blender\r\n" +
		"Message-ID: <reply@example.com>\r\nIn-Reply-To: <parent@example.com>\r\nReferences: <parent@example.com>\r\n\r\nStill broken.\r\n"
	third := func(name, addr string) string {
		return "From: " + name + " <" + addr + ">\r\nTo: support@acme.test\r\nSubject: Re: Broken blender\r\n" +
			"Message-ID: <third@example.com>\r\nIn-Reply-To: <reply@example.com>\r\n" +
			"References: <parent@example.com> <reply@example.com>\r\n\r\nMine too.\r\n"
	}
	tests := []struct {
		name  string
		mails []string
		rules [][]string // per ticket (#1, #2, …), the decision of each message, in arrival order
	}{
		{"reply, then parent", []string{reply, parent}, [][]string{{"rule=new", "rule=referenced-by ticket=#1 matched=parent@example.com"}}},
		{"three messages newest first", []string{third("Carol", "carol@example.com"), reply, parent}, [][]string{{"rule=new",
			"rule=ghost-reference ticket=#1 matched=parent@example.com",
			"rule=referenced-by ticket=#1 matched=parent@example.com"}}},
		{"another customer's reply first", []string{third("Dan", "dan@example.com"), reply, parent}, [][]string{
			{"rule=new"},
			{`rule=new candidates=parent@example.com choice="ghost-reference parent@example.com names #1; sender not a participant of #1: new ticket linked to it"`,
				"rule=referenced-by ticket=#2 matched=parent@example.com"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			setupAcme(t, data)
			srv := startServer(t, data)
			sendAll(t, srv.addr, tt.mails...)
			var tickets []ticket.Ticket
			cliJSON(t, data, &tickets, "ticket", "list")
			if len(tickets) != len(tt.rules) {
				t.Fatalf("%d tickets, want %d", len(tickets), len(tt.rules))
			}
			for n, rules := range tt.rules {
				var v ticketView
				cliJSON(t, data, &v, "ticket", "show", fmt.Sprint(n+1))
				if len(v.Messages) != len(rules) {
					t.Fatalf("#%d holds %d messages, want %d", n+1, len(v.Messages), len(rules))
				}
				for i, want := range rules {
					if got := v.Messages[i].Thread; !strings.HasPrefix(got, want) {
						t.Errorf("#%d message %d: decision %q, want %q…", n+1, i+1, got, want)
					}
				}
			}
		})
	}
}

// TestLateParentAmongSeveralTickets: when replies in two tickets reference
// the late parent, it joins the newest its sender takes part in, and the
// decision names every one she does. Carol, Cc'd on Dan's #2, is in both
// and her parent joins #2; not Cc'd, she is in #1 only, and it joins #1.
func TestLateParentAmongSeveralTickets(t *testing.T) {
	tests := []struct {
		name   string
		cc     string
		ticket string
		want   string
	}{
		{"Carol in both", "Cc: carol@example.com\r\n", "2",
			`rule=referenced-by ticket=#2 matched=p@example.com choice="referenced from tickets #2 #1; the newest taken"`},
		{"Carol in the first only", "", "1", `rule=referenced-by ticket=#1 matched=p@example.com`},
	}
	// No '#' in the names: the data directory is named after the test, and
	// store's SQLite URI would cut its path there.
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			setupAcme(t, data)
			srv := startServer(t, data)
			sendAll(t, srv.addr,
				"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Blender\r\nMessage-ID: <r1@example.com>\r\n"+
					"In-Reply-To: <p@example.com>\r\n\r\nOne.\r\n",
				"From: Dan <dan@example.com>\r\nTo: support@acme.test\r\n"+tt.cc+"Subject: Other\r\nMessage-ID: <r2@example.com>\r\n\r\nTwo.\r\n")
			// #2 references the parent too, through a reply that continued it.
			sendAll(t, srv.addr, "From: Dan <dan@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Other\r\n"+
				"Message-ID: <r3@example.com>\r\nIn-Reply-To: <r2@example.com>\r\nReferences: <p@example.com> <r2@example.com>\r\n\r\nThree.\r\n")
			sendAll(t, srv.addr, "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Blender\r\nMessage-ID: <p@example.com>\r\n\r\nParent.\r\n")
			var v ticketView
			cliJSON(t, data, &v, "ticket", "show", tt.ticket)
			last := v.Messages[len(v.Messages)-1]
			if !strings.Contains(last.Text, "Parent.") {
				t.Fatalf("the parent did not join #%s; its last message: %q", tt.ticket, last.Text)
			}
			if last.Thread != tt.want {
				t.Errorf("decision %q, want %q", last.Thread, tt.want)
			}
		})
	}
}
