package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// TestReplyThreadsOverSMTP: a first mail opens #1; a reply built the way a
// mail client builds one from what postdesk sends (To its Reply-To, In-Reply-To
// its Message-ID, References with the ticket reference) lands in #1.
func TestReplyThreadsOverSMTP(t *testing.T) {
	const secret = "e2e-test-secret-key-0001"
	data := t.TempDir()
	setupAcme(t, data)
	srv := startServer(t, data, "--thread-keys", "7:"+secret)
	first := "From: Carol <carol@example.com>\r\nTo: support@acme.test\r\nSubject: Broken blender\r\n" +
		"Message-ID: <e2e-first@example.com>\r\n\r\nIt broke.\r\n"
	mustSend(t, srv.addr, "carol@example.com", []string{"support@acme.test"}, first)
	var v ticketView
	cliJSON(t, data, &v, "ticket", "show", "1")
	keys, err := threading.NewKeys(7, map[uint8][]byte{7: []byte(secret)})
	if err != nil {
		t.Fatal(err)
	}
	carol := threading.Token{Kind: threading.KindContact, PropertyID: v.Ticket.PropertyID, TicketID: v.Ticket.ID, ID: v.Ticket.RequesterID}
	replyTo, err := keys.ReplyAddress("support@acme.test", carol)
	if err != nil {
		t.Fatal(err)
	}
	ourID := keys.MessageID(carol, "1", "acme.test")
	ref := keys.TicketReference(v.Ticket.PropertyID, v.Ticket.ID, "acme.test")
	reply := fmt.Sprintf("From: Carol <carol@example.com>\r\nTo: %s\r\nSubject: Re: [#1] Broken blender\r\n"+
		"Message-ID: <e2e-reply@example.com>\r\nIn-Reply-To: <%s>\r\nReferences: <e2e-first@example.com> <%s> <%s>\r\n\r\n"+
		"Still broken.\r\n\r\n> It broke.\r\n", replyTo, ourID, ref, ourID)
	if err := send(srv.addr, "carol@example.com", []string{replyTo}, []byte(reply)); err != nil {
		t.Fatalf("reply to the signed address: %v", err)
	}
	var tickets []ticket.Ticket
	cliJSON(t, data, &tickets, "ticket", "list")
	if len(tickets) != 1 {
		t.Fatalf("%d tickets after the reply, want 1", len(tickets))
	}
	show := cli(t, data, "ticket", "show", "1")
	if !strings.Contains(show, "Threading: rule=token ticket=#1") || !strings.Contains(show, "Still broken.") {
		t.Errorf("ticket show does not show the reply threaded by its token:\n%s", show)
	}
}
