package web

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ingest"
	"github.com/postdesk/postdesk/threading"
	"golang.org/x/net/html"
)

// browserResolve is where a browser goes for a Location header sent by
// the inbox at base: the WHATWG URL parser drops every ASCII tab and
// newline from the input first (URL Standard §4.4, basic URL parser), so
// "/\t/evil.example" is "//evil.example", another host.
func browserResolve(t *testing.T, base, location string) *url.URL {
	t.Helper()
	clean := strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' {
			return -1
		}
		return r
	}, strings.Trim(location, "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f "))
	b, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u, err := b.Parse(strings.ReplaceAll(clean, `\`, "/"))
	if err != nil {
		return b // unparsable: a browser stays
	}
	return u
}

// hostileNext are next= values meant to send a member elsewhere after
// signing in.
var hostileNext = []string{
	"//evil.example/",
	"https://evil.example/",
	"/\\evil.example/",
	"/\t/evil.example/",
	"/\n/evil.example/",
	"\t//evil.example/",
	"/\t\\evil.example/",
	"javascript:alert(1)",
	"/%09/evil.example/",
}

// TestSignInNextStaysOnSite: whatever next= a sign-in link carries, the
// browser lands on the inbox's own host once the link is spent.
func TestSignInNextStaysOnSite(t *testing.T) {
	f := newPageFixture(t)
	base, _ := url.Parse(f.srv.URL)
	for _, next := range hostileNext {
		secret, ok, err := f.st.CreateLoginLink(context.Background(), "alice@acme.test", time.Hour, 100)
		if err != nil || !ok {
			t.Fatalf("login link: %v %v", ok, err)
		}
		form := url.Values{"csrf": {"tok"}, "next": {next}}
		req, _ := http.NewRequest("POST", f.srv.URL+"/login/"+secret, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.AddCookie(&http.Cookie{Name: loginCookie, Value: "tok"})
		// The transport, not a client: a client refuses to read a
		// Location with a control character that browsers follow.
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("next=%q: sign-in = %d, want 303", next, resp.StatusCode)
		}
		loc := resp.Header.Get("Location")
		if u := browserResolve(t, f.srv.URL, loc); u.Host != base.Host || u.Scheme != base.Scheme {
			t.Errorf("next=%q: Location %q takes a browser to %s", next, loc, u)
		}
	}
}

// boxBreakers are mail HTML meant to leave the box the ticket page shows
// it in: to close the page's elements and write beside them (a forged
// note in the timeline), or to leave one of its own open around the rest
// of the page (a link over every later message, a table that takes the
// page's forms apart).
var boxBreakers = []struct{ name, html string }{
	{"closing tags", `hi</div></li></ol></section><p>ESCAPED forged note</p>`},
	{"stray end of body", `hi</body></html><p>ESCAPED after the end</p>`},
	{"open link", `<a href="https://evil.example/">click ESCAPED`},
	{"open table", `<table><tr><td>ESCAPED`},
	{"open list and quote", `<ul><li><blockquote><b><i>ESCAPED`},
	{"close then open", `</div><div>ESCAPED`},
	{"orphan li", `<div><li>ESCAPED forged entry</li></div>`},
	{"orphan dt dd", `<dt>ESCAPED<dd>ESCAPED`},
}

// TestSanitizedHTMLStaysInItsBox: whatever a mail's HTML, once sanitised
// and put in the ticket page's box as the template does, a browser's
// parser keeps all of it inside the box and none of the page around it:
// the element after the box stays its sibling, outside any link of the
// mail, and the page's form keeps its field.
func TestSanitizedHTMLStaysInItsBox(t *testing.T) {
	for _, c := range boxBreakers {
		out, _ := sanitizeHTML(c.html, bodyOptions{})
		if err := staysInBox(string(out)); err != nil {
			t.Errorf("%s: %v; sanitised: %s", c.name, err, out)
		}
	}
}

// FuzzSanitizedHTMLStaysInItsBox: whatever the HTML, sanitised it stays
// in its box.
func FuzzSanitizedHTMLStaysInItsBox(f *testing.F) {
	for _, c := range append(boxBreakers, hostileHTML...) {
		f.Add(c.html)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, _ := sanitizeHTML(in, bodyOptions{})
		if err := staysInBox(string(out)); err != nil {
			t.Fatalf("sanitizeHTML(%q) = %s: %v", in, out, err)
		}
	})
}

// staysInBox puts sanitised HTML in a page as the ticket page does and
// parses it as a browser does: the element after the box must stay its
// sibling, outside any link of the mail, the page's form must keep its
// place and field, and the mail's text must all be inside the box.
func staysInBox(out string) error {
	const mark = "ESCAPED"
	page := `<!doctype html><html><body><section><ol><li><div class="mailbody">` + out +
		`</div><p id="after">after</p></li></ol></section><form id="f"><input name="csrf"></form></body></html>`
	doc, err := html.Parse(strings.NewReader(page))
	if err != nil {
		return err
	}
	box, after, form := findNode(doc, "class", "mailbody"), findNode(doc, "id", "after"), findNode(doc, "id", "f")
	if box == nil || after == nil || form == nil {
		return fmt.Errorf("the page's elements are gone (box %v, after %v, form %v)", box != nil, after != nil, form != nil)
	}
	if after.Parent != box.Parent || box.Parent.Data != "li" {
		return fmt.Errorf("the element after the box moved (parent %s, box's %s)", after.Parent.Data, box.Parent.Data)
	}
	for n := after; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && n.Data == "a" {
			return fmt.Errorf("the page after the box is inside the mail's link")
		}
	}
	if form.Parent == nil || form.Parent.Data != "body" || form.FirstChild == nil {
		return fmt.Errorf("the page's form lost its place or its field")
	}
	for _, txt := range textNodes(doc, mark) {
		if !inside(txt, box) {
			return fmt.Errorf("mail text is outside its box")
		}
	}
	return nil
}

// findNode is the first element whose attribute key has the value.
func findNode(n *html.Node, key, val string) *html.Node {
	if n.Type == html.ElementNode {
		for _, a := range n.Attr {
			if a.Key == key && a.Val == val {
				return n
			}
		}
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		if f := findNode(ch, key, val); f != nil {
			return f
		}
	}
	return nil
}

func textNodes(n *html.Node, sub string) []*html.Node {
	var out []*html.Node
	if n.Type == html.TextNode && strings.Contains(n.Data, sub) {
		out = append(out, n)
	}
	for ch := n.FirstChild; ch != nil; ch = ch.NextSibling {
		out = append(out, textNodes(ch, sub)...)
	}
	return out
}

func inside(n, box *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == box {
			return true
		}
	}
	return false
}

// TestTicketPageBoundsMailHTML: a customer who sends many long HTML mails
// to one ticket does not make its page cost seconds to every agent: the
// page sanitises at most maxPageHTML of HTML (the newest first), a mail
// over maxMessageHTML is shown as text with a link, and that link shows
// its HTML.
func TestTicketPageBoundsMailHTML(t *testing.T) {
	f := newPageFixture(t)
	keys, err := threading.NewKeys(1, map[uint8][]byte{1: []byte("test key of 16+ bytes")})
	if err != nil {
		t.Fatal(err)
	}
	pipe := ingest.New(ingest.Options{Store: f.st, Keys: keys, InstanceID: "web-test"})
	dense := func(n int) string { return strings.Repeat("<b>x</b>", n/8) } // some 0.4 s a MiB
	mail := func(i int, html string) []byte {
		return []byte("From: Carol <carol@customer.test>\r\nTo: support@acme.test\r\nSubject: Re: Invoice\r\n" +
			"Message-ID: <big" + itoa(int64(i)) + "@customer.test>\r\nIn-Reply-To: <inv@customer.test>\r\n" +
			"MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
			"--b\r\nContent-Type: text/plain\r\n\r\nTEXT-" + itoa(int64(i)) + "\r\n" +
			"--b\r\nContent-Type: text/html\r\n\r\n<p>HTML-" + itoa(int64(i)) + "</p>" + html + "\r\n--b--\r\n")
	}
	const small, over = 8, 3 // 8 of 200 KiB (1.6 MiB), then 3 of 900 KiB
	for i := range small + over {
		size := 200 << 10
		if i >= small {
			size = 900 << 10
		}
		if err := pipe.Deliver(context.Background(), "carol@customer.test", []string{"support@acme.test"}, mail(i, dense(size))); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	got := f.do(f.agent, "GET", "/p/acme/tickets/1", nil, false)
	took := time.Since(start)
	if got.status != http.StatusOK {
		t.Fatalf("ticket page = %d", got.status)
	}
	t.Logf("ticket page with %d MiB of mail HTML: %v", (small*200+over*900)>>10, took)
	asHTML := strings.Count(got.body, `<div class="mailbody">`)
	if want := maxPageHTML / ((200 << 10) + 20); asHTML > want || asHTML == 0 {
		t.Errorf("the page shows %d mails as HTML, want 1 to %d (within %d bytes)", asHTML, want, maxPageHTML)
	}
	for i := small; i < small+over; i++ {
		if strings.Contains(got.body, "HTML-"+itoa(int64(i))) || !strings.Contains(got.body, "TEXT-"+itoa(int64(i))) {
			t.Errorf("mail %d of 900 KiB: not shown as its text", i)
		}
	}
	if !strings.Contains(got.body, "HTML-"+itoa(small-1)) {
		t.Errorf("the newest small mail is not shown as HTML")
	}
	// The link of the newest long mail (the page's last) shows its HTML.
	i := strings.LastIndex(got.body, `class="show-html" href="`)
	if i < 0 {
		t.Fatalf("no link to a long mail's HTML")
	}
	href := got.body[i+len(`class="show-html" href="`):]
	href = strings.ReplaceAll(href[:strings.Index(href, `"`)], "&amp;", "&")
	one := f.do(f.agent, "GET", href, nil, false)
	if one.status != http.StatusOK || !strings.Contains(one.body, "<p>HTML-"+itoa(small+over-1)+"</p>") {
		t.Errorf("GET %s = %d, want the long mail's HTML shown", href, one.status)
	}
}

// endless is a multipart body that goes on (one file part of up to n
// bytes), counting what was read of it.
type endless struct {
	head, tail string
	n, read    int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.read >= e.n+int64(len(e.head)+len(e.tail)) {
		return 0, io.EOF
	}
	for i := range p {
		switch at := e.read; {
		case at < int64(len(e.head)):
			p[i] = e.head[at]
		case at < int64(len(e.head))+e.n:
			p[i] = 'x'
		case at < e.n+int64(len(e.head)+len(e.tail)):
			p[i] = e.tail[at-int64(len(e.head))-e.n]
		default:
			return i, nil
		}
		e.read++
	}
	return len(p), nil
}

// TestFormBodiesBounded: a form the inbox does not take files on reads a
// bounded body, whoever posts it: before, anyone could post sign-in (no
// session needed) or an admin form a multipart body of any size, which
// net/http wrote to temporary files on the gateway's disk while reading.
func TestFormBodiesBounded(t *testing.T) {
	f := newPageFixture(t)
	const size = 256 << 20
	for _, path := range []string{"/login", "/login/secret", "/login/password", "/account/password", "/p/acme/admin/topics", "/p/acme/contacts/carol@customer.test/note", "/logout"} {
		body := &endless{head: "--b\r\nContent-Disposition: form-data; name=\"csrf\"; filename=\"a\"\r\n\r\n", tail: "\r\n--b--\r\n", n: size}
		req, err := http.NewRequest("POST", f.srv.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = -1
		req.Header.Set("Content-Type", "multipart/form-data; boundary=b")
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.admin.secret})
		req.AddCookie(&http.Cookie{Name: loginCookie, Value: "tok"})
		req.Header.Set("X-CSRF-Token", f.admin.csrf)
		resp, err := http.DefaultTransport.RoundTrip(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
		t.Logf("POST %s: read %d KiB, err %v", path, body.read>>10, err)
		if body.read > 16<<20 {
			t.Errorf("POST %s: the server read %d MiB of a form's body", path, body.read>>20)
		}
	}
}
