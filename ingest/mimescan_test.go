package ingest

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/jhillyerd/enmime/v2"
)

// nestedMIME is a mail of depth multipart/mixed levels, each holding the
// next, the innermost a text part: the shape of the review's attack.
func nestedMIME(depth int) []byte { return nestedWith(depth, "hi\r\n") }

// nestedWith is nestedMIME with the given text innermost.
func nestedWith(depth int, text string) []byte {
	var b strings.Builder
	b.WriteString("From: a@example.com\r\nSubject: deep\r\nMessage-ID: <deep@example.com>\r\nMIME-Version: 1.0\r\n")
	for i := 0; i < depth; i++ {
		fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
	}
	b.WriteString("Content-Type: text/plain\r\n\r\n" + text)
	for i := depth - 1; i >= 0; i-- {
		fmt.Fprintf(&b, "--b%d--\r\n", i)
	}
	return []byte(b.String())
}

// flatMIME is a multipart/mixed mail of n attachments.
func flatMIME(n int) []byte {
	return []byte("From: a@example.com\r\nSubject: parts\r\nMessage-ID: <flat@example.com>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/mixed; boundary=zz\r\n\r\n" +
		strings.Repeat("--zz\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=a.bin\r\n\r\nx\r\n", n) +
		"--zz--\r\n")
}

func TestMIMEShape(t *testing.T) {
	folded := "From: a@example.com\r\nContent-Type: multipart/mixed;\r\n\tboundary=\"outer b\"\r\n\r\n" +
		"--outer b\r\nContent-Type: multipart/alternative; boundary*=''inner\r\n\r\n--inner\r\n\r\nx\r\n--inner--\r\n--outer b--\r\n"
	tests := []struct {
		name  string
		raw   []byte
		limit string // "" when within the limits, else what the error names
	}{
		{"plain", []byte("From: a@example.com\r\nSubject: x\r\n\r\n--zz\r\n-- \r\nsig\r\n"), ""},
		{"nested to the limit", nestedMIME(MaxMIMEDepth), ""},
		{"nested past the limit", nestedMIME(MaxMIMEDepth + 1), "MaxMIMEDepth"},
		{"6000 levels", nestedMIME(6000), "MaxMIMEDepth"},
		{"parts to the limit", flatMIME(MaxMIMEParts), ""},
		{"parts past the limit", flatMIME(MaxMIMEParts + 1), "MaxMIMEParts"},
		{"2 MiB 50 levels down", nestedWith(50, strings.Repeat(strings.Repeat("x", 78)+"\r\n", 2<<20/80)), ""},
		{"3 MiB 50 levels down", nestedWith(50, strings.Repeat(strings.Repeat("x", 78)+"\r\n", 3<<20/80)), "MaxMIMENestedBytes"},
		{"LF line ends", bytes.ReplaceAll(nestedMIME(MaxMIMEDepth+1), []byte("\r\n"), []byte("\n")), "MaxMIMEDepth"},
		{"folded and RFC 2231 boundaries", []byte(folded), ""},
		// Siblings do not nest: each closes before the next opens.
		{"many closed siblings", []byte("Content-Type: multipart/mixed; boundary=o\r\n\r\n" +
			strings.Repeat("--o\r\nContent-Type: multipart/related; boundary=i\r\n\r\n--i\r\n\r\nx\r\n--i--\r\n", 60) + "--o--\r\n"), ""},
		// An outer delimiter closes the inner levels left open.
		{"unclosed inner levels", []byte("Content-Type: multipart/mixed; boundary=o\r\n\r\n" +
			strings.Repeat("--o\r\nContent-Type: multipart/related; boundary=i\r\n\r\n--i\r\n\r\nx\r\n", 60) + "--o--\r\n"), ""},
		// A boundary that starts another does not count for it.
		{"prefix boundaries", []byte("Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
			strings.Repeat("--bx\r\n", MaxMIMEParts+1) + "--b--\r\n"), ""},
	}
	for _, tt := range tests {
		err := mimeShape(tt.raw)
		switch {
		case tt.limit == "" && err != nil:
			t.Errorf("%s: mimeShape = %v, want nil", tt.name, err)
		case tt.limit != "" && (err == nil || !strings.Contains(err.Error(), tt.limit)):
			t.Errorf("%s: mimeShape = %v, want an error naming %s", tt.name, err, tt.limit)
		}
	}
}

// TestDeepMIMEStoredHeaderOnly: a mail past the MIME limits is parsed
// header-only, with a warning naming the limit, and keeps its subject;
// one at the limits is parsed whole.
func TestDeepMIMEStoredHeaderOnly(t *testing.T) {
	p := newParser()
	for _, tt := range []struct {
		name  string
		raw   []byte
		limit string
	}{
		{"deep", nestedMIME(6000), "MaxMIMEDepth"},
		{"many", flatMIME(100000), "MaxMIMEParts"},
	} {
		m, err := p.parse(tt.raw)
		if err != nil {
			t.Fatalf("%s: parse: %v", tt.name, err)
		}
		if len(m.Attachments) != 0 || m.From == nil || m.From.Address != "a@example.com" || !strings.Contains(strings.Join(m.Warnings, "\n"), tt.limit) {
			t.Errorf("%s: %d attachments, from %v, warnings %q; want header-only with a warning naming %s",
				tt.name, len(m.Attachments), m.From, m.Warnings, tt.limit)
		}
	}
	m, err := p.parse(flatMIME(MaxMIMEParts))
	if err != nil || len(m.Attachments) != MaxMIMEParts {
		t.Errorf("mail of %d parts: %v attachments, %v; want all parsed", MaxMIMEParts, len(m.Attachments), err)
	}
	m, err = p.parse(nestedMIME(MaxMIMEDepth))
	if err != nil || !strings.Contains(m.Text, "hi") {
		t.Errorf("mail nested %d levels: text %q, %v; want the innermost text", MaxMIMEDepth, m.Text, err)
	}
}

// FuzzMIMEShape checks that mimeShape never counts less than enmime
// parses: whatever it lets through, enmime finds within the limits.
func FuzzMIMEShape(f *testing.F) {
	seedCorpus(f)
	f.Add(nestedMIME(MaxMIMEDepth + 1))
	f.Add(flatMIME(20))
	parser := enmime.NewParser(lenient()...)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if mimeShape(raw) != nil {
			return
		}
		env, err := parser.ReadEnvelope(bytes.NewReader(raw))
		if err != nil {
			return
		}
		depth, parts := treeShape(env.Root, 0)
		if depth > MaxMIMEDepth+1 || parts > MaxMIMEParts+1 {
			t.Fatalf("mimeShape let through a tree %d deep of %d parts", depth, parts)
		}
	})
}

// treeShape returns the depth and the number of parts of a MIME tree.
func treeShape(p *enmime.Part, level int) (depth, parts int) {
	depth = level
	for ; p != nil; p = p.NextSibling {
		parts++
		d, n := treeShape(p.FirstChild, level+1)
		depth, parts = max(depth, d), parts+n
	}
	return depth, parts
}
