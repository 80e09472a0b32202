package ingest

import (
	"net/textproto"
	"strings"

	"github.com/jhillyerd/enmime/v2"
	"github.com/jhillyerd/enmime/v2/dsn"

	"github.com/postdesk/postdesk/threading"
)

// report is what a multipart/report (RFC 6522) says, as far as it could be
// read: a delivery status notification (RFC 3464), an abuse report (ARF,
// RFC 5965) or a disposition notification (RFC 8098).
type report struct {
	kind       string // dsn, arf, mdn, other
	recipients []reportedRecipient
	originalID string // Message-ID of the reported message, when included
}

// reportedRecipient is one per-recipient block of a delivery status
// notification (RFC 3464 §2.3).
type reportedRecipient struct {
	final, original string // Final-Recipient, Original-Recipient addresses
	action, status  string // e.g. failed, 5.1.1
	diagnostic      string
}

// address is the recipient the block reports on.
func (r reportedRecipient) address() string {
	if r.final != "" {
		return r.final
	}
	return r.original
}

// names reports whether the block is about addr: its Final-Recipient or
// Original-Recipient is addr, compared without regard to case.
func (r reportedRecipient) names(addr string) bool {
	return addr != "" && (strings.EqualFold(r.final, addr) || strings.EqualFold(r.original, addr))
}

// about returns the block that reports on addr, or else the first block and
// false.
func (r *report) about(addr string) (reportedRecipient, bool) {
	for _, rc := range r.recipients {
		if rc.names(addr) {
			return rc, true
		}
	}
	if len(r.recipients) > 0 {
		return r.recipients[0], false
	}
	return reportedRecipient{}, false
}

// readReport reads a multipart/report. It returns nil for other mail.
func readReport(root *enmime.Part) *report {
	if root == nil || !strings.EqualFold(root.ContentType, "multipart/report") {
		return nil
	}
	r := &report{kind: "other"}
	if strings.EqualFold(root.ContentTypeParams["report-type"], "disposition-notification") {
		r.kind = "mdn"
	}
	walk(root.FirstChild, func(p *enmime.Part) {
		switch strings.ToLower(p.ContentType) {
		case "message/feedback-report":
			r.kind = "arf"
		case "message/disposition-notification":
			r.kind = "mdn"
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
	for _, f := range rep.DeliveryStatus.RecipientDSNs {
		r.kind = "dsn"
		r.recipients = append(r.recipients, reportedRecipient{
			final:      addressField(f.Get("Final-Recipient")),
			original:   addressField(f.Get("Original-Recipient")),
			action:     strings.ToLower(strings.TrimSpace(f.Get("Action"))),
			status:     strings.TrimSpace(f.Get("Status")),
			diagnostic: strings.TrimSpace(f.Get("Diagnostic-Code")),
		})
	}
	if r.originalID == "" && len(rep.OriginalMessage) > 0 {
		r.originalID, _ = threading.ParseMessageID(headerOf(rep.OriginalMessage, "Message-Id"))
	}
	return r
}

// returnsMessage reports whether a mail below its top level carries a
// message or message header (message/rfc822, text/rfc822-headers), as a
// failure notice returns the mail it failed to deliver.
func returnsMessage(root *enmime.Part) bool {
	found := false
	if root != nil {
		walk(root.FirstChild, func(p *enmime.Part) {
			switch strings.ToLower(p.ContentType) {
			case "message/rfc822", "text/rfc822-headers", "message/rfc822-headers":
				found = true
			}
		})
	}
	return found
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
func addressField(f string) string {
	if _, addr, ok := strings.Cut(f, ";"); ok {
		f = addr
	}
	return strings.Trim(strings.TrimSpace(f), "<>")
}
