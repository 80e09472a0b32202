package threading

import "testing"

// TestUnsignedIDsNeedAParticipant: a match that rests only on an id we did
// not sign (a stored inbound Message-ID, a ghost parent, a late parent)
// joins its ticket only when From takes part in it; otherwise the mail opens
// a new ticket linked to the candidate, and the decision says why. Our own
// signed ids thread whoever sends, and an import (TrustUnsignedIDs) threads
// an archive across its posters.
func TestUnsignedIDsNeedAParticipant(t *testing.T) {
	keys, err := NewKeys(1, map[uint8][]byte{1: []byte("decide-test-secret-0001")})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Keys: keys}
	signed := keys.TicketReference(7, 1, "help.example")
	lk := mapLookup{
		tickets: map[int64]bool{1: true, 2: true},
		direct:  map[string][]int64{"root1@list": {1}, "bob1@x": {2}, "both@x": {2, 1}},
		ghost:   map[string][]int64{"root2@list": {1}, "future@x": {1}, "late@x": {2, 1}},
		participants: map[int64][]string{
			1: {"eve@evil"},
			2: {"bob@x"},
		},
	}
	tests := []struct {
		name   string
		in     Input
		want   string
		linked int64
	}{
		{"stranger's In-Reply-To to a pre-seeded Message-ID",
			Input{InReplyTo: []string{"root1@list"}, Senders: []string{"bob@x"}},
			`rule=new candidates=root1@list choice="in-reply-to root1@list names #1; sender not a participant of #1: new ticket linked to it"`, 1},
		{"the participant's In-Reply-To", Input{InReplyTo: []string{"root1@list"}, Senders: []string{"eve@evil"}},
			"rule=in-reply-to ticket=#1 matched=root1@list candidates=root1@list", 0},
		{"stranger's ghost parent", Input{References: []string{"root2@list"}, Senders: []string{"bob@x"}},
			`rule=new candidates=root2@list choice="ghost-reference root2@list names #1; sender not a participant of #1: new ticket linked to it"`, 1},
		{"stranger's late parent", Input{MessageID: "future@x", Senders: []string{"bob@x"}},
			`rule=new choice="referenced-by future@x names #1; sender not a participant of #1: new ticket linked to it"`, 1},
		{"Reply-To is no identity: From alone counts", Input{InReplyTo: []string{"root1@list"}},
			`rule=new candidates=root1@list choice="in-reply-to root1@list names #1; sender not a participant of #1: new ticket linked to it"`, 1},
		{"a later reference of the sender's own ticket wins over the passed one",
			Input{InReplyTo: []string{"root1@list"}, References: []string{"root1@list", "bob1@x"}, Senders: []string{"bob@x"}},
			"rule=references ticket=#2 matched=bob1@x candidates=root1@list bob1@x", 0},
		{"of two tickets carrying an id, the sender's", Input{InReplyTo: []string{"both@x"}, Senders: []string{"eve@evil"}},
			"rule=in-reply-to ticket=#1 matched=both@x candidates=both@x", 0},
		{"late parent: the newest ticket the sender is in", Input{MessageID: "late@x", Senders: []string{"eve@evil"}},
			"rule=referenced-by ticket=#1 matched=late@x", 0},
		{"a signed id threads from anyone", Input{References: []string{signed}, Senders: []string{"bob@x"}},
			"rule=references ticket=#1 matched=" + signed + " candidates=" + signed, 0},
		{"import trusts the archive's ids", Input{InReplyTo: []string{"root1@list"}, Senders: []string{"bob@x"}, TrustUnsignedIDs: true},
			"rule=in-reply-to ticket=#1 matched=root1@list candidates=root1@list", 0},
		{"import: late parent across posters", Input{MessageID: "future@x", Senders: []string{"bob@x"}, TrustUnsignedIDs: true},
			"rule=referenced-by ticket=#1 matched=future@x", 0},
	}
	for _, tt := range tests {
		tt.in.PropertyID = 7
		d, err := r.Decide(tt.in, lk)
		if err != nil || d.String() != tt.want || d.Linked.ID != tt.linked {
			t.Errorf("%s: Decide = %q (linked %d), %v; want %q (linked %d)", tt.name, d.String(), d.Linked.ID, err, tt.want, tt.linked)
		}
	}
}
