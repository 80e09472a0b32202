package ingest

import (
	"context"
	"github.com/postdesk/postdesk/store"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// step delivers one scenario file.
type step struct {
	file string
	to   []string // envelope recipients; default support@acme.test
}

// TestThreadingScenarios delivers, after first.eml has opened #1 for Carol,
// mails shaped the way real clients shape them, and checks where the last
// one went, by which rule, and what became of the tickets.
func TestThreadingScenarios(t *testing.T) {
	tests := []struct {
		name       string
		status     ticket.Status // #1's status before the steps
		steps      []step
		wantTicket int64 // ticket number of the last message in acme
		wantRule   threading.Rule
		wantStatus ticket.Status // status of wantTicket afterwards
		wantCount  int           // tickets in acme afterwards
	}{
		{"outlook reply, Exchange In-Reply-To, token kept", "", []step{{file: "outlook-reply.eml"}}, 1, threading.RuleToken, ticket.StatusOpen, 1},
		{"token only, no In-Reply-To nor References", "", []step{{file: "token-only.eml"}}, 1, threading.RuleToken, ticket.StatusOpen, 1},
		{"Apple Mail with rewritten References", "", []step{{file: "apple-mail-rewritten-refs.eml"}}, 1, threading.RuleReferences, ticket.StatusOpen, 1},
		{"reply to a provider-rewritten Message-ID", "", []step{{file: "provider-rewritten.eml"}}, 1, threading.RuleReferences, ticket.StatusOpen, 1},
		{"RE: AW: SV: VS: Re[3]: with the tag, from the requester", "", []step{{file: "prefix-re.eml"}}, 1, threading.RuleSubjectTag, ticket.StatusOpen, 1},
		{"same subject without tag or references", "", []step{{file: "subject-only.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"a stranger's mail with Carol's tag", "", []step{{file: "stranger-tag.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"self-addressed from the support address", "", []step{{file: "self-addressed.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"two mails sharing a Message-ID", "", []step{{file: "shared-id-1.eml"}, {file: "shared-id-2.eml"}}, 3, threading.RuleNew, ticket.StatusOpen, 3},
		{"no Message-ID", "", []step{{file: "no-message-id.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"tampered token", "", []step{{file: "tampered-token.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"token of another property", "", []step{{file: "other-property-token.eml"}}, 2, threading.RuleNew, ticket.StatusOpen, 2},
		{"reply to an answered ticket", ticket.StatusAnswered, []step{{file: "reply.eml"}}, 1, threading.RuleToken, ticket.StatusOpen, 1},
		{"reply to a snoozed ticket", ticket.StatusSnoozed, []step{{file: "reply.eml"}}, 1, threading.RuleToken, ticket.StatusOpen, 1},
		{"reply to a closed ticket reopens it", ticket.StatusClosed, []step{{file: "reply.eml"}}, 1, threading.RuleToken, ticket.StatusOpen, 1},
		{"out-of-office to a closed ticket", ticket.StatusClosed, []step{{file: "out-of-office.eml"}}, 1, threading.RuleToken, ticket.StatusClosed, 1},
		{"reply to a deleted ticket opens a linked one", ticket.StatusDeleted, []step{{file: "reply.eml"}}, 2, threading.RuleToken, ticket.StatusOpen, 2},
		{"reply to a spam ticket stays spam", ticket.StatusSpam, []step{{file: "reply.eml"}}, 1, threading.RuleToken, ticket.StatusSpam, 1},
		{"References in reversed order", "", []step{{file: "references-reversed.eml"}}, 1, threading.RuleReferences, ticket.StatusOpen, 1},
		{"a reference cycle between two messages", "", []step{{file: "cycle-a.eml"}, {file: "cycle-b.eml"}}, 2, threading.RuleInReplyTo, ticket.StatusOpen, 2},
		{"contact form, then another customer via the form with #1", "", []step{{file: "contact-form.eml"}, {file: "contact-form-2.eml"}}, 3, threading.RuleNew, ticket.StatusOpen, 3},
		{"ghost parent", "", []step{{file: "ghost-parent-ref.eml"}, {file: "ghost-child.eml"}}, 1, threading.RuleGhost, ticket.StatusOpen, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ctx := context.Background()
			f.deliverFile(t, "first.eml", nil)
			if tt.status != "" {
				if err := f.st.Update(ctx, func(tx *store.Tx) error { return tx.SetStatus(1, tt.status) }); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range tt.steps {
				f.deliverFile(t, s.file, s.to)
			}
			tickets, err := f.st.Tickets(ctx, "acme", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(tickets) != tt.wantCount {
				t.Errorf("%d tickets, want %d", len(tickets), tt.wantCount)
			}
			last := f.lastMessage(t)
			got, err := f.st.Ticket(ctx, "acme", tt.wantTicket)
			if err != nil {
				t.Fatal(err)
			}
			if last.TicketID != got.ID {
				t.Errorf("last message went to ticket id %d (%s), want #%d", last.TicketID, last.Thread, tt.wantTicket)
			}
			if !strings.HasPrefix(last.Thread, "rule="+string(tt.wantRule)) {
				t.Errorf("thread decision %q, want rule %s", last.Thread, tt.wantRule)
			}
			if got.Status != tt.wantStatus {
				t.Errorf("#%d status %s, want %s", tt.wantTicket, got.Status, tt.wantStatus)
			}
			if tt.status == ticket.StatusDeleted && got.LinkedID == 0 {
				t.Errorf("the ticket opened by a reply to a deleted one is not linked to it")
			}
		})
	}
}

func TestOneTicketPerProperty(t *testing.T) {
	f := newFixture(t)
	f.deliverFile(t, "a-and-b.eml", []string{"support@acme.test", "help@globex.test"})
	f.deliverFile(t, "a-and-b.eml", []string{"support@acme.test", "help@globex.test"}) // a retransmission
	for _, slug := range []string{"acme", "globex"} {
		if _, msgs := f.only(t, slug); len(msgs) != 1 {
			t.Errorf("%s: %d messages, want 1", slug, len(msgs))
		}
	}
}

// deliverFile delivers a scenario file with its placeholders filled in with
// what postdesk would have sent Carol for ticket #1.
func (f *fixture) deliverFile(t *testing.T, name string, to []string) {
	t.Helper()
	if len(to) == 0 {
		to = []string{"support@acme.test"}
	}
	raw := string(readFixture(t, "threading/"+name))
	for k, v := range f.placeholders(t) {
		raw = strings.ReplaceAll(raw, k, v)
	}
	if err := f.p.Deliver(context.Background(), "sender@example.com", to, []byte(raw)); err != nil {
		t.Fatalf("deliver %s: %v", name, err)
	}
}

func (f *fixture) placeholders(t *testing.T) map[string]string {
	t.Helper()
	ctx := context.Background()
	acme, _ := f.st.Property(ctx, "acme")
	globex, _ := f.st.Property(ctx, "globex")
	first, err := f.st.Ticket(ctx, "acme", 1)
	if err != nil {
		return nil // before first.eml is delivered
	}
	carol := threading.Token{Kind: threading.KindContact, PropertyID: acme.ID, TicketID: first.ID, ID: first.RequesterID}
	token, _ := f.keys.ReplyAddress("support@acme.test", carol)
	tampered := []byte(token)
	tampered[10] ^= 1
	other := carol
	other.PropertyID = globex.ID
	otherToken, _ := f.keys.ReplyAddress("help@globex.test", other)
	return map[string]string{
		"{{TOKEN}}":      token,
		"{{TAMPERED}}":   string(tampered),
		"{{OTHERTOKEN}}": otherToken,
		"{{OURID}}":      f.keys.MessageID(carol, "1", "acme.test"),
		"{{TICKETREF}}":  f.keys.TicketReference(acme.ID, first.ID, "acme.test"),
	}
}

func (f *fixture) lastMessage(t *testing.T) ticket.Message {
	t.Helper()
	n, err := f.st.Count(context.Background(), "messages")
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.st.Message(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	return m
}
