package webapi

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// placeholder is a {name} of a route's path.
var placeholder = regexp.MustCompile(`\{([a-z]+)\}`)

// fill makes a route's path concrete: {prop} is prop, every other value
// names something real of acme's. A route with a value the walk does not
// know fails the test, so a new route is walked, not skipped.
func (f *fixture) fill(t *testing.T, r Route, prop string) string {
	t.Helper()
	values := map[string]string{
		"prop": prop, "n": "1", "id": fmt.Sprint(f.heldID), "aid": fmt.Sprint(f.attachmentID), "mid": fmt.Sprint(f.messageID),
		"email": carol, "address": suppressed, "name": fieldName,
	}
	// {id} names a different kind of row on each route: give each a real
	// one, so that a route that forgets the property cannot hide behind an
	// id that does not exist.
	switch {
	case strings.Contains(r.Path, "/messages/{id}"):
		values["id"] = fmt.Sprint(f.messageID)
	case strings.Contains(r.Path, "/webhooks/{id}"):
		values["id"] = fmt.Sprint(f.webhookID)
	case !strings.Contains(r.Path, "/held/{id}") && strings.Contains(r.Path, "{id}"):
		t.Fatalf("%s %s: the walk does not know which row {id} names; add it to fill", r.Method, r.Path)
	}
	return placeholder.ReplaceAllStringFunc(r.Path, func(m string) string {
		v, ok := values[m[1:len(m)-1]]
		if !ok {
			t.Fatalf("%s %s: the walk does not know %s; give it a real value of acme's in fill", r.Method, r.Path, m)
		}
		return url.PathEscape(v)
	})
}

// sampleBody is a body that would change acme's data if a route let it:
// the walk sends it, not an empty one that a route refuses before it looks
// anything up. Other routes get {}.
func sampleBody(r Route) any {
	bodies := map[string]any{
		"PATCH /api/properties/{prop}":                              map[string]any{"assign_on_answer": false},
		"POST /api/properties/{prop}/members":                       map[string]any{"email": "mallory@evil.test", "role": "admin"},
		"PATCH /api/properties/{prop}/members/{email}":              map[string]any{"role": "admin"},
		"POST /api/properties/{prop}/departments":                   map[string]any{"name": "Mallory"},
		"PUT /api/properties/{prop}/sla":                            map[string]any{"targets": map[string]any{"low": map[string]any{"resolution": "1h"}}},
		"POST /api/properties/{prop}/topics":                        map[string]any{"name": "mallory"},
		"POST /api/properties/{prop}/reply-templates":               map[string]any{"name": "mallory", "body": "x"},
		"POST /api/properties/{prop}/fields":                        map[string]any{"for": "ticket", "name": "mallory"},
		"PATCH /api/properties/{prop}/contacts/{email}":             map[string]any{"name": "Mallory"},
		"POST /api/properties/{prop}/contacts/{email}/notes":        map[string]any{"text": "mallory"},
		"POST /api/properties/{prop}/contacts/{email}/merge":        map[string]any{"into": "mallory@evil.test"},
		"PUT /api/properties/{prop}/contacts/{email}/fields/{name}": map[string]any{"value": "mallory"},
		"POST /api/properties/{prop}/held/{id}/release":             map[string]any{"with_commands": true},
		"POST /api/properties/{prop}/held/{id}/discard":             nil,
		"DELETE /api/properties/{prop}/suppressions/{address}":      nil,
	}
	if b, ok := bodies[r.Method+" "+r.Path]; ok {
		return b
	}
	if r.Method == http.MethodGet || r.Method == http.MethodDelete {
		return nil
	}
	return map[string]any{}
}

// leaks returns the first of acme's seeded values in body.
func leaks(body []byte) string {
	for _, s := range acmeSecrets {
		if strings.Contains(string(body), s) {
			return s
		}
	}
	return ""
}

// TestAuthorizationWalk (issue 13 item 2) calls every route the server
// has, as three callers:
//   - beta's admin on acme's paths: never 2xx (404, or 403), never a byte
//     of acme's data;
//   - beta's admin on beta's paths naming acme's tickets, held mail,
//     contacts, addresses and fields: never acme's data, whatever the
//     status, and acme's data unchanged after it all (a handler that
//     looked things up by id alone, not within the caller's property,
//     would show or change them);
//   - acme's agent on each admin route: 403.
//
// Routes without {prop} must show only the caller's properties.
func TestAuthorizationWalk(t *testing.T) {
	f := newFixture(t)
	routes := f.api.Routes()
	if len(routes) < 30 {
		t.Fatalf("the server has %d routes; the walk expects every group registered", len(routes))
	}
	for _, r := range routes {
		if r.Access == "public" {
			continue
		}
		name := r.Method + " " + r.Path
		if !strings.Contains(r.Path, "{prop}") {
			got := f.call(f.other, r.Method, f.fill(t, r, "beta"), sampleBody(r))
			if s := leaks(got.body); s != "" || strings.Contains(string(got.body), `"acme"`) {
				t.Errorf("%s as beta's admin: %d shows acme's data (%q):\n%.300s", name, got.status, s, got.body)
			}
			continue
		}
		// Another property's paths are not found.
		got := f.call(f.other, r.Method, f.fill(t, r, "acme"), sampleBody(r))
		if got.status != http.StatusNotFound && got.status != http.StatusForbidden {
			t.Errorf("%s on acme as beta's admin = %d, want 404 (or 403):\n%.300s", name, got.status, got.body)
		}
		if s := leaks(got.body); s != "" {
			t.Errorf("%s on acme as beta's admin shows %q:\n%.300s", name, s, got.body)
		}
		// The caller's own property, naming acme's things.
		got = f.call(f.other, r.Method, f.fill(t, r, "beta"), sampleBody(r))
		if s := leaks(got.body); s != "" {
			t.Errorf("%s on beta naming acme's things as beta's admin = %d, shows %q:\n%.300s", name, got.status, s, got.body)
		}
		// An agent on an admin's route.
		if r.Access == "admin" {
			got = f.call(f.agent, r.Method, f.fill(t, r, "acme"), sampleBody(r))
			if got.status != http.StatusForbidden {
				t.Errorf("%s on acme as acme's agent = %d, want 403:\n%.300s", name, got.status, got.body)
			}
		}
	}
	f.acmeUnchanged(t)

	var props []membershipView
	f.json(f.other, "GET", "/api/properties", nil, http.StatusOK, &props)
	if len(props) != 1 || props[0].Property.Slug != "beta" {
		t.Errorf("GET /api/properties as beta's admin = %+v, want beta alone", props)
	}
}

// acmeUnchanged checks that acme's seeded data is as it was seeded.
func (f *fixture) acmeUnchanged(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	h, err := f.st.HeldByID(ctx, f.acme.ID, f.heldID)
	if err != nil || h.Status != ticket.HeldWaiting {
		t.Errorf("acme's held mail: %+v, %v; want still held", h, err)
	}
	sup, err := f.st.Suppressions(ctx, f.acme.ID)
	if err != nil || len(sup) != 1 {
		t.Errorf("acme's suppressions: %+v, %v; want the one seeded", sup, err)
	}
	c, err := f.st.ContactByEmail(ctx, f.acme.ID, carol)
	if err != nil || c.Name != "Carol Customer" || c.MergedInto != 0 {
		t.Errorf("acme's contact: %+v, %v; want Carol Customer, not merged", c, err)
	}
	if w, err := f.st.Webhook(ctx, f.acme.ID, f.webhookID); err != nil || !w.Enabled {
		t.Errorf("acme's webhook: %+v, %v; want still there, enabled", w, err)
	}
	members, err := f.st.Members(ctx, "acme")
	if err != nil || len(members) != 2 {
		t.Errorf("acme's members: %+v, %v; want boss and alice", members, err)
	}
	for _, m := range members {
		if m.Email == "alice@acme.test" && m.Role != ticket.RoleAgent {
			t.Errorf("alice became %s", m.Role)
		}
	}
	p, err := f.st.Property(ctx, "acme")
	if err != nil || !p.AssignOnAnswer {
		t.Errorf("acme's settings: %+v, %v; want assign on answer still on", p, err)
	}
}
