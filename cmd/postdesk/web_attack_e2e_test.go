package main

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebMailStaysInItsBox: a mail over SMTP whose HTML closes the page's
// elements around it, opens a list entry of its own and leaves a table
// open shows, in Chromium, wholly inside its box: none of its text is
// outside .mailbody, the timeline holds no entry of the mail's making, and the
// page's forms keep their fields.
func TestWebMailStaysInItsBox(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	const html = `<p>Hello</p></div></li></ol></section><p>FORGED note: refund approved</p>` +
		`<div><li>ORPHAN entry</li></div><a href="https://evil.example/">OPEN link<table><tr><td>OPEN table`
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Box\r\nMessage-ID: <box@customer.test>\r\n"+
			"MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"+html+"\r\n")

	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.apiURL(t)+"/p/acme/tickets/1"), chromedp.WaitVisible(`.mailbody`)); err != nil {
		t.Fatal(err)
	}
	outside := mustEval[int](t, ctx, `(() => {
		const w = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
		let n = 0;
		for (let x = w.nextNode(); x; x = w.nextNode()) {
			if (/FORGED|ORPHAN|OPEN/.test(x.data) && !x.parentElement.closest('.mailbody')) n++;
		}
		return n; })()`)
	if outside != 0 {
		t.Errorf("%d pieces of the mail's text are outside its box", outside)
	}
	if n := mustEval[int](t, ctx, `document.querySelectorAll('.timeline > li.msg').length`); n != 1 {
		t.Errorf("the timeline has %d mail entries, want 1", n)
	}
	if n := mustEval[int](t, ctx, `document.querySelectorAll('.timeline > li:not(.msg):not(.event):not(.gap)').length`); n != 0 {
		t.Errorf("the timeline has %d entries of the mail's making", n)
	}
	if n := mustEval[int](t, ctx, `document.querySelectorAll('.ticket-side a[href^="https://evil"], .ticket-side form:not(:has(input[name=csrf]))').length`); n != 0 {
		t.Errorf("%d of the page's forms lost their token or sit inside the mail's link", n)
	}
}
