package main

import (
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// acmeEvents returns the details of ticket n's events of one kind.
func acmeEvents(t *testing.T, data string, n, kind string) []string {
	t.Helper()
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", n, "--property", "acme")
	var out []string
	for _, e := range v.Events {
		if e.Kind == kind {
			out = append(out, e.Detail)
		}
	}
	return out
}

// acmeParticipants returns the addresses ticket n's answers go to.
func acmeParticipants(t *testing.T, data, n string) string {
	t.Helper()
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", n, "--property", "acme")
	var out []string
	for _, c := range v.Participants {
		out = append(out, c.Email)
	}
	return strings.Join(out, " ")
}

// TestParticipantsNeverLoopBack: the gateway also serves beta. Carol opens
// a ticket with help@beta.test, Alice's subaddress and Dave in Cc; only Dave
// joins her. Alice's "#cc" naming acme's own address, beta's, her own
// subaddress, Bob's subaddress (a member too) and Erin adds Erin alone, the
// log says exactly that, and nothing is mailed to the gateway's addresses.
// A stranger's mail joining by References proposes only outside addresses.
func TestParticipantsNeverLoopBack(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--property", "acme", "--email", "bob@acme.test", "--name", "Bob", "--role", "agent")
	cli(t, data, "property", "add", "--slug", "beta", "--name", "Beta", "--address", "help@beta.test")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: Carol <carol@customer.test>\r\nTo: support@acme.test\r\n" +
		"Cc: help@beta.test, Alice <alice+x@acme.test>, dave@customer.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <carol-1@customer.test>\r\n\r\nIt stopped working.\r\n"
	mustSend(t, srv.addr, "carol@customer.test", []string{"support@acme.test"}, first)
	if got := acmeParticipants(t, data, "1"); got != "carol@customer.test dave@customer.test" {
		t.Errorf("#1's participants after Carol's mail = %q, want carol@customer.test dave@customer.test", got)
	}
	copy1 := mailWith(t, relay, "alice@acme.test", "It stopped working.")
	ack := relay.WaitFor(t, "carol@customer.test", 1)[0]
	joined := "From: Frank <frank@x.test>\r\nTo: support@acme.test\r\nCc: help@beta.test, alice+p@acme.test, gina@x.test\r\n" +
		"Subject: Re: blender\r\nMessage-ID: <frank-1@x.test>\r\nReferences: " + ack.Header("Message-Id") + "\r\n\r\nMe too.\r\n"
	mustSend(t, srv.addr, "frank@x.test", []string{"support@acme.test"}, joined)
	if proposed := strings.Join(acmeEvents(t, data, "1", "proposed"), "\n"); !strings.Contains(proposed, "#cc gina@x.test\"") {
		t.Errorf("the mail joining by References proposes more than gina@x.test:\n%s", proposed)
	}
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>",
		"#cc support@acme.test help@beta.test alice+y@acme.test BOB+z@acme.test erin@x.test\n\nAdding Erin.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	mailWith(t, relay, "erin@x.test", "Adding Erin.")
	if got := acmeParticipants(t, data, "1"); got != "carol@customer.test dave@customer.test erin@x.test" {
		t.Errorf("#1's participants after #cc = %q, want carol, dave and erin", got)
	}
	events := strings.Join(acmeEvents(t, data, "1", "participants"), "\n")
	if !strings.Contains(events, "added by #cc: erin@x.test\n") && !strings.HasSuffix(events, "added by #cc: erin@x.test") {
		t.Errorf("the log does not say #cc added erin@x.test alone:\n%s", events)
	}
	if !strings.Contains(events, "support@acme.test, help@beta.test, alice+y@acme.test, bob+z@acme.test") {
		t.Errorf("the log does not name the addresses #cc left out:\n%s", events)
	}
	time.Sleep(300 * time.Millisecond)
	for _, own := range []string{"support@acme.test", "help@beta.test", "alice+x@acme.test", "alice+y@acme.test", "bob+z@acme.test"} {
		if n := len(relay.To(own)); n != 0 {
			t.Errorf("%s, an address of this gateway, was mailed %d times", own, n)
		}
	}
}
