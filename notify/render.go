package notify

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/jhillyerd/enmime/v2"

	"github.com/postdesk/postdesk/outbox"
	"github.com/postdesk/postdesk/reply"
	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/threading"
	"github.com/postdesk/postdesk/ticket"
)

// rendered is one outbound mail ready for the transport.
type rendered struct {
	from string // envelope sender: the signed bounce address (VERP)
	raw  []byte
}

// render builds the mail of an outbox row from the row and the ticket as
// stored. The Message-ID is the row's; the Reply-To carries a token for the
// recipient; References continue the ticket's thread.
func (w *Worker) render(ctx context.Context, row store.OutboxRow) (rendered, error) {
	prop, err := w.store.CachedPropertyByID(ctx, row.PropertyID)
	if err != nil {
		return rendered{}, err
	}
	c := composer{w: w, prop: prop, row: row, b: enmime.Builder()}
	if row.TicketID != 0 {
		if c.t, err = w.store.TicketByID(ctx, row.TicketID); err != nil {
			return rendered{}, err
		}
		if c.history, err = w.store.LatestMessages(ctx, row.TicketID, "", historyWindow); err != nil {
			return rendered{}, err
		}
	}
	if row.MessageID != 0 {
		m, err := w.store.Message(ctx, row.MessageID)
		if err != nil {
			return rendered{}, err
		}
		c.msg = &m
	}
	if err := c.loadRecipients(ctx); err != nil {
		return rendered{}, err
	}
	if err := c.compose(ctx); err != nil {
		return rendered{}, err
	}
	return c.finish()
}

// composer builds one mail.
type composer struct {
	w       *Worker
	prop    ticket.Property
	row     store.OutboxRow
	t       ticket.Ticket
	msg     *ticket.Message // the message sent or copied
	history []ticket.Message
	b       enmime.MailBuilder
	// For a copy to a member: who an answer goes to, and the addresses the
	// copied message proposed but did not add.
	answerTo []ticket.Contact
	proposed []store.Proposed
	// For mail to a contact: the Message-IDs of the ticket it has seen.
	seen []string
	// fromName is the From display name; finish writes From and
	// Reply-To itself so that long or non-ASCII names fold.
	fromName string
	// attachments are those of msg the mail carries (pickAttachments).
	attachments []ticket.Attachment
}

// Bounds on the attachments one copy or reply carries. A message may hold
// up to ingest's MaxAttachments (1,000) files, and every copy renders them
// all in memory for each member; past either bound the rest are left out
// and the mail says how many, the ticket keeping them all. 20 MiB stays
// under the 25 MB most providers accept, base64 included.
const (
	maxMailAttachments     = 100
	maxMailAttachmentBytes = 20 << 20
)

func (c *composer) compose(ctx context.Context) error {
	fromName, subject, text, htmlPart := c.prop.FromName, "", "", ""
	note := c.pickAttachments()
	switch c.row.Kind {
	case ticket.OutAck:
		subject, text = c.ackText()
		c.b = c.b.Header("Auto-Submitted", "auto-replied").Header("X-Auto-Response-Suppress", "All").Header("Precedence", "auto_reply")
	case ticket.OutReply:
		fromName = nonEmpty(c.msg.AuthorName, c.prop.FromName)
		subject = "Re: " + c.tagged(c.t.Subject)
		if c.opens() {
			subject = c.tagged(c.t.Subject) // a ticket opened by hand: its first mail answers nothing
		}
		text = strings.TrimSpace(c.msg.Text) + note + c.quoteLast(ticket.Inbound) + "\n"
	case ticket.OutCopy:
		fromName = nonEmpty(c.msg.AuthorName, c.msg.AuthorEmail) + " via " + c.prop.Name
		subject = c.tagged(nonEmpty(c.msg.Subject, c.t.Subject))
		body, folded := c.copyBody()
		text, htmlPart = c.copyText(body+note), c.copyHTML(body+note, folded, note)
		c.b = c.b.Header("Auto-Submitted", "auto-generated").Header("X-Auto-Response-Suppress", "All")
	case ticket.OutNotice:
		subject, text = c.row.Subject, c.row.Body+"\n\n-- \npostdesk, for "+c.prop.Name+"\n"
		c.b = c.b.Header("Auto-Submitted", "auto-generated").Header("X-Auto-Response-Suppress", "All")
	default:
		return fmt.Errorf("render: unknown outbox kind %q", c.row.Kind)
	}
	if htmlPart == "" {
		htmlPart = textToHTML(text)
	}
	c.fromName = fromName
	c.b = c.b.From(fromName, c.prop.FromAddress).To("", c.row.Rcpt).Subject(headerText(subject)).
		Text([]byte(text)).HTML([]byte(htmlPart))
	return c.attach(ctx)
}

// opens reports whether the message sent is its ticket's first, as the
// first message of a ticket a member opened by hand is (desk.Op.Create).
func (c *composer) opens() bool {
	return c.msg != nil && len(c.history) > 0 && len(c.history) < historyWindow && c.history[0].ID == c.msg.ID
}

// historyWindow is how many of its ticket's newest messages a mail is
// rendered with (its history, and whether it opens the ticket).
const historyWindow = 12

// pickAttachments chooses the attachments of a copy or reply, in order,
// up to maxMailAttachments and maxMailAttachmentBytes, and returns a
// paragraph saying how many were left out, or "".
func (c *composer) pickAttachments() string {
	if c.msg == nil || (c.row.Kind != ticket.OutCopy && c.row.Kind != ticket.OutReply) {
		return ""
	}
	var size, leftOut, leftBytes int64
	for _, a := range c.msg.Attachments {
		if len(c.attachments) < maxMailAttachments && size+a.Size <= maxMailAttachmentBytes {
			c.attachments = append(c.attachments, a)
			size += a.Size
			continue
		}
		leftOut, leftBytes = leftOut+1, leftBytes+a.Size
	}
	if leftOut == 0 {
		return ""
	}
	return fmt.Sprintf("\n\n[%d of the %d attachments (%d bytes) are not in this mail: too many or too large for one; ticket %s keeps them all.]",
		leftOut, len(c.msg.Attachments), leftBytes, c.t.Ref())
}

// attach adds the attachments pickAttachments chose.
func (c *composer) attach(ctx context.Context) error {
	for _, a := range c.attachments {
		content, err := c.w.store.Blob(ctx, a.SHA256)
		if err != nil {
			return err
		}
		if a.Inline && a.ContentID != "" && len(a.ContentID) <= maxRefID && c.row.Kind == ticket.OutCopy {
			c.b = c.b.AddInline(content, a.ContentType, attachmentName(a.Filename), a.ContentID)
		} else {
			c.b = c.b.AddAttachment(content, a.ContentType, attachmentName(a.Filename))
		}
	}
	return nil
}

// finish adds the identity and threading headers and encodes the mail.
func (c *composer) finish() (rendered, error) {
	keys, row := c.w.keys, c.row
	replyTo, err := keys.ReplyAddress(c.prop.Addresses[0], c.recipientToken())
	if err != nil {
		return rendered{}, err
	}
	bounce, err := keys.ReplyAddress(c.prop.Addresses[0], threading.Token{Kind: threading.KindBounce,
		PropertyID: row.PropertyID, TicketID: row.TicketID, ID: row.ID})
	if err != nil {
		return rendered{}, err
	}
	b := c.b.ReplyTo(c.prop.FromName, replyTo).Header("Message-ID", "<"+row.MsgID+">").
		Header(outbox.LoopHeader, outbox.LoopValue(c.w.instanceID, c.w.gateway)).Date(c.w.now())
	if row.TicketID != 0 {
		refs, parent := c.references()
		b = b.Header("References", refs)
		if parent != "" {
			b = b.Header("In-Reply-To", "<"+parent+">")
		}
	}
	part, err := b.Build()
	if err != nil {
		return rendered{}, fmt.Errorf("render: %w", err)
	}
	quoteLongLines(part)
	part.Header.Set("From", address(c.fromName, c.prop.FromAddress))
	part.Header.Set("Reply-To", address(c.prop.FromName, replyTo))
	var buf bytes.Buffer
	if err := part.Encode(&buf); err != nil {
		return rendered{}, fmt.Errorf("render: %w", err)
	}
	raw := buf.Bytes()
	if err := checkHeaderLines(raw); err != nil {
		return rendered{}, permanent(err)
	}
	if c.w.dkim != nil {
		if raw, err = c.w.dkim.Sign(ticket.Domain(c.prop.FromAddress), raw); err != nil {
			return rendered{}, err
		}
	}
	return rendered{from: bounce, raw: raw}, nil
}

// recipientToken is the token of the Reply-To: the recipient's, or for a
// notice a notice token, so that a reply to a notice is known for one.
func (c *composer) recipientToken() threading.Token {
	kind := threading.KindContact
	switch {
	case c.row.Kind == ticket.OutNotice:
		kind = threading.KindNotice
	case c.row.RcptKind == "member":
		kind = threading.KindMember
	}
	return threading.Token{Kind: kind, PropertyID: c.row.PropertyID, TicketID: c.row.TicketID, ID: c.row.RcptID}
}

// references lists the ticket reference first, then Message-IDs of the
// ticket (RFC 5322 §3.6.4), and returns the parent, the newest of them. A
// member gets the ids of the ticket's latest messages up to the one copied.
// A contact gets only the ids it has seen, its own mail and ours to it: an
// agent's Message-ID names her host and mail client, and internal notes
// are nobody else's business.
func (c *composer) references() (string, string) {
	ids := []string{c.w.keys.TicketReference(c.row.PropertyID, c.row.TicketID, ticket.Domain(c.prop.FromAddress))}
	parent := ""
	if c.row.RcptKind == "contact" {
		for _, id := range c.seen {
			if len(id) <= maxRefID {
				ids = append(ids, id)
				parent = id
			}
		}
	}
	for _, m := range c.history {
		// A Message-ID cannot be folded: an overlong one is left out.
		if c.row.RcptKind != "contact" && m.MessageID != "" && len(m.MessageID) <= maxRefID && (c.msg == nil || m.ID <= c.msg.ID) {
			ids = append(ids, m.MessageID)
			parent = m.MessageID
		}
	}
	for i := range ids {
		ids[i] = "<" + ids[i] + ">"
	}
	return strings.Join(ids, " "), parent
}

func (c *composer) tagged(subject string) string {
	tag := threading.Tag(c.prop.TagFormat, c.t.Number)
	subject = threading.BaseSubject(subject)
	if strings.Contains(subject, tag) {
		return subject
	}
	return tag + " " + subject
}

// quoteLast quotes the first lines of the ticket's newest message of a
// direction (other than the one sent), as mail clients quote. A contact is
// quoted only a message it wrote, never a stranger's mail that joined the
// ticket.
func (c *composer) quoteLast(dir ticket.Direction) string {
	for i := len(c.history) - 1; i >= 0; i-- {
		m := c.history[i]
		if m.Direction != dir || (c.msg != nil && m.ID == c.msg.ID) || m.Kind != ticket.KindEmail {
			continue
		}
		if c.row.RcptKind == "contact" && m.AuthorID != c.row.RcptID {
			continue // a contact is quoted only its own words
		}
		return "\n\n" + quote(m, 6)
	}
	return ""
}

// quote quotes the first lines of a message's new text: a customer's
// quoted history is folded away first (see package reply).
func quote(m ticket.Message, maxLines int) string {
	text := m.Text
	if m.Direction == ticket.Inbound {
		text, _ = reply.Fold(text)
	}
	lines := strings.Split(strings.TrimSpace(text), "\n")
	if len(lines) > maxLines {
		lines = append(lines[:maxLines], "…")
	}
	when := m.CreatedAt.Format("Mon, 2 Jan 2006 15:04 MST")
	out := fmt.Sprintf("On %s, %s wrote:\n", when, nonEmpty(m.AuthorName, m.AuthorEmail))
	for _, l := range lines {
		out += "> " + l + "\n"
	}
	return strings.TrimRight(out, "\n")
}

// ackText is the subject and text of an acknowledgement. The sender of the
// mail acknowledged may be forged (spam with a victim's Reply-To), so the
// acknowledgement carries nothing of it: no quoted text and not even its
// subject, only the ticket tag and a neutral line. Otherwise it would relay
// the spammer's words to the victim (backscatter; RFC 3834 §2, §5).
func (c *composer) ackText() (subject, text string) {
	subject = threading.Tag(c.prop.TagFormat, c.t.Number) + " We received your message"
	text = fmt.Sprintf("Hello,\n\nthank you for your message. We have opened ticket %s and will answer as soon as we can.\n"+
		"To add to it, reply to this mail.\n\n-- \n%s\n", c.t.Ref(), c.prop.Name)
	return subject, text
}

// copyFooter ends every member's copy.
const copyFooter = "Reply to this mail to answer the customer. " +
	"Start with #note for an internal note, or commands such as #close, #assign me, #priority high.\n"

// copyText is the text of a member's copy: who an answer goes to first,
// where the copied mail cannot imitate it, then who wrote it and the body.
func (c *composer) copyText(body string) string {
	return c.recipientsText() + "\n" + c.attribution() + "\n\n" + body + "\n\n-- \n" + copyFooter
}

// attribution says who wrote the copied message, on which ticket.
func (c *composer) attribution() string {
	what := "wrote"
	if c.msg.Kind == ticket.KindNote {
		what = "added an internal note"
	}
	return fmt.Sprintf("%s <%s> %s on %s (%s, %s):", nonEmpty(c.msg.AuthorName, c.msg.AuthorEmail), c.msg.AuthorEmail,
		what, c.t.Ref(), c.t.Status, c.t.Priority)
}

// copyBody is the message's text for a copy and how many lines of quoted
// history were folded away. A customer's mail is never trimmed when
// stored; in the copy its quoted history (the ticket's earlier mail,
// usually) is folded away under one line saying so, and the copy's HTML
// is then made from this text, not the customer's HTML with the history
// in it.
func (c *composer) copyBody() (string, int) {
	text := strings.TrimSpace(c.msg.Text)
	if c.msg.Direction != ticket.Inbound {
		return text, 0
	}
	body, folded := reply.Fold(text)
	if folded > 0 {
		body += fmt.Sprintf("\n\n[%d lines of quoted history folded away; `postdesk ticket show %d` has the whole message]", folded, c.t.Number)
	}
	return body, folded
}

func nonEmpty(s ...string) string {
	for _, v := range s {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}

// quoteLongLines makes each text part holding a line longer than RFC 5322
// §2.1.1 allows (998 octets) quoted-printable, whose soft line breaks keep
// every line within 76 octets (RFC 2045 §6.7). enmime would send such a
// part as 7bit when it is plain ASCII, and a relay may refuse or break it.
func quoteLongLines(root *enmime.Part) {
	qp := enmime.NewEncoder(enmime.ForceQuotedPrintableCte(true))
	for p := root; p != nil; p = nextPart(p) {
		if strings.HasPrefix(p.ContentType, "text/") && hasLongLine(p.Content) {
			p.WithEncoder(qp)
		}
	}
}

// nextPart walks a part tree depth first.
func nextPart(p *enmime.Part) *enmime.Part {
	if p.FirstChild != nil {
		return p.FirstChild
	}
	for ; p != nil; p = p.Parent {
		if p.NextSibling != nil {
			return p.NextSibling
		}
	}
	return nil
}

func hasLongLine(b []byte) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return len(b) > maxLineLen
		}
		if len(bytes.TrimSuffix(b[:i], []byte("\r"))) > maxLineLen {
			return true
		}
		b = b[i+1:]
	}
	return false
}
