package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestWebComposeForNewContact: an agent opens a ticket from the compose
// page for a contact made on the spot; the browser lands on the new
// ticket's page and the mail reaches the customer at the relay, with the
// ticket's tag and the agent's text.
func TestWebComposeForNewContact(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	err := chromedp.Do(ctx,
		chromedp.Click(`#nav-compose`),
		chromedp.WaitVisible(`#compose-send`),
		chromedp.Click(`#who-new`),
		chromedp.SendKeys(`#new-email`, "dan@customer.test"),
		chromedp.SendKeys(`#new-name`, "Dan Customer"),
		chromedp.SendKeys(`#subject`, "Your order 5521"),
		chromedp.SendKeys(`#text`, "Your order shipped today."),
		chromedp.Click(`#compose-send`),
	)
	if err != nil {
		t.Fatal(err)
	}
	mails := relay.WaitFor(t, "dan@customer.test", 1)
	if subj := mails[0].Header("Subject"); !strings.Contains(subj, "Your order 5521") || !strings.Contains(subj, "#1") {
		t.Errorf("the customer's mail: Subject %q, want the subject and the ticket's tag", subj)
	}
	if body := mails[0].Body(); !strings.Contains(body, "Your order shipped today.") {
		t.Errorf("the customer's mail: %q, want the agent's text", body)
	}
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(loc, "/p/acme/tickets/1") {
		t.Errorf("after compose the browser is at %s, want the new ticket's page", loc)
	}
	if show := cli(t, data, "contact", "show", "--property", "acme", "dan@customer.test"); !strings.Contains(show, "Dan Customer") {
		t.Errorf("contact show: %s, want the contact made with its name", show)
	}
}

// TestWebAdminPages: an admin finds the forwarding address ready to copy
// (the copy button puts it in the clipboard: Chromium grants the
// permission to the loopback origin, which is a secure context), then
// adds a member and a topic and sees them listed.
func TestWebAdminPages(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--property", "acme", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	srv := startServer(t, data)
	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "boss@acme.test")
	origin := strings.TrimRight(srv.apiURL(t), "/")
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
			Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSettingGranted, Origin: origin})
		if err != nil {
			t.Fatalf("granting %s: %v", name, err)
		}
	}
	if err := chromedp.Do(ctx, chromedp.Click(`#nav-admin`), chromedp.WaitVisible(`#fwd-0`)); err != nil {
		t.Fatal(err)
	}
	addr, err := chromedp.Run(ctx, chromedp.Value(`#fwd-0`))
	if err != nil || addr != "support@acme.test" {
		t.Fatalf("the forwarding address shown: %q, %v", addr, err)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`button.copy[data-copy="fwd-0"]`), chromedp.WaitVisible(`.copy-done`)); err != nil {
		t.Fatal(err)
	}
	said, err := chromedp.Run(ctx, chromedp.Text(`.copy-done`))
	if err != nil || said != "Copied" {
		t.Errorf("after the copy button: %q, %v, want Copied", said, err)
	}
	clip, err := chromedp.Run(ctx, chromedp.Evaluate[string](`navigator.clipboard.readText()`, chromedp.EvalAwaitPromise))
	if err != nil || clip != "support@acme.test" {
		t.Errorf("the clipboard holds %q, %v, want the forwarding address", clip, err)
	}

	err = chromedp.Do(ctx,
		chromedp.Click(`.admin-nav a[href$="/members"]`),
		chromedp.WaitVisible(`#member-add`),
		chromedp.SendKeys(`#member-email`, "carl@acme.test"),
		chromedp.SendKeys(`#member-name`, "Carl"),
		chromedp.Submit(`#member-email`),
		chromedp.WaitVisible(`#members`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `#members`, "carl@acme.test")
	err = chromedp.Do(ctx,
		chromedp.Click(`.admin-nav a[href$="/topics"]`),
		chromedp.WaitVisible(`#topic-add`),
		chromedp.SendKeys(`#topic-name`, "refunds"),
		chromedp.Submit(`#topic-name`),
		chromedp.WaitVisible(`#topics`),
	)
	if err != nil {
		t.Fatal(err)
	}
	waitText(t, ctx, `#topics`, "refunds")
	if list := cli(t, data, "topic", "list", "--property", "acme"); !strings.Contains(list, "refunds") {
		t.Errorf("topic list: %s, want the topic added on the page", list)
	}
}

// waitText waits until the element's text holds want.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	js := `((document.querySelector(` + jsString(sel) + `) || {}).innerText || "")`
	// A form's submit navigates: until the new page is in, the old one (or
	// none: "Inspected target navigated") answers. Ask again until the
	// element holds the text, the navigation done.
	var got string
	var err error
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if got, err = chromedp.Run(ctx, chromedp.Evaluate[string](js)); err == nil && strings.Contains(got, want) {
			return
		}
	}
	t.Fatalf("%s never held %q: %q (%v)", sel, want, got, err)
}

func jsString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
