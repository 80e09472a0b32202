package notify

import (
	"context"
	"fmt"
	"github.com/postdesk/postdesk/ticket"
	"strings"
)

// maxSeenIDs bounds the Message-IDs a mail to a contact references.
const maxSeenIDs = 12

// loadRecipients reads what a copy to a member says about recipients, and
// the Message-IDs a contact has seen of the ticket.
func (c *composer) loadRecipients(ctx context.Context) error {
	var err error
	switch {
	case c.row.TicketID == 0:
	case c.row.Kind == ticket.OutCopy:
		if c.answerTo, err = c.w.store.TicketParticipants(ctx, c.row.TicketID); err != nil {
			return err
		}
		if c.msg != nil {
			c.proposed, err = c.w.store.ProposedParticipants(ctx, c.msg.ID)
		}
	case c.row.RcptKind == "contact":
		c.seen, err = c.w.store.SeenMessageIDs(ctx, c.row.TicketID, c.row.RcptID, c.row.ID, maxSeenIDs)
	}
	return err
}

// recipientsText tells the member every address an answer goes to, and
// the addresses the copied mail proposed that an answer does not go to,
// with the command that adds them.
func (c *composer) recipientsText() string {
	emails := make([]string, len(c.answerTo))
	for i, p := range c.answerTo {
		emails[i] = p.Email
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Your answer goes to: %s\n", nonEmpty(strings.Join(emails, ", "), "nobody"))
	if len(c.proposed) > 0 {
		emails = emails[:0]
		for _, p := range c.proposed {
			emails = append(emails, p.Email)
		}
		fmt.Fprintf(&b, "Not added (this mail came without a reply token): %s\n"+
			"To add them, start your answer with: #cc %s\n", strings.Join(emails, ", "), strings.Join(emails, " "))
	}
	return b.String()
}
