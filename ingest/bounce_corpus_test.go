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

// notBounces are the files of maildir/bsd that are not failure notices by
// postdesk's rule, although sisimai reads them: a null-sender mail is a
// bounce only when it is a report or a recognised failure notice, never
// for its null sender alone (issue 9 item 4).
var notBounces = map[string]string{
	"arf-26.eml":             "an opt-out request written as an auto-reply, not a report",
	"lhost-amazonses-09.eml": "an Amazon SNS notification: JSON in text/plain, sent to an SNS subscriber",
	"lhost-amazonses-10.eml": "an Amazon SNS notification",
	"lhost-amazonses-11.eml": "an Amazon SNS notification",
	"lhost-amazonses-12.eml": "an Amazon SNS notification",
	"lhost-amazonses-13.eml": "an Amazon SNS notification",
}

// TestBounceRecognition: the bounces of sisimai's maildir/bsd, from some 80
// MTAs, are recognised even when they do not reach a VERP address (they come
// from the null sender, as bounces do), all but the few listed in
// notBounces; its RFC 3834 auto-replies are recognised as automatic and not
// as bounces, and none of maildir/not is taken for a bounce.
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
		why, expected := notBounces[filepath.Base(path)]
		switch bounce := isBounce(m, ""); {
		case !bounce && expected:
			missed++
			t.Logf("not a bounce by our rule: %s (%s)", filepath.Base(path), why)
		case !bounce:
			missed++
			t.Errorf("not recognised: %s (subject %q)", filepath.Base(path), m.Subject)
		case expected:
			t.Errorf("%s taken for a bounce, want not (%s)", filepath.Base(path), why)
		}
	}
	bounces := len(files) - autoReplies
	t.Logf("%d of %d bounces recognised", bounces-missed, bounces)
	for _, path := range sisimaiDir(t, "not") {
		raw, _ := os.ReadFile(path)
		m, err := p.parse(raw)
		if err == nil && isBounce(m, "someone@example.com") {
			t.Errorf("%s taken for a bounce (subject %q)", filepath.Base(path), m.Subject)
		}
	}
}
