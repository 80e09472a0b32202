package webapi

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/sla"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// TestTeamRoutes: an admin changes the settings, adds a member and a
// department, changes a member and sets the SLA policy, each recorded in
// the audit log under her name; an agent reads the team but changes none of
// it; conflicts are 409 and nonsense 422.
func TestTeamRoutes(t *testing.T) {
	f := newFixture(t)
	var p ticket.Property
	f.json(f.admin, "PATCH", "/api/properties/acme", map[string]any{"assign_on_answer": false}, http.StatusOK, &p)
	if p.AssignOnAnswer {
		t.Errorf("PATCH property: assign_on_answer still on: %+v", p)
	}
	f.json(f.admin, "PATCH", "/api/properties/acme", map[string]any{}, http.StatusUnprocessableEntity, nil)
	f.json(f.admin, "PATCH", "/api/properties/acme", map[string]any{"assign_on_anwser": true}, http.StatusBadRequest, nil)

	var m ticket.Member
	f.json(f.admin, "POST", "/api/properties/acme/members", map[string]any{"email": "Dan@Acme.test", "name": "Dan"}, http.StatusCreated, &m)
	if m.Email != "dan@acme.test" || m.Role != ticket.RoleAgent || !m.Available {
		t.Errorf("POST members = %+v, want dan, an available agent", m)
	}
	f.json(f.admin, "POST", "/api/properties/acme/members", map[string]any{"email": "dan@acme.test"}, http.StatusConflict, nil)
	f.json(f.admin, "POST", "/api/properties/acme/members", map[string]any{"email": "no-at-sign"}, http.StatusUnprocessableEntity, nil)
	f.json(f.admin, "PATCH", "/api/properties/acme/members/dan@acme.test", map[string]any{"capacity": 3, "available": false}, http.StatusOK, &m)
	if m.Capacity != 3 || m.Available {
		t.Errorf("PATCH member = %+v, want capacity 3, unavailable", m)
	}
	f.json(f.admin, "PATCH", "/api/properties/acme/members/boss@acme.test", map[string]any{"role": "agent"}, http.StatusUnprocessableEntity, nil) // the last admin
	f.json(f.admin, "PATCH", "/api/properties/acme/members/nobody@acme.test", map[string]any{"capacity": 1}, http.StatusNotFound, nil)
	var members []ticket.Member
	f.json(f.agent, "GET", "/api/properties/acme/members", nil, http.StatusOK, &members)
	if len(members) != 3 {
		t.Errorf("GET members = %+v, want boss, alice and dan", members)
	}
	f.json(f.agent, "POST", "/api/properties/acme/members", map[string]any{"email": "eve@acme.test"}, http.StatusForbidden, nil)

	var d ticket.Department
	f.json(f.admin, "POST", "/api/properties/acme/departments", map[string]any{"name": "Sales", "members": []string{"dan@acme.test"}}, http.StatusCreated, &d)
	f.json(f.admin, "POST", "/api/properties/acme/departments", map[string]any{"name": "Sales"}, http.StatusConflict, nil)
	f.json(f.admin, "POST", "/api/properties/acme/departments", map[string]any{"name": "Ghosts", "members": []string{"ghost@acme.test"}}, http.StatusNotFound, nil)
	var deps []ticket.Department
	f.json(f.agent, "GET", "/api/properties/acme/departments", nil, http.StatusOK, &deps)
	if len(deps) != 2 || deps[1].Name != "Sales" && deps[0].Name != "Sales" {
		t.Errorf("GET departments = %+v, want the default and Sales", deps)
	}

	policy := `{"targets":{"highest":{"first_response":"30m","resolution":"4h"}},"warn_share":0.5,` +
		`"hours":{"time_zone":"Europe/Berlin","week":{"mon":["09:00-17:00"]},"holidays":["2026-12-25"]}}`
	var got sla.Policy
	f.json(f.admin, "PUT", "/api/properties/acme/sla", rawJSON(policy), http.StatusOK, &got)
	if got.Target(ticket.PriorityHighest).Resolution != sla.Duration(4*60*60*1e9) || got.Hours == nil || got.Hours.Zone != "Europe/Berlin" {
		t.Errorf("PUT sla = %+v", got)
	}
	r := f.json(f.agent, "GET", "/api/properties/acme/sla", nil, http.StatusOK, nil)
	if !strings.Contains(string(r.body), `"resolution":"4h"`) || !strings.Contains(string(r.body), `"first_response":"30m"`) {
		t.Errorf("GET sla does not say durations as sla set takes them: %s", r.body)
	}
	f.json(f.admin, "PUT", "/api/properties/acme/sla", rawJSON(`{"targets":{"highest":{"resolution":"soon"}}}`), http.StatusBadRequest, nil)
	f.json(f.admin, "PUT", "/api/properties/acme/sla", rawJSON(`{"targets":{}}`), http.StatusUnprocessableEntity, nil)
	f.json(f.agent, "PUT", "/api/properties/acme/sla", rawJSON(policy), http.StatusForbidden, nil)
	f.json(f.other, "GET", "/api/properties/beta/sla", nil, http.StatusNotFound, nil)

	var log []store.AuditEntry
	f.json(f.admin, "GET", "/api/properties/acme/audit?limit=6", nil, http.StatusOK, &log)
	var lines []string
	for _, e := range log {
		lines = append(lines, e.Actor+": "+e.Action)
	}
	want := []string{"boss@acme.test: SLA policy set", "boss@acme.test: department added", "boss@acme.test: member changed",
		"boss@acme.test: member added", "boss@acme.test: property changed"}
	if got := strings.Join(lines, "; "); !strings.HasPrefix(got, strings.Join(want, "; ")) {
		t.Errorf("audit = %s\nwant it to start with %s", got, strings.Join(want, "; "))
	}
	f.json(f.agent, "GET", "/api/properties/acme/audit", nil, http.StatusForbidden, nil)
}

// rawJSON is a JSON body given as text.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestCatalogRoutes: topics and fields are added by admins, saved replies
// by any member, with the desk's validation.
func TestCatalogRoutes(t *testing.T) {
	f := newFixture(t)
	var tp store.Topic
	f.json(f.admin, "POST", "/api/properties/acme/topics", map[string]any{"name": "Refunds"}, http.StatusCreated, &tp)
	f.json(f.admin, "POST", "/api/properties/acme/topics", map[string]any{"name": "refunds"}, http.StatusConflict, nil)
	f.json(f.agent, "POST", "/api/properties/acme/topics", map[string]any{"name": "Other"}, http.StatusForbidden, nil)
	var topics []store.Topic
	f.json(f.agent, "GET", "/api/properties/acme/topics", nil, http.StatusOK, &topics)
	if len(topics) != 2 {
		t.Errorf("GET topics = %+v, want the seeded one and refunds", topics)
	}

	var rt store.ReplyTemplate
	f.json(f.agent, "POST", "/api/properties/acme/reply-templates", map[string]any{"name": "hello", "body": "Hello {{customer.first_name}}"}, http.StatusCreated, &rt)
	if rt.CreatedBy != "alice@acme.test" {
		t.Errorf("saved reply by %q, want alice", rt.CreatedBy)
	}
	f.json(f.agent, "POST", "/api/properties/acme/reply-templates", map[string]any{"name": "bad", "body": "{{nope}}"}, http.StatusUnprocessableEntity, nil)
	var templates []store.ReplyTemplate
	f.json(f.agent, "GET", "/api/properties/acme/reply-templates", nil, http.StatusOK, &templates)
	if len(templates) != 2 {
		t.Errorf("GET reply-templates = %+v", templates)
	}

	var fl ticket.Field
	f.json(f.admin, "POST", "/api/properties/acme/fields", map[string]any{"for": "ticket", "name": "tier", "type": "choice", "choices": []string{"gold", "silver"}}, http.StatusCreated, &fl)
	if fl.Type != ticket.FieldChoice || len(fl.Choices) != 2 {
		t.Errorf("POST fields = %+v", fl)
	}
	f.json(f.admin, "POST", "/api/properties/acme/fields", map[string]any{"for": "ticket", "name": "tier"}, http.StatusUnprocessableEntity, nil)
	f.json(f.admin, "POST", "/api/properties/acme/fields", map[string]any{"for": "order", "name": "x"}, http.StatusUnprocessableEntity, nil)
	f.json(f.agent, "POST", "/api/properties/acme/fields", map[string]any{"for": "ticket", "name": "y"}, http.StatusForbidden, nil)
	var fields []ticket.Field
	f.json(f.agent, "GET", "/api/properties/acme/fields", nil, http.StatusOK, &fields)
	if len(fields) != 2 {
		t.Errorf("GET fields = %+v, want plan and tier", fields)
	}
}

// TestContactRoutes: a contact with fields, aliases and a timeline in
// cursor pages that together hold every entry once; edits, notes, fields
// and a merge, as any member.
func TestContactRoutes(t *testing.T) {
	f := newFixture(t)
	for i := range 4 {
		f.json(f.agent, "POST", "/api/properties/acme/contacts/"+carol+"/notes", map[string]any{"text": fmt.Sprintf("call %d", i)}, http.StatusCreated, nil)
	}
	f.json(f.agent, "POST", "/api/properties/acme/contacts/"+carol+"/notes", map[string]any{"text": " "}, http.StatusUnprocessableEntity, nil)
	var all contactView
	f.json(f.agent, "GET", "/api/properties/acme/contacts/"+carol+"?limit=500", nil, http.StatusOK, &all)
	if all.Contact.Fields[fieldName] != "gold-acme" || all.Timeline.Next != "" {
		t.Fatalf("GET contact = %+v", all)
	}
	if n := len(all.Timeline.Items); n != 8 { // ticket, mail, seeded note, field note, 4 notes
		t.Fatalf("timeline has %d entries: %+v", n, all.Timeline.Items)
	}
	var paged []store.TimelineEntry
	path := "/api/properties/acme/contacts/" + carol + "?limit=3"
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("the timeline's pages do not end")
		}
		var v contactView
		f.json(f.agent, "GET", path, nil, http.StatusOK, &v)
		paged = append(paged, v.Timeline.Items...)
		if v.Timeline.Next == "" {
			break
		}
		path = "/api/properties/acme/contacts/" + carol + "?limit=3&cursor=" + v.Timeline.Next
	}
	if fmt.Sprint(paged) != fmt.Sprint(all.Timeline.Items) {
		t.Errorf("pages of 3:\n%v\nwant\n%v", paged, all.Timeline.Items)
	}
	f.json(f.agent, "GET", "/api/properties/acme/contacts/"+carol+"?cursor=x", nil, http.StatusBadRequest, nil)

	var c ticket.Contact
	f.json(f.agent, "PATCH", "/api/properties/acme/contacts/"+carol, map[string]any{"phone": "+49 30 1234"}, http.StatusOK, &c)
	if c.Phone != "+49 30 1234" || c.Name != "Carol Customer" {
		t.Errorf("PATCH contact = %+v", c)
	}
	f.json(f.agent, "PATCH", "/api/properties/acme/contacts/"+carol, map[string]any{"phone": "call me"}, http.StatusUnprocessableEntity, nil)
	f.json(f.agent, "PUT", "/api/properties/acme/contacts/"+carol+"/fields/"+fieldName, map[string]any{"value": "silver"}, http.StatusOK, &c)
	if c.Fields[fieldName] != "silver" {
		t.Errorf("PUT field = %+v", c)
	}
	f.json(f.agent, "PUT", "/api/properties/acme/contacts/"+carol+"/fields/nosuch", map[string]any{"value": "x"}, http.StatusUnprocessableEntity, nil)

	// A second address of carol's, merged into her.
	if err := f.pipe.Deliver(t.Context(), "carol.home@customer.test", []string{"support@acme.test"},
		[]byte("From: carol.home@customer.test\r\nTo: support@acme.test\r\nSubject: again\r\nMessage-ID: <again@customer.test>\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	f.json(f.agent, "POST", "/api/properties/acme/contacts/carol.home@customer.test/merge", map[string]any{"into": carol}, http.StatusOK, &c)
	f.json(f.agent, "POST", "/api/properties/acme/contacts/carol.home@customer.test/merge", map[string]any{"into": carol}, http.StatusUnprocessableEntity, nil)
	var v contactView
	f.json(f.agent, "GET", "/api/properties/acme/contacts/carol.home@customer.test", nil, http.StatusOK, &v)
	if v.MergedFrom != "carol.home@customer.test" || v.Contact.Email != carol || len(v.Aliases) != 1 {
		t.Errorf("GET merged contact = merged_from %q, contact %s, aliases %v", v.MergedFrom, v.Contact.Email, v.Aliases)
	}
	f.json(f.agent, "GET", "/api/properties/acme/contacts/nobody@customer.test", nil, http.StatusNotFound, nil)
}

// TestHeldRoutes: held mail is read and downloaded by any member; an
// agent may discard it but not release it (it claims the admin's From, and
// a release would post it as hers); the admin releases it without or with
// its commands. A suppression is cleared by an admin only.
func TestHeldRoutes(t *testing.T) {
	f := newFixture(t)
	var held []ticket.HeldMail
	f.json(f.agent, "GET", "/api/properties/acme/held", nil, http.StatusOK, &held)
	if len(held) != 1 || held[0].Subject != "Forged boss mail" {
		t.Fatalf("GET held = %+v", held)
	}
	id := fmt.Sprint(f.heldID)
	var hv heldView
	f.json(f.agent, "GET", "/api/properties/acme/held/"+id, nil, http.StatusOK, &hv)
	if len(hv.Commands) != 1 || hv.Commands[0] != "#close" || hv.Sender != "boss@acme.test" {
		t.Errorf("GET held/%s = %+v", id, hv)
	}
	raw := f.call(f.agent, "GET", "/api/properties/acme/held/"+id+"/raw", nil)
	if raw.status != http.StatusOK || raw.header.Get("Content-Type") != "message/rfc822" ||
		!strings.HasPrefix(string(raw.body), "From: boss@acme.test\r\n") {
		t.Errorf("GET raw = %d %s:\n%s", raw.status, raw.header.Get("Content-Type"), raw.body)
	}
	f.json(f.agent, "POST", "/api/properties/acme/held/"+id+"/release", map[string]any{}, http.StatusForbidden, nil)
	f.json(f.agent, "GET", "/api/properties/acme/held/999", nil, http.StatusNotFound, nil)
	f.json(f.agent, "GET", "/api/properties/acme/held/x", nil, http.StatusBadRequest, nil)

	var rel heldReleased
	f.json(f.admin, "POST", "/api/properties/acme/held/"+id+"/release", nil, http.StatusOK, &rel)
	if rel.Held.Status != ticket.HeldReleased || rel.Held.ResolvedBy != "boss@acme.test" || rel.Ticket != 1 {
		t.Errorf("release = %+v", rel)
	}
	f.json(f.admin, "POST", "/api/properties/acme/held/"+id+"/release", nil, http.StatusUnprocessableEntity, nil)
	f.json(f.agent, "POST", "/api/properties/acme/held/"+id+"/discard", nil, http.StatusUnprocessableEntity, nil)
	f.json(f.agent, "GET", "/api/properties/acme/held?all=true", nil, http.StatusOK, &held)
	if len(held) != 1 {
		t.Errorf("GET held?all = %+v", held)
	}

	// Another forged mail, a new ticket's: released, it would be held
	// again (409); the agent discards it.
	if err := f.pipe.Deliver(t.Context(), "boss@acme.test", []string{"support@acme.test"},
		[]byte("From: boss@acme.test\r\nTo: support@acme.test\r\nSubject: forged again\r\nMessage-ID: <f2@acme.test>\r\n\r\nhi\r\n")); err != nil {
		t.Fatal(err)
	}
	f.json(f.agent, "GET", "/api/properties/acme/held", nil, http.StatusOK, &held)
	if len(held) != 1 {
		t.Fatalf("GET held = %+v, want the second forged mail", held)
	}
	f.json(f.admin, "POST", fmt.Sprintf("/api/properties/acme/held/%d/release", held[0].ID), nil, http.StatusConflict, nil)
	var h ticket.HeldMail
	f.json(f.agent, "POST", fmt.Sprintf("/api/properties/acme/held/%d/discard", held[0].ID), nil, http.StatusOK, &h)
	if h.Status != ticket.HeldDiscarded || h.ResolvedBy != "alice@acme.test" {
		t.Errorf("discard = %+v", h)
	}

	var sup []ticket.Suppression
	f.json(f.agent, "GET", "/api/properties/acme/suppressions", nil, http.StatusOK, &sup)
	if len(sup) != 1 || sup[0].Address != suppressed {
		t.Fatalf("GET suppressions = %+v", sup)
	}
	f.json(f.agent, "DELETE", "/api/properties/acme/suppressions/"+suppressed, nil, http.StatusForbidden, nil)
	f.json(f.admin, "DELETE", "/api/properties/acme/suppressions/"+suppressed, nil, http.StatusNoContent, nil)
	f.json(f.admin, "DELETE", "/api/properties/acme/suppressions/"+suppressed, nil, http.StatusNotFound, nil)
	var bounces []ticket.Bounce
	f.json(f.agent, "GET", "/api/properties/acme/bounces", nil, http.StatusOK, &bounces)
}
