package main

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is the headless browser of the web inbox's tests: Debian's
// chromium package (.ci/run installs it). Tests skip without it.
func chromiumPath() string {
	if p := os.Getenv("POSTDESK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// newBrowser starts a headless Chromium for the test and returns a
// context to run chromedp actions in. On failure a screenshot of the page
// as it was is saved and named in the log.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if path == "" {
		t.Skip("no Chromium here (apt-get install chromium); the browser tests need it")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI; the pages are our own, on loopback
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		if t.Failed() {
			saveScreenshot(t, ctx)
		}
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil { // a failure here is the browser's
		t.Fatalf("starting %s: %v", path, err)
	}
	return ctx
}

// saveScreenshot saves the page as it is to the test's artifacts
// directory (POSTDESK_ARTIFACTS, else the system's temp directory).
func saveScreenshot(t *testing.T, ctx context.Context) {
	dir := os.Getenv("POSTDESK_ARTIFACTS")
	if dir == "" {
		dir = os.TempDir()
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(80))
	if err != nil {
		t.Logf("no screenshot: %v", err)
		return
	}
	name := filepath.Join(dir, strings.ReplaceAll(t.Name(), "/", "_")+".png")
	if err := os.WriteFile(name, png, 0o644); err != nil {
		t.Logf("screenshot not saved: %v", err)
		return
	}
	t.Logf("screenshot of the page at the failure: %s", name)
}

// signIn signs the browser in as a member with a link from
// `postdesk member login-link`, pointed at the server's address.
func signIn(t *testing.T, ctx context.Context, srv *server, data, email string) {
	t.Helper()
	link := strings.TrimSpace(cli(t, data, "member", "login-link", email))
	u, err := url.Parse(link)
	if err != nil {
		t.Fatalf("login-link printed %q: %v", link, err)
	}
	base, _ := url.Parse(srv.apiURL(t))
	u.Scheme, u.Host = base.Scheme, base.Host
	if err := chromedp.Do(ctx,
		chromedp.Navigate(u.String()),
		chromedp.WaitVisible(`form[action^="/login/"] button`),
		chromedp.Click(`form[action^="/login/"] button`),
		chromedp.WaitVisible(`form.signout`),
	); err != nil {
		t.Fatalf("signing in as %s: %v", email, err)
	}
}
