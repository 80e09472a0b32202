package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/store"
)

func TestSafeNext(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", "/"},
		{"/p/acme/", "/p/acme/"},
		{"/p/acme/tickets?folder=open", "/p/acme/tickets?folder=open"},
		{"https://evil.example/", "/"},
		{"//evil.example", "/"},
		{"/\\evil.example", "/"},
		{"/\t/evil.example", "/"}, // browsers drop the tab: //evil.example
		{"/\n/evil.example", "/"},
		{"/\x00/evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"p/acme", "/"},
	} {
		if got := safeNext(c.in); got != c.want {
			t.Errorf("safeNext(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestNextIsNeverAnotherSite: whatever next= a link or form carries, the
// redirect after signing in stays on the inbox's host.
func TestNextIsNeverAnotherSite(t *testing.T) {
	f := newFixture(t, "", 0)
	for _, next := range []string{"//evil.example/x", "/\t/evil.example", "https://evil.example", "/\\evil.example"} {
		b := f.browser()
		secret := f.link("alice@acme.test")
		confirm := b.get("/login/" + secret + "?next=" + url.QueryEscape(next))
		p := b.post("/login/"+secret, url.Values{"csrf": {confirm.csrf()}, "next": {next}})
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: %d Location %q, want 303 to /", next, p.status, loc)
		}
	}
}

// TestLinkWorksOnceAndExpires: a sign-in link opens one session, and none
// after 15 minutes; merely opening it (a mail scanner) spends nothing.
func TestLinkWorksOnceAndExpires(t *testing.T) {
	f := newFixture(t, "", 0)
	b := f.browser()
	secret := f.link("alice@acme.test")
	b.get("/login/" + secret) // a scanner's visit
	if p := b.useLink(secret); p.status != http.StatusSeeOther {
		t.Fatalf("first use: %d, want 303", p.status)
	}
	if p := f.browser().useLink(secret); p.status != http.StatusGone {
		t.Errorf("second use: %d, want 410", p.status)
	}
	late := f.link("alice@acme.test")
	f.advance(desk.SignInLinkTTL + time.Second)
	if p := f.browser().useLink(late); p.status != http.StatusGone {
		t.Errorf("use after %s: %d, want 410", desk.SignInLinkTTL, p.status)
	}
}

// TestLinkFormTellsNoOne: the form answers a member and a stranger alike,
// and still alike past the member's limit of links per hour, which holds.
func TestLinkFormTellsNoOne(t *testing.T) {
	f := newFixture(t, "", 0)
	ask := func(email string) answer {
		b := f.browser()
		form := b.get("/login")
		p := b.post("/login", url.Values{"csrf": {form.csrf()}, "email": {email}})
		if tok := p.csrf(); tok != "" {
			p.body = strings.ReplaceAll(p.body, tok, "TOKEN")
		}
		p.body = strings.ReplaceAll(p.body, email, "EMAIL")
		return p
	}
	stranger := ask("mallory@elsewhere.test")
	for i := 1; i <= linksPerHour+2; i++ {
		member := ask("alice@acme.test")
		if member.status != stranger.status || member.body != stranger.body {
			t.Fatalf("request %d: a member's answer (%d) differs from a stranger's (%d):\n%s\n---\n%s",
				i, member.status, stranger.status, member.body, stranger.body)
		}
	}
	ask("boss@acme.test") // Run takes requests in order: once boss has his link, alice's are done
	f.run()
	rows := f.waitOutbox(linksPerHour + 1)
	rows = slices.DeleteFunc(rows, func(r store.OutboxRow) bool { return r.Rcpt == "boss@acme.test" })
	if len(rows) != linksPerHour {
		t.Errorf("%d sign-in mails queued for %d requests, want %d", len(rows), linksPerHour+2, linksPerHour)
	}
	for _, r := range rows {
		if r.Rcpt != "alice@acme.test" || !strings.Contains(r.Body, f.srv.URL+"/login/") {
			t.Errorf("queued mail to %s: %q", r.Rcpt, r.Body)
		}
	}
}

// TestLinkFormAnswersFirst: the form's answer comes before anything
// about the address is looked up (the lookup and the mail follow, in
// Run), so that a member's answer takes no longer than a stranger's.
func TestLinkFormAnswersFirst(t *testing.T) {
	f := newFixture(t, "", 0)
	b := f.browser()
	form := b.get("/login")
	if p := b.post("/login", url.Values{"csrf": {form.csrf()}, "email": {"alice@acme.test"}}); p.status != http.StatusOK {
		t.Fatalf("asking for a link: %d", p.status)
	}
	if rows, err := f.st.Outbox(context.Background(), f.acme.ID, ""); err != nil || len(rows) != 0 {
		t.Fatalf("the answer waited for the mail to be queued (%d rows, %v)", len(rows), err)
	}
	f.run()
	if rows := f.waitOutbox(1); len(rows) != 1 || rows[0].Rcpt != "alice@acme.test" {
		t.Errorf("after Run: %d rows, want the link to alice", len(rows))
	}
}

// TestLoginCSRF: another site cannot spend a link in a victim's browser
// (signing her in to the attacker's session): the confirm form's token
// must match the browser's own pre-session cookie.
func TestLoginCSRF(t *testing.T) {
	f := newFixture(t, "", 0)
	secret := f.link("alice@acme.test")
	attacker := f.browser()
	token := attacker.get("/login/" + secret).csrf()
	victim := f.browser()
	victim.get("/login") // she has a cookie of her own
	for name, form := range map[string]url.Values{"no token": {}, "the attacker's token": {"csrf": {token}}} {
		if p := victim.post("/login/"+secret, form); p.status != http.StatusForbidden || victim.cookie(sessionCookie) != nil {
			t.Errorf("%s: %d, session cookie %v; want 403 and none", name, p.status, victim.cookie(sessionCookie))
		}
	}
	if p := attacker.useLink(secret); p.status != http.StatusSeeOther {
		t.Errorf("the refused posts spent the link: %d", p.status)
	}
}

// TestSessionCookieFlags: HttpOnly and SameSite=Lax always, Secure when
// the inbox's public address is https.
func TestSessionCookieFlags(t *testing.T) {
	for _, c := range []struct {
		base   string
		secure bool
	}{{"", false}, {"https://desk.acme.test", true}} {
		f := newFixture(t, c.base, 0)
		b := f.browser()
		resp := b.useLink(f.link("alice@acme.test"))
		var got *http.Cookie
		for _, ck := range (&http.Response{Header: resp.header}).Cookies() {
			if ck.Name == sessionCookie {
				got = ck
			}
		}
		if got == nil {
			t.Fatalf("base %q: no session cookie: %v", c.base, resp.header)
		}
		if !got.HttpOnly || got.SameSite != http.SameSiteLaxMode || got.Secure != c.secure || got.Path != "/" {
			t.Errorf("base %q: cookie %s, want HttpOnly, SameSite=Lax, Secure=%v, Path=/", c.base, got.String(), c.secure)
		}
	}
}

// TestSignOutEndsSession: after signing out, the old cookie, replayed,
// opens nothing.
func TestSignOutEndsSession(t *testing.T) {
	f := newFixture(t, "", 0)
	b := f.browser()
	csrf := b.signIn("alice@acme.test")
	old := b.cookie(sessionCookie).Value
	if p := b.post("/logout", url.Values{"csrf": {csrf}}); p.status != http.StatusSeeOther {
		t.Fatalf("sign out: %d", p.status)
	}
	replay := f.browser()
	u, _ := url.Parse(f.srv.URL)
	replay.c.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: old, Path: "/"}})
	if p := replay.get("/p/acme/"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/login") {
		t.Errorf("the signed-out cookie: %d %s, want a redirect to /login", p.status, p.header.Get("Location"))
	}
}

// TestSessionSlidesAndExpires: a session in use moves its end on; one
// left unused for its whole lifetime is over.
func TestSessionSlidesAndExpires(t *testing.T) {
	f := newFixture(t, "", 3*time.Hour)
	b := f.browser()
	b.signIn("alice@acme.test")
	for i := 0; i < 4; i++ { // 4 × 2h = 8h of use, beyond the 3h lifetime
		f.advance(2 * time.Hour)
		if p := b.get("/p/acme/"); p.status != http.StatusOK {
			t.Fatalf("after %dh of use: %d, want 200", 2*(i+1), p.status)
		}
	}
	f.advance(3*time.Hour + time.Second)
	if p := b.get("/p/acme/"); p.status != http.StatusSeeOther {
		t.Errorf("after 3h unused: %d, want a redirect to sign in", p.status)
	}
	// Run's hourly housekeeping deletes it.
	if err := f.st.PurgeSessions(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n, err := f.st.Count(context.Background(), "web_sessions"); err != nil || n != 0 {
		t.Errorf("after the purge: %d sessions (%v), want 0", n, err)
	}
}

// TestPagesCarryServerTiming: every page says how long the server took.
func TestPagesCarryServerTiming(t *testing.T) {
	f := newFixture(t, "", 0)
	b := f.browser()
	b.signIn("alice@acme.test")
	for _, path := range []string{"/p/acme/", "/account", "/p/other/"} {
		p := b.get(path)
		if st := p.header.Get("Server-Timing"); !strings.HasPrefix(st, "app;dur=") {
			t.Errorf("GET %s (%d): Server-Timing %q", path, p.status, st)
		}
	}
}
