package ingest

import (
	"strings"
	"testing"
)

// TestUnusableAddressesDropped: header addresses that cannot be written
// back into an SMTP envelope are dropped with a warning, and the
// requester and author fall back to the envelope sender.
func TestUnusableAddressesDropped(t *testing.T) {
	p := newParser()
	for _, tt := range []struct {
		name, header, envFrom string
		requester, author     string
		warning               string
	}{
		{"RCPT injection in Reply-To", "From: eve@evil.test\r\nReply-To: \"bob@x.test> notify=never orcpt=rfc822;z\"@evil.test\r\n",
			"eve@evil.test", "eve@evil.test", "eve@evil.test", "Reply-To address dropped"},
		{"space in a quoted local part", "From: eve@evil.test\r\nReply-To: \"a b\"@evil.test\r\n",
			"", "eve@evil.test", "eve@evil.test", "Reply-To address dropped"},
		{"needless quotes are read away", "From: eve@evil.test\r\nReply-To: \"dan\"@example.com\r\n",
			"", "dan@example.com", "eve@evil.test", ""},
		{"escape sequences in From", "From: \x1b[2J\x1b]0;owned\x07evil@evil.test\r\n",
			"esc@evil.test", "esc@evil.test", "esc@evil.test", "From address dropped"},
		{"CR in From", "From: a@example.com\rX\r\n", "cr@evil.test", "cr@evil.test", "cr@evil.test", "From address dropped"},
		{"trailing dot", "From: eve@evil.test\r\nReply-To: dan@example.com.\r\n", "", "eve@evil.test", "eve@evil.test", "Reply-To address dropped"},
		{"address literal", "From: eve@evil.test\r\nReply-To: dan@[127.0.0.1]\r\n", "", "eve@evil.test", "eve@evil.test", "Reply-To address dropped"},
		{"no usable sender at all", "From: a@example.com\rX\r\n", "\"a b\"@evil.test", unknownSender, unknownSender, "From address dropped"},
	} {
		m, err := p.parse([]byte(tt.header + "Subject: x\r\nMessage-ID: <1@x.test>\r\n\r\nbody\r\n"))
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		requester, author := people(m, tt.envFrom)
		w := strings.Join(m.Warnings, "\n")
		if requester.Address != tt.requester || author.Address != tt.author || !strings.Contains(w, tt.warning) {
			t.Errorf("%s: requester %q author %q warnings %q; want %q, %q and a warning %q",
				tt.name, requester.Address, author.Address, w, tt.requester, tt.author, tt.warning)
		}
	}
}
