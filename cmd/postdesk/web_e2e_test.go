package main

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestWebSignInByLink: the first admin's way in: a link printed by the
// CLI signs the browser in (once: the link is spent), and the inbox lists
// the ticket a mail opened; signing out ends the session.
func TestWebSignInByLink(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"},
		"From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Kettle leaks\r\nMessage-ID: <kettle@customer.test>\r\n\r\nIt leaks.\r\n")
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`table.tickets`)); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(ctx, chromedp.Text(`table.tickets tbody`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows, "Kettle leaks") {
		t.Errorf("inbox rows: %q, want the ticket", rows)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`form.signout button`), chromedp.WaitVisible(`input#email`)); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(title, "Sign in") {
		t.Errorf("after signing out: %q", title)
	}
	// Signed out, the inbox sends the browser to sign in.
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Get(srv.apiURL(t) + "/p/acme/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("inbox without a session: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
