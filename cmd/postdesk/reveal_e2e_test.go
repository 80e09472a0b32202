package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/internal/smtptest"
)

// TestAnswerReferencesOnlyWhatTheCustomerSaw: Alice writes an internal note
// and then an answer from her mail client. Carol's copy of the answer
// carries in In-Reply-To and References only the ticket reference, Carol's
// own Message-ID and those of mail we sent Carol: never Alice's own
// Message-ID (her host and client) nor the note's.
func TestAnswerReferencesOnlyWhatTheCustomerSaw(t *testing.T) {
	data := t.TempDir()
	setupAcme(t, data)
	relay := smtptest.Start(t)
	srv := startServer(t, data, "--relay", relay.URL())
	copy1 := openCarolsTicket(t, srv.addr, relay)
	ack := relay.To("carol@customer.test")[0]
	rcpt, note := replyFrom(t, copy1, "Alice <alice@acme.test>", "#note\n\nShe bought it at the outlet store.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(note))
	copy1 = mailWith(t, relay, "alice@acme.test", "It stopped working.")
	rcpt, reply := replyFrom(t, copy1, "Alice <alice@acme.test>", "Hello Carol, hold the button.")
	mustSend(t, srv.addr, "alice@acme.test", []string{rcpt}, string(reply))
	answer := mailWith(t, relay, "carol@customer.test", "Hello Carol, hold the button.")
	refs, parent := answer.Header("References"), answer.Header("In-Reply-To")
	if strings.Contains(refs+parent, "mua.test") {
		t.Errorf("Carol's answer references the agent's own mail: In-Reply-To %q, References %q", parent, refs)
	}
	for _, want := range []string{"<carol-1@customer.test>", ack.Header("Message-Id")} {
		if !strings.Contains(refs, want) {
			t.Errorf("References %q lacks %s, which Carol has seen", refs, want)
		}
	}
	if !strings.HasPrefix(refs, "<pd.") || parent != ack.Header("Message-Id") {
		t.Errorf("References %q should lead with the ticket reference; In-Reply-To %q, want the acknowledgement %s",
			refs, parent, ack.Header("Message-Id"))
	}
}
