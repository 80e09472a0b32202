package main

import (
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// Hostile mail through real SMTP to a gateway on PostgreSQL, whose text
// holds neither NUL nor invalid UTF-8 (the store makes them U+FFFD) where
// SQLite keeps any bytes: each must be answered as on SQLite.

// TestPostgresReplyToEightBitMessageID: a reply whose In-Reply-To names a
// Message-ID sent with invalid UTF-8 (a Latin-1 é) joins that message's
// ticket, though PostgreSQL stores the id with U+FFFD (it opened a second
// ticket).
func TestPostgresReplyToEightBitMessageID(t *testing.T) {
	db := newPostgresDB(t)
	cliOn(t, db, "property", "add", "--slug", "acme", "--name", "Acme Support", "--address", "support@acme.test")
	cliOn(t, db, "member", "add", "--property", "acme", "--email", "alice@acme.test", "--name", "Alice", "--role", "agent")
	srv := startServerOn(t, db, t.TempDir())
	to := []string{"support@acme.test"}
	mustSend(t, srv.addr, "bob@example.org", to, "From: bob@example.org\r\nTo: support@acme.test\r\n"+
		"Subject: printer on fire\r\nMessage-ID: <caf\xe9.1@mua.example.org>\r\n\r\nIt burns.\r\n")
	mustSend(t, srv.addr, "bob@example.org", to, "From: bob@example.org\r\nTo: support@acme.test\r\n"+
		"Subject: and another thing\r\nMessage-ID: <caf\xe9.2@mua.example.org>\r\nIn-Reply-To: <caf\xe9.1@mua.example.org>\r\n"+
		"References: <caf\xe9.1@mua.example.org>\r\n\r\nStill burning.\r\n")
	var tickets []ticket.Ticket
	cliJSON(t, t.TempDir(), &tickets, "ticket", "list", "--database", db)
	if len(tickets) != 1 {
		t.Fatalf("%d tickets %+v, want the reply on the first one", len(tickets), tickets)
	}
}
