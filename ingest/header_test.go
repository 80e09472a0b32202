package ingest

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// foldedSubject is the security review's mail: a Subject folded over n
// lines of " b", then a Message-ID.
func foldedSubject(n int) []byte {
	return []byte("From: a@example.com\r\nSubject: x\r\n" + strings.Repeat(" b\r\n", n) +
		"Message-ID: <f@x.test>\r\n\r\nbody\r\n")
}

// TestHugeHeaderLinear: a header of 1.6 MB folded over 400,000 lines is
// parsed (and hashed) in well under a second, not the 49 s of CPU that
// unfolding with += cost, and is read up to MaxHeaderBytes with a warning.
// Many short fields are bounded by MaxHeaderLines, and a MIME part's
// header by the same limits.
func TestHugeHeaderLinear(t *testing.T) {
	var many, part strings.Builder
	many.WriteString("From: a@example.com\r\nMessage-ID: <many@x.test>\r\n")
	for i := range 3 * MaxHeaderLines {
		fmt.Fprintf(&many, "X-%d: b\r\n", i)
	}
	many.WriteString("\r\nbody\r\n")
	part.WriteString("From: a@example.com\r\nMessage-ID: <part@x.test>\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n" +
		"--B\r\nContent-Type: text/plain;\r\n" + strings.Repeat(" a=b;\r\n", 200_000) + "\r\nx\r\n--B--\r\n")
	p := newParser()
	for _, tt := range []struct {
		name, limit string
		raw         []byte
	}{
		{"folded subject", "MaxHeaderLines", foldedSubject(400_000)},
		{"many fields", "MaxHeaderLines", []byte(many.String())},
		{"folded part header", "MaxHeaderLines", []byte(part.String())},
		{"long lines", "MaxHeaderBytes", []byte("From: a@example.com\r\nSubject: x\r\n" +
			strings.Repeat(" "+strings.Repeat("b", 998)+"\r\n", 1600) + "\r\nbody\r\n")},
	} {
		start := time.Now()
		hash := contentHash(tt.raw)
		m, err := p.parse(tt.raw)
		if took := time.Since(start); took > time.Second {
			t.Errorf("%s: %d bytes parsed in %v, want < 1 s", tt.name, len(tt.raw), took)
		}
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		if m.From == nil || m.From.Address != "a@example.com" || !strings.Contains(strings.Join(m.Warnings, "\n"), tt.limit) {
			t.Errorf("%s: from %v, warnings %q; want the mail read with a warning naming %s", tt.name, m.From, m.Warnings, tt.limit)
		}
		if len(m.Subject) > MaxHeaderBytes || hash == "" {
			t.Errorf("%s: subject of %d bytes, hash %q", tt.name, len(m.Subject), hash)
		}
	}
	m, err := p.parse(foldedSubject(1000))
	if err != nil || len(m.Warnings) != 0 || m.MessageID != "f@x.test" || len(m.Subject) != 1+2*1000 {
		t.Errorf("4 KB folded subject: id %q, subject of %d bytes, warnings %q, %v; want it read whole", m.MessageID, len(m.Subject), m.Warnings, err)
	}
}

// TestUnfold: folded lines are joined with one space, CRLF and LF alike.
func TestUnfold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"A: 1\r\nB: 2", "A: 1|B: 2"},
		{"A: 1\r\n  2\r\n\t3\nB: x\r", "A: 1 2 3|B: x\r"},
		{" lead\r\nA: 1", " lead|A: 1"},
		{"A: 1\r\n\r\n x", "A: 1| x"},
	} {
		if got := strings.Join(unfold([]byte(tt.in)), "|"); got != tt.want {
			t.Errorf("unfold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOneLineHeaders: a Subject or display name whose encoded words
// (RFC 2047) decode to CR, LF, tab or other controls is stored as one line
// (RFC 5322 §3.2.5), the controls turned into spaces.
func TestOneLineHeaders(t *testing.T) {
	raw := "From: =?utf-8?q?Eve=0D=0AAdmin?= <eve@example.com>\r\n" +
		"Subject: =?utf-8?q?hello=0A#99_____closed____urgent=09ceo@acme.test=C2=85x=1B[2J?=\r\n" +
		"Message-ID: <nl@example.com>\r\n\r\nbody\r\n"
	m, err := newParser().parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := "hello #99     closed    urgent ceo@acme.test x [2J"; m.Subject != want {
		t.Errorf("Subject = %q, want %q", m.Subject, want)
	}
	if m.From == nil || m.From.Name != "Eve  Admin" {
		t.Errorf("From = %v, want the name \"Eve  Admin\"", m.From)
	}
	for _, s := range []string{"plain", "tab\there", "a\r\nb", "c1 \u0085 \u009b", "del \x7f"} {
		if got := oneLine(s); strings.ContainsFunc(got, func(r rune) bool { return r < ' ' || r >= 0x7f && r <= 0x9f }) {
			t.Errorf("oneLine(%q) = %q, still with controls", s, got)
		}
	}
}
