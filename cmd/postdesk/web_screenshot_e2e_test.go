package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/postdesk/postdesk/internal/smtptest"
)

// screenshotEnv, set to 1, makes TestWebInboxScreenshot write the
// README's picture, docs/inbox.png:
//
//	POSTDESK_README_SCREENSHOT=1 go test ./cmd/postdesk -run TestWebInboxScreenshot
const screenshotEnv = "POSTDESK_README_SCREENSHOT"

// TestWebInboxScreenshot seeds a gateway as a team's morning looks (mail
// from several customers, one ticket overdue, tags, assignments) and takes
// a picture of the inbox: the ticket subjects are on it, and the picture
// is small enough for the README.
func TestWebInboxScreenshot(t *testing.T) {
	data := t.TempDir()
	clock := filepath.Join(t.TempDir(), "clock")
	start := time.Date(2026, 11, 23, 8, 30, 0, 0, time.UTC)
	fakeTime(t, clock, start)
	t.Setenv(fakeClockEnv, clock)
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Dana Boss", "--role", "admin")
	as := []string{"--as", "boss@acme.test"}
	cli(t, data, append([]string{"sla", "set", "--first-response", "medium=4h,high=1h"}, as...)...)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	mails := []struct{ from, name, subject string }{
		{"zoe@customer.test", "Zoë Martins", "Kettle leaks after two weeks"},
		{"jules@example.fr", "Jules Lefèvre", "Facture 4471 : double prélèvement"},
		{"amara@shop.test", "Amara Okafor", "Wholesale order of 200 mugs"},
		{"kenji@mail.test", "Kenji Sato", "Password reset link expired"},
		{"lucia@example.pt", "Lúcia Costa", "Entrega atrasada — encomenda 88213"},
		{"sam@startup.test", "Sam Rivera", "Can we get an invoice with our VAT number?"},
	}
	for i, m := range mails {
		mustSend(t, srv.addr, m.from, []string{"support@acme.test"}, fmt.Sprintf(
			"From: %s <%s>\r\nTo: support@acme.test\r\nSubject: %s\r\nMessage-ID: <shot%d@example.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello, see the subject.\r\n",
			m.name, m.from, m.subject, i))
	}
	cli(t, data, append([]string{"ticket", "priority", "1", "high"}, as...)...)
	cli(t, data, append([]string{"ticket", "assign", "1", "alice@acme.test"}, as...)...)
	cli(t, data, append([]string{"ticket", "tag", "1", "warranty"}, as...)...)
	cli(t, data, append([]string{"ticket", "tag", "2", "billing", "vip"}, as...)...)
	cli(t, data, append([]string{"ticket", "assign", "3", "boss@acme.test"}, as...)...)
	cli(t, data, append([]string{"ticket", "tag", "3", "sales"}, as...)...)
	cli(t, data, append([]string{"ticket", "priority", "3", "highest"}, as...)...)
	cli(t, data, append([]string{"ticket", "tag", "6", "billing"}, as...)...)
	fakeTime(t, clock, start.Add(90*time.Minute)) // ticket 1's first answer was due at 09:30
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(cli(t, data, "ticket", "list"), "overdue") {
		if time.Now().After(deadline) {
			t.Fatal("no ticket went overdue")
		}
		time.Sleep(100 * time.Millisecond)
	}

	ctx := newBrowser(t)
	signIn(t, ctx, srv, data, "alice@acme.test")
	if err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1200, 640),
		chromedp.Navigate(srv.apiURL(t)+"/p/acme/"),
		chromedp.WaitVisible(`table.tickets`),
	); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mails {
		if !strings.Contains(text, m.subject) {
			t.Errorf("the inbox does not show %q", m.subject)
		}
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	if len(png) > 300<<10 || len(png) < 8 || string(png[1:4]) != "PNG" {
		t.Fatalf("the picture: %d bytes, want a PNG under 300 KB", len(png))
	}
	out := filepath.Join(t.TempDir(), "inbox.png")
	if os.Getenv(screenshotEnv) == "1" {
		out = filepath.Join("..", "..", "docs", "inbox.png")
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(out, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("the inbox: %s (%d KB)", out, len(png)>>10)
}
