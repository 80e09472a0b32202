package threading

import (
	"fmt"
	"strings"
	"sync"

	"github.com/postdesk/postdesk/ticket"
)

// Rule names the rule that decided a mail's ticket.
type Rule string

// The rules, in the order they are tried.
const (
	RuleToken      Rule = "token"           // a signed reply address
	RuleInReplyTo  Rule = "in-reply-to"     // In-Reply-To names a stored id
	RuleReferences Rule = "references"      // References names a stored id
	RuleGhost      Rule = "ghost-reference" // an id that an earlier message of the ticket also referenced
	RuleReferenced Rule = "referenced-by"   // stored replies reference this mail's own Message-ID
	RuleSubjectTag Rule = "subject-tag"     // [#N] from a participant
	RuleNew        Rule = "new"             // none of the above
)

// Input is what threading needs to know of one inbound mail, in one property.
type Input struct {
	PropertyID int64
	// Addresses are the envelope recipients and the To, Cc, Delivered-To
	// and X-Original-To addresses: where a reply token may be.
	Addresses []string
	// MessageID is the mail's own Message-ID: replies stored before it
	// arrived may reference it.
	MessageID  string
	InReplyTo  []string
	References []string // oldest first, as in the header
	Subject    string
	TagFormat  string
	// Senders are the From addresses, for the participant check of the
	// subject tag and of unsigned ids. Reply-To is a wish for where
	// answers go, not an identity, and must not be among them.
	Senders []string
	// TrustUnsignedIDs lets a match on an unsigned id (a stored inbound
	// Message-ID, a ghost parent, a late parent) join its ticket whoever
	// the sender is. Only an admin's import of an archive sets it: a
	// mailing-list archive threads across many posters. Live mail leaves
	// it false, since anyone can write any id into a header.
	TrustUnsignedIDs bool
}

// Lookup is what threading asks of the store, scoped to one property. The
// store answers it inside the delivery transaction.
type Lookup interface {
	// TicketByID returns a ticket of the property by id.
	TicketByID(propertyID, ticketID int64) (ticket.Ticket, bool, error)
	// TicketByNumber returns a ticket of the property by its number.
	TicketByNumber(propertyID, number int64) (ticket.Ticket, bool, error)
	// ThreadIDs returns, for each of ids that the property has stored, the
	// tickets that carry it (direct: a message's own id, one we sent, or a
	// recorded alias) and the tickets whose messages referenced it (ghost),
	// newest ticket first. One indexed query.
	ThreadIDs(propertyID int64, ids []string) (direct, ghost map[string][]int64, err error)
	// IsParticipant reports whether any of emails is the ticket's requester,
	// a Cc'd participant, or a member of the property.
	IsParticipant(propertyID, ticketID int64, emails []string) (bool, error)
}

// Decision is the outcome for one mail: the ticket it continues (zero for a
// new ticket), the rule that fired, and what was considered, for the record.
type Decision struct {
	Rule       Rule
	Ticket     ticket.Ticket // the matched ticket; zero when Rule is RuleNew
	Matched    string        // the token, Message-ID or tag that matched
	Token      *Token        // the verified reply token, if one was found
	Candidates []string      // ids and tags looked at, in order
	// Ignored are the In-Reply-To and References ids that UsableID
	// rejected: they neither thread nor become ghost parents.
	Ignored []string
	// Choice explains which ticket was taken when several qualified, or
	// why the ticket an unsigned id named was not joined.
	Choice string
	// Linked is the ticket an unsigned id named but the sender takes no
	// part in (zero if none): the mail opens a new ticket linked to it.
	Linked ticket.Ticket
}

// String describes the decision for `ticket show`.
func (d Decision) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "rule=%s", d.Rule)
	if d.Ticket.ID != 0 {
		fmt.Fprintf(&b, " ticket=#%d", d.Ticket.Number)
	}
	if d.Matched != "" {
		fmt.Fprintf(&b, " matched=%s", d.Matched)
	}
	if len(d.Candidates) > 0 {
		fmt.Fprintf(&b, " candidates=%s", strings.Join(d.Candidates, " "))
	}
	if d.Choice != "" {
		fmt.Fprintf(&b, " choice=%q", d.Choice)
	}
	if len(d.Ignored) > 0 {
		fmt.Fprintf(&b, " ignored=%s", strings.Join(d.Ignored, " "))
	}
	return b.String()
}

// Resolver decides threads with a set of keys. It is safe for concurrent
// use.
type Resolver struct {
	Keys *Keys
	tags sync.Map // tag format → *TagParser, compiled once
}

// tagParser returns the compiled parser of a tag format.
func (r *Resolver) tagParser(format string) (*TagParser, error) {
	if p, ok := r.tags.Load(format); ok {
		return p.(*TagParser), nil
	}
	p, err := NewTagParser(format)
	if err != nil {
		return nil, err
	}
	r.tags.Store(format, p)
	return p, nil
}

// Decide applies the rules in order: signed token, In-Reply-To, References
// (newest first, direct matches before ghost ones), stored replies that
// reference the mail's own Message-ID, subject tag from a participant, else
// a new ticket. A match on an id we did not sign joins only a ticket the
// sender takes part in, unless in.TrustUnsignedIDs; when such a match was
// passed over, the new ticket is to be linked to it (Decision.Linked). Ids that are not RFC 5322 msg-ids are ignored, and the
// decision says so. Nothing crosses properties: every token and lookup is
// checked against in.PropertyID. Retransmissions are caught before Decide is
// called.
func (r *Resolver) Decide(in Input, lk Lookup) (Decision, error) {
	var ignoredReply, ignoredRefs []string
	in.InReplyTo, ignoredReply = SplitUsable(in.InReplyTo)
	in.References, ignoredRefs = SplitUsable(in.References)
	ignored := append(ignoredReply, ignoredRefs...)
	d, err := r.decide(in, lk)
	d.Ignored = ignored
	return d, err
}

func (r *Resolver) decide(in Input, lk Lookup) (Decision, error) {
	if d, ok, err := r.byToken(in, lk); ok || err != nil {
		return d, err
	}
	d, ok, err := r.byReferences(in, lk)
	if ok || err != nil {
		return d, err
	}
	tagged, err := r.bySubjectTag(in, lk, d.Candidates)
	if err != nil || tagged.Rule != RuleNew {
		return tagged, err
	}
	tagged.Linked, tagged.Choice = d.Linked, d.Choice
	return tagged, nil
}

func (r *Resolver) byToken(in Input, lk Lookup) (Decision, bool, error) {
	for _, addr := range in.Addresses {
		tok, ok := r.Keys.TokenInAddress(addr)
		if !ok || tok.PropertyID != in.PropertyID || !tok.threads() {
			continue
		}
		t, found, err := lk.TicketByID(in.PropertyID, tok.TicketID)
		if err != nil || !found {
			return Decision{}, false, err
		}
		return Decision{Rule: RuleToken, Ticket: t, Matched: addr, Token: &tok}, true, nil
	}
	return Decision{}, false, nil
}

// threads reports whether mail to an address with this token continues its
// ticket: a reply address, or the bounce address (VERP) of a mail about a
// ticket, where auto-replies that answer the envelope sender arrive (RFC
// 3834 §4, RFC 5230 §4.1). Only a member's reply token authenticates a
// member; the others merely thread.
func (t Token) threads() bool {
	return t.Kind == KindContact || t.Kind == KindMember || t.Kind == KindBounce && t.TicketID != 0
}

// byReferences tries In-Reply-To, then References newest first: first our own
// signed ids and the direct matches, then ghost matches, then stored replies
// that reference the mail's own Message-ID. A signed id (one we minted)
// joins its ticket. An unsigned id proves nothing, since anyone can write
// any id into a header (RFC 5322 §3.6.4 makes them unique, not secret), so
// a match on one joins only a ticket the sender takes part in; the first
// ticket passed over is kept in Linked.
func (r *Resolver) byReferences(in Input, lk Lookup) (Decision, bool, error) {
	type candidate struct {
		id   string
		rule Rule
	}
	var cands []candidate
	seen := map[string]bool{}
	add := func(id string, rule Rule) {
		if !seen[id] {
			seen[id] = true
			cands = append(cands, candidate{id, rule})
		}
	}
	for _, id := range in.InReplyTo {
		add(id, RuleInReplyTo)
	}
	for i := len(in.References) - 1; i >= 0; i-- {
		add(in.References[i], RuleReferences)
	}
	own := ""
	if UsableID(in.MessageID) && !seen[in.MessageID] {
		own = in.MessageID
	}
	if len(cands) == 0 && own == "" {
		return Decision{}, false, nil
	}
	ids := make([]string, len(cands))
	for i, c := range cands {
		ids[i] = c.id
	}
	lookup := ids
	if own != "" {
		lookup = append(ids[:len(ids):len(ids)], own)
	}
	direct, ghost, err := lk.ThreadIDs(in.PropertyID, lookup)
	if err != nil {
		return Decision{}, false, err
	}
	j := joiner{in: in, lk: lk, cands: ids}
	for _, c := range cands {
		if ticketID := r.ownTicket(in.PropertyID, c.id); ticketID != 0 {
			if d, ok, err := found(lk, in.PropertyID, ticketID, c.rule, c.id, ids); ok || err != nil {
				return d, ok, err
			}
		}
		if d, ok, err := j.join(direct[c.id], c.rule, c.id); ok || err != nil {
			return d, ok, err
		}
	}
	for _, c := range cands {
		if d, ok, err := j.join(ghost[c.id], RuleGhost, c.id); ok || err != nil {
			return d, ok, err
		}
	}
	if own != "" && len(ghost[own]) > 0 {
		if d, ok, err := j.referencedBy(own, ghost[own]); ok || err != nil {
			return d, ok, err
		}
	}
	return j.passedOver(), false, nil
}

// maxReferrers bounds the tickets one id's match looks at.
const maxReferrers = 8

// joiner joins the tickets that unsigned ids name, when the sender may.
type joiner struct {
	in     Input
	lk     Lookup
	cands  []string
	passed ticket.Ticket // the first ticket the sender could not join
	why    string        // the id and rule that named passed
}

// join returns the first of tickets (newest first) that exists and that the
// sender may join, and remembers the first one passed over.
func (j *joiner) join(tickets []int64, rule Rule, id string) (Decision, bool, error) {
	if len(tickets) > maxReferrers {
		tickets = tickets[:maxReferrers]
	}
	for _, ticketID := range tickets {
		t, ok, err := j.may(ticketID, rule, id)
		if err != nil || ok {
			return Decision{Rule: rule, Ticket: t, Matched: id, Candidates: j.cands}, ok, err
		}
	}
	return Decision{}, false, nil
}

// may looks up a ticket an unsigned id named and reports whether the sender
// may join it: imported history may, live mail only from a participant
// (requester, Cc'd participant or member; From alone, as for the subject
// tag).
func (j *joiner) may(ticketID int64, rule Rule, id string) (ticket.Ticket, bool, error) {
	t, ok, err := j.lk.TicketByID(j.in.PropertyID, ticketID)
	if err != nil || !ok {
		return t, false, err
	}
	if j.in.TrustUnsignedIDs {
		return t, true, nil
	}
	member, err := j.lk.IsParticipant(j.in.PropertyID, t.ID, j.in.Senders)
	if err != nil || member {
		return t, member, err
	}
	if j.passed.ID == 0 {
		j.passed, j.why = t, fmt.Sprintf("%s %s", rule, id)
	}
	return t, false, nil
}

// passedOver is the decision when no ticket was joined: none, or a new
// ticket linked to the first ticket the sender could not join.
func (j *joiner) passedOver() Decision {
	d := Decision{Candidates: j.cands}
	if j.passed.ID != 0 {
		d.Linked = j.passed
		d.Choice = fmt.Sprintf("%s names #%d; sender not a participant of #%d: new ticket linked to it",
			j.why, j.passed.Number, j.passed.Number)
	}
	return d
}

// referencedBy joins a parent that arrived after its replies: stored
// messages of the tickets given (newest first) referenced its Message-ID.
// When the sender may join several, the newest is taken, as the ghost rule
// does (a reply to a deleted ticket opens a newer one, which is where the
// conversation went on), and the decision names every candidate.
func (j *joiner) referencedBy(own string, tickets []int64) (Decision, bool, error) {
	if len(tickets) > maxReferrers {
		tickets = tickets[:maxReferrers]
	}
	var chosen ticket.Ticket
	var names []string
	for _, id := range tickets {
		t, ok, err := j.may(id, RuleReferenced, own)
		if err != nil {
			return Decision{}, false, err
		}
		if !ok {
			continue
		}
		if chosen.ID == 0 {
			chosen = t
		}
		names = append(names, fmt.Sprintf("#%d", t.Number))
	}
	if chosen.ID == 0 {
		return Decision{}, false, nil
	}
	d := Decision{Rule: RuleReferenced, Ticket: chosen, Matched: own, Candidates: j.cands}
	if len(names) > 1 {
		d.Choice = fmt.Sprintf("referenced from tickets %s; the newest taken", strings.Join(names, " "))
	}
	return d, true, nil
}

// ownTicket returns the ticket of a Message-ID or ticket reference we minted
// for this property, or 0.
func (r *Resolver) ownTicket(propertyID int64, id string) int64 {
	tok, ok := r.Keys.TokenInMessageID(id)
	if !ok || tok.PropertyID != propertyID || !tok.namesTicketMail() {
		return 0
	}
	return tok.TicketID
}

// namesTicketMail reports whether a Message-ID with this token is one of a
// ticket's conversation: a copy to a contact or member, or the ticket
// reference. A notice's id is a note to one member, not the ticket's mail,
// so a reply to it never continues the ticket by reference (RFC 5322
// §3.6.4); a bounce token is an envelope sender, never a Message-ID we use.
func (t Token) namesTicketMail() bool {
	return t.Kind == KindContact || t.Kind == KindMember || t.Kind == KindTicket
}

func found(lk Lookup, propertyID, ticketID int64, rule Rule, matched string, cands []string) (Decision, bool, error) {
	if ticketID == 0 {
		return Decision{}, false, nil
	}
	t, ok, err := lk.TicketByID(propertyID, ticketID)
	if err != nil || !ok {
		return Decision{}, false, err
	}
	return Decision{Rule: rule, Ticket: t, Matched: matched, Candidates: cands}, true, nil
}

// bySubjectTag threads by [#N] only when the sender already takes part in
// ticket N; anyone else's mail with that tag opens a new ticket.
func (r *Resolver) bySubjectTag(in Input, lk Lookup, considered []string) (Decision, error) {
	d := Decision{Rule: RuleNew, Candidates: considered}
	p, err := r.tagParser(in.TagFormat)
	if err != nil {
		return d, nil // a bad format matches nothing; config validation reports it
	}
	n, ok := p.Find(in.Subject)
	if !ok {
		return d, nil
	}
	tag := Tag(in.TagFormat, n)
	d.Candidates = append(d.Candidates, tag)
	t, found, err := lk.TicketByNumber(in.PropertyID, n)
	if err != nil || !found {
		return d, err
	}
	member, err := lk.IsParticipant(in.PropertyID, t.ID, in.Senders)
	if err != nil || !member {
		return d, err
	}
	return Decision{Rule: RuleSubjectTag, Ticket: t, Matched: tag, Candidates: d.Candidates}, nil
}
