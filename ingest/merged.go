package ingest

import (
	"fmt"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// maxMergeHops bounds how far threading follows merged tickets (#1 merged
// into #2, merged into #3...). The desk never merges into a merged ticket,
// so chains stay short and never loop; the bound and the loop check hold
// even if the data says otherwise.
const maxMergeHops = 8

// followMerges is the threading lookup of a delivery: the store's, except
// that a ticket merged into another is answered by the one it was merged
// into. So mail that names a merged ticket by reply token, Message-ID,
// reference or subject tag lands in the ticket its conversation moved to,
// and the participant checks threading makes are those of that ticket
// (where the merged ticket's participants went).
type followMerges struct {
	*store.Tx
	// via records, per ticket reached, the merges followed to reach it.
	via map[int64]string
}

// TicketByID returns a ticket by id, following merges.
func (f *followMerges) TicketByID(propertyID, ticketID int64) (ticket.Ticket, bool, error) {
	t, ok, err := f.Tx.TicketByID(propertyID, ticketID)
	return f.follow(propertyID, t, ok, err)
}

// TicketByNumber returns a ticket by number, following merges.
func (f *followMerges) TicketByNumber(propertyID, number int64) (ticket.Ticket, bool, error) {
	t, ok, err := f.Tx.TicketByNumber(propertyID, number)
	return f.follow(propertyID, t, ok, err)
}

func (f *followMerges) follow(propertyID int64, t ticket.Ticket, ok bool, err error) (ticket.Ticket, bool, error) {
	if err != nil || !ok || t.MergedInto == 0 {
		return t, ok, err
	}
	var path []string
	seen := map[int64]bool{t.ID: true}
	for hop := 0; t.MergedInto != 0; hop++ {
		if hop == maxMergeHops || seen[t.MergedInto] {
			// A loop or an endless chain: the mail stays in the last
			// ticket reached rather than fail delivery, and says so.
			path = append(path, fmt.Sprintf("stopped at %s (a loop or more than %d merges)", t.Ref(), maxMergeHops))
			break
		}
		next, found, err := f.Tx.TicketByID(propertyID, t.MergedInto)
		if err != nil {
			return t, false, err
		}
		if !found {
			return t, true, nil // cannot happen (a foreign key); stay with the merged ticket
		}
		path = append(path, fmt.Sprintf("%s merged into %s", t.Ref(), next.Ref()))
		seen[next.ID] = true
		t = next
	}
	if f.via == nil {
		f.via = map[int64]string{}
	}
	f.via[t.ID] = strings.Join(path, ", ")
	return t, true, nil
}

// decide threads msg with merges followed, and says in the decision which
// merges led to its ticket.
func (p *Pipeline) decide(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed) (threading.Decision, error) {
	lk := &followMerges{Tx: tx}
	dec, err := p.resolver.Decide(threadInput(prop, env, msg), lk)
	if err != nil {
		return dec, err
	}
	for _, id := range []int64{dec.Ticket.ID, dec.Linked.ID} {
		if via, ok := lk.via[id]; ok && id != 0 {
			dec.Choice = strings.TrimPrefix(dec.Choice+"; "+via, "; ")
			break
		}
	}
	return dec, nil
}
