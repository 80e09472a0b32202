package ingest

import (
	"fmt"
	"github.com/postdesk/postdesk/desk"
	"math"
	"net/mail"
	"strings"
	"time"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// delivered describes what one delivery did in one property, for the log.
type delivered struct {
	property  string
	ticket    int64
	messageID int64
	duplicate bool
	thread    string
	heldID    int64 // the held mail, when the mail was held
	opened    bool  // the mail opened its ticket

	heldReason     string // why the mail was held, when it was
	bounceKind     string // dsn, arf, mdn or other, when the mail was a bounce
	bounceVerified bool
}

// envelope is the SMTP envelope of a delivery, and the count of outbound
// rows the delivery queued.
type envelope struct {
	from     string
	to       []string
	enqueued *int
	member   *ticket.Member // the member the From names, if any
	fw       forwarded      // how the mail was forwarded to the property
	release  *release       // set when held mail is released
	// bounced is the outbox row whose signed bounce address (VERP) the
	// mail was sent to, if any.
	bounced *store.OutboxRow
	// quiet says why no notice may answer the mail ("" if one may).
	quiet   string
	history *History // set when archived mail is imported
}

// deliverTo stores msg in one property inside tx. In order: a retransmission
// is stored once; our own mail coming back is held; a bounce is recorded on
// the message it reports (other mail to a bounce address, such as a vacation
// reply, is threaded like any mail); a reply to a notice is a note, mail
// from a member (or through a member's reply address) is an agent reply if
// it authenticates and is held if not (memberMail); anything else is a
// customer's mail.
//
// A provider's forwarding confirmation is recognised before anything
// threads it; a forwarding mailbox's forward is taken as the message it
// carries (asForwarded).
func (p *Pipeline) deliverTo(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (delivered, error) {
	res := delivered{property: prop.Slug}
	msg = asForwarded(msg, env.fw)
	if err := lockThread(tx, prop, msg); err != nil {
		return res, err
	}
	if orig, dup, err := tx.Retransmission(prop.ID, msg.MessageID, msg.ContentHash); err != nil || dup {
		res.ticket, res.messageID, res.duplicate = orig.TicketNumber, orig.MessageID, dup
		if err != nil {
			return res, err
		}
		return res, tx.AddEvent(orig.TicketID, "arrived-again", env.from, arrivedAgain(orig, msg))
	}
	row, linked, err := p.bouncedRow(tx, prop, env)
	if err != nil {
		return res, err
	}
	if linked {
		env.bounced = &row
	}
	env.quiet = p.quiet(prop, env, msg)
	if reason := p.ownMail(prop, msg); reason != "" && !env.released(reason) {
		return p.hold(tx, prop, env, msg, raw, reason)
	}
	if c, ok := forwardingConfirmation(msg); ok {
		return p.recordConfirmation(tx, prop, env, msg, raw, c)
	}
	if isBounce(msg, env.from) {
		return p.recordBounce(tx, prop, env, msg, raw)
	}
	if res, ok, err := p.memberMail(tx, prop, env, msg, raw); ok || err != nil {
		return res, err
	}
	return p.customerMail(tx, prop, env, msg, raw)
}

// lockThread serializes, across gateways sharing a database, the
// deliveries to prop of mail naming any identifier msg names: the thread
// decision below reads what earlier deliveries stored (its retransmission,
// its parent's ticket), which another gateway's transaction in flight has
// not committed yet (store.Tx.LockThread). A delivery to several
// properties has locked them all already (lockThreads): this returns at
// once.
func lockThread(tx *store.Tx, prop ticket.Property, msg *parsed) error {
	return tx.LockThread(prop.ID, threadIDs(msg)...)
}

// lockThreads takes lockThread's locks for every property a mail is
// delivered to, in one order, before the first delivery: locked property
// by property in the order of the recipients, two gateways delivering
// mail to the same properties could each hold one and wait for the other.
func lockThreads(tx *store.Tx, props []ticket.Property, msg *parsed) error {
	ids := make([]int64, len(props))
	for i, p := range props {
		ids[i] = p.ID
	}
	return tx.LockThreads(ids, threadIDs(msg)...)
}

// threadIDs are the identifiers msg names: its Message-ID, In-Reply-To and
// References.
func threadIDs(msg *parsed) []string {
	ids := make([]string, 0, 1+len(msg.InReplyTo)+len(msg.References))
	return append(append(append(ids, msg.MessageID), msg.InReplyTo...), msg.References...)
}

// arrivedAgain describes a retransmission for the ticket's event log: the
// message it repeats and, for list mail, the list (RFC 2919 List-Id).
func arrivedAgain(orig store.Original, msg *parsed) string {
	detail := "message " + itoa(orig.MessageID) + " <" + msg.MessageID + "> arrived again; not stored twice"
	if list := strings.TrimSpace(firstValue(msg.Header["List-Id"])); list != "" {
		if len(list) > 200 {
			list = strings.ToValidUTF8(list[:200], "") + "…"
		}
		detail += " (through the list " + list + ")"
	}
	return detail
}

func firstValue(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// ownMail recognises mail a gateway of this deployment sent, come back: its
// loop header starts with the deployment's name (or this gateway's, which
// earlier versions put there), or its own Message-ID is one we signed for
// this property.
func (p *Pipeline) ownMail(prop ticket.Property, msg *parsed) string {
	for _, v := range msg.Header[outbox.LoopHeader] {
		if owner := outbox.LoopOwner(v); owner != "" && (owner == p.instanceID || owner == p.gateway) {
			return "our own mail came back (loop header)"
		}
	}
	if tok, ok := p.keys.TokenInMessageID(msg.MessageID); ok && tok.PropertyID == prop.ID {
		return "our own mail came back (Message-ID)"
	}
	return ""
}

// reasonNewTickets holds a sender's new tickets beyond the hourly limit.
const reasonNewTickets = "sender over the limit of new tickets per hour"

// customerMail threads a customer's mail into its ticket or opens one, and
// queues the acknowledgement and the copies to the team. A mail that opens
// a ticket belongs to its requester (Reply-To, which a contact form sets to
// the customer, else From); one that joins a ticket belongs to its From.
// New tickets count against the sender (From, else the envelope sender;
// its base address, RFC 5233 detail removed), never the requester: anyone
// can name anyone in Reply-To, so counting the requester let a stranger
// lock a customer out, and rotating Reply-To or +detail escaped the limit.
func (p *Pipeline) customerMail(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (delivered, error) {
	res := delivered{property: prop.Slug}
	requester, author := people(msg, env.from)
	dec, err := p.decide(tx, prop, env, msg)
	if err != nil {
		return res, err
	}
	opens := dec.Rule == threading.RuleNew || threading.CustomerReply(dec.Ticket.Status, msg.Automatic).NewTicket
	joined := ticket.Ticket{}
	if !opens {
		requester, joined = author, dec.Ticket
	}
	tooMany, limit := fmt.Sprintf("mail names more than %d new participants", p.limits.ParticipantsPerMail), p.limits.ParticipantsPerMail
	if env.released(tooMany) {
		limit = math.MaxInt // released by a person who saw whom it names
	}
	named, over, err := outsideAddresses(tx, prop, joined, msg, []string{requester.Address, env.fw.by, env.fw.original}, limit)
	if err != nil {
		return res, err
	}
	if over {
		return p.hold(tx, prop, env, msg, raw, tooMany)
	}
	contact, err := tx.Contact(prop.ID, requester.Address, requester.Name)
	if err != nil {
		return res, err
	}
	if opens && env.history == nil { // a rate limit: old mail came at its own pace
		n, err := tx.CountNewTicket(prop.ID, outbox.BaseAddress(author.Address), time.Hour)
		if err != nil {
			return res, err
		}
		if n > p.limits.NewTicketsPerHour && !env.released(reasonNewTickets) {
			return p.hold(tx, prop, env, msg, raw, reasonNewTickets)
		}
	}
	t, isNew, err := p.ticketFor(tx, prop, env, dec, contact, msg)
	if err != nil {
		return res, err
	}
	trusted := mayAddParticipants(dec, isNew)
	if trusted {
		if err := addParticipants(tx, prop, t.ID, named); err != nil {
			return res, err
		}
	}
	m := newMessage(msg, raw)
	m.PropertyID, m.TicketID, m.AuthorID = prop.ID, t.ID, contact.ID
	m.AuthorEmail, m.AuthorName = strings.ToLower(author.Address), author.Name
	m.Thread = dec.String()
	m.OriginalTo, m.ForwardedBy = env.fw.original, forwardedBy(env.fw)
	if err := storeMessage(tx, m, msg, raw); err != nil {
		return res, err
	}
	if !trusted {
		if err := proposeParticipants(tx, t, m.ID, m.AuthorEmail, named); err != nil {
			return res, err
		}
	}
	q := p.queue(tx, prop, env)
	if isNew {
		if err := q.Acknowledge(t, contact, msg.Automatic || contact.Email == unknownSender); err != nil {
			return res, err
		}
	}
	if err := q.Copies(t, m.ID, 0); err != nil {
		return res, err
	}
	res.ticket, res.messageID, res.thread, res.opened = t.Number, m.ID, m.Thread, isNew
	return res, nil
}

// storeMessage stores a message with its attachments, and records its
// Message-ID and the ids it references as thread ids of its ticket.
func storeMessage(tx *store.Tx, m *ticket.Message, msg *parsed, raw []byte) error {
	blobs := make([]store.Blob, len(msg.Attachments))
	for i, a := range msg.Attachments {
		blobs[i] = store.Blob{SHA256: a.SHA256, Data: a.Content}
	}
	refs, _ := threading.SplitUsable(append(append([]string{}, msg.InReplyTo...), msg.References...))
	return tx.StoreMessage(m, raw, blobs, refs)
}

// threadInput gathers what threading looks at: every address a reply token
// may be in, the mail's own Message-ID and its references, the subject and
// the From address (never Reply-To: anyone may name anyone there). An
// admin's import of history is a trusted archive whose ids thread across
// its posters; live mail's unsigned ids thread only for participants.
func threadInput(prop ticket.Property, env envelope, msg *parsed) threading.Input {
	in := threading.Input{
		PropertyID: prop.ID, InReplyTo: msg.InReplyTo, References: msg.References,
		Subject: msg.Subject, TagFormat: prop.TagFormat, Addresses: append([]string{}, env.to...),
		TrustUnsignedIDs: env.history != nil,
	}
	for _, a := range append(append([]*mail.Address{}, msg.To...), msg.Cc...) {
		in.Addresses = append(in.Addresses, a.Address)
	}
	for _, k := range []string{"Delivered-To", "X-Original-To"} {
		for _, v := range msg.Header[k] {
			in.Addresses = append(in.Addresses, strings.TrimSpace(v))
		}
	}
	if !msg.Synthetic {
		in.MessageID = msg.MessageID
	}
	if msg.From != nil {
		in.Senders = append(in.Senders, msg.From.Address)
	}
	return in
}

// ticketFor returns the ticket the mail goes to, creating it or changing its
// status as the decision and the ticket's state require, and whether it is new.
// Imported history takes the status the import asks for, if any, in place of
// the one a reply would give.
func (p *Pipeline) ticketFor(tx *store.Tx, prop ticket.Property, env envelope, dec threading.Decision, requester ticket.Contact, msg *parsed) (ticket.Ticket, bool, error) {
	status := ticket.StatusOpen
	if env.history != nil && env.history.Status != "" {
		status = env.history.Status
	}
	if dec.Rule == threading.RuleNew && dec.Linked.ID != 0 {
		return p.linkedTicket(tx, prop, env, dec.Linked, requester, msg, status)
	}
	if dec.Rule == threading.RuleNew {
		t, err := p.newTicket(tx, prop, env, requester, msg, link{}, status)
		return t, true, err
	}
	t := dec.Ticket
	effect := threading.CustomerReply(t.Status, msg.Automatic)
	if effect.NewTicket {
		nt, err := p.newTicket(tx, prop, env, requester, msg, link{t.ID, "opened by a reply to a deleted ticket (id " + itoa(t.ID) + ")"}, status)
		if err != nil {
			return nt, true, err
		}
		return nt, true, tx.AddEvent(t.ID, "continued", requester.Email, "a reply to this deleted ticket opened "+nt.Ref())
	}
	why := "reply from " + requester.Email
	if msg.Automatic {
		why = "automatic reply (" + msg.AutoReason + ")"
	}
	if env.history != nil && env.history.Status != "" && t.Status != ticket.StatusSpam {
		effect.Status, why = env.history.Status, "imported history"
	}
	o := &desk.Op{Tx: tx, Queue: p.queue(tx, prop, env), Actor: desk.AsContact(requester)}
	return t, false, o.SetStatus(&t, effect.Status, why)
}

// linkedTicket opens a new ticket for mail whose unsigned ids named ticket
// candidate, in which its sender takes no part, and records on both which
// the other is: the team sees the conversations belong together, and no
// one's mail goes to the other ticket's people.
func (p *Pipeline) linkedTicket(tx *store.Tx, prop ticket.Property, env envelope, candidate ticket.Ticket, requester ticket.Contact, msg *parsed, status ticket.Status) (ticket.Ticket, bool, error) {
	why := "opened by mail that references " + candidate.Ref() + ", whose sender is not a participant of it"
	nt, err := p.newTicket(tx, prop, env, requester, msg, link{candidate.ID, why}, status)
	if err != nil {
		return nt, true, err
	}
	return nt, true, tx.AddEvent(candidate.ID, "linked", requester.Email,
		"mail that references this ticket opened "+nt.Ref()+": its sender is not a participant of this ticket")
}

// link is the ticket a new one is linked to, and the reason recorded.
type link struct {
	id  int64
	why string
}

func (p *Pipeline) newTicket(tx *store.Tx, prop ticket.Property, env envelope, requester ticket.Contact, msg *parsed, linked link, status ticket.Status) (ticket.Ticket, error) {
	t := ticket.Ticket{Subject: subjectOrDefault(threading.BaseSubject(msg.Subject)), Status: status, LinkedID: linked.id}
	why := "opened by inbound mail"
	if linked.id != 0 {
		why = linked.why
	}
	_, author := people(msg, env.from)
	o := &desk.Op{Tx: tx, Queue: p.queue(tx, prop, env), Actor: desk.AsContact(requester),
		Sender: author.Address, Automatic: msg.Automatic}
	return t, o.Open(&t, requester, why)
}

// queue returns the outbox queue of a delivery to a property.
func (p *Pipeline) queue(tx *store.Tx, prop ticket.Property, env envelope) outbox.Queue {
	return outbox.Queue{Keys: p.keys, Tx: tx, Prop: prop, Count: env.enqueued, AcksPerHour: p.limits.AcksPerHour,
		AckCeiling: p.limits.AckCeiling, Quiet: env.quiet != "", Silent: env.history != nil}
}

func subjectOrDefault(s string) string {
	if s = strings.TrimSpace(s); s == "" {
		return "(no subject)"
	}
	return s
}
