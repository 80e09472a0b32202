package main

import (
	"bufio"
	"io"
	"mime/quotedprintable"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/postdesk/postdesk/internal/smtptest"
)

var mailedLink = regexp.MustCompile(`https?://\S+/login/[a-z0-9]+(\?\S+)?`)

// linkIn is the sign-in link of a mail the relay received.
func linkIn(t *testing.T, m smtptest.Mail) string {
	t.Helper()
	body := m.Body()
	if strings.EqualFold(m.Header("Content-Transfer-Encoding"), "quoted-printable") {
		b, err := io.ReadAll(quotedprintable.NewReader(strings.NewReader(body)))
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	link := mailedLink.FindString(body)
	if link == "" {
		t.Fatalf("no sign-in link in the mail:\n%s", body)
	}
	return link
}

// TestWebSignInByMailAndPassword: the email-centric way in, end to end:
// the form mails a link over SMTP (a test relay), the link from that mail
// signs the browser in; then a password set with `member password`
// (read from standard input) signs her in at the same page.
func TestWebSignInByMailAndPassword(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	ctx := newBrowser(t)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(srv.apiURL(t)+"/p/acme/"),
		chromedp.WaitVisible(`input#email`),
		chromedp.SendKeys(`input#email`, "alice@acme.test"),
		chromedp.Click(`form[action="/login"] button`),
		chromedp.WaitVisible(`p.sent`),
	); err != nil {
		t.Fatal(err)
	}
	link := linkIn(t, waitSubjects(t, relay, "alice@acme.test", "Sign in to", 1)[0])
	if !strings.HasPrefix(link, srv.apiURL(t)+"/login/") || !strings.Contains(link, "next=%2Fp%2Facme%2F") {
		t.Errorf("mailed link %q: want this server's, back to /p/acme/", link)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(link),
		chromedp.WaitVisible(`form[action^="/login/"] button`),
		chromedp.Click(`form[action^="/login/"] button`),
		chromedp.WaitVisible(`form.signout`),
	); err != nil {
		t.Fatalf("signing in with the mailed link: %v", err)
	}
	if path, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.pathname`)); err != nil || path != "/p/acme/" {
		t.Errorf("after the link: at %q (%v), want /p/acme/", path, err)
	}

	cmd := exec.Command(binary, "member", "password", "alice@acme.test", "--data", data)
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	cmd.Stdin = strings.NewReader("a kettle that leaks\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("member password: %v\n%s", err, out)
	}
	// The password ended her sessions: the page sends her to sign in.
	if err := chromedp.Do(ctx,
		chromedp.Reload(),
		chromedp.WaitVisible(`input#password`),
		chromedp.SendKeys(`input#pw-email`, "alice@acme.test"),
		chromedp.SendKeys(`input#password`, "a kettle that leaks"),
		chromedp.Click(`form.password button`),
		chromedp.WaitVisible(`form.signout`),
	); err != nil {
		t.Fatalf("signing in with the password: %v", err)
	}
}

// TestServePrintsInboxAddress: serve says on standard output where the
// inbox is, and that address answers (with the sign-in page).
func TestServePrintsInboxAddress(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cmd := exec.Command(binary, "serve", "--data", data, "--smtp-addr", "127.0.0.1:0", "--http-addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "POSTDESK_CONFIG=")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	linec := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		linec <- line
	}()
	var line string
	select {
	case line = <-linec:
	case <-time.After(20 * time.Second):
		t.Fatal("serve printed nothing on standard output")
	}
	m := regexp.MustCompile(`^postdesk web inbox: (http://127\.0\.0\.1:\d+/) `).FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("serve printed %q, want the inbox's address", line)
	}
	resp, err := http.Get(m[1])
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/login" {
		t.Errorf("GET %s: %d at %s, want the sign-in page", m[1], resp.StatusCode, resp.Request.URL)
	}
}
