package main

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
	"github.com/postdesk/postdesk/webapi"
)

// apiTicketView is what GET of a ticket answers.
type apiTicketView struct {
	Ticket       ticket.Ticket    `json:"ticket"`
	Participants []ticket.Contact `json:"participants"`
	Messages     []ticket.Message `json:"messages"`
	Events       []ticket.Event   `json:"events"`
}

// TestAPITicketConversation: through the real binary, a ticket opened by
// API is mailed to the customer; an answer by API with a file (multipart)
// reaches her at the relay with the file; her reply over SMTP threads into
// the same ticket, downloads byte for byte as message/rfc822, and is found
// by the listing's search; closing with a stale If-Match gets 412, with
// the current one closes.
func TestAPITicketConversation(t *testing.T) {
	data, srv, relay := composeSetup(t)
	api := apiClient{t: t, base: srv.apiURL(t), token: newToken(t, data, "alice@acme.test")}

	var tk ticket.Ticket
	resp := api.json("POST", "/api/properties/acme/tickets", map[string]any{"email": "zoe@customer.test", "name": "Zoe Smith",
		"subject": "Your order", "text": "Hello Zoe,\nwe are looking into your order."}, http.StatusCreated, &tk)
	if loc := resp.Header.Get("Location"); loc != "/api/properties/acme/tickets/1" || tk.Number != 1 || tk.Assignee != "alice@acme.test" {
		t.Fatalf("created %+v at %q", tk, loc)
	}
	relay.WaitFor(t, "zoe@customer.test", 1)

	invoice := []byte("%PDF-1.4 invoice 1234\n")
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if err := mw.WriteField("text", "Here is your invoice."); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreatePart(textproto.MIMEHeader{"Content-Disposition": {`form-data; name="file"; filename="invoice.pdf"`},
		"Content-Type": {"application/pdf"}})
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(invoice)
	mw.Close()
	var answer ticket.Message
	resp = api.json("POST", "/api/properties/acme/tickets/1/replies", &body, http.StatusCreated, &answer,
		"Content-Type", mw.FormDataContentType())
	if answer.Kind != ticket.KindEmail || answer.Direction != ticket.Outbound || len(answer.Attachments) != 1 {
		t.Fatalf("answer %+v", answer)
	}
	got := relay.WaitFor(t, "zoe@customer.test", 2)[1]
	env := decoded(t, got)
	if !strings.Contains(env.Text, "Here is your invoice.") || len(env.Attachments) != 1 ||
		env.Attachments[0].FileName != "invoice.pdf" || !bytes.Equal(env.Attachments[0].Content, invoice) {
		t.Fatalf("the customer's mail: text %q, %d attachments", env.Text, len(env.Attachments))
	}

	replyTo := got.Header("Reply-To")
	addr := strings.Trim(replyTo[strings.LastIndex(replyTo, "<")+1:], "<> ")
	reply := "From: Zoe Smith <zoe@customer.test>\r\nTo: " + addr + "\r\nSubject: Re: " + got.Header("Subject") + "\r\n" +
		"Message-ID: <zoe-api-1@customer.test>\r\nIn-Reply-To: " + got.Header("Message-ID") + "\r\n" +
		"Date: Sat, 21 Nov 2026 11:00:00 +0000\r\n\r\nThanks, the parcel arrived crumpled.\r\n"
	c, err := dialSMTP(srv.addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.send("zoe@customer.test", []string{addr}, []byte(reply)); err != nil {
		t.Fatal(err)
	}
	var v apiTicketView
	for deadline := time.Now().Add(10 * time.Second); len(v.Messages) < 3 && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		resp = api.json("GET", "/api/properties/acme/tickets/1", nil, http.StatusOK, &v)
	}
	if len(v.Messages) != 3 || v.Messages[2].AuthorEmail != "zoe@customer.test" || v.Messages[2].Thread == "" {
		t.Fatalf("ticket #1 has %d messages, want the first, the answer and Zoe's reply: %+v", len(v.Messages), v.Messages)
	}
	raw := api.do("GET", "/api/properties/acme/tickets/1/messages/"+strconv.FormatInt(v.Messages[2].ID, 10)+"/raw", nil)
	if raw.Status != http.StatusOK || raw.Header.Get("Content-Type") != "message/rfc822" ||
		!strings.HasPrefix(raw.Header.Get("Content-Disposition"), "attachment; filename=") || !bytes.HasSuffix(raw.Body, []byte(reply)) {
		t.Errorf("raw: %d %q %q\n%s", raw.Status, raw.Header.Get("Content-Type"), raw.Header.Get("Content-Disposition"), raw.Body)
	}
	var page webapi.Page[ticket.Ticket]
	api.json("GET", "/api/properties/acme/tickets?q=crumpled", nil, http.StatusOK, &page)
	if len(page.Items) != 1 || page.Items[0].Number != 1 {
		t.Errorf("search for Zoe's word: %+v", page.Items)
	}

	current := resp.Header.Get("ETag")
	api.json("POST", "/api/properties/acme/tickets/1/notes", map[string]any{"text": "crumpled: refund?"}, http.StatusCreated, nil)
	var p webapi.Problem
	api.json("PATCH", "/api/properties/acme/tickets/1", map[string]any{"status": "closed"}, http.StatusPreconditionFailed, &p,
		"If-Match", current)
	resp = api.json("GET", "/api/properties/acme/tickets/1", nil, http.StatusOK, &v)
	api.json("PATCH", "/api/properties/acme/tickets/1", map[string]any{"status": "closed", "close_reason": "resolved"},
		http.StatusOK, &tk, "If-Match", resp.Header.Get("ETag"))
	if tk.Status != ticket.StatusClosed || tk.ClosedBy != "alice@acme.test" {
		t.Errorf("closed: %+v", tk)
	}
}
