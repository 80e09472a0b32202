package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestWebWorkATicket is the scenario in a real browser on the real
// binary: an agent signs in, finds the customer's ticket by search, answers
// it (with a file) and the answer reaches the customer at the relay;
// raises its priority and sees the SLA due times recalculated; assigns it
// with a note, snoozes it, closes it. A form of a ticket that changed
// meanwhile is refused in the desk's words, and the delete button an agent
// does not see is refused by the desk too.
func TestWebWorkATicket(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--property", "acme", "--email", "bob@acme.test", "--name", "Bob", "--role", "agent")
	cli(t, data, "member", "add", "--property", "acme", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	cli(t, data, "sla", "set", "--first-response", "medium=4h,high=1h", "--resolution", "medium=2d,high=8h", "--as", "boss@acme.test")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Kettle leaks\r\nMessage-ID: <kettle@customer.test>\r\n\r\nMy kettle leaks on the table.\r\n")
	mustSend(t, srv.addr, "max@customer.test", []string{"support@acme.test"},
		"From: Max <max@customer.test>\r\nTo: support@acme.test\r\nSubject: Toaster burns\r\nMessage-ID: <toaster@customer.test>\r\n\r\nIt burns the bread.\r\n")

	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	base := srv.apiURL(t)

	// Find the ticket by the inbox's search, and open it.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base+"/p/acme/"), chromedp.WaitVisible(`#inbox-q`),
		chromedp.SendKeys(`#inbox-q`, "kettle\r"),
		chromedp.WaitNotPresent(`tr.ticket[data-number="2"]`),
		chromedp.WaitVisible(`tr.ticket td.subject a`),
	); err != nil {
		t.Fatalf("searching the inbox: %v", err)
	}
	if rows := mustText(t, ctx, `table.tickets tbody`); !strings.Contains(rows, "Kettle leaks") || strings.Contains(rows, "Toaster") {
		t.Fatalf("the inbox searched for kettle: %q", rows)
	}
	number := int64(mustEval[int](t, ctx, `Number(document.querySelector('tr.ticket').dataset.number)`))
	page := base + "/p/acme/tickets/" + itoa64(number)
	if err := chromedp.Do(ctx, chromedp.Click(`tr.ticket td.subject a`), chromedp.WaitVisible(`#answer-text`)); err != nil {
		t.Fatal(err)
	}
	if text := mustText(t, ctx, `ol.timeline`); !strings.Contains(text, "My kettle leaks on the table.") || !strings.Contains(text, "rule=new") {
		t.Errorf("timeline: %q, want the customer's mail and its threading decision", text)
	}

	// Keyboard: ? shows the shortcuts, Escape hides them, r goes to the
	// answer.
	if err := chromedp.Do(ctx,
		chromedp.KeyEvent("?"), chromedp.WaitVisible(`#shortcuts`),
	); err != nil {
		t.Fatalf("keyboard shortcuts: %v", err)
	}
	if help := mustText(t, ctx, `#shortcuts`); !strings.Contains(help, "Answer the customer") || !strings.Contains(help, "Snooze") {
		t.Errorf("the shortcuts' help: %q, want the ticket page's", help)
	}
	if err := chromedp.Do(ctx,
		chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`#shortcuts`),
		chromedp.KeyEvent("r"),
	); err != nil {
		t.Fatalf("keyboard shortcuts: %v", err)
	}
	if id := mustEval[string](t, ctx, `document.activeElement.id`); id != "answer-text" {
		t.Errorf("after r the focus is on %q, want the answer", id)
	}

	// Answer: the customer gets it at the relay.
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(`#answer-text`, "Please send us a photo of the kettle."),
		chromedp.Click(`#answer-form button[type=submit]`),
		chromedp.WaitVisible(`li.msg-outbound`),
	); err != nil {
		t.Fatal(err)
	}
	waitBody(t, relay, "zoe@customer.test", "Please send us a photo of the kettle.")

	// Priority: the due times are recalculated (medium 4h/2d → high 1h/8h).
	before := mustText(t, ctx, `dl.sla`)
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#priority`, "high"),
		chromedp.Click(`#priority-form button`),
		chromedp.WaitVisible(`.prio-high`),
	); err != nil {
		t.Fatal(err)
	}
	if after := mustText(t, ctx, `dl.sla`); after == before || !strings.Contains(after, "Resolution due") {
		t.Errorf("SLA due times after raising the priority: %q, before %q: want them recalculated", after, before)
	}

	// Live: another member changes the ticket; the page says so and keeps
	// the answer being written. The form of the ticket as it was shown is
	// then refused.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#answer-text`, "Half-written")); err != nil {
		t.Fatal(err)
	}
	cli(t, data, "ticket", "priority", itoa64(number), "highest", "--as", "bob@acme.test")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#ticket-live`)); err != nil {
		t.Fatalf("the page did not show that the ticket changed: %v", err)
	}
	if draft := mustEval[string](t, ctx, `document.getElementById('answer-text').value`); draft != "Half-written" {
		t.Errorf("the answer being written after the live notice: %q", draft)
	}
	if err := chromedp.Do(ctx,
		chromedp.SetValue(`#assign-to`, "member:bob@acme.test"),
		chromedp.Click(`#assign-form button`),
		chromedp.WaitVisible(`.action-error`),
	); err != nil {
		t.Fatal(err)
	}
	if msg := mustText(t, ctx, `.action-error`); !strings.Contains(msg, "The ticket changed") {
		t.Errorf("a stale form: %q, want it refused", msg)
	}

	// Assign with a note, on the page as it now is.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(page), chromedp.WaitVisible(`#assign-to`),
		chromedp.SetValue(`#assign-to`, "member:bob@acme.test"),
		chromedp.SendKeys(`#assign-form input[name=note]`, "Bob knows kettles"),
		chromedp.Click(`#assign-form button`),
		chromedp.WaitVisible(`li.event`),
	); err != nil {
		t.Fatal(err)
	}
	if who := mustText(t, ctx, `.assignee`); who != "bob@acme.test" {
		t.Errorf("assignee after assigning: %q", who)
	}
	if text := mustText(t, ctx, `ol.timeline`); !strings.Contains(text, "Bob knows kettles") {
		t.Errorf("timeline after assigning: %q, want the note", text)
	}

	// An agent sees no delete button, and the desk refuses the form anyway.
	if n := mustEval[int](t, ctx, `document.querySelectorAll('form[action$="/delete"]').length`); n != 0 {
		t.Errorf("an agent sees %d delete buttons", n)
	}
	status := mustEval[int](t, ctx, `(async () => {
		const f = document.getElementById('priority-form');
		const body = new URLSearchParams({csrf: f.csrf.value, etag: f.etag.value});
		return (await fetch(location.pathname + '/delete', {method: 'POST', body})).status;
	})()`, chromedp.EvalAwaitPromise)
	if status != 403 {
		t.Errorf("an agent's delete: status %d, want 403", status)
	}

	// Snooze until tomorrow 9:00, then close as resolved.
	if err := chromedp.Do(ctx,
		chromedp.Click(`#snooze-form button[value=tomorrow]`),
		chromedp.WaitVisible(`.status-snoozed`),
	); err != nil {
		t.Fatal(err)
	}
	if s := mustText(t, ctx, `.snoozed`); !strings.Contains(s, "09:00") {
		t.Errorf("snoozed: %q, want until 9:00", s)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(`#close-resolved`),
		chromedp.WaitVisible(`.status-closed`),
		chromedp.WaitVisible(`#reopen`),
	); err != nil {
		t.Fatal(err)
	}
	if s := mustText(t, ctx, `.status`); s != "closed (resolved)" {
		t.Errorf("status after closing: %q", s)
	}
}

// waitBody waits until a mail to rcpt holding text has reached the relay.
func waitBody(t *testing.T, relay *smtptest.Relay, rcpt, text string) smtptest.Mail {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for _, m := range relay.To(rcpt) {
			if strings.Contains(m.Body(), text) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s holding %q reached the relay (%d mails to it)", rcpt, text, len(relay.To(rcpt)))
	return smtptest.Mail{}
}

// mustText is the text of the first element matching sel.
func mustText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// mustEval evaluates a JavaScript expression in the page.
func mustEval[T any](t *testing.T, ctx context.Context, expr string, opts ...chromedp.EvaluateOption) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, opts...))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}
