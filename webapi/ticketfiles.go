package webapi

import (
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/postdesk/postdesk/ticket"
)

// The downloads of a ticket: a received message as it came, and an
// attachment. Both are served as downloads (Content-Disposition:
// attachment) that the browser must not sniff nor run in the API's
// origin: a mail's HTML or SVG file is the sender's, not ours.

// ticketMessage returns message {id} of the ticket numbered {n} of the
// path's property; a message of another ticket is not found.
func (c *call) ticketMessage() (ticket.Message, error) {
	n, err := c.pathInt("n")
	if err != nil {
		return ticket.Message{}, err
	}
	id, err := c.pathInt("id")
	if err != nil {
		return ticket.Message{}, err
	}
	ctx := c.r.Context()
	t, err := c.s.st.Ticket(ctx, c.prop.Slug, n)
	if err != nil {
		return ticket.Message{}, err
	}
	m, err := c.s.st.Message(ctx, id)
	if err != nil || m.TicketID != t.ID || m.PropertyID != c.prop.ID {
		return ticket.Message{}, notFound("message %d of ticket #%d", id, n)
	}
	return m, nil
}

// rawMessage answers a received message exactly as it came, as
// message/rfc822 (RFC 2046 §5.2.1). Messages written on the desk were
// never received: they have no raw form (404).
func (s *Server) rawMessage(c *call) error {
	m, err := c.ticketMessage()
	if err != nil {
		return err
	}
	if m.RawSHA256 == "" {
		return notFound("the raw form of message %d (it was written on the desk, not received)", m.ID)
	}
	raw, err := s.st.RawMessage(c.r.Context(), m.ID)
	if err != nil {
		return err
	}
	return c.download(raw, "message/rfc822", fmt.Sprintf("message-%d.eml", m.ID))
}

// attachment answers one attachment of a message of the ticket, with the
// type and name it came with.
func (s *Server) attachment(c *call) error {
	m, err := c.ticketMessage()
	if err != nil {
		return err
	}
	aid, err := c.pathInt("aid")
	if err != nil {
		return err
	}
	for _, a := range m.Attachments {
		if a.ID != aid {
			continue
		}
		data, err := s.st.Blob(c.r.Context(), a.SHA256)
		if err != nil {
			return err
		}
		return c.download(data, a.ContentType, a.Filename)
	}
	return notFound("attachment %d of message %d", aid, m.ID)
}

// download answers data as a file to save: its type (application/octet-
// stream when the one stored does not parse), its name (RFC 6266), not
// to be sniffed (X-Content-Type-Options) nor to run scripts or load
// anything if a browser shows it anyway (a sandboxing Content-Security-
// Policy, W3C CSP Level 3 §6.3.2.2).
func (c *call) download(data []byte, contentType, name string) error {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		contentType = "application/octet-stream"
	} else {
		contentType = mime.FormatMediaType(mt, params)
	}
	h := c.w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", contentDisposition(name))
	h.Set("Content-Length", strconv.Itoa(len(data)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
	c.w.WriteHeader(http.StatusOK)
	_, err = c.w.Write(data)
	return err
}

// contentDisposition is "attachment" with the file's name (RFC 6266 §4.3):
// filename with an ASCII form of it for every client, and, when the name
// is not ASCII, filename* with it whole in UTF-8 (RFC 8187 §3.2).
func contentDisposition(name string) string {
	if !utf8.ValidString(name) {
		name = strings.ToValidUTF8(name, "_")
	}
	var ascii strings.Builder
	plain := true
	for _, r := range name {
		switch {
		case r >= 0x80:
			plain = false
			ascii.WriteByte('_')
		case r < 0x20 || r == 0x7f || r == '"' || r == '\\':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	v := `attachment; filename="` + ascii.String() + `"`
	if !plain {
		v += "; filename*=UTF-8''" + extValue(name)
	}
	return v
}

// extValue percent-encodes s as an RFC 8187 §3.2.1 value-chars: every
// byte but attr-char.
func extValue(s string) string {
	const attrChar = "!#$&+-.^_`|~"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x80 && (ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || strings.IndexByte(attrChar, ch) >= 0) {
			b.WriteByte(ch)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", ch)
	}
	return b.String()
}
