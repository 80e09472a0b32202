package desk

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime"
	"net/http"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// A member's answers and notes written on the desk (the CLI, the API) and
// what every member's message causes, whichever way it came: ingest posts
// an agent's mail with Post too.

// File is an attachment a member adds from the CLI or the API. It is stored
// as a blob like an inbound attachment and sent with the mail.
type File struct {
	Name        string
	ContentType string // "" : from the name's extension, else sniffed
	Data        []byte
}

// Bounds on the files of one message written on the desk: what one mail of
// notify carries whole (see notify's maxMailAttachments and
// maxMailAttachmentBytes), so that the customer gets every file.
const (
	MaxFiles     = 100
	MaxFileBytes = 20 << 20 // all files together
	// MaxText bounds a message's text, in bytes.
	MaxText = 1 << 20
)

// DefaultRecipientsPerAnswer is the most addresses one answer goes to
// unless Options say otherwise (ingest.Limits.RecipientsPerAnswer).
const DefaultRecipientsPerAnswer = 50

// Reply answers t as the acting member: the text (and files) go to the
// requester and every Cc'd participant, a copy to every other member
// involved, and t becomes answered. It is what an agent's reply by mail
// does (ingest), minus the #commands.
func (o *Op) Reply(t *ticket.Ticket, text string, files []File, maxRcpts int) (*ticket.Message, error) {
	if err := o.memberWrites(t, "answer a ticket", "answer"); err != nil {
		return nil, err
	}
	if problem, err := RecipientsProblem(o.Tx, *t, nil, maxRcpts); err != nil || problem != "" {
		if err == nil {
			err = invalid("not sent: %s", problem)
		}
		return nil, err
	}
	m, err := o.write(t, ticket.KindEmail, "", text, files)
	if err != nil {
		return nil, err
	}
	if err := o.Answered(t); err != nil {
		return nil, err
	}
	return m, o.Post(t, m)
}

// Note adds an internal note to t as the acting member: it goes to no
// customer; the other members involved get a copy, and every member it
// mentions (see Mentioned) a notice.
func (o *Op) Note(t *ticket.Ticket, text string, files []File) (*ticket.Message, error) {
	if err := o.memberWrites(t, "add a note", "add a note to"); err != nil {
		return nil, err
	}
	m, err := o.write(t, ticket.KindNote, "", text, files)
	if err != nil {
		return nil, err
	}
	if err := o.Tx.Touch(t.ID); err != nil {
		return nil, err
	}
	return m, o.Post(t, m)
}

// memberWrites checks that a member acts and that t takes messages.
func (o *Op) memberWrites(t *ticket.Ticket, what, verb string) error {
	if !o.Actor.IsMember() {
		return forbidden("%s: only a member may %s", o.Actor, what)
	}
	return Movable(*t, verb)
}

// write stores a message of the acting member on t, with its files;
// thread says how it came to the ticket ("": written on the desk).
func (o *Op) write(t *ticket.Ticket, kind ticket.Kind, thread, text string, files []File) (*ticket.Message, error) {
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" && len(files) == 0 {
		return nil, invalid("the message is empty")
	}
	if len(text) > MaxText {
		return nil, invalid("the message is longer than %d bytes", MaxText)
	}
	atts, err := o.storeFiles(files)
	if err != nil {
		return nil, err
	}
	mb := o.Actor.Member
	m := &ticket.Message{PropertyID: o.Prop().ID, TicketID: t.ID, Direction: ticket.Outbound, Kind: kind,
		AuthorID: mb.ID, AuthorEmail: mb.Email, AuthorName: mb.Name, Subject: t.Subject, Date: o.Now(),
		Text: text, Thread: thread, Attachments: atts}
	if thread == "" {
		m.Thread = "written on the desk by " + mb.Email
	}
	// A Message-ID of its own, made up (no mail carried it): each mail
	// sent of it carries its outbox row's signed one.
	m.MessageID, m.Synthetic = "desk."+strings.ToLower(rand.Text())+"@"+ticket.Domain(o.Prop().FromAddress), true
	if err := o.Tx.InsertMessage(m, nil); err != nil {
		return nil, err
	}
	return m, nil
}

// storeFiles checks the files and stores their contents as blobs.
func (o *Op) storeFiles(files []File) ([]ticket.Attachment, error) {
	if len(files) > MaxFiles {
		return nil, invalid("%d files: a message carries at most %d", len(files), MaxFiles)
	}
	var total int
	var atts []ticket.Attachment
	for _, f := range files {
		total += len(f.Data)
		if total > MaxFileBytes {
			return nil, invalid("the files come to more than %d MiB, more than one mail carries", MaxFileBytes>>20)
		}
		name, err := fileName(f.Name)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(f.Data)
		sha := hex.EncodeToString(sum[:])
		if err := o.Tx.PutBlob(sha, f.Data); err != nil {
			return nil, err
		}
		atts = append(atts, ticket.Attachment{Filename: name, ContentType: contentType(f), Size: int64(len(f.Data)), SHA256: sha})
	}
	return atts, nil
}

// fileName is a file's name without its directory; it must be printable.
func fileName(s string) (string, error) {
	name := filepath.Base(strings.TrimSpace(s))
	if name == "" || name == "." || name == "/" || len(name) > 255 ||
		strings.IndexFunc(name, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		return "", invalid("file name %q: want a printable name of 1 to 255 bytes", s)
	}
	return name, nil
}

// contentType is a file's type as given, else by its name's extension,
// else sniffed from its first bytes.
func contentType(f File) string {
	if f.ContentType != "" {
		return f.ContentType
	}
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(f.Name))); t != "" {
		return t
	}
	return http.DetectContentType(f.Data)
}

// Post sends what member message m of t causes, m stored and the ticket's
// status set already: a copy to every other member involved; an answer
// with content goes to the requester and every Cc'd participant; a note
// notifies the members it mentions. Never to the author. Ingest posts an
// agent's mail (after her #commands) with it, the desk its own replies and
// notes.
func (o *Op) Post(t *ticket.Ticket, m *ticket.Message) error {
	if strings.TrimSpace(m.Text) == "" && len(m.Attachments) == 0 {
		return nil
	}
	members, err := o.Tx.InvolvedMembers(*t)
	if err != nil {
		return err
	}
	for _, other := range members {
		if other.ID == m.AuthorID {
			continue
		}
		if err := o.Queue.ToMember(ticket.OutCopy, *t, m.ID, other); err != nil {
			return err
		}
	}
	if m.Kind == ticket.KindNote {
		return o.mention(t, m)
	}
	if m.Kind != ticket.KindEmail {
		return nil
	}
	contacts, err := o.Tx.Participants(t.ID)
	if err != nil {
		return err
	}
	for _, c := range contacts {
		if err := o.Queue.ToContact(ticket.OutReply, *t, m.ID, c); err != nil {
			return err
		}
	}
	return nil
}

// RecipientsProblem says what is wrong, if anything, with an answer to t
// that would go to its participants and the extra addresses: more than
// limit addresses (0: DefaultRecipientsPerAnswer). An answer to more is
// not sent.
func RecipientsProblem(tx *store.Tx, t ticket.Ticket, extra []string, limit int) (string, error) {
	if limit <= 0 {
		limit = DefaultRecipientsPerAnswer
	}
	current, err := tx.Participants(t.ID)
	if err != nil {
		return "", err
	}
	rcpts := map[string]bool{}
	for _, c := range current {
		rcpts[strings.ToLower(c.Email)] = true
	}
	for _, a := range extra {
		rcpts[strings.ToLower(a)] = true
	}
	if len(rcpts) > limit {
		return fmt.Sprintf("the answer would go to %d addresses, more than the limit of %d per answer", len(rcpts), limit), nil
	}
	return "", nil
}
