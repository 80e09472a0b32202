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
// joins it because the stored reply references its Message-ID.
func TestLateParentJoinsItsReplies(t *testing.T) {
	parent := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <parent@example.com>\r\n\r\nIt broke.\r\n"
	reply := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Broken blender\r\n" +
		"Message-ID: <reply@example.com>\r\nIn-Reply-To: <parent@example.com>\r\nReferences: <parent@example.com>\r\n\r\nStill broken.\r\n"
	third := "From: Dan <dan@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Broken blender\r\n" +
		"Message-ID: <third@example.com>\r\nIn-Reply-To: <reply@example.com>\r\n" +
		"References: <parent@example.com> <reply@example.com>\r\n\r\nMine too.\r\n"
	tests := []struct {
		name  string
		mails []string
		rules []string // the decision of each message of #1, in arrival order
	}{
		{"reply, then parent", []string{reply, parent}, []string{"rule=new", "rule=referenced-by ticket=#1 matched=parent@example.com"}},
		{"three messages newest first", []string{third, reply, parent}, []string{"rule=new",
			"rule=ghost-reference ticket=#1 matched=parent@example.com",
			"rule=referenced-by ticket=#1 matched=parent@example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data := t.TempDir()
			setupAcme(t, data)
			srv := startServer(t, data)
			sendAll(t, srv.addr, tt.mails...)
			var tickets []ticket.Ticket
			cliJSON(t, data, &tickets, "ticket", "list")
			if len(tickets) != 1 {
				t.Fatalf("%d tickets, want 1", len(tickets))
			}
			var v ticketView
			cliJSON(t, data, &v, "ticket", "show", "1")
			if len(v.Messages) != len(tt.rules) {
				t.Fatalf("#1 holds %d messages, want %d", len(v.Messages), len(tt.rules))
			}
			for i, want := range tt.rules {
				if got := v.Messages[i].Thread; !strings.HasPrefix(got, want) {
					t.Errorf("message %d: decision %q, want %q…", i+1, got, want)
				}
			}
		})
	}
}

// TestLateParentAmongSeveralTickets: when replies in two tickets reference
// the late parent, it joins the newest and the decision names both.
func TestLateParentAmongSeveralTickets(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	sendAll(t, srv.addr,
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Blender\r\nMessage-ID: <r1@example.com>\r\n"+
			"In-Reply-To: <p@example.com>\r\n\r\nOne.\r\n",
		"From: Dan <dan@example.com>\r\nTo: support@acme.test\r\nSubject: Other\r\nMessage-ID: <r2@example.com>\r\n\r\nTwo.\r\n")
	// #2 references the parent too, through a reply that continued it.
	sendAll(t, srv.addr, "From: Dan <dan@example.com>\r\nTo: support@acme.test\r\nSubject: Re: Other\r\n"+
		"Message-ID: <r3@example.com>\r\nIn-Reply-To: <r2@example.com>\r\nReferences: <p@example.com> <r2@example.com>\r\n\r\nThree.\r\n")
	sendAll(t, srv.addr, "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Blender\r\nMessage-ID: <p@example.com>\r\n\r\nParent.\r\n")
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "2")
	last := v.Messages[len(v.Messages)-1]
	if !strings.Contains(last.Text, "Parent.") {
		t.Fatalf("the parent did not join #2, the newest referencing ticket; #2's last message: %q", last.Text)
	}
	if want := `rule=referenced-by ticket=#2 matched=p@example.com choice="referenced from tickets #2 #1; the newest taken"`; last.Thread != want {
		t.Errorf("decision %q, want %q", last.Thread, want)
	}
}
