package web

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

var update = flag.Bool("update", false, "rewrite the golden files of testdata/")

// hostileHTML is mail HTML that tries to run script, load something, leave
// the page or cover it. Each must come out inert.
var hostileHTML = []struct{ name, html string }{
	{"script", `<p>hi</p><script>alert(1)</script><SCRIPT SRC=//evil.test/x.js></SCRIPT>`},
	{"onerror", `<img src="x" onerror="alert(1)"><img src="https://img.test/a.png" onload="alert(2)">`},
	{"onmouseover", `<div onmouseover="alert(1)" onclick="alert(2)">hover</div>`},
	{"javascript href", `<a href="javascript:alert(1)">a</a><a href="JaVaScRiPt:alert(2)">b</a><a href=" javascript:alert(3)">c</a><a href="jav&#x09;ascript:alert(4)">d</a>`},
	{"data href", `<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">data</a><img src="data:image/svg+xml;base64,PHN2Zz48L3N2Zz4=">`},
	{"svg", `<svg><a xlink:href="javascript:alert(1)"><text x="0" y="10">svg</text></a><script>alert(2)</script></svg><svg onload="alert(3)"/>`},
	{"style element", `<style>body{display:none} .x{position:fixed;top:0;left:0;width:100%;height:100%}</style><p>text</p>`},
	{"style overlay", `<div style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:white">fake login</div>`},
	{"css url", `<p style="background:url(https://tracker.test/bg.png)">x</p><table background="https://tracker.test/t.png"><tr><td background="https://tracker.test/td.png">y</td></tr></table>`},
	{"css expression", `<p style="width:expression(alert(1))">ie</p><div style="behavior:url(x.htc)">b</div>`},
	{"form", `<form action="https://phish.test/"><input name="password" type="password"><button>Log in</button><textarea></textarea><select><option>a</option></select></form>`},
	{"iframe object embed", `<iframe src="https://evil.test/"></iframe><object data="x.swf"></object><embed src="x.swf"><applet code="x"></applet>`},
	{"meta refresh", `<meta http-equiv="refresh" content="0;url=https://evil.test/"><base href="https://evil.test/"><link rel="stylesheet" href="https://evil.test/s.css">`},
	{"remote image blocked", `<p>Hello</p><img src="https://tracker.test/pixel.gif?u=42" width="1" height="1" alt="">`},
	{"remote image srcset", `<img srcset="https://tracker.test/a.png 1x" src="https://tracker.test/b.png"><picture><source srcset="https://tracker.test/c.png"></picture><video poster="https://tracker.test/p.png"></video>`},
	{"cid image", `<p>Logo:</p><img src="cid:Logo.123@example.test" alt="logo"><img src="cid:unknown@x" alt="missing">`},
	{"relative urls", `<a href="http:">bare</a><img src="https:x.png"><a href="/p/acme/tickets/1">self</a><img src="/api/properties/acme/tickets"><a href="//evil.test/">proto-relative</a>`},
	{"ids and classes", `<div id="live" class="top">x</div><a name="a" id="main">y</a>`},
	{"links", `<a href="https://example.test/page" target="_self">site</a> <a href="mailto:help@example.test">mail</a>`},
	{"tables", `<table width="100%" align="center"><tr><th colspan="2">h</th></tr><tr><td valign="top">a</td><td>b</td></tr></table>`},
}

// TestSanitizeHostileHTML renders each hostile HTML as the ticket page
// does, remote images blocked, and compares with testdata/sanitize.golden
// (go test ./web -run TestSanitizeHostileHTML -update rewrites it).
func TestSanitizeHostileHTML(t *testing.T) {
	cids := map[string]string{"logo.123@example.test": "/api/properties/acme/tickets/1/messages/2/attachments/3"}
	var got strings.Builder
	for _, c := range hostileHTML {
		out, blocked := sanitizeHTML(c.html, bodyOptions{CIDs: cids})
		fmt.Fprintf(&got, "== %s (remote blocked: %v)\n%s\n", c.name, blocked, out)
		for _, bad := range []string{"<script", "onerror", "onload", "onmouseover", "onclick", "javascript:", "data:",
			"style", "<form", "<input", "<iframe", "<object", "<embed", "<meta", "<base", "<link", "<svg",
			"tracker.test", "evil.test", "phish.test", "expression(", "id=", "class=", `href="/`, `/api/properties/acme/tickets"`} {
			if strings.Contains(strings.ToLower(string(out)), bad) {
				t.Errorf("%s: sanitised HTML holds %q:\n%s", c.name, bad, out)
			}
		}
	}
	golden(t, "sanitize.golden", got.String())
}

// TestSanitizeRemoteImagesOnRequest: a remote image is blocked until the
// member asks for the message's images, and then shown as it was.
func TestSanitizeRemoteImagesOnRequest(t *testing.T) {
	const in = `<img src="https://tracker.test/pixel.gif?u=42" alt="">`
	z := newSanitizer() // one per page: what one message asks does not carry to the next
	for _, c := range []struct {
		remote      bool
		want        string
		wantBlocked bool
	}{
		{false, `src="/static/remote-image.svg"`, true},
		{true, `src="https://tracker.test/pixel.gif?u=42"`, false},
		{false, `src="/static/remote-image.svg"`, true},
	} {
		out, blocked := z.sanitize(in, bodyOptions{Remote: c.remote})
		if !strings.Contains(string(out), c.want) || blocked != c.wantBlocked {
			t.Errorf("sanitizeHTML(remote=%v) = %s, blocked %v; want %s, blocked %v", c.remote, out, blocked, c.want, c.wantBlocked)
		}
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to write it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

// FuzzSanitizeHTML: whatever the HTML, what comes out, parsed as a
// browser would, holds no script, style, frame or form element, no event
// handler or style attribute, and no URL but http, https, mailto or a
// blocked image's.
func FuzzSanitizeHTML(f *testing.F) {
	for _, c := range hostileHTML {
		f.Add(c.html)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := sanitizeHTML(in, bodyOptions{})
		if err := inert(string(out)); err != nil {
			t.Fatalf("sanitizeHTML(%q) = %s: %v", in, out, err)
		}
	})
}

// inert checks sanitised HTML as a browser's tokenizer reads it.
func inert(s string) error {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "script", "style", "iframe", "object", "embed", "form", "input", "button", "textarea", "meta",
				"link", "base", "svg", "math", "frame", "frameset":
				return fmt.Errorf("element %s", tok.Data)
			}
			for _, a := range tok.Attr {
				k := strings.ToLower(a.Key)
				switch {
				case strings.HasPrefix(k, "on"), k == "style", k == "id", k == "class", k == "srcset", k == "background":
					return fmt.Errorf("attribute %s on %s", a.Key, tok.Data)
				case k == "href" || k == "src" || k == "cite":
					if a.Val != remoteImage && !strings.HasPrefix(a.Val, "https://") && !strings.HasPrefix(a.Val, "http://") &&
						!strings.HasPrefix(a.Val, "mailto:") && !strings.HasPrefix(a.Val, "cid:") {
						return fmt.Errorf("%s=%q on %s", a.Key, a.Val, tok.Data)
					}
					if k == "src" && a.Val != remoteImage {
						return fmt.Errorf("remote image %q not blocked", a.Val)
					}
				}
			}
		}
	}
}
