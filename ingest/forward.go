package ingest

import (
	"bufio"
	"bytes"
	"context"
	"net/mail"
	"regexp"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// forwarded is what a mail shows of the mailbox that forwarded it to the
// property: an admin's Gmail or Outlook mailbox, an Exchange rule, a
// Postfix alias.
//
// None of it is identity. The headers that show forwarding
// (X-Forwarded-For, Resent-From, Delivered-To, X-Original-To) are written
// by whoever sends the mail, so they are only recorded: the mail is still
// filed under its From. The one exception is a mail whose From is one of
// the property's forwarding mailboxes (added by an admin or confirmed
// through its provider) carrying a forwarded message: such a mail is the
// mailbox's forward rule at work (Outlook's "Forward" writes a new mail from
// the mailbox), and it is filed under the From of the message it carries.
// That gives a forger nothing a forged From would not.
type forwarded struct {
	by       string        // the forwarding mailbox, lower-case; "" when not forwarded
	original string        // the address the mail was first sent to
	evidence string        // what showed the forwarding
	sender   *mail.Address // the forwarded message's own From, when From is the mailbox
}

// forwardings finds, for each property, how the mail was forwarded to it.
// The forwarding mailboxes are read before the delivery's transaction, as
// the members are (through the store's cache: a mailbox added by another
// process counts within seconds): the mail's author must be known to choose
// its path.
func (p *Pipeline) forwardings(ctx context.Context, props []ticket.Property, envFrom string, msg *parsed) (map[int64]forwarded, error) {
	out := map[int64]forwarded{}
	for _, prop := range props {
		mailboxes, err := p.store.CachedForwardingMailboxes(ctx, prop.ID)
		if err != nil {
			return nil, err
		}
		out[prop.ID] = forwardedVia(prop, mailboxes, envFrom, msg)
	}
	return out, nil
}

// forwardedVia reads the signs of forwarding, strongest first: the envelope
// sender or From is a forwarding mailbox of the property; X-Forwarded-For
// (Gmail: "mailbox destination"); Resent-From or Resent-Sender (RFC 5322
// §3.6.6, as Exchange and mail clients' "redirect" write them); and the
// oldest Delivered-To or an X-Original-To that is no address of the
// property (Postfix's local(8) and virtual aliases). The address the mail
// was first sent to is the forwarded mailbox's, or the earliest recipient
// the trace names.
func forwardedVia(prop ticket.Property, mailboxes []string, envFrom string, msg *parsed) forwarded {
	var f forwarded
	foreign := func(addr string) string {
		addr = strings.ToLower(strings.TrimSpace(strings.Trim(strings.TrimSpace(addr), "<>")))
		if addr == "" || !strings.Contains(addr, "@") || prop.Owns(addr) {
			return ""
		}
		return addr
	}
	from := ""
	if msg.From != nil {
		from = strings.ToLower(msg.From.Address)
	}
	for _, mb := range mailboxes {
		switch mb {
		case from:
			f.by, f.evidence = mb, "From is the forwarding mailbox"
			f.sender = embeddedSender(msg)
		case strings.ToLower(envFrom):
			f.by, f.evidence = mb, "envelope sender is the forwarding mailbox"
		}
		if f.by != "" {
			break
		}
	}
	if fields := strings.Fields(firstValue(msg.Header["X-Forwarded-For"])); len(fields) > 0 && foreign(fields[0]) != "" {
		f.original = foreign(fields[0])
		f.by, f.evidence = orElse(f.by, f.original), orElse(f.evidence, "X-Forwarded-For")
	}
	for _, k := range []string{"Resent-From", "Resent-Sender"} {
		if a, err := mail.ParseAddress(firstValue(msg.Header[k])); err == nil && foreign(a.Address) != "" {
			f.by, f.evidence = orElse(f.by, foreign(a.Address)), orElse(f.evidence, k)
		}
	}
	f.original = orElse(f.original, traceRecipient(msg, foreign))
	if f.original != "" {
		f.evidence = orElse(f.evidence, "Delivered-To / X-Original-To")
	}
	f.original = orElse(f.original, f.by)
	return f
}

// traceRecipient is the earliest recipient the trace names that is no
// address of the property: the last Delivered-To (each hop prepends its
// own), else X-Original-To.
func traceRecipient(msg *parsed, foreign func(string) string) string {
	dt := msg.Header["Delivered-To"]
	for i := len(dt) - 1; i >= 0; i-- {
		if a := foreign(dt[i]); a != "" {
			return a
		}
	}
	for _, v := range msg.Header["X-Original-To"] {
		if a := foreign(v); a != "" {
			return a
		}
	}
	return ""
}

func orElse(s, fallback string) string {
	if s != "" {
		return s
	}
	return fallback
}

// embeddedSender returns the From of the message a forward carries: an
// attached message/rfc822 (RFC 2046 §5.2.1, "forward as attachment"), else
// the header block of an inline forward in the text when the subject says
// it is a forward. A reply quotes the same header block ("From: … Sent:
// …" after Outlook's rule), and a reply is its writer's, not the quoted
// sender's.
func embeddedSender(msg *parsed) *mail.Address {
	for _, a := range msg.Attachments {
		if !strings.EqualFold(a.ContentType, "message/rfc822") {
			continue
		}
		if m, err := mail.ReadMessage(bytes.NewReader(a.Content)); err == nil {
			if from, err := mail.ParseAddress(m.Header.Get("From")); err == nil {
				return from
			}
		}
	}
	if !forwardSubject.MatchString(msg.Subject) {
		return nil
	}
	return inlineForwardSender(msg.Text)
}

// forwardSubject matches the subject prefixes mail clients give a forward:
// Fw, Fwd (English), WG (German), TR (French), RV (Spanish), Enc
// (Portuguese), Doorst (Dutch).
var forwardSubject = regexp.MustCompile(`(?i)^\s*(?:fwd?|wg|tr|rv|enc|doorst)\s*:`)

// forwardMarker matches the line that opens an inline forward: Gmail's
// "---------- Forwarded message ---------", Outlook's
// "-----Original Message-----" and underscore rule, Apple Mail's "Begin
// forwarded message:", Thunderbird's "-------- Forwarded Message --------".
var forwardMarker = regexp.MustCompile(`(?i)^\s*(?:-{2,}\s*(?:forwarded message|original message)\s*-{2,}|_{20,}|begin forwarded message:)\s*$`)

// forwardFrom matches the From line of a forwarded header block, plain or
// in Outlook's bold ("*From:*").
var forwardFrom = regexp.MustCompile(`(?i)^\s*>?\s*\*?from:\*?\s*(.+)$`)

// inlineForwardSender finds the From line within the first lines after the
// first forward marker of text.
func inlineForwardSender(text string) *mail.Address {
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 4096), 64<<10)
	after := -1
	for n := 0; sc.Scan(); n++ {
		line := sc.Text()
		if after < 0 {
			if forwardMarker.MatchString(line) {
				after = n
			}
			continue
		}
		if n-after > 6 {
			return nil
		}
		if m := forwardFrom.FindStringSubmatch(line); m != nil {
			a, err := mail.ParseAddress(strings.TrimSpace(m[1]))
			if err != nil {
				return nil
			}
			return a
		}
	}
	return nil
}

// asForwarded returns the mail as the property sees it: when its From is a
// forwarding mailbox and it carries a forwarded message, a copy whose From
// is that message's sender. Reply-To goes with it: the mailbox's Reply-To
// is not the customer's.
func asForwarded(msg *parsed, f forwarded) *parsed {
	if f.sender == nil || (msg.From != nil && strings.EqualFold(f.sender.Address, msg.From.Address)) {
		return msg
	}
	c := *msg
	c.From, c.ReplyTo = f.sender, nil
	return &c
}

// forwardedBy describes the forwarding mailbox for the message's record.
func forwardedBy(f forwarded) string {
	if f.by == "" {
		return ""
	}
	return f.by + " (" + f.evidence + ")"
}
