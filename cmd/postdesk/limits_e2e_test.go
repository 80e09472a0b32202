package main

import (
	"github.com/postdesk/postdesk/ticket"
	"net/smtp"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/internal/smtptest"
	"github.com/postdesk/postdesk/store"
)

// foldedWords returns text as RFC 2047 encoded-words, one per folded line,
// so that an inbound header can carry any length within SMTP's line limit.
func foldedWords(text string, per int) string {
	var words []string
	for len(text) > 0 {
		n := min(per, len(text))
		words = append(words, "=?utf-8?q?"+text[:n]+"?=")
		text = text[n:]
	}
	return strings.Join(words, "\r\n ")
}

// oversized is a mail whose subject decodes to 5,000 characters without a
// space, whose From name is 10 KB and whose attachment has a 1,200-character
// name: every one of them arrives in short folded lines.
func oversized() []byte {
	return []byte("From: " + foldedWords(strings.Repeat("N", 10000), 60) + " <longname@example.com>\r\n" +
		"To: support@acme.test\r\nSubject: " + foldedWords(strings.Repeat("x", 5000), 60) + "\r\n" +
		"Message-ID: <oversized@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=b1\r\n\r\n--b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n" +
		"--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n filename*0=" +
		strings.Repeat("f", 600) + ";\r\n filename*1=" + strings.Repeat("g", 600) + ".bin\r\n" +
		"Content-Transfer-Encoding: base64\r\n\r\nAAEC\r\n--b1--\r\n")
}

// TestOutboundHeaderLinesWithinLimits sends every mail of ../shared/corpora
// and one with oversized headers to the real server, lets it render the
// acknowledgements and agent copies into its Maildir, and checks that every
// header line of every rendered mail, MIME parts included, is at most 998
// octets (RFC 5322 §2.1.1).
func TestOutboundHeaderLinesWithinLimits(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--ack-limit", "100000", "--new-ticket-limit", "100000")
	c, err := smtp.Dial(srv.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { c.Close() }()
	msgs := map[string][]byte{"oversized": oversized()}
	if root, ok := corpusRoot(); ok {
		for _, path := range corpusFiles(t, root) {
			rel, _ := filepath.Rel(root, path)
			msgs[rel] = append([]byte("X-Corpus-File: "+rel+"\r\n"), readTestdata(t, path)...)
		}
	} else {
		t.Logf("no corpora at ../shared/corpora: checking the oversized mail only")
	}
	for name, raw := range msgs {
		if err := smtptest.SendOn(c, "corpus@example.com", []string{"support@acme.test"}, raw); err != nil {
			if name == "oversized" {
				t.Fatalf("oversized mail: %v", err)
			}
			c.Close() // a refusal may end the session
			if c, err = smtp.Dial(srv.addr); err != nil {
				t.Fatal(err)
			}
		}
	}
	rows := waitOutbox(t, data)
	files, err := filepath.Glob(filepath.Join(data, "outbound", "new", "*"))
	if err != nil {
		t.Fatal(err)
	}
	longest, over78 := 0, 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range smtptest.HeaderLines(raw) {
			longest = max(longest, len(l))
			if len(l) > 78 {
				over78++
				if testing.Verbose() {
					t.Logf("over 78: %s", l)
				}
			}
			if len(l) > 998 {
				t.Errorf("%s: a header line of %d octets: %.120s", filepath.Base(f), len(l), l)
			}
		}
	}
	t.Logf("%d outbox rows, %d rendered mails; longest header line %d octets, %d lines over 78", len(rows), len(files), longest, over78)
	if len(files) < 2 {
		t.Fatalf("%d mails rendered, want at least the oversized mail's acknowledgement and copy", len(files))
	}
}

// corpusRoot finds ../shared/corpora beside the checkout.
func corpusRoot() (string, bool) {
	dir, err := os.Getwd()
	if err != nil {
		return "", false
	}
	for ; dir != filepath.Dir(dir); dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
	}
	root := filepath.Join(filepath.Dir(dir), "shared", "corpora")
	_, err = os.Stat(root)
	return root, err == nil
}

// waitOutbox waits until no outbox row is queued and fails the test for
// every row that failed.
func waitOutbox(t *testing.T, data string) []store.OutboxRow {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var rows []store.OutboxRow
		cliJSON(t, data, &rows, "outbox", "list")
		queued := 0
		for _, r := range rows {
			if r.Status == ticket.OutQueued {
				queued++
			}
		}
		if queued == 0 {
			for _, r := range rows {
				if r.Status == ticket.OutFailed {
					t.Errorf("outbox row %d (%s to %s) failed: %s", r.ID, r.Kind, r.Rcpt, r.LastError)
				}
			}
			return rows
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d outbox rows still queued after 90s", queued)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestCLIRefusesInvalidInput: every administrative input is validated, the
// message names the flag, and nothing is stored.
func TestCLIRefusesInvalidInput(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	long := strings.Repeat("n", 10000)
	tests := []struct {
		args []string
		want []string // in the error, in this order of appearance or not
	}{
		{[]string{"member", "add", "--email", "notanemail"}, []string{`--email: "notanemail" is not an email address`}},
		{[]string{"member", "add", "--email", "bob@acme.test", "--name", long}, []string{"--name: is 10000 characters long; the limit is 100"}},
		{[]string{"member", "add", "--email", "bob@acme.test", "--role", "boss"}, []string{`--role: unknown role "boss"`}},
		{[]string{"property", "add", "--slug", "d", "--name", "D", "--address", "Display <d@x.test>"}, []string{`--address: "Display <d@x.test>" is not an email address`}},
		{[]string{"property", "add", "--slug", "d", "--name", "D", "--address", "d@x.test", "--from-address", "not an address"}, []string{`--from-address: "not an address" is not an email address`}},
		{[]string{"property", "add", "--slug", "d", "--name", "D", "--address", "d@x.test", "--tag-format", "[%d/%d]"}, []string{`--tag-format: "[%d/%d]" must contain %d exactly once`}},
		{[]string{"property", "add", "--slug", "d", "--name", "D", "--address", "d@x.test", "--tag-format", "%d"}, []string{"--tag-format:", "needs text beside %d"}},
		{[]string{"property", "add", "--slug", "d", "--name", long, "--from-name", long, "--address", "d@x.test"}, []string{"--name: is 10000 characters", "--from-name: is 10000 characters"}},
		{[]string{"property", "add", "--slug", "Not A Slug", "--name", "D", "--address", "d@x.test"}, []string{`--slug: "Not A Slug"`}},
		{[]string{"department", "add", "--name", long}, []string{"--name: is 10000 characters"}},
		{[]string{"department", "add", "--name", "Billing", "--members", "alice@acme.test,bob"}, []string{`--members: "bob" is not an email address`}},
		{[]string{"outbox", "list", "--status", "sideways"}, []string{`--status: "sideways" is not queued, sent or failed`}},
		{[]string{"ticket", "list", "--status", "sideways"}, []string{`--status: unknown status "sideways"`}},
	}
	for _, tt := range tests {
		_, err := cliErr(data, tt.args...)
		if err == nil {
			t.Errorf("postdesk %.80s: accepted", strings.Join(tt.args, " "))
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("postdesk %.80s: error %.300q, want it to say %q", strings.Join(tt.args, " "), err.Error(), w)
			}
		}
	}
	var props []struct{ Slug string }
	cliJSON(t, data, &props, "property", "list")
	if len(props) != 1 {
		t.Errorf("properties after refused adds: %+v, want only acme", props)
	}
}
