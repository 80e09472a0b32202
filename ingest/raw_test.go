package ingest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestDeliverRawFromFile: a message spooled to a file (an io.ReaderAt
// without Bytes) is parsed from it and stored byte for byte.
func TestDeliverRawFromFile(t *testing.T) {
	f := newFixture(t)
	raw := readFixture(t, "inline-pdf.eml")
	path := filepath.Join(t.TempDir(), "data-1")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	file, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	if err := f.p.DeliverRaw(context.Background(), "sender@example.com", []string{"support@acme.test"}, file, int64(len(raw))); err != nil {
		t.Fatalf("DeliverRaw: %v", err)
	}
	_, msgs := f.only(t, "acme")
	stored, err := f.st.RawMessage(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(stored, raw) {
		t.Errorf("stored %d bytes, not the %d sent", len(stored), len(raw))
	}
	if len(msgs[0].Attachments) == 0 {
		t.Errorf("the attachment was not parsed from the file")
	}
}
