package web

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/desk"
	"github.com/postdesk/postdesk/ticket"
)

// TestComposePhoneCallWithFile: the compose form as a browser sends it
// (multipart/form-data) opens a ticket for a new contact with its file,
// tags and priority, recorded as a phone call (a note, nothing mailed);
// the contact can then be merged into another from their page.
func TestComposePhoneCallWithFile(t *testing.T) {
	f := newPageFixture(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range map[string]string{"csrf": f.agent.csrf, "who": "new", "email": "dan@customer.test", "name": "Dan",
		"phone": "+1 555 0101", "subject": "Called about the kettle", "text": "He called.", "priority": "high",
		"tags": "kettle, phone", "assignee": "-", "no_mail": "1"} {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := mw.CreateFormFile("files", "receipt.txt")
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(fw, "receipt 5521\n")
	mw.Close()
	req, _ := http.NewRequest("POST", f.srv.URL+"/p/acme/compose", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: f.agent.secret})
	resp, err := (&http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/p/acme/tickets/2" {
		t.Fatalf("compose = %d %s %.400s", resp.StatusCode, resp.Header.Get("Location"), b)
	}
	ctx := context.Background()
	tk, err := f.st.Ticket(ctx, "acme", 2)
	if err != nil {
		t.Fatal(err)
	}
	if tk.Priority != ticket.PriorityHigh || tk.Assignee != "" || strings.Join(tk.Tags, ",") != "kettle,phone" {
		t.Errorf("ticket #2: priority %s, assignee %q, tags %v", tk.Priority, tk.Assignee, tk.Tags)
	}
	msgs, err := f.st.Messages(ctx, tk.ID)
	if err != nil || len(msgs) != 1 || msgs[0].Kind != ticket.KindNote || msgs[0].Thread != desk.PhoneCall {
		t.Fatalf("messages of #2: %v %+v, want one note of a phone call", err, msgs)
	}
	atts, err := f.st.Attachments(ctx, msgs[0].ID)
	if err != nil || len(atts) != 1 || atts[0].Filename != "receipt.txt" {
		t.Errorf("attachments: %v %+v, want receipt.txt", err, atts)
	}

	// Merge Dan into Carol from Dan's page: the browser goes to Carol's,
	// and Dan's address opens Carol's page, naming the alias.
	got := f.do(f.agent, "POST", "/p/acme/contacts/dan@customer.test/merge", url.Values{"into": {"carol@customer.test"}}, false)
	if got.status != http.StatusSeeOther || got.location != "/p/acme/contacts/carol@customer.test" {
		t.Fatalf("merge = %d %q %.300s", got.status, got.location, got.body)
	}
	page := f.do(f.agent, "GET", "/p/acme/contacts/dan@customer.test", nil, false)
	if page.status != http.StatusOK || !strings.Contains(page.body, "dan@customer.test was merged into this contact") ||
		!strings.Contains(page.body, "Called about the kettle") {
		t.Errorf("dan's page after the merge = %d, want carol's with dan's ticket", page.status)
	}
}
