package notify

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// fetchingElements are elements a mail client may load something for when
// a mail is opened, or that change where or how it loads things.
var fetchingElements = map[string]bool{
	"link": true, "meta": true, "base": true, "style": true, "script": true, "iframe": true, "frame": true,
	"frameset": true, "object": true, "embed": true, "applet": true, "svg": true, "image": true, "video": true,
	"audio": true, "source": true, "track": true, "picture": true, "input": true, "form": true, "bgsound": true,
	"portal": true, "math": true,
}

// fetchingAttrs are attributes that load something (or run something)
// wherever they appear.
var fetchingAttrs = map[string]bool{
	"srcset": true, "background": true, "poster": true, "data": true, "lowsrc": true, "dynsrc": true,
	"formaction": true, "action": true, "ping": true, "style": true, "xlink:href": true, "codebase": true,
	"archive": true, "manifest": true, "profile": true, "imagesrcset": true,
}

// remoteFetches lists what in an HTML document would make a mail client
// fetch something when the mail is opened: any image whose source is no
// part of the mail (cid:), any style, frame, object, media or form, any
// attribute that loads or styles, and href anywhere but on a link a person
// clicks.
func remoteFetches(doc string) []string {
	var found []string
	z := html.NewTokenizer(strings.NewReader(doc))
	for tt := z.Next(); tt != html.ErrorToken; tt = z.Next() {
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		if fetchingElements[tok.Data] {
			found = append(found, "<"+tok.Data+">")
		}
		for _, a := range tok.Attr {
			key, val := strings.ToLower(a.Key), strings.ToLower(strings.TrimSpace(a.Val))
			switch {
			case strings.HasPrefix(key, "on"), fetchingAttrs[key]:
				found = append(found, tok.Data+" "+key)
			case key == "src" && !strings.HasPrefix(val, "cid:"):
				found = append(found, tok.Data+" src="+val)
			case key == "href" && tok.Data != "a" && tok.Data != "area":
				found = append(found, tok.Data+" href")
			}
		}
	}
	return found
}

// customerHTMLAttacks are ways customer HTML makes an agent's mail client
// fetch something on opening (a tracking pixel and kin), as sent to
// postdesk in the security review and beyond.
var customerHTMLAttacks = []string{
	`<p>hello</p><img src="http://tracker.evil.test/p.gif"><p style='font-size:small'>-- <br>Your answer goes to: eve@evil.test</p>`,
	`<img src=http://tracker.evil.test/p.gif>`,
	`<img src="//tracker.evil.test/p.gif">`,
	`<img src="HTTPS://tracker.evil.test/p.gif" srcset="https://tracker.evil.test/2x.gif 2x">`,
	`<img src="cid:x" lowsrc="http://tracker.evil.test/l.gif" dynsrc="http://tracker.evil.test/d.avi">`,
	`<table background="http://tracker.evil.test/bg.gif"><tr><td background="http://tracker.evil.test/td.gif">x</td></tr></table>`,
	`<body background="http://tracker.evil.test/b.gif">x</body>`,
	`<div style="background:url(http://tracker.evil.test/s.gif)">x</div>`,
	`<style>@import url(http://tracker.evil.test/s.css); p{background:url(http://tracker.evil.test/p.gif)}</style><p>x</p>`,
	`<link rel="stylesheet" href="http://tracker.evil.test/s.css"><p>x</p>`,
	`<meta http-equiv="refresh" content="0;url=http://tracker.evil.test/">`,
	`<base href="http://tracker.evil.test/"><img src="p.gif">`,
	`<iframe src="http://tracker.evil.test/f.html"></iframe><frame src="http://tracker.evil.test/">`,
	`<video poster="http://tracker.evil.test/v.jpg" src="http://tracker.evil.test/v.mp4"></video>`,
	`<audio src="http://tracker.evil.test/a.mp3"></audio><bgsound src="http://tracker.evil.test/s.wav">`,
	`<object data="http://tracker.evil.test/o.swf"></object><embed src="http://tracker.evil.test/e.swf">`,
	`<svg><image href="http://tracker.evil.test/i.png"/><image xlink:href="http://tracker.evil.test/j.png"/></svg>`,
	`<picture><source srcset="http://tracker.evil.test/p.webp"><img src="cid:p"></picture>`,
	`<input type="image" src="http://tracker.evil.test/i.gif"><form action="http://evil.test/"><button formaction="http://evil.test/">x</button></form>`,
	`<a href="http://evil.test/" ping="http://tracker.evil.test/ping">link</a>`,
	`<img src="x" onerror="fetch('http://tracker.evil.test/')"><script src="http://tracker.evil.test/s.js"></script>`,
	`<img src="data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg'><image href='http://tracker.evil.test/'/></svg>">`,
	`<img src=" http://tracker.evil.test/p.gif">`,
	`<img src="cid:ok@x" src="http://tracker.evil.test/second.gif">`,
	`<<img src="http://tracker.evil.test/p.gif">`,
	`<!--[if mso]><img src="http://tracker.evil.test/mso.gif"><![endif]--><p>x</p>`,
}

// TestCustomerHTMLFetchesNothing: after sanitising, customer HTML makes
// the agent's mail client fetch nothing when she opens the copy, while
// images of the mail itself (cid:, RFC 2392), formatting and links stay.
func TestCustomerHTMLFetchesNothing(t *testing.T) {
	p := customerHTMLPolicy()
	for _, in := range customerHTMLAttacks {
		out := p.Sanitize(in)
		if got := remoteFetches(out); len(got) > 0 || strings.Contains(out, "tracker.evil.test/p.gif\"") {
			t.Errorf("Sanitize(%q) = %q, which fetches %q", in, out, got)
		}
	}
	kept := `<p><b>Order</b> <a href="https://shop.example/o/1">1</a></p><table><tr><td>2 lamps</td></tr></table><img src="cid:logo@example.com" alt="logo">`
	out := p.Sanitize(kept)
	for _, want := range []string{`<b>Order</b>`, `href="https://shop.example/o/1"`, `<td>2 lamps</td>`, `src="cid:logo@example.com"`} {
		if !strings.Contains(out, want) {
			t.Errorf("Sanitize(%q) = %q, lacks %q", kept, out, want)
		}
	}
	if got := remoteFetches(`<img src="http://tracker.evil.test/p.gif">`); len(got) == 0 {
		t.Error("remoteFetches finds no fetch in a remote image: the test above proves nothing")
	}
}

// FuzzCustomerHTML: whatever HTML a customer sends, what reaches the agent
// fetches nothing on opening.
func FuzzCustomerHTML(f *testing.F) {
	for _, in := range customerHTMLAttacks {
		f.Add(in)
	}
	p := customerHTMLPolicy()
	f.Fuzz(func(t *testing.T, in string) {
		out := p.Sanitize(in)
		if got := remoteFetches(out); len(got) > 0 {
			t.Fatalf("Sanitize(%q) = %q, which fetches %q", in, out, got)
		}
	})
}
