package history

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// maildirOf writes a Maildir with the given files (path under the Maildir
// → content) and returns its path.
func maildirOf(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for _, sub := range []string{"cur", "new", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func readMaildir(t testing.TB, dir, position string) []Message {
	t.Helper()
	src, err := OpenMaildir(dir, position, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []Message
	for {
		m, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
}

// TestMaildir: cur/ and new/ are read in the order of the unique names,
// whatever the info suffix; tmp/ and dot files are not read; a resumed read
// starts after the position; Return-Path gives the envelope sender.
func TestMaildir(t *testing.T) {
	dir := maildirOf(t, map[string]string{
		"cur/1700000002.M2P1.host:2,S": "Return-Path: <>\nSubject: 2\n\nb\n",
		"new/1700000001.M1P1.host":     "Return-Path: <a@x>\nSubject: 1\n\nb\n",
		"new/1700000003.M3P1.host":     "Subject: 3\n\nb\n",
		"tmp/1700000004.M4P1.host":     "Subject: being written\n\nb\n",
		"cur/.hidden":                  "Subject: no\n\nb\n",
	})
	mtime := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "new/1700000003.M3P1.host"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	msgs := readMaildir(t, dir, "")
	var subjects, froms []string
	for _, m := range msgs {
		subjects = append(subjects, string(m.Raw[len(m.Raw)-5:len(m.Raw)-4]))
		froms = append(froms, m.From)
	}
	if got := len(msgs); got != 3 || subjects[0] != "1" || subjects[1] != "2" || subjects[2] != "3" {
		t.Fatalf("read %d messages %q, want 1 2 3", got, subjects)
	}
	if froms[0] != "a@x" || froms[1] != "<>" || froms[2] != "" {
		t.Errorf("envelope senders %q, want a@x, <>, none", froms)
	}
	if !msgs[2].Received.Equal(mtime) {
		t.Errorf("received %v, want the file's time %v", msgs[2].Received, mtime)
	}
	rest := readMaildir(t, dir, msgs[0].Position)
	if len(rest) != 2 || rest[0].Position != msgs[1].Position {
		t.Errorf("resumed after %s: %d messages, want 2", msgs[0].Position, len(rest))
	}
	if _, err := OpenMaildir(t.TempDir(), "", 0); err == nil {
		t.Error("OpenMaildir of a directory without cur/ and new/: no error")
	}
}
