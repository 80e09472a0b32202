package history

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeFile(t testing.TB, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "archive")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// readAll reads every message of the mbox at path from position.
func readAll(t testing.TB, path, position string, maxSize int64) []Message {
	t.Helper()
	src, err := OpenMbox(path, position, maxSize)
	if err != nil {
		t.Fatalf("OpenMbox(%q): %v", position, err)
	}
	defer src.Close()
	var out []Message
	for {
		m, err := src.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		out = append(out, m)
	}
}

func TestMbox(t *testing.T) {
	tests := []struct {
		name, mbox string
		want       []string // the messages' bytes
		from       []string
	}{
		{"empty file", "", nil, nil},
		{"blank file", " \n\n", nil, nil},
		{"one message, no final blank line", "From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\nbody\n",
			[]string{"Subject: 1\n\nbody\n"}, []string{"a@x"}},
		{"two messages; the separating blank line is the mbox's", "From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\nbody\n\nFrom MAILER-DAEMON Fri Sep 19 01:02:03 2008\nSubject: 2\n\nb2\n\n",
			[]string{"Subject: 1\n\nbody\n", "Subject: 2\n\nb2\n"}, []string{"a@x", "<>"}},
		{"mboxrd escapes lose one >", "From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\n>From here\n>>From there\n>not from\n\n",
			[]string{"Subject: 1\n\nFrom here\n>From there\n>not from\n"}, []string{"a@x"}},
		{"a From line not after a blank line is body (mboxo writers that forgot to escape)", "From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\nline\nFrom the start\n\n",
			[]string{"Subject: 1\n\nline\nFrom the start\n"}, []string{"a@x"}},
		{"CRLF line ends", "From a@x Thu Sep 18 17:54:04 2008\r\nSubject: 1\r\n\r\nbody\r\n\r\nFrom b@x Thu Sep 18 17:54:05 2008\r\nSubject: 2\r\n\r\nb\r\n",
			[]string{"Subject: 1\r\n\r\nbody\r\n", "Subject: 2\r\n\r\nb\r\n"}, []string{"a@x", "b@x"}},
		{"blank lines before the first From line", "\n\nFrom a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\nb\n",
			[]string{"Subject: 1\n\nb\n"}, []string{"a@x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msgs := readAll(t, writeFile(t, tt.mbox), "", 0)
			if len(msgs) != len(tt.want) {
				t.Fatalf("read %d messages, want %d", len(msgs), len(tt.want))
			}
			for i, m := range msgs {
				if string(m.Raw) != tt.want[i] {
					t.Errorf("message %d = %q, want %q", i, m.Raw, tt.want[i])
				}
				if m.From != tt.from[i] {
					t.Errorf("message %d from %q, want %q", i, m.From, tt.from[i])
				}
			}
		})
	}
}

func TestMboxNotMbox(t *testing.T) {
	_, err := OpenMbox(writeFile(t, "Subject: not an mbox\n\nbody\n"), "", 0)
	if err == nil || !strings.Contains(err.Error(), "not an mbox file") {
		t.Fatalf("OpenMbox of a plain message: %v, want a 'not an mbox file' error", err)
	}
}

func TestFromLineDate(t *testing.T) {
	tests := []struct {
		line string
		want time.Time
	}{
		{"From MAILER-DAEMON Thu Sep 18 17:54:04 2008\n", time.Date(2008, 9, 18, 17, 54, 4, 0, time.UTC)},
		{"From a@x Mon Jan  1 09:01:00 2024\n", time.Date(2024, 1, 1, 9, 1, 0, 0, time.UTC)},
		{"From a@x Mon Jan  1 09:01:00 +0200 2024\n", time.Date(2024, 1, 1, 7, 1, 0, 0, time.UTC)},
		{"From a@x Mon Jan  1 09:01:00 2024 -0100\n", time.Date(2024, 1, 1, 10, 1, 0, 0, time.UTC)},
		{"From a@x sometime\n", time.Time{}},
		{"From \n", time.Time{}},
	}
	for _, tt := range tests {
		if _, got := fromLine([]byte(tt.line)); !got.Equal(tt.want) {
			t.Errorf("fromLine(%q) date = %v, want %v", tt.line, got, tt.want)
		}
	}
}

// TestMboxResume: reading from each message's position gives the messages
// after it, and a position that falls inside a message is refused.
func TestMboxResume(t *testing.T) {
	path := writeFile(t, "From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\nb\n\nFrom b@x Thu Sep 18 17:54:04 2008\nSubject: 2\n\nb\n\nFrom c@x Thu Sep 18 17:54:04 2008\nSubject: 3\n\nb\n")
	all := readAll(t, path, "", 0)
	for i, m := range all {
		rest := readAll(t, path, m.Position, 0)
		if len(rest) != len(all)-i-1 {
			t.Fatalf("from the position after message %d: %d messages, want %d", i, len(rest), len(all)-i-1)
		}
		for j := range rest {
			if !bytes.Equal(rest[j].Raw, all[i+1+j].Raw) {
				t.Errorf("resumed message %d = %q, want %q", j, rest[j].Raw, all[i+1+j].Raw)
			}
		}
	}
	if _, err := OpenMbox(path, "5", 0); err == nil {
		t.Error("OpenMbox at an offset inside a message: no error")
	}
	if _, err := OpenMbox(path, "999999", 0); err == nil {
		t.Error("OpenMbox at an offset past the end: no error")
	}
}

func TestMboxTooLarge(t *testing.T) {
	path := writeFile(t, "From a@x Thu Sep 18 17:54:04 2008\nSubject: big\n\n"+strings.Repeat("x", 100)+"\n\nFrom b@x Thu Sep 18 17:54:04 2008\nSubject: small\n\nb\n")
	msgs := readAll(t, path, "", 64)
	if len(msgs) != 2 || !msgs[0].TooLarge || msgs[0].Raw != nil || msgs[1].TooLarge || string(msgs[1].Raw) != "Subject: small\n\nb\n" {
		t.Fatalf("messages = %+v; want the first too large, the second read", msgs)
	}
}

// FuzzMbox: any file reads without panicking or erring once opened, no
// message is longer than the file, and every message's position resumes
// at the next message.
func FuzzMbox(f *testing.F) {
	f.Add([]byte("From a@x Thu Sep 18 17:54:04 2008\nSubject: 1\n\n>From b\n\nFrom b@x Thu Sep 18 17:54:04 2008\n\n"))
	f.Add([]byte("From \r\n\r\nFrom \r\n"))
	f.Add([]byte(""))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.mbox")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		src, err := OpenMbox(path, "", 0)
		if err != nil {
			return // not an mbox
		}
		defer src.Close()
		var msgs []Message
		for {
			m, err := src.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(m.Raw) > len(data) {
				t.Fatalf("message of %d bytes from a file of %d", len(m.Raw), len(data))
			}
			msgs = append(msgs, m)
		}
		for i, m := range msgs[:max(0, len(msgs)-1)] {
			rest := readAll(t, path, m.Position, 0)
			if len(rest) != len(msgs)-i-1 || !bytes.Equal(rest[0].Raw, msgs[i+1].Raw) {
				t.Fatalf("resuming after message %d at %s: %d messages, want %d", i, m.Position, len(rest), len(msgs)-i-1)
			}
		}
	})
}
