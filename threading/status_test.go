package threading

import (
	"testing"

	"github.com/postdesk/postdesk/ticket"
)

// TestCustomerReply: a person's reply reopens; an automatic reply changes
// no status (issue 8 item 7); a reply to a deleted ticket opens a new one.
func TestCustomerReply(t *testing.T) {
	tests := []struct {
		status    ticket.Status
		automatic bool
		want      Effect
	}{
		{ticket.StatusOpen, false, Effect{Status: ticket.StatusOpen}},
		{ticket.StatusAnswered, false, Effect{Status: ticket.StatusOpen}},
		{ticket.StatusSnoozed, false, Effect{Status: ticket.StatusOpen}},
		{ticket.StatusClosed, false, Effect{Status: ticket.StatusOpen}},
		{ticket.StatusDeleted, false, Effect{Status: ticket.StatusOpen, NewTicket: true}},
		{ticket.StatusSpam, false, Effect{Status: ticket.StatusSpam}},
		{ticket.StatusOpen, true, Effect{Status: ticket.StatusOpen}},
		{ticket.StatusAnswered, true, Effect{Status: ticket.StatusAnswered}},
		{ticket.StatusSnoozed, true, Effect{Status: ticket.StatusSnoozed}},
		{ticket.StatusClosed, true, Effect{Status: ticket.StatusClosed}},
		{ticket.StatusSpam, true, Effect{Status: ticket.StatusSpam}},
	}
	for _, tt := range tests {
		if got := CustomerReply(tt.status, tt.automatic); got != tt.want {
			t.Errorf("CustomerReply(%q, %v) = %+v, want %+v", tt.status, tt.automatic, got, tt.want)
		}
	}
}
