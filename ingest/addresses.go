package ingest

import (
	"net/mail"
	"strings"

	"github.com/postdesk/postdesk/ticket"
)

// unknownSender stands in for the author of a mail with neither a usable
// From nor a usable envelope sender. Nothing is sent to it.
const unknownSender = "unknown-sender@postdesk.invalid"

// mailboxes keeps the addresses of a header field that postdesk can write
// back into an SMTP envelope and a header: those ticket.ParseAddress
// accepts (a dot-atom local part, a domain name, no white space, control
// character or angle bracket: RFC 5321 §4.1.2 without quoted local parts
// or address literals). Each address dropped is a warning on the message,
// so it never becomes a contact, requester or participant: an address
// such as "bob@x.test> NOTIFY=NEVER"@evil.test would otherwise inject
// parameters into the relay's RCPT command, and "a@example.com\rX" never
// leaves the outbox. A quoted local part that needs no quotes ("dan") is
// read without them by net/mail and kept. Control characters are removed
// from display names.
func (m *parsed) mailboxes(key string, l []*mail.Address) []*mail.Address {
	out := l[:0]
	for _, a := range l {
		addr, err := ticket.ParseAddress(a.Address)
		if err != nil {
			m.warn("%s address dropped: %v", key, err)
			continue
		}
		a.Address = addr
		a.Name = oneLine(a.Name)
		out = append(out, a)
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// people returns the requester (the first usable Reply-To address if
// present, else the author) and the author: the From address, or the
// envelope sender when From is missing or unusable (see mailboxes), or
// unknownSender when neither is usable.
func people(msg *parsed, envFrom string) (requester, author mail.Address) {
	switch {
	case msg.From != nil:
		author = *msg.From
	case usableAddress(envFrom):
		author = mail.Address{Address: strings.TrimSpace(envFrom)}
	default:
		author = mail.Address{Address: unknownSender}
	}
	requester = author
	if len(msg.ReplyTo) > 0 {
		requester = *msg.ReplyTo[0]
	}
	return requester, author
}

func usableAddress(addr string) bool {
	_, err := ticket.ParseAddress(addr)
	return err == nil
}
