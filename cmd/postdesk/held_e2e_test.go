package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/ticket"
)

// TestAgentAnswerFromOtherAddressIsHeld: an agent answers her copy from a
// private address. The answer is held, not stored as customer mail, and she
// is told; released by an admin, it reaches the customer as her answer, and
// the ticket records who released it.
func TestAgentAnswerFromOtherAddressIsHeld(t *testing.T) {
	data := t.TempDir()
	withAdmin(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
		"From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Late parcel\r\nMessage-ID: <carol-p@example.com>\r\n\r\nWhere is it?\r\n")
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	relay.WaitFor(t, "carol@example.com", 1)
	rcpt, answer := replyFrom(t, copy1, "Alice Private <alice.home@mail.example>", "It left our warehouse today.")
	mustSend(t, srv.addr, "alice.home@mail.example", []string{rcpt}, string(answer))
	notice := waitSubjects(t, relay, "alice@acme.test", "Held: a reply from another address", 1)[0]
	if !strings.Contains(notice.Body(), "alice.home@mail.example") {
		t.Errorf("the notice does not name the other address:\n%s", notice.Body())
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 || held[0].Reason != "mail through a member's reply address from another address" {
		t.Fatalf("held list = %+v, want the answer held", held)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if len(v.Messages) != 1 || v.Ticket.Status != ticket.StatusOpen {
		t.Fatalf("the held answer changed the ticket: %d messages, status %s", len(v.Messages), v.Ticket.Status)
	}
	if n := len(relay.To("carol@example.com")); n != 1 {
		t.Errorf("carol received %d mails before the release, want 1", n)
	}

	// Releasing it posts it as alice: an agent's word is not enough, nor
	// is nobody's (issue 13: the role is checked by the desk).
	for _, as := range [][]string{nil, {"--as", "alice@acme.test"}, {"--as", "eve@elsewhere.test"}} {
		if out, err := cliErr(data, append([]string{"held", "release", "1"}, as...)...); err == nil {
			t.Errorf("held release %v was accepted: %s", as, out)
		}
	}
	out := cli(t, data, "held", "release", "1", "--as", "boss@acme.test")
	if !strings.Contains(out, "into ticket #1") {
		t.Errorf("held release: %q", out)
	}
	got := relay.WaitFor(t, "carol@example.com", 2)[1]
	if !strings.Contains(got.Body(), "It left our warehouse today.") || !strings.Contains(got.Header("From"), "Alice") {
		t.Errorf("the released answer: From %q\n%s", got.Header("From"), got.Body())
	}
	cliJSON(t, data, &v, "ticket", "show", "1")
	released := false
	for _, e := range v.Events {
		released = released || (e.Kind == "released" && e.Actor == "boss@acme.test")
	}
	if !released || v.Ticket.Status != ticket.StatusAnswered {
		t.Errorf("after the release: status %s, events %+v; want answered and a release by boss@acme.test", v.Ticket.Status, v.Events)
	}
	if _, err := cliErr(data, "held", "release", "1", "--as", "boss@acme.test"); err == nil {
		t.Error("a released mail was released a second time")
	}
}

// TestHeldMailShowReleaseDiscard: a customer's mail over the new-ticket
// limit is held and the admins are told; it can be read, released (the
// limit that held it does not hold it again) or discarded, and each says
// who did it.
func TestHeldMailShowReleaseDiscard(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--new-ticket-limit", "2", "--participant-limit", "2")
	for i, subject := range []string{"first", "second", "third", "fourth"} {
		mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"},
			"From: carol@example.com\r\nTo: support@acme.test\r\nSubject: "+subject+"\r\nMessage-ID: <lim-"+subject+"@example.com>\r\n\r\nmail "+string(rune('1'+i))+"\r\n")
	}
	// The two holds come 10 ms apart: the digester sends the first alone
	// ("Held mail: sender over the limit…") or, when both are pending by
	// the time it runs, both in one digest ("Held mail: 2 notices").
	notice := waitSubjects(t, relay, "boss@acme.test", "Held mail:", 1)[0]
	if !strings.Contains(notice.Body(), "postdesk held release") {
		t.Errorf("the admins' notice does not say how to release:\n%s", notice.Body())
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 2 {
		t.Fatalf("held list = %+v, want the third and fourth mails", held)
	}
	third, fourth := held[1], held[0] // newest first
	show := cli(t, data, "held", "show", itoa64(third.ID))
	if !strings.Contains(show, "Subject: third") || !strings.Contains(show, "sender over the limit") || !strings.Contains(show, "carol@example.com") {
		t.Errorf("held show:\n%s", show)
	}
	if out := cli(t, data, "held", "release", itoa64(third.ID), "--as", "boss@acme.test"); !strings.Contains(out, "into ticket #3") {
		t.Errorf("held release: %q", out)
	}
	cli(t, data, "held", "discard", itoa64(fourth.ID), "--as", "alice@acme.test") // triage: any member may discard
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 0 {
		t.Errorf("held list after release and discard: %+v", held)
	}
	cliJSON(t, data, &held, "held", "list", "--all")
	for _, h := range held {
		want := map[string]string{ticket.HeldReleased: "boss@acme.test", ticket.HeldDiscarded: "alice@acme.test"}[h.Status]
		if want == "" || h.ResolvedBy != want {
			t.Errorf("held %d: %s by %q", h.ID, h.Status, h.ResolvedBy)
		}
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "3")
	if v.Ticket.Subject != "third" || len(v.Events) == 0 {
		t.Fatalf("ticket #3 = %+v", v.Ticket)
	}
	found := false
	for _, e := range v.Events {
		found = found || (e.Kind == "released" && e.Actor == "boss@acme.test")
	}
	if !found {
		t.Errorf("ticket #3 does not record who released it: %+v", v.Events)
	}
	relay.WaitFor(t, "carol@example.com", 3) // the released mail is acknowledged like any other
	if _, err := cliErr(data, "held", "release", "x"); err == nil {
		t.Error("held release accepted a bad id")
	}

	// A mail naming more participants than the limit: held, and released
	// with everyone it names.
	mustSend(t, srv.addr, "dan@example.com", []string{"support@acme.test"}, "From: dan@example.com\r\nTo: support@acme.test\r\n"+
		"Cc: e1@example.com, e2@example.com, e3@example.com\r\nSubject: team\r\nMessage-ID: <cc3@example.com>\r\n\r\nhi all\r\n")
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 || !strings.Contains(held[0].Reason, "participants") {
		t.Fatalf("held list = %+v, want the mail naming 3 participants", held)
	}
	// The release runs with the limits serve runs with (here its flag; in
	// production the same configuration file or environment).
	if out := cli(t, data, "held", "release", itoa64(held[0].ID), "--as", "boss@acme.test", "--participant-limit", "2"); !strings.Contains(out, "into ticket #4") {
		t.Errorf("held release: %q", out)
	}
	cliJSON(t, data, &v, "ticket", "show", "4")
	if len(v.Participants) != 4 {
		t.Errorf("ticket #4 participants: %+v, want dan and the three he named", v.Participants)
	}
}

// TestReleasedForgedMailAppliesNoCommands: a mail in Alice's name without
// her reply token, tagged for #1 and carrying "#cc eve@evil.test", is held.
// The admins' notice, Alice's notice and held show list the command line.
// Released plainly, it is kept as an internal note: Eve is not added and
// gets nothing, nobody else is mailed, and the log names the command not
// applied. The same mail released with --with-commands adds Eve.
func TestReleasedForgedMailAppliesNoCommands(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	openCarolsTicket(t, srv.addr, relay)
	forged := func(n string) string {
		return "From: Alice <alice@acme.test>\r\nTo: support@acme.test\r\nSubject: Re: [#1] Broken blender\r\n" +
			"Message-ID: <forged-" + n + "@evil.test>\r\n\r\n#cc eve@evil.test\r\n\r\nCarol, pay here: http://evil.test/pay " + n + "\r\n"
	}
	mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"}, forged("1"))
	admins := waitSubjects(t, relay, "boss@acme.test", "Held mail:", 1)[0].Body()
	if !strings.Contains(admins, "#cc eve@evil.test") || !strings.Contains(admins, "--with-commands") {
		t.Errorf("the admins' notice does not list the command line:\n%s", admins)
	}
	alices := waitSubjects(t, relay, "alice@acme.test", "Held: a mail in your name", 1)[0]
	if !strings.Contains(alices.Body(), "#cc eve@evil.test") {
		t.Errorf("Alice's notice does not list the command line:\n%s", alices.Body())
	}
	var held []ticket.HeldMail
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 {
		t.Fatalf("held list = %+v, want the forged mail", held)
	}
	if show := cli(t, data, "held", "show", itoa64(held[0].ID)); !regexp.MustCompile(`(?m)^command +#cc eve@evil.test +\(applied on release only with --with-commands\)$`).MatchString(show) {
		t.Errorf("held show does not list the command line:\n%s", show)
	}
	before := relay.Count()
	if out := cli(t, data, "held", "release", itoa64(held[0].ID), "--as", "boss@acme.test"); !strings.Contains(out, "into ticket #1") {
		t.Fatalf("held release: %q", out)
	}
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	if got := participants(t, data, 1); strings.Join(got, " ") != "carol@customer.test" {
		t.Errorf("#1's participants after the plain release = %q, want only carol@customer.test", got)
	}
	last := v.Messages[len(v.Messages)-1]
	if last.Kind != ticket.KindNote || !strings.Contains(strings.Join(last.Warnings, " "), "#cc eve@evil.test") {
		t.Errorf("the released mail: kind %s, warnings %q; want a note naming the command not applied", last.Kind, last.Warnings)
	}
	var rows []struct{ Rcpt string }
	cliJSON(t, data, &rows, "outbox", "list")
	for _, r := range rows {
		if r.Rcpt == "eve@evil.test" {
			t.Errorf("the plain release queued mail to eve@evil.test")
		}
	}
	time.Sleep(1500 * time.Millisecond) // serve looks for queued rows every second
	if n := relay.Count() - before; n != 0 {
		t.Errorf("the plain release sent %d mails, want none", n)
	}

	mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"}, forged("2"))
	cliJSON(t, data, &held, "held", "list")
	if len(held) != 1 {
		t.Fatalf("held list = %+v, want the second forged mail", held)
	}
	cli(t, data, "held", "release", itoa64(held[0].ID), "--as", "boss@acme.test", "--with-commands")
	mailWith(t, relay, "eve@evil.test", "pay here")
	if got := participants(t, data, 1); strings.Join(got, " ") != "carol@customer.test eve@evil.test" {
		t.Errorf("#1's participants after --with-commands = %q, want carol and eve", got)
	}
}
