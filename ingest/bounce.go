package ingest

import (
	"bytes"
	"regexp"
	"strings"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// bounceSubject matches the subjects of bounces that are not RFC 3464
// reports (qmail, Exim's older forms, many providers).
var bounceSubject = regexp.MustCompile(`(?i)(undeliver|delivery (status|failure|failed|problem|notification)|(failed|failure) delivery|returned mail|failure notice|mail (delivery|failure|failed)|non.?delivery|could not (be delivered|send)|delivery has failed|returned to sender|returning to sender|mail system error|message not delivered|error sending|errors from|delayed|rejected:|not member|loop alert|не доставлено|配信できません|エラー通知)`)

// delaySubject matches failure notices that only warn of a delay.
var delaySubject = regexp.MustCompile(`(?i)(delay|warning|still trying|not yet been delivered)`)

// permanentStatus is an RFC 3463 permanent failure status code, 5.X.X.
var permanentStatus = regexp.MustCompile(`^5\.\d{1,3}\.\d{1,3}\b`)

// isBounce tells a bounce or report from other mail: a multipart/report
// (RFC 6522), or a recognised failure notice.
func isBounce(msg *parsed, envFrom string) bool {
	return msg.Report != nil || failureNotice(msg, envFrom)
}

// failureNotice recognises a bounce that is no RFC 3464 report (qmail,
// older Exim, many providers): from the null reverse-path (RFC 5321 §4.5.5)
// with a mailer daemon's address, a failure subject or the returned message
// attached, or from a mailer
// daemon with a failure subject. A person's auto-reply (RFC 3834, RFC 5230
// vacation), which may use the null sender too, is none, and neither is a
// person's mail sent with the null sender.
func failureNotice(msg *parsed, envFrom string) bool {
	daemon := isDaemon(envFrom) || isDaemon(fromAddress(msg))
	if !daemon && isAutoReply(msg) {
		return false
	}
	failure := bounceSubject.MatchString(msg.Subject)
	if envFrom == "" || envFrom == "<>" {
		return daemon || failure || msg.Returned
	}
	return daemon && failure
}

// fromAddress is the From address, or the From field as written when it is
// no valid address (a bare "mailer-daemon").
func fromAddress(msg *parsed) string {
	if msg.From != nil {
		return msg.From.Address
	}
	if v := msg.Header["From"]; len(v) > 0 {
		f := strings.TrimSpace(v[0])
		if i := strings.LastIndexByte(f, '<'); i >= 0 {
			f = strings.TrimRight(f[i+1:], "> ")
		}
		return f
	}
	return ""
}

func isDaemon(addr string) bool {
	local, _, _ := strings.Cut(strings.ToLower(addr), "@")
	return local == "mailer-daemon" || local == "postmaster" || local == "post_master"
}

// isAutoReply recognises a person's auto-responder (out of office,
// vacation): Auto-Submitted: auto-replied (RFC 3834 §5), the X-Autoreply
// family, or an auto-reply subject.
func isAutoReply(msg *parsed) bool {
	first := func(k string) string {
		if v := msg.Header[k]; len(v) > 0 {
			return strings.ToLower(strings.TrimSpace(v[0]))
		}
		return ""
	}
	return strings.HasPrefix(first("Auto-Submitted"), "auto-replied") || first("X-Autoreply") != "" ||
		first("X-Autorespond") != "" || threading.AutoReplySubject(msg.Subject)
}

// bounceToken returns the VERP token of the envelope recipient the mail was
// sent to, if it is one of the property's bounce addresses: the token names
// the outbox row whose envelope sender it was.
func (p *Pipeline) bounceToken(prop ticket.Property, env envelope) (threading.Token, bool) {
	for _, rcpt := range env.to {
		if tok, ok := p.keys.TokenInAddress(rcpt); ok && tok.Kind == threading.KindBounce && tok.PropertyID == prop.ID {
			return tok, true
		}
	}
	return threading.Token{}, false
}

// bouncedRow returns the outbox row whose signed bounce address the mail
// was sent to, if any.
func (p *Pipeline) bouncedRow(tx *store.Tx, prop ticket.Property, env envelope) (store.OutboxRow, bool, error) {
	tok, ok := p.bounceToken(prop, env)
	if !ok {
		return store.OutboxRow{}, false, nil
	}
	return tx.OutboxRow(prop.ID, tok.ID)
}

// recordBounce stores a bounce and shows it on the ticket it concerns. It
// changes something (fails the outbox row, suppresses the recipient, tells
// the team) only when it is verified: it arrived at the signed bounce
// address of an outbound row and names that row's recipient, and it reports
// a permanent failure. Anything else is recorded as unverified. A bounce is
// never a ticket and never answered.
func (p *Pipeline) recordBounce(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte) (delivered, error) {
	res := delivered{property: prop.Slug, thread: "bounce"}
	var row store.OutboxRow
	linked := env.bounced != nil
	if linked {
		row = *env.bounced
	}
	b := describeBounce(prop, msg, raw, row, linked)
	b.PropertyID, b.RawSHA256 = prop.ID, msg.RawSHA256
	if linked {
		b.OutboxID, b.TicketID = row.ID, row.TicketID
	} else if r := msg.Report; r != nil && r.originalID != "" {
		// Shown on the ticket of the mail it cites, as unverified: anyone
		// can cite a Message-ID they were sent.
		if tok, ok := p.keys.TokenInMessageID(r.originalID); ok && tok.PropertyID == prop.ID {
			b.TicketID = tok.TicketID
		}
	}
	if err := tx.PutBlob(b.RawSHA256, raw); err != nil {
		return res, err
	}
	if err := tx.RecordBounce(b); err != nil {
		return res, err
	}
	res.messageID, res.bounceKind, res.bounceVerified = b.ID, b.Kind, b.Verified
	if !b.Verified {
		res.thread = "bounce (unverified)"
		return res, unverifiedBounce(tx, b, row, linked)
	}
	permanent := permanentFailure(b, msg, env.from)
	return res, p.verifiedBounce(tx, prop, b, row, permanent, env.enqueued)
}

// describeBounce reads what a bounce reports and whether it is verified:
// it reached the bounce address of row (linked) and is about the row's
// recipient. A delivery status notification must name the recipient in a
// Final-Recipient or Original-Recipient field (RFC 3464 §2.3.1-2); any
// other bounce must mention the recipient's address, or no address at all.
func describeBounce(prop ticket.Property, msg *parsed, raw []byte, row store.OutboxRow, linked bool) *ticket.Bounce {
	b := &ticket.Bounce{Kind: "other"}
	if linked {
		b.Recipient = row.Rcpt
	}
	r := msg.Report
	if r != nil {
		b.Kind = r.kind
	}
	if r != nil && len(r.recipients) > 0 {
		rc, named := r.about(row.Rcpt)
		b.Recipient, b.Action, b.Status, b.Diagnostic = rc.address(), rc.action, rc.status, rc.diagnostic
		b.Verified = linked && named
		if b.Verified {
			// The block may name the row's recipient in Original-Recipient
			// and another address in Final-Recipient (RFC 3464 §2.3.1-2):
			// the record is about the recipient it was verified against.
			b.Recipient = row.Rcpt
		}
		return b
	}
	named := mentions(raw, row.Rcpt) || mentions([]byte(msg.Text), row.Rcpt)
	b.Verified = linked && (named || b.Kind == "other" && namesNoOne(prop, msg, raw))
	return b
}

// addressIn finds what looks like an email address in text.
var addressIn = regexp.MustCompile(`[^\s<>"'(),;:\[\]]+@[^\s<>"'(),;:\[\]]+\.[^\s<>"'(),;:\[\].]+`)

// namesNoOne reports whether a failure notice names no address besides
// the property's own and mailer daemons', in its body as sent or as
// decoded or in Exim's X-Failed-Recipients field: arriving at the bounce address of one mail to one recipient, it
// can only be about that recipient. Anything that looks like an address
// (a Message-ID of a returned mail too) counts: when in doubt, a notice is
// about someone else and changes nothing.
func namesNoOne(prop ticket.Property, msg *parsed, raw []byte) bool {
	_, body := splitHeader(raw)
	texts := append([]string{string(body), msg.Text, msg.HTML}, msg.Header["X-Failed-Recipients"]...)
	for _, text := range texts {
		for _, a := range addressIn.FindAllString(text, -1) {
			if !prop.Owns(a) && !isDaemon(a) {
				return false
			}
		}
	}
	return true
}

// permanentFailure: an RFC 3464 report whose block for the recipient says
// Action: failed with a 5.X.X status (RFC 3463), or a recognised failure
// notice that is not a delay warning. Abuse reports, read receipts, delays
// and successes are not failures.
func permanentFailure(b *ticket.Bounce, msg *parsed, envFrom string) bool {
	switch b.Kind {
	case "dsn":
		return b.Action == "failed" && permanentStatus.MatchString(b.Status)
	case "arf", "mdn":
		return false
	}
	return failureNotice(msg, envFrom) && !delaySubject.MatchString(msg.Subject)
}

// unverifiedBounce logs an unverified bounce on its ticket, and nothing else.
func unverifiedBounce(tx *store.Tx, b *ticket.Bounce, row store.OutboxRow, linked bool) error {
	if b.TicketID == 0 {
		return nil
	}
	why := "it did not arrive at the bounce address of a mail we sent"
	if linked {
		why = "it does not name " + row.Rcpt + ", the recipient of the mail whose bounce address it reached"
	}
	return tx.AddEvent(b.TicketID, "bounce", b.Recipient,
		"unverified delivery report, nothing changed ("+why+"): "+bounceDetail(b))
}

// verifiedBounce logs a verified bounce on its ticket and, when the failure
// is permanent, fails the row, suppresses its recipient (an event on the
// ticket) and tells the team, unless the row was itself a notice
// (outbox.Queue.TellFailure).
func (p *Pipeline) verifiedBounce(tx *store.Tx, prop ticket.Property, b *ticket.Bounce, row store.OutboxRow, permanent bool, count *int) error {
	detail := bounceDetail(b)
	if b.TicketID != 0 {
		if err := tx.AddEvent(b.TicketID, "bounce", row.Rcpt, "delivery report: "+detail); err != nil {
			return err
		}
	}
	if !permanent {
		return nil
	}
	if err := tx.FailOutbox(row.ID, "bounced: "+detail); err != nil {
		return err
	}
	added, err := tx.Suppress(ticket.Suppression{PropertyID: prop.ID, Address: row.Rcpt, Reason: "bounced: " + detail,
		TicketID: b.TicketID, BounceID: b.ID})
	if err != nil || b.TicketID == 0 {
		return err
	}
	if !added {
		return tx.AddEvent(b.TicketID, "suppression", row.Rcpt, row.Rcpt+" bounced again and stays suppressed")
	}
	if err := tx.AddEvent(b.TicketID, "suppression", row.Rcpt,
		"no more mail to "+row.Rcpt+" until the suppression is cleared: bounced "+detail); err != nil {
		return err
	}
	// Not the delivery's quiet queue: the bounce is automatic, but telling
	// the team of a failure answers nobody (and a failed notice tells no one).
	q := outbox.Queue{Keys: p.keys, Tx: tx, Prop: prop, Count: count}
	return q.TellFailure(row, "Delivery failed: "+row.Rcpt,
		"Mail to "+row.Rcpt+" bounced ("+detail+").\nNo more mail goes to this address until the suppression is cleared "+
			"(postdesk suppression clear "+row.Rcpt+").")
}

func bounceDetail(b *ticket.Bounce) string {
	d := strings.TrimSpace(b.Kind + " " + b.Action + " " + b.Status + " " + b.Diagnostic)
	if b.Recipient != "" {
		d = b.Recipient + ": " + d
	}
	return d
}

// mentions reports whether text contains addr as a whole address, without
// regard to case: not as the tail or head of a longer one.
func mentions(text []byte, addr string) bool {
	if addr == "" {
		return false
	}
	lower, want := bytes.ToLower(text), []byte(strings.ToLower(addr))
	for from := 0; ; {
		i := bytes.Index(lower[from:], want)
		if i < 0 {
			return false
		}
		start, end := from+i, from+i+len(want)
		if (start == 0 || !addressByte(lower[start-1])) && (end == len(lower) || !addressByte(lower[end]) || lower[end] == '.' && (end+1 == len(lower) || !addressByte(lower[end+1]))) {
			return true
		}
		from = start + 1
	}
}

// addressByte reports whether c may be part of an email address.
func addressByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte(".-_+%=@", c) >= 0 || c >= 0x80
}
