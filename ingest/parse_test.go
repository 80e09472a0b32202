package ingest

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tw "github.com/postdesk/postdesk/internal/tneftest"
)

func TestHeaderOnlyFallback(t *testing.T) {
	raw := []byte("From: Zed <zed@example.com>\r\nSubject: =?UTF-8?Q?caf=C3=A9?=\r\nMessage-ID: <z1@example.com>\r\n\r\nopaque body\r\n")
	env, err := headerOnly(raw, errors.New("broken MIME"))
	if err != nil {
		t.Fatal(err)
	}
	m := &parsed{}
	m.readHeaders(env)
	if m.From == nil || m.From.Address != "zed@example.com" || m.MessageID != "z1@example.com" || m.Subject != "café" {
		t.Errorf("headers from the fallback: from %v id %q subject %q", m.From, m.MessageID, m.Subject)
	}
	if !strings.Contains(env.Text, "opaque body") || len(env.Errors) == 0 {
		t.Errorf("fallback text %q, errors %v", env.Text, env.Errors)
	}
	if _, err := headerOnly([]byte("\x00\x01\x02"), errors.New("x")); err == nil {
		t.Error("headerOnly accepted bytes with no header")
	}
}

func TestCROnlyLineEnds(t *testing.T) {
	raw := []byte("From: mac@example.com\rSubject: old mac\rMessage-ID: <mac1@example.com>\r\rbody line one\rline two\r")
	m, err := newParser().parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "old mac" || m.From == nil || m.From.Address != "mac@example.com" || !strings.Contains(m.Text, "line two") {
		t.Errorf("CR-only mail parsed as subject %q from %v text %q", m.Subject, m.From, m.Text)
	}
}

// seedCorpus adds the testdata fixtures, a generated winmail.dat mail, two
// mails past the MIME limits (mimeShape) and, when present, the shared
// corpora to a fuzz target.
func seedCorpus(f *testing.F) {
	f.Add(winmailMessage(tw.New().Body("Body.\r\n").
		Attachment(tw.Attachment{Title: "A.TXT", Data: []byte("a file\r\n"), Props: []tw.Prop{
			tw.Unicode(tw.PidTagAttachLongFilename, "a file.txt"),
			tw.String8(tw.PidTagAttachMimeTag, "text/plain"),
		}}).Bytes()))
	f.Add(nestedMIME(MaxMIMEDepth + 1)) // past the limits of mimeShape
	f.Add(flatMIME(MaxMIMEParts + 1))
	f.Add(foldedSubject(MaxHeaderLines + 1)) // past the header limits
	paths, _ := filepath.Glob("testdata/*.eml")
	filepath.WalkDir("../../shared/corpora", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(path, ".eml") || strings.HasSuffix(path, ".raw")) {
			paths = append(paths, path)
		}
		return nil
	})
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
}

// FuzzParse feeds arbitrary bytes to the parser: it must return a message or
// an error, never panic, and a message always has a Message-ID and bodies in
// valid UTF-8.
func FuzzParse(f *testing.F) {
	seedCorpus(f)
	p := newParser()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := p.parse(raw)
		if err != nil {
			return
		}
		if m.MessageID == "" {
			t.Error("parsed message without a Message-ID")
		}
		if !validUTF8(m.Text) || !validUTF8(m.HTML) {
			t.Error("body not valid UTF-8")
		}
	})
}

func validUTF8(s string) bool { return strings.ToValidUTF8(s, "") == s }

// TestContentHashIgnoresHops: what hops and lists add does not change the
// content hash; what the author wrote, and a list footer appended to the
// body, do.
func TestContentHashIgnoresHops(t *testing.T) {
	orig := "From: a@example.com\r\nTo: s@acme.test\r\nSubject: x\r\nDate: Sat, 21 Nov 2026 10:00:00 +0000\r\nMessage-ID: <1@example.com>\r\n\r\nbody\r\n"
	base := contentHash([]byte(orig))
	for _, tc := range []struct {
		name string
		raw  string
		same bool
	}{
		{"trace", "Received: from a by b\r\nReturn-Path: <a@example.com>\r\nDelivered-To: s@acme.test\r\n" + orig, true},
		{"list fields", "List-Id: <l.example.org>\r\nList-Unsubscribe: <mailto:x@l.example.org>\r\nPrecedence: list\r\n" +
			"Sender: l-bounces@l.example.org\r\nReply-To: l@l.example.org\r\nX-BeenThere: l@l.example.org\r\n" + orig, true},
		{"list footer", orig + "--\r\nl mailing list\r\nhttps://l.example.org/\r\n", false},
		{"other body", strings.Replace(orig, "body", "other", 1), false},
		{"other subject", strings.Replace(orig, "Subject: x", "Subject: y", 1), false},
		{"other author", strings.Replace(orig, "From: a@", "From: b@", 1), false},
	} {
		if got := contentHash([]byte(tc.raw)) == base; got != tc.same {
			t.Errorf("%s: same hash = %v, want %v", tc.name, got, tc.same)
		}
	}
	// A hop's CRLF Received line on CR-only mail: the fields and body are
	// still told apart, so two different such mails differ.
	cr := func(body string) []byte {
		return []byte("Received: from a by b\r\nReturn-Path: <a@example.com>\rFrom: a@example.com\rMessage-ID: <cr@example.com>\r\r" + body + "\r")
	}
	if contentHash(cr("one")) == contentHash(cr("two")) {
		t.Error("CR-only mails with different bodies behind a CRLF trace field hash the same")
	}
	// Without a Message-ID (the synthetic id comes from the hash) other
	// fields count, and so do lines that are no header field.
	if contentHash([]byte("X-A: 1\r\n\r\n")) == contentHash([]byte("X-A: 2\r\n\r\n")) ||
		contentHash([]byte("garbage one\r\n")) == contentHash([]byte("garbage two\r\n")) {
		t.Error("mails without a Message-ID that differ hash the same")
	}
}
