package reply

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fixture is a reply body from testdata and what Trim and Fold make of it.
// A fixture file holds the body, then "@@@ trim" and the trimmed text, then
// "@@@ fold N" (N lines folded) and the folded text; no folded text means
// the body itself, trailing blank lines dropped.
type fixture struct {
	name, body, trim, fold string
	folded                 int
}

func readFixtures(t *testing.T) []fixture {
	t.Helper()
	paths, err := filepath.Glob("testdata/*.txt")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	var out []fixture
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		body, rest, ok1 := strings.Cut(string(raw), "\n@@@ trim\n")
		trim, fold, ok2 := strings.Cut(rest, "\n@@@ fold ")
		countLine, foldText, _ := strings.Cut(fold, "\n")
		n, err := strconv.Atoi(strings.TrimSpace(countLine))
		if !ok1 || !ok2 || err != nil {
			t.Fatalf("%s: malformed fixture", p)
		}
		foldText = strings.TrimSuffix(foldText, "\n")
		if foldText == "" {
			foldText = strings.TrimRight(body, "\n")
		}
		out = append(out, fixture{name: filepath.Base(p), body: body, trim: trim, fold: foldText, folded: n})
	}
	return out
}

// TestFixtures runs real reply bodies (Outlook, Gmail, Apple Mail,
// Thunderbird, phones; English, Portuguese, German, French) through Trim
// and Fold, with LF and with CRLF line ends.
func TestFixtures(t *testing.T) {
	for _, f := range readFixtures(t) {
		for _, crlf := range []bool{false, true} {
			body := f.body
			if crlf {
				body = strings.ReplaceAll(body, "\n", "\r\n")
			}
			if got := Trim(body); got != f.trim {
				t.Errorf("%s (crlf %v): Trim =\n%s\n---- want\n%s", f.name, crlf, got, f.trim)
			}
			got, n := Fold(body)
			if got != f.fold || n != f.folded {
				t.Errorf("%s (crlf %v): Fold = %d lines folded,\n%s\n---- want %d,\n%s", f.name, crlf, n, got, f.folded, f.fold)
			}
		}
	}
}

func TestTrimShortForms(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"gmail", "Thanks, fixed.\n\nOn Sat, 21 Nov 2026 at 09:00, Acme <support@acme.test> wrote:\n> old text\n", "Thanks, fixed."},
		{"outlook", "Done.\n\n-----Original Message-----\nFrom: Carol\nSent: today\n", "Done."},
		{"outlook line", "Done.\n________________________________\nFrom: Carol\n", "Done."},
		{"signature with space", "Done.\n\n-- \nAlice\n", "Done."},
		{"signature without space", "Done.\n\n--\nAlice\n", "Done."},
		{"trailing quote", "Yes.\n\n> question?\n> more\n", "Yes."},
		{"inline quote kept", "> is it broken?\nYes, it is.\n", "> is it broken?\nYes, it is."},
		{"attribution in text kept", "On Monday I wrote: the fix is live.\n", "On Monday I wrote: the fix is live."},
		{"no history", "Just this.", "Just this."},
		{"dashes are not a signature", "Step 1 -- then step 2", "Step 1 -- then step 2"},
		{"only quotes", "> a\n> b\n", ""},
	}
	for _, tt := range tests {
		if got := Trim(tt.in); got != tt.want {
			t.Errorf("%s: Trim(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

// FuzzTrim: Trim and Fold never panic, never add text, and Fold's new
// text is a prefix of the input (line ends normalised).
func FuzzTrim(f *testing.F) {
	paths, _ := filepath.Glob("testdata/*.txt")
	for _, p := range paths {
		if b, err := os.ReadFile(p); err == nil {
			body, _, _ := strings.Cut(string(b), "\n@@@ trim\n")
			f.Add(body)
		}
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm := strings.Join(split(s), "\n")
		if got := Trim(s); !strings.HasPrefix(norm, got) {
			t.Errorf("Trim(%q) = %q: not a prefix of the input", s, got)
		}
		if got, n := Fold(s); !strings.HasPrefix(norm, got) || n < 0 {
			t.Errorf("Fold(%q) = %q, %d", s, got, n)
		}
	})
}
