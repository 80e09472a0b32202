package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

var acme = ticket.Property{ID: 1, Slug: "acme", Addresses: []string{"support@acme.test"}}

func mustParse(t testing.TB, raw string) *parsed {
	t.Helper()
	msg, err := newParser().parse([]byte(strings.ReplaceAll(raw, "\n", "\r\n")))
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// TestForwardedVia: which mailbox forwarded a mail, what it was first sent
// to, and whose mail it is. Forwarding headers are recorded, never taken
// as the sender; only a forward whose From is a configured forwarding
// mailbox is filed under the message it carries.
func TestForwardedVia(t *testing.T) {
	mailboxes := []string{"help@acme-corp.example"}
	attached := "From: Help <help@acme-corp.example>\nTo: support@acme.test\nSubject: Fw: x\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee attached\n" +
		"--b\nContent-Type: message/rfc822\n\nFrom: Ana <ana@client.example>\nTo: help@acme-corp.example\nSubject: x\n\nhello\n--b--\n"
	cases := []struct {
		name, envFrom, raw           string
		by, original, evidence, from string
	}{
		{"straight", "bob@example.com", "From: bob@example.com\nTo: support@acme.test\nSubject: s\n\nx\n", "", "", "", "bob@example.com"},
		{"gmail", "acme.helpdesk+caf_=support=acme.test@gmail.com",
			"X-Forwarded-To: support@acme.test\nX-Forwarded-For: acme.helpdesk@gmail.com support@acme.test\nDelivered-To: acme.helpdesk@gmail.com\nFrom: dana@customer.example\nTo: acme.helpdesk@gmail.com\nSubject: s\n\nx\n",
			"acme.helpdesk@gmail.com", "acme.helpdesk@gmail.com", "X-Forwarded-For", "dana@customer.example"},
		{"postfix alias", "dana@customer.example",
			"Delivered-To: support@acme.test\nDelivered-To: info@acme-corp.example\nX-Original-To: info@acme-corp.example\nFrom: dana@customer.example\nTo: info@acme-corp.example\nSubject: s\n\nx\n",
			"", "info@acme-corp.example", "Delivered-To / X-Original-To", "dana@customer.example"},
		{"resent", "help@acme-corp.example",
			"Resent-From: help@acme-corp.example\nFrom: f@client.example\nTo: help@acme-corp.example\nSubject: s\n\nx\n",
			"help@acme-corp.example", "help@acme-corp.example", "envelope sender is the forwarding mailbox", "f@client.example"},
		{"forged resent", "mallory@evil.example",
			"Resent-From: pat@customer.example\nFrom: mallory@evil.example\nTo: support@acme.test\nSubject: s\n\nx\n",
			"pat@customer.example", "pat@customer.example", "Resent-From", "mallory@evil.example"},
		{"outlook inline forward", "help@acme-corp.example",
			"From: Help <help@acme-corp.example>\nTo: support@acme.test\nSubject: FW: s\n\n\n________________________________\nFrom: Erik <erik@kunde.example>\nSent: today\n\nhi\n",
			"help@acme-corp.example", "help@acme-corp.example", "From is the forwarding mailbox", "erik@kunde.example"},
		{"gmail inline forward", "help@acme-corp.example",
			"From: help@acme-corp.example\nTo: support@acme.test\nSubject: Fwd: s\n\nFYI\n\n---------- Forwarded message ---------\nFrom: Ana Souza <ana@client.example>\nDate: Mon\n\nhi\n",
			"help@acme-corp.example", "help@acme-corp.example", "From is the forwarding mailbox", "ana@client.example"},
		{"attached message", "help@acme-corp.example", attached,
			"help@acme-corp.example", "help@acme-corp.example", "From is the forwarding mailbox", "ana@client.example"},
		{"the mailbox's reply quoting the customer", "help@acme-corp.example",
			"From: help@acme-corp.example\nTo: support@acme.test\nSubject: RE: s\n\nDone.\n\n________________________________\nFrom: Erik <erik@kunde.example>\nSent: today\n\nhi\n",
			"help@acme-corp.example", "help@acme-corp.example", "From is the forwarding mailbox", "help@acme-corp.example"},
		{"inline forward from an unknown mailbox", "someone@else.example",
			"From: someone@else.example\nTo: support@acme.test\nSubject: Fwd: s\n\n---------- Forwarded message ---------\nFrom: ana@client.example\n\nhi\n",
			"", "", "", "someone@else.example"},
	}
	for _, c := range cases {
		msg := mustParse(t, c.raw)
		f := forwardedVia(acme, mailboxes, c.envFrom, msg)
		if f.by != c.by || f.original != c.original || f.evidence != c.evidence {
			t.Errorf("%s: forwardedVia = by %q, original %q, evidence %q; want %q, %q, %q", c.name, f.by, f.original, f.evidence, c.by, c.original, c.evidence)
		}
		if got := asForwarded(msg, f).From.Address; got != c.from {
			t.Errorf("%s: filed under %q, want %q", c.name, got, c.from)
		}
	}
}

// TestForwardingConfirmation: the fixtures modelled on Gmail's and
// Microsoft's mails are recognised with their codes and links; a mail from
// the same sender whose link goes elsewhere, or a customer's mail quoting
// one, is not.
func TestForwardingConfirmation(t *testing.T) {
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join("..", "cmd", "postdesk", "testdata", "forwarding", name))
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name, raw string
		ok        bool
		want      confirmation
	}{
		{"gmail", read("gmail-confirmation.eml"), true, confirmation{provider: "gmail", mailbox: "acme.helpdesk@gmail.com", code: "612345678",
			link: "https://mail-settings.google.com/mail/vf-%5BANGjdJ9mT3sQk1bX2c7Hf0aLw8rZyE4uVpN6oKdGxRtYiB5eMjWq%5D-kq8fZc3Rw1nT4yUj7aXpL2sHvE0"}},
		{"outlook", read("outlook-confirmation.eml"), true, confirmation{provider: "outlook", mailbox: "ac***@outlook.com", code: "4917"}},
		{"forged link", read("forged-confirmation.eml"), false, confirmation{}},
		{"quoted by a customer", strings.Replace(read("gmail-confirmation.eml"), "From: Gmail Team <forwarding-noreply@google.com>", "From: bob@example.com", 1), false, confirmation{}},
	}
	for _, c := range cases {
		got, ok := forwardingConfirmation(mustParse(t, strings.ReplaceAll(c.raw, "\r\n", "\n")))
		if ok != c.ok || (ok && got != c.want) {
			t.Errorf("%s: forwardingConfirmation = %+v, %v; want %+v, %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// FuzzForwarding runs the forwarding readers on arbitrary mail: no panic,
// and a forward is only ever filed under an address.
func FuzzForwarding(f *testing.F) {
	f.Add("From: help@acme-corp.example\nSubject: FW\n\n-----Original Message-----\nFrom: a@b.example\n\nx\n")
	f.Add("From: forwarding-noreply@google.com\nSubject: (#123456789) Gmail Forwarding Confirmation - Receive Mail from a@b.example\n\nhttps://mail-settings.google.com/mail/vf-x\n")
	f.Add("X-Forwarded-For: a@b.example c@d.example\nResent-From: <>\nDelivered-To: \nFrom: x@y.example\n\n")
	p := newParser()
	f.Fuzz(func(t *testing.T, raw string) {
		msg, err := p.parse([]byte(raw))
		if err != nil {
			return
		}
		forwardingConfirmation(msg)
		fw := forwardedVia(acme, []string{"help@acme-corp.example"}, "help@acme-corp.example", msg)
		if got := asForwarded(msg, fw); got.From != nil && fw.sender != nil && !strings.Contains(got.From.Address, "@") {
			t.Fatalf("filed under %q, not an address", got.From.Address)
		}
	})
}
