package main

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// tracker is the remote host a hostile mail's images, styles, forms and
// refreshes point at: it records every request it receives.
type tracker struct {
	mu    sync.Mutex
	paths []string
	srv   *httptest.Server
}

func startTracker(t *testing.T) *tracker {
	tr := &tracker{}
	gif, _ := base64.StdEncoding.DecodeString("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
	tr.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tr.mu.Lock()
		tr.paths = append(tr.paths, r.URL.Path)
		tr.mu.Unlock()
		w.Header().Set("Content-Type", "image/gif")
		w.Write(gif)
	}))
	t.Cleanup(tr.srv.Close)
	return tr
}

func (tr *tracker) requests() []string {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	return append([]string(nil), tr.paths...)
}

// hostileMail is an HTML mail with every trick of the issue: script
// elements, event handlers, javascript: links (also in SVG), a style
// element and a fixed overlay, CSS url(), a form, an iframe, a meta
// refresh, a remote tracking image, and an inline cid: image.
func hostileMail(t *testing.T, trackerURL string) string {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	img.Set(1, 1, color.Black)
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	html := strings.ReplaceAll(`<html><head><meta http-equiv="refresh" content="0;url=TR/refresh">
<style>body{display:none} .x{position:fixed}</style><link rel="stylesheet" href="TR/sheet.css"></head>
<body><script>alert('script')</script>
<p>Dear support, <b>see below</b>.</p>
<img src="TR/broken.gif" onerror="alert('onerror')" onload="alert('onload')">
<a id="jslink" href="javascript:alert('href')">click me</a>
<svg width="50" height="20"><a xlink:href="javascript:alert('svg')"><text x="0" y="15">svg link</text></a></svg>
<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:red">COVER</div>
<p style="background:url(TR/css-url.png)">styled</p>
<form action="TR/form"><input name="password" type="password"><button>Log in</button></form>
<iframe src="TR/frame"></iframe><object data="TR/object"></object>
<img src="TR/pixel.gif?u=zoe" alt="pixel" width="1" height="1">
<img src="cid:logo@customer.test" alt="logo">
</body></html>`, "TR", trackerURL)
	return "From: Zoe <zoe@customer.test>\r\nTo: support@acme.test\r\nSubject: Hostile mail\r\nMessage-ID: <hostile@customer.test>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: multipart/related; boundary=\"rel\"\r\n\r\n" +
		"--rel\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + strings.ReplaceAll(html, "\n", "\r\n") + "\r\n" +
		"--rel\r\nContent-Type: image/png\r\nContent-ID: <logo@customer.test>\r\nContent-Disposition: inline; filename=\"logo.png\"\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString(b.Bytes()) + "\r\n--rel--\r\n"
}

// TestWebHostileMailInert: a hostile HTML mail sent over SMTP renders
// inert in a real browser: no dialog opens, no request reaches the
// tracker host, nothing of it covers the page, its cid: image shows; and
// only once "Show remote images" is clicked does the tracking image load.
func TestWebHostileMailInert(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data)
	tr := startTracker(t)
	mustSend(t, srv.addr, "zoe@customer.test", []string{"support@acme.test"}, hostileMail(t, tr.srv.URL))

	ctx := newBrowser(t)
	var mu sync.Mutex
	var dialogs []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if d, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			mu.Lock()
			dialogs = append(dialogs, d.Message)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	noDialog := func(when string) {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(dialogs) > 0 {
			t.Fatalf("%s: dialogs opened: %q", when, dialogs)
		}
	}
	signIn(t, ctx, srv, data, "alice@acme.test")
	ticketURL := srv.apiURL(t) + "/p/acme/tickets/1"
	if err := chromedp.Do(ctx,
		chromedp.Navigate(ticketURL),
		chromedp.WaitVisible(`.mailbody`),
		chromedp.Poll[chromedp.Void](`Array.from(document.images).every(i => i.complete)`),
		chromedp.Sleep(300*time.Millisecond), // a refresh or late load would show by now
	); err != nil {
		t.Fatal(err)
	}
	noDialog("on loading the page")
	if got := tr.requests(); len(got) > 0 {
		t.Errorf("the tracker received %q before images were asked for", got)
	}
	if logo := mustEval[int](t, ctx, `document.querySelector('.mailbody img[alt=logo]').naturalWidth`); logo != 8 {
		t.Errorf("the cid: image is %d pixels wide, want 8 (shown from the mail's part)", logo)
	}
	// Nothing of the mail is positioned out of its box, and the answer box
	// is what a click on it reaches.
	if n := mustEval[int](t, ctx, `Array.from(document.querySelectorAll('.mailbody *')).filter(e => getComputedStyle(e).position !== 'static').length`); n != 0 {
		t.Errorf("%d elements of the mail are positioned", n)
	}
	if top := mustEval[string](t, ctx, `(() => { const a = document.getElementById('answer-text'); a.scrollIntoView({block: 'center'});
		const r = a.getBoundingClientRect(); return document.elementFromPoint(r.left + r.width/2, r.top + r.height/2).id; })()`); top != "answer-text" {
		t.Errorf("the answer box is covered by %q", top)
	}
	if n := mustEval[int](t, ctx, `document.querySelectorAll('.mailbody script, .mailbody style, .mailbody form, .mailbody iframe, .mailbody object, .mailbody svg, .mailbody [style], [href^="javascript:" i]').length`); n != 0 {
		t.Errorf("%d hostile elements or attributes reached the page", n)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`.mailbody`), chromedp.Sleep(200*time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	noDialog("after clicking the mail")
	if got := mustEval[string](t, ctx, `location.pathname`); got != "/p/acme/tickets/1" {
		t.Errorf("the page moved to %s", got)
	}

	// Asked, the remote image loads; still no dialog.
	if err := chromedp.Do(ctx, chromedp.Click(`a.show-images`), chromedp.WaitNotPresent(`a.show-images`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(strings.Join(tr.requests(), " "), "/pixel.gif") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := tr.requests(); !strings.Contains(strings.Join(got, " "), "/pixel.gif") {
		t.Errorf("after Show remote images the tracker received %q, want the pixel", got)
	}
	noDialog("after showing remote images")
	for _, p := range tr.requests() {
		if p != "/pixel.gif" && p != "/broken.gif" {
			t.Errorf("the tracker received %s: only images may load, and only when asked", p)
		}
	}
}
