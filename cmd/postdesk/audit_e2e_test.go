package main

import (
	"strings"
	"testing"

	"github.com/postdesk/postdesk/store"
)

// TestAuditRecordsWhoChangedTheProperty: every change to a property outside
// its tickets records its actor (issue 11 item 9): the first members added
// before the property has an admin, and then each admin's change.
func TestAuditRecordsWhoChangedTheProperty(t *testing.T) {
	data := t.TempDir()
	cli(t, data, "property", "add", "--slug", "acme", "--name", "Acme", "--address", "support@acme.test")
	cli(t, data, "member", "add", "--email", "boss@acme.test", "--name", "Boss", "--role", "admin")
	as := []string{"--as", "boss@acme.test"}
	for _, args := range [][]string{
		{"member", "add", "--email", "alice@acme.test", "--name", "Alice"},
		{"department", "add", "--name", "Sales", "--members", "alice@acme.test"},
		{"topic", "add", "billing"},
		{"field", "add", "--for", "ticket", "--type", "text", "plan"},
		{"reply-template", "add", "thanks", "--text", "Thank you, {{customer.first_name}}."},
		{"sla", "set", "--first-response", "high=4h", "--resolution", "high=2d"},
		{"member", "set", "alice@acme.test", "--capacity", "5"},
		{"property", "set", "--assign-on-answer=false"},
	} {
		cli(t, data, append(args, as...)...)
	}
	var log []store.AuditEntry
	cliJSON(t, data, &log, "audit", "list")
	var got []string
	for i := len(log) - 1; i >= 0; i-- {
		got = append(got, log[i].Actor+": "+log[i].Action)
	}
	want := []string{
		"member added", // the first admin, before the property had one: by the system user
		"boss@acme.test: member added", "boss@acme.test: department added", "boss@acme.test: topic added",
		"boss@acme.test: field added", "boss@acme.test: saved reply added", "boss@acme.test: SLA policy set",
		"boss@acme.test: member changed", "boss@acme.test: property changed",
	}
	if len(got) != len(want) {
		t.Fatalf("audit log:\n%s\nwant %d entries", strings.Join(got, "\n"), len(want))
	}
	if !strings.HasPrefix(got[0], "postdesk (team setup by ") || !strings.HasSuffix(got[0], want[0]) {
		t.Errorf("first entry %q: want the team setup by the system user", got[0])
	}
	for i := 1; i < len(want); i++ {
		if got[i] != want[i] {
			t.Errorf("entry %d: %q, want %q", i, got[i], want[i])
		}
	}
	if _, err := cliErr(data, "topic", "add", "returns", "--as", "alice@acme.test"); err == nil {
		t.Error("an agent added a topic")
	}
	cliJSON(t, data, &log, "audit", "list")
	if len(log) != len(want) {
		t.Errorf("a refused change was audited: %d entries", len(log))
	}
}
