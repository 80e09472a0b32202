package imapfetch

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{in: "imaps://support@mail.acme.test/INBOX", want: Target{Addr: "mail.acme.test:993", Host: "mail.acme.test", TLS: TLSImplicit, User: "support", Folder: "INBOX"}},
		{in: "imaps://support@mail.acme.test", want: Target{Addr: "mail.acme.test:993", Host: "mail.acme.test", TLS: TLSImplicit, User: "support", Folder: "INBOX"}},
		{in: "imap://a%40b.test@[::1]:1143/Support/Tickets", want: Target{Addr: "[::1]:1143", Host: "::1", TLS: TLSStartTLS, User: "a@b.test", Folder: "Support/Tickets"}},
		{in: "imap://u@127.0.0.1:1143/INBOX?tls=none", want: Target{Addr: "127.0.0.1:1143", Host: "127.0.0.1", TLS: TLSNone, User: "u", Folder: "INBOX"}},
		{in: "imaps://u:secret@host/INBOX", wantErr: "password does not belong"},
		{in: "imaps://host/INBOX", wantErr: "no user"},
		{in: "pop3://u@host/", wantErr: "scheme"},
		{in: "imaps://u@host:99999/", wantErr: "bad port"},
		{in: "imaps://u@host/INBOX?tls=none", wantErr: "unknown parameter"},
		{in: "imap://u@host/INBOX?x=1", wantErr: "unknown parameter"},
		{in: "imaps://u@/INBOX", wantErr: "no host"},
		{in: "imaps://u@host/IN%0ABOX", wantErr: "control character"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseURL(%q) = %v, %v; want an error with %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			continue
		}
		if again, err := ParseURL(got.String()); err != nil || again != got {
			t.Errorf("ParseURL(%q.String() = %q) = %+v, %v; want it unchanged", tt.in, got.String(), again, err)
		}
	}
}

func TestEnvelopeSender(t *testing.T) {
	tests := []struct{ raw, want string }{
		{"Return-Path: <bob@example.com>\r\nFrom: Alice <alice@example.com>\r\n\r\nx", "bob@example.com"},
		{"Return-Path: <>\r\nFrom: MAILER-DAEMON@example.com\r\n\r\nx", ""},
		{"From: Alice <alice@example.com>\r\n\r\nx", "alice@example.com"},
		{"Return-Path: garbage here\r\nFrom: alice@example.com\r\n\r\nx", "alice@example.com"},
		{"return-path:\r\n <folded@example.com>\r\n\r\nx", "folded@example.com"},
		{"Subject: no sender\r\n\r\nx", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := EnvelopeSender([]byte(tt.raw)); got != tt.want {
			t.Errorf("EnvelopeSender(%q) = %q, want %q", tt.raw, got, tt.want)
		}
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"imaps://u@h/INBOX", "imap://u@h:1/a/b?tls=none", "imaps://u:p@h", "imap://%zz@h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseURL(s)
		if err != nil {
			return
		}
		again, err := ParseURL(got.String())
		if err != nil || again != got {
			t.Errorf("ParseURL(%q) = %+v, but its String %q parses to %+v, %v", s, got, got.String(), again, err)
		}
	})
}

func FuzzEnvelopeSender(f *testing.F) {
	f.Add([]byte("Return-Path: <a@b>\r\n\r\n"))
	f.Add([]byte("From: x <y@z>\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if s := EnvelopeSender(raw); strings.ContainsAny(s, "<>\r\n") {
			t.Errorf("EnvelopeSender(%q) = %q", raw, s)
		}
	})
}
