package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
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
