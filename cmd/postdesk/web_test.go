package main

import (
	"testing"

	"github.com/postdesk/postdesk/config"
)

// TestPublicURL: the inbox's address in the links given to members is the
// configured public-url, else the address listened on, on loopback when
// that is a wildcard (a browser cannot open http://[::]:8025/).
func TestPublicURL(t *testing.T) {
	for _, c := range []struct{ public, hostport, want string }{
		{"", "127.0.0.1:8025", "http://127.0.0.1:8025"},
		{"", "0.0.0.0:8025", "http://127.0.0.1:8025"},
		{"", "[::]:8025", "http://127.0.0.1:8025"},
		{"", ":8025", "http://127.0.0.1:8025"},
		{"", "[::1]:8025", "http://[::1]:8025"},
		{"https://desk.example.com/", "0.0.0.0:8025", "https://desk.example.com"},
	} {
		if got := publicURL(config.Config{PublicURL: c.public}, c.hostport); got != c.want {
			t.Errorf("publicURL(%q, %q) = %q, want %q", c.public, c.hostport, got, c.want)
		}
	}
}
