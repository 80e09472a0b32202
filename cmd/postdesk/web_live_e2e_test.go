package main

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebShortcutsOverlay: a page's shortcut runs on its key, not while
// the member types in a field; "?" lists the page's shortcuts, Escape
// closes the list.
func TestWebShortcutsOverlay(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	// A shortcut as a page script registers one, and a field to type in.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`postdesk.shortcut("g x", "Go to the test's place", function () {
		document.body.dataset.hits = (document.body.dataset.hits || "") + "x"; });
		var f = document.createElement("input"); f.id = "field"; document.querySelector("main").appendChild(f); true`)); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Focus(`#field`), chromedp.KeyEvent("gx?"), // typed: no shortcut
		chromedp.Blur(`#field`),
		chromedp.KeyEvent("gx"), // the shortcut, once
		chromedp.KeyEvent("?"), chromedp.WaitVisible(`#shortcuts`),
	); err != nil {
		t.Fatal(err)
	}
	list, err := chromedp.Run(ctx, chromedp.Text(`#shortcuts`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(list, "Go to the test's place") || !strings.Contains(list, "g then x") {
		t.Errorf("the overlay lists %q, want the page's shortcut", list)
	}
	hits, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.dataset.hits || ""`))
	if err != nil || hits != "x" {
		t.Errorf("the shortcut ran %q times (%v), want once: not while typing", hits, err)
	}
	field, err := chromedp.Run(ctx, chromedp.Value(`#field`))
	if err != nil || field != "gx?" {
		t.Errorf("the field holds %q (%v), want what was typed", field, err)
	}
	if err := chromedp.Do(ctx, chromedp.KeyEvent("\x1b"), chromedp.WaitNotVisible(`#shortcuts`)); err != nil {
		t.Errorf("Escape: %v", err)
	}
}

// TestWebLiveReconnects: when the gateway goes away the page shows that it
// is offline; when it is back on the same address the page reconnects by
// itself, the mark goes, and new mail shows live again.
func TestWebLiveReconnects(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	if err := chromedp.Do(ctx, chromedp.WaitNotVisible(`#offline`)); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.apiURL(t))
	if err != nil {
		t.Fatal(err)
	}
	srv.cmd.Process.Kill()
	<-srv.done
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#offline`)); err != nil {
		t.Fatalf("the offline mark: %v", err)
	}
	srv = startServer(t, data, "--http-addr", u.Host)
	if err := chromedp.Do(ctx, chromedp.WaitNotVisible(`#offline`)); err != nil {
		t.Fatalf("the mark after the gateway came back: %v", err)
	}
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Back online\r\nMessage-ID: <back@customer.test>\r\n\r\nHello.\r\n")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#live`)); err != nil {
		t.Fatalf("no live event after reconnecting: %v", err)
	}
	if text, err := chromedp.Run(ctx, chromedp.Text(`#live`)); err != nil || !strings.Contains(text, "Back online") {
		t.Errorf("live: %q (%v)", text, err)
	}
}
