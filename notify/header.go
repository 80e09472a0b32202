package notify

import (
	"bytes"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Header line limits of RFC 5322 §2.1.1: a line must not exceed 998
// octets and should not exceed 78, CRLF excluded.
const (
	maxLineLen  = 998
	wantLineLen = 78
)

// encodedWordLen is the longest encoded-word written: RFC 2047 §2 allows
// 75 octets; 64 leaves room for a header name before the first one, so
// that a folded line stays within 78 octets.
const encodedWordLen = 64

// maxPlainWord is the longest run without white space that is sent as it
// is; a longer one could not be folded (RFC 5322 §2.2.3 folds only at white
// space), so text holding one is sent as encoded-words instead.
const maxPlainWord = 60

// Limits of what is taken from stored mail into outbound headers. A display
// name is cosmetic and is shortened; a Message-ID cannot be folded, so a
// longer one is left out of References and In-Reply-To (RFC 5322 §3.6.4
// makes both optional); a filename is shortened keeping its extension.
const (
	maxDisplayName = 100 // runes
	maxRefID       = 250 // octets, without angle brackets
	maxFilename    = 120 // octets of UTF-8
)

// headerText returns unstructured text (a Subject, RFC 5322 §3.2.5; a
// display name, §3.2.5 phrase) as header text that folds within 78 octets:
// as it is when it is printable ASCII without overlong words or "=?",
// otherwise as RFC 2047 Q encoded-words of at most 64 octets separated by
// spaces, where a line may fold. Decoders drop the white space between
// adjacent encoded-words (RFC 2047 §6.2), so the text reads back unchanged.
// Control characters (a CR or LF could start a header of its own) become
// spaces.
func headerText(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if plainText(s) {
		return s
	}
	return encodeWords(s)
}

// plainText reports whether s can be sent as it is.
func plainText(s string) bool {
	if strings.Contains(s, "=?") {
		return false
	}
	for _, r := range s {
		if r < ' ' || r > '~' {
			return false
		}
	}
	for _, w := range strings.Fields(s) {
		if len(w) > maxPlainWord {
			return false
		}
	}
	return true
}

// encodeWords encodes s as UTF-8 Q encoded-words, splitting only between
// characters. Only the characters RFC 2047 §5(3) allows in a phrase are
// left unencoded, so the result is valid in a Subject and a display name.
func encodeWords(s string) string {
	const open, closing = "=?utf-8?q?", "?="
	var out, word strings.Builder
	flush := func() {
		if word.Len() == 0 {
			return
		}
		if out.Len() > 0 {
			out.WriteByte(' ')
		}
		out.WriteString(open + word.String() + closing)
		word.Reset()
	}
	var buf [utf8.UTFMax]byte
	for _, r := range s {
		var enc string
		switch {
		case r == ' ':
			enc = "_"
		case r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!*+-/", r)):
			enc = string(r)
		default:
			n := utf8.EncodeRune(buf[:], r)
			for _, b := range buf[:n] {
				enc += fmt.Sprintf("=%02X", b)
			}
		}
		if len(open)+word.Len()+len(enc)+len(closing) > encodedWordLen {
			flush()
		}
		word.WriteString(enc)
	}
	flush()
	return out.String()
}

// address formats a mailbox (RFC 5322 §3.4) whose display name folds: a
// name net/mail can quote as it is goes as a quoted string, any other as
// encoded-words (which must not be quoted, RFC 2047 §5(3)). Names longer
// than maxDisplayName runes are shortened.
func address(name, addr string) string {
	name = strings.Join(strings.Fields(truncateRunes(name, maxDisplayName)), " ")
	if name == "" || plainText(name) {
		return (&mail.Address{Name: name, Address: addr}).String()
	}
	return encodeWords(name) + " " + (&mail.Address{Address: addr}).String()
}

func truncateRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// attachmentName shortens a filename to maxFilename octets, keeping its
// extension, replaces control characters, and encodes it as headerText
// does, so that the name and filename parameters fold within 78 octets
// (RFC 2047 encoded-words in a quoted parameter, as mail clients write and
// read them).
func attachmentName(name string) string {
	return headerText(shortName(name))
}

func shortName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '_'
		}
		return r
	}, name)
	if len(name) <= maxFilename {
		return name
	}
	ext := ""
	if i := strings.LastIndexByte(name, '.'); i >= 0 && len(name)-i <= 16 {
		ext = name[i:]
	}
	base := name[:maxFilename-len(ext)]
	for !utf8.ValidString(base) {
		base = base[:len(base)-1]
	}
	return base + ext
}

// checkHeaderLines returns an error when a header line of the message, or
// of one of its MIME parts, is longer than RFC 5322 §2.1.1 allows. It is
// the last check before a mail leaves: a mail that breaks the limit fails
// instead of being cut or rejected somewhere on its way.
func checkHeaderLines(raw []byte) error {
	inHeader := true
	var boundaries []string
	for len(raw) > 0 {
		line := raw
		if i := bytes.IndexByte(raw, '\n'); i >= 0 {
			line, raw = raw[:i], raw[i+1:]
		} else {
			raw = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		switch {
		case inHeader && len(line) == 0:
			inHeader = false
		case inHeader:
			if len(line) > maxLineLen {
				return fmt.Errorf("render: a header line of %d octets (the limit is %d, RFC 5322 §2.1.1): %.60s…", len(line), maxLineLen, line)
			}
			if b := boundaryOf(line); b != "" {
				boundaries = append(boundaries, b)
			}
		default:
			for _, b := range boundaries {
				if string(line) == "--"+b {
					inHeader = true
				}
			}
		}
	}
	return nil
}

// boundaryOf returns the boundary parameter of a Content-Type line that
// carries one on the same line (enmime writes it so).
func boundaryOf(line []byte) string {
	i := bytes.Index(bytes.ToLower(line), []byte("boundary="))
	if i < 0 {
		return ""
	}
	v := string(line[i+len("boundary="):])
	if strings.HasPrefix(v, `"`) {
		v, _, _ = strings.Cut(v[1:], `"`)
	} else if j := strings.IndexAny(v, "; \t"); j >= 0 {
		v = v[:j]
	}
	return v
}
