package main

import (
	"fmt"
	"io"
	"strings"
	"unicode"
	"unicode/utf8"
)

// terminal wraps w for output meant for a person: every control character
// in what is written, other than the newlines and tabs that lay the text
// out, is written as an escape (\x1b, \x07, \u009b), and so is every byte
// that is not UTF-8 and every bidirectional override (U+202A–U+202E,
// U+2066–U+2069). Mail puts text of anyone's choosing into what the
// commands print (subjects, addresses, names, bodies, raw held mail), and
// printed raw, ESC sequences clear the screen, recolour it or set the
// window title, a CR overwrites the line, and bidi overrides reorder it.
// A CR before a newline is dropped, so raw mail reads as lines. Every
// human-readable printer of this package writes through it (admin.print,
// writeTicket, heldShow, the confirmations); --json output is JSON, where encoding/json
// escapes control characters already, and `message raw` writes the bytes
// as stored, on purpose.
func terminal(w io.Writer) io.Writer {
	if t, ok := w.(*terminalWriter); ok {
		return t
	}
	return &terminalWriter{w: w}
}

type terminalWriter struct {
	w     io.Writer
	carry []byte // an incomplete UTF-8 sequence or a CR at the end of the last write
	buf   []byte
}

func (t *terminalWriter) Write(p []byte) (int, error) {
	in := append(t.carry, p...)
	t.carry = nil
	out := t.buf[:0]
	for i := 0; i < len(in); {
		r, size := utf8.DecodeRune(in[i:])
		switch {
		case r == utf8.RuneError && size <= 1 && !utf8.FullRune(in[i:]):
			t.carry = append(t.carry, in[i:]...) // complete it with the next write
			i = len(in)
			continue
		case r == utf8.RuneError && size <= 1:
			out = fmt.Appendf(out, `\x%02x`, in[i])
		case r == '\r' && i+1 == len(in):
			t.carry = append(t.carry, '\r')
		case r == '\r' && in[i+1] == '\n':
		case r == '\n' || r == '\t':
			out = append(out, byte(r))
		case r < utf8.RuneSelf && unicode.IsControl(r):
			out = fmt.Appendf(out, `\x%02x`, r)
		case unicode.IsControl(r) || r >= 0x202a && r <= 0x202e || r >= 0x2066 && r <= 0x2069:
			out = fmt.Appendf(out, `\u%04x`, r)
		default:
			out = append(out, in[i:i+size]...)
		}
		i += size
	}
	t.buf = out
	if _, err := t.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// cell returns s for one cell of a table or one line of a record (a
// subject, a name, a reason): newlines, CRs and tabs are written as the
// escapes \n, \r and \t, so text from mail cannot start a row or a line of
// its own, nor shift the columns. terminal leaves those three alone, as
// they lay out what is printed; it escapes every other control character.
// Mail stored before intake made subjects one line (ingest's oneLine) may
// still hold them.
func cell(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
