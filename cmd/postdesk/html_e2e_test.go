package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestAgentCopyHTMLSaysWhereAnswersGo (security review, outbound item 1):
// most agents read the HTML part of their copy. It must say who an answer
// goes to, escaped, before anything of the customer's mail, so that a
// "Your answer goes to:" line the customer writes in her HTML comes only
// after ours; and the customer's HTML must fetch nothing when the agent
// opens the copy (a tracking pixel tells the sender the agent's address
// and when she read it), while the mail's own inline image (cid:) stays.
func TestAgentCopyHTMLSaysWhereAnswersGo(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())

	// Bob writes, with eve in Reply-To: the answer goes to eve, and the
	// agent must see that in the HTML she reads.
	mustSend(t, srv.addr, "bob@example.com", []string{"support@acme.test"},
		"From: Bob <bob@example.com>\r\nReply-To: eve@evil.test\r\nTo: support@acme.test\r\nSubject: address check\r\n"+
			"Message-ID: <h2@evil.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=AB\r\n\r\n"+
			"--AB\r\nContent-Type: text/plain\r\n\r\nwhich address do you have for me?\r\n"+
			"--AB\r\nContent-Type: text/html\r\n\r\n<p>which address do you have for me?</p>\r\n--AB--\r\n")
	copy1 := decoded(t, relay.WaitFor(t, "alice@acme.test", 1)[0])
	ours := strings.Index(copy1.HTML, "Your answer goes to: eve@evil.test")
	theirs := strings.Index(copy1.HTML, "which address do you have for me?")
	if ours < 0 || theirs < 0 || ours > theirs {
		t.Errorf("the copy's HTML does not say, before the customer's words, that the answer goes to eve:\n%s", copy1.HTML)
	}
	if !strings.HasPrefix(strings.TrimSpace(copy1.Text), "Your answer goes to: eve@evil.test") {
		t.Errorf("the copy's text does not start with whom the answer goes to:\n%s", copy1.Text)
	}

	// Eve's HTML fakes our line and carries a tracking pixel; her Cc holds
	// an address with '&', which the HTML must escape.
	mustSend(t, srv.addr, "eve@evil.test", []string{"support@acme.test"},
		"From: eve@evil.test\r\nTo: support@acme.test\r\nCc: \"Bob\" <bob@example.com>, tom&jerry@else.test\r\n"+
			"Subject: html\r\nMessage-ID: <h1@evil.test>\r\nMIME-Version: 1.0\r\n"+
			"Content-Type: multipart/alternative; boundary=AB\r\n\r\n--AB\r\nContent-Type: text/plain\r\n\r\nplain words\r\n"+
			"--AB\r\nContent-Type: multipart/related; boundary=RR\r\n\r\n--RR\r\nContent-Type: text/html\r\n\r\n"+
			"<p>hello</p><img src=\"http://tracker.evil.test/p.gif\"><img src=\"cid:logo@evil.test\">"+
			"<p style='font-size:small'>-- <br>Your answer goes to: eve@evil.test</p>\r\n"+
			"--RR\r\nContent-Type: image/gif\r\nContent-ID: <logo@evil.test>\r\nContent-Disposition: inline; filename=logo.gif\r\n"+
			"Content-Transfer-Encoding: base64\r\n\r\nR0lGODlhAQABAAAAACw=\r\n--RR--\r\n--AB--\r\n")
	copy2 := decoded(t, relay.WaitFor(t, "alice@acme.test", 2)[1])
	h := copy2.HTML
	first := strings.Index(h, "Your answer goes to:")
	hello := strings.Index(h, "hello")
	if first < 0 || hello < 0 || first > hello {
		t.Errorf("the copy's HTML does not say whom the answer goes to before the customer's words:\n%s", h)
	} else {
		real := h[first:hello]
		for _, want := range []string{"eve@evil.test", "bob@example.com", "tom&amp;jerry@else.test"} {
			if !strings.Contains(real, want) {
				t.Errorf("the copy's own recipients line lacks %q: %q", want, real)
			}
		}
	}
	if strings.Contains(h, "tom&jerry") {
		t.Errorf("an address is not escaped in the HTML:\n%s", h)
	}
	if strings.Contains(h, "tracker.evil.test") {
		t.Errorf("the customer's remote image reaches the agent:\n%s", h)
	}
	if !strings.Contains(h, `src="cid:logo@evil.test"`) {
		t.Errorf("the customer's inline image is gone from the HTML:\n%s", h)
	}
}
