package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// ContactView is a contact as its page shows it (the API's GET of a
// contact, the web inbox's contact page): the contact an address names,
// following a merge, with its custom fields, its aliases and a page of
// its timeline.
type ContactView struct {
	Contact ticket.Contact
	// MergedFrom is the address asked for when it is an alias of Contact.
	MergedFrom string
	Aliases    []string
	Timeline   []TimelineEntry
	// Next is the cursor of the timeline's next (older) page; "" at the
	// end.
	Next string
}

// ContactPage returns the property's contact with this address (or the
// one it was merged into) and up to limit entries of its timeline after
// the cursor ("" for the newest; else a Next given before).
func (s *Store) ContactPage(ctx context.Context, propertyID int64, email, cursor string, limit int) (ContactView, error) {
	var v ContactView
	var err error
	if v.Contact, err = s.ContactByEmail(ctx, propertyID, email); err != nil {
		return v, err
	}
	if v.Contact.MergedInto != 0 {
		v.MergedFrom = v.Contact.Email
		if v.Contact, err = s.ContactByID(ctx, v.Contact.MergedInto); err != nil {
			return v, err
		}
	}
	if v.Contact.Fields, err = s.FieldValues(ctx, propertyID, ticket.FieldForContact, v.Contact.ID); err != nil {
		return v, err
	}
	if v.Aliases, err = s.Aliases(ctx, v.Contact.ID); err != nil {
		return v, err
	}
	if cursor == "" {
		v.Timeline, err = s.Timeline(ctx, v.Contact.ID, limit+1)
	} else {
		pos, perr := ParseTimelineCursor(cursor)
		if perr != nil {
			return v, perr
		}
		v.Timeline, err = s.TimelineAfter(ctx, v.Contact.ID, pos, limit+1)
	}
	if err != nil {
		return v, err
	}
	if len(v.Timeline) > limit {
		v.Timeline = v.Timeline[:limit]
		v.Next = TimelineCursor(v.Timeline[limit-1].Pos)
	}
	return v, nil
}

// ErrBadCursor is a timeline cursor that is not one TimelineCursor made.
var ErrBadCursor = fmt.Errorf("bad cursor")

// TimelineCursor is the cursor of the page after pos: "at.rank.seq".
func TimelineCursor(pos TimelinePos) string {
	return fmt.Sprintf("%d.%d.%d", pos.At, pos.Rank, pos.Seq)
}

// ParseTimelineCursor reads a cursor made by TimelineCursor.
func ParseTimelineCursor(s string) (TimelinePos, error) {
	var pos TimelinePos
	bad := fmt.Errorf("cursor %q: use the timeline's next as it was given: %w", s, ErrBadCursor)
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return pos, bad
	}
	var errs [3]error
	pos.At, errs[0] = strconv.ParseInt(parts[0], 10, 64)
	pos.Rank, errs[1] = strconv.Atoi(parts[1])
	pos.Seq, errs[2] = strconv.ParseInt(parts[2], 10, 64)
	for _, err := range errs {
		if err != nil {
			return pos, bad
		}
	}
	if pos.Rank < 0 || pos.Rank > maxTimelineRank {
		return pos, bad // PostgreSQL compares it as the query's int4 rank: a larger one failed there
	}
	return pos, nil
}

// maxTimelineRank is the highest rank of a timeline entry (timelineQuery):
// a ticket is 0, a mail 1, a note 2.
const maxTimelineRank = 2
