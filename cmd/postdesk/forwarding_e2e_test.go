package main

import (
	"bytes"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// sendFixture sends testdata/forwarding/name over a raw SMTP connection,
// with CRLF line ends as on the wire.
func sendFixture(t *testing.T, addr, envFrom, name string) {
	t.Helper()
	raw := readTestdata(t, filepath.Join("testdata", "forwarding", name))
	raw = bytes.ReplaceAll(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
	c, err := dialSMTP(addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.send(envFrom, []string{"support@acme.test"}, raw); err != nil {
		t.Fatalf("sending %s: %v", name, err)
	}
}

// TestForwardingConfirmation: Gmail's and Microsoft's confirmation mails
// open no ticket and are answered by nobody; their codes (and Gmail's
// link) are shown by `property show` and mailed to the property's admin.
// A forged confirmation whose link leads elsewhere is no confirmation: it
// is a ticket like any mail, and its link reaches no admin.
func TestForwardingConfirmation(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL(), "--notice-window", "2s")

	sendFixture(t, srv.addr, "forwarding-noreply@google.com", "gmail-confirmation.eml")
	sendFixture(t, srv.addr, "account-security-noreply@accountprotection.microsoft.com", "outlook-confirmation.eml")
	var tickets []struct{ Number int64 }
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 0 {
		t.Fatalf("confirmations opened tickets: %+v", tickets)
	}
	show := cli(t, data, "property", "show", "--property", "acme")
	for _, want := range []string{"acme.helpdesk@gmail.com", "612345678",
		"https://mail-settings.google.com/mail/vf-%5BANGjdJ9mT3sQk1bX2c7Hf0aLw8rZyE4uVpN6oKdGxRtYiB5eMjWq%5D-kq8fZc3Rw1nT4yUj7aXpL2sHvE0",
		"ac***@outlook.com", "4917"} {
		if !strings.Contains(show, want) {
			t.Errorf("property show lacks %q:\n%s", want, show)
		}
	}
	if strings.Contains(show, "/mail/uf-") {
		t.Errorf("property show gives the cancel link, not the confirmation link:\n%s", show)
	}
	// The two may come as one digest: notices waiting together leave together.
	wants := []string{"612345678", "mail-settings.google.com/mail/vf-", "4917"}
	noticeText := func() string {
		all := ""
		for _, n := range mailsWith(relay, "boss@acme.test", "Forwarding confirmation") {
			all += n.Body()
		}
		return all
	}
	waitFor(t, func() bool {
		all := noticeText()
		for _, want := range wants {
			if !strings.Contains(all, want) {
				return false
			}
		}
		return true
	}, "the admin's notices to carry both codes and the link")
	if n := len(relay.To("forwarding-noreply@google.com")) + len(relay.To("account-security-noreply@accountprotection.microsoft.com")); n != 0 {
		t.Errorf("%d mails went to the confirmations' senders, want none", n)
	}
	if got := relay.To("alice@acme.test"); len(got) != 0 {
		t.Errorf("the agent got %d mails about confirmations, want none (admins only)", len(got))
	}

	sendFixture(t, srv.addr, "forwarding-noreply@google.com", "forged-confirmation.eml")
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 1 {
		t.Errorf("the forged confirmation: %d tickets, want 1 (it is mail like any other)", len(tickets))
	}
	if show := cli(t, data, "property", "show"); strings.Contains(show, "evil") {
		t.Errorf("property show offers the forged link:\n%s", show)
	}
}

// TestForwardedMailKeepsItsOrigin: mail forwarded by the admin's mailbox
// (Gmail's automatic forwarding, Outlook's forward rule, an Exchange
// redirect) is filed under its original sender, never under the mailbox,
// the mailbox is no participant, and the address it was first sent to is
// shown. A stranger's mail with forged forwarding headers is still filed
// under its From.
func TestForwardedMailKeepsItsOrigin(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	cli(t, data, "forwarding", "add", "--mailbox", "help@acme-corp.example")
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	cases := []struct {
		fixture, envFrom     string
		requester, firstSent string
		forwardedBy, mailbox string
	}{
		{"gmail-forwarded.eml", "acme.helpdesk+caf_=support=acme.test@gmail.com", "dana@customer.example",
			"acme.helpdesk@gmail.com", "acme.helpdesk@gmail.com (X-Forwarded-For)", "acme.helpdesk@gmail.com"},
		{"outlook-forward-rule.eml", "help@acme-corp.example", "erik@kunde.example",
			"help@acme-corp.example", "help@acme-corp.example (From is the forwarding mailbox)", "help@acme-corp.example"},
		{"exchange-redirect.eml", "help@acme-corp.example", "f.morel@client.example",
			"help@acme-corp.example", "help@acme-corp.example (envelope sender is the forwarding mailbox)", "help@acme-corp.example"},
		{"forged-resent.eml", "mallory@evil.example", "mallory@evil.example", "", "", "pat@customer.example"},
	}
	for i, c := range cases {
		sendFixture(t, srv.addr, c.envFrom, c.fixture)
		show := cli(t, data, "ticket", "show", strconv.Itoa(i+1))
		if !strings.Contains(show, "Requester: "+c.requester+" ") {
			t.Errorf("%s: not filed under %s:\n%s", c.fixture, c.requester, show)
		}
		if !strings.Contains(show, "Answers go to: "+c.requester+"\n") {
			t.Errorf("%s: answers go to others than %s (the forwarding mailbox?):\n%s", c.fixture, c.requester, show)
		}
		if c.firstSent != "" && !strings.Contains(show, "First sent to: "+c.firstSent+"\n") {
			t.Errorf("%s: first sent to %s not shown:\n%s", c.fixture, c.firstSent, show)
		}
		if c.forwardedBy != "" && !strings.Contains(show, "Forwarded by: "+c.forwardedBy+"\n") {
			t.Errorf("%s: forwarded by %s not shown:\n%s", c.fixture, c.forwardedBy, show)
		}
		relay.WaitFor(t, c.requester, 1) // the acknowledgement goes to the original sender
		if got := relay.To(c.mailbox); len(got) != 0 {
			t.Errorf("%s: %d mails went to %s, want none", c.fixture, len(got), c.mailbox)
		}
	}
}
