package notify

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
)

func TestEnvelopePath(t *testing.T) {
	for _, tt := range []struct{ in, want string }{ // want "" means refused
		{"bob@example.com", "bob@example.com"},
		{"bob.smith+tag@example.com", "bob.smith+tag@example.com"},
		{"o'neil@example.com", "o'neil@example.com"},
		{"ü@bücher.example", "ü@bücher.example"},
		{"dan@[127.0.0.1]", "dan@[127.0.0.1]"},
		{"a b@evil.test", `"a b"@evil.test`},
		{"bob@x.test> notify=never orcpt=rfc822;z@evil.test", `"bob@x.test> notify=never orcpt=rfc822;z"@evil.test`},
		{`q"uo\te@evil.test`, `"q\"uo\\te"@evil.test`},
		{"a..b@evil.test", `"a..b"@evil.test`},
		{"a@example.com\rx", ""},
		{"a\r\nRCPT TO:<x@y>@evil.test", ""},
		{"\x1b[2J\x1b]0;owned\x07evil@evil.test", ""},
		{"a\x00@evil.test", ""},
		{"a\u0085@evil.test", ""},
		{"bob@evil.test> NOTIFY=NEVER", ""},
		{"bob@evil test", ""},
		{"bob@[1.2.3.4] x]", ""},
		{"nodomain", ""},
		{"@example.com", ""},
		{"bob@", ""},
		{strings.Repeat("l", 65) + "@example.com", ""},
		{"a@\xff.test", ""},
	} {
		got, err := envelopePath(tt.in)
		if got != tt.want || (err == nil) != (tt.want != "") {
			t.Errorf("envelopePath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestRelayEnvelopeNoInjection: the relay receives a quoted local part as
// one quoted-string, never as RCPT parameters, and an address that cannot
// be written fails permanently without reaching the wire.
func TestRelayEnvelopeNoInjection(t *testing.T) {
	for _, tt := range []struct {
		rcpt      string
		wantWire  string // "" when nothing may be sent
		permanent bool
	}{
		{"bob@x.test> notify=never orcpt=rfc822;z@evil.test", "RCPT TO:<\"bob@x.test> notify=never orcpt=rfc822;z\"@evil.test>\r\n", false},
		{"a b@evil.test", "RCPT TO:<\"a b\"@evil.test>\r\n", false},
		{"a@example.com\rx", "", true},
		{"\x1b[2J\x1b]0;owned\x07evil@evil.test", "", true},
	} {
		relay := smtptest.Start(t)
		tr, err := ParseRelay(relay.URL(), "test.local")
		if err != nil {
			t.Fatal(err)
		}
		snd := tr.Open()
		err = snd.Send(context.Background(), "b@acme.test", []string{tt.rcpt}, []byte("Subject: x\r\n\r\nbody\r\n"))
		snd.Close()
		wire := relay.Wire()
		if tt.permanent {
			if err == nil || !Permanent(err) {
				t.Errorf("Send to %q: %v, want a permanent failure", tt.rcpt, err)
			}
			if bytes.Contains(wire, []byte("RCPT")) {
				t.Errorf("Send to %q reached the wire:\n%s", tt.rcpt, wire)
			}
			continue
		}
		if !bytes.Contains(wire, []byte(tt.wantWire)) {
			t.Errorf("Send to %q (err %v): wire\n%s\nwant the line %q", tt.rcpt, err, wire, tt.wantWire)
		}
	}
}
