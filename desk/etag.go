package desk

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// ErrStale: a change was asked of a ticket as it was read earlier (its
// ETag), and the ticket has changed since. The API answers 412, the web
// inbox shows its words.
var ErrStale = errors.New("the ticket changed: reload")

// ETag is a ticket's entity tag (RFC 9110 §8.8.3): a strong validator made
// of what a reader of the ticket sees, not of a timestamp: the ticket's row
// with its custom fields, its participants, and its marks (the newest
// message, event and bounce). Any change to these gives another tag; the
// same state always gives the same one, whichever read made it. The API's
// ETag header and the web inbox's forms carry it.
func ETag(t ticket.Ticket, participants []ticket.Contact, m store.TicketMarks) (string, error) {
	b, err := json.Marshal(struct {
		T ticket.Ticket     `json:"t"`
		P []ticket.Contact  `json:"p"`
		M store.TicketMarks `json:"m"`
	}{t, participants, m})
	if err != nil {
		return "", fmt.Errorf("ticket etag: %w", err)
	}
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`, nil
}

// TicketState is ticket t as transaction tx sees it: with its custom
// fields, and its ETag.
func TicketState(tx *store.Tx, t ticket.Ticket) (ticket.Ticket, string, error) {
	var err error
	if t.Fields, err = tx.FieldValues(t.PropertyID, ticket.FieldForTicket, t.ID); err != nil {
		return t, "", err
	}
	parts, err := tx.Participants(t.ID)
	if err != nil {
		return t, "", err
	}
	marks, err := tx.TicketMarks(t.ID)
	if err != nil {
		return t, "", err
	}
	tag, err := ETag(t, parts, marks)
	return t, tag, err
}

// Reread is ticket id as the transaction left it, with its fields and
// ETag: what a change answers.
func Reread(tx *store.Tx, propertyID, id int64) (ticket.Ticket, string, error) {
	t, found, err := tx.TicketByID(propertyID, id)
	if err != nil {
		return t, "", err
	}
	if !found {
		return t, "", fmt.Errorf("ticket id %d: %w", id, store.ErrNotFound)
	}
	return TicketState(tx, t)
}

// IfMatch checks an If-Match condition (RFC 9110 §13.1.1) against ticket t
// as the transaction read it: "*" matches any ticket, else one of the
// comma-separated tags must be t's, compared strongly (a weak tag never
// matches); ErrStale if none is. An empty condition is no condition.
func IfMatch(tx *store.Tx, cond string, t ticket.Ticket) error {
	cond = strings.TrimSpace(cond)
	if cond == "" || cond == "*" {
		return nil
	}
	_, tag, err := TicketState(tx, t)
	if err != nil {
		return err
	}
	for _, v := range strings.Split(cond, ",") {
		if strings.TrimSpace(v) == tag {
			return nil
		}
	}
	return ErrStale
}
