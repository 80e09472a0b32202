package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// tryPassword posts the password form from a fresh browser.
func (f *fixture) tryPassword(email, password string) (*visitor, answer) {
	f.t.Helper()
	b := f.browser()
	form := b.get("/login")
	return b, b.post("/login/password", url.Values{"csrf": {form.csrf()}, "email": {email}, "password": {password}})
}

// TestPasswordSignIn: a member's password signs her in; a wrong one, a
// member without one and a stranger get one and the same answer.
func TestPasswordSignIn(t *testing.T) {
	f := newFixture(t, "", 0)
	if err := f.desk.SetPassword(context.Background(), "alice@acme.test", "correct horse battery", 0); err != nil {
		t.Fatal(err)
	}
	b, p := f.tryPassword("alice@acme.test", "correct horse battery")
	if p.status != http.StatusSeeOther || b.get("/p/acme/").status != http.StatusOK {
		t.Fatalf("right password: %d, then no inbox", p.status)
	}
	norm := func(p answer, email string) string {
		return strings.ReplaceAll(strings.ReplaceAll(p.body, p.csrf(), "TOKEN"), email, "EMAIL")
	}
	_, want := f.tryPassword("alice@acme.test", "wrong horse battery")
	for _, email := range []string{"boss@acme.test", "mallory@elsewhere.test"} {
		_, got := f.tryPassword(email, "wrong horse battery")
		if got.status != want.status || norm(got, email) != norm(want, "alice@acme.test") {
			t.Errorf("%s: %d, a different answer from a member's wrong password (%d)", email, got.status, want.status)
		}
	}
	if want.status != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", want.status)
	}
}

// TestPasswordFailuresLimited: after 10 failures for an address, even
// its right password is refused for the hour, and a stranger's address
// is limited alike; one client trying many addresses is limited too.
func TestPasswordFailuresLimited(t *testing.T) {
	f := newFixture(t, "", 0)
	if err := f.desk.SetPassword(context.Background(), "alice@acme.test", "correct horse battery", 0); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"alice@acme.test", "mallory@elsewhere.test"} {
		for i := 0; i < failsPerAddress; i++ {
			if _, p := f.tryPassword(email, "guess"); p.status != http.StatusUnauthorized {
				t.Fatalf("%s: guess %d: %d, want 401", email, i+1, p.status)
			}
		}
		if _, p := f.tryPassword(email, "correct horse battery"); p.status != http.StatusTooManyRequests {
			t.Errorf("%s after %d failures: %d, want 429", email, failsPerAddress, p.status)
		}
	}
	// The same client, spreading its guesses over addresses.
	for i := 0; i < failsPerClient-2*failsPerAddress; i++ {
		f.tryPassword("x"+itoa(int64(i))+"@elsewhere.test", "guess")
	}
	if _, p := f.tryPassword("boss@acme.test", "any"); p.status != http.StatusTooManyRequests {
		t.Errorf("after %d failures from one client: %d, want 429", failsPerClient, p.status)
	}
	f.advance(failWindow)
	if _, p := f.tryPassword("alice@acme.test", "correct horse battery"); p.status != http.StatusSeeOther {
		t.Errorf("an hour later: %d, want 303", p.status)
	}
}

// TestPasswordChangeEndsOtherSessions: setting a password at /account
// signs out the member's other browsers and keeps this one; the new
// password then works.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	f := newFixture(t, "", 0)
	here, there := f.browser(), f.browser()
	csrf := here.signIn("alice@acme.test")
	there.signIn("alice@acme.test")
	form := here.get("/account")
	if form.status != http.StatusOK || form.csrf() != csrf {
		t.Fatalf("account page: %d", form.status)
	}
	if p := here.post("/account/password", url.Values{"csrf": {csrf}, "password": {"short"}, "again": {"short"}}); p.status != http.StatusUnprocessableEntity {
		t.Errorf("a short password: %d, want 422", p.status)
	}
	p := here.post("/account/password", url.Values{"csrf": {csrf}, "password": {"a long new secret"}, "again": {"a long new secret"}})
	if p.status != http.StatusOK || !strings.Contains(p.body, "password is set") {
		t.Fatalf("set password: %d", p.status)
	}
	if got := here.get("/p/acme/").status; got != http.StatusOK {
		t.Errorf("this browser after the change: %d, want 200", got)
	}
	if got := there.get("/p/acme/").status; got != http.StatusSeeOther {
		t.Errorf("the other browser after the change: %d, want a redirect to sign in", got)
	}
	if _, p := f.tryPassword("alice@acme.test", "a long new secret"); p.status != http.StatusSeeOther {
		t.Errorf("the new password: %d", p.status)
	}
	// Without the session's token, no one changes it.
	if p := here.post("/account/password", url.Values{"password": {"attacker's choice"}, "again": {"attacker's choice"}}); p.status != http.StatusForbidden {
		t.Errorf("a post without the CSRF token: %d, want 403", p.status)
	}
}
