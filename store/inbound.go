package store

import "github.com/postdesk/postdesk/ticket"

// Blob is content stored once under its SHA-256 (hex): an attachment's.
type Blob struct {
	SHA256 string
	Data   []byte
}

// StoreMessage is the one write path of a received message, shared by
// delivery (ingest) and the load tool's fill: the contents of its
// attachments, the message with its raw bytes (which sets m.ID), and the
// ids that thread later mail to its ticket: its own Message-ID and the
// usable ids it references. The search index follows by the store's own
// triggers.
func (tx *Tx) StoreMessage(m *ticket.Message, raw []byte, blobs []Blob, refs []string) error {
	for _, b := range blobs {
		if err := tx.PutBlob(b.SHA256, b.Data); err != nil {
			return err
		}
	}
	if err := tx.InsertMessage(m, raw); err != nil {
		return err
	}
	if err := tx.AddThreadIDs(m.PropertyID, m.TicketID, ThreadInbound, m.MessageID); err != nil {
		return err
	}
	return tx.AddThreadIDs(m.PropertyID, m.TicketID, ThreadRef, refs...)
}
