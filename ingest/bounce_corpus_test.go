package ingest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/postdesk/postdesk/threading"
)

// sisimaiDir returns a folder of the sisimai corpus, or skips.
func sisimaiDir(t *testing.T, sub string) []string {
	t.Helper()
	dir := filepath.Join("..", "..", "shared", "corpora", "sisimai", "maildir", sub)
	files, _ := filepath.Glob(filepath.Join(dir, "*"))
	if len(files) == 0 {
		t.Skipf("no sisimai corpus at %s: these tests need ../shared/corpora beside the checkout", dir)
	}
	return files
}

// TestBounceRecognition: the bounces of sisimai's maildir/bsd, from some 80
// MTAs, are recognised even when they do not reach a VERP address (they come
// from the null sender, as bounces do), its RFC 3834 auto-replies are
// recognised as automatic and not as bounces, and none of maildir/not is
// taken for a bounce.
func TestBounceRecognition(t *testing.T) {
	p := newParser()
	missed := 0
	files := sisimaiDir(t, "bsd")
	autoReplies := 0
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		m, err := p.parse(raw)
		if err != nil {
			t.Errorf("%s: %v", filepath.Base(path), err)
			continue
		}
		if strings.HasPrefix(filepath.Base(path), "rfc3834-") {
			// RFC 3834 auto-replies: automatic, not bounces.
			autoReplies++
			if auto, _ := threading.Automatic(m.Header, "someone@example.com", ""); !auto || isBounce(m, "") {
				t.Errorf("%s: auto-reply: automatic %v, bounce %v; want automatic, not a bounce", filepath.Base(path), auto, isBounce(m, ""))
			}
			continue
		}
		if !isBounce(m, "") {
			missed++
			t.Logf("not recognised: %s (subject %q)", filepath.Base(path), m.Subject)
		}
	}
	bounces := len(files) - autoReplies
	t.Logf("%d of %d bounces recognised", bounces-missed, bounces)
	if missed > bounces/50 {
		t.Errorf("%d of %d bounces not recognised by content; want at most 2%%", missed, bounces)
	}
	for _, path := range sisimaiDir(t, "not") {
		raw, _ := os.ReadFile(path)
		m, err := p.parse(raw)
		if err == nil && isBounce(m, "someone@example.com") {
			t.Errorf("%s taken for a bounce (subject %q)", filepath.Base(path), m.Subject)
		}
	}
}
