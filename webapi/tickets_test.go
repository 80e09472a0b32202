package webapi

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

// listFixture opens five tickets by API to list:
//
//	1 "printer on fire"  zoe   Bob's, highest, tag hw
//	2 "invoice missing"  yan   Cat's, low, topic billing, tag money
//	3 "refund please"    zoe   nobody's, medium, tag money
//	4 "password reset"   xia   Bob's, closed
//	5 "spam offer"       spam  Bob's, marked spam
func listFixture(t *testing.T) *apiFixture {
	f := newAPIFixture(t)
	f.create("zoe@customer.test", "printer on fire", map[string]any{"priority": "highest", "tags": []string{"hw"}})
	f.create("yan@customer.test", "invoice missing", map[string]any{"priority": "low", "topic": "billing",
		"tags": []string{"money"}, "assignee": "cat@acme.test"})
	f.create("zoe@customer.test", "refund please", map[string]any{"tags": []string{"money"}, "unassigned": true})
	f.create("xia@customer.test", "password reset", nil)
	f.create("spam@spam.test", "spam offer", nil)
	f.json("Bob", "PATCH", ticketURL("acme", 4), map[string]any{"status": "closed"}, http.StatusOK, nil)
	f.json("Bob", "POST", ticketURL("acme", 5)+"/spam", nil, http.StatusOK, nil)
	return f
}

// TestTicketListFilters: every filter and order of `ticket list` through
// the API, cursor paging, and bad parameters refused with 400 and a detail.
func TestTicketListFilters(t *testing.T) {
	f := listFixture(t)
	for _, tc := range []struct {
		query string
		want  []string // subjects, in order
	}{
		{"", []string{"password reset", "refund please", "invoice missing", "printer on fire"}},
		{"?folder=closed", []string{"password reset"}},
		{"?folder=spam", []string{"spam offer"}},
		{"?folder=open&sort=priority", []string{"printer on fire", "refund please", "invoice missing"}},
		{"?mine", []string{"password reset", "printer on fire"}},
		{"?mine=true&folder=open", []string{"printer on fire"}},
		{"?assignee=cat@acme.test", []string{"invoice missing"}},
		{"?unassigned=1", []string{"refund please"}},
		{"?department=Support", []string{"password reset", "refund please", "invoice missing", "printer on fire"}},
		{"?priority=highest", []string{"printer on fire"}},
		{"?tag=money", []string{"refund please", "invoice missing"}},
		{"?topic=billing", []string{"invoice missing"}},
		{"?overdue", nil},
		{"?requester=zoe@customer.test", []string{"refund please", "printer on fire"}},
		{"?q=invoice", []string{"invoice missing"}},
		{"?q=PRINT*", []string{"printer on fire"}},
		{"?q=zoe&tag=money", []string{"refund please"}},
		{"?sort=priority", []string{"printer on fire", "password reset", "refund please", "invoice missing"}},
		{"?sort=due", []string{"printer on fire", "invoice missing", "refund please", "password reset"}}, // no SLA: none is due, by id,
	} {
		var page Page[ticket.Ticket]
		resp := f.call("Bob", "GET", "/api/properties/acme/tickets"+tc.query, nil)
		if resp.Status != http.StatusOK {
			t.Errorf("list %s: %d %s", tc.query, resp.Status, resp.Body)
			continue
		}
		mustUnmarshal(t, resp.Body, &page)
		var got []string
		for _, tk := range page.Items {
			got = append(got, tk.Subject)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("list %s = %q, want %q", tc.query, got, tc.want)
		}
	}

	// Pages of two, walked by cursor, list every ticket once, in order.
	var walked []string
	for path := "/api/properties/acme/tickets?limit=2"; ; {
		var page Page[ticket.Ticket]
		f.json("Bob", "GET", path, nil, http.StatusOK, &page)
		for _, tk := range page.Items {
			walked = append(walked, tk.Subject)
		}
		if page.Next == "" {
			break
		}
		if len(page.Items) != 2 || len(walked) > 4 {
			t.Fatalf("page of %d after %q", len(page.Items), walked)
		}
		path = "/api/properties/acme/tickets?limit=2&cursor=" + page.Next
	}
	if want := []string{"password reset", "refund please", "invoice missing", "printer on fire"}; !slices.Equal(walked, want) {
		t.Errorf("walked %q, want %q", walked, want)
	}

	for _, tc := range []struct{ query, detail string }{
		{"?colour=red", `unknown query parameter "colour"`},
		{"?folder=archive", "unknown status"},
		{"?priority=urgentest", "unknown priority"},
		{"?sort=name", "unknown sort"},
		{"?limit=0", "limit"},
		{"?limit=501", "limit"},
		{"?cursor=nonsense", "cursor"},
		{"?mine&assignee=cat@acme.test", "give one"},
		{"?unassigned&assignee=cat@acme.test", "exclude"},
		{"?overdue=maybe", "true or false"},
		{"?tag=a&tag=b", "once"},
	} {
		var p Problem
		resp := f.call("Bob", "GET", "/api/properties/acme/tickets"+tc.query, nil)
		mustUnmarshal(t, resp.Body, &p)
		if resp.Status != http.StatusBadRequest || !strings.Contains(p.Detail, tc.detail) {
			t.Errorf("list %s: %d %q, want 400 saying %q", tc.query, resp.Status, p.Detail, tc.detail)
		}
	}
}

// TestTicketPatchAllOrNothing: a PATCH whose last change is refused makes
// none of its changes (one transaction); a good one makes them all and
// answers the ticket with its fields and new ETag, the one GET gives.
func TestTicketPatchAllOrNothing(t *testing.T) {
	f := newAPIFixture(t)
	tk := f.create("zoe@customer.test", "printer on fire", nil)
	before, tag := f.show(tk.Number)
	for _, tc := range []struct {
		name   string
		patch  map[string]any
		status int
	}{
		{"unknown field", map[string]any{"priority": "high", "add_tags": []string{"hw"}, "topic": "billing",
			"assignee": "cat@acme.test", "fields": map[string]string{"plan": "pro", "nosuch": "x"}}, http.StatusUnprocessableEntity},
		{"bad choice", map[string]any{"priority": "high", "fields": map[string]string{"plan": "gold"}}, http.StatusUnprocessableEntity},
		{"bad tag", map[string]any{"priority": "high", "add_tags": []string{"hw", "two words"}}, http.StatusUnprocessableEntity},
		{"unknown assignee", map[string]any{"priority": "high", "assignee": "nobody@acme.test"}, http.StatusUnprocessableEntity},
		{"unknown topic", map[string]any{"priority": "high", "topic": "nosuch"}, http.StatusNotFound},
		{"snooze passed", map[string]any{"priority": "high", "status": "snoozed", "snoozed_until": "2001-01-01T00:00:00Z"}, http.StatusUnprocessableEntity},
		{"bad status", map[string]any{"priority": "high", "status": "answered"}, http.StatusUnprocessableEntity},
		{"reason without close", map[string]any{"priority": "high", "close_reason": "cancelled"}, http.StatusUnprocessableEntity},
		{"unknown key", map[string]any{"priority": "high", "colour": "red"}, http.StatusBadRequest},
		{"empty", map[string]any{}, http.StatusUnprocessableEntity},
	} {
		resp := f.call("Bob", "PATCH", ticketURL("acme", tk.Number), tc.patch)
		if resp.Status != tc.status {
			t.Errorf("%s: status %d, want %d: %s", tc.name, resp.Status, tc.status, resp.Body)
		}
		after, afterTag := f.show(tk.Number)
		if afterTag != tag || after.Ticket.Priority != before.Ticket.Priority || len(after.Ticket.Tags) != 0 ||
			len(after.Ticket.Fields) != 0 || len(after.Events) != len(before.Events) {
			t.Errorf("%s: the ticket changed: %+v, %d events (ETag %s → %s)", tc.name, after.Ticket, len(after.Events), tag, afterTag)
		}
	}

	var got ticket.Ticket
	resp := f.json("Bob", "PATCH", ticketURL("acme", tk.Number), map[string]any{"priority": "high", "add_tags": []string{"hw"},
		"topic": "billing", "assignee": "cat@acme.test", "note": "yours", "fields": map[string]string{"plan": "pro"},
		"status": "closed", "close_reason": "cancelled"}, http.StatusOK, &got)
	if got.Priority != ticket.PriorityHigh || !slices.Equal(got.Tags, []string{"hw"}) || got.Topic != "billing" ||
		got.Assignee != "cat@acme.test" || got.Fields["plan"] != "pro" || got.Status != ticket.StatusClosed ||
		got.ClosedReason != ticket.ClosedCancelled {
		t.Errorf("patched: %+v", got)
	}
	_, now := f.show(tk.Number)
	if newTag := resp.Header.Get("ETag"); newTag == tag || newTag != now {
		t.Errorf("PATCH answered ETag %s; before %s, GET now %s", newTag, tag, now)
	}
	f.json("Bob", "PATCH", ticketURL("acme", tk.Number), map[string]any{"assignee": nil}, http.StatusOK, &got)
	if got.Assignee != "" {
		t.Errorf("assignee null: assigned to %q", got.Assignee)
	}
}

// TestTicketIfMatch: every ticket-changing route honours If-Match: with a
// stale ETag it answers 412 and nothing changes; with the current one, or
// *, it goes ahead.
func TestTicketIfMatch(t *testing.T) {
	f := newAPIFixture(t)
	tk := f.create("zoe@customer.test", "printer on fire", nil)
	f.create("zoe@customer.test", "other", nil)
	_, stale := f.show(tk.Number)
	f.json("Bob", "PATCH", ticketURL("acme", tk.Number), map[string]any{"add_tags": []string{"hw"}}, http.StatusOK, nil)
	before, current := f.show(tk.Number)
	if current == stale {
		t.Fatalf("the ETag %s did not change with a tag", current)
	}
	path := ticketURL("acme", tk.Number)
	for _, tc := range []struct {
		who, method, path string
		body              any
	}{
		{"Bob", "PATCH", path, map[string]any{"priority": "high"}},
		{"Bob", "POST", path + "/replies", map[string]any{"text": "hello"}},
		{"Bob", "POST", path + "/notes", map[string]any{"text": "hello"}},
		{"Bob", "POST", path + "/spam", nil},
		{"Bob", "POST", path + "/merge", map[string]any{"into": 2}},
		{"Bob", "POST", path + "/split", map[string]any{"message_id": before.Messages[0].ID}},
		{"Ann", "DELETE", path, nil},
	} {
		resp := f.call(tc.who, tc.method, tc.path, tc.body, "If-Match", stale)
		if resp.Status != http.StatusPreconditionFailed || !strings.Contains(string(resp.Body), `"status":412`) {
			t.Errorf("%s %s with a stale If-Match: %d %s", tc.method, tc.path, resp.Status, resp.Body)
		}
		if after, tag := f.show(tk.Number); tag != current || len(after.Messages) != len(before.Messages) || after.Ticket.Status != before.Ticket.Status {
			t.Errorf("%s %s with a stale If-Match changed the ticket", tc.method, tc.path)
		}
	}
	resp := f.json("Bob", "PATCH", path, map[string]any{"priority": "high"}, http.StatusOK, nil, "If-Match", `"x", `+current)
	f.json("Bob", "POST", path+"/notes", map[string]any{"text": "noted"}, http.StatusCreated, nil, "If-Match", resp.Header.Get("ETag"))
	f.json("Bob", "PATCH", path, map[string]any{"priority": "low"}, http.StatusOK, nil, "If-Match", "*")
	f.json("Bob", "PATCH", path, map[string]any{"priority": "high"}, http.StatusPreconditionFailed, nil, "If-Match", "W/"+current)
}

// TestTicketETag: the ETag changes with anything GET shows (a tag, a
// custom field, a note), even when every change falls in one millisecond
// (the clock is frozen: updated_at stays), and not otherwise; If-None-Match
// with it gets 304.
func TestTicketETag(t *testing.T) {
	f := newAPIFixture(t)
	tk := f.create("zoe@customer.test", "printer on fire", nil)
	frozen := time.Now()
	f.frozen.Store(&frozen)
	path := ticketURL("acme", tk.Number)
	_, tag := f.show(tk.Number)
	if _, again := f.show(tk.Number); again != tag || !strings.HasPrefix(tag, `"`) {
		t.Fatalf("ETag %s then %s", tag, again)
	}
	resp := f.call("Bob", "GET", path, nil, "If-None-Match", tag)
	if resp.Status != http.StatusNotModified || len(resp.Body) != 0 || resp.Header.Get("ETag") != tag {
		t.Errorf("If-None-Match: %d, %d bytes, ETag %q", resp.Status, len(resp.Body), resp.Header.Get("ETag"))
	}
	seen := map[string]string{tag: "created"}
	for _, step := range []struct {
		name, method, path string
		body               any
	}{
		{"tag", "PATCH", path, map[string]any{"add_tags": []string{"hw"}}},
		{"untag", "PATCH", path, map[string]any{"remove_tags": []string{"hw"}}},
		{"field", "PATCH", path, map[string]any{"fields": map[string]string{"plan": "pro"}}},
		{"field cleared", "PATCH", path, map[string]any{"fields": map[string]string{"plan": ""}}},
		{"note", "POST", path + "/notes", map[string]any{"text": "a note"}},
		{"another note", "POST", path + "/notes", map[string]any{"text": "another note"}},
	} {
		if r := f.call("Bob", step.method, step.path, step.body); r.Status >= 300 {
			t.Fatalf("%s: %d %s", step.name, r.Status, r.Body)
		}
		_, now := f.show(tk.Number)
		if was, ok := seen[now]; ok {
			t.Errorf("after %s the ETag is the one it had after %s", step.name, was)
		}
		seen[now] = step.name
		if r := f.call("Bob", "GET", path, nil, "If-None-Match", tag); r.Status != http.StatusOK {
			t.Errorf("after %s, the old ETag in If-None-Match got %d", step.name, r.Status)
		}
		tag = now
	}
}

// TestTicketUploadRoundTrip: a ticket opened with a multipart upload (a
// "ticket" JSON part and a file) and a note with form fields and an HTML
// file; each file downloads byte for byte with its type and name, as a
// download that cannot run in the API's origin. A file is found only
// through its own ticket.
func TestTicketUploadRoundTrip(t *testing.T) {
	f := newAPIFixture(t)
	pdf := []byte("%PDF-1.4\n\x00\x01\x02 binary \xff\xfe return label\n")
	body := newMultipart().
		part(t, []byte(`{"email":"zoe@customer.test","subject":"Your return","text":"the label","no_mail":true}`),
			"Content-Disposition", `form-data; name="ticket"`, "Content-Type", "application/json").
		part(t, pdf, "Content-Disposition", `form-data; name="file"; filename="Étiquette retour.pdf"`, "Content-Type", "application/pdf").
		close(t)
	var tk ticket.Ticket
	resp := f.json("Bob", "POST", "/api/properties/acme/tickets", body, http.StatusCreated, &tk)
	if loc := resp.Header.Get("Location"); loc != ticketURL("acme", tk.Number) || resp.Header.Get("ETag") == "" {
		t.Errorf("Location %q, ETag %q", loc, resp.Header.Get("ETag"))
	}
	html := []byte("<html><script>alert(document.cookie)</script></html>")
	note := newMultipart().
		part(t, []byte("see the page"), "Content-Disposition", `form-data; name="text"`).
		part(t, html, "Content-Disposition", `form-data; name="files"; filename="page.html"`, "Content-Type", "application/octet-stream").
		close(t)
	var m ticket.Message
	f.json("Bob", "POST", ticketURL("acme", tk.Number)+"/notes", note, http.StatusCreated, &m)
	if m.Kind != ticket.KindNote || m.Text != "see the page" || len(m.Attachments) != 1 {
		t.Fatalf("note: %+v", m)
	}

	v, _ := f.show(tk.Number)
	if len(v.Messages) != 2 || len(v.Messages[0].Attachments) != 1 {
		t.Fatalf("messages: %+v", v.Messages)
	}
	for _, tc := range []struct {
		msg                ticket.Message
		data               []byte
		ctype, disposition string
	}{
		{v.Messages[0], pdf, "application/pdf",
			`attachment; filename="_tiquette retour.pdf"; filename*=UTF-8''%C3%89tiquette%20retour.pdf`},
		{v.Messages[1], html, "text/html; charset=utf-8", `attachment; filename="page.html"`},
	} {
		a := tc.msg.Attachments[0]
		path := ticketURL("acme", tk.Number) + "/messages/" + itoa(tc.msg.ID) + "/attachments/" + itoa(a.ID)
		got := f.call("Cat", "GET", path, nil)
		h := got.Header
		if got.Status != http.StatusOK || !bytes.Equal(got.Body, tc.data) {
			t.Errorf("%s: %d, %d bytes, want the %d uploaded", path, got.Status, len(got.Body), len(tc.data))
		}
		if h.Get("Content-Type") != tc.ctype || h.Get("Content-Disposition") != tc.disposition {
			t.Errorf("%s: Content-Type %q, Content-Disposition %q; want %q, %q", path, h.Get("Content-Type"),
				h.Get("Content-Disposition"), tc.ctype, tc.disposition)
		}
		if h.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(h.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("%s: nosniff %q, CSP %q", path, h.Get("X-Content-Type-Options"), h.Get("Content-Security-Policy"))
		}
		other := f.create("yan@customer.test", "other "+itoa(a.ID), nil)
		for _, wrong := range []string{
			ticketURL("acme", other.Number) + "/messages/" + itoa(tc.msg.ID) + "/attachments/" + itoa(a.ID),
			ticketURL("acme", tk.Number) + "/messages/" + itoa(tc.msg.ID) + "/attachments/" + itoa(a.ID+100),
			ticketURL("acme", tk.Number) + "/messages/" + itoa(tc.msg.ID) + "/raw", // written on the desk: no raw form
		} {
			if r := f.call("Bob", "GET", wrong, nil); r.Status != http.StatusNotFound {
				t.Errorf("%s: %d, want 404", wrong, r.Status)
			}
		}
	}
}

// TestTicketDeleteAdminsOnly: an agent's DELETE and undelete get 403 and
// change nothing; an admin's delete and undelete the ticket.
func TestTicketDeleteAdminsOnly(t *testing.T) {
	f := newAPIFixture(t)
	tk := f.create("zoe@customer.test", "printer on fire", nil)
	path := ticketURL("acme", tk.Number)
	f.json("Bob", "DELETE", path, nil, http.StatusForbidden, nil)
	if v, _ := f.show(tk.Number); v.Ticket.Status == ticket.StatusDeleted {
		t.Fatal("an agent deleted the ticket")
	}
	var got ticket.Ticket
	f.json("Ann", "DELETE", path, nil, http.StatusOK, &got)
	if got.Status != ticket.StatusDeleted {
		t.Errorf("deleted: %s", got.Status)
	}
	f.json("Bob", "POST", path+"/undelete", nil, http.StatusForbidden, nil)
	f.json("Ann", "POST", path+"/undelete", nil, http.StatusOK, &got)
	if got.Status != ticket.StatusOpen {
		t.Errorf("undeleted: %s", got.Status)
	}
}
