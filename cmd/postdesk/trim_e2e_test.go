package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// decoded parses a mail the relay received into its text and HTML.
func decoded(t *testing.T, m smtptest.Mail) *enmime.Envelope {
	t.Helper()
	env, err := enmime.ReadEnvelope(bytes.NewReader(m.Raw))
	if err != nil {
		t.Fatal(err)
	}
	return env
}

// TestInlineAnswersAndFoldedHistory: an agent answers between the
// customer's quoted questions and the customer receives every answer; the
// customer replies with the whole history below and the agent's copy shows
// her new text with the history folded away, while the ticket keeps the
// whole message.
func TestInlineAnswersAndFoldedHistory(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	first := "From: Zoe Smith <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Two questions\r\n" +
		"Message-ID: <zoe-1@customer.test>\r\n\r\nCan I export as CSV?\r\nAnd why does it fail with error 500?\r\n"
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, first)
	copy1 := relay.WaitFor(t, "alice@acme.test", 1)[0]
	to, _ := mail.ParseAddress(copy1.Header("Reply-To"))
	inline := fmt.Sprintf("From: Alice <alice@acme.test>\r\nTo: %s\r\nSubject: Re: %s\r\nMessage-ID: <alice-1@mua.test>\r\n"+
		"In-Reply-To: %s\r\nDate: %s\r\n\r\n"+
		"Hi Zoe,\r\n\r\nOn Sat, 21 Nov 2026 at 10:12, Zoe Smith <zoe@customer.test> wrote:\r\n> Can I export as CSV?\r\n\r\n"+
		"Yes: Reports > Export, then pick CSV.\r\n\r\n> And why does it fail with error 500?\r\n\r\n"+
		"We deployed a fix at 11:00; please try again.\r\n\r\nAlice\r\n",
		to.Address, copy1.Header("Subject"), copy1.Header("Message-Id"), time.Now().Format(time.RFC1123Z))
	mustSend(t, srv.addr, "alice@acme.test", []string{to.Address}, inline)
	answer := relay.WaitFor(t, "zoe@customer.test", 2)[1]
	text := decoded(t, answer).Text
	for _, want := range []string{"Hi Zoe,", "Yes: Reports > Export, then pick CSV.", "We deployed a fix at 11:00", "> And why does it fail"} {
		if !strings.Contains(text, want) {
			t.Errorf("the customer's mail lacks %q:\n%s", want, text)
		}
	}

	zoeTo, _ := mail.ParseAddress(answer.Header("Reply-To"))
	history := "Thanks, the export works now.\r\n\r\nZoe\r\n\r\n-----Original Message-----\r\nFrom: Alice via Acme Support <support@acme.test>\r\n" +
		"Sent: Saturday, November 21, 2026 11:30 AM\r\nTo: Zoe Smith <zoe@customer.test>\r\nSubject: Re: Two questions\r\n\r\n" +
		"Hi Zoe,\r\n> Can I export as CSV?\r\nYes: Reports > Export, then pick CSV.\r\n"
	again := fmt.Sprintf("From: Zoe Smith <zoe@customer.test>\r\nTo: %s\r\nSubject: RE: %s\r\nMessage-ID: <zoe-2@customer.test>\r\n"+
		"In-Reply-To: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s", zoeTo.Address, answer.Header("Subject"), answer.Header("Message-Id"), history)
	mustSend(t, srv.addr, "zoe@customer.test", []string{zoeTo.Address}, again)
	copy2 := decoded(t, relay.WaitFor(t, "alice@acme.test", 2)[1])
	for what, s := range map[string]string{"text": copy2.Text, "HTML": copy2.HTML} {
		if !strings.Contains(s, "Thanks, the export works now.") || !strings.Contains(s, "quoted history folded away") ||
			strings.Contains(s, "Original Message") || strings.Contains(s, "pick CSV") {
			t.Errorf("the agent's copy (%s) does not show the new text with the history folded away:\n%s", what, s)
		}
	}
	st := openDB(t, data)
	tickets, _ := st.Tickets(context.Background(), "acme", "")
	if len(tickets) != 1 {
		t.Fatalf("%d tickets, want 1", len(tickets))
	}
	msgs, _ := st.Messages(context.Background(), tickets[0].ID)
	if n := len(msgs); n != 3 || !strings.Contains(msgs[2].Text, "-----Original Message-----") || !strings.Contains(msgs[2].Text, "pick CSV") {
		t.Errorf("the customer's reply is not stored whole (%d messages): %+v", n, msgs)
	}
}
