package threading

import (
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// mapLookup answers Lookup from maps: tickets by id (number = id), the
// direct and ghost matches of each id, and each ticket's participants.
type mapLookup struct {
	tickets      map[int64]bool
	direct       map[string][]int64
	ghost        map[string][]int64
	participants map[int64][]string
}

func (l mapLookup) TicketByID(_, id int64) (ticket.Ticket, bool, error) {
	return ticket.Ticket{ID: id, Number: id}, l.tickets[id], nil
}
func (l mapLookup) TicketByNumber(_, n int64) (ticket.Ticket, bool, error) {
	return l.TicketByID(0, n)
}
func (l mapLookup) ThreadIDs(_ int64, ids []string) (direct, ghost map[string][]int64, err error) {
	direct, ghost = map[string][]int64{}, map[string][]int64{}
	for _, id := range ids {
		if d := l.direct[id]; d != nil {
			direct[id] = d
		}
		if g := l.ghost[id]; g != nil {
			ghost[id] = g
		}
	}
	return direct, ghost, nil
}
func (l mapLookup) IsParticipant(_, ticketID int64, emails []string) (bool, error) {
	for _, p := range l.participants[ticketID] {
		for _, e := range emails {
			if p == e {
				return true, nil
			}
		}
	}
	return false, nil
}

// TestDecideIgnoredAndReferencedBy: the pure rules for bogus ids and late
// parents, with the decision each records.
func TestDecideIgnoredAndReferencedBy(t *testing.T) {
	keys, err := NewKeys(1, map[uint8][]byte{1: []byte("decide-test-secret-0001")})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Keys: keys}
	lk := mapLookup{tickets: map[int64]bool{1: true, 3: true}, ghost: map[string][]int64{
		"yes": {1}, "parent@x": {1}, "late@x": {3, 2, 1},
	}, participants: map[int64][]string{1: {"carol@x"}, 3: {"carol@x"}}}
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"bogus In-Reply-To", Input{InReplyTo: []string{"yes"}, MessageID: "p1@x"}, "rule=new ignored=yes"},
		{"bogus and real", Input{InReplyTo: []string{"yes"}, References: []string{"parent@x"}},
			"rule=ghost-reference ticket=#1 matched=parent@x candidates=parent@x ignored=yes"},
		{"bogus own id never looked up", Input{MessageID: "yes"}, "rule=new"},
		{"late parent, one ticket", Input{MessageID: "parent@x"}, "rule=referenced-by ticket=#1 matched=parent@x"},
		{"late parent, several tickets (#2 gone)", Input{MessageID: "late@x"},
			`rule=referenced-by ticket=#3 matched=late@x choice="referenced from tickets #3 #1; the newest taken"`},
	}
	for _, tt := range tests {
		tt.in.Senders = []string{"carol@x"} // a participant of every ticket: live mail among participants
		d, err := r.Decide(tt.in, lk)
		if err != nil || d.String() != tt.want {
			t.Errorf("%s: Decide = %q, %v; want %q", tt.name, d.String(), err, tt.want)
		}
	}
}

// TestOwnTicketKinds: of the Message-IDs we mint, only a copy's (contact or
// member) and the ticket reference point to their ticket. A notice's id is
// about a member's notice, not the ticket's conversation, and a bounce
// token is an envelope sender, never a Message-ID of a ticket's mail.
func TestOwnTicketKinds(t *testing.T) {
	keys, err := NewKeys(1, map[uint8][]byte{1: []byte("decide-test-secret-0001")})
	if err != nil {
		t.Fatal(err)
	}
	r := &Resolver{Keys: keys}
	lk := mapLookup{tickets: map[int64]bool{1: true}}
	id := func(k Kind) string {
		return keys.MessageID(Token{Kind: k, PropertyID: 7, TicketID: 1, ID: 5}, "u1", "help.example")
	}
	ticketRef := keys.TicketReference(7, 1, "help.example")
	otherProperty := keys.MessageID(Token{Kind: KindContact, PropertyID: 8, TicketID: 1, ID: 5}, "u1", "help.example")
	tests := []struct {
		name string
		in   Input
		want Rule
	}{
		{"contact copy", Input{InReplyTo: []string{id(KindContact)}}, RuleInReplyTo},
		{"member copy", Input{InReplyTo: []string{id(KindMember)}}, RuleInReplyTo},
		{"ticket reference", Input{References: []string{ticketRef}}, RuleReferences},
		{"notice", Input{InReplyTo: []string{id(KindNotice)}}, RuleNew},
		{"notice in References", Input{References: []string{id(KindNotice)}}, RuleNew},
		{"bounce", Input{InReplyTo: []string{id(KindBounce)}}, RuleNew},
		{"other property", Input{InReplyTo: []string{otherProperty}}, RuleNew},
	}
	for _, tt := range tests {
		tt.in.PropertyID = 7
		d, err := r.Decide(tt.in, lk)
		if err != nil || d.Rule != tt.want {
			t.Errorf("%s: Decide = %q, %v; want rule %s", tt.name, d.String(), err, tt.want)
		}
	}
}
