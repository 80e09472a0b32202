package store

import (
	"context"
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestCheckDeskInvariants: `postdesk check` finds what the desk must never
// leave behind: a ticket tied to another property's member, department,
// topic, contact or ticket (a cross-property leak), a message filed in
// another property's ticket, a loop of merges, and a tag index
// (ticket_tags, which the --tag filter reads) that disagrees with the
// tickets' tags. A legitimate merge chain is clean.
func TestCheckDeskInvariants(t *testing.T) {
	tests := []struct {
		name    string
		breakIt string
		field   func(CheckReport) int64
	}{
		{"clean, a merge chain 3 → 4 → 5", `UPDATE tickets SET merged_into = number + 1 WHERE number IN (3, 4) AND property_id = 1`, nil},
		{"another property's assignee", `UPDATE tickets SET assignee_id = (SELECT id FROM members WHERE email = 'eve@q.test') WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"another property's department", `UPDATE tickets SET department_id = (SELECT id FROM departments WHERE property_id = 2 LIMIT 1) WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"another property's topic", `UPDATE tickets SET topic_id = (SELECT id FROM topics WHERE property_id = 2) WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"another property's requester", `UPDATE tickets SET requester_id = (SELECT id FROM contacts WHERE email = 'oc@y.test') WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"merged into another property's ticket", `UPDATE tickets SET merged_into = (SELECT id FROM tickets WHERE property_id = 2) WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"a message in another property's ticket", `UPDATE messages SET ticket_id = (SELECT id FROM tickets WHERE property_id = 2) WHERE id = 1`,
			func(r CheckReport) int64 { return r.CrossProperty }},
		{"a merge loop 1 → 2 → 1", `UPDATE tickets SET merged_into = CASE id WHEN 1 THEN 2 ELSE 1 END WHERE id IN (1, 2)`,
			func(r CheckReport) int64 { return r.MergeLoops }},
		{"a tag missing from the index", `DELETE FROM ticket_tags WHERE ticket_id = 1`,
			func(r CheckReport) int64 { return r.StaleTagIndex }},
		{"a tag the ticket does not have", `INSERT INTO ticket_tags (property_id, tag, ticket_id) VALUES (1, 'ghost', 2)`,
			func(r CheckReport) int64 { return r.StaleTagIndex }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, p := openListFixture(t)
			if p.ID != 1 {
				t.Fatalf("fixture property id %d, want 1", p.ID)
			}
			addOtherProperty(t, st)
			if r, err := st.Check(context.Background()); err != nil || !r.OK() {
				t.Fatalf("fixture: %+v, %v; want clean", r, err)
			}
			if _, err := st.w.Exec(tt.breakIt); err != nil {
				t.Fatal(err)
			}
			r, err := st.Check(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if tt.field == nil {
				if !r.OK() {
					t.Errorf("check = %+v, want clean", r)
				}
				return
			}
			if tt.field(r) == 0 || r.OK() {
				t.Errorf("check = %+v, want it to count the problem", r)
			}
		})
	}
}

// addOtherProperty adds property 2 (q) with a member, a topic, a contact and
// a ticket with a message, for cross-property cases.
func addOtherProperty(t *testing.T, st *Store) {
	t.Helper()
	ctx := context.Background()
	q, err := st.AddProperty(ctx, ticket.Property{Slug: "q", Name: "Q", Addresses: []string{"help@q.test"}, TagFormat: "[#%d]"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddMember(ctx, "q", ticket.Member{Email: "eve@q.test", Name: "Eve", Role: ticket.RoleAgent}, "test"); err != nil {
		t.Fatal(err)
	}
	err = st.Update(ctx, func(tx *Tx) error {
		if _, err := tx.exec(`INSERT INTO topics (property_id, name, created_at) VALUES (?, 'secret', 0)`, q.ID); err != nil {
			return err
		}
		return storeListTicket(tx, q.ID, listTicket{status: "open", prio: "medium", requester: "oc@y.test", reqName: "Oc",
			tags: []string{"vip"}, subject: "Secret", body: "confidential", author: "Oc"})
	})
	if err != nil {
		t.Fatal(err)
	}
}
