package ingest

import (
	"net/mail"
	"strings"

	"github.com/postdesk/postdesk/store"
	"github.com/postdesk/postdesk/ticket"
)

// newMessage fills a ticket.Message from the parsed mail.
func newMessage(msg *parsed, raw []byte) *ticket.Message {
	m := &ticket.Message{
		Direction: ticket.Inbound, Kind: ticket.KindEmail,
		MessageID: msg.MessageID, Synthetic: msg.Synthetic,
		InReplyTo: msg.InReplyTo, References: msg.References,
		ReplyTo: addrList(msg.ReplyTo), To: addrList(msg.To), Cc: addrList(msg.Cc),
		Subject: msg.Subject, Date: msg.Date, Text: msg.Text, HTML: msg.HTML,
		RawSHA256: msg.RawSHA256, RawSize: int64(len(raw)), ContentHash: msg.ContentHash,
		Warnings: msg.Warnings, AutoReply: msg.Automatic,
	}
	for _, a := range msg.Attachments {
		m.Attachments = append(m.Attachments, ticket.Attachment{
			Filename: a.Filename, ContentType: a.ContentType, Size: int64(len(a.Content)),
			SHA256: a.SHA256, ContentID: a.ContentID, Inline: a.Inline,
		})
	}
	return m
}

// storeMessage writes the attachment contents and the message with its raw
// bytes.
func storeMessage(tx *store.Tx, m *ticket.Message, msg *parsed, raw []byte) error {
	for _, a := range msg.Attachments {
		if err := tx.PutBlob(a.SHA256, a.Content); err != nil {
			return err
		}
	}
	return tx.InsertMessage(m, raw)
}

func addrList(l []*mail.Address) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}
