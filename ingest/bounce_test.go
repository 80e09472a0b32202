package ingest

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestMentions: an address is found only whole, in any letter case.
func TestMentions(t *testing.T) {
	tests := []struct {
		text, addr string
		want       bool
	}{
		{"<carol@example.com>: no such user", "carol@example.com", true},
		{"To: Carol@Example.COM\r\n", "carol@example.com", true},
		{"mailbox carol@example.com.", "carol@example.com", true},
		{"xcarol@example.com", "carol@example.com", false},
		{"carol@example.com.evil.test", "carol@example.com", false},
		{"carol@example.community", "carol@example.com", false},
		{"alice@acme.test carol@example.com", "carol@example.com", true},
		{"anything", "", false},
	}
	for _, tt := range tests {
		if got := mentions([]byte(tt.text), tt.addr); got != tt.want {
			t.Errorf("mentions(%q, %q) = %v, want %v", tt.text, tt.addr, got, tt.want)
		}
	}
}

// TestDescribeBounce: a report is verified only at the bounce address of a
// row and naming that row's recipient; it is a permanent failure only as
// Action: failed with a 5.X.X status.
func TestDescribeBounce(t *testing.T) {
	row := store.OutboxRow{ID: 7, Rcpt: "carol@example.com"}
	report := func(rcpt, action, status string) string {
		return "From: MAILER-DAEMON@mx.test\r\nSubject: Undelivered Mail\r\nMIME-Version: 1.0\r\n" +
			"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b\r\n" +
			"Content-Type: text/plain\r\n\r\nfailed\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\n" +
			"Reporting-MTA: dns; mx.test\r\n\r\nFinal-Recipient: rfc822; " + rcpt + "\r\nAction: " + action +
			"\r\nStatus: " + status + "\r\n\r\n--b--\r\n"
	}
	qmail := "From: MAILER-DAEMON@mx.test\r\nSubject: failure notice\r\n\r\n<carol@example.com>:\r\nSorry, no mailbox here.\r\n"
	tests := []struct {
		name              string
		raw               string
		linked            bool
		verified, failure bool
		recipient         string
	}{
		{"failed, names the recipient", report("carol@example.com", "failed", "5.1.1"), true, true, true, "carol@example.com"},
		{"names it in another case", report("<CAROL@example.com>", "failed", "5.1.1"), true, true, true, "carol@example.com"},
		{"names it in Original-Recipient, another in Final-Recipient", strings.Replace(report("bob@example.com", "failed", "5.1.1"),
			"Final-Recipient", "Original-Recipient: rfc822; carol@example.com\r\nFinal-Recipient", 1), true, true, true, "carol@example.com"},
		{"names another recipient", report("alice@acme.test", "failed", "5.1.1"), true, false, true, "alice@acme.test"},
		{"not at a bounce address", report("carol@example.com", "failed", "5.1.1"), false, false, true, "carol@example.com"},
		{"delayed", report("carol@example.com", "delayed", "4.4.1"), true, true, false, "carol@example.com"},
		{"failed with a 4.X.X status", report("carol@example.com", "failed", "4.2.2"), true, true, false, "carol@example.com"},
		{"5.X.X but delivered", report("carol@example.com", "delivered", "5.0.0"), true, true, false, "carol@example.com"},
		{"failure notice naming the recipient", qmail, true, true, true, "carol@example.com"},
		{"failure notice naming someone else", strings.ReplaceAll(qmail, "carol", "dave"), true, false, true, "carol@example.com"},
		{"failure notice naming no one", "From: MAILER-DAEMON@mx.test\r\nSubject: failure notice\r\n\r\nMail to " +
			"support@acme.test's recipient failed; ask postmaster@mx.test.\r\n", true, true, true, "carol@example.com"},
		{"failure notice naming someone else in X-Failed-Recipients", "From: MAILER-DAEMON@mx.test\r\n" +
			"X-Failed-Recipients: dave@example.net\r\nSubject: Mail delivery failed\r\n\r\nmailbox is full\r\n",
			true, false, true, "carol@example.com"},
		{"failure notice naming no one, not at a bounce address", "From: MAILER-DAEMON@mx.test\r\nSubject: failure notice\r\n\r\nNo.\r\n",
			false, false, true, ""},
	}
	p := newParser()
	prop := ticket.Property{ID: 1, Addresses: []string{"support@acme.test"}}
	for _, tt := range tests {
		msg, err := p.parse([]byte(tt.raw))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		r := row
		if !tt.linked {
			r = store.OutboxRow{}
		}
		b := describeBounce(prop, msg, []byte(tt.raw), r, tt.linked)
		failure := permanentFailure(b, msg, "")
		if b.Verified != tt.verified || failure != tt.failure || b.Recipient != tt.recipient {
			t.Errorf("%s: verified %v, permanent failure %v, recipient %q; want %v, %v, %q", tt.name,
				b.Verified, failure, b.Recipient, tt.verified, tt.failure, tt.recipient)
		}
	}
}

// FuzzBounce reads arbitrary mail as a bounce: never a panic, and never
// verified unless it reached the bounce address of a row.
func FuzzBounce(f *testing.F) {
	seedCorpus(f)
	p := newParser()
	prop := ticket.Property{ID: 1, Addresses: []string{"support@acme.test"}}
	row := store.OutboxRow{ID: 1, Rcpt: "carol@example.com"}
	f.Fuzz(func(t *testing.T, raw []byte) {
		msg, err := p.parse(raw)
		if err != nil {
			return
		}
		isBounce(msg, "")
		b := describeBounce(prop, msg, raw, row, true)
		permanentFailure(b, msg, "")
		if describeBounce(prop, msg, raw, store.OutboxRow{}, false).Verified {
			t.Fatalf("verified without reaching a bounce address (recipient %q)", b.Recipient)
		}
	})
}
