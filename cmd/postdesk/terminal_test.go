package main

import (
	"bytes"
	"testing"
)

func TestTerminalEscapes(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain text\tand a tab\n", "plain text\tand a tab\n"},
		{"\x1b[2J\x1b]0;owned\x07evil@evil.test", `\x1b[2J\x1b]0;owned\x07evil@evil.test`},
		{"a@example.com\rx", `a@example.com\x0dx`},
		{"line\r\nnext\r\n", "line\nnext\n"},
		{"csi \u009b31m", `csi \u009b31m`},
		{"bidi \u202egnp.exe", `bidi \u202egnp.exe`},
		{"bad \xff byte", `bad \xff byte`},
		{"del \x7f", `del \x7f`},
		{"café ✓", "café ✓"},
	} {
		var b bytes.Buffer
		if _, err := terminal(&b).Write([]byte(tt.in)); err != nil {
			t.Fatal(err)
		}
		if got := b.String(); got != tt.want {
			t.Errorf("terminal(%q) wrote %q, want %q", tt.in, got, tt.want)
		}
	}
	// A character or a CRLF split across writes is still read whole.
	var b bytes.Buffer
	w := terminal(&b)
	for _, p := range []string{"caf\xc3", "\xa9\r", "\nend\r", "x"} {
		w.Write([]byte(p))
	}
	if got, want := b.String(), `café`+"\n"+`end\x0dx`; got != want {
		t.Errorf("split writes gave %q, want %q", got, want)
	}
}

// TestCell: a table cell or one-line field cannot start a row or a line,
// nor shift columns: newlines, CRs and tabs in it are written as escapes.
func TestCell(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"plain ✓", "plain ✓"},
		{"hello\n#99  closed", `hello\n#99  closed`},
		{"a\r\nb\tc", `a\r\nb\tc`},
	} {
		if got := cell(tt.in); got != tt.want {
			t.Errorf("cell(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
