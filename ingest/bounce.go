package ingest

import (
	"net/textproto"
	"regexp"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/dsn"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// report is what a delivery status notification (RFC 3464) or abuse report
// (ARF, RFC 5965) says, as far as it could be read.
type report struct {
	kind       string // dsn, arf, other
	recipient  string
	action     string
	status     string
	diagnostic string
	originalID string // Message-ID of the reported message, when included
}

// readReport reads a multipart/report. It returns nil for other mail.
func readReport(root *enmime.Part) *report {
	if root == nil || !strings.EqualFold(root.ContentType, "multipart/report") {
		return nil
	}
	r := &report{kind: "other"}
	walk(root.FirstChild, func(p *enmime.Part) {
		switch strings.ToLower(p.ContentType) {
		case "message/feedback-report":
			r.kind = "arf"
		case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers":
			if id, ok := threading.ParseMessageID(headerOf(p.Content, "Message-Id")); ok && r.originalID == "" {
				r.originalID = id
			}
		}
	})
	rep, err := dsn.ParseReport(root)
	if err != nil || rep == nil {
		return r
	}
	if len(rep.DeliveryStatus.RecipientDSNs) > 0 {
		f := rep.DeliveryStatus.RecipientDSNs[0]
		r.kind = "dsn"
		r.recipient = addressField(f.Get("Final-Recipient"), f.Get("Original-Recipient"))
		r.action = strings.ToLower(strings.TrimSpace(f.Get("Action")))
		r.status = strings.TrimSpace(f.Get("Status"))
		r.diagnostic = strings.TrimSpace(f.Get("Diagnostic-Code"))
	}
	if r.originalID == "" && len(rep.OriginalMessage) > 0 {
		r.originalID, _ = threading.ParseMessageID(headerOf(rep.OriginalMessage, "Message-Id"))
	}
	return r
}

// headerOf reads one header field from the start of a message.
func headerOf(b []byte, key string) string {
	header, _ := splitHeader(b)
	for _, line := range unfold(header) {
		name, value, ok := strings.Cut(line, ":")
		if ok && textproto.CanonicalMIMEHeaderKey(strings.TrimSpace(name)) == key {
			return strings.TrimSpace(value)
		}
	}
	return ""
}

// addressField reads "rfc822; user@example.com" (RFC 3464 §2.3.2).
func addressField(fields ...string) string {
	for _, f := range fields {
		if _, addr, ok := strings.Cut(f, ";"); ok {
			f = addr
		}
		if f = strings.Trim(strings.TrimSpace(f), "<>"); f != "" {
			return f
		}
	}
	return ""
}

// bounceSubject matches the subjects of bounces that are not RFC 3464
// reports (qmail, Exim's older forms, many providers).
var bounceSubject = regexp.MustCompile(`(?i)(undeliver|delivery (status|failure|failed|problem|notification)|(failed|failure) delivery|returned mail|failure notice|mail (delivery|failure|failed)|non.?delivery|could not (be delivered|send)|delivery has failed|returned to sender|returning to sender|mail system error|message not delivered|error sending|errors from|delayed|rejected:|not member|loop alert|не доставлено|配信できません|エラー通知)`)

// isBounce tells a bounce or abuse report from other mail. It is one if
// it is a report (multipart/report: delivery status, feedback, disposition);
// or it comes from the null reverse-path and is not a personal auto-reply
// (RFC 5321 §4.5.5 reserves the null sender for notifications; RFC 3834
// §3.3 lets auto-replies use it too); or a mailer daemon sent it with a
// subject that reports a delivery failure.
func isBounce(msg *parsed, envFrom string) bool {
	if msg.Report != nil {
		return true
	}
	daemon := isDaemon(envFrom) || (msg.From != nil && isDaemon(msg.From.Address))
	failure := bounceSubject.MatchString(msg.Subject)
	if envFrom == "" || envFrom == "<>" {
		return daemon || failure || !isAutoReply(msg)
	}
	return daemon && failure
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
// sent to, if it is one of the property's bounce addresses: whatever arrives
// there is a bounce, and the token names the outbox row it reports on.
func (p *Pipeline) bounceToken(prop ticket.Property, env envelope) (threading.Token, bool) {
	for _, rcpt := range env.to {
		if tok, ok := p.keys.TokenInAddress(rcpt); ok && tok.Kind == threading.KindBounce && tok.PropertyID == prop.ID {
			return tok, true
		}
	}
	return threading.Token{}, false
}

// recordBounce stores a bounce, links it to the message and ticket it
// reports on, and on a permanent failure suppresses the recipient and tells
// the assignee. A bounce is never a ticket and never answered.
func (p *Pipeline) recordBounce(tx *store.Tx, prop ticket.Property, env envelope, msg *parsed, raw []byte, count *int) (delivered, error) {
	res := delivered{property: prop.Slug, thread: "bounce"}
	b := &store.Bounce{PropertyID: prop.ID, Kind: "other", RawSHA256: msg.RawSHA256}
	if r := msg.Report; r != nil {
		b.Kind, b.Recipient, b.Action, b.Status, b.Diagnostic = r.kind, r.recipient, r.action, r.status, r.diagnostic
	}
	var row store.OutboxRow
	linked := false
	if tok, ok := p.bounceToken(prop, env); ok {
		var err error
		if row, linked, err = tx.OutboxRow(prop.ID, tok.ID); err != nil {
			return res, err
		}
	}
	if linked {
		b.OutboxID, b.TicketID = row.ID, row.TicketID
		if b.Recipient == "" {
			b.Recipient = row.Rcpt
		}
	} else if msg.Report != nil && msg.Report.originalID != "" {
		if tok, ok := p.keys.TokenInMessageID(msg.Report.originalID); ok && tok.PropertyID == prop.ID {
			b.TicketID = tok.TicketID
		}
	}
	if err := tx.PutBlob(b.RawSHA256, raw); err != nil {
		return res, err
	}
	if err := tx.RecordBounce(b); err != nil {
		return res, err
	}
	res.messageID = b.ID
	if b.TicketID == 0 {
		return res, nil
	}
	return res, p.bounceOnTicket(tx, prop, b, row, linked, count)
}

// bounceOnTicket shows the bounce on its ticket and, when the failure is
// permanent, suppresses the address and tells the assignee.
func (p *Pipeline) bounceOnTicket(tx *store.Tx, prop ticket.Property, b *store.Bounce, row store.OutboxRow, linked bool, count *int) error {
	detail := strings.TrimSpace(b.Action + " " + b.Status + " " + b.Diagnostic)
	if err := tx.AddEvent(b.TicketID, "bounce", b.Recipient, "delivery report: "+detail); err != nil {
		return err
	}
	permanent := b.Action == "failed" || strings.HasPrefix(b.Status, "5")
	if b.Kind == "other" && linked {
		permanent = true // a non-standard bounce to our VERP address: a failure
	}
	if !permanent || b.Recipient == "" {
		return nil
	}
	if err := tx.Suppress(prop.ID, b.Recipient, "bounced: "+detail); err != nil {
		return err
	}
	if linked {
		if err := tx.FailOutbox(row.ID, "bounced: "+detail); err != nil {
			return err
		}
	}
	q := outbox.Queue{Keys: p.keys, Tx: tx, Prop: prop, Count: count}
	return q.TellTeam(b.TicketID, "Delivery failed: "+b.Recipient,
		"Mail to "+b.Recipient+" bounced ("+detail+").\nNo more mail goes to this address until the suppression is cleared.")
}
