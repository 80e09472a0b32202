// Package outbox decides who is sent what, and queues it: every mail
// postdesk sends is an outbox row written in the same transaction as the
// event that caused it (an inbound message, an agent's reply, a bounce, a
// failed delivery). The notify package delivers the rows.
//
// Each row carries its own signed Message-ID, fixed here, so that a resend
// after a crash carries the same one and receivers can deduplicate.
//
// Notices to members (held mail, failed deliveries, failed commands) are
// not queued directly: they wait as pending notices, and the Digester sends
// at most one mail per member, topic and window, folding the rest into a
// digest. A notice's Reply-To and Message-ID carry a notice token
// (threading.KindNotice), so a reply to one is known for one.
package outbox

import (
	"crypto/rand"
	"strings"
	"time"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// LoopHeader names the deployment, and after it the gateway, that sent a
// mail. notify puts it on everything it sends (LoopValue); ingest holds
// mail that comes back carrying the deployment's name first (LoopOwner).
const LoopHeader = "X-Postdesk-Loop"

// LoopValue is the loop header of a mail sent by the gateway of the
// deployment: the deployment's name, which every gateway sharing the
// database recognises, then the gateway's own when it differs (for the
// reader of a mail that came back).
func LoopValue(deployment, gateway string) string {
	if gateway == "" || gateway == deployment {
		return deployment
	}
	return deployment + " " + gateway
}

// LoopOwner is the name a loop header's value starts with: the deployment
// of LoopValue, or the gateway that earlier versions put there alone.
func LoopOwner(v string) string {
	f := strings.Fields(v)
	if len(f) == 0 {
		return ""
	}
	return f[0]
}

// Queue queues mail for one property inside a store transaction.
type Queue struct {
	Keys *threading.Keys
	Tx   *store.Tx
	Prop ticket.Property
	// Count, when set, is incremented for every row queued.
	Count *int
	// AcksPerHour caps acknowledgements to one base address (RFC 3834
	// §2; see BaseAddress).
	AcksPerHour int
	// AckCeiling caps the acknowledgements of the property per hour, to
	// whatever addresses: forged senders cannot turn it into a spam cannon.
	AckCeiling int
	// Quiet, when set, says that the mail being handled must not be
	// answered by a notice (automatic mail, a notice come back, mail to a
	// notice's addresses; see ingest): Notice, and so TellAdmins and
	// TellTeam, queue nothing. A responder answering a notice would
	// otherwise get a new notice every window, forever (RFC 3834 §2).
	Quiet bool
	// Silent queues nothing and looks nothing up: every method returns at
	// once. An import of old mail acknowledges, copies and tells no one
	// (the mail was answered long ago).
	Silent bool
}

// ToContact queues a mail of the given kind to a contact about message
// msgID of ticket t. The property's own addresses get nothing.
func (q Queue) ToContact(kind string, t ticket.Ticket, msgID int64, c ticket.Contact) error {
	if q.Prop.Owns(c.Email) {
		return nil
	}
	tok := threading.Token{Kind: threading.KindContact, PropertyID: q.Prop.ID, TicketID: t.ID, ID: c.ID}
	return q.enqueue(&store.OutboxRow{Kind: kind, TicketID: t.ID, MessageID: msgID, Rcpt: c.Email, RcptKind: "contact", RcptID: c.ID}, tok)
}

// ToMember queues a mail to a member.
func (q Queue) ToMember(kind string, t ticket.Ticket, msgID int64, m ticket.Member) error {
	tok := threading.Token{Kind: threading.KindMember, PropertyID: q.Prop.ID, TicketID: t.ID, ID: m.ID}
	return q.enqueue(&store.OutboxRow{Kind: kind, TicketID: t.ID, MessageID: msgID, Rcpt: m.Email, RcptKind: "member", RcptID: m.ID}, tok)
}

// Notice queues a short notice to a member, about a ticket (or 0). It is
// not sent from here: it waits for the Digester, which sends the first
// notice of a topic (see Topic) to a member at once and folds later ones
// into one digest per window, so that no storm of events becomes a storm
// of mail. A Quiet queue queues no notice.
func (q Queue) Notice(ticketID int64, m ticket.Member, subject, body string) error {
	if q.Quiet || q.Silent {
		return nil
	}
	n := &store.PendingNotice{PropertyID: q.Prop.ID, TicketID: ticketID, MemberID: m.ID, Rcpt: m.Email,
		Topic: Topic(subject), Subject: subject, Body: body}
	if err := q.Tx.AddPendingNotice(n); err != nil {
		return err
	}
	if q.Count != nil {
		*q.Count++
	}
	return nil
}

// NoticeNow queues a notice to a member that cannot wait for the digest
// (a sign-in link): it is sent at once, never folded, and is still a
// notice (a reply to it is answered by no one, see threading.KindNotice).
func (q Queue) NoticeNow(m ticket.Member, subject, body string) error {
	return q.enqueue(&store.OutboxRow{Kind: ticket.OutNotice, Rcpt: m.Email, RcptKind: "member", RcptID: m.ID,
		Subject: subject, Body: body, Topic: Topic(subject)}, threading.Token{Kind: threading.KindNotice, PropertyID: q.Prop.ID, ID: m.ID})
}

// TellAdmins sends a notice about no ticket to the property's admins (to
// every member when it has none).
func (q Queue) TellAdmins(subject, body string) error {
	if q.Silent {
		return nil
	}
	admins, err := q.Tx.Admins(q.Prop.ID)
	if err != nil {
		return err
	}
	for _, m := range admins {
		if err := q.Notice(0, m, subject, body); err != nil {
			return err
		}
	}
	return nil
}

// Topic is what notices are folded by: their subject up to the first
// colon ("Held", "Delivery failed", "Not sent"), or the whole subject.
func Topic(subject string) string {
	topic, _, _ := strings.Cut(subject, ":")
	topic = strings.TrimSpace(topic)
	if r := []rune(topic); len(r) > 60 {
		topic = string(r[:60])
	}
	return topic
}

// enqueue writes the row unless the address is suppressed, and records its
// Message-ID as a thread id of the ticket.
func (q Queue) enqueue(r *store.OutboxRow, tok threading.Token) error {
	if q.Silent {
		return nil
	}
	if suppressed, err := q.Tx.Suppressed(q.Prop.ID, r.Rcpt); err != nil || suppressed {
		if suppressed && r.TicketID != 0 {
			return q.Tx.AddEvent(r.TicketID, "suppressed", r.Rcpt, "not sent: the address bounced permanently")
		}
		return err
	}
	r.PropertyID, r.RcptBase = q.Prop.ID, BaseAddress(r.Rcpt)
	r.MsgID = q.Keys.MessageID(tok, rand.Text()[:12], ticket.Domain(q.Prop.FromAddress))
	if err := q.Tx.Enqueue(r); err != nil {
		return err
	}
	if q.Count != nil {
		*q.Count++
	}
	if r.TicketID == 0 || r.Kind == ticket.OutNotice {
		return nil // a reply to a notice is recognised by its token, never threaded as mail
	}
	return q.Tx.AddThreadIDs(q.Prop.ID, r.TicketID, store.ThreadOutbound, r.MsgID)
}

// Copies sends a copy of a message to the assignee, or to every member of
// the ticket's department while it is unassigned; never to except. A spam
// ticket's mail is copied to no one: the team reads the Spam folder when
// it wants to.
func (q Queue) Copies(t ticket.Ticket, msgID int64, except int64) error {
	if q.Silent || t.Status == ticket.StatusSpam {
		return nil
	}
	members, err := q.team(t)
	if err != nil {
		return err
	}
	for _, m := range members {
		if m.ID == except {
			continue
		}
		if err := q.ToMember(ticket.OutCopy, t, msgID, m); err != nil {
			return err
		}
	}
	return nil
}

// team is who looks after a ticket: its assignee, or its department.
func (q Queue) team(t ticket.Ticket) ([]ticket.Member, error) {
	switch {
	case t.AssigneeID != 0:
		return q.Tx.Members(q.Prop.ID, t.AssigneeID)
	case t.DepartmentID != 0:
		return q.Tx.DepartmentMembers(t.DepartmentID)
	}
	return nil, nil
}

// Acknowledge sends the customer an acknowledgement of a new ticket, unless
// the property turned them off, the mail was automatic, the base address had
// its hourly share of automatic mail already, or the property its hourly
// ceiling. The sender of an inbound mail may be forged, so the limits are
// what bound the backscatter a spammer can cause (RFC 3834 §2); the
// acknowledgement itself quotes nothing of the mail (see notify). A ticket
// opened in the Spam folder is not acknowledged.
func (q Queue) Acknowledge(t ticket.Ticket, requester ticket.Contact, automatic bool) error {
	if q.Silent || t.Status == ticket.StatusSpam {
		return nil
	}
	if !q.Prop.AckEnabled || automatic || q.Prop.Owns(requester.Email) {
		return nil
	}
	n, err := q.Tx.CountRecent(q.Prop.ID, ticket.OutAck, BaseAddress(requester.Email), q.Tx.Now().Add(-time.Hour), q.AcksPerHour)
	if err != nil {
		return err
	}
	if n >= q.AcksPerHour {
		return q.Tx.AddEvent(t.ID, "ack-limited", requester.Email,
			"no acknowledgement: this address had its hourly limit of automatic replies")
	}
	if q.AckCeiling > 0 {
		total, err := q.Tx.CountThisHour(q.Prop.ID, ticket.OutAck)
		if err != nil {
			return err
		}
		if total > q.AckCeiling {
			return q.Tx.AddEvent(t.ID, "ack-limited", requester.Email,
				"no acknowledgement: the property sent its ceiling of acknowledgements this hour")
		}
	}
	return q.ToContact(ticket.OutAck, t, 0, requester)
}

// BaseAddress is addr lowercased with its subaddress detail removed
// (RFC 5233 §1: "local+detail@domain" is "local@domain"), so that
// "victim+1@…", "victim+2@…" count as one address against the limits.
// A trailing dot of the domain (the DNS root, "example.com.") is removed
// too. Address literals ("dan@[127.0.0.1]") are left as they are: ingest
// never makes one a contact (ticket.ParseAddress refuses them), so no
// limit ever counts one.
func BaseAddress(addr string) string {
	addr = strings.ToLower(strings.TrimSpace(addr))
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local, domain := addr[:at], strings.TrimRight(addr[at+1:], ".")
	if plus := strings.IndexByte(local, '+'); plus > 0 {
		local = local[:plus]
	}
	return local + "@" + domain
}

// TellTeam sends a notice about a ticket to its assignee, or to its
// department's members when it has none.
func (q Queue) TellTeam(ticketID int64, subject, body string) error {
	if q.Silent {
		return nil
	}
	t, ok, err := q.Tx.TicketByID(q.Prop.ID, ticketID)
	if err != nil || !ok {
		return err
	}
	members, err := q.team(t)
	if err != nil {
		return err
	}
	for _, m := range members {
		if err := q.Notice(t.ID, m, subject+" "+threading.Tag(q.Prop.TagFormat, t.Number), body); err != nil {
			return err
		}
	}
	return nil
}

// TellFailure tells the team of row's ticket that the mail of row failed:
// a 5xx reply to its delivery, or a verified bounce. A failed notice tells
// nobody, however it failed: a notice in answer to a notice could loop
// (issue 8 item 4), and the member it was for is the team anyway. Neither
// does a row about no ticket.
func (q Queue) TellFailure(row store.OutboxRow, subject, body string) error {
	if row.Kind == ticket.OutNotice || row.TicketID == 0 {
		return nil
	}
	return q.TellTeam(row.TicketID, subject, body)
}
