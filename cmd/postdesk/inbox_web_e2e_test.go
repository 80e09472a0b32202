package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestWebInbox: in a real browser against the real binary, the inbox shows
// its folders' counts, finds the one ticket whose mail holds a word,
// switches to Closed, follows j/k and "?", and lists a mail that arrives
// over SMTP without a reload; on a phone's viewport the list fits its
// width.
func TestWebInbox(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	for i, m := range []struct{ from, subject, body string }{
		{"zoe@customer.test", "Kettle leaks", "It leaks after descaling."},
		{"yan@customer.test", "Toaster smoke", "Smoke rises from the slot."},
		{"xi@customer.test", "Fridge hum", "A hum at night."},
	} {
		mustSend(t, srv.addr, m.from, []string{"support@acme.test"}, fmt.Sprintf(
			"From: %s\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <m%d@customer.test>\r\n\r\n%s\r\n", m.from, m.subject, i, m.body))
	}
	cli(t, data, "ticket", "close", "2", "--as", "alice@acme.test")
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#inbox-list nav.folders`)); err != nil {
		t.Fatal(err)
	}
	if folders := inboxText(t, ctx, `#inbox-list nav.folders`); !strings.Contains(folders, "Open 2") || !strings.Contains(folders, "Closed 1") {
		t.Errorf("folders: %q, want Open 2 and Closed 1", folders)
	}

	// Search a word of one ticket's mail: that ticket alone.
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#inbox-q`, "descaling"+kb.Enter),
		chromedp.WaitVisible(`#inbox-q[value="descaling"]`)); err != nil {
		t.Fatal(err)
	}
	if rows := inboxText(t, ctx, `#inbox-list tbody`); !strings.Contains(rows, "Kettle leaks") || strings.Contains(rows, "Fridge hum") {
		t.Errorf("search rows: %q, want Kettle leaks alone", rows)
	}

	// The Closed folder.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.apiURL(t)+"/p/acme/"),
		chromedp.WaitVisible(`#inbox-list tr.ticket`),
		chromedp.Click(`nav.folders a[href*="folder=closed"]`),
		chromedp.WaitVisible(`nav.folders a[aria-current][href*="folder=closed"]`)); err != nil {
		t.Fatal(err)
	}
	if rows := inboxText(t, ctx, `#inbox-list tbody`); !strings.Contains(rows, "Toaster smoke") || strings.Contains(rows, "Kettle") {
		t.Errorf("closed rows: %q, want Toaster smoke alone", rows)
	}

	// Shortcuts: j selects a row, ? shows the help.
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.apiURL(t)+"/p/acme/"),
		chromedp.WaitVisible(`#inbox-list tr.ticket`),
		chromedp.KeyEvent("j"), chromedp.WaitVisible(`tr.ticket.selected`),
		chromedp.KeyEvent("?"), chromedp.WaitVisible(`#shortcuts dl`),
		chromedp.KeyEvent(kb.Escape), chromedp.WaitNotVisible(`#shortcuts dl`),
		chromedp.Navigate(srv.apiURL(t)+"/p/acme/"), chromedp.WaitVisible(`#inbox-list tr.ticket`)); err != nil {
		t.Fatal(err)
	}

	// Live: a mail over SMTP appears in the open list, in the same page.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded = true`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(500 * time.Millisecond) // the event stream connects
	mustSend(t, srv.addr, "wu@customer.test", []string{"support@acme.test"},
		"From: wu@customer.test\r\nTo: support@acme.test\r\nSubject: Blender jammed\r\nMessage-ID: <blender@customer.test>\r\n\r\nIt stops.\r\n")
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(wctx, chromedp.WaitVisible(`tr.ticket[data-number="4"]`)); err != nil {
		t.Fatalf("the new ticket did not appear live: %v", err)
	}
	if same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.notReloaded === true`)); err != nil || !same {
		t.Errorf("the page reloaded to show the new ticket (%v)", err)
	}
	if folders := inboxText(t, ctx, `#inbox-list nav.folders`); !strings.Contains(folders, "Open 3") {
		t.Errorf("folders after the new mail: %q, want Open 3", folders)
	}

	// A phone's viewport: the list fits, no horizontal scroll.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(390, 844), chromedp.Navigate(srv.apiURL(t)+"/p/acme/"),
		chromedp.WaitVisible(`#inbox-list tr.ticket`)); err != nil {
		t.Fatal(err)
	}
	fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.scrollingElement.scrollWidth <= window.innerWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if !fits {
		w, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.scrollingElement.scrollWidth + " > " + window.innerWidth`))
		t.Errorf("on 390x844 the page scrolls sideways: %s", w)
	}
}

// inboxText is the visible text of the first node matching sel.
func inboxText(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	s, err := chromedp.Run(ctx, chromedp.Text(sel))
	if err != nil {
		t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}
