package ingest

import (
	"net/mail"
	"strings"

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

func addrList(l []*mail.Address) []string {
	out := make([]string, 0, len(l))
	for _, a := range l {
		out = append(out, strings.ToLower(a.Address))
	}
	return out
}
