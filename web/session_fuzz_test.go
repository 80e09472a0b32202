package web

import (
	"net/url"
	"strings"
	"testing"
)

// FuzzSafeNext: whatever next= holds, the redirect target is a path of
// this site: it begins with one slash, holds nothing a browser would drop
// or read as a slash, and resolves to the inbox's own host.
func FuzzSafeNext(f *testing.F) {
	for _, s := range []string{"/", "/p/acme/", "//evil.example", "/\\evil", "/\t/evil", "https://evil.example", "/%2F/evil", "/p/acme/?q=a b"} {
		f.Add(s)
	}
	base, _ := url.Parse("https://inbox.test/login")
	f.Fuzz(func(t *testing.T, next string) {
		got := safeNext(next)
		if got != "/" && got != next {
			t.Fatalf("safeNext(%q) = %q: neither the input nor /", next, got)
		}
		if !strings.HasPrefix(got, "/") || strings.HasPrefix(got, "//") || strings.ContainsFunc(got, unsafeInNext) {
			t.Fatalf("safeNext(%q) = %q", next, got)
		}
		if u, err := url.Parse(got); err == nil && base.ResolveReference(u).Host != "inbox.test" {
			t.Fatalf("safeNext(%q) = %q leaves for %s", next, got, base.ResolveReference(u).Host)
		}
	})
}
