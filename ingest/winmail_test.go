package ingest

import (
	"fmt"
	"strings"
	"testing"

	tw "github.com/postdesk/postdesk/internal/tneftest"
)

// winmailParts is a mail with a text part and one winmail.dat attachment
// per stream.
func winmailParts(streams ...[]byte) []byte {
	return tw.Mail("From: carol@example.com\r\nTo: support@acme.test\r\nSubject: many\r\nMessage-ID: <tnefs@example.com>\r\n", streams...)
}

// emptyFiles is a TNEF stream of n empty files.
func emptyFiles(n int) []byte {
	w := tw.New()
	for i := range n {
		w.Attachment(tw.Attachment{Title: fmt.Sprintf("F%d.TXT", i), Data: []byte{}})
	}
	return w.Bytes()
}

// TestWinmailAttachmentCap: files unpacked from winmail.dat count against
// MaxAttachments with the MIME parts; past it the rest stay packed in their
// winmail.dat, each winmail.dat is kept, and a warning says so.
func TestWinmailAttachmentCap(t *testing.T) {
	p := newParser()
	full := emptyFiles(500)
	streams := [][]byte{full, full, full, full, full}
	m, err := p.parse(winmailParts(streams...))
	if err != nil {
		t.Fatal(err)
	}
	dats := 0
	for _, a := range m.Attachments {
		if a.Filename == "winmail.dat" {
			dats++
		}
	}
	warnings := strings.Join(m.Warnings, "\n")
	if len(m.Attachments) != MaxAttachments || dats != len(streams) ||
		!strings.Contains(warnings, "MaxAttachments") || !strings.Contains(warnings, "3 winmail.dat attachments left packed") {
		t.Errorf("5 winmail.dat of 500 files: %d attachments (%d winmail.dat), warnings %q; want %d, all 5 winmail.dat, a warning naming MaxAttachments",
			len(m.Attachments), dats, m.Warnings, MaxAttachments)
	}
	m, err = p.parse(winmailParts(emptyFiles(3), emptyFiles(2)))
	if err != nil || len(m.Attachments) != 2+5 || len(m.Warnings) != 0 {
		t.Errorf("2 winmail.dat of 5 files: %d attachments, warnings %q, %v; want 7, none", len(m.Attachments), m.Warnings, err)
	}
}
