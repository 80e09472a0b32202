package ingest

import (
	"fmt"
	"github.com/postdesk/postdesk/desk"
	"strings"
	"testing"
	"time"

	"github.com/postdesk/postdesk/ticket"
)

func TestSplitCommands(t *testing.T) {
	tests := []struct {
		text  string
		names []string
		rest  string
	}{
		{"#close\n#tag vip\n\nThanks!", []string{"close", "tag"}, "Thanks!"},
		{"\n\n#assign me\nHello", []string{"assign"}, "Hello"},
		{"#1 thing first", nil, "#1 thing first"},
		{"Hello\n#close", nil, "Hello\n#close"},
		{"#note", []string{"note"}, ""},
		{"#priority urgent\r\nBody", []string{"priority"}, "Body"},
	}
	for _, tt := range tests {
		cmds, rest := splitCommands(tt.text)
		var names []string
		for _, c := range cmds {
			names = append(names, c.name)
		}
		if strings.Join(names, ",") != strings.Join(tt.names, ",") || rest != tt.rest {
			t.Errorf("splitCommands(%q) = %v, %q; want %v, %q", tt.text, names, rest, tt.names, tt.rest)
		}
	}
}

func TestPlanCommands(t *testing.T) {
	me := ticket.Member{ID: 1, Email: "alice@acme.test"}
	bob := ticket.Member{ID: 2, Email: "bob@acme.test"}
	find := func(email string) (ticket.Member, bool, error) {
		if strings.EqualFold(email, bob.Email) {
			return bob, true, nil
		}
		return ticket.Member{}, false, nil
	}
	tests := []struct {
		text  string
		err   string
		check func(plan) bool
	}{
		{"#close", "", func(p plan) bool { return p.status == ticket.StatusClosed }},
		{"#reopen", "", func(p plan) bool { return p.status == ticket.StatusOpen }},
		{"#assign me", "", func(p plan) bool { return p.assignee.ID == 1 }},
		{"#assign <bob@acme.test>", "", func(p plan) bool { return p.assignee.ID == 2 }},
		{"#priority HIGH", "", func(p plan) bool { return p.priority == ticket.PriorityHigh }},
		{"#snooze 2d", "", func(p plan) bool { return p.snooze == 48*time.Hour && p.status == ticket.StatusSnoozed }},
		{"#snooze 1d12h", "", func(p plan) bool { return p.snooze == 36*time.Hour }},
		{"#snooze 90m", "", func(p plan) bool { return p.snooze == 90*time.Minute }},
		{"#snooze 2026-12-01", "", func(p plan) bool {
			return p.wake.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) && p.status == ticket.StatusSnoozed
		}},
		{"#snooze 2026-12-01T09:30", "", func(p plan) bool { return p.wake.Equal(time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)) }},
		{"#snooze 2026-12-01T09:30:00+01:00", "", func(p plan) bool { return p.wake.Equal(time.Date(2026, 12, 1, 8, 30, 0, 0, time.UTC)) }},
		{"#snooze", "needs a duration", nil},
		{"#snooze 2026-13-01", "not a duration", nil},
		{"#tag VIP\n#tag refund", "", func(p plan) bool { return strings.Join(p.tags, ",") == "vip,refund" }},
		{"#note", "", func(p plan) bool { return p.note }},
		{"#spam", "", func(p plan) bool { return p.spam && p.note }},
		{"#spam please", "takes no argument", nil},
		{"#assign Sales", "", func(p plan) bool { return p.department == "Sales" && p.assignee == nil }},
		{"#cc dan@customer.test, <eve@customer.test>", "", func(p plan) bool { return len(p.cc) == 2 && p.cc[1].Address == "eve@customer.test" }},
		{"#cc bob@acme.test", "is a member", nil},
		{"#cc not-an-address", "is not an address", nil},
		{"#cc dan@example.com.", "is not an address", nil},
		{"#cc a\u0085b@example.com", "is not an address mail can be sent to", nil},
		{"#cc dan@[127.0.0.1]", "is not an address mail can be sent to", nil},
		{"#cc", "needs one or more addresses", nil},
		{"#assign mallory@evil.example", "not a member", nil},
		{"#priority whenever", "unknown priority", nil},
		{"#snooze soon", "not a duration", nil},
		{"#snooze 0h", "not a duration", nil},
		{"#frobnicate", "unknown command", nil},
		{"#close now", "takes no argument", nil},
		{"#tag two words", "one word", nil},
		{"#close\n#frobnicate", "unknown command", nil}, // nothing half-applied
		{"#snooze 53w", "at most a year", nil},
		{"#tag naïve/café", "", func(p plan) bool { return len(p.tags) == 1 && p.tags[0] == "naïve/café" }},
		{"#tag <b>", "one word of letters", nil},
		{"#topic Billing", "", func(p plan) bool { return p.topic == "billing" }},
		{"#topic", "needs the name", nil},
		{"#topic weather", "no topic", nil},
	}
	topics := func(name string) (string, error) {
		if strings.EqualFold(name, "billing") {
			return "billing", nil
		}
		return "", fmt.Errorf("no topic %q", name)
	}
	for _, tt := range tests {
		cmds, _ := splitCommands(tt.text)
		p, err := planCommands(cmds, ticket.Ticket{Number: 7, Status: ticket.StatusOpen}, me, find, topics)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%q: error %v, want %q", tt.text, err, tt.err)
		case tt.err != "" && p.status != "":
			t.Errorf("%q: a failed plan still carries changes: %+v", tt.text, p)
		case tt.err == "" && (err != nil || !tt.check(p)):
			t.Errorf("%q: plan %+v, %v", tt.text, p, err)
		}
	}
}

func TestTrimReply(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"gmail", "Thanks, fixed.\n\nOn Sat, 21 Nov 2026 at 09:00, Acme <support@acme.test> wrote:\n> old text\n", "Thanks, fixed."},
		{"gmail wrapped", "Thanks.\n\nOn Sat, 21 Nov 2026 at 09:00, Acme Support\n<support@acme.test> wrote:\n> old\n", "Thanks."},
		{"outlook", "Done.\n\n-----Original Message-----\nFrom: Carol\nSent: today\n", "Done."},
		{"outlook header", "Done.\n\nFrom: Carol <carol@example.com>\nSent: Saturday\nTo: support\n", "Done."},
		{"outlook line", "Done.\n________________________________\nFrom: Carol\n", "Done."},
		{"signature", "Done.\n\n-- \nAlice\nAcme Support\n", "Done."},
		{"german", "Erledigt.\n\nAm 21.11.2026 um 09:00 schrieb Carol <carol@example.com>:\n> alt\n", "Erledigt."},
		{"trailing quote", "Yes.\n\n> question?\n> more\n", "Yes."},
		{"inline quote kept", "> is it broken?\nYes, it is.\n", "> is it broken?\nYes, it is."},
		{"no history", "Just this.", "Just this."},
		{"dashes are not a signature", "Step 1 -- then step 2", "Step 1 -- then step 2"},
	}
	for _, tt := range tests {
		if got := trimReply(tt.in); got != tt.want {
			t.Errorf("%s: trimReply = %q, want %q", tt.name, got, tt.want)
		}
	}
}

// TestTagsPerTicketBounded: #tag commands that would take a ticket past
// desk.MaxTags fail at planning (the reply is kept as a note), never the
// delivery.
func TestTagsPerTicketBounded(t *testing.T) {
	me := ticket.Member{ID: 1, Email: "alice@acme.test"}
	find := func(string) (ticket.Member, bool, error) { return ticket.Member{}, false, nil }
	full := ticket.Ticket{Number: 1, Status: ticket.StatusOpen}
	for i := range desk.MaxTags {
		full.Tags = append(full.Tags, fmt.Sprintf("t%d", i))
	}
	cmds, _ := splitCommands("#tag t3\n#tag one-more\nbody")
	if _, err := planCommands(cmds, full, me, find, nil); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("a tag past the limit: %v, want refused", err)
	}
	cmds, _ = splitCommands("#tag t3\nbody") // one it has: no change
	if _, err := planCommands(cmds, full, me, find, nil); err != nil {
		t.Errorf("a tag the ticket has: %v", err)
	}
}

// TestCommandsOnTicketsThatCannotMove: a status command on a deleted,
// spam or merged ticket fails at planning, so the reply is kept as a note
// and the agent told, rather than failing the delivery.
func TestCommandsOnTicketsThatCannotMove(t *testing.T) {
	me := ticket.Member{ID: 1, Email: "alice@acme.test"}
	find := func(string) (ticket.Member, bool, error) { return ticket.Member{}, false, nil }
	for _, tk := range []ticket.Ticket{
		{Number: 1, Status: ticket.StatusDeleted},
		{Number: 2, Status: ticket.StatusSpam},
		{Number: 3, Status: ticket.StatusOpen, MergedInto: 9},
	} {
		for _, cmd := range []string{"#close", "#reopen", "#snooze 4h", "#spam"} {
			cmds, _ := splitCommands(cmd + "\nbody")
			if _, err := planCommands(cmds, tk, me, find, nil); err == nil {
				t.Errorf("%s on %s (%s, merged into %d): planned, want an error", cmd, tk.Ref(), tk.Status, tk.MergedInto)
			}
		}
	}
}

// TestSnoozeWake: a #snooze duration counts from the time of the mail; a
// date that has passed, or is more than a year ahead, fails at planning.
func TestSnoozeWake(t *testing.T) {
	now := time.Date(2026, 11, 21, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		arg  string
		want time.Time
		err  string
	}{
		{"4h", now.Add(4 * time.Hour), ""},
		{"2026-12-01", time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), ""},
		{"2026-11-20", time.Time{}, "has passed"},
		{"2028-01-01", time.Time{}, "more than a year"},
	}
	for _, tt := range tests {
		cmds, _ := splitCommands("#snooze " + tt.arg)
		p, err := planCommands(cmds, ticket.Ticket{Number: 7, Status: ticket.StatusOpen}, ticket.Member{ID: 1}, nil, nil)
		if err == nil {
			err = p.checkWake(now)
		}
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("#snooze %s: %v, want %q", tt.arg, err, tt.err)
		case tt.err == "" && (err != nil || !p.wakeAt(now).Equal(tt.want)):
			t.Errorf("#snooze %s: wakes %s, %v; want %s", tt.arg, p.wakeAt(now), err, tt.want)
		}
	}
}
